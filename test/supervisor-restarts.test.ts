/**
 * Issue 15, class 1: a restart never fails because the process it replaces has not finished
 * dying. A supervisor's exit (killed, crashed, stopped) is seen by its parent only once its
 * children are gone, at any depth, with any strategy, with local names and `Registry.via`
 * names, whether the workers trap exits or not.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { ChildSpec, DynamicSupervisor, ExitReason, GenServer, Node, Pid, Process, Registry, Supervisor } from "../index.js"
import { captureLogs } from "./support/workers.js"

type Strategy = NonNullable<Supervisor.Options["strategy"]>
type Naming = "local" | "via"
type How = "kill" | "crash" | "shutdown"

const registry = Registry.ref<string, unknown, "unique">("names", "unique")

interface NamedArgs {
  readonly trap: boolean
  /** Who gets `["stopped", name]` from terminate (only a trapping worker runs it). */
  readonly log: Pid.Pid
  readonly name: string
  /** How long terminate takes, on the Clock. */
  readonly slowStop?: number | undefined
  /** Block in init until a message arrives. */
  readonly blockInit?: boolean | undefined
}

const Named = GenServer.make({
  name: "Named",
  init: (args: NamedArgs) =>
    Effect.gen(function*() {
      if (args.trap) yield* Process.trapExit(true)
      if (args.blockInit) yield* Process.receive({ match: (m) => m === "go" })
      return GenServer.ok(args)
    }),
  terminate: (_reason, args) =>
    Effect.gen(function*() {
      if (args.slowStop !== undefined) yield* Effect.sleep(args.slowStop)
      yield* Process.send(args.log, ["stopped", args.name])
    })
})

const nameOf = (naming: Naming, name: string) => naming === "local" ? name : Registry.via(registry, name)

const named = (naming: Naming, args: NamedArgs, options?: ChildSpec.Options) =>
  GenServer.childSpec(Named, args, { id: args.name, name: nameOf(naming, args.name), ...options })

/** Where a name points now. */
const whereis = (naming: Naming, name: string) =>
  naming === "local"
    ? Effect.map(Process.whereis(name), Option.getOrUndefined)
    : Effect.map(Registry.lookup(registry, name), (entries) => entries[0]?.[0])

const inNode = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) => {
  const logs = captureLogs()
  return Process.run(Effect.andThen(Registry.start({ name: "names", keys: "unique" }), body)).pipe(
    Effect.provide(Node.layer()),
    logs.provide
  )
}

/** One turn of the event loop (no time passes): lets the node's run queue go on. */
const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

const isDownFor = (ref: Process.DownMessage["ref"]) => (m: unknown): m is Process.DownMessage =>
  Process.isDownMessage(m) && m.ref === ref

const pidOf = (sup: Supervisor.Supervisor | Pid.Pid, id: string) =>
  Effect.map(Supervisor.whichChildren(sup), (children) => {
    const pid = children.find((c) => c.id === id)?.pid
    assert.isTrue(typeof pid === "object", `${id} runs`)
    return pid as Pid.Pid
  })

/** Ends `pid` as `how` says (a crash or a shutdown is a stop with that reason) and waits for its Down. */
const end = (pid: Pid.Pid, how: How) =>
  Effect.gen(function*() {
    const ref = yield* Process.monitor(pid)
    if (how === "kill") yield* Process.exit(pid, ExitReason.kill)
    else yield* Effect.forkDetach(Effect.ignore(Supervisor.stop(pid, how === "crash" ? ExitReason.fail("boom") : ExitReason.shutdown())))
    return (yield* Process.receive({ match: isDownFor(ref) })).reason
  })

/**
 * top (oneForOne unless given) -> mid (`strategy`) -> [m1, leaf (`strategy`) -> [w1, w2, w3]],
 * every worker named. Intensities are exactly the number of restarts each supervisor is allowed.
 */
const tree = (strategy: Strategy, naming: Naming, trap: boolean, log: Pid.Pid, restarts: number) => {
  const worker = (name: string) => named(naming, { trap, log, name })
  const leaf = Supervisor.childSpec("leaf", [worker("w1"), worker("w2"), worker("w3")], { strategy, intensity: 0 })
  const mid = Supervisor.childSpec("mid", [worker("m1"), leaf], { strategy, intensity: restarts })
  return Supervisor.start([mid], { intensity: restarts, period: "1 hour" })
}

