/**
 * The bounded run of `test/chaos.test.ts` (part of `npm test`), and the defaults of the soak.
 */
import type { Options } from "./engine.js"

export const ci: Options = {
  seed: 20_241_015,
  shape: {
    workers: 10_000,
    cells: 12,
    topics: 8,
    periodMillis: 5_000,
    intensity: { root: 6, services: 12, cell: 12, pool: 10, dynamic: 60 }
  },
  schedule: {
    roundMillis: 100,
    maxKills: 3,
    subtreeShare: 0.1,
    bigEvery: 25,
    stormEvery: 25,
    maxYields: 24
  },
  rounds: 50,
  clients: 16,
  callTimeout: 1_000,
  settleYields: 64
}
