/**
 * Test helpers for log output and tagged messages, shared by the loop's and GenServer's tests.
 */
import { type Cause, Context, Effect, Logger, References } from "effect"

/** A guard for messages `{ _tag: tag, ... }`. */
export const tagged = <T extends string>(tag: T) => (u: unknown): u is { readonly _tag: T; readonly [key: string]: any } =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === tag

/** One log entry as the capturing logger keeps it. */
export interface Entry {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
  readonly cause: Cause.Cause<unknown>
}

/** A logger that keeps every entry: level, message, annotations and cause; `provide` installs it alone. */
export const captureLogs = () => {
  const entries: Array<Entry> = []
  const logger = Logger.make<unknown, void>(({ cause, fiber, logLevel, message }) => {
    const parts = Array.isArray(message) ? message : [message]
    const annotations = Context.get(fiber.context, References.CurrentLogAnnotations) as Record<string, unknown>
    entries.push({ level: logLevel, message: parts.map(String).join(" "), annotations: { ...annotations }, cause })
  })
  const provide = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.provideService(effect, Logger.CurrentLoggers, new Set([logger]))
  return { entries, provide }
}
