/**
 * DynamicSupervisor: a supervisor that starts no children of its own and takes them on demand,
 * Elixir's `DynamicSupervisor` (OTP's `simple_one_for_one`).
 *
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { DynamicSupervisor, GenServer, Node } from "effect-otp"
 *
 * const Get = Rpc.make("Get", { success: Schema.String })
 * const Session = GenServer.make({
 *   name: "Session",
 *   calls: [Get],
 *   init: (user: string) => GenServer.ok(user),
 *   handleCall: { Get: (_, user) => GenServer.reply(user, user) }
 * })
 *
 * const program = Effect.gen(function*() {
 *   const sessions = yield* DynamicSupervisor.start({ maxChildren: 10_000 })
 *   const pid = yield* DynamicSupervisor.startChild(sessions, GenServer.childSpec(Session, "ada"))
 *   return yield* DynamicSupervisor.countChildren(sessions) // { specs: 1, active: 1, ... }
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * ## Rules
 *
 * - Children are independent (`oneForOne`); each keeps the restart type and shutdown of its
 *   spec, with the same meaning as in `Supervisor`. The restart engine is `Supervisor`'s: the
 *   same checks of the flags and specs, the same intensity window, the same reports
 *   (`child_terminated`, `start_error`, `reached_max_restart_intensity`, `shutdown_error`), which
 *   name a child by its local or via name (a `Registry` key) when it has one, since children
 *   of one spec share its id.
 *   More than `intensity` restarts within `period` stops every child and exits the supervisor
 *   with `shutdown`. The default is Elixir's DynamicSupervisor's 3 restarts in 5 s (OTP's
 *   `simple_one_for_one` defaults to 1, as `Supervisor` does).
 * - A child is addressed by its pid (ids need not be unique). A restarted child has a new pid.
 * - `maxChildren` (default unlimited) bounds the children, those waiting for a restart included
 *   (as Elixir's); `startChild` past it fails with {@link MaxChildren}.
 * - `extraArguments`: a value given to the supervisor at start, passed to every child whose spec
 *   is given as a function of it, OTP's extra start arguments (`startChild(sup, (extra) => spec)`).
 * - Stopping the supervisor stops all its children at once (every child gets its signal, and
 *   each is killed when its own shutdown time is up, as Elixir's `terminate_children`), not one
 *   by one: that is what makes shutting down 100k children fast.
 * - Its exit is seen only once its children are gone, however it ends, even killed (see
 *   `Supervisor`): a parent restarting it never meets a name its old children still hold.
 *
 * ## Where it differs from Elixir and OTP
 *
 * - No `autoShutdown`, so a `significant` child is `InvalidChildSpec`, as OTP rejects it under
 *   `auto_shutdown => never` (Elixir's DynamicSupervisor ignores the key).
 * - A shutdown of `0` ms is accepted, as OTP does (Elixir's DynamicSupervisor asks for more).
 * - {@link whichChildren} reports each child's id from its spec (Elixir: `:undefined`).
 * - A child whose restart returns `ignore` is forgotten, as Elixir's DynamicSupervisor does;
 *   OTP 25's `simple_one_for_one` keeps it as a child without a pid for good (and, holding one,
 *   crashes with `function_clause` when it later shuts down past its intensity, where this one
 *   exits `shutdown`).
 * - {@link terminateChild} of a pid that has already exited is {@link NotAChild}, as Elixir's
 *   `{:error, :not_found}`; OTP's `simple_one_for_one` answers `ok` for any dead pid.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Rpc from "effect/rpc/Rpc"
import * as Schema from "effect/Schema"
import { BadArgument } from "../lib/Errors.js"
import type { CallError, UnknownRequest } from "../lib/Errors.js"
import * as ExitReason from "../lib/ExitReason.js"
import type * as Gen from "../lib/Gen.js"
import type { Node } from "../lib/Node.js"
import type { Pid } from "../lib/Pid.js"
import * as Process from "../lib/Process.js"
import { format } from "../lib/internal/format.js"
import { isInstance } from "../lib/internal/identity.js"
import { traceRestart } from "../lib/internal/telemetry.js"
import * as ChildSpec from "./ChildSpec.js"
import * as GenServer from "./GenServer.js"
import {
  checkRestartFlags,
  checkSpec,
  countRestart,
  decide,
  errorSchema,
  holdChildren,
  Intensity,
  PidSchema,
  restartFailed,
  type Running,
  shutdown,
  shutdownChild,
  type Starts,
  startSpec,
  startSpecWith
} from "./internal/children.js"
import type { ChildInfo } from "./Supervisor.js"
import { StartChildFailed } from "./Supervisor.js"

/**
 * `startChild` when the supervisor already has `maxChildren` children.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, DynamicSupervisor, Pid, Process } from "effect-otp"
 *
 * declare const pool: DynamicSupervisor.DynamicSupervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const add = DynamicSupervisor.startChild(pool, ChildSpec.worker("conn", startWorker)).pipe(
 *   Effect.catchTag("MaxChildren", (e) => Effect.log(`pool full (${e.max})`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class MaxChildren extends Data.Error<{ readonly max: number }> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "MaxChildren"
  static {
    this.prototype.name = "MaxChildren"
  }
  /** The human-readable message, with the maximum. */
  override get message(): string {
    return `the dynamic supervisor already has its maximum of ${this.max} children`
  }
}

