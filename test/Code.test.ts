import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Effect, Equal, Fiber, Option, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { Application, Code, ExitReason, GenServer, Node, Pid, Process, StateMachine, Supervisor, Sys } from "../index.js"
import { quiet } from "./support/workers.js"
import * as CodeInternal from "../lib/internal/code.js"
import { runtimeOf } from "../lib/internal/runtime.js"

/** The current version of the module named `name`, if loaded: read from the code server's table. */
const current = (name: string) =>
  Effect.map(Effect.service(Node.Node), (node) =>
    Option.fromUndefinedOr(CodeInternal.serverOf(runtimeOf(node)).modules.get(name)?.current))

const inNode = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()), quiet)

const Add = Rpc.make("Add", { payload: { n: Schema.Number } })
const Get = Rpc.make("Get", { success: Schema.String })
const Log = Rpc.make("Log", { success: Schema.Array(Schema.Number) })

/** Version 1: the state is the list of numbers added. */
const V1 = GenServer.make({
  name: "Acc",
  version: "1",
  calls: [Get, Log],
  casts: [Add],
  init: (start: ReadonlyArray<number>) => GenServer.ok(start),
  handleCall: {
    Get: (_, s) => GenServer.reply(`v1 sum=${s.reduce((a, b) => a + b, 0)}`, s),
    Log: (_, s) => GenServer.reply(s, s)
  },
  handleCast: { Add: ({ n }, s) => GenServer.noreply([...s, n]) }
})

interface StateV2 {
  readonly log: ReadonlyArray<number>
  readonly upgradedFrom: string
}

/** Version 2: a record; its codeChange migrates a v1 list (checked with a Schema). */
const V2 = GenServer.make({
  name: "Acc",
  version: "2",
  calls: [Get, Log],
  casts: [Add],
  init: (start: ReadonlyArray<number>) => GenServer.ok<StateV2>({ log: start, upgradedFrom: "none" }),
  handleCall: {
    Get: (_, s) => GenServer.reply(`v2 sum=${s.log.reduce((a, b) => a + b, 0)} from ${s.upgradedFrom}`, s),
    Log: (_, s) => GenServer.reply(s.log, s)
  },
  handleCast: { Add: ({ n }, s) => GenServer.noreply({ ...s, log: [...s.log, n] }) },
  codeChange: GenServer.migrate(Schema.Array(Schema.Number), (log, oldVersion): StateV2 => ({ log, upgradedFrom: oldVersion }))
})

/** A version 2 whose migration always fails. */
const V2Broken = GenServer.make({
  ...V2,
  version: "2-broken",
  codeChange: () => Effect.fail("cannot migrate")
})

/** Version 3: back to plain lists, migrating from v2 records. */
const V3 = GenServer.make({
  name: "Acc",
  version: "3",
  calls: [Get, Log],
  casts: [Add],
  init: (start: ReadonlyArray<number>) => GenServer.ok(start),
  handleCall: {
    Get: (_, s) => GenServer.reply(`v3 sum=${s.reduce((a, b) => a + b, 0)}`, s),
    Log: (_, s) => GenServer.reply(s, s)
  },
  handleCast: { Add: ({ n }, s) => GenServer.noreply([...s, n]) },
  codeChange: GenServer.migrate(Schema.Struct({ log: Schema.Array(Schema.Number) }), (s) => s.log)
})

/** A service the servers below are started with, and their code change reads. */
class Label extends Context.Service<Label, string>()("test/Label") {}

interface StateV2Labelled {
  readonly log: ReadonlyArray<number>
  readonly label: string
  readonly changedBy: Pid.Pid
}

/**
 * Version 2 whose code change reads the server's own service and `Process.self`, and waits for
 * `gate` (when given) before it finishes.
 */
const labelled = (gate?: Deferred.Deferred<void>) =>
  GenServer.make({
    name: "Acc",
    version: "2-labelled",
    calls: [Get, Log],
    casts: [Add],
    init: (start: ReadonlyArray<number>) =>
      Effect.map(Process.self, (self) => GenServer.ok<StateV2Labelled>({ log: start, label: "", changedBy: self })),
    handleCall: {
      Get: (_, s) => GenServer.reply(`${s.label} sum=${s.log.reduce((a, b) => a + b, 0)}`, s),
      Log: (_, s) => GenServer.reply(s.log, s)
    },
    handleCast: { Add: ({ n }, s) => GenServer.noreply({ ...s, log: [...s.log, n] }) },
    codeChange: (_oldVersion, old) =>
      Effect.gen(function*() {
        if (gate !== undefined) yield* Deferred.await(gate)
        return { log: old as ReadonlyArray<number>, label: yield* Label, changedBy: yield* Process.self }
      })
  })

