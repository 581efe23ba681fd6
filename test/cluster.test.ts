/**
 * Cluster, embedded (one node, in-memory storage, the cluster's own serialization of every
 * message): GenServer modules hosted as entity types, the client API on cluster references,
 * typed errors across the boundary, virtual-process lifecycle, monitors, passivation and
 * durable state. Time is TestClock's.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, type Duration, Effect, Fiber, Layer, Option, Schema } from "effect"
import { MessageStorage, RunnerHealth, Runners, RunnerStorage, Sharding, ShardingConfig } from "effect/cluster"
import { Rpc } from "effect/rpc"
import { TestClock } from "effect/testing"
import { Cluster } from "../cluster/index.js"
import { ExitReason, GenServer, Node, Process } from "../index.js"
import {
  Account,
  Accounts,
  AccountStateSchema,
  Balance,
  Bump,
  Crash,
  Deposit,
  DurableAccounts,
  Later,
  Release,
  Stop,
  Where,
  Withdraw
} from "./fixtures/cluster-app.js"
import { clientWithoutRunners } from "./support/cluster.js"

// A client built from another version of the Account protocol (same entity type): Deposit
// takes a string, Balance answers a string. What it sends does not decode on the other side,
// and what it gets back does not decode here.
const DepositV2 = Rpc.make("Deposit", { payload: { amount: Schema.String }, success: Schema.Number })
const BalanceV2 = Rpc.make("Balance", { success: Schema.String })
const AccountV2 = GenServer.make({
  name: "Account",
  calls: [DepositV2, BalanceV2],
  init: (id: string) => GenServer.ok(id),
  handleCall: {
    Deposit: (_, s) => GenServer.reply(0, s),
    Balance: (_, s) => GenServer.reply("0", s)
  }
})
const AccountsV2 = Cluster.entity(AccountV2, { type: "Account" })

// A server whose handlers break their own protocol at runtime.
const Lie = Rpc.make("Lie", { success: Schema.Number })
const LieError = Rpc.make("LieError", { success: Schema.Number, error: Schema.String })
const Liar = GenServer.make({
  name: "Liar",
  calls: [Lie, LieError],
  init: (_id: string) => GenServer.ok(null),
  handleCall: {
    Lie: (_, s) => GenServer.reply("not a number" as unknown as number, s),
    LieError: (_, s) => GenServer.replyFailure(42 as unknown as string, s)
  }
})
const Liars = Cluster.entity(Liar)

// Durable accounts saving every third message, and only on passivation.
const durableArgs = (id: string, restored: Option.Option<{ readonly balance: number }>) => ({
  id,
  balance: Option.match(restored, { onNone: () => 0, onSome: (s) => s.balance })
})
const EveryThird = Cluster.entity(Account, {
  type: "EveryThird",
  args: durableArgs,
  durable: { schema: AccountStateSchema, save: { everyMessages: 3 } }
})
const OnPassivation = Cluster.entity(Account, {
  type: "OnPassivation",
  args: durableArgs,
  durable: { schema: AccountStateSchema, save: "passivation" }
})

const embedded = (options?: { readonly maxIdleTime?: Duration.Input }) =>
  Layer.mergeAll(
    Cluster.layer(Accounts, { maxIdleTime: options?.maxIdleTime }),
    Cluster.layer(DurableAccounts, { maxIdleTime: options?.maxIdleTime }),
    Cluster.layer(EveryThird, { maxIdleTime: options?.maxIdleTime }),
    Cluster.layer(OnPassivation, { maxIdleTime: options?.maxIdleTime }),
    Cluster.layer(Liars)
  ).pipe(
    Layer.provideMerge(Cluster.layerEmbedded()),
    Layer.provideMerge(Node.layer({ name: "embedded@test" }))
  )

/** Runs a test body as a process, on an embedded cluster, with the shards acquired. */
const run = <A, E>(
  body: Effect.Effect<A, E, any>,
  options?: { readonly maxIdleTime?: Duration.Input }
) =>
  Effect.andThen(TestClock.adjust(1), Process.run(body)).pipe(Effect.provide(embedded(options))) as Effect.Effect<A, E>

const failure = <A, E>(effect: Effect.Effect<A, E, any>) => Effect.flip(effect) as Effect.Effect<E, A, any>

