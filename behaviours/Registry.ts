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
 * ## Rules
 *
 * - A registry is a process with a local name, started from a child spec
 *   ({@link childSpec}) so a supervisor owns it. Its table dies with it: a restarted registry
 *   starts empty, as Elixir's does.
 * - {@link register} registers the **calling** process. With `keys: "unique"`, a taken key is
 *   `AlreadyRegistered` carrying the owner's pid; with `"duplicate"`, any number of entries per
 *   key, even several of one process.
 * - Entries are removed when their process exits, however it exits, synchronously inside that
 *   exit: by the time any process handles the `Down` or `Exit` of that exit, lookups no longer
 *   return the dead pid (Elixir's Registry has a window here; this one has none).
 * - Reads ({@link lookup}, {@link keys}, {@link count}, {@link match}, {@link meta},
 *   {@link dispatch}) read the table directly, never through the registry's mailbox, so they
 *   scale with readers. Writes are done by the calling process itself, also without a message.
 * - Keys are compared with Effect's `Equal` (strings and numbers as usual; `Data` values by
 *   structure). Any value is a key, `"__proto__"` and the other `Object.prototype` names included.
 * - A unique key whose owner is exiting (killed, its finalizers still running) is free: a
 *   lookup or a via name no longer finds the owner, and another process may register the key,
 *   as Elixir's Registry does for an owner that is not `Process.alive?`. The old owner's exit
 *   removes only its own entries.
 *
 * ## Where it differs from Elixir
 *
 * - Cleanup is synchronous inside the exit (see above); Elixir's runs in the registry's
 *   partitions after the `DOWN`, so a lookup may briefly return a dead pid there.
 * - Not provided: `values/3`, `count_match`, `select`, `count_select`, `unregister_match`,
 *   `delete_meta`, `listeners`, `partitions`, and a via name carrying a value (Elixir's
 *   `{:via, Registry, {registry, key, value}}`); a via entry's value is `undefined`. Matching
 *   takes a predicate on the value ({@link match}) instead of a match spec.
 * - {@link updateValue} on a duplicate registry gives `Option.none()` (Elixir raises).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Equal from "effect/Equal"
import * as Hash from "effect/Hash"
import * as Option from "effect/Option"
import { AlreadyRegistered, BadArgument, NoProc } from "../lib/Errors.js"
import type * as Gen from "../lib/Gen.js"
import { Node } from "../lib/Node.js"
import type { Pid } from "../lib/Pid.js"
import * as Process from "../lib/Process.js"
import { mayBeAlive, watchExit, whereisIn } from "../lib/internal/direct.js"
import * as ChildSpec from "./ChildSpec.js"
import * as GenServer from "./GenServer.js"

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

interface Entry {
  readonly pid: Pid
  value: unknown
}

interface Owner {
  /** The keys this process holds, once per entry. */
  readonly keys: Array<unknown>
  readonly cancel: () => void
}

const isPrimitive = (key: unknown): key is string | number | boolean | bigint | symbol | null | undefined =>
  key === null || (typeof key !== "object" && typeof key !== "function")

/** A map keyed by `Equal`: native for primitives, hashed buckets for the rest. */
class KeyMap<A> {
  private readonly primitives = new Map<unknown, A>()
  private readonly buckets = new Map<number, Array<[unknown, A]>>()
  has(key: unknown): boolean {
    if (isPrimitive(key)) return this.primitives.has(key)
    const bucket = this.buckets.get(Hash.hash(key))
    return bucket !== undefined && bucket.some(([k]) => Equal.equals(k, key))
  }
  get(key: unknown): A | undefined {
    if (isPrimitive(key)) return this.primitives.get(key)
    const bucket = this.buckets.get(Hash.hash(key))
    if (bucket !== undefined) for (const [k, v] of bucket) if (Equal.equals(k, key)) return v
    return undefined
  }
  set(key: unknown, value: A): void {
    if (isPrimitive(key)) {
      this.primitives.set(key, value)
      return
    }
    const h = Hash.hash(key)
    const bucket = this.buckets.get(h)
    if (bucket === undefined) {
      this.buckets.set(h, [[key, value]])
      return
    }
    for (const pair of bucket) {
      if (Equal.equals(pair[0], key)) {
        pair[1] = value
        return
      }
    }
    bucket.push([key, value])
  }
  delete(key: unknown): void {
    if (isPrimitive(key)) {
      this.primitives.delete(key)
      return
    }
    const h = Hash.hash(key)
    const bucket = this.buckets.get(h)
    if (bucket === undefined) return
    const index = bucket.findIndex(([k]) => Equal.equals(k, key))
    if (index >= 0) bucket.splice(index, 1)
    if (bucket.length === 0) this.buckets.delete(h)
  }
  *values(): IterableIterator<A> {
    yield* this.primitives.values()
    for (const bucket of this.buckets.values()) for (const [, v] of bucket) yield v
  }
  clear(): void {
    this.primitives.clear()
    this.buckets.clear()
  }
}

