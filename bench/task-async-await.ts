/**
 * `task_async_await_per_second`: one owner process starts a task computing a number and awaits
 * its result, `n` times in a row; tasks per second. Also `task_async_await_batch_per_second`:
 * batches of 100 tasks started at once, then all awaited (Elixir's `Task.await_many`). The sum
 * of the results is checked.
 *
 * - effect-otp: `Task.async(Effect.succeed(i))` then `Task.await(task)` in a process (a spawn
 *   that links and monitors the task, a reply message, a selective receive, a demonitor and
 *   the task's down dropped); the batch: `Task.awaitMany(tasks)`.
 * - erlang: plain processes, as Elixir's Task does underneath: `spawn_monitor` of a fun that
 *   links to its owner and sends `{Tag, I}`; the owner receives `{Tag, Result}` or the `'DOWN'`,
 *   then `demonitor(Mon, [flush])` (bench/erlang/bench_task.erl).
 * - effect-queue: raw Effect 4, a fiber per task: `Effect.forkChild(Effect.succeed(i))` then
 *   `Fiber.join` (no process, link, monitor or mailbox: the floor of a task on fibers).
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { Process, Task } from "../index.js"
import { check, perSecond, runCase, runOnNode } from "./common.js"

const batch = 100

/** The sum 0 + 1 + ... + (n - 1), what every run must compute. */
const sumTo = (n: number) => (n * (n - 1)) / 2

runCase({
  benchmark: "task_async_await_per_second",
  unit: "tasks/s",
  extra: [{ benchmark: "task_async_await_batch_per_second", unit: "tasks/s" }],
  size: { full: 200_000, quick: 20_000 },
  ops: (n) => 2 * n,
  reps: { full: 3, quick: 1 },
  systems: {
    "effect-otp": (n) =>
      runOnNode(Process.run(Effect.gen(function*() {
        let sum = 0
        const t0 = performance.now()
        for (let i = 0; i < n; i++) sum += yield* Task.await(yield* Task.async(Effect.succeed(i)))
        const t1 = performance.now()
        check("sum of the results", sum, sumTo(n))
        let batched = 0
        for (let i = 0; i < n; i += batch) {
          const tasks: Array<Task.Task<number>> = []
          for (let j = i; j < i + batch && j < n; j++) tasks.push(yield* Task.async(Effect.succeed(j)))
          for (const r of yield* Task.awaitMany(tasks)) batched += r
        }
        const t2 = performance.now()
        check("sum of the batched results", batched, sumTo(n))
        return {
          task_async_await_per_second: perSecond(n, t1 - t0),
          task_async_await_batch_per_second: perSecond(n, t2 - t1)
        }
      }))),

    "effect-queue": (n) =>
      Effect.runPromise(Effect.gen(function*() {
        let sum = 0
        const t0 = performance.now()
        for (let i = 0; i < n; i++) sum += yield* Fiber.join(yield* Effect.forkChild(Effect.succeed(i)))
        const t1 = performance.now()
        check("sum of the results", sum, sumTo(n))
        let batched = 0
        for (let i = 0; i < n; i += batch) {
          const fibers: Array<Fiber.Fiber<number>> = []
          for (let j = i; j < i + batch && j < n; j++) fibers.push(yield* Effect.forkChild(Effect.succeed(j)))
          for (const fiber of fibers) batched += yield* Fiber.join(fiber)
        }
        const t2 = performance.now()
        check("sum of the batched results", batched, sumTo(n))
        return {
          task_async_await_per_second: perSecond(n, t1 - t0),
          task_async_await_batch_per_second: perSecond(n, t2 - t1)
        }
      }))
  }
})
