import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit as EffectExit, Fiber, Layer, Metric, References, Schema, Tracer } from "effect"
import { Rpc } from "effect/rpc"
import { TestClock } from "effect/testing"
import { DynamicSupervisor, ExitReason, GenServer, Node, Pid, Process, Supervisor, Sys, Telemetry } from "../index.js"
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Observer } from "../observer/index.js"
import { captureLogs, Exit, quiet, worker, Worker } from "./support/workers.js"

/** A tracer that keeps every span it makes (Effect's native spans, so `status` shows the end). */
const recordingTracer = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return { spans, tracer }
}

const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })
const Slow = Rpc.make("Slow", { payload: { millis: Schema.Number }, success: Schema.Number })
const Relay = Rpc.make("Relay", { payload: { by: Schema.Number }, success: Schema.Number })

const Counter = GenServer.make({
  name: "Counter",
  calls: [Add, Slow],
  init: (start: number) => GenServer.ok(start),
  handleCall: {
    Add: ({ by }, n) => GenServer.reply(n + by, n + by),
    Slow: ({ millis }, n) => Effect.as(Effect.sleep(millis), GenServer.reply(n, n))
  }
})

/** Forwards to the server named "counter": a call made from inside a handler. */
const Front = GenServer.make({
  name: "Front",
  calls: [Relay],
  init: () => GenServer.ok(null),
  handleCall: {
    Relay: ({ by }, s) => Effect.map(GenServer.call(GenServer.ref(Counter, "counter"), Add, { by }), (n) => GenServer.reply(n, s))
  }
})

/**
 * Runs `body` as a process on a node with telemetry (unless `telemetry: false`), a recording
 * tracer and a fresh metric registry; returns what `body` returned, the spans and the registry.
 */
const withTelemetry = <A, E>(
  body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>,
  options?: { readonly telemetry?: boolean; readonly spans?: boolean; readonly metrics?: boolean }
) => {
  const { spans, tracer } = recordingTracer()
  const registry: Metric.MetricRegistry = new Map()
  const telemetry = options?.telemetry === false
    ? Layer.empty
    : Telemetry.layer({ spans: options?.spans, metrics: options?.metrics })
  return Process.run(body).pipe(
    Effect.provide(Node.layer()),
    Effect.provide(telemetry),
    Effect.withTracer(tracer),
    Effect.provideService(Metric.MetricRegistry, registry),
    Effect.map((value) => ({ value, spans, registry }))
  )
}

const attributes = (span: Tracer.Span) => Object.fromEntries(span.attributes)
const parentId = (span: Tracer.Span) => span.parent._tag === "Some" ? span.parent.value.spanId : undefined

/** The series of `name` in a snapshot of `registry`, by their attributes. */
const series = (registry: Metric.MetricRegistry, name: string) =>
  Metric.snapshot.pipe(
    Effect.provideService(Metric.MetricRegistry, registry),
    Effect.map((all) => all.filter((s) => s.id === name))
  )

/** The series of `name` in the registry of the context. */
const inRegistry = (name: string) => Effect.map(Metric.snapshot, (all) => all.filter((s) => s.id === name))

