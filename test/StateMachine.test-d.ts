/**
 * Type-level tests of StateMachine: states and data typed separately, the request fixes the
 * reply; a missing state, a transition to an undeclared state, a handler for an undeclared
 * request, a declared request no state handles, or a reply of the wrong type does not compile.
 */
import { Context, Effect, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { describe, expectTypeOf, it } from "vitest"
import type { Errors, Node } from "../index.js"
import { Gen, StateMachine } from "../index.js"

class Jammed extends Schema.TaggedError<Jammed>()("Jammed", {}) {}

const Press = Rpc.make("Press", { payload: { digit: Schema.Number }, success: Schema.String, error: Jammed })
const Status = Rpc.make("Status", { success: Schema.Boolean })
const Kick = Rpc.make("Kick")
const Other = Rpc.make("Other", { success: Schema.Number })

interface Data {
  readonly code: string
}

const Lock = StateMachine.make({
  name: "Lock",
  calls: [Press, Status],
  casts: [Kick],
  init: (code: string) => StateMachine.ok("locked", { code } as Data),
  states: {
    locked: {
      calls: {
        Press: ({ digit }, data, from) => {
          expectTypeOf(digit).toEqualTypeOf<number>()
          expectTypeOf(data).toEqualTypeOf<Data>()
          return StateMachine.nextState("open", data, StateMachine.reply(from, "open"))
        },
        Status: (_, __, from) => StateMachine.keepStateAndData(StateMachine.reply(from, false))
      },
      casts: { Kick: () => StateMachine.keepStateAndData(StateMachine.postpone) }
    },
    open: {
      calls: {
        Press: (_, __, from) => StateMachine.keepStateAndData(StateMachine.replyFailure(from, new Jammed())),
        Status: (_, __, from) => StateMachine.keepStateAndData(StateMachine.reply(from, true))
      },
      stateTimeout: (_, data) => StateMachine.nextState("locked", data)
    }
  }
})

declare const lock: StateMachine.Server<typeof Lock>
type Failures = Errors.CallError | Errors.UnknownRequest

describe("StateMachine types: the module", () => {
  it("states, data and arguments are read from the definition", () => {
    expectTypeOf<StateMachine.Module.State<typeof Lock>>().toEqualTypeOf<"locked" | "open">()
    expectTypeOf<StateMachine.Module.Data<typeof Lock>>().toEqualTypeOf<Data>()
    expectTypeOf<StateMachine.Module.Args<typeof Lock>>().toEqualTypeOf<string>()
  })

  it("call returns the request's reply and errors; cast returns Effect<void>", () => {
    expectTypeOf(StateMachine.call(lock, Press, { digit: 1 })).toEqualTypeOf<Effect.Effect<string, Jammed | Failures>>()
    expectTypeOf(StateMachine.call(lock, Status)).toEqualTypeOf<Effect.Effect<boolean, Failures>>()
    expectTypeOf(StateMachine.cast(lock, Kick)).toEqualTypeOf<Effect.Effect<void>>()
    expectTypeOf(StateMachine.start(Lock, "123")).toEqualTypeOf<
      Effect.Effect<StateMachine.Server<typeof Lock>, Gen.StartError, Node.Node>
    >()
  })

  it("an undeclared request, a wrong payload or wrong start arguments do not compile", () => {
    // @ts-expect-error: Other is not one of Lock's calls
    StateMachine.call(lock, Other)
    // @ts-expect-error: Kick is a cast
    StateMachine.call(lock, Kick)
    // @ts-expect-error: digit must be a number
    StateMachine.call(lock, Press, { digit: "1" })
    // @ts-expect-error: init takes a string
    StateMachine.start(Lock, 123)
  })
})

describe("StateMachine types: definitions", () => {
  it("a transition to an undeclared state does not compile", () => {
    // @ts-expect-error: "of" is not a state (the error names the handler's result)
    StateMachine.make({
      name: "Typo",
      casts: [Kick],
      init: () => StateMachine.ok("on", 0),
      states: {
        on: {
          casts: { Kick: (_, n) => StateMachine.nextState("of", n) }
        }
      }
    })
  })

  it("init must start in a declared state", () => {
    // @ts-expect-error: "off" is not a state
    StateMachine.make({
      name: "Start",
      init: () => StateMachine.ok("off", 0),
      states: { on: {} }
    })
  })

  it("a reply of the wrong type does not compile", () => {
    StateMachine.make({
      name: "Replies",
      calls: [Status],
      init: () => StateMachine.ok("on", 0),
      states: {
        on: {
          calls: {
            // @ts-expect-error: Status replies a boolean
            Status: (_, __, from) => StateMachine.keepStateAndData(StateMachine.reply(from, "yes"))
          }
        }
      }
    })
  })

  it("a declared call no state handles does not compile; nor a handler of an undeclared one", () => {
    // @ts-expect-error: no state handles Status
    StateMachine.make({
      name: "Partial",
      calls: [Press, Status],
      init: () => StateMachine.ok("on", 0),
      states: { on: { calls: { Press: (_, __, from) => StateMachine.keepStateAndData(StateMachine.reply(from, "x")) } } }
    })
    // @ts-expect-error: Press is not declared
    StateMachine.make({
      name: "Extra",
      calls: [Status],
      init: () => StateMachine.ok("on", 0),
      states: {
        on: {
          calls: {
            Status: (_, __, from) => StateMachine.keepStateAndData(StateMachine.reply(from, true)),
            Press: () => StateMachine.keepStateAndData()
          }
        }
      }
    })
  })

  it("handle event function mode: the event is a tagged union typed by the protocol", () => {
    const Ring = StateMachine.make({
      name: "Ring",
      calls: [Status],
      casts: [Kick],
      stateEnter: true,
      init: () => StateMachine.ok({ at: 0 } as { readonly at: number }, "data"),
      handleEvent: (event, state, data) => {
        expectTypeOf(state).toEqualTypeOf<{ readonly at: number }>()
        expectTypeOf(data).toEqualTypeOf<string>()
        switch (event._tag) {
          case "Call":
            expectTypeOf(event.tag).toEqualTypeOf<"Status">()
            return StateMachine.keepStateAndData(StateMachine.reply(event.from, true))
          case "Cast":
            expectTypeOf(event.tag).toEqualTypeOf<"Kick">()
            return StateMachine.nextState({ at: state.at + 1 }, data)
          case "Enter":
            expectTypeOf(event.oldState).toEqualTypeOf<{ readonly at: number }>()
            return StateMachine.keepStateAndData()
          default:
            return StateMachine.keepStateAndData()
        }
      }
    })
    expectTypeOf<StateMachine.Module.State<typeof Ring>>().toEqualTypeOf<{ readonly at: number }>()
  })

  it("services of Effect-returning handlers are the module's", () => {
    class Clock extends Context.Service<Clock, { readonly now: number }>()("test/Clock") {}
    const Timed = StateMachine.make({
      name: "Timed",
      casts: [Kick],
      init: () => StateMachine.ok("on", 0),
      states: { on: { casts: { Kick: (_, n) => Effect.map(Clock, () => StateMachine.keepState(n + 1)) } } }
    })
    expectTypeOf<StateMachine.Module.Services<typeof Timed>>().toEqualTypeOf<Clock>()
  })
})