describe("Cluster: calls and casts on a cluster reference", () => {
  it.effect("the GenServer client API, with typed replies and typed errors", () =>
    run(Effect.gen(function*() {
      const a = yield* Cluster.ref(Accounts, "a")
      assert.strictEqual(yield* GenServer.call(a, Deposit, { amount: 5 }), 5)
      yield* GenServer.cast(a, Bump, { amount: 10 })
      assert.strictEqual(yield* GenServer.call(a, Balance), 15)
      const error = yield* failure(GenServer.call(a, Withdraw, { amount: 100 }))
      assert.strictEqual(error._tag, "Insufficient")
      assert.strictEqual((error as { readonly balance: number }).balance, 15)
      assert.strictEqual(yield* GenServer.call(a, Withdraw, { amount: 5 }), 10)
      // Ids are independent virtual processes.
      const b = yield* Cluster.ref(Accounts, "b")
      assert.strictEqual(yield* GenServer.call(b, Balance), 0)
      assert.strictEqual((yield* GenServer.call(a, Where)).node, "embedded@test")
    })))

  it.effect("casts and calls from one sender arrive in order", () =>
    run(Effect.gen(function*() {
      const a = yield* Cluster.ref(Accounts, "order")
      for (let i = 1; i <= 50; i++) yield* GenServer.cast(a, Bump, { amount: i })
      assert.strictEqual(yield* GenServer.call(a, Balance), (50 * 51) / 2)
    })))

  it.effect("a deferred reply (noreply, then replyTo) while other messages are served", () =>
    run(Effect.gen(function*() {
      const a = yield* Cluster.ref(Accounts, "later")
      const waiting = yield* Effect.forkChild(GenServer.call(a, Later))
      assert.strictEqual(yield* GenServer.call(a, Deposit, { amount: 1 }), 1)
      yield* GenServer.cast(a, Release, { value: "released" })
      assert.strictEqual(yield* Fiber.join(waiting), "released")
    })))

  it.effect("a call times out with CallTimeout on the TestClock", () =>
    run(Effect.gen(function*() {
      const a = yield* Cluster.ref(Accounts, "slow")
      const waiting = yield* Effect.forkChild(GenServer.call(a, Later, undefined, { timeout: "2 seconds" }))
      yield* TestClock.adjust("2 seconds")
      const error = yield* failure(Fiber.join(waiting))
      assert.strictEqual(error._tag, "CallTimeout")
      // The entity goes on.
      assert.strictEqual(yield* GenServer.call(a, Balance), 0)
    })))
  it.effect("a request tag that names an Object.prototype member is UnknownRequest (untyped callers); the entity goes on", () =>
    run(Effect.gen(function*() {
      const a = yield* Cluster.ref(Accounts, "proto")
      for (const tag of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
        const error = yield* failure(GenServer.call(a, { _tag: tag } as never))
        assert.strictEqual((error as { readonly _tag: string })._tag, "UnknownRequest", tag)
        yield* GenServer.cast(a, { _tag: tag } as never)
      }
      assert.strictEqual(yield* GenServer.call(a, Deposit, { amount: 3 }), 3)
    })))
})

