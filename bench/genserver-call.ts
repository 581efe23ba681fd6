/**
 * `genserver_call_round_trips`: one client makes `n` sequential calls (`Add { by: 1 }`, which
 * answers the new count) to a counter server; calls per second. The last answer is checked.
 *
 * - effect-otp: `yield* GenServer.call(counter, Add, { by: 1 })` (default 5 s timeout) from a
 *   process, on the `Counter` GenServer of `counter.ts`.
 * - effect-floor: the counter as a {@link FloorProcess} (bench/floor.ts); a request carries the
 *   caller, which waits for the reply in its own mailbox (no reference, monitor or timeout).
 * - effect-queue: a forked fiber serving an unbounded `Queue`; each request carries a new
 *   `Deferred` that the client awaits.
 * - plain-js: a {@link Mailbox} server; each request carries a promise's `resolve`, awaited.
 * - xstate: the `xCounter` machine of `counter.ts` and an `xCaller` machine that sends `add`
 *   with itself as `replyTo` (`sendTo`) and sends the next on each reply; `toPromise` of the
 *   caller gives the last count.
 * - nact: `await query(counter, (sender) => ({ type: "add", by: 1, sender }), 5000)`, the
 *   counter actor replying with `dispatch(sender, count)`.
 * - effect-cluster: `yield* client.Add({ by: 1 })` on `CounterEntity.client` (the entity with
 *   the GenServer's own `Rpc`s) over Effect's in-memory `TestRunner.layer`, default config. It
 *   runs 20k calls (1k quick): it does about 10k calls/s.
 * - erlang: `gen_server:call(Counter, {add, 1})` (bench/erlang/bench.erl).
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import { query, start as startNact, stop as stopNact } from "nact"
import { createActor, toPromise } from "xstate"
import { check, perSecond, runCase, runOnNode } from "./common.js"
import { floorCounter, runFloor } from "./floor.js"
import {
  clusterLayer,
  CounterEntity,
  type CounterMessage,
  nactCounter,
  otpCallRoundTrips,
  plainCounter,
  serveQueueCounter,
  xCaller,
  xCounter
} from "./counter.js"

runCase({
  benchmark: "genserver_call_round_trips",
  unit: "calls/s",
  size: { full: 200_000, quick: 20_000 },
  ops: (n) => n,
  reps: { full: 3, quick: 1 },
  sizeBySystem: { "effect-cluster": { full: 20_000, quick: 1_000 } },
  systems: {
    "effect-otp": (n) => runOnNode(otpCallRoundTrips(n)),

    "effect-floor": (n) =>
      runFloor((me, node) =>
        Effect.gen(function*() {
          const counter = node.spawn(floorCounter)
          let last = 0
          const t0 = performance.now()
          for (let i = 0; i < n; i++) {
            yield* counter.send({ _tag: "Add", by: 1, from: me })
            last = (yield* me.receive) as number
          }
          const ms = performance.now() - t0
          check("last reply", last, n)
          return perSecond(n, ms)
        })
      ),

    "effect-queue": (n) =>
      Effect.runPromise(Effect.gen(function*() {
        const inbox = yield* Queue.unbounded<CounterMessage<Deferred.Deferred<number>>>()
        yield* Effect.forkChild(serveQueueCounter(inbox))
        let last = 0
        const t0 = performance.now()
        for (let i = 0; i < n; i++) {
          const reply = yield* Deferred.make<number>()
          yield* Queue.offer(inbox, { _tag: "Add", by: 1, reply })
          last = yield* Deferred.await(reply)
        }
        const ms = performance.now() - t0
        check("last reply", last, n)
        return perSecond(n, ms)
      })),

    "plain-js": async (n) => {
      const server = plainCounter()
      let last = 0
      const t0 = performance.now()
      for (let i = 0; i < n; i++) {
        last = await new Promise<number>((reply) => server.send({ _tag: "Add", by: 1, reply }))
      }
      const ms = performance.now() - t0
      check("last reply", last, n)
      return perSecond(n, ms)
    },

    xstate: async (n) => {
      const server = createActor(xCounter, { input: 0 }).start()
      const t0 = performance.now()
      const last = await toPromise(createActor(xCaller, { input: { server, n } }).start())
      const ms = performance.now() - t0
      server.stop()
      check("last reply", last, n)
      return perSecond(n, ms)
    },

    nact: async (n) => {
      const system = startNact()
      const counter = nactCounter(system)
      let last = 0
      const t0 = performance.now()
      for (let i = 0; i < n; i++) {
        last = await query(counter, (sender) => ({ type: "add", by: 1, sender }), 5000)
      }
      const ms = performance.now() - t0
      stopNact(system)
      check("last reply", last, n)
      return perSecond(n, ms)
    },

    "effect-cluster": (n) =>
      Effect.runPromise(Effect.gen(function*() {
        const client = (yield* CounterEntity.client)("counter")
        yield* client.Get() // activates the entity before the clock starts
        let last = 0
        const t0 = performance.now()
        for (let i = 0; i < n; i++) last = yield* client.Add({ by: 1 })
        const ms = performance.now() - t0
        check("last reply", last, n)
        return perSecond(n, ms)
      }).pipe(Effect.provide(clusterLayer)))
  }
})
