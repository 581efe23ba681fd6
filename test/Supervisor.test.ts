import { assert, describe, it } from "@effect/vitest"
import { Effect, Equal, LogLevel, References, Schedule } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { ChildSpec, Errors, ExitReason, GenServer, Node, Pid, Process, Supervisor } from "../index.js"
import { captureLogs, Exit, flakyWorker, nextLog, Ping, quiet, restartFailures, takeLog, worker, Worker } from "./support/workers.js"

const inNode = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()), quiet)

const isDownFor = (ref: Process.DownMessage["ref"]) => (m: unknown): m is Process.DownMessage =>
  Process.isDownMessage(m) && m.ref === ref

const pidOf = (sup: Supervisor.Supervisor | Pid.Pid, id: string) =>
  Effect.map(Supervisor.whichChildren(sup), (children) => children.find((c) => c.id === id)?.pid)

const crash = (sup: Supervisor.Supervisor | Pid.Pid, id: string, how: "normal" | "shutdown" | "crash" = "crash") =>
  Effect.gen(function*() {
    const pid = yield* pidOf(sup, id)
    assert.isTrue(pid !== undefined && pid !== "restarting", `${id} is running`)
    const ref = yield* Process.monitor(pid as Pid.Pid)
    yield* GenServer.cast(GenServer.ref(Worker, pid as Pid.Pid), Exit, { how })
    // The worker's own terminate reports first.
    const tag = how === "crash" ? "Crash" : how === "normal" ? "Normal" : "Shutdown"
    const own = yield* Process.receive({ match: (m) => Array.isArray(m) && m[0] === "stopped" && m[1] === id })
    assert.deepStrictEqual(own, ["stopped", id, tag])
    // Once it is down, its Exit signal is in the supervisor's mailbox, ahead of any later call.
    yield* Process.receive({ match: isDownFor(ref) })
    return pid as Pid.Pid
  })

describe("child specs", () => {
  it.effect("defaults follow OTP: permanent; 5000 ms for workers, infinity for supervisors", () =>
    Effect.sync(() => {
      const w = ChildSpec.worker("w", Effect.never)
      const s = ChildSpec.supervisor("s", Effect.never)
      assert.deepStrictEqual([w.restart, w.shutdown, w.type, w.significant], ["permanent", 5000, "worker", false])
      assert.deepStrictEqual([s.restart, s.shutdown, s.type], ["permanent", "infinity", "supervisor"])
    }))

  it.effect("a malformed spec is a typed error naming the child and the field, and nothing starts", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const good = worker({ id: "good", log })
      const cases: ReadonlyArray<readonly [ChildSpec.ChildSpec<never>, string, string]> = [
        [worker({ id: "good", log }), "good", "id"],
        [{ ...worker({ id: "r", log }), restart: "sometimes" as never }, "r", "restart"],
        [{ ...worker({ id: "s", log }), shutdown: -1 }, "s", "shutdown"],
        [{ ...worker({ id: "s2", log }), shutdown: "later" as never }, "s2", "shutdown"],
        [{ ...worker({ id: "p", log }), significant: true }, "p", "significant"]
      ]
      for (const [bad, id, field] of cases) {
        const error = yield* Effect.flip(Supervisor.start([good, bad]))
        assert.instanceOf(error, ChildSpec.InvalidChildSpec)
        assert.isTrue(error._tag === "InvalidChildSpec" && error.id === id && error.field === field, `${id}.${field}`)
      }
      const flags = yield* Effect.flip(Supervisor.start([good], { intensity: -1 }))
      assert.strictEqual(flags._tag, "BadArgument")
      assert.deepStrictEqual(yield* takeLog, [])
      assert.deepStrictEqual((yield* Process.processes).length, 1)
    })))
})

