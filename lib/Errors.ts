/**
 * The typed errors of the process core. Each is data (`Data.TaggedError`): match on `_tag` with
 * `Effect.catchTag`, or let it fail the process, whose exit reason then carries it.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import type { Pid } from "./Pid.js"

/**
 * The target process does not exist (it never did, or it has exited), or no process is
 * registered under the name. What to do: treat the target as gone; monitor it to learn why.
 *
 * @category errors
 * @since 0.1.0
 */
export class NoProc extends Data.TaggedError("NoProc")<{
  readonly target: Pid | string
}> {
  override get message(): string {
    return `no process: ${String(this.target)}`
  }
}

/**
 * The name is already registered to another live process (OTP's `badarg` from `register/2`,
 * and `{already_started, Pid}` for servers). `pid` is the current owner.
 *
 * @category errors
 * @since 0.1.0
 */
export class AlreadyRegistered extends Data.TaggedError("AlreadyRegistered")<{
  readonly name: string
  readonly pid: Pid
}> {
  override get message(): string {
    return `name ${this.name} is already registered to ${String(this.pid)}`
  }
}

/**
 * No process is registered under the name (OTP's `badarg` from `unregister/1`).
 *
 * @category errors
 * @since 0.1.0
 */
export class NotRegistered extends Data.TaggedError("NotRegistered")<{
  readonly name: string
}> {
  override get message(): string {
    return `no process is registered as ${this.name}`
  }
}

/**
 * An argument the operation cannot accept, with the reason (OTP's `badarg`): e.g. registering
 * a process that already has a name, or an empty name.
 *
 * @category errors
 * @since 0.1.0
 */
export class BadArgument extends Data.TaggedError("BadArgument")<{
  readonly operation: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.operation}: ${this.reason}`
  }
}
