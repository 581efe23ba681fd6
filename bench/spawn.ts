/**
 * `spawn_1m_seconds`: time to spawn 1,000,000 idle actors, each parked waiting for a message,
 * reported in seconds per million (a `--quick` run spawns 20,000 and scales).
 *
 * - effect-otp: `Process.spawn(Process.receive())` from a process; the body starts before
 *   `spawn` returns, so each new process is already parked in `receive`.
 * - effect-queue: an unbounded `Queue` and a fiber forked with `Effect.forkChild` blocked in
 *   `Queue.take`; forked fibers start on the scheduler, in order, so after one `yieldNow` all
 *   of them are parked.
 * - plain-js: a {@link Mailbox} with a (shared) handler.
 * - xstate: `createActor(xIdle).start()`, a machine waiting for an event (`counter.ts`); the
 *   actor is active (waiting) when `start` returns.
 * - nact: `spawnStateless(system, handler, name)` under one actor system. Each actor is named
 *   (`idle-<i>`): nact's anonymous names are 32-bit random numbers, which collide (and throw)
 *   well before 1M actors.
 * - erlang: `spawn(fun() -> receive _ -> ok end end)` (bench/erlang/bench.erl), until the last
 *   one is waiting.
 *
 * The handles (pids, queues, mailboxes) are kept in an array, as a program keeps addresses.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import { Pid, Process } from "../index.js"
import { spawnStateless, start as startNact, stop as stopNact } from "nact"
import { type AnyActorRef, createActor } from "xstate"
import { check, Mailbox, runCase, runOnNode } from "./common.js"
import { xIdle } from "./counter.js"

const million = 1_000_000
const scaled = (n: number, ms: number): number => (ms / 1000) * (million / n)

runCase({
  benchmark: "spawn_1m_seconds",
  unit: "s",
  size: { full: million, quick: 20_000 },
  reps: { full: 1, quick: 1 },
  systems: {
    "effect-otp": (n) =>
      runOnNode(Process.run(Effect.gen(function*() {
        const pids = new Array<Pid.Pid>(n)
        const t0 = performance.now()
        for (let i = 0; i < n; i++) pids[i] = yield* Process.spawn(Process.receive())
        yield* Effect.yieldNow
        const ms = performance.now() - t0
        const last = yield* Process.info(pids[n - 1]!)
        check("last process parked", Option.getOrUndefined(last)?.status, "waiting")
        return scaled(n, ms)
      }))),

    "effect-queue": (n) =>
      Effect.runPromise(Effect.gen(function*() {
        const queues = new Array<Queue.Queue<unknown>>(n)
        const t0 = performance.now()
        for (let i = 0; i < n; i++) {
          const queue = yield* Queue.unbounded<unknown>()
          yield* Effect.forkChild(Queue.take(queue))
          queues[i] = queue
        }
        yield* Effect.yieldNow
        const ms = performance.now() - t0
        return scaled(n, ms)
      })),

    "plain-js": async (n) => {
      const handler = (_message: unknown): void => {}
      const mailboxes = new Array<Mailbox<unknown>>(n)
      const t0 = performance.now()
      for (let i = 0; i < n; i++) mailboxes[i] = new Mailbox(handler)
      const ms = performance.now() - t0
      return scaled(n, ms)
    },

    xstate: async (n) => {
      const actors = new Array<AnyActorRef>(n)
      const t0 = performance.now()
      for (let i = 0; i < n; i++) actors[i] = createActor(xIdle).start()
      const ms = performance.now() - t0
      check("last actor waiting", actors[n - 1]!.getSnapshot().status, "active")
      for (let i = 0; i < n; i++) actors[i]!.stop()
      return scaled(n, ms)
    },

    nact: async (n) => {
      const system = startNact()
      const handler = (_message: unknown): void => {}
      const refs = new Array<unknown>(n)
      const t0 = performance.now()
      for (let i = 0; i < n; i++) refs[i] = spawnStateless(system, handler, `idle-${i}`)
      const ms = performance.now() - t0
      check("handles kept", refs[n - 1] !== undefined, true)
      stopNact(system)
      return scaled(n, ms)
    }
  }
})
