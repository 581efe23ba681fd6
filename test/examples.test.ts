import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { TestConsole } from "effect/testing"
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { fileURLToPath } from "node:url"
import { Application, Node } from "../index.js"
import { quiet } from "./support/workers.js"
import * as Chat from "../examples/chat.js"
import * as Counter from "../examples/counter.js"
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

const chatLines = [
  "chat: opening lobby, effect (history 50)",
  "  room lobby started",
  "  room effect started",
  "ada joined lobby",
  "joe joined lobby",
  "joe joined effect",
  "ada -> lobby: hello, joe",
  "    ada sees [lobby] ada: hello, joe",
  "    joe sees [lobby] ada: hello, joe",
  "joe -> lobby: hi ada! effect-otp is up",
  "    ada sees [lobby] joe: hi ada! effect-otp is up",
  "    joe sees [lobby] joe: hi ada! effect-otp is up",
  "joe -> effect: anyone here?",
  "    joe sees [effect] joe: anyone here?",
  "lobby hits a bug",
  "  room lobby stopped (Crash)",
  "  room lobby started",
  "lobby is back as a new process (new pid), history clean (0 messages), 2 listeners kept",
  "ada -> lobby: we lost the history, but not each other",
  "    ada sees [lobby] ada: we lost the history, but not each other",
  "    joe sees [lobby] ada: we lost the history, but not each other",
  "session over: stopping",
  "  room effect stopped (Shutdown)",
  "  room lobby stopped (Shutdown)"
]

describe("examples", () => {
  it.effect("chat (the flagship, `npm start`): a session, a crash and restart, an ordered stop", () =>
    Effect.gen(function*() {
      const outcome = yield* Application.run(Chat.Chat, { until: Effect.orDie(Chat.session) }).pipe(quiet)
      assert.deepStrictEqual(outcome, { _tag: "Stopped", status: 0 })
      assert.deepStrictEqual(normalize(yield* TestConsole.logLines), chatLines)
    }).pipe(Effect.provide(TestConsole.layer)))

  it.effect("chat reads its configuration from the environment", () =>
    Effect.gen(function*() {
      const outcome = yield* Application.run(Chat.Chat, { until: Effect.void }).pipe(
        quiet,
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord({ CHAT_ROOMS: "a, b ,c", CHAT_HISTORY: "5" }))
      )
      assert.strictEqual(outcome.status, 0)
      const lines = normalize(yield* TestConsole.logLines)
      assert.deepStrictEqual(lines.slice(0, 4), ["chat: opening a, b, c (history 5)", "  room a started", "  room b started", "  room c started"])
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
    const [chatOut, pingPongOut, counterOut, kvStoreOut, treeOut] = await Promise.all([
      run("examples/chat.ts"),
      run("examples/ping-pong.ts"),
      run("examples/counter.ts"),
      run("examples/kv-store.ts"),
      run("examples/supervision-tree.ts")
    ])
    const chat = chatOut.split("\n").filter((line) => chatLines.includes(line))
    assert.deepStrictEqual(chat, chatLines)
    assert.deepStrictEqual(normalize(pingPongOut.trim().split("\n")), pingPongLines)
    assert.include(counterOut, "after reset -> 0")
    assert.include(kvStoreOut, "await runtime -> effect")
    assert.include(treeOut, "processes left: 0")
  })
})
