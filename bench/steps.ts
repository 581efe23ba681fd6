/**
 * The three-state machine of the StateMachine benchmarks (`statemachine-events.ts`,
 * `statemachine-idle.ts`): states `a -> b -> c -> a`, each `Step` event moves to the next state
 * and counts; `Get` answers the count, in any state. One per system, each written as its
 * library's docs write a state machine (erlang: `bench/erlang/bench_statem.erl`).
 */
import * as Schema from "effect/Schema"
import { Rpc } from "effect/rpc"
import { assign, setup } from "xstate"
import { StateMachine } from "../index.js"

/** Cast: move to the next state, count one. */
export const Step = Rpc.make("Step")
/** Call: the count. */
export const Get = Rpc.make("Get", { success: Schema.Number })

/** The machine's states. */
export type StepState = "a" | "b" | "c"

/** The state after `n` steps from `a`. */
export const stateAfter = (n: number): StepState => (["a", "b", "c"] as const)[n % 3]!

/**
 * effect-otp: the machine in state functions mode, one handler table per state (the states are
 * the keys of `states`), the count as its data.
 */
export const Steps = StateMachine.make({
  name: "BenchSteps",
  calls: [Get],
  casts: [Step],
  init: (start: number) => StateMachine.ok("a", start),
  states: {
    a: {
      casts: { Step: (_, count) => StateMachine.nextState("b", count + 1) },
      calls: { Get: (_, count, from) => StateMachine.keepStateAndData(StateMachine.reply(from, count)) }
    },
    b: {
      casts: { Step: (_, count) => StateMachine.nextState("c", count + 1) },
      calls: { Get: (_, count, from) => StateMachine.keepStateAndData(StateMachine.reply(from, count)) }
    },
    c: {
      casts: { Step: (_, count) => StateMachine.nextState("a", count + 1) },
      calls: { Get: (_, count, from) => StateMachine.keepStateAndData(StateMachine.reply(from, count)) }
    }
  }
})

/**
 * xstate: the machine (`setup(...).createMachine`), a `STEP` transition out of each state with
 * the count in the context, updated with `assign`.
 */
export const xSteps = setup({
  types: {
    context: {} as { count: number },
    events: {} as { readonly type: "STEP" },
    input: {} as number
  },
  actions: { count: assign({ count: ({ context }) => context.count + 1 }) }
}).createMachine({
  id: "steps",
  context: ({ input }) => ({ count: input }),
  initial: "a",
  states: {
    a: { on: { STEP: { target: "b", actions: "count" } } },
    b: { on: { STEP: { target: "c", actions: "count" } } },
    c: { on: { STEP: { target: "a", actions: "count" } } }
  }
})
