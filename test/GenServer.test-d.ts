/**
 * Type-level tests of GenServer's typed protocol: the request fixes the reply and error types;
 * an undeclared request, a missing handler, a wrong payload or a reply of the wrong type does not
 * compile.
 */
import { Effect, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { describe, expectTypeOf, it } from "vitest"
import type { Errors, Node, Pid, Sys } from "../index.js"
import { ExitReason, Gen, GenServer, Process } from "../index.js"

class KeyNotFound extends Schema.TaggedError<KeyNotFound>()("KeyNotFound", { key: Schema.String }) {}

const Get = Rpc.make("Get", { success: Schema.Number })
const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })
const Fetch = Rpc.make("Fetch", { payload: { key: Schema.String }, success: Schema.String, error: KeyNotFound })
const Reset = Rpc.make("Reset")
const Rename = Rpc.make("Rename", { payload: { name: Schema.String } })
const Other = Rpc.make("Other", { success: Schema.Boolean })
const OtherCast = Rpc.make("OtherCast")

interface State {
  readonly count: number
  readonly table: ReadonlyMap<string, string>
}

const Store = GenServer.make({
  name: "Store",
  calls: [Get, Add, Fetch],
  casts: [Reset, Rename],
  init: (start: number) => GenServer.ok<State>({ count: start, table: new Map() }),
  handleCall: {
    Get: (_, state) => GenServer.reply(state.count, state),
    Add: ({ by }, state) => GenServer.reply(state.count + by, { ...state, count: state.count + by }),
    Fetch: ({ key }, state) => {
      const value = state.table.get(key)
      return value === undefined ? GenServer.replyFailure(new KeyNotFound({ key }), state) : GenServer.reply(value, state)
    }
  },
  handleCast: {
    Reset: (_, state) => GenServer.noreply({ ...state, count: 0 }),
    Rename: (_, state) => GenServer.noreply(state)
  }
})

declare const store: GenServer.Server<typeof Store>
declare const registry: Gen.ViaRegistry<string>
declare const sys: typeof Sys

type Failures = Errors.CallError | Errors.UnknownRequest

describe("GenServer types: the protocol", () => {
  it("call returns the request's declared reply type and error types", () => {
    expectTypeOf(GenServer.call(store, Get)).toEqualTypeOf<Effect.Effect<number, Failures>>()
    expectTypeOf(GenServer.call(store, Add, { by: 1 })).toEqualTypeOf<Effect.Effect<number, Failures>>()
    expectTypeOf(GenServer.call(store, Fetch, { key: "k" })).toEqualTypeOf<
      Effect.Effect<string, KeyNotFound | Failures>
    >()
  })

  it("call takes an optional timeout after the payload; a timeout but infinity may be a BadArgument", () => {
    expectTypeOf(GenServer.call(store, Add, { by: 1 }, { timeout: "1 second" })).toEqualTypeOf<
      Effect.Effect<number, Failures | Errors.BadArgument>
    >()
    expectTypeOf(GenServer.call(store, Get, undefined, { timeout: "infinity" })).toEqualTypeOf<
      Effect.Effect<number, Failures>
    >()
  })

  it("cast returns Effect<void> that never fails", () => {
    expectTypeOf(GenServer.cast(store, Reset)).toEqualTypeOf<Effect.Effect<void>>()
    expectTypeOf(GenServer.cast(store, Rename, { name: "x" })).toEqualTypeOf<Effect.Effect<void>>()
  })

  it("a request the module does not declare is a compile error", () => {
    // @ts-expect-error: Other is not one of Store's calls
    GenServer.call(store, Other)
    // @ts-expect-error: OtherCast is not one of Store's casts
    GenServer.cast(store, OtherCast)
  })

  it("a cast is not a call, and a call is not a cast", () => {
    // @ts-expect-error: Reset is a cast
    GenServer.call(store, Reset)
    // @ts-expect-error: Get is a call
    GenServer.cast(store, Get)
  })

  it("the payload is checked against the Rpc's Schema", () => {
    // @ts-expect-error: Add needs its payload
    GenServer.call(store, Add)
    // @ts-expect-error: by must be a number
    GenServer.call(store, Add, { by: "1" })
    // @ts-expect-error: Fetch's payload has no field by
    GenServer.call(store, Fetch, { by: 1 })
    // @ts-expect-error: Rename needs a name
    GenServer.cast(store, Rename, {})
  })

  it("a reference by name or via name has the module's protocol", () => {
    const byName = GenServer.ref(Store, "store")
    expectTypeOf(byName).toEqualTypeOf<GenServer.Server<typeof Store>>()
    expectTypeOf(GenServer.call(byName, Get)).toEqualTypeOf<Effect.Effect<number, Failures>>()
    const byVia = GenServer.ref(Store, Gen.via(registry, "store"))
    expectTypeOf(GenServer.call(byVia, Fetch, { key: "k" })).toEqualTypeOf<
      Effect.Effect<string, KeyNotFound | Failures>
    >()
    // @ts-expect-error: Other is not in the protocol, whatever the reference
    GenServer.call(byVia, Other)
  })
})

