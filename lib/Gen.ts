/**
 * The generic part of every behaviour: starting a process with a synchronous init
 * acknowledgement, naming it, and the call protocol. OTP splits the same way: `gen` and
 * `proc_lib` here, `gen_server` (business logic callbacks) in `behaviours/GenServer.ts`.
 *
 * - {@link start} / {@link startLink} spawn the process, register its name, and return only
 *   after its init acknowledged (or failed, or timed out: then the process is killed).
 * - {@link call} sends a request with a reply handle and waits for the reply, the server's exit,
 *   or the timeout, whichever comes first. The caller does not need to be a process: the reply
 *   goes to the handle, not to a mailbox, so a late reply after a timeout is dropped rather than
 *   left in a mailbox (OTP 24+ gets the same with process aliases).
 * - {@link cast} sends without waiting and never fails.
 * - {@link sendRequest} sends a call without waiting (OTP's `send_request`); the response comes
 *   to the caller's mailbox, where {@link waitResponse}, {@link receiveResponse} and
 *   {@link checkResponse} take it, for one request or for a collection of labelled ones
 *   ({@link requestIds}, {@link addRequestId}). {@link multiCall} calls many servers at once.
 *
 * ## Asynchronous requests, and how they map to OTP
 *
 * | OTP (`gen_server`, `gen_statem`)         | effect-otp                                          |
 * |------------------------------------------|-----------------------------------------------------|
 * | `send_request(Server, Req)`              | `sendRequest(target, message)` (typed: `GenServer.sendRequest`) |
 * | `wait_response(ReqId, T)`: `{reply, R}` / `{error, {Reason, S}}` / `timeout` | `waitResponse(id, t)`: `R` / `CallExit`, `NoProc` or the protocol's error / `CallTimeout`, the request still active |
 * | `receive_response(ReqId, T)`             | `receiveResponse(id, t)`: on timeout the request is abandoned, a late reply dropped |
 * | `check_response(Msg, ReqId)`: `no_reply` | `checkResponse(message, id)`: `Option.none()`        |
 * | `reqids_new/add/size/to_list`            | `requestIds()`, `addRequestId`, `ids.size`, `requestIdsToList` |
 * | `wait_response(Col, T, Delete)`: `{Resp, Label, Col2}` / `no_request` | `waitResponse(ids, t, { delete })`: `{ label, result, rest }` / `NoRequest` |
 * | `multi_call(Nodes, Name, Req, T)`        | `multiCall(targets, message, { timeout })`: one `Exit` per target, in order |
 *
 * Differences: the caller of {@link sendRequest} must be a process (`CurrentProcess` in its
 * type), since its responses are messages in its mailbox, as in OTP; from a plain fiber, fork
 * calls as fibers, use {@link multiCall} (which works from any fiber), or run the code as a
 * process (`Process.run`). A wait that is interrupted abandons its requests (OTP has no
 * interruption), so no response is left in the mailbox. A failure is typed (`CallExit`,
 * `NoProc`, the protocol's errors) rather than `{error, {Reason, ServerRef}}`. The timeout is a
 * duration or `"infinity"` (OTP's `{abs, T}` deadlines are not taken).
 *
 * Names: a target is a pid, a locally registered name, or a {@link via} name resolved through
 * any registry (OTP's `{via, Module, Name}`), such as the Registry behaviour. A remote
 * target (a cluster reference) carries its own transport: calls and casts are handed to it.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Exit from "effect/Exit"
import type { Pipeable } from "effect/Pipeable"
import type {
  AlreadyStarted,
  BadArgument,
  CallError,
  CallExit,
  CallTimeout,
  InitFailed,
  InitIgnored,
  InitTimeout,
  MailboxFull,
  NoProc,
  NoRequest
} from "./Errors.js"
import type { ExitReason } from "./ExitReason.js"
import * as internal from "./internal/gen.js"
import * as requests from "./internal/requests.js"
import type { Node } from "./Node.js"
import type { Pid } from "./Pid.js"
import type { CurrentProcess, MailboxOptions } from "./Process.js"

// ----------------------------------------------------------------------------
// Names
// ----------------------------------------------------------------------------

/**
 * A registry that can name processes: the contract of OTP's `{via, Module, Name}`. The Registry
 * behaviour implements it; any other naming scheme can too.
 *
 * @category naming
 * @since 0.1.0
 */
