/**
 * Telemetry: traces and metrics of a node through Effect's own `Tracer` and `Metric`, so any
 * exporter Effect supports (`@effect/opentelemetry`, Prometheus, the console) sees processes the
 * way it sees the rest of the program. OTP's SASL reports are logged through Effect's `Logger`
 * by the supervisors themselves (see `Supervisor`), whether telemetry is on or not.
 *
 * Telemetry is off unless {@link layer} is provided with the node's layer, in any order: off,
 * the hot paths pay one field check per call and nothing per message.
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Node, Telemetry } from "effect-otp"
 *
 * declare const program: Effect.Effect<void, never, Node.Node>
 *
 * // Both layers in one provide, in any order: the node turns telemetry on as it starts.
 * const main = program.pipe(Effect.provide([Node.layer(), Telemetry.layer()]))
 * ```
 *
 * ## Spans
 *
 * - A call (`GenServer.call`, any `Gen.call`, `Sys` requests) runs in a **client** span named
 *   `call <Request>` (`sys <Request>` for system messages). The span travels with the reply
 *   handle, and the GenServer handling the request runs its handler in a **server** span,
 *   `handle_call <Request>`, child of the client span: one trace from the caller into the
 *   server, and on into the calls the handler makes.
 * - A supervisor's restart of a child runs in a span `restart <child id>`.
 * - Attributes: `otp.pid` and `otp.name` (the server, or the supervisor; the name only when
 *   registered), `otp.request`, `otp.module`, `otp.caller.pid` (a caller that is a process),
 *   `otp.child.id`, `otp.exit.reason` (the tag of the reason the child exited with).
 *
 * ## Metrics
 *
 * | metric | type | what |
 * |---|---|---|
 * | `otp.processes` | gauge | live processes of the node |
 * | `otp.messages.sent` | counter | messages delivered to a mailbox |
 * | `otp.messages.received` | counter | messages taken out of a mailbox |
 * | `otp.mailbox.length` | histogram | the mailbox length of every live process, when read |
 * | `otp.process.mailbox.length` | gauge | one process's mailbox, on demand ({@link trackMailbox}) |
 * | `otp.supervisor.restarts` | counter | restarts, by supervisor |
 * | `otp.call.duration` | histogram | call latency in milliseconds, by request (Clock time) |
 *
 * The node-level series carry a `node` attribute and are read when metrics are read (an
 * exporter's interval, `Metric.snapshot`): nothing is recorded per message.
 *
 * ## The observer
 *
 * The observer (`effect-otp/observer`) polls every node each second (`which_children`,
 * `Sys.getStatus`, `Sys.trace`). None of that is recorded: no spans (its HTTP requests are not
 * traced either), no call latency, and its requests are taken off `otp.messages.sent` and
 * `otp.messages.received`, so a node of idle processes shows no activity however long an
 * observer stays open. A program's own `Sys` requests are recorded like any call.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as References from "effect/References"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import * as Gen from "./Gen.js"
import * as GenInternal from "./internal/gen.js"
import * as Node from "./Node.js"
import { currentProcessOf, type NodeRuntime, ProcessImpl, Status } from "./internal/runtime.js"
import { watchExit } from "./internal/direct.js"
import {
  joinTelemetry,
  meeting,
  restarts,
  TelemetryConfig,
  type TelemetryHooks,
  Unrecorded,
  unrecordedMessages
} from "./internal/telemetry.js"
import type { Pid } from "./Pid.js"

// ----------------------------------------------------------------------------
// Metrics
// ----------------------------------------------------------------------------

const processes: Metric.Gauge<number> = Metric.gauge("otp.processes", {
  description: "Live processes of the node"
})

const messagesSent: Metric.Counter<number> = Metric.counter("otp.messages.sent", {
  description: "Messages delivered to a mailbox",
  incremental: true
})

const messagesReceived: Metric.Counter<number> = Metric.counter("otp.messages.received", {
  description: "Messages taken out of a mailbox",
  incremental: true
})

/** Mailbox length buckets: an empty mailbox (the usual case) has a bucket of its own. */
const mailboxBoundaries: ReadonlyArray<number> = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384, Infinity]

const mailboxLength: Metric.Histogram<number> = Metric.histogram("otp.mailbox.length", {
  description: "Mailbox length of every live process, when read",
  boundaries: mailboxBoundaries
})