describe("starting", () => {
  it.effect("children start in order; whichChildren and countChildren report them", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([worker({ id: "a", log }), worker({ id: "b", log }), worker({ id: "c", log })])
      assert.deepStrictEqual(yield* takeLog, [["started", "a"], ["started", "b"], ["started", "c"]])
      const children = yield* Supervisor.whichChildren(sup)
      assert.deepStrictEqual(children.map((c) => c.id), ["a", "b", "c"])
      assert.isTrue(children.every((c) => typeof c.pid === "object" && c.type === "worker"))
      assert.deepStrictEqual(yield* Supervisor.countChildren(sup), { specs: 3, active: 3, supervisors: 0, workers: 3 })
      assert.deepStrictEqual(children[0]!.modules, ["Worker"])
    })))

  it.effect("a failing child makes the start fail with its id and reason, after stopping the started ones in reverse", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const error = yield* Effect.flip(Supervisor.start([
        worker({ id: "a", log }),
        worker({ id: "b", log }),
        worker({ id: "c", log, init: "fail" }),
        worker({ id: "d", log })
      ]))
      assert.strictEqual(error._tag, "InitFailed")
      const reason = (error as Errors.InitFailed).reason
      assert.isTrue(reason._tag === "Shutdown" && reason.reason instanceof Supervisor.FailedToStartChild)
      const failed = (reason as ExitReason.Shutdown).reason as Supervisor.FailedToStartChild
      assert.strictEqual(failed.id, "c")
      assert.strictEqual((failed.reason as Errors.InitFailed)._tag, "InitFailed")
      assert.deepStrictEqual(yield* takeLog, [
        ["started", "a"],
        ["started", "b"],
        ["stopped", "b", "Shutdown"],
        ["stopped", "a", "Shutdown"]
      ])
      assert.strictEqual((yield* Process.processes).length, 1)
    })))

  it.effect("a child whose start returns ignore is kept as not running (a temporary one is dropped)", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([
        worker({ id: "a", log, init: "ignore" }),
        worker({ id: "t", log, init: "ignore" }, { restart: "temporary" }),
        worker({ id: "b", log })
      ])
      const children = yield* Supervisor.whichChildren(sup)
      assert.deepStrictEqual(children.map((c) => [c.id, c.pid === undefined]), [["a", true], ["b", false]])
    })))
})

describe("strategies", () => {
  it.effect("oneForOne restarts only the child that exited", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([worker({ id: "a", log }), worker({ id: "b", log })], { intensity: 5 })
      yield* takeLog
      const a = yield* pidOf(sup, "a")
      const oldB = yield* crash(sup, "b")
      assert.deepStrictEqual(yield* nextLog, ["started", "b"])
      const newB = yield* pidOf(sup, "b")
      assert.isFalse(Equal.equals(oldB, newB))
      assert.isTrue(Equal.equals(a, yield* pidOf(sup, "a")))
      assert.strictEqual(yield* GenServer.call(GenServer.ref(Worker, newB as Pid.Pid), Ping), "b")
      assert.deepStrictEqual(yield* takeLog, [])
    })))

  it.effect("oneForAll stops the others in reverse order and restarts all in order", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start(
        [worker({ id: "a", log }), worker({ id: "b", log }), worker({ id: "c", log })],
        { strategy: "oneForAll", intensity: 5 }
      )
      yield* takeLog
      yield* crash(sup, "b")
      const entries: Array<unknown> = []
      for (let i = 0; i < 5; i++) entries.push(yield* nextLog)
      assert.deepStrictEqual(entries, [
        ["stopped", "c", "Shutdown"],
        ["stopped", "a", "Shutdown"],
        ["started", "a"],
        ["started", "b"],
        ["started", "c"]
      ])
    })))

  it.effect("restForOne restarts the child and those started after it", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start(
        [worker({ id: "a", log }), worker({ id: "b", log }), worker({ id: "c", log }), worker({ id: "d", log })],
        { strategy: "restForOne", intensity: 5 }
      )
      yield* takeLog
      const a = yield* pidOf(sup, "a")
      yield* crash(sup, "b")
      const entries: Array<unknown> = []
      for (let i = 0; i < 5; i++) entries.push(yield* nextLog)
      assert.deepStrictEqual(entries, [
        ["stopped", "d", "Shutdown"],
        ["stopped", "c", "Shutdown"],
        ["started", "b"],
        ["started", "c"],
        ["started", "d"]
      ])
      assert.isTrue(Equal.equals(a, yield* pidOf(sup, "a")))
    })))
})

