/**
 * Cluster: the same GenServer across machines, on Effect's cluster engine (`effect/cluster`).
 *
 * A GenServer module becomes a cluster *entity type*: every entity id names one virtual
 * process (as Orleans grains), which the cluster places on whichever runner owns the id's
 * shard. Its `init` runs when the id is first addressed there; its calls and casts are routed
 * to it from any node; and the client API is the GenServer one: `GenServer.call(ref, Add,
 * { by: 1 })` works on a cluster reference as on a local pid or name.
 *
 * Nothing here is a distributed engine of its own: routing, shard ownership, runners over
 * sockets, health checks and SQL runner storage are Effect's (`Sharding`, `Entity`,
 * `SocketRunner`, `SqlRunnerStorage`). This module adds the GenServer semantics on top: the
 * typed call protocol and its errors, virtual-process lifecycle, monitors, and durable state.
 *
 * ## Embedded: one node, no database
 *
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
 *
 * // The entity type: one virtual Counter per id.
 * const Counters = Cluster.entity(Counter)
 *
 * const program = Effect.gen(function*() {
 *   const counter = yield* Cluster.ref(Counters, "visits") // a GenServer.Server
 *   yield* GenServer.call(counter, Add, { by: 1 })
 *   return yield* GenServer.call(counter, Add, { by: 1 }) // 2
 * })
 *
 * const runtime = Cluster.layer(Counters).pipe(
 *   Layer.provideMerge(Cluster.layerEmbedded()),
 *   Layer.provideMerge(Node.layer())
 * )
 * Effect.runPromise(program.pipe(Effect.provide(runtime)))
 * ```
 *
 * ## Several runners
 *
 * Each runner serves the same {@link layer} over Effect's socket runner, with the cluster's
 * runner storage and shard locks in PostgreSQL (`@effect/sql-pg`), and durable state through
 * {@link layerStateSql} in the same database; clients use the client-only socket layer. The
 * entities and their callers do not change. See `examples/cluster/` for a complete program.
 *
 * ```ts
 * import { NodeClusterSocket, NodeRuntime } from "@effect/platform-node"
 * import { PgClient } from "@effect/sql-pg"
 * import { Layer, Option, Redacted, Schema } from "effect"
 * import { RunnerAddress, ShardingConfig, SqlRunnerStorage } from "effect/cluster"
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
 *
 * const database = PgClient.layer({ url: Redacted.make("postgres://postgres@127.0.0.1:55432/effect_otp") })
 *
 * // Every runner: its own address, the same database.
 * const runner = Cluster.layer(Counters).pipe(
 *   Layer.provide(NodeClusterSocket.layer({
 *     shardingConfig: { runnerAddress: Option.some(RunnerAddress.make("127.0.0.1", 34001)) }
 *   })),
 *   Layer.provide(database),
 *   Layer.provide(Node.layer({ name: "runner1@127.0.0.1" }))
 * )
 * Layer.launch(runner).pipe(NodeRuntime.runMain)
 *
 * // A client: `Cluster.ref` and `GenServer.call` as in the embedded example. The runner
 * // storage merged in (the same instance the socket layer uses: Effect builds a layer once)
 * // lets a call see that no runner is up and fail at once (`ClusterFailure` `NoRunner`).
 * const client = Layer.mergeAll(
 *   NodeClusterSocket.layer({ clientOnly: true }),
 *   SqlRunnerStorage.layer.pipe(Layer.provide(ShardingConfig.layerFromEnv()))
 * ).pipe(Layer.provide(database))
 * ```
 *
 * Every node must use the same `shardsPerGroup` (it decides an id's shard: a client that
 * counts differently sends to shards nobody owns, and waits) and the same wire format.
 * Effect's default (`serialization: "binary"`,
 * schema-driven, without payload fingerprints) decodes bytes with the reader's schema, so two
 * versions of a protocol that disagree on a field's type may silently misread each other;
 * `serialization: "ndjson"` carries the types and turns such skew into
 * {@link MalformedMessage}.
 *
 * ## The virtual process
 *
 * - An id is activated on the runner that owns its shard when a message (call, cast or
 *   monitor) first reaches it: `init(args(id, restored))` runs then, and messages wait for it.
 * - If `init` fails, the message fails (`CallExit` with the reason; `NoProc` for `ignore`) and
 *   the next message tries `init` again. If the server crashes or stops, pending calls fail
 *   with `CallExit` (the reason crosses the wire: a `Crash` keeps its cause), and the next
 *   message starts a fresh incarnation: there is no supervisor to configure, the cluster is it.
 * - The cluster passivates an idle entity (`maxIdleTime`, default 1 minute), moves it when
 *   shards are rebalanced, and stops it when its runner shuts down: the server is then stopped
 *   with `shutdown` (its `terminate` runs) and, unless its state is durable, the next
 *   activation starts fresh, which is Effect's cluster default.
 * - Messages from one sender are delivered in the order sent; `handleCall` may answer later
 *   (`noreply` then `replyTo`): calls to one entity are pipelined, not serialised.
 *
 * ## Errors
 *
 * `GenServer.call` on a cluster reference fails with the request's declared error (decoded by
 * its Schema), `CallExit` / `NoProc` as above, `CallTimeout` (default 5 s; the request is then
 * interrupted at the entity), or one of the transport's own typed errors
 * ({@link RemoteError}): {@link MalformedMessage} when one side cannot decode what the other
 * sent (version skew, a reply that does not match its schema), and {@link ClusterFailure}
 * for the cluster's own refusals (full mailbox, storage down, and `NoRunner`: no runner is up
 * to host the entity, known at once when the caller has the cluster's runner storage in its
 * context, as the client above; without it such a call waits for its timeout). A malformed message never
 * crashes the receiving runner: it answers the caller with the error and goes on serving.
 * Casts never fail (as in OTP); one that cannot be delivered is dropped. `Sys` and
 * `GenServer.stop` do not reach a cluster reference (they die: there is no process there to
 * address; stop a server from its own protocol, e.g. with a request whose handler `stopWith`s).
 *
 * Delivery is the cluster's "volatile" mode: a call whose runner dies is re-sent by the
 * cluster to the shard's next owner, so across a runner crash a call is delivered at least
 * once. Keep handlers idempotent where that matters.
 *
 * ## Monitors
 *
 * {@link monitor} gives the calling process a `Down` message (a real `Process.DownMessage`:
 * `Process.isDownMessage`, `Process.demonitor` work) when the entity's current incarnation
 * crashes or stops (`reason` is its exit reason), or when its runner becomes unreachable
 * (`reason` is `noconnection`: `pingFailures` consecutive failed pings of that runner, default
 * 3 a second apart, or the cluster re-routing the monitor to a new incarnation while the old
 * one had neither exited nor stopped gracefully). A graceful move (rebalancing, passivation, a
 * runner stopping with SIGTERM) is not a `Down`: the monitor follows the entity to its next
 * activation. A monitored entity is never idle, so it is not passivated. The `pid` of the
 * `Down` is the monitor's proxy process on the caller's node: a virtual process has no fixed
 * pid.
 *
 * ## Durable state
 *
 * By default a moved entity starts fresh. With `durable: { schema }` the server's state is
 * saved, encoded by `schema` to JSON, in a {@link StateStorage} ({@link layerStateSql}: a
 * table in the same SQL database as the cluster's storage; {@link layerStateMemory} for one
 * process) and handed back to `args(id, restored)` when the entity is next activated, anywhere.
 * What is guaranteed, precisely:
 *
 * - **Save points.** With `save: "message"` (the default) the state is read from the server
 *   (`Sys.getState`) and saved after every call and cast that reached it through the cluster,
 *   *before* the call's reply is sent (before the cast is acknowledged by the entity). A caller
 *   that got a reply therefore knows the state that reply reflects is stored (the state read
 *   may already include later messages, as calls are pipelined: saves only move forward; an
 *   unchanged state is not written again). With `{ everyMessages: n }` only every n-th message
 *   waits for a save, so up to n - 1 acknowledged messages can be lost to a crash; with
 *   `"passivation"` only a graceful stop saves. A graceful stop (passivation, rebalancing, SIGTERM) always saves
 *   the last state before the server is stopped and before the shard is released, so the next
 *   owner restores exactly it.
 * - **What can be lost.** Changes made outside a save point (by `handleInfo`, timers,
 *   `handleContinue` after the last message) are saved with the next message or at a graceful
 *   stop; if the runner dies first (SIGKILL, power loss) they are lost, and so are changes of a
 *   message whose save had not completed (its caller got no reply and the cluster re-sends it:
 *   at-least-once, see above).
 * - **Failures.** A save that fails (database down) fails the call with `ClusterFailure`
 *   (`PersistenceError`); the change stays in memory and is saved by a later save point. A
 *   state that does not encode fails the call with `ClusterFailure` (`StateInvalid`). A stored
 *   state that no longer decodes makes the activation fail with `CallExit` (a `Crash` carrying
 *   the Schema error) until it is fixed or deleted.
 * - **One writer.** Every save is a compare-and-set on a version number. If two activations
 *   of one id ever overlap (a runner cut off from the database while another took its
 *   shards), the stale one's save fails with `ClusterFailure` (`StateConflict`), its server is
 *   killed, and the next message restores the newer state: a stale activation never
 *   overwrites a newer one, and (with `save: "message"`) none of its replies after the
 *   conflict is a success, so no acknowledged call is lost to an overlap.
 * - **What is saved** is what `schema` encodes: reply handles of pending `noreply` calls,
 *   pids and other live values are not state that survives a move; let the schema drop them
 *   (decode them to empty) as `test/fixtures/cluster-app.ts` does.
 * - **Lifecycle.** A crash keeps the last saved state (the next incarnation restores it, like a
 *   restart that keeps the last good state); a server that stops by itself with `normal` or
 *   `shutdown` ends the entity's life: its state is deleted and the next activation starts
 *   fresh.
 *
 * @since 0.1.0
 */

// The module is split around one base (`internal/wire.ts`: the wire format, the errors and the
// entity type), on which the others build: durable state storage, the entity constructor, the
// hosting side, the client side, monitors and the embedded cluster.

export {
  ClusterFailure,
  type Durable,
  type Entity,
  type EntityOptions,
  MalformedMessage,
  type RemoteError
} from "./internal/wire.js"

export { entity } from "./internal/entity.js"

export { layerStateMemory, layerStateSql, StateStorage } from "./internal/storage.js"

export { layer } from "./internal/host.js"

export { client, entityId, isRef, ref } from "./internal/client.js"

export { monitor } from "./internal/monitor.js"

export { layerEmbedded } from "./internal/embedded.js"

export {
  type GroupError,
  groupMembers,
  type GroupScope,
  groupScope,
  joinGroup,
  layerGroups,
  leaveGroup,
  whichGroups
} from "./internal/groups.js"
