import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Equal, Exit, Fiber, Option, Ref, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { Errors, ExitReason, GenServer, Node, Pid, Process, Registry, Supervisor } from "../index.js"

// ----------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------

/** Runs `body` as a process on a fresh node. */
const inNode = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()))

const isDownFor = (ref: Process.DownMessage["ref"]) => (m: unknown): m is Process.DownMessage =>
  Process.isDownMessage(m) && m.ref === ref

const isExitFrom = (pid: Pid.Pid) => (m: unknown): m is Process.ExitMessage =>
  Process.isExitMessage(m) && Equal.equals(m.from, pid)

/** A process body that waits forever. */
const idle = Process.receive({ match: () => false })

/** Waits until `pid` has exited and returns its reason. */
const awaitExit = (pid: Pid.Pid) =>
  Effect.gen(function*() {
    const ref = yield* Process.monitor(pid)
    return (yield* Process.receive({ match: isDownFor(ref) })).reason
  })

/** Entries as comparable strings: `pid|value`, sorted (the Registry does not promise an order). */
const show = (entries: ReadonlyArray<readonly [Pid.Pid, unknown]>): Array<string> =>
  entries.map(([pid, value]) => `${String(pid)}|${JSON.stringify(value)}`).sort()

const entry = (pid: Pid.Pid, value: unknown): string => `${String(pid)}|${JSON.stringify(value)}`

// ----------------------------------------------------------------------------
// Agents: processes that run what they are told, one command at a time
// ----------------------------------------------------------------------------

/** A command for an agent: run `run` as the agent and reply with its Exit. */
class Job {
  constructor(
    readonly id: number,
    readonly run: Effect.Effect<unknown, unknown, Process.CurrentProcess | Node.Node>,
    readonly replyTo: Pid.Pid
  ) {}
}

class Done {
  constructor(readonly id: number, readonly exit: Exit.Exit<unknown, unknown>) {}
}

/** Ways an agent ends by itself, on command. */
type SelfExit = "return" | "fail" | "die" | "exitWith" | "linkCrash"
/** Ways an agent is ended from outside, by an exit signal. */
type SignalExit = "shutdown" | "kill"
type ExitKind = SelfExit | SignalExit

const exitKinds: ReadonlyArray<ExitKind> = ["return", "fail", "die", "exitWith", "shutdown", "kill", "linkCrash"]

/** The reason each kind of exit must produce (so a test knows the exit it asked for happened). */
const expectedReason: Record<ExitKind, ExitReason.ExitReason["_tag"]> = {
  return: "Normal",
  fail: "Crash",
  die: "Crash",
  exitWith: "Shutdown",
  shutdown: "Shutdown",
  kill: "Killed",
  linkCrash: "Crash"
}

class Quit {
  constructor(readonly how: SelfExit) {}
}

const agentBody = Effect.gen(function*() {
  while (true) {
    const message = yield* Process.receive()
    if (message instanceof Job) {
      const exit = yield* Effect.exit(message.run)
      yield* Process.send(message.replyTo, new Done(message.id, exit))
    } else if (message instanceof Quit) {
      switch (message.how) {
        case "return":
          return
        case "fail":
          return yield* Effect.fail("agent failed")
        case "die":
          return yield* Effect.die(new Error("agent died"))
        case "exitWith":
          return yield* Process.exitWith(ExitReason.shutdown("agent quits"))
        case "linkCrash":
          // A linked process crashes and takes the agent with it.
          yield* Process.spawnLink(Effect.fail("linked crash"))
          yield* idle
      }
    }
  }
})

const spawnAgent = Process.spawn(agentBody)

let jobIds = 0