/** @internal */
class Table {
  readonly entries = new KeyMap<Array<Entry>>()
  readonly owners = new Map<Pid, Owner>()
  readonly meta = new KeyMap<unknown>()
  size = 0
  closed = false
  constructor(readonly unique: boolean) {}

  insert(pid: Pid, key: unknown, value: unknown): Pid | undefined {
    let list = this.entries.get(key)
    if (this.unique && list !== undefined && list.length > 0) {
      const owner = list[0]!.pid
      if (isAlive(owner)) return owner
      // Held by a process that is exiting: the key is free, as in Elixir's Registry (which
      // checks `Process.alive?`). The old owner's cleanup removes only its own entries.
      this.remove(owner, key)
      list = this.entries.get(key)
    }
    let owner = this.owners.get(pid)
    if (owner === undefined) {
      const cancel = watchExit(pid, () => this.removeOwner(pid))
      if (cancel === undefined) return undefined // a dead process registers nothing
      owner = { keys: [], cancel }
      this.owners.set(pid, owner)
    }
    owner.keys.push(key)
    if (list === undefined) this.entries.set(key, [{ pid, value }])
    else list.push({ pid, value })
    this.size++
    return undefined
  }

  /** Removes `pid`'s entries under `key`. */
  remove(pid: Pid, key: unknown): void {
    const owner = this.owners.get(pid)
    if (owner === undefined) return
    const list = this.entries.get(key)
    if (list !== undefined) {
      const kept = list.filter((e) => e.pid !== pid)
      this.size -= list.length - kept.length
      if (kept.length === 0) this.entries.delete(key)
      else this.entries.set(key, kept)
    }
    const left = owner.keys.filter((k) => !Equal.equals(k, key))
    owner.keys.length = 0
    owner.keys.push(...left)
    if (left.length === 0) {
      owner.cancel()
      this.owners.delete(pid)
    }
  }

  /** Runs inside the exit of `pid`: drops all its entries. */
  removeOwner(pid: Pid): void {
    const owner = this.owners.get(pid)
    if (owner === undefined) return
    this.owners.delete(pid)
    for (const key of new Set(owner.keys)) {
      const list = this.entries.get(key)
      if (list === undefined) continue
      const kept = list.filter((e) => e.pid !== pid)
      this.size -= list.length - kept.length
      if (kept.length === 0) this.entries.delete(key)
      else this.entries.set(key, kept)
    }
  }

  close(): void {
    this.closed = true
    for (const owner of this.owners.values()) owner.cancel()
    this.owners.clear()
    this.entries.clear()
    this.meta.clear()
    this.size = 0
  }
}

/** Whether `pid` is alive: a local process that is not exiting (a remote pid counts as alive). */
const isAlive = mayBeAlive

/** The live owner of a unique key, if any. */
const uniqueOwner = (table: Table, key: unknown): Entry | undefined => {
  const entry = table.entries.get(key)?.[0]
  return entry !== undefined && isAlive(entry.pid) ? entry : undefined
}

/** The table of each running registry, by the registry's pid. */
const tables = new WeakMap<Pid, Table>()