describe("telemetry: spans", () => {
  it.effect("a call runs in a client span; the server handles it in a server span, its child, with pid and name", () =>
    Effect.gen(function*() {
      const { spans, value: { caller, server } } = yield* withTelemetry(Effect.gen(function*() {
        const counter = yield* GenServer.start(Counter, 1, { name: "counter" })
        assert.strictEqual(yield* GenServer.call(counter, Add, { by: 2 }), 3)
        return { caller: String(yield* Process.self), server: String(counter.pid) }
      }))
      const client = spans.find((s) => s.name === "call Add")!
      const handler = spans.find((s) => s.name === "handle_call Add")!
      assert.isDefined(client)
      assert.isDefined(handler)
      assert.strictEqual(client.kind, "client")
      assert.strictEqual(handler.kind, "server")
      assert.strictEqual(parentId(handler), client.spanId)
      assert.strictEqual(handler.traceId, client.traceId)
      assert.deepStrictEqual(attributes(client), {
        "otp.pid": server,
        "otp.name": "counter",
        "otp.request": "Add",
        "otp.caller.pid": caller
      })
      assert.deepStrictEqual(attributes(handler), {
        "otp.pid": server,
        "otp.name": "counter",
        "otp.module": "Counter",
        "otp.request": "Add"
      })
      assert.strictEqual(client.status._tag, "Ended")
      assert.strictEqual(handler.status._tag, "Ended")
    }))

  it.effect("the trace goes on through a call made by a handler", () =>
    Effect.gen(function*() {
      const { spans } = yield* withTelemetry(Effect.gen(function*() {
        yield* GenServer.start(Counter, 0, { name: "counter" })
        const front = yield* GenServer.start(Front, undefined)
        assert.strictEqual(yield* GenServer.call(front, Relay, { by: 5 }), 5)
      }))
      const names = spans.map((s) => s.name)
      assert.deepStrictEqual(names, ["call Relay", "handle_call Relay", "call Add", "handle_call Add"])
      const [outer, relay, inner, add] = spans as unknown as [Tracer.Span, Tracer.Span, Tracer.Span, Tracer.Span]
      assert.strictEqual(parentId(relay), outer.spanId)
      assert.strictEqual(parentId(inner), relay.spanId)
      assert.strictEqual(parentId(add), inner.spanId)
      assert.isTrue(spans.every((s) => s.traceId === outer.traceId))
    }))

  it.effect("a call that fails ends its client span with the failure; sys requests have client spans", () =>
    Effect.gen(function*() {
      const { spans } = yield* withTelemetry(Effect.gen(function*() {
        const counter = yield* GenServer.start(Counter, 0)
        yield* Sys.getState(counter.pid!)
        const fiber = yield* Effect.forkChild(GenServer.call(counter, Slow, { millis: 10_000 }, { timeout: "1 second" }))
        yield* TestClock.adjust("1 second")
        const exit = yield* Fiber.await(fiber)
        assert.isTrue(EffectExit.isFailure(exit) && String(exit.cause).includes("CallTimeout"))
      }))
      assert.deepStrictEqual(spans.map((s) => s.name).slice(0, 2), ["sys GetState", "call Slow"])
      const slow = spans.find((s) => s.name === "call Slow")!
      assert.isTrue(slow.status._tag === "Ended" && slow.status.exit._tag === "Failure")
    }))

  it.effect("a supervisor's restart runs in a span naming the supervisor, the child and the reason", () =>
    Effect.gen(function*() {
      const { spans, value: sup } = yield* withTelemetry(Effect.gen(function*() {
        const log = yield* Process.self
        const sup = yield* Supervisor.start([worker({ id: "w", log })], { name: "root", intensity: 5 })
        yield* crashAndWaitRestart(sup, "w")
        return String(sup.pid)
      })).pipe(quiet)
      const restart = spans.find((s) => s.name === "restart w")!
      assert.isDefined(restart)
      assert.deepStrictEqual(attributes(restart), {
        "otp.pid": sup,
        "otp.name": "root",
        "otp.child.id": "w",
        "otp.exit.reason": "Crash"
      })
      // The restarted child's start is traced inside it: GenServer.startLink makes no call, so
      // the restart span has no children here, but it ended.
      assert.strictEqual(restart.status._tag, "Ended")
    }))

  it.effect("off (no Telemetry.layer): calls and restarts make no spans", () =>
    Effect.gen(function*() {
      const { spans } = yield* withTelemetry(
        Effect.gen(function*() {
          const log = yield* Process.self
          const counter = yield* GenServer.start(Counter, 0, { name: "counter" })
          yield* GenServer.call(counter, Add, { by: 1 })
          const sup = yield* Supervisor.start([worker({ id: "w", log })], { intensity: 5 })
          yield* crashAndWaitRestart(sup, "w")
        }),
        { telemetry: false }
      ).pipe(quiet)
      assert.deepStrictEqual(spans.map((s) => s.name), [])
    }))

  it.effect("a call with the tracer disabled (as the observer makes them) has no span on either side", () =>
    Effect.gen(function*() {
      const { spans } = yield* withTelemetry(Effect.gen(function*() {
        const counter = yield* GenServer.start(Counter, 0)
        yield* GenServer.call(counter, Add, { by: 1 }).pipe(Effect.withTracerEnabled(false))
        yield* GenServer.call(counter, Add, { by: 1 })
      }))
      assert.deepStrictEqual(spans.map((s) => s.name), ["call Add", "handle_call Add"])
    }))

  it.effect("spans: false keeps the metrics and makes no spans", () =>
    Effect.gen(function*() {
      const { spans, value: durations } = yield* withTelemetry(
        Effect.gen(function*() {
          const counter = yield* GenServer.start(Counter, 0)
          yield* GenServer.call(counter, Add, { by: 1 })
          return yield* inRegistry("otp.call.duration")
        }),
        { spans: false }
      )
      assert.deepStrictEqual(spans.map((s) => s.name), [])
      assert.strictEqual(durations.length, 1)
    }))
})

