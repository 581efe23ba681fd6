/**
 * Harness of the distributed tests: a fresh PostgreSQL database per test file, runner child
 * processes on 127.0.0.1 ports (started, awaited on their output, stopped with a signal), and
 * the client-only cluster layer of the test process.
 *
 * PostgreSQL comes from `EFFECT_OTP_PG_URL` (a database URL of a server where the user may
 * create databases), which `.ci/run` sets after starting one with
 * `examples/cluster/postgres.sh`. Without it the distributed tests are skipped.
 */
// Subpath imports: runner processes load this file, and barrels cost seconds of start-up.
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as PgClient from "@effect/sql-pg/PgClient"
import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as MessageStorage from "effect/cluster/MessageStorage"
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import * as RunnerHealth from "effect/cluster/RunnerHealth"
import * as Runners from "effect/cluster/Runners"
import * as RunnerStorage from "effect/cluster/RunnerStorage"
import * as Sharding from "effect/cluster/Sharding"
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as SqlClient from "effect/sql/SqlClient"
import * as GenServer from "../../behaviours/GenServer.js"
import * as Cluster from "../../cluster/Cluster.js"
import { Accounts, Where } from "../fixtures/cluster-app.js"

/** The PostgreSQL server of the distributed tests, if any. */
export const pgUrl: string | undefined = process.env.EFFECT_OTP_PG_URL || undefined

/**
 * Timings of the test cluster: short shard locks (a killed runner's shards are free after
 * 3 s), fast assignment refreshes and retries.
 */
export const shardingConfig = (port: number | undefined): Partial<ShardingConfig.ShardingConfig["Service"]> => ({
  runnerAddress: port === undefined ? Option.none() : Option.some(RunnerAddress.make("127.0.0.1", port)),
  shardsPerGroup: 16,
  shardLockRefreshInterval: "500 millis",
  shardLockExpiration: "3 seconds",
  refreshAssignmentsInterval: "200 millis",
  runnerHealthCheckInterval: "1 second",
  entityTerminationTimeout: "3 seconds",
  sendRetryInterval: "50 millis"
})

const withDatabase = (url: string, database: string): string => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

const admin = <A>(url: string, f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(SqlClient.SqlClient, f).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(url) }))
  )) as Effect.Effect<A, unknown>)

