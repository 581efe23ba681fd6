/**
 * ProcessGroups: named groups of processes, OTP's `pg`. Processes join and leave groups; anyone
 * reads a group's members to send to one, some or all of them, or monitors a group to hear of
 * every join and leave. A member that exits leaves all its groups by itself.
 *
 * ```ts
 * import { Effect } from "effect"
 * import { ExitReason, Node, Process, ProcessGroups } from "effect-otp"
 *
 * const program = Effect.gen(function*() {
 *   // A scope: a process owning the groups' table (in an application, a supervisor's child).
 *   const scope = yield* ProcessGroups.start<string>("workers")
 *   const worker = Process.receive().pipe(Effect.forever)
 *   const a = yield* Process.spawn(worker)
 *   const b = yield* Process.spawn(worker)
 *   yield* ProcessGroups.join(scope, "resize", [a, b])
 *   // Fan out: one message to every member.
 *   const members = yield* ProcessGroups.members(scope, "resize")
 *   yield* Effect.forEach(members, (pid) => Process.send(pid, { _tag: "Job", id: 1 }), { discard: true })
 *   // A member that exits has left: once its `Down` is here, `members` no longer lists it.
 *   const down = yield* Process.monitor(a)
 *   yield* Process.exit(a, ExitReason.kill)
 *   yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === down })
 *   return (yield* ProcessGroups.members(scope, "resize")).length // 1
 * })
 *
 * Effect.runPromise(Process.run(program).pipe(Effect.provide(Node.layer())))
 * ```
 *
 * ## When to use it
 *
 * For a set of peers that join and leave by themselves and that others reach all at once or
 * one at a time: the workers of a pool, the handlers of a topic, the replicas of a service.
 * The Registry's duplicate keys are the other local pub/sub: a Registry entry carries a value
 * and the Registry answers queries (`match`, `select`, `dispatch`), while a group carries no
 * value but can be watched ({@link monitor}: a {@link Join} or {@link Leave} for every change,
 * the way to keep a live view of a pool), and the same operations exist across the cluster
 * (`Cluster.joinGroup`). To name one process, use a registered name or a unique Registry key;
 * to run N copies of one child and route to one by key, `PartitionSupervisor`.
 *
 * ## Watching a group
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Process, ProcessGroups } from "effect-otp"
 *
 * // Inside a process: the members now, then a message for every change.
 * const watch = Effect.gen(function*() {
 *   const { ref, members } = yield* ProcessGroups.monitor("workers", "resize")
 *   let count = members.length
 *   while (true) {
 *     const change = yield* Process.receive({ match: ProcessGroups.isMessage(ref) })
 *     count += ProcessGroups.isJoin(change) ? change.pids.length : -change.pids.length
 *     yield* Effect.log(`resize has ${count} workers`)
 *   }
 * })
 * ```
 *
 * ## Rules
 *
 * - A **scope** ({@link start}, {@link startLink}, {@link childSpec}) is a process registered
 *   under the scope's name; it owns the table of its groups. Scopes are independent of each
 *   other. Its table and its monitors die with it: members are not affected, a restarted
 *   scope starts empty (as pg), and its monitoring processes are not told (monitor the
 *   scope's process to learn of it). There is no scope started for you: {@link defaultScope} is the name OTP's kernel
 *   starts as `pg`; start it yourself (e.g. first child of your root supervisor).
 * - A **group** is any value: compared with Effect's `Equal` (strings and numbers as usual,
 *   `Data` values by structure; `"__proto__"` is a group like any other). A group exists while
 *   it has members; an empty group and an unknown one are the same (`[]`).
 * - {@link join} adds local processes, once per occurrence: a process may join a group several
 *   times and then is listed that many times, until it left as many times. A process that is
 *   dead, or exiting (killed, its finalizers still running), joins nothing. {@link leave}
 *   removes one join per occurrence; leaving a group none of the given processes is in fails
 *   with {@link NotJoined}.
 * - A member that exits, however it exits, leaves every group it joined (every join), inside
 *   its exit: by the time any process handles the `Down` or `Exit` of that exit, `members`
 *   no longer lists it, and the group's monitors already have their `Leave`.
 * - {@link members} lists the newest join first (as pg prepends: pg documents "no specific
 *   order"; do not depend on it either). Reads take the table directly, never through the
 *   scope's mailbox, as pg reads its ETS table: they cost no message and scale with readers.
 *   Writes are done by the caller in the same way (pg sends them to the scope); each is one
 *   atomic step of the node.
 * - {@link monitor} / {@link monitorScope} subscribe the **calling** process: it receives a
 *   {@link Join} or {@link Leave} for every change (scope monitors first, then the group's, in
 *   the order the monitors were made). A monitoring process that exits is dropped; a
 *   {@link demonitor} also flushes the changes already in the caller's mailbox.
 *
 * ## How it maps to OTP's pg, and where it differs
 *
 * | OTP `pg`                                | effect-otp                                          |
 * |-----------------------------------------|-----------------------------------------------------|
 * | `pg:start_link(Scope)` / `start/1`      | `startLink(scope)` / `start(scope)` / `childSpec(scope)` |
 * | `pg:join(Scope, Group, PidOrPids)`      | `join(scope, group, pidOrPids)`                     |
 * | `pg:leave(...)` → `ok \| not_joined`     | `leave(...)`: succeeds, or fails with `NotJoined`   |
 * | `get_members/2`, `get_local_members/2`  | `members`, `localMembers`                           |
 * | `which_groups/1`                        | `whichGroups`                                       |
 * | `monitor/2`, `monitor_scope/1`, `demonitor/2` | same names; `{Ref, join \| leave, Group, Pids}` is a `Join` / `Leave` |
 *
 * - A scope name nobody runs is `NoProc` for every operation (pg's `get_members` answers `[]`,
 *   its `join` exits with `noproc`, its `which_groups` raises `badarg`).
 * - A pid that is not a process of this node, or a value that is no pid (untyped callers), is
 *   `BadArgument`, and nothing joins (pg raises `{nolocal, Bad}` or `function_clause`).
 * - A dead process joins nothing and no monitor hears of it (pg joins it, then its `DOWN`
 *   makes it leave: monitors get a `join` and a `leave`). Joining or leaving `[]` does nothing
 *   (pg sends monitors a `join` with `[]`).
 * - A `Leave` lists the processes that did leave (pg's lists every pid given to `leave`, even
 *   those that were not in the group).
 * - The cleanup of an exited member is synchronous with its exit (pg's runs when the scope
 *   handles the member's `DOWN`, so `get_members` may briefly list a dead pid there).
 * - Distribution: a scope here is local to its node (pg's scopes span the connected nodes).
 *   Groups across the cluster's runners are the cluster's (below).
 *
 * ## Across the cluster
 *
 * Across nodes a process is addressed as a cluster entity, not by pid (`effect-otp/cluster`),
 * so groups that span the runners have entity references as members: `Cluster.groupScope`,
 * `Cluster.joinGroup`, `Cluster.leaveGroup`, `Cluster.groupMembers`, `Cluster.whichGroups`,
 * hosted by `Cluster.layerGroups` on every runner. The members `groupMembers` returns are
 * references that `GenServer.call` and `cast` reach from any node, clients included.
 *
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
 * const pool = Cluster.groupScope("pool", Workers)
 *
 * const program = Effect.gen(function*() {
 *   const workerOf = yield* Cluster.client(Workers)
 *   yield* Cluster.joinGroup(pool, "resize", [workerOf("w1"), workerOf("w2")])
 *   const members = yield* Cluster.groupMembers(pool, "resize")
 *   return yield* Effect.forEach(members, (worker) => GenServer.call(worker, Work, { job: 21 })) // [42, 42]
 * })
 *
 * const runtime = Layer.mergeAll(Cluster.layer(Workers), Cluster.layerGroups()).pipe(
 *   Layer.provideMerge(Cluster.layerEmbedded()),
 *   Layer.provideMerge(Node.layer())
 * )
 * Effect.runPromise(program.pipe(Effect.provide(runtime)))
 * ```
 *
 * - **A scope is one entity** (of the type `effect-otp/ProcessGroups`, id the scope's name),
 *   on the runner owning its shard, never passivated. Every operation on a scope is a request
 *   to it, handled in order: a join acknowledged to one node is in the next `groupMembers` of
 *   any node. That is stronger than pg's eventual consistency, and costs a round trip for
 *   reads too (not a local table read as here).
 * - **Members** are entities of the scope's member type (a scope per member type); groups are
 *   strings. A member is watched with `Cluster.monitor` from its join on (which activates it
 *   and keeps it from being passivated): it leaves every group when its incarnation exits
 *   (crash, stop, `init` returning `ignore`) or when its runner is unreachable
 *   (`noconnection`: `pingFailures` × `pingInterval` of `layerGroups`, 3 × 1 s by default). A
 *   graceful move of a member (rebalancing, a runner stopped with SIGTERM) is followed: the
 *   same virtual process, re-activated elsewhere, stays a member.
 * - **The scope's groups are durable state** (the runners' `StateStorage`), saved before each
 *   join or leave is acknowledged. A scope whose runner dies moves with its shard and watches
 *   its members again: members that lived on the dead runner are then re-activated where
 *   their shards went, and stay; a removal by a member's exit not yet saved (saved with the
 *   next request) can be undone the same way. Membership across a scope's move is
 *   at-least-once.
 * - **Errors**: every operation can fail as a call to a cluster reference does
 *   (`Cluster.GroupError`: `ClusterFailure` `NoRunner` at once on a client without runners,
 *   `CallTimeout`, ...); `leaveGroup` fails with {@link NotJoined}; a member that is no cluster
 *   reference of the scope's type, or a group that is no string, is `BadArgument`.
 * - Not across the cluster: `monitor` / `monitorScope` (watch a group by polling
 *   `groupMembers`, or monitor the members), `localMembers`, groups of any value.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import { BadArgument, NoProc } from "../lib/Errors.js"
import type * as Gen from "../lib/Gen.js"
import { watchExit, whereisIn } from "../lib/internal/direct.js"
import { format } from "../lib/internal/format.js"
import { Node } from "../lib/Node.js"
import { isPid, type Pid } from "../lib/Pid.js"
import * as Process from "../lib/Process.js"
import type { Reference } from "../lib/Reference.js"
import * as ChildSpec from "./ChildSpec.js"
import * as GenServer from "./GenServer.js"
import { GroupTable, isJoin as isJoinImpl, isLeave as isLeaveImpl } from "./internal/pgTable.js"

// ----------------------------------------------------------------------------
// Models
// ----------------------------------------------------------------------------

/**
 * A scope handle: the scope's name and (phantom) the type of its groups. Every operation also
 * takes the name as a plain string.
 *
 * @category models
 * @since 0.1.0
 */
