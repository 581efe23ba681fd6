import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Deferred, Effect, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Application, ChildSpec, ExitReason, Node, Pid, Process, Supervisor } from "../index.js"
import { captureLogs, quiet } from "./support/workers.js"

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

/** An application whose callbacks report to `events`, with a plain root process (not a supervisor) named `<name>-root`. */
const plain = (
  name: string,
  options?: {
    readonly dependencies?: ReadonlyArray<Application.Application<any, any> | string>
    readonly children?: ReadonlyArray<string>
  }
) =>
  Application.make({
    name,
    dependencies: options?.dependencies ?? [],
    start: () =>
      options?.children !== undefined
        ? Supervisor.startLink(options.children.map(worker), { intensity: 0 })
        : Process.spawnLink(
          Effect.gen(function*() {
            const message = yield* Process.receive()
            if (message === "crash") return yield* Effect.die(new Error(`${name} root crashed`))
          }),
          { name: `${name}-root` }
        ),
    prepStop: () => Effect.sync(() => events.push(`${name} prepStop`)),
    stop: () => Effect.sync(() => events.push(`${name} stop`))
  })

/** The master of the running application `name`. */
const masterOf = (name: string) =>
  Effect.map(Application.which, (apps) => apps.find((a) => a.name === name)!.master)

/** Waits, as a process, until every pid in `pids` is down; returns their exit reasons in order. */
const awaitDown = (pids: ReadonlyArray<Pid.Pid>) =>
  Process.run(Effect.gen(function*() {
    const refs = yield* Effect.forEach(pids, (pid) => Process.monitor(pid))
    const reasons: Array<string> = []
    for (const ref of refs) {
      const down = yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
      reasons.push((down as Process.DownMessage).reason._tag)
    }
    return reasons
  }))

/** The live processes of the node, counted. */
const processCount = Effect.map(Process.processes, (pids) => pids.length)

/** Lets the node's run queue drain (exit signals to linked processes are delivered through it). */
const settle = Effect.gen(function*() {
  for (let i = 0; i < 10; i++) yield* Effect.yieldNow
})

