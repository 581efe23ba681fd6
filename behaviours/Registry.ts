/**
 * Registry: a local key-value process registry, Elixir's `Registry`. Name processes by any key
 * (`via`), find them, and use duplicate keys as a local pub/sub.
 *
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer, Node, Process, Registry } from "effect-otp"
 *
 * const Get = Rpc.make("Get", { success: Schema.String })
 * const Room = GenServer.make({
 *   name: "Room",
 *   calls: [Get],
 *   init: (topic: string) => GenServer.ok(topic),
 *   handleCall: { Get: (_, topic) => GenServer.reply(topic, topic) }
 * })
 *
 * const program = Effect.gen(function*() {
 *   const rooms = yield* Registry.start<string, undefined, "unique">({ name: "rooms", keys: "unique" })
 *   // A server named through the registry: calls and casts by that name work.
 *   yield* GenServer.start(Room, "lobby", { name: Registry.via(rooms, "lobby") })
 *   const lobby = GenServer.ref(Room, Registry.via(rooms, "lobby"))
 *   return yield* GenServer.call(lobby, Get) // "lobby"
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * ## Pub/sub with duplicate keys
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Process, Registry } from "effect-otp"
 *
 * declare const topics: Registry.Registry<string, undefined, "duplicate">
 *
 * // A subscriber process registers itself under the topic, as many processes may.
 * const subscribe = Registry.register(topics, "news", undefined)
 *
 * // A publisher sends to every subscriber: each gets each message once, in publish order.
 * const publish = (text: string) =>
 *   Registry.dispatch(topics, "news", (entries) =>
 *     Effect.forEach(entries, ([pid]) => Process.send(pid, text), { discard: true }))
 * ```
 *
 * ## Queries
 *
 * Elixir queries its registry with match specs; here they are typed predicates, and the
 * registry's key and value types flow into them:
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * declare const seats: Registry.Registry<string, { readonly row: number }, "duplicate">
 *
 * // Every entry, across keys: Elixir's `select/2` with a `{key, pid, value}` spec.
 * const front = Registry.select(seats, (entry) => entry.value.row < 3)
 * // With a projection: what to return for each selected entry (the spec's body).
 * const holders = Registry.select(seats, (entry) => entry.key === "show", (entry) => entry.pid)
 * const frontCount = Registry.countSelect(seats, (entry) => entry.value.row < 3)
 * // Under one key: `match`, `countMatch`; what one pid registered there: `values`.
 * const showFront = Registry.countMatch(seats, "show", (value) => value.row < 3)
 * const mine = (pid: Pid.Pid) => Registry.values(seats, "show", pid)
 * // The caller leaves the entries of a key that match (never another process's).
 * const leaveFront = Registry.unregisterMatch(seats, "show", (value) => value.row < 3)
 * ```
 *
 * ## Listeners
 *
 * Started with `listeners: ["audit"]`, a registry has the process named `audit` told of each
 * {@link register} ({@link RegisterMessage}) and each {@link unregister} ({@link UnregisterMessage}),
 * by the process that does it, as Elixir's `{:register, ...}` and `{:unregister, ...}`. A process
 * that exits is **not** reported (as in Elixir): the listener monitors the pids it cares about.
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Process, Registry } from "effect-otp"
 *
 * const users = Registry.ref<string, { readonly nick: string }, "unique">("users", "unique")
 * // The "audit" process: the guard, given the registry, types the message.
 * const audit = Effect.gen(function*() {
 *   while (true) {
 *     const m = yield* Process.receive({ match: (m) => Registry.isRegisterMessage(m, users) })
 *     yield* Process.monitor(m.pid) // to hear of its exit
 *     console.log(`${m.key} is ${m.value.nick}`)
 *   }
 * })
 * ```
 *
 * ## Partitions
 *
 * `partitions: n` splits the table in `n` parts by key hash, each its own `Map`s. What that buys
 * here is size: a JavaScript `Map` holds at most 2^24 (16,777,216) entries in V8, so an
 * unpartitioned registry refuses its 16,777,217th key (the `register` dies with V8's
 * `RangeError: Map maximum size exceeded`; measured: one process registering 17M unique keys got
 * that at exactly 16,777,216 with 1 partition, and registered all 17M in 57 s and 6.3 GB of heap
 * with 2). For a registry that may pass about 16M keys, give it `partitions` enough that each part
 * stays below that.
 *
 * It buys no speed. Elixir splits a unique registry's keys by key and its pids by pid, a
 * duplicate one by pid (by key with `{:duplicate, :key}`), with one process per partition, so
 * that many schedulers write at once. Here the parts live in the one registry process: a
 * partition process would have nothing to do, since writes are done by the caller and cleanup
 * runs inside the exiting process, not on `EXIT` messages, and one thread has no table lock to
 * spread over cores. Measured with `bench/registry-partitions.ts` (100k entries: 10k processes
 * with 10 unique keys each, or 20k processes on one topic with 4 keys of their own; register,
 * 500k lookups, all killed), 4 and 16 partitions were slower than 1 in every phase: registering
 * 1.2-2.4x (a process with keys in several partitions has an exit watch in each), lookups up to
 * 2x (a hash of the key each), exits up to 2x. Every operation works the same with any number
 * (`count`, `keys` and `select` visit each partition). Below 16M keys, keep the default.
 *
 * ## Rules
 *
 * - A registry is a process with a local name, started from a child spec
 *   ({@link childSpec}) so a supervisor owns it. Its table dies with it: a restarted registry
 *   starts empty, as Elixir's does (with the same options: partitions and listeners).
 * - {@link register} registers the **calling** process. With `keys: "unique"`, a taken key is
 *   `AlreadyRegistered` carrying the owner's pid; with `"duplicate"`, any number of entries per
 *   key, even several of one process.
 * - Entries are removed when their process exits, however it exits, synchronously inside that
 *   exit: by the time any process handles the `Down` or `Exit` of that exit, lookups no longer
 *   return the dead pid (Elixir's Registry has a window here; this one has none).
 * - Reads ({@link lookup}, {@link keys}, {@link values}, {@link count}, {@link match},
 *   {@link countMatch}, {@link select}, {@link countSelect}, {@link meta}, {@link dispatch}) read
 *   the table directly, never through the registry's mailbox, so they scale with readers; each is
 *   one step, so a process exiting meanwhile is wholly in a result or not at all. Writes are done
 *   by the calling process itself, also without a message.
 * - Keys are compared with Effect's `Equal` (strings and numbers as usual; `Data` values by
 *   structure). Any value is a key, `"__proto__"` and the other `Object.prototype` names included.
 * - A unique key whose owner is exiting (killed, its finalizers still running) is free: a
 *   lookup, a select or a via name no longer finds the owner, and another process may register
 *   the key, as Elixir's Registry does for an owner that is not `Process.alive?`. The old owner's
 *   exit removes only its own entries.
 * - Bad input from untyped callers is a `BadArgument`: options (`partitions` not a positive
 *   integer, `listeners` not an array of names), a predicate, projection, {@link updateValue}
 *   or {@link dispatch} function that is no function, a predicate that returns no boolean, a
 *   dispatch function that returns no Effect. A registry argument that is none is `NoProc`. A predicate that throws is a defect of the caller, and
 *   {@link unregisterMatch} runs it on every entry before removing any.
 *
 * ## Where it differs from Elixir
 *
 * - Cleanup is synchronous inside the exit (see above); Elixir's runs in the registry's
 *   partitions after the `DOWN`, so a lookup may briefly return a dead pid there.
 * - Processes that register are not linked to the registry (Elixir links them to a partition,
 *   so killing a partition kills them): when the registry dies they live on, without entries.
 * - Queries take typed predicates instead of match specs (see "Queries").
 * - Partitions are parts of one process, split by key for both kinds (see "Partitions"); a
 *   partition cannot die apart from the registry (Elixir restarts its partitions under a
 *   supervisor: all of them for a unique registry, the one for a duplicate one).
 * - A listener that is not running misses the message, as a message to a dead pid is dropped;
 *   Elixir's `send` to a name that is not registered raises in the registering process, after
 *   the entry is written.
 * - {@link unregister} tells the listeners only if the caller had entries under the key; Elixir
 *   tells them on every call. A via-named server's entry goes when it ends without a message, as
 *   for any exit, also after a failed init (where Elixir's `unregister_name` tells them).
 * - Not provided: `lock/3`.
 * - {@link updateValue} on a duplicate registry gives `Option.none()` (Elixir raises).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { AlreadyRegistered, BadArgument, NoProc } from "../lib/Errors.js"
import type * as Gen from "../lib/Gen.js"
import { Node } from "../lib/Node.js"
import type { Pid } from "../lib/Pid.js"
import * as Process from "../lib/Process.js"
import { watchExit, whereisIn } from "../lib/internal/direct.js"
import { format } from "../lib/internal/format.js"
import * as ChildSpec from "./ChildSpec.js"
import * as GenServer from "./GenServer.js"
import { type Entry as Slot, isAlive, Table } from "./internal/registry.js"

// ----------------------------------------------------------------------------
// Models
// ----------------------------------------------------------------------------

/** How a registry keys its entries (the `keys` of {@link Registry}). */
type Keys = "unique" | "duplicate"

