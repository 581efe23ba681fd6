/**
 * Node timers without a fiber per timer, and the check of every duration a user gives.
 *
 * Timers with the same delay expire in the order they were set, so each distinct delay keeps a
 * FIFO list: setting and cancelling a timer are O(1), and a million pending call timeouts of
 * 5 s cost one small object each. The lists sit in a binary heap ordered by their first timer's
 * deadline (ties: the timer set first), so timers fire in deadline order across all delays, as
 * Erlang's timer wheel fires them, even when the event loop was blocked past several deadlines.
 * The heap is kept lazily: cancelling a list's first timer leaves the list's key as it was (never
 * later than its first timer's deadline), and the key is brought up to date when the list
 * reaches the top. One sleeper fiber per node sleeps (through `Clock`, so `TestClock` drives it)
 * until the earliest deadline, fires what is due, and goes back to sleep.
 *
 * Time is the `Clock`'s wall clock (`currentTimeMillisUnsafe`: cheap, unlike the monotonic
 * clock's bigint), never read as going backwards: if the wall clock is set back, the timers'
 * time stands still until it catches up, so deadlines keep their order.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import { BadArgument } from "../Errors.js"

// ----------------------------------------------------------------------------
// Durations given by users
// ----------------------------------------------------------------------------

const durationFields = new Set([
  "weeks",
  "days",
  "hours",
  "minutes",
  "seconds",
  "milliseconds",
  "microseconds",
  "nanoseconds"
])

/** A value, for an error message: never throws, whatever an untyped caller passed. */
const describeValue = (u: unknown): string => {
  switch (typeof u) {
    case "string":
      return JSON.stringify(u)
    case "bigint":
      return `${u}n`
    case "symbol":
      return u.toString()
    case "function":
      return "a function"
    case "object":
      break
    default:
      return String(u)
  }
  if (u === null) return "null"
  if (Duration.isDuration(u)) return `Duration(${String(u)})`
  try {
    return JSON.stringify(u) ?? Object.prototype.toString.call(u)
  } catch {
    return Object.prototype.toString.call(u)
  }
}

/**
 * Milliseconds of a duration object or tuple, or `NaN` when it is not one. Checked here because
 * `Duration` turns a `NaN` field into zero, ignores unknown fields (`{ second: 5 }` would be 0)
 * and adds strings.
 */
const structuredMillis = (input: object): number => {
  if (Array.isArray(input)) {
    if (input.length !== 2 || typeof input[0] !== "number" || typeof input[1] !== "number") return NaN
    return input[0] * 1000 + input[1] / 1e6
  }
  let fields = 0
  for (const key of Object.keys(input)) {
    const value = (input as Record<string, unknown>)[key]
    if (!durationFields.has(key)) return NaN
    if (value === undefined) continue
    if (typeof value !== "number" || Number.isNaN(value) || value < 0) return NaN
    fields++
  }
  return fields === 0 ? NaN : 0
}

/**
 * A timeout or delay a user gave, in milliseconds, checked as OTP checks it (`receive ... after`
 * raises `timeout_value`, `erlang:send_after/3` and `gen:call/4` reject it): a negative, `NaN` or
 * `-Infinity` duration, or something that is no duration at all (from an untyped caller: `null`,
 * `"soon"`, `{ second: 5 }`), is a `BadArgument` naming `operation` and the value, never clamped
 * to 0 and never waited on forever. `Infinity`, `"Infinity"` and `"infinity"` (and
 * `Duration.infinity`) are `Infinity` where `infinity` is true (OTP's `infinity`), a
 * `BadArgument` otherwise. 0 is valid. Fractions of a millisecond are kept (timers round them up).
 *
 * The one check for every duration of the process core (`receive`, `sendAfter`, call and start
 * timeouts) and of behaviours (a GenServer's idle timeout).
 *
 * @internal
 */
export const durationMillis = (operation: string, input: unknown, infinity: boolean): number | BadArgument => {
  let millis: number
  if (typeof input === "number") {
    millis = input
  } else if (input === "infinity" || input === "Infinity") {
    millis = Infinity
  } else if (typeof input === "string" || typeof input === "bigint" || Duration.isDuration(input)) {
    const decoded = Duration.fromInput(input as Duration.Input)
    millis = decoded._tag === "Some" ? Duration.toMillis(decoded.value) : NaN
  } else if (typeof input === "object" && input !== null && !Number.isNaN(structuredMillis(input))) {
    const decoded = Duration.fromInput(input as Duration.Input)
    millis = decoded._tag === "Some" ? Duration.toMillis(decoded.value) : NaN
  } else {
    millis = NaN
  }
  if (millis >= 0 && (millis !== Infinity || infinity)) return millis
  return new BadArgument({
    operation,
    reason: `the timeout ${describeValue(input)} is not a duration of 0 or more${
      infinity ? " or \"infinity\"" : " (infinity is not allowed here)"
    }`
  })
}

// ----------------------------------------------------------------------------
// Timers
// ----------------------------------------------------------------------------

/** @internal */
export class Timer {
  prev: Timer | undefined = undefined
  next: Timer | undefined = undefined
  list: TimerList | undefined = undefined
  constructor(readonly due: number, readonly seq: number, readonly fire: () => void) {}
}

/** The pending timers of one delay, in the order they were set (so by deadline). @internal */
class TimerList {
  first: Timer | undefined = undefined
  last: Timer | undefined = undefined
  /** Its key in the heap: never later than its first timer's (due, seq). */
  keyDue = 0
  keySeq = 0
  /** Its index in the heap, -1 when out of it. */
  index = -1
  constructor(readonly delay: number) {}
}

const before = (a: TimerList, b: TimerList): boolean =>
  a.keyDue < b.keyDue || (a.keyDue === b.keyDue && a.keySeq < b.keySeq)