describe("Cluster: virtual processes", () => {
  it.effect("init runs when an id is first addressed, once per incarnation", () =>
    run(Effect.gen(function*() {
      const a = yield* Cluster.ref(Accounts, "v")
      const first = yield* GenServer.call(a, Where)
      assert.deepStrictEqual(yield* GenServer.call(a, Where), first)
      yield* GenServer.call(a, Deposit, { amount: 3 })
      // A crash fails the pending call with the reason, carried across the boundary.
      const error = yield* failure(GenServer.call(a, Crash, { message: "boom" }))
      assert.strictEqual(error._tag, "CallExit")
      const reason = (error as { readonly reason: ExitReason.ExitReason }).reason
      assert.strictEqual(reason._tag, "Crash")
      assert.include(Cause.pretty((reason as ExitReason.Crash).cause), "boom")
      // The next message starts a fresh incarnation: init again, state from scratch.
      const second = yield* GenServer.call(a, Where)
      assert.notStrictEqual(second.pid, first.pid)
      assert.strictEqual(yield* GenServer.call(a, Balance), 0)
    })))

  it.effect("a server that stops replies first, then the next call starts a new one", () =>
    run(Effect.gen(function*() {
      const a = yield* Cluster.ref(Accounts, "s")
      const first = yield* GenServer.call(a, Where)
      assert.strictEqual(yield* GenServer.call(a, Stop), "bye")
      assert.notStrictEqual((yield* GenServer.call(a, Where)).pid, first.pid)
    })))

  it.effect("init returning ignore gives NoProc; init stopping gives CallExit with its reason", () =>
    run(Effect.gen(function*() {
      const ignored = yield* failure(GenServer.call(yield* Cluster.ref(Accounts, "ignore-1"), Balance))
      assert.strictEqual(ignored._tag, "NoProc")
      const broken = yield* failure(GenServer.call(yield* Cluster.ref(Accounts, "broken-1"), Balance))
      assert.strictEqual(broken._tag, "CallExit")
      const reason = (broken as { readonly reason: ExitReason.ExitReason }).reason
      assert.strictEqual(reason._tag, "Shutdown")
      assert.strictEqual((reason as ExitReason.Shutdown).reason, "broken account")
    })))

  it.effect("an idle entity is passivated: its server terminates, the next call starts fresh", () =>
    run(
      Effect.gen(function*() {
        const a = yield* Cluster.ref(Accounts, "idle")
        yield* GenServer.call(a, Deposit, { amount: 7 })
        const where = yield* GenServer.call(a, Where)
        yield* TestClock.adjust("30 seconds")
        assert.isFalse(yield* isRunning(where))
        assert.strictEqual(yield* GenServer.call(a, Balance), 0)
      }),
      { maxIdleTime: "10 seconds" }
    ))
})

describe("Cluster: errors at the boundary are typed, the runner keeps serving", () => {
  it.effect("a request that does not decode where the entity lives: MalformedMessage (request)", () =>
    run(Effect.gen(function*() {
      const skewed = yield* Cluster.ref(AccountsV2, "m")
      const error = yield* failure(GenServer.call(skewed, DepositV2, { amount: "ten" }))
      assert.strictEqual(error._tag, "MalformedMessage")
      assert.strictEqual((error as Cluster.MalformedMessage).direction, "request")
      // The entity and the runner go on.
      const a = yield* Cluster.ref(Accounts, "m")
      assert.strictEqual(yield* GenServer.call(a, Deposit, { amount: 1 }), 1)
    })))

  it.effect("a reply that does not decode here: MalformedMessage (reply)", () =>
    run(Effect.gen(function*() {
      const skewed = yield* Cluster.ref(AccountsV2, "r")
      const error = yield* failure(GenServer.call(skewed, BalanceV2))
      assert.strictEqual(error._tag, "MalformedMessage")
      assert.strictEqual((error as Cluster.MalformedMessage).direction, "reply")
      assert.strictEqual(yield* GenServer.call(yield* Cluster.ref(Accounts, "r"), Balance), 0)
    })))

  it.effect("a reply or error that breaks its own schema: MalformedMessage (reply), the server lives on", () =>
    run(Effect.gen(function*() {
      const liar = yield* Cluster.ref(Liars, "l")
      const lie = yield* failure(GenServer.call(liar, Lie))
      assert.strictEqual(lie._tag, "MalformedMessage")
      assert.strictEqual((lie as Cluster.MalformedMessage).direction, "reply")
      const lieError = yield* failure(GenServer.call(liar, LieError))
      assert.strictEqual((lieError as Cluster.MalformedMessage).direction, "reply")
      assert.strictEqual((yield* failure(GenServer.call(liar, Lie)))._tag, "MalformedMessage")
    })))
})

