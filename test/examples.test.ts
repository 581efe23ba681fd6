import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Fiber } from "effect"
import { TestClock, TestConsole } from "effect/testing"
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { fileURLToPath } from "node:url"
import { Application, Node } from "../index.js"
import { quiet } from "./support/workers.js"
import * as Chat from "../examples/chat.js"
import * as ChatClient from "../examples/chat/client.js"
import { clientLines } from "./support/chat.js"
import * as Connection from "../examples/connection.js"
import * as Counter from "../examples/counter.js"
import * as JobFanout from "../examples/job-fanout.js"
import * as KvStore from "../examples/kv-store.js"
import * as PingPong from "../examples/ping-pong.js"
import * as SupervisionTree from "../examples/supervision-tree.js"

/** Pids depend on how many processes ran before; the shape is what the examples promise. */
const normalize = (lines: ReadonlyArray<unknown>) => lines.map((line) => String(line).replace(/<0\.\d+\.0>/g, "<pid>"))

/** What an example prints with `Console` (its log entries, such as supervisor reports, are dropped). */
const printed = <E>(main: Effect.Effect<unknown, E, Node.Node>) =>
  main.pipe(
    Effect.provide(Node.layer()),
    quiet,
    Effect.andThen(TestConsole.logLines),
    Effect.map(normalize),
    Effect.provide(TestConsole.layer)
  )

const pingPongLines = [
  "spawned pong <pid> and ping <pid>",
  "<pid> got {\"_tag\":\"Pong\",\"n\":1}",
  "<pid> got {\"_tag\":\"Pong\",\"n\":2}",
  "<pid> got {\"_tag\":\"Pong\",\"n\":3}",
  "ping <pid> is down: normal",
  "worker <pid> working on report.pdf",
  "boss saw <pid> exit: {\"_tag\":\"DiskFull\",\"job\":\"report.pdf\"}",
  "boss <pid> is down: normal",
  "pong <pid> is down: shutdown",
  "live processes besides main: 0"
]

/** What examples/connection.ts prints, at the times it prints it (TestClock's, as real time gives them). */
const connectionLines = [
  "[0.0s] transport: up",
  "[0.0s] connection: connecting (attempt 1)",
  "[0.0s] transport: refuses attempt 1",
  "[0.0s] connection: attempt 1 refused: too busy",
  "[0.0s] connection: disconnected; retry in 100 ms",
  "[0.1s] connection: connecting (attempt 2)",
  "[0.1s] transport: ignores attempt 2",
  "[1.1s] connection: attempt 2 got no answer within 1000 ms",
  "[1.1s] connection: disconnected; retry in 200 ms",
  "[1.3s] connection: connecting (attempt 3)",
  "[1.3s] transport: accepts attempt 3: session 1",
  "[1.3s] connection: connected: session 1",
  "[1.3s] transport: received \"hello\"",
  "[1.3s] transport: received \"world\"",
  "[1.3s] main: hello and world sent as lines 1 and 2",
  "[2.8s] main: status: connected: session 1, 2 line(s) sent",
  "[2.8s] transport: received \"three\"",
  "[2.8s] transport: up",
  "[2.8s] connection: \"four\" not sent: the transport crashed (Error: connection reset by peer); it waits",
  "[2.8s] connection: disconnected; retry in 100 ms",
  "[2.9s] connection: connecting (attempt 4)",
  "[2.9s] transport: refuses attempt 4",
  "[2.9s] connection: attempt 4 refused: too busy",
  "[2.9s] connection: disconnected; retry in 200 ms",
  "[3.1s] connection: connecting (attempt 5)",
  "[3.1s] transport: ignores attempt 5",
  "[4.1s] connection: attempt 5 got no answer within 1000 ms",
  "[4.1s] connection: disconnected; retry in 400 ms",
  "[4.5s] connection: connecting (attempt 6)",
  "[4.5s] transport: accepts attempt 6: session 1",
  "[4.5s] connection: connected: session 1",
  "[4.5s] transport: received \"four\"",
  "[4.5s] main: four sent as line 4",
  "[4.5s] transport: partition: session 1 goes silent",
  "[5.8s] connection: heartbeat failed: no answer within 300 ms",
  "[5.8s] connection: disconnected; retry in 100 ms",
  "[5.9s] connection: connecting (attempt 7)",
  "[5.9s] transport: accepts attempt 7: session 2",
  "[5.9s] connection: connected: session 2",
  "[6.5s] main: status: connected: session 2, 4 line(s) sent",
  "[6.5s] transport: received \"bye\"",
  "[6.5s] connection: stopped (shutdown) while connected, 5 line(s) sent"
]

