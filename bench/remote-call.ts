/**
 * `cluster_remote_call_round_trips`: remote calls between two runners over loopback TCP,
 * reported beside local calls measured in the same process.
 *
 * The bench process is runner A (hosting the test entity types, `test/fixtures/cluster-app.ts`)
 * and starts runner B as a child process (`test/fixtures/cluster-runner.ts`); both share a
 * fresh PostgreSQL database (runner storage, shard locks). It picks entity ids whose shard B
 * owns, then measures, in calls per second:
 *
 * - effect-otp:
 *   - `cluster_remote_call_round_trips`: one process on A makes `n` sequential
 *     `GenServer.call(ref, Deposit, { amount: 1 })` on a `Cluster.ref` of an `Account` entity
 *     on B (the last balance is checked);
 *   - `cluster_remote_call_concurrent`: 16 processes on A, each calling its own entity on B;
 *   - `cluster_remote_durable_call_round_trips`: the sequential calls on a durable `Account`
 *     (each reply waits for its state to be saved in PostgreSQL: `save: "message"`);
 *   - `cluster_embedded_call_round_trips`: the same calls on an embedded cluster (one process,
 *     the cluster's serialization of each request, no socket);
 *   - `cluster_local_call_round_trips`: `GenServer.call` on a local `Account` server;
 *   - `cluster_remote_vs_local_call_ratio`: remote sequential / local.
 * - effect-cluster: `cluster_remote_call_round_trips` with a raw Effect entity
 *   (`Entity.make` + `toLayer`, the same `Deposit` Rpc) on B, called through `Entity.client`:
 *   the cost of the transport alone, without the GenServer behind the entity.
 *
 * Needs `EFFECT_OTP_PG_URL` (`examples/cluster/postgres.sh start` prints one; `.ci/run` sets
 * it). The wire format is the test cluster's (`ndjson`; `CLUSTER_SERIALIZATION=binary` for
 * Effect's default).
 *
 *   node --expose-gc --import tsx bench/remote-call.ts --system effect-otp [--quick]
 *
 * Prints one line on stdout: a JSON array of records, as every case file.
 */
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as GenServer from "../behaviours/GenServer.js"
import * as Cluster from "../cluster/Cluster.js"
import * as Node from "../lib/Node.js"
import * as Process from "../lib/Process.js"
import {
  Account,
  Accounts,
  DurableAccounts,
  Deposit,
  RawAccount,
  RawAccountLayer,
  Where
} from "../test/fixtures/cluster-app.js"
import {
  createDatabase,
  dropDatabase,
  freePorts,
  pgLayer,
  serialization,
  shardingConfig,
  startRunner
} from "../test/support/cluster.js"
import type { BenchRecord } from "./records.js"

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const quick = process.argv.includes("--quick")
const system = argValue("--system") ?? "effect-otp"
const n = quick ? 300 : 3000
const reps = quick ? 1 : 3
const unit = "calls/s"

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const check = (what: string, actual: unknown, expected: unknown): void => {
  if (actual !== expected) throw new Error(`bench: ${what}: expected ${String(expected)}, got ${String(actual)}`)
}

/** Calls per second of `count` calls made by `run`. */
const timed = <E, R>(count: number, run: Effect.Effect<void, E, R>): Effect.Effect<number, E, R> =>
  Effect.gen(function*() {
    const t0 = performance.now()
    yield* run
    return count / ((performance.now() - t0) / 1000)
  })

/**
 * Measures `measure` once at full size (warm-up: the cluster's code paths are long, and a
 * tenth of the size leaves them cold), then `reps` times; the median.
 */
const figure = async (measure: (size: number) => Promise<number>): Promise<number> => {
  await measure(n)
  const values: Array<number> = []
  for (let i = 0; i < reps; i++) values.push(await measure(n))
  return median(values)
}

