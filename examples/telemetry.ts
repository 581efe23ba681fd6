/**
 * Telemetry exported with `@effect/opentelemetry`: the spans of calls and restarts and the
 * node's metrics, kept by OpenTelemetry's in-memory exporters and printed as a span tree and a
 * metric table:
 *
 *     spans
 *     call Add  0.41 ms  client  otp.name=counter otp.request=Add
 *       handle_call Add  0.12 ms  server  otp.module=Counter otp.name=counter ...
 *     ...
 *     restart worker  0.35 ms  internal  otp.child.id=worker otp.exit.reason=Crash otp.name=root
 *     metrics
 *     otp.supervisor.restarts{node=nonode@nohost,supervisor=root} 1
 *     ...
 *
 * - `Telemetry.layer()` turns telemetry on for the node (provided with `Node.layer()` in one
 *   `Effect.provide`, in either order).
 * - `NodeSdk.layer` installs OpenTelemetry as Effect's tracer and reads Effect's metrics.
 *
 * The run: a client calls a counter twice (each a client span `call Add`, and in it the
 * server's `handle_call Add`), then a worker crashes and its supervisor restarts it (a span
 * `restart worker`, and `otp.supervisor.restarts` goes to 1).
 *
 * Run it with `npx tsx examples/telemetry.ts`; `test/telemetry.test.ts` runs it too.
 *
 * To send the same data to an OTLP collector (Jaeger, Grafana Tempo, Honeycomb, the
 * OpenTelemetry Collector) instead, install `@opentelemetry/exporter-trace-otlp-http` and
 * `@opentelemetry/exporter-metrics-otlp-http`, and give `NodeSdk.layer` their exporters:
 *
 *     import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http"
 *     import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
 *     import { PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
 *     import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
 *
 *     const Otlp = NodeSdk.layer(() => ({
 *       resource: { serviceName: "my-service" },
 *       // OTLP over HTTP on the collector's default port; set OTEL_EXPORTER_OTLP_ENDPOINT to move it
 *       spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter({ url: "http://localhost:4318/v1/traces" })),
 *       metricReader: new PeriodicExportingMetricReader({
 *         exporter: new OTLPMetricExporter({ url: "http://localhost:4318/v1/metrics" }),
 *         exportIntervalMillis: 10_000
 *       })
 *     }))
 *
 *     program.pipe(Effect.provide([Node.layer(), Telemetry.layer()]), Effect.provide(Otlp))
 *
 * (`docker run -p 16686:16686 -p 4318:4318 jaegertracing/all-in-one` gives a collector with a
 * trace viewer on http://localhost:16686.)
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Console, Effect, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { ChildSpec, GenServer, Node, Pid, Process, Supervisor, Telemetry } from "../index.js"

const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })

const Counter = GenServer.make({
  name: "Counter",
  calls: [Add],
  init: (start: number) => GenServer.ok(start),
  handleCall: {
    Add: ({ by }, n) => GenServer.reply(n + by, n + by)
  }
})

/** A worker that dies on its first message. */
const fragile = Process.spawnLink(Effect.gen(function*() {
  yield* Process.receive()
  return yield* Effect.die(new Error("boom"))
}))

/** Spans end up here as they end. */
const spanExporter = new InMemorySpanExporter()

/** Metrics are read by this reader into `metricExporter`; the program asks it to before the node stops. */
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
const metricReader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 })

/** OpenTelemetry for the program: in-memory exporters, printed by {@link report}. */
export const OpenTelemetry = NodeSdk.layer(() => ({
  resource: { serviceName: "effect-otp-example" },
  spanProcessor: new SimpleSpanProcessor(spanExporter),
  metricReader
}))

const SpanKinds = ["internal", "server", "client", "producer", "consumer"]

/** `key=value` for the span's `otp.*` attributes (Effect's own are left out), sorted. */
const otpAttributes = (attributes: Readonly<Record<string, unknown>>): string =>
  Object.keys(attributes).filter((k) => k.startsWith("otp.")).sort().map((k) => `${k}=${String(attributes[k])}`).join(" ")

/** The spans as a tree: each under its parent, indented, in start order. */
const spanTree = (spans: ReadonlyArray<ReadableSpan>): Array<string> => {
  const ids = new Set(spans.map((s) => s.spanContext().spanId))
  const children = new Map<string | undefined, Array<ReadableSpan>>()
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId
    const key = parent !== undefined && ids.has(parent) ? parent : undefined
    children.set(key, [...(children.get(key) ?? []), span])
  }
  const lines: Array<string> = []
  const walk = (parent: string | undefined, depth: number) => {
    const level = [...(children.get(parent) ?? [])].sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])
    for (const span of level) {
      const millis = (span.duration[0] * 1e3 + span.duration[1] / 1e6).toFixed(2)
      const status = span.status.code === 2 ? `  error: ${span.status.message ?? ""}` : ""
      lines.push(`${"  ".repeat(depth)}${span.name}  ${millis} ms  ${SpanKinds[span.kind]}  ${otpAttributes(span.attributes)}${status}`)
      walk(span.spanContext().spanId, depth + 1)
    }
  }
  walk(undefined, 0)
  return lines
}

/** The last collection of each metric: one line per series (a histogram shows its count and sum). */
const metricTable = (): Array<string> => {
  const collected = metricExporter.getMetrics().at(-1)
  const lines: Array<string> = []
  for (const scope of collected?.scopeMetrics ?? []) {
    for (const metric of scope.metrics) {
      if (!metric.descriptor.name.startsWith("otp.")) continue
      for (const point of metric.dataPoints as ReadonlyArray<{ readonly attributes: Record<string, unknown>; readonly value: unknown }>) {
        const labels = Object.entries(point.attributes).map(([k, v]) => `${k}=${String(v)}`).join(",")
        const value = point.value
        const shown = typeof value === "object" && value !== null && "count" in value && "sum" in value
          ? `count=${String(value.count)} sum=${Number(value.sum).toFixed(2)}`
          : String(value)
        lines.push(`${metric.descriptor.name}{${labels}} ${shown}`)
      }
    }
  }
  return lines.sort()
}

/** Prints the spans and metrics collected so far. */
const report = Effect.suspend(() => Console.log(["spans", ...spanTree(spanExporter.getFinishedSpans()), "metrics", ...metricTable()].join("\n")))

export const program = Process.run(Effect.gen(function*() {
  const counter = yield* GenServer.start(Counter, 0, { name: "counter" })
  yield* GenServer.call(counter, Add, { by: 1 })
  yield* GenServer.call(counter, Add, { by: 41 })

  const sup = yield* Supervisor.start([ChildSpec.worker("worker", fragile)], { name: "root", intensity: 3 })
  const [first] = yield* Supervisor.whichChildren(sup)
  const ref = yield* Process.monitor(first!.pid as Pid.Pid)
  yield* Process.send(first!.pid as Pid.Pid, "crash")
  yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
  const [second] = yield* Supervisor.whichChildren(sup)
  yield* Console.log(`worker ${first!.pid} crashed, restarted as ${second!.pid}`)

  // Collect the node's metrics while it runs (they go away with the node).
  yield* Effect.promise(() => metricReader.forceFlush())
  yield* report
  yield* Console.log("done")
}))

export const main = program.pipe(
  Effect.provide([Node.layer(), Telemetry.layer()]),
  Effect.provide(OpenTelemetry)
)

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main)
}