const isDownFor = (ref: Process.DownMessage["ref"]) => (m: unknown): m is Process.DownMessage =>
  Process.isDownMessage(m) && m.ref === ref

describe("Code.upgrade", () => {
  it.effect("migrates the state of every live process, keeping pids and messages in order", () =>
    inNode(Effect.gen(function*() {
      const a = yield* GenServer.start(V1, [1])
      const b = yield* GenServer.start(V1, [10])
      yield* GenServer.cast(a, Add, { n: 2 })
      const report = yield* Code.upgrade(V2)
      yield* GenServer.cast(a, Add, { n: 3 })
      assert.deepStrictEqual(report.upgraded.map((u) => u.pid).sort(), [a.pid!, b.pid!].sort())
      assert.deepStrictEqual(report.upgraded.map((u) => u.from), ["1", "1"])
      assert.strictEqual(report.from, "1")
      assert.deepStrictEqual(report.failed, [])
      assert.deepStrictEqual([report.previous, report.current], [undefined, "2"])
      // The same pids, now answering with version 2 and the migrated state.
      assert.strictEqual(yield* GenServer.call(a, Get), "v2 sum=6 from 1")
      assert.deepStrictEqual(yield* GenServer.call(a, Log), [1, 2, 3])
      assert.strictEqual(yield* GenServer.call(b, Get), "v2 sum=10 from 1")
      assert.deepStrictEqual((yield* CodeInternal.processes("Acc")).map(([, v]) => v), ["2", "2"])
      assert.deepStrictEqual((yield* Sys.getStatus(a.target)).version, "2")
    })))

  it.effect("an idle server is changed in place, with its own services and pid, not the upgrader's", () =>
    inNode(Effect.gen(function*() {
      const a = yield* GenServer.start(V1, [1, 2]).pipe(Effect.provideService(Label, "from a"))
      const b = yield* GenServer.start(V1, [3]).pipe(Effect.provideService(Label, "from b"))
      // The upgrader has no Label: each code change runs with the server's own context.
      const report = yield* Code.upgrade(labelled())
      assert.deepStrictEqual(report.failed, [])
      assert.strictEqual(report.upgraded.length, 2)
      const stateA = (yield* Sys.getState(a.target)) as StateV2Labelled
      assert.isTrue(Equal.equals(stateA.changedBy, a.pid))
      assert.strictEqual(yield* GenServer.call(a, Get), "from a sum=3")
      assert.strictEqual(yield* GenServer.call(b, Get), "from b sum=3")
    })))

  it.effect("a message that reaches a server while its in-place code change runs waits for it, in order", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const gate = yield* Deferred.make<void>()
      const a = yield* GenServer.start(V1, [1]).pipe(Effect.provideService(Label, "v2"))
      const upgrading = yield* Code.upgrade(labelled(gate)).pipe(Effect.forkChild)
      yield* Effect.yieldNow
      // The code change is running on the upgrading fiber; the server is still blocked in receive.
      assert.strictEqual(Option.getOrThrow(yield* Process.info(a.pid!)).status, "waiting")
      yield* GenServer.cast(a, Add, { n: 2 })
      yield* Process.spawn(Effect.flatMap(GenServer.call(a, Get), (r) => Process.send(me, r)))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow
      // Woken by the cast, it handles nothing until the change is done.
      assert.isTrue(Option.isNone(yield* Process.receive({ timeout: 0 })))
      assert.strictEqual(Option.getOrThrow(yield* Process.info(a.pid!)).messageQueueLength, 1)
      yield* Deferred.succeed(gate, undefined)
      const report = yield* Fiber.join(upgrading)
      assert.strictEqual(report.upgraded.length, 1)
      // The cast, then the call, both by version 2 on the migrated state.
      assert.strictEqual(yield* Process.receive(), "v2 sum=3")
      assert.deepStrictEqual(yield* GenServer.call(a, Log), [1, 2])
    })))

  it.effect("a server that exits while its in-place code change runs is not reported", () =>
    inNode(Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const a = yield* GenServer.start(V1, [1]).pipe(Effect.provideService(Label, "v2"))
      const b = yield* GenServer.start(V1, [2]).pipe(Effect.provideService(Label, "v2"))
      const upgrading = yield* Code.upgrade(labelled(gate)).pipe(Effect.forkChild)
      yield* Effect.yieldNow
      const ref = yield* Process.monitor(a.pid!)
      yield* Process.exit(a.pid!, ExitReason.kill)
      yield* Process.receive({ match: isDownFor(ref) })
      yield* Deferred.succeed(gate, undefined)
      const report = yield* Fiber.join(upgrading)
      assert.deepStrictEqual(report.upgraded.map((u) => u.pid), [b.pid!])
      assert.deepStrictEqual(report.failed, [])
      assert.strictEqual(yield* GenServer.call(b, Get), "v2 sum=2")
    })))

  it.effect("interrupting an upgrade during an in-place code change leaves the server on its old code, answering", () =>
    inNode(Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const a = yield* GenServer.start(V1, [4]).pipe(Effect.provideService(Label, "v2"))
      const upgrading = yield* Code.upgrade(labelled(gate)).pipe(Effect.forkChild)
      yield* Effect.yieldNow
      yield* GenServer.cast(a, Add, { n: 1 })
      yield* Fiber.interrupt(upgrading)
      assert.strictEqual(yield* GenServer.call(a, Get), "v1 sum=5")
      assert.deepStrictEqual((yield* CodeInternal.processes("Acc")).map(([, v]) => v), ["1"])
    })))

  it.effect("an in-place code change that throws keeps the old code and state", () =>
    inNode(Effect.gen(function*() {
      const a = yield* GenServer.start(V1, [5])
      const Throws = GenServer.make({
        ...V2,
        version: "2-throws",
        codeChange: () => {
          throw new Error("no")
        }
      })
      const report = yield* Code.upgrade(Throws)
      assert.strictEqual(report.failed.length, 1)
      assert.strictEqual(report.failed[0]!.error._tag, "SysError")
      assert.strictEqual(yield* GenServer.call(a, Get), "v1 sum=5")
      assert.deepStrictEqual((yield* CodeInternal.processes("Acc")).map(([, v]) => v), ["1"])
    })))

  it.effect("a failing codeChange keeps that process's old code and state; the report says so", () =>
    inNode(Effect.gen(function*() {
      const a = yield* GenServer.start(V1, [5])
      const report = yield* Code.upgrade(V2Broken)
      assert.deepStrictEqual(report.upgraded, [])
      assert.strictEqual(report.failed.length, 1)
      assert.isTrue(Equal.equals(report.failed[0]!.pid, a.pid) && report.failed[0]!.from === "1")
      assert.strictEqual(report.failed[0]!.error._tag, "SysError")
      assert.strictEqual(yield* GenServer.call(a, Get), "v1 sum=5")
    })))

  it.effect("upgrade never purges: after a failed migration, a fixed version upgrades the process", () =>
    inNode(Effect.gen(function*() {
      const a = yield* GenServer.start(V1, [1])
      yield* Code.upgrade(V2)
      const failed = yield* Code.upgrade(V2Broken) // a keeps version 2, which is now the old one
      assert.strictEqual(failed.failed.length, 1)
      const V3Fixed = GenServer.make({ ...V3, version: "3-fixed" })
      const fixed = yield* Code.upgrade(V3Fixed)
      assert.deepStrictEqual(fixed.purged, [])
      assert.deepStrictEqual(fixed.upgraded.map((u) => [u.pid, u.from]), [[a.pid!, "2"]])
      assert.strictEqual(yield* GenServer.call(a, Get), "v3 sum=1")
    })))

  it.effect("a state that does not match the migration's Schema fails at the swap, not at the next message", () =>
    inNode(Effect.gen(function*() {
      const Odd = GenServer.make({ ...V1, init: () => GenServer.ok(["not", "numbers"] as never) })
      const odd = yield* GenServer.start(Odd, [])
      const report = yield* Code.upgrade(V2)
      assert.strictEqual(report.failed.length, 1)
      assert.isTrue(yield* Process.isAlive(odd.pid!))
      assert.deepStrictEqual(yield* GenServer.call(odd, Log), ["not", "numbers"] as never)
    })))

  it.effect("calls in flight while a server is suspended are answered by the new code after the swap", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const a = yield* GenServer.start(V1, [7])
      yield* Sys.suspend(a.target)
      yield* Process.spawn(Effect.flatMap(GenServer.call(a, Get), (r) => Process.send(me, r)))
      yield* GenServer.cast(a, Add, { n: 1 })
      const report = yield* Code.upgrade(V2) // system messages are handled while suspended
      assert.strictEqual(report.upgraded.length, 1)
      yield* Sys.resume(a.target)
      assert.strictEqual(yield* Process.receive(), "v2 sum=7 from 1")
      assert.strictEqual(yield* GenServer.call(a, Get), "v2 sum=8 from 1")
    })))

  it.effect("new starts and supervisor restarts run the current version", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* Supervisor.start([GenServer.childSpec(V1, [1], { id: "acc", name: "acc" })])
      yield* Code.upgrade(V2)
      assert.strictEqual(yield* GenServer.call(GenServer.ref(V2, "acc"), Get), "v2 sum=1 from 1")
      // Kill it: its supervisor restarts it from the (old) child spec, with version 2's init.
      const pid = Option.getOrThrow(yield* Process.whereis("acc"))
      const ref = yield* Process.monitor(pid)
      yield* Process.exit(pid, ExitReason.kill)
      yield* Process.receive({ match: isDownFor(ref) })
      yield* Supervisor.whichChildren(sup)
      assert.strictEqual(yield* GenServer.call(GenServer.ref(V2, "acc"), Get), "v2 sum=1 from none")
      const fresh = yield* GenServer.start(V1, [4])
      assert.strictEqual(yield* GenServer.call(fresh, Get), "v2 sum=4 from none")
    })))

  it.effect("a third version purges the old one: processes still running it are killed and restarted on the current", () =>
    inNode(Effect.gen(function*() {
      yield* Code.load(V1)
      const sup = yield* Supervisor.start([GenServer.childSpec(V1, [2], { id: "acc", name: "acc" })], { intensity: 5 })
      const onV1 = Option.getOrThrow(yield* Process.whereis("acc"))
      // V2Broken cannot migrate it: it keeps running version 1, which is now the old version.
      const second = yield* Code.upgrade(V2Broken)
      assert.strictEqual(second.failed.length, 1)
      const ref = yield* Process.monitor(onV1)
      const third = yield* Code.load(V3)
      assert.deepStrictEqual(third.purged, [onV1])
      assert.deepStrictEqual([third.previous, third.current], ["2-broken", "3"])
      const down = yield* Process.receive({ match: isDownFor(ref) })
      assert.strictEqual(down.reason._tag, "Killed")
      yield* Supervisor.whichChildren(sup)
      assert.strictEqual(yield* GenServer.call(GenServer.ref(V3, "acc"), Get), "v3 sum=2")
    })))

  it("nothing is lost or reordered when an upgrade runs under a stream of casts (property)", () =>
    fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 200 }),
        async (servers, before, during) => {
          const ok = await Effect.runPromise(inNode(Effect.gen(function*() {
            const pids = yield* Effect.forEach(Array.from({ length: servers }), () => GenServer.start(V1, []))
            const me = yield* Process.self
            // A sender streams casts to every server: `before` of them, then `during` more
            // while the upgrade runs (it yields between casts, so the two interleave).
            yield* Process.spawn(Effect.gen(function*() {
              for (let i = 0; i < before + during; i++) {
                for (const s of pids) yield* GenServer.cast(s, Add, { n: i })
                if (i === before) yield* Process.send(me, "go")
                yield* Effect.yieldNow
              }
              yield* Process.send(me, "sent")
            }))
            if (before + during > before) yield* Process.receive({ match: (m) => m === "go" })
            const report = yield* Code.upgrade(V2)
            yield* Process.receive({ match: (m) => m === "sent" })
            const expected = Array.from({ length: before + during }, (_, i) => i)
            for (const s of pids) {
              const log = yield* GenServer.call(s, Log)
              if (JSON.stringify(log) !== JSON.stringify(expected)) return false
            }
            return report.upgraded.length === servers
          })))
          return ok
        }
      ),
      { numRuns: 40 }
    ))
})

