/**
 * The machinery of `Task` and `TaskSupervisor`: the task object, the reply message, the bodies
 * a task process runs, and the owner's selective receives. Public types and errors live in
 * `behaviours/Task.ts`; this module hands back raw outcomes (a reply, a down reason, a timeout)
 * that it turns into them.
 *
 * What it measured (bench `task_async_await_per_second`): `Task.async` spawns with the link
 * and the monitor both made by the spawn, before the task's first step (`spawnLinkMonitor` of
 * `lib/internal/direct.ts`, Erlang's `spawn_opt(Fun, [link, monitor])`), rather than waiting
 * for a start message from the owner as Elixir's `Task.async` does: one message and one
 * wake-up less per task; against the task linking itself as its first step, three Effect steps
 * less. The reply names the task object itself, so it needs no reference known before the
 * spawn. A reply already in the mailbox is taken and settled in the await's own step
 * (`takeOutcome`), and the many-task waits take every reply already there in one step.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as ExitReason from "../../lib/ExitReason.js"
import { demonitorNow, dropFirst, noMessage, takeMatching } from "../../lib/internal/direct.js"
import type { Pid } from "../../lib/Pid.js"
import * as Process from "../../lib/Process.js"
import type { Reference } from "../../lib/Reference.js"

/** The task's result was not taken yet. */
export const PENDING = 0
/** The task's result was taken (await, yield, shutdown, ignore): it is not awaited again. */
export const DONE = 1
/** The owner gave up the task (`ignore`): the task runs on and sends no reply. */
export const IGNORED = 2

const variance = { _A: (a: unknown) => a, _E: (e: unknown) => e }

/** A task: its process, the owner's monitor of it, its owner, and what the owner took of it. */
export class TaskImpl {
  readonly "~effect-otp/Task" = variance
  pid: Pid = undefined as unknown as Pid
  ref: Reference = undefined as unknown as Reference
  state: number = PENDING
  /** The task's own typed failure, when its body failed with one (set by the task process). */
  failure: Option.Option<unknown> = Option.none()
  constructor(readonly owner: Pid) {}
  /** The task process's `matchCause` handler of its work's result (see `runBody`). */
  onSuccess(value: unknown): Effect.Effect<void> {
    if (this.state === PENDING) Process.sendUnsafe(this.owner, new ReplyImpl(this, value))
    return Effect.void
  }
  /** The task process's `matchCause` handler of its work's failure (see `runBody`). */
  onFailure(cause: Cause.Cause<unknown>): Effect.Effect<never, unknown> {
    this.failure = Cause.findErrorOption(cause)
    return Effect.failCause(cause)
  }
  toString(): string {
    return `Task(${String(this.pid)})`
  }
}

/** The message a task sends its owner with its result: Elixir's `{ref, result}`. */
export class ReplyImpl {
  readonly _tag = "TaskReply"
  constructor(readonly task: TaskImpl, readonly value: unknown) {}
}

export const isTask = (u: unknown): u is TaskImpl => u instanceof TaskImpl

// ----------------------------------------------------------------------------
// The task process
// ----------------------------------------------------------------------------

/**
 * Runs the work and sends the result to the owner, unless the owner gave the task up. The task
 * object is the handlers of `matchCause` (its `onSuccess` / `onFailure`), and the result is sent
 * inside `onSuccess`: no closure or Effect of its own per task (measured, bench
 * `task_async_await_per_second`: 5 objects and 2 Effect steps less per task than
 * `matchCauseEffect` with an `Effect.sync` sending the reply).
 */
export const runBody = (task: TaskImpl, effect: Effect.Effect<unknown, unknown, any>): Effect.Effect<void, unknown, any> =>
  Effect.flatten(Effect.matchCause(effect, task))

/**
 * How long a supervised task waits for its owner's go, as Elixir's `Task.Supervised` (5 s): an
 * owner whose start call was interrupted after the supervisor started the task never sends it.
 */
const goTimeout = 5000

/**
 * The body of a supervised task (`TaskSupervisor.async` / `asyncNolink`): it waits, watching
 * its owner, for the owner to have linked (for `async`) and monitored it, then works. An owner
 * that dies first ends it with `shutdown` carrying the owner's reason, as Elixir's.
 */
export const supervisedBody = (task: TaskImpl, effect: Effect.Effect<unknown, unknown, any>): Effect.Effect<void, unknown, any> =>
  Effect.gen(function*() {
    const watch = yield* Process.monitor(task.owner)
    const go = yield* Process.receive({
      match: (m) => m === task || (Process.isDownMessage(m) && m.ref === watch),
      timeout: goTimeout
    }).pipe(Effect.orDie)
    if (Option.isNone(go)) return yield* Process.exitWith(ExitReason.shutdown("timeout"))
    if (go.value !== task) return yield* Process.exitWith(ExitReason.shutdown((go.value as Process.DownMessage).reason))
    yield* Process.demonitor(watch, { flush: true })
    return yield* runBody(task, effect)
  })

/**
 * The effect with the services of the fiber that started the task, as a task started by the
 * caller itself sees them; the task's own `CurrentProcess` wins.
 */
