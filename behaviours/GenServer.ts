/**
 * GenServer: a process that keeps state and serves typed requests, OTP's `gen_server`.
 *
 * A module is a value: a protocol (calls and casts declared with Effect's `Rpc.make`, each
 * fixing its payload, reply and error) and callbacks holding only business logic. The generic
 * part is the library's: the loop, system messages and error report ({@link Loop}), debugging
 * ({@link Sys}), hot code change ({@link Code}), the call protocol and naming ({@link Gen}).
 *
 * ## A counter
 *
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer, Node, Supervisor } from "effect-otp"
 *
 * // The protocol: each request declares its payload, reply and error.
 * const Get = Rpc.make("Get", { success: Schema.Number })
 * const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })
 * const Reset = Rpc.make("Reset")
 *
 * // The module: callbacks return results made with constructors (directly or as an Effect).
 * const Counter = GenServer.make({
 *   name: "Counter",
 *   calls: [Get, Add],
 *   casts: [Reset],
 *   init: (start: number) => GenServer.ok(start),
 *   handleCall: {
 *     Get: (_, count) => GenServer.reply(count, count),
 *     Add: ({ by }, count) => GenServer.reply(count + by, count + by)
 *   },
 *   handleCast: { Reset: () => GenServer.noreply(0) }
 * })
 *
 * const program = Effect.gen(function*() {
 *   const counter = yield* GenServer.start(Counter, 10, { name: "counter" })
 *   yield* GenServer.call(counter, Add, { by: 5 }) // 15: typed as number
 *   yield* GenServer.cast(counter, Reset)
 *   return yield* GenServer.call(counter, Get) // 0
 * })
 *
 * // Under a supervisor: restarted with its initial state when it crashes.
 * const tree = Supervisor.start([GenServer.childSpec(Counter, 0, { name: "counter" })])
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * An undeclared request, a missing handler or a reply of the wrong type is a compile error.
 *
 * Client (any fiber): {@link start}, {@link startLink}, {@link call}, {@link cast}, {@link stop},
 * {@link replyTo}. Server: `init`, `handleCall`, `handleCast`, `handleInfo` (other messages, the
 * idle {@link timeout}), `handleContinue`, `terminate`, `codeChange` ({@link migrate}),
 * `formatStatus`. A callback that fails or dies crashes the server (`terminate` runs, then it
 * exits with a `Crash`). `{ name }` is a local or via name (`Gen.via`); `call` waits 5 s by
 * default. Not for parallel CPU work (use fibers), nor state one fiber tree shares (a `Ref`).
 *
 * A callback that returns its result directly (not as an Effect) runs as the message arrives,
 * from the node's run queue, without waking the server's fiber; a call to an idle server so
 * often completes without the caller suspending either. Anything that needs the server's
 * fiber (its services, `Process.self`, a log line) goes in the Effect a callback returns, which
 * runs on the fiber, in order with the other messages.
 *
 * ## How it maps to OTP, and where it differs
 *
 * | OTP                              | effect-otp                                             |
 * |----------------------------------|--------------------------------------------------------|
 * | `{reply, R, S}` / `{noreply, S}` / `{stop, Reason, S}` | `reply(r, s)` / `noreply(s)` / `stopWith(reason, s)` |
 * | `{stop, Reason, R, S}`           | `stopWith(reason, s, r)`: the reply goes once `terminate` ran, as OTP sends it |
 * | `{ok, S, {continue, C}}` / `{ok, S, Timeout}` | `ok(s, { continue: c })` / `ok(s, { timeout: "1 second" })`, then `handleInfo(GenServer.timeout)` |
 * | `gen_server:reply(From, R)`      | `replyTo(from, r)`                                     |
 * | exit `{timeout, ...}` in caller; `{error, Reason}` replies | typed `CallTimeout`; typed `replyFailure(e, s)`, declared in the Rpc |
 * | unknown call / cast crashes the server | `UnknownRequest` for the caller / dropped with a warning; the server goes on |
 * | exit `{bad_return_value, V}`     | a `Crash` carrying `Errors.BadReturnValue` (see below)  |
 * | `format_status/1` shapes state, message, reason and log | `formatStatus(state)` shapes the state only |
 * | no `code_change`: `sys:change_code` fails with `undef` | the new code runs on the state as it is (as Elixir's default) |
 *
 * Not here: `hibernate`, `enter_loop` (`Loop.enter`), `start_monitor`, `abcast`, the `debug`
 * start options (`Sys.trace`).
 *
 * ## Asynchronous requests
 *
 * {@link sendRequest} sends a call without waiting (OTP's `send_request`) and returns a typed
 * request id; the response comes to the caller's mailbox, and {@link waitResponse},
 * {@link receiveResponse} or {@link checkResponse} (in a `handleInfo`) take it. Several ids go in
 * a labelled collection (`Gen.requestIds`, `Gen.addRequestId`), whose wait gives whichever
 * response comes first, each typed by its own request. {@link multiCall} sends one request to
 * many servers with one deadline and gives each server's outcome. How these map to OTP, and
 * where they differ: see `Gen`.
 *
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { Gen, GenServer } from "effect-otp"
 *
 * const Price = Rpc.make("Price", { payload: { item: Schema.String }, success: Schema.Number })
 * const Stock = Rpc.make("Stock", { payload: { item: Schema.String }, success: Schema.Boolean })
 * declare const shop: GenServer.Server<GenServer.Module<void, unknown, typeof Price | typeof Stock, never, never>>
 *
 * const quote = Effect.gen(function*() {
 *   let ids = Gen.requestIds().pipe(
 *     Gen.addRequestId(yield* GenServer.sendRequest(shop, Price, { item: "tea" }), "price"),
 *     Gen.addRequestId(yield* GenServer.sendRequest(shop, Stock, { item: "tea" }), "stock")
 *   )
 *   while (ids.size > 0) {
 *     const response = yield* GenServer.waitResponse(ids, "1 second")
 *     ids = response.rest
 *     // `response.result` is an Exit<number, ...> when the label is "price", Exit<boolean, ...> for "stock"
 *   }
 * })
 * ```
 *
 * ## Faults
 *
 * - **Bad results** (from untyped code: `undefined`, an unknown `_tag`, a negative `{ timeout }`,
 *   a `{ continue }` without `handleContinue`) stop the server with `Errors.BadReturnValue`;
 *   `terminate` gets the state from before, a pending caller `CallExit`; from `init`, the start
 *   fails with `InitFailed`.
 * - **Request names**: a request tagged `constructor`, `__proto__` or anything undeclared gets
 *   `UnknownRequest` (a call) or is dropped with a warning (a cast).
 * - **Error report**: an abnormal exit logs OTP's `** Generic server ... terminating` once
 *   ({@link Loop}); a killed server or a failed `init` logs nothing.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Duration from "effect/Duration"
import type * as Rpc from "effect/rpc/Rpc"
import type * as Exit from "effect/Exit"
import type { BadArgument, CallError, CallExit, MailboxFull, NoProc, UnknownRequest } from "../lib/Errors.js"
import type { ExitReason } from "../lib/ExitReason.js"
import * as Gen from "../lib/Gen.js"
import type { CallOptions, From, StartError, StartOptions, Target } from "../lib/Gen.js"
import { replyUnsafe } from "../lib/internal/gen.js"
import type { Node } from "../lib/Node.js"
import { isPid, type Pid } from "../lib/Pid.js"
import type { CurrentProcess } from "../lib/Process.js"
import { type ChildSpec, type Options as ChildSpecOptions, worker } from "./ChildSpec.js"
import * as internal from "./internal/server.js"

/**
 * After a callback: an idle `timeout` (then `handleInfo(timeout)`), or a `continue` (`handleContinue`).
 *
 * @category results
 * @since 0.1.0
 */
