/**
 * `agent_update_per_second`: one client makes `n` sequential `Agent.update` calls, each adding
 * one to a counter held by an agent; updates per second. The final count is read and checked.
 *
 * - effect-otp: `yield* Agent.update(counter, increment)` (default 5 s timeout) from a
 *   process, on an agent started with `Agent.start(() => 0)`: a GenServer whose requests carry
 *   the function, as Elixir's `Agent` on `GenServer`.
 * - erlang: a plain process holding the state in its receive loop; each update is a message
 *   carrying the function, the caller and a fresh reference, answered with `{Ref, ok}` once the
 *   function ran (Elixir's `Agent.update` without gen_server's monitor; bench/erlang/bench.erl).
 */
import * as Effect from "effect/Effect"
import { Agent, Process } from "../index.js"
import { check, perSecond, runCase, runOnNode } from "./common.js"

const increment = (count: number): number => count + 1

runCase({
  benchmark: "agent_update_per_second",
  unit: "updates/s",
  size: { full: 200_000, quick: 20_000 },
  ops: (n) => n,
  reps: { full: 3, quick: 1 },
  systems: {
    "effect-otp": (n) =>
      runOnNode(Process.run(Effect.gen(function*() {
        const counter = yield* Agent.start(() => 0)
        const t0 = performance.now()
        for (let i = 0; i < n; i++) yield* Agent.update(counter, increment)
        const ms = performance.now() - t0
        check("count", yield* Agent.get(counter, (count) => count), n)
        yield* Agent.stop(counter)
        return perSecond(n, ms)
      })))
  }
})
