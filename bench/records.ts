/**
 * What a benchmark child reports, and the systems compared. Shared by the runner and the case
 * files; imports nothing, so the runner does not load the library it measures.
 */

/** One measured figure: a line of `bench/results/latest.json`. */
export interface BenchRecord {
  readonly benchmark: string
  readonly system: string
  readonly value: number
  readonly unit: string
}

/** The systems compared: ours first, then the baselines. */
export const systems = ["effect-otp", "effect-queue", "plain-js"] as const

/** A system's name. */
export type System = (typeof systems)[number]