export type Action =
  | { readonly timeout: Duration.Input; readonly continue?: undefined }
  | { readonly continue: unknown; readonly timeout?: undefined }

/**
 * What `init` returns: {@link ok}, {@link ignore} or {@link stopWith}.
 *
 * @category results
 * @since 0.1.0
 */
export type InitResult<S> =
  | { readonly _tag: "Ok"; readonly state: S; readonly action: Action | undefined }
  | { readonly _tag: "Ignore" }
  | { readonly _tag: "Stop"; readonly reason: ExitReason; readonly state: undefined; readonly reply: undefined }

/**
 * What `handleCall` returns ({@link reply}, {@link replyFailure}, {@link noreply}, {@link stopWith}).
 *
 * @category results
 * @since 0.1.0
 */
export type CallResult<A, E, S> =
  | { readonly _tag: "Reply"; readonly value: A; readonly state: S; readonly action: Action | undefined }
  | { readonly _tag: "ReplyFailure"; readonly error: E; readonly state: S; readonly action: Action | undefined }
  | { readonly _tag: "NoReply"; readonly state: S; readonly action: Action | undefined }
  | { readonly _tag: "Stop"; readonly reason: ExitReason; readonly state: S; readonly reply: { readonly value: A } | undefined }

/**
 * What `handleCast`, `handleInfo` and `handleContinue` return: {@link noreply} or {@link stopWith}.
 *
 * @category results
 * @since 0.1.0
 */
