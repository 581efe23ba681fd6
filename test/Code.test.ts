import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Effect, Equal, Fiber, Option, Schema } from "effect"
import { Rpc } from "effect/rpc"
import * as fc from "fast-check"
import { Code, ExitReason, GenServer, Node, Process, Supervisor, Sys } from "../index.js"
import { quiet } from "./support/workers.js"

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
  readonly changedBy: Process.Pid
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
      assert.deepStrictEqual((yield* Code.processes("Acc")).map(([, v]) => v), ["2", "2"])
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
      assert.deepStrictEqual((yield* Code.processes("Acc")).map(([, v]) => v), ["1"])
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
      assert.deepStrictEqual((yield* Code.processes("Acc")).map(([, v]) => v), ["1"])
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