/**
 * A registry handle: its name, key mode, and (phantom) key and value types.
 *
 * @category models
 * @since 0.1.0
 */
export interface Registry<K, V = unknown, M extends "unique" | "duplicate" = "unique" | "duplicate"> {
  /** The registry's local name, by which every operation finds it. */
  readonly name: string
  /**
   * How it keys its entries: `unique` (one process per key: registering a taken key fails with
   * `AlreadyRegistered`) or `duplicate` (any number of entries per key, e.g. for pub/sub).
   */
  readonly keys: M
  /**
   * Type only: the key and value types (never set at runtime).
   *
   * @internal
   */
  readonly "~types"?: { readonly _K: (_: K) => K; readonly _V: (_: V) => V }
}


/**
 * A registry handle from a name, for code that did not start it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * // Handles by name, for code that did not start the registries.
 * const lookups = Registry.lookup(rooms, "lobby")
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const ref = <K, V = unknown, M extends "unique" | "duplicate" = "unique" | "duplicate">(name: string, keys: M): Registry<K, V, M> => ({ name, keys })

// ----------------------------------------------------------------------------
// The table
// ----------------------------------------------------------------------------

/**
 * Whether a read shows `entry`: in a unique registry, an owner that is exiting no longer owns its
 * key (see the module doc); a duplicate registry shows every entry until its process has exited.
 */
const visible = (table: Table, entry: Slot): boolean => !table.unique || isAlive(entry.pid)

