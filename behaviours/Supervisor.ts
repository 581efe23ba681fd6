/**
 * Supervisor: starts children, watches them, and restarts them when they exit, OTP's
 * `supervisor` (Elixir's `Supervisor`). "Let it crash" rests on it.
 *
 * ## A supervision tree
 *
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer, Node, Supervisor } from "effect-otp"
 *
 * const Get = Rpc.make("Get", { success: Schema.Number })
 * const Counter = GenServer.make({
 *   name: "Counter",
 *   calls: [Get],
 *   init: (start: number) => GenServer.ok(start),
 *   handleCall: { Get: (_, n) => GenServer.reply(n, n) }
 * })
 *
 * const program = Effect.gen(function*() {
 *   const sup = yield* Supervisor.start(
 *     [
 *       GenServer.childSpec(Counter, 0, { id: "a", name: "a" }),
 *       GenServer.childSpec(Counter, 100, { id: "b", name: "b" })
 *     ],
 *     { strategy: "oneForOne", intensity: 3, period: "5 seconds" }
 *   )
 *   return yield* Supervisor.countChildren(sup) // { specs: 2, active: 2, supervisors: 0, workers: 2 }
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * ## Rules (OTP's)
 *
 * - Children start in the order given. If one fails to start, the ones already started are
 *   stopped in reverse order and the supervisor's start fails with `InitFailed` whose reason is
 *   `shutdown` carrying a {@link FailedToStartChild} (the child id and the reason). A child whose
 *   start returns `ignore` is kept as not running.
 * - Strategies: `oneForOne` restarts the child that exited; `oneForAll` stops all the others
 *   (in reverse order) and restarts them all (in order); `restForOne` does that for the child and
 *   those started after it.
 * - Restart types: see the `restart` field of `ChildSpec.ChildSpec`. A temporary child is removed when it exits.
 * - Intensity: more than `intensity` restarts within `period` (default 1 in 5 s, as OTP) stops
 *   every child in reverse order and exits the supervisor with reason `shutdown`, which its own
 *   supervisor then handles. As OTP's `add_restart`, the window is `[now - period, now]`: a
 *   restart exactly `period` old still counts. Time is read from `Clock`. The flags are checked
 *   as OTP's `check_flags` does: `intensity` a non-negative integer, `period` a positive whole
 *   number of milliseconds; a bad flag is `BadArgument` and nothing starts.
 * - A restart whose start fails gets a `start_error` report and is tried again after the
 *   messages already queued (OTP's `try_again_restart`); each try counts against the intensity,
 *   so a child that cannot start again ends in the supervisor's shutdown. Meanwhile the child
 *   shows as `"restarting"` in {@link whichChildren}; the other children of its group that are
 *   not running (the ones waiting to start after it, or one whose start returned `ignore`) show
 *   as not running, as in OTP, and the retry starts the group again.
 * - Shutdown: children are stopped in reverse start order, each by its `shutdown`
 *   (`brutalKill`, a timeout in ms then `kill`, or `infinity`). A child that ends with another
 *   reason than its shutdown asks for (killed when its time ran out, or crashed) gets a
 *   `shutdown_error` report.
 * - Significant children must be `transient` or `temporary` and need an `autoShutdown` other
 *   than `never` (OTP's `bad_combination`); otherwise the spec is `InvalidChildSpec`.
 * - `autoShutdown` (`never`, `anySignificant`, `allSignificant`): with significant children,
 *   the supervisor shuts itself down (reason `shutdown`) when any, or all, of them have exited
 *   without being restarted.
 * - Supervisors nest: a supervisor is a child like any other (its spec from {@link childSpec}).
 * - A supervisor's exit is seen by its links and monitors only once its children are gone, however
 *   it ends (see below for `kill`), so a parent restarting it never meets a name or a `Registry`
 *   key still held by one of the old children, at any depth.
 *
 * ## Reports
 *
 * Errors logged through Effect's logger, annotated `report: "supervisor"`, the supervisor's pid,
 * the child's id, `reason`, `action` and `context`, OTP's error context: `child_terminated` (an
 * abnormal exit; `action` says whether it is restarted), `start_error` (a restart failed; tried
 * again), `shutdown` (`reason: "reached_max_restart_intensity"`: the supervisor gives up, and
 * its message says "reached max restart intensity") and `shutdown_error`. A child started with a
 * name (a local name, or a via name such as a `Registry` key, shown `via(key)`) is named by it
 * in the message and in a `name` annotation: `child room named via(lobby) terminated (Crash)`.
 * A started child gets a `progress` report at `Debug`.
 *
 * ## Where it differs from OTP
 *
 * - The children and flags are values given to {@link start} (Elixir's style), not the result
 *   of a callback module's `init`.
 * - `backoff` (an Effect `Schedule`, optional) delays each restart of a child by the schedule's
 *   next delay; OTP restarts at once. A child waiting for its backoff is `"restarting"` in
 *   {@link whichChildren}. Restarts still count against the intensity when they happen.
 * - Management errors are typed: `AlreadyStarted`, {@link AlreadyPresent}, {@link NotFound},
 *   {@link NotStopped}, {@link StartChildFailed}, `InvalidChildSpec`.
 * - `brutalKill` cannot cut an Effect uninterruptible region short: a child's running finalizer
 *   finishes first. The supervisor waits for the child to be gone either way.
 * - A killed supervisor (`kill`, which nothing traps) still stops its children before its exit
 *   is seen: each gets the supervisor's exit reason as its parent's exit signal (`killed`; a
 *   child trapping exits sees its parent's `Exit` and runs `terminate`), bounded by its own
 *   `shutdown` (then `kill`; `brutalKill` at once; `infinity` waits), and a child whose start
 *   was under way is stopped too. OTP lets the link signal reach the children while the parent
 *   already restarts the supervisor: in OTP 25, killing a supervisor whose named workers trap
 *   exits makes the replacement's start fail with `already_started` on every try, and the
 *   parent gives up. Here that restart always succeeds. The price: a supervisor's exit (even
 *   by `kill` or `brutalKill` from its own parent) takes as long as its children take to stop,
 *   each bounded by its own `shutdown`; a second `kill` does not cut that short.
 * - An exit signal from a process that is neither the parent nor a child is ignored, as OTP's.
 * - {@link whichChildren} lists the children in start order; OTP's `which_children` lists the
 *   most recently started first.
 * - `period` is any `Duration` of whole milliseconds (OTP: whole seconds). The default intensity
 *   is OTP's 1 in 5 s; Elixir's `Supervisor.init` defaults to 3 in 5 s.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import { identity } from "effect/Function"
import * as Rpc from "effect/rpc/Rpc"
import type * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { AlreadyStarted, BadArgument } from "../lib/Errors.js"
import type { CallError, UnknownRequest } from "../lib/Errors.js"
import * as ExitReason from "../lib/ExitReason.js"
import * as Gen from "../lib/Gen.js"
import type { Node } from "../lib/Node.js"
import type { Pid } from "../lib/Pid.js"
import * as Process from "../lib/Process.js"
import { format } from "../lib/internal/format.js"
import { isInstance } from "../lib/internal/identity.js"
import { traceRestart } from "../lib/internal/telemetry.js"
import * as ChildSpec from "./ChildSpec.js"
import * as GenServer from "./GenServer.js"
import {
  Backoff,
  checkBackoff,
  checkChoice,
  checkRestartFlags,
  checkSpec,
  checkSpecs,
  countRestart,
  decide,
  errorSchema,
  holdChildren,
  Intensity,
  PidSchema,
  restartFailed,
  type Running as RunningChild,
  shutdown,
  type Started,
  type Starts,
  startSpec,
  startSpecWith
} from "./internal/children.js"

// ----------------------------------------------------------------------------
// Errors
// ----------------------------------------------------------------------------

/**
 * `startChild` with the id of a child that is not running (its spec is kept).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process, Supervisor } from "effect-otp"
 *
 * declare const sup: Supervisor.Supervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const again = Supervisor.startChild(sup, ChildSpec.worker("cache", startWorker)).pipe(
 *   Effect.catchTag("AlreadyPresent", (e) => Supervisor.restartChild(sup, e.id))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class AlreadyPresent extends Data.Error<{ readonly id: string }> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "AlreadyPresent"
  static {
    this.prototype.name = "AlreadyPresent"
  }
  /** The human-readable message, naming the child. */
  override get message(): string {
    return `child ${quote(this.id)} is already present`
  }
}

