/**
 * The client of the cluster chat: a client-only member of the cluster (it hosts no rooms)
 * that runs the scripted session of `rooms.ts` against the runners, or with `survey` shows
 * where each room lives and how much history it has.
 *
 *   npx tsx examples/cluster/client.ts [session|survey]
 *
 * with `EFFECT_OTP_PG_URL` set and runners started (see README.md).
 */
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as SqlRunnerStorage from "effect/cluster/SqlRunnerStorage"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Node from "../../lib/Node.js"
import * as Process from "../../lib/Process.js"
import { session, sharding, survey } from "./rooms.js"

const url = process.env.EFFECT_OTP_PG_URL ?? "postgres://postgres@127.0.0.1:55432/effect_otp"

// The runner storage merged in (the socket layer's own instance: a layer is built once) lets a
// call fail at once with "no runner" when no runner is up, instead of waiting for its timeout.
const client = Layer.mergeAll(
  Layer.mergeAll(
    NodeClusterSocket.layer({ clientOnly: true, serialization: "ndjson", shardingConfig: sharding }),
    SqlRunnerStorage.layer.pipe(Layer.provide(ShardingConfig.layerFromEnv(sharding)))
  ).pipe(Layer.provide(PgClient.layer({ url: Redacted.make(url) }))),
  Node.layer({ name: "client@127.0.0.1" })
)

Process.run(process.argv[2] === "survey" ? survey : session).pipe(Effect.provide(client), NodeRuntime.runMain)
