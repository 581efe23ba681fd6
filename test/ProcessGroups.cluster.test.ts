/**
 * Process groups across the cluster, embedded (one node, in-memory storage, the cluster's own
 * serialization of every message): members are entity references, reached with
 * `GenServer.call` from the group's member list; a member whose incarnation exits leaves; a
 * scope keeps its groups across a restart of its server (durable state). Time is TestClock's.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { Cluster } from "../cluster/index.js"
import { ExitReason, GenServer, Node, Process, ProcessGroups } from "../index.js"
import { loopsOf } from "../lib/internal/direct.js"
import { Accounts, Balance, Crash, Deposit, Stop, Where } from "./fixtures/cluster-app.js"

const embedded = Layer.mergeAll(Cluster.layer(Accounts), Cluster.layerGroups()).pipe(
  Layer.provideMerge(Cluster.layerEmbedded()),
  Layer.provideMerge(Node.layer({ name: "embedded@test" }))
)

/** Runs a test body as a process, on an embedded cluster, with the shards acquired. */
const run = <A, E>(body: Effect.Effect<A, E, any>) =>
  Effect.andThen(TestClock.adjust(1), Process.run(body)).pipe(Effect.provide(embedded)) as Effect.Effect<A, E>

const pool = Cluster.groupScope("pool", Accounts)

/** The ids of the members of `group`, in the scope's order. */
const idsOf = (group: string) =>
  Effect.map(Cluster.groupMembers(pool, group), (members) => members.map((member) => Option.getOrThrow(Cluster.entityId(member))))

/** Waits (on the TestClock, at most 50 steps of 100 ms) until `group`'s ids are `expected`. */
const awaitIds = (group: string, expected: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    let ids: ReadonlyArray<string> = []
    for (let step = 0; step < 50; step++) {
      ids = yield* idsOf(group)
      if (JSON.stringify(ids) === JSON.stringify(expected)) return
      yield* TestClock.adjust("100 millis")
    }
    assert.deepStrictEqual(ids, expected)
  })

describe("Cluster process groups (embedded)", () => {
  it.effect("members are cluster references that GenServer.call reaches; joins counted per occurrence, newest first; leave; NotJoined", () =>
    run(Effect.gen(function*() {
      const accountOf = yield* Cluster.client(Accounts)
      yield* Cluster.joinGroup(pool, "jobs", accountOf("a"))
      yield* Cluster.joinGroup(pool, "jobs", [accountOf("b"), accountOf("a")])
      assert.deepStrictEqual(yield* idsOf("jobs"), ["b", "a", "a"])
      // Fan out: a call to each member.
      const members = yield* Cluster.groupMembers(pool, "jobs")
      const balances = yield* Effect.forEach(members, (account) => GenServer.call(account, Deposit, { amount: 5 }))
      assert.deepStrictEqual(balances, [5, 5, 10])
      assert.deepStrictEqual(yield* Cluster.whichGroups(pool), ["jobs"])

      yield* Cluster.leaveGroup(pool, "jobs", accountOf("a"))
      assert.deepStrictEqual(yield* idsOf("jobs"), ["b", "a"])
      const notJoined = yield* Effect.flip(Cluster.leaveGroup(pool, "jobs", accountOf("nobody")))
      assert.strictEqual(notJoined._tag, "NotJoined")
      assert.instanceOf(notJoined, ProcessGroups.NotJoined)
      assert.strictEqual((yield* Effect.flip(Cluster.leaveGroup(pool, "other", [accountOf("a")])))._tag, "NotJoined")
      yield* Cluster.leaveGroup(pool, "jobs", [accountOf("a"), accountOf("b"), accountOf("nobody")])
      assert.deepStrictEqual(yield* idsOf("jobs"), [])
      assert.deepStrictEqual(yield* Cluster.whichGroups(pool), [])
      // A left member's entity lives on (only its membership ended).
      assert.strictEqual(yield* GenServer.call(accountOf("a"), Balance), 10)
    })))

  it.effect("a member whose incarnation crashes or stops leaves every group, every join; the others stay", () =>
    run(Effect.gen(function*() {
      const accountOf = yield* Cluster.client(Accounts)
      yield* Cluster.joinGroup(pool, "g", [accountOf("crasher"), accountOf("stayer"), accountOf("crasher")])
      yield* Cluster.joinGroup(pool, "h", accountOf("crasher"))
      yield* Cluster.joinGroup(pool, "h", accountOf("stopper"))
      yield* Effect.flip(GenServer.call(accountOf("crasher"), Crash, { message: "boom" }))
      yield* awaitIds("g", ["stayer"])
      yield* awaitIds("h", ["stopper"])
      assert.strictEqual(yield* GenServer.call(accountOf("stopper"), Stop), "bye")
      yield* awaitIds("h", [])
      assert.deepStrictEqual(yield* Cluster.whichGroups(pool), ["g"])
    })))

  it.effect("a member whose init ignores joins, then leaves (its monitor fires noproc)", () =>
    run(Effect.gen(function*() {
      const accountOf = yield* Cluster.client(Accounts)
      yield* Cluster.joinGroup(pool, "g", [accountOf("ignore-1"), accountOf("fine")])
      yield* awaitIds("g", ["fine"])
    })))

  it.effect("bad arguments are BadArgument: a local server, another entity type, a group that is no string", () =>
    run(Effect.gen(function*() {
      const local = yield* GenServer.start(Accounts.module, { id: "local", balance: 0 })
      const other = Cluster.groupScope("other", Cluster.entity(Accounts.module, { type: "NotAccount", args: (id) => ({ id, balance: 0 }) }))
      const accountOf = yield* Cluster.client(Accounts)
      const cases = [
        Cluster.joinGroup(pool, "g", local as any),
        Cluster.joinGroup(pool, "g", [accountOf("a"), "a-name" as any]),
        Cluster.joinGroup(other, "g", accountOf("a") as any),
        Cluster.joinGroup(pool, 42 as any, accountOf("a")),
        Cluster.leaveGroup(pool, "g", local as any)
      ]
      for (const attempt of cases) {
        const error = yield* Effect.flip(attempt as Effect.Effect<void, { readonly _tag: string }, any>)
        assert.strictEqual(error._tag, "BadArgument")
      }
      assert.deepStrictEqual(yield* Cluster.whichGroups(pool), [])
    })))

  it.effect("the scope's groups are durable: a crash of the scope's server keeps them, and the members are watched again", () =>
    run(Effect.gen(function*() {
      const accountOf = yield* Cluster.client(Accounts)
      yield* Cluster.joinGroup(pool, "g", [accountOf("x"), accountOf("y")])
      // Kill the scope's server (a local process of this node, the only runner).
      const where = yield* GenServer.call(accountOf("x"), Where)
      assert.strictEqual(where.node, "embedded@test")
      const killed = yield* killScopeServer
      assert.isTrue(killed)
      assert.deepStrictEqual(yield* idsOf("g"), ["x", "y"])
      // The restored scope watches its members again.
      yield* Effect.flip(GenServer.call(accountOf("x"), Crash, { message: "after restore" }))
      yield* awaitIds("g", ["y"])
    })))
})

/** Kills the server of every group scope on this node (here: the `pool` scope's); whether there was one. */
const killScopeServer = Effect.gen(function*() {
  const node = yield* Node.Node
  const servers = [...loopsOf(node, "effect-otp/ProcessGroups")]
  for (const pid of servers) {
    const ref = yield* Process.monitor(pid)
    yield* Process.exit(pid, ExitReason.kill)
    yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
  }
  return servers.length > 0
})
