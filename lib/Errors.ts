/**
 * The typed errors of the process core. Each is data (`Data.TaggedError`): match on `_tag` with
 * `Effect.catchTag`, or let it fail the process, whose exit reason then carries it.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Formatter from "effect/Formatter"
import { type ExitReason, format } from "./ExitReason.js"
import type { Pid } from "./Pid.js"

/**
 * The target process does not exist (it never did, or it has exited), or no process is
 * registered under the name. What to do: treat the target as gone; monitor it to learn why.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-otp"
 *
 * const call = Effect.fail(new Errors.NoProc({ target: "logger" }))
 * const handled = call.pipe(Effect.catchTag("NoProc", (e) => Effect.log(`not running: ${String(e.target)}`)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class NoProc extends Data.Error<{
  /** The pid or registered name that no live process answers to. */
  readonly target: Pid | string
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "NoProc"
  static {
    this.prototype.name = "NoProc"
  }
  /** The human-readable message, naming the target: `no process: <0.5.0>`. */
  override get message(): string {
    return `no process: ${String(this.target)}`
  }
}

/**
 * The name is already registered to another live process (OTP's `badarg` from `register/2`,
 * and `{already_started, Pid}` for servers). `pid` is the current owner.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-otp"
 *
 * const handle = <A, R>(register: Effect.Effect<A, Errors.AlreadyRegistered, R>) =>
 *   register.pipe(Effect.catchTag("AlreadyRegistered", (e) => Effect.log(`${e.name} is taken by ${e.pid}`)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class AlreadyRegistered extends Data.Error<{
  /** The name that is taken. */
  readonly name: string
  /** The live process that currently owns the name. */
  readonly pid: Pid
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "AlreadyRegistered"
  static {
    this.prototype.name = "AlreadyRegistered"
  }
  /** The human-readable message, naming the taken name and its owner. */
  override get message(): string {
    return `name ${this.name} is already registered to ${String(this.pid)}`
  }
}

/**
 * No process is registered under the name (OTP's `badarg` from `unregister/1`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-otp"
 *
 * const handle = <A, R>(effect: Effect.Effect<A, Errors.NotRegistered, R>) =>
 *   effect.pipe(Effect.catchTag("NotRegistered", (e) => Effect.log(`no process named ${e.name}`)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class NotRegistered extends Data.Error<{
  /** The name no process is registered under. */
  readonly name: string
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "NotRegistered"
  static {
    this.prototype.name = "NotRegistered"
  }
  /** The human-readable message, naming the name. */
  override get message(): string {
    return `no process is registered as ${this.name}`
  }
}

/**
 * An argument the operation cannot accept, with the reason (OTP's `badarg`): e.g. registering
 * a process that already has a name, or an empty name.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-otp"
 *
 * const handle = <A, R>(effect: Effect.Effect<A, Errors.BadArgument, R>) =>
 *   effect.pipe(Effect.catchTag("BadArgument", (e) => Effect.log(`${e.operation}: ${e.reason}`)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class BadArgument extends Data.Error<{
  /** The operation that refused the argument, e.g. `register` or `spawn`. */
  readonly operation: string
  /** Why the argument was refused, in words. */
  readonly reason: string
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "BadArgument"
  static {
    this.prototype.name = "BadArgument"
  }
  /** The human-readable message: `operation: reason`. */
  override get message(): string {
    return `${this.operation}: ${this.reason}`
  }
}

/**
 * A call got no reply within its timeout (OTP exits the caller with `timeout`; effect-otp gives
 * this typed error instead, and a reply that arrives later is dropped, never reaching a
 * mailbox). What to do: retry, or treat the server as overloaded.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-otp"
 *
 * const handle = <A, R>(call: Effect.Effect<A, Errors.CallTimeout, R>) =>
 *   call.pipe(Effect.catchTag("CallTimeout", () => Effect.log("the server is busy; try later")))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class CallTimeout extends Data.Error<{
  /** The called target: a pid, a registered name, or a label such as `via(key)`. */
  readonly target: Pid | string
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMillis: number
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "CallTimeout"
  static {
    this.prototype.name = "CallTimeout"
  }
  /** The human-readable message, naming the target and the timeout in milliseconds. */
  override get message(): string {
    return `call to ${String(this.target)} timed out after ${this.timeoutMillis} ms`
  }
}

