/**
 * Registry partitions (`partitions: n`): every operation works across partitions, entries go
 * with their process from every partition, and the faults: the registry killed (there is no
 * partition process to kill apart from it), and processes killed while `select` runs.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Equal, Option } from "effect"
import * as fc from "fast-check"
import { ExitReason, GenServer, Node, Pid, Process, Registry, Supervisor, Sys } from "../index.js"
import { GetText as Get, Named } from "./support/workers.js"

/** Runs `body` as a process on a fresh node. */
const inNode = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()))

const idle = Process.receive({ match: () => false })

/** Spawns a process that registers under each of `keys` (value: its index), then waits forever. */
const member = (registry: Registry.Registry<string, number, any>, keys: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const parent = yield* Process.self
    const pid = yield* Process.spawn(Effect.gen(function*() {
      for (const [i, key] of keys.entries()) yield* Effect.orDie(Registry.register(registry, key, i))
      yield* Process.send(parent, "registered")
      yield* idle
    }))
    yield* Process.receive({ match: (m) => m === "registered" })
    return pid
  })

const sorted = <A>(values: ReadonlyArray<A>): Array<A> => [...values].sort()


describe("partitions", () => {
  it.effect("are parts of the one registry process: no process per partition; its status shows them", () =>
    inNode(Effect.gen(function*() {
      const before = (yield* Process.processes).length
      yield* Registry.start<string, number, "duplicate">({ name: "reg", keys: "duplicate", partitions: 8, listeners: ["audit"] })
      assert.strictEqual((yield* Process.processes).length, before + 1)
      assert.deepStrictEqual(yield* Process.registered, ["reg"])
      const status = yield* Sys.getStatus(Option.getOrThrow(yield* Process.whereis("reg")))
      assert.deepStrictEqual(status.state, { unique: false, partitions: 8, listeners: ["audit"], entries: 0, processes: 0 })
    })))

  for (const keys of ["unique", "duplicate"] as const) {
    for (const partitions of [2, 7]) {
      it.effect(`${keys}, ${partitions} partitions: every operation works; a member's entries go from every partition when it exits`, () =>
        inNode(Effect.gen(function*() {
          const me = yield* Process.self
          const reg = yield* Registry.start<string, number>({ name: "reg", keys, partitions })
          // 10 members with 12 keys each: every member has keys in every partition (almost surely).
          const members: Array<Pid.Pid> = []
          for (let m = 0; m < 10; m++) members.push(yield* member(reg, Array.from({ length: 12 }, (_, k) => `m${m}k${k}`)))
          assert.strictEqual(yield* Registry.count(reg), 120)
          for (const [m, pid] of members.entries()) {
            assert.deepStrictEqual(sorted(yield* Registry.keys(reg, pid)), sorted(Array.from({ length: 12 }, (_, k) => `m${m}k${k}`)))
            for (let k = 0; k < 12; k++) {
              assert.deepStrictEqual(yield* Registry.lookup(reg, `m${m}k${k}`), [[pid, k]])
              assert.deepStrictEqual(yield* Registry.values(reg, `m${m}k${k}`, pid), [k])
              assert.deepStrictEqual(yield* Registry.match(reg, `m${m}k${k}`, (v) => v === k), [[pid, k]])
            }
          }
          assert.strictEqual(yield* Registry.countSelect(reg, (e) => e.value === 0), 10)
          assert.strictEqual((yield* Registry.select(reg, () => true)).length, 120)

          // Writes by the caller: register, updateValue (unique), unregister, unregisterMatch.
          yield* Registry.register(reg, "mine", 1)
          yield* Registry.register(reg, "also mine", 2)
          if (keys === "unique") {
            const unique = reg as Registry.Registry<string, number, "unique">
            assert.deepStrictEqual(yield* Registry.updateValue(unique, "mine", (n) => n + 10), Option.some([11, 1] as const))
            assert.strictEqual((yield* Effect.flip(Registry.register(reg, "m3k3", 0)))._tag, "AlreadyRegistered")
          } else {
            yield* Registry.register(reg, "mine", 3)
          }
          let dispatched = 0
          yield* Registry.dispatch(reg, "mine", (entries) => Effect.sync(() => void (dispatched += entries.length)))
          assert.strictEqual(dispatched, keys === "unique" ? 1 : 2)
          yield* Registry.unregisterMatch(reg, "mine", () => true)
          yield* Registry.unregister(reg, "also mine")
          assert.deepStrictEqual(yield* Registry.keys(reg, me), [])

          // A watcher (not the killer) looks right after each Down: nothing of the dead member.
          for (const [m, pid] of members.entries()) {
            const ref = yield* Process.monitor(pid)
            yield* Process.exit(pid, m % 2 === 0 ? ExitReason.kill : ExitReason.shutdown())
            yield* Process.receive({ match: (msg) => Process.isDownMessage(msg) && msg.ref === ref })
            assert.deepStrictEqual(yield* Registry.keys(reg, pid), [])
            for (let k = 0; k < 12; k++) assert.deepStrictEqual(yield* Registry.lookup(reg, `m${m}k${k}`), [])
            assert.strictEqual(yield* Registry.countSelect(reg, (e) => Equal.equals(e.pid, pid)), 0)
            assert.strictEqual(yield* Registry.count(reg), 120 - 12 * (m + 1))
          }
        })))
    }
  }

  it.effect("via names through a partitioned unique registry: start, call, AlreadyStarted, freed on exit", () =>
    inNode(Effect.gen(function*() {
      const reg = yield* Registry.start<string, undefined, "unique">({ name: "reg", keys: "unique", partitions: 4 })
      const servers = []
      for (let i = 0; i < 8; i++) servers.push(yield* GenServer.start(Named, `s${i}`, { name: Registry.via(reg, `s${i}`) }))
      for (let i = 0; i < 8; i++) {
        assert.strictEqual(yield* GenServer.call(GenServer.ref(Named, Registry.via(reg, `s${i}`)), Get), `s${i}`)
      }
      const again = yield* Effect.flip(GenServer.start(Named, "again", { name: Registry.via(reg, "s3") }))
      assert.strictEqual(again._tag, "AlreadyStarted")
      yield* GenServer.stop(servers[3]!)
      const next = yield* GenServer.start(Named, "next", { name: Registry.via(reg, "s3") })
      assert.strictEqual(yield* GenServer.call(GenServer.ref(Named, Registry.via(reg, "s3")), Get), "next")
      assert.deepStrictEqual(yield* Registry.lookup(reg, "s3"), [[next.pid!, undefined]])
    })))

  it.effect("the registry killed: every partition goes with it; its supervisor restarts it empty, with its partitions and listeners; members live on", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      yield* Process.register("audit", me)
      const sup = yield* Supervisor.start([
        Registry.childSpec({ name: "reg", keys: "unique", partitions: 4, listeners: ["audit"] })
      ])
      const reg = Registry.ref<string, number, "unique">("reg", "unique")
      const members: Array<Pid.Pid> = []
      for (let m = 0; m < 4; m++) members.push(yield* member(reg, [`a${m}`, `b${m}`, `c${m}`]))
      assert.strictEqual(yield* Registry.count(reg), 12)

      const first = Option.getOrThrow(yield* Process.whereis("reg"))
      const ref = yield* Process.monitor(first)
      yield* Process.exit(first, ExitReason.kill)
      yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
      yield* Supervisor.whichChildren(sup) // the restart is done once the supervisor answers
      const second = Option.getOrThrow(yield* Process.whereis("reg"))
      assert.isFalse(Equal.equals(first, second))

      assert.strictEqual(yield* Registry.count(reg), 0)
      assert.deepStrictEqual(yield* Registry.select(reg, () => true), [])
      for (const pid of members) {
        assert.isTrue(yield* Process.isAlive(pid))
        assert.deepStrictEqual(yield* Registry.keys(reg, pid), [])
      }
      const status = yield* Sys.getStatus(second)
      assert.strictEqual((status.state as { readonly partitions: number }).partitions, 4)
      // Listeners carry over; the old table's entries never come back when the members exit.
      while (Option.isSome(yield* Process.receive({ match: Registry.isRegisterMessage, timeout: 0 })));
      yield* Registry.register(reg, "a0", 100)
      const message = yield* Process.receive({ match: (m) => Registry.isRegisterMessage(m, reg) })
      assert.deepStrictEqual([message.key, message.value], ["a0", 100])
      for (const pid of members) yield* Process.exit(pid, ExitReason.kill)
      while (yield* Effect.map(Effect.forEach(members, Process.isAlive), (alive) => alive.some((a) => a))) yield* Effect.yieldNow
      assert.deepStrictEqual(yield* Registry.lookup(reg, "a0"), [[me, 100]])
      assert.strictEqual(yield* Registry.count(reg), 1)
    })))
})

