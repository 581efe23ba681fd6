/**
 * effect-otp's exit reasons, Causes, typed errors and call results as the tokens of
 * `../normalize.ts` (its table says what each one stands for on both sides).
 */
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as ExitReason from "../../lib/ExitReason.js"
import * as Pid from "../../lib/Pid.js"
import * as Supervisor from "../../behaviours/Supervisor.js"

/** Shows a pid as its label and generation. */
export type Who = (pid: Pid.Pid) => string

const tagOf = (u: unknown): string | undefined =>
  typeof u === "object" && u !== null && "_tag" in u && typeof u._tag === "string" ? u._tag : undefined

/** Any value found inside a reason or an error, as a token. */
export const valueToken = (value: unknown, who: Who): string => {
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "boolean" || value === undefined || value === null) return String(value)
  if (Pid.isPid(value)) return who(value)
  if (ExitReason.isExitReason(value)) return reasonToken(value, who)
  if (value instanceof Supervisor.FailedToStartChild) {
    return `failed_to_start_child(${value.id},${valueToken(value.reason, who)})`
  }
  const tag = tagOf(value)
  if (tag !== undefined && /badreturn/i.test(tag)) return "bad_return_value"
  if (value instanceof Error && /bad.?return/i.test(value.message)) return "bad_return_value"
  if (tag === "InitFailed") return valueToken((value as { readonly reason: unknown }).reason, who)
  if (tag === "AlreadyStarted") return `already_started(${valueToken((value as { readonly pid: unknown }).pid, who)})`
  if (typeof value === "object" && "boom" in value) return `crash(${valueToken(value.boom, who)})`
  if (value instanceof Error) return `other(${value.name}: ${value.message})`
  try {
    return `other(${JSON.stringify(value)})`
  } catch {
    return `other(${String(value)})`
  }
}

/** A Cause as a token: its first failure, else its first defect, else `interrupted`. */
export const causeToken = (cause: Cause.Cause<unknown>, who: Who): string => {
  const error = Cause.findErrorOption(cause)
  if (Option.isSome(error)) return valueToken(error.value, who)
  const defect = Cause.findDefect(cause)
  if (Result.isSuccess(defect)) return valueToken(defect.success, who)
  return "interrupted"
}

/** An exit reason as a token. */
export const reasonToken = (reason: ExitReason.ExitReason, who: Who): string => {
  switch (reason._tag) {
    case "Normal":
      return "normal"
    case "Shutdown":
      return reason.reason === undefined ? "shutdown" : `shutdown(${valueToken(reason.reason, who)})`
    case "Kill":
      return "kill"
    case "Killed":
      return "killed"
    case "NoProc":
      return "noproc"
    case "NoConnection":
      return "noconnection"
    case "Crash":
      return causeToken(reason.cause, who)
  }
}

/** What a call's success means: nothing (`ok`), a pid (`ok(L#G)`), a server, or a reply. */
export type Shape = "void" | "pid" | "server" | "reply"

const errorToken = (error: unknown, who: Who): string => {
  switch (tagOf(error)) {
    case "NoProc":
      return "noproc"
    case "CallTimeout":
      return "timeout"
    case "CallExit":
      return `exit(${reasonToken((error as { readonly reason: ExitReason.ExitReason }).reason, who)})`
    case "UnknownRequest":
      return "unknown"
    case "InitIgnored":
      return "ignore"
    case "NotFound":
    case "NotAChild":
      return "error(not_found)"
    case "NotStopped":
      return `error(${(error as Supervisor.NotStopped).state})`
    case "AlreadyPresent":
      return "error(already_present)"
    case "StartChildFailed":
      return `error(${valueToken((error as { readonly reason: unknown }).reason, who)})`
    default:
      return `error(${valueToken(error, who)})`
  }
}

/** What a call (or a start) gave, as a token. */
export const resultToken = (exit: Exit.Exit<unknown, unknown>, shape: Shape, who: Who): string => {
  if (Exit.isFailure(exit)) {
    const error = Cause.findErrorOption(exit.cause)
    return Option.isSome(error) ? errorToken(error.value, who) : `exit(${causeToken(exit.cause, who)})`
  }
  const value = exit.value
  switch (shape) {
    case "void":
      return "ok"
    case "pid":
      return value === undefined ? "ok(undefined)" : `ok(${valueToken(value, who)})`
    case "server":
      return `ok(${valueToken((value as { readonly pid: unknown }).pid, who)})`
    case "reply":
      return typeof value === "number" ? `reply(${value})` : valueToken(value, who)
  }
}
