/**
 * The cluster chat in one process, with no database: an embedded cluster (one runner owning
 * every shard, in-memory storage) hosting the rooms, and the client session talking to them
 * through the same `Cluster.ref` / `GenServer.call` API as across machines.
 *
 *   npx tsx examples/cluster/embedded.ts
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Cluster from "../../cluster/Cluster.js"
import * as Node from "../../lib/Node.js"
import * as Process from "../../lib/Process.js"
import { Rooms, session } from "./rooms.js"

/** The rooms hosted in this process, on an embedded cluster. */
export const embedded = Cluster.layer(Rooms).pipe(
  Layer.provideMerge(Cluster.layerEmbedded()),
  Layer.provideMerge(Node.layer({ name: "embedded@localhost" }))
)

export const main = Process.run(session).pipe(Effect.provide(embedded))

if (import.meta.url === `file://${process.argv[1]}`) Effect.runPromise(main)