/**
 * The server exited while the call was pending; `reason` is its exit reason (a `Crash` carries
 * the cause). What to do: the request may or may not have been handled; a supervisor restarts
 * the server, so retrying usually reaches a fresh one.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-otp"
 *
 * const handle = <A, R>(call: Effect.Effect<A, Errors.CallExit, R>) =>
 *   call.pipe(Effect.catchTag("CallExit", (e) => Effect.log(`the server exited: ${e.reason._tag}`)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class CallExit extends Data.Error<{
  /** The called target: a pid, a registered name, or a label such as `via(key)`. */
  readonly target: Pid | string
  /** The server's exit reason. */
  readonly reason: ExitReason
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "CallExit"
  static {
    this.prototype.name = "CallExit"
  }
  /** The human-readable message, naming the target and its exit reason (a crash's own message, see `ExitReason.format`). */
  override get message(): string {
    return `${String(this.target)} exited during the call: ${format(this.reason)}`
  }
}

/**
 * The target's mailbox is bounded and full, and refused the message (see `Process.spawn`'s
 * `mailbox` option). A call fails with it when its request is refused or dropped, under any
 * overflow policy, so it never waits for a reply that cannot come; `Process.trySend` fails with
 * it when a `reject` mailbox is full. What to do: the receiver is overloaded: back off and
 * retry, shed the work, or report it upstream. Nothing of the message was handled.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-otp"
 *
 * const handle = <A, R>(call: Effect.Effect<A, Errors.MailboxFull, R>) =>
 *   call.pipe(Effect.catchTag("MailboxFull", (e) => Effect.log(`${String(e.target)} is overloaded`)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class MailboxFull extends Data.Error<{
  /** The target: a pid, a registered name, or a label such as `via(key)`. */
  readonly target: Pid | string
  /** The capacity of its mailbox. */
  readonly capacity: number
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "MailboxFull"
  static {
    this.prototype.name = "MailboxFull"
  }
  /** The human-readable message, naming the target and its capacity. */
  override get message(): string {
    return `the mailbox of ${String(this.target)} is full (capacity ${this.capacity})`
  }
}

/**
 * A server is already running under that name; `pid` is it (OTP's `{already_started, Pid}`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-otp"
 *
 * const handle = <A, R>(start: Effect.Effect<A, Errors.AlreadyStarted, R>) =>
 *   start.pipe(Effect.catchTag("AlreadyStarted", (e) => Effect.succeed(e.pid)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class AlreadyStarted extends Data.Error<{
  /** The name the new server was to be registered under. */
  readonly name: string
  /** The server already running under that name. */
  readonly pid: Pid
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "AlreadyStarted"
  static {
    this.prototype.name = "AlreadyStarted"
  }
  /** The human-readable message, naming the name and the running server. */
  override get message(): string {
    return `${this.name} is already started as ${String(this.pid)}`
  }
}

/**
 * The process's init stopped with `reason` (or exited before acknowledging its start): OTP's
 * `{error, Reason}` from `start_link`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-otp"
 *
 * const handle = <A, R>(start: Effect.Effect<A, Errors.InitFailed, R>) =>
 *   start.pipe(Effect.catchTag("InitFailed", (e) => Effect.log("init failed", e.reason)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class InitFailed extends Data.Error<{
  /** The `Stop` reason init acknowledged, or the exit reason if the process died before acknowledging. */
  readonly reason: ExitReason
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "InitFailed"
  static {
    this.prototype.name = "InitFailed"
  }
  /** The human-readable message, with the reason (a crash's own message, see `ExitReason.format`). */
  override get message(): string {
    return `init failed: ${format(this.reason)}`
  }
}

/**
 * The process's init did not finish within the start timeout; the process was killed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-otp"
 *
 * const handle = <A, R>(start: Effect.Effect<A, Errors.InitTimeout, R>) =>
 *   start.pipe(Effect.catchTag("InitTimeout", () => Effect.log("init took too long")))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class InitTimeout extends Data.Error<{
  /** The start timeout that expired, in milliseconds. */
  readonly timeoutMillis: number
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "InitTimeout"
  static {
    this.prototype.name = "InitTimeout"
  }
  /** The human-readable message, with the start timeout in milliseconds. */
  override get message(): string {
    return `init did not finish within ${this.timeoutMillis} ms`
  }
}

