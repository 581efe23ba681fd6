/**
 * System messages for processes built on the generic loop (OTP's `sys`): look inside a running
 * server, pause it, trace it, and change its code, without its cooperation beyond the loop the
 * library already runs. Every GenServer (and so every Supervisor) answers them.
 *
 * - {@link getState} / {@link replaceState}: read or replace the state (for debugging).
 * - {@link getStatus}: pid, module and version, `running` or `suspended`, the state as the
 *   module's `formatStatus` shows it (so it can redact secrets). Reading the status never stops
 *   the process: a `formatStatus` that throws shows a string saying so instead of the state
 *   (never the raw state), as OTP's `"Mod:format_status/1 crashed"`.
 * - {@link suspend} / {@link resume}: a suspended process handles only system messages; every
 *   other message waits in its mailbox, in order, until it is resumed.
 * - {@link trace}: log each message in and each reply out.
 * - {@link statistics}: messages in and out, and the start time.
 * - {@link changeCode}: suspend, run the new module's `codeChange(oldVersion, state, extra)`,
 *   swap the module, resume. If `codeChange` fails, the process keeps its old code and state and
 *   the caller gets the error.
 *
 * System calls are calls: they take a timeout (`Gen.CallOptions`, default 5 s; one that is no
 * valid duration is a defect here) and fail with `NoProc`,
 * `CallExit` or `CallTimeout` like any call. Anything else that arrives as a system message
 * gets `UnknownRequest`, as OTP answers `{error, {unknown_system_msg, _}}`.
 *
 * Not here: `sys:log`, `log_to_file` and `install` (debug functions); `trace` logs through
 * Effect's Logger instead. `changeCode` does not require a suspended process (OTP's release
 * handler suspends first; `Code.upgrade` changes idle processes in place).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sys } from "effect-otp"
 * import type { Gen } from "effect-otp"
 *
 * const inspect = (server: Gen.Target) => Effect.gen(function*() {
 *   const status = yield* Sys.getStatus(server)
 *   yield* Effect.log(`${status.pid} runs ${status.module}@${status.version}: ${status.status}`)
 *   return yield* Sys.getState(server)
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { BadArgument, type CallError } from "./Errors.js"
import * as ExitReason from "./ExitReason.js"
import type { CallOptions, From, Target } from "./Gen.js"
import { ChangeCode } from "./internal/code.js"
import { replyFailureUnsafe, replyUnsafe, request, SystemMessage } from "./internal/gen.js"
import type { LoopImpl } from "./internal/loop.js"
import { toExitReason } from "./internal/reason.js"
import { SystemRequest } from "./internal/system.js"
import type { Pid } from "./Pid.js"

/** What {@link getStatus} returns (its type is spelled there). */
type Status = Effect.Success<ReturnType<typeof getStatus>>

/**
 * A system request the process could not carry out, with the reason: `replaceState`'s function
 * threw, `changeCode` got a module of another name, or the new module's `codeChange` failed
 * (`cause` holds the failure, and `reason` its message). The process keeps running with its
 * old state and code.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sys } from "effect-otp"
 * import type { Gen } from "effect-otp"
 *
 * const swap = (target: Gen.Target, next: unknown) =>
 *   Sys.changeCode(target, next).pipe(
 *     Effect.catchTag("SysError", (e) => Effect.logWarning(`kept the old code: ${e.reason}`))
 *   )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class SysError extends Data.Error<{
  /** The system request that failed: `ReplaceState` or `ChangeCode`. */
  readonly request: string
  /** Why it failed, in words. */
  readonly reason: string
  /** The underlying failure, if any: what `f` threw, or the `Cause` of the failed `codeChange`. */
  readonly cause?: unknown
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "SysError"
  static {
    this.prototype.name = "SysError"
  }
  /** The human-readable message: `<request> failed: <reason>`. */
  override get message(): string {
    return `${this.request} failed: ${this.reason}`
  }
}

const system = <A, E = never>(target: Target, systemRequest: SystemRequest, options?: CallOptions): Effect.Effect<A, CallError | E> =>
  (options?.timeout === undefined
    ? request(target, (from) => new SystemMessage(from, systemRequest))
    // A timeout that is no valid duration fails the request with BadArgument (`Gen.call`), which
    // the error types of the system calls do not list: a defect here, so the types stay true.
    : request(target, (from) => new SystemMessage(from, systemRequest), options).pipe(
      Effect.catchTag("BadArgument", (e) => Effect.die(e))
    )) as Effect.Effect<A, CallError | E>

/**
 * The current state of the process.
 *
 * @example
 * ```ts
 * import { Sys } from "effect-otp"
 *
 * const state = Sys.getState("counter")
 * ```
 *
 * @category inspection
 * @since 0.1.0
 */
export const getState = (target: Target, options?: CallOptions): Effect.Effect<unknown, CallError> =>
  system(target, getStateRequest, options)

/**
 * Replaces the state with `f(state)` and returns the new state. If `f` throws, the state is
 * kept and the call fails with the error.
 *
 * @example
 * ```ts
 * import { Sys } from "effect-otp"
 *
 * const reset = Sys.replaceState("counter", () => 0)
 * ```
 *
 * @category inspection
 * @since 0.1.0
 */
