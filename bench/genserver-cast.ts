/**
 * `genserver_cast_throughput`: one client casts `n` increments to a counter server, then one
 * call waits until all are handled (and checks the count); casts per second over the whole.
 *
 * - effect-otp: the `Counter` GenServer of `counter.ts`; the client is a process doing
 *   `yield* GenServer.cast(counter, Inc)`, then `GenServer.call(counter, Get)`.
 * - effect-floor: the counter as a {@link FloorProcess} (bench/floor.ts): `n` `Inc` messages,
 *   then a `Get` carrying the caller, answered in its mailbox.
 * - effect-queue: a forked fiber taking messages from an unbounded `Queue` and keeping the
 *   count in a local; the final `Get` carries a `Deferred`.
 * - plain-js: a {@link Mailbox} whose handler keeps the count; `Get` carries a callback.
 * - xstate: `counter.send({ type: "inc" })` to the `xCounter` machine of `counter.ts` in a loop,
 *   then `waitFor` until its context has the count (xstate's wait for an actor's state).
 * - nact: `dispatch(counter, { type: "inc" })` in a loop, then
 *   `query(counter, (sender) => ({ type: "get", sender }), timeout)`.
 * - effect-cluster: `client.Inc(undefined, { discard: true })` (the cluster's send without a
 *   reply, which completes once the entity has taken the message), then `client.Get()`; 20k
 *   casts (1k quick): it does about 10k/s.
 * - erlang: `gen_server:cast(Counter, inc)`, then `gen_server:call(Counter, get, infinity)`
 *   (bench/erlang/bench.erl).
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import { GenServer, Process } from "../index.js"
import { dispatch, query, start as startNact, stop as stopNact } from "nact"
import { createActor, waitFor } from "xstate"
import { check, perSecond, runCase, runOnNode } from "./common.js"
import { floorCounter, runFloor } from "./floor.js"
import {
  clusterLayer,
  Counter,
  CounterEntity,
  type CounterMessage,
  Get,
  Inc,
  nactCounter,
  plainCounter,
  serveQueueCounter,
  xCounter
} from "./counter.js"

runCase({
  benchmark: "genserver_cast_throughput",
  unit: "msg/s",
  size: { full: 1_000_000, quick: 100_000 },
  ops: (n) => n,
  reps: { full: 3, quick: 1 },
  sizeBySystem: { "effect-cluster": { full: 20_000, quick: 1_000 } },
  systems: {
    "effect-otp": (n) =>
      runOnNode(Process.run(Effect.gen(function*() {
        const counter = yield* GenServer.start(Counter, 0)
        const t0 = performance.now()
        for (let i = 0; i < n; i++) yield* GenServer.cast(counter, Inc)
        const count = yield* GenServer.call(counter, Get, undefined, { timeout: "infinity" })
        const ms = performance.now() - t0
        check("count", count, n)
        return perSecond(n, ms)
      }))),

    "effect-floor": (n) =>
      runFloor((me, node) =>
        Effect.gen(function*() {
          const counter = node.spawn(floorCounter)
          const inc = { _tag: "Inc" } as const
          const t0 = performance.now()
          for (let i = 0; i < n; i++) yield* counter.send(inc)
          yield* counter.send({ _tag: "Get", from: me })
          const count = yield* me.receive
          const ms = performance.now() - t0
          check("count", count, n)
          return perSecond(n, ms)
        })
      ),

    "effect-queue": (n) =>
      Effect.runPromise(Effect.gen(function*() {
        const inbox = yield* Queue.unbounded<CounterMessage<Deferred.Deferred<number>>>()
        yield* Effect.forkChild(serveQueueCounter(inbox))
        const t0 = performance.now()
        for (let i = 0; i < n; i++) yield* Queue.offer(inbox, { _tag: "Inc" })
        const reply = yield* Deferred.make<number>()
        yield* Queue.offer(inbox, { _tag: "Get", reply })
        const count = yield* Deferred.await(reply)
        const ms = performance.now() - t0
        check("count", count, n)
        return perSecond(n, ms)
      })),

    "plain-js": (n) =>
      new Promise<number>((resolve) => {
        const server = plainCounter()
        const t0 = performance.now()
        for (let i = 0; i < n; i++) server.send({ _tag: "Inc" })
        server.send({
          _tag: "Get",
          reply: (total) => {
            const ms = performance.now() - t0
            check("count", total, n)
            resolve(perSecond(n, ms))
          }
        })
      }),

    xstate: async (n) => {
      const counter = createActor(xCounter, { input: 0 }).start()
      const t0 = performance.now()
      for (let i = 0; i < n; i++) counter.send({ type: "inc" })
      const done = await waitFor(counter, (snapshot) => snapshot.context.count === n)
      const ms = performance.now() - t0
      counter.stop()
      check("count", done.context.count, n)
      return perSecond(n, ms)
    },

    nact: async (n) => {
      const system = startNact()
      const counter = nactCounter(system)
      const t0 = performance.now()
      for (let i = 0; i < n; i++) dispatch(counter, { type: "inc" })
      const count = await query(counter, (sender) => ({ type: "get", sender }), 600_000)
      const ms = performance.now() - t0
      stopNact(system)
      check("count", count, n)
      return perSecond(n, ms)
    },

    "effect-cluster": (n) =>
      Effect.runPromise(Effect.gen(function*() {
        const client = (yield* CounterEntity.client)("counter")
        yield* client.Get() // activates the entity before the clock starts
        const t0 = performance.now()
        for (let i = 0; i < n; i++) yield* client.Inc(undefined, { discard: true })
        const count = yield* client.Get()
        const ms = performance.now() - t0
        check("count", count, n)
        return perSecond(n, ms)
      }).pipe(Effect.provide(clusterLayer)))
  }
})
