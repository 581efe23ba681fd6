/**
 * Process groups across the cluster, embedded (one node, in-memory storage, the cluster's own
 * serialization of every message): members are entity references, reached with
 * `GenServer.call` from the group's member list; a member whose incarnation exits leaves; a
 * scope keeps its groups across a restart of its server (durable state). Time is TestClock's.
 *
 * Then two runner processes sharing a PostgreSQL database (`EFFECT_OTP_PG_URL`; skipped
 * without it), the test process a client-only member: members on both runners are listed and
 * reached from the client, and the members of a runner killed with SIGKILL leave the group.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Fiber, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { Cluster } from "../cluster/index.js"
import { ExitReason, GenServer, Node, Process, ProcessGroups } from "../index.js"
import { loopsOf } from "../lib/internal/direct.js"
import { Accounts, Balance, Crash, Deposit, Stop, Where } from "./fixtures/cluster-app.js"
import { clientWithoutRunners, pgUrl, settledPlacement } from "./support/cluster.js"
import { twoRunners } from "./support/runners.js"

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

describe("Cluster.layerGroups options", () => {
  it.effect("a bad ping option is a BadArgument defect as the layer is built, not a crash of the scope at each join", () =>
    Effect.gen(function*() {
      const options_: Array<object> = [{ pingInterval: -1 }, { pingTimeout: "soon" }, { pingFailures: 0 }, { pingFailures: 1.5 }, {
        pingFailures: Object.create(null) // no String() takes it
      }]
      for (const options of options_) {
        const exit = yield* Effect.exit(Layer.build(Cluster.layerGroups(options as never).pipe(
          Layer.provideMerge(Cluster.layerEmbedded()),
          Layer.provideMerge(Node.layer())
        )).pipe(Effect.scoped))
        assert.isTrue(exit._tag === "Failure" && Cause.hasDies(exit.cause), JSON.stringify(options))
        const defect = exit._tag === "Failure" ? Cause.squash(exit.cause) : undefined
        assert.strictEqual((defect as { readonly _tag?: string })?._tag, "BadArgument", JSON.stringify(options))
      }
    }))
})

describe("Cluster process groups on a client without runners", () => {
  it.effect("every operation fails at once with ClusterFailure NoRunner (TestClock never moved)", () =>
    Effect.gen(function*() {
      const errors = yield* Effect.gen(function*() {
        const account = yield* Cluster.ref(Accounts, "a")
        const attempts = [
          Cluster.joinGroup(pool, "g", account),
          Cluster.leaveGroup(pool, "g", account),
          Cluster.groupMembers(pool, "g"),
          Cluster.whichGroups(pool)
        ] as Array<Effect.Effect<unknown, { readonly _tag: string; readonly reason?: unknown }, any>>
        const fibers = yield* Effect.forEach(attempts, (attempt) => Effect.forkChild(Effect.flip(attempt)))
        yield* Effect.yieldNow
        return yield* Effect.forEach(fibers, Fiber.join)
      }).pipe(Effect.provide(clientWithoutRunners))
      assert.deepStrictEqual(errors.map((e) => `${e._tag} ${String(e.reason)}`), Array(4).fill("ClusterFailure NoRunner"))
    }))
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

describe.skipIf(pgUrl === undefined)("Cluster process groups across two runner processes (PostgreSQL)", () => {
  const patient = { timeout: "30 seconds" } as const
  const { run, runners } = twoRunners({ fixture: "test/fixtures/groups-runner.ts" })
  const ids = Array.from({ length: 16 }, (_, i) => `member-${i}`)

  it("members on both runners are listed and reached from a client; a runner killed with SIGKILL takes its members out of the group", () =>
    run(Effect.gen(function*() {
      const scopeNames = Array.from({ length: 8 }, (_, i) => `pool-${i}`)
      const placement = yield* settledPlacement([...ids, ...scopeNames], 2)
      // A scope that lives on a, the runner that stays (a scope on a dead runner moves, and
      // watches its members again where they are re-activated: see Cluster.layerGroups).
      const scopeName = scopeNames.find((name) => placement[name] === "a@127.0.0.1")
      assert.isDefined(scopeName)
      const scope = Cluster.groupScope(scopeName!, Accounts)
      const accountOf = yield* Cluster.client(Accounts)
      yield* Cluster.joinGroup(scope, "g", ids.map(accountOf))
      const members = yield* Cluster.groupMembers(scope, "g")
      assert.strictEqual(members.length, ids.length)
      // Every member is reached from this client, wherever it runs.
      const nodes = yield* Effect.forEach(members, (member) => Effect.map(GenServer.call(member, Where, undefined, patient), (w) => w.node))
      assert.deepStrictEqual(new Set(nodes), new Set(["a@127.0.0.1", "b@127.0.0.1"]))

      yield* Effect.promise(() => runners.get("b")!.kill("SIGKILL"))
      runners.delete("b")
      const onA = ids.filter((id) => placement[id] === "a@127.0.0.1").sort()
      assert.isTrue(onA.length > 0 && onA.length < ids.length, "members on both runners")
      // Waits on the scope's answers (the monitors notice within 3 pings of 500 ms).
      let left: ReadonlyArray<string> = []
      for (let round = 0; round < 300; round++) {
        left = (yield* Cluster.groupMembers(scope, "g")).map((m) => Option.getOrThrow(Cluster.entityId(m))).sort()
        if (JSON.stringify(left) === JSON.stringify(onA)) break
        yield* Effect.sleep("100 millis") // this runtime's clock is the real one
      }
      assert.deepStrictEqual(left, onA)
      assert.deepStrictEqual(yield* Cluster.whichGroups(scope), ["g"])
    })), 120_000)
})
