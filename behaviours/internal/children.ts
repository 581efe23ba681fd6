/**
 * What Supervisor and DynamicSupervisor share: stopping children the OTP way, and the restart
 * intensity window.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { identity } from "effect/Function"
import * as Option from "effect/Option"
import type * as Pull from "effect/Pull"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as ExitReason from "../../lib/ExitReason.js"
import { InitIgnored } from "../../lib/Errors.js"
import { isPid, type Pid } from "../../lib/Pid.js"
import * as Process from "../../lib/Process.js"
import type { Reference } from "../../lib/Reference.js"
import type { ChildSpec, Shutdown } from "../ChildSpec.js"
import { started } from "./reports.js"

const isExitFrom = (pid: Pid) => (m: unknown): m is Process.ExitMessage =>
  Process.isExitMessage(m) && m.from === pid

const isDownFor = (ref: Reference) => (m: unknown): m is Process.DownMessage =>
  Process.isDownMessage(m) && m.ref === ref

/**
 * Stops one child as OTP's supervisor does: monitor it, unlink it (dropping an `Exit` message it
 * already sent), send `shutdown` (or `kill` for `brutalKill`), wait for its `Down` up to the
 * shutdown time, then kill it and wait again. Returns the reason it ended with.
 */
export const shutdownChild = (
  pid: Pid,
  shutdown: Shutdown
): Effect.Effect<ExitReason.ExitReason, never, Process.CurrentProcess> =>
  Effect.gen({ self: { pid, shutdown } }, shutdownChildBody)

function* shutdownChildBody(this: { readonly pid: Pid; readonly shutdown: Shutdown }) {
  const { pid, shutdown } = this
  const ref = yield* Process.monitor(pid)
  yield* Process.unlink(pid)
  const early = yield* Process.receive({ match: isExitFrom(pid), timeout: 0 })
  yield* Process.exit(pid, shutdown === "brutalKill" ? ExitReason.kill : ExitReason.shutdown())
  let down: Process.DownMessage
  if (typeof shutdown === "number") {
    const inTime = yield* Process.receive({ match: isDownFor(ref), timeout: shutdown }).pipe(Effect.orDie)
    if (Option.isSome(inTime)) {
      down = inTime.value
    } else {
      yield* Process.exit(pid, ExitReason.kill)
      down = yield* Process.receive({ match: isDownFor(ref) })
    }
  } else {
    down = yield* Process.receive({ match: isDownFor(ref) })
  }
  return Option.isSome(early) ? early.value.reason : down.reason
}

/**
 * Stops many children at once (DynamicSupervisor's fast shutdown): every child gets its signal
 * first, then the supervisor waits for all of them under one deadline, and kills the ones left.
 */
export const shutdownMany = (
  children: ReadonlyArray<{ readonly pid: Pid; readonly shutdown: Shutdown }>
): Effect.Effect<void, never, Process.CurrentProcess> =>
  Effect.gen({ self: children }, shutdownManyBody)

function* shutdownManyBody(this: ReadonlyArray<{ readonly pid: Pid; readonly shutdown: Shutdown }>) {
  const children = this
  if (children.length === 0) return
  const pending = new Map<Reference, { readonly pid: Pid; readonly shutdown: Shutdown }>()
  for (const child of children) {
    const ref = yield* Process.monitor(child.pid)
    yield* Process.unlink(child.pid)
    pending.set(ref, child)
  }
  const exits = new Set(children.map((c) => c.pid))
  // Exit messages the children sent before they were unlinked.
  while (Option.isSome(yield* Process.receive({ match: (m) => Process.isExitMessage(m) && exits.has(m.from), timeout: 0 }))) {
    // dropped: the Down tells the same story
  }
  let wait = 0
  let infinite = false
  for (const child of children) {
    yield* Process.exit(child.pid, child.shutdown === "brutalKill" ? ExitReason.kill : ExitReason.shutdown())
    if (child.shutdown === "infinity") infinite = true
    else if (typeof child.shutdown === "number") wait = Math.max(wait, child.shutdown)
  }
  const isPendingDown = (m: unknown): m is Process.DownMessage => Process.isDownMessage(m) && pending.has(m.ref)
  const deadline = (yield* Clock.currentTimeMillis) + wait
  while (pending.size > 0) {
    if (infinite) {
      const down = yield* Process.receive({ match: isPendingDown })
      pending.delete(down.ref)
      continue
    }
    const left = deadline - (yield* Clock.currentTimeMillis)
    const down = yield* Process.receive({ match: isPendingDown, timeout: Math.max(0, left) }).pipe(Effect.orDie)
    if (Option.isSome(down)) {
      pending.delete(down.value.ref)
      continue
    }
    for (const child of pending.values()) yield* Process.exit(child.pid, ExitReason.kill)
    while (pending.size > 0) pending.delete((yield* Process.receive({ match: isPendingDown })).ref)
  }
}