/** Every name points at the worker the tree runs now, and nothing else is alive. */
const checkTree = (top: Supervisor.Supervisor, naming: Naming) =>
  Effect.gen(function*() {
    const mid = yield* pidOf(top, "mid")
    const leaf = yield* pidOf(mid, "leaf")
    const workers: Array<readonly [string, unknown]> = [
      ["m1", yield* pidOf(mid, "m1")],
      ...(yield* Supervisor.whichChildren(leaf)).map((c) => [c.id, c.pid] as const)
    ]
    assert.strictEqual(workers.length, 4)
    for (const [name, pid] of workers) assert.strictEqual(yield* whereis(naming, name), pid, `${name} points at the running worker`)
    // test process, registry, top, mid, m1, leaf, w1..w3
    assert.strictEqual((yield* Process.processes).length, 9)
  })

const strategies: ReadonlyArray<Strategy> = ["oneForOne", "oneForAll", "restForOne"]

describe("a restart never meets the names of the process it replaces", () => {
  for (const strategy of strategies) {
    for (const naming of ["local", "via"] as const) {
      for (const trap of [false, true]) {
        it.effect(`${strategy}, ${naming} names, workers ${trap ? "trapping" : "not trapping"}: kills at every depth`, () =>
          inNode(Effect.gen(function*() {
            const log = yield* Process.self
            const kills: ReadonlyArray<readonly ["mid" | "leaf", How]> = [
              ["mid", "kill"],
              ["leaf", "kill"],
              ["mid", "crash"],
              ["leaf", "shutdown"],
              ["mid", "kill"],
              ["mid", "shutdown"],
              ["leaf", "crash"],
              ["mid", "kill"]
            ]
            // top restarts mid for its 5 ends; mid restarts leaf at most 3 times between them.
            const top = yield* tree(strategy, naming, trap, log, 5)
            const topRef = yield* Process.monitor(top.pid!)
            for (const [target, how] of kills) {
              const mid = yield* pidOf(top, "mid")
              const pid = target === "mid" ? mid : yield* pidOf(mid, "leaf")
              yield* end(pid, how)
              yield* checkTree(top, naming)
            }
            assert.isTrue(Option.isNone(yield* Process.receive({ match: isDownFor(topRef), timeout: 0 })), "top is alive")
            yield* Supervisor.stop(top)
          })))
      }
    }
  }

  it.effect("a supervisor under a DynamicSupervisor, and a DynamicSupervisor under a supervisor", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      for (const naming of ["local", "via"] as const) {
        for (const trap of [false, true]) {
          // DynamicSupervisor -> sub (oneForOne) -> named workers.
          const dyn = yield* DynamicSupervisor.start({ intensity: 3, period: "1 hour" })
          const workers = [named(naming, { trap, log, name: "a" }), named(naming, { trap, log, name: "b" })]
          const sub = (yield* DynamicSupervisor.startChild(dyn, Supervisor.childSpec("sub", workers)))!
          for (let i = 0; i < 3; i++) {
            const [child] = yield* DynamicSupervisor.whichChildren(dyn)
            yield* end(child!.pid as Pid.Pid, "kill")
            const [again] = yield* DynamicSupervisor.whichChildren(dyn)
            assert.isTrue(typeof again!.pid === "object" && again!.pid !== sub, "the sub-supervisor was restarted")
            for (const c of yield* Supervisor.whichChildren(again!.pid as Pid.Pid)) {
              assert.strictEqual(yield* whereis(naming, c.id), c.pid)
            }
          }
          assert.isTrue(yield* Process.isAlive(dyn.pid!))
          yield* DynamicSupervisor.stop(dyn)

          // top -> DynamicSupervisor -> named workers: once its Down is seen, the names are free.
          const top = yield* Supervisor.start([DynamicSupervisor.childSpec("dyn", { intensity: 0 })], { intensity: 3, period: "1 hour" })
          for (let i = 0; i < 3; i++) {
            const inner = yield* pidOf(top, "dyn")
            yield* DynamicSupervisor.startChild(inner, named(naming, { trap, log, name: "c" }))
            yield* DynamicSupervisor.startChild(inner, named(naming, { trap, log, name: "d" }))
            yield* end(inner, "kill")
            assert.isUndefined(yield* whereis(naming, "c"))
            assert.isUndefined(yield* whereis(naming, "d"))
          }
          assert.isTrue(yield* Process.isAlive(top.pid!))
          yield* Supervisor.stop(top)
        }
      }
      // the test process and the registry
      assert.strictEqual((yield* Process.processes).length, 2)
    })))

  it("any schedule of kills, crashes and stops, with any strategy and naming (property)", () =>
    fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...strategies),
        fc.constantFrom<Naming>("local", "via"),
        fc.boolean(),
        fc.array(fc.tuple(fc.constantFrom("mid", "leaf", "w2"), fc.constantFrom<How>("kill", "crash", "shutdown")), {
          minLength: 1,
          maxLength: 10
        }),
        async (strategy, naming, trap, schedule) => {
          const result = await Effect.runPromise(inNode(Effect.gen(function*() {
            const log = yield* Process.self
            // top restarts mid once per end of mid, and once more per time mid gives up (its
            // intensity allows every restart of the schedule, so it never does).
            const midEnds = schedule.filter(([t]) => t === "mid").length
            const worker = (name: string) => named(naming, { trap, log, name })
            const leaf = Supervisor.childSpec("leaf", [worker("w1"), worker("w2"), worker("w3")], { strategy, intensity: schedule.length })
            const mid = Supervisor.childSpec("mid", [worker("m1"), leaf], { strategy, intensity: schedule.length })
            const top = yield* Supervisor.start([mid], { intensity: midEnds, period: "1 hour" })
            for (const [target, how] of schedule) {
              const midPid = yield* pidOf(top, "mid")
              const leafPid = yield* pidOf(midPid, "leaf")
              const pid = target === "mid" ? midPid : target === "leaf" ? leafPid : yield* pidOf(leafPid, "w2")
              if (target === "w2" && how !== "kill") {
                // A worker is not a supervisor: end it with an exit signal of that reason.
                const ref = yield* Process.monitor(pid)
                yield* Process.exit(pid, how === "crash" ? ExitReason.fail("boom") : ExitReason.shutdown())
                if (trap) {
                  // A trapping worker ignores a signal from a process that is not its parent.
                  yield* Process.demonitor(ref, { flush: true })
                  continue
                }
                yield* Process.receive({ match: isDownFor(ref) })
              } else {
                yield* end(pid, how)
              }
              yield* checkTree(top, naming)
            }
            return yield* Process.isAlive(top.pid!)
          })))
          return result
        }
      ),
      { numRuns: 60 }
    ))
})

