/**
 * Bounded mailboxes (`Process.spawn(body, { mailbox: { capacity, overflow } })`), effect-otp
 * only, run beside `send_throughput` so that the two read together:
 *
 * - `send_throughput_bounded`: `send_throughput`'s test (one sender, `yield* Process.send` of
 *   0..n-1, one receiver summing them with `yield* Process.receive()`, the sum checked) with the
 *   receiver's mailbox bounded at `n` (`overflow: "reject"`): nothing is dropped, and each send
 *   pays the bound's check on a field that is set. Against `send_throughput` of the same run it
 *   shows what the bound costs a mailbox that is not full; the unbounded default's cost (one
 *   check of a field that is `undefined`) is `send_throughput` itself, compared against main.
 * - `mailbox_overflow_drop_per_second`: sends to a full mailbox (capacity 1024,
 *   `overflow: "dropOldest"`) whose process does not receive: each send drops the oldest
 *   message. The drop count (`Process.info`) and the 1024 messages kept (the last ones) are
 *   checked, so a lost or extra drop fails the run.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Process } from "../index.js"
import { check, expectedSum, otpSendThroughput, perSecond, runCase, runOnNode } from "./common.js"

/** `send_throughput`'s own test (bench/common.ts), the receiver's mailbox bounded at `n`. */
const bounded = (n: number) => otpSendThroughput(n, { mailbox: { capacity: n, overflow: "reject" } })

const capacity = 1024

const dropping = (n: number) =>
  Process.run(Effect.gen(function*() {
    const me = yield* Process.self
    const gate = yield* Deferred.make<void>()
    const receiver = yield* Process.spawn(
      Effect.gen(function*() {
        yield* Deferred.await(gate)
        let sum = 0
        for (let i = 0; i < capacity; i++) sum += (yield* Process.receive()) as number
        yield* Process.send(me, sum)
      }),
      { mailbox: { capacity, overflow: "dropOldest" } }
    )
    const t0 = performance.now()
    for (let i = 0; i < n; i++) yield* Process.send(receiver, i)
    const ms = performance.now() - t0
    const info = Option.getOrThrow(yield* Process.info(receiver))
    check("dropped", Option.getOrThrow(info.mailbox).dropped, n - capacity)
    yield* Deferred.succeed(gate, undefined)
    check("sum of the last messages", yield* Process.receive(), expectedSum(n) - expectedSum(n - capacity))
    return perSecond(n, ms)
  })).pipe(Effect.orDie)

runCase({
  benchmark: "send_throughput_bounded",
  unit: "msg/s",
  size: { full: 1_000_000, quick: 100_000 },
  ops: (n) => n,
  reps: { full: 3, quick: 1 },
  extra: [{ benchmark: "mailbox_overflow_drop_per_second", unit: "msg/s" }],
  systems: {
    "effect-otp": async (n) => ({
      send_throughput_bounded: await runOnNode(bounded(n)),
      mailbox_overflow_drop_per_second: await runOnNode(dropping(n))
    })
  }
})