const main = async (): Promise<Array<BenchRecord>> => {
  const admin = process.env.EFFECT_OTP_PG_URL
  if (admin === undefined || admin === "") {
    throw new Error("bench remote-call: set EFFECT_OTP_PG_URL (examples/cluster/postgres.sh start prints one)")
  }
  const database = await createDatabase(admin)
  const [portA, portB] = await freePorts(2)
  const b = await startRunner("b@127.0.0.1", portB!, database)
  const runnerA = Layer.mergeAll(Cluster.layer(Accounts), Cluster.layer(DurableAccounts), RawAccountLayer).pipe(
    Layer.provideMerge(NodeClusterSocket.layer({ serialization, shardingConfig: shardingConfig(portA) })),
    Layer.provide(Cluster.layerStateSql()),
    Layer.provide(pgLayer(database)),
    Layer.provideMerge(Node.layer({ name: "a@127.0.0.1" }))
  )
  const runtime = ManagedRuntime.make(runnerA)
  try {
    const run = <A, E>(effect: Effect.Effect<A, E, any>) => runtime.runPromise(Process.run(effect) as any) as Promise<A>

    // Ids whose shard B owns, once A and B have settled the shards between them.
    const onB = await run(Effect.gen(function*() {
      const make = yield* Cluster.client(Accounts)
      for (let round = 0; round < 200; round++) {
        const found: Array<string> = []
        for (let i = 0; i < 64 && found.length < 17; i++) {
          const where = yield* GenServer.call(make(`bench-${i}`), Where, undefined, { timeout: "30 seconds" })
          if (where.node === "b@127.0.0.1") found.push(`bench-${i}`)
        }
        if (found.length === 17) return found
      }
      return yield* Effect.die(new Error("runner b never owned enough shards"))
    }))
    const records: Array<BenchRecord> = []

    if (system === "effect-otp") {
      const remote = await figure((size) =>
        run(Effect.gen(function*() {
          const account = yield* Cluster.ref(Accounts, onB[0]!)
          const start = yield* GenServer.call(account, Deposit, { amount: 0 })
          let last = 0
          const rate = yield* timed(size, Effect.gen(function*() {
            for (let i = 0; i < size; i++) last = yield* GenServer.call(account, Deposit, { amount: 1 })
          }))
          check("last balance", last, start + size)
          return rate
        }))
      )
      const concurrent = await figure((size) =>
        run(Effect.gen(function*() {
          const make = yield* Cluster.client(Accounts)
          const callers = onB.slice(1, 17)
          const each = Math.max(1, Math.round(size / callers.length))
          return yield* timed(
            each * callers.length,
            Effect.forEach(callers, (id) =>
              Effect.gen(function*() {
                const account = make(id)
                for (let i = 0; i < each; i++) yield* GenServer.call(account, Deposit, { amount: 1 })
              }), { concurrency: "unbounded", discard: true })
          )
        }))
      )
      const durable = await figure((size) =>
        run(Effect.gen(function*() {
          const account = yield* Cluster.ref(DurableAccounts, onB[0]!)
          const start = yield* GenServer.call(account, Deposit, { amount: 0 })
          let last = 0
          const rate = yield* timed(size, Effect.gen(function*() {
            for (let i = 0; i < size; i++) last = yield* GenServer.call(account, Deposit, { amount: 1 })
          }))
          check("last durable balance", last, start + size)
          return rate
        }))
      )
      const embedded = ManagedRuntime.make(Cluster.layer(Accounts).pipe(
        Layer.provideMerge(Cluster.layerEmbedded()),
        Layer.provideMerge(Node.layer({ name: "embedded@bench" }))
      ))
      const embeddedRate = await figure((size) =>
        embedded.runPromise(Process.run(Effect.gen(function*() {
          const account = yield* Cluster.ref(Accounts, "embedded")
          const start = yield* GenServer.call(account, Deposit, { amount: 0 })
          let last = 0
          const rate = yield* timed(size, Effect.gen(function*() {
            for (let i = 0; i < size; i++) last = yield* GenServer.call(account, Deposit, { amount: 1 })
          }))
          check("last embedded balance", last, start + size)
          return rate
        })) as any) as Promise<number>
      )
      await embedded.dispose()
      const local = await figure((size) =>
        run(Effect.gen(function*() {
          const account = yield* GenServer.start(Account, { id: "local", balance: 0 })
          let last = 0
          const rate = yield* timed(size, Effect.gen(function*() {
            for (let i = 0; i < size; i++) last = yield* GenServer.call(account, Deposit, { amount: 1 })
          }))
          check("last local balance", last, size)
          yield* GenServer.stop(account)
          return rate
        }))
      )
      records.push(
        { benchmark: "cluster_remote_call_round_trips", system, value: remote, unit },
        { benchmark: "cluster_remote_call_concurrent", system, value: concurrent, unit },
        { benchmark: "cluster_remote_durable_call_round_trips", system, value: durable, unit },
        { benchmark: "cluster_embedded_call_round_trips", system, value: embeddedRate, unit },
        { benchmark: "cluster_local_call_round_trips", system, value: local, unit },
        { benchmark: "cluster_remote_vs_local_call_ratio", system, value: remote / local, unit: "x" }
      )
    } else if (system === "effect-cluster") {
      const remote = await figure((size) =>
        run(Effect.gen(function*() {
          const client = (yield* RawAccount.client)(onB[0]!)
          const start = yield* client.Deposit({ amount: 0 })
          let last = 0
          const rate = yield* timed(size, Effect.gen(function*() {
            for (let i = 0; i < size; i++) last = yield* client.Deposit({ amount: 1 })
          }))
          check("last raw balance", last, start + size)
          return rate
        }))
      )
      records.push({ benchmark: "cluster_remote_call_round_trips", system, value: remote, unit })
    } else {
      throw new Error(`bench remote-call: --system must be effect-otp or effect-cluster, not ${system}`)
    }
    return records
  } finally {
    await runtime.dispose()
    await b.kill("SIGTERM")
    await dropDatabase(admin, database)
  }
}

main().then(
  (records) => {
    process.stdout.write(JSON.stringify(records) + "\n")
    process.exit(0)
  },
  (error: unknown) => {
    console.error(`bench cluster_remote_call_round_trips (${system}) failed:`, error)
    process.exit(1)
  }
)
