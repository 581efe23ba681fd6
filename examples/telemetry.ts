/**
 * Telemetry exported with `@effect/opentelemetry`: the spans of calls and restarts and the
 * node's metrics, printed by OpenTelemetry's console exporters.
 *
 * - `Telemetry.layer()` turns telemetry on for the node started inside it.
 * - `NodeSdk.layer` installs OpenTelemetry as Effect's tracer and reads Effect's metrics: spans
 *   go to a `ConsoleSpanExporter` as they end, metrics to a `ConsoleMetricExporter` when the
 *   reader collects (here: once, before the node stops, and at shutdown).
 *
 * The run: a client calls a counter (a client span `call Add`, and in it the server's
 * `handle_call Add`), then a worker crashes and its supervisor restarts it (a span
 * `restart worker`, and `otp.supervisor.restarts` goes to 1).
 *
 * Run it with `npx tsx examples/telemetry.ts`; `test/examples.test.ts` runs it too. Swap the
 * console exporters for OTLP ones (`@opentelemetry/exporter-trace-otlp-http`, …) to send the
 * same data to a collector.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { ConsoleMetricExporter, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
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

/** Metrics are read by this reader; the program asks it to export before the node stops. */
const metricReader = new PeriodicExportingMetricReader({
  exporter: new ConsoleMetricExporter(),
  exportIntervalMillis: 60_000
})

/** OpenTelemetry for the program: console exporters for spans and metrics. */
export const OpenTelemetry = NodeSdk.layer(() => ({
  resource: { serviceName: "effect-otp-example" },
  spanProcessor: new SimpleSpanProcessor(new ConsoleSpanExporter()),
  metricReader
}))

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

  // Export the node's metrics while it runs (they go away with the node).
  yield* Effect.promise(() => metricReader.forceFlush())
  yield* Console.log("done")
}))

export const main = program.pipe(
  Effect.provide(Node.layer()),
  Effect.provide(Telemetry.layer()),
  Effect.provide(OpenTelemetry)
)

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main)
}