/**
 * No child with this id.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process, Supervisor } from "effect-otp"
 *
 * declare const sup: Supervisor.Supervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const stopIfThere = Supervisor.terminateChild(sup, "cache").pipe(Effect.catchTag("NotFound", () => Effect.void))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class NotFound extends Data.Error<{ readonly id: string }> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "NotFound"
  static {
    this.prototype.name = "NotFound"
  }
  /** The human-readable message, naming the id. */
  override get message(): string {
    return `no child ${quote(this.id)}`
  }
}

/**
 * `restartChild` or `deleteChild` of a child that is not stopped: it is running, or waiting for
 * its restart (OTP's `{error, running}` and `{error, restarting}`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Supervisor } from "effect-otp"
 *
 * const remove = (sup: Supervisor.Supervisor, id: string) =>
 *   Supervisor.deleteChild(sup, id).pipe(
 *     Effect.catchTag("NotStopped", (e) => Effect.log(`child ${e.id} is ${e.state}: stop it first`))
 *   )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class NotStopped extends Data.Error<{
  /** The id of the child. */
  readonly id: string
  /** Why it cannot be restarted or deleted now: it runs, or it waits for its restart. */
  readonly state: "running" | "restarting"
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "NotStopped"
  static {
    this.prototype.name = "NotStopped"
  }
  /** The human-readable message, naming the child. */
  override get message(): string {
    return `child ${quote(this.id)} is ${this.state}`
  }
}

/**
 * A child's start failed (`startChild`, `restartChild`); `reason` is what its start failed with.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process, Supervisor } from "effect-otp"
 *
 * declare const sup: Supervisor.Supervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const add = Supervisor.startChild(sup, ChildSpec.worker("cache", startWorker)).pipe(
 *   Effect.catchTag("StartChildFailed", (e) => Effect.log(`child ${e.id} failed to start`, e.reason))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class StartChildFailed extends Data.Error<{
  /** The id of the child whose start failed (`?` when a DynamicSupervisor's spec function threw). */
  readonly id: string
  /** What the child's start failed with: its typed error (e.g. `InitFailed`), or a `Crash` with the cause of a defect. */
  readonly reason: unknown
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "StartChildFailed"
  static {
    this.prototype.name = "StartChildFailed"
  }
  /** The human-readable message, naming the child and the reason. */
  override get message(): string {
    return `child ${quote(this.id)} failed to start: ${describe(this.reason)}`
  }
}

