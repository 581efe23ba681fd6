/**
 * A program to change while it runs: `npx effect-otp dev examples/hot-reload/main.ts`, then edit
 * `counter.ts` (see README.md). Ctrl-C stops it in order.
 *
 * ```
 * hot-reload (Application, permanent)
 * └── hot-reload.sup   Supervisor (oneForOne)
 *     ├── counter      the Counter GenServer of counter.ts, named "counter"
 *     └── ticker       every 500 ms: casts Tick to the counter, then prints what Get answers
 * ```
 */
import { Console, Effect } from "effect"
import { Application, ChildSpec, GenServer, Process, Supervisor } from "../../index.js"
import { Counter, Get, Tick } from "./counter.js"

const counter = GenServer.ref(Counter, "counter")

/** Ticks the counter and prints it, forever. A failed call is printed, not fatal. */
const ticker = Effect.gen(function*() {
  while (true) {
    yield* Effect.sleep("500 millis")
    yield* GenServer.cast(counter, Tick)
    const line = yield* GenServer.call(counter, Get).pipe(
      Effect.catch((error) => Effect.succeed(`counter unavailable: ${error.message}`))
    )
    yield* Console.log(line)
  }
})

export const HotReload = Application.make({
  name: "hot-reload",
  version: "1.0.0",
  start: () =>
    Supervisor.startLink([
      GenServer.childSpec(Counter, 0, { id: "counter", name: "counter" }),
      ChildSpec.worker("ticker", Process.spawnLink(ticker))
    ], { strategy: "oneForOne", name: "hot-reload.sup" })
})

Application.main(HotReload)
