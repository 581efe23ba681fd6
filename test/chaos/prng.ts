/**
 * A small seeded PRNG (mulberry32) for the chaos schedule and the clients: the same seed gives
 * the same kills, targets and call mix, so a failing run can be replayed with its seed.
 */
export interface Prng {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [0, n). */
  int(n: number): number
  /** True with probability `p`. */
  chance(p: number): boolean
  /** One element of a non-empty array. */
  pick<A>(items: ReadonlyArray<A>): A
}

export const make = (seed: number): Prng => {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => items[int(items.length)]!
  }
}

/** A seed derived from `seed` for the `index`-th independent stream (each client has its own). */
export const derive = (seed: number, index: number): number => (Math.imul(seed ^ 0x9e3779b9, index + 1) + index) >>> 0
