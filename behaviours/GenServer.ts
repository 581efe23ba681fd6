/**
 * GenServer: a process that keeps state and serves typed requests, OTP's `gen_server`.
 *
 * A GenServer module is a value: its protocol (calls and casts, declared with Effect's
 * `Rpc.make`, so every request fixes its reply and error types) and its callbacks, which hold
 * only business logic. The generic part (start with synchronous init, naming, the call
 * protocol, the receive loop, system messages) lives once in the library.
 *
 * ## A counter
 *
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer, Node } from "effect-otp"
 *
 * // The protocol: each request declares its payload, reply and error.
 * const Get = Rpc.make("Get", { success: Schema.Number })
 * const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })
 * const Reset = Rpc.make("Reset")
 *
 * // The module: callbacks are plain functions (or return Effects) and build their results
 * // with constructors.
 * const Counter = GenServer.make({
 *   name: "Counter",
 *   calls: [Get, Add],
 *   casts: [Reset],
 *   init: (start: number) => GenServer.ok(start),
 *   handleCall: {
 *     Get: (_, count) => GenServer.reply(count, count),
 *     Add: ({ by }, count) => GenServer.reply(count + by, count + by)
 *   },
 *   handleCast: {
 *     Reset: () => GenServer.noreply(0)
 *   }
 * })
 *
 * const program = Effect.gen(function*() {
 *   const counter = yield* GenServer.start(Counter, 10, { name: "counter" })
 *   yield* GenServer.call(counter, Add, { by: 5 }) // 15: typed as number
 *   yield* GenServer.cast(counter, Reset)
 *   return yield* GenServer.call(counter, Get) // 0
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * A request the module does not declare, a missing handler, or a handler replying with the wrong
 * type is a compile error.
 *
 * ## Client and server API
 *
 * Client (any fiber): {@link start}, {@link startLink}, {@link call}, {@link cast},
 * {@link stop}, {@link replyTo}. Server (the callbacks): `init`, `handleCall`, `handleCast`,
 * `handleInfo` (any other message: `Exit` messages when trapping exits, monitors' `Down`,
 * timers, the idle {@link timeout}), `handleContinue`, `terminate`, `codeChange`,
 * `formatStatus`. Results: {@link ok}, {@link ignore}, {@link reply}, {@link replyFailure},
 * {@link noreply}, {@link stopWith}; each takes an optional `{ timeout }` (idle timeout) or
 * `{ continue }` action.
 *
 * ## Supervision
 *
 * A supervisor starts a GenServer with {@link startLink} (the server is linked to it). A server
 * that traps exits gets its `terminate` called when its parent shuts it down.
 *
 * ## Naming
 *
 * `{ name: "counter" }` registers a local name; `{ name: Gen.via(registry, key) }` names it
 * through any registry. Calls and casts accept the pid, the name, or the via name; starting a
 * second server with a taken name fails with `AlreadyStarted` carrying the running pid.
 *
 * ## Timeouts
 *
 * `call` waits 5 s by default (`{ timeout }` or `"infinity"`), and fails with `CallTimeout`; a
 * reply that arrives later is dropped. A call to a dead or unknown server fails at once with
 * `NoProc`; a server that exits while a call is pending gives `CallExit` with its reason.
 * Start waits for `init` up to 5 s (`{ timeout }`); then the server is killed and the start
 * fails with `InitTimeout`.
 *
 * ## When not to use a GenServer
 *
 * For state shared inside one fiber tree, an Effect `Ref` is simpler. A GenServer serialises
 * its requests: it is the right tool for a resource that must be owned by one process and
 * supervised, not for parallel CPU work (use fibers), nor as a cache hit by many readers on the
 * hot path (a Registry table or a `Ref` is read without a message round trip).
 *
 * ## Fast handlers
 *
 * A handler that needs no effect returns its result directly (`reply(...)`, `noreply(...)`):
 * the loop then takes no Effect step for it. A handler that does need effects and runs often
 * should not make a generator function per call (`(p, s) => Effect.gen(function*() {...})`):
 * on V8 each such function gets its own prototype and object shape, which cost 2 to 6 µs per
 * call measured here. Write the generator once, at module level, and pass the arguments as
 * `self`: `(p, s) => Effect.gen({ self: { p, s } }, addBody)` with
 * `function* addBody(this: { p: Payload; s: State }) {...}`. The library's own loops are
 * written that way.
 *
 * ## How it maps to OTP, and where it differs
 *
 * | OTP                              | effect-otp                                             |
 * |----------------------------------|--------------------------------------------------------|
 * | `{reply, R, S}` / `{noreply, S}` | `reply(r, s)` / `noreply(s)`                           |
 * | `{stop, Reason, S}`              | `stopWith(reason, s)`                                  |
 * | `{stop, Reason, R, S}`           | `stopWith(reason, s, r)`: the reply goes once `terminate` ran, as OTP sends it |
 * | `{ok, S, {continue, C}}`         | `ok(s, { continue: c })`                               |
 * | `{ok, S, Timeout}`               | `ok(s, { timeout: "1 second" })`, then `handleInfo(GenServer.timeout)`; `"Infinity"` is `infinity` |
 * | `gen_server:reply(From, R)`      | `replyTo(from, r)`                                     |
 * | exit `{timeout, ...}` in caller  | typed `CallTimeout` error                              |
 * | `{error, Reason}` replies        | typed failures: `replyFailure(e, s)`, declared in the Rpc |
 * | unknown call crashes the server  | the caller gets `UnknownRequest`; the server goes on   |
 * | unknown cast crashes the server  | dropped with a warning; the server goes on              |
 * | exit `{bad_return_value, V}`     | a `Crash` carrying `Errors.BadReturnValue` (see below)  |
 * | `format_status/1` gets and shapes state, message, reason and log | `formatStatus(state)` shapes the state only |
 * | no `code_change`: `sys:change_code` fails with `undef` | no `codeChange`: the new code runs on the state as it is (Elixir's default `code_change` does the same) |
 *
 * Callbacks may return their result directly or as an Effect (to use services, time, other
 * processes). A callback that fails or dies crashes the server: `terminate` runs, then the
 * server exits with a `Crash` carrying the cause, which links, monitors and pending callers see.
 *
 * ## Faults
 *
 * - **Bad results.** Every result is checked at run time, as gen_server checks it, so that
 *   untyped code (plain JS, `as any`) cannot leave a server running on a broken state. A
 *   callback that returns something that is not one of its results (`undefined`, a plain value,
 *   an unknown `_tag`, an Effect that succeeds with such a value, a `stopWith` whose reason is
 *   no `ExitReason`, a `{ timeout }` that is negative, `NaN` or no duration) stops the server
 *   with a `Crash` carrying `Errors.BadReturnValue` (module, callback, value): `terminate` runs
 *   with the state from before the callback, a pending caller gets `CallExit` at once. From
 *   `init`, the start fails with `InitFailed` carrying it, and neither the process nor its name
 *   is left. A `{ continue }` from a module without `handleContinue` is such a bad result too:
 *   OTP accepts it and the server then crashes with `undef` when it runs the continue (after
 *   acknowledging the start, or replying); refusing the result itself tells the author where
 *   the mistake is, and a start that could only crash fails as a start.
 * - **Request names.** Only the module's own handlers run: the `handleCall` and `handleCast`
 *   tables are resolved once, by {@link make}, into tables of their own function-valued
 *   properties (a getter, an inherited member or a non-function is no handler). A request
 *   tagged `constructor`, `toString`, `__proto__` or any other name, or not tagged with a
 *   string at all, gets `UnknownRequest` (a call) or is dropped with a warning (a cast), unless
 *   the module declared a handler of that very name. Changing those tables after `make` has
 *   no effect.
 * - **Reading the state.** `Sys.getStatus` never stops a server: a `formatStatus` that throws,
 *   or returns an Effect (which is not run), shows `"<Module>.formatStatus crashed"` (or
 *   `"... returned an Effect"`) in place of the state, never the raw state it may be there to
 *   redact, as OTP shows `"Mod:format_status/1 crashed"`. The error report does the same.
 * - **Error report.** A server that exits abnormally (any reason but `normal`, `shutdown` and
 *   `{shutdown, _}`), supervised or not, logs OTP's gen_server terminate report once at
 *   `Error`, from its own fiber, just before it exits:
 *   `** Generic server <name> (<Module>) terminating`, the last message in, the state as
 *   `formatStatus` shows it, and the reason with the crash's own message; the log entry's cause
 *   is the crash's `Cause`, which a logger prints with its stack. It is annotated
 *   `report: "gen_server"`, `pid`, `module` and `reason` (the tag). A supervised server's crash
 *   logs this report and then the supervisor's own (`report: "supervisor"`), as OTP logs both.
 *   A killed server logs nothing (none of its code runs), as in OTP. Differences: OTP also
 *   names the calling client and its stack (a caller here need not be a process), and
 *   proc_lib adds a crash report for every abnormal exit, a failed `init` included; here a
 *   failed `init` logs nothing, since its starter gets the reason as `InitFailed` (and a
 *   supervisor reports a child's failed start).
 *
 * ## Not here
 *
 * `hibernate` (V8 has no per-process heap to compact), `enter_loop` (a process becomes a
 * server only through {@link start}), `start_monitor` (start, then `Process.monitor`),
 * `multi_call` / `abcast` and `send_request` (fork calls as fibers, or use `Cluster` for other
 * nodes), and the `debug` start options (`Sys.trace` and `Sys.statistics` do that on a running
 * server).
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Formatter from "effect/Formatter"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Rpc from "effect/rpc/Rpc"
import type * as Tracer from "effect/Tracer"
import type { CallError } from "../lib/Errors.js"
import { BadReturnValue, UnknownRequest } from "../lib/Errors.js"
import * as ExitReason from "../lib/ExitReason.js"
import * as Gen from "../lib/Gen.js"
import type { Node } from "../lib/Node.js"
import type { Pid } from "../lib/Pid.js"
import * as Process from "../lib/Process.js"
import * as Sys from "../lib/Sys.js"
import * as Telemetry from "../lib/Telemetry.js"
import * as Code from "../lib/Code.js"
import * as ChildSpec from "./ChildSpec.js"
import * as reports from "./internal/reports.js"
import { durationMillis } from "../lib/internal/timers.js"

// ----------------------------------------------------------------------------
// Results
// ----------------------------------------------------------------------------

/**
 * What to do after a callback: an idle timeout (if no message arrives within it,
 * `handleInfo(GenServer.timeout)` runs), or a continue (`handleContinue(arg)` runs before the
 * next message). A timeout is a non-negative duration; `"Infinity"` means none (OTP's
 * `infinity`). A negative or `NaN` timeout, or a continue from a module without
 * `handleContinue`, is a bad result: the server stops with `Errors.BadReturnValue`.
 *
 * @category results
 * @since 0.1.0
 */
