/**
 * Exit reasons as untyped code gives them: what the generic loop and its behaviours accept as
 * a reason to stop with.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as ExitReason from "../ExitReason.js"

/**
 * A reason a process may stop with: an exit reason, a `Crash` only with a real `Cause` (an
 * untyped `{ _tag: "Crash" }` is no reason anything downstream could read).
 */
export const isStopReason = (u: unknown): u is ExitReason.ExitReason =>
  ExitReason.isExitReason(u) && (u._tag !== "Crash" || Cause.isCause(u.cause))

/** An exit reason as is; any other value inside a `Crash` (OTP exits with any term). */
export const toExitReason = (u: unknown): ExitReason.ExitReason => isStopReason(u) ? u : ExitReason.fail(u)
