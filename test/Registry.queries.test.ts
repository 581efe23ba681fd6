/**
 * The rest of Elixir's Registry: `select`, `countSelect`, `countMatch`, `values`,
 * `unregisterMatch`, `deleteMeta`, listeners, and bad input from untyped callers.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Equal, Exit, Option } from "effect"
import { Errors, ExitReason, GenServer, Node, Pid, Process, Registry } from "../index.js"
import { GetText as Get, Named } from "./support/workers.js"

/** Runs `body` as a process on a fresh node. */
const inNode = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()))

const idle = Process.receive({ match: () => false })

/**
 * Spawns a process that registers each `[key, value]` of `entries`, then waits forever; returns
 * once the registrations are done.
 */
const member = <K, V>(registry: Registry.Registry<K, V, any>, entries: ReadonlyArray<readonly [K, V]>) =>
  Effect.gen(function*() {
    const parent = yield* Process.self
    const pid = yield* Process.spawn(Effect.gen(function*() {
      for (const [key, value] of entries) yield* Effect.orDie(Registry.register(registry, key, value))
      yield* Process.send(parent, "registered")
      yield* idle
    }))
    yield* Process.receive({ match: (m) => m === "registered" })
    return pid
  })

/** Kills `pid` and waits for its Down. */
const kill = (pid: Pid.Pid) =>
  Effect.gen(function*() {
    const ref = yield* Process.monitor(pid)
    yield* Process.exit(pid, ExitReason.kill)
    yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
  })

const sorted = <A>(values: ReadonlyArray<A>): Array<A> => [...values].sort()

interface Seat {
  readonly row: number
  readonly vip: boolean
}

describe("select and countSelect", () => {
  it.effect("typed predicates over key, pid and value, with and without a projection; countSelect agrees", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const seats = yield* Registry.start<string, Seat, "duplicate">({ name: "seats", keys: "duplicate" })
      assert.deepStrictEqual(yield* Registry.select(seats, () => true), [])
      assert.strictEqual(yield* Registry.countSelect(seats, () => true), 0)

      yield* Registry.register(seats, "a", { row: 1, vip: true })
      yield* Registry.register(seats, "a", { row: 2, vip: false })
      const other = yield* member(seats, [["a", { row: 3, vip: true }], ["b", { row: 4, vip: false }]])

      // Everything, as Elixir's `[{{:"$1", :"$2", :"$3"}, [], [{{:"$1", :"$2", :"$3"}}]}]`.
      const all = yield* Registry.select(seats, () => true)
      assert.deepStrictEqual(
        sorted(all.map((e) => `${e.key}|${String(e.pid)}|${e.value.row}`)),
        [`a|${String(me)}|1`, `a|${String(me)}|2`, `a|${String(other)}|3`, `b|${String(other)}|4`]
      )
      // Over the key, the pid and the value.
      assert.deepStrictEqual(sorted((yield* Registry.select(seats, (e) => e.key === "a", (e) => e.value.row))), [1, 2, 3])
      assert.deepStrictEqual(sorted((yield* Registry.select(seats, (e) => e.pid === other, (e) => e.key))), ["a", "b"])
      assert.deepStrictEqual(sorted((yield* Registry.select(seats, (e) => e.value.vip, (e) => e.value.row))), [1, 3])
      assert.deepStrictEqual(yield* Registry.select(seats, (e) => e.key === "a" && e.value.row > 5), [])
      assert.strictEqual(yield* Registry.countSelect(seats, (e) => e.value.vip), 2)
      assert.strictEqual(yield* Registry.countSelect(seats, (e) => e.pid === me), 2)
      assert.strictEqual(yield* Registry.count(seats), 4)

      // A refinement narrows what comes back.
      const vips = yield* Registry.select(
        seats,
        (e): e is Registry.Entry<string, Seat & { readonly vip: true }> => e.value.vip
      )
      const vip: true = vips[0]!.value.vip
      assert.isTrue(vip)

      // The selected entries are copies: changing one changes nothing in the table.
      ;(all[0] as { value: unknown }).value = "changed"
      assert.strictEqual(yield* Registry.countSelect(seats, (e) => typeof e.value === "string"), 0)
    })))

  it.effect("a unique key whose owner is exiting is not selected, as lookup does not show it", () =>
    inNode(Effect.gen(function*() {
      const users = yield* Registry.start<string, number, "unique">({ name: "users", keys: "unique" })
      // A process killed while its finalizer waits for a gate: it is exiting, not yet dead.
      const gate = yield* Deferred.make<void>()
      const pid = yield* Process.spawn(
        Effect.andThen(Registry.register(users, "slow", 1), idle).pipe(Effect.ensuring(Deferred.await(gate)))
      )
      yield* Effect.yieldNow
      assert.strictEqual(yield* Registry.countSelect(users, () => true), 1)
      assert.deepStrictEqual(yield* Registry.values(users, "slow", pid), [1])
      yield* Process.exit(pid, ExitReason.kill)
      while (yield* Process.isAlive(pid)) yield* Effect.yieldNow
      assert.strictEqual(yield* Registry.count(users), 1, "its entry is still in the table")
      assert.deepStrictEqual(yield* Registry.lookup(users, "slow"), [])
      assert.deepStrictEqual(yield* Registry.select(users, () => true), [])
      assert.strictEqual(yield* Registry.countSelect(users, () => true), 0)
      assert.deepStrictEqual(yield* Registry.values(users, "slow", pid), [])
      assert.strictEqual(yield* Registry.countMatch(users, "slow", () => true), 0)
      yield* Deferred.succeed(gate, undefined)
      while ((yield* Registry.count(users)) > 0) yield* Effect.yieldNow
    })))
})