/** Has `agent` run `run` and returns its Exit; fails the test if the agent dies meanwhile. */
const ask = <A, E>(agent: Pid.Pid, run: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Effect.gen(function*() {
    const id = ++jobIds
    const ref = yield* Process.monitor(agent)
    yield* Process.send(agent, new Job(id, run, yield* Process.self))
    const reply = yield* Process.receive({ match: (m) => (m instanceof Done && m.id === id) || isDownFor(ref)(m) })
    yield* Process.demonitor(ref, { flush: true })
    if (!(reply instanceof Done)) return assert.fail(`agent ${String(agent)} died while running a job`)
    return reply.exit as Exit.Exit<A, E>
  })

/** Like `ask`, for a job that must succeed: its value. */
const perform = <A, E>(agent: Pid.Pid, run: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Effect.flatMap(ask(agent, run), (exit) => {
    if (Exit.isFailure(exit)) return assert.fail(`job failed: ${String(exit.cause)}`)
    return Effect.succeed(exit.value)
  })

/** The typed error of a job that must fail with one. */
const performError = <A, E>(agent: Pid.Pid, run: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Effect.flatMap(ask(agent, run), (exit) => {
    const error = Exit.findErrorOption(exit)
    if (Option.isNone(error)) return assert.fail(`expected the job to fail, got ${String(exit)}`)
    return Effect.succeed(error.value)
  })

/** Ends `agent` the way `how` says (it must be alive). */
const endAgent = (agent: Pid.Pid, how: ExitKind) => {
  switch (how) {
    case "shutdown":
      return Process.exit(agent, ExitReason.shutdown())
    case "kill":
      return Process.exit(agent, ExitReason.kill)
    default:
      return Process.send(agent, new Quit(how))
  }
}

// ----------------------------------------------------------------------------
// A GenServer for via naming
// ----------------------------------------------------------------------------

interface RoomState {
  readonly registry: Registry.Registry<string, unknown, "unique">
  readonly key: string
  readonly text: string
}

const Get = Rpc.make("Get", { success: Schema.String })
const Crash = Rpc.make("Crash")
/** The server removes its own via entry (Registry.unregister as the server process). */
const Release = Rpc.make("Release")
const Put = Rpc.make("Put", { payload: { text: Schema.String } })

const Room = GenServer.make({
  name: "Room",
  calls: [Get, Crash, Release],
  casts: [Put],
  init: (state: RoomState) => GenServer.ok(state),
  handleCall: {
    Get: (_, state) => GenServer.reply(state.text, state),
    Crash: (_, state) => Effect.die(new Error(`${state.text} crashed`)),
    Release: (_, state) => Effect.as(Registry.unregister(state.registry, state.key), GenServer.reply(undefined, state))
  },
  handleCast: {
    Put: ({ text }, state) => GenServer.noreply({ ...state, text })
  }
})

/** A server whose init registers it, then yields, then fails. */
const FailingInit = GenServer.make({
  name: "FailingInit",
  init: (registry: Registry.Registry<string, number, "unique">) =>
    Effect.gen(function*() {
      yield* Registry.register(registry, "doomed", 1)
      yield* Effect.yieldNow
      return yield* Effect.fail("init failed")
    })
})

/** A server whose init registers it and never finishes. */
const StuckInit = GenServer.make({
  name: "StuckInit",
  init: (registry: Registry.Registry<string, number, "unique">) =>
    Effect.gen(function*() {
      yield* Registry.register(registry, "stuck", 1)
      yield* idle
      return GenServer.ok(undefined)
    })
})

// ----------------------------------------------------------------------------
// The registry process
// ----------------------------------------------------------------------------

describe("the registry process", () => {
  it.effect("is a process registered under its name; start and startLink return a handle; a taken name is AlreadyStarted", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const reg = yield* Registry.start<string, number, "unique">({ name: "reg", keys: "unique" })
      assert.strictEqual(reg.name, "reg")
      assert.strictEqual(reg.keys, "unique")
      const pid = yield* Process.whereis("reg")
      assert.isTrue(Option.isSome(pid) && (yield* Process.isAlive(pid.value)))
      const regPid = Option.getOrThrow(pid)
      // start does not link to the caller
      const info = Option.getOrThrow(yield* Process.info(regPid))
      assert.isFalse(info.links.some((p) => Equal.equals(p, me)))

      const dup = yield* Registry.startLink<string, number, "duplicate">({ name: "dup", keys: "duplicate" })
      assert.strictEqual(dup.keys, "duplicate")
      const dupPid = Option.getOrThrow(yield* Process.whereis("dup"))
      assert.isTrue(Option.getOrThrow(yield* Process.info(dupPid)).links.some((p) => Equal.equals(p, me)))

      const taken = yield* Effect.flip(Registry.start({ name: "reg", keys: "duplicate" }))
      assert.instanceOf(taken, Errors.AlreadyStarted)
      assert.isTrue(taken._tag === "AlreadyStarted" && Equal.equals(taken.pid, regPid))
      // The handle of `ref` reaches the same table.
      yield* Registry.register(reg, "a", 1)
      assert.deepStrictEqual(show(yield* Registry.lookup(Registry.ref<string, number>("reg", "unique"), "a")), [entry(me, 1)])
    })))

  it.effect("bad options are a typed BadArgument, and nothing starts", () =>
    inNode(Effect.gen(function*() {
      const before = (yield* Process.processes).length
      const circular: { self?: unknown } = {}
      circular.self = circular
      const cases = [
        { name: "", keys: "unique" },
        { name: "reg", keys: "both" },
        { name: "reg", keys: undefined },
        { name: 42, keys: "unique" },
        null,
        { name: "reg", keys: "unique", partitions: 0 },
        { name: "reg", keys: "unique", partitions: -2 },
        { name: "reg", keys: "duplicate", partitions: 1.5 },
        { name: "reg", keys: "duplicate", partitions: "4" },
        { name: "reg", keys: "duplicate", partitions: Number.NaN },
        { name: "reg", keys: "unique", listeners: "audit" },
        { name: "reg", keys: "unique", listeners: ["audit", ""] },
        { name: "reg", keys: "unique", listeners: [42] },
        // Values no JSON.stringify takes: a bigint, a cycle.
        { name: "reg", keys: BigInt(1) },
        { name: "reg", keys: circular },
        { name: "reg", keys: "unique", partitions: BigInt(2) }
      ] as unknown as ReadonlyArray<{ readonly name: string; readonly keys: Registry.Registry<unknown>["keys"] }>
      for (const [i, options] of cases.entries()) {
        const e1 = yield* Effect.flip(Registry.start(options))
        assert.instanceOf(e1, Errors.BadArgument, `case ${i}`)
        assert.isTrue(e1._tag === "BadArgument" && e1.operation === "Registry.start")
        const e2 = yield* Effect.flip(Registry.startLink(options))
        assert.instanceOf(e2, Errors.BadArgument, `case ${i}`)
      }
      assert.strictEqual((yield* Process.processes).length, before)
      assert.deepStrictEqual(yield* Process.registered, [])

      // Under a supervisor, the child's start fails with the BadArgument.
      const error = yield* Effect.flip(Supervisor.start([Registry.childSpec({ name: "reg", keys: "many" as "unique" })]))
      assert.strictEqual(error._tag, "InitFailed")
      const reason = (error as Errors.InitFailed).reason
      assert.isTrue(reason._tag === "Shutdown" && reason.reason instanceof Supervisor.FailedToStartChild)
      const failed = (reason as ExitReason.Shutdown).reason as Supervisor.FailedToStartChild
      assert.strictEqual(failed.id, "reg")
      assert.instanceOf(failed.reason, Errors.BadArgument)
      assert.strictEqual((yield* Process.processes).length, before)
    })))

  it.effect("a child spec starts it under a supervisor; a restarted registry starts empty", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const sup = yield* Supervisor.start([Registry.childSpec({ name: "reg", keys: "unique" })], { intensity: 5 })
      const children = yield* Supervisor.whichChildren(sup)
      assert.strictEqual(children.length, 1)
      const child = children[0]!
      assert.strictEqual(child.id, "reg")
      assert.strictEqual(child.type, "worker")
      assert.deepStrictEqual(child.modules, ["Registry"])
      const first = Option.getOrThrow(yield* Process.whereis("reg"))
      assert.isTrue(Equal.equals(child.pid, first))
      // The registry is linked to its supervisor.
      assert.isTrue(Option.getOrThrow(yield* Process.info(first)).links.some((p) => Equal.equals(p, sup.pid!)))

      const reg = Registry.ref<string, number, "unique">("reg", "unique")
      yield* Registry.register(reg, "a", 1)
      yield* Registry.register(reg, "b", 2)
      yield* Registry.putMeta(reg, "config", "v1")
      assert.strictEqual(yield* Registry.count(reg), 2)

      // Kill the registry; its supervisor restarts it.
      const ref = yield* Process.monitor(first)
      yield* Process.exit(first, ExitReason.kill)
      assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(ref) })).reason, ExitReason.killed)
      // A call is handled after the Exit message the supervisor already has: the restart is done.
      const after = (yield* Supervisor.whichChildren(sup))[0]!
      const second = Option.getOrThrow(yield* Process.whereis("reg"))
      assert.isTrue(Equal.equals(after.pid, second))
      assert.isFalse(Equal.equals(first, second))

      assert.strictEqual(yield* Registry.count(reg), 0)
      assert.deepStrictEqual(yield* Registry.lookup(reg, "a"), [])
      assert.deepStrictEqual(yield* Registry.keys(reg, me), [])
      assert.isTrue(Option.isNone(yield* Registry.meta(reg, "config")))
      // The key is free in the new table.
      yield* Registry.register(reg, "a", 10)
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "a")), [entry(me, 10)])
      assert.strictEqual(yield* Registry.count(reg), 1)
    })))

  it.effect("every operation on a registry that is not running fails with NoProc", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const checkAll = (reg: Registry.Registry<string, number, "unique">) =>
        Effect.gen(function*() {
          const dispatched = yield* Ref.make(0)
          const results = [
            yield* Effect.flip(Registry.register(reg, "a", 1)),
            yield* Effect.flip(Registry.unregister(reg, "a")),
            yield* Effect.flip(Registry.lookup(reg, "a")),
            yield* Effect.flip(Registry.match(reg, "a", () => true)),
            yield* Effect.flip(Registry.keys(reg, me)),
            yield* Effect.flip(Registry.count(reg)),
            yield* Effect.flip(Registry.updateValue(reg, "a", (n) => n + 1)),
            yield* Effect.flip(Registry.meta(reg, "m")),
            yield* Effect.flip(Registry.putMeta(reg, "m", 1)),
            yield* Effect.flip(Registry.dispatch(reg, "a", () => Ref.update(dispatched, (n) => n + 1))),
            yield* Effect.flip(Registry.select(reg, () => true)),
            yield* Effect.flip(Registry.countSelect(reg, () => true)),
            yield* Effect.flip(Registry.countMatch(reg, "a", () => true)),
            yield* Effect.flip(Registry.values(reg, "a", me)),
            yield* Effect.flip(Registry.unregisterMatch(reg, "a", () => true)),
            yield* Effect.flip(Registry.deleteMeta(reg, "m"))
          ]
          for (const error of results) assert.instanceOf(error, Errors.NoProc)
          assert.strictEqual(yield* Ref.get(dispatched), 0)
        })

      // Never started.
      yield* checkAll(Registry.ref("nowhere", "unique"))

      // Stopped.
      const reg = yield* Registry.start<string, number, "unique">({ name: "reg", keys: "unique" })
      yield* Registry.register(reg, "a", 1)
      yield* GenServer.stop(Option.getOrThrow(yield* Process.whereis("reg")))
      yield* checkAll(reg)

      // The name belongs to a process that is not a registry.
      yield* Process.spawn(idle, { name: "impostor" })
      yield* checkAll(Registry.ref("impostor", "unique"))

      // Crashed (killed).
      const reg2 = yield* Registry.start<string, number, "unique">({ name: "reg2", keys: "unique" })
      const pid2 = Option.getOrThrow(yield* Process.whereis("reg2"))
      yield* Process.exit(pid2, ExitReason.kill)
      assert.deepStrictEqual(yield* awaitExit(pid2), ExitReason.killed)
      yield* checkAll(reg2)
    })))
})

