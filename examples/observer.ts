/**
 * The observer on a running application: a small shop whose tree you can watch, inspect and
 * break from the browser.
 *
 * ```
 * shop (application)
 * └── root            Supervisor (oneForOne)
 *     ├── counter     GenServer, called by the ticker (its message rate moves)
 *     ├── vault       GenServer holding an API key, redacted by its formatStatus
 *     ├── light       StateMachine: red → green → yellow, a state timeout each (its state shows in the table)
 *     ├── ticker      a plain process calling counter every 100 ms
 *     ├── pipeline    Supervisor (restForOne)
 *     │   ├── fetcher GenServer
 *     │   └── parser  GenServer
 *     ├── users       Registry (unique keys): the sessions' via names
 *     └── sessions    DynamicSupervisor with three sessions, named via(users, "ada") etc.
 * ```
 *
 * Run it with `npx tsx examples/observer.ts` (`OBSERVER_PORT` picks the port, default 4000;
 * 0 picks a free one), open the address it prints (the token in it allows actions), click a
 * process to see its state, kill `counter` and watch the root restart it. Ctrl-C stops it in
 * order. `test/observer.test.ts` drives it in Chromium.
 */
import { Config, Effect, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { Observer } from "../observer/index.js"
import { Application, ChildSpec, DynamicSupervisor, GenServer, Process, Registry, StateMachine, Supervisor } from "../index.js"

const Get = Rpc.make("Get", { success: Schema.Number })
const Bump = Rpc.make("Bump", { success: Schema.Number })

/** A counter: what the ticker calls. */
export const Counter = GenServer.make({
  name: "Counter",
  calls: [Get, Bump],
  init: () => GenServer.ok(0),
  handleCall: {
    Get: (_, n) => GenServer.reply(n, n),
    Bump: (_, n) => GenServer.reply(n + 1, n + 1)
  }
})

/** Holds a secret: its formatStatus shows the state with the key redacted. */
export const Vault = GenServer.make({
  name: "Vault",
  calls: [Get],
  init: (apiKey: string) => GenServer.ok({ apiKey, reads: 0 }),
  handleCall: {
    Get: (_, s) => GenServer.reply(s.reads, { ...s, reads: s.reads + 1 })
  },
  formatStatus: (s) => ({ apiKey: "<redacted>", reads: s.reads })
})

/** A state of the light: it stays `seconds`, then turns to `next`; a cycle ends on red. */
const phase = (seconds: number, next: "red" | "green" | "yellow") => ({
  enter: () => StateMachine.keepStateAndData(StateMachine.stateTimeout(`${seconds} seconds`, next)),
  stateTimeout: (_: unknown, data: { readonly cycles: number }) =>
    StateMachine.nextState(next, next === "red" ? { cycles: data.cycles + 1 } : data)
})

/** A traffic light: a StateMachine that changes state by itself (the observer shows which). */
export const Light = StateMachine.make({
  name: "Light",
  init: () => StateMachine.ok("red", { cycles: 0 }),
  states: { red: phase(2, "green"), green: phase(2, "yellow"), yellow: phase(1, "red") }
})

const Idle = GenServer.make({
  name: "Idle",
  init: (label: string) => GenServer.ok({ label })
})

/** The sessions' registry. */
const users = Registry.ref<string, undefined, "unique">("users", "unique")

/** Calls the counter every 100 ms, forever (restarted with it if it goes down). */
const ticker = Process.spawnLink(Effect.gen(function*() {
  const counter = GenServer.ref(Counter, "counter")
  while (true) {
    yield* Effect.ignore(GenServer.call(counter, Bump))
    yield* Effect.sleep("100 millis")
  }
}))

/** The shop: its root supervisor starts everything above, then three sessions. */
export const Shop = Application.make({
  name: "shop",
  version: "1.0.0",
  start: () =>
    Effect.gen(function*() {
      const root = yield* Supervisor.startLink([
        GenServer.childSpec(Counter, undefined, { id: "counter", name: "counter" }),
        GenServer.childSpec(Vault, "sk-live-4242", { id: "vault", name: "vault" }),
        StateMachine.childSpec(Light, undefined, { id: "light", name: "light" }),
        ChildSpec.worker("ticker", ticker),
        Supervisor.childSpec("pipeline", [
          GenServer.childSpec(Idle, "fetcher", { id: "fetcher", name: "fetcher" }),
          GenServer.childSpec(Idle, "parser", { id: "parser", name: "parser" })
        ], { name: "pipeline", strategy: "restForOne" }),
        Registry.childSpec({ id: "users", name: "users", keys: "unique" }),
        DynamicSupervisor.childSpec("sessions", { name: "sessions" })
      ], { name: "root", intensity: 10, period: "10 seconds" })
      for (const user of ["ada", "joe", "mike"]) {
        // Each session's id is the module's (`Idle`): the page tells them apart by their via name.
        yield* DynamicSupervisor.startChild("sessions", GenServer.childSpec(Idle, user, { name: Registry.via(users, user) }))
      }
      return root
    })
})

/** Completes on SIGINT or SIGTERM. */
const signalled = Effect.callback<void>((resume) => {
  const stop = () => resume(Effect.void)
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
  return Effect.sync(() => {
    process.removeListener("SIGINT", stop)
    process.removeListener("SIGTERM", stop)
  })
})

/** The program: the shop, observed, until a signal. */
export const main = Effect.gen(function*() {
  const port = yield* Config.Int("OBSERVER_PORT").pipe(Config.withDefault(4000))
  return yield* Application.run(Shop, { until: signalled }).pipe(Effect.provide(Observer.layer({ port })))
})

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main).then(
    (outcome) => {
      console.log(`stopped: ${outcome._tag}`)
      process.exitCode = outcome.status
    },
    (error) => {
      console.error(error)
      process.exitCode = 1
    }
  )
}