export interface Scope<G = unknown> {
  /** The scope's local name: the scope process is registered under it. */
  readonly name: string
  /**
   * Type only: the group type (never set at runtime).
   *
   * @internal
   */
  readonly "~types"?: { readonly _G: (_: G) => G } | undefined
}

/**
 * A scope handle from a name, with the type of its groups: for code that did not start it.
 *
 * @example
 * ```ts
 * import { ProcessGroups } from "effect-otp"
 *
 * // Groups of this scope are strings: `join(workers, 42, pid)` does not compile.
 * const workers = ProcessGroups.scope<string>("workers")
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const scope = <G = unknown>(name: string): Scope<G> => ({ name })

/**
 * The default scope's name, `pg`, as OTP's kernel names it. Nothing starts it for you (OTP's
 * kernel does when `start_pg` is set): start it as any scope.
 *
 * @example
 * ```ts
 * import { ProcessGroups, Supervisor } from "effect-otp"
 *
 * const tree = Supervisor.start([ProcessGroups.childSpec(ProcessGroups.defaultScope)])
 * const join = ProcessGroups.join(ProcessGroups.defaultScope, "lobby", [])
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const defaultScope: Scope<unknown> = scope("pg")

/**
 * A scope given by handle or by name.
 *
 * @category models
 * @since 0.1.0
 */
