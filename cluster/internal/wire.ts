/**
 * The base of the cluster modules: what crosses the wire between a cluster reference and the
 * runner hosting its entity (exit reasons, the host's own failures, monitor events), the errors
 * a call on a cluster reference adds to a local call's, and the entity type (a GenServer module
 * with its protocol as Effect's cluster carries it). The storage, host, client and monitor
 * modules build on it; it depends on none of them.
 */
import * as ClusterSchema from "effect/cluster/ClusterSchema"
import type * as EffectEntity from "effect/cluster/Entity"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import type * as Option from "effect/Option"
import * as Rpc from "effect/rpc/Rpc"
import * as Schema from "effect/Schema"
import { ExitReason, type GenServer } from "effect-otp"

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
 * const visit = Effect.gen(function*() {
 *   const counter = yield* Cluster.ref(Counters, "visits")
 *   return yield* GenServer.call(counter, Add, { by: 1 })
 * }).pipe(Effect.catchTag("MalformedMessage", (e) => Effect.log("could not be encoded", e.message)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class MalformedMessage extends Data.Error<{
  /** The entity addressed, as `type/id` (e.g. `Counter/42`). */
  readonly target: string
  /** Which message did not decode: the request, or the reply (see above). */
  readonly direction: "request" | "reply"
  /** What did not decode or match, in words (e.g. the Schema error). */
  readonly detail: string
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "MalformedMessage"
  static {
    this.prototype.name = "MalformedMessage"
  }
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
 * stopped), `StateInvalid` (the state does not encode with the durable schema), `NoRunner` (a
 * call from a member whose runner storage is in its context, such as a client-only member,
 * while the storage knows no healthy runner: it fails at once instead of waiting for its
 * timeout; start a runner, or retry).
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
 * const visit = Effect.gen(function*() {
 *   const counter = yield* Cluster.ref(Counters, "visits")
 *   return yield* GenServer.call(counter, Add, { by: 1 })
 * }).pipe(Effect.catchTag("ClusterFailure", (e) => Effect.log("the cluster could not deliver it", e.message)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class ClusterFailure extends Data.Error<{
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
    | "NoRunner"
  /** More about it, in words (e.g. the underlying error). */
  readonly detail: string
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "ClusterFailure"
  static {
    this.prototype.name = "ClusterFailure"
  }
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

/** An exit reason as it crosses the wire: a `Crash` keeps its cause. */
export const ReasonWire = Schema.Union([
  Schema.TaggedStruct("Normal", {}),
  Schema.TaggedStruct("Shutdown", { reason: Schema.optionalKey(Schema.Defect()) }),
  Schema.TaggedStruct("Kill", {}),
  Schema.TaggedStruct("Killed", {}),
  Schema.TaggedStruct("NoProc", {}),
  Schema.TaggedStruct("NoConnection", {}),
  Schema.TaggedStruct("Crash", { cause: CauseWire })
])

/** An exit reason as it crosses the wire. */
export type ReasonWire = typeof ReasonWire.Type

/** An exit reason for the wire. */
export const reasonToWire = (reason: ExitReason.ExitReason): ReasonWire => {
  switch (reason._tag) {
    case "Shutdown":
      return reason.reason === undefined ? { _tag: "Shutdown" } : { _tag: "Shutdown", reason: reason.reason }
    case "Crash":
      return { _tag: "Crash", cause: reason.cause }
    default:
      return { _tag: reason._tag }
  }
}

/** An exit reason from the wire. */
export const reasonFromWire = (wire: ReasonWire): ExitReason.ExitReason => {
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

/**
 * How the hosting side reports a failure that is not the protocol's own error: the client turns
 * each kind into its typed error (`CallExit`, `NoProc`, `UnknownRequest`, `MalformedMessage`,
 * `ClusterFailure`).
 */
export class EntityFailure extends Schema.TaggedError<EntityFailure>("effect-otp/Cluster/EntityFailure")(
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

/** What a monitor hears from the entity: an incarnation it is attached to, then its exit. */
export const MonitorEvent = Schema.Union([
  Schema.TaggedStruct("Attached", {
    incarnation: Schema.String,
    node: Schema.String,
    pid: Schema.Number,
    host: Schema.String,
    port: Schema.Number
  }),
  Schema.TaggedStruct("Exited", { reason: ReasonWire })
])

/** What a monitor hears from the entity. */
export type MonitorEvent = typeof MonitorEvent.Type

/** Whether a value is a {@link MonitorEvent}. */
export const isMonitorEvent = Schema.is(MonitorEvent)

/**
 * A request of an entity's protocol as the cluster carries it, its schemas erased to their
 * values: the module's calls and casts and the monitor's request alike. Every value is checked
 * against the request's own schemas at run time, on both sides.
 */
export type AnyRequest = Rpc.Rpc<string, Schema.Codec<unknown>, Schema.Codec<unknown>, Schema.Codec<unknown>>

/** The requests in a module's `calls` or `casts` (whatever an untyped caller put there). */
export const requestsIn = (list: unknown): ReadonlyArray<AnyRequest> => Array.isArray(list) ? list.filter(Rpc.isRpc) : []

/** The tag of the monitor's request (a `string`, as the tag of every {@link AnyRequest}). */
export const monitorTag: string = "effect-otp/Monitor"

/** The internal request a monitor sends: a stream of the entity's incarnations and exits. */
export const MonitorRpc = Rpc.make(monitorTag, { success: MonitorEvent, error: EntityFailure, stream: true }).annotate(
  ClusterSchema.InterruptOnTermination,
  true
)

// ----------------------------------------------------------------------------
// Entity types
// ----------------------------------------------------------------------------

/**
 * Durable state of an entity type: how its state is encoded, and when it is saved.
 *
 * @category durable state
 * @since 0.1.0
 */
export interface Durable<S> {
  /** Encodes the server's state to JSON and back (`Schema.toCodecJson` of it is used). */
  readonly schema: Schema.Codec<S, unknown>
  /**
   * When the state is saved: after every message (`"message"`, the default), after every n-th
   * message (`{ everyMessages: n }`), or only when the entity stops gracefully
   * (`"passivation"`).
   */
  readonly save?: "message" | { readonly everyMessages: number } | "passivation" | undefined
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
  /** Effect's entity, for the cluster's own APIs: its protocol is the module's calls and casts, and the monitor's request. */
  readonly entity: EffectEntity.Entity<string, Rpc.Rpc<string, Schema.Codec<unknown>, Schema.Codec<unknown>, Schema.Codec<unknown>>>
  /** The options given to {@link entity}. */
  readonly options: EntityOptions<Entity.Args<M>, Entity.State<M>>
  /** Type only: what serving it needs (never set at runtime). */
  readonly _R?: ((_: never) => R) | undefined
}

/**
 * Types read off an entity type's GenServer module.
 *
 * @category models
 * @since 0.1.0
 */
export declare namespace Entity {
  /** The start argument of the module (what its `init` takes). */
  export type Args<M> = M extends { readonly [GenServer.TypeId]: { readonly _Args: (_: infer A) => void } } ? A : never
  /** The state of the module. */
  export type State<M> = M extends { readonly [GenServer.TypeId]: { readonly _S: infer S } } ? S : never
  /** The services the module's callbacks need. */
  export type Services<M> = M extends { readonly [GenServer.TypeId]: { readonly _R: infer R } } ? R : never
  /** Without `args`, the module's `init` must take the id (a string): `args` is required otherwise. */
  export type ArgsRequired<M> = [string] extends [Args<M>] ? {}
    : { readonly args: (id: string, restored: Option.Option<State<M>>) => Args<M> }
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
  readonly initTimeout?: Duration.Input | "infinity" | undefined
}