describe("Cluster: monitors", () => {
  const awaitDown = (ref: unknown) =>
    Process.receive({ match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === ref })

  it.effect("Down with the crash reason when the entity crashes", () =>
    run(Effect.gen(function*() {
      const a = yield* Cluster.ref(Accounts, "watched")
      const ref = yield* Cluster.monitor(a)
      yield* Effect.flip(GenServer.call(a, Crash, { message: "kaboom" }))
      const down = yield* awaitDown(ref)
      assert.strictEqual(down.reason._tag, "Crash")
      assert.include(Cause.pretty((down.reason as ExitReason.Crash).cause), "kaboom")
    })))

  it.effect("Down normal when the entity stops; noproc when its init ignores", () =>
    run(Effect.gen(function*() {
      const a = yield* Cluster.ref(Accounts, "stopping")
      const ref = yield* Cluster.monitor(a)
      assert.strictEqual(yield* GenServer.call(a, Stop), "bye")
      assert.strictEqual((yield* awaitDown(ref)).reason._tag, "Normal")
      const ignored = yield* Cluster.monitor(yield* Cluster.ref(Accounts, "ignore-2"))
      assert.strictEqual((yield* awaitDown(ignored)).reason._tag, "NoProc")
    })))

  it.effect("demonitor: no Down after it", () =>
    run(Effect.gen(function*() {
      const a = yield* Cluster.ref(Accounts, "unwatched")
      const ref = yield* Cluster.monitor(a)
      assert.strictEqual(yield* GenServer.call(a, Balance), 0)
      yield* Process.demonitor(ref, { flush: true })
      yield* TestClock.adjust("2 seconds") // the proxy notices within one ping interval
      yield* Effect.flip(GenServer.call(a, Crash, { message: "unseen" }))
      yield* TestClock.adjust("2 seconds")
      assert.isTrue(Option.isNone(yield* Process.receive({ match: Process.isDownMessage, timeout: 0 })))
    })))

  it.effect("a bad monitor option is a BadArgument defect of the caller, and nothing is spawned", () =>
    run(Effect.gen(function*() {
      const a = yield* Cluster.ref(Accounts, "badping")
      const before = (yield* Process.processes).length
      for (const options of [{ pingInterval: -1 }, { pingTimeout: Number.NaN }, { pingInterval: "soon" }, { pingFailures: 0 }, { pingFailures: 1.5 }]) {
        const exit = yield* Effect.exit(Cluster.monitor(a, options as never))
        assert.isTrue(exit._tag === "Failure" && Cause.hasDies(exit.cause), JSON.stringify(options))
        const defect = exit._tag === "Failure" ? Cause.squash(exit.cause) : undefined
        assert.strictEqual((defect as { readonly _tag?: string })?._tag, "BadArgument", JSON.stringify(options))
      }
      assert.strictEqual((yield* Process.processes).length, before)
    })))

  it.effect("a local server is monitored the same way", () =>
    run(Effect.gen(function*() {
      const local = yield* GenServer.start(Account, { id: "local", balance: 0 })
      const ref = yield* Cluster.monitor(local)
      yield* Effect.flip(GenServer.call(local, Crash, { message: "local" }))
      assert.strictEqual((yield* awaitDown(ref)).reason._tag, "Crash")
    })))
})