/** Crashes child `id` of `sup` and returns once the supervisor has restarted it. */
const crashAndWaitRestart = (sup: Supervisor.Supervisor, id: string) =>
  Effect.gen(function*() {
    const before = (yield* Supervisor.whichChildren(sup)).find((c) => c.id === id)!.pid as Pid.Pid
    const ref = yield* Process.monitor(before)
    yield* GenServer.cast(GenServer.ref(Worker, before), Exit, { how: "crash" })
    yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
    const after = (yield* Supervisor.whichChildren(sup)).find((c) => c.id === id)!.pid
    assert.isTrue(after !== undefined && after !== "restarting" && String(after) !== String(before), "restarted")
    return after as Pid.Pid
  })

describe("telemetry: any provide order", () => {
  type Body = Effect.Effect<unknown, unknown, Node.Node>
  /** Every way a user may provide the two layers; each must give the node telemetry. */
  const orders: ReadonlyArray<readonly [string, (body: Body) => Effect.Effect<unknown, unknown>]> = [
    ["provide([Node, Telemetry])", (body) => Effect.provide(body, [Node.layer(), Telemetry.layer()])],
    ["provide([Telemetry, Node])", (body) => Effect.provide(body, [Telemetry.layer(), Node.layer()])],
    ["Layer.merge(Node, Telemetry)", (body) => Effect.provide(body, Layer.merge(Node.layer(), Telemetry.layer()))],
    ["Layer.merge(Telemetry, Node)", (body) => Effect.provide(body, Layer.merge(Telemetry.layer(), Node.layer()))],
    ["Telemetry around Node", (body) => body.pipe(Effect.provide(Node.layer()), Effect.provide(Telemetry.layer()))],
    ["Telemetry inside Node", (body) => body.pipe(Effect.provide(Telemetry.layer()), Effect.provide(Node.layer()))],
    ["Node.pipe(Layer.provide(Telemetry))", (body) => Effect.provide(body, Node.layer().pipe(Layer.provide(Telemetry.layer())))],
    ["Telemetry.pipe(Layer.provideMerge(Node))", (body) => Effect.provide(body, Telemetry.layer().pipe(Layer.provideMerge(Node.layer())))]
  ]

  for (const [order, provide] of orders) {
    it.effect(`${order}: spans and metrics, each series once`, () =>
      Effect.gen(function*() {
        const { spans, tracer } = recordingTracer()
        const registry: Metric.MetricRegistry = new Map()
        const body = Effect.gen(function*() {
          const node = yield* Node.Node
          const counter = yield* GenServer.start(Counter, 0)
          assert.strictEqual(yield* GenServer.call(counter, Add, { by: 2 }), 2)
          return {
            node: node.name,
            processes: yield* inRegistry("otp.processes"),
            durations: yield* inRegistry("otp.call.duration")
          }
        })
        const seen = (yield* provide(Process.run(body)).pipe(
          Effect.withTracer(tracer),
          Effect.provideService(Metric.MetricRegistry, registry)
        )) as { readonly node: string; readonly processes: ReadonlyArray<Metric.Metric.Snapshot>; readonly durations: ReadonlyArray<Metric.Metric.Snapshot> }
        assert.deepStrictEqual(
          spans.map((s) => s.name).filter((n) => n.startsWith("call ") || n.startsWith("handle_call ")),
          ["call Add", "handle_call Add"]
        )
        // One series per node: a node attached twice (two layers racing) would show two.
        assert.deepStrictEqual(seen.processes.map((s) => [s.attributes, s.state]), [[{ node: seen.node }, { value: 2 }]])
        assert.deepStrictEqual(seen.durations.map((s) => [s.attributes, (s.state as Metric.HistogramState).count]), [
          [{ node: seen.node, request: "Add" }, 1]
        ])
        // Telemetry ends with the layers: nothing left in the registry.
        assert.deepStrictEqual(yield* series(registry, "otp.processes"), [])
      }))
  }

  it.effect("provided inside a program: on for that part of it only, on the node already running", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const registry: Metric.MetricRegistry = new Map()
      const { during, after } = yield* Process.run(Effect.gen(function*() {
        const counter = yield* GenServer.start(Counter, 0)
        yield* GenServer.call(counter, Add, { by: 1 })
        const during = yield* Effect.provide(
          Effect.andThen(GenServer.call(counter, Add, { by: 2 }), inRegistry("otp.call.duration")),
          Telemetry.layer()
        )
        yield* GenServer.call(counter, Add, { by: 3 })
        return { during, after: yield* inRegistry("otp.call.duration") }
      })).pipe(
        Effect.provide(Node.layer()),
        Effect.withTracer(tracer),
        Effect.provideService(Metric.MetricRegistry, registry)
      )
      assert.deepStrictEqual(spans.map((s) => s.name), ["call Add", "handle_call Add"])
      assert.deepStrictEqual(during.map((s) => (s.state as Metric.HistogramState).count), [1])
      assert.deepStrictEqual(after, [])
    }))
})