/** Registers `extra` in init and again in terminate (a cleanup that takes a key on its way out). */
const Greedy = GenServer.make({
  name: "Greedy",
  init: (extra: string) =>
    Effect.gen(function*() {
      yield* Process.trapExit(true)
      yield* Registry.register(registry, extra, "init")
      return GenServer.ok(extra)
    }),
  handleInfo: (message, extra) =>
    message === "crash" ? Effect.die(new Error("crash")) : GenServer.noreply(extra),
  terminate: (_reason, extra) =>
    Effect.gen(function*() {
      yield* Registry.unregister(registry, extra)
      yield* Registry.register(registry, `${extra}/terminate`, "terminate")
      yield* Registry.register(registry, extra, "terminate")
    })
})

describe("a name or key held by the process being replaced never fails its restart", () => {
  it.effect("keys (and a via name) the old process registers during its terminate are gone before its restart", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* Supervisor.start([
        GenServer.childSpec(Greedy, "extra", { id: "g", name: Registry.via(registry, "g") })
      ], { intensity: 10 })
      for (let i = 0; i < 5; i++) {
        const old = yield* pidOf(sup, "g")
        const ref = yield* Process.monitor(old)
        yield* Process.send(old, "crash")
        yield* Process.receive({ match: isDownFor(ref) })
        const fresh = yield* pidOf(sup, "g")
        assert.notStrictEqual(fresh, old)
        assert.deepStrictEqual(yield* Registry.lookup(registry, "extra"), [[fresh, "init"]])
        assert.deepStrictEqual(yield* Registry.lookup(registry, "extra/terminate"), [])
        assert.strictEqual(yield* whereis("via", "g"), fresh)
      }
    })))

  it.effect("a named child killed in its init (start timeout) leaves its names free for the next try", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      let starts = 0
      const spec = ChildSpec.worker(
        "slow",
        Effect.suspend(() => {
          starts++
          // The first start blocks in init past its timeout: the supervisor's start kills it.
          return Effect.map(
            GenServer.startLink(Named, { trap: true, log, name: "slow", blockInit: starts === 1 }, {
              name: Registry.via(registry, "slow"),
              timeout: 100
            }),
            (server) => server.pid!
          )
        })
      )
      const sup = yield* Supervisor.start([], { intensity: 5 })
      const first = yield* Effect.forkChild(Effect.flip(Supervisor.startChild(sup, spec)))
      yield* TestClock.adjust(100)
      assert.strictEqual((yield* Fiber.join(first))._tag, "StartChildFailed")
      assert.isUndefined(yield* whereis("via", "slow"))
      const pid = yield* Supervisor.startChild(sup, spec)
      assert.strictEqual(yield* whereis("via", "slow"), pid)
    })))
})

