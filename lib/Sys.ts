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
 * System calls are calls: they take a timeout (default 5 s) and fail with `NoProc`,
 * `CallExit` or `CallTimeout` like any call. A system request the process does not know (sent
 * with `GenInternal.request`) gets `UnknownRequest`, as OTP answers `{error, {unknown_system_msg, _}}`.
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
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Formatter from "effect/Formatter"
import { type CallError, UnknownRequest } from "./Errors.js"
import * as ExitReason from "./ExitReason.js"
import * as Gen from "./Gen.js"
import * as GenInternal from "./internal/gen.js"
import type { LoopImpl } from "./internal/loop.js"
import { toExitReason } from "./internal/reason.js"
import type { Pid } from "./Pid.js"

/**
 * The requests a process on the generic loop answers. A behaviour's loop handles them; users
 * call the functions of this module.
 *
 * @category models
 * @since 0.1.0
 */
export type Request =
  | { readonly _tag: "GetState" }
  | { readonly _tag: "ReplaceState"; readonly f: (state: unknown) => unknown }
  | { readonly _tag: "GetStatus" }
  | { readonly _tag: "Suspend" }
  | { readonly _tag: "Resume" }
  | { readonly _tag: "Trace"; readonly enabled: boolean }
  | { readonly _tag: "Statistics"; readonly enabled: boolean }
  | { readonly _tag: "GetStatistics" }
  | { readonly _tag: "ChangeCode"; readonly module: unknown; readonly extra: unknown }
  | { readonly _tag: "Terminate"; readonly reason: unknown }

/**
 * What {@link getStatus} returns.
 *
 * @category models
 * @since 0.1.0
 */
export interface Status {
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
}

/**
 * What {@link getStatistics} returns (OTP's `sys:statistics(Name, get)`).
 *
 * @category models
 * @since 0.1.0
 */
export interface Statistics {
  /** When the process started, in `Clock` milliseconds. */
  readonly startTime: number
  /** When statistics collection was turned on, in `Clock` milliseconds. */
  readonly since: number
  /** Messages handled (calls, casts and other messages; system messages excluded). */
  readonly messagesIn: number
  /** Replies sent. */
  readonly messagesOut: number
}

/**
 * Options of every system call.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** How long to wait for the process to answer; default 5 s. */
  readonly timeout?: Gen.Timeout | undefined
}

/**
 * A system request the process could not carry out, with the reason: `replaceState`'s function
 * threw, `changeCode` got a module of another name, or the new module's `codeChange` failed
 * (`cause` holds the failure, and `reason` its message). The process keeps running with its
 * old state and code.
 *
 * @category errors
 * @since 0.1.0
 */
export class SysError extends Data.TaggedError("SysError")<{
  /** The system request that failed, e.g. `ChangeCode`. */
  readonly request: Request["_tag"]
  /** Why it failed, in words. */
  readonly reason: string
  /** The underlying failure, if any: what `f` threw, or the `Cause` of the failed `codeChange`. */
  readonly cause?: unknown
}> {
  /** The human-readable message: `<request> failed: <reason>`. */
  override get message(): string {
    return `${this.request} failed: ${this.reason}`
  }
}

const system = <A, E = never>(target: Gen.Target, request: Request, options?: Options): Effect.Effect<A, CallError | E> =>
  (options?.timeout === undefined
    ? GenInternal.request(target, (from) => new GenInternal.SystemMessage(from, request))
    // A timeout that is no valid duration fails the request with BadArgument (GenInternal.request), which
    // the error types of the system calls do not list: a defect here, so the types stay true.
    : GenInternal.request(target, (from) => new GenInternal.SystemMessage(from, request), options).pipe(
      Effect.catchTag("BadArgument", (e) => Effect.die(e))
    )) as Effect.Effect<A, CallError | E>

/**
 * The current state of the process.
 *
 * @category inspection
 * @since 0.1.0
 */
export const getState = (target: Gen.Target, options?: Options): Effect.Effect<unknown, CallError> =>
  system(target, { _tag: "GetState" }, options)

/**
 * Replaces the state with `f(state)` and returns the new state. If `f` throws, the state is
 * kept and the call fails with the error.
 *
 * @category inspection
 * @since 0.1.0
 */