describe("telemetry: metrics", () => {
  it.effect("the node's series count what happened, and go away with the node", () =>
    Effect.gen(function*() {
      const registry: Metric.MetricRegistry = new Map()
      const read = (name: string) => series(registry, name).pipe(Effect.map((s) => s.map((x) => x.state)))
      yield* Process.run(Effect.gen(function*() {
        const sink = yield* Process.spawn(Effect.never)
        const reader = yield* Process.spawn(Process.receive())
        for (let i = 0; i < 3; i++) yield* Process.send(sink, i)
        const ref = yield* Process.monitor(reader)
        yield* Process.send(reader, "hello")
        yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
        // main, sink: 2 live processes. Sent: 3 to sink, 1 to reader, 1 Down to main.
        assert.deepStrictEqual(yield* read("otp.processes"), [{ value: 2 }])
        assert.deepStrictEqual(yield* read("otp.messages.sent"), [{ count: 5, incremental: true }])
        // Received: reader's hello and main's Down; sink's 3 wait in its mailbox.
        assert.deepStrictEqual(yield* read("otp.messages.received"), [{ count: 2, incremental: true }])
        const [mailboxes] = (yield* read("otp.mailbox.length")) as Array<Metric.HistogramState>
        assert.strictEqual(mailboxes!.count, 2)
        assert.strictEqual(mailboxes!.sum, 3)
        assert.strictEqual(mailboxes!.max, 3)
        assert.deepStrictEqual(mailboxes!.buckets.slice(0, 4), [[0, 1], [1, 1], [2, 1], [4, 2]])
        const [snapshot] = yield* series(registry, "otp.processes")
        assert.deepStrictEqual(snapshot!.attributes, { node: "nonode@nohost" })
      })).pipe(
        Effect.provide(Node.layer()),
        Effect.provide(Telemetry.layer()),
        Effect.provideService(Metric.MetricRegistry, registry)
      )
      assert.deepStrictEqual(yield* read("otp.processes"), [])
      assert.deepStrictEqual(yield* read("otp.messages.sent"), [])
    }))

  it.effect("call latency goes to a histogram by request, in milliseconds of the Clock", () =>
    Effect.gen(function*() {
      const { value: durations } = yield* withTelemetry(Effect.gen(function*() {
        const counter = yield* GenServer.start(Counter, 0)
        const fiber = yield* Effect.forkChild(GenServer.call(counter, Slow, { millis: 250 }))
        yield* TestClock.adjust("250 millis")
        yield* Fiber.join(fiber)
        yield* GenServer.call(counter, Add, { by: 1 })
        return yield* inRegistry("otp.call.duration")
      }))
      assert.deepStrictEqual(durations.map((s) => s.attributes!["node"]), ["nonode@nohost", "nonode@nohost"])
      const byRequest = Object.fromEntries(durations.map((s) => [s.attributes!["request"], s.state as Metric.HistogramState]))
      assert.deepStrictEqual(Object.keys(byRequest).sort(), ["Add", "Slow"])
      assert.strictEqual(byRequest["Slow"]!.count, 1)
      assert.strictEqual(byRequest["Slow"]!.sum, 250)
      assert.strictEqual(byRequest["Add"]!.sum, 0)
    }))

  it.effect("restarts are counted by supervisor", () =>
    Effect.gen(function*() {
      const { registry } = yield* withTelemetry(Effect.gen(function*() {
        const log = yield* Process.self
        const sup = yield* Supervisor.start([worker({ id: "a", log }), worker({ id: "b", log })], { name: "root", intensity: 5 })
        yield* crashAndWaitRestart(sup, "a")
        yield* crashAndWaitRestart(sup, "b")
        yield* crashAndWaitRestart(sup, "a")
      })).pipe(quiet)
      const restarts = yield* series(registry, "otp.supervisor.restarts")
      assert.deepStrictEqual(restarts.map((s) => [s.attributes, s.state]), [[{ node: "nonode@nohost", supervisor: "root" }, { count: 3, incremental: true }]])
    }))

  it.effect("a dynamic supervisor's restarts are counted and traced too", () =>
    Effect.gen(function*() {
      const { registry, spans, value: sup } = yield* withTelemetry(Effect.gen(function*() {
        const log = yield* Process.self
        const sup = yield* DynamicSupervisor.start({ intensity: 5 })
        const pid = (yield* DynamicSupervisor.startChild(sup, worker({ id: "d", log })))!
        const ref = yield* Process.monitor(pid)
        yield* GenServer.cast(GenServer.ref(Worker, pid), Exit, { how: "crash" })
        yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
        const children = yield* DynamicSupervisor.whichChildren(sup)
        assert.strictEqual(children.length, 1)
        assert.notStrictEqual(String(children[0]!.pid), String(pid))
        return String(sup.pid)
      })).pipe(quiet)
      const restarts = yield* series(registry, "otp.supervisor.restarts")
      assert.deepStrictEqual(restarts.map((s) => [s.attributes, s.state]), [[{ node: "nonode@nohost", supervisor: sup }, { count: 1, incremental: true }]])
      assert.deepStrictEqual(spans.filter((s) => s.name.startsWith("restart")).map((s) => attributes(s)), [
        { "otp.pid": sup, "otp.child.id": "d" }
      ])
    }))

  it.effect("a process's mailbox length on demand, until the scope closes or the process exits", () =>
    Effect.gen(function*() {
      const registry: Metric.MetricRegistry = new Map()
      const read = series(registry, "otp.process.mailbox.length").pipe(
        Effect.map((all) => all.map((s) => [s.attributes, s.state]))
      )
      yield* Process.run(Effect.gen(function*() {
        const sink = yield* Process.spawn(Effect.never, { name: "sink" })
        const other = yield* Process.spawn(Process.receive({ match: (m) => m === "stop" }))
        yield* Telemetry.trackMailbox(sink)
        yield* Telemetry.trackMailbox(other)
        yield* Process.send(sink, 1)
        yield* Process.send(sink, 2)
        yield* Process.send(other, "x")
        assert.deepStrictEqual(yield* read, [
          [{ pid: String(sink), name: "sink" }, { value: 2 }],
          [{ pid: String(other) }, { value: 1 }]
        ])
        const ref = yield* Process.monitor(other)
        yield* Process.send(other, "stop")
        yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
        assert.deepStrictEqual(yield* read, [[{ pid: String(sink), name: "sink" }, { value: 2 }]])
      }).pipe(Effect.scoped)).pipe(Effect.provide(Node.layer()), Effect.provideService(Metric.MetricRegistry, registry))
      assert.deepStrictEqual(yield* read, [])
    }))
})

