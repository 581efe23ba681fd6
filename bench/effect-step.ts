/**
 * `effect_step_floor`: Effect steps per second: one fiber runs `n` steps of
 * `sum += yield* Effect.sync(() => i)` in an `Effect.gen` loop (the sum is checked). A lazy
 * effect, as a send or a receive is: an `Exit` (`Effect.succeed(i)`) is taken by the
 * generator's driver without a step of the run loop, so it would measure less than a step.
 *
 * This is the least one Effect step costs: a receive loop that takes each message with a
 * `yield*` (`send_throughput`, `genserver_cast_throughput` of effect-otp and effect-queue)
 * cannot beat it, whatever its mailbox does. Only raw Effect is measured (system
 * effect-queue): a process is a fiber, so effect-otp would show the same figure, and plain JS
 * has no Effect step.
 */
import * as Effect from "effect/Effect"
import { check, perSecond, runCase } from "./common.js"

runCase({
  benchmark: "effect_step_floor",
  unit: "steps/s",
  size: { full: 10_000_000, quick: 1_000_000 },
  reps: { full: 3, quick: 1 },
  systems: {
    "effect-queue": (n) =>
      Effect.runPromise(Effect.gen(function*() {
        let sum = 0
        const t0 = performance.now()
        for (let i = 0; i < n; i++) sum += yield* Effect.sync(() => i)
        const ms = performance.now() - t0
        check("sum", sum, (n * (n - 1)) / 2)
        return perSecond(n, ms)
      }))
  }
})
