/**
 * Type-level tests of effect-otp/xstate: the module is a StateMachine module typed from the
 * machine (input, state value, context) and its Rpcs; a call returns its Rpc's reply. A
 * missing reply function, a reply of the wrong type, a request that is none of the machine's
 * events, or a payload that is no object does not compile.
 */
import { Schema } from "effect"
import { Rpc } from "effect/rpc"
import { describe, expectTypeOf, it } from "vitest"
import { createMachine, setup } from "xstate"
import type { Errors } from "../index.js"
import { StateMachine } from "../index.js"
import { XState } from "../xstate/index.js"

class Refused extends Schema.TaggedError<Refused>()("Refused", {}) {}

const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number, error: Refused })
const Get = Rpc.make("Get", { success: Schema.Number })
const Reset = Rpc.make("Reset")
const Other = Rpc.make("Other", { success: Schema.Number })
const Numeric = Rpc.make("Add", { payload: Schema.Number, success: Schema.Number })
const Typed = Rpc.make("Add", { payload: { by: Schema.Number, type: Schema.String } })

const machine = setup({
  types: {
    context: {} as { count: number },
    events: {} as { type: "Add"; by: number } | { type: "Get" } | { type: "Reset" },
    input: {} as { start: number }
  }
}).createMachine({
  context: ({ input }) => ({ count: input.start }),
  initial: "idle",
  states: { idle: {}, busy: {} }
})

const Counter = XState.make({
  name: "Counter",
  machine,
  calls: [Add, Get],
  casts: [Reset],
  replies: {
    Add: (snapshot, payload, previous) => {
      expectTypeOf(payload).toEqualTypeOf<{ readonly by: number }>()
      expectTypeOf(snapshot.context).toEqualTypeOf<{ count: number }>()
      return previous.can({ type: "Add", ...payload }) ? snapshot.context.count : XState.failure(new Refused())
    },
    Get: (snapshot) => snapshot.context.count
  }
})

declare const counter: StateMachine.Server<typeof Counter>

describe("XState types: the module", () => {
  it("input, state and data come from the machine", () => {
    expectTypeOf<StateMachine.Module.Args<typeof Counter>>().toEqualTypeOf<{ start: number }>()
    expectTypeOf<StateMachine.Module.State<typeof Counter>>().toEqualTypeOf<"idle" | "busy">()
    expectTypeOf<StateMachine.Module.Data<typeof Counter>>().toEqualTypeOf<{ count: number }>()
  })

  it("call returns the Rpc's reply and errors; cast returns Effect<void>", () => {
    expectTypeOf(StateMachine.call(counter, Add, { by: 1 })).toEqualTypeOf<
      import("effect").Effect.Effect<number, Refused | Errors.CallError | Errors.UnknownRequest>
    >()
    expectTypeOf(StateMachine.cast(counter, Reset)).toEqualTypeOf<import("effect").Effect.Effect<void>>()
    // @ts-expect-error: Other is not one of Counter's calls
    StateMachine.call(counter, Other)
    // @ts-expect-error: the input is { start: number }
    StateMachine.start(Counter, 1)
  })
})

describe("XState types: definitions", () => {
  it("calls need their reply functions, of the Rpc's reply type", () => {
    // @ts-expect-error: no replies for the calls
    XState.make({ name: "NoReplies", machine, calls: [Get] })
    XState.make({
      name: "WrongReply",
      machine,
      calls: [Get],
      // @ts-expect-error: Get replies a number
      replies: { Get: () => "many" }
    })
    XState.make({
      name: "WrongError",
      machine,
      calls: [Get],
      // @ts-expect-error: Get declares no error
      replies: { Get: () => XState.failure(new Refused()) }
    })
  })

  it("every request is an event of the machine, with an object payload", () => {
    // @ts-expect-error: Other is no event of the machine
    XState.make({ name: "NotAnEvent", machine, casts: [Other] })
    // @ts-expect-error: a number payload cannot be the event's fields
    XState.make({ name: "Numeric", machine: createMachine({}), casts: [Numeric] })
    // @ts-expect-error: the payload's own type field would clash with the event's
    XState.make({ name: "Typed", machine: createMachine({}), casts: [Typed] })
    // An untyped machine takes any event.
    XState.make({ name: "Untyped", machine: createMachine({}), casts: [Other, Reset] })
  })
})
