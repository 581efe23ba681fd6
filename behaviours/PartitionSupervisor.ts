/**
 * PartitionSupervisor: N partitions of the same child under one supervisor, addressed by a
 * routing key, Elixir's `PartitionSupervisor`. When one process (a `DynamicSupervisor`, a cache
 * server) becomes a bottleneck and its state splits with no dependency between the parts, start
 * several and route each request to one of them by key.
 *
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer, Node, PartitionSupervisor } from "effect-otp"
 *
 * const Which = Rpc.make("Which", { success: Schema.Number })
 * const Shard = GenServer.make({
 *   name: "Shard",
 *   calls: [Which],
 *   init: (partition: number) => GenServer.ok(partition),
 *   handleCall: { Which: (_, partition) => GenServer.reply(partition, partition) }
 * })
 *
 * const program = Effect.gen(function*() {
 *   yield* PartitionSupervisor.start({
 *     name: "shards",
 *     child: [Shard, 0],
 *     withArguments: (_args, partition) => partition, // each partition's init gets its number
 *     partitions: 4
 *   })
 *   // The key routes the call to one partition: the same key, the same partition.
 *   const shard = GenServer.ref(Shard, PartitionSupervisor.via("shards", "user:42"))
 *   return yield* GenServer.call(shard, Which)
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * ## How it works (Elixir's rules)
 *
 * - {@link start} (or {@link startLink}, or {@link childSpec} in a tree) starts a `Supervisor`
 *   whose children are the partitions `0` to `partitions - 1` (child ids `"0"`, `"1"`...), in
 *   order. It is a plain `Supervisor`: strategy, intensity, reports, shutdown order and the
 *   give-up past the intensity are `Supervisor`'s. The defaults are Elixir's: `oneForOne`, 3
 *   restarts in 5 s.
 * - `child` is a child spec (each partition runs it), a function of the partition number
 *   returning one, or a GenServer or StateMachine module with its start arguments,
 *   `[module, args]`; with the module form, `withArguments(args, partition)` gives each
 *   partition its own arguments (Elixir's `with_arguments`). The spec's id is replaced by the
 *   partition number.
 * - `partitions` defaults to the number of logical cores the runtime reports
 *   (`navigator.hardwareConcurrency`, in Node 21+, Deno, Bun and browsers), or 1 where there is
 *   none (Elixir: `System.schedulers_online()`). All the partitions run on the JS runtime's one
 *   thread: partitioning spreads mailbox and state, not CPU, so choose the number for the load.
 * - {@link via}`(name, key)` names the partition of `key` wherever a `Gen.Target` goes
 *   (`GenServer.ref`, `GenServer.call`, `StateMachine.call`, `DynamicSupervisor.startChild`,
 *   `Gen.whereis`): Elixir's `{:via, PartitionSupervisor, {name, key}}`. An integer key (a
 *   number or a bigint) goes to partition `abs(key) % partitions`; any other key by Effect's
 *   `Hash.hash` (Elixir's `phash2`): structural for arrays, plain objects and `Equal` values
 *   (pids), stable across runs for strings and numbers. Keys are hashed as values: do not mutate
 *   an object used as a key (Effect caches its hash). The routing may change in a later version:
 *   rely only on "the same key, the same partition".
 * - The routing table is kept beside the supervisor, as Elixir's ETS table: {@link via},
 *   {@link partitions} and `Gen.whereis` read it without a message to anyone. Each partition's
 *   start writes its pid there, so the table follows restarts.
 * - {@link resize} (Elixir 1.18's `resize!`) routes to fewer partitions (the ones above are
 *   stopped, lowest first, their specs kept) or more again, up to the number started with.
 *   Under `oneForAll` or `restForOne`, a group restart starts the stopped partitions again, as
 *   OTP restarts children stopped by `terminate_child` (checked in `erl`): they run unrouted
 *   until a resize reaches them.
 *
 * ## Faults
 *
 * - A partition that exits is restarted by the supervisor, under its rules; {@link via}
 *   resolves to the new pid once the restart is done. Between the crash and the restart the
 *   table still holds the dead pid (as Elixir's ETS row): a call routed there fails with
 *   `NoProc` (a cast is dropped); it never reaches the wrong partition. With `backoff` that
 *   window lasts the backoff's delay.
 * - A partition past the intensity takes the PartitionSupervisor down (reason `shutdown`), as
 *   any supervisor. Its name is free once it is gone (its children first), and every lookup by
 *   that name fails with `NoProc` until a new one starts (with a new table).
 *
 * ## Where it differs from Elixir
 *
 * - Bad options are a typed `BadArgument` and nothing starts (Elixir raises): no `name`, no
 *   `child`, `partitions` not a positive integer, `withArguments` not a function (or given with
 *   a child that takes no arguments), `withArguments` or a child function that throws. A
 *   malformed spec is `InvalidChildSpec` (its id is the partition number); a taken name is
 *   `AlreadyStarted`.
 * - A via name of this module cannot name a new process (Elixir raises on `register_name`):
 *   a start given one fails with `InitFailed`, whose crash carries a `BadArgument`.
 * - Past a {@link resize} to 0 partitions, a routed call fails with `NoProc` (Elixir raises
 *   `ArgumentError`).
 * - {@link whichChildren} reports partitions as numbers, in partition order.
 * - The intensity flags are `Supervisor`'s `intensity` and `period` (Elixir's `max_restarts`
 *   and `max_seconds`); `backoff` is `Supervisor`'s too. There is no `autoShutdown` (Elixir
 *   allows only `never`): a `significant` spec is `InvalidChildSpec`.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import { BadArgument, type CallError, NoProc, type UnknownRequest } from "../lib/Errors.js"
import * as ExitReason from "../lib/ExitReason.js"
import * as Gen from "../lib/Gen.js"
import type { Node } from "../lib/Node.js"
import { isPid, type Pid } from "../lib/Pid.js"
import * as Process from "../lib/Process.js"
import { format } from "../lib/internal/format.js"
import * as ChildSpec from "./ChildSpec.js"
import * as GenServer from "./GenServer.js"
import { checkSpec } from "./internal/children.js"
import { partitionOf, Table, tables } from "./internal/partition.js"
import * as StateMachine from "./StateMachine.js"
import * as Supervisor from "./Supervisor.js"

// ----------------------------------------------------------------------------
// Models
// ----------------------------------------------------------------------------

/**
 * Marks a PartitionSupervisor handle (what {@link start} returns).
 *
 * @example
 * ```ts
 * import { PartitionSupervisor } from "effect-otp"
 * const isHandle = (u: unknown): boolean => typeof u === "object" && u !== null && PartitionSupervisor.TypeId in u
 * ```
 *
 * @category type ids
 * @since 0.1.0
 */