export type ScopeLike<G> = Scope<G> | string

/**
 * Sent to a monitoring process when processes joined a group (OTP's `{Ref, join, Group, Pids}`).
 *
 * @category messages
 * @since 0.1.0
 */
export interface Join<G = unknown> {
  /** Tells it apart from a {@link Leave} (match with {@link isJoin}, not on the tag alone). */
  readonly _tag: "Join"
  /** The reference {@link monitor} or {@link monitorScope} returned. */
  readonly ref: Reference
  /** The group joined. */
  readonly group: G
  /** The processes that joined, once per join, in the order given to {@link join}. */
  readonly pids: ReadonlyArray<Pid>
}

/**
 * Sent to a monitoring process when processes left a group, by {@link leave} or by exiting
 * (OTP's `{Ref, leave, Group, Pids}`); an exited member gives one per join.
 *
 * @category messages
 * @since 0.1.0
 */
export interface Leave<G = unknown> {
  /** Tells it apart from a {@link Join} (match with {@link isLeave}, not on the tag alone). */
  readonly _tag: "Leave"
  /** The reference {@link monitor} or {@link monitorScope} returned. */
  readonly ref: Reference
  /** The group left. */
  readonly group: G
  /** The processes that left, once per join that ended. */
  readonly pids: ReadonlyArray<Pid>
}