export type CastResult<S> =
  | { readonly _tag: "NoReply"; readonly state: S; readonly action: Action | undefined }
  | { readonly _tag: "Stop"; readonly reason: ExitReason; readonly state: S; readonly reply: undefined }

/**
 * `init` succeeded with `state`: the start returns the server (OTP's `{ok, State}`).
 *
 * @example
 * ```ts
 * import { GenServer } from "effect-otp"
 * const init = (start: number) => GenServer.ok(start, { timeout: "30 seconds" })
 * ```
 *
 * @category results
 * @since 0.1.0
 */
export const ok = <S>(state: S, action?: Action): InitResult<S> => ({ _tag: "Ok", state, action })

/**
 * `init` declines to start (OTP's `ignore`): `start` fails with `InitIgnored`.
 *
 * @example
 * ```ts
 * import { GenServer } from "effect-otp"
 * const init = (enabled: boolean) => enabled ? GenServer.ok(0) : GenServer.ignore
 * ```
 *
 * @category results
 * @since 0.1.0
 */
export const ignore: InitResult<never> = { _tag: "Ignore" }

/**
 * Reply `value` to the caller and continue with `state`.
 *
 * @example
 * ```ts
 * import { GenServer } from "effect-otp"
 * const handleGet = (_: void, count: number) => GenServer.reply(count, count)
 * ```
 *
 * @category results
 * @since 0.1.0
 */
export const reply = <A, S>(value: A, state: S, action?: Action): CallResult<A, never, S> => ({ _tag: "Reply", value, state, action })

/**
 * Fail the caller's `call` with `error` (declared by the Rpc), and continue with `state`.
 *
 * @example
 * ```ts
 * import { Data } from "effect"
 * import { GenServer } from "effect-otp"
 * class Empty extends Data.TaggedError("Empty") {}
 * const handlePop = (_: void, stack: ReadonlyArray<number>) =>
 *   stack.length === 0 ? GenServer.replyFailure(new Empty(), stack) : GenServer.reply(stack[0], stack.slice(1))
 * ```
 *
 * @category results
 * @since 0.1.0
 */
export const replyFailure = <E, S>(error: E, state: S, action?: Action): CallResult<never, E, S> => ({ _tag: "ReplyFailure", error, state, action })

/**
 * Continue with `state` without replying now (in `handleCall`, answer later with {@link replyTo}).
 *
 * @example
 * ```ts
 * import { GenServer } from "effect-otp"
 * const handleReset = () => GenServer.noreply(0, { continue: "reload" })
 * ```
 *
 * @category results
 * @since 0.1.0
 */
export const noreply = <S>(state: S, action?: Action): CastResult<S> => ({ _tag: "NoReply", state, action })

/**
 * Stop the server with `reason` after `terminate(reason, state)`; in `handleCall`, `reply`
 * answers the caller first. From `init`, the start fails with `InitFailed`.
 *
 * @example
 * ```ts
 * import { ExitReason, GenServer } from "effect-otp"
 * const handleQuit = (_: void, state: number) => GenServer.stopWith(ExitReason.normal, state, "bye")
 * ```
 *
 * @category results
 * @since 0.1.0
 */