export const replaceState = (
  target: Gen.Target,
  f: (state: unknown) => unknown,
  options?: Options
): Effect.Effect<unknown, CallError | SysError> => system(target, { _tag: "ReplaceState", f }, options)

/**
 * Pid, module, version, run status and formatted state. Never stops the process: a
 * `formatStatus` that throws gives `"<Module>.formatStatus crashed"` as the state.
 *
 * @category inspection
 * @since 0.1.0
 */
export const getStatus = (target: Gen.Target, options?: Options): Effect.Effect<Status, CallError> =>
  system(target, { _tag: "GetStatus" }, options)

/**
 * Suspends the process: it then handles only system messages; every other message stays in its
 * mailbox, in order, until {@link resume}.
 *
 * @category control
 * @since 0.1.0
 */
export const suspend = (target: Gen.Target, options?: Options): Effect.Effect<void, CallError> =>
  system(target, { _tag: "Suspend" }, options)

/**
 * Resumes a suspended process.
 *
 * @category control
 * @since 0.1.0
 */
export const resume = (target: Gen.Target, options?: Options): Effect.Effect<void, CallError> =>
  system(target, { _tag: "Resume" }, options)

/**
 * Turns tracing on or off: when on, the process logs every message it handles and every reply
 * it sends (OTP's `sys:trace/2`).
 *
 * @category debugging
 * @since 0.1.0
 */
export const trace = (target: Gen.Target, enabled: boolean, options?: Options): Effect.Effect<void, CallError> =>
  system(target, { _tag: "Trace", enabled }, options)

/**
 * Turns statistics collection on (counters reset) or off.
 *
 * @category debugging
 * @since 0.1.0
 */
export const statistics = (target: Gen.Target, enabled: boolean, options?: Options): Effect.Effect<void, CallError> =>
  system(target, { _tag: "Statistics", enabled }, options)

/**
 * The statistics collected since they were turned on (counting is always on from the start).
 *
 * @category debugging
 * @since 0.1.0
 */
export const getStatistics = (target: Gen.Target, options?: Options): Effect.Effect<Statistics, CallError> =>
  system(target, { _tag: "GetStatistics" }, options)

/**
 * Upgrades the process to `module`: suspends it, runs the new module's
 * `codeChange(oldVersion, state, extra)`, swaps module and state, and resumes it. Messages sent
 * meanwhile wait in the mailbox and are handled, in order, by the new code. If `codeChange`
 * fails, the process keeps its old code and state and this fails with the error. If this gives
 * up first (its timeout, or an interruption), the change is not made: the process keeps its old
 * code and state, whether it had not got to the request yet or its `codeChange` was running
 * (OTP's `sys:change_code` may still change the code after the caller timed out).
 *
 * @category code change
 * @since 0.1.0
 */
export const changeCode = (
  target: Gen.Target,
  module: unknown,
  extra?: unknown,
  options?: Options
): Effect.Effect<void, CallError | SysError> => system(target, { _tag: "ChangeCode", module, extra }, options)

/**
 * Asks the process to run its `terminate` callback and exit with `reason`; completes when it
 * has exited (OTP's `proc_lib:stop`). The building block of `GenServer.stop`. A `reason` that
 * is not an `ExitReason` is carried in a `Crash` (OTP takes any term); an abnormal one makes
 * the process log its error report.
 *
 * @category control
 * @since 0.1.0
 */
export const terminate = (target: Gen.Target, reason: unknown, options?: Options): Effect.Effect<void, CallError> =>
  system(target, { _tag: "Terminate", reason }, options)

// ----------------------------------------------------------------------------
// How the generic loop answers
// ----------------------------------------------------------------------------

/**
 * How a process on the generic loop (`Loop`) answers a system message: the loop hands every
 * `GenInternal.SystemMessage` here, so a new system request is added in this file alone (its case in
 * {@link Request}, its function above, its answer below) and every behaviour answers it.
 * Returns the exit reason when the request ends the process (`Terminate`, after `terminate`
 * ran), `undefined` otherwise.
 *
 * @internal
 */
export const answer = (
  loop: LoopImpl,
  message: GenInternal.SystemMessage
): Effect.Effect<ExitReason.ExitReason | undefined, unknown, unknown> => Effect.gen({ self: { loop, message } }, answerBody)

