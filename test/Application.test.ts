import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Option } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Application, ChildSpec, Node, Process, Supervisor } from "../index.js"
import { quiet } from "./support/workers.js"

/** Events the tests' workers report, in order. */
const events: Array<string> = []

/** A worker that reports its start and (trapping exits) its stop. */
const worker = (id: string) =>
  ChildSpec.worker(
    id,
    Process.spawnLink(Effect.gen(function*() {
      yield* Process.trapExit(true)
      events.push(`${id} up`)
      const message = yield* Process.receive()
      if (Process.isExitMessage(message)) events.push(`${id} down`)
      if (message === "crash") return yield* Effect.die(new Error(`${id} crashed`))
      if (message === "quit") return
    }), { name: id })
  )

const app = (name: string, children: ReadonlyArray<string>, deps: ReadonlyArray<Application.Application<any, any> | string> = []) =>
  Application.make({
    name,
    dependencies: deps,
    start: () => Supervisor.startLink(children.map(worker), { intensity: 0 }),
    stop: () => Effect.sync(() => events.push(`${name} stopped`))
  })

const inNode = <A, E, R>(body: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    events.length = 0
    return body
  }).pipe(Effect.provide(Node.layer()), quiet)

/** Sends `message` to the process registered as `name` and waits until it is gone. */
const tell = (name: string, message: unknown) =>
  Process.run(Effect.gen(function*() {
    const pid = (yield* Process.whereis(name)).pipe((o) => (o._tag === "Some" ? o.value : undefined))!
    const ref = yield* Process.monitor(pid)
    yield* Process.send(pid, message)
    yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
  }))