describe("restart types", () => {
  it.effect("transient: restarted after a crash, not after normal or shutdown exits", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([
        worker({ id: "n", log }, { restart: "transient" }),
        worker({ id: "s", log }, { restart: "transient" }),
        worker({ id: "c", log }, { restart: "transient" })
      ], { intensity: 5 })
      yield* takeLog
      yield* crash(sup, "c")
      assert.deepStrictEqual(yield* nextLog, ["started", "c"])
      yield* crash(sup, "n", "normal")
      yield* crash(sup, "s", "shutdown")
      // A call is handled after the Exit messages the supervisor already has.
      const children = yield* Supervisor.whichChildren(sup)
      assert.deepStrictEqual(children.map((c) => [c.id, c.pid === undefined]), [["n", true], ["s", true], ["c", false]])
      assert.deepStrictEqual(yield* takeLog, [])
      assert.strictEqual((yield* Supervisor.restartChild(sup, "n")) !== undefined, true)
    })))

  it.effect("temporary: never restarted and removed when it exits", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([worker({ id: "t", log }, { restart: "temporary" }), worker({ id: "p", log })])
      yield* takeLog
      yield* crash(sup, "t")
      assert.deepStrictEqual((yield* Supervisor.whichChildren(sup)).map((c) => c.id), ["p"])
      assert.deepStrictEqual(yield* takeLog, [])
    })))

  it.effect("permanent: restarted even after a normal exit", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([worker({ id: "p", log })])
      yield* takeLog
      yield* crash(sup, "p", "normal")
      assert.deepStrictEqual(yield* nextLog, ["started", "p"])
    })))
})