describe("countMatch and values", () => {
  it.effect("countMatch counts a key's entries whose value satisfies the predicate", () =>
    inNode(Effect.gen(function*() {
      const reg = yield* Registry.start<string, readonly [number, string, number], "duplicate">({ name: "reg", keys: "duplicate" })
      yield* Registry.register(reg, "hello", [1, "atom", 1])
      yield* Registry.register(reg, "hello", [2, "atom", 2])
      assert.strictEqual(yield* Registry.countMatch(reg, "hello", ([a]) => a === 1), 1)
      assert.strictEqual(yield* Registry.countMatch(reg, "hello", ([, b]) => b === "atom"), 2)
      assert.strictEqual(yield* Registry.countMatch(reg, "hello", ([a, , c]) => a === c), 2)
      assert.strictEqual(yield* Registry.countMatch(reg, "hello", ([, , c]) => c > 1), 1)
      assert.strictEqual(yield* Registry.countMatch(reg, "nobody", () => true), 0)
    })))

  it.effect("values: what a pid registered under a key; none for another pid, a dead one, or another key", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const unique = yield* Registry.start<string, string, "unique">({ name: "u", keys: "unique" })
      assert.deepStrictEqual(yield* Registry.values(unique, "hello", me), [])
      yield* Registry.register(unique, "hello", "world")
      assert.deepStrictEqual(yield* Registry.values(unique, "hello", me), ["world"])
      const other = yield* member(unique, [["other", "x"]])
      assert.deepStrictEqual(yield* Registry.values(unique, "hello", other), [])
      assert.deepStrictEqual(yield* Registry.values(unique, "other", other), ["x"])

      const dup = yield* Registry.start<string, string, "duplicate">({ name: "d", keys: "duplicate" })
      yield* Registry.register(dup, "hello", "world")
      yield* Registry.register(dup, "hello", "another")
      const third = yield* member(dup, [["hello", "theirs"]])
      assert.deepStrictEqual(sorted(yield* Registry.values(dup, "hello", me)), ["another", "world"])
      assert.deepStrictEqual(yield* Registry.values(dup, "hello", third), ["theirs"])
      yield* kill(third)
      assert.deepStrictEqual(yield* Registry.values(dup, "hello", third), [])
      assert.deepStrictEqual(yield* Registry.values(dup, "elsewhere", me), [])
    })))
})

