/**
 * Issue 15, class 6 (one rule set and one restart engine for Supervisor and DynamicSupervisor)
 * and class 5 for the supervisors' and the Registry's tables (user data as keys).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Schedule } from "effect"
import { TestClock } from "effect/testing"
import { ChildSpec, DynamicSupervisor, ExitReason, GenServer, Node, Pid, Process, Registry, Supervisor } from "../index.js"
import { validate, validateAll } from "../behaviours/internal/children.js"
import { captureLogs, Exit, nextLog, Ping, takeLog, worker, Worker } from "./support/workers.js"

const isDownFor = (ref: Process.DownMessage["ref"]) => (m: unknown): m is Process.DownMessage =>
  Process.isDownMessage(m) && m.ref === ref

const run = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) => {
  const logs = captureLogs()
  return { logs, effect: Process.run(body).pipe(Effect.provide(Node.layer()), logs.provide) }
}

const inNode = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) => run(body).effect

/** Crashes the worker `pid` and waits until it is down (its Exit is then queued at its supervisor). */
const crash = (pid: Pid.Pid) =>
  Effect.gen(function*() {
    const ref = yield* Process.monitor(pid)
    yield* GenServer.cast(GenServer.ref(Worker, pid), Exit, { how: "crash" })
    yield* Process.receive({ match: isDownFor(ref) })
    // The worker's own terminate wrote to the log first.
    const own = yield* Process.receive({ match: (m): m is ReadonlyArray<unknown> => Array.isArray(m) && m[0] === "stopped" })
    assert.strictEqual(own[2], "Crash")
  })

/** Every name `Object.prototype` has, and a few more that reach it from a plain object. */
const prototypeNames = [...Object.getOwnPropertyNames(Object.prototype), "__proto__", "prototype"].filter(
  (name, i, all) => all.indexOf(name) === i
)

const anyOf = <A>(value: A): any => value