describe("intensity", () => {
  it.effect("more restarts than the intensity within the period stop the children in reverse and exit shutdown", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([worker({ id: "a", log }), worker({ id: "b", log }), worker({ id: "c", log })])
      const ref = yield* Process.monitor(sup.pid!)
      yield* takeLog
      yield* crash(sup, "b")
      assert.deepStrictEqual(yield* nextLog, ["started", "b"])
      yield* crash(sup, "b")
      const down = yield* Process.receive({ match: isDownFor(ref) })
      assert.deepStrictEqual(down.reason, ExitReason.shutdown())
      assert.deepStrictEqual(yield* takeLog, [["stopped", "c", "Shutdown"], ["stopped", "a", "Shutdown"]])
      assert.strictEqual((yield* Process.processes).length, 1)
    })))

  it.effect("restarts spread wider than the period never exceed it (TestClock)", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([worker({ id: "a", log })], { intensity: 1, period: "5 seconds" })
      yield* takeLog
      for (let i = 0; i < 4; i++) {
        yield* crash(sup, "a")
        assert.deepStrictEqual(yield* nextLog, ["started", "a"])
        yield* TestClock.adjust("5001 millis")
      }
      assert.isTrue(yield* Process.isAlive(sup.pid!))
    })))

  it.effect("intensity 0: the first exit of a permanent child shuts the supervisor down", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([worker({ id: "a", log })], { intensity: 0 })
      const ref = yield* Process.monitor(sup.pid!)
      yield* takeLog
      yield* crash(sup, "a")
      assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(ref) })).reason, ExitReason.shutdown())
    })))

  it.effect("a restart whose start fails is tried again after the queued messages, each try counting against the intensity", () => {
    const logs = captureLogs()
    return Process.run(Effect.gen(function*() {
      const log = yield* Process.self
      // oneForOne: two failed tries, then the child runs again.
      const a = flakyWorker({ id: "a", log }, 2)
      const sup = yield* Supervisor.start([a.spec], { intensity: 5 })
      yield* takeLog
      yield* crash(sup, "a")
      assert.deepStrictEqual(yield* nextLog, ["started", "a"])
      assert.strictEqual(a.starts(), 4)
      assert.strictEqual(restartFailures(logs, "a"), 2)
      assert.isTrue(typeof (yield* pidOf(sup, "a")) === "object")
      yield* Supervisor.stop(sup)
      yield* takeLog

      // oneForAll: the sibling waits (not running) while the tries fail, then both start in order.
      const b = flakyWorker({ id: "b", log }, 1)
      const all = yield* Supervisor.start([b.spec, worker({ id: "c", log })], { strategy: "oneForAll", intensity: 5 })
      yield* takeLog
      yield* crash(all, "b")
      assert.deepStrictEqual(yield* nextLog, ["stopped", "c", "Shutdown"])
      assert.deepStrictEqual(yield* nextLog, ["started", "b"])
      assert.deepStrictEqual(yield* nextLog, ["started", "c"])
      assert.strictEqual(b.starts(), 3)
      assert.strictEqual(restartFailures(logs, "b"), 1)
      yield* Supervisor.stop(all)
      yield* takeLog

      // A child that cannot start again: the tries exceed the intensity (2) and the supervisor
      // shuts down, as OTP's does; it does not retry forever.
      const d = flakyWorker({ id: "d", log }, Infinity)
      const doomed = yield* Supervisor.start([d.spec], { intensity: 2 })
      const ref = yield* Process.monitor(doomed.pid!)
      yield* takeLog
      yield* crash(doomed, "d")
      assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(ref) })).reason, ExitReason.shutdown())
      assert.strictEqual(d.starts(), 3)
      assert.strictEqual(restartFailures(logs, "d"), 2)
      assert.strictEqual((yield* Process.processes).length, 1)
    })).pipe(Effect.provide(Node.layer()), logs.provide)
  })

  it.effect("a group restart that fails marks only the failed child restarting; an ignored sibling is not running, and restartChild starts it (OTP's restart_multiple_children)", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      // w1 runs once, then its starts return ignore; w2 runs once, then fails one start.
      let w1Starts = 0
      const w1 = ChildSpec.worker(
        "w1",
        Effect.suspend(() =>
          Effect.map(
            GenServer.startLink(Worker, { id: "w1", log, init: ++w1Starts === 1 ? "ok" : "ignore" }),
            (server) => server.pid!
          )
        )
      )
      const w2 = flakyWorker({ id: "w2", log }, 1)
      const sup = yield* Supervisor.start([w1, w2.spec], { strategy: "restForOne", intensity: 5 })
      yield* takeLog
      yield* crash(sup, "w1")
      // The restart starts w1 (it ignores) and w2 (it fails); the retry is a restart of w2's own
      // group (restForOne: w2 and after), where w2 starts.
      assert.deepStrictEqual(yield* nextLog, ["stopped", "w2", "Shutdown"])
      assert.deepStrictEqual(yield* nextLog, ["started", "w2"])
      assert.strictEqual(w2.starts(), 3)
      assert.strictEqual(w1Starts, 2)
      assert.strictEqual(yield* pidOf(sup, "w1"), undefined)
      assert.isTrue(typeof (yield* pidOf(sup, "w2")) === "object")
      // Not restarting: restartChild may start it (and it ignores once more: still not running).
      assert.strictEqual(yield* Supervisor.restartChild(sup, "w1"), undefined)
      assert.strictEqual(w1Starts, 3)
      yield* Supervisor.stop(sup)
    })))

  it("the supervisor gives up exactly when more than `intensity` restarts fall within `period` (property)", () =>
    fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }),
        // Gaps that often add up to exactly the period, so the boundary is tried.
        fc.array(fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.constantFrom(1000, 2500, 5000)), { minLength: 1, maxLength: 8 }),
        async (intensity, gaps) => {
          // The rule, as a sliding window over the crash times.
          const period = 5000
          const times: Array<number> = []
          let t = 0
          let expected = -1
          gaps.forEach((gap, i) => {
            t += gap
            if (expected >= 0) return
            times.push(t)
            // OTP's add_restart keeps a restart exactly `period` old: the window is [t - period, t].
            if (times.filter((x) => x >= t - period).length > intensity) expected = i
          })
          const observed = await Effect.runPromise(Process.run(Effect.gen(function*() {
            const log = yield* Process.self
            const sup = yield* Supervisor.start([worker({ id: "a", log })], { intensity, period })
            const ref = yield* Process.monitor(sup.pid!)
            yield* takeLog
            for (let i = 0; i < gaps.length; i++) {
              yield* TestClock.adjust(gaps[i]!)
              yield* crash(sup, "a")
              const next = yield* Process.receive({ match: (m) => Array.isArray(m) || isDownFor(ref)(m) })
              if (Process.isDownMessage(next)) return i
            }
            return -1
          })).pipe(Effect.provide(Node.layer()), Effect.provide(TestClock.layer()), quiet))
          return observed === expected
        }
      ),
      { numRuns: 100 }
    ))
})