/** Creates a fresh database on the server of `url`; returns its URL. */
export const createDatabase = async (url: string): Promise<string> => {
  const name = `otp_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  await admin(url, (sql) => sql.unsafe(`CREATE DATABASE ${name}`))
  return withDatabase(url, name)
}

/** Drops a database made by {@link createDatabase}. */
export const dropDatabase = async (url: string, databaseUrl: string): Promise<void> => {
  const name = new URL(databaseUrl).pathname.slice(1)
  await admin(url, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
}

/**
 * The wire format of the test cluster: newline-delimited JSON, which carries its types, so a
 * reply of another schema version fails to decode. (Effect's default, schema-driven binary
 * without payload fingerprints, decodes the bytes with whatever schema the reader has.)
 * `CLUSTER_SERIALIZATION=binary` selects that one, for the benchmark.
 */
export const serialization: "ndjson" | "binary" = process.env.CLUSTER_SERIALIZATION === "binary" ? "binary" : "ndjson"

/** The PostgreSQL client of the cluster's storage. */
export const pgLayer = (url: string) => PgClient.layer({ url: Redacted.make(url) })

/** A client-only member of the cluster (no shards): what the tests call from. */
export const clientLayer = (url: string) =>
  NodeClusterSocket.layer({ clientOnly: true, serialization, shardingConfig: shardingConfig(undefined) }).pipe(
    Layer.provide(pgLayer(url))
  )

/**
 * A client-only member (no runner address) whose runner storage knows no runner, in memory: an
 * operation that needs a runner has none to go to.
 */
export const clientWithoutRunners = Sharding.layer.pipe(
  Layer.provideMerge(Runners.layerNoop),
  Layer.provideMerge(MessageStorage.layerMemory),
  Layer.provideMerge(RunnerStorage.layerMemory),
  Layer.provide(RunnerHealth.layerNoop),
  Layer.provide(ShardingConfig.layer({ runnerAddress: Option.none() }))
)

/**
 * Where each of `ids` runs (its node), asked of the account entity of that id (an id's shard,
 * hence runner, is the same for every entity type), once two rounds agree and the ids are spread
 * over `nodes`: exactly these node names, or that many distinct nodes.
 */
export const settledPlacement = (ids: ReadonlyArray<string>, nodes: ReadonlyArray<string> | number) =>
  Effect.gen(function*() {
    const accountOf = yield* Cluster.client(Accounts)
    const spread = (placement: Record<string, string>): boolean => {
      const seen = new Set(Object.values(placement))
      return typeof nodes === "number"
        ? seen.size === nodes
        : seen.size === nodes.length && nodes.every((node) => seen.has(node))
    }
    let previous = ""
    for (let round = 0; round < 200; round++) {
      const placement: Record<string, string> = {}
      for (const id of ids) {
        placement[id] = (yield* GenServer.call(accountOf(id), Where, undefined, { timeout: "30 seconds" })).node
      }
      const key = JSON.stringify(placement)
      if (key === previous && spread(placement)) return placement
      previous = key
    }
    return yield* Effect.die(new Error(`placement never settled on ${JSON.stringify(nodes)}`))
  })

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

/** A child process and its output, line by line. */
export class Child {
  readonly lines: Array<string> = []
  readonly exited: Promise<number | null>
  private waiters: Array<{ readonly match: RegExp; readonly resolve: (line: string) => void }> = []
  constructor(readonly name: string, readonly child: ChildProcess) {
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (line.trim() === "") continue
        this.lines.push(line)
        this.waiters = this.waiters.filter((w) => {
          if (!w.match.test(line)) return true
          w.resolve(line)
          return false
        })
      }
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))))
  }

  /** Waits for an output line matching `match` (already printed or to come). */
  waitFor(match: RegExp, timeoutMs = 30_000): Promise<string> {
    const seen = this.lines.find((line) => match.test(line))
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name}: no line matching ${match} in ${timeoutMs} ms:\n${this.lines.join("\n")}`)),
        timeoutMs
      )
      const onExit = this.exited.then((code) => {
        clearTimeout(timer)
        reject(new Error(`${this.name} exited (${code}) before printing ${match}:\n${this.lines.join("\n")}`))
      })
      void onExit
      this.waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer)
          resolve(line)
        }
      })
    })
  }

  kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
    return this.exited
  }
}

/** Runs a TypeScript file of the repository in a child Node process (through tsx). */
export const spawnTs = (
  name: string,
  file: string,
  env: Record<string, string>,
  args: ReadonlyArray<string> = []
): Child =>
  new Child(
    name,
    spawn(process.execPath, ["--import", "tsx", path.join(repo, file), ...args], {
      cwd: repo,
      env: { ...process.env, ...env },
      // stdin stays open while this process lives: a runner fixture stops when it closes.
      stdio: ["pipe", "pipe", "pipe"]
    })
  )

/**
 * Starts the test runner `name` on `port` (the runner fixture `fixture`, by default the one of
 * the entity types) and waits until it serves.
 */
export const startRunner = async (
  name: string,
  port: number,
  databaseUrl: string,
  fixture = "test/fixtures/cluster-runner.ts"
): Promise<Child> => {
  const runner = spawnTs(name, fixture, {
    RUNNER_PORT: String(port),
    RUNNER_NODE: name,
    RUNNER_EXIT_WITH_PARENT: "1",
    EFFECT_OTP_PG_URL: databaseUrl
  })
  await runner.waitFor(/^ready /)
  return runner
}

/** Free TCP ports on 127.0.0.1, as the OS hands them out. */
export const freePorts = async (count: number): Promise<Array<number>> => {
  const net = await import("node:net")
  const servers = await Promise.all(Array.from({ length: count }, () =>
    new Promise<import("node:net").Server>((resolve) => {
      const server = net.createServer()
      server.listen(0, "127.0.0.1", () => resolve(server))
    })))
  const ports = servers.map((server) => (server.address() as import("node:net").AddressInfo).port)
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  return ports
}
