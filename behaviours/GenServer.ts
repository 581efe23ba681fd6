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
 * | `{ok, S, {continue, C}}`         | `ok(s, { continue: c })`                               |
 * | `{ok, S, Timeout}`               | `ok(s, { timeout: "1 second" })`, then `handleInfo(GenServer.timeout)` |
 * | `gen_server:reply(From, R)`      | `replyTo(from, r)`                                     |
 * | exit `{timeout, ...}` in caller  | typed `CallTimeout` error                              |
 * | `{error, Reason}` replies        | typed failures: `replyFailure(e, s)`, declared in the Rpc |
 * | unknown call crashes the server  | the caller gets `UnknownRequest`; the server goes on   |
 *
 * Callbacks may return their result directly or as an Effect (to use services, time, other
 * processes). A callback that fails or dies crashes the server: `terminate` runs, then the
 * server exits with a `Crash` carrying the cause, which links, monitors and pending callers see.
 * There is no `hibernate`: V8 has no per-process heap to compact.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Rpc from "effect/rpc/Rpc"
import type * as Tracer from "effect/Tracer"
import type { CallError } from "../lib/Errors.js"
import { UnknownRequest } from "../lib/Errors.js"
import * as ExitReason from "../lib/ExitReason.js"
import * as Gen from "../lib/Gen.js"
import type { Node } from "../lib/Node.js"
import type { Pid } from "../lib/Pid.js"
import * as Process from "../lib/Process.js"
import * as Sys from "../lib/Sys.js"
import * as Telemetry from "../lib/Telemetry.js"
import * as Code from "../lib/Code.js"
import * as ChildSpec from "./ChildSpec.js"

// ----------------------------------------------------------------------------
// Results
// ----------------------------------------------------------------------------

/**
 * What to do after a callback: an idle timeout (if no message arrives within it,
 * `handleInfo(GenServer.timeout)` runs), or a continue (`handleContinue(arg)` runs before the
 * next message).
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
  /** Runs before the server exits: after a `stopWith`, a crash in a callback, `stop`, or the parent's exit signal when trapping exits. */
  readonly terminate?: ((reason: ExitReason.ExitReason, state: S) => Returns<void, R>) | undefined
  /**
   * Migrates the state of a running server from `oldVersion` (see `Sys.changeCode`). During
   * `Code.upgrade` an idle server's change runs in place, on the upgrading fiber with the
   * server's services; a plain value (not an Effect) is swapped in without any Effect step.
   */
  readonly codeChange?: ((oldVersion: string, oldState: unknown, extra: unknown) => Returns<S, R>) | undefined
  /** What `Sys.getStatus` shows of the state; use it to redact secrets. */
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
): Module<Args, S, Calls, Casts, ServicesIn<D>> =>
  ({ ...definition, version: definition.version ?? "1", [TypeId]: undefined as never }) as any

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
  constructor(readonly _tag: string, readonly payload: unknown) {}
}

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
  Gen.call(server.target, new Request(request._tag, args[0]), args[1] as Gen.CallOptions | undefined)

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
): Effect.Effect<void> => Gen.cast(server.target, new Request(request._tag, args[0]))

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
  const reason = options?.reason ?? ExitReason.normal
  return Sys.terminate(target, reason, { timeout: options?.timeout ?? "infinity" }).pipe(
    Effect.catchTag("CallExit", (e) => sameReason(e.reason, reason) ? Effect.void : Effect.fail(e))
  )
}

const isServer = (u: unknown): u is Server<any> =>
  typeof u === "object" && u !== null && "target" in u && !("id" in u)

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
  readonly handleCall?: Record<string, (payload: unknown, state: unknown, from: Gen.From) => unknown>
  readonly handleCast?: Record<string, (payload: unknown, state: unknown) => unknown>
  readonly handleInfo?: (message: unknown, state: unknown) => unknown
  readonly handleContinue?: (arg: unknown, state: unknown) => unknown
  readonly terminate?: (reason: ExitReason.ExitReason, state: unknown) => unknown
  readonly codeChange?: (oldVersion: string, oldState: unknown, extra: unknown) => unknown
  readonly formatStatus?: (state: unknown) => unknown
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
  state: unknown
  /** Blocked in the main loop's plain `receive`: idle when the mailbox is empty too. */
  parked = false
  /** A code change running in place on another fiber; the loop waits for it (see `resume`). */
  changing = false
  readonly inbox: Process.Mailbox
  timeout: number | undefined = undefined
  continueArg: { readonly value: unknown } | undefined = undefined
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
      this.module = next
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
      this.module = next
      this.state = migrated
      return Exit.void
    }
    if (Exit.isExit(migrated)) return this.swap(next, migrated)
    return Effect.flatMap(Effect.exit(migrated as Effect.Effect<unknown, unknown, unknown>), (exit) => this.swap(next, exit))
  }

  private swap(next: AnyModule, migrated: Exit.Exit<unknown, unknown>): Exit.Exit<void, Sys.SysError> {
    if (Exit.isFailure(migrated)) return Exit.fail(codeChangeFailed(migrated.cause))
    // The code server reads `module`: nothing else to tell it.
    this.module = next
    this.state = migrated.value
    return Exit.void
  }
}

