/**
 * `dynamic_supervisor_start_100k_seconds`, `dynamic_supervisor_child_bytes`,
 * `dynamic_supervisor_stop_100k_seconds`: one run starts `n` idle children under one dynamic
 * supervisor, one request at a time from a client, then stops the supervisor with all of them.
 *
 * - start: seconds from the first start request until the last one has returned, scaled to
 *   100k children (a `--quick` run starts 5k).
 * - bytes: `heapUsed` after full GCs with the (empty) supervisor running, and again with the `n`
 *   children, divided by `n`: a child's own heap plus the supervisor's bookkeeping for it. The
 *   client keeps nothing (the supervisor holds the children).
 * - stop: seconds for stopping the supervisor and all its children, until every one is gone,
 *   scaled to 100k.
 *
 * - effect-otp: `DynamicSupervisor.start()`, then `DynamicSupervisor.startChild(sup, spec)` (a
 *   call to the supervisor process, which runs `spec.start` and records the child) from the
 *   client process. The spec, shared by all children, is
 *   `ChildSpec.worker("idle", Process.spawnLink(Process.receive()))` (default shutdown 5000 ms:
 *   an idle child does not trap exits and dies at the `shutdown` signal). Stop:
 *   `DynamicSupervisor.stop(sup)`, which sends every child its exit signal, then waits for all.
 * - effect-queue: the idiomatic raw-Effect dynamic set of fibers, a `FiberSet` in its own
 *   `Scope`: `FiberSet.run(set, Queue.take(inbox), { startImmediately: true })` with a new
 *   unbounded `Queue` per child (so, as with a process, the child is parked before the start
 *   returns). The client forks into the set itself: no request to a supervisor, no links, no
 *   restart policy. Stop: `Scope.close`, which interrupts all the fibers and waits for them.
 * - plain-js: absent. There is nothing to supervise or stop in a plain mailbox; start would be
 *   the allocation `spawn_1m_seconds` already measures.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberSet from "effect/FiberSet"
import * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import { ChildSpec, DynamicSupervisor, Process } from "../index.js"
import { check, heapAfterGc, runCase, runOnNode } from "./common.js"

const hundredK = 100_000
const scaled = (n: number, ms: number): number => (ms / 1000) * (hundredK / n)

runCase({
  benchmark: "dynamic_supervisor_start_100k_seconds",
  unit: "s",
  extra: [
    { benchmark: "dynamic_supervisor_child_bytes", unit: "B" },
    { benchmark: "dynamic_supervisor_stop_100k_seconds", unit: "s" }
  ],
  size: { full: hundredK, quick: 5_000 },
  reps: { full: 1, quick: 1 },
  systems: {
    "effect-otp": (n) =>
      runOnNode(Process.run(Effect.gen(function*() {
        const spec = ChildSpec.worker("idle", Process.spawnLink(Process.receive()))
        const sup = yield* DynamicSupervisor.start()
        const before = heapAfterGc()
        const t0 = performance.now()
        for (let i = 0; i < n; i++) yield* DynamicSupervisor.startChild(sup, spec)
        const startMs = performance.now() - t0
        const after = heapAfterGc()
        const counts = yield* DynamicSupervisor.countChildren(sup)
        check("children running", counts.active, n)
        check("processes", (yield* Process.processes).length, n + 2)
        const t1 = performance.now()
        yield* DynamicSupervisor.stop(sup)
        const stopMs = performance.now() - t1
        check("processes left after stop", (yield* Process.processes).length, 1)
        return {
          dynamic_supervisor_start_100k_seconds: scaled(n, startMs),
          dynamic_supervisor_child_bytes: (after - before) / n,
          dynamic_supervisor_stop_100k_seconds: scaled(n, stopMs)
        }
      }))),

    "effect-queue": (n) =>
      Effect.runPromise(Effect.gen(function*() {
        const scope = yield* Scope.make()
        const set = yield* Scope.provide(FiberSet.make<unknown>(), scope)
        const before = heapAfterGc()
        const t0 = performance.now()
        for (let i = 0; i < n; i++) {
          const inbox = yield* Queue.unbounded<unknown>()
          yield* FiberSet.run(set, Queue.take(inbox), { startImmediately: true })
        }
        const startMs = performance.now() - t0
        const after = heapAfterGc()
        check("children running", yield* FiberSet.size(set), n)
        const t1 = performance.now()
        yield* Scope.close(scope, Exit.void)
        const stopMs = performance.now() - t1
        check("children left after stop", yield* FiberSet.size(set), 0)
        return {
          dynamic_supervisor_start_100k_seconds: scaled(n, startMs),
          dynamic_supervisor_child_bytes: (after - before) / n,
          dynamic_supervisor_stop_100k_seconds: scaled(n, stopMs)
        }
      }))
  }
})
