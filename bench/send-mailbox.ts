/**
 * `send_throughput_mailbox`: the `send_throughput` test (one sender, one receiver, the numbers
 * 0..n-1, summed and checked; messages per second from the first send until the receiver has
 * them all), but with each system's hot-path API instead of one Effect step per message.
 *
 * - effect-otp: the sender calls `Process.sendUnsafe(pid, i)` in a plain loop; the receiver
 *   takes messages with `poll()` on its mailbox (the library's internal `mailbox`) and falls back to
 *   `yield* Process.receive()` only when the mailbox is empty.
 * - effect-queue: the sender calls `Queue.offerUnsafe` in a plain loop; the receiver takes
 *   batches with `yield* Queue.takeAll`.
 * - plain-js: as in `send_throughput` (a synchronous loop of `mailbox.send(i)`), which already
 *   has no per-message step.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import { Process } from "../index.js"
import { mailbox, noMessage } from "../lib/internal/direct.js"
import { check, expectedSum, perSecond, plainSendThroughput, runCase, runOnNode } from "./common.js"


runCase({
  benchmark: "send_throughput_mailbox",
  unit: "msg/s",
  size: { full: 1_000_000, quick: 100_000 },
  reps: { full: 3, quick: 1 },
  systems: {
    "effect-otp": (n) =>
      runOnNode(Process.run(Effect.gen(function*() {
        const me = yield* Process.self
        const receiver = yield* Process.spawn(Effect.gen(function*() {
          const inbox = yield* mailbox
          let sum = 0
          for (let i = 0; i < n; i++) {
            let message = inbox.poll()
            if (message === noMessage) message = yield* Process.receive()
            sum += message as number
          }
          Process.sendUnsafe(me, sum)
        }))
        const t0 = performance.now()
        for (let i = 0; i < n; i++) Process.sendUnsafe(receiver, i)
        const sum = yield* Process.receive()
        const ms = performance.now() - t0
        check("sum received", sum, expectedSum(n))
        return perSecond(n, ms)
      }))),

    "effect-queue": (n) =>
      Effect.runPromise(Effect.gen(function*() {
        const queue = yield* Queue.unbounded<number>()
        const done = yield* Deferred.make<number>()
        yield* Effect.forkChild(Effect.gen(function*() {
          let sum = 0
          let count = 0
          while (count < n) {
            const batch = yield* Queue.takeAll(queue)
            for (let i = 0; i < batch.length; i++) sum += batch[i]!
            count += batch.length
          }
          yield* Deferred.succeed(done, sum)
        }))
        const t0 = performance.now()
        for (let i = 0; i < n; i++) Queue.offerUnsafe(queue, i)
        const sum = yield* Deferred.await(done)
        const ms = performance.now() - t0
        check("sum received", sum, expectedSum(n))
        return perSecond(n, ms)
      })),

    "plain-js": plainSendThroughput
  }
})