describe("shutdown", () => {
  it.effect("a child slower than its shutdown time is killed when the time is up (TestClock)", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([worker({ id: "slow", log, slowStop: 10_000 }, { shutdown: 2000 })])
      const slow = (yield* pidOf(sup, "slow")) as Pid.Pid
      const slowRef = yield* Process.monitor(slow)
      yield* takeLog
      // Terminate from another process: this one moves the clock meanwhile.
      yield* Process.spawn(Effect.gen(function*() {
        yield* Supervisor.terminateChild(sup, "slow")
        yield* Process.send(log, ["terminated"])
      }))
      yield* TestClock.adjust("1999 millis")
      assert.isTrue(yield* Process.isAlive(slow))
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(slowRef) })).reason, ExitReason.killed)
      assert.deepStrictEqual(yield* nextLog, ["terminated"])
      assert.deepStrictEqual(yield* takeLog, [])
    })))

  it.effect("a child that stops in time is not killed; infinity waits as long as it takes", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([
        worker({ id: "quick", log, slowStop: 1000 }, { shutdown: 2000 }),
        worker({ id: "patient", log, slowStop: 60_000 }, { shutdown: "infinity" })
      ])
      yield* takeLog
      yield* Process.spawn(Effect.gen(function*() {
        yield* Supervisor.terminateChild(sup, "patient")
        yield* Supervisor.terminateChild(sup, "quick")
        yield* Process.send(log, ["done"])
      }))
      yield* TestClock.adjust("60 seconds")
      assert.deepStrictEqual(yield* nextLog, ["stopped", "patient", "Shutdown"])
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* nextLog, ["stopped", "quick", "Shutdown"])
      assert.deepStrictEqual(yield* nextLog, ["done"])
    })))

  it.effect("brutalKill kills at once: terminate does not run", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([worker({ id: "k", log }, { shutdown: "brutalKill" })])
      const k = (yield* pidOf(sup, "k")) as Pid.Pid
      const ref = yield* Process.monitor(k)
      yield* takeLog
      yield* Supervisor.terminateChild(sup, "k")
      assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(ref) })).reason, ExitReason.killed)
      assert.deepStrictEqual(yield* takeLog, [])
    })))

  it.effect("stopping the supervisor stops the children in reverse start order, then it exits", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([worker({ id: "a", log }), worker({ id: "b", log }), worker({ id: "c", log })])
      yield* takeLog
      yield* Supervisor.stop(sup)
      assert.deepStrictEqual(yield* takeLog, [
        ["stopped", "c", "Shutdown"],
        ["stopped", "b", "Shutdown"],
        ["stopped", "a", "Shutdown"]
      ])
      assert.isFalse(yield* Process.isAlive(sup.pid!))
    })))

  it("shutdown order is the reverse of start order and nothing is left, for any tree (property)", () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("worker", "supervisor"), { minLength: 1, maxLength: 8 }),
        fc.constantFrom("oneForOne", "oneForAll", "restForOne"),
        async (kinds, strategy) => {
          const ok = await Effect.runPromise(Process.run(Effect.gen(function*() {
            const log = yield* Process.self
            const specs = kinds.map((kind, i) =>
              kind === "worker"
                ? worker({ id: `w${i}`, log })
                : Supervisor.childSpec(`s${i}`, [worker({ id: `s${i}.x`, log }), worker({ id: `s${i}.y`, log })])
            )
            const sup = yield* Supervisor.start(specs, { strategy })
            const started = (yield* takeLog).map((e) => (e as Array<string>)[1])
            yield* Supervisor.stop(sup, ExitReason.shutdown())
            const stopped = (yield* takeLog).map((e) => (e as Array<string>)[1])
            const left = (yield* Process.processes).length - 1
            return JSON.stringify(stopped) === JSON.stringify([...started].reverse()) && left === 0
          })).pipe(Effect.provide(Node.layer()), quiet))
          return ok
        }
      ),
      { numRuns: 50 }
    ))
})