describe("telemetry: the observer's polling is not recorded", () => {
  const token = "test-token"
  const get = (observer: Observer.Info, path: string, method = "GET", body?: unknown) =>
    Effect.promise(() =>
      fetch(`http://127.0.0.1:${observer.port}${path}`, {
        method,
        headers: { "x-observer-token": token },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      }).then((r) => r.status)
    )
  /** The otp.* series of a metric snapshot, as comparable values. */
  const otpSeries = (all: ReadonlyArray<Metric.Metric.Snapshot>) =>
    all.filter((s) => s.id.startsWith("otp.")).map((s) => [s.id, s.attributes, s.state])

  it.live("an idle node polled by an observer shows no spans and no metric activity; a user's own Sys.getStatus still does", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const registry: Metric.MetricRegistry = new Map()
      yield* Effect.flatMap(Observer.Observer, (observer) =>
        Process.run(Effect.gen(function*() {
          const sup = yield* Supervisor.start([
            GenServer.childSpec(Counter, 0, { id: "counter", name: "counter" }),
            DynamicSupervisor.childSpec("dyn")
          ])
          const counter = (yield* Supervisor.whichChildren(sup))[0]!.pid as Pid.Pid
          const before = otpSeries(yield* Metric.snapshot)
          const spansBefore = spans.length
          for (let i = 0; i < 3; i++) {
            assert.strictEqual(yield* get(observer, "/api/snapshot"), 200)
            assert.strictEqual(yield* get(observer, `/api/process?pid=${encodeURIComponent(String(counter))}`), 200)
            assert.strictEqual(yield* get(observer, `/api/process?pid=${encodeURIComponent(String(sup.pid))}`), 200)
            assert.strictEqual(yield* get(observer, "/api/trace", "POST", { pid: String(counter), enabled: i % 2 === 0 }), 200)
          }
          assert.deepStrictEqual(spans.slice(spansBefore).map((s) => s.name), [])
          assert.deepStrictEqual(otpSeries(yield* Metric.snapshot), before)
          // The user's own system request is recorded: a span, its latency, its message.
          yield* Sys.getStatus(counter)
          assert.deepStrictEqual(spans.slice(spansBefore).map((s) => s.name), ["sys GetStatus"])
          const after = yield* Metric.snapshot
          const count = (id: string, request?: string) =>
            after.filter((s) => s.id === id && (request === undefined || s.attributes?.["request"] === request))
          assert.deepStrictEqual(count("otp.call.duration", "GetStatus").map((s) => (s.state as Metric.HistogramState).count), [1])
          const sentBefore = before.find(([id]) => id === "otp.messages.sent")![2] as { readonly count: number }
          assert.deepStrictEqual(count("otp.messages.sent").map((s) => (s.state as { readonly count: number }).count), [sentBefore.count + 1])
        }))
      ).pipe(
        Effect.provide(Layer.mergeAll(Node.layer(), Telemetry.layer(), Observer.layer({ token, print: false }))),
        Effect.withTracer(tracer),
        Effect.provideService(Metric.MetricRegistry, registry),
        Effect.provideService(References.CurrentLoggers, new Set())
      )
    }))
})

