/**
 * A key-value store GenServer: typed failures (`replyFailure`), deferred replies (`noreply` +
 * `replyTo`), an idle timeout that reports, and a `terminate` that flushes. `test/examples.test.ts`
 * runs it.
 *
 * Run it with `npx tsx examples/kv-store.ts`.
 */
import { Console, Effect, Fiber, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { Gen, GenServer, Node, Process } from "../index.js"

export class KeyNotFound extends Schema.TaggedError<KeyNotFound>()("KeyNotFound", { key: Schema.String }) {}

export const Put = Rpc.make("Put", { payload: { key: Schema.String, value: Schema.String } })
export const Fetch = Rpc.make("Fetch", { payload: { key: Schema.String }, success: Schema.String, error: KeyNotFound })
/** Waits until `key` exists, then answers with its value. */
export const Await = Rpc.make("Await", { payload: { key: Schema.String }, success: Schema.String })
export const Delete = Rpc.make("Delete", { payload: { key: Schema.String } })

interface State {
  readonly table: ReadonlyMap<string, string>
  /** Callers of `Await`, by key: answered by a later `Put`. */
  readonly waiting: ReadonlyMap<string, ReadonlyArray<Gen.From>>
}

export const KV = GenServer.make({
  name: "KV",
  calls: [Put, Fetch, Await],
  casts: [Delete],
  init: (initial: ReadonlyArray<readonly [string, string]>) =>
    GenServer.ok<State>({ table: new Map(initial), waiting: new Map() }, { timeout: "10 seconds" }),
  handleCall: {
    Put: ({ key, value }, state) =>
      Effect.gen(function*() {
        for (const from of state.waiting.get(key) ?? []) yield* GenServer.replyTo(from, value)
        const waiting = new Map(state.waiting)
        waiting.delete(key)
        return GenServer.reply(undefined, { table: new Map(state.table).set(key, value), waiting })
      }),
    Fetch: ({ key }, state) => {
      const value = state.table.get(key)
      return value === undefined
        ? GenServer.replyFailure(new KeyNotFound({ key }), state)
        : GenServer.reply(value, state)
    },
    Await: ({ key }, state, from) => {
      const value = state.table.get(key)
      if (value !== undefined) return GenServer.reply(value, state)
      const waiting = new Map(state.waiting).set(key, [...(state.waiting.get(key) ?? []), from])
      return GenServer.noreply({ ...state, waiting })
    }
  },
  handleCast: {
    Delete: ({ key }, state) => {
      const table = new Map(state.table)
      table.delete(key)
      return GenServer.noreply({ ...state, table })
    }
  },
  handleInfo: (message, state) =>
    message === GenServer.timeout
      ? Effect.as(Console.log(`kv idle, ${state.table.size} keys`), GenServer.noreply(state))
      : GenServer.noreply(state),
  terminate: (reason, state) => Console.log(`kv terminating (${reason._tag}) with ${state.table.size} keys`),
  formatStatus: (state) => ({ keys: state.table.size })
})

export const main = Effect.gen(function*() {
  const kv = yield* GenServer.start(KV, [["lang", "erlang"]])
  yield* Console.log(`fetch lang -> ${yield* GenServer.call(kv, Fetch, { key: "lang" })}`)
  const missing = yield* Effect.flip(GenServer.call(kv, Fetch, { key: "nope" }))
  yield* Console.log(`fetch nope -> ${missing._tag}`)
  // A caller waiting for a key that another process puts later:
  const waiter = yield* Effect.forkChild(GenServer.call(kv, Await, { key: "runtime" }))
  yield* Process.run(GenServer.call(kv, Put, { key: "runtime", value: "effect" }))
  yield* Console.log(`await runtime -> ${yield* Fiber.join(waiter)}`)
  yield* GenServer.cast(kv, Delete, { key: "lang" })
  yield* GenServer.stop(kv)
})

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main.pipe(Effect.provide(Node.layer())))
}