/**
 * The value of the `shutdown` reason a supervisor's start fails with when a child fails to
 * start: OTP's `{shutdown, {failed_to_start_child, Id, Reason}}`.
 *
 * @example
 * ```ts
 * import { ExitReason, Supervisor } from "effect-otp"
 *
 * // What a supervisor whose start failed exits with: shutdown carrying the child and the reason.
 * const failedChild = (reason: ExitReason.ExitReason) =>
 *   reason._tag === "Shutdown" && reason.reason instanceof Supervisor.FailedToStartChild ? reason.reason.id : undefined
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class FailedToStartChild extends Data.Class<{
  /** The id of the child that failed to start. */
  readonly id: string
  /** What its start failed with: its typed error (e.g. `InitFailed`), or a `Crash` with the cause of a defect. */
  readonly reason: unknown
}> {
  /** The tag that tells this value apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "FailedToStartChild"
}

/** An id as the messages show it: quoted when a string; never throws (an untyped caller's id may be anything). */
const quote = (id: unknown): string => {
  if (typeof id === "string") return JSON.stringify(id)
  try {
    return String(id)
  } catch {
    return typeof id
  }
}

const describe = (reason: unknown): string =>
  ExitReason.isExitReason(reason) ? ExitReason.format(reason) : reason instanceof Error ? reason.message : quote(reason)

// ----------------------------------------------------------------------------
// Flags and models
// ----------------------------------------------------------------------------


/**
 * Options of {@link start}: the supervisor flags, with OTP's defaults, plus a name and the start
 * timeout.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options extends Gen.StartOptions {
  /**
   * Which children a crash restarts (default `oneForOne`): `oneForOne` the crashed child,
   * `oneForAll` all children, `restForOne` the crashed child and those started after it.
   */
  readonly strategy?: "oneForOne" | "oneForAll" | "restForOne" | undefined
  /** Most restarts allowed within `period` (default 1). */
  readonly intensity?: number | undefined
  /** The intensity window (default 5 seconds). */
  readonly period?: Duration.Input | undefined
  /**
   * Whether the exit of significant children stops the supervisor (default `never`):
   * `anySignificant` when one of them ends, `allSignificant` when all have.
   */
  readonly autoShutdown?: "never" | "anySignificant" | "allSignificant" | undefined
  /** Delays each restart of a child by the schedule's next delay (input: the exit reason). */
  readonly backoff?: Schedule.Schedule<unknown, ExitReason.ExitReason> | undefined
}

/** The supervisor flags, as the engine reads them. */
type Flags = Options
type Strategy = NonNullable<Flags["strategy"]>
type AutoShutdown = NonNullable<Flags["autoShutdown"]>

/**
 * One child as {@link whichChildren} reports it. `pid` is `undefined` when the child is not
 * running, `"restarting"` while it waits for a restart.
 *
 * @category models
 * @since 0.1.0
 */
export interface ChildInfo {
  /** The child's id, from its spec. */
  readonly id: string
  /** Its pid while running, `"restarting"` while it waits for a restart, `undefined` when not running. */
  readonly pid: Pid | "restarting" | undefined
  /** `worker` or `supervisor`, from its spec. */
  readonly type: ChildSpec.ChildSpec["type"]
  /** The behaviour modules it runs, from its spec. */
  readonly modules: ReadonlyArray<string>
}


// ----------------------------------------------------------------------------
// Protocol
// ----------------------------------------------------------------------------

const SpecSchema = Schema.declare<ChildSpec.ChildSpec<any>>((u): u is ChildSpec.ChildSpec<any> =>
  typeof u === "object" && u !== null
)
const InfoSchema = Schema.declare<ChildInfo>((u): u is ChildInfo => typeof u === "object" && u !== null)
type Counts = {
  /** All children, running or not. */
  readonly specs: number
  /** Children running now. */
  readonly active: number
  /** Children of type `supervisor`, running or not. */
  readonly supervisors: number
  /** Children of type `worker`, running or not. */
  readonly workers: number
}
const CountsSchema = Schema.declare<Counts>((u): u is Counts => typeof u === "object" && u !== null)
const Id = { id: Schema.String }
const err = errorSchema

const StartChild = Rpc.make("StartChild", {
  payload: { spec: SpecSchema },
  success: Schema.UndefinedOr(PidSchema),
  error: Schema.Union([err(AlreadyStarted), err(AlreadyPresent), err(ChildSpec.InvalidChildSpec), err(StartChildFailed)])
})
const TerminateChild = Rpc.make("TerminateChild", { payload: Id, error: err(NotFound) })
const RestartChild = Rpc.make("RestartChild", {
  payload: Id,
  success: Schema.UndefinedOr(PidSchema),
  error: Schema.Union([err(NotFound), err(NotStopped), err(StartChildFailed)])
})
const DeleteChild = Rpc.make("DeleteChild", {
  payload: Id,
  error: Schema.Union([err(NotFound), err(NotStopped)])
})
const WhichChildren = Rpc.make("WhichChildren", { success: Schema.Array(InfoSchema) })
const CountChildren = Rpc.make("CountChildren", { success: CountsSchema })
const GetChildspec = Rpc.make("GetChildspec", { payload: Id, success: SpecSchema, error: err(NotFound) })