/** What examples/job-fanout.ts prints, at the times it prints it (TestClock's). */
const jobFanoutLines = [
  "[0.0s] resizer-1: joined resizers",
  "[0.0s] resizer-2: joined resizers",
  "[0.0s] resizer-3: joined resizers",
  "[0.0s] group: a worker joined, 1 in resizers",
  "[0.0s] group: a worker joined, 2 in resizers",
  "[0.0s] group: a worker joined, 3 in resizers",
  "[0.0s] resizer-1: joined resizers",
  "[0.0s] group: a worker left, 2 in resizers",
  "[0.0s] group: a worker joined, 3 in resizers",
  "[0.2s] dispatcher: cat.png -> cat.thumb.png by resizer-3",
  "[0.3s] dispatcher: dog.png -> dog.thumb.png by resizer-2",
  "[0.3s] dispatcher: corrupt.png failed: its worker crashed (Error: cannot decode corrupt.png)",
  "[0.3s] dispatcher: bird.png -> bird.thumb.png by resizer-1",
  "[1.1s] dispatcher: panorama.png failed: no result within 1000 ms, task killed",
  "[1.1s] dispatcher: fish.png -> fish.thumb.png by resizer-2",
  "[1.1s] dispatcher: owl.png -> owl.thumb.png by resizer-1",
  "[1.4s] dispatcher: fox.png failed: no result within 1000 ms, task killed",
  "[1.4s] dispatcher: 5 of 8 thumbnails made",
  "[1.4s] dispatcher: 3 workers in resizers",
  "[1.4s] group: a worker left, 2 in resizers",
  "[1.4s] group: a worker left, 1 in resizers",
  "[1.4s] group: a worker left, 0 in resizers",
  "[1.4s] dispatcher: processes left besides this one: 0"
]

