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
import type { AlreadyStarted, BadArgument, CallError, InitFailed, InitIgnored, InitTimeout } from "./Errors.js"
import type { ExitReason } from "./ExitReason.js"
import * as internal from "./internal/gen.js"
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
   * `MailboxFull` at once; `Sys` requests and exit signals always get in. Supervisors and
   * dynamic supervisors take no bound (nor `trapExit`): they ignore it.
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
