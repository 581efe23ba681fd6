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
 * import { RunnerAddress } from "effect/cluster"
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
 * // A client: `Cluster.ref` and `GenServer.call` as in the embedded example.
 * const client = NodeClusterSocket.layer({ clientOnly: true }).pipe(Layer.provide(database))
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
 * for the cluster's own refusals (full mailbox, storage down). A malformed message never
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
import * as Cause from "effect/Cause"
import * as ClusterError from "effect/cluster/ClusterError"
import * as ClusterSchema from "effect/cluster/ClusterSchema"
import * as EffectEntity from "effect/cluster/Entity"
import type * as Envelope from "effect/cluster/Envelope"
import * as MessageStorage from "effect/cluster/MessageStorage"
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import * as RunnerHealth from "effect/cluster/RunnerHealth"
import * as Runners from "effect/cluster/Runners"
import * as RunnerStorage from "effect/cluster/RunnerStorage"
import * as Sharding from "effect/cluster/Sharding"
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Rpc from "effect/rpc/Rpc"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as SqlClient from "effect/sql/SqlClient"
import * as Stream from "effect/Stream"
import { BadArgument, CallExit, CallTimeout, NoProc, UnknownRequest } from "../lib/Errors.js"
import { durationMillis } from "../lib/internal/timers.js"
import * as ExitReason from "../lib/ExitReason.js"
import * as Gen from "../lib/Gen.js"
import type { Node } from "../lib/Node.js"
import * as Pid from "../lib/Pid.js"
import * as Process from "../lib/Process.js"
import type { Reference } from "../lib/Reference.js"
import * as Sys from "../lib/Sys.js"
import * as GenServer from "../behaviours/GenServer.js"

// ----------------------------------------------------------------------------
// Errors
// ----------------------------------------------------------------------------

/**
 * One side could not decode what the other sent. `direction: "request"`: the request did not
 * decode on the runner hosting the entity (or did not encode here), so it was not handled;
 * `"reply"`: the entity handled it but its reply (or typed error) did not match the declared
 * schema, or did not decode here. Usually a version skew between nodes. The receiving runner
 * keeps serving.
 *
 * @category errors
 * @since 0.1.0
 */
export class MalformedMessage extends Data.TaggedError("MalformedMessage")<{
  /** The entity addressed, as `type/id` (e.g. `Counter/42`). */
  readonly target: string
  /** Which message did not decode: the request, or the reply (see above). */
  readonly direction: "request" | "reply"
  /** What did not decode or match, in words (e.g. the Schema error). */
  readonly detail: string
}> {
  /** The human-readable message, naming the direction, the entity and the detail. */
  override get message(): string {
    return `malformed ${this.direction} of ${this.target}: ${this.detail}`
  }
}

/**
 * The cluster refused or could not complete a request: `MailboxFull` (the entity's mailbox
 * is at capacity), `EntityNotAssignedToRunner` / `AlreadyProcessingMessage` (routing races of
 * the cluster), `PersistenceError` (storage unreachable, e.g. the durable state could not be
 * saved), `StateConflict` (another activation of the entity saved a newer state: this one was
 * stopped), `StateInvalid` (the state does not encode with the durable schema).
 *
 * @category errors
 * @since 0.1.0
 */
export class ClusterFailure extends Data.TaggedError("ClusterFailure")<{
  /** The entity addressed, as `type/id` (e.g. `Counter/42`). */
  readonly target: string
  /** Which refusal (see above). */
  readonly reason:
    | "MailboxFull"
    | "EntityNotAssignedToRunner"
    | "AlreadyProcessingMessage"
    | "PersistenceError"
    | "StateConflict"
    | "StateInvalid"
  /** More about it, in words (e.g. the underlying error). */
  readonly detail: string
}> {
  /** The human-readable message: `target: reason: detail`. */
  override get message(): string {
    return `${this.target}: ${this.reason}: ${this.detail}`
  }
}

/**
 * The errors a call on a cluster reference adds to a local call's.
 *
 * @category errors
 * @since 0.1.0
 */
export type RemoteError = MalformedMessage | ClusterFailure

// ----------------------------------------------------------------------------
// Wire formats
// ----------------------------------------------------------------------------

const CauseWire = Schema.Cause(Schema.Defect(), Schema.Defect())

const ReasonWire = Schema.Union([
  Schema.TaggedStruct("Normal", {}),
  Schema.TaggedStruct("Shutdown", { reason: Schema.optionalKey(Schema.Defect()) }),
  Schema.TaggedStruct("Kill", {}),
  Schema.TaggedStruct("Killed", {}),
  Schema.TaggedStruct("NoProc", {}),
  Schema.TaggedStruct("NoConnection", {}),
  Schema.TaggedStruct("Crash", { cause: CauseWire })
])
type ReasonWire = typeof ReasonWire.Type

const reasonToWire = (reason: ExitReason.ExitReason): ReasonWire => {
  switch (reason._tag) {
    case "Shutdown":
      return reason.reason === undefined ? { _tag: "Shutdown" } : { _tag: "Shutdown", reason: reason.reason }
    case "Crash":
      return { _tag: "Crash", cause: reason.cause }
    default:
      return { _tag: reason._tag }
  }
}

const reasonFromWire = (wire: ReasonWire): ExitReason.ExitReason => {
  switch (wire._tag) {
    case "Normal":
      return ExitReason.normal
    case "Shutdown":
      return ExitReason.shutdown(wire.reason)
    case "Kill":
      return ExitReason.kill
    case "Killed":
      return ExitReason.killed
    case "NoProc":
      return ExitReason.noproc
    case "NoConnection":
      return ExitReason.noconnection
    case "Crash":
      return ExitReason.crash(wire.cause)
  }
}

/** How the hosting side reports a failure that is not the protocol's own error. */
class EntityFailure extends Schema.TaggedError<EntityFailure>("effect-otp/Cluster/EntityFailure")(
  "effect-otp/EntityFailure",
  {
    kind: Schema.Literals([
      "Exit",
      "NoProc",
      "UnknownRequest",
      "RequestInvalid",
      "ReplyInvalid",
      "PersistenceError",
      "StateConflict",
      "StateInvalid"
    ]),
    reason: Schema.optionalKey(ReasonWire),
    detail: Schema.String
  }
) {}

