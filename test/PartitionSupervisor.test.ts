import { assert, describe, it } from "@effect/vitest"
import { Effect, Equal, Fiber, Option, Schedule, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import {
  ChildSpec,
  DynamicSupervisor,
  ExitReason,
  Gen,
  GenServer,
  Node,
  PartitionSupervisor,
  Pid,
  Process,
  StateMachine,
  Supervisor
} from "../index.js"
import { nextLog, quiet, takeLog, worker } from "./support/workers.js"

const inNode = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()), quiet)

const Which = Rpc.make("Which", { success: Schema.Number })
const Crash = Rpc.make("Crash", {})

/** A partition that knows its number (from its start arguments). */
const Part = GenServer.make({
  name: "Part",
  calls: [Which],
  casts: [Crash],
  init: (partition: number) => GenServer.ok(partition),
  handleCall: {
    Which: (_, partition) => GenServer.reply(partition, partition)
  },
  handleCast: { Crash: () => Effect.die(new Error("partition crashed")) }
})

const which = (name: PartitionSupervisor.Ref, key: unknown) =>
  GenServer.call(GenServer.ref(Part, PartitionSupervisor.via(name, key)), Which)

const startParts = (options?: Partial<PartitionSupervisor.Options>) =>
  PartitionSupervisor.start({
    name: "parts",
    child: [Part, -1],
    withArguments: (_args, partition) => partition,
    partitions: 3,
    ...options
  })

const whereis = (name: PartitionSupervisor.Ref, key: unknown) =>
  Effect.map(Gen.whereis(PartitionSupervisor.via(name, key)), Option.getOrUndefined)

/** Kills `pid` and waits until it is down: its Exit is then in the supervisor's mailbox, ahead of any later call. */
const kill = (pid: Pid.Pid) =>
  Effect.gen(function*() {
    const ref = yield* Process.monitor(pid)
    yield* Process.exit(pid, ExitReason.kill)
    yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
  })

const awaitDown = (pid: Pid.Pid) =>
  Effect.gen(function*() {
    const ref = yield* Process.monitor(pid)
    return yield* Process.receive({ match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === ref })
  })