// ----------------------------------------------------------------------------
// State
// ----------------------------------------------------------------------------

interface Child {
  spec: ChildSpec.ChildSpec<any>
  pid: Pid | undefined
  /** Waiting for a (backed-off or retried) restart; the number tells stale timers apart. */
  restarting: number | undefined
  backoff: Backoff | undefined
}

/** The supervisor's private state (mutable: it never leaves the supervisor's process). */
interface State extends Starts {
  readonly strategy: Strategy
  readonly autoShutdown: AutoShutdown
  readonly intensity: Intensity
  readonly backoff: Schedule.Schedule<unknown, ExitReason.ExitReason> | undefined
  readonly children: Array<Child>
  readonly byPid: Map<Pid, Child>
  generation: number
}

/**
 * A restart that is due, sent by the supervisor to itself: after a backoff (`retry` undefined:
 * the restart was counted when the child exited), or after a restart whose start failed
 * (`retry`: the failure, so the new attempt counts against the intensity, as OTP's
 * `try_again_restart`).
 */
class RestartDue {
  constructor(readonly id: string, readonly generation: number, readonly retry: ExitReason.ExitReason | undefined) {}
}

interface Init {
  readonly children: ReadonlyArray<ChildSpec.ChildSpec<any>>
  readonly flags: Flags
}

const operation = "Supervisor.start"
const strategies: ReadonlyArray<Strategy> = ["oneForOne", "oneForAll", "restForOne"]
const autoShutdowns: ReadonlyArray<AutoShutdown> = ["never", "anySignificant", "allSignificant"]

/** Checks the flags as OTP's `check_flags` does (the restart window is checked by the shared engine). */
const checkFlags = (flags: unknown): BadArgument | undefined =>
  checkChoice(operation, flags, "strategy", strategies) ??
    checkChoice(operation, flags, "autoShutdown", autoShutdowns) ??
    checkRestartFlags(operation, flags) ??
    checkBackoff(operation, flags)

// ----------------------------------------------------------------------------
// Starting and stopping children
// ----------------------------------------------------------------------------

/** A child's start went through: it runs under `pid` now. */
const launched = (state: State, child: Child, pid: Pid): void => {
  child.pid = pid
  child.restarting = undefined
  state.byPid.set(pid, child)
}

const launch = (state: State, child: Child): Effect.Effect<Started, never, any> =>
  startSpecWith<Started>(state, child.spec, (pid) => {
    launched(state, child, pid)
    return { _tag: "Started", pid }
  }, identity)

/**
 * Stops a running child by its shutdown. It stays in the table (with its pid) until it is gone,
 * so that the supervisor's exit hold still stops it if the supervisor is killed meanwhile.
 */
const stopChild = (state: State, child: Child): Effect.Effect<void, never, Process.CurrentProcess> => {
  const pid = child.pid
  child.restarting = undefined
  if (pid === undefined) return Effect.void
  return Effect.map(shutdown([child as RunningChild]), () => {
    state.byPid.delete(pid)
    if (child.pid === pid) child.pid = undefined
  })
}

/** The running children, last started first (the order the exit hold signals them in). */
function* runningChildren(state: State): Generator<RunningChild> {
  for (let i = state.children.length - 1; i >= 0; i--) {
    const child = state.children[i]!
    if (child.pid !== undefined) yield child as RunningChild
  }
}

/** Stops `children` in reverse order; temporary ones are removed from the supervisor. */
const stopInReverse = (state: State, children: ReadonlyArray<Child>): Effect.Effect<void, never, Process.CurrentProcess> =>
  children.length === 0 ? Effect.void : Effect.gen({ self: { state, children } }, stopInReverseBody)

function* stopInReverseBody(this: { readonly state: State; readonly children: ReadonlyArray<Child> }) {
  const { children, state } = this
  for (let i = children.length - 1; i >= 0; i--) {
    const child = children[i]!
    yield* stopChild(state, child)
    if (child.spec.restart === "temporary") remove(state, child)
  }
}

const remove = (state: State, child: Child) => {
  const index = state.children.indexOf(child)
  if (index >= 0) state.children.splice(index, 1)
  if (child.pid !== undefined) state.byPid.delete(child.pid)
}

// ----------------------------------------------------------------------------
// The module
// ----------------------------------------------------------------------------

const shutdownReason = ExitReason.shutdown()

/**
 * What happens after a child exited: the crash report, then a restart per strategy, or the
 * supervisor shuts down.
 *
 * The restart path runs once per crash, so it is written for speed: the bookkeeping, the report
 * and the intensity check are plain code in one step (`Effect.withFiber`), and restarting one
 * child (`oneForOne`, no backoff) is `traceRestart`'s check, the spec's start and one
 * continuation.
 * The other strategies, the backoff and the shutdown go through generators.
 */