const MonitorEvent = Schema.Union([
  Schema.TaggedStruct("Attached", {
    incarnation: Schema.String,
    node: Schema.String,
    pid: Schema.Number,
    host: Schema.String,
    port: Schema.Number
  }),
  Schema.TaggedStruct("Exited", { reason: ReasonWire })
])
type MonitorEvent = typeof MonitorEvent.Type

const monitorTag = "effect-otp/Monitor"

/** The internal request a monitor sends: a stream of the entity's incarnations and exits. */
const MonitorRpc = Rpc.make(monitorTag, { success: MonitorEvent, error: EntityFailure, stream: true }).annotate(
  ClusterSchema.InterruptOnTermination,
  true
)

// ----------------------------------------------------------------------------
// Durable state storage
// ----------------------------------------------------------------------------

/**
 * A saved state: its JSON text and its version (1 for the first save, +1 each save).
 *
 * @category durable state
 * @since 0.1.0
 */
export interface StoredState {
  /** The state, encoded as JSON text by the entity's durable schema. */
  readonly state: string
  /** The version of this save: 1 for the first, +1 for each save after. */
  readonly version: number
}

/**
 * Where durable entity state lives. Every write is a compare-and-set on the version the
 * writer last saw (0: none), so a stale writer cannot overwrite a newer state.
 *
 * @category durable state
 * @since 0.1.0
 */
export class StateStorage extends Context.Service<StateStorage, {
  /** The stored state of the entity `entityId` of type `entityType`, if any. */
  readonly load: (entityType: string, entityId: string) => Effect.Effect<Option.Option<StoredState>, ClusterError.PersistenceError>
  /** Saves `state` as version `expected + 1` if the stored version is `expected`; `false` if it is not. */
  readonly save: (
    entityType: string,
    entityId: string,
    state: string,
    expected: number
  ) => Effect.Effect<boolean, ClusterError.PersistenceError>
  /** Deletes the state if its version is `expected`. */
  readonly remove: (entityType: string, entityId: string, expected: number) => Effect.Effect<void, ClusterError.PersistenceError>
}>()("effect-otp/Cluster/StateStorage") {}

/**
 * Durable state in this process's memory: survives passivation and moves between entity
 * managers of one process (the embedded default), not a restart.
 *
 * @category durable state
 * @since 0.1.0
 */
export const layerStateMemory: Layer.Layer<StateStorage> = Layer.sync(StateStorage)(() => {
  const table = new Map<string, StoredState>()
  const key = (type: string, id: string) => `${type}\u0000${id}`
  return StateStorage.of({
    load: (type, id) => Effect.sync(() => Option.fromUndefinedOr(table.get(key(type, id)))),
    save: (type, id, state, expected) =>
      Effect.sync(() => {
        const current = table.get(key(type, id))?.version ?? 0
        if (current !== expected) return false
        table.set(key(type, id), { state, version: expected + 1 })
        return true
      }),
    remove: (type, id, expected) =>
      Effect.sync(() => {
        if ((table.get(key(type, id))?.version ?? 0) === expected) table.delete(key(type, id))
      })
  })
})

/**
 * Durable state in a SQL table (default `effect_otp_entity_state`), created if missing: the
 * same `SqlClient` as the cluster's `SqlMessageStorage` / `SqlRunnerStorage`, so one
 * PostgreSQL database holds the cluster's runners, shard locks and entity states. Written for
 * PostgreSQL (`ON CONFLICT`, `RETURNING`; SQLite accepts the same).
 *
 * @category durable state
 * @since 0.1.0
 */
export const layerStateSql = (options?: { readonly table?: string | undefined }): Layer.Layer<
  StateStorage,
  never,
  SqlClient.SqlClient
> =>
  Layer.effect(StateStorage)(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const table = sql(options?.table ?? "effect_otp_entity_state")
    const create = sql`
      CREATE TABLE IF NOT EXISTS ${table} (
        entity_type VARCHAR(255) NOT NULL,
        entity_id VARCHAR(255) NOT NULL,
        state TEXT NOT NULL,
        version BIGINT NOT NULL,
        updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
        PRIMARY KEY (entity_type, entity_id)
      )`
    // Two runners creating the table at once can collide in the catalog: the second try sees it.
    yield* create.pipe(Effect.retry({ times: 3 }), Effect.orDie)
    const refail = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.mapError(effect, (cause) => new ClusterError.PersistenceError({ cause }))
    return StateStorage.of({
      load: (type, id) =>
        refail(sql<{ readonly state: string; readonly version: number | string | bigint }>`
          SELECT state, version FROM ${table} WHERE entity_type = ${type} AND entity_id = ${id}`).pipe(
          Effect.map((rows) =>
            rows.length === 0 ? Option.none() : Option.some({ state: rows[0]!.state, version: Number(rows[0]!.version) })
          )
        ),
      save: (type, id, state, expected) =>
        refail(
          expected === 0
            ? sql`INSERT INTO ${table} (entity_type, entity_id, state, version)
                VALUES (${type}, ${id}, ${state}, 1) ON CONFLICT DO NOTHING RETURNING version`
            : sql`UPDATE ${table} SET state = ${state}, version = ${expected + 1}, updated_at = CURRENT_TIMESTAMP
                WHERE entity_type = ${type} AND entity_id = ${id} AND version = ${expected} RETURNING version`
        ).pipe(Effect.map((rows) => rows.length === 1)),
      remove: (type, id, expected) =>
        refail(sql`DELETE FROM ${table} WHERE entity_type = ${type} AND entity_id = ${id} AND version = ${expected}`)
          .pipe(Effect.asVoid)
    })
  }))

// ----------------------------------------------------------------------------
// Entity types
// ----------------------------------------------------------------------------

type ArgsOf<M> = M extends { readonly [GenServer.TypeId]: { readonly _Args: (_: infer A) => void } } ? A : never
type StateOf<M> = M extends { readonly [GenServer.TypeId]: { readonly _S: infer S } } ? S : never
type ServicesOf<M> = M extends { readonly [GenServer.TypeId]: { readonly _R: infer R } } ? R : never

/**
 * When a durable entity saves its state: after every message (`"message"`, the default),
 * after every n-th message, or only when it stops gracefully.
 *
 * @category durable state
 * @since 0.1.0
 */