describe("reports", () => {
  it.effect("a progress report per child started (Debug), next to the crash report of a restart", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      const pids = yield* Process.run(Effect.gen(function*() {
        const log = yield* Process.self
        const sup = yield* Supervisor.start([worker({ id: "a", log }), worker({ id: "b", log })], { intensity: 5 })
        const before = yield* Supervisor.whichChildren(sup)
        const restarted = yield* crashAndWaitRestart(sup, "a")
        return { sup: String(sup.pid), a: String(before[0]!.pid), b: String(before[1]!.pid), a2: String(restarted) }
      })).pipe(
        Effect.provide(Node.layer()),
        logs.provide,
        Effect.provideService(References.MinimumLogLevel, "Debug")
      )
      const reports = logs.entries
        .filter((e) => e.annotations["report"] !== undefined)
        .map((e) => [e.level, e.message.replace(/ Crash\(.*$/s, "").split("\n")[0], e.annotations["report"], e.annotations["child"], e.annotations["pid"], e.annotations["supervisor"]])
      assert.deepStrictEqual(reports, [
        ["Debug", "child a started", "progress", "a", pids.a, pids.sup],
        ["Debug", "child b started", "progress", "b", pids.b, pids.sup],
        // As OTP: the worker's own gen_server report, then the supervisor's.
        ["Error", `** Generic server ${pids.a} (Worker) terminating`, "gen_server", undefined, pids.a, undefined],
        ["Error", "child a terminated (Crash)", "supervisor", "a", pids.a, pids.sup],
        ["Debug", "child a started", "progress", "a", pids.a2, pids.sup]
      ])
      const first = logs.entries.find((e) => e.annotations["report"] === "progress")!
      assert.strictEqual(first.annotations["type"], "worker")
      assert.strictEqual(first.annotations["restart"], "permanent")
    }))

  it.effect("at the default level (Info) progress reports are not logged; crash reports are", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      yield* Process.run(Effect.gen(function*() {
        const log = yield* Process.self
        const sup = yield* Supervisor.start([worker({ id: "a", log })], { intensity: 5 })
        yield* crashAndWaitRestart(sup, "a")
      })).pipe(Effect.provide(Node.layer()), logs.provide)
      assert.deepStrictEqual(logs.entries.map((e) => e.annotations["report"]), ["gen_server", "supervisor"])
    }))

  it.effect("a crash report says what the supervisor does: restart, or shutdown at max intensity", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      yield* Process.run(Effect.gen(function*() {
        const log = yield* Process.self
        const sup = yield* Supervisor.start([worker({ id: "a", log })], { intensity: 0 })
        const ref = yield* Process.monitor(sup.pid!)
        const pid = (yield* Supervisor.whichChildren(sup))[0]!.pid as Pid.Pid
        yield* GenServer.cast(GenServer.ref(Worker, pid), Exit, { how: "crash" })
        const down = yield* Process.receive({ match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === ref })
        assert.strictEqual(ExitReason.format(down.reason), "shutdown")
      })).pipe(Effect.provide(Node.layer()), logs.provide)
      assert.deepStrictEqual(
        logs.entries.map((e) => [e.level, e.annotations["report"], e.annotations["action"]]),
        [["Error", "gen_server", undefined], ["Error", "supervisor", "restart"], ["Error", "supervisor", "shutdown"]]
      )
    }))
})

