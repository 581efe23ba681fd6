/**
 * OTP's supervisor reports (progress and crash), shared by Supervisor and DynamicSupervisor.
 *
 * A report is written from inside the supervisor's own step (`log`, given its fiber), not as an
 * Effect of its own: a restart writes a crash report, and `Effect.logError(...).pipe(
 * Effect.annotateLogs(...))` costs a context update, a finalizer and a dozen allocations for
 * what is one call of each logger. `log` does what those two do, with Effect's public pieces:
 * the same level check, the same loggers (`CurrentLoggers`) given the same options, and the
 * annotations in the fiber's context (`CurrentLogAnnotations`) while they run, so a logger
 * sees exactly what it would see under `annotateLogs`.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import type * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as References from "effect/References"
import * as ExitReason from "../../lib/ExitReason.js"
import { currentProcessOf } from "../../lib/internal/runtime.js"
import type { Pid } from "../../lib/Pid.js"
import type { ChildSpec } from "../ChildSpec.js"

/** Whether a log at `level` would be written by `fiber` (Effect's own check). */
export const enabled = (fiber: Fiber.Fiber<unknown, unknown>, level: LogLevel.LogLevel): boolean =>
  !LogLevel.isGreaterThan(fiber.getRef(References.MinimumLogLevel), level)

/**
 * Writes one log entry now, from inside `fiber`'s running step: `Effect.logWithLevel(level)(
 * ...message)` under `Effect.annotateLogs(annotations)`. Call it from `Effect.withFiber`.
 */
export const log = (
  fiber: Fiber.Fiber<unknown, unknown>,
  level: LogLevel.LogLevel,
  message: ReadonlyArray<unknown>,
  annotations: Readonly<Record<string, unknown>>
): void => {
  if (enabled(fiber, level)) write(fiber, level, message, annotations)
}

const isEmpty = (record: Readonly<Record<string, unknown>>): boolean => {
  for (const _ in record) return false
  return true
}

/** {@link log} once the level is known to be enabled. */
const write = (
  fiber: Fiber.Fiber<unknown, unknown>,
  level: LogLevel.LogLevel,
  message: ReadonlyArray<unknown>,
  annotations: Readonly<Record<string, unknown>>
): void => {
  const loggers = fiber.getRef(Logger.CurrentLoggers)
  if (loggers.size === 0) return
  const context = fiber.context
  const current = Context.get(context, References.CurrentLogAnnotations)
  const merged = isEmpty(current) ? annotations : { ...current, ...annotations }
  fiber.setContext(Context.add(context, References.CurrentLogAnnotations, merged))
  try {
    const date = new Date(fiber.getRef(Clock.Clock).currentTimeMillisUnsafe())
    for (const logger of loggers) logger.log({ cause: Cause.empty, fiber, date, logLevel: level, message })
  } finally {
    fiber.setContext(context)
  }
}

/**
 * A supervisor started a child: logged at `Debug` (OTP logs progress reports at `info`, below
 * its default level; Effect's default is `Info`, so they show once the minimum level is `Debug`),
 * annotated `report: "progress"`, `supervisor`, `child`, `pid`, `type` and `restart`. When
 * `Debug` is off it costs one level check.
 */
export const started = (fiber: Fiber.Fiber<unknown, unknown>, spec: ChildSpec<any>, pid: Pid): void => {
  if (!enabled(fiber, "Debug")) return
  write(fiber, "Debug", [`child ${spec.id} started`], {
    report: "progress",
    supervisor: String(currentProcessOf(fiber)),
    child: spec.id,
    pid: String(pid),
    type: spec.type,
    restart: spec.restart
  })
}

/**
 * OTP's supervisor report: an abnormal child exit (not `normal` or `shutdown`) is logged as an
 * error, annotated with the supervisor, the child's id and pid, the reason and what the
 * supervisor does about it. The reason itself is logged, not a string made of it: formatting a
 * crash (its cause and stack) is left to the logger, so a report costs little when nothing
 * prints it. Its `context` is OTP's error context, `child_terminated`.
 */
export const terminated = (
  fiber: Fiber.Fiber<unknown, unknown>,
  spec: ChildSpec<any>,
  pid: Pid,
  reason: ExitReason.ExitReason,
  action: "restart" | "none"
): void => {
  if (ExitReason.isOrderly(reason) || !enabled(fiber, "Error")) return
  write(fiber, "Error", [`child ${spec.id} terminated (${reason._tag})`, reason], {
    report: "supervisor",
    supervisor: String(currentProcessOf(fiber)),
    child: spec.id,
    pid: String(pid),
    reason: reason._tag,
    action,
    context: "child_terminated"
  })
}