export type SavePolicy = "message" | { readonly everyMessages: number } | "passivation"

/**
 * Durable state of an entity type: how its state is encoded, and when it is saved.
 *
 * @category durable state
 * @since 0.1.0
 */
export interface Durable<S> {
  /** Encodes the server's state to JSON and back (`Schema.toCodecJson` of it is used). */
  readonly schema: Schema.Codec<S, any>
  /** When the state is saved (see {@link SavePolicy}); default `"message"`. */
  readonly save?: SavePolicy | undefined
}

/**
 * A GenServer module hosted as a cluster entity type: made by {@link entity}, served by
 * {@link layer}, addressed with {@link ref}. `R` is what serving it needs besides the module's
 * own services (`StateStorage` when durable).
 *
 * @category models
 * @since 0.1.0
 */
export interface Entity<M extends GenServer.Any, R = never> {
  /** Marks the value as an entity type. */
  readonly _tag: "effect-otp/ClusterEntity"
  /** The GenServer module each entity runs. */
  readonly module: M
  /** The entity type's name: the cluster routes by it. */
  readonly type: string
  /** Effect's entity, for the cluster's own APIs. */
  readonly entity: EffectEntity.Any
  /** The options given to {@link entity}. */
  readonly options: EntityOptions<any, any>
  /** Type only: what serving it needs (never set at runtime). */
  readonly _R?: ((_: never) => R) | undefined
}

/**
 * Options of {@link entity}.
 *
 * @category models
 * @since 0.1.0
 */
export interface EntityOptions<Args, S> {
  /** The entity type's name (default: the module's name). Every node must use the same. */
  readonly type?: string | undefined
  /**
   * The `init` argument of the entity `id`; `restored` is its durable state, if any (always
   * `none` without `durable`). Default: the id itself (the module's `init` must take a string).
   */
  readonly args?: ((id: string, restored: Option.Option<S>) => Args) | undefined
  /** Save the server's state so that it survives moves and runner restarts. */
  readonly durable?: Durable<S> | undefined
  /** How long `init` may take (default 5 s). */
  readonly initTimeout?: Gen.Timeout | undefined
}

/**
 * Hosts a GenServer module as a cluster entity type: its calls and casts (their Rpc schemas)
 * become the entity's protocol, and each id is a virtual process of the module.
 *
 * @example
 * ```ts
 * import { Option, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Deposit = Rpc.make("Deposit", { payload: { amount: Schema.Number }, success: Schema.Number })
 * const Account = GenServer.make({
 *   name: "Account",
 *   calls: [Deposit],
 *   init: (balance: number) => GenServer.ok(balance),
 *   handleCall: { Deposit: ({ amount }, b) => GenServer.reply(b + amount, b + amount) }
 * })
 *
 * // Durable: the balance survives moves; init gets it back.
 * const Accounts = Cluster.entity(Account, {
 *   args: (_id, restored) => Option.getOrElse(restored, () => 0),
 *   durable: { schema: Schema.Number }
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const entity: {
  <M extends GenServer.Any>(
    module: M,
    options: EntityOptions<ArgsOf<M>, StateOf<M>> & { readonly durable: Durable<StateOf<M>> } & ArgsRequired<M>
  ): Entity<M, StateStorage>
  <M extends GenServer.Any>(
    module: M,
    ...options: [string] extends [ArgsOf<M>] ? [options?: EntityOptions<ArgsOf<M>, StateOf<M>>]
      : [options: EntityOptions<ArgsOf<M>, StateOf<M>> & ArgsRequired<M>]
  ): Entity<M>
} = ((module: GenServer.Any, options?: EntityOptions<any, any>): Entity<any, any> => {
  const type = options?.type ?? module.name
  const definition = module as unknown as {
    readonly calls?: ReadonlyArray<Rpc.AnyWithProps>
    readonly casts?: ReadonlyArray<Rpc.AnyWithProps>
  }
  const withFailure = (rpc: Rpc.AnyWithProps): Rpc.AnyWithProps =>
    (rpc as any).setError(Schema.Union([rpc.errorSchema, EntityFailure]))
  const protocol = [
    ...(definition.calls ?? []).map(withFailure),
    ...(definition.casts ?? []).map(withFailure),
    MonitorRpc
  ]
  return {
    _tag: "effect-otp/ClusterEntity",
    module,
    type,
    entity: EffectEntity.make(type, protocol as any) as EffectEntity.Any,
    options: options ?? {}
  }
}) as any

type ArgsRequired<M> = [string] extends [ArgsOf<M>] ? {}
  : { readonly args: (id: string, restored: Option.Option<StateOf<M>>) => ArgsOf<M> }

// ----------------------------------------------------------------------------
// Hosting
// ----------------------------------------------------------------------------

/**
 * Options of {@link layer}: Effect's entity options.
 *
 * @category hosting
 * @since 0.1.0
 */
export interface LayerOptions {
  /** Passivate an entity after this long without messages (default: the cluster's `entityMaxIdleTime`, 1 minute). */
  readonly maxIdleTime?: Duration.Input | undefined
  /** Requests an entity may have in flight (default: the cluster's `entityMailboxCapacity`). */
  readonly mailboxCapacity?: number | "unbounded" | undefined
}

/**
 * Serves the entity type on this runner: registers it with `Sharding`, so this runner hosts
 * the ids of the shards it owns. Needs a `Node` (the servers are processes of it), the
 * module's services, and a {@link StateStorage} when durable.
 *
 * @category hosting
 * @since 0.1.0
 */
export const layer = <M extends GenServer.Any, R>(
  entity: Entity<M, R>,
  options?: LayerOptions
): Layer.Layer<never, never, Sharding.Sharding | Node | R | Exclude<ServicesOf<M>, Process.CurrentProcess>> =>
  entity.entity.toLayerQueue(
    Effect.gen(function*() {
      const address = yield* EffectEntity.CurrentAddress
      const runner = yield* EffectEntity.CurrentRunnerAddress
      const scope = yield* Effect.scope
      const storage = entity.options.durable === undefined ? undefined : yield* StateStorage
      const activation = new Activation(entity, String(address.entityId), runner, storage, scope)
      yield* Effect.addFinalizer(() => activation.passivate)
      return (queue: Queue.Dequeue<Envelope.Request<any>>, replier: EffectEntity.Replier<any>) =>
        activation.serve(queue, replier)
    }) as any,
    {
      maxIdleTime: options?.maxIdleTime,
      mailboxCapacity: options?.mailboxCapacity,
      // A failing request must not restart (and replay) the whole entity: failures are replies.
      disableFatalDefects: true
    }
  ) as any