describe("GenServer types: start", () => {
  it("start takes the init argument type and returns a typed server", () => {
    expectTypeOf(GenServer.start(Store, 1)).toEqualTypeOf<
      Effect.Effect<GenServer.Server<typeof Store>, Gen.StartError, Node.Node>
    >()
    expectTypeOf(GenServer.startLink(Store, 1, { name: "store" })).toEqualTypeOf<
      Effect.Effect<GenServer.Server<typeof Store>, Gen.StartError, Node.Node | Process.CurrentProcess>
    >()
    // @ts-expect-error: init takes a number
    GenServer.start(Store, "one")
  })

  it("Sys.getStatus returns a status", () => {
    expectTypeOf(sys.getStatus("store")).toEqualTypeOf<Effect.Effect<{
      readonly pid: Pid.Pid
      readonly module: string
      readonly version: string
      readonly status: "running" | "suspended"
      readonly state: unknown
      readonly trace: boolean
    }, Errors.CallError>>()
  })
})

describe("GenServer types: callbacks", () => {
  it("handlers get the Rpc's payload type, the state and the reply handle", () => {
    GenServer.make({
      name: "Typed",
      calls: [Add, Fetch],
      init: () => GenServer.ok(0),
      handleCall: {
        Add: (payload, state, from) => {
          expectTypeOf(payload).toEqualTypeOf<{ readonly by: number }>()
          expectTypeOf(state).toEqualTypeOf<number>()
          expectTypeOf(from).toEqualTypeOf<Gen.From>()
          return GenServer.reply(state + payload.by, state)
        },
        Fetch: ({ key }, state) => GenServer.reply(key, state)
      }
    })
  })

  it("a handler replying with the wrong type is a compile error", () => {
    GenServer.make({
      name: "WrongReply",
      calls: [Get],
      init: () => GenServer.ok(0),
      handleCall: {
        // @ts-expect-error: Get replies with a number
        Get: (_, state) => GenServer.reply("zero", state)
      }
    })
  })

  it("a handler failing with an error the Rpc does not declare is a compile error", () => {
    GenServer.make({
      name: "WrongError",
      calls: [Fetch],
      init: () => GenServer.ok(0),
      handleCall: {
        // @ts-expect-error: Fetch declares KeyNotFound, not string
        Fetch: (_, state) => GenServer.replyFailure("missing", state)
      }
    })
  })

  it("a handler returning an Effect of the wrong reply type is a compile error", () => {
    GenServer.make({
      name: "WrongEffectReply",
      calls: [Get],
      init: () => GenServer.ok(0),
      handleCall: {
        // @ts-expect-error: Get replies with a number
        Get: (_, state) => Effect.succeed(GenServer.reply(true, state))
      }
    })
  })

  it("a handler returning another state type is a compile error", () => {
    GenServer.make({
      name: "WrongState",
      calls: [Get],
      casts: [Reset],
      init: () => GenServer.ok(0),
      handleCall: {
        Get: (_, state) => GenServer.reply(state, state)
      },
      handleCast: {
        // @ts-expect-error: the state is a number
        Reset: () => GenServer.noreply("zero")
      }
    })
  })

  it("a missing handler is a compile error", () => {
    GenServer.make({
      name: "Missing",
      calls: [Get, Add],
      init: () => GenServer.ok(0),
      // @ts-expect-error: Add has no handler
      handleCall: {
        Get: (_, state) => GenServer.reply(state, state)
      }
    })
  })

  it("a handler for an undeclared request is a compile error", () => {
    GenServer.make({
      name: "Extra",
      calls: [Get],
      init: () => GenServer.ok(0),
      handleCall: {
        Get: (_, state) => GenServer.reply(state, state),
        // @ts-expect-error: Other is not declared
        Other: (_: unknown, state: number) => GenServer.reply(true, state)
      }
    })
  })

  it("init may return ok, ignore or stop, directly or as an Effect", () => {
    expectTypeOf(GenServer.ok(1)).toEqualTypeOf<GenServer.InitResult<number>>()
    expectTypeOf(GenServer.ignore).toEqualTypeOf<GenServer.InitResult<never>>()
    const Starter = GenServer.make({
      name: "Starter",
      init: (mode: "ok" | "ignore" | "stop") =>
        Effect.succeed(
          mode === "ok"
            ? GenServer.ok("state")
            : mode === "ignore"
            ? GenServer.ignore
            : GenServer.stopWith(ExitReason.shutdown("no"))
        )
    })
    expectTypeOf(GenServer.start(Starter, "ok")).toEqualTypeOf<
      Effect.Effect<GenServer.Server<typeof Starter>, Gen.StartError, Node.Node>
    >()
    // @ts-expect-error: init must return an init result
    GenServer.make({ name: "BadInit", init: () => GenServer.reply(1, 1) })
  })

  it("the services a handler needs are inferred, from calls-only and casts-only modules too", () => {
    const Ping = Rpc.make("Ping", { success: Schema.String })
    const CallsOnly = GenServer.make({
      name: "CallsOnly",
      calls: [Ping],
      init: (n: number) => GenServer.ok(n),
      handleCall: {
        Ping: (_, n) =>
          Effect.gen(function*() {
            yield* Process.spawn(Effect.void)
            return GenServer.reply("pong", n)
          })
      }
    })
    const CastsOnly = GenServer.make({
      name: "CastsOnly",
      casts: [Reset],
      init: (n: number) => GenServer.ok(n),
      handleCast: {
        Reset: (_, n) => Effect.map(Process.self, () => GenServer.noreply(n))
      }
    })
    expectTypeOf(GenServer.start(CallsOnly, 1)).toEqualTypeOf<
      Effect.Effect<GenServer.Server<typeof CallsOnly>, Gen.StartError, Node.Node>
    >()
    expectTypeOf(CastsOnly).toExtend<GenServer.Module<number, number, never, typeof Reset, Process.CurrentProcess>>()
  })
})
