/**
 * Type-level tests of asynchronous requests and of Agent: a request id carries its request's
 * reply and errors; a collection's response is a union of labelled results, each typed by its
 * own request; the caller must be a process; an agent's functions are typed by its state.
 */
import type { Exit } from "effect"
import { Effect, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { describe, expectTypeOf, it } from "vitest"
import type { Errors, Process } from "../index.js"
import { Agent, Gen, GenServer, StateMachine } from "../index.js"

class Missing extends Schema.TaggedError<Missing>()("Missing", { key: Schema.String }) {}

const Count = Rpc.make("Count", { success: Schema.Number })
const Fetch = Rpc.make("Fetch", { payload: { key: Schema.String }, success: Schema.String, error: Missing })
const Other = Rpc.make("Other", { success: Schema.Boolean })

declare const store: GenServer.Server<GenServer.Module<void, unknown, typeof Count | typeof Fetch, never, never>>

type Protocol = Errors.NoProc | Errors.CallExit | Errors.MailboxFull | Errors.UnknownRequest

declare const id: Gen.RequestId<string, Missing | Protocol>
declare const count: Gen.RequestId<number, Protocol>
declare const fetch: Gen.RequestId<string, Missing | Protocol>
declare const machine: StateMachine.Server<StateMachine.Module<void, "idle", number, typeof Count, never, never>>
declare const scores: Agent.Agent<Map<string, number>>

describe("GenServer.sendRequest", () => {
  it("a request id carries the reply and errors of its request, and needs a process", () => {
    const count = GenServer.sendRequest(store, Count)
    expectTypeOf(count).toEqualTypeOf<Effect.Effect<Gen.RequestId<number, Protocol>, never, Process.CurrentProcess>>()
    const fetch = GenServer.sendRequest(store, Fetch, { key: "a" })
    expectTypeOf(fetch).toEqualTypeOf<Effect.Effect<Gen.RequestId<string, Missing | Protocol>, never, Process.CurrentProcess>>()
    // @ts-expect-error: not a request of the server's protocol
    GenServer.sendRequest(store, Other)
    // @ts-expect-error: the payload is required
    GenServer.sendRequest(store, Fetch)
  })

  it("waitResponse: the reply; the timeout adds CallTimeout and BadArgument, \"infinity\" none", () => {
    expectTypeOf(GenServer.waitResponse(id)).toEqualTypeOf<Effect.Effect<string, Missing | Protocol, Process.CurrentProcess>>()
    expectTypeOf(GenServer.waitResponse(id, "infinity")).toEqualTypeOf<
      Effect.Effect<string, Missing | Protocol, Process.CurrentProcess>
    >()
    expectTypeOf(GenServer.receiveResponse(id, "1 second")).toEqualTypeOf<
      Effect.Effect<string, Missing | Protocol | Errors.CallTimeout | Errors.BadArgument, Process.CurrentProcess>
    >()
    expectTypeOf(Gen.checkResponse("message", id)).toEqualTypeOf<
      Effect.Effect<import("effect").Option.Option<Exit.Exit<string, Missing | Protocol>>, never, Process.CurrentProcess>
    >()
  })

  it("a collection's response is a union of labelled results, narrowed by label", () => {
    const ids = Gen.requestIds().pipe(Gen.addRequestId(count, "count"), Gen.addRequestId(fetch, "fetch"))
    expectTypeOf(ids).toEqualTypeOf<
      Gen.RequestIds<Gen.RequestIds.Entry<"count", number, Protocol> | Gen.RequestIds.Entry<"fetch", string, Missing | Protocol>>
    >()
    const program = Effect.gen(function*() {
      const response = yield* Gen.waitResponse(ids, "1 second")
      if (response.label === "count") expectTypeOf(response.result).toEqualTypeOf<Exit.Exit<number, Protocol>>()
      else expectTypeOf(response.result).toEqualTypeOf<Exit.Exit<string, Missing | Protocol>>()
      expectTypeOf(response.rest).toEqualTypeOf(ids)
    })
    expectTypeOf(program).toEqualTypeOf<
      Effect.Effect<void, Errors.NoRequest | Errors.CallTimeout | Errors.BadArgument, Process.CurrentProcess>
    >()
    const dataFirst = Gen.addRequestId(Gen.requestIds(), count, 1)
    expectTypeOf(dataFirst).toEqualTypeOf<Gen.RequestIds<Gen.RequestIds.Entry<1, number, Protocol>>>()
  })

  it("multiCall: one Exit per server; BadArgument only with a timeout", () => {
    expectTypeOf(GenServer.multiCall([store, store], Count)).toEqualTypeOf<
      Effect.Effect<ReadonlyArray<Exit.Exit<number, Errors.CallError | Errors.UnknownRequest>>>
    >()
    expectTypeOf(GenServer.multiCall([store], Fetch, { key: "k" }, { timeout: "1 second" })).toEqualTypeOf<
      Effect.Effect<ReadonlyArray<Exit.Exit<string, Missing | Errors.CallError | Errors.UnknownRequest>>, Errors.BadArgument>
    >()
  })

  it("StateMachine.sendRequest is typed by the machine's protocol", () => {
    expectTypeOf(StateMachine.sendRequest(machine, Count)).toEqualTypeOf<
      Effect.Effect<Gen.RequestId<number, Protocol>, never, Process.CurrentProcess>
    >()
  })
})

describe("Agent", () => {
  it("the state type comes from init; get's result is the function's", () => {
    const started = Agent.start(() => new Map<string, number>())
    expectTypeOf(started).toEqualTypeOf<
      Effect.Effect<Agent.Agent<Map<string, number>>, Gen.StartError, import("../index.js").Node.Node>
    >()
    expectTypeOf(Agent.get(scores, (m) => m.get("a"))).toEqualTypeOf<
      Effect.Effect<number | undefined, Errors.CallError | Errors.BadArgument>
    >()
    expectTypeOf(Agent.getAndUpdate(scores, (m) => [m.size, new Map()] as const)).toEqualTypeOf<
      Effect.Effect<number, Errors.CallError | Errors.BadArgument>
    >()
    // @ts-expect-error: update must return the state's type
    Agent.update(scores, () => 3)
    // @ts-expect-error: cast must return the state's type
    Agent.cast(scores, (m) => m.size)
    // @ts-expect-error: an agent of another state type
    Agent.get(Agent.ref<string>("x") as Agent.Agent<number>, (n) => n)
  })
})