describe("PartitionSupervisor.start", () => {
  it.effect("withArguments gives each partition its number; integer keys route by abs(key) % partitions (Elixir's test)", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* startParts()
      assert.strictEqual(yield* PartitionSupervisor.partitions("parts"), 3)
      assert.strictEqual(yield* which("parts", 0), 0)
      assert.strictEqual(yield* which("parts", 1), 1)
      assert.strictEqual(yield* which("parts", 2), 2)
      assert.strictEqual(yield* which("parts", 3), 0)
      assert.strictEqual(yield* which("parts", -1), 1)
      assert.strictEqual(yield* which("parts", -5), 2)
      assert.strictEqual(yield* which("parts", BigInt(-7)), 1)
      assert.strictEqual(yield* which("parts", 2 ** 53 + 2), (2 ** 53 + 2) % 3)
      // The handle and the pid route as the name does.
      assert.strictEqual(yield* which(sup, 4), 1)
      assert.strictEqual(yield* which(sup.pid, 5), 2)
      assert.strictEqual(yield* PartitionSupervisor.partitions(sup), 3)
    })))

  it.effect("the partitions are a supervisor's children: ids are the partition numbers, in order", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* startParts()
      const children = yield* PartitionSupervisor.whichChildren("parts")
      assert.deepStrictEqual(children.map((c) => c.partition), [0, 1, 2])
      for (const child of children) {
        assert.isTrue(Equal.equals(child.pid, yield* whereis("parts", child.partition)))
        assert.strictEqual(child.type, "worker")
        assert.deepStrictEqual(child.modules, ["Part"])
      }
      assert.deepStrictEqual((yield* Supervisor.whichChildren(sup.pid)).map((c) => c.id), ["0", "1", "2"])
      assert.deepStrictEqual(yield* PartitionSupervisor.countChildren(sup), { specs: 3, active: 3, supervisors: 0, workers: 3 })
    })))

  it.effect("partitions defaults to the logical cores the runtime reports (Elixir: schedulers online)", () =>
    inNode(Effect.gen(function*() {
      const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1
      yield* PartitionSupervisor.start({ name: "dflt", child: ChildSpec.worker("w", Process.spawnLink(Process.receive())) })
      assert.strictEqual(yield* PartitionSupervisor.partitions("dflt"), cores)
      assert.deepStrictEqual(yield* PartitionSupervisor.countChildren("dflt"), { specs: cores, active: cores, supervisors: 0, workers: cores })
    })))

  it.effect("DynamicSupervisor partitions, picked by a key per child (Elixir's test)", () =>
    inNode(Effect.gen(function*() {
      const Hold = GenServer.make({
        name: "Hold",
        calls: [Which],
        init: (n: number) => GenServer.ok(n),
        handleCall: { Which: (_, n) => GenServer.reply(n, n) }
      })
      yield* PartitionSupervisor.start({ name: "dyn", child: DynamicSupervisor.childSpec("dyn"), partitions: 4 })
      assert.deepStrictEqual(yield* PartitionSupervisor.countChildren("dyn"), { specs: 4, active: 4, supervisors: 4, workers: 0 })
      const keys = Array.from({ length: 100 }, (_, i) => i)
      for (const n of keys) {
        yield* DynamicSupervisor.startChild(PartitionSupervisor.via("dyn", `key-${n}`), GenServer.childSpec(Hold, n))
      }
      const held: Array<number> = []
      const used = new Set<number>()
      for (const partition of yield* PartitionSupervisor.whichChildren("dyn")) {
        for (const child of yield* DynamicSupervisor.whichChildren(partition.pid as Pid.Pid)) {
          held.push(yield* GenServer.call(GenServer.ref(Hold, child.pid as Pid.Pid), Which))
          used.add(partition.partition)
        }
      }
      assert.deepStrictEqual(held.sort((a, b) => a - b), keys)
      // String keys spread over the partitions.
      assert.strictEqual(used.size, 4)
    })))

  it.effect("a child spec runs in every partition; a function of the partition makes each one's spec", () =>
    inNode(Effect.gen(function*() {
      yield* PartitionSupervisor.start({ name: "same", child: GenServer.childSpec(Part, 7, { id: "ignored" }), partitions: 2 })
      assert.strictEqual(yield* which("same", 0), 7)
      assert.strictEqual(yield* which("same", 1), 7)
      yield* PartitionSupervisor.start({ name: "fn", child: (partition) => GenServer.childSpec(Part, partition * 10), partitions: 2 })
      assert.strictEqual(yield* which("fn", 0), 0)
      assert.strictEqual(yield* which("fn", 1), 10)
      assert.deepStrictEqual((yield* PartitionSupervisor.whichChildren("fn")).map((c) => c.partition), [0, 1])
    })))

  it.effect("a StateMachine module with its arguments", () =>
    inNode(Effect.gen(function*() {
      const Get = Rpc.make("Get", { success: Schema.Number })
      const Machine = StateMachine.make({
        name: "Machine",
        calls: [Get],
        init: (n: number) => StateMachine.ok("idle" as const, n),
        handleEvent: (event, _state, n) =>
          event._tag === "Call" ? StateMachine.keepStateAndData([StateMachine.reply(event.from, n)]) : StateMachine.keepStateAndData()
      })
      yield* PartitionSupervisor.start({ name: "sm", child: [Machine, 0], withArguments: (n, p) => n + p + 100, partitions: 2 })
      assert.strictEqual(yield* StateMachine.call(StateMachine.ref(Machine, PartitionSupervisor.via("sm", 1)), Get), 101)
    })))

  it.effect("a partition's init can route to the partitions started before it", () =>
    inNode(Effect.gen(function*() {
      const Chain = GenServer.make({
        name: "Chain",
        calls: [Which],
        init: (partition: number) =>
          partition === 0
            ? GenServer.ok(0)
            : Effect.map(GenServer.call(GenServer.ref(Part, PartitionSupervisor.via("chain", partition - 1)), Which), (n) => GenServer.ok(n + 1)),
        handleCall: { Which: (_, n) => GenServer.reply(n, n) }
      })
      yield* PartitionSupervisor.start({ name: "chain", child: [Chain, 0], withArguments: (_, p) => p, partitions: 3 })
      assert.strictEqual(yield* GenServer.call(GenServer.ref(Chain, PartitionSupervisor.via("chain", 2)), Which), 2)
    })))

  it.effect("the same key always reaches the same partition; integers by abs(key) % n, others spread (property)", () =>
    inNode(Effect.gen(function*() {
      // Routed through the handle: the property runs outside the node, where no name resolves.
      const sup = yield* startParts({ partitions: 5 })
      const pids = (yield* PartitionSupervisor.whichChildren("parts")).map((c) => c.pid)
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.oneof(fc.integer(), fc.string(), fc.double(), fc.array(fc.nat()), fc.dictionary(fc.string(), fc.nat())), async (key) => {
            const copy = structuredClone(key)
            const [a, b] = await Effect.runPromise(Effect.all([whereis(sup, key), whereis(sup, copy)]))
            if (!Equal.equals(a, b) || !pids.some((p) => Equal.equals(p, a))) return false
            return typeof key === "number" && Number.isInteger(key) ? Equal.equals(a, pids[Math.abs(key) % 5]) : true
          }),
          { numRuns: 200 }
        )
      )
      // A pid key (Elixir's `self()` example) routes by the pid's hash, stable for that pid.
      const self = yield* Process.self
      assert.isTrue(Equal.equals(yield* whereis("parts", self), yield* whereis("parts", self)))
    })))
})