/**
 * The restart intensity window: at most `intensity` restarts within `period`. A sliding window
 * of restart times read from `Clock`.
 */
export class Intensity {
  /** Restart times, oldest first, from `head` on (a queue without `shift`). */
  private times: Array<number> = []
  private head = 0
  private readonly periodMillis: number
  constructor(readonly intensity: number, period: Duration.Input) {
    this.periodMillis = Duration.toMillis(Duration.fromInputUnsafe(period))
  }
  /** Records a restart at `now`; false when that exceeds the intensity. */
  add(now: number): boolean {
    this.times.push(now)
    return this.recent(now) <= this.intensity
  }
  /** Restarts inside the window now (after dropping the old ones). */
  recent(now: number): number {
    const since = now - this.periodMillis
    const times = this.times
    let head = this.head
    while (head < times.length && times[head]! <= since) head++
    if (head > 1024 && head * 2 > times.length) {
      this.times = times.slice(head)
      head = 0
    }
    this.head = head
    return this.times.length - head
  }
}

/** A child's restart backoff: the next delay from an Effect `Schedule`, per child. */
export class Backoff {
  private step: ((now: number, input: ExitReason.ExitReason) => Pull.Pull<[unknown, Duration.Duration], unknown, unknown>) | undefined
  constructor(private readonly schedule: Schedule.Schedule<unknown, ExitReason.ExitReason>) {}
  /** The delay before the next restart (zero once the schedule is done). */
  next(reason: ExitReason.ExitReason): Effect.Effect<number> {
    const self = this
    return Effect.gen(function*() {
      if (self.step === undefined) self.step = yield* Schedule.toStep(self.schedule)
      const now = yield* Clock.currentTimeMillis
      return yield* self.step(now, reason).pipe(
        Effect.map(([, delay]) => Duration.toMillis(delay)),
        Effect.catchCause(() => Effect.succeed(0))
      )
    })
  }
  /** Starts the schedule over (the child has been up for a whole intensity period). */
  reset(): void {
    this.step = undefined
  }
}

/** How starting a child from its spec went. */
export type Started = { readonly _tag: "Started"; readonly pid: Pid } | { readonly _tag: "Ignored" } | {
  readonly _tag: "Failed"
  readonly reason: unknown
}

const ignored: Started = { _tag: "Ignored" }

/** A start that failed: `InitIgnored` is an ignored child, any other failure a failed start. */
export const startFailed = (cause: Cause.Cause<unknown>): Started => {
  const error = Cause.findErrorOption(cause)
  if (Option.isSome(error) && error.value instanceof InitIgnored) return ignored
  return { _tag: "Failed", reason: Option.isSome(error) ? error.value : ExitReason.crash(cause) }
}

/**
 * Runs a child spec's `start` in the supervisor and tells `onStarted` the pid (the progress
 * report is written first) or `onFailed` how it failed (an ignored child is an `Ignored`, any
 * other failure a `Failed` carrying the typed error or a crash of the cause); both are given the
 * supervisor's fiber, in whose step they run. One continuation around the spec's own start: the
 * restart path runs it once per restart.
 */
export const startSpecWith = <A>(
  spec: ChildSpec<any>,
  onStarted: (pid: Pid, fiber: Fiber.Fiber<unknown, unknown>) => A,
  onFailed: (started: Started, fiber: Fiber.Fiber<unknown, unknown>) => A
): Effect.Effect<A, never, any> =>
  Effect.matchCause(spec.start as Effect.Effect<Pid, unknown, any>, {
    onSuccess: (pid) => {
      const fiber = Fiber.getCurrent()!
      started(fiber, spec, pid)
      return onStarted(pid, fiber)
    },
    onFailure: (cause) => onFailed(startFailed(cause), Fiber.getCurrent()!)
  })

const asStarted = (pid: Pid): Started => ({ _tag: "Started", pid })

/**
 * Runs a child spec's `start` in the supervisor: `InitIgnored` is an ignored child, any other
 * failure a failed start (its typed error, or a crash carrying the cause); a started child gets
 * a progress report.
 */
export const startSpec = (spec: ChildSpec<any>): Effect.Effect<Started, never, any> =>
  startSpecWith<Started>(spec, asStarted, identity)

/** The Schema of a pid in the supervisors' protocols (local values: no encoding). */
export const PidSchema = Schema.declare<Pid>(isPid)

/** The Schema of an error class in the supervisors' protocols. */
export const errorSchema = <C extends abstract new(...args: any) => any>(c: C) => Schema.instanceOf(c)