describe("one validation for both supervisors (OTP's check_flags and check_childspecs)", () => {
  const badRestartFlags: ReadonlyArray<readonly [string, unknown]> = [
    ["intensity", -1],
    ["intensity", 1.5],
    ["intensity", Number.NaN],
    ["intensity", Infinity],
    ["intensity", "3"],
    ["period", 0],
    ["period", -1000],
    ["period", Number.NaN],
    ["period", Infinity],
    ["period", 0.5],
    ["period", "soon"],
    ["period", null]
  ]

  it.effect("a bad restart window is BadArgument from both, and nothing starts (DynamicSupervisor took period 0)", () =>
    inNode(Effect.gen(function*() {
      for (const [key, value] of badRestartFlags) {
        const flags = anyOf({ [key]: value })
        const fromSupervisor = yield* Effect.flip(Supervisor.start([], flags))
        const fromDynamic = yield* Effect.flip(DynamicSupervisor.start(flags))
        for (const error of [fromSupervisor, fromDynamic]) {
          assert.strictEqual(error._tag, "BadArgument", `${key}: ${String(value)}`)
          assert.include(error.message, key)
        }
      }
      assert.strictEqual((yield* Process.processes).length, 1)
    })))

  it.effect("bad strategies, autoShutdown, backoff, maxChildren and children lists are BadArgument, typed or not", () =>
    inNode(Effect.gen(function*() {
      const flags: ReadonlyArray<unknown> = [
        { strategy: "simpleOneForOne" },
        { strategy: 1 },
        { autoShutdown: "always" },
        { backoff: "1 second" },
        { backoff: {} }
      ]
      for (const f of flags) assert.strictEqual((yield* Effect.flip(Supervisor.start([], anyOf(f))))._tag, "BadArgument")
      for (const max of [-1, 1.5, "10", Number.NaN, null]) {
        assert.strictEqual((yield* Effect.flip(DynamicSupervisor.start(anyOf({ maxChildren: max }))))._tag, "BadArgument")
      }
      for (const children of [undefined, null, "a", 3, { id: "a" }]) {
        assert.strictEqual((yield* Effect.flip(Supervisor.start(anyOf(children))))._tag, "BadArgument")
      }
      // Options that are no record at all mean the defaults, as `undefined` does.
      const plain = yield* Supervisor.start([], anyOf(null))
      const dynamic = yield* DynamicSupervisor.start(anyOf(null))
      yield* Supervisor.stop(plain)
      yield* DynamicSupervisor.stop(dynamic)
      assert.strictEqual((yield* Process.processes).length, 1)
    })))

  it.effect("significant children: only transient or temporary, only with autoShutdown; never under a DynamicSupervisor", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const significant = worker({ id: "s", log }, { restart: "transient", significant: true })
      // autoShutdown never (the default): OTP's bad_combination, at start and at startChild.
      const atStart = yield* Effect.flip(Supervisor.start([significant]))
      assert.isTrue(atStart._tag === "InvalidChildSpec" && atStart.field === "significant")
      const sup = yield* Supervisor.start([])
      const later = yield* Effect.flip(Supervisor.startChild(sup, significant))
      assert.isTrue(later._tag === "InvalidChildSpec" && later.field === "significant")
      // With autoShutdown it is fine; a permanent significant child never is.
      const auto = yield* Supervisor.start([significant], { autoShutdown: "anySignificant" })
      const permanent = yield* Effect.flip(Supervisor.startChild(auto, worker({ id: "p", log }, { significant: true })))
      assert.isTrue(permanent._tag === "InvalidChildSpec" && permanent.field === "significant")
      // A DynamicSupervisor has no autoShutdown: as OTP under auto_shutdown never.
      const dyn = yield* DynamicSupervisor.start()
      const dynamic = yield* Effect.flip(DynamicSupervisor.startChild(dyn, significant))
      assert.isTrue(dynamic._tag === "InvalidChildSpec" && dynamic.field === "significant")
      assert.deepStrictEqual(yield* takeLog, [["started", "s"]])
    })))

  it.effect("untyped specs are InvalidChildSpec (or StartChildFailed), and the supervisors keep running", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const good = worker({ id: "good", log })
      const throwing = Object.defineProperty({ ...good, id: "t" }, "restart", {
        get() {
          throw new Error("no restart for you")
        }
      })
      const specs: ReadonlyArray<unknown> = [
        {},
        { ...good, start: "spawn it" },
        { ...good, start: undefined },
        { ...good, id: "" },
        { ...good, id: 7 },
        { ...good, type: "daemon" },
        { ...good, modules: "Worker" },
        { ...good, modules: [1] },
        { ...good, significant: "yes" },
        { ...good, shutdown: 1.5 },
        { ...good, shutdown: Infinity },
        throwing
      ]
      const sup = yield* Supervisor.start([])
      const dyn = yield* DynamicSupervisor.start()
      for (const spec of specs) {
        const a = yield* Effect.flip(Supervisor.startChild(sup, anyOf(spec)))
        const b = yield* Effect.flip(DynamicSupervisor.startChild(dyn, anyOf(spec)))
        const c = yield* Effect.flip(Supervisor.start([anyOf(spec)]))
        for (const error of [a, b, c]) assert.strictEqual(error._tag, "InvalidChildSpec", JSON.stringify(Object.keys(spec as object)))
      }
      // A start that returns something else than a pid is a failed start.
      const notAPid = ChildSpec.worker("np", anyOf(Effect.succeed("a pid, honestly")))
      assert.strictEqual((yield* Effect.flip(Supervisor.startChild(sup, notAPid)))._tag, "StartChildFailed")
      assert.strictEqual((yield* Effect.flip(DynamicSupervisor.startChild(dyn, notAPid)))._tag, "StartChildFailed")
      // A spec function that throws, or returns no spec.
      assert.strictEqual((yield* Effect.flip(DynamicSupervisor.startChild(dyn, () => {
        throw new Error("no spec")
      })))._tag, "StartChildFailed")
      assert.strictEqual((yield* Effect.flip(DynamicSupervisor.startChild(dyn, anyOf(() => 42))))._tag, "InvalidChildSpec")
      // The public checks answer as the supervisors do, for any input.
      for (const spec of specs) assert.strictEqual(validate(spec)?._tag, "InvalidChildSpec")
      for (const list of [undefined, "a", { length: 1 }, [good, throwing]]) {
        assert.strictEqual(validateAll(anyOf(list))?._tag, "InvalidChildSpec")
      }
      assert.isTrue(yield* Process.isAlive(sup.pid!))
      assert.isTrue(yield* Process.isAlive(dyn.pid!))
      assert.deepStrictEqual(yield* Supervisor.countChildren(sup), { specs: 0, active: 0, supervisors: 0, workers: 0 })
      assert.deepStrictEqual((yield* DynamicSupervisor.countChildren(dyn)).specs, 0)
    })))
})