export interface ViaRegistry<K = unknown> {
  /** Registers `pid` under `key`; `Option.some(owner)` if the key is taken. */
  readonly registerName: (key: K, pid: Pid) => Effect.Effect<Option.Option<Pid>>
  /** Removes the registration under `key`, if any. */
  readonly unregisterName: (key: K) => Effect.Effect<void>
  /** The pid registered under `key`, if any. */
  readonly whereisName: (key: K) => Effect.Effect<Option.Option<Pid>>
}

/**
 * Names a process through `registry` under `key`.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Gen, Pid } from "effect-otp"
 *
 * const table = new Map<string, Pid.Pid>()
 * const simple: Gen.ViaRegistry<string> = {
 *   registerName: (key, pid) => Effect.sync(() => {
 *     const owner = table.get(key)
 *     if (owner) return Option.some(owner)
 *     table.set(key, pid)
 *     return Option.none()
 *   }),
 *   unregisterName: (key) => Effect.sync(() => void table.delete(key)),
 *   whereisName: (key) => Effect.sync(() => Option.fromUndefinedOr(table.get(key)))
 * }
 * const name = Gen.via(simple, "room:lobby")
 * ```
 *
 * @category naming
 * @since 0.1.0
 */
export const via = <K>(registry: ViaRegistry<K>, key: K): Name => ({ _tag: "Via", registry, key })

/**
 * How a server is registered: a local name, or a via name ({@link via}) that a
 * {@link ViaRegistry} resolves.
 *
 * @category naming
 * @since 0.1.0
 */
export type Name =
  | string
  | {
    /** Tells a via name apart from the other targets. */
    readonly _tag: "Via"
    /** The registry that resolves the name. */
    readonly registry: ViaRegistry<any>
    /** The name, as a key of `registry`. */
    readonly key: unknown
  }

/**
 * What a call or cast can address: a pid, a name, or a remote target: one served by something
 * other than a local process, such as a cluster entity (`Cluster.ref`), which carries its own
 * call and cast, to which {@link call} and {@link cast} hand the request (its call may also fail
 * with the errors of its transport, which the typed reference declares; system calls do not
 * reach it).
 *
 * @category naming
 * @since 0.1.0
 */
export type Target =
  | Pid
  | Name
  | {
    /** Tells a remote target apart from the other targets. */
    readonly _tag: "Remote"
    /** How errors name it, e.g. `Counter/42`. */
    readonly label: string
    /** Sends a call request through the transport and waits for the reply (what {@link call} hands the request to). */
    readonly call: (message: unknown, options?: { readonly timeout?: Duration.Input | "infinity" | undefined }) => Effect.Effect<unknown, CallError>
    /** Sends a cast through the transport, without waiting (what {@link cast} hands the request to). */
    readonly cast: (message: unknown) => Effect.Effect<void>
  }

/**
 * The pid a target names right now, if any (Elixir's `GenServer.whereis`): a pid is itself, a
 * name or a via name is looked up, a remote target has none.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Gen } from "effect-otp"
 *
 * const running = (name: string) => Effect.map(Gen.whereis(name), Option.isSome)
 * ```
 *
 * @category naming
 * @since 0.1.0
 */
export const whereis: (target: Target) => Effect.Effect<Option.Option<Pid>> = internal.whereis

// ----------------------------------------------------------------------------
// Call protocol
// ----------------------------------------------------------------------------

/**
 * The reply handle of a pending call: OTP's `From`. A server that does not answer at once keeps
 * it and answers later, from any process, with {@link reply}. Replying twice, or after the
 * caller gave up, does nothing.
 *
 * @category call protocol
 * @since 0.1.0
 */
export interface From {
  /** Marks the value as a reply handle. */
  readonly _tag: "From"
  /** Whether a reply is still awaited. */
  readonly pending: boolean
}

export { CallMessage, CastMessage } from "./internal/gen.js"