describe("unregisterMatch", () => {
  it.effect("unique: removes the caller's entry only if its value satisfies the predicate", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const reg = yield* Registry.start<string, string, "unique">({ name: "reg", keys: "unique" })
      yield* Registry.register(reg, "hello", "world")
      yield* Registry.unregisterMatch(reg, "hello", (v) => v === "foo")
      assert.deepStrictEqual(yield* Registry.keys(reg, me), ["hello"])
      yield* Registry.unregisterMatch(reg, "hello", (v) => v === "world")
      assert.deepStrictEqual(yield* Registry.keys(reg, me), [])
      assert.deepStrictEqual(yield* Registry.lookup(reg, "hello"), [])
      // Another process's entry is never touched, whatever the predicate says.
      const other = yield* member(reg, [["theirs", "x"]])
      yield* Registry.unregisterMatch(reg, "theirs", () => true)
      assert.deepStrictEqual(yield* Registry.keys(reg, other), ["theirs"])
    })))

  it.effect("duplicate: removes only the caller's matching entries; the rest stay, its keys and count follow", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const reg = yield* Registry.start<string, string, "duplicate">({ name: "reg", keys: "duplicate" })
      yield* Registry.register(reg, "hello", "world_a")
      yield* Registry.register(reg, "hello", "world_b")
      yield* Registry.register(reg, "hello", "world_c")
      yield* Registry.register(reg, "other", "world_a")
      const other = yield* member(reg, [["hello", "world_a"]])
      assert.deepStrictEqual(yield* Registry.keys(reg, me), ["hello", "hello", "hello", "other"])
      yield* Registry.unregisterMatch(reg, "hello", (v) => v === "world_a")
      assert.deepStrictEqual(sorted(yield* Registry.keys(reg, me)), ["hello", "hello", "other"])
      assert.deepStrictEqual(sorted(yield* Registry.values(reg, "hello", me)), ["world_b", "world_c"])
      assert.deepStrictEqual(yield* Registry.values(reg, "hello", other), ["world_a"])
      assert.deepStrictEqual(yield* Registry.values(reg, "other", me), ["world_a"])
      assert.strictEqual(yield* Registry.count(reg), 4)
      yield* Registry.unregisterMatch(reg, "hello", (v) => v.startsWith("world"))
      assert.deepStrictEqual(yield* Registry.keys(reg, me), ["other"])
      assert.strictEqual(yield* Registry.count(reg), 2)
      // The remaining entries still go when the process exits.
      yield* kill(other)
      assert.deepStrictEqual(yield* Registry.lookup(reg, "hello"), [])
      assert.strictEqual(yield* Registry.count(reg), 1)
    })))
})

describe("deleteMeta", () => {
  it.effect("removes a metadata key; deleting a missing one is fine", () =>
    inNode(Effect.gen(function*() {
      const reg = yield* Registry.start<string, string, "unique">({ name: "reg", keys: "unique" })
      yield* Registry.putMeta(reg, "topic", "chat")
      assert.deepStrictEqual(yield* Registry.meta(reg, "topic"), Option.some("chat"))
      yield* Registry.deleteMeta(reg, "topic")
      assert.deepStrictEqual(yield* Registry.meta(reg, "topic"), Option.none())
      yield* Registry.deleteMeta(reg, "topic")
      yield* Registry.deleteMeta(reg, "__proto__")
      assert.deepStrictEqual(yield* Registry.meta(reg, "topic"), Option.none())
    })))
})

// ----------------------------------------------------------------------------
// Listeners
// ----------------------------------------------------------------------------


const FailsInit = GenServer.make({
  name: "FailsInit",
  init: (_: undefined) => Effect.fail("no")
})

/** Every message in the mailbox now, in order (the caller is the listener). */
const drain = Effect.gen(function*() {
  const messages: Array<unknown> = []
  while (true) {
    const next = yield* Process.receive({ match: (m) => Registry.isRegisterMessage(m) || Registry.isUnregisterMessage(m), timeout: 0 })
    if (Option.isNone(next)) return messages
    messages.push(next.value)
  }
})

const describeMessage = (m: unknown): string =>
  Registry.isRegisterMessage(m)
    ? `register ${m.registry} ${String(m.key)} ${String(m.pid)} ${JSON.stringify(m.value)}`
    : Registry.isUnregisterMessage(m)
    ? `unregister ${m.registry} ${String(m.key)} ${String(m.pid)}`
    : `other ${String(m)}`

