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
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import type * as Scope from "effect/Scope"
import type * as Tracer from "effect/Tracer"
import type { Pid } from "../Pid.js"
import { currentProcessOf, type NodeRuntime, ProcessImpl } from "./runtime.js"

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
 * Where the nodes and the telemetry layers of one layer build meet, so that telemetry works in
 * any provide order. A node finds `TelemetryConfig` in its context only when `Telemetry.layer`
 * is provided around it; merged in one provide (`Effect.provide([Node.layer(),
 * Telemetry.layer()])`, the usual Effect way, which builds the two concurrently) neither layer
 * sees the other. Both depend on {@link meeting}, one layer object, which Effect memoizes per
 * build (and a nested provide forks its parent's memo map, so it finds the same one): the node
 * registers its runtime there, the telemetry layer its config, and whichever comes second
 * attaches. A telemetry layer provided inside a node also finds the node in its context.
 *
 * Nothing of this runs per message or per spawn: only when a node or a telemetry layer starts.
 *
 * @internal
 */
export interface Meeting {
  /**
   * The nodes of the build, each with whether a telemetry layer has claimed it. The claim is
   * taken synchronously, before the attach runs, so that two layers built at once never
   * attach twice (which would register every series twice).
   */
  readonly nodes: Map<NodeRuntime, boolean>
  readonly telemetry: Array<Telemetry>
}

/** A telemetry layer of the build: its config, and the context it was built in (tracer, metric registry). */
interface Telemetry {
  readonly config: TelemetryConfig
  readonly context: Context.Context<never>
}

/** @internal */
export const Meeting: Context.Service<Meeting, Meeting> = Context.Service<Meeting>("effect-otp/Telemetry/Meeting")

/** The one meeting layer (a module constant: its identity is what the memo map shares). @internal */
export const meeting: Layer.Layer<Meeting> = Layer.sync(Meeting, () => ({ nodes: new Map(), telemetry: [] }))

/**
 * A node starting: turns its telemetry on from a `TelemetryConfig` in its context (provided
 * around it) or from a telemetry layer already met, and stays in the meeting until it stops,
 * for a telemetry layer built after it.
 *
 * @internal
 */
export const joinNode = (runtime: NodeRuntime, context: Context.Context<never>): Effect.Effect<void, never, Scope.Scope> =>
  Effect.suspend(() => {
    const met = Context.getOrUndefined(context, Meeting)
    const around = Context.getOrUndefined(context, TelemetryConfig)
    const found: Telemetry | undefined = around !== undefined ? { config: around, context } : met?.telemetry.at(-1)
    const attach = found === undefined ? Effect.void : found.config.attach(runtime, found.context)
    if (met === undefined) return attach
    met.nodes.set(runtime, found !== undefined)
    // Out of the meeting before anything else can be interrupted: a node never stays in it.
    return Effect.andThen(Effect.addFinalizer(() => Effect.sync(() => met.nodes.delete(runtime))), attach)
  })

/**
 * A telemetry layer starting: registered in the meeting for the nodes built after it, and
 * attached at once to the nodes built before it that have no telemetry yet, and to `inside`,
 * the node it is provided inside of (found in its context), if that has none.
 *
 * @internal
 */
export const joinTelemetry = (
  config: TelemetryConfig,
  context: Context.Context<never>,
  inside: NodeRuntime | undefined
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.suspend(() => {
    const met = Context.getOrUndefined(context, Meeting)
    const entry: Telemetry = { config, context }
    const targets: Array<NodeRuntime> = []
    if (met !== undefined) {
      met.telemetry.push(entry)
      for (const [runtime, claimed] of met.nodes) {
        if (!claimed && runtime.telemetry === undefined) targets.push(runtime)
      }
    }
    if (inside !== undefined && inside.telemetry === undefined && met?.nodes.get(inside) !== true && !targets.includes(inside)) {
      targets.push(inside)
    }
    for (const runtime of targets) if (met?.nodes.has(runtime)) met.nodes.set(runtime, true)
    // Leaving: out of the meeting, and the nodes it attached to may be claimed again.
    const leave = Effect.addFinalizer(() =>
      Effect.sync(() => {
        if (met === undefined) return
        const i = met.telemetry.indexOf(entry)
        if (i >= 0) met.telemetry.splice(i, 1)
        for (const runtime of targets) if (met.nodes.has(runtime)) met.nodes.set(runtime, false)
      })
    )
    return Effect.andThen(leave, Effect.forEach(targets, (runtime) => config.attach(runtime, context), { discard: true }))
  })

/**
 * True around the requests telemetry does not record: the observer's polling (`which_children`,
 * `get_status`, `trace`), which would otherwise show as traffic on a node whose processes are
 * idle. Read once per call, and only while the node's telemetry is on (see {@link unrecorded}).
 *
 * @internal
 */
export const Unrecorded: Context.Reference<boolean> = Context.Reference<boolean>("effect-otp/Telemetry/Unrecorded", {
  defaultValue: () => false
})

/**
 * Messages delivered on each node by unrecorded requests, taken off `otp.messages.sent` and
 * `otp.messages.received` when they are read. The process core counts every delivery with one
 * increment and no branch; rather than marking these requests on that hot path, their sender
 * counts them here. A `WeakMap`: no field on the runtime, and gone with the node.
 *
 * @internal
 */
export const unrecordedMessages: WeakMap<NodeRuntime, number> = new WeakMap()

/**
 * The same messages by the process they were delivered to: the observer takes them off the
 * process's own count of deliveries (its message rate, and whether a supervisor may have new
 * children). A `WeakMap`: a dead process's entry goes with it.
 *
 * @internal
 */
export const unrecordedTo: WeakMap<Pid, number> = new WeakMap()

const countUnrecorded = (runtime: NodeRuntime, pid: Pid, by: 1 | -1): void => {
  unrecordedMessages.set(runtime, (unrecordedMessages.get(runtime) ?? 0) + by)
  unrecordedTo.set(pid, (unrecordedTo.get(pid) ?? 0) + by)
}

/**
 * Runs `request`, a call to `pid` (one message delivered to it), unrecorded by telemetry: no
 * client span (so no server span either), no latency, and its message not counted in the node's
 * message series. Unless it fails with `NoProc`: then nothing was delivered. A user's own calls
 * (`Sys.getStatus` too) are recorded as ever; this is for the library's tools.
 *
 * @internal
 */
export const unrecorded = <A, E extends { readonly _tag: string }, R>(
  pid: Pid,
  request: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    if (!(pid instanceof ProcessImpl)) return Effect.provideService(request, Unrecorded, true)
    const runtime = pid.runtime
    countUnrecorded(runtime, pid, 1)
    return request.pipe(
      Effect.tapError((error) =>
        Effect.sync(() => {
          if (error._tag === "NoProc") countUnrecorded(runtime, pid, -1)
        })
      ),
      Effect.provideService(Unrecorded, true)
    )
  })

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