describe("Cluster: durable state", () => {
  it.effect("survives passivation, where a plain entity starts fresh", () =>
    run(
      Effect.gen(function*() {
        const durable = yield* Cluster.ref(DurableAccounts, "d")
        const plain = yield* Cluster.ref(Accounts, "d")
        yield* GenServer.call(durable, Deposit, { amount: 5 })
        yield* GenServer.cast(durable, Bump, { amount: 2 })
        yield* GenServer.call(plain, Deposit, { amount: 5 })
        const before = yield* GenServer.call(durable, Where)
        yield* TestClock.adjust("30 seconds")
        assert.isFalse(yield* isRunning(before))
        assert.strictEqual(yield* GenServer.call(durable, Balance), 7)
        assert.strictEqual(yield* GenServer.call(plain, Balance), 0)
      }),
      { maxIdleTime: "10 seconds" }
    ))

  it.effect("is stored before the reply: the storage holds what the caller saw", () =>
    run(Effect.gen(function*() {
      const storage = yield* Cluster.StateStorage
      const a = yield* Cluster.ref(DurableAccounts, "stored")
      for (let i = 1; i <= 3; i++) {
        const balance = yield* GenServer.call(a, Deposit, { amount: 10 })
        const stored = yield* storage.load("DurableAccount", "stored")
        assert.deepStrictEqual(Option.map(stored, (s) => [JSON.parse(s.state).balance, s.version]), Option.some([balance, i]))
      }
    })))

  it.effect("save policies: every n-th message, or only on passivation", () =>
    run(
      Effect.gen(function*() {
        const storage = yield* Cluster.StateStorage
        const balanceOf = (type: string, id: string) =>
          Effect.map(storage.load(type, id), Option.map((s) => JSON.parse(s.state).balance as number))
        const third = yield* Cluster.ref(EveryThird, "t")
        yield* GenServer.call(third, Deposit, { amount: 1 })
        yield* GenServer.call(third, Deposit, { amount: 1 })
        assert.isTrue(Option.isNone(yield* balanceOf("EveryThird", "t")))
        yield* GenServer.call(third, Deposit, { amount: 1 })
        assert.deepStrictEqual(yield* balanceOf("EveryThird", "t"), Option.some(3))
        const lazy = yield* Cluster.ref(OnPassivation, "p")
        yield* GenServer.call(lazy, Deposit, { amount: 4 })
        assert.isTrue(Option.isNone(yield* balanceOf("OnPassivation", "p")))
        yield* TestClock.adjust("30 seconds")
        assert.deepStrictEqual(yield* balanceOf("OnPassivation", "p"), Option.some(4))
        assert.strictEqual(yield* GenServer.call(lazy, Balance), 4)
      }),
      { maxIdleTime: "10 seconds" }
    ))

  it.effect("a crash keeps the last saved state; a stop by itself deletes it", () =>
    run(Effect.gen(function*() {
      const storage = yield* Cluster.StateStorage
      const a = yield* Cluster.ref(DurableAccounts, "life")
      yield* GenServer.call(a, Deposit, { amount: 8 })
      yield* Effect.flip(GenServer.call(a, Crash, { message: "oops" }))
      assert.strictEqual(yield* GenServer.call(a, Balance), 8)
      assert.strictEqual(yield* GenServer.call(a, Stop), "bye")
      // A new life: from init's fresh state, saved again from version 1.
      assert.strictEqual(yield* GenServer.call(a, Balance), 0)
      const stored = Option.getOrThrow(yield* storage.load("DurableAccount", "life"))
      assert.deepStrictEqual([JSON.parse(stored.state).balance, stored.version], [0, 1])
    })))

  it.effect("a stale activation cannot overwrite a newer state: StateConflict, then the newer state", () =>
    run(Effect.gen(function*() {
      const storage = yield* Cluster.StateStorage
      const a = yield* Cluster.ref(DurableAccounts, "fenced")
      yield* GenServer.call(a, Deposit, { amount: 1 })
      // Another activation (elsewhere) saves version 2 behind this one's back.
      const stored = Option.getOrThrow(yield* storage.load("DurableAccount", "fenced"))
      assert.isTrue(yield* storage.save("DurableAccount", "fenced", JSON.stringify({ id: "fenced", balance: 100 }), stored.version))
      const conflict = yield* failure(GenServer.call(a, Deposit, { amount: 1 }))
      assert.strictEqual(conflict._tag, "ClusterFailure")
      assert.strictEqual((conflict as Cluster.ClusterFailure).reason, "StateConflict")
      assert.strictEqual(yield* GenServer.call(a, Balance), 100)
    })))

  it.effect("the deletion after a stop by itself ends before a passivation does: the next activation starts fresh", () =>
    Effect.gen(function*() {
      // Deleting a state takes a minute here (a slow database); the entity passivates after
      // 10 s idle, long before.
      const SlowDeleting = Cluster.entity(Account, {
        type: "SlowDeleting",
        args: durableArgs,
        durable: { schema: AccountStateSchema }
      })
      const slowStorage = Layer.effect(Cluster.StateStorage)(Effect.gen(function*() {
        const memory = yield* Cluster.StateStorage
        return Cluster.StateStorage.of({
          ...memory,
          remove: (type, id, expected) => Effect.andThen(Effect.sleep("1 minute"), memory.remove(type, id, expected))
        })
      })).pipe(Layer.provide(Cluster.layerStateMemory))
      const cluster = Cluster.layer(SlowDeleting, { maxIdleTime: "10 seconds" }).pipe(
        Layer.provide(slowStorage),
        Layer.provideMerge(Cluster.layerEmbedded()),
        Layer.provideMerge(Node.layer({ name: "embedded@test" }))
      )
      const balance = yield* Effect.andThen(
        TestClock.adjust(1),
        Process.run(Effect.gen(function*() {
          const a = yield* Cluster.ref(SlowDeleting, "slow")
          yield* GenServer.call(a, Deposit, { amount: 8 })
          assert.strictEqual(yield* GenServer.call(a, Stop), "bye")
          yield* TestClock.adjust("30 seconds") // passivated: idle for 10 s
          const next = yield* Effect.forkChild(GenServer.call(a, Balance, undefined, { timeout: "infinity" }))
          yield* TestClock.adjust("1 minute") // the deletion ends
          return yield* Fiber.join(next)
        }))
      ).pipe(Effect.provide(cluster))
      // The stopped server's state was deleted before the entity could start again: a fresh
      // life, not the balance of the last one.
      assert.strictEqual(balance, 0)
    }))

  it.effect("a durable entity type served without a StateStorage (an untyped caller): the layer dies saying what is missing", () =>
    Effect.gen(function*() {
      // The embedded cluster without its state storage.
      const sharding = Sharding.layer.pipe(
        Layer.provideMerge(Runners.layerNoop),
        Layer.provideMerge(MessageStorage.layerMemory),
        Layer.provide([RunnerStorage.layerMemory, RunnerHealth.layerNoop]),
        Layer.provide(ShardingConfig.layer())
      )
      const untyped = Cluster.layer(DurableAccounts) as Layer.Layer<never, never, Sharding.Sharding | Node.Node>
      const exit = yield* Effect.exit(Layer.build(untyped.pipe(
        Layer.provide(sharding),
        Layer.provide(Node.layer())
      )).pipe(Effect.scoped))
      assert.isTrue(exit._tag === "Failure" && Cause.hasDies(exit.cause))
      assert.include(exit._tag === "Failure" ? Cause.pretty(exit.cause) : "", "DurableAccount is durable and needs a StateStorage")
    }))
})