// ----------------------------------------------------------------------------
// Unique keys
// ----------------------------------------------------------------------------

describe("unique keys", () => {
  it.effect("register registers the caller; a taken key is AlreadyRegistered with the owner's pid, also for the owner", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const reg = yield* Registry.start<string, number, "unique">({ name: "reg", keys: "unique" })
      yield* Registry.register(reg, "a", 1)
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "a")), [entry(me, 1)])
      const found = yield* Registry.lookup(reg, "a")
      assert.strictEqual(found.length, 1)
      assert.isTrue(Equal.equals(found[0]![0], me))
      assert.strictEqual(found[0]![1], 1)

      // Another process: the owner's pid.
      const other = yield* spawnAgent
      const taken = yield* performError(other, Registry.register(reg, "a", 2))
      assert.instanceOf(taken, Errors.AlreadyRegistered)
      assert.isTrue(taken._tag === "AlreadyRegistered" && Equal.equals(taken.pid, me))

      // The owner itself.
      const again = yield* Effect.flip(Registry.register(reg, "a", 3))
      assert.instanceOf(again, Errors.AlreadyRegistered)
      assert.isTrue(again._tag === "AlreadyRegistered" && Equal.equals(again.pid, me))

      // A key that no String() takes (user data: no prototype): AlreadyRegistered all the same.
      const bare = Object.create(null)
      yield* Registry.register(reg as Registry.Registry<unknown, number, "unique">, bare, 4)
      const bareTaken = yield* performError(other, Registry.register(reg as Registry.Registry<unknown, number, "unique">, bare, 5))
      assert.instanceOf(bareTaken, Errors.AlreadyRegistered)
      assert.isTrue(bareTaken._tag === "AlreadyRegistered" && Equal.equals(bareTaken.pid, me))
      yield* Registry.unregister(reg as Registry.Registry<unknown, number, "unique">, bare)

      // Nothing changed.
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "a")), [entry(me, 1)])
      assert.deepStrictEqual(yield* Registry.keys(reg, me), ["a"])
      assert.deepStrictEqual(yield* Registry.keys(reg, other), [])
      assert.strictEqual(yield* Registry.count(reg), 1)

      // The other process takes another key; keys of each pid, count.
      yield* perform(other, Registry.register(reg, "b", 20))
      yield* Registry.register(reg, "c", 30)
      assert.deepStrictEqual([...(yield* Registry.keys(reg, me))].sort(), ["a", "c"])
      assert.deepStrictEqual(yield* Registry.keys(reg, other), ["b"])
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "b")), [entry(other, 20)])
      assert.deepStrictEqual(yield* Registry.lookup(reg, "nobody"), [])
      assert.strictEqual(yield* Registry.count(reg), 3)
    })))

  it.effect("unregister removes the caller's entry only; the key is free again", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const reg = yield* Registry.start<string, number, "unique">({ name: "reg", keys: "unique" })
      const other = yield* spawnAgent
      yield* Registry.register(reg, "a", 1)
      yield* Registry.register(reg, "b", 2)
      // Unregistering a key someone else owns does nothing.
      yield* perform(other, Registry.unregister(reg, "a"))
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "a")), [entry(me, 1)])
      // Unregistering a key nobody has does nothing.
      yield* Registry.unregister(reg, "zzz")
      assert.strictEqual(yield* Registry.count(reg), 2)

      yield* Registry.unregister(reg, "a")
      assert.deepStrictEqual(yield* Registry.lookup(reg, "a"), [])
      assert.deepStrictEqual(yield* Registry.keys(reg, me), ["b"])
      assert.strictEqual(yield* Registry.count(reg), 1)
      yield* perform(other, Registry.register(reg, "a", 5))
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "a")), [entry(other, 5)])

      yield* Registry.unregister(reg, "b")
      assert.deepStrictEqual(yield* Registry.keys(reg, me), [])
      assert.strictEqual(yield* Registry.count(reg), 1)
      // Registering again after unregistering everything works (and is cleaned on exit, below).
      yield* perform(other, Registry.unregister(reg, "a"))
      yield* perform(other, Registry.register(reg, "a", 6))
      yield* endAgent(other, "kill")
      yield* awaitExit(other)
      assert.deepStrictEqual(yield* Registry.lookup(reg, "a"), [])
      assert.strictEqual(yield* Registry.count(reg), 0)
    })))

  it.effect("match filters a key's entries by a predicate on the values", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const reg = yield* Registry.start<string, { readonly role: string; readonly n: number }, "unique">({ name: "reg", keys: "unique" })
      yield* Registry.register(reg, "a", { role: "admin", n: 1 })
      assert.deepStrictEqual(show(yield* Registry.match(reg, "a", (v) => v.role === "admin")), [entry(me, { role: "admin", n: 1 })])
      assert.deepStrictEqual(yield* Registry.match(reg, "a", (v) => v.role === "guest"), [])
      assert.deepStrictEqual(yield* Registry.match(reg, "missing", () => true), [])
    })))

  it.effect("updateValue changes the owner's value and returns the new and the old; anyone else gets none", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const reg = yield* Registry.start<string, number, "unique">({ name: "reg", keys: "unique" })
      yield* Registry.register(reg, "a", 1)
      assert.deepStrictEqual(yield* Registry.updateValue(reg, "a", (n) => n + 10), Option.some([11, 1] as const))
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "a")), [entry(me, 11)])
      assert.deepStrictEqual(yield* Registry.updateValue(reg, "a", (n) => n * 2), Option.some([22, 11] as const))

      const other = yield* spawnAgent
      let called = false
      const result = yield* perform(other, Registry.updateValue(reg, "a", (n) => {
        called = true
        return n + 1
      }))
      assert.isTrue(Option.isNone(result))
      assert.isFalse(called)
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "a")), [entry(me, 22)])
      assert.isTrue(Option.isNone(yield* Registry.updateValue(reg, "missing", (n) => n + 1)))
      assert.strictEqual(yield* Registry.count(reg), 1)

      // An untyped caller on a duplicate registry (Elixir raises): none, and nothing changes.
      const dup = yield* Registry.start<string, number, "duplicate">({ name: "dup", keys: "duplicate" })
      yield* Registry.register(dup, "a", 1)
      assert.isTrue(Option.isNone(yield* Registry.updateValue(dup as any, "a", (n: number) => n + 1)))
      assert.deepStrictEqual(show(yield* Registry.lookup(dup, "a")), [entry(me, 1)])

      // An untyped caller's function that is none (Elixir: FunctionClauseError): BadArgument, the
      // value as it was.
      for (const f of [5, null, undefined, "n + 1"]) {
        const error = yield* Effect.flip(Registry.updateValue(reg, "a", f as any))
        assert.instanceOf(error, Errors.BadArgument, String(f))
        assert.strictEqual((error as Errors.BadArgument).operation, "Registry.updateValue")
      }
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "a")), [entry(me, 22)])
    })))

  it.effect("meta and putMeta store registry metadata", () =>
    inNode(Effect.gen(function*() {
      const reg = yield* Registry.start<string, number, "unique">({ name: "reg", keys: "unique" })
      assert.isTrue(Option.isNone(yield* Registry.meta(reg, "config")))
      yield* Registry.putMeta(reg, "config", { size: 1 })
      assert.deepStrictEqual(yield* Registry.meta(reg, "config"), Option.some({ size: 1 }))
      yield* Registry.putMeta(reg, "config", { size: 2 })
      assert.deepStrictEqual(yield* Registry.meta(reg, "config"), Option.some({ size: 2 }))
      yield* Registry.putMeta(reg, "nothing", null)
      assert.deepStrictEqual(yield* Registry.meta(reg, "nothing"), Option.some(null))
      // Structured meta keys compare by structure.
      yield* Registry.putMeta(reg, ["shard", 1], "s1")
      assert.deepStrictEqual(yield* Registry.meta(reg, ["shard", 1]), Option.some("s1"))
      assert.isTrue(Option.isNone(yield* Registry.meta(reg, ["shard", 2])))
      // Metadata is not an entry.
      assert.strictEqual(yield* Registry.count(reg), 0)
    })))

  it.effect("keys are compared with Equal: structured keys by structure", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const reg = yield* Registry.start<{ readonly room: string }, number, "unique">({ name: "reg", keys: "unique" })
      yield* Registry.register(reg, { room: "lobby" }, 1)
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, { room: "lobby" })), [entry(me, 1)])
      const other = yield* spawnAgent
      const taken = yield* performError(other, Registry.register(reg, { room: "lobby" }, 2))
      assert.isTrue(taken._tag === "AlreadyRegistered" && Equal.equals(taken.pid, me))
      yield* perform(other, Registry.register(reg, { room: "kitchen" }, 3))
      assert.deepStrictEqual(yield* Registry.keys(reg, other), [{ room: "kitchen" }])
      yield* Registry.unregister(reg, { room: "lobby" })
      assert.deepStrictEqual(yield* Registry.lookup(reg, { room: "lobby" }), [])
      yield* endAgent(other, "shutdown")
      yield* awaitExit(other)
      assert.deepStrictEqual(yield* Registry.lookup(reg, { room: "kitchen" }), [])
      assert.strictEqual(yield* Registry.count(reg), 0)
    })))
})