export const stopWith: {
  (reason: ExitReason): InitResult<never>
  <S>(reason: ExitReason, state: S): CastResult<S>
  <S, A>(reason: ExitReason, state: S, reply: A): CallResult<A, never, S>
} = function(this: unknown, reason: ExitReason, state?: unknown, reply?: unknown) {
  return { _tag: "Stop", reason, state, reply: arguments.length >= 3 ? { value: reply } : undefined }
} as any

/**
 * The message `handleInfo` receives when an idle timeout expires.
 *
 * @example
 * ```ts
 * import { ExitReason, GenServer } from "effect-otp"
 * const handleInfo = (message: unknown, state: number) =>
 *   message === GenServer.timeout ? GenServer.stopWith(ExitReason.normal, state) : GenServer.noreply(state)
 * ```
 *
 * @category messages
 * @since 0.1.0
 */
export const timeout: { readonly _tag: "GenServerTimeout" } = internal.timeout

/**
 * A GenServer module's definition: its protocol and callbacks.
 *
 * @category models
 * @since 0.1.0
 */
export interface Definition<
  Args, S, Calls extends Rpc.Any, Casts extends Rpc.Any, R, CallTags extends string = Calls["_tag"], CastTags extends string = Casts["_tag"]
> {
  /** The module's name, as `Sys.getStatus` and the code server show it. */
  readonly name: string
  /** The module's version (default `"1"`), passed to the next version's `codeChange`. */
  readonly version?: string | undefined
  /** The call requests (`Rpc.make`); each needs a `handleCall` handler. */
  readonly calls?: ReadonlyArray<Calls> | undefined
  /** The cast requests (`Rpc.make`); each needs a `handleCast` handler. */
  readonly casts?: ReadonlyArray<Casts> | undefined
  /** Runs before the start returns: the initial state ({@link ok}), {@link ignore} or {@link stopWith}. */
  readonly init: (args: Args) => Definition.Returns<InitResult<S>, R>
  /** One handler per call: payload, state and the caller's handle (for {@link replyTo}). */
  readonly handleCall?: {
    readonly [Tag in CallTags]: (payload: Rpc.Payload<Extract<Calls, { readonly _tag: Tag }>>, state: S, from: From) =>
      Definition.Returns<CallResult<Rpc.Success<Extract<Calls, { readonly _tag: Tag }>>, Rpc.Error<Extract<Calls, { readonly _tag: Tag }>>, S>, R>
  } | undefined
  /** One handler per cast: payload and state. */
  readonly handleCast?:
    | {
      readonly [Tag in CastTags]: (
        payload: Rpc.Payload<Extract<Casts, { readonly _tag: Tag }>>,
        state: S
      ) => Definition.Returns<CastResult<S>, R>
    }
    | undefined
  /** Any other message; without it, such messages are logged and dropped. */
  readonly handleInfo?: ((message: unknown, state: S) => Definition.Returns<CastResult<S>, R>) | undefined
  /** Runs a `{ continue }` action's argument before the next message. */
  readonly handleContinue?: ((arg: unknown, state: S) => Definition.Returns<CastResult<S>, R>) | undefined
  /** Runs before the server exits (as OTP: not when killed, nor on a link's exit without trapping exits). */
  readonly terminate?: ((reason: ExitReason, state: S) => Definition.Returns<void, R>) | undefined
  /** Migrates a running server's state from `oldVersion` (see {@link migrate}). */
  readonly codeChange?: ((oldVersion: string, oldState: unknown, extra: unknown) => Definition.Returns<S, R>) | undefined
  /** What `Sys.getStatus` and the error report show of the state (to redact secrets). */
  readonly formatStatus?: ((state: S) => unknown) | undefined
}

/**
 * The types {@link make} checks a definition with.
 *
 * @category models
 * @since 0.1.0
 */