const childExited = (
  state: State,
  child: Child,
  reason: ExitReason.ExitReason
): Effect.Effect<GenServer.CastResult<State>, never, any> =>
  Effect.withFiber((fiber) => {
    const pid = child.pid!
    state.byPid.delete(pid)
    child.pid = undefined
    switch (decide(fiber, state.intensity, child.spec, pid, reason)) {
      case "restart":
        return restart(state, child, reason)
      case "shutdown":
        return giveUp(state)
      case "none": {
        if (child.spec.restart === "temporary") remove(state, child)
        return Effect.succeed(
          child.spec.significant && shouldAutoShutdown(state) ? GenServer.stopWith(shutdownReason, state) : GenServer.noreply(state)
        )
      }
    }
  })

/** Past the intensity: every child stopped in reverse order, then the supervisor exits `shutdown`. */
const giveUp = (state: State): Effect.Effect<GenServer.CastResult<State>, never, Process.CurrentProcess> =>
  Effect.as(stopInReverse(state, state.children), GenServer.stopWith(shutdownReason, state))

const shouldAutoShutdown = (state: State): boolean => {
  if (state.autoShutdown === "anySignificant") return true
  if (state.autoShutdown === "allSignificant") {
    return state.children.every((c) => !c.spec.significant || (c.pid === undefined && c.restarting === undefined))
  }
  return false
}

/** Restarts a child whose restart was counted: now, or after its backoff. */
const restart = (
  state: State,
  child: Child,
  reason: ExitReason.ExitReason
): Effect.Effect<GenServer.CastResult<State>, never, any> => {
  if (state.backoff !== undefined) return Effect.gen({ self: { state, child, reason } }, backoffBody)
  return restartNow(state, child, reason._tag)
}

/** The restart of `child`'s group, in the restart's telemetry span when the node's telemetry is on. */
const restartNow = (state: State, child: Child, reason: string): Effect.Effect<GenServer.CastResult<State>, never, any> =>
  traceRestart({ id: child.spec.id, reason }, restartGroup(state, child))

/** A restart under a backoff: after the schedule's delay, or now when it gives none. */
function* backoffBody(this: { readonly state: State; readonly child: Child; readonly reason: ExitReason.ExitReason }) {
  const { child, reason, state } = this
  // The first restart in a quiet window starts the schedule over.
  if (state.intensity.recent(yield* Clock.currentTimeMillis) === 1) child.backoff?.reset()
  child.backoff ??= new Backoff(state.backoff!)
  const delay = yield* child.backoff.next(reason)
  if (delay > 0) {
    yield* stopGroup(state, child)
    const generation = ++state.generation
    for (const c of group(state, child)) c.restarting = generation
    yield* Process.sendAfter(yield* Process.self, new RestartDue(child.spec.id, generation, undefined), delay).pipe(
      Effect.orDie
    )
    return GenServer.noreply(state)
  }
  return yield* restartNow(state, child, reason._tag)
}

/** The children a restart of `child` concerns, in start order. */
const group = (state: State, child: Child): ReadonlyArray<Child> => {
  switch (state.strategy) {
    case "oneForOne":
      return [child]
    case "oneForAll":
      return [...state.children]
    case "restForOne":
      return state.children.slice(state.children.indexOf(child))
  }
}

/** Stops the running siblings that go down with `child` (reverse order). */
const stopGroup = (state: State, child: Child) =>
  stopInReverse(state, group(state, child).filter((c) => c !== child))

/**
 * A restart of `member` failed: a `start_error` report, and the restart is tried again after the messages
 * already queued (OTP's `try_again_restart`), as a restart of its own: it counts against the
 * intensity, so a child that cannot start again ends in the supervisor's shutdown. Meanwhile
 * `member` shows as restarting; the other children of its group that are not running show as
 * not running, as in OTP (`restart_multiple_children` marks only the child that failed), and the
 * retry starts them again.
 */
const retryLater = (
  fiber: Fiber.Fiber<unknown, unknown>,
  state: State,
  member: Child,
  failure: unknown
): void => {
  const reason = restartFailed(fiber, member.spec, failure)
  const generation = ++state.generation
  member.restarting = generation
  const self = Context.get(fiber.context as Context.Context<Process.CurrentProcess>, Process.CurrentProcess)
  Process.sendUnsafe(self, new RestartDue(member.spec.id, generation, reason))
}

/** Restarts `child` and its group; a failed start is tried again later. */
const restartGroup = (state: State, child: Child): Effect.Effect<GenServer.CastResult<State>, never, any> =>
  state.strategy === "oneForOne" ? restartOne(state, child) : Effect.gen({ self: { state, child } }, restartGroupBody)

/** `oneForOne`: the child alone, in one continuation after its start. */
const restartOne = (state: State, child: Child): Effect.Effect<GenServer.CastResult<State>, never, any> =>
  child.pid !== undefined || !state.children.includes(child)
    ? Effect.succeed(GenServer.noreply(state))
    : startSpecWith(state, child.spec, (pid) => {
      launched(state, child, pid)
      return GenServer.noreply(state)
    }, (started, fiber) => {
      if (started._tag === "Failed") retryLater(fiber, state, child, started.reason)
      return GenServer.noreply(state)
    })