// ----------------------------------------------------------------------------
// Duplicate keys
// ----------------------------------------------------------------------------

describe("duplicate keys", () => {
  it.effect("several processes, and several entries of one process, per key", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const reg = yield* Registry.start<string, number, "duplicate">({ name: "dup", keys: "duplicate" })
      const other = yield* spawnAgent
      yield* Registry.register(reg, "t", 1)
      yield* Registry.register(reg, "t", 2)
      yield* perform(other, Registry.register(reg, "t", 3))
      yield* perform(other, Registry.register(reg, "u", 4))
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "t")), [entry(me, 1), entry(me, 2), entry(other, 3)].sort())
      assert.deepStrictEqual(yield* Registry.keys(reg, me), ["t", "t"])
      assert.deepStrictEqual([...(yield* Registry.keys(reg, other))].sort(), ["t", "u"])
      assert.strictEqual(yield* Registry.count(reg), 4)
      assert.deepStrictEqual(show(yield* Registry.match(reg, "t", (v) => v >= 2)), [entry(me, 2), entry(other, 3)].sort())

      // unregister removes all of the caller's entries under the key, nobody else's.
      yield* Registry.unregister(reg, "t")
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "t")), [entry(other, 3)])
      assert.deepStrictEqual(yield* Registry.keys(reg, me), [])
      assert.strictEqual(yield* Registry.count(reg), 2)

      // The other's exit removes its entries under every key.
      yield* Registry.register(reg, "u", 5)
      yield* endAgent(other, "return")
      yield* awaitExit(other)
      assert.deepStrictEqual(yield* Registry.lookup(reg, "t"), [])
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "u")), [entry(me, 5)])
      assert.deepStrictEqual(yield* Registry.keys(reg, other), [])
      assert.strictEqual(yield* Registry.count(reg), 1)
    })))
})

// ----------------------------------------------------------------------------
// Entries of exited processes
// ----------------------------------------------------------------------------

