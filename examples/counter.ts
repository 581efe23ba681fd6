/**
 * A counter GenServer: the smallest complete server, with a typed protocol, a cast, and a
 * supervisor-friendly start. `test/examples.test.ts` runs it.
 *
 * Run it with `npx tsx examples/counter.ts`.
 */
import { Console, Effect, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { GenServer, Node } from "../index.js"

/** The protocol: what callers can ask, and what each request answers. */
export const Get = Rpc.make("Get", { success: Schema.Number })
export const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })
export const Reset = Rpc.make("Reset")

/** The module: business logic only. */
export const Counter = GenServer.make({
  name: "Counter",
  calls: [Get, Add],
  casts: [Reset],
  init: (start: number) => GenServer.ok(start),
  handleCall: {
    Get: (_, count) => GenServer.reply(count, count),
    Add: ({ by }, count) => GenServer.reply(count + by, count + by)
  },
  handleCast: {
    Reset: () => GenServer.noreply(0)
  }
})

export const main = Effect.gen(function*() {
  const counter = yield* GenServer.start(Counter, 10, { name: "counter" })
  yield* Console.log(`started counter at ${counter.pid} with 10`)
  yield* Console.log(`add 5 -> ${yield* GenServer.call(counter, Add, { by: 5 })}`)
  // By name, from anywhere:
  const byName = GenServer.ref(Counter, "counter")
  yield* Console.log(`add 1 by name -> ${yield* GenServer.call(byName, Add, { by: 1 })}`)
  yield* GenServer.cast(counter, Reset)
  yield* Console.log(`after reset -> ${yield* GenServer.call(counter, Get)}`)
  yield* GenServer.stop(counter)
  yield* Console.log("stopped")
})

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main.pipe(Effect.provide(Node.layer())))
}
