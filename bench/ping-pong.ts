/**
 * `ping_pong_round_trips`: two actors exchange `n` round trips, one message at a time each
 * way; round trips per second. A ping carries the pinger's address, the pong is a constant.
 *
 * - effect-otp: the pinger is a process sending its pid and waiting in `Process.receive()`;
 *   the ponger loops on `receive` and answers with `Process.send`.
 * - effect-queue: two fibers, each with an unbounded `Queue` as its inbox; a ping carries the
 *   pinger's queue.
 * - plain-js: two {@link Mailbox}es whose handlers answer each other.
 */
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import { Process } from "../index.js"
import { check, Mailbox, perSecond, runCase, runOnNode } from "./common.js"

runCase({
  benchmark: "ping_pong_round_trips",
  unit: "rt/s",
  size: { full: 1_000_000, quick: 50_000 },
  reps: { full: 3, quick: 1 },
  // effect-queue does about 0.1M rt/s: one run of 1M (after the warm-up) keeps the full bench short.
  repsBySystem: { "effect-queue": { full: 1, quick: 1 } },
  systems: {
    "effect-otp": (n) =>
      runOnNode(Process.run(Effect.gen(function*() {
        const me = yield* Process.self
        const ponger = yield* Process.spawn(Effect.gen(function*() {
          while (true) {
            const from = (yield* Process.receive()) as Process.Pid
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
      })
  }
})