/**
 * A membership change, as a monitoring process receives it.
 *
 * @category messages
 * @since 0.1.0
 */
export type Message<G = unknown> = Join<G> | Leave<G>

/**
 * Whether `u` is a {@link Join} message (of any monitor).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process, ProcessGroups } from "effect-otp"
 *
 * const nextJoin = Process.receive({ match: ProcessGroups.isJoin })
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isJoin: <G = unknown>(u: unknown) => u is Join<G> = isJoinImpl as any

/**
 * Whether `u` is a {@link Leave} message (of any monitor).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process, ProcessGroups } from "effect-otp"
 *
 * const nextLeave = Process.receive({ match: ProcessGroups.isLeave })
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isLeave: <G = unknown>(u: unknown) => u is Leave<G> = isLeaveImpl as any

/**
 * A guard for the {@link Join} and {@link Leave} messages of the monitor `ref`, for a
 * selective receive.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process, ProcessGroups } from "effect-otp"
 *
 * const next = Effect.gen(function*() {
 *   const { ref } = yield* ProcessGroups.monitor<string>("workers", "resize")
 *   return yield* Process.receive({ match: ProcessGroups.isMessage<string>(ref) })
 * })
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isMessage = <G = unknown>(ref: Reference) => (u: unknown): u is Message<G> =>
  (isJoinImpl(u) || isLeaveImpl(u)) && u.ref === ref

/**
 * {@link leave} found none of the processes in the group (OTP's `not_joined`). What to do:
 * usually nothing (`Effect.ignore`, or `Effect.catchTag("NotJoined", ...)`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, ProcessGroups } from "effect-otp"
 *
 * const quit = (pid: Pid.Pid) =>
 *   ProcessGroups.leave("workers", "resize", pid).pipe(Effect.catchTag("NotJoined", () => Effect.void))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class NotJoined extends Data.Error<{
  /** The scope's name. */
  readonly scope: string
  /** The group none of the processes was in. */
  readonly group: unknown
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "NotJoined"
  static {
    this.prototype.name = "NotJoined"
  }
  /** The human-readable message, naming the scope. */
  override get message(): string {
    return `not joined: no such member of the group in scope ${this.scope}`
  }
}

// ----------------------------------------------------------------------------
// The scope process
// ----------------------------------------------------------------------------

/** The table of each running scope, by the scope's pid. */
const tables = new WeakMap<Pid, GroupTable>()

const nameOf = (scope: ScopeLike<any>): string | undefined => {
  const name = typeof scope === "string" ? scope : typeof scope === "object" && scope !== null ? scope.name : undefined
  return typeof name === "string" && name.length > 0 ? name : undefined
}

const ScopeModule = GenServer.make({
  name: "ProcessGroups",
  init: (_name: string) =>
    Effect.gen(function*() {
      const self = yield* Process.self
      const node = yield* Node
      const table = new GroupTable(node.name)
      tables.set(self, table)
      // However the scope ends, its table goes with it (members live on).
      watchExit(self, () => table.close())
      return GenServer.ok(table)
    }),
  formatStatus: (table) => ({ groups: [...table.groups.entries()].length, members: table.members.size, monitors: table.monitors.size })
})

