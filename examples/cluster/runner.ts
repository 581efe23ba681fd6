/**
 * A runner of the cluster chat: hosts the rooms whose shards it owns. Runners find each other,
 * share shards and keep the rooms' histories through PostgreSQL.
 *
 *   npx tsx examples/cluster/runner.ts <port> <name>
 *
 * with `EFFECT_OTP_PG_URL` set (see `postgres.sh`). Prints `ready <port>` once it serves;
 * Ctrl-C or SIGTERM hands its rooms over to the other runners before it exits.
 */
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Cluster from "../../cluster/Cluster.js"
import * as Node from "../../lib/Node.js"
import { Rooms, sharding } from "./rooms.js"

const port = Number(process.argv[2] ?? 34001)
const name = process.argv[3] ?? `runner-${port}`
const url = process.env.EFFECT_OTP_PG_URL ?? "postgres://postgres@127.0.0.1:55432/effect_otp"

const database = PgClient.layer({ url: Redacted.make(url) })

const runner = Cluster.layer(Rooms).pipe(
  Layer.provide(NodeClusterSocket.layer({
    serialization: "ndjson",
    shardingConfig: { ...sharding, runnerAddress: Option.some(RunnerAddress.make("127.0.0.1", port)) }
  })),
  Layer.provide(Cluster.layerStateSql()),
  Layer.provide(database),
  Layer.provide(Node.layer({ name: `${name}@127.0.0.1` }))
)

Console.log(`ready ${port}`).pipe(
  Effect.andThen(Effect.never),
  Effect.provide(runner),
  NodeRuntime.runMain
)