/** One live incarnation of the entity's server. */
interface Incarnation {
  readonly id: string
  readonly server: GenServer.Server<any>
  readonly pid: Pid.Pid
  exit: ExitReason.ExitReason | undefined
  readonly onExit: Set<(reason: ExitReason.ExitReason) => void>
  /** Messages handled since the last save. */
  unsaved: number
}

let incarnationCounter = 0

/** The hosting side of one entity id on this runner, from activation to passivation. */
class Activation {
  readonly type: string
  readonly label: string
  readonly rpcs: Map<string, Rpc.AnyWithProps>
  readonly callTags: Set<string>
  readonly durable: Durable<unknown> | undefined
  readonly codec: Schema.Codec<unknown, unknown> | undefined
  incarnation: Incarnation | undefined = undefined
  version = 0
  /** The JSON last saved (or restored): an unchanged state is not written again. */
  lastSaved: string | undefined = undefined
  passivating = false
  /** Deletion of the state after an orderly stop, awaited by the next start. */
  cleanup: Fiber.Fiber<void> | undefined = undefined
  readonly saving = Semaphore.makeUnsafe(1)
  readonly monitors = new Set<Queue.Queue<MonitorEvent, EntityFailure | Cause.Done>>()

  constructor(
    readonly entity: Entity<any, any>,
    readonly id: string,
    readonly runner: RunnerAddress.RunnerAddress,
    readonly storage: StateStorage["Service"] | undefined,
    readonly scope: Scope.Scope
  ) {
    this.type = entity.type
    this.label = `${entity.type}/${id}`
    this.rpcs = entity.entity.protocol.requests as any
    const calls = (entity.module as unknown as { readonly calls?: ReadonlyArray<Rpc.AnyWithProps> }).calls ?? []
    this.callTags = new Set(calls.map((rpc) => rpc._tag))
    this.durable = entity.options.durable
    this.codec = this.durable === undefined ? undefined : Schema.toCodecJson(this.durable.schema) as any
  }

  /** The loop of the entity: takes requests in arrival order and delivers them in that order. */
  serve(
    queue: Queue.Dequeue<Envelope.Request<any>>,
    replier: EffectEntity.Replier<any>
  ): Effect.Effect<never, never, any> {
    const self = this
    return Effect.gen(function*() {
      while (true) {
        const request = yield* Queue.take(queue)
        // A defect handling one request fails that request, not the loop (which would leave
        // every later request of the entity unanswered).
        yield* self.handle(request, replier).pipe(
          Effect.catchCause((cause) =>
            Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : replier.failCause(request, cause as never)
          )
        )
      }
    }) as Effect.Effect<never, never, any>
  }

  handle(request: Envelope.Request<any>, replier: EffectEntity.Replier<any>): Effect.Effect<void, never, any> {
    const self = this
    return Effect.gen(function*() {
      if (request.tag === monitorTag) return yield* self.monitor(request, replier)
      // Checked against this node's own schema: a message from a node of another version is
      // refused, never delivered (across runners the cluster already decoded it with it).
      if (!Schema.is(self.rpcs.get(request.tag)!.payloadSchema)(request.payload)) {
        return yield* replier.fail(
          request,
          self.failure("RequestInvalid", `the payload of ${request.tag} does not match its schema`) as never
        )
      }
      const started = yield* Effect.result(self.ensureStarted)
      if (started._tag === "Failure") return yield* replier.fail(request, started.failure as never)
      const incarnation = started.success
      if (self.callTags.has(request.tag)) {
        // Delivered synchronously by the fork (before the loop takes the next request), then
        // answered whenever the server replies: calls are pipelined, in order.
        yield* Effect.forkIn(
          self.call(incarnation, request, replier).pipe(
            Effect.catchCause((cause) =>
              Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : replier.failCause(request, cause as never)
            )
          ),
          self.scope,
          { startImmediately: true }
        )
        return
      }
      yield* GenServer.cast(incarnation.server, { _tag: request.tag } as any, request.payload)
      incarnation.unsaved++
      if (!self.mustSave(incarnation)) return yield* replier.succeed(request, undefined as never)
      yield* Effect.forkIn(
        Effect.flatMap(Effect.result(self.save(incarnation)), () => replier.succeed(request, undefined as never)),
        self.scope,
        { startImmediately: true }
      )
    })
  }

  mustSave(incarnation: Incarnation): boolean {
    const policy = this.durable?.save ?? "message"
    if (this.durable === undefined || policy === "passivation") return false
    if (policy === "message") return true
    return incarnation.unsaved >= Math.max(1, policy.everyMessages)
  }

  failure(kind: EntityFailure["kind"], detail: string, reason?: ExitReason.ExitReason): EntityFailure {
    return new EntityFailure(reason === undefined ? { kind, detail } : { kind, detail, reason: reasonToWire(reason) })
  }