describe("entries go with their process", () => {
  it.effect("however the process exits, a lookup right after its Down shows no dead pid", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const uniq = yield* Registry.start<string, number, "unique">({ name: "uniq", keys: "unique" })
      const dup = yield* Registry.start<string, number, "duplicate">({ name: "dup", keys: "duplicate" })
      yield* Registry.register(uniq, "mine", 0)
      yield* Registry.register(dup, "topic", 0)
      for (const how of exitKinds) {
        const agent = yield* spawnAgent
        yield* perform(agent, Effect.gen(function*() {
          yield* Registry.register(uniq, "k", 1)
          yield* Registry.register(uniq, "k2", 2)
          yield* Registry.register(dup, "topic", 3)
          yield* Registry.register(dup, "topic", 4)
          yield* Registry.register(dup, "other", 5)
        }))
        assert.strictEqual(yield* Registry.count(uniq), 3, how)
        assert.strictEqual(yield* Registry.count(dup), 4, how)
        const ref = yield* Process.monitor(agent)
        yield* endAgent(agent, how)
        const down = yield* Process.receive({ match: isDownFor(ref) })
        assert.strictEqual(down.reason._tag, expectedReason[how], how)
        // Right after the Down, in the process that received it: no trace of the dead pid.
        assert.deepStrictEqual(yield* Registry.lookup(uniq, "k"), [], how)
        assert.deepStrictEqual(yield* Registry.lookup(uniq, "k2"), [], how)
        assert.deepStrictEqual(show(yield* Registry.lookup(dup, "topic")), [entry(me, 0)], how)
        assert.deepStrictEqual(yield* Registry.lookup(dup, "other"), [], how)
        assert.deepStrictEqual(yield* Registry.keys(uniq, agent), [], how)
        assert.deepStrictEqual(yield* Registry.keys(dup, agent), [], how)
        assert.strictEqual(yield* Registry.count(uniq), 1, how)
        assert.strictEqual(yield* Registry.count(dup), 1, how)
        // The keys are free again.
        yield* Registry.register(uniq, "k", 9)
        yield* Registry.unregister(uniq, "k")
      }
      assert.deepStrictEqual(show(yield* Registry.lookup(uniq, "mine")), [entry(me, 0)])
    })))

  it.effect("a process that traps exits sees no dead pid right after the Exit message of a linked process", () =>
    inNode(Effect.gen(function*() {
      yield* Process.trapExit(true)
      const uniq = yield* Registry.start<string, number, "unique">({ name: "uniq", keys: "unique" })
      const dup = yield* Registry.start<string, number, "duplicate">({ name: "dup", keys: "duplicate" })
      for (const how of exitKinds) {
        const agent = yield* spawnAgent
        yield* Process.link(agent)
        yield* perform(agent, Effect.andThen(Registry.register(uniq, "k", 1), Registry.register(dup, "t", 2)))
        yield* endAgent(agent, how)
        const exit = yield* Process.receive({ match: isExitFrom(agent) })
        assert.strictEqual(exit.reason._tag, expectedReason[how], how)
        assert.deepStrictEqual(yield* Registry.lookup(uniq, "k"), [], how)
        assert.deepStrictEqual(yield* Registry.lookup(dup, "t"), [], how)
        assert.strictEqual(yield* Registry.count(uniq), 0, how)
        assert.strictEqual(yield* Registry.count(dup), 0, how)
      }
    })))

  it.effect("a watcher process (not the caller) sees no dead pid right after the Down", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const reg = yield* Registry.start<string, number, "unique">({ name: "reg", keys: "unique" })
      for (const how of exitKinds) {
        const agent = yield* spawnAgent
        yield* perform(agent, Registry.register(reg, "k", 1))
        // The watcher monitors the agent and reports what a lookup shows right after the Down.
        const watcher = yield* Process.spawn(Effect.gen(function*() {
          const ref = yield* Process.monitor(agent)
          yield* Process.send(me, "watching")
          const down = yield* Process.receive({ match: isDownFor(ref) })
          const seen = yield* Registry.lookup(reg, "k")
          yield* Process.send(me, ["seen", down.reason._tag, seen.length])
        }))
        yield* Process.receive({ match: (m) => m === "watching" })
        yield* endAgent(agent, how)
        const report = yield* Process.receive({ match: (m) => Array.isArray(m) && m[0] === "seen" })
        assert.deepStrictEqual(report, ["seen", expectedReason[how], 0], how)
        yield* awaitExit(watcher)
      }
    })))

  it.effect("a caller whose call ends with CallExit (the registered server crashed) sees no dead pid", () =>
    inNode(Effect.gen(function*() {
      const reg = yield* Registry.start<string, unknown, "unique">({ name: "reg", keys: "unique" })
      const server = yield* GenServer.start(Room, { registry: reg, key: "room", text: "r" }, { name: Registry.via(reg, "room") })
      const error = yield* Effect.flip(GenServer.call(server, Crash))
      assert.strictEqual(error._tag, "CallExit")
      assert.deepStrictEqual(yield* Registry.lookup(reg, "room"), [])
      assert.strictEqual(yield* Registry.count(reg), 0)
    })))

  it.effect("once a start fails with InitFailed, the entry its init registered is gone", () =>
    inNode(Effect.gen(function*() {
      const reg = yield* Registry.start<string, number, "unique">({ name: "reg", keys: "unique" })
      const error = yield* Effect.flip(GenServer.start(FailingInit, reg))
      assert.strictEqual(error._tag, "InitFailed")
      // The start returns only once the process is gone (Gen.start): its entry must be gone too.
      assert.deepStrictEqual(yield* Registry.lookup(reg, "doomed"), [])
      assert.strictEqual(yield* Registry.count(reg), 0)
    })))

  it.effect("once a start fails with InitTimeout (the server is killed), the entry its init registered is gone", () =>
    Effect.gen(function*() {
      const fiber = yield* Process.run(Effect.gen(function*() {
        const reg = yield* Registry.start<string, number, "unique">({ name: "reg", keys: "unique" })
        const error = yield* Effect.flip(GenServer.start(StuckInit, reg, { timeout: "1 second" }))
        return [error._tag, (yield* Registry.lookup(reg, "stuck")).length, yield* Registry.count(reg)] as const
      })).pipe(Effect.forkChild)
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Fiber.join(fiber), ["InitTimeout", 0, 0])
    }).pipe(Effect.provide(Node.layer())))
})

// ----------------------------------------------------------------------------
// Via naming
// ----------------------------------------------------------------------------