/**
 * Options of a call: how long to wait for the reply.
 *
 * @category models
 * @since 0.1.0
 */
export interface CallOptions {
  /**
   * How long to wait for the reply (default 5 s, as OTP), or `"infinity"` to wait as long as the
   * server lives. A negative, `NaN` or `-Infinity` duration, or one that is no duration, fails
   * the call with `BadArgument` before anything is sent (OTP exits the caller with
   * `function_clause`).
   */
  readonly timeout?: Duration.Input | "infinity" | undefined
}

/**
 * Calls a server: sends `request` and waits for the reply. Fails with `NoProc` if no process
 * answers to `target`, `CallExit` (with the server's exit reason) if the server exits before
 * replying, `MailboxFull` if the server's bounded mailbox refused or dropped the request (see
 * `Process.MailboxOptions`), and `CallTimeout` after `timeout` (default 5 s, as OTP); a timeout that is negative,
 * `NaN` or no duration fails with `BadArgument` (in the type only when a timeout other than
 * `"infinity"` is given). Works from any fiber, not
 * only from processes. A process calling itself dies at once with a `calling_self` defect, as
 * OTP exits it (the call could only time out).
 *
 * Behaviours wrap this with their typed protocol (`GenServer.call`); use it directly only to
 * build a new behaviour.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Gen } from "effect-otp"
 *
 * // A behaviour's own client: the request as its `handle` expects it.
 * const total = (target: Gen.Target) => Gen.call(target, "total", { timeout: "1 second" })
 * ```
 *
 * @category call protocol
 * @since 0.1.0
 */
export const call: {
  (target: Target, message: unknown): Effect.Effect<unknown, CallError>
  <O extends CallOptions | undefined>(
    target: Target,
    message: unknown,
    options: O
  ): Effect.Effect<unknown, CallError | (O extends { readonly timeout?: infer T } ? [T] extends [undefined | "infinity"] ? never : BadArgument : never)>
} = internal.call as any

/**
 * Sends `message` as a cast: never waits, never fails. A cast to a name nobody has is dropped,
 * as OTP drops it, and so is a cast that a full bounded mailbox drops (counted in its
 * `Process.info`).
 *
 * @example
 * ```ts
 * import { Gen } from "effect-otp"
 *
 * const add = (target: Gen.Target, n: number) => Gen.cast(target, n)
 * ```
 *
 * @category call protocol
 * @since 0.1.0
 */
export const cast: (target: Target, message: unknown) => Effect.Effect<void> = internal.cast

// ----------------------------------------------------------------------------
// Start with init acknowledgement
// ----------------------------------------------------------------------------

/**
 * The acknowledgement callback a started process calls once its init is done (OTP's
 * `proc_lib:init_ack`). Until then the starter waits.
 *
 * @category start
 * @since 0.1.0
 */
export type Ack = (
  result:
    | { readonly _tag: "Ok" }
    | { readonly _tag: "Ignore" }
    | { readonly _tag: "Stop"; readonly reason: ExitReason }
) => Effect.Effect<void, never, CurrentProcess>

/**
 * Options of {@link start}.
 *
 * @category start
 * @since 0.1.0
 */
export interface StartOptions {
  /** Register the process under this name before its init runs. */
  readonly name?: Name | undefined
  /**
   * How long init may take before the process is killed and the start fails with `InitTimeout`
   * (default 5 s; `"infinity"` waits as long as it takes). A negative, `NaN` or `-Infinity`
   * duration, or one that is no duration, fails the start with `BadArgument` before anything
   * runs.
   */
  readonly timeout?: Duration.Input | "infinity" | undefined
  /** Start the process trapping exits. */
  readonly trapExit?: boolean | undefined
  /**
   * Bound the process's mailbox (unbounded by default): `Process.spawn`'s option, with the same
   * rules (see `Process.MailboxOptions`); a bad one fails the start with `BadArgument` before
   * anything runs. A call to a server whose full mailbox drops its request fails with
   * `MailboxFull` at once; `Sys` requests, exit signals and the responses to its own requests
   * always get in. Supervisors and dynamic supervisors take no bound (nor `trapExit`): they
   * ignore it.
   */
  readonly mailbox?: MailboxOptions | undefined
}

