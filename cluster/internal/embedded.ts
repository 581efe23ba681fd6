/**
 * The embedded cluster: one runner in this process, owning every shard, with in-memory storage.
 */
import * as MessageStorage from "effect/cluster/MessageStorage"
import * as RunnerHealth from "effect/cluster/RunnerHealth"
import * as Runners from "effect/cluster/Runners"
import * as RunnerStorage from "effect/cluster/RunnerStorage"
import * as Sharding from "effect/cluster/Sharding"
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as Layer from "effect/Layer"
import { layerStateMemory, type StateStorage } from "./storage.js"

/**
 * A whole cluster in this process: one runner owning every shard, in-memory message and
 * runner storage, no sockets, and in-memory durable state. The default for examples, tests and
 * single-node programs; replace it with Effect's socket runner and SQL storage to scale out
 * without changing the entities or their clients.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer, Node } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })
 * const Counter = GenServer.make({
 *   name: "Counter",
 *   calls: [Add],
 *   init: (_id: string) => GenServer.ok(0),
 *   handleCall: { Add: ({ by }, n) => GenServer.reply(n + by, n + by) }
 * })
 * const Counters = Cluster.entity(Counter)
 * const single = Cluster.layer(Counters).pipe(
 *   Layer.provideMerge(Cluster.layerEmbedded({ shardingConfig: { entityMaxIdleTime: "5 minutes" } })),
 *   Layer.provideMerge(Node.layer())
 * )
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerEmbedded = (options?: {
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Service"]> | undefined
}): Layer.Layer<Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage | StateStorage> => {
  const config = ShardingConfig.layer(options?.shardingConfig)
  return Sharding.layer.pipe(
    Layer.provideMerge(Runners.layerNoop),
    Layer.provideMerge(MessageStorage.layerMemory),
    Layer.provide([RunnerStorage.layerMemory, RunnerHealth.layerNoop]),
    Layer.provide(config),
    Layer.merge(layerStateMemory)
  )
}