const startWith = <G>(target: ScopeLike<G>, linked: boolean): Effect.Effect<Scope<G>, Gen.StartError, Node | Process.CurrentProcess> =>
  Effect.suspend(() => {
    const name = nameOf(target)
    if (name === undefined) {
      return Effect.fail(new BadArgument({ operation: "ProcessGroups.start", reason: "a scope needs a name (a non-empty string)" }))
    }
    const started = linked ? GenServer.startLink(ScopeModule, name, { name }) : GenServer.start(ScopeModule, name, { name })
    return Effect.as(started, typeof target === "string" ? scope<G>(name) : target)
  })

/**
 * Starts a scope (not linked to the caller), registered under its name. Fails with
 * `AlreadyStarted` if the name is taken, `BadArgument` for an empty name.
 *
 * @example
 * ```ts
 * import { ProcessGroups } from "effect-otp"
 *
 * const started = ProcessGroups.start<string>("workers") // Effect<Scope<string>, ...>
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const start = <G = unknown>(scope: ScopeLike<G>): Effect.Effect<Scope<G>, Gen.StartError, Node> =>
  startWith(scope, false) as Effect.Effect<Scope<G>, Gen.StartError, Node>

/**
 * Starts a scope linked to the calling process.
 *
 * @example
 * ```ts
 * import { ProcessGroups } from "effect-otp"
 *
 * // Inside a process (a supervisor's child start):
 * const linked = ProcessGroups.startLink<string>("workers")
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const startLink = <G = unknown>(scope: ScopeLike<G>): Effect.Effect<Scope<G>, Gen.StartError, Node | Process.CurrentProcess> =>
  startWith(scope, true)

/**
 * The child spec of a scope: a worker, id the scope's name unless given.
 *
 * @example
 * ```ts
 * import { ProcessGroups, Supervisor } from "effect-otp"
 *
 * const tree = Supervisor.start([ProcessGroups.childSpec("workers")])
 * ```
 *
 * @category child specs
 * @since 0.1.0
 */
export const childSpec = (scope: ScopeLike<any>, options?: ChildSpec.Options): ChildSpec.ChildSpec<never> => {
  const name = nameOf(scope) ?? ""
  return ChildSpec.worker(
    options?.id ?? name,
    Effect.flatMap(startLink(scope), () =>
      Effect.flatMap(Process.whereis(name), (pid) =>
        pid._tag === "Some" ? Effect.succeed(pid.value) : Effect.fail(new NoProc({ target: name })))),
    { modules: ["ProcessGroups"], ...options }
  )
}

// ----------------------------------------------------------------------------
// Table access
// ----------------------------------------------------------------------------

const tableIn = (fiber: Fiber.Fiber<unknown, unknown>, scope: ScopeLike<any>): GroupTable | undefined => {
  const name = nameOf(scope)
  const pid = name === undefined ? undefined : whereisIn(fiber, name)
  const table = pid === undefined ? undefined : tables.get(pid)
  return table === undefined || table.closed ? undefined : table
}

// An untyped caller's scope may be anything: `format` never throws (`String` does, on an object
// without a prototype).
const noScope = (scope: ScopeLike<any>) => Effect.fail(new NoProc({ target: nameOf(scope) ?? format(scope) }))

/** Runs `f` with the scope's table, in the same Effect step. */
const withTable = <A, E>(
  scope: ScopeLike<any>,
  f: (table: GroupTable, fiber: Fiber.Fiber<unknown, unknown>) => Effect.Effect<A, E>
): Effect.Effect<A, E | NoProc, Node> =>
  Effect.withFiber<A, E | NoProc>((fiber) => {
    const table = tableIn(fiber, scope)
    return table === undefined ? noScope(scope) : f(table, fiber)
  })

/** The pids argument as a list of this node's pids, or why not. */
const pidsOf = (operation: string, table: GroupTable, pids: unknown): ReadonlyArray<Pid> | BadArgument => {
  const list = isPid(pids) ? [pids] : Array.isArray(pids) ? pids as ReadonlyArray<unknown> : undefined
  if (list === undefined) return new BadArgument({ operation, reason: `expected a pid or an array of pids, got ${typeof pids}` })
  for (const pid of list) {
    if (!isPid(pid)) return new BadArgument({ operation, reason: `not a pid: ${typeof pid}` })
    if (pid.node !== table.node) return new BadArgument({ operation, reason: `${String(pid)} is not a process of this node (${table.node})` })
  }
  return list as ReadonlyArray<Pid>
}

