/**
 * Process groups across the cluster (OTP's `pg` over the cluster's runners). Across nodes a
 * process is addressed as a cluster entity, not by pid, so the members of a cluster group are
 * entity references. A group scope is itself an entity (one per scope name, of the internal
 * type `effect-otp/ProcessGroups`), a GenServer that keeps its groups as durable state and
 * watches every member with `Cluster.monitor`: a member whose incarnation exits, or whose
 * runner becomes unreachable (`noconnection`), leaves every group.
 */
import type * as Sharding from "effect/cluster/Sharding"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Rpc from "effect/rpc/Rpc"
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"
import { Errors, GenServer, type Node, Process, ProcessGroups, type Reference } from "effect-otp"
import { format } from "../../lib/internal/format.js"
import { durationMillis } from "../../lib/internal/timers.js"
import { client, ClusterTarget, ref } from "./client.js"
import { entity } from "./entity.js"
import { layer } from "./host.js"
import { monitor } from "./monitor.js"
import type { StateStorage } from "./storage.js"
import type { Entity, RemoteError } from "./wire.js"

// ----------------------------------------------------------------------------
// The scope entity
// ----------------------------------------------------------------------------

/** A member on the wire: its entity type and id. */
const MemberWire = Schema.Struct({ type: Schema.String, id: Schema.String })
type MemberWire = typeof MemberWire.Type

const JoinRequest = Rpc.make("Join", { payload: { group: Schema.String, members: Schema.Array(MemberWire) } })
const LeaveRequest = Rpc.make("Leave", { payload: { group: Schema.String, members: Schema.Array(MemberWire) }, success: Schema.Number })
const MembersRequest = Rpc.make("Members", { payload: { group: Schema.String }, success: Schema.Array(MemberWire) })
const WhichGroupsRequest = Rpc.make("WhichGroups", { success: Schema.Array(Schema.String) })

/** One member's joins and its monitor. */
interface Watch {
  readonly member: MemberWire
  /** The groups it joined, once per join, newest first. */
  readonly groups: Array<string>
  /** Its `Cluster.monitor` (set once the monitor is made). */
  ref: Reference.Reference | undefined
}

/** How a scope watches its members: `Cluster.monitor`'s ping options. */
interface WatchOptions {
  readonly pingInterval?: Duration.Input | undefined
  readonly pingFailures?: number | undefined
  readonly pingTimeout?: Duration.Input | undefined
}

/** The state of a scope: mutated in place by its handlers (one process owns it). */
interface ScopeState {
  /** How members are watched (set by `init`, not durable). */
  watchOptions: WatchOptions | undefined
  /** Every group with members, newest join first, once per join. */
  readonly groups: Map<string, Array<MemberWire>>
  /** Every member, by {@link keyOf}. */
  readonly watches: Map<string, Watch>
  /** The member key of each monitor. */
  readonly byRef: Map<Reference.Reference, string>
}

const keyOf = (member: MemberWire): string => `${member.type}\u0000${member.id}`

const emptyState = (): ScopeState => ({ watchOptions: undefined, groups: new Map(), watches: new Map(), byRef: new Map() })

const isScopeState = (u: unknown): u is ScopeState =>
  typeof u === "object" && u !== null && "groups" in u && u.groups instanceof Map && "watches" in u && "byRef" in u

/** What survives a move of the scope: its groups (the monitors are made again by the next activation). */
const ScopeStateSchema: Schema.Codec<ScopeState, { readonly groups: ReadonlyArray<readonly [string, ReadonlyArray<MemberWire>]> }> =
  Schema.Struct({ groups: Schema.Array(Schema.Tuple([Schema.String, Schema.Array(MemberWire)])) }).pipe(
    Schema.decodeTo(
      Schema.declare(isScopeState),
      SchemaTransformation.transform({
        decode: (stored): ScopeState => {
          const state = emptyState()
          for (const [group, members] of stored.groups) {
            state.groups.set(group, [...members])
            // Oldest first, so that each watch's groups end newest first.
            for (let i = members.length - 1; i >= 0; i--) addJoin(state, members[i]!, group)
          }
          return state
        },
        encode: (state: ScopeState): { readonly groups: ReadonlyArray<readonly [string, ReadonlyArray<MemberWire>]> } => ({
          groups: Array.from(state.groups, ([group, members]) => [group, [...members]] as const)
        })
      })
    )
  )

