import { assert, describe, it } from "@effect/vitest"
import { Effect, Equal } from "effect"
import { TestClock } from "effect/testing"
import { DynamicSupervisor, ExitReason, GenServer, Node, Pid, Process, Registry, Supervisor } from "../index.js"
import { captureLogs, Exit, flakyWorker, nextLog, Ping, quiet, restartFailures, takeLog, worker, Worker } from "./support/workers.js"

const inNode = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()), quiet)

const isDownFor = (ref: Process.DownMessage["ref"]) => (m: unknown): m is Process.DownMessage =>
  Process.isDownMessage(m) && m.ref === ref

/** Makes a child exit and waits until it is down (its Exit is then in the supervisor's mailbox). */
const exitChild = (pid: Pid.Pid, how: "normal" | "shutdown" | "crash") =>
  Effect.gen(function*() {
    const ref = yield* Process.monitor(pid)
    const id = yield* GenServer.call(GenServer.ref(Worker, pid), Ping)
    yield* GenServer.cast(GenServer.ref(Worker, pid), Exit, { how })
    // its own ["stopped", id, tag] (other children's log entries stay queued)
    yield* Process.receive({ match: (m) => Array.isArray(m) && m[0] === "stopped" && m[1] === id })
    yield* Process.receive({ match: isDownFor(ref) })
  })

