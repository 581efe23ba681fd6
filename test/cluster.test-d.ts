/**
 * Type-level tests of cluster references: the same typed protocol as a local server, plus the
 * transport's typed errors; the entity options follow the module's init and state types.
 */
import { Effect, Option, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { describe, expectTypeOf, it } from "vitest"
import { Cluster } from "../cluster/index.js"
import type { Errors } from "../index.js"
import { GenServer } from "../index.js"

class KeyNotFound extends Schema.TaggedError<KeyNotFound>()("KeyNotFound", { key: Schema.String }) {}

const Fetch = Rpc.make("Fetch", { payload: { key: Schema.String }, success: Schema.String, error: KeyNotFound })
const Put = Rpc.make("Put", { payload: { key: Schema.String, value: Schema.String } })

const Store = GenServer.make({
  name: "Store",
  calls: [Fetch],
  casts: [Put],
  init: (_id: string) => GenServer.ok(new Map<string, string>()),
  handleCall: {
    Fetch: ({ key }, table) => {
      const value = table.get(key)
      return value === undefined ? GenServer.replyFailure(new KeyNotFound({ key }), table) : GenServer.reply(value, table)
    }
  },
  handleCast: { Put: ({ key, value }, table) => GenServer.noreply(new Map(table).set(key, value)) }
})

const Counter = GenServer.make({
  name: "Counter",
  calls: [],
  init: (start: number) => GenServer.ok(start)
})

describe("Cluster references", () => {
  it("calls fail with the protocol's errors, CallError, and the transport's typed errors", () => {
    const Stores = Cluster.entity(Store)
    const program = Effect.gen(function*() {
      const store = yield* Cluster.ref(Stores, "s")
      expectTypeOf(store).toEqualTypeOf<GenServer.Server<typeof Store, Cluster.RemoteError>>()
      const value = GenServer.call(store, Fetch, { key: "k" })
      expectTypeOf(value).toEqualTypeOf<
        Effect.Effect<
          string,
          KeyNotFound | Errors.CallError | Errors.UnknownRequest | Cluster.MalformedMessage | Cluster.ClusterFailure
        >
      >()
      expectTypeOf(GenServer.cast(store, Put, { key: "k", value: "v" })).toEqualTypeOf<Effect.Effect<void>>()
    })
    void program
  })

  it("a local server's calls do not carry the transport's errors", () => {
    const program = Effect.gen(function*() {
      const store = yield* GenServer.start(Store, "local")
      expectTypeOf(GenServer.call(store, Fetch, { key: "k" })).toEqualTypeOf<
        Effect.Effect<string, KeyNotFound | Errors.CallError | Errors.UnknownRequest>
      >()
    })
    void program
  })

  it("args is optional when init takes the id, required otherwise, and sees the durable state", () => {
    Cluster.entity(Store)
    // @ts-expect-error: Counter's init takes a number: args must say how an id becomes one
    Cluster.entity(Counter)
    Cluster.entity(Counter, { args: (id) => id.length })
    const Durable = Cluster.entity(Counter, {
      args: (_id, restored) => {
        expectTypeOf(restored).toEqualTypeOf<Option.Option<number>>()
        return Option.getOrElse(restored, () => 0)
      },
      durable: { schema: Schema.Number }
    })
    expectTypeOf(Durable).toEqualTypeOf<Cluster.Entity<typeof Counter, Cluster.StateStorage>>()
    // @ts-expect-error: the durable schema must encode the server's state type
    Cluster.entity(Counter, { args: () => 0, durable: { schema: Schema.String } })
  })
})