// ----------------------------------------------------------------------------
// Processes killed while select and count run (property)
// ----------------------------------------------------------------------------

/**
 * Members register `width` keys each (one topic shared by all, in a duplicate registry), some with
 * a finalizer that yields `slow` times (so they spend a while exiting). A killer process ends them
 * at random points while a selector process selects and counts at random points. Every select sees
 * each member wholly or not at all, `countSelect` agrees with `select`, and once the killer has
 * the Down of a member no read shows it.
 */
const race = (
  keys: "unique" | "duplicate",
  partitions: number,
  width: number,
  plan: ReadonlyArray<{ readonly slow: number; readonly killAfter: number; readonly kill: boolean }>,
  selectGaps: ReadonlyArray<number>
) =>
  Effect.gen(function*() {
    const reg = yield* Registry.start<string, number>({ name: "reg", keys, partitions })
    const keysOf = (m: number) => Array.from({ length: width }, (_, k) => (keys === "duplicate" && k === 0 ? "topic" : `m${m}k${k}`))
    const parent = yield* Process.self
    const members: Array<Pid.Pid> = []
    for (const [m, { slow }] of plan.entries()) {
      members.push(yield* Process.spawn(Effect.gen(function*() {
        for (const key of keysOf(m)) yield* Effect.orDie(Registry.register(reg, key, m))
        yield* Process.send(parent, "registered")
        yield* idle
      }).pipe(Effect.ensuring(Effect.repeat(Effect.yieldNow, { times: slow })))))
      yield* Process.receive({ match: (msg) => msg === "registered" })
    }
    const downed = new Set<Pid.Pid>()
    const violations: Array<string> = []

    const selector = yield* Process.spawn(Effect.gen(function*() {
      for (const gap of selectGaps) {
        for (let i = 0; i < gap; i++) yield* Effect.yieldNow
        const dead = [...downed]
        const all = yield* Effect.orDie(Registry.select(reg, () => true))
        const counted = yield* Effect.orDie(Registry.countSelect(reg, () => true))
        if (counted !== all.length) violations.push(`countSelect ${counted} but select ${all.length}`)
        for (const pid of members) {
          const seen = all.filter((e) => Equal.equals(e.pid, pid)).length
          if (seen !== 0 && seen !== width) violations.push(`${String(pid)}: ${seen} of ${width} entries`)
          if (seen > 0 && dead.includes(pid)) violations.push(`${String(pid)} selected after its Down`)
        }
      }
      yield* Process.send(parent, "selected")
    }))

    const killer = yield* Process.spawn(Effect.gen(function*() {
      for (const [m, { kill, killAfter }] of plan.entries()) {
        for (let i = 0; i < killAfter; i++) yield* Effect.yieldNow
        const pid = members[m]!
        const ref = yield* Process.monitor(pid)
        yield* Process.exit(pid, kill ? ExitReason.kill : ExitReason.shutdown())
        yield* Process.receive({ match: (msg) => Process.isDownMessage(msg) && msg.ref === ref })
        downed.add(pid)
        if ((yield* Effect.orDie(Registry.keys(reg, pid))).length > 0) violations.push(`${String(pid)} has keys after its Down`)
      }
      yield* Process.send(parent, "killed")
    }))

    yield* Process.receive({ match: (msg) => msg === "selected" })
    yield* Process.receive({ match: (msg) => msg === "killed" })
    void selector
    void killer
    assert.deepStrictEqual(violations, [])
    assert.strictEqual(yield* Registry.count(reg), 0)
  })

describe("processes killed while select and count run", () => {
  for (const keys of ["unique", "duplicate"] as const) {
    it(`${keys}: each select sees a member wholly or not at all, and nothing of it after its Down (property)`, () =>
      fc.assert(
        fc.asyncProperty(
          fc.constantFrom(1, 3, 8),
          fc.integer({ min: 1, max: 6 }),
          fc.array(fc.record({ slow: fc.nat({ max: 4 }), killAfter: fc.nat({ max: 4 }), kill: fc.boolean() }), { minLength: 1, maxLength: 6 }),
          fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 20 }),
          async (partitions, width, plan, gaps) => {
            await Effect.runPromise(inNode(race(keys, partitions, width, plan, gaps)))
          }
        ),
        { numRuns: 100 }
      ))
  }
})