function* restartGroupBody(this: { readonly state: State; readonly child: Child }) {
  const { child, state } = this
  yield* stopGroup(state, child)
  const members = group(state, child).filter((c) => state.children.includes(c))
  for (const member of members) {
    if (member.pid !== undefined) continue
    const started = yield* launch(state, member)
    if (started._tag === "Failed") {
      yield* Effect.withFiber((fiber) => {
        retryLater(fiber, state, member, started.reason)
        return Effect.void
      })
      return GenServer.noreply(state)
    }
  }
  return GenServer.noreply(state)
}

const find = (state: State, id: string): Child | undefined => state.children.find((c) => c.spec.id === id)

const info = (child: Child): ChildInfo => ({
  id: child.spec.id,
  pid: child.pid ?? (child.restarting !== undefined ? "restarting" : undefined),
  type: child.spec.type,
  modules: child.spec.modules
})

function* startChildBody(this: { readonly spec: Rpc.Payload<typeof StartChild>["spec"]; readonly state: State }) {
  const { spec, state } = this
  const invalid = checkSpec(spec, state.autoShutdown)
  if (invalid) return GenServer.replyFailure(invalid, state)
  const existing = find(state, spec.id)
  if (existing !== undefined) {
    return existing.pid !== undefined
      ? GenServer.replyFailure(new AlreadyStarted({ name: spec.id, pid: existing.pid }), state)
      : GenServer.replyFailure(new AlreadyPresent({ id: spec.id }), state)
  }
  const child: Child = { spec, pid: undefined, restarting: undefined, backoff: undefined }
  const started = yield* startSpec(state, spec)
  if (started._tag === "Failed") {
    return GenServer.replyFailure(new StartChildFailed({ id: spec.id, reason: started.reason }), state)
  }
  if (started._tag === "Ignored") {
    if (spec.restart !== "temporary") state.children.push(child)
    return GenServer.reply(undefined, state)
  }
  child.pid = started.pid
  state.children.push(child)
  state.byPid.set(started.pid, child)
  return GenServer.reply(started.pid as Pid | undefined, state)
}

function* terminateChildBody(this: { readonly id: string; readonly state: State }) {
  const { id, state } = this
  const child = find(state, id)
  if (child === undefined) return GenServer.replyFailure(new NotFound({ id }), state)
  yield* stopChild(state, child)
  if (child.spec.restart === "temporary") remove(state, child)
  return GenServer.reply(undefined, state)
}

function* restartChildBody(this: { readonly id: string; readonly state: State }) {
  const { id, state } = this
  const child = find(state, id)
  if (child === undefined) return GenServer.replyFailure(new NotFound({ id }), state)
  if (child.pid !== undefined) return GenServer.replyFailure(new NotStopped({ id, state: "running" }), state)
  if (child.restarting !== undefined) return GenServer.replyFailure(new NotStopped({ id, state: "restarting" }), state)
  const started = yield* launch(state, child)
  if (started._tag === "Failed") {
    return GenServer.replyFailure(new StartChildFailed({ id, reason: started.reason }), state)
  }
  return GenServer.reply(started._tag === "Started" ? started.pid : undefined, state)
}

const SupervisorModule = GenServer.make({
  name: "Supervisor",
  calls: [StartChild, TerminateChild, RestartChild, DeleteChild, WhichChildren, CountChildren, GetChildspec],
  init: ({ children, flags }: Init) =>
    Effect.gen(function*() {
      yield* Process.trapExit(true)
      const state: State = {
        strategy: flags.strategy ?? "oneForOne",
        autoShutdown: flags.autoShutdown ?? "never",
        intensity: new Intensity(flags, 1),
        backoff: flags.backoff,
        children: children.map((spec) => ({ spec, pid: undefined, restarting: undefined, backoff: undefined })),
        byPid: new Map(),
        generation: 0,
        starting: undefined
      }
      // However the supervisor ends, its exit is seen only once its children are gone.
      yield* holdChildren(() => runningChildren(state), state, (pid) => state.byPid.has(pid as Pid))
      const started: Array<Child> = []
      for (const child of [...state.children]) {
        const result = yield* launch(state, child)
        if (result._tag === "Failed") {
          yield* stopInReverse(state, started)
          return GenServer.stopWith(ExitReason.shutdown(new FailedToStartChild({ id: child.spec.id, reason: result.reason })))
        }
        if (result._tag === "Started") started.push(child)
        else if (child.spec.restart === "temporary") remove(state, child)
      }
      return GenServer.ok(state)
    }),
  handleCall: {
    StartChild: ({ spec }, state) =>
      Effect.gen({ self: { spec, state } }, startChildBody),
    TerminateChild: ({ id }, state) =>
      Effect.gen({ self: { id, state } }, terminateChildBody),
    RestartChild: ({ id }, state) =>
      Effect.gen({ self: { id, state } }, restartChildBody),
    DeleteChild: ({ id }, state) => {
      const child = find(state, id)
      if (child === undefined) return GenServer.replyFailure(new NotFound({ id }), state)
      if (child.pid !== undefined) return GenServer.replyFailure(new NotStopped({ id, state: "running" }), state)
      if (child.restarting !== undefined) return GenServer.replyFailure(new NotStopped({ id, state: "restarting" }), state)
      remove(state, child)
      return GenServer.reply(undefined, state)
    },
    WhichChildren: (_, state) => GenServer.reply(state.children.map(info), state),
    CountChildren: (_, state) => {
      let active = 0
      let supervisors = 0
      for (const c of state.children) {
        if (c.pid !== undefined) active++
        if (c.spec.type === "supervisor") supervisors++
      }
      const counts: Counts = { specs: state.children.length, active, supervisors, workers: state.children.length - supervisors }
      return GenServer.reply(counts, state)
    },
    GetChildspec: ({ id }, state) => {
      const child = find(state, id)
      return child === undefined
        ? GenServer.replyFailure(new NotFound({ id }), state)
        : GenServer.reply(child.spec, state)
    }
  },
  handleInfo: (message, state: State) => {
    if (Process.isExitMessage(message)) {
      const child = state.byPid.get(message.from)
      // An exit from a process that is not (or no longer) a child is ignored, as OTP does.
      return child === undefined ? GenServer.noreply(state) : childExited(state, child, message.reason)
    }
    if (isInstance(message, RestartDue)) {
      const due = message as RestartDue
      const child = find(state, due.id)
      if (child === undefined || child.restarting !== due.generation) return GenServer.noreply(state)
      const retry = due.retry
      if (retry === undefined) return restartNow(state, child, "backoff")
      // A new try after a failed restart counts against the intensity, as OTP's
      // `try_again_restart`.
      return Effect.withFiber((fiber) =>
        countRestart(fiber, state.intensity, child.spec) > 0 ? restart(state, child, retry) : giveUp(state)
      )
    }
    // Formatted here (it never throws): a logger given the raw value may fail on it (a revoked Proxy).
    return Effect.as(Effect.logWarning(`supervisor: unexpected message ${format(message)}`), GenServer.noreply(state))
  },
  terminate: (_reason, state) => stopInReverse(state, state.children),
  formatStatus: (state) => ({
    strategy: state.strategy,
    children: state.children.map(info)
  })
})

