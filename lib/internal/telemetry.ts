/**
 * What the process core needs to know of telemetry: the hooks a node calls while telemetry is on,
 * and the service through which `Telemetry.layer` reaches a node as it starts. The
 * implementation lives in `lib/Telemetry.ts`; the core only checks `runtime.telemetry`.
 *
 * @internal
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import type * as Tracer from "effect/Tracer"
import type { NodeRuntime, ProcessImpl } from "./runtime.js"

/**
 * Called by the call protocol of a node whose telemetry is on.
 *
 * @internal
 */
export interface TelemetryHooks {
  /**
   * Runs a call to `server` (`request` is the message in its mailbox), made by `fiber`, inside a
   * client span, which `call` receives to hand to the server, and records the call's duration.
   */
  readonly call: <A, E>(
    fiber: Fiber.Fiber<unknown, unknown>,
    server: ProcessImpl,
    label: unknown,
    request: unknown,
    call: (span: Tracer.Span | undefined) => Effect.Effect<A, E>
  ) => Effect.Effect<A, E>
  readonly spans: boolean
  readonly metrics: boolean
}

/**
 * Provided by `Telemetry.layer`; a node that finds it in its context when it starts turns
 * telemetry on for its lifetime.
 *
 * @internal
 */
export interface TelemetryConfig {
  readonly attach: (runtime: NodeRuntime, context: Context.Context<never>) => Effect.Effect<void, never, Scope.Scope>
}

/** @internal */
export const TelemetryConfig: Context.Service<TelemetryConfig, TelemetryConfig> = Context.Service<TelemetryConfig>(
  "effect-otp/Telemetry"
)