export const TypeId = "~effect-otp/PartitionSupervisor" as const

/**
 * A running PartitionSupervisor, as {@link start} returns it. The functions of this module take
 * it, its name or its pid; `pid` also works with `Supervisor`'s functions and `Sys`.
 *
 * @category models
 * @since 0.1.0
 */
export interface PartitionSupervisor {
  /** Marks the value as a PartitionSupervisor handle. */
  readonly [TypeId]: typeof TypeId
  /** The supervisor's pid. */
  readonly pid: Pid
  /** The name it was started with. */
  readonly name: Gen.Name
}

/**
 * What the functions of this module address: a handle from {@link start}, the name given at
 * start (a local name or a via name), or the supervisor's pid.
 *
 * @category models
 * @since 0.1.0
 */
export type Ref = PartitionSupervisor | Gen.Name | Pid

/**
 * The options every form of {@link start} takes: the name, the number of partitions, and the
 * supervisor flags (`Supervisor.Options`'s, with Elixir's PartitionSupervisor defaults).
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** The supervisor's name (required, as Elixir's): what {@link via} routes through. */
  readonly name: Gen.Name
  /** How many partitions (a positive integer); default the logical cores (see the module doc). */
  readonly partitions?: number | undefined
  /** Which partitions a crash restarts (default `oneForOne`); see `Supervisor.Options`. */
  readonly strategy?: "oneForOne" | "oneForAll" | "restForOne" | undefined
  /** Most restarts allowed within `period` (default 3, as Elixir's). */
  readonly intensity?: number | undefined
  /** The intensity window (default 5 seconds). */
  readonly period?: Duration.Input | undefined
  /** Delays each restart of a partition by the schedule's next delay; see `Supervisor.Options`. */
  readonly backoff?: Schedule.Schedule<unknown, ExitReason.ExitReason> | undefined
  /** How long the start may take (default `"infinity"`, as a supervisor's). */
  readonly timeout?: Duration.Input | "infinity" | undefined
}