/**
 * A running supervisor, as {@link start} returns it: its pid (or name) for this module's
 * functions, `Sys` and links. Its protocol is private: manage it with {@link startChild},
 * {@link whichChildren} and the other functions of this module.
 *
 * @category models
 * @since 0.1.0
 */
export interface Supervisor extends GenServer.Server<"Supervisor"> {}


const toServer = (ref: Supervisor | Gen.Target): GenServer.Server<typeof SupervisorModule> =>
  GenServer.ref(SupervisorModule, typeof ref === "object" && "target" in ref ? ref.target : ref)


/**
 * Checks the children and flags; nothing is started when they are malformed.
 */
const check = (children: ReadonlyArray<ChildSpec.ChildSpec<any>>, flags: Flags | undefined) =>
  Effect.suspend(() => {
    const bad = checkFlags(flags) ?? checkSpecs(operation, children, autoShutdownOf(flags))
    return bad === undefined ? Effect.void : Effect.fail(bad)
  })

const autoShutdownOf = (flags: Flags | undefined): AutoShutdown =>
  typeof flags === "object" && flags !== null ? flags.autoShutdown ?? "never" : "never"

const initOf = (children: ReadonlyArray<ChildSpec.ChildSpec<any>>, options: Options | undefined): Init => ({
  children,
  flags: typeof options === "object" && options !== null ? options : {}
})

/** As OTP's supervisor: no start timeout unless one is given (`gen_server`'s default is `infinity`). */
const startOptions = (options: Options | undefined): Gen.StartOptions =>
  typeof options === "object" && options !== null
    ? { name: options.name, timeout: options.timeout ?? "infinity" }
    : { timeout: "infinity" }

/**
 * Starts a supervisor (not linked to the caller) with `children`, in order. Fails with
 * `InvalidChildSpec` or `BadArgument` (bad flags) before anything starts, or with `InitFailed`
 * when a child fails to start (see the module doc).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process, Supervisor } from "effect-otp"
 *
 * declare const sup: Supervisor.Supervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const tree = Supervisor.start([ChildSpec.worker("a", startWorker), ChildSpec.worker("b", startWorker)], {
 *   strategy: "oneForAll",
 *   intensity: 3,
 *   period: "10 seconds"
 * })
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const start = <R = never>(
  children: ReadonlyArray<ChildSpec.ChildSpec<R>>,
  options?: Options
): Effect.Effect<Supervisor, Gen.StartError | ChildSpec.InvalidChildSpec | BadArgument, Node | R> =>
  Effect.andThen(check(children, options), GenServer.start(SupervisorModule, initOf(children, options), startOptions(options))) as any

/**
 * Starts a supervisor linked to the calling process (how a parent supervisor starts it).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process, Supervisor } from "effect-otp"
 *
 * declare const sup: Supervisor.Supervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * // Inside a process (an application's start, a parent supervisor's child spec):
 * const root = Supervisor.startLink([ChildSpec.worker("a", startWorker)], { name: "root" })
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const startLink = <R = never>(
  children: ReadonlyArray<ChildSpec.ChildSpec<R>>,
  options?: Options
): Effect.Effect<Supervisor, Gen.StartError | ChildSpec.InvalidChildSpec | BadArgument, Node | Process.CurrentProcess | R> =>
  Effect.andThen(check(children, options), GenServer.startLink(SupervisorModule, initOf(children, options), startOptions(options))) as any

/**
 * The child spec of a supervisor, to nest it in another: type `supervisor`, shutdown
 * `infinity` unless overridden.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process, Supervisor } from "effect-otp"
 *
 * declare const sup: Supervisor.Supervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const subtree = Supervisor.childSpec("workers", [ChildSpec.worker("a", startWorker)], { strategy: "restForOne" })
 * const top = Supervisor.start([subtree])
 * ```
 *
 * @category child specs
 * @since 0.1.0
 */