export type Action =
  | { readonly timeout: Duration.Input; readonly continue?: undefined }
  | { readonly continue: unknown; readonly timeout?: undefined }

/**
 * @category results
 * @since 0.1.0
 */
export interface Ok<S> {
  /** Marks `init`'s success (OTP's `{ok, State}`). */
  readonly _tag: "Ok"
  /** The server's initial state. */
  readonly state: S
  /** The idle timeout or continue to apply next (see {@link Action}); `undefined` for none. */
  readonly action: Action | undefined
}

/**
 * @category results
 * @since 0.1.0
 */
export interface Ignore {
  /** Marks `init`'s refusal to start (OTP's `ignore`). */
  readonly _tag: "Ignore"
}

/**
 * @category results
 * @since 0.1.0
 */
export interface Reply<A, S> {
  /** Marks a reply (OTP's `{reply, Reply, State}`). */
  readonly _tag: "Reply"
  /** The value the caller's `call` succeeds with. */
  readonly value: A
  /** The server's new state. */
  readonly state: S
  /** The idle timeout or continue to apply next (see {@link Action}); `undefined` for none. */
  readonly action: Action | undefined
}

/**
 * @category results
 * @since 0.1.0
 */
export interface ReplyFailure<E, S> {
  /** Marks a typed failure reply. */
  readonly _tag: "ReplyFailure"
  /** The typed error the caller's `call` fails with (one the request's Rpc declares). */
  readonly error: E
  /** The server's new state. */
  readonly state: S
  /** The idle timeout or continue to apply next (see {@link Action}); `undefined` for none. */
  readonly action: Action | undefined
}

/**
 * @category results
 * @since 0.1.0
 */
export interface NoReply<S> {
  /** Marks a result without a reply (OTP's `{noreply, State}`). */
  readonly _tag: "NoReply"
  /** The server's new state. */
  readonly state: S
  /** The idle timeout or continue to apply next (see {@link Action}); `undefined` for none. */
  readonly action: Action | undefined
}

/**
 * @category results
 * @since 0.1.0
 */
export interface Stop<S, A = never> {
  /** Marks a stop (OTP's `{stop, Reason, State}`). */
  readonly _tag: "Stop"
  /** The reason the server exits with, after `terminate`; from `init`, the start fails with `InitFailed` carrying it. */
  readonly reason: ExitReason.ExitReason
  /** The final state, which `terminate` receives (`undefined` from `init`). */
  readonly state: S
  /** In `handleCall`, the reply sent to the caller before the server stops; `undefined` for none. */
  readonly reply: { readonly value: A } | undefined
}

/**
 * What `init` may return.
 *
 * @category results
 * @since 0.1.0
 */
export type InitResult<S> = Ok<S> | Ignore | Stop<undefined>

/**
 * What a `handleCall` callback may return; `A` and `E` are the request's declared reply and
 * error types.
 *
 * @category results
 * @since 0.1.0
 */
export type CallResult<A, E, S> = Reply<A, S> | ReplyFailure<E, S> | NoReply<S> | Stop<S, A>

/**
 * What `handleCast`, `handleInfo` and `handleContinue` may return.
 *
 * @category results
 * @since 0.1.0
 */
export type CastResult<S> = NoReply<S> | Stop<S>

/**
 * `init` succeeded with `state`: the start returns the server.
 *
 * @category results
 * @since 0.1.0
 */
export const ok = <S>(state: S, action?: Action): Ok<S> => ({ _tag: "Ok", state, action })

/**
 * `init` declines to start: `start` fails with `InitIgnored`, and a supervisor keeps the child
 * as not running.
 *
 * @category results
 * @since 0.1.0
 */
export const ignore: Ignore = { _tag: "Ignore" }

/**
 * Reply `value` to the caller and continue with `state`.
 *
 * @category results
 * @since 0.1.0
 */
export const reply = <A, S>(value: A, state: S, action?: Action): Reply<A, S> => ({
  _tag: "Reply",
  value,
  state,
  action
})

/**
 * Fail the caller's `call` with the typed `error` (one the request's Rpc declares), and continue
 * with `state`. The server does not crash.
 *
 * @category results
 * @since 0.1.0
 */
export const replyFailure = <E, S>(error: E, state: S, action?: Action): ReplyFailure<E, S> => ({
  _tag: "ReplyFailure",
  error,
  state,
  action
})

/**
 * Continue with `state` without replying now; in `handleCall`, answer later with
 * {@link replyTo}.
 *
 * @category results
 * @since 0.1.0
 */
export const noreply = <S>(state: S, action?: Action): NoReply<S> => ({ _tag: "NoReply", state, action })

/**
 * Stop the server with `reason` after `terminate(reason, state)`; in `handleCall`, `reply`
 * answers the caller first. From `init`, the start fails with `InitFailed`.
 *
 * @category results
 * @since 0.1.0
 */
export const stopWith: {
  (reason: ExitReason.ExitReason): Stop<undefined>
  <S>(reason: ExitReason.ExitReason, state: S): Stop<S>
  <S, A>(reason: ExitReason.ExitReason, state: S, reply: A): Stop<S, A>
} = function(this: unknown, reason: ExitReason.ExitReason, state?: unknown, reply?: unknown) {
  return { _tag: "Stop", reason, state, reply: arguments.length >= 3 ? { value: reply } : undefined }
} as any

/**
 * The message `handleInfo` receives when an idle timeout expires.
 *
 * @category messages
 * @since 0.1.0
 */
export const timeout: { readonly _tag: "GenServerTimeout" } = { _tag: "GenServerTimeout" }

// ----------------------------------------------------------------------------
// Modules
// ----------------------------------------------------------------------------

/** A callback's result, returned directly or as an Effect. */
type Returns<A, R> = A | Effect.Effect<A, unknown, R>

type Named<Rpcs extends Rpc.Any, Tag extends string> = Extract<Rpcs, { readonly _tag: Tag }>

/**
 * The call handlers a module with calls `Calls` must have: one per tag, replying with that
 * request's declared type.
 *
 * @category models
 * @since 0.1.0
 */
export type CallHandlers<Calls extends Rpc.Any, S, R, Tags extends string = Calls["_tag"]> = {
  readonly [Tag in Tags]: (
    payload: Rpc.Payload<Named<Calls, Tag>>,
    state: S,
    from: Gen.From
  ) => Returns<CallResult<Rpc.Success<Named<Calls, Tag>>, Rpc.Error<Named<Calls, Tag>>, S>, R>
}

/**
 * The cast handlers a module with casts `Casts` must have: one per tag.
 *
 * @category models
 * @since 0.1.0
 */
