/**
 * What the process core needs to know of telemetry: the hooks a node calls while telemetry is on,
 * and the service through which `Telemetry.layer` reaches a node as it starts. The
 * implementation lives in `lib/Telemetry.ts`; the core only checks `runtime.telemetry`.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import type * as Scope from "effect/Scope"
import type * as Tracer from "effect/Tracer"
import { currentProcessOf, type NodeRuntime, type ProcessImpl } from "./runtime.js"

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

/**
 * `otp.supervisor.restarts` (`Telemetry.metrics.restarts`): counted where the restart happens,
 * so the series outlive the node.
 *
 * @internal
 */
export const restarts: Metric.Counter<number> = Metric.counter("otp.supervisor.restarts", {
  description: "Child restarts made by a supervisor",
  incremental: true
})

/**
 * Runs a supervisor's restart of a child in a span `restart <child id>` and counts it in
 * `otp.supervisor.restarts`, when the node's telemetry is on; runs it as is otherwise. For the
 * supervisors.
 *
 * @internal
 */
export const traceRestart = <A, E, R>(
  child: { readonly id: string; readonly reason?: string | undefined },
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    const self = currentProcessOf(fiber)
    const telemetry = self?.runtime.telemetry
    if (self === undefined || telemetry === undefined) return effect
    let traced = effect
    if (telemetry.metrics) {
      traced = Effect.andThen(
        Metric.update(Metric.withAttributes(restarts, { node: self.node, supervisor: self.name ?? String(self) }), 1),
        traced
      )
    }
    if (telemetry.spans) {
      const attributes: Record<string, unknown> = { "otp.pid": String(self), "otp.child.id": child.id }
      if (self.name !== undefined) attributes["otp.name"] = self.name
      if (child.reason !== undefined) attributes["otp.exit.reason"] = child.reason
      traced = Effect.withSpan(traced, `restart ${child.id}`, { kind: "internal", attributes, captureStackTrace: false })
    }
    return traced
  })