/**
 * A module that can be given with its arguments as `child`: a GenServer or StateMachine module.
 *
 * @category models
 * @since 0.1.0
 */
export type Module = GenServer.Any | StateMachine.Any

/**
 * The types of a {@link Module} `M`: its start arguments and services.
 *
 * @category models
 * @since 0.1.0
 */
export declare namespace Module {
  /** The start arguments of `M`. */
  export type Args<M> = M extends GenServer.Any ? GenServer.Module.Args<M>
    : M extends StateMachine.Any ? StateMachine.Module.Args<M>
    : never
  /** The services `M` needs to start. */
  export type Services<M> = M extends GenServer.Any ? Exclude<GenServer.Module.Services<M>, Process.CurrentProcess>
    : M extends StateMachine.Any ? Exclude<StateMachine.Module.Services<M>, Process.CurrentProcess>
    : never
}

/**
 * The options of {@link start} with a module and its arguments as the child.
 *
 * @category models
 * @since 0.1.0
 */
export interface ModuleOptions<M extends Module> extends Options {
  /** The module each partition runs, and its start arguments. */
  readonly child: readonly [module: M, args: Module.Args<M>]
  /** Each partition's arguments from `args` and its number, from 0 (Elixir's `with_arguments`); default `args` for all. */
  readonly withArguments?: ((args: Module.Args<M>, partition: number) => Module.Args<M>) | undefined
}

/**
 * The options of {@link start} with a child spec (or a function of the partition number
 * returning one) as the child.
 *
 * @category models
 * @since 0.1.0
 */
export interface SpecOptions<R> extends Options {
  /** The spec each partition runs (its id is replaced by the partition number), or a function from the partition number to it. */
  readonly child: ChildSpec.ChildSpec<R> | ((partition: number) => ChildSpec.ChildSpec<R>)
  /** Only with a `[module, args]` child. */
  readonly withArguments?: undefined
}

/**
 * The errors of a start: `Supervisor`'s (a taken name is `AlreadyStarted`, a partition that
 * fails to start `InitFailed`), `BadArgument` for bad options, `InvalidChildSpec`.
 *
 * @category models
 * @since 0.1.0
 */
export type StartError = Gen.StartError | ChildSpec.InvalidChildSpec | BadArgument

/**
 * One partition as {@link whichChildren} reports it.
 *
 * @category models
 * @since 0.1.0
 */
export interface PartitionInfo {
  /** The partition number, from 0. */
  readonly partition: number
  /** Its pid while running, `"restarting"` while it waits for a restart, `undefined` when not running (resized away). */
  readonly pid: Pid | "restarting" | undefined
  /** `worker` or `supervisor`, from the spec. */
  readonly type: ChildSpec.ChildSpec["type"]
  /** The behaviour modules it runs, from the spec. */
  readonly modules: ReadonlyArray<string>
}

// ----------------------------------------------------------------------------
// Routing
// ----------------------------------------------------------------------------

/** The key of a via name of this module: the supervisor and the routing key. */
class Routed {
  constructor(readonly supervisor: Ref, readonly key: unknown) {}
  toString(): string {
    return `${label(this.supervisor)}, ${format(this.key)}`
  }
  toJSON(): unknown {
    return { PartitionSupervisor: label(this.supervisor), key: format(this.key) }
  }
}

const isHandle = (u: unknown): u is PartitionSupervisor =>
  typeof u === "object" && u !== null && (u as PartitionSupervisor)[TypeId] === TypeId

/** How errors name a supervisor reference (whatever an untyped caller passed: never throws). */
const label = (ref: Ref): Pid | string =>
  isHandle(ref)
    ? ref.pid
    : isPid(ref)
    ? ref
    : typeof ref === "string"
    ? ref
    : typeof ref === "object" && ref !== null && "key" in ref
    ? `via(${format(ref.key)})`
    : format(ref)

/** The target `Supervisor`'s functions get. */
const targetOf = (ref: Ref): Gen.Target => isHandle(ref) ? ref.pid : ref