export const withCallerContext = <A, E, R>(
  caller: Context.Context<R>,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E> =>
  Effect.withFiber((fiber) => {
    const own = fiber.context as Context.Context<Process.CurrentProcess>
    const self = Context.get(own, Process.CurrentProcess)
    return Effect.provideContext(effect, Context.add(Context.merge(own, caller), Process.CurrentProcess, self))
  })

// ----------------------------------------------------------------------------
// The owner's side
// ----------------------------------------------------------------------------

export const isReplyOf = (task: TaskImpl) => (m: unknown): m is ReplyImpl => m instanceof ReplyImpl && m.task === task

const isReplyOrDownOf = (task: TaskImpl) => (m: unknown): m is ReplyImpl | Process.DownMessage =>
  (m instanceof ReplyImpl && m.task === task) || (Process.isDownMessage(m) && m.ref === task.ref)

/** A reply, the task's down reason, or nothing yet. */
export type Outcome = ReplyImpl | Process.DownMessage

/** The task `isOutcome` and `isDown` look for: set just before a synchronous take, then cleared. */
let looking: TaskImpl | undefined = undefined

/** `isReplyOrDownOf(looking)` without a closure per take. */
const isOutcome = (m: unknown): boolean =>
  m instanceof ReplyImpl ? m.task === looking : Process.isDownMessage(m) && m.ref === looking!.ref

const isDown = (m: unknown): boolean => Process.isDownMessage(m) && m.ref === looking!.ref

/**
 * Marks the task done after a reply or a down, in the caller's step: drops the monitor, and the
 * down already delivered behind the reply (a monitor no longer active has fired: its down is in
 * the mailbox), where it is: right behind the reply, as the task sends its reply and then exits.
 */
const settleNow = (task: TaskImpl, outcome: Outcome): void => {
  task.state = DONE
  if (outcome instanceof ReplyImpl && !demonitorNow(task.owner, task.ref)) {
    looking = task
    dropFirst(task.owner, isDown)
    looking = undefined
  }
}

/**
 * The task's reply or down if it is already in the mailbox, taken and settled in the caller's
 * step; `noMessage` if it is not there (or another receive of the process has its turn).
 *
 * What it measured (bench `task_async_await_per_second`, the reply there before the await):
 * the waiting receive (an interruptible receive, its hand-off, a settle of its own with a
 * demonitor and a receive of the down, each an Effect step) cost about a third of a task.
 */
export const takeOutcome = (fiber: Fiber.Fiber<unknown, unknown>, task: TaskImpl): Outcome | typeof noMessage => {
  looking = task
  const taken = takeMatching(task.owner, fiber, isOutcome) as Outcome | typeof noMessage
  looking = undefined
  if (taken !== noMessage) settleNow(task, taken)
  return taken
}

/**
 * Waits up to `millis` (Infinity: as long as it takes) for the task's reply or down. A receive
 * abandoned by interruption takes nothing; once a message is taken, the rest of the step runs
 * to its end, so a later await finds the reply, or the task is already marked done.
 */
export const receiveOutcome = (
  task: TaskImpl,
  millis: number
): Effect.Effect<Option.Option<Outcome>, never, Process.CurrentProcess> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(
      restore(Process.receive({ match: isReplyOrDownOf(task), timeout: millis === Infinity ? "infinity" : millis }).pipe(Effect.orDie)),
      (taken): Effect.Effect<Option.Option<Outcome>> =>
        Option.isNone(taken) ? Effect.succeed(taken) : Effect.sync(() => {
          settleNow(task, taken.value)
          return taken
        })
    )
  )

/** What `shutdown` found: the reply if it came first, and the task's down reason. */
export interface Stopped {
  readonly reply: Option.Option<ReplyImpl>
  readonly reason: ExitReason.ExitReason
  /** Whether the task had to be killed after its shutdown time. */
  readonly killedAfterTimeout: boolean
}

/**
 * Stops the task (Elixir's `Task.shutdown`): unlinks it, sends it `shutdown` (or `kill`), waits
 * for its down (killing it after `millis`), and takes a reply that arrived meanwhile. Runs as
 * one uninterruptible step, so no signal, down or reply is left half handled.
 *
 * As Elixir's, it watches the task with a monitor of its own too: a down of the owner's monitor
 * that the owner's own receive took (a process reading its messages) cannot leave it waiting.
 */
export const stop = (task: TaskImpl, millis: number | "brutalKill"): Effect.Effect<Stopped, never, Process.CurrentProcess> =>
  Effect.uninterruptible(Effect.gen(function*() {
    yield* Process.unlink(task.pid)
    yield* Process.exit(task.pid, millis === "brutalKill" ? ExitReason.kill : ExitReason.shutdown())
    const own = yield* Process.monitor(task.pid)
    const isDown = (m: unknown): m is Process.DownMessage => Process.isDownMessage(m) && (m.ref === task.ref || m.ref === own)
    let killedAfterTimeout = false
    let down = millis === "brutalKill" || millis === Infinity
      ? Option.some(yield* Process.receive({ match: isDown }))
      : yield* Process.receive({ match: isDown, timeout: millis }).pipe(Effect.orDie)
    if (Option.isNone(down)) {
      killedAfterTimeout = true
      yield* Process.exit(task.pid, ExitReason.kill)
      down = Option.some(yield* Process.receive({ match: isDown }))
    }
    yield* Process.demonitor(task.ref, { flush: true })
    yield* Process.demonitor(own, { flush: true })
    const reply = yield* Process.receive({ match: isReplyOf(task), timeout: 0 })
    task.state = DONE
    return { reply, reason: (down as Option.Some<Process.DownMessage>).value.reason, killedAfterTimeout }
  }))