describe("Application: the application master (OTP's application_master)", () => {
  it.effect("when the root exits by itself, prepStop and stop run and the master exits with the root's reason", () =>
    inNode(Effect.gen(function*() {
      // The exits that are not fatal; the fatal ones are below.
      const exits = [["temporary", "quit", "Normal"], ["temporary", "crash", "Crash"], ["transient", "quit", "Normal"]] as const
      for (const [type, message, reason] of exits) {
        events.length = 0
        yield* Application.start(plain("x"), { type })
        const master = yield* masterOf("x")
        yield* Process.send("x-root", message)
        assert.deepStrictEqual(yield* awaitDown([master]), [reason], `${type} ${message}`)
        assert.deepStrictEqual(events, ["x prepStop", "x stop"], `${type} ${message}`)
        assert.deepStrictEqual(yield* Application.which, [])
      }
      assert.isTrue(Option.isNone(yield* Application.failure))
    })))

  it.effect("a permanent application's exit stops the others in reverse start order, when started by start", () =>
    inNode(Effect.gen(function*() {
      yield* Application.start(plain("a", { children: ["a1"] }))
      yield* Application.start(plain("b"), { type: "permanent" })
      yield* Application.start(plain("c", { children: ["c1", "c2"] }))
      const others = [yield* masterOf("c"), yield* masterOf("a")]
      events.length = 0
      yield* Process.send("b-root", "crash")
      const failure = yield* Application.awaitFailure
      assert.isTrue(failure.application === "b" && failure.reason._tag === "Crash")
      assert.deepStrictEqual(yield* awaitDown(others), ["Normal", "Normal"])
      assert.deepStrictEqual(events, [
        "b prepStop",
        "b stop",
        "c prepStop",
        "c2 down",
        "c1 down",
        "c stop",
        "a prepStop",
        "a1 down",
        "a stop"
      ])
      assert.deepStrictEqual(yield* Application.which, [])
    })))

  it.effect("a permanent dependency's exit stops everything, its dependents first", () =>
    inNode(Effect.gen(function*() {
      const base = plain("base")
      const mid = plain("mid", { dependencies: [base], children: ["m1"] })
      const top = plain("top", { dependencies: [mid], children: ["t1"] })
      assert.deepStrictEqual(yield* Application.start(top, { type: "permanent" }), ["base", "mid", "top"])
      const others = [yield* masterOf("top"), yield* masterOf("mid")]
      events.length = 0
      yield* Process.send("base-root", "quit") // even `normal` is fatal for a permanent application
      assert.strictEqual((yield* Application.awaitFailure).application, "base")
      yield* awaitDown(others)
      assert.deepStrictEqual(events, ["base prepStop", "base stop", "top prepStop", "t1 down", "top stop", "mid prepStop", "m1 down", "mid stop"])
      assert.deepStrictEqual(yield* Application.which, [])
    })))

  it.effect("a killed master takes its tree down, still runs prepStop and stop, and its start type applies (killed)", () =>
    inNode(Effect.gen(function*() {
      yield* Application.start(plain("other", { children: ["o1"] }))
      yield* Application.start(plain("x", { children: ["x1", "x2"] }), { type: "permanent" })
      const other = yield* masterOf("other")
      events.length = 0
      yield* Process.exit(yield* masterOf("x"), ExitReason.kill)
      const failure = yield* Application.awaitFailure
      assert.isTrue(failure.application === "x" && failure.reason._tag === "Killed")
      yield* awaitDown([other])
      assert.deepStrictEqual(events, ["x2 down", "x1 down", "x prepStop", "x stop", "other prepStop", "o1 down", "other stop"])
      assert.deepStrictEqual(yield* Application.which, [])
    })))

  it.effect("nothing is left running: after a stop, a stopAll, an exit, a fatal exit, a killed master or a failed start", () =>
    inNode(Effect.gen(function*() {
      const before = yield* processCount
      const scenarios: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown, Node.Node>]> = [
        ["stop", Effect.andThen(Application.start(plain("s", { children: ["s1"] })), Application.stop("s"))],
        [
          "stopAll",
          Effect.andThen(Application.start(plain("t", { dependencies: [plain("u")], children: ["t1"] })), Application.stopAll)
        ],
        [
          "root exit",
          Effect.gen(function*() {
            yield* Application.start(plain("v"))
            const master = yield* masterOf("v")
            yield* Process.send("v-root", "crash")
            yield* awaitDown([master])
          })
        ],
        [
          "killed master",
          Effect.gen(function*() {
            yield* Application.start(plain("w", { children: ["w1"] }))
            const master = yield* masterOf("w")
            yield* Process.exit(master, ExitReason.kill)
            yield* awaitDown([master])
            yield* Application.stopAll // waits for the cleanup after the kill
          })
        ],
        [
          "failed start",
          Effect.flip(Application.start(Application.make({
            name: "broken",
            start: () => Effect.andThen(Process.spawnLink(Process.receive()), Effect.fail("no port"))
          })))
        ]
      ]
      for (const [label, scenario] of scenarios) {
        yield* scenario
        yield* settle
        assert.strictEqual(yield* processCount, before, label)
        assert.deepStrictEqual(yield* Application.which, [], label)
      }
    })))

  it.effect("what start gives is checked: no Effect, no root pid, a dead root, or a throw is StartFailed, and nothing is left", () =>
    inNode(Effect.gen(function*() {
      const before = yield* processCount
      const starts: ReadonlyArray<readonly [string, () => unknown]> = [
        ["plain value", () => 42],
        ["no pid", () => Effect.succeed({ pid: undefined })],
        ["not a pid", () => Effect.succeed({ pid: "me" })],
        ["null", () => Effect.succeed(null)],
        ["dead root", () => Effect.tap(Process.spawn(Effect.void), () => settle)],
        ["throw", () => {
          throw new Error("boom")
        }]
      ]
      for (const [label, start] of starts) {
        const error = yield* Effect.flip(Application.start(Application.make({ name: label, start: start as never })))
        assert.strictEqual(error._tag, "StartFailed", label)
        yield* settle
        assert.strictEqual(yield* processCount, before, label)
      }
      assert.deepStrictEqual(yield* Application.which, [])
      // An untyped dependency that is no application is an UnknownApplication.
      const odd = yield* Effect.flip(Application.start(plain("odd", { dependencies: [42 as never] })))
      assert.strictEqual(odd._tag, "UnknownApplication")
    })))

  it.effect("a failing or throwing prepStop or stop is logged and the stop goes on", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      events.length = 0
      yield* logs.provide(Effect.provide(Effect.gen(function*() {
        const bad = Application.make({
          name: "bad",
          start: () => Supervisor.startLink([worker("b1")]),
          prepStop: () => Effect.die(new Error("prep failed")),
          stop: (() => {
            throw new Error("stop threw")
          }) as never
        })
        const after = plain("after", { dependencies: [bad] })
        yield* Application.start(after)
        events.length = 0
        yield* Application.stopAll
        assert.deepStrictEqual(events, ["after prepStop", "after stop", "b1 down"])
        assert.deepStrictEqual(yield* Application.which, [])
      }), Node.layer()))
      const errors = logs.entries.filter((e) => e.level === "Error").map((e) => e.message)
      assert.isTrue(errors.some((m) => m.includes("bad: prepStop failed")))
      assert.isTrue(errors.some((m) => m.includes("bad: stop failed")))
    }))

  it.effect("a callback that stops its own application, or all of them, does not wait for itself", () =>
    inNode(Effect.gen(function*() {
      const base = plain("base", { children: ["b1"] })
      const x = Application.make({
        name: "x",
        dependencies: [base],
        start: () => Supervisor.startLink([worker("x1")]),
        prepStop: () => Effect.andThen(Application.stopAll, Effect.sync(() => events.push("x prepStop"))),
        stop: () => Effect.andThen(Effect.ignore(Application.stop("x")), Effect.sync(() => events.push("x stop")))
      })
      yield* Application.start(x)
      events.length = 0
      yield* Application.stop("x")
      assert.deepStrictEqual(events, ["base prepStop", "b1 down", "base stop", "x prepStop", "x1 down", "x stop"])
      assert.deepStrictEqual(yield* Application.which, [])
    })))

  it.effect("two starts of one application at the same time start it once", () =>
    inNode(Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      let starts = 0
      const slow = Application.make({
        name: "slow",
        start: () =>
          Effect.andThen(
            Effect.andThen(Effect.sync(() => starts++), Deferred.await(gate)),
            Supervisor.startLink([worker("s1")])
          )
      })
      const first = yield* Effect.forkChild(Application.start(slow))
      const second = yield* Effect.forkChild(Application.start(slow))
      yield* settle
      yield* Deferred.succeed(gate, undefined)
      const results = [yield* Fiber.join(first), yield* Fiber.join(second)]
      assert.strictEqual(starts, 1)
      assert.deepStrictEqual(results.map((r) => r.join(",")).sort(), ["", "slow"])
      assert.deepStrictEqual((yield* Application.which).map((a) => a.name), ["slow"])
      assert.deepStrictEqual(events, ["s1 up"])
    })))

  it.effect("application names and config keys that are Object.prototype members are plain names", () =>
    inNode(Effect.gen(function*() {
      const seen: Array<string> = []
      const proto = Application.make({
        name: "__proto__",
        config: Config.String("__proto__").pipe(Config.withDefault("default")),
        start: (value) => Effect.andThen(Effect.sync(() => seen.push(value)), Supervisor.startLink([]))
      })
      const ctor = plain("constructor", { dependencies: ["__proto__"] })
      yield* Application.load(proto)
      assert.deepStrictEqual(yield* Application.start(ctor), ["__proto__", "constructor"])
      assert.deepStrictEqual(seen, ["default"])
      assert.deepStrictEqual((yield* Application.which).map((a) => a.name), ["__proto__", "constructor"])
      for (const name of ["toString", "hasOwnProperty", "valueOf"]) {
        const unknown = yield* Effect.flip(Application.start(plain("x", { dependencies: [name] })))
        assert.isTrue(unknown._tag === "UnknownApplication" && unknown.name === name)
        const notStarted = yield* Effect.flip(Application.stop(name))
        assert.strictEqual(notStarted._tag, "NotStarted")
      }
      yield* Application.stop("constructor")
      yield* Application.stop("__proto__")
      assert.deepStrictEqual(yield* Application.which, [])
    })))
})

