/**
 * `send_throughput`: one sender sends `n` messages (the numbers 0..n-1) to one receiver that
 * takes them one at a time; messages per second from the first send until the receiver has
 * them all. The receiver sums them and the sum is checked, so a lost message fails the run.
 *
 * - effect-otp: the sender is a process (`yield* Process.send(pid, i)`), the receiver a loop of
 *   `yield* Process.receive()` that reports the sum with a message.
 * - effect-queue: `Queue.offer` into an unbounded `Queue`, a forked fiber looping on
 *   `Queue.take`, completion through a `Deferred`.
 * - plain-js: a synchronous loop of `mailbox.send(i)`, the handler counting (`plainSendThroughput`
 *   in `common.ts`).
 * - xstate: a synchronous loop of `receiver.send({ type: "n", value: i })` to a machine whose
 *   context (`sum`, `received`) is updated with `assign`; `waitFor` until it has them all.
 * - nact: a synchronous loop of `dispatch(receiver, i)` to a stateful actor whose state is the
 *   sum; it resolves when it has handled the last number (one sender: in order).
 * - erlang: `Receiver ! I` in a loop, the receiver summing in `receive` (bench/erlang/bench.erl).
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import { spawn as spawnNact, dispatch, start as startNact, stop as stopNact } from "nact"
import { assign, createActor, setup, waitFor } from "xstate"
import { check, expectedSum, otpSendThroughput, perSecond, plainSendThroughput, runCase, runOnNode } from "./common.js"


/** xstate: the receiver, summing the numbers it is sent. */
const xReceiver = setup({
  types: {
    context: {} as { sum: number; received: number },
    events: {} as { readonly type: "n"; readonly value: number }
  }
}).createMachine({
  id: "receiver",
  context: { sum: 0, received: 0 },
  on: {
    n: { actions: assign(({ context, event }) => ({ sum: context.sum + event.value, received: context.received + 1 })) }
  }
})

runCase({
  benchmark: "send_throughput",
  unit: "msg/s",
  size: { full: 1_000_000, quick: 100_000 },
  ops: (n) => n,
  reps: { full: 3, quick: 1 },
  systems: {
    "effect-otp": (n) => runOnNode(otpSendThroughput(n)),

    "effect-queue": (n) =>
      Effect.runPromise(Effect.gen(function*() {
        const queue = yield* Queue.unbounded<number>()
        const done = yield* Deferred.make<number>()
        yield* Effect.forkChild(Effect.gen(function*() {
          let sum = 0
          for (let i = 0; i < n; i++) sum += yield* Queue.take(queue)
          yield* Deferred.succeed(done, sum)
        }))
        const t0 = performance.now()
        for (let i = 0; i < n; i++) yield* Queue.offer(queue, i)
        const sum = yield* Deferred.await(done)
        const ms = performance.now() - t0
        check("sum received", sum, expectedSum(n))
        return perSecond(n, ms)
      })),

    "plain-js": plainSendThroughput,

    xstate: async (n) => {
      const receiver = createActor(xReceiver).start()
      const t0 = performance.now()
      for (let i = 0; i < n; i++) receiver.send({ type: "n", value: i })
      const done = await waitFor(receiver, (snapshot) => snapshot.context.received === n)
      const ms = performance.now() - t0
      receiver.stop()
      check("sum received", done.context.sum, expectedSum(n))
      return perSecond(n, ms)
    },

    nact: (n) =>
      new Promise<number>((resolve) => {
        const system = startNact()
        let t0 = 0
        const receiver = spawnNact(system, (sum: number, message: number) => {
          const next = sum + message
          if (message === n - 1) {
            const ms = performance.now() - t0
            stopNact(system)
            check("sum received", next, expectedSum(n))
            resolve(perSecond(n, ms))
          }
          return next
        }, "receiver", { initialState: 0 })
        t0 = performance.now()
        for (let i = 0; i < n; i++) dispatch(receiver, i)
      })
  }
})