describe("bad input", () => {
  it.effect("missing or malformed options are typed errors and nothing starts", () =>
    inNode(Effect.gen(function*() {
      const spec = GenServer.childSpec(Part, 0)
      const start = (options: unknown) => Effect.flip(PartitionSupervisor.start(options as any))
      const reasonOf = (e: { readonly _tag: string }) => (e as { reason?: unknown }).reason
      const cases: Array<[unknown, string]> = [
        [undefined, "the options must be an object"],
        [{ child: spec }, "the name option must be given"],
        [{ name: "x" }, "the child option must be given"],
        [{ name: 42, child: spec }, "the name option must be a name or a via name, got 42"],
        [{ name: "x", child: spec, partitions: 0 }, "the partitions option must be a positive integer, got 0"],
        [{ name: "x", child: spec, partitions: -2 }, "must be a positive integer"],
        [{ name: "x", child: spec, partitions: 1.5 }, "must be a positive integer"],
        [{ name: "x", child: spec, partitions: "2" }, "must be a positive integer"],
        [{ name: "x", child: [Part, 0], withArguments: 123 }, "the withArguments option must be a function"],
        [{ name: "x", child: spec, withArguments: (a: unknown) => a }, "withArguments option needs a child given as [module, args]"],
        [{ name: "x", child: [{}, 0] }, "needs a GenServer or StateMachine module"],
        [{ name: "x", child: 42 }, "the child option must be"],
        [{ name: "x", child: [Part, 0], withArguments: () => { throw new Error("boom") } }, "could not be made: boom"],
        [{ name: "x", child: () => { throw new Error("bang") } }, "could not be made: bang"]
      ]
      for (const [options, reason] of cases) {
        const error = yield* start(options)
        assert.strictEqual(error._tag, "BadArgument", reason)
        assert.include(String(reasonOf(error)), reason)
      }
      const invalid = yield* start({ name: "x", child: () => ({ ...spec, restart: "often" }) })
      assert.deepInclude(invalid, { _tag: "InvalidChildSpec", id: "0", field: "restart" })
      const notRecord = yield* start({ name: "x", child: () => "spec" })
      assert.deepInclude(notRecord, { _tag: "InvalidChildSpec", id: "0", field: "spec" })
      const significant = yield* start({ name: "x", child: { ...spec, restart: "transient", significant: true } })
      assert.deepInclude(significant, { _tag: "InvalidChildSpec", field: "significant" })
      const unreadable = yield* start({ name: "x", child: () => new Proxy({}, { get: () => { throw new Error("no") } }) })
      assert.deepInclude(unreadable, { _tag: "InvalidChildSpec", field: "spec" })
      assert.isTrue(Option.isNone(yield* Gen.whereis("x")))
    })))

  it.effect("a taken name is AlreadyStarted; the running one keeps its partitions", () =>
    inNode(Effect.gen(function*() {
      const first = yield* startParts()
      const error = yield* Effect.flip(startParts({ partitions: 5 }))
      assert.strictEqual(error._tag, "AlreadyStarted")
      assert.isTrue(error._tag === "AlreadyStarted" && Equal.equals(error.pid, first.pid))
      assert.strictEqual(yield* PartitionSupervisor.partitions("parts"), 3)
    })))

  it.effect("a partition that fails to start fails the start (InitFailed); the name stays free", () =>
    inNode(Effect.gen(function*() {
      const error = yield* Effect.flip(PartitionSupervisor.start({
        name: "broken",
        child: (p) => ChildSpec.worker("w", p === 1 ? Effect.fail("no") : Process.spawnLink(Process.receive())),
        partitions: 3
      }))
      assert.strictEqual(error._tag, "InitFailed")
      assert.isTrue(Option.isNone(yield* Gen.whereis("broken")))
      assert.strictEqual((yield* Effect.flip(PartitionSupervisor.partitions("broken")))._tag, "NoProc")
    })))

  it.effect("a via name of this module cannot name a new process: InitFailed, with a BadArgument", () =>
    inNode(Effect.gen(function*() {
      yield* startParts()
      const error = yield* Effect.flip(GenServer.start(Part, 0, { name: PartitionSupervisor.via("parts", 0) }))
      assert.strictEqual(error._tag, "InitFailed")
      assert.include(String(error), "cannot name a new process")
      assert.strictEqual(yield* which("parts", 0), 0)
    })))

  it.effect("routing through a name nobody has, or a key that cannot be hashed, is NoProc; a cast is dropped", () =>
    inNode(Effect.gen(function*() {
      assert.strictEqual((yield* Effect.flip(which("nobody", 1)))._tag, "NoProc")
      assert.strictEqual((yield* Effect.flip(PartitionSupervisor.partitions("nobody")))._tag, "NoProc")
      yield* GenServer.cast(GenServer.ref(Part, PartitionSupervisor.via("nobody", 1)), Crash)
      yield* startParts()
      const { proxy, revoke } = Proxy.revocable({}, {})
      revoke()
      assert.strictEqual((yield* Effect.flip(which("parts", proxy)))._tag, "NoProc")
      // A name that is no PartitionSupervisor.
      yield* Process.spawn(Process.receive(), { name: "plain" })
      assert.strictEqual((yield* Effect.flip(which("plain", 1)))._tag, "NoProc")
      // An untyped supervisor argument that is none: NoProc naming it, never a defect.
      for (const bad of [undefined, null, 42, Object.create(null)] as Array<any>) {
        const error = yield* Effect.flip(PartitionSupervisor.partitions(bad))
        assert.strictEqual(error._tag, "NoProc")
        assert.isString(error.message)
        assert.strictEqual((yield* Effect.flip(PartitionSupervisor.resize(bad, 1)))._tag, "NoProc")
      }
    })))
})