/**
 * `terminateChild` of a pid that is not a child.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, DynamicSupervisor, Pid, Process } from "effect-otp"
 *
 * declare const pool: DynamicSupervisor.DynamicSupervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const drop = (pid: Pid.Pid) =>
 *   DynamicSupervisor.terminateChild(pool, pid).pipe(Effect.catchTag("NotAChild", () => Effect.void))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class NotAChild extends Data.Error<{ readonly pid: Pid }> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "NotAChild"
  static {
    this.prototype.name = "NotAChild"
  }
  /** The human-readable message, naming the pid. */
  override get message(): string {
    return `${String(this.pid)} is not a child of this supervisor`
  }
}

/**
 * Options of {@link start}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options<X = undefined> extends Gen.StartOptions {
  /** Most children at once (default unlimited). */
  readonly maxChildren?: number | undefined
  /** Most restarts within `period` (default 3, as Elixir's DynamicSupervisor). */
  readonly intensity?: number | undefined
  /** Default 5 seconds. */
  readonly period?: Duration.Input | undefined
  /** Passed to every child spec given as a function. */
  readonly extraArguments?: X | undefined
}

// ----------------------------------------------------------------------------
// Protocol
// ----------------------------------------------------------------------------

const SpecSchema = Schema.declare<ChildSpec.ChildSpec<any> | ((extra: any) => ChildSpec.ChildSpec<any>)>(
  (u): u is ChildSpec.ChildSpec<any> => (typeof u === "object" && u !== null) || typeof u === "function"
)
const err = errorSchema

const StartChild = Rpc.make("StartChild", {
  payload: { spec: SpecSchema },
  success: Schema.UndefinedOr(PidSchema),
  error: Schema.Union([err(MaxChildren), err(ChildSpec.InvalidChildSpec), err(StartChildFailed)])
})
const TerminateChild = Rpc.make("TerminateChild", { payload: { pid: PidSchema }, error: err(NotAChild) })
const WhichChildren = Rpc.make("WhichChildren", {
  success: Schema.Array(Schema.declare<ChildInfo>((u): u is ChildInfo => typeof u === "object" && u !== null))
})
const CountChildren = Rpc.make("CountChildren", {
  success: Schema.declare<Effect.Success<ReturnType<typeof countChildren>>>((u): u is Effect.Success<ReturnType<typeof countChildren>> => typeof u === "object" && u !== null)
})

// ----------------------------------------------------------------------------
// State
// ----------------------------------------------------------------------------

interface Child {
  readonly spec: ChildSpec.ChildSpec<any>
  pid: Pid | undefined
}

interface State extends Starts {
  readonly max: number
  readonly intensity: Intensity
  readonly extra: unknown
  /** Running children by pid, in start order. */
  readonly running: Map<Pid, Child>
  /** Children whose restart failed and is retried. */
  readonly restarting: Set<Child>
}

interface Init {
  readonly options: Options<unknown>
}

class RetryRestart {
  constructor(readonly child: Child) {}
}

const shutdownReason = ExitReason.shutdown()

/**
 * A child exited: the same path as in `Supervisor` (the shared engine's `decide`: the report,
 * the restart type, the intensity), then a restart of that child alone, or the give-up. The
 * restart is plain code in one step plus the child's start and one continuation.
 */
