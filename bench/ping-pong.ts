/**
 * `ping_pong_round_trips`: two actors exchange `n` round trips, one message at a time each
 * way; round trips per second. A ping carries the pinger's address, the pong is a constant.
 *
 * - effect-otp: the pinger is a process sending its pid and waiting in `Process.receive()`;
 *   the ponger loops on `receive` and answers with `Process.send`.
 * - effect-floor: the same two loops on {@link FloorProcess}es (bench/floor.ts).
 * - effect-queue: two fibers, each with an unbounded `Queue` as its inbox; a ping carries the
 *   pinger's queue.
 * - plain-js: two {@link Mailbox}es whose handlers answer each other.
 * - xstate: two machines: the ponger answers `ping` with `sendTo(event.from, pong)`; the pinger
 *   sends `ping` with itself as `from` on entry and after each pong, and ends (a final state)
 *   after `n`; `toPromise` of the pinger gives the pongs counted.
 * - nact: a stateless ponger answering `dispatch(message.from, "pong")` and a stateful pinger
 *   (the state is the pongs counted) sending the next ping with `ctx.self`.
 * - erlang: `Ponger ! self()`, `receive pong` (bench/erlang/bench.erl).
 */
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import { Pid, Process } from "../index.js"
import { dispatch, type Ref, spawn as spawnNact, spawnStateless, start as startNact, stop as stopNact } from "nact"
import { type AnyActorRef, assign, createActor, sendTo, setup, toPromise } from "xstate"
import { check, Mailbox, perSecond, runCase, runOnNode } from "./common.js"
import { floorPingPong } from "./floor.js"

/** xstate: the ponger answers each ping to its sender. */
const xPonger = setup({
  types: { events: {} as { readonly type: "ping"; readonly from: AnyActorRef } }
}).createMachine({
  id: "ponger",
  on: { ping: { actions: sendTo(({ event }) => event.from, { type: "pong" }) } }
})

/** xstate: the pinger, `n` round trips then a final state whose output is the pongs counted. */
const xPinger = setup({
  types: {
    context: {} as { ponger: AnyActorRef; left: number; pongs: number },
    events: {} as { readonly type: "pong" },
    input: {} as { ponger: AnyActorRef; n: number },
    output: {} as number
  }
}).createMachine({
  id: "pinger",
  context: ({ input }) => ({ ponger: input.ponger, left: input.n, pongs: 0 }),
  entry: sendTo(({ context }) => context.ponger, ({ self }) => ({ type: "ping", from: self })),
  initial: "pinging",
  states: {
    pinging: {
      on: {
        pong: [
          {
            guard: ({ context }) => context.left > 1,
            actions: [
              assign({ left: ({ context }) => context.left - 1, pongs: ({ context }) => context.pongs + 1 }),
              sendTo(({ context }) => context.ponger, ({ self }) => ({ type: "ping", from: self }))
            ]
          },
          { target: "done", actions: assign({ left: 0, pongs: ({ context }) => context.pongs + 1 }) }
        ]
      }
    },
    done: { type: "final" }
  },
  output: ({ context }) => context.pongs
})

/** nact: a ping carries the pinger's reference. */
interface NactPing {
  readonly from: Ref<"pong">
}

runCase({
  benchmark: "ping_pong_round_trips",
  unit: "rt/s",
  size: { full: 1_000_000, quick: 50_000 },
  ops: (n) => n,
  reps: { full: 3, quick: 1 },
  // effect-queue does about 0.1M rt/s, nact and xstate less: one run of 1M (after the warm-up)
  // keeps the full bench short.
  repsBySystem: {
    "effect-queue": { full: 1, quick: 1 },
    nact: { full: 1, quick: 1 },
    xstate: { full: 1, quick: 1 }
  },
  systems: {
    "effect-otp": (n) =>
      runOnNode(Process.run(Effect.gen(function*() {
        const me = yield* Process.self
        const ponger = yield* Process.spawn(Effect.gen(function*() {
          while (true) {
            const from = (yield* Process.receive()) as Pid.Pid
            yield* Process.send(from, "pong")
          }
        }))
        let pongs = 0
        const t0 = performance.now()
        for (let i = 0; i < n; i++) {
          yield* Process.send(ponger, me)
          if ((yield* Process.receive()) === "pong") pongs++
        }
        const ms = performance.now() - t0
        check("pongs", pongs, n)
        return perSecond(n, ms)
      }))),

    "effect-floor": (n) => floorPingPong(n),

    "effect-queue": (n) =>
      Effect.runPromise(Effect.gen(function*() {
        const inbox = yield* Queue.unbounded<string>()
        const pongerInbox = yield* Queue.unbounded<Queue.Queue<string>>()
        yield* Effect.forkChild(Effect.gen(function*() {
          while (true) {
            const from = yield* Queue.take(pongerInbox)
            yield* Queue.offer(from, "pong")
          }
        }))
        let pongs = 0
        const t0 = performance.now()
        for (let i = 0; i < n; i++) {
          yield* Queue.offer(pongerInbox, inbox)
          if ((yield* Queue.take(inbox)) === "pong") pongs++
        }
        const ms = performance.now() - t0
        check("pongs", pongs, n)
        return perSecond(n, ms)
      })),

    "plain-js": (n) =>
      new Promise<number>((resolve) => {
        const ponger = new Mailbox<Mailbox<string>>((from) => from.send("pong"))
        let pongs = 0
        let t0 = 0
        const pinger = new Mailbox<string>((message, self) => {
          if (message === "pong") pongs++
          if (pongs < n) ponger.send(self)
          else {
            const ms = performance.now() - t0
            check("pongs", pongs, n)
            resolve(perSecond(n, ms))
          }
        })
        t0 = performance.now()
        ponger.send(pinger)
      }),

    xstate: async (n) => {
      const ponger = createActor(xPonger).start()
      const t0 = performance.now()
      const pongs = await toPromise(createActor(xPinger, { input: { ponger, n } }).start())
      const ms = performance.now() - t0
      ponger.stop()
      check("pongs", pongs, n)
      return perSecond(n, ms)
    },

    nact: (n) =>
      new Promise<number>((resolve) => {
        const system = startNact()
        const ponger = spawnStateless(system, (message: NactPing) => dispatch(message.from, "pong"), "ponger")
        let t0 = 0
        const pinger = spawnNact(system, (pongs: number, message: "pong", ctx) => {
          const count = message === "pong" ? pongs + 1 : pongs
          if (count < n) dispatch(ponger, { from: ctx.self })
          else {
            const ms = performance.now() - t0
            stopNact(system)
            check("pongs", count, n)
            resolve(perSecond(n, ms))
          }
          return count
        }, "pinger", { initialState: 0 })
        t0 = performance.now()
        dispatch(ponger, { from: pinger })
      })
  }
})
