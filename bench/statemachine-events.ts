/**
 * `statemachine_events_per_second`: one client casts `n` `Step` events to the three-state
 * machine of `steps.ts` (`a -> b -> c -> a`, each step a state change and a count), then one
 * call waits until all are handled (and checks the count and the state); events per second over
 * the whole.
 *
 * - effect-otp: the `Steps` StateMachine (state functions mode); the client is a process doing
 *   `yield* StateMachine.cast(machine, Step)`, then `StateMachine.call(machine, Get)`.
 * - xstate: `actor.send({ type: "STEP" })` to the `xSteps` actor in a loop, then the count read
 *   from `actor.getSnapshot()` (xstate handles an event sent to an idle actor on the sender's
 *   stack, so every step is handled when the loop ends; there is nothing to wait for).
 * - erlang: `gen_statem:cast(Machine, step)`, then `gen_statem:call(Machine, get, infinity)`, on
 *   `bench_statem` (state_functions), in bench/erlang/bench.erl.
 */
import * as Effect from "effect/Effect"
import { Process, StateMachine, Sys } from "../index.js"
import { createActor } from "xstate"
import { check, perSecond, runCase, runOnNode } from "./common.js"
import { Get, stateAfter, Step, Steps, xSteps } from "./steps.js"

runCase({
  benchmark: "statemachine_events_per_second",
  unit: "events/s",
  size: { full: 1_000_000, quick: 100_000 },
  ops: (n) => n,
  reps: { full: 3, quick: 1 },
  systems: {
    "effect-otp": (n) =>
      runOnNode(Process.run(Effect.gen(function*() {
        const machine = yield* StateMachine.start(Steps, 0)
        const t0 = performance.now()
        for (let i = 0; i < n; i++) yield* StateMachine.cast(machine, Step)
        const count = yield* StateMachine.call(machine, Get, undefined, { timeout: "infinity" })
        const ms = performance.now() - t0
        check("count", count, n)
        const { state } = (yield* Sys.getState(machine.pid!)) as { readonly state: string }
        check("state after the steps", state, stateAfter(n))
        yield* StateMachine.stop(machine)
        return perSecond(n, ms)
      }))),

    xstate: async (n) => {
      const actor = createActor(xSteps, { input: 0 }).start()
      const t0 = performance.now()
      for (let i = 0; i < n; i++) actor.send({ type: "STEP" })
      const snapshot = actor.getSnapshot()
      const ms = performance.now() - t0
      actor.stop()
      check("count", snapshot.context.count, n)
      check("state after the steps", snapshot.value, stateAfter(n))
      return perSecond(n, ms)
    }
  }
})