const selfIn = (fiber: Fiber.Fiber<unknown, unknown>): Pid =>
  Context.get(fiber.context as Context.Context<Process.CurrentProcess>, Process.CurrentProcess)

// ----------------------------------------------------------------------------
// Writes
// ----------------------------------------------------------------------------

/**
 * Joins `pids` (a pid or an array, the same pid possibly several times) to `group`: each
 * occurrence is one more join. The pids must be processes of this node; a dead one joins
 * nothing. Fails with `NoProc` if the scope is not running, `BadArgument` for a pid of another
 * node or a value that is no pid (then nothing joins).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process, ProcessGroups } from "effect-otp"
 *
 * // A worker joins by itself, at the start of its body.
 * const worker = Effect.gen(function*() {
 *   yield* ProcessGroups.join("workers", "resize", yield* Process.self)
 *   // ... serve jobs
 * })
 * ```
 *
 * @category writes
 * @since 0.1.0
 */
export const join = <G>(
  scope: ScopeLike<G>,
  group: NoInfer<G>,
  pids: Pid | ReadonlyArray<Pid>
): Effect.Effect<void, NoProc | BadArgument, Node> =>
  withTable(scope, (table) => {
    const list = pidsOf("ProcessGroups.join", table, pids)
    if (list instanceof BadArgument) return Effect.fail(list)
    table.join(group, list)
    return Effect.void
  })

/**
 * Ends one join of each occurrence in `pids` (a pid or an array). Fails with {@link NotJoined}
 * when none of them was in the group (as pg's `not_joined`: with an array, only when none
 * was), `NoProc` if the scope is not running, `BadArgument` as {@link join}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process, ProcessGroups } from "effect-otp"
 *
 * const quit = Effect.gen(function*() {
 *   yield* ProcessGroups.leave("workers", "resize", yield* Process.self)
 * })
 * ```
 *
 * @category writes
 * @since 0.1.0
 */
export const leave = <G>(
  scope: ScopeLike<G>,
  group: NoInfer<G>,
  pids: Pid | ReadonlyArray<Pid>
): Effect.Effect<void, NotJoined | NoProc | BadArgument, Node> =>
  withTable<void, NotJoined | BadArgument>(scope, (table) => {
    const list = pidsOf("ProcessGroups.leave", table, pids)
    if (list instanceof BadArgument) return Effect.fail(list)
    return table.leave(group, list).length === 0
      ? Effect.fail(new NotJoined({ scope: nameOf(scope)!, group }))
      : Effect.void
  })

// ----------------------------------------------------------------------------
// Reads (table reads, not messages)
// ----------------------------------------------------------------------------

const none: ReadonlyArray<Pid> = Object.freeze([])

/**
 * The members of `group`, once per join, newest first (`[]` for a group nobody is in). Reads
 * the scope's table directly: no message, no copy. Fails with `NoProc` if the scope is not
 * running.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process, ProcessGroups } from "effect-otp"
 *
 * const broadcast = (message: unknown) =>
 *   Effect.flatMap(ProcessGroups.members("workers", "resize"), (pids) =>
 *     Effect.forEach(pids, (pid) => Process.send(pid, message), { discard: true }))
 * ```
 *
 * @category reads
 * @since 0.1.0
 */
export const members = <G>(scope: ScopeLike<G>, group: NoInfer<G>): Effect.Effect<ReadonlyArray<Pid>, NoProc, Node> =>
  withTable(scope, (table) => Effect.succeed(table.groups.get(group) ?? none))

/**
 * The members of `group` that run on this node (pg's `get_local_members`). A scope is local
 * to its node, so these are all its {@link members}.
 *
 * @example
 * ```ts
 * import { ProcessGroups } from "effect-otp"
 *
 * const here = ProcessGroups.localMembers("workers", "resize")
 * ```
 *
 * @category reads
 * @since 0.1.0
 */
export const localMembers: <G>(scope: ScopeLike<G>, group: NoInfer<G>) => Effect.Effect<ReadonlyArray<Pid>, NoProc, Node> =
  members