const addJoin = (state: ScopeState, member: MemberWire, group: string): Watch => {
  const key = keyOf(member)
  let watch = state.watches.get(key)
  if (watch === undefined) {
    watch = { member, groups: [], ref: undefined }
    state.watches.set(key, watch)
  }
  watch.groups.unshift(group)
  return watch
}

/** Removes one occurrence of `key` from `group`. */
const removeFromGroup = (state: ScopeState, group: string, key: string): void => {
  const members = state.groups.get(group)
  if (members === undefined) return
  const index = members.findIndex((m) => keyOf(m) === key)
  if (index >= 0) members.splice(index, 1)
  if (members.length === 0) state.groups.delete(group)
}

/** A module for routing to any entity type by name: the client of its monitor request. */
const AnyMember = GenServer.make({ name: "effect-otp/ProcessGroups/Member", init: (id: string) => GenServer.ok(id) })
const memberTypes = new Map<string, Entity<typeof AnyMember>>()
const memberType = (type: string): Entity<typeof AnyMember> => {
  let found = memberTypes.get(type)
  if (found === undefined) {
    found = entity(AnyMember, { type })
    memberTypes.set(type, found)
  }
  return found
}

/** Monitors the members without a monitor yet (after a join, or a restore). */
const watchAll = (state: ScopeState): Effect.Effect<void, never, Sharding.Sharding | Node.Node | Process.CurrentProcess> =>
  Effect.forEach(
    [...state.watches.values()].filter((watch) => watch.ref === undefined),
    (watch) =>
      Effect.gen(function*() {
        const server = yield* ref(memberType(watch.member.type), watch.member.id)
        const monitorRef = yield* monitor(server, state.watchOptions)
        watch.ref = monitorRef
        state.byRef.set(monitorRef, keyOf(watch.member))
      }),
    { discard: true }
  )

const ScopeServer = GenServer.make({
  name: "effect-otp/ProcessGroups",
  calls: [JoinRequest, LeaveRequest, MembersRequest, WhichGroupsRequest],
  init: (args: { readonly restored: Option.Option<ScopeState>; readonly watch: WatchOptions | undefined }) => {
    const state = Option.getOrElse(args.restored, emptyState)
    state.watchOptions = args.watch
    // Restored after a move: the members are watched again, before the next request.
    return state.watches.size === 0 ? GenServer.ok(state) : GenServer.ok(state, { continue: "watch" })
  },
  handleContinue: (_, state: ScopeState) => Effect.as(watchAll(state), GenServer.noreply(state)),
  handleCall: {
    Join: ({ group, members }, state) => {
      if (members.length === 0) return GenServer.reply(undefined, state)
      const all = state.groups.get(group)
      state.groups.set(group, all === undefined ? [...members] : [...members, ...all])
      for (const member of members) addJoin(state, member, group)
      return Effect.as(watchAll(state), GenServer.reply(undefined, state))
    },
    Leave: ({ group, members }, state) =>
      Effect.gen(function*() {
        let left = 0
        for (const member of members) {
          const key = keyOf(member)
          const watch = state.watches.get(key)
          const index = watch === undefined ? -1 : watch.groups.indexOf(group)
          if (watch === undefined || index < 0) continue
          watch.groups.splice(index, 1)
          removeFromGroup(state, group, key)
          left++
          if (watch.groups.length === 0) {
            state.watches.delete(key)
            if (watch.ref !== undefined) {
              state.byRef.delete(watch.ref)
              yield* Process.demonitor(watch.ref, { flush: true })
            }
          }
        }
        return GenServer.reply(left, state)
      }),
    Members: ({ group }, state) => GenServer.reply([...(state.groups.get(group) ?? [])], state),
    WhichGroups: (_, state) => GenServer.reply([...state.groups.keys()], state)
  },
  // A member's monitor fired (its incarnation exited, or its runner is unreachable): it
  // leaves every group, every join.
  handleInfo: (message, state) => {
    if (!Process.isDownMessage(message)) return GenServer.noreply(state)
    const key = state.byRef.get(message.ref)
    if (key === undefined) return GenServer.noreply(state)
    state.byRef.delete(message.ref)
    const watch = state.watches.get(key)
    state.watches.delete(key)
    if (watch !== undefined) for (const group of watch.groups) removeFromGroup(state, group, key)
    return GenServer.noreply(state)
  },
  formatStatus: (state) => ({ groups: state.groups.size, members: state.watches.size })
})

