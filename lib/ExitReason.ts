/**
 * Why a process ended, and the reason carried by an exit signal.
 *
 * Erlang lets any term be an exit reason; effect-otp keeps the reasons OTP gives a meaning to
 * as tags and carries everything else inside a `Crash` with an Effect `Cause`, so a failure
 * keeps its typed error, its defect and its trace:
 *
 * | effect-otp              | Erlang/OTP                  | kills a linked process that does not trap exits |
 * |-------------------------|-----------------------------|-------------------------------------------------|
 * | `Normal`                | `normal`                    | no                                              |
 * | `Shutdown`              | `shutdown`, `{shutdown, T}` | yes                                             |
 * | `Kill` (a signal only)  | `kill`                      | always: it cannot be trapped                    |
 * | `Killed`                | `killed`                    | yes                                             |
 * | `NoProc`                | `noproc`                    | yes                                             |
 * | `NoConnection`          | `noconnection`              | yes                                             |
 * | `Crash`                 | any other term / a crash    | yes                                             |
 *
 * A process body that succeeds exits `Normal`; one that fails or dies exits with a `Crash`
 * holding the Effect `Cause`.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import { format as formatBounded } from "./internal/format.js"
import { NodeInspectSymbol } from "effect/Inspectable"
import * as Predicate from "effect/Predicate"

// The reasons without fields are one value each (`normal`, `kill`, ...): their classes stay
// here, and the union below names them by their tag.
class Normal extends Data.Class<{}> {
  readonly _tag = "Normal"
}
class Kill extends Data.Class<{}> {
  readonly _tag = "Kill"
}
class Killed extends Data.Class<{}> {
  readonly _tag = "Killed"
}
class NoProc extends Data.Class<{}> {
  readonly _tag = "NoProc"
}
class NoConnection extends Data.Class<{}> {
  readonly _tag = "NoConnection"
}

/**
 * An orderly stop requested by a parent (a supervisor) or by the process itself. OTP's
 * `shutdown` and `{shutdown, Term}`: `reason` holds the term when there is one. Supervisors do
 * not restart a `transient` child that exits with it.
 *
 * @example
 * ```ts
 * import { ExitReason } from "effect-otp"
 *
 * const why = (reason: ExitReason.ExitReason) =>
 *   reason._tag === "Shutdown" ? `stopped: ${String((reason as ExitReason.Shutdown).reason ?? "plain")}` : reason._tag
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export class Shutdown extends Data.Class<{ readonly reason?: unknown }> {
  /** The tag of this reason. */
  readonly _tag = "Shutdown"
}

/**
 * The process failed or died: `cause` is the Effect `Cause` of the failure, so a typed error,
 * a defect and its stack are all kept. `ExitReason.fail(value)` is OTP's `exit(Pid, Term)` for
 * an arbitrary term.
 *
 * @example
 * ```ts
 * import { Cause } from "effect"
 * import { ExitReason } from "effect-otp"
 *
 * const details = (reason: ExitReason.ExitReason) =>
 *   reason._tag === "Crash" ? Cause.pretty((reason as ExitReason.Crash).cause) : ExitReason.format(reason)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export class Crash extends Data.Class<{ readonly cause: Cause.Cause<unknown> }> {
  /** The tag of this reason. */
  readonly _tag = "Crash"
  /** `Crash(...)` with the pretty-printed cause. */
  override toString(): string {
    return `Crash(${Cause.pretty(this.cause)})`
  }
  /** How Node's `util.inspect` (and so the default logger) shows it: the cause, pretty. */
  [NodeInspectSymbol](): string {
    return this.toString()
  }
}