/**
 * The errors of a start.
 *
 * @category start
 * @since 0.1.0
 */
export type StartError = AlreadyStarted | InitFailed | InitTimeout | InitIgnored | BadArgument

/**
 * Starts a process whose body acknowledges its init with `ack`, and waits for that
 * acknowledgement (OTP's `proc_lib:start`). Returns the pid once `ack({ _tag: "Ok" })` ran;
 * fails with `InitFailed` (the `Stop` reason, or the exit reason if the process died first),
 * `InitIgnored`, `InitTimeout` (the process is killed), or `AlreadyStarted` (the name is taken;
 * nothing ran).
 *
 * Behaviours build on this; `GenServer.start` is the usual entry point.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Gen, Process } from "effect-otp"
 *
 * // A process that acknowledges its init, then echoes what it gets to the log.
 * const echo = Gen.start((ack) =>
 *   Effect.gen(function*() {
 *     yield* ack({ _tag: "Ok" })
 *     while (true) yield* Effect.log(yield* Process.receive())
 *   }), { name: "echo" })
 * ```
 *
 * @category start
 * @since 0.1.0
 */
export const start = <R>(
  body: (ack: Ack) => Effect.Effect<unknown, unknown, R>,
  options?: StartOptions
): Effect.Effect<Pid, StartError, Node | Exclude<R, CurrentProcess>> => internal.startWith(body, options, false) as any

/**
 * Like {@link start}, with the new process linked to the caller (OTP's `proc_lib:start_link`),
 * which is how a supervisor starts its children. If init fails, the link is removed before the
 * process exits, so the caller gets the typed error and no exit signal.
 *
 * @example
 * ```ts
 * import { ExitReason, Gen } from "effect-otp"
 *
 * // Fails to start, linked: the caller gets InitFailed, and no exit signal.
 * const broken = Gen.startLink((ack) => ack({ _tag: "Stop", reason: ExitReason.shutdown() }))
 * ```
 *
 * @category start
 * @since 0.1.0
 */
export const startLink = <R>(
  body: (ack: Ack) => Effect.Effect<unknown, unknown, R>,
  options?: StartOptions
): Effect.Effect<Pid, StartError, Node | CurrentProcess | Exclude<R, CurrentProcess>> =>
  internal.startWith(body, options, true)

// ----------------------------------------------------------------------------
// Asynchronous requests
// ----------------------------------------------------------------------------

/**
 * The id of a request sent with {@link sendRequest} (OTP's request id): its response, once it
 * comes, is a message in the sender's mailbox, collected with {@link waitResponse},
 * {@link receiveResponse} or {@link checkResponse}. `A` is what the request answers with, `E`
 * what it fails with (the protocol's errors, `NoProc`, `CallExit`).
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export interface RequestId<out A = unknown, out E = unknown> {
  /** Marks the value as a request id. */
  readonly _tag: "RequestId"
  /** The target the request went to, as errors name it (a pid, a name, `via(key)`). */
  readonly target: Pid | string
  /** Whether a response is still to be taken: false once it was, or once the request was abandoned. */
  readonly active: boolean
  /** Type only (no value at run time): the response's types. */
  readonly "~effect-otp/RequestId"?: { readonly _A: A; readonly _E: E } | undefined
}

/**
 * A collection of request ids, each with a label (OTP's request-id collection): wait for
 * whichever response comes first and learn by its label which request it answers. Immutable:
 * {@link addRequestId} returns a new collection. `Entry` is the union of its labelled responses,
 * so each response keeps the type of its own request.
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export interface RequestIds<out Entry extends RequestIds.Entry = never> extends Pipeable {
  /** Marks the value as a collection of request ids. */
  readonly _tag: "RequestIds"
  /** How many requests it holds (OTP's `reqids_size`). */
  readonly size: number
  /** Type only (no value at run time): the labelled responses. */
  readonly "~effect-otp/RequestIds"?: { readonly _Entry: Entry } | undefined
}

