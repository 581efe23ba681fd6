/**
 * `ring_hops_per_second`: 10,000 actors in a ring, each sending what it gets to the next; a
 * token (the number of hops left) goes around `n` times (100: 1M hops; 10 in a `--quick` run).
 * Hops per second, from the first send until the actor that gets 0 tells the driver; that
 * actor must be the first one (the token went around exactly `n` times). Building the ring is
 * not timed.
 *
 * - effect-otp: 10k processes, each `yield* Process.receive()` then `yield* Process.send(next,
 *   hops - 1)`; each learns its next pid from its first message. The driver is a process.
 * - effect-floor: 10k {@link FloorProcess}es (bench/floor.ts), each `yield* self.receive` then
 *   `yield* next.send(hops - 1)`.
 * - effect-queue: 10k fibers (`Effect.forkChild`), each taking from its unbounded `Queue` and
 *   offering to the next one's.
 * - plain-js: 10k {@link Mailbox}es whose handler sends to the next.
 * - nact: 10k stateful actors (`spawn`, named `node-<i>`), the state being the next actor's
 *   reference, set by a first `{ next }` message; `dispatch(next, hops - 1)`.
 * - erlang: 10k processes, `Next ! Hops - 1` (bench/erlang/bench.erl).
 * - xstate: absent: it delivers an event on the sender's stack, so a chain of 10k idle actors
 *   overflows the stack (see `absences` in `records.ts`).
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import { dispatch, type Ref, spawn as spawnNact, start as startNact, stop as stopNact } from "nact"
import { Pid, Process } from "../index.js"
import { check, Mailbox, perSecond, runCase, runOnNode } from "./common.js"
import { type FloorProcess, runFloor } from "./floor.js"

/** Actors in the ring. */
const ringSize = 10_000

runCase({
  benchmark: "ring_hops_per_second",
  unit: "hops/s",
  // `n` is the number of times the token goes around.
  size: { full: 100, quick: 10 },
  ops: (rounds) => rounds * ringSize,
  reps: { full: 3, quick: 1 },
  // effect-queue does about 0.1M hops/s: one run of 1M hops (after the warm-up) keeps the bench short.
  repsBySystem: { "effect-queue": { full: 1, quick: 1 } },
  systems: {
    "effect-otp": (rounds) =>
      runOnNode(Process.run(Effect.gen(function*() {
        const driver = yield* Process.self
        const node = Effect.gen(function*() {
          const me = yield* Process.self
          const next = (yield* Process.receive()) as Pid.Pid
          while (true) {
            const hops = (yield* Process.receive()) as number
            if (hops === 0) yield* Process.send(driver, me)
            else yield* Process.send(next, hops - 1)
          }
        })
        const pids = new Array<Pid.Pid>(ringSize)
        for (let i = 0; i < ringSize; i++) pids[i] = yield* Process.spawn(node)
        for (let i = 0; i < ringSize; i++) yield* Process.send(pids[i]!, pids[(i + 1) % ringSize]!)
        const hops = ringSize * rounds
        const t0 = performance.now()
        yield* Process.send(pids[0]!, hops)
        const last = yield* Process.receive()
        const ms = performance.now() - t0
        check("token back at the first process", last, pids[0])
        return perSecond(hops, ms)
      }))),

    "effect-floor": (rounds) =>
      runFloor((driver, node) =>
        Effect.gen(function*() {
          const pids = new Array<FloorProcess>(ringSize)
          for (let i = 0; i < ringSize; i++) {
            pids[i] = node.spawn((self) =>
              Effect.gen(function*() {
                const next = (yield* self.receive) as FloorProcess
                while (true) {
                  const hops = (yield* self.receive) as number
                  if (hops === 0) yield* driver.send(self)
                  else yield* next.send(hops - 1)
                }
              })
            )
          }
          for (let i = 0; i < ringSize; i++) yield* pids[i]!.send(pids[(i + 1) % ringSize]!)
          const hops = ringSize * rounds
          const t0 = performance.now()
          yield* pids[0]!.send(hops)
          const last = yield* driver.receive
          const ms = performance.now() - t0
          check("token back at the first process", last, pids[0])
          return perSecond(hops, ms)
        })
      ),

    "effect-queue": (rounds) =>
      Effect.runPromise(Effect.gen(function*() {
        const done = yield* Deferred.make<number>()
        const inboxes = new Array<Queue.Queue<number>>(ringSize)
        for (let i = 0; i < ringSize; i++) inboxes[i] = yield* Queue.unbounded<number>()
        for (let i = 0; i < ringSize; i++) {
          const inbox = inboxes[i]!
          const next = inboxes[(i + 1) % ringSize]!
          yield* Effect.forkChild(Effect.gen(function*() {
            while (true) {
              const hops = yield* Queue.take(inbox)
              if (hops === 0) yield* Deferred.succeed(done, i)
              else yield* Queue.offer(next, hops - 1)
            }
          }))
        }
        const hops = ringSize * rounds
        const t0 = performance.now()
        yield* Queue.offer(inboxes[0]!, hops)
        const last = yield* Deferred.await(done)
        const ms = performance.now() - t0
        check("token back at the first fiber", last, 0)
        return perSecond(hops, ms)
      })),

    "plain-js": (rounds) =>
      new Promise<number>((resolve) => {
        const hops = ringSize * rounds
        let t0 = 0
        const mailboxes = new Array<Mailbox<number>>(ringSize)
        for (let i = 0; i < ringSize; i++) {
          mailboxes[i] = new Mailbox<number>((left) => {
            if (left > 0) mailboxes[(i + 1) % ringSize]!.send(left - 1)
            else {
              const ms = performance.now() - t0
              check("token back at the first mailbox", i, 0)
              resolve(perSecond(hops, ms))
            }
          })
        }
        t0 = performance.now()
        mailboxes[0]!.send(hops)
      }),

    nact: (rounds) =>
      new Promise<number>((resolve) => {
        const system = startNact()
        const hops = ringSize * rounds
        let t0 = 0
        type NodeMessage = { readonly next: Ref<NodeMessage> } | number
        const nodes = new Array<Ref<NodeMessage>>(ringSize)
        for (let i = 0; i < ringSize; i++) {
          nodes[i] = spawnNact(system, (next: Ref<NodeMessage> | undefined, message: NodeMessage) => {
            if (typeof message !== "number") return message.next
            if (message > 0) dispatch(next!, message - 1)
            else {
              const ms = performance.now() - t0
              stopNact(system)
              check("token back at the first actor", i, 0)
              resolve(perSecond(hops, ms))
            }
            return next
          }, `node-${i}`)
        }
        for (let i = 0; i < ringSize; i++) dispatch(nodes[i]!, { next: nodes[(i + 1) % ringSize]! })
        // The links are messages too, each handled in its own `setImmediate`: this one runs
        // after all of them, so every actor has its next when the token starts.
        setImmediate(() => {
          t0 = performance.now()
          dispatch(nodes[0]!, hops)
        })
      })
  }
})