describe("management", () => {
  it.effect("startChild, terminateChild, restartChild, deleteChild, getChildspec and their errors", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([])
      const spec = worker({ id: "x", log })
      const pid = yield* Supervisor.startChild(sup, spec)
      assert.isDefined(pid)
      const started = yield* Effect.flip(Supervisor.startChild(sup, spec))
      assert.isTrue(started._tag === "AlreadyStarted" && Equal.equals(started.pid, pid))
      assert.deepInclude(yield* Effect.flip(Supervisor.restartChild(sup, "x")), { _tag: "NotStopped", state: "running" })
      assert.deepInclude(yield* Effect.flip(Supervisor.deleteChild(sup, "x")), { _tag: "NotStopped", state: "running" })
      yield* Supervisor.terminateChild(sup, "x")
      assert.strictEqual((yield* Effect.flip(Supervisor.startChild(sup, spec)))._tag, "AlreadyPresent")
      assert.strictEqual((yield* Supervisor.getChildspec(sup, "x")).id, "x")
      const again = yield* Supervisor.restartChild(sup, "x")
      assert.isFalse(Equal.equals(again, pid))
      yield* Supervisor.terminateChild(sup, "x")
      yield* Supervisor.deleteChild(sup, "x")
      const ops: ReadonlyArray<Effect.Effect<unknown, unknown>> = [
        Supervisor.terminateChild(sup, "x"),
        Supervisor.restartChild(sup, "x"),
        Supervisor.deleteChild(sup, "x"),
        Supervisor.getChildspec(sup, "x")
      ]
      for (const op of ops) {
        const error = yield* Effect.flip(op)
        assert.instanceOf(error, Supervisor.NotFound)
      }
      const invalid = yield* Effect.flip(Supervisor.startChild(sup, { ...spec, id: "y", shutdown: -5 }))
      assert.isTrue(invalid._tag === "InvalidChildSpec" && invalid.field === "shutdown")
      const failed = yield* Effect.flip(Supervisor.startChild(sup, worker({ id: "z", log, init: "fail" })))
      assert.isTrue(failed._tag === "StartChildFailed" && failed.id === "z")
      assert.isUndefined(yield* Supervisor.startChild(sup, worker({ id: "i", log, init: "ignore" })))
      assert.deepStrictEqual(yield* Supervisor.countChildren(sup), { specs: 1, active: 0, supervisors: 0, workers: 1 })
      // The supervisor survived every bad request.
      assert.isTrue(yield* Process.isAlive(sup.pid!))
    })))

  it.effect("a management call to a dead supervisor is NoProc", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* Supervisor.start([])
      yield* Supervisor.stop(sup)
      const error = yield* Effect.flip(Supervisor.whichChildren(sup))
      assert.strictEqual(error._tag, "NoProc")
    })))
})

describe("significant children and autoShutdown", () => {
  it.effect("anySignificant: the supervisor shuts down when a significant child exits for good", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([
        worker({ id: "other", log }),
        worker({ id: "main", log }, { restart: "transient", significant: true })
      ], { autoShutdown: "anySignificant" })
      const ref = yield* Process.monitor(sup.pid!)
      yield* takeLog
      yield* crash(sup, "main", "normal")
      assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(ref) })).reason, ExitReason.shutdown())
      assert.deepStrictEqual(yield* takeLog, [["stopped", "other", "Shutdown"]])
    })))

  it.effect("allSignificant: only when all significant children have exited; a restarted one does not count", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([
        worker({ id: "a", log }, { restart: "transient", significant: true }),
        worker({ id: "b", log }, { restart: "temporary", significant: true })
      ], { autoShutdown: "allSignificant", intensity: 5 })
      const ref = yield* Process.monitor(sup.pid!)
      yield* takeLog
      yield* crash(sup, "a")
      assert.deepStrictEqual(yield* nextLog, ["started", "a"])
      yield* crash(sup, "a", "shutdown")
      assert.isTrue(yield* Process.isAlive(sup.pid!))
      yield* crash(sup, "b", "normal")
      assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(ref) })).reason, ExitReason.shutdown())
    })))

  it.effect("terminateChild of a significant child is no exit by itself: no auto-shutdown; it still counts as gone for allSignificant (OTP)", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const any = yield* Supervisor.start([
        worker({ id: "a", log }, { restart: "transient", significant: true }),
        worker({ id: "b", log }, { restart: "temporary", significant: true })
      ], { autoShutdown: "anySignificant" })
      yield* Supervisor.terminateChild(any, "a")
      assert.isTrue(yield* Process.isAlive(any.pid!))
      yield* takeLog

      const all = yield* Supervisor.start([
        worker({ id: "a", log }, { restart: "transient", significant: true }),
        worker({ id: "b", log }, { restart: "temporary", significant: true })
      ], { autoShutdown: "allSignificant" })
      const ref = yield* Process.monitor(all.pid!)
      yield* Supervisor.terminateChild(all, "a")
      assert.isTrue(yield* Process.isAlive(all.pid!))
      yield* takeLog
      yield* crash(all, "b", "normal")
      assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(ref) })).reason, ExitReason.shutdown())
    })))
})