describe("listeners", () => {
  for (const keys of ["unique", "duplicate"] as const) {
    it.effect(`${keys}: each listener gets register and unregister, in order; nothing on exit (as Elixir)`, () =>
      inNode(Effect.gen(function*() {
        const me = yield* Process.self
        yield* Process.register("listener", me)
        const second = yield* Process.spawn(idle, { name: "second" })
        const reg = yield* Registry.start<string, number>({ name: "reg", keys, listeners: ["listener", "second"] })

        yield* Registry.register(reg, "hello", 1)
        const task = yield* member(reg, [["world", 2]])
        yield* Registry.unregister(reg, "hello")
        yield* kill(task) // no message: a listener monitors the pids it cares about
        assert.deepStrictEqual((yield* drain).map(describeMessage), [
          `register reg hello ${String(me)} 1`,
          `register reg world ${String(task)} 2`,
          `unregister reg hello ${String(me)}`
        ])
        // The second listener got the same three.
        assert.strictEqual(Option.getOrThrow(yield* Process.info(second)).messageQueueLength, 3)
      })))
  }

  it.effect("the messages are typed by the registry given to the guard; another registry's do not match", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      yield* Process.register("listener", me)
      const users = yield* Registry.start<string, { readonly nick: string }, "unique">({ name: "users", keys: "unique", listeners: ["listener"] })
      const rooms = yield* Registry.start<string, number, "duplicate">({ name: "rooms", keys: "duplicate", listeners: ["listener"] })
      yield* Registry.register(rooms, "lobby", 1)
      yield* Registry.register(users, "joe", { nick: "Joe" })
      const message = yield* Process.receive({ match: (m) => Registry.isRegisterMessage(m, users) })
      const nick: string = message.value.nick
      assert.strictEqual(nick, "Joe")
      assert.strictEqual(message._tag, "Register")
      assert.isTrue(Equal.equals(message.pid, me))
      // The rooms message is still there: the guard with `users` skipped it.
      const roomMessage = yield* Process.receive({ match: (m) => Registry.isRegisterMessage(m, rooms) })
      assert.strictEqual(roomMessage.key, "lobby")
      assert.isFalse(Registry.isRegisterMessage({ _tag: "Register", registry: "users", key: "x", pid: me, value: 1 }))
      assert.isFalse(Registry.isUnregisterMessage(roomMessage))
    })))

  it.effect("unregister tells only when the caller had entries; unregisterMatch once none is left under the key", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      yield* Process.register("listener", me)
      const reg = yield* Registry.start<string, number, "duplicate">({ name: "reg", keys: "duplicate", listeners: ["listener"] })
      yield* Registry.unregister(reg, "never")
      yield* Registry.unregisterMatch(reg, "never", () => true)
      assert.deepStrictEqual(yield* drain, [])

      yield* Registry.register(reg, "k", 1)
      yield* Registry.register(reg, "k", 2)
      yield* Registry.unregisterMatch(reg, "k", (v) => v === 1) // one left: no message
      yield* Registry.unregisterMatch(reg, "k", (v) => v === 9) // nothing removed: no message
      yield* Registry.unregisterMatch(reg, "k", (v) => v === 2) // none left: unregister
      assert.deepStrictEqual((yield* drain).map(describeMessage), [
        `register reg k ${String(me)} 1`,
        `register reg k ${String(me)} 2`,
        `unregister reg k ${String(me)}`
      ])
      // A failed unique registration tells nothing.
      const unique = yield* Registry.start<string, number, "unique">({ name: "u", keys: "unique", listeners: ["listener"] })
      yield* member(unique, [["taken", 1]])
      yield* drain
      assert.instanceOf(yield* Effect.flip(Registry.register(unique, "taken", 2)), Errors.AlreadyRegistered)
      assert.deepStrictEqual(yield* drain, [])
    })))

  it.effect("a via name tells the listeners too (value undefined)", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      yield* Process.register("listener", me)
      const reg = yield* Registry.start<string, undefined, "unique">({ name: "reg", keys: "unique", listeners: ["listener"] })
      const server = yield* GenServer.start(Named, "one", { name: Registry.via(reg, "one") })
      assert.deepStrictEqual((yield* drain).map(describeMessage), [`register reg one ${String(server.pid)} undefined`])
      assert.strictEqual(yield* GenServer.call(GenServer.ref(Named, Registry.via(reg, "one")), Get), "one")
    })))

  it.effect("a via name with a value registers that value (Elixir's {:via, Registry, {registry, key, value}})", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      yield* Process.register("listener", me)
      const reg = yield* Registry.start<string, number, "unique">({ name: "reg", keys: "unique", listeners: ["listener"] })
      const server = yield* GenServer.start(Named, "valued", { name: Registry.via(reg, "valued", 42) })
      assert.deepStrictEqual(yield* Registry.lookup(reg, "valued"), [[server.pid!, 42]])
      assert.deepStrictEqual(yield* Registry.values(reg, "valued", server.pid!), [42])
      assert.deepStrictEqual((yield* drain).map(describeMessage), [`register reg valued ${String(server.pid)} 42`])
      // Either form of the name reaches it; a second start with another value is AlreadyStarted.
      assert.strictEqual(yield* GenServer.call(GenServer.ref(Named, Registry.via(reg, "valued")), Get), "valued")
      assert.strictEqual(yield* GenServer.call(GenServer.ref(Named, Registry.via(reg, "valued", 7)), Get), "valued")
      const again = yield* Effect.flip(GenServer.start(Named, "again", { name: Registry.via(reg, "valued", 7) }))
      assert.strictEqual(again._tag, "AlreadyStarted")
      assert.deepStrictEqual(yield* Registry.lookup(reg, "valued"), [[server.pid!, 42]])
      // Stopped: the entry goes (no message, as for any exit); the same after a failed init.
      yield* GenServer.stop(server)
      assert.deepStrictEqual(yield* Registry.lookup(reg, "valued"), [])
      assert.deepStrictEqual(yield* drain, [])
      const failed = yield* Effect.flip(GenServer.start(FailsInit, undefined, { name: Registry.via(reg, "failing", 1) }))
      assert.strictEqual(failed._tag, "InitFailed")
      assert.deepStrictEqual(yield* Registry.lookup(reg, "failing"), [])
      assert.deepStrictEqual((yield* drain).map(describeMessage).map((m) => m.split(" ").slice(0, 3).join(" ")), ["register reg failing"])
    })))

  it.effect("a listener that is not running misses the message; the registration is not affected (Elixir's send raises)", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const reg = yield* Registry.start<string, number, "unique">({ name: "reg", keys: "unique", listeners: ["late"] })
      yield* Registry.register(reg, "a", 1)
      assert.deepStrictEqual(yield* Registry.lookup(reg, "a"), [[me, 1]])
      // The name is resolved at each message: a listener that starts later gets what follows.
      const late = yield* Process.spawn(idle, { name: "late" })
      yield* Registry.register(reg, "b", 2)
      assert.strictEqual(Option.getOrThrow(yield* Process.info(late)).messageQueueLength, 1)
      // A listener killed: the next messages are dropped, the registry goes on.
      yield* kill(late)
      yield* Registry.unregister(reg, "a")
      yield* Registry.register(reg, "c", 3)
      assert.deepStrictEqual(sorted(yield* Registry.keys(reg, me)), ["b", "c"])
    })))
})