/**
 * The groups that have members, in no specific order.
 *
 * @example
 * ```ts
 * import { ProcessGroups } from "effect-otp"
 *
 * const groups = ProcessGroups.whichGroups(ProcessGroups.scope<string>("workers")) // ReadonlyArray<string>
 * ```
 *
 * @category reads
 * @since 0.1.0
 */
export const whichGroups = <G>(scope: ScopeLike<G>): Effect.Effect<ReadonlyArray<G>, NoProc, Node> =>
  withTable(scope, (table) => Effect.succeed(Array.from(table.groups.entries(), ([group]) => group as G)))

// ----------------------------------------------------------------------------
// Monitors
// ----------------------------------------------------------------------------

/**
 * Subscribes the calling process to `group`: returns its members now and a reference; from then
 * on the process receives a {@link Join} or {@link Leave} carrying that reference for every
 * change of the group, until it exits or calls {@link demonitor}. Fails with `NoProc` if the
 * scope is not running.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process, ProcessGroups } from "effect-otp"
 *
 * const firstChange = Effect.gen(function*() {
 *   const { ref, members } = yield* ProcessGroups.monitor("workers", "resize")
 *   const change = yield* Process.receive({ match: ProcessGroups.isMessage(ref) })
 *   return { before: members, change }
 * })
 * ```
 *
 * @category monitors
 * @since 0.1.0
 */
export const monitor = <G>(
  scope: ScopeLike<G>,
  group: NoInfer<G>
): Effect.Effect<{ readonly ref: Reference; readonly members: ReadonlyArray<Pid> }, NoProc, Node | Process.CurrentProcess> =>
  withTable(scope, (table, fiber) => {
    const self = selfIn(fiber)
    const ref = table.monitor(self, group, false)
    // The caller is running, so its watch is in place; only an exiting caller gets none.
    return ref === undefined
      ? Effect.fail(new NoProc({ target: self }))
      : Effect.succeed({ ref, members: table.groups.get(group) ?? none })
  })

/**
 * Subscribes the calling process to every group of the scope (pg's `monitor_scope`): returns
 * each group's members now and a reference, then a {@link Join} or {@link Leave} for every
 * change in the scope.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ProcessGroups } from "effect-otp"
 *
 * const sizes = Effect.map(ProcessGroups.monitorScope<string>("workers"), ({ groups }) =>
 *   Array.from(groups, ([group, pids]) => `${group}: ${pids.length}`))
 * ```
 *
 * @category monitors
 * @since 0.1.0
 */
export const monitorScope = <G>(
  scope: ScopeLike<G>
): Effect.Effect<{ readonly ref: Reference; readonly groups: ReadonlyMap<G, ReadonlyArray<Pid>> }, NoProc, Node | Process.CurrentProcess> =>
  withTable(scope, (table, fiber) => {
    const self = selfIn(fiber)
    const ref = table.monitor(self, undefined, true)
    if (ref === undefined) return Effect.fail(new NoProc({ target: self }))
    return Effect.succeed({ ref, groups: new Map(table.groups.entries()) as Map<G, ReadonlyArray<Pid>> })
  })

/**
 * Ends the monitor `ref` ({@link monitor} or {@link monitorScope}) and removes its messages
 * already in the calling process's mailbox. `true` if there was such a monitor, `false` if not
 * (pg's `ok | false`). Fails with `NoProc` if the scope is not running.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ProcessGroups } from "effect-otp"
 *
 * const peek = Effect.gen(function*() {
 *   const { ref, members } = yield* ProcessGroups.monitor("workers", "resize")
 *   yield* ProcessGroups.demonitor("workers", ref)
 *   return members
 * })
 * ```
 *
 * @category monitors
 * @since 0.1.0
 */
export const demonitor = (scope: ScopeLike<any>, ref: Reference): Effect.Effect<boolean, NoProc, Node | Process.CurrentProcess> =>
  Effect.flatMap(
    withTable(scope, (table) => Effect.succeed(table.demonitor(ref))),
    (found) => found ? Effect.as(flush(isMessage(ref)), true) : Effect.succeed(false)
  )

const flush = (match: (u: unknown) => boolean): Effect.Effect<void, never, Process.CurrentProcess> =>
  Effect.flatMap(Process.receive({ match, timeout: 0 }), (taken) => taken._tag === "Some" ? flush(match) : Effect.void)