  /** Starts the server if no incarnation is alive: restores durable state, runs `init`. */
  get ensureStarted(): Effect.Effect<Incarnation, EntityFailure, any> {
    const self = this
    return Effect.gen(function*() {
      const current = self.incarnation
      if (current !== undefined && current.exit === undefined && (yield* Process.isAlive(current.pid))) return current
      if (self.cleanup !== undefined) {
        yield* Fiber.join(self.cleanup)
        self.cleanup = undefined
      }
      let restored: Option.Option<unknown> = Option.none()
      self.version = 0
      self.lastSaved = undefined
      if (self.storage !== undefined) {
        const stored = yield* self.storage.load(self.type, self.id).pipe(
          Effect.mapError((e) => self.failure("PersistenceError", String(e.cause)))
        )
        if (Option.isSome(stored)) {
          const decoded = yield* Effect.exit(Effect.suspend(() =>
            Schema.decodeUnknownEffect(self.codec!)(JSON.parse(stored.value.state))
          ))
          if (Exit.isFailure(decoded)) {
            return yield* self.failure(
              "Exit",
              `the stored state of ${self.label} does not decode`,
              ExitReason.crash(decoded.cause)
            )
          }
          restored = Option.some(decoded.value)
          self.version = stored.value.version
          self.lastSaved = stored.value.state
        }
      }
      const options = self.entity.options
      const args = options.args === undefined ? self.id : options.args(self.id, restored)
      const started = yield* Effect.exit(GenServer.start(self.entity.module, args as never, {
        timeout: options.initTimeout
      }))
      if (Exit.isFailure(started)) {
        const error = Cause.findError(started.cause)
        if (error._tag === "Success") {
          const e = error.success as { readonly _tag: string; readonly reason?: ExitReason.ExitReason }
          if (e._tag === "InitIgnored") return yield* self.failure("NoProc", `init of ${self.label} returned ignore`)
          if (e._tag === "InitFailed" && e.reason !== undefined) {
            return yield* self.failure("Exit", `init of ${self.label} failed`, e.reason)
          }
        }
        return yield* self.failure("Exit", `init of ${self.label} failed`, ExitReason.crash(started.cause))
      }
      const server = started.value
      const incarnation: Incarnation = {
        id: `${server.pid!.node}#${server.pid!.id}#${++incarnationCounter}#${Math.random().toString(36).slice(2, 10)}`,
        server,
        pid: server.pid!,
        exit: undefined,
        onExit: new Set(),
        unsaved: 0
      }
      self.incarnation = incarnation
      const watching = Process.watchExitUnsafe(server.pid!, (reason) => self.exited(incarnation, reason))
      if (watching === undefined) self.exited(incarnation, ExitReason.noproc)
      return incarnation
    })
  }

  /** The incarnation's process exited (called inside its exit: must not block). */
  exited(incarnation: Incarnation, reason: ExitReason.ExitReason): void {
    incarnation.exit = reason
    for (const listener of incarnation.onExit) listener(reason)
    incarnation.onExit.clear()
    // A server that stopped by itself in order ended the entity's life: forget its state.
    if (!this.passivating && this.storage !== undefined && ExitReason.isOrderly(reason)) {
      const storage = this.storage
      const version = this.version
      this.version = 0
      this.lastSaved = undefined
      this.cleanup = Effect.runFork(
        storage.remove(this.type, this.id, version).pipe(
          Effect.catchCause((cause) => Effect.logWarning(`${this.label}: could not delete its state`, cause))
        )
      )
    }
  }

  call(
    incarnation: Incarnation,
    request: Envelope.Request<any>,
    replier: EffectEntity.Replier<any>
  ): Effect.Effect<void, never, any> {
    const self = this
    const rpc = this.rpcs.get(request.tag)!
    return Effect.gen(function*() {
      const outcome = yield* Effect.exit(
        GenServer.call(incarnation.server, { _tag: request.tag } as any, request.payload, { timeout: "infinity" })
      )
      incarnation.unsaved++
      if (Exit.isSuccess(outcome)) {
        if (!Schema.is(rpc.successSchema)(outcome.value)) {
          return yield* replier.fail(request, self.failure("ReplyInvalid", `the reply to ${request.tag} does not match its schema`) as never)
        }
      }
      if (self.mustSave(incarnation)) {
        const saved = yield* Effect.result(self.save(incarnation))
        if (saved._tag === "Failure") return yield* replier.fail(request, saved.failure as never)
      }
      if (Exit.isSuccess(outcome)) return yield* replier.succeed(request, outcome.value as never)
      const error = Cause.findError(outcome.cause)
      if (error._tag === "Failure") return yield* replier.failCause(request, outcome.cause as never)
      const e = error.success
      if (e instanceof CallExit) {
        return yield* replier.fail(request, self.failure("Exit", `${self.label} exited during ${request.tag}`, e.reason) as never)
      }
      if (e instanceof NoProc) {
        return yield* replier.fail(request, self.failure("Exit", `${self.label} exited before ${request.tag}`, ExitReason.noproc) as never)
      }
      if (e instanceof UnknownRequest) {
        return yield* replier.fail(request, self.failure("UnknownRequest", request.tag) as never)
      }
      if (!Schema.is(rpc.errorSchema)(e)) {
        return yield* replier.fail(request, self.failure("ReplyInvalid", `the error of ${request.tag} does not match its schema`) as never)
      }
      return yield* replier.fail(request, e as never)
    })
  }

  /** Reads the server's state and saves it (compare-and-set on the version). */
  save(incarnation: Incarnation): Effect.Effect<void, EntityFailure> {
    const self = this
    return this.saving.withPermits(1)(Effect.gen(function*() {
      if (self.storage === undefined || incarnation.unsaved === 0 || incarnation !== self.incarnation) return
      const pending = incarnation.unsaved
      const state = yield* Effect.result(Sys.getState(incarnation.server.target))
      // A server that is gone has nothing to save: its exit decides what happens to the state.
      if (state._tag === "Failure") return
      const encoded = yield* Effect.exit(Effect.map(
        Schema.encodeUnknownEffect(self.codec!)(state.success),
        (json) => JSON.stringify(json)
      ))
      if (Exit.isFailure(encoded)) {
        return yield* self.failure("StateInvalid", `the state of ${self.label} does not encode: ${Cause.pretty(encoded.cause)}`)
      }
      if (encoded.value === self.lastSaved) {
        incarnation.unsaved = Math.max(0, incarnation.unsaved - pending)
        return
      }
      const saved = yield* self.storage.save(self.type, self.id, encoded.value, self.version).pipe(
        Effect.mapError((e) => self.failure("PersistenceError", String(e.cause)))
      )
      if (!saved) {
        // Another activation saved a newer state: this one is stale and must not go on.
        yield* Process.exit(incarnation.pid, ExitReason.kill)
        return yield* self.failure("StateConflict", `another activation of ${self.label} saved a newer state`)
      }
      self.version++
      self.lastSaved = encoded.value
      incarnation.unsaved = Math.max(0, incarnation.unsaved - pending)
    }))
  }