describe("export with @effect/opentelemetry", () => {
  it("examples/telemetry.ts prints its spans as a readable tree and its metrics as a table, through OpenTelemetry", () => {
    const root = fileURLToPath(new URL("..", import.meta.url))
    const output = execFileSync(process.execPath, ["--import", "tsx", "examples/telemetry.ts"], {
      cwd: root,
      encoding: "utf8"
    })
    const lines = output.split("\n")
    const spanLines = lines.slice(lines.indexOf("spans") + 1, lines.indexOf("metrics"))
    const metricLines = lines.slice(lines.indexOf("metrics") + 1, lines.indexOf("done"))
    // One line per span: indentation (its depth), name, duration, kind, the otp.* attributes.
    const spans = spanLines.map((line) => {
      const match = line.match(/^( *)(\S+ \S+)  (\d+\.\d\d) ms  (\w+)  (.*)$/)
      assert.isNotNull(match, line)
      return { depth: match![1]!.length / 2, name: match![2]!, kind: match![4]!, attributes: match![5]! }
    })
    const adds = spans.filter((s) => s.name.endsWith(" Add"))
    // Each call Add (client, top level) has its handle_call Add (server) right under it.
    assert.deepStrictEqual(adds.map((s) => [s.depth, s.name, s.kind]), [
      [0, "call Add", "client"],
      [1, "handle_call Add", "server"],
      [0, "call Add", "client"],
      [1, "handle_call Add", "server"]
    ])
    assert.include(adds[1]!.attributes, "otp.module=Counter")
    assert.include(adds[1]!.attributes, "otp.name=counter")
    const restart = spans.find((s) => s.name === "restart worker")
    assert.isDefined(restart)
    assert.include(restart!.attributes, "otp.name=root")
    assert.include(restart!.attributes, "otp.exit.reason=Crash")
    const metric = (name: string) => metricLines.find((l) => l.startsWith(`${name}{`))
    for (const name of ["otp.processes", "otp.messages.sent", "otp.messages.received", "otp.mailbox.length", "otp.call.duration"]) {
      assert.isDefined(metric(name), name)
    }
    assert.match(metric("otp.processes")!, /^otp\.processes\{node=nonode@nohost\} \d+$/)
    assert.strictEqual(metric("otp.supervisor.restarts"), "otp.supervisor.restarts{node=nonode@nohost,supervisor=root} 1")
    assert.match(metricLines.find((l) => l.startsWith("otp.call.duration{node=nonode@nohost,request=Add}"))!, / count=2 sum=/)
    // Readable: a line per span and per series, no exporter dumps.
    assert.isBelow(spanLines.length + metricLines.length, 30)
    assert.match(output, /^worker <0\.\d+\.0> crashed, restarted as <0\.\d+\.0>$/m)
    assert.match(output, /^done$/m)
  }, 60_000)
})