const Block = Rpc.make("Block")

/** Version 1 with a cast that keeps the server busy in its handler until `gate` opens. */
const busyV1 = (gate: Deferred.Deferred<void>) =>
  GenServer.make({
    ...V1,
    casts: [Add, Block],
    handleCast: {
      Add: ({ n }, s) => GenServer.noreply([...s, n]),
      Block: (_, s) => Effect.as(Deferred.await(gate), GenServer.noreply(s))
    }
  })

/** Lets every fiber that can run, run (the node's run queue included). */
const settle = Effect.gen(function*() {
  for (let i = 0; i < 20; i++) yield* Effect.yieldNow
})

describe("Code.upgrade: processes that do not change in time", () => {
  it.effect("a server busy in a callback is reported after the per-process timeout (5 s) and keeps its code; the others are upgraded", () =>
    inNode(Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const Busy = busyV1(gate)
      const a = yield* GenServer.start(Busy, [1])
      const b = yield* GenServer.start(Busy, [2])
      yield* GenServer.cast(a, Block, undefined)
      yield* GenServer.cast(a, Add, { n: 10 })
      const upgrading = yield* Code.upgrade(V2).pipe(Effect.forkChild)
      yield* settle
      yield* TestClock.adjust("4999 millis")
      assert.isUndefined(upgrading.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const report = yield* Fiber.join(upgrading)
      assert.deepStrictEqual(report.upgraded.map((u) => u.pid), [b.pid!])
      assert.deepStrictEqual(report.failed, [])
      assert.strictEqual(report.timedOut.length, 1)
      const late = report.timedOut[0]!
      assert.isTrue(Equal.equals(late.pid, a.pid) && late.from === "1")
      assert.strictEqual(late.error._tag, "ChangeTimeout")
      assert.strictEqual(late.error.timeoutMillis, 5000)
      assert.include(late.error.message, "5000 ms")
      // Once free, the server handles its messages in order on its old code: the abandoned
      // change is not made late, and the server is not left suspended.
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* GenServer.call(a, Get), "v1 sum=11")
      assert.strictEqual((yield* Sys.getStatus(a.target)).status, "running")
      assert.deepStrictEqual((yield* CodeInternal.processes("Acc")).map(([p, v]) => [String(p), v]).sort(), [
        [String(a.pid), "1"],
        [String(b.pid), "2"]
      ].sort())
      // A later upgrade changes it.
      const again = yield* Code.upgrade(V2)
      assert.deepStrictEqual(again.upgraded.map((u) => [u.pid, u.from]), [[a.pid!, "1"]])
      assert.strictEqual(yield* GenServer.call(a, Get), "v2 sum=11 from 1")
    })))

  it.effect("an idle server whose codeChange does not finish in time keeps its old code and state, answering", () =>
    inNode(Effect.gen(function*() {
      const never = yield* Deferred.make<void>()
      const a = yield* GenServer.start(V1, [3]).pipe(Effect.provideService(Label, "v2"))
      const b = yield* GenServer.start(V1, [4]).pipe(Effect.provideService(Label, "v2"))
      const upgrading = yield* Code.upgrade(labelled(never), undefined, { timeout: "2 seconds" }).pipe(Effect.forkChild)
      yield* settle
      yield* TestClock.adjust("2 seconds")
      yield* settle
      yield* TestClock.adjust("2 seconds")
      const report = yield* Fiber.join(upgrading)
      assert.deepStrictEqual(report.upgraded, [])
      assert.deepStrictEqual(report.timedOut.map((t) => [t.pid, t.from, t.error.timeoutMillis]), [
        [a.pid!, "1", 2000],
        [b.pid!, "1", 2000]
      ])
      yield* GenServer.cast(a, Add, { n: 1 })
      assert.strictEqual(yield* GenServer.call(a, Get), "v1 sum=4")
      assert.strictEqual(yield* GenServer.call(b, Get), "v1 sum=4")
    })))

  it.effect("a server busy in a codeChange of its own past the timeout keeps its old code and state once it ends", () =>
    inNode(Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const slow = yield* Deferred.make<void>()
      const a = yield* GenServer.start(busyV1(gate), [5]).pipe(Effect.provideService(Label, "v2"))
      yield* GenServer.cast(a, Block, undefined)
      // Busy: the change goes as a system message, and its codeChange waits for `slow`.
      const upgrading = yield* Code.upgrade(labelled(slow), undefined, { timeout: "1 second" }).pipe(Effect.forkChild)
      yield* settle
      yield* Deferred.succeed(gate, undefined)
      yield* settle
      yield* TestClock.adjust("1 second")
      const report = yield* Fiber.join(upgrading)
      assert.deepStrictEqual(report.timedOut.map((t) => t.pid), [a.pid!])
      yield* Deferred.succeed(slow, undefined)
      assert.strictEqual(yield* GenServer.call(a, Get), "v1 sum=5")
      assert.strictEqual((yield* Sys.getStatus(a.target)).version, "1")
    })))

  it.effect("a bad timeout is a typed error and changes nothing", () =>
    inNode(Effect.gen(function*() {
      const a = yield* GenServer.start(V1, [1])
      for (const timeout of [-1, Number.NaN, "soon"] as const) {
        const error = yield* Effect.flip(Code.upgrade(V2, undefined, { timeout: timeout as never }))
        assert.strictEqual(error._tag, "BadArgument")
      }
      assert.deepStrictEqual(yield* current("Acc"), Option.none())
      assert.strictEqual(yield* GenServer.call(a, Get), "v1 sum=1")
    })))

  it("interrupting an upgrade at any point leaves every server running, none suspended, code and state consistent (property)", () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ busy: fc.boolean(), slowChange: fc.boolean() }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 30 }),
        async (servers, steps) => {
          const ok = await Effect.runPromise(inNode(Effect.gen(function*() {
            const gate = yield* Deferred.make<void>()
            const Busy = busyV1(gate)
            // Version 2 whose codeChange takes `steps` scheduler turns for the slow servers.
            const Slowly = GenServer.make({
              ...V2,
              casts: [Add, Block],
              handleCast: {
                Add: ({ n }, s) => GenServer.noreply({ ...s, log: [...s.log, n] }),
                Block: (_, s) => GenServer.noreply(s)
              },
              codeChange: (oldVersion, old) =>
                Effect.gen(function*() {
                  const log = old as ReadonlyArray<number>
                  if (log[0] === 1) for (let i = 0; i < 5; i++) yield* Effect.yieldNow
                  return { log, upgradedFrom: oldVersion }
                })
            })
            const pids = yield* Effect.forEach(servers, (s) => GenServer.start(Busy, [s.slowChange ? 1 : 0]))
            yield* Effect.forEach(servers, (s, i) => s.busy ? GenServer.cast(pids[i]!, Block, undefined) : Effect.void)
            const upgrading = yield* Code.upgrade(Slowly).pipe(Effect.forkChild)
            for (let i = 0; i < steps; i++) yield* Effect.yieldNow
            if (steps % 2 === 1) yield* Deferred.succeed(gate, undefined)
            for (let i = 0; i < steps % 7; i++) yield* Effect.yieldNow
            yield* Fiber.interrupt(upgrading)
            yield* Deferred.succeed(gate, undefined)
            for (const pid of pids) {
              const status = yield* Sys.getStatus(pid.target)
              if (status.status !== "running") return false
              const answer = yield* GenServer.call(pid, Get)
              if (!answer.startsWith(`v${status.version} `)) return false
              const log = yield* GenServer.call(pid, Log)
              if (log.length !== 1) return false
            }
            return true
          })))
          return ok
        }
      ),
      { numRuns: 60 }
    ))
})