describe("via naming", () => {
  it.effect("a GenServer started with a via name registers itself; calls and casts by the via name reach it", () =>
    inNode(Effect.gen(function*() {
      const reg = yield* Registry.start<string, unknown, "unique">({ name: "rooms", keys: "unique" })
      const server = yield* GenServer.start(Room, { registry: reg, key: "lobby", text: "hello" }, { name: Registry.via(reg, "lobby") })
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "lobby")), [entry(server.pid!, undefined)])
      assert.deepStrictEqual(yield* Registry.keys(reg, server.pid!), ["lobby"])
      const lobby = GenServer.ref(Room, Registry.via(reg, "lobby"))
      assert.strictEqual(yield* GenServer.call(lobby, Get), "hello")
      yield* GenServer.cast(lobby, Put, { text: "changed" })
      assert.strictEqual(yield* GenServer.call(lobby, Get), "changed")
      // A handle made from the registry's name works as well.
      const again = GenServer.ref(Room, Registry.via(Registry.ref<string, unknown, "unique">("rooms", "unique"), "lobby"))
      assert.strictEqual(yield* GenServer.call(again, Get), "changed")

      // A via name nobody has: a call is NoProc, a cast is dropped.
      const nobody = GenServer.ref(Room, Registry.via(reg, "nobody"))
      assert.strictEqual((yield* Effect.flip(GenServer.call(nobody, Get)))._tag, "NoProc")
      yield* GenServer.cast(nobody, Put, { text: "lost" })
      assert.strictEqual(yield* GenServer.call(lobby, Get), "changed")
      // Through a registry that is not running: NoProc as well.
      const ghost = GenServer.ref(Room, Registry.via(Registry.ref<string, unknown, "unique">("ghost", "unique"), "lobby"))
      assert.strictEqual((yield* Effect.flip(GenServer.call(ghost, Get)))._tag, "NoProc")
    })))

  it.effect("a second start under the same key is AlreadyStarted with the first pid, and changes nothing", () =>
    inNode(Effect.gen(function*() {
      const reg = yield* Registry.start<string, unknown, "unique">({ name: "rooms", keys: "unique" })
      const first = yield* GenServer.start(Room, { registry: reg, key: "lobby", text: "first" }, { name: Registry.via(reg, "lobby") })
      const processes = (yield* Process.processes).length
      const error = yield* Effect.flip(GenServer.start(Room, { registry: reg, key: "lobby", text: "second" }, { name: Registry.via(reg, "lobby") }))
      assert.instanceOf(error, Errors.AlreadyStarted)
      assert.isTrue(error._tag === "AlreadyStarted" && Equal.equals(error.pid, first.pid!))
      // The loser is gone and left the winner's entry alone.
      assert.strictEqual((yield* Process.processes).length, processes)
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "lobby")), [entry(first.pid!, undefined)])
      assert.strictEqual(yield* GenServer.call(GenServer.ref(Room, Registry.via(reg, "lobby")), Get), "first")
      // Also linked (as a supervisor starts it).
      const linked = yield* Effect.flip(GenServer.startLink(Room, { registry: reg, key: "lobby", text: "third" }, { name: Registry.via(reg, "lobby") }))
      assert.isTrue(linked._tag === "AlreadyStarted" && Equal.equals(linked.pid, first.pid!))
      assert.strictEqual(yield* Registry.count(reg), 1)
    })))

  it.effect("after the server exits (stop, crash, kill), the key is free and a new server can take it", () =>
    inNode(Effect.gen(function*() {
      const reg = yield* Registry.start<string, unknown, "unique">({ name: "rooms", keys: "unique" })
      const name = Registry.via(reg, "lobby")
      const lobby = GenServer.ref(Room, name)
      const ends: ReadonlyArray<readonly [string, (server: GenServer.Server<typeof Room>) => Effect.Effect<unknown, unknown, Process.CurrentProcess>]> = [
        ["stop", (server) => GenServer.stop(server)],
        ["crash", (server) => Effect.flip(GenServer.call(server, Crash))],
        ["kill", (server) => Effect.andThen(Process.exit(server.pid!, ExitReason.kill), awaitExit(server.pid!))],
        ["shutdown", (server) => GenServer.stop(server, { reason: ExitReason.shutdown() })]
      ]
      let previous: Pid.Pid | undefined
      for (const [how, end] of ends) {
        const server = yield* GenServer.start(Room, { registry: reg, key: "lobby", text: how }, { name })
        if (previous !== undefined) assert.isFalse(Equal.equals(server.pid!, previous))
        assert.strictEqual(yield* GenServer.call(lobby, Get), how)
        assert.deepStrictEqual(show(yield* Registry.lookup(reg, "lobby")), [entry(server.pid!, undefined)], how)
        yield* end(server)
        assert.isFalse(yield* Process.isAlive(server.pid!), how)
        assert.deepStrictEqual(yield* Registry.lookup(reg, "lobby"), [], how)
        assert.strictEqual((yield* Effect.flip(GenServer.call(lobby, Get)))._tag, "NoProc", how)
        previous = server.pid!
      }
      const last = yield* GenServer.start(Room, { registry: reg, key: "lobby", text: "last" }, { name })
      assert.strictEqual(yield* GenServer.call(lobby, Get), "last")
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "lobby")), [entry(last.pid!, undefined)])
    })))

  it.effect("a unique key held by a process that is exiting is free, as Elixir's Registry checks Process.alive?", () =>
    inNode(Effect.gen(function*() {
      const reg = yield* Registry.start<string, unknown, "unique">({ name: "rooms", keys: "unique" })
      // The holder is killed while its finalizer waits for a gate: it is exiting, not yet dead.
      const gate = yield* Deferred.make<void>()
      const holder = yield* Process.spawn(
        Effect.andThen(
          Effect.andThen(Registry.register(reg, "lobby", "old"), Registry.register(reg, "hall", "old")),
          idle
        ).pipe(Effect.ensuring(Deferred.await(gate)))
      )
      yield* Effect.yieldNow
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "lobby")), [entry(holder, "old")])
      const ref = yield* Process.monitor(holder)
      yield* Process.exit(holder, ExitReason.kill)
      while ((yield* Process.isAlive(holder))) yield* Effect.yieldNow
      assert.strictEqual(yield* Registry.count(reg), 2, "the holder's entries are still in the table")
      // Lookups and via names no longer see it; a new owner can register, and a via start works.
      assert.deepStrictEqual(yield* Registry.lookup(reg, "lobby"), [])
      assert.strictEqual((yield* Effect.flip(GenServer.call(GenServer.ref(Room, Registry.via(reg, "hall")), Get)))._tag, "NoProc")
      yield* Registry.register(reg, "lobby", "new")
      const room = yield* GenServer.start(Room, { registry: reg, key: "hall", text: "hall" }, { name: Registry.via(reg, "hall") })
      assert.strictEqual(yield* GenServer.call(GenServer.ref(Room, Registry.via(reg, "hall")), Get), "hall")
      // The old owner's exit removes only its own entries.
      yield* Deferred.succeed(gate, undefined)
      assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(ref) })).reason, ExitReason.killed)
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "lobby")), [entry(yield* Process.self, "new")])
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "hall")), [entry(room.pid!, undefined)])
      assert.strictEqual(yield* Registry.count(reg), 2)
    })))

  it.effect("a server that gave up its via name does not remove the next owner's entry when it exits", () =>
    inNode(Effect.gen(function*() {
      const reg = yield* Registry.start<string, unknown, "unique">({ name: "rooms", keys: "unique" })
      const name = Registry.via(reg, "lobby")
      const lobby = GenServer.ref(Room, name)
      const first = yield* GenServer.start(Room, { registry: reg, key: "lobby", text: "first" }, { name })
      yield* GenServer.call(first, Release)
      assert.deepStrictEqual(yield* Registry.lookup(reg, "lobby"), [])
      const second = yield* GenServer.start(Room, { registry: reg, key: "lobby", text: "second" }, { name })
      assert.strictEqual(yield* GenServer.call(lobby, Get), "second")
      // The first server stops: only its own entries may go, and it has none.
      yield* GenServer.stop(first)
      assert.deepStrictEqual(show(yield* Registry.lookup(reg, "lobby")), [entry(second.pid!, undefined)])
      assert.strictEqual(yield* GenServer.call(lobby, Get), "second")
      assert.deepStrictEqual(yield* Registry.keys(reg, second.pid!), ["lobby"])
      assert.strictEqual(yield* Registry.count(reg), 1)
    })))
})

// ----------------------------------------------------------------------------
// Dispatch and pub/sub
// ----------------------------------------------------------------------------

/** A published message. */
interface Published {
  readonly topic: number
  readonly publisher: number
  readonly seq: number
}

const isPublished = (m: unknown): m is Published => typeof m === "object" && m !== null && "publisher" in m

/**
 * Runs a pub/sub round: each subscriber registers under its topics; each publisher publishes its
 * plan (topic per message, and how many times it yields before it) with `dispatch`. Returns
 * what each subscriber received, in order, and how many times a dispatch ran its function.
 */
const pubsub = (subscriptions: ReadonlyArray<ReadonlyArray<number>>, plans: ReadonlyArray<ReadonlyArray<readonly [number, number]>>) =>
  Effect.gen(function*() {
    const me = yield* Process.self
    const topics = yield* Registry.start<number, string, "duplicate">({ name: "topics", keys: "duplicate" })
    const subscribers: Array<Pid.Pid> = []
    for (const [s, subscribed] of subscriptions.entries()) {
      subscribers.push(yield* Process.spawn(Effect.gen(function*() {
        for (const topic of subscribed) yield* Registry.register(topics, topic, `sub${s}`)
        yield* Process.send(me, ["ready", s])
        const got: Array<Published> = []
        while (true) {
          const m = yield* Process.receive()
          if (m === "report") break
          got.push(m as Published)
        }
        yield* Process.send(me, ["report", s, got])
      })))
    }
    for (let s = 0; s < subscriptions.length; s++) yield* Process.receive({ match: (m) => Array.isArray(m) && m[0] === "ready" })
    const runs = yield* Ref.make(0)
    for (const [p, plan] of plans.entries()) {
      yield* Process.spawn(Effect.gen(function*() {
        for (const [seq, [topic, yields]] of plan.entries()) {
          for (let y = 0; y < yields; y++) yield* Effect.yieldNow
          const message: Published = { topic, publisher: p, seq }
          yield* Registry.dispatch(topics, topic, (entries) =>
            Effect.andThen(
              Ref.update(runs, (n) => n + 1),
              Effect.forEach(entries, ([pid]) => Process.send(pid, message), { discard: true })
            ))
        }
        yield* Process.send(me, ["published", p])
      }))
    }
    for (let p = 0; p < plans.length; p++) yield* Process.receive({ match: (m) => Array.isArray(m) && m[0] === "published" })
    // Every publish is in the subscribers' mailboxes now (a send is a synchronous delivery), ahead of "report".
    for (const pid of subscribers) yield* Process.send(pid, "report")
    const received: Array<ReadonlyArray<Published>> = subscriptions.map(() => [])
    for (let s = 0; s < subscriptions.length; s++) {
      const [, index, got] = (yield* Process.receive({ match: (m) => Array.isArray(m) && m[0] === "report" })) as [string, number, Array<Published>]
      received[index] = got
    }
    return { received, runs: yield* Ref.get(runs) }
  })