/** The live owner of a unique key, if any. */
const uniqueOwner = (table: Table, key: unknown): Slot | undefined => {
  const entry = table.partitionOf(key).entries.get(key)?.[0]
  return entry !== undefined && isAlive(entry.pid) ? entry : undefined
}

/** The table of each running registry, by the registry's pid. */
const tables = new WeakMap<Pid, Table>()

/** The table of a registry, found by its name on the current node. */
/** The registry's name, or `undefined` for an untyped caller's value that is no registry. */
const nameOf = (registry: Registry<any, any, any>): string | undefined => {
  const name: unknown = typeof registry === "object" && registry !== null ? registry.name : undefined
  return typeof name === "string" ? name : undefined
}

const tableIn = (fiber: Fiber.Fiber<unknown, unknown>, registry: Registry<any, any, any>): Table | undefined => {
  const name = nameOf(registry)
  const pid = name === undefined ? undefined : whereisIn(fiber, name)
  const table = pid === undefined ? undefined : tables.get(pid)
  return table === undefined || table.closed ? undefined : table
}

/** Runs `f` with the registry's table, in the same Effect step (reads are one step each). */
const withTable = <A, E, R>(
  registry: Registry<any, any, any>,
  f: (table: Table, fiber: Fiber.Fiber<unknown, unknown>) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | NoProc, R | Node> =>
  Effect.withFiber<A, E | NoProc, R>((fiber) => {
    const table = tableIn(fiber, registry)
    return table === undefined ? Effect.fail(new NoProc({ target: nameOf(registry) ?? format(registry) })) : f(table, fiber)
  })

const tableOf = (registry: Registry<any, any, any>): Effect.Effect<Table, NoProc, Node> =>
  withTable(registry, Effect.succeed)

/** The calling process (a registry write is done by the caller itself). */
const selfIn = (fiber: Fiber.Fiber<unknown, unknown>): Pid =>
  Context.get(fiber.context as Context.Context<Process.CurrentProcess>, Process.CurrentProcess)

// ----------------------------------------------------------------------------
// Listeners
// ----------------------------------------------------------------------------

/**
 * What a listener gets when a process registers (Elixir's `{:register, registry, key, pid,
 * value}`): sent by the registering process once the entry is in the table. Recognise it with
 * {@link isRegisterMessage}.
 *
 * @category listeners
 * @since 0.1.0
 */
export interface RegisterMessage<K = unknown, V = unknown> {
  /** Tells it apart from other messages (see {@link isRegisterMessage}). */
  readonly _tag: "Register"
  /** The name of the registry. */
  readonly registry: string
  /** The key registered. */
  readonly key: K
  /** The process that registered. */
  readonly pid: Pid
  /** The value it registered with. */
  readonly value: V
}

/**
 * What a listener gets when a process unregisters a key (Elixir's `{:unregister, registry, key,
 * pid}`): sent by that process after {@link unregister}, or after {@link unregisterMatch} once
 * none of its entries under the key is left. Not sent when the process exits: a listener that
 * wants to know monitors the pid of the {@link RegisterMessage}, as in Elixir.
 *
 * @category listeners
 * @since 0.1.0
 */
export interface UnregisterMessage<K = unknown> {
  /** Tells it apart from other messages (see {@link isUnregisterMessage}). */
  readonly _tag: "Unregister"
  /** The name of the registry. */
  readonly registry: string
  /** The key unregistered. */
  readonly key: K
  /** The process that unregistered. */
  readonly pid: Pid
}

class RegisterMessageImpl implements RegisterMessage {
  readonly _tag = "Register"
  constructor(readonly registry: string, readonly key: unknown, readonly pid: Pid, readonly value: unknown) {}
}

class UnregisterMessageImpl implements UnregisterMessage {
  readonly _tag = "Unregister"
  constructor(readonly registry: string, readonly key: unknown, readonly pid: Pid) {}
}

/**
 * Whether `u` is a {@link RegisterMessage}; of `registry` if it is given (its key and value types
 * then flow into the message).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process, Registry } from "effect-otp"
 *
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * // A listener process (started under the name given in `listeners`) counting sign-ins.
 * const listener = Effect.gen(function*() {
 *   const message = yield* Process.receive({ match: (m) => Registry.isRegisterMessage(m, users) })
 *   return `${message.key} signed in as ${message.value}` // key and value are strings
 * })
 * ```
 *
 * @category listeners
 * @since 0.1.0
 */
export const isRegisterMessage = <K = unknown, V = unknown>(
  u: unknown,
  registry?: Registry<K, V, any>
): u is RegisterMessage<K, V> =>
  u instanceof RegisterMessageImpl && (registry === undefined || u.registry === registry.name)

/**
 * Whether `u` is an {@link UnregisterMessage}; of `registry` if it is given.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process, Registry } from "effect-otp"
 *
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * const signedOut = Process.receive({ match: (m) => Registry.isUnregisterMessage(m, users) })
 * ```
 *
 * @category listeners
 * @since 0.1.0
 */
export const isUnregisterMessage = <K = unknown>(
  u: unknown,
  registry?: Registry<K, any, any>
): u is UnregisterMessage<K> =>
  u instanceof UnregisterMessageImpl && (registry === undefined || u.registry === registry.name)

/** Sends `message` to each listener that is running now (a listener by name that is not: dropped). */
const notify = (table: Table, fiber: Fiber.Fiber<unknown, unknown>, message: RegisterMessage | UnregisterMessage): void => {
  for (const name of table.listeners) {
    const pid = whereisIn(fiber, name)
    if (pid !== undefined) Process.sendUnsafe(pid, message)
  }
}

// ----------------------------------------------------------------------------
// The registry process
// ----------------------------------------------------------------------------

interface Config {
  readonly name: string
  readonly keys: Keys
  readonly partitions: number
  readonly listeners: ReadonlyArray<string>
}

const RegistryModule = GenServer.make({
  name: "Registry",
  init: (config: Config) =>
    Effect.gen(function*() {
      const self = yield* Process.self
      const table = new Table(config.name, config.keys === "unique", config.partitions, config.listeners)
      tables.set(self, table)
      // However the registry ends, its table goes with it.
      watchExit(self, () => table.close())
      return GenServer.ok(table)
    }),
  formatStatus: (table) => ({
    unique: table.unique,
    partitions: table.partitions.length,
    listeners: table.listeners,
    entries: table.size,
    processes: table.processes
  })
})

/**
 * The options of {@link start}, {@link startLink} and {@link childSpec}.
 *
 * @category models
 * @since 0.1.0
 */
export interface StartOptions<M extends "unique" | "duplicate"> {
  /** The registry's local name: every operation can find it by this name. */
  readonly name: string
  /** `unique` (one process per key: a taken key is `AlreadyRegistered`) or `duplicate` (any number of entries per key). */
  readonly keys: M
  /**
   * How many parts the table is split in, by key hash (default 1): a positive integer. Needed
   * only past about 16M keys (V8's limit on one `Map`); see "Partitions" in the module doc.
   */
  readonly partitions?: number | undefined
  /**
   * Names of processes told of every {@link register} and {@link unregister}
   * ({@link RegisterMessage}, {@link UnregisterMessage}); a listener that is not running when a
   * message is due misses it.
   */
  readonly listeners?: ReadonlyArray<string> | undefined
}

const configOf = (options: StartOptions<Keys>): Effect.Effect<Config, BadArgument> =>
  Effect.suspend(() => {
    const bad = (reason: string) => Effect.fail(new BadArgument({ operation: "Registry.start", reason }))
    if (options === null || typeof options !== "object") return bad("options must be an object")
    if (typeof options.name !== "string" || options.name.length === 0) return bad("a registry needs a name")
    if (options.keys !== "unique" && options.keys !== "duplicate") {
      return bad(`keys must be "unique" or "duplicate", got ${format(options.keys)}`)
    }
    const partitions = options.partitions ?? 1
    if (typeof partitions !== "number" || !Number.isSafeInteger(partitions) || partitions < 1) {
      return bad(`partitions must be a positive integer, got ${format(partitions)}`)
    }
    const listeners = options.listeners ?? []
    if (!Array.isArray(listeners) || !listeners.every((l) => typeof l === "string" && l.length > 0)) {
      return bad("listeners must be an array of process names")
    }
    return Effect.succeed({ name: options.name, keys: options.keys, partitions, listeners: [...listeners] })
  })

/**
 * Starts a registry (not linked to the caller) under its name.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * const started = Registry.start<string, string>({ name: "users", keys: "unique" })
 * // Told of every registration: the process registered under the name "audit".
 * const audited = Registry.start<string, string>({ name: "users", keys: "unique", listeners: ["audit"] })
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const start = <K, V = unknown, M extends "unique" | "duplicate" = "unique" | "duplicate">(
  options: StartOptions<M>
): Effect.Effect<Registry<K, V, M>, Gen.StartError | BadArgument, Node> =>
  Effect.flatMap(
    configOf(options),
    (config) => Effect.as(GenServer.start(RegistryModule, config, { name: config.name }), ref<K, V, M>(options.name, options.keys))
  )

/**
 * Starts a registry linked to the calling process.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * // Inside a process (a supervisor's child start):
 * const linked = Registry.startLink<string, string>({ name: "users", keys: "unique" })
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const startLink = <K, V = unknown, M extends "unique" | "duplicate" = "unique" | "duplicate">(
  options: StartOptions<M>
): Effect.Effect<Registry<K, V, M>, Gen.StartError | BadArgument, Node | Process.CurrentProcess> =>
  Effect.flatMap(
    configOf(options),
    (config) =>
      Effect.as(GenServer.startLink(RegistryModule, config, { name: config.name }), ref<K, V, M>(options.name, options.keys))
  )

/**
 * The child spec of a registry (a worker, id the registry's name unless given).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * import { Supervisor } from "effect-otp"
 *
 * const tree = Supervisor.start([Registry.childSpec({ name: "rooms", keys: "duplicate" })])
 * ```
 *
 * @category child specs
 * @since 0.1.0
 */
export const childSpec = <M extends "unique" | "duplicate">(
  options: StartOptions<M> & ChildSpec.Options
): ChildSpec.ChildSpec<never> =>
  ChildSpec.worker(
    options.id ?? options.name,
    Effect.flatMap(startLink(options), () => Effect.map(Process.whereis(options.name), Option.getOrThrow)),
    { modules: ["Registry"], ...options }
  )

// ----------------------------------------------------------------------------
// Predicates from untyped callers
// ----------------------------------------------------------------------------

/** A predicate that is no function: the `BadArgument` of `operation`, else `undefined`. */
const notAFunction = (operation: string, f: unknown): BadArgument | undefined =>
  typeof f === "function" ? undefined : new BadArgument({ operation: `Registry.${operation}`, reason: `expected a function, got ${typeof f}` })

/** The result of a predicate that is no boolean (an untyped caller's): the `BadArgument`. */
const notABoolean = (operation: string, result: unknown): BadArgument =>
  new BadArgument({ operation: `Registry.${operation}`, reason: `the predicate returned ${typeof result}, not a boolean` })

// ----------------------------------------------------------------------------
// Writes (by the calling process)
// ----------------------------------------------------------------------------

/** Registers `pid` under `key` (the caller's fiber tells the listeners). */
const insert = (
  table: Table,
  fiber: Fiber.Fiber<unknown, unknown>,
  pid: Pid,
  key: unknown,
  value: unknown
): Pid | null | undefined => {
  const owner = table.partitionOf(key).insert(pid, key, value)
  if (owner === undefined && table.listeners.length > 0) notify(table, fiber, new RegisterMessageImpl(table.name, key, pid, value))
  return owner
}

/** Removes `pid`'s entries under `key` that `remove` picks; tells the listeners once none is left. */
const removeWhere = (
  table: Table,
  fiber: Fiber.Fiber<unknown, unknown>,
  pid: Pid,
  key: unknown,
  remove: (entry: Slot) => boolean
): void => {
  const { left, removed } = table.partitionOf(key).removeWhere(pid, key, remove)
  if (removed > 0 && left === 0 && table.listeners.length > 0) notify(table, fiber, new UnregisterMessageImpl(table.name, key, pid))
}

const always = () => true

/**
 * Registers the calling process under `key` with `value`. In a unique registry a taken key
 * fails with `AlreadyRegistered` carrying the owner's pid (also when the owner is the caller).
 * The registry's listeners get a {@link RegisterMessage}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * const join = Registry.register(rooms, "lobby", { joined: 1 }) // from the joining process
 * ```
 *
 * @category writes
 * @since 0.1.0
 */
export const register = <K, V, M extends "unique" | "duplicate">(
  registry: Registry<K, V, M>,
  key: K,
  value: V
): Effect.Effect<void, AlreadyRegistered | NoProc, Node | Process.CurrentProcess> =>
  withTable(registry, (table, fiber) => {
    const owner = insert(table, fiber, selfIn(fiber), key, value)
    return owner == null ? Effect.void : Effect.fail(new AlreadyRegistered({
      // A key is user data: `format` never throws (`String` does, on an object without a prototype).
      name: typeof key === "string" ? key : format(key),
      pid: owner
    }))
  })

/**
 * Removes the calling process's entries under `key` (nothing if it has none). The registry's
 * listeners get an {@link UnregisterMessage} if it had some.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * const leave = Registry.unregister(rooms, "lobby")
 * ```
 *
 * @category writes
 * @since 0.1.0
 */
export const unregister = <K>(
  registry: Registry<K, any, any>,
  key: K
): Effect.Effect<void, NoProc, Node | Process.CurrentProcess> =>
  withTable(registry, (table, fiber) => Effect.succeed(removeWhere(table, fiber, selfIn(fiber), key, always)))

/**
 * Removes the calling process's entries under `key` whose value satisfies `predicate` (Elixir's
 * `unregister_match/4`, with a predicate instead of a match spec); other processes' entries are
 * never touched. The listeners get an {@link UnregisterMessage} once none of the caller's
 * entries under `key` is left. The predicate runs on every entry before any is removed, so a
 * predicate that throws (a defect of the caller) removes nothing; one that is no function, or
 * returns no boolean, is a `BadArgument`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * // Leave the lobby's entries registered before the tenth join, keep the others.
 * const leaveOld = Registry.unregisterMatch(rooms, "lobby", (value) => value.joined < 10)
 * ```
 *
 * @category writes
 * @since 0.1.0
 */
export const unregisterMatch = <K, V>(
  registry: Registry<K, V, any>,
  key: K,
  predicate: (value: V) => boolean
): Effect.Effect<void, BadArgument | NoProc, Node | Process.CurrentProcess> =>
  withTable(registry, (table, fiber) => {
    const bad = notAFunction("unregisterMatch", predicate)
    if (bad !== undefined) return Effect.fail(bad)
    const self = selfIn(fiber)
    const picked = new Set<Slot>()
    for (const entry of table.partitionOf(key).entriesOf(self, key)) {
      const result: unknown = predicate(entry.value as V)
      if (typeof result !== "boolean") return Effect.fail(notABoolean("unregisterMatch", result))
      if (result) picked.add(entry)
    }
    if (picked.size > 0) removeWhere(table, fiber, self, key, (entry) => picked.has(entry))
    return Effect.void
  })

/**
 * Updates the value of the calling process's entry under `key` in a unique registry; returns
 * the new and the old value, or `Option.none()` if the caller does not own the key. `f` runs in
 * the caller (a throw is the caller's defect, and the value stays); one that is no function (an
 * untyped caller's) is a `BadArgument`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * const rename = Registry.updateValue(users, "joe", (nick) => nick.toUpperCase())
 * ```
 *
 * @category writes
 * @since 0.1.0
 */
export const updateValue = <K, V>(
  registry: Registry<K, V, "unique">,
  key: K,
  f: (value: V) => V
): Effect.Effect<Option.Option<readonly [V, V]>, BadArgument | NoProc, Node | Process.CurrentProcess> =>
  withTable(registry, (table, fiber) => {
    const bad = notAFunction("updateValue", f)
    if (bad !== undefined) return Effect.fail(bad)
    // Only in a unique registry (Elixir raises on a duplicate one; an untyped caller gets none).
    const entry = table.unique ? table.partitionOf(key).entries.get(key)?.[0] : undefined
    if (entry === undefined || entry.pid !== selfIn(fiber)) return Effect.succeed(Option.none())
    const old = entry.value as V
    entry.value = f(old)
    return Effect.succeed(Option.some([entry.value as V, old] as const))
  })

/**
 * Stores registry metadata under `key`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * const setTopic = Registry.putMeta(rooms, "topic", "general chat")
 * ```
 *
 * @category writes
 * @since 0.1.0
 */
export const putMeta = (registry: Registry<any, any, any>, key: unknown, value: unknown): Effect.Effect<void, NoProc, Node> =>
  withTable(registry, (table) => Effect.sync(() => {
    table.meta.set(key, value)
  }))

/**
 * Removes the registry metadata under `key` (nothing if there is none).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const clearTopic = Registry.deleteMeta(rooms, "topic")
 * ```
 *
 * @category writes
 * @since 0.1.0
 */
export const deleteMeta = (registry: Registry<any, any, any>, key: unknown): Effect.Effect<void, NoProc, Node> =>
  withTable(registry, (table) => Effect.sync(() => {
    table.meta.delete(key)
  }))

// ----------------------------------------------------------------------------
// Reads (table reads, not messages)
// ----------------------------------------------------------------------------

/** The entries of `key` a read shows. */
const entriesUnder = (table: Table, key: unknown): ReadonlyArray<Slot> => {
  const list = table.partitionOf(key).entries.get(key)
  if (list === undefined) return []
  return table.unique ? list.filter((e) => isAlive(e.pid)) : list
}

const pairs = <V>(list: ReadonlyArray<Slot>): ReadonlyArray<readonly [Pid, V]> => list.map((e) => [e.pid, e.value as V] as const)

/**
 * The `[pid, value]` entries under `key` (at most one in a unique registry).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * const owner = Effect.map(Registry.lookup(users, "joe"), (entries) => entries[0]?.[0])
 * ```
 *
 * @category reads
 * @since 0.1.0
 */
export const lookup = <K, V>(
  registry: Registry<K, V, any>,
  key: K
): Effect.Effect<ReadonlyArray<readonly [Pid, V]>, NoProc, Node> =>
  withTable(registry, (table) => {
    if (!table.unique) return Effect.succeed(pairs<V>(table.partitionOf(key).entries.get(key) ?? []))
    const entry = uniqueOwner(table, key)
    return Effect.succeed(entry === undefined ? [] : pairs<V>([entry]))
  })

/** The entries under `key` whose value satisfies `predicate`, or the `BadArgument` of `operation`. */
const matching = <V>(
  operation: string,
  table: Table,
  key: unknown,
  predicate: (value: V) => boolean
): Array<Slot> | BadArgument => {
  const bad = notAFunction(operation, predicate)
  if (bad !== undefined) return bad
  const found: Array<Slot> = []
  for (const entry of entriesUnder(table, key)) {
    const result: unknown = predicate(entry.value as V)
    if (typeof result !== "boolean") return notABoolean(operation, result)
    if (result) found.push(entry)
  }
  return found
}

/**
 * The entries under `key` whose value satisfies `predicate` (Elixir's `match/4`, with a
 * predicate instead of a match spec and guards). A predicate that is no function, or returns no
 * boolean (from an untyped caller), is a `BadArgument`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * const early = Registry.match(rooms, "lobby", (value) => value.joined < 10)
 * ```
 *
 * @category reads
 * @since 0.1.0
 */
export const match = <K, V>(
  registry: Registry<K, V, any>,
  key: K,
  predicate: (value: V) => boolean
): Effect.Effect<ReadonlyArray<readonly [Pid, V]>, BadArgument | NoProc, Node> =>
  withTable(registry, (table) => {
    const found = matching("match", table, key, predicate)
    return found instanceof BadArgument ? Effect.fail(found) : Effect.succeed(pairs<V>(found))
  })

/**
 * How many entries under `key` have a value that satisfies `predicate` (Elixir's
 * `count_match/4`): {@link match}'s length without building it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const early = Registry.countMatch(rooms, "lobby", (value) => value.joined < 10)
 * ```
 *
 * @category reads
 * @since 0.1.0
 */
export const countMatch = <K, V>(
  registry: Registry<K, V, any>,
  key: K,
  predicate: (value: V) => boolean
): Effect.Effect<number, BadArgument | NoProc, Node> =>
  withTable(registry, (table) => {
    const found = matching("countMatch", table, key, predicate)
    return found instanceof BadArgument ? Effect.fail(found) : Effect.succeed(found.length)
  })

/**
 * The values `pid` registered under `key` (Elixir's `values/3`): none or one in a unique
 * registry, any number in a duplicate one.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const joins = (pid: Pid.Pid) => Registry.values(rooms, "lobby", pid)
 * ```
 *
 * @category reads
 * @since 0.1.0
 */
export const values = <K, V>(
  registry: Registry<K, V, any>,
  key: K,
  pid: Pid
): Effect.Effect<ReadonlyArray<V>, NoProc, Node> =>
  withTable(registry, (table) => {
    const found: Array<V> = []
    for (const entry of table.partitionOf(key).entriesOf(pid, key)) if (visible(table, entry)) found.push(entry.value as V)
    return Effect.succeed(found)
  })

/**
 * One entry of a registry as {@link select} shows it: `pid` registered under `key` with `value`.
 *
 * @category models
 * @since 0.1.0
 */
export interface Entry<K = unknown, V = unknown> {
  /** The key the process registered under. */
  readonly key: K
  /** The registered process. */
  readonly pid: Pid
  /** The value it registered with. */
  readonly value: V
}

/** Runs `f` on each entry a read shows, as a fresh `Entry`; stops at the first `BadArgument`. */
const eachEntry = (table: Table, f: (entry: Entry<unknown, unknown>) => BadArgument | undefined): BadArgument | undefined => {
  for (const partition of table.partitions) {
    for (const list of partition.entries.values()) {
      for (const entry of list) {
        if (!visible(table, entry)) continue
        const bad = f({ key: entry.key, pid: entry.pid, value: entry.value })
        if (bad !== undefined) return bad
      }
    }
  }
  return undefined
}

/**
 * The entries of the whole registry whose `{ key, pid, value }` satisfies `predicate` (Elixir's
 * `select/2`, with a typed predicate instead of a match spec); with `project`, what it returns
 * for each of them (the body of a match spec). A refinement narrows the entries' type. One walk of
 * the table in one step: a process that exits meanwhile is either wholly in the result or not at
 * all. A predicate or projection that is no function, or a predicate that returns no boolean, is
 * a `BadArgument`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * // Every entry registered before the tenth join, in any room.
 * const early = Registry.select(rooms, (entry) => entry.value.joined < 10)
 * // The rooms a process is in, as Elixir's select with a `[:"$1"]` body.
 * const roomsOf = (pid: Pid.Pid) => Registry.select(rooms, (entry) => entry.pid === pid, (entry) => entry.key)
 * ```
 *
 * @category reads
 * @since 0.1.0
 */
export const select: {
  <K, V, B extends Entry<K, V>, A = B>(
    registry: Registry<K, V, any>,
    refinement: (entry: Entry<K, V>) => entry is B,
    project?: (entry: B) => A
  ): Effect.Effect<ReadonlyArray<A>, BadArgument | NoProc, Node>
  <K, V, A = Entry<K, V>>(
    registry: Registry<K, V, any>,
    predicate: (entry: Entry<K, V>) => boolean,
    project?: (entry: Entry<K, V>) => A
  ): Effect.Effect<ReadonlyArray<A>, BadArgument | NoProc, Node>
} = <K, V, A>(
  registry: Registry<K, V, any>,
  predicate: (entry: Entry<K, V>) => boolean,
  project?: (entry: Entry<K, V>) => A
): Effect.Effect<ReadonlyArray<A>, BadArgument | NoProc, Node> =>
  withTable(registry, (table) => {
    const bad = notAFunction("select", predicate) ?? (project === undefined ? undefined : notAFunction("select", project))
    if (bad !== undefined) return Effect.fail(bad)
    const found: Array<A> = []
    const failed = eachEntry(table, (entry) => {
      const result: unknown = predicate(entry as Entry<K, V>)
      if (typeof result !== "boolean") return notABoolean("select", result)
      if (result) found.push(project === undefined ? entry as A : project(entry as Entry<K, V>))
      return undefined
    })
    return failed === undefined ? Effect.succeed(found) : Effect.fail(failed)
  })

/**
 * How many entries of the whole registry satisfy `predicate` (Elixir's `count_select/2`):
 * {@link select}'s length without building it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const early = Registry.countSelect(rooms, (entry) => entry.value.joined < 10)
 * ```
 *
 * @category reads
 * @since 0.1.0
 */
export const countSelect = <K, V>(
  registry: Registry<K, V, any>,
  predicate: (entry: Entry<K, V>) => boolean
): Effect.Effect<number, BadArgument | NoProc, Node> =>
  withTable(registry, (table) => {
    const bad = notAFunction("countSelect", predicate)
    if (bad !== undefined) return Effect.fail(bad)
    let count = 0
    const failed = eachEntry(table, (entry) => {
      const result: unknown = predicate(entry as Entry<K, V>)
      if (typeof result !== "boolean") return notABoolean("countSelect", result)
      if (result) count++
      return undefined
    })
    return failed === undefined ? Effect.succeed(count) : Effect.fail(failed)
  })

/**
 * The keys `pid` is registered under (with repeats for repeated duplicate entries).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * const roomsOf = (pid: Pid.Pid) => Registry.keys(rooms, pid)
 * ```
 *
 * @category reads
 * @since 0.1.0
 */
export const keys = <K>(registry: Registry<K, any, any>, pid: Pid): Effect.Effect<ReadonlyArray<K>, NoProc, Node> =>
  withTable(registry, (table) => {
    const found: Array<K> = []
    for (const partition of table.partitions) {
      const owner = partition.owners.get(pid)
      if (owner !== undefined) for (const entry of owner.entries) found.push(entry.key as K)
    }
    return Effect.succeed(found)
  })

/**
 * The number of entries in the registry (Elixir's `count/1`), in constant time per partition.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * const size = Registry.count(rooms)
 * ```
 *
 * @category reads
 * @since 0.1.0
 */
export const count = (registry: Registry<any, any, any>): Effect.Effect<number, NoProc, Node> =>
  withTable(registry, (table) => Effect.succeed(table.size))

/**
 * Registry metadata under `key`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * const topic = Registry.meta(rooms, "topic")
 * ```
 *
 * @category reads
 * @since 0.1.0
 */
export const meta = (registry: Registry<any, any, any>, key: unknown): Effect.Effect<Option.Option<unknown>, NoProc, Node> =>
  withTable(registry, (table) => Effect.succeed(table.meta.has(key) ? Option.some(table.meta.get(key)) : Option.none()))

/**
 * Runs `f` with the entries under `key` at this moment (nothing runs if there are none). With
 * duplicate keys this is a local pub/sub: send to each entry's pid, and each subscriber gets
 * each message once, in publish order. `f` returns the Effect to run; from an untyped caller,
 * a function that is none, or one that returns no Effect, is a `BadArgument`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * import { Process } from "effect-otp"
 *
 * const publish = (text: string) =>
 *   Registry.dispatch(rooms, "lobby", (entries) => Effect.forEach(entries, ([pid]) => Process.send(pid, text)))
 * ```
 *
 * @category reads
 * @since 0.1.0
 */
export const dispatch = <K, V, A, E, R>(
  registry: Registry<K, V, any>,
  key: K,
  f: (entries: ReadonlyArray<readonly [Pid, V]>) => Effect.Effect<A, E, R>
): Effect.Effect<void, E | BadArgument | NoProc, R | Node> =>
  withTable(registry, (table): Effect.Effect<void, E | BadArgument, R> => {
    const bad = notAFunction("dispatch", f)
    if (bad !== undefined) return Effect.fail(bad)
    const list = table.partitionOf(key).entries.get(key)
    if (list === undefined || list.length === 0) return Effect.void
    const result: unknown = f(pairs<V>(list))
    return Effect.isEffect(result)
      ? Effect.asVoid(result as Effect.Effect<A, E, R>)
      : Effect.fail(new BadArgument({ operation: "Registry.dispatch", reason: `the function returned ${format(result)}, not an Effect` }))
  })

// ----------------------------------------------------------------------------
// Via naming
// ----------------------------------------------------------------------------

/**
 * A name for `Gen`/`GenServer` start, call and cast through a unique registry: the started
 * process registers itself under `key`, with `value` if given (`undefined` otherwise, Elixir's
 * `nil`), as Elixir's `{:via, Registry, {registry, key, value}}`; starting a second one with the
 * same key fails with `AlreadyStarted`; the entry goes when the process exits. The value only
 * matters at start: calls and casts by either form of the name reach the same process.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Registry } from "effect-otp"
 *
 * const rooms = Registry.ref<string, { readonly joined: number }, "duplicate">("rooms", "duplicate")
 * const users = Registry.ref<string, string, "unique">("users", "unique")
 * import { GenServer } from "effect-otp"
 *
 * declare const Session: GenServer.Any
 * const session = GenServer.ref(Session, Registry.via(users, "joe"))
 * // Started with a value in its entry, which lookups and selects then show.
 * const start = GenServer.start(Session, undefined as never, { name: Registry.via(users, "joe", "Joe Armstrong") })
 * ```
 *
 * @category naming
 * @since 0.1.0
 */
export const via = <K, V>(registry: Registry<K, V, "unique">, key: K, ...value: [] | [value: V]): Gen.Name => ({
  _tag: "Via",
  registry: value.length === 0 ? viaRegistry(registry) : makeViaRegistry(registry, value[0]),
  key
})

const viaRegistries = new WeakMap<Registry<any, any, any>, Gen.ViaRegistry<any>>()

/** The via registry of `registry` whose entries have the value `undefined` (one per handle). */
const viaRegistry = <K>(registry: Registry<K, any, "unique">): Gen.ViaRegistry<K> => {
  let via = viaRegistries.get(registry)
  if (via === undefined) {
    via = makeViaRegistry(registry, undefined)
    viaRegistries.set(registry, via)
  }
  return via
}

const makeViaRegistry = <K>(registry: Registry<K, any, "unique">, value: unknown): Gen.ViaRegistry<K> => ({
  registerName: (key, pid) =>
    withTable(registry, (table, fiber) => {
      const owner = insert(table, fiber, pid, key, value)
      return Effect.succeed(owner == null ? Option.none<Pid>() : Option.some(owner))
    }).pipe(Effect.orDie, withNode),
  // Called by the named process itself as it ends (however it ends): it removes only its own
  // entry (the key may have a new owner by now). Part of the process's end, so the listeners are
  // not told, as of any exit (Elixir tells them only after a failed init).
  unregisterName: (key) =>
    Effect.withFiber((fiber) => {
      const self = Context.getOrUndefined(fiber.context as Context.Context<Process.CurrentProcess>, Process.CurrentProcess)
      if (self === undefined) return Effect.void
      return withTable(registry, (table) => Effect.succeed(void table.partitionOf(key).removeWhere(self, key, always))).pipe(
        Effect.ignore,
        withNode
      )
    }),
  whereisName: (key) =>
    tableOf(registry).pipe(
      Effect.map((table) => Option.fromUndefinedOr(uniqueOwner(table, key)?.pid)),
      Effect.orElseSucceed(() => Option.none<Pid>()),
      withNode
    )
})

/** `Gen.ViaRegistry` methods have no `Node` in their type: read it from the running fiber. */
const withNode = <A, E>(effect: Effect.Effect<A, E, Node>): Effect.Effect<A, E> =>
  Effect.withFiber((fiber) => {
    const node = Context.getOrUndefined(fiber.context, Node)
    return node === undefined
      ? Effect.die(new Error("effect-otp: Registry used outside a Node; provide Node.layer()"))
      : Effect.provideService(effect, Node, node)
  })