const childExited = (state: State, child: Child, reason: ExitReason.ExitReason) =>
  Effect.withFiber((fiber) => {
    const pid = child.pid!
    state.running.delete(pid)
    child.pid = undefined
    switch (decide(fiber, state.intensity, child.spec, pid, reason)) {
      case "restart":
        return restart(state, child)
      case "shutdown":
        return giveUp(state)
      case "none":
        return Effect.succeed(GenServer.noreply(state))
    }
  })

/** Past the intensity: every child stopped (each by its shutdown), then the supervisor exits `shutdown`. */
const giveUp = (state: State): Effect.Effect<GenServer.CastResult<State>, never, Process.CurrentProcess> =>
  Effect.as(stopAll(state), GenServer.stopWith(shutdownReason, state))

/** Starts a child again (its restart was counted); a failed start is tried again later. */
const restart = (state: State, child: Child): Effect.Effect<GenServer.CastResult<State>, never, any> => {
  state.restarting.delete(child)
  const start = startSpecWith(state, child.spec, (pid) => {
    child.pid = pid
    state.running.set(pid, child)
    return GenServer.noreply(state)
  }, (started, fiber) => {
    if (started._tag === "Failed") {
      restartFailed(fiber, child.spec, started.reason)
      state.restarting.add(child)
      const self = Context.get(fiber.context as Context.Context<Process.CurrentProcess>, Process.CurrentProcess)
      Process.sendUnsafe(self, new RetryRestart(child))
    }
    return GenServer.noreply(state)
  })
  return traceRestart({ id: child.spec.id }, start)
}

/** Stops every child at once, each by its own shutdown; they are forgotten once gone. */
const stopAll = (state: State): Effect.Effect<void, never, Process.CurrentProcess> => {
  state.restarting.clear()
  if (state.running.size === 0) return Effect.void
  return Effect.map(shutdown([...state.running.values()] as Array<Running>), () => state.running.clear())
}

const info = (child: Child): ChildInfo => ({
  id: child.spec.id,
  pid: child.pid ?? "restarting",
  type: child.spec.type,
  modules: child.spec.modules
})

function* startChildBody(this: { readonly given: Rpc.Payload<typeof StartChild>["spec"]; readonly state: State }) {
  const { given, state } = this
  if (state.running.size + state.restarting.size >= state.max) {
    return GenServer.replyFailure(new MaxChildren({ max: state.max }), state)
  }
  let spec: ChildSpec.ChildSpec<any>
  try {
    spec = typeof given === "function" ? given(state.extra) : given
  } catch (error) {
    return GenServer.replyFailure(new StartChildFailed({ id: "?", reason: error }), state)
  }
  // A DynamicSupervisor has no auto-shutdown: a significant child is rejected, as OTP rejects
  // it under `auto_shutdown => never`.
  const invalid = checkSpec(spec, "never")
  if (invalid) return GenServer.replyFailure(invalid, state)
  const started = yield* startSpec(state, spec)
  if (started._tag === "Failed") {
    return GenServer.replyFailure(new StartChildFailed({ id: spec.id, reason: started.reason }), state)
  }
  if (started._tag === "Ignored") return GenServer.reply(undefined, state)
  state.running.set(started.pid, { spec, pid: started.pid })
  return GenServer.reply(started.pid as Pid | undefined, state)
}

function* terminateChildBody(this: { readonly pid: Pid; readonly state: State }) {
  const { pid, state } = this
  const child = state.running.get(pid)
  if (child === undefined) return GenServer.replyFailure(new NotAChild({ pid }), state)
  // Still a child while it stops: the exit hold stops it if the supervisor is killed meanwhile.
  yield* shutdownChild(child as Running)
  state.running.delete(pid)
  child.pid = undefined
  return GenServer.reply(undefined, state)
}

