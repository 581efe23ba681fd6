/**
 * `idle_process_bytes`: heap bytes per idle actor, parked waiting for a message. The heap is
 * measured after full GCs before and after spawning `n` actors (kept alive), and the
 * difference divided by `n`. The array that holds the handles is allocated before the first
 * measurement, so its slots are not counted.
 *
 * The actors are made as in `spawn.ts` (xstate: `createActor(xIdle).start()`; nact:
 * `spawnStateless` with a name; erlang: `erlang:memory(total)` before and after, less the list
 * of pids the driver holds, in bench/erlang/bench.erl).
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import { Pid, Process } from "../index.js"
import { spawnStateless, start as startNact, stop as stopNact } from "nact"
import { type AnyActorRef, createActor } from "xstate"
import { check, heapAfterGc, Mailbox, runCase, runOnNode } from "./common.js"
import { xIdle } from "./counter.js"

runCase({
  benchmark: "idle_process_bytes",
  unit: "B",
  size: { full: 200_000, quick: 10_000 },
  reps: { full: 1, quick: 1 },
  systems: {
    "effect-otp": (n) =>
      runOnNode(Process.run(Effect.gen(function*() {
        const pids = new Array<Pid.Pid | undefined>(n).fill(undefined)
        const before = heapAfterGc()
        for (let i = 0; i < n; i++) pids[i] = yield* Process.spawn(Process.receive())
        yield* Effect.yieldNow
        const after = heapAfterGc()
        const last = yield* Process.info(pids[n - 1]!)
        check("last process parked", Option.getOrUndefined(last)?.status, "waiting")
        return (after - before) / n
      }))),

    "effect-queue": (n) =>
      Effect.runPromise(Effect.gen(function*() {
        const queues = new Array<Queue.Queue<unknown> | undefined>(n).fill(undefined)
        const before = heapAfterGc()
        for (let i = 0; i < n; i++) {
          const queue = yield* Queue.unbounded<unknown>()
          yield* Effect.forkChild(Queue.take(queue))
          queues[i] = queue
        }
        yield* Effect.yieldNow
        const after = heapAfterGc()
        check("handles kept", queues[n - 1] !== undefined, true)
        return (after - before) / n
      })),

    "plain-js": async (n) => {
      const handler = (_message: unknown): void => {}
      const mailboxes = new Array<Mailbox<unknown> | undefined>(n).fill(undefined)
      const before = heapAfterGc()
      for (let i = 0; i < n; i++) mailboxes[i] = new Mailbox(handler)
      const after = heapAfterGc()
      check("handles kept", mailboxes[n - 1] !== undefined, true)
      return (after - before) / n
    },

    xstate: async (n) => {
      const actors = new Array<AnyActorRef | undefined>(n).fill(undefined)
      const before = heapAfterGc()
      for (let i = 0; i < n; i++) actors[i] = createActor(xIdle).start()
      const after = heapAfterGc()
      check("last actor waiting", actors[n - 1]!.getSnapshot().status, "active")
      for (let i = 0; i < n; i++) actors[i]!.stop()
      return (after - before) / n
    },

    nact: async (n) => {
      const system = startNact()
      const handler = (_message: unknown): void => {}
      const refs = new Array<unknown>(n).fill(undefined)
      const before = heapAfterGc()
      for (let i = 0; i < n; i++) refs[i] = spawnStateless(system, handler, `idle-${i}`)
      const after = heapAfterGc()
      check("handles kept", refs[n - 1] !== undefined, true)
      stopNact(system)
      return (after - before) / n
    }
  }
})