/**
 * The process's init returned `ignore`: no process runs, and it is not an error to a supervisor,
 * which keeps the child as not running (OTP's `ignore` from `start_link`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-otp"
 *
 * const handle = <A, R>(start: Effect.Effect<A, Errors.InitIgnored, R>) =>
 *   start.pipe(Effect.catchTag("InitIgnored", () => Effect.log("the server chose not to start")))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class InitIgnored extends Data.Error<{}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "InitIgnored"
  static {
    this.prototype.name = "InitIgnored"
  }
  /** The human-readable message: `init returned ignore`. */
  override get message(): string {
    return "init returned ignore"
  }
}

/**
 * The server has no handler for the request's tag: it was built for another protocol, or came
 * from a client of an older version. The server keeps running; the caller gets this error.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-otp"
 *
 * const handle = <A, R>(call: Effect.Effect<A, Errors.UnknownRequest, R>) =>
 *   call.pipe(Effect.catchTag("UnknownRequest", () => Effect.log("the server does not handle this request")))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class UnknownRequest extends Data.Error<{
  /** The server that got the request: its pid, registered name, or label. */
  readonly target: Pid | string
  /** The request's tag, which the server has no handler for. */
  readonly tag: string
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "UnknownRequest"
  static {
    this.prototype.name = "UnknownRequest"
  }
  /** The human-readable message, naming the server and the unhandled tag. */
  override get message(): string {
    return `${String(this.target)} has no handler for ${this.tag}`
  }
}

/**
 * A behaviour's callback returned something that is not one of its results (OTP's
 * `{bad_return_value, Value}`): `undefined`, a plain value, an object with an unknown `_tag`, an
 * Effect that succeeded with any of those, a `stopWith` whose reason is not an `ExitReason`, an
 * invalid `{ timeout }`, or a `{ continue }` from a module without `handleContinue`. The server
 * stops with a `Crash` carrying this error (after `terminate`, with the state it had before the
 * callback); from `init`, the start fails with `InitFailed` carrying it and no process is left.
 * What to do: fix the callback; results are built by `GenServer.ok`, `reply`, `noreply`,
 * `replyFailure` and `stopWith`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-otp"
 *
 * const handle = <A, R>(call: Effect.Effect<A, Errors.BadReturnValue, R>) =>
 *   call.pipe(Effect.catchTag("BadReturnValue", (e) => Effect.log("a callback returned", e.value)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class BadReturnValue extends Data.Error<{
  /** The name of the module whose callback returned it. */
  readonly module: string
  /** The callback, e.g. `handleCall(Get)`, `handleCast(Reset)`, `handleInfo` or `init`. */
  readonly callback: string
  /** What the callback returned. */
  readonly value: unknown
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "BadReturnValue"
  static {
    this.prototype.name = "BadReturnValue"
  }
  /** The human-readable message, naming the module, the callback and the value (shortened). */
  override get message(): string {
    const value = Formatter.format(this.value)
    const shown = value.length > 200 ? `${value.slice(0, 200)}...` : value
    return `${this.module}.${this.callback} returned a bad value: ${shown}`
  }
}

/**
 * A wait on a collection of request ids (`Gen.waitResponse`, `Gen.receiveResponse`,
 * `Gen.checkResponse`) found it empty: there is nothing to wait for (OTP's `no_request`). What
 * to do: stop collecting; every request has been answered (or abandoned).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-otp"
 *
 * const drained = <A, R>(wait: Effect.Effect<A, Errors.NoRequest, R>) =>
 *   wait.pipe(Effect.catchTag("NoRequest", () => Effect.succeed("all answered")))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class NoRequest extends Data.Error<{}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "NoRequest"
  static {
    this.prototype.name = "NoRequest"
  }
  /** The human-readable message. */
  override get message(): string {
    return "the collection of request ids is empty"
  }
}

/**
 * The errors every call can fail with, whatever the protocol. `MailboxFull` comes only from a
 * server started with a bounded mailbox (the caller cannot know how the server was started, so
 * it is in every call's type, as `CallTimeout` is).
 *
 * @category errors
 * @since 0.1.0
 */
export type CallError = NoProc | CallExit | CallTimeout | MailboxFull