  /** A monitor attaches: it gets the incarnation, then its exit. */
  monitor(request: Envelope.Request<any>, replier: EffectEntity.Replier<any>): Effect.Effect<void, never, any> {
    const self = this
    return Effect.gen(function*() {
      const queue = yield* Queue.make<MonitorEvent, EntityFailure | Cause.Done>()
      const started = yield* Effect.result(self.ensureStarted)
      if (started._tag === "Failure") {
        const failure = started.failure
        Queue.offerUnsafe(queue, {
          _tag: "Exited",
          reason: failure.reason ?? reasonToWire(failure.kind === "NoProc" ? ExitReason.noproc : ExitReason.fail(failure))
        })
        Queue.endUnsafe(queue)
        return yield* replier.succeed(request, queue as never)
      }
      const incarnation = started.success
      Queue.offerUnsafe(queue, {
        _tag: "Attached",
        incarnation: incarnation.id,
        node: incarnation.pid.node,
        pid: incarnation.pid.id,
        host: self.runner.host,
        port: self.runner.port
      })
      const listener = (reason: ExitReason.ExitReason) => {
        self.monitors.delete(queue)
        // A graceful stop is not an exit of the virtual process: the monitor re-attaches.
        if (!self.passivating) Queue.offerUnsafe(queue, { _tag: "Exited", reason: reasonToWire(reason) })
        Queue.endUnsafe(queue)
      }
      if (incarnation.exit !== undefined) listener(incarnation.exit)
      else {
        incarnation.onExit.add(listener)
        self.monitors.add(queue)
      }
      yield* replier.succeed(request, queue as never)
    })
  }

  /** The cluster stops the entity (idle, moved, runner shutting down): save, then stop the server. */
  get passivate(): Effect.Effect<void> {
    const self = this
    return Effect.gen(function*() {
      self.passivating = true
      for (const queue of self.monitors) Queue.endUnsafe(queue)
      self.monitors.clear()
      const incarnation = self.incarnation
      if (incarnation === undefined || incarnation.exit !== undefined) return
      if (self.durable !== undefined) {
        // Counted as one pending change: a graceful stop always saves the last state.
        incarnation.unsaved++
        yield* self.save(incarnation).pipe(
          Effect.catchCause((cause) => Effect.logWarning(`${self.label}: could not save its state on passivation`, cause))
        )
      }
      yield* GenServer.stop(incarnation.server, { reason: ExitReason.shutdown(), timeout: "5 seconds" }).pipe(
        Effect.catchCause(() => Process.exit(incarnation.pid, ExitReason.kill))
      )
    })
  }
}

// ----------------------------------------------------------------------------
// Clients
// ----------------------------------------------------------------------------

const isClusterError = (u: unknown): u is
  | ClusterError.MailboxFull
  | ClusterError.AlreadyProcessingMessage
  | ClusterError.PersistenceError
  | ClusterError.EntityNotAssignedToRunner =>
  typeof u === "object" && u !== null && "_tag" in u &&
  ["MailboxFull", "AlreadyProcessingMessage", "PersistenceError", "EntityNotAssignedToRunner"].includes(
    (u as { readonly _tag: string })._tag
  ) && !(u instanceof EntityFailure)

const describeDefect = (defect: unknown): string => {
  if (defect instanceof Error) {
    const cause = defect.cause instanceof Error ? defect.cause.message : undefined
    return defect.message !== "" ? defect.message : cause ?? defect.name
  }
  return typeof defect === "string" ? defect : JSON.stringify(defect) ?? String(defect)
}

// A MalformedMessage defect decoded from the wire is an Error named after the class's identifier.
const isMalformedDefect = (defect: unknown): boolean =>
  ClusterError.MalformedMessage.is(defect) ||
  (defect instanceof Error && defect.name.endsWith("MalformedMessage")) ||
  (typeof defect === "object" && defect !== null && (defect as { readonly _tag?: unknown })._tag === "MalformedMessage")

/** The remote target of a cluster reference. */
class ClusterTarget implements Gen.Remote {
  readonly _tag = "Remote"
  readonly label: string
  readonly rpcs: ReadonlyMap<string, Rpc.AnyWithProps>
  constructor(
    readonly hosted: Entity<any, any>,
    readonly id: string,
    readonly client: Record<string, (payload: unknown, options?: object) => any>,
    readonly runners: Option.Option<Runners.Runners["Service"]>
  ) {
    this.label = `${hosted.type}/${id}`
    this.rpcs = hosted.entity.protocol.requests as any
  }

  toString(): string {
    return this.label
  }

  translate(cause: Cause.Cause<unknown>, rpc: Rpc.AnyWithProps): Effect.Effect<never, unknown> {
    const error = Cause.findError(cause)
    if (error._tag === "Success") {
      const e = error.success
      if (e instanceof EntityFailure) return Effect.fail(this.fromEntityFailure(e))
      if (isClusterError(e)) {
        return Effect.fail(
          new ClusterFailure({ target: this.label, reason: e._tag, detail: "cause" in e ? describeDefect(e.cause) : e._tag })
        )
      }
      return Schema.is(rpc.errorSchema)(e)
        ? Effect.fail(e)
        : Effect.fail(new MalformedMessage({ target: this.label, direction: "reply", detail: `the error of ${rpc._tag} does not match its schema` }))
    }
    const defect = Cause.findDefect(cause)
    if (defect._tag === "Success") {
      const d = defect.success
      if (Schema.isSchemaError(d)) {
        return Effect.fail(new MalformedMessage({ target: this.label, direction: "reply", detail: d.message }))
      }
      if (isMalformedDefect(d)) {
        return Effect.fail(new MalformedMessage({ target: this.label, direction: "request", detail: describeDefect(d) }))
      }
      return Effect.fail(new CallExit({ target: this.label, reason: ExitReason.crash(cause) }))
    }
    // Interrupted by the hosting side: the entity was stopped under the request.
    return Effect.fail(new CallExit({ target: this.label, reason: ExitReason.shutdown() }))
  }

  fromEntityFailure(e: EntityFailure): unknown {
    switch (e.kind) {
      case "Exit":
        return new CallExit({ target: this.label, reason: e.reason === undefined ? ExitReason.noproc : reasonFromWire(e.reason) })
      case "NoProc":
        return new NoProc({ target: this.label })
      case "UnknownRequest":
        return new UnknownRequest({ target: this.label, tag: e.detail })
      case "RequestInvalid":
        return new MalformedMessage({ target: this.label, direction: "request", detail: e.detail })
      case "ReplyInvalid":
        return new MalformedMessage({ target: this.label, direction: "reply", detail: e.detail })
      case "PersistenceError":
      case "StateConflict":
      case "StateInvalid":
        return new ClusterFailure({ target: this.label, reason: e.kind, detail: e.detail })
    }
  }