describe("one restart engine for both supervisors", () => {
  it.effect("DynamicSupervisor's default intensity is Elixir's: 3 restarts in 5 s", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* DynamicSupervisor.start()
      const ref = yield* Process.monitor(sup.pid!)
      yield* DynamicSupervisor.startChild(sup, worker({ id: "a", log }))
      yield* takeLog
      for (let i = 0; i < 3; i++) {
        const [child] = yield* DynamicSupervisor.whichChildren(sup)
        yield* crash(child!.pid as Pid.Pid)
        assert.deepStrictEqual(yield* nextLog, ["started", "a"])
      }
      const [child] = yield* DynamicSupervisor.whichChildren(sup)
      yield* crash(child!.pid as Pid.Pid)
      assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(ref) })).reason, ExitReason.shutdown())
    })))

  it.effect("both give up with OTP's reports: child_terminated, then reached_max_restart_intensity, the last one saying shutdown", () => {
    const giveUp = (start: (log: Pid.Pid) => Effect.Effect<Pid.Pid, unknown, Process.CurrentProcess | Node.Node>) => {
      const { effect, logs } = run(Effect.gen(function*() {
        const log = yield* Process.self
        const sup = yield* start(log)
        const ref = yield* Process.monitor(sup)
        const [child] = yield* takeLog
        assert.deepStrictEqual(child, ["started", "a"])
        const pid = (yield* Process.processes).find((p) => p !== log && p !== sup)!
        yield* crash(pid)
        yield* Process.receive({ match: isDownFor(ref) })
      }))
      return Effect.as(effect, logs)
    }
    return Effect.gen(function*() {
      const plain = yield* giveUp((log) =>
        Effect.map(Supervisor.start([worker({ id: "a", log })], { intensity: 0 }), (s) => s.pid!)
      )
      const dynamic = yield* giveUp((log) =>
        Effect.gen(function*() {
          const sup = yield* DynamicSupervisor.start({ intensity: 0 })
          yield* DynamicSupervisor.startChild(sup, worker({ id: "a", log }))
          return sup.pid!
        })
      )
      for (const logs of [plain, dynamic]) {
        const reports = logs.entries.filter((e) => e.annotations["report"] === "supervisor")
        assert.deepStrictEqual(
          reports.map((e) => [e.level, e.annotations["context"], e.annotations["reason"], e.annotations["action"]]),
          [
            ["Error", "child_terminated", "Crash", "restart"],
            ["Error", "shutdown", "reached_max_restart_intensity", "shutdown"]
          ]
        )
      }
    })
  })

  it.effect("a restart exactly one period after another counts with it, as OTP's add_restart (TestClock)", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      for (const kind of ["supervisor", "dynamic"] as const) {
        const sup = kind === "supervisor"
          ? (yield* Supervisor.start([worker({ id: "a", log })], { intensity: 1, period: "5 seconds" })).pid!
          : (yield* DynamicSupervisor.start({ intensity: 1, period: "5 seconds" })).pid!
        if (kind === "dynamic") yield* DynamicSupervisor.startChild(sup, worker({ id: "a", log }))
        const ref = yield* Process.monitor(sup)
        const pidOfA = Effect.map(
          kind === "supervisor" ? Supervisor.whichChildren(sup) : DynamicSupervisor.whichChildren(sup),
          (children) => children[0]!.pid as Pid.Pid
        )
        yield* takeLog
        yield* crash(yield* pidOfA)
        assert.deepStrictEqual(yield* nextLog, ["started", "a"])
        yield* TestClock.adjust("5 seconds")
        yield* crash(yield* pidOfA)
        assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(ref) })).reason, ExitReason.shutdown(), kind)
        yield* takeLog
      }
    })))

  it.effect("stopping a DynamicSupervisor stops each child against its own shutdown, not the longest (TestClock)", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* DynamicSupervisor.start()
      const quick = (yield* DynamicSupervisor.startChild(sup, worker({ id: "quick", log, slowStop: 60_000 }, { shutdown: 1000 })))!
      yield* DynamicSupervisor.startChild(sup, worker({ id: "patient", log, slowStop: 5000 }, { shutdown: 10_000 }))
      yield* takeLog
      const quickRef = yield* Process.monitor(quick)
      const ref = yield* Process.monitor(sup.pid!)
      yield* Process.spawn(DynamicSupervisor.stop(sup))
      yield* TestClock.adjust(1000)
      // "quick" is killed at its own 1 s, while "patient" goes on stopping.
      assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(quickRef) })).reason, ExitReason.killed)
      yield* TestClock.adjust(4000)
      assert.deepStrictEqual(yield* nextLog, ["stopped", "patient", "Shutdown"])
      yield* Process.receive({ match: isDownFor(ref) })
      assert.deepStrictEqual(yield* takeLog, [])
    })))

  it.effect("a child killed at its shutdown time gets OTP's shutdown_error report", () => {
    const { effect, logs } = run(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([worker({ id: "slow", log, slowStop: 60_000 }, { shutdown: 100 })])
      yield* takeLog
      const stopping = yield* Effect.forkChild(Supervisor.stop(sup))
      yield* TestClock.adjust(100)
      yield* Fiber.join(stopping)
    }))
    return Effect.gen(function*() {
      yield* effect
      const reports = logs.entries.filter((e) => e.annotations["context"] === "shutdown_error")
      assert.deepStrictEqual(reports.map((e) => [e.level, e.annotations["child"], e.annotations["reason"]]), [["Error", "slow", "Killed"]])
    })
  })

  it.effect("backoff still works through the engine: the restart waits, then counts", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([worker({ id: "a", log })], { backoff: Schedule.spaced("1 second"), intensity: 5 })
      yield* takeLog
      const [a] = yield* Supervisor.whichChildren(sup)
      yield* crash(a!.pid as Pid.Pid)
      assert.strictEqual((yield* Supervisor.whichChildren(sup))[0]!.pid, "restarting")
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* nextLog, ["started", "a"])
    })))
})