describe("faults", () => {
  it.effect("a crashed partition is restarted and via resolves to the new pid", () =>
    inNode(Effect.gen(function*() {
      yield* startParts()
      const before = (yield* whereis("parts", 1))!
      const others = [yield* whereis("parts", 0), yield* whereis("parts", 2)]
      yield* kill(before)
      const after = (yield* whereis("parts", 1))!
      assert.isFalse(Equal.equals(before, after))
      assert.strictEqual(yield* which("parts", 1), 1)
      assert.deepStrictEqual([yield* whereis("parts", 0), yield* whereis("parts", 2)], others)
      // A crash inside the partition (not a kill) too.
      const down = awaitDown(after)
      yield* GenServer.cast(GenServer.ref(Part, PartitionSupervisor.via("parts", 1)), Crash)
      yield* down
      assert.strictEqual(yield* which("parts", 4), 1)
      assert.isFalse(Equal.equals(yield* whereis("parts", 1), after))
    })))

  it("after any schedule of partition crashes and kills, the table holds each partition's running pid (property)", () =>
    fc.assert(
      fc.asyncProperty(
        fc.constantFrom("oneForOne", "oneForAll", "restForOne"),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 10 }),
        async (strategy, count, faults) => {
          const ok = await Effect.runPromise(Process.run(Effect.gen(function*() {
            yield* startParts({ strategy, partitions: count, intensity: 100 })
            for (const [pick, hard] of faults) {
              const pid = (yield* whereis("parts", pick))!
              const down = awaitDown(pid)
              if (hard) yield* Process.exit(pid, ExitReason.kill)
              else yield* GenServer.cast(GenServer.ref(Part, PartitionSupervisor.via("parts", pick)), Crash)
              yield* down
              // A call to the supervisor: its restarts for that exit are done when it answers.
              const children = yield* PartitionSupervisor.whichChildren("parts")
              for (const child of children) {
                if (!Equal.equals(child.pid, yield* whereis("parts", child.partition))) return false
                if ((yield* which("parts", child.partition + count)) !== child.partition) return false
              }
            }
            return true
          })).pipe(Effect.provide(Node.layer()), quiet))
          return ok
        }
      ),
      { numRuns: 50 }
    ))

  it.effect("between a crash and the restart a routed call is NoProc, then it reaches the new partition (backoff, TestClock)", () =>
    inNode(Effect.gen(function*() {
      yield* startParts({ backoff: Schedule.spaced("1 second"), intensity: 10 })
      const before = (yield* whereis("parts", 2))!
      yield* kill(before)
      // The supervisor has taken the Exit: the partition waits for its backoff.
      assert.strictEqual((yield* PartitionSupervisor.whichChildren("parts"))[2]!.pid, "restarting")
      const error = yield* Effect.flip(which("parts", 2))
      assert.strictEqual(error._tag, "NoProc")
      // The other partitions answer meanwhile.
      assert.strictEqual(yield* which("parts", 0), 0)
      yield* TestClock.adjust("999 millis")
      assert.strictEqual((yield* Effect.flip(which("parts", 2)))._tag, "NoProc")
      yield* TestClock.adjust("1 millis")
      yield* PartitionSupervisor.countChildren("parts")
      assert.strictEqual(yield* which("parts", 2), 2)
      assert.isFalse(Equal.equals(yield* whereis("parts", 2), before))
    })))

  it.effect("past the intensity the PartitionSupervisor goes down; its name is free, and a new one has its own table", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* startParts({ intensity: 1 })
      const down = awaitDown(sup.pid)
      yield* kill((yield* whereis("parts", 0))!)
      yield* kill((yield* whereis("parts", 0))!)
      const message = yield* down
      assert.deepStrictEqual(message.reason, ExitReason.shutdown())
      assert.isTrue(Option.isNone(yield* Gen.whereis("parts")))
      assert.strictEqual((yield* Effect.flip(which("parts", 0)))._tag, "NoProc")
      assert.strictEqual((yield* Effect.flip(PartitionSupervisor.partitions("parts")))._tag, "NoProc")
      // The old handle and pid name the dead supervisor: NoProc too.
      assert.strictEqual((yield* Effect.flip(which(sup, 0)))._tag, "NoProc")
      assert.strictEqual((yield* Effect.flip(PartitionSupervisor.partitions(sup)))._tag, "NoProc")
      assert.strictEqual((yield* Effect.flip(PartitionSupervisor.partitions(sup.pid)))._tag, "NoProc")
      assert.strictEqual((yield* Effect.flip(PartitionSupervisor.resize(sup, 1)))._tag, "NoProc")
      yield* startParts({ partitions: 2 })
      assert.strictEqual(yield* PartitionSupervisor.partitions("parts"), 2)
      assert.strictEqual(yield* which("parts", 3), 1)
    })))

  it.effect("in a tree: a killed PartitionSupervisor is restarted by its parent, with a fresh table", () =>
    inNode(Effect.gen(function*() {
      const spec = PartitionSupervisor.childSpec({ name: "parts", child: [Part, -1], withArguments: (_, p) => p, partitions: 2 })
      assert.strictEqual(spec.id, "parts")
      assert.strictEqual(spec.type, "supervisor")
      assert.strictEqual(spec.shutdown, "infinity")
      const top = yield* Supervisor.start([spec])
      const first = (yield* Gen.whereis("parts")).pipe(Option.getOrThrow)
      const partition = (yield* whereis("parts", 1))!
      const partitionDown = awaitDown(partition)
      yield* kill(first)
      yield* partitionDown
      yield* Supervisor.countChildren(top)
      const second = (yield* Gen.whereis("parts")).pipe(Option.getOrThrow)
      assert.isFalse(Equal.equals(first, second))
      assert.strictEqual(yield* which("parts", 1), 1)
      assert.isFalse(Equal.equals(yield* whereis("parts", 1), partition))
      // A childSpec's id is the name, or a via name's key; `id` overrides it.
      assert.strictEqual(PartitionSupervisor.childSpec({ name: "n", child: GenServer.childSpec(Part, 0), id: "mine" }).id, "mine")
      assert.strictEqual(PartitionSupervisor.childSpec({ name: Gen.via(memoryRegistry(), "k"), child: GenServer.childSpec(Part, 0) }).id, "k")
    })))

  it.effect("stop is synchronous: partitions stop first, then the name is free", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* startParts()
      const partition = (yield* whereis("parts", 0))!
      yield* PartitionSupervisor.stop("parts")
      assert.isFalse(yield* Process.isAlive(partition))
      assert.isFalse(yield* Process.isAlive(sup.pid))
      assert.isTrue(Option.isNone(yield* Gen.whereis("parts")))
      assert.strictEqual((yield* Effect.flip(PartitionSupervisor.stop("parts")))._tag, "NoProc")
    })))
})