const DynamicSupervisorModule = GenServer.make({
  name: "DynamicSupervisor",
  calls: [StartChild, TerminateChild, WhichChildren, CountChildren],
  init: ({ options }: Init) =>
    Effect.gen(function*() {
      yield* Process.trapExit(true)
      const state: State = {
        max: options.maxChildren ?? Infinity,
        intensity: new Intensity(options, defaultIntensity),
        extra: options.extraArguments,
        running: new Map(),
        restarting: new Set(),
        starting: undefined
      }
      // However the supervisor ends, its exit is seen only once its children are gone.
      yield* holdChildren(() => state.running.values() as Iterable<Running>, state, (pid) => state.running.has(pid as Pid))
      return GenServer.ok(state)
    }),
  handleCall: {
    StartChild: ({ spec: given }, state) =>
      Effect.gen({ self: { given, state } }, startChildBody),
    TerminateChild: ({ pid }, state) =>
      Effect.gen({ self: { pid, state } }, terminateChildBody),
    WhichChildren: (_, state) =>
      GenServer.reply([...state.running.values(), ...state.restarting].map(info), state),
    CountChildren: (_, state) => {
      let supervisors = 0
      const all = [...state.running.values(), ...state.restarting]
      for (const c of all) if (c.spec.type === "supervisor") supervisors++
      const counts: Effect.Success<ReturnType<typeof countChildren>> = { specs: all.length, active: state.running.size, supervisors, workers: all.length - supervisors }
      return GenServer.reply(counts, state)
    }
  },
  handleInfo: (message, state: State) => {
    if (Process.isExitMessage(message)) {
      const child = state.running.get(message.from)
      return child === undefined ? GenServer.noreply(state) : childExited(state, child, message.reason)
    }
    if (isInstance(message, RetryRestart)) {
      const child = (message as RetryRestart).child
      if (!state.restarting.has(child)) return GenServer.noreply(state)
      // A new try counts against the intensity, as OTP's `try_again_restart`.
      return Effect.withFiber((fiber) =>
        countRestart(fiber, state.intensity, child.spec) > 0 ? restart(state, child) : giveUp(state)
      )
    }
    // Formatted here (it never throws): a logger given the raw value may fail on it (a revoked Proxy).
    return Effect.as(Effect.logWarning(`dynamic supervisor: unexpected message ${format(message)}`), GenServer.noreply(state))
  },
  terminate: (_reason, state) => stopAll(state),
  formatStatus: (state) => ({ children: state.running.size, restarting: state.restarting.size })
})

/**
 * A running dynamic supervisor; `X` is the type of its extra start arguments. Its protocol is
 * private: manage it with {@link startChild}, {@link whichChildren} and the other functions of
 * this module.
 *
 * @category models
 * @since 0.1.0
 */
export interface DynamicSupervisor<X = undefined> extends GenServer.Server<"DynamicSupervisor"> {
  /** Phantom: the type of the extra start arguments. */
  readonly "~extraArguments"?: (_: X) => X
}


const toServer = (ref: DynamicSupervisor<any> | Gen.Target): GenServer.Server<typeof DynamicSupervisorModule> =>
  GenServer.ref(DynamicSupervisorModule, typeof ref === "object" && "target" in ref ? ref.target : ref)

/** The handle `start` gives: the started server's target and pid, its protocol kept here. */
const handle = <X>(server: GenServer.Server<typeof DynamicSupervisorModule>): DynamicSupervisor<X> => ({
  target: server.target,
  pid: server.pid
})

const operation = "DynamicSupervisor.start"

/** The default intensity: Elixir's DynamicSupervisor's 3 restarts (in 5 s), not OTP's 1. */
const defaultIntensity = 3

/** Checks the options as Elixir's DynamicSupervisor does; the restart window by the shared engine. */
const check = (options: Options<unknown> | undefined) =>
  Effect.suspend(() => {
    const max = typeof options === "object" && options !== null ? options.maxChildren : undefined
    if (max !== undefined && max !== Infinity && !(typeof max === "number" && Number.isInteger(max) && max >= 0)) {
      return Effect.fail(new BadArgument({ operation, reason: `maxChildren must be a non-negative integer or Infinity, got ${String(max)}` }))
    }
    const bad = checkRestartFlags(operation, options)
    return bad === undefined ? Effect.void : Effect.fail(bad)
  })

const initOf = (options: Options<unknown> | undefined): Init => ({
  options: typeof options === "object" && options !== null ? options : {}
})

/** As `Supervisor`: no start timeout unless one is given. */
const startOptions = (options: Options<unknown> | undefined): Gen.StartOptions =>
  typeof options === "object" && options !== null
    ? { name: options.name, timeout: options.timeout ?? "infinity" }
    : { timeout: "infinity" }