export const childSpec = <R = never>(
  id: string,
  children: ReadonlyArray<ChildSpec.ChildSpec<R>>,
  options?: Options & ChildSpec.Options
): ChildSpec.ChildSpec<R> =>
  ChildSpec.supervisor(
    id,
    Effect.map(startLink(children, options), (sup) => sup.pid!),
    options
  ) as ChildSpec.ChildSpec<R>

/**
 * Adds a child and starts it. Returns its pid, or `undefined` if its start returned `ignore`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process, Supervisor } from "effect-otp"
 *
 * declare const sup: Supervisor.Supervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const added = Supervisor.startChild(sup, ChildSpec.worker("late", startWorker)) // its pid
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const startChild = (
  supervisor: Supervisor | Gen.Target,
  spec: ChildSpec.ChildSpec<any>
): Effect.Effect<
  Pid | undefined,
  AlreadyStarted | AlreadyPresent | ChildSpec.InvalidChildSpec | StartChildFailed | CallError | UnknownRequest
> => GenServer.call(toServer(supervisor), StartChild, { spec }, { timeout: "infinity" })

/**
 * Stops a child (by its shutdown), keeping its spec (a temporary child's is removed).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process, Supervisor } from "effect-otp"
 *
 * declare const sup: Supervisor.Supervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const pause = Supervisor.terminateChild(sup, "cache") // stopped; its spec is kept
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const terminateChild = (supervisor: Supervisor | Gen.Target, id: string): Effect.Effect<void, NotFound | CallError | UnknownRequest> =>
  GenServer.call(toServer(supervisor), TerminateChild, { id }, { timeout: "infinity" })

/**
 * Starts again a child that is not running.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process, Supervisor } from "effect-otp"
 *
 * declare const sup: Supervisor.Supervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const resume = Supervisor.restartChild(sup, "cache") // after terminateChild
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const restartChild = (
  supervisor: Supervisor | Gen.Target,
  id: string
): Effect.Effect<Pid | undefined, NotFound | NotStopped | StartChildFailed | CallError | UnknownRequest> =>
  GenServer.call(toServer(supervisor), RestartChild, { id }, { timeout: "infinity" })

/**
 * Removes the spec of a child that is not running.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process, Supervisor } from "effect-otp"
 *
 * declare const sup: Supervisor.Supervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const forget = Effect.andThen(Supervisor.terminateChild(sup, "cache"), Supervisor.deleteChild(sup, "cache"))
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const deleteChild = (supervisor: Supervisor | Gen.Target, id: string): Effect.Effect<void, NotFound | NotStopped | CallError | UnknownRequest> =>
  GenServer.call(toServer(supervisor), DeleteChild, { id }, { timeout: "infinity" })

/**
 * The children, in start order.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process, Supervisor } from "effect-otp"
 *
 * declare const sup: Supervisor.Supervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const ids = Effect.map(Supervisor.whichChildren(sup), (children) => children.map((c) => c.id))
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const whichChildren = (supervisor: Supervisor | Gen.Target): Effect.Effect<ReadonlyArray<ChildInfo>, CallError | UnknownRequest> =>
  GenServer.call(toServer(supervisor), WhichChildren, undefined, { timeout: "infinity" })

/**
 * Counts of specs, running children, supervisors and workers.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process, Supervisor } from "effect-otp"
 *
 * declare const sup: Supervisor.Supervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const active = Effect.map(Supervisor.countChildren(sup), (counts) => counts.active)
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const countChildren = (supervisor: Supervisor | Gen.Target): Effect.Effect<
  {
    /** All children, running or not. */
    readonly specs: number
    /** Children running now. */
    readonly active: number
    /** Children of type `supervisor`, running or not. */
    readonly supervisors: number
    /** Children of type `worker`, running or not. */
    readonly workers: number
  },
  CallError | UnknownRequest
> =>
  GenServer.call(toServer(supervisor), CountChildren, undefined, { timeout: "infinity" })

/**
 * A child's spec.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process, Supervisor } from "effect-otp"
 *
 * declare const sup: Supervisor.Supervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const restartType = Effect.map(Supervisor.getChildspec(sup, "cache"), (spec) => spec.restart)
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const getChildspec = (supervisor: Supervisor | Gen.Target, id: string): Effect.Effect<ChildSpec.ChildSpec<any>, NotFound | CallError | UnknownRequest> =>
  GenServer.call(toServer(supervisor), GetChildspec, { id }, { timeout: "infinity" })

/**
 * Stops a supervisor: its children are stopped in reverse order first.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process, Supervisor } from "effect-otp"
 *
 * declare const sup: Supervisor.Supervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const shutdownTree = Supervisor.stop(sup) // children stop in reverse start order
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const stop = (supervisor: Supervisor | Gen.Target, reason: ExitReason.ExitReason = ExitReason.normal): Effect.Effect<void, CallError> =>
  GenServer.stop(toServer(supervisor), { reason })
