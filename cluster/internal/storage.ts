/**
 * Durable entity state: the `StateStorage` service and its two implementations, in memory and
 * in a SQL table (the cluster's own database). Every write is a compare-and-set on a version.
 */
import * as ClusterError from "effect/cluster/ClusterError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as SqlClient from "effect/sql/SqlClient"


/**
 * Where durable entity state lives. Every write is a compare-and-set on the version the
 * writer last saw (0: none), so a stale writer cannot overwrite a newer state.
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
 * const saved = Cluster.StateStorage.use((storage) => storage.load("Counter", "visits"))
 * ```
 *
 * @category durable state
 * @since 0.1.0
 */
export const StateStorage: Context.Service<StateStorage, StateStorage.Shape> = Context.Service<StateStorage, StateStorage.Shape>(
  "effect-otp/Cluster/StateStorage"
)

/**
 * The identifier of the {@link StateStorage} service, and (`StateStorage.Shape`) what a
 * storage provides.
 *
 * @category durable state
 * @since 0.1.0
 */
export interface StateStorage {
  /** Brands the service's identifier. */
  readonly "~effect-otp/Cluster/StateStorage": "~effect-otp/Cluster/StateStorage"
}

/**
 * @category durable state
 * @since 0.1.0
 */
export declare namespace StateStorage {
  /** What a storage provides: load, compare-and-set save, and remove, each by entity type and id. */
  export interface Shape {
  /** The stored state of the entity `entityId` of type `entityType`, if any. */
  readonly load: (entityType: string, entityId: string) => Effect.Effect<
    Option.Option<{
      /** The state, encoded as JSON text by the entity's durable schema. */
      readonly state: string
      /** The version of this save: 1 for the first, +1 for each save after. */
      readonly version: number
    }>,
    ClusterError.PersistenceError
  >
  /** Saves `state` as version `expected + 1` if the stored version is `expected`; `false` if it is not. */
  readonly save: (
    entityType: string,
    entityId: string,
    state: string,
    expected: number
  ) => Effect.Effect<boolean, ClusterError.PersistenceError>
  /** Deletes the state if its version is `expected`. */
  readonly remove: (entityType: string, entityId: string, expected: number) => Effect.Effect<void, ClusterError.PersistenceError>
}
}

/**
 * Durable state in this process's memory: survives passivation and moves between entity
 * managers of one process (the embedded default), not a restart.
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
 * // Durable state kept in memory: survives passivation, not a restart of the process.
 * const state = Cluster.layerStateMemory
 * ```
 *
 * @category durable state
 * @since 0.1.0
 */
export const layerStateMemory: Layer.Layer<StateStorage> = Layer.sync(StateStorage)(() => {
  const table = new Map<string, { readonly state: string; readonly version: number }>()
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
 * import { PgClient } from "@effect/sql-pg"
 * import { Redacted } from "effect"
 *
 * const state = Cluster.layerStateSql({ table: "counter_state" }).pipe(
 *   Layer.provide(PgClient.layer({ url: Redacted.make("postgres://postgres@127.0.0.1:55432/effect_otp") }))
 * )
 * ```
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
          Effect.map(([row]) => row === undefined ? Option.none() : Option.some({ state: row.state, version: Number(row.version) }))
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