describe("nesting", () => {
  it.effect("restarts inside a child supervisor are invisible above it until its intensity is exceeded", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const top = yield* Supervisor.start([
        worker({ id: "sibling", log }),
        Supervisor.childSpec("inner", [worker({ id: "leaf", log })], { intensity: 1 })
      ], { intensity: 3 })
      yield* takeLog
      const inner = (yield* pidOf(top, "inner")) as Pid.Pid
      const sibling = yield* pidOf(top, "sibling")
      yield* crash(inner, "leaf")
      assert.deepStrictEqual(yield* nextLog, ["started", "leaf"])
      assert.isTrue(Equal.equals(inner, yield* pidOf(top, "inner")))
      // A second crash within the period exceeds the inner supervisor: the top one restarts it.
      yield* crash(inner, "leaf")
      assert.deepStrictEqual(yield* nextLog, ["started", "leaf"])
      const newInner = yield* pidOf(top, "inner")
      assert.isFalse(Equal.equals(inner, newInner))
      assert.isTrue(Equal.equals(sibling, yield* pidOf(top, "sibling")))
      assert.deepStrictEqual(yield* Supervisor.countChildren(top), { specs: 2, active: 2, supervisors: 1, workers: 1 })
    })))
})

describe("backoff", () => {
  it.effect("a Schedule delays each restart; the child shows as restarting meanwhile (TestClock)", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([worker({ id: "a", log })], {
        intensity: 10,
        period: "1 minute",
        backoff: Schedule.exponential("100 millis")
      })
      yield* takeLog
      yield* crash(sup, "a")
      assert.deepStrictEqual((yield* Supervisor.whichChildren(sup))[0]!.pid, "restarting")
      assert.deepInclude(yield* Effect.flip(Supervisor.restartChild(sup, "a")), { _tag: "NotStopped", state: "restarting" })
      yield* TestClock.adjust("99 millis")
      assert.deepStrictEqual(yield* takeLog, [])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* nextLog, ["started", "a"])
      yield* crash(sup, "a")
      yield* TestClock.adjust("199 millis")
      assert.deepStrictEqual(yield* takeLog, [])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* nextLog, ["started", "a"])
    })))
})

describe("any crash schedule", () => {
  it("permanent children are always running once the supervisor settles; exited temporary ones are gone (property)", () =>
    fc.assert(
      fc.asyncProperty(
        fc.constantFrom("oneForOne", "oneForAll", "restForOne"),
        fc.array(fc.constantFrom("permanent", "transient", "temporary"), { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom("normal", "shutdown", "crash")), { maxLength: 12 }),
        async (strategy, restarts, crashes) => {
          const result = await Effect.runPromise(Process.run(Effect.gen(function*() {
            const log = yield* Process.self
            const sup = yield* Supervisor.start(
              restarts.map((restart, i) => worker({ id: `c${i}`, log }, { restart })),
              { strategy, intensity: 1000 }
            )
            yield* takeLog
            const gone = new Set<string>()
            for (const [pick, how] of crashes) {
              const running = (yield* Supervisor.whichChildren(sup)).filter((c) => typeof c.pid === "object")
              // Restarted children reported during their init, before the reply above.
              yield* takeLog
              if (running.length === 0) break
              const target = running[pick % running.length]!
              yield* crash(sup, target.id, how)
              if (restarts[Number(target.id.slice(1))] === "temporary") gone.add(target.id)
            }
            const children = yield* Supervisor.whichChildren(sup)
            const permanentDown = restarts.some((r, i) =>
              r === "permanent" && typeof children.find((c) => c.id === `c${i}`)?.pid !== "object"
            )
            const temporaryKept = children.some((c) => gone.has(c.id))
            yield* Supervisor.stop(sup)
            const left = (yield* Process.processes).length - 1
            return !permanentDown && !temporaryKept && left === 0
          })).pipe(Effect.provide(Node.layer()), quiet))
          return result
        }
      ),
      { numRuns: 100 }
    ))
})