describe("tables keyed by user data take every Object.prototype name (class 5)", () => {
  it.effect("child ids: start, which, terminate, restart, getChildspec, delete, duplicate check", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start(prototypeNames.map((id) => worker({ id, log })), { intensity: 1000 })
      assert.deepStrictEqual((yield* Supervisor.whichChildren(sup)).map((c) => c.id), prototypeNames)
      for (const id of prototypeNames) {
        assert.strictEqual((yield* Supervisor.getChildspec(sup, id)).id, id)
        const pid = (yield* Supervisor.whichChildren(sup)).find((c) => c.id === id)!.pid as Pid.Pid
        assert.strictEqual(yield* GenServer.call(GenServer.ref(Worker, pid), Ping), id)
        yield* Supervisor.terminateChild(sup, id)
        assert.isDefined(yield* Supervisor.restartChild(sup, id))
        yield* Supervisor.terminateChild(sup, id)
        yield* Supervisor.deleteChild(sup, id)
        assert.strictEqual((yield* Effect.flip(Supervisor.getChildspec(sup, id)))._tag, "NotFound")
      }
      // Duplicates are found for these names too.
      const duplicate = yield* Effect.flip(Supervisor.start([worker({ id: "constructor", log }), worker({ id: "constructor", log })]))
      assert.isTrue(duplicate._tag === "InvalidChildSpec" && duplicate.field === "id")
      const unknown = yield* Effect.flip(Supervisor.terminateChild(sup, "hasOwnProperty"))
      assert.strictEqual(unknown._tag, "NotFound")
    })))

  it.effect("Registry keys, values and meta keys: register, lookup, keys, match, count, dispatch, meta, via", () =>
    inNode(Effect.gen(function*() {
      const unique = yield* Registry.start<string, string, "unique">({ name: "unique", keys: "unique" })
      const duplicate = yield* Registry.start<string, string, "duplicate">({ name: "duplicate", keys: "duplicate" })
      const self = yield* Process.self
      for (const key of prototypeNames) {
        assert.deepStrictEqual(yield* Registry.lookup(unique, key), [], key)
        assert.isTrue(Option.isNone(yield* Registry.meta(unique, key)), key)
        yield* Registry.register(unique, key, key)
        yield* Registry.register(duplicate, key, key)
        yield* Registry.register(duplicate, key, key)
        yield* Registry.putMeta(unique, key, key)
        assert.deepStrictEqual(yield* Registry.lookup(unique, key), [[self, key]])
        assert.deepStrictEqual(yield* Registry.match(duplicate, key, (v) => v === key), [[self, key], [self, key]])
        assert.deepStrictEqual(yield* Registry.meta(unique, key), Option.some(key))
        const again = yield* Effect.flip(Registry.register(unique, key, "other"))
        assert.strictEqual(again._tag, "AlreadyRegistered")
        let seen = 0
        yield* Registry.dispatch(duplicate, key, (entries) => Effect.sync(() => (seen = entries.length)))
        assert.strictEqual(seen, 2)
      }
      assert.strictEqual(yield* Registry.count(unique), prototypeNames.length)
      assert.strictEqual(yield* Registry.count(duplicate), prototypeNames.length * 2)
      assert.deepStrictEqual([...(yield* Registry.keys(unique, self))].sort(), [...prototypeNames].sort())
      for (const key of prototypeNames) yield* Registry.unregister(unique, key)
      assert.strictEqual(yield* Registry.count(unique), 0)
      // Via names under those keys: start, call by name, and the entry goes with the process.
      for (const key of prototypeNames) {
        const server = yield* GenServer.start(Worker, { id: key, log: self }, { name: Registry.via(unique, key) })
        assert.strictEqual(yield* GenServer.call(GenServer.ref(Worker, Registry.via(unique, key)), Ping), key)
        yield* GenServer.stop(server)
        assert.deepStrictEqual(yield* Registry.lookup(unique, key), [])
      }
    })))
})