export const replaceState = (
  target: Target,
  f: (state: unknown) => unknown,
  options?: CallOptions
): Effect.Effect<unknown, CallError | SysError> => system(target, new ReplaceState(f), options)

/**
 * Pid, module, version, run status and formatted state. Never stops the process: a
 * `formatStatus` that throws gives `"<Module>.formatStatus crashed"` as the state.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sys } from "effect-otp"
 *
 * const version = Effect.map(Sys.getStatus("counter"), (status) => status.version)
 * ```
 *
 * @category inspection
 * @since 0.1.0
 */
export const getStatus = (target: Target, options?: CallOptions): Effect.Effect<{
  /** The process's pid. */
  readonly pid: Pid
  /** The name of the module (e.g. the GenServer) it runs. */
  readonly module: string
  /** The version of that module, which {@link changeCode} changes. */
  readonly version: string
  /** `suspended` between {@link suspend} and {@link resume}, `running` otherwise. */
  readonly status: "running" | "suspended"
  /** The state as the module's `formatStatus` shows it (the raw state without one). */
  readonly state: unknown
  /** Whether {@link trace} is on. */
  readonly trace: boolean
}, CallError> =>
  system(target, getStatusRequest, options)

/**
 * Suspends the process: it then handles only system messages; every other message stays in its
 * mailbox, in order, until {@link resume}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sys } from "effect-otp"
 *
 * // Hold the server while something else happens, then let it go on.
 * const paused = <A, E, R>(work: Effect.Effect<A, E, R>) =>
 *   Effect.acquireUseRelease(Sys.suspend("counter"), () => work, () => Effect.ignore(Sys.resume("counter")))
 * ```
 *
 * @category control
 * @since 0.1.0
 */
export const suspend = (target: Target, options?: CallOptions): Effect.Effect<void, CallError> =>
  system(target, suspendRequest, options)

/**
 * Resumes a suspended process.
 *
 * @example
 * ```ts
 * import { Sys } from "effect-otp"
 *
 * const goOn = Sys.resume("counter")
 * ```
 *
 * @category control
 * @since 0.1.0
 */
export const resume = (target: Target, options?: CallOptions): Effect.Effect<void, CallError> =>
  system(target, resumeRequest, options)

/**
 * Turns tracing on or off: when on, the process logs every message it handles and every reply
 * it sends (OTP's `sys:trace/2`).
 *
 * @example
 * ```ts
 * import { Sys } from "effect-otp"
 *
 * const watch = Sys.trace("counter", true)
 * ```
 *
 * @category debugging
 * @since 0.1.0
 */
export const trace = (target: Target, enabled: boolean, options?: CallOptions): Effect.Effect<void, CallError> =>
  typeof enabled === "boolean" ? system(target, new Trace(enabled), options) : notAFlag("trace", enabled)

/**
 * Statistics of a process (OTP's `sys:statistics/2`): `true` turns collection on (counters
 * reset), `false` off, and `"get"` returns what was collected since it was turned on (counting
 * is on from the start).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sys } from "effect-otp"
 *
 * const handled = Effect.andThen(Sys.statistics("counter", true), Sys.statistics("counter", "get")).pipe(
 *   Effect.map((s) => s.messagesIn)
 * )
 * ```
 *
 * @category debugging
 * @since 0.1.0
 */
export function statistics(target: Target, flag: "get", options?: CallOptions): Effect.Effect<{
  /** When the process started, in `Clock` milliseconds. */
  readonly startTime: number
  /** When statistics collection was turned on, in `Clock` milliseconds. */
  readonly since: number
  /** Messages handled (calls, casts and other messages; system messages excluded). */
  readonly messagesIn: number
  /** Replies sent. */
  readonly messagesOut: number
}, CallError>
export function statistics(target: Target, flag: boolean, options?: CallOptions): Effect.Effect<void, CallError>
export function statistics(target: Target, flag: boolean | "get", options?: CallOptions): Effect.Effect<unknown, CallError> {
  if (flag === "get") return system(target, getStatisticsRequest, options)
  return typeof flag === "boolean" ? system(target, new StatisticsRequest(flag), options) : notAFlag("statistics", flag)
}

/** An untyped caller's flag that is no boolean (nor `"get"`): a `BadArgument` defect, as `Process.trapExit`'s. */
const notAFlag = (operation: string, flag: unknown): Effect.Effect<never> =>
  Effect.die(new BadArgument({ operation: `Sys.${operation}`, reason: `expected true or false, got ${String(flag)}` }))