describe("Application.run: stop requests at any moment", () => {
  it.effect("a stop requested during the start: the application being started finishes, the rest do not start, all stop", () =>
    Effect.gen(function*() {
      events.length = 0
      const stop = new AbortController()
      const base = Application.make({
        name: "base",
        start: () => Effect.andThen(Effect.sync(() => stop.abort()), Supervisor.startLink([worker("db")])),
        stop: () => Effect.sync(() => events.push("base stopped"))
      })
      const top = app("top", ["http"], [base])
      const outcome = yield* Application.run(top, { signal: stop.signal }).pipe(quiet)
      assert.deepStrictEqual(outcome, { _tag: "Stopped", status: 0 })
      assert.deepStrictEqual(events, ["db up", "db down", "base stopped"])
      // Aborted before the run: nothing starts.
      events.length = 0
      const none = yield* Application.run(top, { signal: stop.signal }).pipe(quiet)
      assert.deepStrictEqual(none, { _tag: "Stopped", status: 0 })
      assert.deepStrictEqual(events, [])
    }))

  it.effect("a stop requested while running stops everything in order, status 0", () =>
    Effect.gen(function*() {
      events.length = 0
      const stop = new AbortController()
      const up = yield* Deferred.make<void>()
      const top = Application.make({
        name: "top",
        dependencies: [app("base", ["db"])],
        start: () => Effect.tap(Supervisor.startLink([worker("http")]), () => Deferred.succeed(up, undefined)),
        stop: () => Effect.sync(() => events.push("top stopped"))
      })
      const running = yield* Effect.forkChild(Application.run(top, { signal: stop.signal }).pipe(quiet))
      yield* Deferred.await(up)
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow
      stop.abort()
      const outcome = yield* Fiber.join(running)
      assert.deepStrictEqual(outcome, { _tag: "Stopped", status: 0 })
      assert.deepStrictEqual(events, ["db up", "http up", "http down", "top stopped", "db down", "base stopped"])
    }))

  it.effect("interrupting run stops the applications in order, callbacks included", () =>
    Effect.gen(function*() {
      events.length = 0
      const up = yield* Deferred.make<void>()
      const top = Application.make({
        name: "top",
        dependencies: [app("base", ["db"])],
        start: () => Effect.tap(Supervisor.startLink([worker("http")]), () => Deferred.succeed(up, undefined)),
        stop: () => Effect.sync(() => events.push("top stopped"))
      })
      const running = yield* Effect.forkChild(Application.run(top).pipe(quiet))
      yield* Deferred.await(up)
      yield* Fiber.interrupt(running)
      assert.deepStrictEqual(events, ["db up", "http up", "http down", "top stopped", "db down", "base stopped"])
    }))
})

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
      // A fatal exit stops the other applications too (see the tests below): by the time the
      // master is down, `which` no longer lists the failed one, and the others are stopping.
      assert.strictEqual((yield* outcome("transient", "crash"))[0], "solo")
      assert.strictEqual((yield* outcome("permanent", "crash"))[0], "solo")
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

  it.effect("run: a shutdown that does not finish within shutdownTimeout is status 3", () =>
    Effect.gen(function*() {
      events.length = 0
      const hung = Application.make({
        name: "hung",
        start: () => Supervisor.startLink([worker("w")]),
        stop: () => Effect.andThen(Effect.sync(() => events.push("hung stopping")), Effect.never)
      })
      const fiber = yield* Effect.forkChild(Application.run(hung, { until: Effect.void, shutdownTimeout: "5 seconds" }).pipe(quiet))
      yield* TestClock.adjust("4 seconds")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { _tag: "ShutdownTimeout", status: 3 })
      assert.deepStrictEqual(events, ["w up", "w down", "hung stopping"])
    }))

  it.concurrent("main: SIGINT stops the program in order and exits 0; a second SIGINT while the shutdown hangs exits 130", async ({ onTestFinished }) => {
    const program = fixture(onTestFinished)
    await program.waitFor("ready")
    program.child.kill("SIGINT")
    assert.strictEqual(await program.exited, 0)
    assert.include(program.events(), "event store stopped")
    const hung = fixture(onTestFinished, "hung-stop")
    await hung.waitFor("ready")
    hung.child.kill("SIGINT")
    await hung.waitFor("web still stopping")
    hung.child.kill("SIGINT")
    assert.strictEqual(await hung.exited, 130)
    assert.include(hung.errors(), "second SIGINT before the shutdown finished")
  }, 60_000)

  it.concurrent("main: one Ctrl-C delivered twice (by the terminal, and passed on by npm) stops the program in order, status 0", async ({ onTestFinished }) => {
    const program = fixture(onTestFinished, "repeat-stop")
    await program.waitFor("ready")
    program.child.kill("SIGINT")
    // npm's copy comes once npm has handled its own: after the program has begun to stop.
    await program.waitFor("event web stopping")
    program.child.kill("SIGINT")
    assert.strictEqual(await program.exited, 0)
    assert.notInclude(program.errors(), "second SIGINT")
    assert.deepStrictEqual(program.events(), [
      ...startedAndStoppedInOrder.slice(0, 5),
      "event web stopping",
      ...startedAndStoppedInOrder.slice(5)
    ])
  }, 60_000)

  it.concurrent("the alternative in the module doc, NodeRuntime.runMain(Application.run(app)): SIGTERM stops in order, status 130", async ({ onTestFinished }) => {
    const program = fixture(onTestFinished, "runmain")
    await program.waitFor("ready")
    program.child.kill("SIGTERM")
    assert.strictEqual(await program.exited, 130)
    assert.deepStrictEqual(program.events(), startedAndStoppedInOrder)
  }, 60_000)

  it.concurrent("main: SIGTERM stops the program in reverse order and exits 0", async ({ onTestFinished }) => {
    const program = fixture(onTestFinished)
    await program.waitFor("ready")
    program.child.kill("SIGTERM")
    assert.strictEqual(await program.exited, 0)
    assert.deepStrictEqual(program.events(), startedAndStoppedInOrder)
  }, 60_000)

  it.concurrent("main: a SIGTERM during the start lets the application being started finish, starts no more, and stops in order", async ({ onTestFinished }) => {
    const program = fixture(onTestFinished, "during-start")
    await program.waitFor("event web starting")
    program.child.kill("SIGTERM")
    assert.strictEqual(await program.exited, 0)
    assert.deepStrictEqual(program.events(), [
      "event db up",
      "event web starting",
      "event http up",
      "event ws up",
      "event ws down",
      "event http down",
      "event web stopped",
      "event db down",
      "event store stopped"
    ])
    assert.notInclude(program.output(), "ready")
  }, 60_000)

  it.concurrent("main: a second SIGTERM while the shutdown hangs exits at once with status 143", async ({ onTestFinished }) => {
    const program = fixture(onTestFinished, "hung-stop")
    await program.waitFor("ready")
    program.child.kill("SIGTERM")
    await program.waitFor("web still stopping")
    program.child.kill("SIGTERM")
    assert.strictEqual(await program.exited, 143)
    assert.deepStrictEqual(program.events(), [
      "event db up",
      "event http up",
      "event ws up",
      "event ws down",
      "event http down",
      "event web stopping"
    ])
  }, 60_000)
})