describe("Code: purging", () => {
  it.effect("a first version that was never loaded is old once another is current, and purged by the next load", () =>
    inNode(Effect.gen(function*() {
      // Started without Code.load: version 1 is current only because it runs.
      const sup = yield* Supervisor.start([GenServer.childSpec(V1, [2], { id: "acc", name: "acc" })], { intensity: 5 })
      const onV1 = Option.getOrThrow(yield* Process.whereis("acc"))
      const loose = yield* GenServer.start(V1, [3])
      const second = yield* Code.upgrade(V2Broken)
      assert.strictEqual(second.failed.length, 2)
      const ref = yield* Process.monitor(onV1)
      const third = yield* Code.load(V3)
      assert.deepStrictEqual(third.purged.map(String).sort(), [String(onV1), String(loose.pid)].sort())
      const down = yield* Process.receive({ match: isDownFor(ref) })
      assert.strictEqual(down.reason._tag, "Killed")
      assert.isFalse(yield* Process.isAlive(loose.pid!))
      yield* Supervisor.whichChildren(sup)
      assert.strictEqual(yield* GenServer.call(GenServer.ref(V3, "acc"), Get), "v3 sum=2")
    })))

  it.effect("softPurge refuses while a process runs old code; purge kills those processes", () =>
    inNode(Effect.gen(function*() {
      const a = yield* GenServer.start(V1, [1])
      const b = yield* GenServer.start(V1, [2])
      assert.isTrue(yield* Code.softPurge("Acc")) // nothing old yet
      yield* Code.upgrade(V2Broken) // both keep version 1, which is now old
      assert.isFalse(yield* Code.softPurge("Acc"))
      assert.isTrue(yield* Process.isAlive(a.pid!))
      const killed = yield* Code.purge("Acc")
      assert.deepStrictEqual(killed.map(String).sort(), [String(a.pid), String(b.pid)].sort())
      yield* settle
      assert.isFalse(yield* Process.isAlive(a.pid!))
      assert.deepStrictEqual(yield* CodeInternal.processes("Acc"), [])
      assert.isTrue(yield* Code.softPurge("Acc"))
      assert.deepStrictEqual(yield* Code.purge("Acc"), [])
      assert.deepStrictEqual(yield* Code.purge("never-loaded"), [])
      // After a purge only the current version is left: the next load purges nothing.
      const c = yield* GenServer.start(V1, [3]) // runs the current version, 2-broken
      const next = yield* Code.load(V3)
      assert.deepStrictEqual(next.purged, [])
      assert.isTrue(yield* Process.isAlive(c.pid!))
    })))
})