export type CastHandlers<Casts extends Rpc.Any, S, R, Tags extends string = Casts["_tag"]> = {
  readonly [Tag in Tags]: (payload: Rpc.Payload<Named<Casts, Tag>>, state: S) => Returns<CastResult<S>, R>
}

/** The services an Effect needs (none for a plain value). */
type EffectServices<T> = T extends Effect.Effect<any, any, infer R> ? R : never

/** The services a callback's result needs. */
type CallbackServices<F> = F extends (...args: any) => infer Result ? EffectServices<Result> : never

/** The services a module definition's callbacks need, all of them. */
type ServicesIn<D> =
  | CallbackServices<D[keyof D & ("init" | "handleInfo" | "handleContinue" | "terminate" | "codeChange")]>
  | (D extends { readonly handleCall?: infer H } ? H extends object ? CallbackServices<H[keyof H]> : never : never)
  | (D extends { readonly handleCast?: infer H } ? H extends object ? CallbackServices<H[keyof H]> : never : never)

/** Rejects handlers for requests the module does not declare. */
type NoExtra<D, Calls extends Rpc.Any, Casts extends Rpc.Any> =
  & (D extends { readonly handleCall?: infer H } ? H extends object
      ? { readonly handleCall?: { readonly [Tag in Exclude<keyof H, Calls["_tag"]>]: "not a declared call" } }
    : unknown : unknown)
  & (D extends { readonly handleCast?: infer H } ? H extends object
      ? { readonly handleCast?: { readonly [Tag in Exclude<keyof H, Casts["_tag"]>]: "not a declared cast" } }
    : unknown : unknown)

/** Requires a handler for every declared call and cast (names the missing ones in the error). */
type Complete<Calls extends Rpc.Any, Casts extends Rpc.Any, CallTags extends string, CastTags extends string> =
  & ([Calls["_tag"]] extends [CallTags] ? unknown
    : { readonly handleCall: { readonly [Tag in Exclude<Calls["_tag"], CallTags>]: "missing handler" } })
  & ([Casts["_tag"]] extends [CastTags] ? unknown
    : { readonly handleCast: { readonly [Tag in Exclude<Casts["_tag"], CastTags>]: "missing handler" } })

/**
 * A GenServer module's definition: its protocol and callbacks.
 *
 * @category models
 * @since 0.1.0
 */
export interface Definition<
  Args,
  S,
  Calls extends Rpc.Any,
  Casts extends Rpc.Any,
  R,
  CallTags extends string = Calls["_tag"],
  CastTags extends string = Casts["_tag"]
> {
  /** The module's name: what `Sys.getStatus` and the code server show. */
  readonly name: string
  /** The module's version (default `"1"`), passed to the next version's `codeChange`. */
  readonly version?: string | undefined
  /** The call requests the server answers (Rpcs made with `Rpc.make`); each needs a `handleCall` handler. */
  readonly calls?: ReadonlyArray<Calls> | undefined
  /** The cast requests the server accepts (Rpcs made with `Rpc.make`); each needs a `handleCast` handler. */
  readonly casts?: ReadonlyArray<Casts> | undefined
  /** Runs in the new server before its start returns: turns the start arguments into the initial state ({@link ok}), or declines ({@link ignore}) or stops ({@link stopWith}). */
  readonly init: (args: Args) => Returns<InitResult<S>, R>
  /** One handler per declared call, given the payload, the state and the caller's reply handle (OTP's `handle_call`). */
  readonly handleCall?: CallHandlers<Calls, S, R, CallTags> | undefined
  /** One handler per declared cast, given the payload and the state (OTP's `handle_cast`). */
  readonly handleCast?: CastHandlers<Casts, S, R, CastTags> | undefined
  /** Any other message. Without it, such messages are logged and dropped. */
  readonly handleInfo?: ((message: unknown, state: S) => Returns<CastResult<S>, R>) | undefined
  /** Runs with the argument of a `{ continue }` action, before the next message (OTP's `handle_continue`); a continue without it crashes the server. */
  readonly handleContinue?: ((arg: unknown, state: S) => Returns<CastResult<S>, R>) | undefined
  /** Runs before the server exits: after a `stopWith`, a crash or a bad result in a callback (with the state from before it), `stop`, or the parent's exit signal when trapping exits. Not after a failed `init`, nor when the server is killed or dies of a link's exit signal without trapping exits. Its result is ignored. */
  readonly terminate?: ((reason: ExitReason.ExitReason, state: S) => Returns<void, R>) | undefined
  /**
   * Migrates the state of a running server from `oldVersion` (see `Sys.changeCode`). During
   * `Code.upgrade` an idle server's change runs in place, on the upgrading fiber with the
   * server's services; a plain value (not an Effect) is swapped in without any Effect step.
   */
  readonly codeChange?: ((oldVersion: string, oldState: unknown, extra: unknown) => Returns<S, R>) | undefined
  /**
   * What `Sys.getStatus` and the error report show of the state; use it to redact secrets.
   * Synchronous: if it throws (or returns an Effect, which is not run), the status shows
   * `"<Module>.formatStatus crashed"` (or `"... returned an Effect"`) instead, and the server
   * goes on.
   */
  readonly formatStatus?: ((state: S) => unknown) | undefined
}

/**
 * @category type ids
 * @since 0.1.0
 */
export const TypeId = "~effect-otp/GenServer" as const

/**
 * A GenServer module: made by {@link make}, started by {@link start}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Module<Args, S, Calls extends Rpc.Any, Casts extends Rpc.Any, R>
  extends Definition<Args, S, Calls, Casts, R>
{
  /** Type only: the module's start arguments, state, protocol and services (no value at runtime). */
  readonly [TypeId]: {
    readonly _Args: (_: Args) => void
    readonly _S: S
    readonly _Calls: Calls
    readonly _Casts: Casts
    readonly _R: R
  }
  /** The module's version: the definition's, or `"1"`. */
  readonly version: string
}

/**
 * Any module, for code generic over modules.
 *
 * @category models
 * @since 0.1.0
 */
export interface Any {
  /** Type only: the module's start arguments, state, protocol and services (no value at runtime). */
  readonly [TypeId]: {
    readonly _Args: (_: never) => void
    readonly _S: any
    readonly _Calls: Rpc.Any
    readonly _Casts: Rpc.Any
    readonly _R: any
  }
  /** The module's name. */
  readonly name: string
  /** The module's version. */
  readonly version: string
}

/** @internal */
type CallsOf<M> = M extends { readonly [TypeId]: { readonly _Calls: infer C } } ? C : never
/** @internal */
type CastsOf<M> = M extends { readonly [TypeId]: { readonly _Casts: infer C } } ? C : never
/** @internal */
type ArgsOf<M> = M extends { readonly [TypeId]: { readonly _Args: (_: infer A) => void } } ? A : never
/** @internal */
type ServicesOf<M> = M extends { readonly [TypeId]: { readonly _R: infer R } } ? R : never

/**
 * Defines a GenServer module. The state type comes from `init`; every declared call and cast
 * needs its handler, and every handler's reply must have the request's declared type.
 *
 * @example
 * ```ts
 * import { Option, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 *
 * const Put = Rpc.make("Put", { payload: { key: Schema.String, value: Schema.String } })
 * const Fetch = Rpc.make("Fetch", { payload: { key: Schema.String }, success: Schema.OptionFromNullOr(Schema.String) })
 *
 * const KV = GenServer.make({
 *   name: "KV",
 *   calls: [Put, Fetch],
 *   init: () => GenServer.ok(new Map<string, string>()),
 *   handleCall: {
 *     Put: ({ key, value }, table) => GenServer.reply(undefined, new Map(table).set(key, value)),
 *     Fetch: ({ key }, table) => GenServer.reply(Option.fromUndefinedOr(table.get(key)), table)
 *   }
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <
  Args,
  S,
  Calls extends Rpc.Any = never,
  Casts extends Rpc.Any = never,
  // The handlers' tags are their own type parameters so that TypeScript infers from the
  // handlers (it cannot through a mapped type keyed by `Calls["_tag"]`); `Complete` then
  // requires one handler per declared request.
  CallTags extends Calls["_tag"] = Calls["_tag"],
  CastTags extends Casts["_tag"] = Casts["_tag"],
  // The definition as written: the services the module needs are the union of what each
  // callback's Effect needs (one type parameter for all callbacks would keep only one of them).
  D extends Definition<Args, S, Calls, Casts, any, CallTags, CastTags> = Definition<Args, S, Calls, Casts, any, CallTags, CastTags>
>(
  definition:
    & D
    & Definition<Args, S, Calls, Casts, any, CallTags, CastTags>
    & Complete<Calls, Casts, CallTags, CastTags>
    & NoExtra<D, Calls, Casts>
): Module<Args, S, Calls, Casts, ServicesIn<D>> => {
  const module = { ...definition, version: definition.version ?? "1", [TypeId]: undefined as never }
  // The handler tables are resolved once, here: a request tag (which an untyped caller
  // controls) only ever reaches an own handler of the definition, never `Object.prototype`.
  handlersByModule.set(module, resolveHandlers(module))
  return module as any
}

/**
 * @category guards
 * @since 0.1.0
 */