const codeChangeFailed = (cause: Cause.Cause<unknown>): Sys.SysError =>
  new Sys.SysError({ request: "ChangeCode", reason: "codeChange failed", cause })

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
 * kept for the server's whole life.
 */
function* initBody(this: Starting) {
  const { args, parent } = this
  const module = this.module!
  const ack = this.ack!
  this.module = undefined
  this.args = undefined
  this.ack = undefined
  const initResult = yield* Effect.exit(Effect.suspend(() => run<InitResult<unknown>>(module.init(args))))
  if (Exit.isFailure(initResult)) {
    const reason = ExitReason.crash(initResult.cause)
    yield* ack({ _tag: "Stop", reason })
    return yield* Process.exitWith(reason)
  }
  const init = initResult.value
  if (init._tag === "Ignore") {
    yield* ack({ _tag: "Ignore" })
    return
  }
  if (init._tag === "Stop") {
    yield* ack({ _tag: "Stop", reason: init.reason })
    return yield* Process.exitWith(init.reason)
  }
  const loop = new Loop(
    module,
    init.state,
    yield* Process.self,
    parent,
    yield* Clock.currentTimeMillis,
    yield* Process.mailbox,
    yield* Effect.context<never>()
  )
  setAction(loop, init.action)
  yield* Code.track(loop)
  yield* ack({ _tag: "Ok" })
  return loop
}

/** The server's life after `init`: the main loop, then `terminate` and the exit. */
const runServer = (loop: Loop): Effect.Effect<void, unknown, unknown> =>
  mainLoop(loop).pipe(
    Effect.catchCause((cause) => {
      const reason = ExitReason.crash(cause)
      return Effect.as(runTerminate(loop, reason), reason)
    }),
    Effect.flatMap((reason) => reason._tag !== "Normal" ? Process.exitWith(reason) : Effect.void)
  )

const setAction = (loop: Loop, action: Action | undefined): void => {
  loop.timeout = undefined
  loop.continueArg = undefined
  if (action === undefined) return
  if (action.timeout !== undefined) {
    loop.timeout = Duration.toMillis(Duration.fromInputUnsafe(action.timeout))
  } else if ("continue" in action) {
    loop.continueArg = { value: action.continue }
  }
}

/** Runs `terminate` once: a crash inside `terminate` itself does not run it again. */
const runTerminate = (loop: Loop, reason: ExitReason.ExitReason): Effect.Effect<void, unknown, unknown> =>
  Effect.suspend(() => {
    if (loop.terminated || loop.module.terminate === undefined) return Effect.void
    loop.terminated = true
    return Effect.asVoid(run<void>(loop.module.terminate(reason, loop.state)))
  })

const drainBudget = 4096

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
      const handler = loop.module.handleContinue
      if (handler === undefined) {
        return yield* Effect.die(new Error(`${loop.module.name} returned a continue but has no handleContinue`))
      }
      const stop = applyNoReply(loop, yield* run<CastResult<unknown>>(handler(arg, loop.state)))
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
      const request = message.request as Request
      const handler = loop.module.handleCast?.[request._tag]
      if (handler === undefined) {
        yield* Effect.logWarning(`${loop.module.name} ${loop.self}: no handleCast for ${request._tag}; dropped`)
        continue
      }
      const result = handler(request.payload, loop.state)
      stop = applyNoReply(loop, (Effect.isEffect(result) ? yield* result : result) as CastResult<unknown>)
    } else if (message instanceof Gen.CallMessage) {
      const request = message.request as Request
      const handler = loop.module.handleCall?.[request._tag]
      if (handler === undefined) {
        Gen.replyFailureUnsafe(message.from, new UnknownRequest({ target: loop.self, tag: request._tag }))
        continue
      }
      const client = Gen.callSpan(message.from)
      if (client !== undefined) {
        stop = yield* tracedCall(loop, message.from, request, handler, client)
      } else {
        const result = handler(request.payload, loop.state, message.from)
        stop = yield* applyCall(
          loop,
          message.from,
          (Effect.isEffect(result) ? yield* result : result) as CallResult<unknown, unknown, unknown>
        )
      }
    } else if (message instanceof Gen.SystemMessage) {
      const outcome = yield* handleSystem(loop, message)
      if (outcome !== undefined) return outcome
      continue
    } else if (isParentExit(loop, message)) {
      // The parent (supervisor) is shutting us down while we trap exits: terminate, then go.
      yield* runTerminate(loop, message.reason)
      return message.reason
    } else if (loop.module.handleInfo !== undefined) {
      stop = applyNoReply(loop, yield* run<CastResult<unknown>>(loop.module.handleInfo(message, loop.state)))
    } else {
      yield* Effect.logWarning(`${loop.module.name} ${loop.self}: unexpected message ${describeMessage(message)}`)
      continue
    }
    if (stop !== undefined) return yield* stopping(loop, stop)
  }
}