/** The table of a registry, found by its name on the current node. */
const tableIn = (fiber: Fiber.Fiber<unknown, unknown>, registry: Registry<any, any, any>): Table | undefined => {
  const pid = whereisIn(fiber, registry.name)
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
    return table === undefined ? Effect.fail(new NoProc({ target: registry.name })) : f(table, fiber)
  })

const tableOf = (registry: Registry<any, any, any>): Effect.Effect<Table, NoProc, Node> =>
  withTable(registry, Effect.succeed)

/** The calling process (a registry write is done by the caller itself). */
const selfIn = (fiber: Fiber.Fiber<unknown, unknown>): Pid =>
  Context.get(fiber.context as Context.Context<Process.CurrentProcess>, Process.CurrentProcess)

// ----------------------------------------------------------------------------
// The registry process
// ----------------------------------------------------------------------------

const RegistryModule = GenServer.make({
  name: "Registry",
  init: (keys: Keys) =>
    Effect.gen(function*() {
      const self = yield* Process.self
      const table = new Table(keys === "unique")
      tables.set(self, table)
      // However the registry ends, its table goes with it.
      watchExit(self, () => table.close())
      return GenServer.ok(table)
    }),
  formatStatus: (table) => ({ unique: table.unique, entries: table.size, processes: table.owners.size })
})

