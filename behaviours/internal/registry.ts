/**
 * The Registry's table: entries by key, split in partitions by key hash, each partition with the
 * exit watches of the processes that hold its entries.
 *
 * Layout, and what it measured (`bench/registry-partitions.ts`, 100k entries, Node 24 on the
 * shared 2-core machine): a key's entries are an array and each entry knows its index in it, so
 * removing one entry (an exit, an unregister) is a swap with the last one, O(1) whatever the
 * number of entries under the key. The previous layout filtered the key's array on every
 * removal: 20k subscribers of one topic (and 4 keys of their own each) all killed took 16.2 s
 * to clean up (O(n²)); with this one, 0.15 s. Lookups promise no order among a key's entries.
 *
 * Partitions (`Table.partitions`) split the table by key hash, each with its own exit watches.
 * They measured slower than one partition in every phase (register 1.2-2.4x, lookups and exits
 * up to 2x at 4 and 16 partitions, same bench, load average 10 on the 2 cores): one thread has no
 * lock contention to spread, a lookup hashes its key, and a process with keys in several
 * partitions has an exit watch in each. With one partition no key is hashed. What they do buy
 * is size: each partition has its own `Map`s, and one V8 `Map` holds at most 2^24 entries
 * (measured: 17M unique keys from one process died with `Map maximum size exceeded` at
 * 16,777,216 with 1 partition, and all registered with 2).
 *
 * @internal
 */
import * as Equal from "effect/Equal"
import * as Hash from "effect/Hash"
import type * as ExitReason from "../../lib/ExitReason.js"
import type { Pid } from "../../lib/Pid.js"
import { mayBeAlive, watchExit } from "../../lib/internal/direct.js"
import { KeyMap } from "./keyMap.js"

/** One registration: `pid` registered under `key` with `value`. */
export interface Entry {
  readonly key: unknown
  readonly pid: Pid
  value: unknown
  /** The array of the key's entries this entry is in, and its index there. */
  list: Array<Entry>
  index: number
}

/** A process holding entries in a partition: its entries there and its exit watch. */
interface Owner {
  readonly entries: Array<Entry>
  readonly cancel: () => void
}

/** Whether `pid` is alive: a local process that is not exiting (a remote pid counts as alive). */
export const isAlive = mayBeAlive

/**
 * One partition: the entries whose key hashes to it, and an exit watch on each process holding
 * one of them (so a process's exit clears it from every partition it registered in).
 */
export class Partition {
  readonly entries = new KeyMap<Array<Entry>>()
  readonly owners = new Map<Pid, Owner>()
  size = 0
  constructor(readonly unique: boolean) {}

  /**
   * Adds an entry for `pid`. Returns the live owner if the key is taken in a unique registry,
   * `null` if `pid` is dead (nothing is added), or `undefined` when added.
   */
  insert(pid: Pid, key: unknown, value: unknown): Pid | null | undefined {
    let list = this.entries.get(key)
    if (this.unique && list !== undefined && list.length > 0) {
      const owner = list[0]!.pid
      if (isAlive(owner)) return owner
      // Held by a process that is exiting: the key is free, as in Elixir's Registry (which
      // checks `Process.alive?`). The old owner's cleanup removes only its own entries.
      this.removeWhere(owner, key, () => true)
      list = this.entries.get(key)
    }
    let owner = this.owners.get(pid)
    if (owner === undefined) {
      const cancel = watchExit(pid, (_: ExitReason.ExitReason) => this.removeOwner(pid))
      if (cancel === undefined) return null // a dead process registers nothing
      owner = { entries: [], cancel }
      this.owners.set(pid, owner)
    }
    if (list === undefined) {
      list = []
      this.entries.set(key, list)
    }
    const entry: Entry = { key, pid, value, list, index: list.length }
    list.push(entry)
    owner.entries.push(entry)
    this.size++
    return undefined
  }

  /** Takes `entry` out of its key's array (a swap with the last one) and the key if it empties. */
  private unlink(entry: Entry): void {
    const list = entry.list
    const last = list.pop()!
    if (last !== entry) {
      list[entry.index] = last
      last.index = entry.index
    }
    this.size--
    if (list.length === 0 && this.entries.get(entry.key) === list) this.entries.delete(entry.key)
  }

  /**
   * Removes `pid`'s entries under `key` that `remove` picks. Returns how many it removed and how
   * many of `pid`'s entries under `key` are left. `remove` must not throw.
   */
  removeWhere(pid: Pid, key: unknown, remove: (entry: Entry) => boolean): { removed: number; left: number } {
    const owner = this.owners.get(pid)
    if (owner === undefined) return { removed: 0, left: 0 }
    let removed = 0
    let left = 0
    const kept: Array<Entry> = []
    for (const entry of owner.entries) {
      if (Equal.equals(entry.key, key)) {
        if (remove(entry)) {
          this.unlink(entry)
          removed++
          continue
        }
        left++
      }
      kept.push(entry)
    }
    if (removed > 0) {
      owner.entries.length = 0
      owner.entries.push(...kept)
      if (kept.length === 0) {
        owner.cancel()
        this.owners.delete(pid)
      }
    }
    return { removed, left }
  }

  /** `pid`'s entries under `key` (a copy). */
  entriesOf(pid: Pid, key: unknown): Array<Entry> {
    const owner = this.owners.get(pid)
    return owner === undefined ? [] : owner.entries.filter((entry) => Equal.equals(entry.key, key))
  }

  /** Runs inside the exit of `pid`: drops all its entries. */
  removeOwner(pid: Pid): void {
    const owner = this.owners.get(pid)
    if (owner === undefined) return
    this.owners.delete(pid)
    for (const entry of owner.entries) this.unlink(entry)
  }

  close(): void {
    for (const owner of this.owners.values()) owner.cancel()
    this.owners.clear()
    this.entries.clear()
    this.size = 0
  }
}

/** A registry's whole state: its partitions, metadata and listeners. */
export class Table {
  readonly partitions: ReadonlyArray<Partition>
  readonly meta = new KeyMap<unknown>()
  closed = false
  constructor(
    readonly name: string,
    readonly unique: boolean,
    partitions: number,
    readonly listeners: ReadonlyArray<string>
  ) {
    this.partitions = Array.from({ length: partitions }, () => new Partition(unique))
  }

  /** The partition of `key`: the only one with one partition, by `Hash.hash` otherwise. */
  partitionOf(key: unknown): Partition {
    const partitions = this.partitions
    return partitions.length === 1 ? partitions[0]! : partitions[(Hash.hash(key) >>> 0) % partitions.length]!
  }

  get size(): number {
    let size = 0
    for (const partition of this.partitions) size += partition.size
    return size
  }

  get processes(): number {
    const pids = new Set<Pid>()
    for (const partition of this.partitions) for (const pid of partition.owners.keys()) pids.add(pid)
    return pids.size
  }

  close(): void {
    this.closed = true
    for (const partition of this.partitions) partition.close()
    this.meta.clear()
  }
}