/** A minimal via registry (a Map), to name a PartitionSupervisor by a via name. */
const memoryRegistry = (): Gen.ViaRegistry<string> => {
  const table = new Map<string, Pid.Pid>()
  return {
    registerName: (key, pid) =>
      Effect.sync(() => {
        const owner = table.get(key)
        if (owner) return Option.some(owner)
        table.set(key, pid)
        return Option.none()
      }),
    unregisterName: (key) => Effect.sync(() => void table.delete(key)),
    whereisName: (key) => Effect.sync(() => Option.fromUndefinedOr(table.get(key)))
  }
}

describe("via names", () => {
  it.effect("a PartitionSupervisor named through a via registry routes by that name (Elixir's test)", () =>
    inNode(Effect.gen(function*() {
      const name = Gen.via(memoryRegistry(), "parts")
      yield* startParts({ name })
      assert.strictEqual(yield* PartitionSupervisor.partitions(name), 3)
      assert.strictEqual(yield* which(name, 2), 2)
      yield* PartitionSupervisor.stop(name)
      assert.strictEqual((yield* Effect.flip(which(name, 2)))._tag, "NoProc")
    })))
})

describe("resize", () => {
  it.effect("shrinks and grows the routed partitions, up to the number started with; returns the number before", () =>
    inNode(Effect.gen(function*() {
      yield* startParts({ partitions: 4 })
      const third = (yield* whereis("parts", 3))!
      assert.strictEqual(yield* PartitionSupervisor.resize("parts", 2), 4)
      assert.strictEqual(yield* PartitionSupervisor.partitions("parts"), 2)
      assert.isFalse(yield* Process.isAlive(third))
      assert.strictEqual(yield* which("parts", 3), 1)
      assert.deepStrictEqual(
        (yield* PartitionSupervisor.whichChildren("parts")).map((c) => c.pid === undefined),
        [false, false, true, true]
      )
      assert.deepStrictEqual(yield* PartitionSupervisor.countChildren("parts"), { specs: 4, active: 2, supervisors: 0, workers: 4 })
      assert.strictEqual(yield* PartitionSupervisor.resize("parts", 2), 2)
      assert.strictEqual(yield* PartitionSupervisor.resize("parts", 4), 2)
      assert.strictEqual(yield* which("parts", 3), 3)
      assert.isFalse(Equal.equals(yield* whereis("parts", 3), third))
      // Out of range: a typed error, nothing changes.
      for (const bad of [5, -1, 1.5, Number.NaN]) {
        const error = yield* Effect.flip(PartitionSupervisor.resize("parts", bad))
        assert.strictEqual(error._tag, "BadArgument")
      }
      assert.strictEqual(yield* PartitionSupervisor.partitions("parts"), 4)
      assert.strictEqual((yield* Effect.flip(PartitionSupervisor.resize("nobody", 1)))._tag, "NoProc")
    })))

  it.effect("at 0 partitions a routed call is NoProc; growing again routes as before", () =>
    inNode(Effect.gen(function*() {
      yield* startParts()
      assert.strictEqual(yield* PartitionSupervisor.resize("parts", 0), 3)
      assert.strictEqual((yield* Effect.flip(which("parts", 1)))._tag, "NoProc")
      assert.strictEqual((yield* PartitionSupervisor.countChildren("parts")).active, 0)
      assert.strictEqual(yield* PartitionSupervisor.resize("parts", 3), 0)
      assert.strictEqual(yield* which("parts", 4), 1)
    })))

  it.effect("concurrent resizes run one at a time: the final state is the last one's", () =>
    inNode(Effect.gen(function*() {
      yield* startParts({ partitions: 4 })
      const results = yield* Effect.all([
        PartitionSupervisor.resize("parts", 1),
        PartitionSupervisor.resize("parts", 3),
        PartitionSupervisor.resize("parts", 2)
      ], { concurrency: "unbounded" })
      // Each one saw the number the one before left.
      assert.deepStrictEqual(results, [4, 1, 3])
      assert.strictEqual(yield* PartitionSupervisor.partitions("parts"), 2)
      assert.deepStrictEqual(
        (yield* PartitionSupervisor.whichChildren("parts")).map((c) => c.pid !== undefined),
        [true, true, false, false]
      )
    })))

  it.effect("oneForAll restarts the resized-away partitions too (as OTP restarts terminated children); they stay unrouted", () =>
    inNode(Effect.gen(function*() {
      // Checked in erl: after terminate_child, a one_for_all (or rest_for_one) restart starts it again.
      yield* startParts({ strategy: "oneForAll" })
      yield* PartitionSupervisor.resize("parts", 2)
      yield* kill((yield* whereis("parts", 0))!)
      assert.deepStrictEqual(
        (yield* PartitionSupervisor.whichChildren("parts")).map((c) => typeof c.pid === "object"),
        [true, true, true]
      )
      assert.strictEqual(yield* PartitionSupervisor.partitions("parts"), 2)
      assert.strictEqual(yield* which("parts", 2), 0)
      // Growing counts the running one as started.
      const running = (yield* PartitionSupervisor.whichChildren("parts"))[2]!.pid
      assert.strictEqual(yield* PartitionSupervisor.resize("parts", 3), 2)
      assert.strictEqual(yield* which("parts", 2), 2)
      assert.isTrue(Equal.equals(yield* whereis("parts", 2), running))
    })))

  it.effect("a resize interrupted midway leaves a consistent table; the next resize takes the lock and finishes the job", () =>
    inNode(Effect.gen(function*() {
      const log = yield* Process.self
      yield* PartitionSupervisor.start({ name: "slow", child: (p) => worker({ id: `w${p}`, log, slowStop: 1000 }), partitions: 3 })
      yield* takeLog
      const resizing = yield* Effect.forkChild(PartitionSupervisor.resize("slow", 1))
      // Partition 1 is stopping (its terminate takes 1 s on the clock) when the resize is interrupted;
      // partitions are stopped from the lowest up, as Elixir's resize! does.
      yield* TestClock.adjust("500 millis")
      yield* Fiber.interrupt(resizing)
      assert.strictEqual(yield* PartitionSupervisor.partitions("slow"), 1)
      yield* TestClock.adjust("500 millis")
      assert.deepStrictEqual(yield* nextLog, ["stopped", "w1", "Shutdown"])
      // Partition 2 was never asked to stop: it still runs, unrouted.
      assert.deepStrictEqual(
        (yield* PartitionSupervisor.whichChildren("slow")).map((c) => typeof c.pid === "object"),
        [true, false, true]
      )
      assert.strictEqual(yield* PartitionSupervisor.resize("slow", 3), 1)
      assert.deepStrictEqual(yield* takeLog, [["started", "w1"]])
      assert.strictEqual((yield* PartitionSupervisor.countChildren("slow")).active, 3)
    })))

  it.effect("a partition whose restart fails: StartChildFailed, the number is unchanged", () =>
    inNode(Effect.gen(function*() {
      let fail = false
      yield* PartitionSupervisor.start({
        name: "flaky",
        child: ChildSpec.worker("w", Effect.suspend(() => fail ? Effect.fail("no") : Process.spawnLink(Process.receive()))),
        partitions: 3
      })
      yield* PartitionSupervisor.resize("flaky", 1)
      fail = true
      const error = yield* Effect.flip(PartitionSupervisor.resize("flaky", 3))
      assert.strictEqual(error._tag, "StartChildFailed")
      assert.strictEqual(yield* PartitionSupervisor.partitions("flaky"), 1)
      fail = false
      assert.strictEqual(yield* PartitionSupervisor.resize("flaky", 3), 1)
      assert.strictEqual((yield* PartitionSupervisor.countChildren("flaky")).active, 3)
    })))
})
