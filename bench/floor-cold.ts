/**
 * `effect_floor_cold_ping_pong`: the effect-floor ping-pong of `ping-pong.ts` in a program that
 * has done nothing else with Effect (no `warmEffect`, see `floor.ts`): Effect's hottest sites
 * stay monomorphic, which no application's are. Recorded so that every run shows how much of
 * the gap between a library on Effect and a two-function program is V8's inline caches.
 */
import { floorPingPong } from "./floor.js"
import { runCase } from "./common.js"

runCase({
  benchmark: "effect_floor_cold_ping_pong",
  unit: "rt/s",
  size: { full: 1_000_000, quick: 50_000 },
  reps: { full: 3, quick: 1 },
  systems: {
    "effect-floor": (n) => floorPingPong(n, { cold: true })
  }
})