/** The entity type of the scopes, hosted with the watch options of {@link layerGroups}. */
const scopesWith = (watch: WatchOptions | undefined) =>
  entity(ScopeServer, {
    type: "effect-otp/ProcessGroups",
    args: (_id, restored) => ({ restored, watch }),
    durable: { schema: ScopeStateSchema }
  })

/** The entity type of the scopes, for their clients (which route by type and id only). */
const Scopes = scopesWith(undefined)

/**
 * Hosts the cluster's process group scopes on this runner: add it to every runner's layer,
 * next to the entity types whose entities join groups. Each scope is one entity, placed on
 * the runner owning its shard; it is never passivated, and its groups are durable state (a
 * {@link StateStorage}: `Cluster.layerStateSql` on runners, `Cluster.layerStateMemory` or
 * `Cluster.layerEmbedded` in one process), so a scope moved to another runner keeps its
 * members. The ping options are those of the scope's `Cluster.monitor` of each member: a
 * member's runner counts as gone after `pingFailures` failed pings `pingInterval` apart. Keep
 * that shorter than the cluster's `shardLockExpiration`: once the member's shard is taken
 * over, the monitor may follow the member to its new incarnation, which then stays a member. The consistency
 * model and the rest of the guide: the `ProcessGroups` module doc, "Across the cluster".
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer, Node } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Work = Rpc.make("Work", { payload: { job: Schema.Number }, success: Schema.Number })
 * const Worker = GenServer.make({
 *   name: "Worker",
 *   calls: [Work],
 *   init: (_id: string) => GenServer.ok(0),
 *   handleCall: { Work: ({ job }, done) => GenServer.reply(job * 2, done + 1) }
 * })
 * const Workers = Cluster.entity(Worker)
 *
 * const runtime = Layer.mergeAll(Cluster.layer(Workers), Cluster.layerGroups()).pipe(
 *   Layer.provideMerge(Cluster.layerEmbedded()),
 *   Layer.provideMerge(Node.layer())
 * )
 * ```
 *
 * @category process groups
 * @since 0.1.0
 */
export const layerGroups = (options?: {
  /** How often the runner of each member is pinged (`Cluster.monitor`'s option; default 1 s). */
  readonly pingInterval?: Duration.Input | undefined
  /** Consecutive failed pings after which a member's runner counts as gone (default 3). */
  readonly pingFailures?: number | undefined
  /** How long one ping may take (default 2 s). */
  readonly pingTimeout?: Duration.Input | undefined
}): Layer.Layer<never, never, Sharding.Sharding | Node.Node | StateStorage> => {
  // Checked here, as `Cluster.monitor` checks them: a bad option would otherwise crash the
  // scope's server at every join.
  const problem = badWatchOption(options)
  if (problem !== undefined) return Layer.effectDiscard(Effect.die(problem))
  return layer(scopesWith(options), { maxIdleTime: Duration.infinity })
}

const badWatchOption = (options: WatchOptions | undefined): Errors.BadArgument | undefined => {
  for (const [name, value] of [["pingInterval", options?.pingInterval], ["pingTimeout", options?.pingTimeout]] as const) {
    if (value === undefined) continue
    const millis = durationMillis(`Cluster.layerGroups ${name}`, value, false)
    if (typeof millis !== "number") return millis
  }
  const failures = options?.pingFailures
  if (failures !== undefined && (typeof failures !== "number" || !Number.isInteger(failures) || failures < 1)) {
    return new Errors.BadArgument({ operation: "Cluster.layerGroups", reason: `pingFailures must be a positive integer, got ${format(failures)}` })
  }
  return undefined
}

// ----------------------------------------------------------------------------
// The client side
// ----------------------------------------------------------------------------

/**
 * A cluster group scope: its name, and the entity type of its members (every member of a scope
 * is an entity of that type; use a scope per member type).
 *
 * @category process groups
 * @since 0.1.0
 */
export interface GroupScope<M extends GenServer.Any, R = never> {
  /** The scope's name: the id of the scope's entity. */
  readonly name: string
  /** The entity type of the members. */
  readonly members: Entity<M, R>
}