/** What each subscriber must receive: every message of its topics, once, in per-publisher order. */
const checkPubsub = (
  subscriptions: ReadonlyArray<ReadonlyArray<number>>,
  plans: ReadonlyArray<ReadonlyArray<readonly [number, number]>>,
  result: { readonly received: ReadonlyArray<ReadonlyArray<Published>>; readonly runs: number }
) => {
  for (const [s, subscribed] of subscriptions.entries()) {
    const got = result.received[s]!
    assert.isTrue(got.every(isPublished), `subscriber ${s} got only publications`)
    for (const [p, plan] of plans.entries()) {
      const expected = plan.flatMap(([topic], seq) => subscribed.includes(topic) ? [{ topic, publisher: p, seq }] : [])
      assert.deepStrictEqual(got.filter((m) => m.publisher === p), expected, `subscriber ${s}, publisher ${p}`)
    }
    const total = plans.reduce((n, plan) => n + plan.filter(([topic]) => subscribed.includes(topic)).length, 0)
    assert.strictEqual(got.length, total, `subscriber ${s} got nothing else`)
  }
  const withSubscribers = new Set(subscriptions.flat())
  const expectedRuns = plans.reduce((n, plan) => n + plan.filter(([topic]) => withSubscribers.has(topic)).length, 0)
  assert.strictEqual(result.runs, expectedRuns, "dispatch runs its function only for a key with entries")
}

describe("dispatch", () => {
  it.effect("pub/sub: each subscriber gets each message of its topics once, in publish order; others get nothing", () =>
    inNode(Effect.gen(function*() {
      const subscriptions = [[0], [0, 1], [1], [], [2]]
      const plans: ReadonlyArray<ReadonlyArray<readonly [number, number]>> = [
        [[0, 0], [1, 1], [0, 0], [0, 2], [3, 0], [1, 0]],
        [[1, 2], [0, 0], [1, 1], [0, 0]]
      ]
      const result = yield* pubsub(subscriptions, plans)
      checkPubsub(subscriptions, plans, result)
      // Spot checks, spelled out.
      assert.deepStrictEqual(result.received[3], [])
      assert.deepStrictEqual(result.received[4], [])
      assert.deepStrictEqual(result.received[0]!.filter((m) => m.publisher === 0).map((m) => m.seq), [0, 2, 3])
      assert.strictEqual(result.runs, 9)
    })))

  it.effect("untyped callers: a function that is none, or one that returns no Effect, is BadArgument; a registry that is none is NoProc", () =>
    inNode(Effect.gen(function*() {
      const reg = yield* Registry.start<string, number, "duplicate">({ name: "dup", keys: "duplicate" })
      yield* Registry.register(reg, "topic", 1)
      for (const f of [5, null, "send"] as Array<any>) {
        const error = yield* Effect.flip(Registry.dispatch(reg, "topic", f as () => Effect.Effect<void>))
        assert.instanceOf(error, Errors.BadArgument, String(f))
        assert.strictEqual((error as Errors.BadArgument).operation, "Registry.dispatch")
      }
      // A plain JS subscriber loop that returns nothing (or a promise): said so, not a crash.
      for (const result of [undefined, 42, Promise.resolve()]) {
        const error = yield* Effect.flip(Registry.dispatch(reg, "topic", (() => result) as unknown as () => Effect.Effect<void>))
        assert.instanceOf(error, Errors.BadArgument)
        assert.include((error as Errors.BadArgument).reason, "Effect")
      }
      // Not a registry at all: nobody runs it.
      for (const bad of [undefined, null, 42] as Array<any>) {
        assert.strictEqual((yield* Effect.flip(Registry.lookup(bad, "topic")))._tag, "NoProc")
        assert.strictEqual((yield* Effect.flip(Registry.register(bad, "topic", 1)))._tag, "NoProc")
      }
    })))

  it.effect("dispatch on a key without entries runs nothing; it sees the entries of that moment", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const reg = yield* Registry.start<string, number, "duplicate">({ name: "dup", keys: "duplicate" })
      const runs = yield* Ref.make<Array<ReadonlyArray<string>>>([])
      const record = (key: string) =>
        Registry.dispatch(reg, key, (entries) => Ref.update(runs, (all) => [...all, show(entries)]))
      yield* record("empty")
      assert.deepStrictEqual(yield* Ref.get(runs), [])

      const agent = yield* spawnAgent
      yield* perform(agent, Registry.register(reg, "t", 1))
      yield* Registry.register(reg, "t", 2)
      yield* record("t")
      assert.deepStrictEqual(yield* Ref.get(runs), [[entry(agent, 1), entry(me, 2)].sort()])

      // Once every entry is gone (an unregister, an exit), dispatch runs nothing again.
      yield* Registry.unregister(reg, "t")
      yield* endAgent(agent, "die")
      yield* awaitExit(agent)
      yield* record("t")
      assert.strictEqual((yield* Ref.get(runs)).length, 1)

      // A failing function fails the dispatch with its error.
      yield* Registry.register(reg, "t", 3)
      const error = yield* Effect.flip(Registry.dispatch(reg, "t", () => Effect.fail("publish failed")))
      assert.strictEqual(error, "publish failed")
    })))

  it("pub/sub for random subscriptions and interleaved publishers (property)", () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(fc.uniqueArray(fc.nat({ max: 3 }), { maxLength: 4 }), { maxLength: 5 }),
        fc.array(fc.array(fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 })), { maxLength: 12 }), { minLength: 1, maxLength: 4 }),
        async (subscriptions, plans) => {
          const result = await Effect.runPromise(inNode(pubsub(subscriptions, plans)))
          checkPubsub(subscriptions, plans, result)
        }
      ),
      { numRuns: 100 }
    ))
})

// ----------------------------------------------------------------------------
// The table against a model (property)
// ----------------------------------------------------------------------------

/** Keys of the model: by index; index 3 is a structured key, built fresh for every use. */
const keyCount = 4
const keyOf = (k: number): unknown => (k === 3 ? { room: "x", n: [1, 2] } : ["a", "b", 7][k])
const indexOfKey = (key: unknown): number => {
  for (let k = 0; k < keyCount; k++) if (Equal.equals(keyOf(k), key)) return k
  return -1
}