export const isModule = (u: unknown): u is Any => typeof u === "object" && u !== null && TypeId in u

// ----------------------------------------------------------------------------
// Servers
// ----------------------------------------------------------------------------

/**
 * A typed reference to a running server of module `M`: its pid, a name, or a via name. Calls
 * and casts through it are checked against `M`'s protocol.
 *
 * @category models
 * @since 0.1.0
 */
export interface Server<M, E = never> {
  /** Where calls and casts go: the pid, a name, a via name, or a remote target (`Cluster.ref`). */
  readonly target: Gen.Target
  /** Type only: the module whose protocol calls and casts are checked against (not set at runtime). */
  readonly module?: M | undefined
  /** The pid the server was started with (absent for a reference made from a name). */
  readonly pid: Pid | undefined
  /** Type only: what a call can fail with besides the protocol's errors and `CallError` (a cluster reference's transport errors, see `Cluster.ref`). */
  readonly errors?: ((_: never) => E) | undefined
}

/**
 * A typed reference to the server of `module` running under `target` (a name, a via name or a
 * pid), e.g. to call a server started elsewhere.
 *
 * @example
 * ```ts
 * import { GenServer } from "effect-otp"
 * declare const Counter: GenServer.Any
 * const counter = GenServer.ref(Counter, "counter")
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const ref = <M extends Any>(_module: M, target: Gen.Target): Server<M> => ({
  target,
  pid: typeof target === "object" && "id" in target ? target : undefined
})

/**
 * Options of {@link start} and {@link startLink}.
 *
 * @category models
 * @since 0.1.0
 */
export interface StartOptions extends Gen.StartOptions {}

/**
 * Starts a server of `module`, running `init(args)`; returns once `init` finished. Fails with
 * `InitFailed` (init stopped or crashed), `InitIgnored`, `InitTimeout` (the server is killed),
 * or `AlreadyStarted` (the name is taken; `pid` is the running server).
 *
 * @category client
 * @since 0.1.0
 */
export const start = <M extends Any>(
  module: M,
  args: ArgsOf<M>,
  options?: StartOptions
): Effect.Effect<Server<M>, Gen.StartError, Node | Exclude<ServicesOf<M>, Process.CurrentProcess>> =>
  Effect.flatMap(Code.resolve(module), (current) =>
    Effect.map(
      Gen.start((ack) => serve(current as unknown as AnyModule, args, ack, undefined), options),
      (pid) => ({ target: pid, pid })
    )) as any

/**
 * Like {@link start}, linked to the calling process: how a supervisor starts a server.
 *
 * @category client
 * @since 0.1.0
 */
export const startLink = <M extends Any>(
  module: M,
  args: ArgsOf<M>,
  options?: StartOptions
): Effect.Effect<
  Server<M>,
  Gen.StartError,
  Node | Process.CurrentProcess | Exclude<ServicesOf<M>, Process.CurrentProcess>
> =>
  Effect.flatMap(Process.self, (parent) =>
    Effect.flatMap(Code.resolve(module), (current) =>
      Effect.map(
        Gen.startLink((ack) => serve(current as unknown as AnyModule, args, ack, parent), options),
        (pid) => ({ target: pid, pid })
      ))) as any

/**
 * The child spec that starts this module under a supervisor with {@link startLink}: id the
 * module's name unless given, restart `permanent`, shutdown 5000 ms (see `ChildSpec`).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer, Supervisor } from "effect-otp"
 *
 * const Ping = Rpc.make("Ping", { success: Schema.String })
 * const Pinger = GenServer.make({
 *   name: "Pinger",
 *   calls: [Ping],
 *   init: () => GenServer.ok(null),
 *   handleCall: { Ping: (_, s) => GenServer.reply("pong", s) }
 * })
 *
 * const tree = Supervisor.start([GenServer.childSpec(Pinger, undefined, { name: "pinger", restart: "transient" })])
 * ```
 *
 * @category supervision
 * @since 0.1.0
 */
export const childSpec = <M extends Any>(
  module: M,
  args: ArgsOf<M>,
  options?: StartOptions & ChildSpec.Options
): ChildSpec.ChildSpec<Exclude<ServicesOf<M>, Process.CurrentProcess>> =>
  ChildSpec.worker(
    options?.id ?? module.name,
    Effect.map(
      startLink(module, args, { name: options?.name, timeout: options?.timeout, trapExit: options?.trapExit }),
      (server) => server.pid!
    ),
    { modules: [module.name], ...options }
  ) as any

/**
 * A typed `codeChange`: decodes the running server's old state with `from` (an Effect Schema),
 * then migrates it with `f`; with `to`, the new state is checked too. A state that does not
 * decode, or a migration that fails, fails the code change: the server keeps its old code and
 * state, and the caller (`Sys.changeCode`, `Code.upgrade`) gets the error, at the swap rather
 * than at the next message. With a Schema that decodes synchronously and an `f` that returns a
 * plain value, the migration returns the new state itself, not an Effect: the cheapest change
 * an upgrade of many servers can make.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { GenServer } from "effect-otp"
 *
 * // Version 1 kept a number; version 2 keeps a record.
 * const codeChange = GenServer.migrate(Schema.Number, (count, oldVersion) => ({ count, since: oldVersion }))
 * ```
 *
 * @category code change
 * @since 0.1.0
 */
export const migrate = <From extends Schema.Top, S, R = never>(
  from: From,
  f: (oldState: From["Type"], oldVersion: string, extra: unknown) => S | Effect.Effect<S, unknown, R>,
  options?: { readonly to?: Schema.Codec<S, any> | undefined }
): (oldVersion: string, oldState: unknown, extra: unknown) => S | Effect.Effect<S, unknown, R | From["DecodingServices"]> => {
  const decode = Schema.decodeUnknownEffect(from)
  const check = options?.to === undefined ? undefined : Schema.decodeUnknownEffect(options.to)
  const checked = (next: S | Effect.Effect<S, unknown, R>): S | Effect.Effect<S, unknown, R> =>
    check === undefined
      ? next
      : Effect.isEffect(next)
      ? Effect.flatMap(next, (s) => check(s) as Effect.Effect<S, unknown>)
      : check(next) as Effect.Effect<S, unknown>
  return (oldVersion, oldState, extra) => {
    const old = decode(oldState)
    // A schema without effects decodes at once, to an Exit: a plain migration then returns the
    // new state itself, which an upgrade swaps in with no Effect to run.
    if (Exit.isExit(old)) return Exit.isSuccess(old) ? checked(f(old.value, oldVersion, extra)) : Exit.failCause(old.cause)
    return Effect.flatMap(old, (value) => {
      const next = checked(f(value, oldVersion, extra))
      return Effect.isEffect(next) ? next : Effect.succeed(next)
    })
  }
}

/** A request as it travels: the Rpc tag and its payload. */
class Request {
  constructor(readonly _tag: unknown, readonly payload: unknown) {}
}

/** The tag of what an untyped caller passed as a request (`undefined` for `null` or `undefined`). */
const tagOf = (request: { readonly _tag: unknown } | null | undefined): unknown =>
  request === null || request === undefined ? undefined : request._tag

type PayloadArg<Req extends Rpc.Any> = [Rpc.Payload<Req>] extends [void] ? [payload?: Rpc.Payload<Req>]
  : [payload: Rpc.Payload<Req>]

/**
 * Calls the server with a request of its protocol and waits for the typed reply. Fails with the
 * request's declared error (a `replyFailure`), `NoProc`, `CallExit`, `CallTimeout` (default
 * 5 s; `{ timeout }` to change, `"infinity"` to wait as long as the server lives), or
 * `UnknownRequest` if the server at that name runs another protocol. A timeout that is
 * negative, `NaN` or no duration fails with `BadArgument` before the request is sent (in the
 * type whenever a timeout other than `"infinity"` is given: `Gen.TimeoutOptionError`).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 *
 * const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })
 * declare const counter: GenServer.Server<GenServer.Module<number, number, typeof Add, never, never>>
 *
 * const eleven = GenServer.call(counter, Add, { by: 1 }, { timeout: "1 second" }) // Effect<number, ...>
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const call: {
  <M extends Any, Req extends CallsOf<M>, E = never>(
    server: Server<M, E>,
    request: Req,
    ...args: PayloadArg<Req>
  ): Effect.Effect<Rpc.Success<Req>, Rpc.Error<Req> | CallError | UnknownRequest | E>
  <M extends Any, Req extends CallsOf<M>, O extends Gen.CallOptions | undefined, E = never>(
    server: Server<M, E>,
    request: Req,
    ...args: [...PayloadArg<Req>, options?: O]
  ): Effect.Effect<Rpc.Success<Req>, Rpc.Error<Req> | CallError | UnknownRequest | E | Gen.TimeoutOptionError<O>>
} = (server: Server<Any, unknown>, request: Rpc.Any, ...args: Array<unknown>): Effect.Effect<any, any> =>
  Gen.call(server.target, new Request(tagOf(request), args[0]), args[1] as Gen.CallOptions | undefined)

/**
 * Sends a cast of the server's protocol: never waits, never fails (a cast to a dead server or
 * unknown name is dropped, as in OTP).
 *
 * @category client
 * @since 0.1.0
 */