describe("supervisor reports", () => {
  it.effect("an abnormal child exit is logged as an error report: supervisor, child, pid, reason, action", () => {
    const logs = captureLogs()
    return Process.run(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([worker({ id: "a", log }), worker({ id: "b", log }, { restart: "transient" })], { intensity: 1 })
      yield* takeLog
      const a = yield* crash(sup, "a")
      yield* nextLog
      yield* crash(sup, "b", "shutdown")
      yield* Supervisor.whichChildren(sup)
      const reports = logs.entries.filter((e) => e.annotations["report"] === "supervisor")
      assert.strictEqual(reports.length, 1)
      assert.strictEqual(reports[0]!.level, "Error")
      assert.deepStrictEqual(
        reports[0]!.annotations,
        {
          report: "supervisor",
          supervisor: String(sup.pid),
          child: "a",
          pid: String(a),
          reason: "Crash",
          action: "restart",
          context: "child_terminated"
        }
      )
      assert.include(reports[0]!.message, "child a terminated (Crash)")
      assert.include(reports[0]!.message, "a crashed")
      // Exceeding the intensity is reported too.
      yield* crash(sup, "a")
      const ref = yield* Process.monitor(sup.pid!)
      yield* Process.receive({ match: isDownFor(ref) })
      const last = logs.entries.filter((e) => e.annotations["report"] === "supervisor").at(-1)!
      assert.deepStrictEqual([last.level, last.annotations["reason"], last.annotations["action"], last.annotations["context"]], [
        "Error",
        "reached_max_restart_intensity",
        "shutdown",
        "shutdown"
      ])
      assert.include(last.message, "reached max restart intensity")
    })).pipe(Effect.provide(Node.layer()), logs.provide)
  })

  it.effect("a report keeps the annotations the supervisor runs under, and follows the minimum log level", () => {
    const logs = captureLogs()
    const crashOnce = (minimum: LogLevel.LogLevel) =>
      Process.run(Effect.gen(function*() {
        const log = yield* Process.self
        const sup = yield* Supervisor.start([worker({ id: "a", log })], { intensity: 5 })
        yield* takeLog
        yield* crash(sup, "a")
        yield* nextLog
        yield* Supervisor.stop(sup)
      })).pipe(
        Effect.annotateLogs({ app: "shop", child: "shadowed by the report" }),
        Effect.provideService(References.MinimumLogLevel, minimum),
        Effect.provide(Node.layer()),
        logs.provide
      )
    return Effect.gen(function*() {
      yield* crashOnce("Info")
      const reports = logs.entries.filter((e) => e.annotations["report"] === "supervisor")
      assert.strictEqual(reports.length, 1)
      // The supervisor's own annotations come along; the report's win where both name a key.
      assert.strictEqual(reports[0]!.annotations["app"], "shop")
      assert.strictEqual(reports[0]!.annotations["child"], "a")
      // Progress reports are Debug: not written at Info, written at Debug.
      assert.isFalse(logs.entries.some((e) => e.annotations["report"] === "progress"))
      logs.entries.length = 0
      yield* crashOnce("Debug")
      const progress = logs.entries.filter((e) => e.annotations["report"] === "progress")
      assert.deepStrictEqual(progress.map((e) => [e.level, e.annotations["child"], e.annotations["app"]]), [
        ["Debug", "a", "shop"],
        ["Debug", "a", "shop"]
      ])
      // Above Error, no report at all.
      logs.entries.length = 0
      yield* crashOnce("Fatal")
      assert.deepStrictEqual(logs.entries, [])
    })
  })
})