/**
 * The types of {@link RequestIds}.
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export declare namespace RequestIds {
  /** A labelled response: the label its request was added with, and the request's outcome. */
  export interface Entry<L = unknown, A = unknown, E = unknown> {
    /** The label the request was added with. */
    readonly label: L
    /** The request's outcome: its reply, or its typed failure. */
    readonly result: Exit.Exit<A, E>
  }
  /** What a wait on a collection gives: a labelled response and the collection after it. */
  export type Response<Entry extends RequestIds.Entry> = Entry & {
    /** The collection without the answered request (or with it, with `{ delete: false }`). */
    readonly rest: RequestIds<Entry>
  }
}

/**
 * Sends `message` as a call to `target` and returns its id at once, without waiting: a call in
 * two halves (OTP's `gen:send_request`). The caller must be a process: the response (the reply,
 * or `NoProc` / `CallExit` if the server is missing or exits first) comes to its mailbox, and
 * {@link waitResponse} or {@link receiveResponse} take it, or {@link checkResponse} recognizes it
 * among the messages a process receives itself. A target nobody answers to gives a request whose
 * response is `NoProc`, as OTP gives one whose response is `{error, {noproc, _}}`.
 *
 * Behaviours wrap this with their typed protocol (`GenServer.sendRequest`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Gen } from "effect-otp"
 *
 * // Two servers asked at once; the answers collected after.
 * const both = Effect.gen(function*() {
 *   const a = yield* Gen.sendRequest("left", "total")
 *   const b = yield* Gen.sendRequest("right", "total")
 *   return [yield* Gen.waitResponse(a, "1 second"), yield* Gen.waitResponse(b, "1 second")]
 * })
 * ```
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export const sendRequest: (target: Target, message: unknown) => Effect.Effect<RequestId<unknown, NoProc | CallExit | MailboxFull>, never, CurrentProcess> =
  requests.sendRequest as any

/**
 * Waits for the response of a request (OTP's `wait_response`), or of whichever request of a
 * collection answers first, up to `timeout` (default `"infinity"`, as OTP's `wait_response/1`).
 *
 * - One request: the reply, or the request's typed failure. After `timeout`, `CallTimeout`, and
 *   the request stays active: wait again, or take its response later.
 * - A collection: the first response with its label and the collection without it (`{ delete:
 *   false }` keeps it, as OTP's `Delete = false`); the response's `result` is an `Exit` typed by
 *   its own request. `CallTimeout` after `timeout` (every request stays active); `NoRequest` if
 *   the collection is empty.
 *
 * A wait that is interrupted abandons its requests, as {@link receiveResponse}'s timeout does,
 * so no response is left behind in the mailbox. A timeout that is negative, `NaN` or no
 * duration fails with `BadArgument`. A request whose response was already taken, or that was
 * abandoned (`active` is false), gets no other: a wait on it lasts until its timeout, as in OTP.
 * An id that is none, or one sent by another process, is a defect (`BadArgument`).
 *
 * @example
 * ```ts
 * import { Effect, Exit } from "effect"
 * import { Gen } from "effect-otp"
 *
 * const first = Effect.gen(function*() {
 *   const ids = Gen.requestIds().pipe(
 *     Gen.addRequestId(yield* Gen.sendRequest("eu", "price"), "eu"),
 *     Gen.addRequestId(yield* Gen.sendRequest("us", "price"), "us")
 *   )
 *   const { label, result } = yield* Gen.waitResponse(ids, "2 seconds")
 *   return Exit.isSuccess(result) ? `${label} answered first` : `${label} failed`
 * })
 * ```
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export const waitResponse: {
  <A, E>(id: RequestId<A, E>): Effect.Effect<A, E, CurrentProcess>
  <A, E, T extends Duration.Input | "infinity" | undefined>(id: RequestId<A, E>, timeout: T): Effect.Effect<A, E | ([T] extends [undefined | "infinity"] ? never : CallTimeout | BadArgument), CurrentProcess>
  <Entry extends RequestIds.Entry, T extends Duration.Input | "infinity" | undefined = undefined>(
    ids: RequestIds<Entry>,
    timeout?: T,
    options?: { readonly delete?: boolean | undefined }
  ): Effect.Effect<RequestIds.Response<Entry>, NoRequest | ([T] extends [undefined | "infinity"] ? never : CallTimeout | BadArgument), CurrentProcess>
} = ((id: unknown, timeout?: unknown, options?: { readonly delete?: boolean | undefined }) =>
  id instanceof requests.RequestIdsImpl
    ? requests.waitAny("waitResponse", id, timeout, false, options?.delete !== false)
    : requests.waitOne("waitResponse", id as requests.RequestIdImpl, timeout, false)) as any

/**
 * Like {@link waitResponse}, but a timeout abandons the request (every request of a collection):
 * its reply, should it come later, is dropped and never reaches the mailbox (OTP's
 * `receive_response`, which deactivates the request's alias). `GenServer.call` is
 * `sendRequest` then `receiveResponse` with its timeout.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Gen } from "effect-otp"
 *
 * const quote = Effect.gen(function*() {
 *   const id = yield* Gen.sendRequest("quotes", "price")
 *   // ... other work while the server answers ...
 *   return yield* Gen.receiveResponse(id, "500 millis").pipe(
 *     Effect.catchTag("CallTimeout", () => Effect.succeed("no quote"))
 *   )
 * })
 * ```
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export const receiveResponse: {
  <A, E>(id: RequestId<A, E>): Effect.Effect<A, E, CurrentProcess>
  <A, E, T extends Duration.Input | "infinity" | undefined>(id: RequestId<A, E>, timeout: T): Effect.Effect<A, E | ([T] extends [undefined | "infinity"] ? never : CallTimeout | BadArgument), CurrentProcess>
  <Entry extends RequestIds.Entry, T extends Duration.Input | "infinity" | undefined = undefined>(
    ids: RequestIds<Entry>,
    timeout?: T,
    options?: { readonly delete?: boolean | undefined }
  ): Effect.Effect<RequestIds.Response<Entry>, NoRequest | ([T] extends [undefined | "infinity"] ? never : CallTimeout | BadArgument), CurrentProcess>
} = ((id: unknown, timeout?: unknown, options?: { readonly delete?: boolean | undefined }) =>
  id instanceof requests.RequestIdsImpl
    ? requests.waitAny("receiveResponse", id, timeout, true, options?.delete !== false)
    : requests.waitOne("receiveResponse", id as requests.RequestIdImpl, timeout, true)) as any

/**
 * Whether `message` (one a process received itself, e.g. in a GenServer's `handleInfo`) is the
 * response of a request (OTP's `check_response`): `Option.some` of its outcome (an `Exit`, typed
 * by the request), or `Option.none()` for any other message. For a collection, the labelled
 * response and the collection without it (`{ delete: false }` keeps it), or `NoRequest` if the
 * collection is empty.
 *
 * @example
 * ```ts
 * import { Effect, Exit, Option } from "effect"
 * import { Gen } from "effect-otp"
 *
 * declare const pending: Gen.RequestId<number, unknown>
 * const onMessage = (message: unknown) =>
 *   Effect.map(Gen.checkResponse(message, pending), (response) =>
 *     Option.isNone(response) ? "another message" : Exit.isSuccess(response.value) ? `got ${response.value.value}` : "failed")
 * ```
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export const checkResponse: {
  <A, E>(message: unknown, id: RequestId<A, E>): Effect.Effect<Option.Option<Exit.Exit<A, E>>, never, CurrentProcess>
  <Entry extends RequestIds.Entry>(
    message: unknown,
    ids: RequestIds<Entry>,
    options?: { readonly delete?: boolean | undefined }
  ): Effect.Effect<Option.Option<RequestIds.Response<Entry>>, NoRequest, CurrentProcess>
} = ((message: unknown, id: unknown, options?: { readonly delete?: boolean | undefined }) =>
  id instanceof requests.RequestIdsImpl
    ? requests.checkAny(message, id, options?.delete !== false)
    : requests.checkOne(message, id as requests.RequestIdImpl)) as any

/**
 * An empty collection of request ids (OTP's `reqids_new`).
 *
 * @example
 * ```ts
 * import { Gen } from "effect-otp"
 *
 * const none = Gen.requestIds() // size 0
 * ```
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export const requestIds = (): RequestIds<never> => requests.emptyIds as any

/**
 * A new collection: `ids` with `id` under `label` (OTP's `reqids_add`); `ids` is unchanged.
 * Copies the collection: for many servers at once, {@link multiCall} is cheaper. Data-last
 * form for `pipe`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Gen } from "effect-otp"
 *
 * const asked = Effect.gen(function*() {
 *   const id = yield* Gen.sendRequest("stock", "count")
 *   return Gen.addRequestId(Gen.requestIds(), id, "stock")
 * })
 * ```
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export const addRequestId: {
  <A, E, const L>(id: RequestId<A, E>, label: L): <Entry extends RequestIds.Entry>(ids: RequestIds<Entry>) => RequestIds<Entry | RequestIds.Entry<L, A, E>>
  <Entry extends RequestIds.Entry, A, E, const L>(ids: RequestIds<Entry>, id: RequestId<A, E>, label: L): RequestIds<Entry | RequestIds.Entry<L, A, E>>
} = function(this: unknown) {
  // eslint-disable-next-line prefer-rest-params
  const args = arguments
  if (args.length === 2) return (ids: unknown) => requests.add(ids as requests.RequestIdsImpl, args[0], args[1])
  return requests.add(args[0], args[1], args[2])
} as any

/**
 * The requests of a collection with their labels (OTP's `reqids_to_list`).
 *
 * @example
 * ```ts
 * import { Gen } from "effect-otp"
 *
 * declare const ids: Gen.RequestIds<Gen.RequestIds.Entry<"a" | "b">>
 * const labels = Gen.requestIdsToList(ids).map(({ label }) => label)
 * ```
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export const requestIdsToList = <Entry extends RequestIds.Entry>(
  ids: RequestIds<Entry>
): ReadonlyArray<{ readonly id: RequestId; readonly label: Entry["label"] }> =>
  Array.from((ids as unknown as requests.RequestIdsImpl).ids, ([id, label]) => ({ id, label: label as Entry["label"] }))

/**
 * Calls every one of `targets` with `message` at once and waits for all the answers, with one
 * deadline for all (`timeout`, default `"infinity"` as OTP's `multi_call`): each target's
 * outcome, in the targets' order, as an `Exit` (the reply, `NoProc`, `CallExit`, `CallTimeout`,
 * or the failure the server replied with). Unlike {@link sendRequest}, it works from any fiber:
 * the replies go to handles, not to a mailbox. A timeout that is negative, `NaN` or no duration
 * fails with `BadArgument` before anything is sent. A process that lists itself among the
 * targets gets its own request in its mailbox, which it cannot answer while it waits: that
 * target can only time out (as in OTP; `call` to oneself dies with `calling_self` instead).
 *
 * OTP's `multi_call(Nodes, Name, Request)` calls the server registered as `Name` on each node;
 * here the targets are listed (pids, names, via names, cluster references), which covers that
 * and any other set of servers. `GenServer.multiCall` types it by the servers' protocol.
 *
 * @example
 * ```ts
 * import { Effect, Exit } from "effect"
 * import { Gen } from "effect-otp"
 *
 * const answered = Effect.map(
 *   Gen.multiCall(["cache-1", "cache-2", "cache-3"], "flush", { timeout: "1 second" }),
 *   (outcomes) => outcomes.filter(Exit.isSuccess).length
 * )
 * ```
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export const multiCall: {
  (targets: ReadonlyArray<Target>, message: unknown): Effect.Effect<ReadonlyArray<Exit.Exit<unknown, CallError>>>
  <O extends CallOptions | undefined>(targets: ReadonlyArray<Target>, message: unknown, options: O): Effect.Effect<
    ReadonlyArray<Exit.Exit<unknown, CallError>>,
    O extends { readonly timeout?: infer T } ? [T] extends [undefined | "infinity"] ? never : BadArgument : never
  >
} = ((targets: ReadonlyArray<Target>, message: unknown, options?: CallOptions) =>
  requests.multiCall(targets, message, options?.timeout)) as any