export const cast = <M extends Any, Req extends CastsOf<M>, E = never>(
  server: Server<M, E>,
  request: Req,
  ...args: PayloadArg<Req>
): Effect.Effect<void> => Gen.cast(server.target, new Request(tagOf(request), args[0]))

/**
 * Answers a call later, from any process, with the handle `handleCall` received (OTP's
 * `gen_server:reply/2`). Answering twice, or after the caller timed out, does nothing.
 *
 * @category client
 * @since 0.1.0
 */
export const replyTo = (from: Gen.From, value: unknown): Effect.Effect<void> => Gen.reply(from, value)

/**
 * Stops the server: it runs `terminate(reason)` (default `normal`) and exits; completes once it
 * has exited. Fails with `NoProc` if it is not running, `CallTimeout` if it did not exit in time
 * (default `"infinity"`, as OTP), `CallExit` if it exited with another reason (e.g. `terminate`
 * crashed).
 *
 * @category client
 * @since 0.1.0
 */
export const stop = (
  server: Server<any> | Gen.Target,
  options?: { readonly reason?: ExitReason.ExitReason | undefined; readonly timeout?: Gen.Timeout | undefined }
): Effect.Effect<void, CallError> => {
  const target = isServer(server) ? server.target : server
  // A value that is not an exit reason (an untyped caller's) is carried in a Crash, as the
  // server carries it (OTP takes any term): the same object, so that the comparison holds.
  const reason = toExitReason(options?.reason ?? ExitReason.normal)
  return Sys.terminate(target, reason, { timeout: options?.timeout ?? "infinity" }).pipe(
    Effect.catchTag("CallExit", (e) => sameReason(e.reason, reason) ? Effect.void : Effect.fail(e))
  )
}

const isServer = (u: unknown): u is Server<any> =>
  typeof u === "object" && u !== null && "target" in u && !("id" in u)

/**
 * A reason a `stopWith` may carry: an exit reason, a `Crash` only with a real `Cause` (an
 * untyped `{ _tag: "Crash" }` is no reason anything downstream could read).
 */
const isStopReason = (u: unknown): u is ExitReason.ExitReason =>
  ExitReason.isExitReason(u) && (u._tag !== "Crash" || Cause.isCause(u.cause))

/** An exit reason as is; any other value inside a `Crash` (OTP's exit with any term). */
const toExitReason = (u: unknown): ExitReason.ExitReason => isStopReason(u) ? u : ExitReason.fail(u)

const sameReason = (a: ExitReason.ExitReason, b: ExitReason.ExitReason): boolean =>
  a._tag === b._tag && (a._tag !== "Shutdown" || b._tag !== "Shutdown" || a.reason === b.reason) &&
  (a._tag !== "Crash" || a === b)

// ----------------------------------------------------------------------------
// The loop
// ----------------------------------------------------------------------------

/** The module as the loop sees it: every type erased. */
interface AnyModule {
  readonly name: string
  readonly version: string
  readonly init: (args: unknown) => Returns<InitResult<unknown>, unknown>
  readonly handleCall?: object
  readonly handleCast?: object
  readonly handleInfo?: (message: unknown, state: unknown) => unknown
  readonly handleContinue?: (arg: unknown, state: unknown) => unknown
  readonly terminate?: (reason: ExitReason.ExitReason, state: unknown) => unknown
  readonly codeChange?: (oldVersion: string, oldState: unknown, extra: unknown) => unknown
  readonly formatStatus?: (state: unknown) => unknown
}

type CallHandler = (payload: unknown, state: unknown, from: Gen.From) => unknown
type CastHandler = (payload: unknown, state: unknown) => unknown

/**
 * A module's call and cast handlers by request tag: the own, enumerable, function-valued
 * properties of its `handleCall` and `handleCast`, and nothing else. A tag such as
 * `constructor`, `toString` or `__proto__` finds nothing unless the module declared a handler
 * of that very name; the loop looks up string tags only (any other value could run its own
 * `toString`).
 */
interface Handlers {
  readonly calls: Table<CallHandler>
  readonly casts: Table<CastHandler>
}

interface Table<F> {
  readonly [tag: string]: F | undefined
}

/**
 * The prototype of every handler table: no members at all (not even `Object.prototype`'s, so
 * no `__proto__` accessor either), frozen. Performance: a table made from it keeps V8's fast
 * properties, and a lookup of the same tag message after message hits an inline cache, where
 * a `Map` or an object made by `Object.create(null)` (a dictionary) hashes the tag each time.
 */
const noMembers: object = Object.freeze(Object.create(null))

const ownFunctions = <F>(table: unknown): Table<F> => {
  const out: Record<string, F> = Object.create(noMembers)
  if (typeof table !== "object" || table === null) return out
  for (const key of Object.keys(table)) {
    // The descriptor, not `table[key]`: a getter is no handler, and is not run.
    const descriptor = Object.getOwnPropertyDescriptor(table, key)
    // An own data property, even for `__proto__` (no accessor on the table's chain).
    if (descriptor !== undefined && typeof descriptor.value === "function") out[key] = descriptor.value as F
  }
  return out
}

const resolveHandlers = (module: { readonly handleCall?: unknown; readonly handleCast?: unknown }): Handlers => ({
  calls: ownFunctions<CallHandler>(module.handleCall),
  casts: ownFunctions<CastHandler>(module.handleCast)
})

/** The handlers of each module made by `make` (and of any other module value, once seen). */
const handlersByModule = new WeakMap<object, Handlers>()
/** The module looked up last: an upgrade of many servers asks for one module over and over. */
let lastModule: AnyModule | undefined
let lastHandlers: Handlers | undefined

const handlersOf = (module: AnyModule): Handlers => {
  if (module === lastModule) return lastHandlers!
  let handlers = handlersByModule.get(module)
  if (handlers === undefined) {
    // A module value that `make` did not return (e.g. written by hand): resolved once, the same way.
    handlers = resolveHandlers(module)
    handlersByModule.set(module, handlers)
  }
  lastModule = module
  lastHandlers = handlers
  return handlers
}

const run = <A>(result: unknown): Effect.Effect<A, unknown, unknown> =>
  Effect.isEffect(result) ? result as Effect.Effect<A, unknown, unknown> : Effect.succeed(result as A)

/**
 * The loop's mutable registers; also what the server registers with the code server, which
 * reads `module` and may change an idle server's code in place (`changeIdle`).
 */
class Loop implements Code.Tracked {
  // The fields an upgrade reads and writes come first, so that they share the object's first
  // cache line: an upgrade of many idle servers is bound by memory, one server after another.
  /** The module the server runs: the code server reads it. */
  module: AnyModule
  /** The module's handler tables (see `Handlers`); changed with `module`. */
  handlers: Handlers
  state: unknown
  /** Blocked in the main loop's plain `receive`: idle when the mailbox is empty too. */
  parked = false
  /** A code change running in place on another fiber; the loop waits for it (see `resume`). */
  changing = false
  readonly inbox: Process.Mailbox
  timeout: number | undefined = undefined
  continueArg: { readonly value: unknown } | undefined = undefined
  /**
   * The message being (or last) handled, for the error report if the server crashes: the
   * request of a call (not the call, which holds the caller's handle), the cast, the info
   * message, a `Continuing`, or `undefined`. One store per message.
   */
  last: unknown = undefined
  suspended = false
  trace = false
  since: number
  messagesIn = 0
  messagesOut = 0
  terminated = false
  /** Resumes the loop once the in-place code change is done, if it woke meanwhile. */
  waiter: (() => void) | undefined = undefined
  readonly self: Pid
  readonly parent: Pid | undefined
  readonly startTime: number
  readonly context: Context.Context<never>

  constructor(
    module: AnyModule,
    state: unknown,
    self: Pid,
    parent: Pid | undefined,
    startTime: number,
    inbox: Process.Mailbox,
    context: Context.Context<never>
  ) {
    this.module = module
    this.handlers = handlersOf(module)
    this.state = state
    this.inbox = inbox
    this.since = startTime
    this.self = self
    this.parent = parent
    this.startTime = startTime
    this.context = context
  }

