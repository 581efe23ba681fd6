/**
 * The routing table of a PartitionSupervisor (what Elixir keeps in an ETS table): the number of
 * partitions routed to and each partition's pid, read without a message round trip. Written
 * only by the partitions' starts, which run inside the supervisor's process.
 *
 * @internal
 */
import * as Hash from "effect/Hash"
import * as Semaphore from "effect/Semaphore"
import type { Pid } from "../../lib/Pid.js"

/** One PartitionSupervisor's table. */
export class Table {
  /** The partitions routed to now (`resize` lowers and raises it, up to `max`). */
  current: number
  /** The pid each partition's last start returned (kept after it exits, as Elixir's ETS row). */
  readonly pids: Array<Pid | undefined>
  /** The supervisor's pid, once its first partition starts. */
  owner: Pid | undefined = undefined
  /** Serializes resizes, as Elixir's `Registry.lock`. */
  readonly lock = Semaphore.makeUnsafe(1)
  constructor(readonly max: number) {
    this.current = max
    this.pids = new Array<Pid | undefined>(max).fill(undefined)
  }
}

/**
 * The table of each running PartitionSupervisor, by its pid: set by the partitions' starts (in
 * the supervisor's process, before its start returns, as Elixir creates the table in `init`).
 * A WeakMap, so that a dead supervisor's table goes with its pid; a restarted supervisor (a new
 * pid) gets a new table.
 */
export const tables = new WeakMap<Pid, Table>()

const zero = BigInt(0)

/**
 * The partition of `key` among `partitions` (at least 1): an integer (a safe one, or a bigint)
 * goes to `abs(key) % partitions` (Elixir's `rem(abs(key), partitions)`); any other value by
 * Effect's `Hash.hash` (structural for arrays, plain objects and `Equal` values such as pids;
 * stable across runs for strings and numbers), Elixir's `phash2`. `undefined` when the key
 * cannot be hashed (a revoked Proxy from an untyped caller).
 */
export const partitionOf = (key: unknown, partitions: number): number | undefined => {
  if (typeof key === "number" && Number.isInteger(key)) return Math.abs(key) % partitions
  if (typeof key === "bigint") return Number((key < zero ? -key : key) % BigInt(partitions))
  try {
    return (Hash.hash(key) >>> 0) % partitions
  } catch {
    return undefined
  }
}