export declare namespace Definition {
  /** A callback's result, returned directly or as an Effect that needs services `R`. */
  export type Returns<A, R> = A | Effect.Effect<A, unknown, R>
  /** The services a definition's callbacks need, all of them (a plain value needs none). */
  export type Services<D> = CallbackServices<
    | D[keyof D & ("init" | "handleInfo" | "handleContinue" | "terminate" | "codeChange")]
    | (D extends { readonly handleCall?: infer H } ? H extends object ? H[keyof H] : never : never)
    | (D extends { readonly handleCast?: infer H } ? H extends object ? H[keyof H] : never : never)
  >
  /** The services the result of a callback `F` needs (distributes over a union of callbacks). */
  export type CallbackServices<F> = F extends (...args: any) => infer Result
    ? Result extends Effect.Effect<any, any, infer R> ? R : never
    : never
  /** Rejects handlers for requests the module does not declare. */
  export type NoExtra<D, Calls extends Rpc.Any, Casts extends Rpc.Any> =
    & (D extends { readonly handleCall?: infer H } ? H extends object
        ? { readonly handleCall?: { readonly [Tag in Exclude<keyof H, Calls["_tag"]>]: "not a declared call" } }
      : unknown : unknown)
    & (D extends { readonly handleCast?: infer H } ? H extends object
        ? { readonly handleCast?: { readonly [Tag in Exclude<keyof H, Casts["_tag"]>]: "not a declared cast" } }
      : unknown : unknown)
  /** Requires a handler for every declared call and cast (names the missing ones in the error). */
  export type Complete<Calls extends Rpc.Any, Casts extends Rpc.Any, CallTags extends string, CastTags extends string> =
    & ([Calls["_tag"]] extends [CallTags] ? unknown
      : { readonly handleCall: { readonly [Tag in Exclude<Calls["_tag"], CallTags>]: "missing handler" } })
    & ([Casts["_tag"]] extends [CastTags] ? unknown
      : { readonly handleCast: { readonly [Tag in Exclude<Casts["_tag"], CastTags>]: "missing handler" } })
}

/**
 * @example
 * ```ts
 * import { GenServer } from "effect-otp"
 * const isModule = (u: unknown): boolean => typeof u === "object" && u !== null && GenServer.TypeId in u
 * ```
 *
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
  /** Type only (no value at run time). */
  readonly [TypeId]: { readonly _Args: (_: Args) => void; readonly _S: S; readonly _Calls: Calls; readonly _Casts: Casts; readonly _R: R }
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
  /** Type only (no value at run time). */
  readonly [TypeId]: { readonly _Args: (_: never) => void; readonly _S: any; readonly _Calls: Rpc.Any; readonly _Casts: Rpc.Any; readonly _R: any }
  readonly name: string
  readonly version: string
}

/**
 * The types of a module `M`, read from it: its start arguments, protocol and services.
 *
 * @category models
 * @since 0.1.0
 */
export declare namespace Module {
  /** The call requests of `M`. */
  export type Calls<M> = M extends { readonly [TypeId]: { readonly _Calls: infer C } } ? C : never
  /** The cast requests of `M`. */
  export type Casts<M> = M extends { readonly [TypeId]: { readonly _Casts: infer C } } ? C : never
  /** The start arguments of `M` (what `init` takes). */
  export type Args<M> = M extends { readonly [TypeId]: { readonly _Args: (_: infer A) => void } } ? A : never
  /** The services the callbacks of `M` need. */
  export type Services<M> = M extends { readonly [TypeId]: { readonly _R: infer R } } ? R : never
  /** The payload argument of a request `Req`: optional when the request has none. */
  export type PayloadArg<Req extends Rpc.Any> = [Rpc.Payload<Req>] extends [void] ? [payload?: Rpc.Payload<Req>] : [payload: Rpc.Payload<Req>]
}

/**
 * Defines a module: the state type comes from `init`, each declared request needs a handler.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 * const Ping = Rpc.make("Ping", { success: Schema.String })
 * const Pinger = GenServer.make({
 *   name: "Pinger", calls: [Ping], init: () => GenServer.ok(0),
 *   handleCall: { Ping: (_, n) => GenServer.reply("pong", n + 1) }
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <
  Args, S, Calls extends Rpc.Any = never, Casts extends Rpc.Any = never,
  // The handlers' tags are type parameters of their own, so that TypeScript infers them from the
  // handlers; `Complete` then requires one per declared request.
  CallTags extends Calls["_tag"] = Calls["_tag"], CastTags extends Casts["_tag"] = Casts["_tag"],
  // The definition as written: the module's services are the union of every callback's.
  D extends Definition<Args, S, Calls, Casts, any, CallTags, CastTags> = Definition<Args, S, Calls, Casts, any, CallTags, CastTags>
>(
  definition:
    & D
    & Definition<Args, S, Calls, Casts, any, CallTags, CastTags>
    & Definition.Complete<Calls, Casts, CallTags, CastTags>
    & Definition.NoExtra<D, Calls, Casts>
): Module<Args, S, Calls, Casts, Definition.Services<D>> =>
  internal.make(definition, TypeId) as any

/**
 * A typed reference to a server of module `M`: calls and casts are checked against its protocol.
 *
 * @category models
 * @since 0.1.0
 */