  /** `Code.Tracked`: the `ChangeCode` system message, handled now on the caller's fiber. */
  changeIdle(module: Code.Module, extra: unknown): Effect.Effect<void, Sys.SysError> | undefined {
    if (!this.parked || this.changing || !this.inbox.waiting || this.inbox.messageCount > 0) return undefined
    const next = module as AnyModule
    // A module of another name goes through the message, which reports it.
    if (next.name !== this.module.name || !isModule(next)) return undefined
    // The services the code change needs are the server's own: `context` provides them.
    const change = this.changeCode(next, extra) as Effect.Effect<void, Sys.SysError>
    if (change === Exit.void || Exit.isExit(change)) return change
    // Asynchronous: the loop, if a message wakes it, waits until the change ends, however it
    // ends (an interrupted upgrade leaves the old code and state).
    this.changing = true
    return Effect.provideContext(change, this.context).pipe(
      Effect.ensuring(Effect.sync(() => {
        this.changing = false
        const waiter = this.waiter
        this.waiter = undefined
        if (waiter !== undefined) waiter()
      }))
    )
  }

  /**
   * Runs `next`'s `codeChange` on the state and swaps module and state if it succeeds; the
   * old code and state stay otherwise. An `Exit` when that was synchronous (a plain value, or
   * an Effect that is already an `Exit`, as `migrate` returns; `Exit.void` itself when the
   * change went through), else the Effect to run.
   */
  changeCode(next: AnyModule, extra: unknown): Effect.Effect<void, Sys.SysError, unknown> {
    if (next.codeChange === undefined) {
      this.setModule(next)
      return Exit.void
    }
    let migrated: unknown
    try {
      migrated = next.codeChange(this.module.version, this.state, extra)
    } catch (error) {
      return Exit.fail(codeChangeFailed(Cause.die(error)))
    }
    // A plain new state (checked here rather than by `Effect.isEffect`, so that the check sees
    // one kind of state and stays cheap over an upgrade of many servers).
    if ((typeof migrated !== "object" && typeof migrated !== "function") || migrated === null || !(Effect.TypeId in migrated)) {
      this.setModule(next)
      this.state = migrated
      return Exit.void
    }
    if (Exit.isExit(migrated)) return this.swap(next, migrated)
    return Effect.flatMap(Effect.exit(migrated as Effect.Effect<unknown, unknown, unknown>), (exit) => this.swap(next, exit))
  }

  private swap(next: AnyModule, migrated: Exit.Exit<unknown, unknown>): Exit.Exit<void, Sys.SysError> {
    if (Exit.isFailure(migrated)) return Exit.fail(codeChangeFailed(migrated.cause))
    // The code server reads `module`: nothing else to tell it.
    this.setModule(next)
    this.state = migrated.value
    return Exit.void
  }

  /** Swaps the module and its handler tables together. */
  setModule(next: AnyModule): void {
    this.module = next
    this.handlers = handlersOf(next)
  }
}

const codeChangeFailed = (cause: Cause.Cause<unknown>): Sys.SysError =>
  new Sys.SysError({ request: "ChangeCode", reason: `codeChange failed: ${ExitReason.format(ExitReason.crash(cause))}`, cause })

/** Waits, after a wake-up, for an in-place code change that is still running. */
const awaitCodeChange = (loop: Loop): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    if (!loop.changing) return resume(Effect.void)
    loop.waiter = () => resume(Effect.void)
  })

const serve = (
  module: AnyModule,
  args: unknown,
  ack: Gen.Ack,
  parent: Pid | undefined
): Effect.Effect<void, unknown, unknown> =>
  Effect.flatMap(
    Effect.gen({ self: new Starting(module, args, ack, parent) }, initBody),
    (loop) => loop === undefined ? Effect.void : runServer(loop)
  )

/**
 * What `init` needs. The process's root effect (which holds this) stays referenced for the
 * process's whole life, so `initBody` lets go of the arguments and the acknowledgement (and
 * so of the starter's state that it holds) once the server runs.
 */
class Starting {
  constructor(
    public module: AnyModule | undefined,
    public args: unknown,
    public ack: Gen.Ack | undefined,
    readonly parent: Pid | undefined
  ) {}
}

/**
 * Runs `init` and acknowledges the start; returns the loop's registers once the server runs.
 * It ends there, so that the start's arguments, the acknowledgement and this generator are not
 * kept for the server's whole life. `init`'s result is checked as gen_server's `init_it`
 * checks it: anything but `ok` (with a valid action), `ignore` or `stopWith` (with an exit
 * reason) fails the start with `BadReturnValue`, and the process exits without running.
 */
function* initBody(this: Starting) {
  const { args, parent } = this
  const module = this.module!
  const ack = this.ack!
  this.module = undefined
  this.args = undefined
  this.ack = undefined
  const initResult = yield* Effect.exit(Effect.suspend(() => run<unknown>(module.init(args))))
  if (Exit.isFailure(initResult)) {
    const reason = ExitReason.crash(initResult.cause)
    yield* ack({ _tag: "Stop", reason })
    return yield* Process.exitWith(reason)
  }
  const init = initResult.value as InitResult<unknown> | null | undefined
  const tag = typeof init === "object" && init !== null ? init._tag : undefined
  if (tag === "Ignore") {
    yield* ack({ _tag: "Ignore" })
    return
  }
  if (tag === "Stop" && isStopReason((init as Stop<undefined>).reason)) {
    const reason = (init as Stop<undefined>).reason
    yield* ack({ _tag: "Stop", reason })
    return yield* Process.exitWith(reason)
  }
  const ok = init as Ok<unknown>
  const loop = tag === "Ok" && "state" in ok
    ? new Loop(
      module,
      ok.state,
      yield* Process.self,
      parent,
      yield* Clock.currentTimeMillis,
      yield* Process.mailbox,
      yield* Effect.context<never>()
    )
    : undefined
  if (loop === undefined || !setAction(loop, ok.action)) {
    const reason = badReturnValue(module, "init", undefined, init)
    yield* ack({ _tag: "Stop", reason })
    return yield* Process.exitWith(reason)
  }
  yield* Code.track(loop)
  yield* ack({ _tag: "Ok" })
  return loop
}

/**
 * The server's life after `init`: the main loop, then `terminate` (after a crash in a callback;
 * a stop ran it already), the error report of an abnormal exit, and the exit.
 */
const runServer = (loop: Loop): Effect.Effect<void, unknown, unknown> =>
  Effect.flatMap(Effect.exit(mainLoop(loop)), (exit) => {
    if (Exit.isSuccess(exit)) return finish(loop, exit.value)
    const reason = ExitReason.crash(exit.cause)
    // `terminate` already ran if it is what crashed (after a stop): the server exits with that crash.
    if (loop.terminated) return finish(loop, reason)
    return Effect.flatMap(
      Effect.exit(runTerminate(loop, reason)),
      (terminated) => finish(loop, Exit.isFailure(terminated) ? ExitReason.crash(terminated.cause) : reason)
    )
  })

/**
 * Exits with `reason`, once `terminate` ran. An abnormal reason (not `normal`, `shutdown` or
 * `{shutdown, _}`) is logged first as gen_server's error report, once, whoever the parent is.
 */
const finish = (loop: Loop, reason: ExitReason.ExitReason): Effect.Effect<void, unknown, unknown> => {
  if (reason._tag === "Normal") return Effect.void
  if (reason._tag === "Shutdown") return Process.exitWith(reason)
  return Effect.andThen(
    Effect.withFiber((fiber) => {
      if (reports.enabled(fiber, "Error")) {
        reports.serverTerminated(fiber, {
          module: loop.module.name,
          lastMessage: describeLast(loop.last),
          state: Formatter.format(formatState(loop)),
          reason
        })
      }
      return Effect.void
    }),
    Process.exitWith(reason)
  )
}

/**
 * Checks an action (`{ timeout }` or `{ continue }`, or `undefined` for none) and, if it is
 * valid for the loop's module, applies it; returns `false`, changing nothing, if it is not
 * (gen_server's `bad_return_value`): a timeout that is no duration, negative or `NaN`, a
 * continue without `handleContinue`, both at once, or no object.
 */
const setAction = (loop: Loop, action: Action | undefined): boolean => {
  if (action === undefined) {
    loop.timeout = undefined
    loop.continueArg = undefined
    return true
  }
  if (typeof action !== "object" || action === null) return false
  const timeout = action.timeout
  if (timeout !== undefined) {
    if ("continue" in action && action.continue !== undefined) return false
    const millis = durationMillis("GenServer idle timeout", timeout, true)
    if (typeof millis !== "number") return false
    // OTP's `infinity`: no idle timeout.
    loop.timeout = millis === Infinity ? undefined : millis
    loop.continueArg = undefined
    return true
  }
  if ("continue" in action) {
    if (typeof loop.module.handleContinue !== "function") return false
    loop.timeout = undefined
    loop.continueArg = { value: action.continue }
    return true
  }
  // `{}` or `{ timeout: undefined }`: no action.
  loop.timeout = undefined
  loop.continueArg = undefined
  return true
}


