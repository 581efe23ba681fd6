/**
 * OTP's supervisor reports (progress and crash), shared by Supervisor and DynamicSupervisor.
 *
 * A report is written from inside the supervisor's own step (given its fiber), not as an
 * Effect of its own: a restart writes a crash report, and the loop's log writer costs a
 * fraction of `Effect.logError(...).pipe(Effect.annotateLogs(...))` for the same entry (see
 * `lib/internal/log.ts`, which says what it measured).
 *
 * @internal
 */
import * as Context from "effect/Context"
import type * as Fiber from "effect/Fiber"
import * as ExitReason from "../../lib/ExitReason.js"
import { nameOf } from "../../lib/internal/gen.js"
import { logEnabled as enabled, writeLog as write } from "../../lib/internal/loop.js"
import type { Pid } from "../../lib/Pid.js"
import * as Process from "../../lib/Process.js"
import type { ChildSpec } from "../ChildSpec.js"

/** The supervisor writing a report: the process whose fiber it is. */
const supervisorOf = (fiber: Fiber.Fiber<unknown, unknown>): string =>
  String(Context.getOrUndefined(fiber.context as Context.Context<Process.CurrentProcess>, Process.CurrentProcess))

/**
 * How a report's message names a child: its id, then the name its process was started with
 * (a local name, or a via name such as a Registry key, `via(lobby)`) when it has one that is not
 * its id. A DynamicSupervisor's children often share one id (the spec's), so the name is what
 * tells them apart; the pid is in the report's annotations.
 */
const childText = (spec: ChildSpec<any>, name: string | undefined): string =>
  name === undefined || name === spec.id ? `child ${spec.id}` : `child ${spec.id} named ${name}`

/** Adds the child's `name` annotation when it has one (OTP's reports show a registered name). */
const withName = (annotations: Record<string, unknown>, name: string | undefined): Record<string, unknown> => {
  if (name !== undefined) annotations["name"] = name
  return annotations
}

/**
 * A supervisor started a child: logged at `Debug` (OTP logs progress reports at `info`, below
 * its default level; Effect's default is `Info`, so they show once the minimum level is `Debug`),
 * annotated `report: "progress"`, `supervisor`, `child`, `pid`, `type` and `restart`. When
 * `Debug` is off it costs one level check.
 */
export const started = (fiber: Fiber.Fiber<unknown, unknown>, spec: ChildSpec<any>, pid: Pid): void => {
  if (!enabled(fiber, "Debug")) return
  const name = nameOf(pid)
  write(fiber, "Debug", [`${childText(spec, name)} started`], withName({
    report: "progress",
    supervisor: supervisorOf(fiber),
    child: spec.id,
    pid: String(pid),
    type: spec.type,
    restart: spec.restart
  }, name))
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
  if (reason._tag === "Normal" || reason._tag === "Shutdown" || !enabled(fiber, "Error")) return
  const name = nameOf(pid)
  write(fiber, "Error", [`${childText(spec, name)} terminated (${reason._tag})`, reason], withName({
    report: "supervisor",
    supervisor: supervisorOf(fiber),
    child: spec.id,
    pid: String(pid),
    reason: reason._tag,
    action,
    context: "child_terminated"
  }, name))
}

/**
 * OTP's `reached_max_restart_intensity` report: the supervisor gives up (it stops its children
 * and exits `shutdown`) because restarting `spec`'s child would exceed its intensity. An error,
 * annotated `report: "supervisor"`, the supervisor, the child's id, `reason:
 * "reached_max_restart_intensity"`, `action: "shutdown"` and `context: "shutdown"` (OTP's
 * error context).
 */
export const gaveUp = (fiber: Fiber.Fiber<unknown, unknown>, spec: ChildSpec<any>, pid?: Pid): void => {
  if (!enabled(fiber, "Error")) return
  const name = pid === undefined ? undefined : nameOf(pid)
  write(fiber, "Error", [`supervisor shutting down: reached max restart intensity (last exit: ${childText(spec, name)})`], withName({
    report: "supervisor",
    supervisor: supervisorOf(fiber),
    child: spec.id,
    reason: "reached_max_restart_intensity",
    action: "shutdown",
    context: "shutdown"
  }, name))
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
    supervisor: supervisorOf(fiber),
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
  const name = nameOf(pid)
  write(fiber, "Error", [`${childText(spec, name)} shutdown error (${reason._tag})`, reason], withName({
    report: "supervisor",
    supervisor: supervisorOf(fiber),
    child: spec.id,
    pid: String(pid),
    reason: reason._tag,
    action: "none",
    context: "shutdown_error"
  }, name))
}