describe("Application.main: defects and runtimes without Node's process", () => {
  it.concurrent("a defect after the start (here in until) stops everything in reverse order, is printed, and exits 1", async ({ onTestFinished }) => {
    const program = fixture(onTestFinished, "dying-until")
    assert.strictEqual(await program.exited, 1)
    assert.deepStrictEqual(program.events(), startedAndStoppedInOrder)
    assert.include(program.errors(), "until died")
    assert.notInclude(program.output(), "exited: shutdown")
  }, 60_000)

  it.concurrent("without a global process (a browser), main still runs, stops in order and gives the outcome, and sets no exit status", async ({ onTestFinished }) => {
    const program = fixture(onTestFinished, "no-process")
    assert.strictEqual(await program.exited, 0)
    assert.deepStrictEqual(program.events(), startedAndStoppedInOrder)
    assert.include(program.output(), "outcome Stopped 0 exitCode unset SIGINT listeners 0")
  }, 60_000)
})

/** What the fixture prints when everything starts and then stops in reverse order. */
const startedAndStoppedInOrder = [
  "event db up",
  "event http up",
  "event ws up",
  "event ws down",
  "event http down",
  "event web stopped",
  "event db down",
  "event store stopped"
]

/**
 * Runs test/fixtures/signal-app.ts in a child process, in `mode`. The tests that use it run side
 * by side (each waits on its own program), so the clean-up goes to the test's own context.
 */
const fixture = (onTestFinished: (cleanup: () => void) => void, mode?: string) => {
  const root = fileURLToPath(new URL("..", import.meta.url))
  const args = ["--import", "tsx", "test/fixtures/signal-app.ts", ...(mode === undefined ? [] : [mode])]
  const child = spawn(process.execPath, args, { cwd: root })
  // A failed test leaves no program behind.
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  })
  let out = ""
  let err = ""
  const waiters = new Set<() => void>()
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString()
    for (const waiter of [...waiters]) waiter()
  })
  child.stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return {
    child,
    exited,
    output: () => out,
    errors: () => err,
    events: () => out.split("\n").filter((l) => l.startsWith("event ")),
    /** Resolves once `text` is printed; fails if the program exits first. */
    waitFor: (text: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (out.includes(text)) {
            waiters.delete(check)
            resolve()
          }
        }
        waiters.add(check)
        check()
        void exited.then(() => reject(new Error(`exited before ${JSON.stringify(text)}:\n${out}\n${err}`)))
      })
  }
}