/** Runs `terminate` once: a crash inside `terminate` itself does not run it again. */
const runTerminate = (loop: Loop, reason: ExitReason.ExitReason): Effect.Effect<void, unknown, unknown> =>
  Effect.suspend(() => {
    if (loop.terminated || loop.module.terminate === undefined) return Effect.void
    loop.terminated = true
    return Effect.asVoid(run<void>(loop.module.terminate(reason, loop.state)))
  })

const drainBudget = 4096

/** What `Loop.last` holds while a continue runs (OTP's `{continue, Continue}` message). */
class Continuing {
  constructor(readonly arg: unknown) {}
}

/** Runs until the server stops; returns the exit reason (after `terminate` ran). */
const mainLoop = (loop: Loop): Effect.Effect<ExitReason.ExitReason, unknown, unknown> =>
  Effect.gen({ self: loop }, mainLoopBody)

function* mainLoopBody(this: Loop) {
  const loop = this
  const inbox = loop.inbox
  let drained = 0
  while (true) {
    if (loop.continueArg !== undefined) {
      const arg = loop.continueArg.value
      loop.continueArg = undefined
      loop.last = new Continuing(arg)
      const handler = loop.module.handleContinue
      // A continue is accepted only from a module with handleContinue (see `setAction`); its
      // code cannot change before the continue runs.
      if (handler === undefined) return yield* Effect.die(new Error(`${loop.module.name} has no handleContinue`))
      const stop = applyNoReply(loop, yield* run<unknown>(handler(arg, loop.state)), "handleContinue", undefined)
      if (stop !== undefined) return yield* stopping(loop, stop)
      continue
    }
    // Messages already queued are taken without an Effect step each; every `drainBudget`
    // messages the loop yields, so one busy server cannot starve the others.
    let message: unknown = loop.suspended || loop.timeout !== undefined ? Process.noMessage : inbox.poll()
    if (message !== Process.noMessage) {
      if (++drained >= drainBudget) {
        drained = 0
        yield* Effect.yieldNow
      }
    } else if (loop.suspended) {
      // Suspended: only system messages, and the parent's exit signal when trapping (OTP's
      // sys suspend loop); everything else stays queued, in order.
      message = yield* Process.receive({ match: (m) => Gen.isSystemMessage(m) || isParentExit(loop, m) })
    } else if (loop.timeout !== undefined) {
      const next = yield* Process.receive({ timeout: loop.timeout })
      message = Option.isSome(next) ? next.value : timeout
    } else {
      loop.parked = true
      message = yield* Process.receive()
      loop.parked = false
      // Idle, this server may have had its code changed in place (`Code.upgrade`); if that
      // change is still running (an asynchronous `codeChange`), the message waits for it.
      if (loop.changing) yield* awaitCodeChange(loop)
    }
    // Statistics and traces cover the server's own messages, not system messages (as OTP's
    // debug events).
    if (!(message instanceof Gen.SystemMessage)) {
      loop.messagesIn++
      if (loop.trace) yield* Effect.log(`${loop.self} got ${describeMessage(message)}`)
    }
    let stop: Stop<unknown, unknown> | undefined
    if (message instanceof Gen.CastMessage) {
      loop.last = message
      // Anything may arrive as a cast (`Gen.cast`): only a declared handler of its tag runs.
      const request = message.request as Request | null | undefined
      const tag = request?._tag
      const handler = typeof tag === "string" ? loop.handlers.casts[tag] : undefined
      if (handler === undefined) {
        yield* Effect.logWarning(`${loop.module.name} ${loop.self}: no handleCast for ${formatTag(tag)}; dropped`)
        continue
      }
      const result = handler((request as Request).payload, loop.state)
      stop = applyNoReply(loop, Effect.isEffect(result) ? yield* result : result, "handleCast", tag)
    } else if (message instanceof Gen.CallMessage) {
      const request = message.request as Request | null | undefined
      loop.last = request
      const tag = request?._tag
      const handler = typeof tag === "string" ? loop.handlers.calls[tag] : undefined
      if (handler === undefined) {
        Gen.replyFailureUnsafe(message.from, new UnknownRequest({ target: loop.self, tag: formatTag(tag) }))
        continue
      }
      const client = Gen.callSpan(message.from)
      if (client !== undefined) {
        stop = yield* tracedCall(loop, message.from, request as Request, handler, client)
      } else {
        const result = handler((request as Request).payload, loop.state, message.from)
        stop = yield* applyCall(loop, message.from, Effect.isEffect(result) ? yield* result : result, tag)
      }
    } else if (message instanceof Gen.SystemMessage) {
      const outcome = yield* handleSystem(loop, message)
      if (outcome !== undefined) return outcome
      continue
    } else if (isParentExit(loop, message)) {
      // The parent (supervisor) is shutting us down while we trap exits: terminate, then go.
      loop.last = message
      yield* runTerminate(loop, message.reason)
      return message.reason
    } else if (loop.module.handleInfo !== undefined) {
      loop.last = message
      stop = applyNoReply(loop, yield* run<unknown>(loop.module.handleInfo(message, loop.state)), "handleInfo", undefined)
    } else {
      yield* Effect.logWarning(`${loop.module.name} ${loop.self}: unexpected message ${describeMessage(message)}`)
      continue
    }
    if (stop !== undefined) return yield* stopping(loop, stop)
  }
}

const isParentExit = (loop: Loop, message: unknown): message is Process.ExitMessage =>
  Process.isExitMessage(message) && loop.parent !== undefined && message.from === loop.parent

/**
 * A stop: `terminate`, then the reply of a `stopWith` with one (sent however `terminate` ends,
 * as gen_server sends it in an `after`), so the caller sees terminate's effects first.
 */
const stopping = (loop: Loop, stop: Stop<unknown, unknown>): Effect.Effect<ExitReason.ExitReason, unknown, unknown> => {
  const terminated = Effect.as(runTerminate(loop, stop.reason), stop.reason)
  if (!(stop instanceof StopReplying)) return terminated
  return Effect.ensuring(
    terminated,
    Effect.sync(() => {
      loop.messagesOut++
      Gen.replyUnsafe(stop.from, stop.value)
    })
  )
}

/** A `stopWith` from `handleCall` with a reply, to send once `terminate` ran. */
class StopReplying {
  readonly _tag = "Stop"
  readonly reply = undefined
  constructor(
    readonly reason: ExitReason.ExitReason,
    readonly state: unknown,
    readonly from: Gen.From,
    readonly value: unknown
  ) {}
}

/**
 * The stop a bad callback result makes: `BadReturnValue` in a `Crash`, with the state the
 * server had before the callback (gen_server terminates with the old state).
 */
const badReturn = (loop: Loop, callback: string, tag: unknown, value: unknown): Stop<unknown, unknown> => ({
  _tag: "Stop",
  reason: badReturnValue(loop.module, callback, tag, value),
  state: loop.state,
  reply: undefined
})

const badReturnValue = (module: AnyModule, callback: string, tag: unknown, value: unknown): ExitReason.ExitReason =>
  ExitReason.fail(
    new BadReturnValue({
      module: module.name,
      callback: tag === undefined ? callback : `${callback}(${formatTag(tag)})`,
      value
    })
  )

/**
 * Checks and applies a `handleCast`, `handleInfo` or `handleContinue` result: `noreply` (with
 * a valid action) or `stopWith` (with an exit reason). Anything else stops the server with
 * `BadReturnValue`. The common case (a `noreply` without an action) is a few property reads.
 */
const applyNoReply = (loop: Loop, result: unknown, callback: string, tag: unknown): Stop<unknown, unknown> | undefined => {
  if (typeof result === "object" && result !== null) {
    const r = result as CastResult<unknown>
    if (r._tag === "NoReply") {
      if ("state" in r && setAction(loop, r.action)) {
        loop.state = r.state
        return undefined
      }
    } else if (r._tag === "Stop" && "state" in r && isStopReason(r.reason) && r.reply === undefined) {
      // A stop with a reply is a handleCall result only (OTP's `{stop, Reason, Reply, State}`).
      loop.state = r.state
      return r
    }
  }
  return badReturn(loop, callback, tag, result)
}

const replied: Effect.Effect<undefined> = Effect.succeed(undefined)