describe("Cluster: a client with no runner", () => {
  it.effect("a call fails at once with ClusterFailure NoRunner (saying no runner), not after its 30 s timeout, and a cast is dropped at once (TestClock never moved)", () =>
    Effect.gen(function*() {
      const error = yield* Effect.gen(function*() {
        const a = yield* Cluster.ref(Accounts, "a")
        // Forked: it must be over without the clock moving at all (not after its 30 s timeout).
        const call = yield* Effect.forkChild(Effect.flip(GenServer.call(a, Balance, undefined, { timeout: "30 seconds" })))
        // A cast is dropped at once too (it never fails), instead of waiting for a runner.
        const cast = yield* Effect.forkChild(GenServer.cast(a, Bump, { amount: 1 }))
        yield* Effect.yieldNow
        yield* Fiber.join(cast)
        return yield* Fiber.join(call)
      }).pipe(Effect.provide(clientWithoutRunners))
      assert.strictEqual(error._tag, "ClusterFailure")
      assert.strictEqual(error._tag === "ClusterFailure" ? error.reason : undefined, "NoRunner")
      assert.include(error.message, "no runner")
    }))

  it.effect("with its runner storage in context and a runner registered, calls go through as before", () =>
    Effect.gen(function*() {
      const withStorage = Cluster.layer(Accounts).pipe(
        Layer.provideMerge(Sharding.layer),
        Layer.provideMerge(Runners.layerNoop),
        Layer.provideMerge(MessageStorage.layerMemory),
        Layer.provideMerge(RunnerStorage.layerMemory),
        Layer.provide(RunnerHealth.layerNoop),
        Layer.provide(ShardingConfig.layer()),
        Layer.provideMerge(Node.layer({ name: "runner@test" }))
      )
      const balance = yield* Effect.andThen(
        TestClock.adjust(1),
        Effect.gen(function*() {
          const a = yield* Cluster.ref(Accounts, "a")
          yield* GenServer.call(a, Deposit, { amount: 5 })
          return yield* GenServer.call(a, Balance)
        })
      ).pipe(Effect.provide(withStorage))
      assert.strictEqual(balance, 5)
    }))
})

/** Whether the entity's server (as `Where` reported it) is a live process of this node. */
const isRunning = (where: { readonly node: string; readonly pid: number }) =>
  Effect.map(Process.processes, (pids) => pids.some((pid) => pid.node === where.node && pid.id === where.pid))