function* answerBody(this: { readonly loop: LoopImpl; readonly message: GenInternal.SystemMessage }) {
  const { loop, message } = this
  const from = message.from
  // Anything may arrive as a system request (`GenInternal.request`): a request the loop does not know,
  // or no object at all, gets `UnknownRequest` and changes nothing.
  const request = message.request as Request | null | undefined
  const tag: unknown = typeof request === "object" && request !== null ? request._tag : undefined
  switch (tag) {
    case "GetState":
      GenInternal.replyUnsafe(from, loop.state)
      return undefined
    case "ReplaceState": {
      const f = (request as Extract<Request, { _tag: "ReplaceState" }>).f
      try {
        loop.state = f(loop.state)
        GenInternal.replyUnsafe(from, loop.state)
      } catch (error) {
        GenInternal.replyFailureUnsafe(
          from,
          new SysError({ request: "ReplaceState", reason: ExitReason.format(ExitReason.fail(error)), cause: error })
        )
      }
      return undefined
    }
    case "GetStatus": {
      const status: Status = {
        pid: loop.self,
        module: loop.module.name,
        version: loop.module.version,
        status: loop.suspended ? "suspended" : "running",
        state: loop.formatState(),
        trace: loop.trace
      }
      GenInternal.replyUnsafe(from, status)
      return undefined
    }
    case "Suspend":
    case "Resume":
      loop.suspend(tag === "Suspend")
      GenInternal.replyUnsafe(from, undefined)
      return undefined
    case "Trace":
      loop.trace = (request as Extract<Request, { _tag: "Trace" }>).enabled === true
      GenInternal.replyUnsafe(from, undefined)
      return undefined
    case "Statistics":
      if ((request as Extract<Request, { _tag: "Statistics" }>).enabled === true) {
        loop.since = yield* Clock.currentTimeMillis
        loop.messagesIn = 0
        loop.messagesOut = 0
      }
      GenInternal.replyUnsafe(from, undefined)
      return undefined
    case "GetStatistics": {
      const statistics: Statistics = {
        startTime: loop.startTime,
        since: loop.since,
        messagesIn: loop.messagesIn,
        messagesOut: loop.messagesOut
      }
      GenInternal.replyUnsafe(from, statistics)
      return undefined
    }
    case "ChangeCode": {
      const change = request as Extract<Request, { _tag: "ChangeCode" }>
      const next = change.module
      if (!loop.accepts(next)) {
        GenInternal.replyFailureUnsafe(from, new SysError({ request: "ChangeCode", reason: `not a version of ${loop.module.name}` }))
        return undefined
      }
      // A requester that gave up (`Code.upgrade`'s per-process timeout, an interrupted upgrade,
      // a timed-out `changeCode`) was told the change did not happen: it does not happen.
      if (!from.pending) return undefined
      const module = loop.module
      const state = loop.state
      // The change itself is the code server's (internal/code.ts): `Code.upgrade` makes the
      // same change in place while the process is idle.
      const outcome = loop.changeCode(next, change.extra)
      const changed = Exit.isExit(outcome) ? outcome : yield* Effect.exit(outcome)
      if (!from.pending) {
        loop.restore(module, state)
        return undefined
      }
      if (Exit.isFailure(changed)) GenInternal.replyFailureUnsafe(from, Cause.squash(changed.cause))
      else GenInternal.replyUnsafe(from, undefined)
      return undefined
    }
    case "Terminate": {
      // OTP takes any term as the reason: a value that is no exit reason is carried in a Crash.
      const reason = toExitReason((request as Extract<Request, { _tag: "Terminate" }>).reason)
      // gen_server's system_terminate reports no last message.
      loop.last = undefined
      yield* loop.terminate(reason)
      // No reply: the caller completes when it sees this process exit with `reason`.
      return reason
    }
  }
  GenInternal.replyFailureUnsafe(from, new UnknownRequest({ target: loop.self, tag: `system ${formatTag(tag)}` }))
  return undefined
}

/** A request tag as text, whatever an untyped caller made it. */
const formatTag = (tag: unknown): string => typeof tag === "string" ? tag : Formatter.format(tag)