  call(
    message: unknown,
    options?: { readonly timeout?: Gen.Timeout | undefined }
  ): Effect.Effect<unknown, any> {
    const { _tag: tag, payload } = message as { readonly _tag: string; readonly payload: unknown }
    // Only the entity's own requests: a tag an untyped caller made (`constructor`, `__proto__`)
    // must not reach the client object's prototype.
    const method = this.rpcs.has(tag) ? this.client[tag] : undefined
    if (method === undefined) return Effect.fail(new UnknownRequest({ target: this.label, tag: String(tag) }))
    const timeout = options?.timeout
    const millis = timeout === undefined
      ? 5000
      : timeout === "infinity"
      ? Infinity
      : Duration.toMillis(Duration.fromInputUnsafe(timeout))
    const rpc = this.rpcs.get(tag)!
    const sent = Effect.suspend(() => method(payload) as Effect.Effect<unknown, unknown>).pipe(
      Effect.catchCause((cause) => this.translate(cause, rpc)),
      // Replies from a runner were decoded with this node's schema; a reply from this very
      // runner was not serialized: checked here the same way.
      Effect.flatMap((reply) =>
        Schema.is(rpc.successSchema)(reply)
          ? Effect.succeed(reply)
          : Effect.fail(new MalformedMessage({ target: this.label, direction: "reply", detail: `the reply to ${tag} does not match its schema` }))
      )
    )
    if (millis === Infinity) return sent
    return Effect.flatMap(
      Effect.timeoutOption(sent, Duration.millis(millis)),
      (reply) =>
        Option.isSome(reply)
          ? Effect.succeed(reply.value)
          : Effect.fail(new CallTimeout({ target: this.label, timeoutMillis: millis }))
    )
  }

  cast(message: unknown): Effect.Effect<void> {
    const { _tag: tag, payload } = message as { readonly _tag: string; readonly payload: unknown }
    const method = this.rpcs.has(tag) ? this.client[tag] : undefined
    if (method === undefined) return Effect.void
    // A cast never fails (OTP drops one it cannot deliver); it returns once the owning runner
    // has the message, waiting while the entity's shard has no owner.
    return Effect.suspend(() => method(payload, { discard: true }) as Effect.Effect<void, unknown>).pipe(
      Effect.catchCause((cause) => Effect.logDebug(`cast to ${this.label} dropped`, cause))
    )
  }

  /** The entity's incarnations and exits, as long as the stream lasts. */
  get watch(): Stream.Stream<MonitorEvent, unknown> {
    return this.client[monitorTag]!(undefined) as Stream.Stream<MonitorEvent, unknown>
  }
}

/**
 * A reference to the entity `id` of `entity`, for `GenServer.call` and `GenServer.cast` (and
 * {@link monitor}) from any node of the cluster, this one included. Addressing it activates the
 * entity where its shard lives.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Get = Rpc.make("Get", { success: Schema.Number })
 * const Counter = GenServer.make({
 *   name: "Counter",
 *   calls: [Get],
 *   init: (_id: string) => GenServer.ok(0),
 *   handleCall: { Get: (_, n) => GenServer.reply(n, n) }
 * })
 * const Counters = Cluster.entity(Counter)
 *
 * const read = Effect.gen(function*() {
 *   const counter = yield* Cluster.ref(Counters, "a")
 *   return yield* GenServer.call(counter, Get) // Effect<number, CallError | RemoteError | ...>
 * })
 * ```
 *
 * @category clients
 * @since 0.1.0
 */
export const ref = <M extends GenServer.Any, R>(
  entity: Entity<M, R>,
  id: string
): Effect.Effect<GenServer.Server<M, RemoteError>, never, Sharding.Sharding> =>
  Effect.map(client(entity), (make) => make(id))

/**
 * References to the ids of `entity`: {@link ref} for many ids, sharing one cluster client.
 *
 * @category clients
 * @since 0.1.0
 */
export const client = <M extends GenServer.Any, R>(
  entity: Entity<M, R>
): Effect.Effect<(id: string) => GenServer.Server<M, RemoteError>, never, Sharding.Sharding> =>
  Effect.gen(function*() {
    const sharding = yield* Sharding.Sharding
    const makeClient = yield* sharding.makeClient(entity.entity)
    const runners = yield* Effect.serviceOption(Runners.Runners)
    return (id: string) => ({
      target: new ClusterTarget(entity, id, makeClient(id) as any, runners),
      pid: undefined
    })
  })

/**
 * Whether `server` is a cluster reference (made by {@link ref}).
 *
 * @category guards
 * @since 0.1.0
 */
export const isRef = (server: GenServer.Server<any, any>): boolean => server.target instanceof ClusterTarget

/**
 * The entity id of a cluster reference.
 *
 * @category clients
 * @since 0.1.0
 */
export const entityId = (server: GenServer.Server<any, RemoteError>): Option.Option<string> =>
  server.target instanceof ClusterTarget ? Option.some(server.target.id) : Option.none()

// ----------------------------------------------------------------------------
// Monitors
// ----------------------------------------------------------------------------

/**
 * Options of {@link monitor}.
 *
 * @category monitors
 * @since 0.1.0
 */
export interface MonitorOptions {
  /** How often the entity's runner is pinged (default 1 s). */
  readonly pingInterval?: Duration.Input | undefined
  /** Consecutive failed pings after which the runner counts as unreachable (default 3). */
  readonly pingFailures?: number | undefined
  /** How long one ping may take (default 2 s). */
  readonly pingTimeout?: Duration.Input | undefined
}