const isParentExit = (loop: Loop, message: unknown): message is Process.ExitMessage =>
  Process.isExitMessage(message) && loop.parent !== undefined && message.from === loop.parent

const stopping = (loop: Loop, stop: Stop<unknown, unknown>): Effect.Effect<ExitReason.ExitReason, unknown, unknown> =>
  Effect.as(runTerminate(loop, stop.reason), stop.reason)

const applyNoReply = (loop: Loop, result: CastResult<unknown>): Stop<unknown, unknown> | undefined => {
  loop.state = result.state
  if (result._tag === "Stop") return result
  setAction(loop, result.action)
  return undefined
}

const applyCall = (
  loop: Loop,
  from: Gen.From,
  result: CallResult<unknown, unknown, unknown>
): Effect.Effect<Stop<unknown, unknown> | undefined> => {
  loop.state = result.state
  switch (result._tag) {
    case "Reply":
      Gen.replyUnsafe(from, result.value)
      break
    case "ReplyFailure":
      Gen.replyFailureUnsafe(from, result.error)
      break
    case "NoReply":
      break
    case "Stop":
      if (result.reply !== undefined) {
        loop.messagesOut++
        Gen.replyUnsafe(from, result.reply.value)
      }
      return Effect.succeed(result)
  }
  setAction(loop, result.action)
  if (result._tag === "NoReply") return Effect.succeed(undefined)
  loop.messagesOut++
  return loop.trace
    ? Effect.as(Effect.log(`${loop.self} replied ${describeMessage(result._tag === "Reply" ? result.value : result.error)}`), undefined)
    : Effect.succeed(undefined)
}

/** A call made with telemetry on: handled in a server span, child of the caller's span. */
const tracedCall = (
  loop: Loop,
  from: Gen.From,
  request: Request,
  handler: (payload: unknown, state: unknown, from: Gen.From) => unknown,
  client: Tracer.Span
): Effect.Effect<Stop<unknown, unknown> | undefined, unknown, unknown> =>
  Telemetry.handleCall(
    client,
    { pid: loop.self, module: loop.module.name, request: request._tag },
    Effect.suspend(() =>
      Effect.flatMap(
        run<CallResult<unknown, unknown, unknown>>(handler(request.payload, loop.state, from)),
        (result) => applyCall(loop, from, result)
      )
    )
  )

const handleSystem = (
  loop: Loop,
  message: Gen.SystemMessage
): Effect.Effect<ExitReason.ExitReason | undefined, unknown, unknown> =>
  Effect.gen({ self: { loop, message } }, handleSystemBody)

function* handleSystemBody(this: { readonly loop: Loop; readonly message: Gen.SystemMessage }) {
  const { loop, message } = this
  const request = message.request as Sys.Request
  const from = message.from
  switch (request._tag) {
    case "GetState":
      Gen.replyUnsafe(from, loop.state)
      return undefined
    case "ReplaceState": {
      try {
        loop.state = request.f(loop.state)
        Gen.replyUnsafe(from, loop.state)
      } catch (error) {
        Gen.replyFailureUnsafe(from, new Sys.SysError({ request: "ReplaceState", reason: String(error), cause: error }))
      }
      return undefined
    }
    case "GetStatus": {
      const status: Sys.Status = {
        pid: loop.self,
        module: loop.module.name,
        version: loop.module.version,
        status: loop.suspended ? "suspended" : "running",
        state: loop.module.formatStatus ? loop.module.formatStatus(loop.state) : loop.state,
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
      loop.trace = request.enabled
      Gen.replyUnsafe(from, undefined)
      return undefined
    case "Statistics":
      if (request.enabled) {
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
      const next = request.module as AnyModule
      if (!isModule(next) || next.name !== loop.module.name) {
        Gen.replyFailureUnsafe(
          from,
          new Sys.SysError({ request: "ChangeCode", reason: `not a version of ${loop.module.name}` })
        )
        return undefined
      }
      const change = loop.changeCode(next, request.extra)
      const changed = Exit.isExit(change) ? change : yield* Effect.exit(change)
      if (Exit.isFailure(changed)) Gen.replyFailureUnsafe(from, Cause.squash(changed.cause))
      else Gen.replyUnsafe(from, undefined)
      return undefined
    }
    case "Terminate": {
      const reason = request.reason as ExitReason.ExitReason
      yield* runTerminate(loop, reason)
      // No reply: the caller completes when it sees this process exit with `reason`.
      return reason
    }
  }
}

const describeMessage = (message: unknown): string => {
  if (message instanceof Gen.CallMessage) return `call ${(message.request as Request)._tag}`
  if (message instanceof Gen.CastMessage) return `cast ${(message.request as Request)._tag}`
  if (message instanceof Gen.SystemMessage) return `system ${(message.request as Sys.Request)._tag}`
  try {
    return JSON.stringify(message) ?? String(message)
  } catch {
    return String(message)
  }
}
