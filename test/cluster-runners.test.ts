/**
 * Cluster across processes: two and then three runner processes on 127.0.0.1 ports, sharing a
 * PostgreSQL database (runner storage, shard locks, durable state), and the test process as a
 * client-only member. Calls and casts spread over the runners; malformed messages at the
 * boundary; a runner stopped with SIGTERM (shards handed over) and one killed with SIGKILL
 * (shards taken after the lock expiry); durable state and monitors across both.
 *
 * Needs `EFFECT_OTP_PG_URL` (see `examples/cluster/postgres.sh`; `.ci/run` sets it); skipped
 * without it. Waits are on the runners' output and on the cluster's answers, never on sleeps.
 */
import { assert, describe, it } from "@effect/vitest"
import * as net from "node:net"
import { Cause, Effect, Fiber, Option, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { Cluster } from "../cluster/index.js"
import { ExitReason, GenServer, Process } from "../index.js"
import {
  Accounts,
  Balance,
  Bump,
  Crash,
  Deposit,
  DurableAccounts,
  Where,
  Withdraw
} from "./fixtures/cluster-app.js"
import { pgUrl, settledPlacement, startRunner } from "./support/cluster.js"
import { twoRunners } from "./support/runners.js"

// Another version of the Account protocol, as an older client would have it.
const DepositV2 = Rpc.make("Deposit", { payload: { amount: Schema.String }, success: Schema.Number })
const BalanceV2 = Rpc.make("Balance", { success: Schema.String })
const AccountsV2 = Cluster.entity(
  GenServer.make({
    name: "Account",
    calls: [DepositV2, BalanceV2],
    init: (id: string) => GenServer.ok(id),
    handleCall: { Deposit: (_, s) => GenServer.reply(0, s), Balance: (_, s) => GenServer.reply("0", s) }
  }),
  { type: "Account" }
)

const ids = Array.from({ length: 24 }, (_, i) => `acct-${i}`)
const patient = { timeout: "30 seconds" } as const

describe.skipIf(pgUrl === undefined)("Cluster across runner processes (PostgreSQL)", () => {
  const cluster = twoRunners({ spare: 1 })
  const { run, runners } = cluster

  it("calls and casts reach entities spread over two runners, each owning shards", () =>
    run(Effect.gen(function*() {
      const placement = yield* settledPlacement(ids, ["a@127.0.0.1", "b@127.0.0.1"])
      const durable = yield* Cluster.client(DurableAccounts)
      const plain = yield* Cluster.client(Accounts)
      for (const [i, id] of ids.entries()) {
        assert.strictEqual(yield* GenServer.call(durable(id), Deposit, { amount: i + 1 }, patient), i + 1)
        yield* GenServer.cast(durable(id), Bump, { amount: 100 })
        assert.strictEqual(yield* GenServer.call(plain(id), Deposit, { amount: 1 }, patient), 1)
      }
      for (const [i, id] of ids.entries()) {
        assert.strictEqual(yield* GenServer.call(durable(id), Balance, undefined, patient), i + 101)
        // Both entity types route an id to the same shard, hence runner.
        assert.strictEqual((yield* GenServer.call(durable(id), Where, undefined, patient)).node, placement[id])
      }
      // Typed errors and crash reasons cross the wire as data.
      const insufficient = yield* Effect.flip(GenServer.call(durable(ids[0]!), Withdraw, { amount: 1e6 }, patient))
      assert.strictEqual(insufficient._tag, "Insufficient")
      const crashed = yield* Effect.flip(GenServer.call(plain(ids[1]!), Crash, { message: "remote boom" }, patient))
      assert.strictEqual(crashed._tag, "CallExit")
      const reason = (crashed as { readonly reason: ExitReason.ExitReason }).reason
      assert.strictEqual(reason._tag, "Crash")
      assert.include(Cause.pretty((reason as ExitReason.Crash).cause), "remote boom")
    })), 60_000)

  it("malformed messages get typed errors; the runner keeps serving", async () => {
    await run(Effect.gen(function*() {
      const skewed = yield* Cluster.client(AccountsV2)
      const request = yield* Effect.flip(GenServer.call(skewed(ids[2]!), DepositV2, { amount: "ten" }, patient))
      assert.strictEqual(request._tag, "MalformedMessage")
      assert.strictEqual((request as Cluster.MalformedMessage).direction, "request")
      const reply = yield* Effect.flip(GenServer.call(skewed(ids[3]!), BalanceV2, undefined, patient))
      assert.strictEqual(reply._tag, "MalformedMessage")
      assert.strictEqual((reply as Cluster.MalformedMessage).direction, "reply")
    }))
    // Garbage on each runner's socket: the runner answers with a protocol error and goes on.
    for (const port of cluster.ports().slice(0, 2)) {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1", () => {
          socket.write(Buffer.from([0xc1, 0xff, 0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef]))
          socket.write("{not json at all}\n")
        })
        socket.once("data", (data) => {
          socket.destroy()
          resolve(data.toString())
        })
        socket.on("error", reject)
      })
      assert.include(answer, "Defect")
    }
    await run(Effect.gen(function*() {
      const durable = yield* Cluster.client(DurableAccounts)
      for (const [i, id] of ids.entries()) {
        assert.strictEqual(yield* GenServer.call(durable(id), Balance, undefined, patient), i + 101)
      }
    }))
    for (const runner of runners.values()) assert.strictEqual(runner.child.exitCode, null)
  }, 60_000)

  it("SIGTERM: the runner hands its shards over, calls keep working, durable state is kept, monitors follow", () =>
    run(Effect.gen(function*() {
      const before = yield* settledPlacement(ids, ["a@127.0.0.1", "b@127.0.0.1"])
      const onA = ids.filter((id) => before[id] === "a@127.0.0.1")
      const durable = yield* Cluster.client(DurableAccounts)
      const plain = yield* Cluster.client(Accounts)
      const watched = durable(onA[0]!)
      const monitor = yield* Cluster.monitor(watched, { pingInterval: "1 second" })
      // Calls keep going while the runner stops.
      const traffic = yield* Effect.forkChild(Effect.forEach(
        onA,
        (id) => GenServer.call(durable(id), Balance, undefined, patient),
        { concurrency: 4 }
      ))
      const a = runners.get("a")!
      yield* Effect.promise(() => a.kill("SIGTERM"))
      runners.delete("a")
      // It stopped by itself, through its finalizers (entities passivated, shards released).
      assert.isTrue(a.lines.some((line) => line.startsWith("stopped ")))
      yield* Fiber.join(traffic)
      const after = yield* settledPlacement(ids, ["b@127.0.0.1"])
      for (const [i, id] of ids.entries()) {
        assert.strictEqual(after[id], "b@127.0.0.1")
        assert.strictEqual(yield* GenServer.call(durable(id), Balance, undefined, patient), i + 101)
        // Not durable: an entity that moved starts fresh (the cluster's default).
        // (ids[1] crashed in the first test: it restarted from 0 already.)
        const expected = before[id] === "a@127.0.0.1" || id === ids[1] ? 0 : 1
        assert.strictEqual(yield* GenServer.call(plain(id), Balance, undefined, patient), expected)
      }
      // The move was not a Down; the monitor followed the entity to b and sees it crash there.
      assert.isTrue(Option.isNone(yield* Process.receive({ match: Process.isDownMessage, timeout: 0 })))
      yield* Effect.flip(GenServer.call(watched, Crash, { message: "after the move" }, patient))
      const down = yield* Process.receive({
        match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === monitor
      })
      assert.strictEqual(down.reason._tag, "Crash")
      assert.include(Cause.pretty((down.reason as ExitReason.Crash).cause), "after the move")
      // The crash kept the last saved balance.
      assert.strictEqual(yield* GenServer.call(watched, Balance, undefined, patient), ids.indexOf(onA[0]!) + 101)
    })), 90_000)

  it("SIGKILL: calls resume after the lock expiry, durable state is kept, monitors fire Down (noconnection)", async () => {
    const c = await startRunner("c@127.0.0.1", cluster.ports()[2]!, cluster.database())
    runners.set("c", c)
    await run(Effect.gen(function*() {
      const placement = yield* settledPlacement(ids, ["b@127.0.0.1", "c@127.0.0.1"])
      const onC = ids.filter((id) => placement[id] === "c@127.0.0.1")
      const durable = yield* Cluster.client(DurableAccounts)
      const watched = durable(onC[0]!)
      const monitor = yield* Cluster.monitor(watched, { pingInterval: "500 millis" })
      const balances = new Map<string, number>()
      for (const id of onC) balances.set(id, yield* GenServer.call(durable(id), Deposit, { amount: 1000 }, patient))
      yield* Effect.promise(() => c.kill("SIGKILL"))
      runners.delete("c")
      const down = yield* Process.receive({
        match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === monitor
      })
      assert.strictEqual(down.reason._tag, "NoConnection")
      // c's shards are b's once their locks expire; every acknowledged deposit is there.
      for (const id of onC) {
        assert.strictEqual(yield* GenServer.call(durable(id), Balance, undefined, { timeout: "60 seconds" }), balances.get(id))
        assert.strictEqual((yield* GenServer.call(durable(id), Where, undefined, patient)).node, "b@127.0.0.1")
      }
    }))
  }, 120_000)
})