const processMailboxLength: Metric.Gauge<number> = Metric.gauge("otp.process.mailbox.length", {
  description: "Mailbox length of one process"
})

const callDuration: Metric.Histogram<number> = Metric.histogram("otp.call.duration", {
  description: "Call latency in milliseconds, as the caller sees it",
  boundaries: Metric.exponentialBoundaries({ start: 0.01, factor: 2, count: 24 })
})

/**
 * The metrics of the process core, as Effect `Metric`s (see the table in the module doc): read
 * them with `Metric.value`, or let an exporter read them. The node-level series carry a `node`
 * attribute.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Node, Telemetry } from "effect-otp"
 *
 * const liveProcesses = Effect.gen(function*() {
 *   const node = yield* Node.Node
 *   return yield* Metric.value(Metric.withAttributes(Telemetry.metrics.processes, { node: node.name }))
 * })
 * ```
 *
 * @category metrics
 * @since 0.1.0
 */
export const metrics: {
  /** `otp.processes`: live processes of a node (attribute `node`). */
  readonly processes: Metric.Gauge<number>
  /** `otp.messages.sent`: messages delivered to a mailbox (a message to a dead process is dropped, not counted). */
  readonly messagesSent: Metric.Counter<number>
  /** `otp.messages.received`: messages taken out of a mailbox. */
  readonly messagesReceived: Metric.Counter<number>
  /** `otp.mailbox.length`: the mailbox lengths of all live processes of a node, computed when read. */
  readonly mailboxLength: Metric.Histogram<number>
  /** `otp.process.mailbox.length`: one process's mailbox length, for the processes given to {@link trackMailbox} (attributes `pid`, and `name` when registered). */
  readonly processMailboxLength: Metric.Gauge<number>
  /** `otp.supervisor.restarts`: restarts made by supervisors (attributes `node`, and `supervisor`: its registered name, else its pid). */
  readonly restarts: Metric.Counter<number>
  /** `otp.call.duration`: call latency in milliseconds, from the caller's side (attributes `node` and `request`). */
  readonly callDuration: Metric.Histogram<number>
} = {
  processes,
  messagesSent,
  messagesReceived,
  mailboxLength,
  processMailboxLength,
  restarts,
  callDuration
}

// ----------------------------------------------------------------------------
// The layer
// ----------------------------------------------------------------------------


/**
 * Turns telemetry on for the nodes it is provided with, in any order: merged with `Node.layer`
 * (`Effect.provide([Node.layer(), Telemetry.layer()])`, or `Layer.merge`), around it (or around
 * `Application.run`, which starts its own node), or inside it (a node already running has
 * telemetry while the layer is open: provided to a part of a program, that part is traced).
 * Pair it with a tracer and a metrics exporter (`@effect/opentelemetry`'s `NodeSdk.layer`, see
 * `examples/telemetry.ts`); without one, spans go to Effect's default tracer and metrics to its
 * registry (`Metric.snapshot`).
 *
 * The spans go to the tracer of the code making each call; the node's series to the metric
 * registry of the context the layer was built in. A node with telemetry already on keeps it: a
 * second layer does not attach again.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Node, Telemetry } from "effect-otp"
 *
 * // A node with telemetry, as one layer.
 * const NodeLive = Node.layer().pipe(Layer.provide(Telemetry.layer({ spans: true, metrics: true })))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options?: {
  /** Spans for calls and restarts (default true). */
  readonly spans?: boolean | undefined
  /** Metrics (default true). */
  readonly metrics?: boolean | undefined
}): Layer.Layer<never> => {
  const config: TelemetryConfig = {
    attach: (runtime, context) => attach(runtime, context, options?.spans ?? true, options?.metrics ?? true)
  }
  return Layer.effectContext(Effect.gen(function*() {
    // Met by nodes of the same build in any order (see `Meeting`), as well as by nodes built
    // inside it, which find the config in their context, and by the node it is provided inside.
    const context = yield* Effect.context<never>()
    const node = Context.getOrUndefined(context, Node.Node) as { readonly runtime?: NodeRuntime } | undefined
    yield* joinTelemetry(config, context, node?.runtime)
    return Context.make(TelemetryConfig, config)
  })).pipe(Layer.provide(meeting))
}