export interface Server<M, E = never> {
  /** Where calls and casts go: a pid, a name, a via name or a remote target. */
  readonly target: Target
  /** Type only: the module whose protocol calls are checked against. */
  readonly module?: M | undefined
  /** The pid it was started with (`undefined` for a reference made from a name). */
  readonly pid: Pid | undefined
  /** Type only: what a call can fail with besides the protocol's errors (a cluster reference's). */
  readonly errors?: ((_: never) => E) | undefined
}

/**
 * A typed reference to the server of `module` at `target`, e.g. one started elsewhere.
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
export const ref = <M extends Any>(_module: M, target: Target): Server<M> => ({ target, pid: isPid(target) ? target : undefined })

/**
 * Starts a server of `module`, running `init(args)`; returns once `init` finished. Fails with
 * `InitFailed` (init stopped or crashed), `InitIgnored`, `InitTimeout` (the server is killed),
 * or `AlreadyStarted` (the name is taken; `pid` is the running server).
 *
 * @example
 * ```ts
 * import { GenServer } from "effect-otp"
 * declare const Counter: GenServer.Module<number, number, never, never, never>
 * const counter = GenServer.start(Counter, 0, { name: "counter", timeout: "1 second" })
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const start = <M extends Any>(
  module: M, args: Module.Args<M>, options?: StartOptions
): Effect.Effect<Server<M>, StartError, Node | Exclude<Module.Services<M>, CurrentProcess>> =>
  internal.start(module, args, options, false) as any

/**
 * Like {@link start}, linked to the calling process: how a supervisor starts a server.
 *
 * @example
 * ```ts
 * import { GenServer } from "effect-otp"
 * declare const Counter: GenServer.Module<number, number, never, never, never>
 * const linked = GenServer.startLink(Counter, 0)
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const startLink = <M extends Any>(
  module: M, args: Module.Args<M>, options?: StartOptions
): Effect.Effect<Server<M>, StartError, Node | CurrentProcess | Exclude<Module.Services<M>, CurrentProcess>> => internal.start(module, args, options, true) as any

/**
 * The child spec that starts this module under a supervisor with {@link startLink}: id the
 * module's name unless given, restart `permanent`, shutdown 5000 ms (see `ChildSpec`).
 *
 * @example
 * ```ts
 * import { GenServer, Supervisor } from "effect-otp"
 * declare const Counter: GenServer.Module<number, number, never, never, never>
 * const tree = Supervisor.start([GenServer.childSpec(Counter, 0, { name: "counter", restart: "transient" })])
 * ```
 *
 * @category supervision
 * @since 0.1.0
 */
export const childSpec = <M extends Any>(
  module: M,
  args: Module.Args<M>,
  options?: StartOptions & ChildSpecOptions
): ChildSpec<Exclude<Module.Services<M>, CurrentProcess>> =>
  worker(options?.id ?? module.name, Effect.map(startLink(module, args, options), (server) => server.pid!), {
    modules: [module.name],
    ...options
  }) as any