/**
 * Checks and applies a `handleCall` result: `reply`, `replyFailure`, `noreply` (each with a
 * valid action) or `stopWith` (with an exit reason, and a reply or none). Anything else stops
 * the server with `BadReturnValue`, and the caller gets `CallExit` with it.
 */
const applyCall = (
  loop: Loop,
  from: Gen.From,
  result: unknown,
  tag: unknown
): Effect.Effect<Stop<unknown, unknown> | undefined> => {
  if (typeof result !== "object" || result === null) return Effect.succeed(badReturn(loop, "handleCall", tag, result))
  const r = result as CallResult<unknown, unknown, unknown>
  switch (r._tag) {
    case "Reply":
      if (!("value" in r) || !("state" in r) || !setAction(loop, r.action)) break
      loop.state = r.state
      Gen.replyUnsafe(from, r.value)
      loop.messagesOut++
      return loop.trace ? tracedReply(loop, r.value) : replied
    case "ReplyFailure":
      if (!("error" in r) || !("state" in r) || !setAction(loop, r.action)) break
      loop.state = r.state
      Gen.replyFailureUnsafe(from, r.error)
      loop.messagesOut++
      return loop.trace ? tracedReply(loop, r.error) : replied
    case "NoReply":
      if (!("state" in r) || !setAction(loop, r.action)) break
      loop.state = r.state
      return replied
    case "Stop": {
      if (!("state" in r) || !isStopReason(r.reason)) break
      const reply = r.reply
      if (reply === undefined) {
        loop.state = r.state
        return Effect.succeed(r)
      }
      if (typeof reply !== "object" || reply === null || !("value" in reply)) break
      loop.state = r.state
      return Effect.succeed(new StopReplying(r.reason, r.state, from, reply.value))
    }
  }
  return Effect.succeed(badReturn(loop, "handleCall", tag, result))
}

const tracedReply = (loop: Loop, value: unknown): Effect.Effect<undefined> =>
  Effect.as(Effect.log(`${loop.self} replied ${describeMessage(value)}`), undefined)

/** A call made with telemetry on: handled in a server span, child of the caller's span. */
const tracedCall = (
  loop: Loop,
  from: Gen.From,
  request: Request,
  handler: CallHandler,
  client: Tracer.Span
): Effect.Effect<Stop<unknown, unknown> | undefined, unknown, unknown> =>
  Telemetry.handleCall(
    client,
    { pid: loop.self, module: loop.module.name, request: formatTag(request._tag) },
    Effect.suspend(() =>
      Effect.flatMap(
        run<unknown>(handler(request.payload, loop.state, from)),
        (result) => applyCall(loop, from, result, request._tag)
      )
    )
  )

/**
 * The state as `formatStatus` shows it (the raw state without one). It never throws and never
 * runs an Effect: if `formatStatus` throws, or returns an Effect, the state shows as a string
 * saying so, never the raw state (which `formatStatus` may be there to redact). OTP's
 * `gen:format_status` does the same (`"Mod:format_status/1 crashed"`).
 */
const formatState = (loop: Loop): unknown => {
  const format = loop.module.formatStatus
  if (format === undefined) return loop.state
  try {
    const shown = format(loop.state)
    return Effect.isEffect(shown) ? `${loop.module.name}.formatStatus returned an Effect` : shown
  } catch {
    return `${loop.module.name}.formatStatus crashed`
  }
}

const handleSystem = (
  loop: Loop,
  message: Gen.SystemMessage
): Effect.Effect<ExitReason.ExitReason | undefined, unknown, unknown> =>
  Effect.gen({ self: { loop, message } }, handleSystemBody)

function* handleSystemBody(this: { readonly loop: Loop; readonly message: Gen.SystemMessage }) {
  const { loop, message } = this
  const from = message.from
  // Anything may arrive as a system request (`Gen.request`): a request this loop does not
  // know, or no object at all, gets `UnknownRequest` and changes nothing.
  const request = message.request as Sys.Request | null | undefined
  const tag: unknown = typeof request === "object" && request !== null ? request._tag : undefined
  switch (tag) {
    case "GetState":
      Gen.replyUnsafe(from, loop.state)
      return undefined
    case "ReplaceState": {
      const f = (request as Extract<Sys.Request, { _tag: "ReplaceState" }>).f
      try {
        loop.state = f(loop.state)
        Gen.replyUnsafe(from, loop.state)
      } catch (error) {
        Gen.replyFailureUnsafe(from, new Sys.SysError({ request: "ReplaceState", reason: ExitReason.format(ExitReason.fail(error)), cause: error }))
      }
      return undefined
    }
    case "GetStatus": {
      const status: Sys.Status = {
        pid: loop.self,
        module: loop.module.name,
        version: loop.module.version,
        status: loop.suspended ? "suspended" : "running",
        state: formatState(loop),
        trace: loop.trace
      }
      Gen.replyUnsafe(from, status)
      return undefined
    }
    case "Suspend":
      loop.suspended = true
      yield* Gen.markSuspended(true)
      Gen.replyUnsafe(from, undefined)
      return undefined
    case "Resume":
      loop.suspended = false
      yield* Gen.markSuspended(false)
      Gen.replyUnsafe(from, undefined)
      return undefined
    case "Trace":
      loop.trace = (request as Extract<Sys.Request, { _tag: "Trace" }>).enabled === true
      Gen.replyUnsafe(from, undefined)
      return undefined
    case "Statistics":
      if ((request as Extract<Sys.Request, { _tag: "Statistics" }>).enabled === true) {
        loop.since = yield* Clock.currentTimeMillis
        loop.messagesIn = 0
        loop.messagesOut = 0
      }
      Gen.replyUnsafe(from, undefined)
      return undefined
    case "GetStatistics": {
      const statistics: Sys.Statistics = {
        startTime: loop.startTime,
        since: loop.since,
        messagesIn: loop.messagesIn,
        messagesOut: loop.messagesOut
      }
      Gen.replyUnsafe(from, statistics)
      return undefined
    }
    case "ChangeCode": {
      const change = request as Extract<Sys.Request, { _tag: "ChangeCode" }>
      const next = change.module as AnyModule
      if (!isModule(next) || next.name !== loop.module.name) {
        Gen.replyFailureUnsafe(
          from,
          new Sys.SysError({ request: "ChangeCode", reason: `not a version of ${loop.module.name}` })
        )
        return undefined
      }
      // A requester that gave up (`Code.upgrade`'s per-process timeout, an interrupted upgrade,
      // a timed-out `Sys.changeCode`) was told the change did not happen: it does not happen.
      if (!from.pending) return undefined
      const module = loop.module
      const state = loop.state
      const outcome = loop.changeCode(next, change.extra)
      const changed = Exit.isExit(outcome) ? outcome : yield* Effect.exit(outcome)
      if (!from.pending) {
        loop.setModule(module)
        loop.state = state
        return undefined
      }
      if (Exit.isFailure(changed)) Gen.replyFailureUnsafe(from, Cause.squash(changed.cause))
      else Gen.replyUnsafe(from, undefined)
      return undefined
    }
    case "Terminate": {
      // OTP takes any term as the reason: a value that is no exit reason is carried in a Crash.
      const reason = toExitReason((request as Extract<Sys.Request, { _tag: "Terminate" }>).reason)
      // gen_server's system_terminate reports no last message.
      loop.last = undefined
      yield* runTerminate(loop, reason)
      // No reply: the caller completes when it sees this process exit with `reason`.
      return reason
    }
  }
  Gen.replyFailureUnsafe(from, new UnknownRequest({ target: loop.self, tag: `system ${formatTag(tag)}` }))
  return undefined
}

/** A request tag as text, whatever an untyped caller made it. */
const formatTag = (tag: unknown): string => typeof tag === "string" ? tag : Formatter.format(tag)

/** A message as text, for traces and warnings; never throws, whatever the message. */
const describeMessage = (message: unknown): string => {
  if (message instanceof Gen.CallMessage) return `call ${formatRequest(message.request)}`
  if (message instanceof Gen.CastMessage) return `cast ${formatRequest(message.request)}`
  if (message instanceof Gen.SystemMessage) {
    const request = message.request as Sys.Request | null | undefined
    return `system ${formatTag(typeof request === "object" && request !== null ? request._tag : request)}`
  }
  return Formatter.format(message)
}

const formatRequest = (request: unknown): string =>
  request instanceof Request
    ? request.payload === undefined ? formatTag(request._tag) : `${formatTag(request._tag)} ${Formatter.format(request.payload)}`
    : Formatter.format(request)

/** The last message of the error report (`Loop.last`). */
const describeLast = (last: unknown): string => {
  if (last === undefined) return "none"
  if (last instanceof Request) return `call ${formatRequest(last)}`
  if (last instanceof Continuing) return `continue ${Formatter.format(last.arg)}`
  if (last === timeout) return "timeout"
  return describeMessage(last)
}