describe("DynamicSupervisor", () => {
  it.effect("starts children on demand; whichChildren and countChildren report them", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* DynamicSupervisor.start()
      assert.deepStrictEqual(yield* DynamicSupervisor.countChildren(sup), { specs: 0, active: 0, supervisors: 0, workers: 0 })
      const a = yield* DynamicSupervisor.startChild(sup, worker({ id: "a", log }))
      const b = yield* DynamicSupervisor.startChild(sup, worker({ id: "a", log }))
      assert.isFalse(Equal.equals(a, b))
      assert.deepStrictEqual(yield* takeLog, [["started", "a"], ["started", "a"]])
      const children = yield* DynamicSupervisor.whichChildren(sup)
      assert.deepStrictEqual(children.map((c) => c.pid), [a, b])
      assert.deepStrictEqual(yield* DynamicSupervisor.countChildren(sup), { specs: 2, active: 2, supervisors: 0, workers: 2 })
    })))

  it.effect("extra start arguments are passed to specs given as functions", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* DynamicSupervisor.start({ extraArguments: "pool-7" })
      yield* DynamicSupervisor.startChild(sup, (pool: string) => worker({ id: `${pool}/conn`, log }))
      assert.deepStrictEqual(yield* takeLog, [["started", "pool-7/conn"]])
    })))

  it.effect("maxChildren: a start past it is a typed error; the supervisor goes on", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* DynamicSupervisor.start({ maxChildren: 2 })
      yield* DynamicSupervisor.startChild(sup, worker({ id: "1", log }))
      const second = yield* DynamicSupervisor.startChild(sup, worker({ id: "2", log }))
      const error = yield* Effect.flip(DynamicSupervisor.startChild(sup, worker({ id: "3", log })))
      assert.instanceOf(error, DynamicSupervisor.MaxChildren)
      yield* DynamicSupervisor.terminateChild(sup, second!)
      assert.isDefined(yield* DynamicSupervisor.startChild(sup, worker({ id: "3", log })))
    })))

  it.effect("bad specs and failed starts are typed errors; ignore returns undefined and keeps nothing", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* DynamicSupervisor.start()
      const invalid = yield* Effect.flip(DynamicSupervisor.startChild(sup, { ...worker({ id: "x", log }), restart: "often" as never }))
      assert.isTrue(invalid._tag === "InvalidChildSpec" && invalid.field === "restart")
      const failed = yield* Effect.flip(DynamicSupervisor.startChild(sup, worker({ id: "f", log, init: "fail" })))
      assert.isTrue(failed._tag === "StartChildFailed" && failed.id === "f")
      assert.isUndefined(yield* DynamicSupervisor.startChild(sup, worker({ id: "i", log, init: "ignore" })))
      assert.deepStrictEqual((yield* DynamicSupervisor.countChildren(sup)).specs, 0)
      const notChild = yield* Effect.flip(DynamicSupervisor.terminateChild(sup, log))
      assert.instanceOf(notChild, DynamicSupervisor.NotAChild)
      const bad = yield* Effect.flip(DynamicSupervisor.start({ maxChildren: -1 }))
      assert.strictEqual(bad._tag, "BadArgument")
    })))

  it.effect("restart rules per child: permanent always, transient on crash, temporary never", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* DynamicSupervisor.start({ intensity: 10 })
      const p = (yield* DynamicSupervisor.startChild(sup, worker({ id: "p", log })))!
      const t = (yield* DynamicSupervisor.startChild(sup, worker({ id: "t", log }, { restart: "transient" })))!
      const tc = (yield* DynamicSupervisor.startChild(sup, worker({ id: "tc", log }, { restart: "transient" })))!
      const tmp = (yield* DynamicSupervisor.startChild(sup, worker({ id: "tmp", log }, { restart: "temporary" })))!
      yield* takeLog
      yield* exitChild(p, "normal")
      yield* exitChild(t, "shutdown")
      yield* exitChild(tc, "crash")
      yield* exitChild(tmp, "crash")
      const children = yield* DynamicSupervisor.whichChildren(sup)
      assert.deepStrictEqual(children.map((c) => c.id).sort(), ["p", "tc"])
      assert.isTrue(children.every((c) => typeof c.pid === "object" && !Equal.equals(c.pid, p) && !Equal.equals(c.pid, tc)))
      assert.deepStrictEqual((yield* takeLog).map(String).sort(), ["started,p", "started,tc"])
    })))

  it.effect("too many restarts: all children stopped and the supervisor exits with shutdown", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* DynamicSupervisor.start({ intensity: 1, period: "5 seconds" })
      const ref = yield* Process.monitor(sup.pid!)
      const a = (yield* DynamicSupervisor.startChild(sup, worker({ id: "a", log })))!
      yield* DynamicSupervisor.startChild(sup, worker({ id: "b", log }))
      yield* takeLog
      yield* exitChild(a, "crash")
      assert.deepStrictEqual(yield* nextLog, ["started", "a"])
      const a2 = (yield* DynamicSupervisor.whichChildren(sup)).find((c) => c.id === "a")!.pid as Pid.Pid
      yield* TestClock.adjust("4 seconds")
      yield* exitChild(a2, "crash")
      assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(ref) })).reason, ExitReason.shutdown())
      assert.deepStrictEqual(yield* takeLog, [["stopped", "b", "Shutdown"]])
      assert.strictEqual((yield* Process.processes).length, 1)
    })))

  it.effect("a restart whose start fails is tried again, each try counting against the intensity", () => {
    const logs = captureLogs()
    return Process.run(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* DynamicSupervisor.start({ intensity: 5 })
      const a = flakyWorker({ id: "a", log }, 2)
      const first = (yield* DynamicSupervisor.startChild(sup, a.spec))!
      yield* takeLog
      yield* exitChild(first, "crash")
      assert.deepStrictEqual(yield* nextLog, ["started", "a"])
      assert.strictEqual(a.starts(), 4)
      assert.strictEqual(restartFailures(logs, "a"), 2)
      const [child] = yield* DynamicSupervisor.whichChildren(sup)
      assert.isTrue(typeof child!.pid === "object" && !Equal.equals(child!.pid, first))
      yield* DynamicSupervisor.stop(sup)
      yield* takeLog

      // One that cannot start again: the tries exceed the intensity and the supervisor shuts down.
      const doomed = yield* DynamicSupervisor.start({ intensity: 2 })
      const ref = yield* Process.monitor(doomed.pid!)
      const d = flakyWorker({ id: "d", log }, Infinity)
      const pid = (yield* DynamicSupervisor.startChild(doomed, d.spec))!
      yield* takeLog
      yield* exitChild(pid, "crash")
      assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(ref) })).reason, ExitReason.shutdown())
      assert.strictEqual(d.starts(), 3)
      assert.strictEqual(restartFailures(logs, "d"), 2)
      assert.strictEqual((yield* Process.processes).length, 1)
    })).pipe(Effect.provide(Node.layer()), logs.provide)
  })

  it.effect("terminateChild honours the child's shutdown time, then kills (TestClock)", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* DynamicSupervisor.start()
      const slow = (yield* DynamicSupervisor.startChild(sup, worker({ id: "slow", log, slowStop: 10_000 }, { shutdown: 1000 })))!
      const ref = yield* Process.monitor(slow)
      yield* takeLog
      yield* Process.spawn(DynamicSupervisor.terminateChild(sup, slow))
      yield* TestClock.adjust("999 millis")
      assert.isTrue(yield* Process.isAlive(slow))
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(ref) })).reason, ExitReason.killed)
    })))

  it.effect("stopping it stops all children at once, each by its own shutdown time (TestClock)", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* DynamicSupervisor.start()
      for (let i = 0; i < 50; i++) {
        yield* DynamicSupervisor.startChild(sup, worker({ id: `w${i}`, log, slowStop: 1000 }, { shutdown: 2000 }))
      }
      yield* DynamicSupervisor.startChild(sup, worker({ id: "stuck", log, slowStop: 60_000 }, { shutdown: 2000 }))
      yield* takeLog
      const ref = yield* Process.monitor(sup.pid!)
      yield* Process.spawn(DynamicSupervisor.stop(sup))
      // Stopped together: all 50 finish after 1 s, not 50 s.
      yield* TestClock.adjust("1 second")
      const stopped: Array<unknown> = []
      for (let i = 0; i < 50; i++) stopped.push(yield* nextLog)
      assert.strictEqual(stopped.length, 50)
      // The stuck one is killed at 2 s.
      yield* TestClock.adjust("1 second")
      yield* Process.receive({ match: isDownFor(ref) })
      assert.deepStrictEqual(yield* takeLog, [])
      assert.strictEqual((yield* Process.processes).length, 1)
    })))

  it.effect("nests in a Supervisor through its child spec", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const top = yield* Supervisor.start([DynamicSupervisor.childSpec("pool", { maxChildren: 3 })])
      const [pool] = yield* Supervisor.whichChildren(top)
      assert.strictEqual(pool!.type, "supervisor")
      const pid = yield* DynamicSupervisor.startChild(pool!.pid as Pid.Pid, worker({ id: "c", log }))
      assert.isDefined(pid)
      yield* Supervisor.stop(top)
      assert.deepStrictEqual(yield* takeLog, [["started", "c"], ["stopped", "c", "Shutdown"]])
    })))

  it.effect("reports name the child that failed by its via name (a Registry key) or local name, and say when the supervisor gives up", () => {
    const logs = captureLogs()
    return Process.run(Effect.gen(function*() {
      const log = yield* Process.self
      const rooms = yield* Registry.start<string, undefined, "unique">({ name: "rooms", keys: "unique" })
      const sup = yield* DynamicSupervisor.start({ intensity: 1 })
      const ref = yield* Process.monitor(sup.pid!)
      const lobby = yield* DynamicSupervisor.startChild(sup, worker({ id: "room", log }, { name: Registry.via(rooms, "lobby") }))
      yield* DynamicSupervisor.startChild(sup, worker({ id: "room", log }, { name: Registry.via(rooms, "kitchen") }))
      const local = yield* DynamicSupervisor.startChild(sup, worker({ id: "room", log }, { name: "attic" }))
      yield* takeLog
      yield* exitChild(lobby!, "crash")
      yield* exitChild(local!, "crash")
      yield* Process.receive({ match: isDownFor(ref) })
      const reports = logs.entries.filter((e) => e.annotations["report"] === "supervisor")
      assert.deepStrictEqual(
        reports.map((e) => [e.message.split(" Crash(")[0], e.annotations["name"], e.annotations["context"]]),
        [
          ["child room named via(lobby) terminated (Crash)", "via(lobby)", "child_terminated"],
          ["child room named attic terminated (Crash)", "attic", "child_terminated"],
          ["supervisor shutting down: reached max restart intensity (last exit: child room named attic)", "attic", "shutdown"]
        ]
      )
      // The server's own terminate report names it by its via name too, as OTP's gen_server does.
      const servers = logs.entries.filter((e) => e.annotations["report"] === "gen_server").map((e) => e.message.split("\n")[0])
      assert.deepStrictEqual(servers, [
        `** Generic server via(lobby) (${lobby}) (Worker) terminating`,
        `** Generic server attic (${local}) (Worker) terminating`
      ])
    })).pipe(Effect.provide(Node.layer()), logs.provide)
  })
})