describe("a killed supervisor stops its children before its exit is seen", () => {
  it.effect("each child by its own shutdown: a slow trapping child is killed when its time is up (TestClock)", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([
        named("local", { trap: true, log, name: "quick" }),
        named("local", { trap: true, log, name: "slow", slowStop: 60_000 }, { shutdown: 1000 }),
        named("local", { trap: true, log, name: "brutal", slowStop: 60_000 }, { shutdown: "brutalKill" }),
        named("local", { trap: true, log, name: "patient", slowStop: 3000 }, { shutdown: "infinity" })
      ])
      const ref = yield* Process.monitor(sup.pid!)
      yield* Process.exit(sup.pid!, ExitReason.kill)
      // The children trapping exits see their parent's Exit (killed) and run terminate.
      assert.deepStrictEqual(yield* Process.receive({ match: Array.isArray }), ["stopped", "quick"])
      const down = () => Process.receive({ match: isDownFor(ref), timeout: 0 })
      assert.isTrue(Option.isNone(yield* down()))
      assert.isDefined(yield* whereis("local", "slow"))
      yield* TestClock.adjust(1000)
      // "slow" was killed at its shutdown time; "patient" (infinity) is still stopping.
      assert.isUndefined(yield* whereis("local", "slow"))
      assert.isUndefined(yield* whereis("local", "brutal"))
      assert.isTrue(Option.isNone(yield* down()))
      yield* TestClock.adjust(2000)
      assert.deepStrictEqual(yield* Process.receive({ match: Array.isArray }), ["stopped", "patient"])
      const seen = yield* Process.receive({ match: isDownFor(ref) })
      assert.deepStrictEqual(seen.reason, ExitReason.killed)
      assert.strictEqual((yield* Process.processes).length, 2)
      // "brutal" and "slow" never finished terminate.
      assert.isTrue(Option.isNone(yield* Process.receive({ match: Array.isArray, timeout: 0 })))
    })))

  it.effect("a child whose start the supervisor was waiting for is stopped too (kill during a start)", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      for (const trap of [false, true]) {
        const dyn = yield* DynamicSupervisor.start()
        const ref = yield* Process.monitor(dyn.pid!)
        const starting = yield* Effect.forkChild(
          DynamicSupervisor.startChild(dyn, named("local", { trap, log, name: "blocked", blockInit: true }, { shutdown: 500 }))
        )
        // Until the child is in its init (the start request goes through the run queue).
        let blocked: Pid.Pid | undefined
        for (let i = 0; i < 100 && blocked === undefined; i++) {
          yield* turn
          blocked = yield* whereis("local", "blocked")
        }
        assert.isDefined(blocked, "the child is in its init")
        yield* Process.exit(dyn.pid!, ExitReason.kill)
        if (trap) {
          // Its init does not take the Exit: it is killed at its shutdown time.
          assert.isTrue(Option.isNone(yield* Process.receive({ match: isDownFor(ref), timeout: 0 })))
          yield* TestClock.adjust(500)
        }
        yield* Process.receive({ match: isDownFor(ref) })
        assert.isUndefined(yield* whereis("local", "blocked"))
        assert.isFalse(yield* Process.isAlive(blocked!))
        yield* Fiber.await(starting)
      }
    })))

  it.effect("a supervisor killed while it stops a child (terminateChild) still waits for that child", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const sup = yield* Supervisor.start([named("local", { trap: true, log, name: "slow", slowStop: 5000 }, { shutdown: 10_000 })])
      const ref = yield* Process.monitor(sup.pid!)
      const stopping = yield* Effect.forkChild(Effect.ignore(Supervisor.terminateChild(sup, "slow")))
      yield* TestClock.adjust(10)
      yield* Process.exit(sup.pid!, ExitReason.kill)
      yield* TestClock.adjust(10)
      assert.isTrue(Option.isNone(yield* Process.receive({ match: isDownFor(ref), timeout: 0 })))
      assert.isDefined(yield* whereis("local", "slow"))
      yield* TestClock.adjust(5000)
      yield* Process.receive({ match: isDownFor(ref) })
      assert.isUndefined(yield* whereis("local", "slow"))
      yield* Fiber.await(stopping)
    })))

  it.effect("an exit signal from a process that is neither parent nor child is ignored, as OTP's supervisor does", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      const top = yield* Supervisor.start([Supervisor.childSpec("mid", [named("local", { trap: false, log, name: "x" })])])
      const mid = yield* pidOf(top, "mid")
      yield* Process.exit(mid, ExitReason.fail("from outside"))
      yield* Process.exit(mid, ExitReason.shutdown())
      assert.strictEqual(yield* pidOf(top, "mid"), mid)
      assert.strictEqual(yield* pidOf(mid, "x"), yield* whereis("local", "x"))
    })))
})