describe("Code: what it is given", () => {
  it.effect("a value that is no module is a BadArgument for load and upgrade, and changes nothing", () =>
    inNode(Effect.gen(function*() {
      for (const bad of [undefined, null, 42, "Acc", { name: "Acc" }, { name: 1, version: "1" }]) {
        assert.strictEqual((yield* Effect.flip(Code.load(bad as never)))._tag, "BadArgument")
        assert.strictEqual((yield* Effect.flip(Code.upgrade(bad as never)))._tag, "BadArgument")
      }
      assert.deepStrictEqual(yield* current("Acc"), Option.none())
    })))

  it.effect("module names that are Object.prototype members are plain names", () =>
    inNode(Effect.gen(function*() {
      for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]) {
        assert.deepStrictEqual(yield* current(name), Option.none())
        assert.deepStrictEqual(yield* CodeInternal.processes(name), [])
        assert.isTrue(yield* Code.softPurge(name))
        assert.deepStrictEqual(yield* Code.purge(name), [])
        const v1 = GenServer.make({ ...V1, name })
        const v2 = GenServer.make({ ...V2, name })
        const server = yield* GenServer.start(v1, [1])
        const report = yield* Code.upgrade(v2)
        assert.deepStrictEqual(report.upgraded.map((u) => u.pid), [server.pid!], name)
        assert.strictEqual(yield* GenServer.call(server, Get), "v2 sum=1 from 1")
        assert.deepStrictEqual((yield* CodeInternal.processes(name)).map(([, v]) => v), ["2"])
        assert.strictEqual(Option.getOrThrow(yield* current(name)).version, "2")
      }
    })))
})