/**
 * The table of the supervisor `ref` names, if it runs: a name lookup (a name is held only by a
 * live process) and a WeakMap read, no message. A pid or a handle may name a dead supervisor,
 * whose table is kept until the pid is collected: checked alive.
 */
const lookup = (ref: Ref): Effect.Effect<Table | undefined> => {
  if (isHandle(ref) || isPid(ref)) {
    const pid = isHandle(ref) ? ref.pid : ref
    return Effect.map(Process.isAlive(pid), (alive) => alive ? tables.get(pid) : undefined)
  }
  return Effect.map(Gen.whereis(ref), (pid) => Option.isNone(pid) ? undefined : tables.get(pid.value))
}

const registry: Gen.ViaRegistry<Routed> = {
  registerName: () =>
    Effect.die(
      new BadArgument({
        operation: "PartitionSupervisor.via",
        reason: "a PartitionSupervisor via name routes to a partition; it cannot name a new process"
      })
    ),
  unregisterName: () => Effect.void,
  whereisName: (routed) =>
    Effect.map(lookup(routed.supervisor), (table) => {
      if (table === undefined || table.current === 0) return Option.none()
      const partition = partitionOf(routed.key, table.current)
      return partition === undefined ? Option.none() : Option.fromUndefinedOr(table.pids[partition])
    })
}

/**
 * Names the partition of `key` in the PartitionSupervisor `supervisor` (its name, handle or
 * pid): Elixir's `{:via, PartitionSupervisor, {name, key}}`. Use it wherever a `Gen.Target` goes;
 * `Gen.whereis` of it is the partition's pid. The lookup reads the routing table, with no message
 * round trip. A call to a supervisor that is not running, or to a partition between its crash
 * and its restart, fails with `NoProc`. The name cannot be given to a start (see the module doc).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DynamicSupervisor, GenServer, PartitionSupervisor, Process } from "effect-otp"
 *
 * declare const Session: GenServer.Module<string, string, never, never, never>
 * // Elixir's DynamicSupervisor example: one DynamicSupervisor per partition, picked by the caller's pid.
 * const startSession = (user: string) =>
 *   Effect.flatMap(Process.self, (self) =>
 *     DynamicSupervisor.startChild(PartitionSupervisor.via("sessions", self), GenServer.childSpec(Session, user)))
 * ```
 *
 * @category routing
 * @since 0.1.0
 */
export const via = (supervisor: Ref, key: unknown): Gen.Name => Gen.via(registry, new Routed(supervisor, key))

/**
 * The number of partitions routed to now (the number started with, unless {@link resize}d).
 * Read from the routing table, without a message; `NoProc` if the supervisor is not running.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PartitionSupervisor } from "effect-otp"
 *
 * const shards = PartitionSupervisor.partitions("shards").pipe(
 *   Effect.catchTag("NoProc", () => Effect.succeed(0))
 * )
 * ```
 *
 * @category routing
 * @since 0.1.0
 */
export const partitions = (supervisor: Ref): Effect.Effect<number, NoProc> =>
  Effect.flatMap(lookup(supervisor), (table) =>
    table === undefined ? Effect.fail(new NoProc({ target: label(supervisor) })) : Effect.succeed(table.current))

// ----------------------------------------------------------------------------
// Start
// ----------------------------------------------------------------------------

const operation = "PartitionSupervisor.start"

const bad = (reason: string) => new BadArgument({ operation, reason })

const describe = (error: unknown): string => {
  try {
    return error instanceof Error ? error.message : String(error)
  } catch {
    return typeof error
  }
}

/** The number of logical cores the runtime reports, or 1 (see the module doc). */
const defaultPartitions = (): number => {
  const n = (globalThis as { readonly navigator?: { readonly hardwareConcurrency?: unknown } }).navigator?.hardwareConcurrency
  return typeof n === "number" && Number.isInteger(n) && n >= 1 ? n : 1
}

const isModule = (u: unknown): u is Module =>
  typeof u === "object" && u !== null && (GenServer.TypeId in u || StateMachine.TypeId in u)