/**
 * A typed `codeChange`: decodes the old state with `from`, then migrates it with `f` (with `to`,
 * the new state is checked too). A state that does not decode, or a failing `f`, fails the
 * code change: the server keeps its old code and state (see {@link Code}).
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
): (oldVersion: string, oldState: unknown, extra: unknown) => S | Effect.Effect<S, unknown, R | From["DecodingServices"]> =>
  internal.migrate(from, f, options)

/**
 * Calls the server with a request of its protocol and waits for the typed reply. Fails with the
 * request's declared error, `UnknownRequest` (the server runs another protocol), or as
 * `Gen.call` fails (`NoProc`, `CallExit`, `CallTimeout` after 5 s by default, `BadArgument`).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
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
  <M extends Any, Req extends Module.Calls<M>, E = never>(server: Server<M, E>, request: Req, ...args: Module.PayloadArg<Req>):
    Effect.Effect<Rpc.Success<Req>, Rpc.Error<Req> | CallError | UnknownRequest | E>
  <M extends Any, Req extends Module.Calls<M>, O extends CallOptions | undefined, E = never>(
    server: Server<M, E>, request: Req, ...args: [...Module.PayloadArg<Req>, options?: O]
  ): Effect.Effect<
    Rpc.Success<Req>,
    | Rpc.Error<Req> | CallError | UnknownRequest | E
    | (O extends { readonly timeout?: infer T } ? [T] extends [undefined | "infinity"] ? never : BadArgument : never)
  >
} = (server: Server<Any, unknown>, request: Rpc.Any, ...args: Array<unknown>): Effect.Effect<any, any> =>
  Gen.call(server.target, internal.request(request, args[0]), args[1] as CallOptions | undefined)

/**
 * Sends a cast of the server's protocol: never waits, never fails (dropped if nobody is there).
 *
 * @example
 * ```ts
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 * const Reset = Rpc.make("Reset")
 * declare const counter: GenServer.Server<GenServer.Module<number, number, never, typeof Reset, never>>
 * const reset = GenServer.cast(counter, Reset)
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const cast = <M extends Any, Req extends Module.Casts<M>, E = never>(
  server: Server<M, E>, request: Req, ...args: Module.PayloadArg<Req>
): Effect.Effect<void> => internal.cast(server.target, request, args[0])

/**
 * Answers a call later, from any process (OTP's `gen_server:reply/2`); a second answer does nothing.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GenServer } from "effect-otp"
 * import type { Gen } from "effect-otp"
 * const later = (from: Gen.From) => Effect.andThen(Effect.sleep("1 second"), GenServer.replyTo(from, "done"))
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const replyTo = (from: From, value: unknown): Effect.Effect<void> => Effect.sync(() => replyUnsafe(from, value))

/**
 * Stops the server (`terminate(reason)` runs, default `normal`) and waits until it exited
 * (`timeout` default `"infinity"`); `CallExit` if it exited with another reason.
 *
 * @example
 * ```ts
 * import { ExitReason, GenServer } from "effect-otp"
 * const shutDown = GenServer.stop("counter", { reason: ExitReason.shutdown(), timeout: "5 seconds" })
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const stop = (
  server: Server<any> | Target,
  options?: { readonly reason?: ExitReason | undefined; readonly timeout?: Duration.Input | "infinity" | undefined }
): Effect.Effect<void, CallError> => internal.stop(server, options)

/**
 * Sends a request of the server's protocol without waiting (OTP's `gen_server:send_request`)
 * and returns its typed id: collect the response with {@link waitResponse},
 * {@link receiveResponse} or {@link checkResponse}, alone or in a collection
 * (`Gen.addRequestId`). The caller must be a process: the response is a message in its
 * mailbox. The response is the reply, the request's declared error, `UnknownRequest`, `NoProc`
 * (no server) or `CallExit` (the server exited first).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 * const Get = Rpc.make("Get", { success: Schema.Number })
 * declare const counter: GenServer.Server<GenServer.Module<number, number, typeof Get, never, never>>
 *
 * const later = Effect.gen(function*() {
 *   const id = yield* GenServer.sendRequest(counter, Get)
 *   // ... other work while the server answers ...
 *   return yield* GenServer.waitResponse(id, "1 second") // number
 * })
 * ```
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export const sendRequest = <M extends Any, Req extends Module.Calls<M>, E = never>(
  server: Server<M, E>, request: Req, ...args: Module.PayloadArg<Req>
): Effect.Effect<
  Gen.RequestId<Rpc.Success<Req>, Rpc.Error<Req> | NoProc | CallExit | MailboxFull | UnknownRequest | E>,
  never,
  CurrentProcess
> => Gen.sendRequest(server.target, internal.request(request, args[0])) as any

/**
 * Waits for the response of a request sent with {@link sendRequest}, or of the first of a
 * collection to answer (OTP's `gen_server:wait_response`); on timeout `CallTimeout`, and the
 * requests stay active. The same as `Gen.waitResponse`, which documents it.
 *
 * @example
 * ```ts
 * import { GenServer } from "effect-otp"
 * import type { Gen } from "effect-otp"
 * declare const id: Gen.RequestId<number, never>
 * const count = GenServer.waitResponse(id, "1 second") // Effect<number, CallTimeout | BadArgument, ...>
 * ```
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export const waitResponse: typeof Gen.waitResponse = Gen.waitResponse

/**
 * Like {@link waitResponse}, but a timeout abandons the requests: a late reply never reaches the
 * mailbox (OTP's `gen_server:receive_response`). The same as `Gen.receiveResponse`.
 *
 * @example
 * ```ts
 * import { GenServer } from "effect-otp"
 * import type { Gen } from "effect-otp"
 * declare const id: Gen.RequestId<number, never>
 * const count = GenServer.receiveResponse(id, "1 second")
 * ```
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export const receiveResponse: typeof Gen.receiveResponse = Gen.receiveResponse

/**
 * Whether a message a process received (e.g. in `handleInfo`) is the response of a request, and
 * its outcome (OTP's `gen_server:check_response`). The same as `Gen.checkResponse`.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { GenServer } from "effect-otp"
 * import type { Gen } from "effect-otp"
 * declare const pending: Gen.RequestId<number, never>
 * const isMine = (message: unknown) => Effect.map(GenServer.checkResponse(message, pending), Option.isSome)
 * ```
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export const checkResponse: typeof Gen.checkResponse = Gen.checkResponse

/**
 * Calls every server of `servers` with the same request at once, with one deadline for all
 * (`timeout`, default `"infinity"` as OTP's `multi_call`), and gives each server's outcome in
 * the servers' order: an `Exit` of the typed reply, the request's error, `UnknownRequest`,
 * `NoProc`, `CallExit` or `CallTimeout`. Works from any fiber. OTP's
 * `multi_call(Nodes, Name, Request)` addresses the server named `Name` on each node; here the
 * servers are listed (references to names, pids or cluster entities).
 *
 * @example
 * ```ts
 * import { Effect, Exit, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 * const Size = Rpc.make("Size", { success: Schema.Number })
 * declare const caches: ReadonlyArray<GenServer.Server<GenServer.Module<void, number, typeof Size, never, never>>>
 *
 * const total = Effect.map(
 *   GenServer.multiCall(caches, Size, undefined, { timeout: "1 second" }),
 *   (outcomes) => outcomes.reduce((sum, o) => sum + (Exit.isSuccess(o) ? o.value : 0), 0)
 * )
 * ```
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export const multiCall: {
  <M extends Any, Req extends Module.Calls<M>, E = never>(servers: ReadonlyArray<Server<M, E>>, request: Req, ...args: Module.PayloadArg<Req>):
    Effect.Effect<ReadonlyArray<Exit.Exit<Rpc.Success<Req>, Rpc.Error<Req> | CallError | UnknownRequest | E>>>
  <M extends Any, Req extends Module.Calls<M>, O extends CallOptions | undefined, E = never>(
    servers: ReadonlyArray<Server<M, E>>, request: Req, ...args: [...Module.PayloadArg<Req>, options?: O]
  ): Effect.Effect<
    ReadonlyArray<Exit.Exit<Rpc.Success<Req>, Rpc.Error<Req> | CallError | UnknownRequest | E>>,
    O extends { readonly timeout?: infer T } ? [T] extends [undefined | "infinity"] ? never : BadArgument : never
  >
} = ((servers: ReadonlyArray<Server<Any, unknown>>, request: Rpc.Any, ...args: Array<unknown>): Effect.Effect<any, any> =>
  Gen.multiCall(
    Array.isArray(servers) ? servers.map((server) => server.target) : servers as any,
    internal.request(request, args[0]),
    args[1] as CallOptions | undefined
  )) as any
