/**
 * OTP's progress report, shared by Supervisor and DynamicSupervisor (their crash reports are
 * next to their restart logic).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as LogLevel from "effect/LogLevel"
import * as References from "effect/References"
import { currentProcessOf } from "../../lib/internal/runtime.js"
import type { Pid } from "../../lib/Pid.js"
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