describe("examples", () => {
  it.live("chat (the flagship, `npm start`): the scripted client against the server in process; a crash, a restart, an ordered stop", () =>
    Effect.gen(function*() {
      // Free ports: the defaults (3000, 3001) may be taken on the machine running the tests.
      const outcome = yield* Application.run(Chat.Chat, { until: Effect.orDie(Effect.flatMap(Chat.url, ChatClient.script)) }).pipe(
        quiet,
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord({ CHAT_PORT: "0", OBSERVER_PORT: "0" }))
      )
      assert.deepStrictEqual(outcome, { _tag: "Stopped", status: 0 })
      const lines = normalize(yield* TestConsole.logLines)
      // The client's lines, in the script's order (the server's own lines interleave with them).
      assert.deepStrictEqual(lines.filter((line) => clientLines.includes(line)), clientLines)
      assert.includeMembers(lines, ["  room lobby stopped (Crash)", "chat: web server closed", "chat: observer closed; stopped"])
      assert.strictEqual(lines.filter((line) => line === "  room lobby started").length, 2)
    }).pipe(Effect.provide(TestConsole.layer)))

  it.live("chat reads its configuration from the environment", () =>
    Effect.gen(function*() {
      const outcome = yield* Application.run(Chat.Chat, { until: Effect.void }).pipe(
        quiet,
        Effect.provideService(
          ConfigProvider.ConfigProvider,
          ConfigProvider.fromEnvRecord({ CHAT_ROOMS: "a, b ,c", CHAT_HISTORY: "5", CHAT_PORT: "0", OBSERVER_PORT: "0", CHAT_HOST: "127.0.0.1" })
        )
      )
      assert.strictEqual(outcome.status, 0)
      const lines = normalize(yield* TestConsole.logLines)
      assert.match(lines[0]!, /^observer: http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/)
      assert.match(lines[1]!, /^chat: http:\/\/127\.0\.0\.1:\d+\/$/)
      assert.deepStrictEqual(lines.slice(2, 6), ["chat: opening a, b, c (history 5)", "  room a started", "  room b started", "  room c started"])
    }).pipe(Effect.provide(TestConsole.layer)))

  it.live("chat refuses a port out of range before starting anything", () =>
    Effect.gen(function*() {
      const outcome = yield* Application.run(Chat.Chat, { until: Effect.void }).pipe(
        quiet,
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord({ CHAT_PORT: "70000", OBSERVER_PORT: "0" }))
      )
      assert.strictEqual(outcome._tag, "StartFailed")
      assert.deepStrictEqual(yield* TestConsole.logLines, [])
    }).pipe(Effect.provide(TestConsole.layer)))

  it.effect("ping-pong", () =>
    printed(PingPong.main).pipe(Effect.map((lines) => assert.deepStrictEqual(lines, pingPongLines))))

  it.effect("counter", () =>
    printed(Counter.main).pipe(Effect.map((lines) =>
      assert.deepStrictEqual(lines, [
        "started counter at <pid> with 10",
        "add 5 -> 15",
        "add 1 by name -> 16",
        "after reset -> 0",
        "stopped"
      ])
    )))

  it.effect("kv-store", () =>
    printed(KvStore.main).pipe(Effect.map((lines) =>
      assert.deepStrictEqual(lines, [
        "fetch lang -> erlang",
        "fetch nope -> KeyNotFound",
        "await runtime -> effect",
        "kv terminating (Normal) with 1 keys"
      ])
    )))

  it.effect("connection: reconnects with backoff (refused, unanswered, a crashed transport, a silent one); sends wait and go in order", () =>
    printed(Effect.gen(function*() {
      // Every wait in it (backoff, attempts, heartbeat, the program's pauses) is on the TestClock.
      const program = yield* Effect.forkChild(Connection.main)
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(program)
    })).pipe(Effect.map((lines) => assert.deepStrictEqual(lines, connectionLines))))

  it.effect("job-fanout: a TaskSupervisor's stream over workers found through a process group; a crash, a timeout, a rejoin", () =>
    printed(Effect.gen(function*() {
      // The workers' resizing and the per-job timeouts are on the TestClock.
      const program = yield* Effect.forkChild(JobFanout.main)
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(program)
    })).pipe(Effect.map((lines) => assert.deepStrictEqual(lines, jobFanoutLines))))

  it.effect("supervision-tree", () =>
    printed(SupervisionTree.main).pipe(Effect.map((lines) =>
      assert.deepStrictEqual(lines, [
        "starting the tree",
        "  counter started",
        "  fetcher started",
        "  parser started",
        "counter is 5",
        "crashing counter",
        "  counter stopped (Crash)",
        "  counter started",
        "counter restarted clean: 0",
        "crashing fetcher",
        "  fetcher stopped (Crash)",
        "  parser stopped (Shutdown)",
        "  fetcher started",
        "  parser started",
        "crashing parser",
        "  parser stopped (Crash)",
        "  fetcher stopped (Shutdown)",
        "pipeline gave up: shutdown",
        "  fetcher started",
        "  parser started",
        "root has 2 of 2 children running",
        "stopping the tree",
        "  parser stopped (Shutdown)",
        "  fetcher stopped (Shutdown)",
        "  counter stopped (Shutdown)",
        "processes left: 0"
      ])
    )))

  // The programs run side by side: each is a Node process that mostly waits on its own start
  // (tsx compiling the example), so together they take about as long as the slowest.
  it("each example file runs as a program and exits cleanly", async () => {
    const root = fileURLToPath(new URL("..", import.meta.url))
    const run = async (file: string) =>
      (await promisify(execFile)(process.execPath, ["--import", "tsx", file], { cwd: root, encoding: "utf8" })).stdout
    // examples/chat.ts, a server that runs until a signal, is run as a program by test/chat.test.ts.
    const [pingPongOut, counterOut, kvStoreOut, treeOut, connectionOut, fanoutOut] = await Promise.all([
      run("examples/ping-pong.ts"),
      run("examples/counter.ts"),
      run("examples/kv-store.ts"),
      run("examples/supervision-tree.ts"),
      run("examples/connection.ts"),
      run("examples/job-fanout.ts")
    ])
    assert.deepStrictEqual(normalize(pingPongOut.trim().split("\n")), pingPongLines)
    assert.include(counterOut, "after reset -> 0")
    assert.include(kvStoreOut, "await runtime -> effect")
    assert.include(treeOut, "processes left: 0")
    // In real time each process prints the same lines in the same order (the times may differ
    // by a tenth, and two processes may interleave otherwise); the crash reports are log lines.
    const byProcess = (lines: ReadonlyArray<string>) => {
      const out: Record<string, Array<string>> = {}
      for (const line of lines) {
        const m = /^\[\d+\.\ds\] (\w+): (.*)$/.exec(line)
        if (m !== null) (out[m[1]!] ??= []).push(m[2]!)
      }
      return out
    }
    assert.deepStrictEqual(byProcess(connectionOut.split("\n")), byProcess(connectionLines))
    assert.deepStrictEqual(byProcess(fanoutOut.split("\n")), byProcess(jobFanoutLines))
  }, 90_000) // six Node processes starting tsx at once: about 11 s alone, near 30 s on a loaded machine
})
