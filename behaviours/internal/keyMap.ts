/**
 * A map keyed by `Equal`, shared by the Registry's table (`registry.ts`) and the process group
 * table (`pgTable.ts`): keys are user data, so primitives go in a native `Map` (`"__proto__"` and
 * `"constructor"` are ordinary keys, nothing is read from a prototype) and other values in buckets
 * by `Hash.hash`, compared with `Equal.equals` (`Data` values by structure, other objects by
 * identity). Iteration keeps insertion order within each of the two parts.
 *
 * @internal
 */
import * as Equal from "effect/Equal"
import * as Hash from "effect/Hash"

const isPrimitive = (key: unknown): boolean => key === null || (typeof key !== "object" && typeof key !== "function")

/** A map keyed by `Equal`: native for primitives, hashed buckets for the rest. */
export class KeyMap<A> {
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
  /** Removes `key`; true if it was there. */
  delete(key: unknown): boolean {
    if (isPrimitive(key)) return this.primitives.delete(key)
    const h = Hash.hash(key)
    const bucket = this.buckets.get(h)
    if (bucket === undefined) return false
    const index = bucket.findIndex(([k]) => Equal.equals(k, key))
    if (index >= 0) bucket.splice(index, 1)
    if (bucket.length === 0) this.buckets.delete(h)
    return index >= 0
  }
  *entries(): IterableIterator<[unknown, A]> {
    yield* this.primitives.entries()
    for (const bucket of this.buckets.values()) for (const pair of bucket) yield pair
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