/**
 * Every reason a process can exit with, or an exit signal can carry, told apart by `_tag`:
 * - `Normal`: the process finished its work; linked processes that do not trap exits ignore it.
 * - `Shutdown`: an orderly stop (see {@link Shutdown}).
 * - `Kill`: the untrappable signal: `Process.exit(pid, ExitReason.kill)` ends the target even
 *   when it traps exits. The target then exits with `Killed`, which its links and monitors see.
 * - `Killed`: the reason of a process ended by a `Kill` signal.
 * - `NoProc`: the target did not exist (a monitor on a dead pid, a link to a dead pid while
 *   trapping exits).
 * - `NoConnection`: the target's node became unreachable.
 * - `Crash`: the process failed or died (see {@link Crash}).
 *
 * @example
 * ```ts
 * import { ExitReason } from "effect-otp"
 *
 * const restartWorthy = (reason: ExitReason.ExitReason): boolean =>
 *   reason._tag !== "Normal" && reason._tag !== "Shutdown"
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type ExitReason =
  | { readonly _tag: "Normal" }
  | Shutdown
  | { readonly _tag: "Kill" }
  | { readonly _tag: "Killed" }
  | { readonly _tag: "NoProc" }
  | { readonly _tag: "NoConnection" }
  | Crash

/**
 * `normal`: the reason of a process that finished its work.
 *
 * @example
 * ```ts
 * import { ExitReason, Process } from "effect-otp"
 *
 * const done = Process.exitWith(ExitReason.normal)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const normal: ExitReason = new Normal()

/**
 * `shutdown`, or `{shutdown, reason}` when a reason is given.
 *
 * @example
 * ```ts
 * import { ExitReason } from "effect-otp"
 *
 * const plain = ExitReason.shutdown()
 * const withTerm = ExitReason.shutdown("config reloaded")
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const shutdown = (reason?: unknown): ExitReason =>
  reason === undefined ? shutdownPlain : new Shutdown({ reason })

const shutdownPlain = new Shutdown({})

/**
 * `kill`: the untrappable exit signal. The target exits with {@link killed}.
 *
 * @example
 * ```ts
 * import { ExitReason, Pid, Process } from "effect-otp"
 *
 * const brutal = (pid: Pid.Pid) => Process.exit(pid, ExitReason.kill)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const kill: ExitReason = new Kill()

/**
 * `killed`: the reason of a process ended by a `kill` signal, as its links and monitors see it.
 *
 * @example
 * ```ts
 * import { ExitReason } from "effect-otp"
 *
 * const wasKilled = (reason: ExitReason.ExitReason) => reason._tag === ExitReason.killed._tag
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const killed: ExitReason = new Killed()

/**
 * `noproc`: the target did not exist (e.g. the `Down` of a monitor set on a dead pid).
 *
 * @example
 * ```ts
 * import { ExitReason } from "effect-otp"
 *
 * console.log(ExitReason.format(ExitReason.noproc)) // noproc
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const noproc: ExitReason = new NoProc()

/**
 * `noconnection`: the target's node became unreachable.
 *
 * @example
 * ```ts
 * import { ExitReason } from "effect-otp"
 *
 * console.log(ExitReason.format(ExitReason.noconnection)) // noconnection
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const noconnection: ExitReason = new NoConnection()

/**
 * A crash with the given Effect `Cause` (what a process whose body failed or died exits with).
 *
 * @example
 * ```ts
 * import { Cause } from "effect"
 * import { ExitReason } from "effect-otp"
 *
 * const reason = ExitReason.crash(Cause.die(new Error("boom")))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const crash = (cause: Cause.Cause<unknown>): ExitReason => new Crash({ cause })

/**
 * A crash whose cause is the typed failure `error`: OTP's `exit(Pid, Term)` with any term.
 *
 * @example
 * ```ts
 * import { ExitReason } from "effect-otp"
 *
 * const reason = ExitReason.fail({ _tag: "PaymentDeclined" })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const fail = (error: unknown): ExitReason => new Crash({ cause: Cause.fail(error) })

/**
 * Whether `u` is an exit reason (checked at run time by its tag: untyped callers may pass
 * anything).
 *
 * @example
 * ```ts
 * import { ExitReason } from "effect-otp"
 *
 * console.log(ExitReason.isExitReason(ExitReason.normal)) // true
 * console.log(ExitReason.isExitReason("normal")) // false
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isExitReason = (u: unknown): u is ExitReason =>
  Predicate.isTagged(u, "Normal") || Predicate.isTagged(u, "Shutdown") || Predicate.isTagged(u, "Kill") ||
  Predicate.isTagged(u, "Killed") || Predicate.isTagged(u, "NoProc") || Predicate.isTagged(u, "NoConnection") ||
  Predicate.isTagged(u, "Crash")

/**
 * A short human-readable form: `normal`, `shutdown`, `{shutdown, "x"}`, `killed`, or for a
 * crash the message of what failed or died: `Error: boom` for a defect or failure that is an
 * `Error` (its name and message; an `Error` without a message, such as a `Data.TaggedError`,
 * shows its fields), the value itself for any other failure (`ExitReason.fail("x")` gives `x`),
 * `interrupted` for an interruption; several reasons are joined with `; `. The stack trace is
 * left out: `Cause.pretty(reason.cause)` has it. Never throws, whatever the values inside.
 *
 * @example
 * ```ts
 * import { ExitReason } from "effect-otp"
 *
 * ExitReason.format(ExitReason.shutdown("maintenance")) // "{shutdown, maintenance}"
 * ExitReason.format(ExitReason.fail(new Error("disk full"))) // "Error: disk full"
 * ```
 *
 * @category formatting
 * @since 0.1.0
 */
export const format = (reason: ExitReason): string => {
  switch (reason?._tag) {
    case "Normal":
      return "normal"
    case "Shutdown":
      return reason.reason === undefined ? "shutdown" : `{shutdown, ${formatValue(reason.reason)}}`
    case "Kill":
      return "kill"
    case "Killed":
      return "killed"
    case "NoProc":
      return "noproc"
    case "NoConnection":
      return "noconnection"
    case "Crash":
      return formatCause(reason.cause)
  }
  // Not an exit reason (an untyped caller's value): shown as the value it is.
  return formatValue(reason)
}

/** The messages of a cause's reasons, without stack traces. */
const formatCause = (cause: Cause.Cause<unknown>): string => {
  const reasons = Cause.isCause(cause) ? cause.reasons : []
  if (reasons.length === 0) return "crash"
  let out = ""
  for (const r of reasons) {
    const text = Cause.isFailReason(r)
      ? formatValue(r.error)
      : Cause.isDieReason(r)
      ? formatValue(r.defect)
      : "interrupted"
    out = out === "" ? text : `${out}; ${text}`
  }
  return out
}

const formatValue = (value: unknown): string => {
  if (typeof value === "string") return value
  try {
    if (value instanceof Error) {
      const message = value.message
      if (typeof message === "string" && message !== "") return `${value.name}: ${message}`
      // A tagged error without a message: its name and its fields.
      const fields: Record<string, unknown> = Object.create(null)
      let any = false
      for (const key of Object.keys(value)) {
        if (key === "stack" || key === "_tag") continue
        fields[key] = (value as unknown as Record<string, unknown>)[key]
        any = true
      }
      return any ? `${value.name}(${formatBounded(fields)})` : String(value.name)
    }
  } catch {
    // A getter that throws: fall back to the generic form below.
  }
  return formatBounded(value)
}