/** The spec of one partition, as the user's child gives it (not checked yet). */
const specOf = (
  child: unknown,
  withArguments: ((args: unknown, partition: number) => unknown) | undefined,
  partition: number
): unknown => {
  if (typeof child === "function") return child(partition)
  if (!Array.isArray(child)) return child
  const module = child[0] as Module
  const args = withArguments === undefined ? child[1] : withArguments(child[1], partition)
  const options = { id: String(partition) }
  return GenServer.TypeId in module
    ? GenServer.childSpec(module as GenServer.Any, args as never, options)
    : StateMachine.childSpec(module as StateMachine.Any, args as never, options)
}

/**
 * One partition's spec: `spec` with the partition number as id and a start that writes the
 * started pid in the routing table (the start runs in the supervisor's process).
 */
const partitionSpec = (spec: unknown, partition: number, table: Table): ChildSpec.ChildSpec<any> | ChildSpec.InvalidChildSpec => {
  const id = String(partition)
  if (typeof spec !== "object" || spec === null) {
    return new ChildSpec.InvalidChildSpec({ id, field: "spec", reason: "must be a child spec record" })
  }
  let candidate: ChildSpec.ChildSpec<any>
  try {
    const s = spec as ChildSpec.ChildSpec<any>
    candidate = {
      id,
      start: s.start,
      restart: s.restart,
      shutdown: s.shutdown,
      type: s.type,
      significant: s.significant,
      modules: s.modules
    }
  } catch (error) {
    return new ChildSpec.InvalidChildSpec({ id, field: "spec", reason: `cannot be read: ${describe(error)}` })
  }
  const invalid = checkSpec(candidate, "never")
  if (invalid !== undefined) return invalid
  const start = candidate.start
  return {
    ...candidate,
    start: Effect.flatMap(Process.self, (self) => {
      // Set before the first partition starts (as Elixir's table exists before its children),
      // so that a partition's init can already route to the ones started before it.
      tables.set(self, table)
      table.owner = self
      return Effect.map(start, (pid) => {
        table.pids[partition] = pid
        return pid
      })
    })
  }
}

interface Plan {
  readonly children: ReadonlyArray<ChildSpec.ChildSpec<any>>
  readonly options: Supervisor.Options
  readonly name: Gen.Name
}

/** Checks the options and makes the partitions' specs around a new table; nothing runs. */
const plan = (options: unknown): Plan | BadArgument | ChildSpec.InvalidChildSpec => {
  if (typeof options !== "object" || options === null) return bad("the options must be an object")
  const o = options as ModuleOptions<Module> | SpecOptions<unknown>
  const name = o.name
  if (name === undefined) return bad("the name option must be given to PartitionSupervisor")
  if (!(typeof name === "string" || (typeof name === "object" && name !== null && name._tag === "Via"))) {
    return bad(`the name option must be a name or a via name, got ${format(name)}`)
  }
  const child: unknown = o.child
  if (child === undefined) return bad("the child option must be given to PartitionSupervisor")
  const count = o.partitions === undefined ? defaultPartitions() : o.partitions
  if (!(typeof count === "number" && Number.isInteger(count) && count >= 1)) {
    return bad(`the partitions option must be a positive integer, got ${format(count)}`)
  }
  const withArguments = o.withArguments as ((args: unknown, partition: number) => unknown) | undefined
  if (withArguments !== undefined && typeof withArguments !== "function") {
    return bad(`the withArguments option must be a function of the arguments and the partition, got ${format(withArguments)}`)
  }
  const moduleForm = Array.isArray(child)
  if (moduleForm && !isModule(child[0])) {
    return bad("a child given as [module, args] needs a GenServer or StateMachine module")
  }
  if (withArguments !== undefined && !moduleForm) {
    return bad("the withArguments option needs a child given as [module, args]")
  }
  if (!moduleForm && typeof child !== "function" && (typeof child !== "object" || child === null)) {
    return bad(`the child option must be a child spec, a function of the partition, or [module, args], got ${format(child)}`)
  }
  const table = new Table(count)
  const children: Array<ChildSpec.ChildSpec<any>> = []
  for (let partition = 0; partition < count; partition++) {
    let spec: unknown
    try {
      spec = specOf(child, withArguments, partition)
    } catch (error) {
      return bad(`the child of partition ${partition} could not be made: ${describe(error)}`)
    }
    const made = partitionSpec(spec, partition, table)
    if (made instanceof ChildSpec.InvalidChildSpec) return made
    children.push(made)
  }
  return {
    children,
    name,
    options: {
      name,
      strategy: o.strategy,
      intensity: o.intensity ?? 3,
      period: o.period,
      backoff: o.backoff,
      timeout: o.timeout
    }
  }
}