/**
 * Upgrades the process to `module`: suspends it, runs the new module's
 * `codeChange(oldVersion, state, extra)`, swaps module and state, and resumes it. Messages sent
 * meanwhile wait in the mailbox and are handled, in order, by the new code. If `codeChange`
 * fails, the process keeps its old code and state and this fails with the error. If this gives
 * up first (its timeout, or an interruption), the change is not made: the process keeps its old
 * code and state, whether it had not got to the request yet or its `codeChange` was running
 * (OTP's `sys:change_code` may still change the code after the caller timed out).
 *
 * @example
 * ```ts
 * import { Sys } from "effect-otp"
 * import type { Code } from "effect-otp"
 *
 * declare const CounterV2: Code.Module
 * const upgradeOne = Sys.changeCode("counter", CounterV2, { reason: "hotfix" }, { timeout: "2 seconds" })
 * ```
 *
 * @category code change
 * @since 0.1.0
 */
export const changeCode = (
  target: Target,
  module: unknown,
  extra?: unknown,
  options?: CallOptions
): Effect.Effect<void, CallError | SysError> => system(target, new ChangeCode(module, extra), options)

/**
 * Asks the process to run its `terminate` callback and exit with `reason`; completes when it
 * has exited (OTP's `proc_lib:stop`). The building block of `GenServer.stop`. A `reason` that
 * is not an `ExitReason` is carried in a `Crash` (OTP takes any term); an abnormal one makes
 * the process log its error report.
 *
 * @example
 * ```ts
 * import { ExitReason, Sys } from "effect-otp"
 *
 * const shutDown = Sys.terminate("counter", ExitReason.shutdown())
 * ```
 *
 * @category control
 * @since 0.1.0
 */
export const terminate = (target: Target, reason: unknown, options?: CallOptions): Effect.Effect<void, CallError> =>
  system(target, new Terminate(reason), options)

// ----------------------------------------------------------------------------
// How the generic loop answers
// ----------------------------------------------------------------------------

// Each request carries its answer (see `internal/system.ts`): a new system request is a class
// here and the function above that sends it, and every process on the loop answers it. The
// answers run on the process's fiber; `loop` is its registers.

const done = Effect.succeed(undefined)

class GetState extends SystemRequest {
  readonly _tag = "GetState"
  answer(loop: LoopImpl, from: From) {
    replyUnsafe(from, loop.systemState())
    return done
  }
}
const getStateRequest = new GetState()

class ReplaceState extends SystemRequest {
  readonly _tag = "ReplaceState"
  constructor(readonly f: (state: unknown) => unknown) {
    super()
  }
  answer(loop: LoopImpl, from: From) {
    try {
      loop.replaceSystemState(this.f(loop.systemState()))
      replyUnsafe(from, loop.systemState())
    } catch (error) {
      replyFailureUnsafe(
        from,
        new SysError({ request: "ReplaceState", reason: ExitReason.format(ExitReason.fail(error)), cause: error })
      )
    }
    return done
  }
}

class GetStatus extends SystemRequest {
  readonly _tag = "GetStatus"
  answer(loop: LoopImpl, from: From) {
    const status: Status = {
      pid: loop.self,
      module: loop.module.name,
      version: loop.module.version,
      status: loop.suspended ? "suspended" : "running",
      state: loop.formatState(),
      trace: loop.trace
    }
    replyUnsafe(from, status)
    return done
  }
}
const getStatusRequest = new GetStatus()

class Suspend extends SystemRequest {
  constructor(readonly _tag: "Suspend" | "Resume") {
    super()
  }
  answer(loop: LoopImpl, from: From) {
    loop.suspend(this._tag === "Suspend")
    replyUnsafe(from, undefined)
    return done
  }
}
const suspendRequest = new Suspend("Suspend")
const resumeRequest = new Suspend("Resume")

class Trace extends SystemRequest {
  readonly _tag = "Trace"
  constructor(readonly enabled: boolean) {
    super()
  }
  answer(loop: LoopImpl, from: From) {
    loop.trace = this.enabled === true
    replyUnsafe(from, undefined)
    return done
  }
}

class StatisticsRequest extends SystemRequest {
  readonly _tag = "Statistics"
  constructor(readonly enabled: boolean) {
    super()
  }
  answer(loop: LoopImpl, from: From) {
    if (this.enabled !== true) {
      replyUnsafe(from, undefined)
      return done
    }
    return Effect.map(Clock.currentTimeMillis, (now) => {
      loop.since = now
      loop.messagesIn = 0
      loop.messagesOut = 0
      replyUnsafe(from, undefined)
      return undefined
    })
  }
}

class GetStatistics extends SystemRequest {
  readonly _tag = "GetStatistics"
  answer(loop: LoopImpl, from: From) {
    const statistics = {
      startTime: loop.startTime,
      since: loop.since,
      messagesIn: loop.messagesIn,
      messagesOut: loop.messagesOut
    }
    replyUnsafe(from, statistics)
    return done
  }
}
const getStatisticsRequest = new GetStatistics()

class Terminate extends SystemRequest {
  readonly _tag = "Terminate"
  constructor(readonly reason: unknown) {
    super()
  }
  answer(loop: LoopImpl) {
    // OTP takes any term as the reason: a value that is no exit reason is carried in a Crash.
    const reason = toExitReason(this.reason)
    // gen_server's system_terminate reports no last message.
    loop.last = undefined
    // No reply: the caller completes when it sees this process exit with `reason`.
    return Effect.as(loop.terminate(reason), reason)
  }
}