/**
 * A cluster group scope named `name`, whose members are entities of `members`. Nothing is
 * started: the scope's entity is activated by its first use, on whichever runner owns it.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Work = Rpc.make("Work", { payload: { job: Schema.Number }, success: Schema.Number })
 * const Worker = GenServer.make({
 *   name: "Worker",
 *   calls: [Work],
 *   init: (_id: string) => GenServer.ok(0),
 *   handleCall: { Work: ({ job }, done) => GenServer.reply(job * 2, done + 1) }
 * })
 * const Workers = Cluster.entity(Worker)
 * const pool = Cluster.groupScope("pool", Workers)
 * ```
 *
 * @category process groups
 * @since 0.1.0
 */
export const groupScope = <M extends GenServer.Any, R>(name: string, members: Entity<M, R>): GroupScope<M, R> => ({ name, members })

/**
 * What a group operation can fail with besides its own errors: the scope's entity could not be
 * reached (`CallTimeout`, `ClusterFailure` such as `NoRunner` on a client without runners,
 * `MalformedMessage`) or its server exited during the request (`CallExit`).
 *
 * @category process groups
 * @since 0.1.0
 */
export type GroupError = Errors.CallError | Errors.UnknownRequest | RemoteError

/** The members argument as wire members, or why not. */
const wireMembers = (
  operation: string,
  scope: GroupScope<any, any>,
  group: unknown,
  members: unknown
): ReadonlyArray<MemberWire> | Errors.BadArgument => {
  if (typeof group !== "string") return new Errors.BadArgument({ operation, reason: `a cluster group is a string, got ${typeof group}` })
  const list: ReadonlyArray<unknown> = Array.isArray(members) ? members : [members]
  const wire: Array<MemberWire> = []
  for (const member of list) {
    const target = typeof member === "object" && member !== null && "target" in member ? member.target : undefined
    if (!(target instanceof ClusterTarget)) {
      return new Errors.BadArgument({ operation, reason: "a member of a cluster group is a cluster reference (Cluster.ref)" })
    }
    if (target.label !== `${scope.members.type}/${target.id}`) {
      return new Errors.BadArgument({ operation, reason: `${target.label} is not an entity of ${scope.members.type}` })
    }
    wire.push({ type: scope.members.type, id: target.id })
  }
  return wire
}

const scopeRef = (scope: GroupScope<any, any>) => ref(Scopes, scope.name)

/**
 * Joins cluster references (entities of the scope's member type) to `group`, once per
 * occurrence, from any node of the cluster. Each member is watched by the scope from then on
 * (which activates it and keeps it from being passivated): when its incarnation exits, or its
 * runner becomes unreachable, it leaves every group. Fails with `BadArgument` for a member that
 * is no cluster reference of the scope's type (a local pid or name is not reachable from the
 * other nodes), or a group that is no string.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Work = Rpc.make("Work", { payload: { job: Schema.Number }, success: Schema.Number })
 * const Worker = GenServer.make({
 *   name: "Worker",
 *   calls: [Work],
 *   init: (_id: string) => GenServer.ok(0),
 *   handleCall: { Work: ({ job }, done) => GenServer.reply(job * 2, done + 1) }
 * })
 * const Workers = Cluster.entity(Worker)
 * const pool = Cluster.groupScope("pool", Workers)
 *
 * const enlist = Effect.gen(function*() {
 *   const workerOf = yield* Cluster.client(Workers)
 *   yield* Cluster.joinGroup(pool, "resize", [workerOf("w1"), workerOf("w2")])
 * })
 * ```
 *
 * @category process groups
 * @since 0.1.0
 */
export const joinGroup = <M extends GenServer.Any, R>(
  scope: GroupScope<M, R>,
  group: string,
  members: GenServer.Server<M, RemoteError> | ReadonlyArray<GenServer.Server<M, RemoteError>>
): Effect.Effect<void, Errors.BadArgument | GroupError, Sharding.Sharding> =>
  Effect.suspend((): Effect.Effect<void, Errors.BadArgument | GroupError, Sharding.Sharding> => {
    const wire = wireMembers("Cluster.joinGroup", scope, group, members)
    if (wire instanceof Errors.BadArgument) return Effect.fail(wire)
    return Effect.flatMap(scopeRef(scope), (server) => GenServer.call(server, JoinRequest, { group, members: wire }))
  })