const handle = (pid: Pid, name: Gen.Name): PartitionSupervisor => ({ [TypeId]: TypeId, pid, name })

const startWith = (options: unknown, link: boolean): Effect.Effect<PartitionSupervisor, StartError, any> =>
  Effect.suspend(() => {
    const made = plan(options)
    if (!("children" in made)) return Effect.fail(made)
    const started = link ? Supervisor.startLink(made.children, made.options) : Supervisor.start(made.children, made.options)
    return Effect.map(started, (sup) => handle(sup.pid!, made.name))
  })

/**
 * Starts a PartitionSupervisor (not linked to the caller): a supervisor with `partitions`
 * children made from `child`, named `name`. Fails with `BadArgument` or `InvalidChildSpec`
 * before anything starts, `AlreadyStarted` if the name is taken, `InitFailed` if a partition
 * fails to start (the ones started are stopped first). See the module doc for the options.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DynamicSupervisor, PartitionSupervisor } from "effect-otp"
 *
 * // One DynamicSupervisor per partition (Elixir's example); 8 of them.
 * const sessions = PartitionSupervisor.start({
 *   name: "sessions",
 *   child: DynamicSupervisor.childSpec("sessions"),
 *   partitions: 8
 * })
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const start: {
  <M extends Module>(options: ModuleOptions<M>): Effect.Effect<PartitionSupervisor, StartError, Node | Module.Services<M>>
  <R = never>(options: SpecOptions<R>): Effect.Effect<PartitionSupervisor, StartError, Node | R>
} = (options: unknown) => startWith(options, false)

/**
 * Like {@link start}, linked to the calling process (how a parent supervisor starts it).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, PartitionSupervisor, Pid, Process } from "effect-otp"
 *
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * // Inside a process:
 * const workers = PartitionSupervisor.startLink({ name: "workers", child: ChildSpec.worker("w", startWorker) })
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const startLink: {
  <M extends Module>(options: ModuleOptions<M>): Effect.Effect<PartitionSupervisor, StartError, Node | Process.CurrentProcess | Module.Services<M>>
  <R = never>(options: SpecOptions<R>): Effect.Effect<PartitionSupervisor, StartError, Node | Process.CurrentProcess | R>
} = (options: unknown) => startWith(options, true)

/** The child id Elixir gives a PartitionSupervisor: its local name, or a via name's key. */
const idOf = (options: unknown): string => {
  try {
    const name = (options as Options).name
    if (typeof name === "string") return name
    if (typeof name === "object" && name !== null) return typeof name.key === "string" ? name.key : format(name.key)
  } catch {
    // An unreadable option: the start reports it as BadArgument.
  }
  return "PartitionSupervisor"
}

/**
 * The child spec of a PartitionSupervisor, to put it in a supervision tree: type `supervisor`,
 * shutdown `infinity`, id its name (a via name's key) unless `id` is given, as Elixir's. Bad
 * options make each start of it fail with the same typed error as {@link start}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, PartitionSupervisor, Pid, Process, Supervisor } from "effect-otp"
 *
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const tree = Supervisor.start([
 *   PartitionSupervisor.childSpec({ name: "workers", child: ChildSpec.worker("w", startWorker), partitions: 4 })
 * ])
 * ```
 *
 * @category child specs
 * @since 0.1.0
 */
export const childSpec: {
  <M extends Module>(options: ModuleOptions<M> & ChildSpec.Options): ChildSpec.ChildSpec<Module.Services<M>>
  <R = never>(options: SpecOptions<R> & ChildSpec.Options): ChildSpec.ChildSpec<R>
} = (options: unknown): ChildSpec.ChildSpec<any> =>
  ChildSpec.supervisor(
    idOf(options),
    Effect.map(startWith(options, true), (sup) => sup.pid),
    typeof options === "object" && options !== null ? options as ChildSpec.Options : undefined
  )

// ----------------------------------------------------------------------------
// Management
// ----------------------------------------------------------------------------