/**
 * Monitors a server from the calling process: it gets one `Down` message (with the returned
 * reference) when the server exits. On a cluster reference: when the entity's current
 * incarnation crashes or stops (the reason is its exit reason; `noproc` if its `init` returned
 * `ignore`), or when the runner hosting it becomes unreachable (`noconnection`); graceful moves
 * are followed, not reported. Monitoring activates the entity. On a local server it is
 * `Process.monitor` (of the server a name resolves to now, `Down` with `noproc` if none).
 *
 * `Process.demonitor(ref, { flush: true })` ends it; the proxy process behind a cluster
 * monitor then stops within one ping interval.
 *
 * A bad option (a duration that is negative, `NaN` or no duration, a `pingFailures` that is not
 * a positive integer) is a `BadArgument` defect of the caller, as a bad argument to
 * `erlang:monitor/3` raises `badarg`.
 *
 * @category monitors
 * @since 0.1.0
 */
export const monitor = (
  server: GenServer.Server<any, any>,
  options?: MonitorOptions
): Effect.Effect<Reference, never, Process.CurrentProcess | Node> => {
  const target = server.target
  if (!(target instanceof ClusterTarget)) {
    return Effect.flatMap(Gen.whereis(target), (pid) =>
      Option.isSome(pid)
        ? Process.monitor(pid.value)
        : Effect.map(Process.spawnMonitor(Process.exitWith(ExitReason.noproc)), ([, ref]) => ref))
  }
  // A bad option is a defect of the caller, as a bad argument to `erlang:monitor/3` raises.
  const ping = pingOptions(options)
  if (ping instanceof BadArgument) return Effect.die(ping)
  return Effect.gen(function*() {
    const caller = yield* Process.self
    const [, monitorRef] = yield* Process.spawnMonitor(watchEntity(target, caller, ping))
    return monitorRef
  })
}

/** {@link MonitorOptions} checked, in milliseconds. */
interface PingOptions {
  readonly intervalMillis: number
  readonly timeoutMillis: number
  readonly failures: number
}

/** Checks a monitor's options as every duration a user gives is checked: `BadArgument` if one is bad. */
const pingOptions = (options: MonitorOptions | undefined): PingOptions | BadArgument => {
  const intervalMillis = durationMillis("Cluster.monitor pingInterval", options?.pingInterval ?? "1 second", false)
  if (typeof intervalMillis !== "number") return intervalMillis
  const timeoutMillis = durationMillis("Cluster.monitor pingTimeout", options?.pingTimeout ?? "2 seconds", false)
  if (typeof timeoutMillis !== "number") return timeoutMillis
  const failures = options?.pingFailures ?? 3
  if (typeof failures !== "number" || !Number.isInteger(failures) || failures < 1) {
    return new BadArgument({ operation: "Cluster.monitor", reason: `pingFailures must be a positive integer, got ${String(failures)}` })
  }
  return { intervalMillis, timeoutMillis, failures }
}

const watchEntity = (
  target: ClusterTarget,
  caller: Pid.Pid,
  options: PingOptions
): Effect.Effect<void, never, Process.CurrentProcess> =>
  Effect.gen(function*() {
    const self = yield* Process.self
    const interval = Duration.millis(options.intervalMillis)
    const pingTimeout = Duration.millis(options.timeoutMillis)
    const maxFailures = options.failures
    let runner: RunnerAddress.RunnerAddress | undefined

    // The entity side: incarnations and exits, re-attaching across graceful moves.
    const attach: Effect.Effect<ExitReason.ExitReason> = Effect.gen(function*() {
      while (true) {
        let ended: ExitReason.ExitReason | undefined
        let current: string | undefined
        const outcome = yield* Effect.exit(Stream.runForEachWhile(target.watch, (event) =>
          Effect.sync(() => {
            if (event._tag === "Exited") {
              ended = reasonFromWire(event.reason)
              return false
            }
            if (current !== undefined && current !== event.incarnation) {
              // The cluster re-sent the monitor to a new incarnation while the old one had
              // neither exited nor stopped gracefully: its runner was lost.
              ended = ExitReason.noconnection
              return false
            }
            current = event.incarnation
            runner = RunnerAddress.make(event.host, event.port)
            return true
          })
        ))
        if (ended !== undefined) return ended
        if (Exit.isFailure(outcome) && !Cause.hasInterruptsOnly(outcome.cause)) {
          const error = Cause.findError(outcome.cause)
          if (error._tag === "Success" && error.success instanceof EntityFailure && error.success.reason !== undefined) {
            return reasonFromWire(error.success.reason)
          }
          if (error._tag === "Failure") return ExitReason.crash(outcome.cause)
          // A refusal of the cluster (routing, mailbox): try again shortly.
          yield* Effect.sleep(interval)
        }
        // Ended without an exit: the entity was stopped gracefully (passivated, moved); follow it.
        runner = undefined
      }
    })

    // The runner side: consecutive failed pings mean unreachable. Also notices the end of the
    // monitor (demonitor): then nobody is watching this proxy any more.
    const ping: Effect.Effect<ExitReason.ExitReason | undefined> = Effect.gen(function*() {
      let failures = 0
      while (true) {
        yield* Effect.sleep(interval)
        const info = yield* Process.info(self)
        if (Option.isSome(info) && !info.value.monitoredBy.some((pid) => pid === caller)) return undefined
        if (runner === undefined || Option.isNone(target.runners)) {
          failures = 0
          continue
        }
        const alive = yield* target.runners.value.ping(runner).pipe(
          Effect.timeoutOption(pingTimeout),
          Effect.map(Option.isSome),
          Effect.catchCause(() => Effect.succeed(false))
        )
        failures = alive ? 0 : failures + 1
        if (failures >= maxFailures) return ExitReason.noconnection
      }
    })

    const callerGone = Effect.callback<undefined>((resume) => {
      const cancel = Process.watchExitUnsafe(caller, () => resume(Effect.succeed(undefined)))
      if (cancel === undefined) resume(Effect.succeed(undefined))
      return Effect.sync(() => cancel?.())
    })

    const reason = yield* Effect.raceAll([attach, ping, callerGone])
    if (reason !== undefined && reason._tag !== "Normal") return yield* Process.exitWith(reason)
    if (reason !== undefined) return yield* Process.exitWith(ExitReason.normal)
  })

// ----------------------------------------------------------------------------
// Embedded cluster
// ----------------------------------------------------------------------------

/**
 * A whole cluster in this process: one runner owning every shard, in-memory message and
 * runner storage, no sockets, and in-memory durable state. The default for examples, tests and
 * single-node programs; replace it with Effect's socket runner and SQL storage to scale out
 * without changing the entities or their clients.
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
