/**
 * Node timers without a fiber per timer.
 *
 * Timers with the same delay expire in the order they were set, so each distinct delay keeps a
 * FIFO list: setting and cancelling a timer are O(1), and a million pending call timeouts of
 * 5 s cost one small object each. One sleeper fiber per node sleeps (through `Clock`, so
 * `TestClock` drives it) until the earliest deadline, fires what is due, and goes back to sleep.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"

/** @internal */
export class Timer {
  prev: Timer | undefined = undefined
  next: Timer | undefined = undefined
  list: TimerList | undefined = undefined
  constructor(readonly due: number, readonly fire: () => void) {}
}

/** @internal */
class TimerList {
  first: Timer | undefined = undefined
  last: Timer | undefined = undefined
  constructor(readonly delay: number) {}
}

/** @internal */
export class Timers {
  private readonly lists = new Map<number, TimerList>()
  private readonly clock: Clock.Clock
  private sleeper: Fiber.Fiber<void> | undefined = undefined
  private wakeAt = Infinity
  pending = 0
  closed = false

  constructor(private readonly context: Context.Context<never>) {
    this.clock = Context.get(context, Clock.Clock)
  }

  now(): number {
    return this.clock.currentTimeMillisUnsafe()
  }

  /** Calls `fire` after `delay` ms, from the timer fiber. */
  add(delay: number, fire: () => void): Timer {
    const ms = Math.max(0, Math.ceil(delay))
    let list = this.lists.get(ms)
    if (list === undefined) {
      list = new TimerList(ms)
      this.lists.set(ms, list)
    }
    const timer = new Timer(this.now() + ms, fire)
    timer.list = list
    const last = list.last
    if (last === undefined) list.first = timer
    else {
      last.next = timer
      timer.prev = last
    }
    list.last = timer
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
    }
    this.pending = 0
    const sleeper = this.sleeper
    this.sleeper = undefined
    return sleeper
  }

  private earliest(): number {
    let due = Infinity
    for (const list of this.lists.values()) {
      if (list.first !== undefined && list.first.due < due) due = list.first.due
    }
    return due
  }

  private reschedule(due: number): void {
    if (this.closed) return
    const previous = this.sleeper
    this.wakeAt = due
    this.sleeper = Effect.runForkWith(this.context)(this.loop)
    if (previous !== undefined) previous.interruptUnsafe()
  }

  private fireDue(): void {
    const now = this.now()
    for (const [delay, list] of this.lists) {
      let timer = list.first
      while (timer !== undefined && timer.due <= now) {
        this.cancel(timer)
        timer.fire()
        timer = list.first
      }
      if (list.first === undefined) this.lists.delete(delay)
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
}