const attach = (
  runtime: NodeRuntime,
  context: Context.Context<never>,
  spans: boolean,
  metrics: boolean
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    const node = { node: runtime.name }
    const registrations: Array<Metric.Registration> = []
    yield* Effect.addFinalizer(() => Effect.sync(() => registrations.forEach((r) => r.remove())))
    // Call latency: one histogram per request, recorded in place (no Effect step, no registry
    // lookup per call) and read by the registry like the other node series.
    const latencies = new Map<string, Latency>()
    const latencyOf = (tag: string): Latency => {
      let latency = latencies.get(tag)
      if (latency === undefined) {
        const created = new Latency()
        latency = created
        latencies.set(tag, created)
        registrations.push(Metric.registerUnsafe(Metric.withAttributes(callDuration, { ...node, request: tag }), context, {
          get: () => created.state(),
          update: () => {},
          modify: () => {}
        }))
      }
      return latency
    }
    const hooks: TelemetryHooks = {
      spans,
      metrics,
      call: (fiber, server, label, request, call) => {
          // The observer's polling (`unrecorded`): no span, no latency.
          if (fiber.getRef(Unrecorded)) return call(undefined)
          const tag = requestTag(request)
          // `Effect.withTracerEnabled(false)` around a call (the observer's own calls) means no span.
          let effect: Effect.Effect<any, any> = spans && fiber.getRef(References.TracerEnabled)
            ? Effect.withSpan(
              Effect.withFiber((inner) => call(Context.getOrUndefined(inner.context, Tracer.ParentSpan) as Tracer.Span)),
              request instanceof GenInternal.SystemMessage ? `sys ${tag}` : `call ${tag}`,
              // No stack trace: it would point into the library, and capturing one costs more
              // than the call.
              {
                kind: "client",
                attributes: clientAttributes(server, label, tag, currentProcessOf(fiber)),
                captureStackTrace: false
              }
            )
            : call(undefined)
          if (metrics) {
            const latency = latencyOf(tag)
            const clock = fiber.getRef(Clock.Clock)
            const start = clock.currentTimeNanosUnsafe()
            effect = Effect.onExit(effect, () => {
              latency.record(Number(clock.currentTimeNanosUnsafe() - start) / 1e6)
              return Effect.void
            })
          }
          return effect
        }
    }
    runtime.telemetry = hooks
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        if (runtime.telemetry === hooks) runtime.telemetry = undefined
      })
    )
    if (!metrics) return
    // The counters never go back: an unrecorded request is counted off just before its message
    // is delivered (and, waiting in a mailbox, is both waiting and counted off).
    let lastSent = 0
    let lastReceived = 0
    registrations.push(
      Metric.registerUnsafe(Metric.withAttributes(processes, node), context, {
        get: () => ({ value: runtime.count }),
        update: () => {},
        modify: () => {}
      }),
      Metric.registerUnsafe(Metric.withAttributes(messagesSent, node), context, {
        get: () => ({ count: (lastSent = Math.max(lastSent, sent(runtime))), incremental: true }),
        update: () => {},
        modify: () => {}
      }),
      Metric.registerUnsafe(Metric.withAttributes(messagesReceived, node), context, {
        get: () => ({ count: (lastReceived = Math.max(lastReceived, received(runtime))), incremental: true }),
        update: () => {},
        modify: () => {}
      }),
      Metric.registerUnsafe(Metric.withAttributes(mailboxLength, node), context, {
        get: () => mailboxHistogram(runtime),
        update: () => {},
        modify: () => {}
      })
    )
  })

const latencyBoundaries: ReadonlyArray<number> = Metric.exponentialBoundaries({ start: 0.01, factor: 2, count: 24 })

/** One request's call latencies: Effect's histogram state, kept in place. */
class Latency {
  readonly counts = new Array<number>(latencyBoundaries.length).fill(0)
  count = 0
  sum = 0
  min = Number.MAX_VALUE
  max = -Number.MAX_VALUE
  record(ms: number): void {
    let lo = 0
    let hi = latencyBoundaries.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (ms <= latencyBoundaries[mid]!) hi = mid
      else lo = mid + 1
    }
    this.counts[lo]!++
    this.count++
    this.sum += ms
    if (ms < this.min) this.min = ms
    if (ms > this.max) this.max = ms
  }
  state(): Metric.HistogramState {
    let cumulated = 0
    const buckets = latencyBoundaries.map((boundary, i): [number, number] => [boundary, (cumulated += this.counts[i]!)])
    return { buckets, count: this.count, sum: this.sum, min: this.min, max: this.max }
  }
}

