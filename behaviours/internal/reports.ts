/**
 * OTP's supervisor reports (progress and crash), shared by Supervisor and DynamicSupervisor.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as LogLevel from "effect/LogLevel"
import * as References from "effect/References"
import { currentProcessOf } from "../../lib/internal/runtime.js"
import * as ExitReason from "../../lib/ExitReason.js"
import type { Pid } from "../../lib/Pid.js"
import * as Process from "../../lib/Process.js"
import type { ChildSpec } from "../ChildSpec.js"

/**
 * A supervisor started a child: logged at `Debug` (OTP logs progress reports at `info`, below
 * its default level; Effect's default is `Info`, so they show once the minimum level is `Debug`),
 * annotated `report: "progress"`, `supervisor`, `child`, `pid`, `type` and `restart`. Returns
 * `value`; when `Debug` is off it costs one level check.
 */
export const started = <A>(spec: ChildSpec<any>, pid: Pid, value: A): Effect.Effect<A> =>
  Effect.withFiber((fiber) => {
    if (LogLevel.isGreaterThan(fiber.getRef(References.MinimumLogLevel), "Debug")) return Effect.succeed(value)
    const supervisor = currentProcessOf(fiber)
    return Effect.as(
      Effect.logDebug(`child ${spec.id} started`).pipe(
        Effect.annotateLogs({
          report: "progress",
          supervisor: String(supervisor),
          child: spec.id,
          pid: String(pid),
          type: spec.type,
          restart: spec.restart
        })
      ),
      value
    )
  })

/**
 * OTP's supervisor report: an abnormal child exit (not `normal` or `shutdown`) is logged as an
 * error, annotated with the supervisor, the child's id and pid, the reason and what the
 * supervisor does about it. The reason itself is logged, not a string made of it: formatting a
 * crash (its cause and stack) is left to the logger, so a report costs little when nothing
 * prints it.
 */
export const terminated = (
  spec: ChildSpec<any>,
  pid: Pid,
  reason: ExitReason.ExitReason,
  action: "restart" | "none"
): Effect.Effect<void, never, Process.CurrentProcess> =>
  ExitReason.isOrderly(reason)
    ? Effect.void
    : Effect.flatMap(Process.self, (supervisor) =>
      Effect.logError(`child ${spec.id} terminated (${reason._tag})`, reason).pipe(
        Effect.annotateLogs({
          report: "supervisor",
          supervisor: String(supervisor),
          child: spec.id,
          pid: String(pid),
          reason: reason._tag,
          action
        })
      ))