/**
 * Ends one join of each occurrence in `members`. Fails with `ProcessGroups.NotJoined` when none
 * of them was in the group, `BadArgument` as {@link joinGroup}.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Work = Rpc.make("Work", { payload: { job: Schema.Number }, success: Schema.Number })
 * const Worker = GenServer.make({
 *   name: "Worker",
 *   calls: [Work],
 *   init: (_id: string) => GenServer.ok(0),
 *   handleCall: { Work: ({ job }, done) => GenServer.reply(job * 2, done + 1) }
 * })
 * const Workers = Cluster.entity(Worker)
 * const pool = Cluster.groupScope("pool", Workers)
 *
 * const retire = (id: string) => Effect.gen(function*() {
 *   const worker = yield* Cluster.ref(Workers, id)
 *   yield* Cluster.leaveGroup(pool, "resize", worker)
 * })
 * ```
 *
 * @category process groups
 * @since 0.1.0
 */
export const leaveGroup = <M extends GenServer.Any, R>(
  scope: GroupScope<M, R>,
  group: string,
  members: GenServer.Server<M, RemoteError> | ReadonlyArray<GenServer.Server<M, RemoteError>>
): Effect.Effect<void, ProcessGroups.NotJoined | Errors.BadArgument | GroupError, Sharding.Sharding> =>
  Effect.suspend((): Effect.Effect<void, ProcessGroups.NotJoined | Errors.BadArgument | GroupError, Sharding.Sharding> => {
    const wire = wireMembers("Cluster.leaveGroup", scope, group, members)
    if (wire instanceof Errors.BadArgument) return Effect.fail(wire)
    return Effect.flatMap(scopeRef(scope), (server) =>
      Effect.flatMap(GenServer.call(server, LeaveRequest, { group, members: wire }), (left) =>
        left === 0 ? Effect.fail(new ProcessGroups.NotJoined({ scope: scope.name, group })) : Effect.void))
  })

/**
 * The members of `group`, once per join, newest first, as references `GenServer.call` and
 * `cast` reach from this node. Asks the scope's entity (a request to the runner hosting it, not
 * a local read as `ProcessGroups.members`).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Work = Rpc.make("Work", { payload: { job: Schema.Number }, success: Schema.Number })
 * const Worker = GenServer.make({
 *   name: "Worker",
 *   calls: [Work],
 *   init: (_id: string) => GenServer.ok(0),
 *   handleCall: { Work: ({ job }, done) => GenServer.reply(job * 2, done + 1) }
 * })
 * const Workers = Cluster.entity(Worker)
 * const pool = Cluster.groupScope("pool", Workers)
 *
 * // Fan a job out to every member of the group, wherever it runs.
 * const fanOut = (job: number) => Effect.gen(function*() {
 *   const members = yield* Cluster.groupMembers(pool, "resize")
 *   return yield* Effect.forEach(members, (worker) => GenServer.call(worker, Work, { job }), { concurrency: "unbounded" })
 * })
 * ```
 *
 * @category process groups
 * @since 0.1.0
 */
export const groupMembers = <M extends GenServer.Any, R>(
  scope: GroupScope<M, R>,
  group: string
): Effect.Effect<ReadonlyArray<GenServer.Server<M, RemoteError>>, GroupError, Sharding.Sharding> =>
  Effect.gen(function*() {
    const server = yield* scopeRef(scope)
    const members = yield* GenServer.call(server, MembersRequest, { group })
    const make = yield* client(scope.members)
    return members.filter((member) => member.type === scope.members.type).map((member) => make(member.id))
  })

/**
 * The groups of the scope that have members.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Work = Rpc.make("Work", { payload: { job: Schema.Number }, success: Schema.Number })
 * const Worker = GenServer.make({
 *   name: "Worker",
 *   calls: [Work],
 *   init: (_id: string) => GenServer.ok(0),
 *   handleCall: { Work: ({ job }, done) => GenServer.reply(job * 2, done + 1) }
 * })
 * const pool = Cluster.groupScope("pool", Cluster.entity(Worker))
 * const groups = Cluster.whichGroups(pool) // Effect<ReadonlyArray<string>, ...>
 * ```
 *
 * @category process groups
 * @since 0.1.0
 */
export const whichGroups = <M extends GenServer.Any, R>(
  scope: GroupScope<M, R>
): Effect.Effect<ReadonlyArray<string>, GroupError, Sharding.Sharding> =>
  Effect.flatMap(scopeRef(scope), (server) => GenServer.call(server, WhichGroupsRequest))