/**
 * Starts a dynamic supervisor, not linked to the caller.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, DynamicSupervisor, Pid, Process } from "effect-otp"
 *
 * declare const pool: DynamicSupervisor.DynamicSupervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const connections = DynamicSupervisor.start({ name: "connections", maxChildren: 100 })
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const start = <X = undefined>(
  options?: Options<X>
): Effect.Effect<DynamicSupervisor<X>, Gen.StartError | BadArgument, Node> =>
  Effect.andThen(check(options), Effect.map(GenServer.start(DynamicSupervisorModule, initOf(options), startOptions(options)), handle<X>))

/**
 * Starts a dynamic supervisor linked to the calling process.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, DynamicSupervisor, Pid, Process } from "effect-otp"
 *
 * declare const pool: DynamicSupervisor.DynamicSupervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * // Inside a process, e.g. as an application's root:
 * const root = DynamicSupervisor.startLink({ name: "jobs" })
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const startLink = <X = undefined>(
  options?: Options<X>
): Effect.Effect<DynamicSupervisor<X>, Gen.StartError | BadArgument, Node | Process.CurrentProcess> =>
  Effect.andThen(check(options), Effect.map(GenServer.startLink(DynamicSupervisorModule, initOf(options), startOptions(options)), handle<X>))

/**
 * The child spec of a dynamic supervisor, to put it in a supervision tree.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, DynamicSupervisor, Pid, Process } from "effect-otp"
 *
 * declare const pool: DynamicSupervisor.DynamicSupervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const spec = DynamicSupervisor.childSpec("jobs", { name: "jobs" }) // a child of a Supervisor
 * ```
 *
 * @category child specs
 * @since 0.1.0
 */
export const childSpec = <X = undefined>(
  id: string,
  options?: Options<X> & ChildSpec.Options
): ChildSpec.ChildSpec<never> =>
  ChildSpec.supervisor(id, Effect.map(startLink(options), (sup) => sup.pid!), options)

/**
 * Starts a child from `spec` (or from `spec(extraArguments)`). Returns its pid, or `undefined`
 * if its start returned `ignore`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, DynamicSupervisor, Pid, Process } from "effect-otp"
 *
 * declare const pool: DynamicSupervisor.DynamicSupervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const conn = DynamicSupervisor.startChild(pool, ChildSpec.worker("conn", startWorker, { restart: "temporary" }))
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const startChild = <X>(
  supervisor: DynamicSupervisor<X> | Gen.Target,
  spec: ChildSpec.ChildSpec<any> | ((extraArguments: X) => ChildSpec.ChildSpec<any>)
): Effect.Effect<Pid | undefined, MaxChildren | ChildSpec.InvalidChildSpec | StartChildFailed | CallError | UnknownRequest> =>
  GenServer.call(toServer(supervisor), StartChild, { spec }, { timeout: "infinity" })

/**
 * Stops the child with this pid (by its shutdown) and forgets it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, DynamicSupervisor, Pid, Process } from "effect-otp"
 *
 * declare const pool: DynamicSupervisor.DynamicSupervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const close = (pid: Pid.Pid) => DynamicSupervisor.terminateChild(pool, pid)
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const terminateChild = (supervisor: DynamicSupervisor<any> | Gen.Target, pid: Pid): Effect.Effect<void, NotAChild | CallError | UnknownRequest> =>
  GenServer.call(toServer(supervisor), TerminateChild, { pid }, { timeout: "infinity" })

/**
 * The children, in start order (restarted children at their new place).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, DynamicSupervisor, Pid, Process } from "effect-otp"
 *
 * declare const pool: DynamicSupervisor.DynamicSupervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const pids = Effect.map(DynamicSupervisor.whichChildren(pool), (children) => children.map((c) => c.pid))
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const whichChildren = (supervisor: DynamicSupervisor<any> | Gen.Target): Effect.Effect<ReadonlyArray<ChildInfo>, CallError | UnknownRequest> =>
  GenServer.call(toServer(supervisor), WhichChildren, undefined, { timeout: "infinity" })

/**
 * Counts of the children: specs, running ones, supervisors and workers.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, DynamicSupervisor, Pid, Process } from "effect-otp"
 *
 * declare const pool: DynamicSupervisor.DynamicSupervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const busy = Effect.map(DynamicSupervisor.countChildren(pool), (counts) => counts.active)
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const countChildren = (supervisor: DynamicSupervisor<any> | Gen.Target): Effect.Effect<
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
 * Stops the supervisor and all its children.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, DynamicSupervisor, Pid, Process } from "effect-otp"
 *
 * declare const pool: DynamicSupervisor.DynamicSupervisor
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const closeAll = DynamicSupervisor.stop(pool)
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const stop = (supervisor: DynamicSupervisor<any> | Gen.Target, reason: ExitReason.ExitReason = ExitReason.normal): Effect.Effect<void, CallError> =>
  GenServer.stop(toServer(supervisor), { reason })