/**
 * OTP's `reached_max_restart_intensity` report: the supervisor gives up (it stops its children
 * and exits `shutdown`) because restarting `spec`'s child would exceed its intensity. An error,
 * annotated `report: "supervisor"`, the supervisor, the child's id, `reason:
 * "reached_max_restart_intensity"`, `action: "shutdown"` and `context: "shutdown"` (OTP's
 * error context).
 */
export const gaveUp = (fiber: Fiber.Fiber<unknown, unknown>, spec: ChildSpec<any>): void => {
  if (!enabled(fiber, "Error")) return
  write(fiber, "Error", ["supervisor shutting down: reached max restart intensity"], {
    report: "supervisor",
    supervisor: String(currentProcessOf(fiber)),
    child: spec.id,
    reason: "reached_max_restart_intensity",
    action: "shutdown",
    context: "shutdown"
  })
}

/**
 * OTP's `start_error` report, for a restart whose start failed: an error, annotated as a
 * supervisor report with `context: "start_error"`, the failure's tag as `reason` and `action:
 * "restart"` (it is tried again). The failure itself is the message's second part.
 */
export const startError = (fiber: Fiber.Fiber<unknown, unknown>, spec: ChildSpec<any>, failure: ExitReason.ExitReason): void => {
  if (!enabled(fiber, "Error")) return
  write(fiber, "Error", [`supervisor: restart of ${spec.id} failed: ${ExitReason.format(failure)}`, failure], {
    report: "supervisor",
    supervisor: String(currentProcessOf(fiber)),
    child: spec.id,
    reason: failure._tag,
    action: "restart",
    context: "start_error"
  })
}

/**
 * OTP's `shutdown_error` report: a child the supervisor stopped ended with another reason than
 * its shutdown asks for (`killed` after its shutdown time ran out, or a crash); `context:
 * "shutdown_error"`.
 */
export const shutdownError = (
  fiber: Fiber.Fiber<unknown, unknown>,
  spec: ChildSpec<any>,
  pid: Pid,
  reason: ExitReason.ExitReason
): void => {
  if (!enabled(fiber, "Error")) return
  write(fiber, "Error", [`child ${spec.id} shutdown error (${reason._tag})`, reason], {
    report: "supervisor",
    supervisor: String(currentProcessOf(fiber)),
    child: spec.id,
    pid: String(pid),
    reason: reason._tag,
    action: "none",
    context: "shutdown_error"
  })
}

/**
 * OTP's gen_server terminate report (`** Generic server ~p terminating`): a GenServer (and so
 * a supervisor) that exits abnormally logs it once, at `Error`, from its own fiber, before it
 * exits. The message has the server (registered name, or pid, and module), the last message
 * it got, its state as `formatStatus` shows it, and the reason (the crash's own message); the
 * entry's cause is the crash's Cause, which a logger prints with its stack (Effect's default
 * logger does). Annotated `report: "gen_server"`, `pid`, `module`, `reason` (the tag). The
 * caller checks the level first (`enabled`) and formats the message and the state.
 */
export const serverTerminated = (
  fiber: Fiber.Fiber<unknown, unknown>,
  report: {
    readonly module: string
    readonly lastMessage: string
    readonly state: string
    readonly reason: ExitReason.ExitReason
  }
): void => {
  const loggers = fiber.getRef(Logger.CurrentLoggers)
  if (loggers.size === 0) return
  const process = currentProcessOf(fiber)
  const pid = String(process)
  const name = process?.name === undefined ? pid : `${process.name} (${pid})`
  const reason = report.reason
  const message = `** Generic server ${name} (${report.module}) terminating\n` +
    `** Last message in was ${shorten(report.lastMessage)}\n` +
    `** When Server state == ${shorten(report.state)}\n` +
    `** Reason for termination ==\n` +
    `** ${shorten(ExitReason.format(reason))}` +
    // A logger that prints the cause (Effect's default does) puts it after the message: on its own line.
    (reason._tag === "Crash" ? "\n" : "")
  const annotations = { report: "gen_server", pid, module: report.module, reason: reason._tag }
  const context = fiber.context
  const current = Context.get(context, References.CurrentLogAnnotations)
  fiber.setContext(Context.add(context, References.CurrentLogAnnotations, isEmpty(current) ? annotations : { ...current, ...annotations }))
  try {
    const cause = reason._tag === "Crash" ? reason.cause : Cause.empty
    const date = new Date(fiber.getRef(Clock.Clock).currentTimeMillisUnsafe())
    for (const logger of loggers) logger.log({ cause, fiber, date, logLevel: "Error", message: [message] })
  } finally {
    fiber.setContext(context)
  }
}

/** Caps one part of a report (OTP limits a report's terms to `error_logger_format_depth`). */
const shorten = (text: string): string => text.length > 8192 ? `${text.slice(0, 8192)}... (${text.length} characters)` : text
