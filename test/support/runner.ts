/**
 * The body of a runner fixture (`test/fixtures/cluster-runner.ts`, `groups-runner.ts`): serves
 * `app` on 127.0.0.1:$RUNNER_PORT, as node $RUNNER_NODE, with the cluster's runner storage, shard
 * locks and durable state in the PostgreSQL database $EFFECT_OTP_PG_URL. Prints `ready <port>`
 * once it serves and `stopped <port>` as it ends; SIGTERM stops it gracefully (its shards are
 * handed over).
 */
// Subpath imports: barrels cost seconds of a runner's start-up.
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Sharding from "effect/cluster/Sharding"
import * as Cluster from "../../cluster/Cluster.js"
import * as Node from "../../lib/Node.js"
import { pgLayer, serialization, shardingConfig } from "./cluster.js"

/** Serves `app` (entity types, group scopes) as a runner process until SIGTERM. */
export const serveRunner = <E>(app: Layer.Layer<never, E, Sharding.Sharding | Node.Node | Cluster.StateStorage>): void => {
  const port = Number(process.env.RUNNER_PORT)
  const node = process.env.RUNNER_NODE ?? `runner-${port}`
  const url = process.env.EFFECT_OTP_PG_URL!

  const runner = app.pipe(
    Layer.provide(NodeClusterSocket.layer({ serialization, shardingConfig: shardingConfig(port) })),
    Layer.provide(Cluster.layerStateSql()),
    Layer.provide(pgLayer(url)),
    Layer.provide(Node.layer({ name: node }))
  )

  // Started by the test harness: stop (gracefully) if the harness dies and its pipe closes, so
  // that a killed test run leaves no runner behind.
  if (process.env.RUNNER_EXIT_WITH_PARENT === "1") {
    process.stdin.on("end", () => process.kill(process.pid, "SIGTERM"))
    process.stdin.resume()
  }

  Effect.gen(function*() {
    yield* Effect.sync(() => console.log(`ready ${port}`))
    return yield* Effect.never
  }).pipe(
    Effect.provide(runner),
    Effect.ensuring(Effect.sync(() => console.log(`stopped ${port}`))),
    NodeRuntime.runMain
  )
}