const check = (options: { readonly name: string; readonly keys: Keys }) =>
  Effect.suspend(() => {
    if (typeof options.name !== "string" || options.name.length === 0) {
      return Effect.fail(new BadArgument({ operation: "Registry.start", reason: "a registry needs a name" }))
    }
    if (options.keys !== "unique" && options.keys !== "duplicate") {
      return Effect.fail(new BadArgument({ operation: "Registry.start", reason: `keys must be "unique" or "duplicate", got ${JSON.stringify(options.keys)}` }))
    }
    return Effect.void
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
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const start = <K, V = unknown, M extends "unique" | "duplicate" = "unique" | "duplicate">(
  options: {
    /** The registry's local name: every operation can find it by this name. */
    readonly name: string
    /** `unique` (one process per key: a taken key is `AlreadyRegistered`) or `duplicate` (any number of entries per key). */
    readonly keys: M
  }
): Effect.Effect<Registry<K, V, M>, Gen.StartError | BadArgument, Node> =>
  Effect.andThen(
    check(options),
    Effect.as(GenServer.start(RegistryModule, options.keys, { name: options.name }), ref<K, V, M>(options.name, options.keys))
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
  options: {
    /** The registry's local name: every operation can find it by this name. */
    readonly name: string
    /** `unique` (one process per key: a taken key is `AlreadyRegistered`) or `duplicate` (any number of entries per key). */
    readonly keys: M
  }
): Effect.Effect<Registry<K, V, M>, Gen.StartError | BadArgument, Node | Process.CurrentProcess> =>
  Effect.andThen(
    check(options),
    Effect.as(GenServer.startLink(RegistryModule, options.keys, { name: options.name }), ref<K, V, M>(options.name, options.keys))
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
  options: { readonly name: string; readonly keys: M } & ChildSpec.Options
): ChildSpec.ChildSpec<never> =>
  ChildSpec.worker(
    options.id ?? options.name,
    Effect.flatMap(startLink(options), () => Effect.map(Process.whereis(options.name), Option.getOrThrow)),
    { modules: ["Registry"], ...options }
  )

// ----------------------------------------------------------------------------
// Writes (by the calling process)
// ----------------------------------------------------------------------------

/**
 * Registers the calling process under `key` with `value`. In a unique registry a taken key
 * fails with `AlreadyRegistered` carrying the owner's pid (also when the owner is the caller).
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
    const owner = table.insert(selfIn(fiber), key, value)
    return owner === undefined ? Effect.void : Effect.fail(new AlreadyRegistered({ name: String(key), pid: owner }))
  })

/**
 * Removes the calling process's entries under `key` (nothing if it has none).
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
  withTable(registry, (table, fiber) => Effect.succeed(table.remove(selfIn(fiber), key)))

/**
 * Updates the value of the calling process's entry under `key` in a unique registry; returns
 * the new and the old value, or `Option.none()` if the caller does not own the key.
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
): Effect.Effect<Option.Option<readonly [V, V]>, NoProc, Node | Process.CurrentProcess> =>
  withTable(registry, (table, fiber) => {
    // Only in a unique registry (Elixir raises on a duplicate one; an untyped caller gets none).
    const entry = table.unique ? table.entries.get(key)?.[0] : undefined
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

// ----------------------------------------------------------------------------
// Reads (table reads, not messages)
// ----------------------------------------------------------------------------

const pairs = <V>(list: ReadonlyArray<Entry> | undefined): ReadonlyArray<readonly [Pid, V]> =>
  list === undefined ? [] : list.map((e) => [e.pid, e.value as V] as const)

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
    if (!table.unique) return Effect.succeed(pairs<V>(table.entries.get(key)))
    const entry = uniqueOwner(table, key)
    return Effect.succeed(entry === undefined ? [] : pairs<V>([entry]))
  })

/**
 * The entries under `key` whose value satisfies `predicate` (Elixir's `match/3`, with a
 * predicate instead of a match spec).
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
): Effect.Effect<ReadonlyArray<readonly [Pid, V]>, NoProc, Node> =>
  withTable(registry, (table) => Effect.succeed(pairs<V>(table.entries.get(key)?.filter((e) => predicate(e.value as V)))))

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
  withTable(registry, (table) => Effect.succeed([...(table.owners.get(pid)?.keys ?? [])] as Array<K>))

/**
 * The number of entries in the registry.
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
 * each message once, in publish order.
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
): Effect.Effect<void, E | NoProc, R | Node> =>
  withTable(registry, (table) => {
    const list = table.entries.get(key)
    return list === undefined || list.length === 0 ? Effect.void : Effect.asVoid(f(pairs<V>(list)))
  })

// ----------------------------------------------------------------------------
// Via naming
// ----------------------------------------------------------------------------

/**
 * A name for `Gen`/`GenServer` start, call and cast through a unique registry: the started
 * process registers itself under `key` (value `undefined`); starting a second one with the same
 * key fails with `AlreadyStarted`; the entry goes when the process exits.
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
 * ```
 *
 * @category naming
 * @since 0.1.0
 */
export const via = <K>(registry: Registry<K, any, "unique">, key: K): Gen.Name => ({
  _tag: "Via",
  registry: viaRegistry(registry),
  key
})

const viaRegistries = new WeakMap<Registry<any, any, any>, Gen.ViaRegistry<any>>()

const viaRegistry = <K>(registry: Registry<K, any, "unique">): Gen.ViaRegistry<K> => {
  let via = viaRegistries.get(registry)
  if (via === undefined) {
    via = {
      registerName: (key, pid) =>
        tableOf(registry).pipe(
          Effect.map((table) => Option.fromUndefinedOr(table.insert(pid, key, undefined))),
          Effect.orDie,
          withNode
        ),
      // Called by the named process itself: it removes only its own entry (the key may have a
      // new owner by now), as Elixir's `unregister_name`.
      unregisterName: (key) =>
        Effect.withFiber((fiber) => {
          const self = Context.getOrUndefined(fiber.context as Context.Context<Process.CurrentProcess>, Process.CurrentProcess)
          if (self === undefined) return Effect.void
          return tableOf(registry).pipe(
            Effect.map((table) => table.remove(self, key)),
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
    }
    viaRegistries.set(registry, via)
  }
  return via
}

/** `Gen.ViaRegistry` methods have no `Node` in their type: read it from the running fiber. */
const withNode = <A, E>(effect: Effect.Effect<A, E, Node>): Effect.Effect<A, E> =>
  Effect.withFiber((fiber) => {
    const node = Context.getOrUndefined(fiber.context, Node)
    return node === undefined
      ? Effect.die(new Error("effect-otp: Registry used outside a Node; provide Node.layer()"))
      : Effect.provideService(effect, Node, node)
  })