type Command =
  | { readonly op: "register"; readonly w: number; readonly k: number; readonly v: number }
  | { readonly op: "unregister"; readonly w: number; readonly k: number }
  | { readonly op: "update"; readonly w: number; readonly k: number; readonly v: number }
  | { readonly op: "unregisterMatch"; readonly w: number; readonly k: number; readonly parity: number }
  | { readonly op: "exit"; readonly w: number; readonly how: ExitKind }

const workerCount = 3

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("register" as const), w: fc.nat({ max: workerCount - 1 }), k: fc.nat({ max: keyCount - 1 }), v: fc.nat({ max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("unregister" as const), w: fc.nat({ max: workerCount - 1 }), k: fc.nat({ max: keyCount - 1 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("update" as const), w: fc.nat({ max: workerCount - 1 }), k: fc.nat({ max: keyCount - 1 }), v: fc.nat({ max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("unregisterMatch" as const), w: fc.nat({ max: workerCount - 1 }), k: fc.nat({ max: keyCount - 1 }), parity: fc.nat({ max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("exit" as const), w: fc.nat({ max: workerCount - 1 }), how: fc.constantFrom(...exitKinds) }) }
)

interface ModelEntry {
  readonly pid: Pid.Pid
  readonly k: number
  value: number
}

const runModel = (keys: Registry.Registry<unknown>["keys"], partitions: number, commands: ReadonlyArray<Command>) =>
  Effect.gen(function*() {
    const reg = yield* Registry.start<unknown, number, Registry.Registry<unknown>["keys"]>({ name: "reg", keys, partitions })
    const unique = reg as Registry.Registry<unknown, number, "unique">
    const workers: Array<Pid.Pid> = []
    for (let w = 0; w < workerCount; w++) workers.push(yield* spawnAgent)
    const everyPid: Array<Pid.Pid> = [...workers]
    let model: Array<ModelEntry> = []

    const check = (step: string) =>
      Effect.gen(function*() {
        for (let k = 0; k < keyCount; k++) {
          const actual = show(yield* Registry.lookup(reg, keyOf(k)))
          const expected = model.filter((e) => e.k === k).map((e) => entry(e.pid, e.value)).sort()
          assert.deepStrictEqual(actual, expected, `${step}: lookup of key ${k}`)
          const even = show(yield* Registry.match(reg, keyOf(k), (v) => v % 2 === 0))
          const expectedEven = model.filter((e) => e.k === k && e.value % 2 === 0).map((e) => entry(e.pid, e.value)).sort()
          assert.deepStrictEqual(even, expectedEven, `${step}: match of key ${k}`)
          assert.strictEqual(yield* Registry.countMatch(reg, keyOf(k), (v) => v % 2 === 0), expectedEven.length, `${step}: countMatch of key ${k}`)
          for (const pid of everyPid) {
            const values = [...(yield* Registry.values(reg, keyOf(k), pid))].sort()
            const expectedValues = model.filter((e) => e.k === k && Equal.equals(e.pid, pid)).map((e) => e.value).sort()
            assert.deepStrictEqual(values, expectedValues, `${step}: values of key ${k} and ${String(pid)}`)
          }
        }
        const all = (yield* Registry.select(reg, () => true)).map((e) => `${indexOfKey(e.key)}|${entry(e.pid, e.value)}`).sort()
        assert.deepStrictEqual(all, model.map((e) => `${e.k}|${entry(e.pid, e.value)}`).sort(), `${step}: select`)
        const odd = [...(yield* Registry.select(reg, (e) => e.value % 2 === 1, (e) => e.value))].sort()
        assert.deepStrictEqual(odd, model.filter((e) => e.value % 2 === 1).map((e) => e.value).sort(), `${step}: select with a projection`)
        assert.strictEqual(yield* Registry.countSelect(reg, (e) => e.value % 2 === 1), odd.length, `${step}: countSelect`)
        for (const pid of everyPid) {
          const actual = (yield* Registry.keys(reg, pid)).map(indexOfKey).sort()
          const expected = model.filter((e) => Equal.equals(e.pid, pid)).map((e) => e.k).sort()
          assert.deepStrictEqual(actual, expected, `${step}: keys of ${String(pid)}`)
        }
        assert.strictEqual(yield* Registry.count(reg), model.length, `${step}: count`)
      })

    for (const [i, command] of commands.entries()) {
      const step = `step ${i} ${JSON.stringify(command)}`
      const pid = workers[command.w]!
      switch (command.op) {
        case "register": {
          const exit = yield* ask(pid, Registry.register(reg, keyOf(command.k), command.v))
          const owner = keys === "unique" ? model.find((e) => e.k === command.k) : undefined
          if (owner === undefined) {
            assert.isTrue(Exit.isSuccess(exit), step)
            model.push({ pid, k: command.k, value: command.v })
          } else {
            const error = Exit.findErrorOption(exit)
            assert.isTrue(Option.isSome(error) && error.value._tag === "AlreadyRegistered", step)
            const e = Option.getOrThrow(error) as Errors.AlreadyRegistered
            assert.isTrue(Equal.equals(e.pid, owner.pid), `${step}: owner pid`)
          }
          break
        }
        case "unregister": {
          yield* perform(pid, Registry.unregister(reg, keyOf(command.k)))
          model = model.filter((e) => !(Equal.equals(e.pid, pid) && e.k === command.k))
          break
        }
        case "unregisterMatch": {
          yield* perform(pid, Registry.unregisterMatch(reg, keyOf(command.k), (v) => v % 2 === command.parity))
          model = model.filter((e) => !(Equal.equals(e.pid, pid) && e.k === command.k && e.value % 2 === command.parity))
          break
        }
        case "update": {
          if (keys !== "unique") break
          const result = yield* perform(pid, Registry.updateValue(unique, keyOf(command.k), (old) => old * 10 + command.v))
          const owned = model.find((e) => e.k === command.k && Equal.equals(e.pid, pid))
          if (owned === undefined) {
            assert.isTrue(Option.isNone(result), step)
          } else {
            const old = owned.value
            owned.value = old * 10 + command.v
            assert.deepStrictEqual(result, Option.some([owned.value, old] as const), step)
          }
          break
        }
        case "exit": {
          const ref = yield* Process.monitor(pid)
          yield* endAgent(pid, command.how)
          const down = yield* Process.receive({ match: isDownFor(ref) })
          assert.strictEqual(down.reason._tag, expectedReason[command.how], step)
          model = model.filter((e) => !Equal.equals(e.pid, pid))
          // Checked right after the Down, before anything else runs in this process.
          yield* check(`${step} (right after the Down)`)
          const fresh = yield* spawnAgent
          workers[command.w] = fresh
          everyPid.push(fresh)
          break
        }
      }
      yield* check(step)
    }
  })

describe("the table against a model", () => {
  for (const keys of ["unique", "duplicate"] as const) {
    for (const partitions of [1, 3]) {
      it(`${keys} keys, ${partitions} partition(s): every read follows any sequence of operations and exits (property)`, () =>
        fc.assert(
          fc.asyncProperty(fc.array(commandArb, { maxLength: 40 }), async (commands) => {
            await Effect.runPromise(inNode(runModel(keys, partitions, commands)))
          }),
          { numRuns: 100 }
        ))
    }
  }
})