const requestTag = (request: unknown): string => {
  const inner = request instanceof Gen.CallMessage || request instanceof GenInternal.SystemMessage ? request.request : request
  const tag = typeof inner === "object" && inner !== null ? (inner as { readonly _tag?: unknown })._tag : undefined
  return typeof tag === "string" ? tag : "unknown"
}

const clientAttributes = (
  server: ProcessImpl,
  label: unknown,
  tag: string,
  caller: ProcessImpl | undefined
): Record<string, unknown> => {
  const attributes: Record<string, unknown> = { "otp.pid": String(server), "otp.request": tag }
  if (server.name !== undefined) attributes["otp.name"] = server.name
  else if (typeof label === "string") attributes["otp.name"] = label
  if (caller !== undefined) attributes["otp.caller.pid"] = String(caller)
  return attributes
}

/** Messages delivered on the node so far: by processes that exited, and by live ones; the observer's requests not counted. */
const sent = (runtime: NodeRuntime): number => {
  let total = runtime.exitedDelivered - (unrecordedMessages.get(runtime) ?? 0)
  for (let p = runtime.first; p !== undefined; p = p.next) total += p.delivered
  return total
}

/** Messages taken out so far: delivered, less those waiting and those dropped unread; the observer's requests not counted. */
const received = (runtime: NodeRuntime): number => {
  let total = runtime.exitedDelivered - runtime.discarded - (unrecordedMessages.get(runtime) ?? 0)
  for (let p = runtime.first; p !== undefined; p = p.next) total += p.delivered - p.messageCount
  return total
}

const mailboxHistogram = (runtime: NodeRuntime): Metric.HistogramState => {
  const counts = new Array<number>(mailboxBoundaries.length).fill(0)
  let count = 0
  let sum = 0
  let min = Number.MAX_VALUE
  let max = -Number.MAX_VALUE
  for (let p = runtime.first; p !== undefined; p = p.next) {
    if (p.status >= Status.Exiting) continue
    const length = p.messageCount
    let i = 0
    while (length > mailboxBoundaries[i]!) i++
    counts[i]!++
    count++
    sum += length
    if (length < min) min = length
    if (length > max) max = length
  }
  let cumulated = 0
  const buckets = mailboxBoundaries.map((boundary, i): [number, number] => [boundary, (cumulated += counts[i]!)])
  return { buckets, count, sum, min, max }
}

// ----------------------------------------------------------------------------
// On demand
// ----------------------------------------------------------------------------

/**
 * Reports the mailbox length of `pid` as the gauge `metrics.processMailboxLength` (attributes
 * `pid` and `name`), read whenever metrics are read, until the scope closes or the process
 * exits. Works whether {@link layer} is on or not.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Process, Telemetry } from "effect-otp"
 *
 * const watchHotServer = (pid: Pid.Pid) => Effect.scoped(Effect.andThen(Telemetry.trackMailbox(pid), Effect.never))
 * ```
 *
 * @category metrics
 * @since 0.1.0
 */
export const trackMailbox = (pid: Pid): Effect.Effect<void, never, Scope.Scope> =>
  Effect.withFiber((fiber) => {
    if (!(pid instanceof ProcessImpl) || pid.status === Status.Dead) return Effect.void
    const attributes: Record<string, string> = { pid: String(pid) }
    if (pid.name !== undefined) attributes["name"] = pid.name
    const registration = Metric.registerUnsafe(Metric.withAttributes(processMailboxLength, attributes), fiber.context, {
      get: () => ({ value: pid.messageCount }),
      update: () => {},
      modify: () => {}
    })
    // The series goes as the process exits (rather than reading a dead process's mailbox).
    const stopWatching = watchExit(pid, () => registration.remove())
    if (stopWatching === undefined) registration.remove()
    return Effect.addFinalizer(() =>
      Effect.sync(() => {
        stopWatching?.()
        registration.remove()
      })
    )
  })