/**
 * Gives the task up (Elixir's `Task.ignore`): it runs on unlinked and sends nothing; a reply or
 * down already there is taken.
 */
export const ignore = (task: TaskImpl): Effect.Effect<Option.Option<Outcome>, never, Process.CurrentProcess> =>
  Effect.uninterruptible(Effect.gen(function*() {
    task.state = IGNORED
    yield* Process.unlink(task.pid)
    const taken = yield* Process.receive({ match: isReplyOrDownOf(task), timeout: 0 })
    if (Option.isSome(taken)) yield* Effect.sync(() => settleNow(task, taken.value))
    else yield* Process.demonitor(task.ref, { flush: true })
    task.state = DONE
    return taken
  }))

/**
 * The state of a wait on many tasks: the tasks still pending, and (from the first down met) an
 * index of them by monitor.
 *
 * Measured (bench `task_async_await_batch_per_second`): a flush per reply rebuilt the mailbox
 * once per task, quadratic in the batch (100 replies and 100 downs: 57k tasks/s); the down of a
 * replied task is taken out where it is instead, right behind its reply (`settleNow`). The
 * index by monitor is built only when a down of a pending task may be there: the down of a
 * replied task never reaches `match`, so a wait where every task replies builds none.
 */
export class Many {
  /** The message that ends the wait (a timer's), if any. */
  token: TimeUp | undefined = undefined
  readonly pending: Set<TaskImpl>
  private byRef: Map<Reference, TaskImpl> | undefined = undefined
  constructor(tasks: Iterable<TaskImpl>) {
    this.pending = new Set(tasks)
  }
  add(task: TaskImpl): void {
    this.pending.add(task)
    this.byRef?.set(task.ref, task)
  }
  delete(task: TaskImpl): void {
    this.pending.delete(task)
    this.byRef?.delete(task.ref)
  }
  /** The pending task monitored by `ref`, if any. */
  taskOf(ref: Reference): TaskImpl | undefined {
    let byRef = this.byRef
    if (byRef === undefined) {
      byRef = this.byRef = new Map()
      for (const task of this.pending) byRef.set(task.ref, task)
    }
    return byRef.get(ref)
  }
  readonly match = (m: unknown): m is Outcome | TimeUp =>
    m instanceof ReplyImpl
      ? this.pending.has(m.task)
      : m === this.token || Process.isDownMessage(m) && this.taskOf(m.ref) !== undefined
}

/** The timer message of a wait on many tasks. */
export class TimeUp {}

/** The task of a reply or down that `many.match` accepted, settled and out of `many`. */
const settleMany = (many: Many, outcome: Outcome): TaskImpl => {
  const task = outcome instanceof ReplyImpl ? outcome.task : many.taskOf(outcome.ref)!
  many.delete(task)
  settleNow(task, outcome)
  return task
}

/**
 * Takes, in the caller's step, every reply or down of a pending task of `many` already in the
 * mailbox of `self` (the owner, the process of `fiber`), settling each and handing it to `f`,
 * until `f` returns `true` (stop) or none is left; `true` if the wait's token was met or `f` said stop.
 */
export const takeMany = (
  self: Pid,
  fiber: Fiber.Fiber<unknown, unknown>,
  many: Many,
  f: (task: TaskImpl, outcome: Outcome) => boolean
): boolean => {
  while (many.pending.size > 0) {
    const taken = takeMatching(self, fiber, many.match)
    if (taken === noMessage) return false
    if (taken instanceof TimeUp) return true
    const outcome = taken as Outcome
    if (f(settleMany(many, outcome), outcome)) return true
  }
  return false
}

/**
 * Waits up to `millis` (Infinity: as long as it takes, or until the wait's token comes) for a
 * reply or a down of any pending task of `many`; `Option.none()` on the timeout or the token.
 * The task is marked done and leaves `many`.
 */
export const receiveAny = (
  many: Many,
  millis: number
): Effect.Effect<Option.Option<readonly [TaskImpl, Outcome]>, never, Process.CurrentProcess> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(
      restore(Process.receive({ match: many.match, timeout: millis === Infinity ? "infinity" as const : Math.max(0, millis) }).pipe(Effect.orDie)),
      (taken) => {
        if (Option.isNone(taken) || taken.value instanceof TimeUp) return Effect.succeed(Option.none())
        const outcome = taken.value
        return Effect.sync(() => Option.some([settleMany(many, outcome), outcome] as const))
      }
    )
  )