/** @internal */
export class Timers {
  private readonly lists = new Map<number, TimerList>()
  /** The lists that have (or had, until their key is refreshed) timers: a binary min-heap. */
  private readonly heap: Array<TimerList> = []
  private readonly clock: Clock.Clock
  private sleeper: Fiber.Fiber<void> | undefined = undefined
  private wakeAt = Infinity
  /** Set order of timers: ties between equal deadlines go to the timer set first. */
  private seq = 0
  /** The latest time read: time never goes backwards for the timers. */
  private latest = -Infinity
  pending = 0
  closed = false

  constructor(private readonly context: Context.Context<never>) {
    this.clock = Context.get(context, Clock.Clock)
  }

  now(): number {
    const now = this.clock.currentTimeMillisUnsafe()
    return now > this.latest ? (this.latest = now) : this.latest
  }

  /** Calls `fire` after `delay` ms (checked by the caller: 0 or more, finite), from the timer fiber. */
  add(delay: number, fire: () => void): Timer {
    const ms = delay > 0 ? Math.ceil(delay) : 0
    let list = this.lists.get(ms)
    if (list === undefined) {
      list = new TimerList(ms)
      this.lists.set(ms, list)
    }
    const timer = new Timer(this.now() + ms, this.seq++, fire)
    timer.list = list
    const last = list.last
    if (last === undefined) list.first = timer
    else {
      last.next = timer
      timer.prev = last
    }
    list.last = timer
    // A list in the heap keeps its key: the new timer is due no earlier than any before it.
    if (list.index < 0) {
      list.keyDue = timer.due
      list.keySeq = timer.seq
      this.push(list)
    }
    this.pending++
    if (timer.due < this.wakeAt) this.reschedule(timer.due)
    return timer
  }

  /** Cancels a pending timer; returns false if it already fired or was cancelled. */
  cancel(timer: Timer): boolean {
    const list = timer.list
    if (list === undefined) return false
    const { prev, next } = timer
    if (prev === undefined) list.first = next
    else prev.next = next
    if (next === undefined) list.last = prev
    else next.prev = prev
    timer.prev = timer.next = timer.list = undefined
    this.pending--
    return true
  }

  shutdown(): Fiber.Fiber<void> | undefined {
    this.closed = true
    for (const list of this.lists.values()) {
      for (let t = list.first; t !== undefined;) {
        const next = t.next
        t.prev = t.next = t.list = undefined
        t = next
      }
      list.first = list.last = undefined
      list.index = -1
    }
    this.lists.clear()
    this.heap.length = 0
    this.pending = 0
    const sleeper = this.sleeper
    this.sleeper = undefined
    return sleeper
  }

  /**
   * The list whose first timer is due first, with its key brought up to date; drops the lists
   * left empty by cancellations on the way.
   */
  private top(): TimerList | undefined {
    const heap = this.heap
    while (heap.length > 0) {
      const list = heap[0]!
      const first = list.first
      if (first === undefined) {
        this.pop()
        if (this.lists.get(list.delay) === list) this.lists.delete(list.delay)
      } else if (first.due !== list.keyDue || first.seq !== list.keySeq) {
        list.keyDue = first.due
        list.keySeq = first.seq
        this.siftDown(0)
      } else {
        return list
      }
    }
    return undefined
  }

  private earliest(): number {
    return this.top()?.first!.due ?? Infinity
  }

  private reschedule(due: number): void {
    if (this.closed) return
    const previous = this.sleeper
    this.wakeAt = due
    this.sleeper = Effect.runForkWith(this.context)(this.loop)
    if (previous !== undefined) previous.interruptUnsafe()
  }

  /**
   * Fires every timer due by now, in deadline order across all delays (ties: the timer set
   * first). Timers set while firing wait for the next round.
   */
  private fireDue(): void {
    const now = this.now()
    const limit = this.seq
    while (true) {
      const list = this.top()
      if (list === undefined) return
      const timer = list.first!
      if (timer.due > now || timer.seq >= limit) return
      this.cancel(timer)
      timer.fire()
    }
  }

  private readonly loop: Effect.Effect<void> = Effect.suspend(() => {
    const due = this.earliest()
    if (due === Infinity) {
      this.wakeAt = Infinity
      this.sleeper = undefined
      return Effect.void
    }
    this.wakeAt = due
    return Effect.sleep(Math.max(0, due - this.now())).pipe(
      Effect.andThen(Effect.suspend(() => {
        this.fireDue()
        return this.loop
      }))
    )
  })

  // The heap of lists, by key.

  private push(list: TimerList): void {
    list.index = this.heap.length
    this.heap.push(list)
    this.siftUp(list.index)
  }

  private pop(): void {
    const heap = this.heap
    const top = heap[0]!
    top.index = -1
    const last = heap.pop()!
    if (last !== top) {
      heap[0] = last
      last.index = 0
      this.siftDown(0)
    }
  }

  private siftUp(index: number): void {
    const heap = this.heap
    const list = heap[index]!
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = heap[parentIndex]!
      if (!before(list, parent)) break
      heap[index] = parent
      parent.index = index
      index = parentIndex
    }
    heap[index] = list
    list.index = index
  }

  private siftDown(index: number): void {
    const heap = this.heap
    const length = heap.length
    const list = heap[index]!
    while (true) {
      const left = 2 * index + 1
      if (left >= length) break
      const right = left + 1
      const child = right < length && before(heap[right]!, heap[left]!) ? right : left
      if (!before(heap[child]!, list)) break
      heap[index] = heap[child]!
      heap[index]!.index = index
      index = child
    }
    heap[index] = list
    list.index = index
  }
}