// ----------------------------------------------------------------------------
// Bad input and odd keys
// ----------------------------------------------------------------------------

describe("bad input", () => {
  it.effect("a predicate or projection that is no function, or a predicate that returns no boolean, is a BadArgument; nothing changes", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const reg = yield* Registry.start<string, number, "duplicate">({ name: "reg", keys: "duplicate" })
      yield* Registry.register(reg, "k", 1)
      const notAFunction = 42 as unknown as () => boolean
      const notABoolean = (() => 1) as unknown as () => boolean
      const errors = [
        yield* Effect.flip(Registry.select(reg, notAFunction)),
        yield* Effect.flip(Registry.select(reg, () => true, notAFunction as unknown as (e: Registry.Entry) => number)),
        yield* Effect.flip(Registry.countSelect(reg, notAFunction)),
        yield* Effect.flip(Registry.match(reg, "k", notAFunction)),
        yield* Effect.flip(Registry.countMatch(reg, "k", notAFunction)),
        yield* Effect.flip(Registry.unregisterMatch(reg, "k", notAFunction)),
        yield* Effect.flip(Registry.select(reg, notABoolean)),
        yield* Effect.flip(Registry.countSelect(reg, notABoolean)),
        yield* Effect.flip(Registry.match(reg, "k", notABoolean)),
        yield* Effect.flip(Registry.countMatch(reg, "k", notABoolean)),
        yield* Effect.flip(Registry.unregisterMatch(reg, "k", notABoolean))
      ]
      const operations = [
        "select", "select", "countSelect", "match", "countMatch", "unregisterMatch",
        "select", "countSelect", "match", "countMatch", "unregisterMatch"
      ]
      assert.strictEqual(errors.length, operations.length)
      for (const [i, error] of errors.entries()) {
        assert.instanceOf(error, Errors.BadArgument, operations[i])
        assert.strictEqual((error as Errors.BadArgument).operation, `Registry.${operations[i]}`)
      }
      assert.deepStrictEqual(yield* Registry.values(reg, "k", me), [1])
    })))

  it.effect("a predicate that throws is a defect of the caller; unregisterMatch then removes nothing; the registry goes on", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const reg = yield* Registry.start<string, number, "duplicate">({ name: "reg", keys: "duplicate" })
      yield* Registry.register(reg, "k", 1)
      yield* Registry.register(reg, "k", 2)
      const boom = (v: number) => {
        if (v === 2) throw new Error("boom")
        return true
      }
      const exits: ReadonlyArray<Exit.Exit<unknown, unknown>> = [
        yield* Effect.exit(Registry.unregisterMatch(reg, "k", boom)),
        yield* Effect.exit(Registry.select(reg, (e) => boom(e.value))),
        yield* Effect.exit(Registry.countMatch(reg, "k", boom))
      ]
      for (const exit of exits) {
        assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause), String(exit))
      }
      assert.deepStrictEqual(sorted(yield* Registry.values(reg, "k", me)), [1, 2])
      assert.strictEqual(yield* Registry.count(reg), 2)
    })))

  for (const keys of ["unique", "duplicate"] as const) {
    for (const partitions of [1, 4]) {
      it.effect(`${keys}, ${partitions} partition(s): keys named like Object.prototype members work everywhere`, () =>
        inNode(Effect.gen(function*() {
          const me = yield* Process.self
          const reg = yield* Registry.start<string, number>({ name: "reg", keys, partitions })
          const names = ["__proto__", "constructor", "hasOwnProperty", "toString"]
          for (const [i, name] of names.entries()) yield* Registry.register(reg, name, i)
          for (const [i, name] of names.entries()) {
            assert.deepStrictEqual(yield* Registry.lookup(reg, name), [[me, i]], name)
            assert.deepStrictEqual(yield* Registry.values(reg, name, me), [i], name)
            assert.strictEqual(yield* Registry.countMatch(reg, name, () => true), 1, name)
          }
          assert.deepStrictEqual(sorted(yield* Registry.select(reg, () => true, (e) => e.key)), sorted(names))
          assert.deepStrictEqual(sorted(yield* Registry.keys(reg, me)), sorted(names))
          yield* Registry.unregisterMatch(reg, "__proto__", () => true)
          yield* Registry.unregister(reg, "constructor")
          assert.deepStrictEqual(sorted(yield* Registry.keys(reg, me)), ["hasOwnProperty", "toString"])
          assert.deepStrictEqual(yield* Registry.lookup(reg, "__proto__"), [])
          yield* Registry.putMeta(reg, "__proto__", "meta")
          assert.deepStrictEqual(yield* Registry.meta(reg, "__proto__"), Option.some("meta"))
        })))
    }
  }
})