/**
 * The partitions, in partition order: each one's number, pid (or `"restarting"`, or
 * `undefined` when resized away), type and modules. A call to the supervisor.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PartitionSupervisor } from "effect-otp"
 *
 * const running = Effect.map(PartitionSupervisor.whichChildren("shards"), (all) => all.filter((p) => p.pid !== undefined))
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const whichChildren = (supervisor: Ref): Effect.Effect<ReadonlyArray<PartitionInfo>, CallError | UnknownRequest> =>
  Effect.map(Supervisor.whichChildren(targetOf(supervisor)), (children) =>
    children.map((c) => ({ partition: Number(c.id), pid: c.pid, type: c.type, modules: c.modules })))

/**
 * Counts of the partitions (`specs`: all, resized away included), the running ones, and the
 * supervisors and workers among them, as `Supervisor.countChildren`. A call to the supervisor.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PartitionSupervisor } from "effect-otp"
 *
 * const active = Effect.map(PartitionSupervisor.countChildren("shards"), (counts) => counts.active)
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const countChildren = (supervisor: Ref): Effect.Effect<
  {
    /** All partitions, running or not. */
    readonly specs: number
    /** Partitions running now. */
    readonly active: number
    /** Partitions of type `supervisor`. */
    readonly supervisors: number
    /** Partitions of type `worker`. */
    readonly workers: number
  },
  CallError | UnknownRequest
> => Supervisor.countChildren(targetOf(supervisor))

/**
 * Routes to `partitions` partitions from now on (Elixir 1.18's `resize!`), between 0 and the
 * number started with; returns the number before. Shrinking stops the partitions above the new
 * number (their specs are kept; routing leaves them first), growing starts them again (routing
 * reaches them once they run). Resizes of one supervisor run one at a time. Fails with
 * `BadArgument` for a number out of range, `NoProc` if the supervisor is not running, or the
 * error of a partition's restart (`StartChildFailed`: the number is then unchanged; the
 * partitions already started stay, unrouted, and a later resize counts them as started).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PartitionSupervisor } from "effect-otp"
 *
 * // Quiet hours: two partitions are enough; back to all of them later.
 * const shrink = PartitionSupervisor.resize("shards", 2)
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const resize = (
  supervisor: Ref,
  partitions: number
): Effect.Effect<number, BadArgument | NoProc | Supervisor.NotFound | Supervisor.StartChildFailed | CallError | UnknownRequest> =>
  Effect.flatMap(lookup(supervisor), (
    table
  ): Effect.Effect<number, BadArgument | NoProc | Supervisor.NotFound | Supervisor.StartChildFailed | CallError | UnknownRequest> => {
    const pid = table?.owner
    if (table === undefined || pid === undefined) return Effect.fail(new NoProc({ target: label(supervisor) }))
    if (!(typeof partitions === "number" && Number.isInteger(partitions) && partitions >= 0 && partitions <= table.max)) {
      return Effect.fail(
        new BadArgument({
          operation: "PartitionSupervisor.resize",
          reason: `the number of partitions must be an integer between 0 and ${table.max}, got ${format(partitions)}`
        })
      )
    }
    return table.lock.withPermits(1)(Effect.gen(function*() {
      const current = table.current
      if (partitions > current) {
        for (let id = current; id < partitions; id++) {
          yield* Supervisor.restartChild(pid, String(id)).pipe(
            // Running already (a start of an earlier resize that failed further on, or a
            // oneForAll restart): it is what the resize asks for.
            Effect.catchTag("NotStopped", () => Effect.void)
          )
        }
        table.current = partitions
      } else if (partitions < current) {
        table.current = partitions
        for (let id = partitions; id < current; id++) {
          yield* Supervisor.terminateChild(pid, String(id))
        }
      }
      return current
    }))
  })

/**
 * Stops the PartitionSupervisor: its partitions stop in reverse order first (each by its
 * shutdown), then its name is free. Fails with `NoProc` if it is not running.
 *
 * @example
 * ```ts
 * import { PartitionSupervisor } from "effect-otp"
 *
 * const done = PartitionSupervisor.stop("shards")
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const stop = (supervisor: Ref, reason: ExitReason.ExitReason = ExitReason.normal): Effect.Effect<void, CallError> =>
  Supervisor.stop(targetOf(supervisor), reason)