describe("Code: the development hook (what `effect-otp dev` swaps in)", () => {
  /** The hook the command reaches through a global (bin/effect-otp.mjs). */
  const hook = () =>
    (globalThis as Record<symbol, { readonly isModule: (u: unknown) => boolean } | undefined>)[Symbol.for("effect-otp/dev-hook")]!

  const Flip = Rpc.make("Flip")
  const switchOf = (version: string) => StateMachine.make({
    name: "Switch",
    version,
    casts: [Flip],
    init: () => StateMachine.ok("off", 0),
    states: {
      off: { casts: { Flip: (_, n) => StateMachine.nextState("on", n + 1) } },
      on: { casts: { Flip: (_, n) => StateMachine.nextState("off", n + 1) } }
    }
  })
  const Switch = switchOf("1")
  const App = Application.make({ name: "Acc", version: "9", start: () => Supervisor.startLink([]) })

  it.effect("a module of a behaviour that ran (GenServer, StateMachine) is one; an Application or a bare name and version is not", () =>
    inNode(Effect.gen(function*() {
      yield* GenServer.start(V1, [])
      assert.isTrue(hook().isModule(V2))
      // No state machine has run on a live node yet: nothing would run a Switch.
      assert.isFalse(hook().isModule(Switch))
      yield* StateMachine.start(Switch, undefined)
      assert.isTrue(hook().isModule(Switch))
      assert.isTrue(hook().isModule(switchOf("2")))
      for (const other of [App, { name: "Acc", version: "9" }, { ...V2, version: 2 }, null, undefined, "Acc", Flip]) {
        assert.isFalse(hook().isModule(other), String((other as { name?: unknown } | null)?.name ?? other))
      }
    })))
})