describe("Application", () => {
  it.effect("start runs dependencies first, skips running ones, and reports what it started", () =>
    inNode(Effect.gen(function*() {
      const base = app("base", ["db"])
      const mid = app("mid", ["cache"], [base])
      const top = app("top", ["http"], [mid, base])
      assert.deepStrictEqual(yield* Application.start(base), ["base"])
      assert.deepStrictEqual(yield* Application.start(top), ["mid", "top"])
      assert.deepStrictEqual(events, ["db up", "cache up", "http up"])
      assert.deepStrictEqual((yield* Application.which).map((a) => a.name), ["base", "mid", "top"])
      assert.deepStrictEqual(yield* Application.start(top), [])
    })))

  it.effect("stopAll stops in reverse start order; each tree stops its children in reverse", () =>
    inNode(Effect.gen(function*() {
      const base = app("base", ["db", "pool"])
      const top = app("top", ["http", "ws"], [base])
      yield* Application.start(top)
      events.length = 0
      yield* Application.stopAll
      assert.deepStrictEqual(events, ["ws down", "http down", "top stopped", "pool down", "db down", "base stopped"])
      assert.deepStrictEqual(yield* Application.which, [])
    })))

  it.effect("stop of one application keeps its dependencies; stopping it again is NotStarted", () =>
    inNode(Effect.gen(function*() {
      const base = app("base", ["db"])
      const top = app("top", ["http"], [base])
      yield* Application.start(top)
      yield* Application.stop(top)
      assert.deepStrictEqual((yield* Application.which).map((a) => a.name), ["base"])
      const again = yield* Effect.flip(Application.stop("top"))
      assert.instanceOf(again, Application.NotStarted)
    })))

  it.effect("a dependency cycle or an unknown dependency is a typed error before anything starts", () =>
    inNode(Effect.gen(function*() {
      const a = app("a", ["wa"], ["b"])
      const b = app("b", ["wb"], ["c"])
      const c = app("c", ["wc"], ["a"])
      yield* Application.load(a, b, c)
      const cycle = yield* Effect.flip(Application.start(a))
      assert.instanceOf(cycle, Application.DependencyCycle)
      assert.deepStrictEqual((cycle as Application.DependencyCycle).path, ["a", "b", "c", "a"])
      const unknown = yield* Effect.flip(Application.start(app("x", ["wx"], ["nowhere"])))
      assert.isTrue(unknown._tag === "UnknownApplication" && unknown.name === "nowhere" && unknown.requiredBy === "x")
      assert.deepStrictEqual(events, [])
      assert.deepStrictEqual(yield* Application.which, [])
    })))

  it.effect("a failing start stops the applications this call started, in reverse", () =>
    inNode(Effect.gen(function*() {
      const base = app("base", ["db"])
      const mid = app("mid", ["cache"], [base])
      const broken = Application.make({
        name: "broken",
        dependencies: [mid],
        start: () => Effect.fail("no port")
      })
      const error = yield* Effect.flip(Application.start(broken))
      assert.isTrue(error._tag === "StartFailed" && error.application === "broken")
      assert.deepStrictEqual(events, ["db up", "cache up", "cache down", "mid stopped", "db down", "base stopped"])
      assert.deepStrictEqual(yield* Application.which, [])
    })))

  it.effect("configuration: defaults in code, overridden by the ConfigProvider (the environment in main)", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const configured = Application.make({
        name: "configured",
        config: Config.Int("WORKERS").pipe(Config.withDefault(2)),
        start: (n) => Effect.andThen(Effect.sync(() => seen.push(n)), Supervisor.startLink([]))
      })
      yield* inNode(Application.start(configured))
      yield* inNode(Application.start(configured)).pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord({ WORKERS: "7" }))
      )
      assert.deepStrictEqual(seen, [2, 7])
      const bad = yield* inNode(Effect.flip(Application.start(configured))).pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord({ WORKERS: "many" }))
      )
      assert.isTrue(bad._tag === "InvalidConfig" && bad.application === "configured")
    }))

  it.effect("start types: temporary only logged, transient fatal on abnormal exit, permanent always fatal", () =>
    Effect.gen(function*() {
      const outcome = (type: Application.StartType, message: "crash" | "quit") =>
        inNode(Effect.gen(function*() {
          const other = app("other", ["o"])
          const solo = Application.make({
            name: "solo",
            dependencies: [other],
            // intensity 0: the worker's exit takes the root down with it
            start: () => Supervisor.startLink([{ ...worker("w"), restart: "transient" }], { intensity: 0 })
          })
          yield* Application.start(other, { type: "temporary" })
          yield* Application.start(solo, { type })
          const master = (yield* Application.which).find((a) => a.name === "solo")!.master
          yield* Process.run(Effect.gen(function*() {
            const ref = yield* Process.monitor(master)
            yield* Process.send(Option.getOrThrow(yield* Process.whereis("w")), message)
            if (message === "crash") {
              // The master exits once it has dealt with its root's exit.
              yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
            }
          }))
          const failed = Option.match(yield* Application.failure, { onNone: () => "none", onSome: (f) => f.application })
          return [failed, (yield* Application.which).map((a) => a.name).join(",")]
        }))
      assert.deepStrictEqual(yield* outcome("temporary", "crash"), ["none", "other"])
      assert.deepStrictEqual(yield* outcome("transient", "quit"), ["none", "other,solo"])
      assert.deepStrictEqual(yield* outcome("transient", "crash"), ["solo", "other"])
      assert.deepStrictEqual(yield* outcome("permanent", "crash"), ["solo", "other"])
    }))

  it.effect("run: an application failure stops the others in reverse order, status 1", () =>
    Effect.gen(function*() {
      events.length = 0
      const base = app("base", ["db"])
      const top = Application.make({
        name: "top",
        dependencies: [base],
        start: () => Supervisor.startLink([worker("http")], { intensity: 0 })
      })
      const outcome = yield* Application.run(top, {
        until: Effect.andThen(Effect.orDie(tell("http", "crash")), Effect.never)
      }).pipe(quiet)
      assert.strictEqual(outcome.status, 1)
      assert.isTrue(outcome._tag === "Failed" && outcome.failure.application === "top")
      assert.deepStrictEqual(events, ["db up", "http up", "db down", "base stopped"])
    }))

  it.effect("run: until completes, everything stops in order, status 0; a failed start is status 2", () =>
    Effect.gen(function*() {
      events.length = 0
      const top = app("top", ["a", "b"], [app("base", ["db"])])
      const outcome = yield* Application.run(top, { until: Effect.void }).pipe(quiet)
      assert.deepStrictEqual(outcome, { _tag: "Stopped", status: 0 })
      assert.deepStrictEqual(events, ["db up", "a up", "b up", "b down", "a down", "top stopped", "db down", "base stopped"])
      const failed = yield* Application.run(app("x", [], ["missing"])).pipe(quiet)
      assert.strictEqual(failed.status, 2)
    }))

  it("main: SIGTERM stops the program in reverse order and exits 0", async () => {
    const root = fileURLToPath(new URL("..", import.meta.url))
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/signal-app.ts"], { cwd: root })
    let out = ""
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes("ready")) resolve()
      })
      child.on("exit", () => reject(new Error(`exited before ready: ${out}`)))
    })
    child.kill("SIGTERM")
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)))
    const lines = out.split("\n").filter((l) => l.startsWith("event "))
    assert.deepStrictEqual(lines, [
      "event db up",
      "event http up",
      "event ws up",
      "event ws down",
      "event http down",
      "event web stopped",
      "event db down",
      "event store stopped"
    ])
    assert.strictEqual(code, 0)
  }, 60_000)
})
