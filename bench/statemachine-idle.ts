/**
 * `statemachine_idle_bytes`: heap bytes per idle started state machine (the three-state machine
 * of `steps.ts`, in its first state, waiting for an event), measured as `idle_process_bytes` is:
 * the heap after full GCs before and after starting `n` machines (kept alive), the difference
 * divided by `n`; the array that holds the handles is allocated before the first measurement.
 *
 * - effect-otp: `StateMachine.start(Steps, 0)` from a client process, one by one (each start
 *   returns once the machine's `init` ran).
 * - xstate: `createActor(xSteps, { input: 0 }).start()`.
 * - erlang: `gen_statem:start(bench_statem, 0, [])`; `erlang:memory(total)` before and after,
 *   less the list of pids the driver holds (bench/erlang/bench.erl).
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Process, StateMachine } from "../index.js"
import { type Actor, createActor } from "xstate"
import { check, heapAfterGc, runCase, runOnNode } from "./common.js"
import { Steps, xSteps } from "./steps.js"

runCase({
  benchmark: "statemachine_idle_bytes",
  unit: "B",
  size: { full: 100_000, quick: 10_000 },
  reps: { full: 1, quick: 1 },
  systems: {
    "effect-otp": (n) =>
      runOnNode(Process.run(Effect.gen(function*() {
        const machines = new Array<StateMachine.Server<typeof Steps> | undefined>(n).fill(undefined)
        const before = heapAfterGc()
        for (let i = 0; i < n; i++) machines[i] = yield* StateMachine.start(Steps, 0)
        yield* Effect.yieldNow
        const after = heapAfterGc()
        const last = yield* Process.info(machines[n - 1]!.pid!)
        check("last machine waiting", Option.getOrUndefined(last)?.status, "waiting")
        return (after - before) / n
      }))),

    xstate: async (n) => {
      const actors = new Array<Actor<typeof xSteps> | undefined>(n).fill(undefined)
      const before = heapAfterGc()
      for (let i = 0; i < n; i++) actors[i] = createActor(xSteps, { input: 0 }).start()
      const after = heapAfterGc()
      check("last actor waiting", actors[n - 1]!.getSnapshot().status, "active")
      for (let i = 0; i < n; i++) actors[i]!.stop()
      return (after - before) / n
    }
  }
})
