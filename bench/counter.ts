/**
 * The counter server the GenServer benchmarks use, with its two baselines' messages.
 */
import * as Schema from "effect/Schema"
import { Rpc } from "effect/rpc"
import { GenServer } from "../index.js"

/** Cast: add one. */
export const Inc = Rpc.make("Inc")
/** Call: the count. */
export const Get = Rpc.make("Get", { success: Schema.Number })
/** Call: add `by`, answer the new count. */
export const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })

/** The effect-otp counter, as in `examples/counter.ts`. */
export const Counter = GenServer.make({
  name: "BenchCounter",
  calls: [Get, Add],
  casts: [Inc],
  init: (start: number) => GenServer.ok(start),
  handleCall: {
    Get: (_, count) => GenServer.reply(count, count),
    Add: ({ by }, count) => GenServer.reply(count + by, count + by)
  },
  handleCast: {
    Inc: (_, count) => GenServer.noreply(count + 1)
  }
})

/** The baselines' protocol: `R` is how a reply travels (a `Deferred`, a callback). */
export type CounterMessage<R> =
  | { readonly _tag: "Inc" }
  | { readonly _tag: "Get"; readonly reply: R }
  | { readonly _tag: "Add"; readonly by: number; readonly reply: R }
