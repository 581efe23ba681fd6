/**
 * `supervisor_restarts_per_second`: one supervisor with one permanent worker that crashes as
 * soon as it gets a message; restarts per second over `n` crash-and-restart cycles.
 *
 * Each cycle is waited for: the worker sends its address to the driver when it starts, the
 * driver sends it the crash message, then waits for the next worker's address. The driver
 * counts the cycles whose address is new, so a missed restart fails the run. One `Error` is
 * made up front and every crash dies with it (no stack trace captured per crash).
 *
 * - effect-otp: `Supervisor.start` (oneForOne, intensity 1e9 per second: never trips) with
 *   `ChildSpec.worker` of `Process.spawnLink(body)`; the body sends `self` to the driver
 *   (`Process.sendUnsafe`), receives, and dies (`Effect.die`). The supervisor gets the `Exit`
 *   message (it traps exits), counts the restart against its intensity window and starts the
 *   spec again. The driver is a process (`Process.receive`, `Process.sendUnsafe`).
 * - effect-queue: the idiomatic raw-Effect restart loop: a supervisor fiber that forks the
 *   worker (`Effect.forkChild`), awaits it (`Fiber.await`) and forks it again when it failed.
 *   The worker makes its inbox (an unbounded `Queue`), offers it to the driver's queue, takes
 *   from it and dies. No links, no intensity window, no child record: the floor of a restart
 *   in raw Effect.
 * - plain-js: absent. A plain mailbox has no failure to isolate and nothing to restart; any
 *   loop we wrote would only measure allocating a new mailbox.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as Queue from "effect/Queue"
import { ChildSpec, Process, Supervisor } from "../index.js"
import { check, perSecond, runCase, runOnNode } from "./common.js"

/** What every crash dies with (made once: a stack trace per crash is not what we measure). */
const crash = new Error("bench: crash")

runCase({
  benchmark: "supervisor_restarts_per_second",
  unit: "restarts/s",
  size: { full: 100_000, quick: 5_000 },
  reps: { full: 3, quick: 1 },
  systems: {
    "effect-otp": (n) => {
      let reports = 0
      const counter = Logger.make((entry) => {
        if (entry.logLevel === "Error") reports++
      })
      return runOnNode(Process.run(Effect.gen(function*() {
        const driver = yield* Process.self
        const worker = ChildSpec.worker(
          "worker",
          Process.spawnLink(Effect.gen(function*() {
            Process.sendUnsafe(driver, yield* Process.self)
            yield* Process.receive()
            return yield* Effect.die(crash)
          }))
        )
        const sup = yield* Supervisor.start([worker], { strategy: "oneForOne", intensity: 1e9, period: "1 second" })
        let pid = (yield* Process.receive()) as Process.Pid
        let restarts = 0
        const t0 = performance.now()
        for (let i = 0; i < n; i++) {
          Process.sendUnsafe(pid, "crash")
          const next = (yield* Process.receive()) as Process.Pid
          if (next !== pid) restarts++
          pid = next
        }
        const ms = performance.now() - t0
        check("restarts", restarts, n)
        check("supervisor reports", reports, n)
        const children = yield* Supervisor.whichChildren(sup)
        check("running child is the last started", children[0]?.pid, pid)
        yield* Supervisor.stop(sup)
        return perSecond(n, ms)
      }).pipe(Effect.provideService(Logger.CurrentLoggers, new Set([counter])))))
    },

    "effect-queue": (n) =>
      Effect.runPromise(Effect.gen(function*() {
        const started = yield* Queue.unbounded<Queue.Queue<string>>()
        const worker = Effect.gen(function*() {
          const inbox = yield* Queue.unbounded<string>()
          yield* Queue.offer(started, inbox)
          yield* Queue.take(inbox)
          return yield* Effect.die(crash)
        })
        let failures = 0
        // The supervisor: fork, await, fork again after a failure. Interrupted when the driver ends.
        yield* Effect.forkChild(Effect.gen(function*() {
          while (true) {
            const exit = yield* Fiber.await(yield* Effect.forkChild(worker))
            if (!Exit.isFailure(exit)) return
            failures++
          }
        }))
        let inbox = yield* Queue.take(started)
        let restarts = 0
        const t0 = performance.now()
        for (let i = 0; i < n; i++) {
          yield* Queue.offer(inbox, "crash")
          const next = yield* Queue.take(started)
          if (next !== inbox) restarts++
          inbox = next
        }
        const ms = performance.now() - t0
        check("restarts", restarts, n)
        check("failures seen by the supervisor", failures, n)
        return perSecond(n, ms)
      }))
  }
})
