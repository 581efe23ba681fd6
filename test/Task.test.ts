/**
 * Task: async/await linked to the owner, yield, shutdown, ignore, the many-task functions and
 * asyncStream, with the faults of Elixir's task_test.exs (a crashing task, a dying owner, a
 * task killed mid-await, an interrupted await). Every timeout is driven by TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Option, Ref, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { Errors, ExitReason, Node, Pid, Process, Task } from "../index.js"
import { quiet } from "./support/workers.js"

const inNode = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()), quiet)

/** How many messages wait in the calling process's mailbox. */
const mailboxLength = Effect.flatMap(Process.self, (self) =>
  Effect.map(Process.info(self), (info) => Option.getOrThrow(info).messageQueueLength))

const isDownOf = (pid: Pid.Pid) => (m: unknown): m is Process.DownMessage => Process.isDownMessage(m) && m.pid === pid

/** Lets other fibers run (the node's run queue and Effect's scheduler). */
const settle = Effect.gen(function*() {
  for (let i = 0; i < 5; i++) yield* Effect.yieldNow
})

/** Runs `body` in a process of its own and waits for its exit reason. */
const exitReasonOf = <E>(body: Effect.Effect<unknown, E, Process.CurrentProcess | Node.Node>) =>
  Effect.gen(function*() {
    const [pid, ref] = yield* Process.spawnMonitor(body)
    const down = yield* Process.receive({ match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === ref })
    return { pid, reason: down.reason }
  })

class Boom {
  readonly _tag = "Boom"
  constructor(readonly detail: string) {}
}

describe("Task", () => {
  describe("async and await", () => {
    it.effect("the result comes back; the task is linked to and monitored by its owner; nothing is left behind", () =>
      inNode(Effect.gen(function*() {
        const self = yield* Process.self
        const task = yield* Task.async(Effect.as(Effect.sleep("1 second"), "done"))
        assert.strictEqual(task.owner, self)
        const info = Option.getOrThrow(yield* Process.info(task.pid))
        assert.deepStrictEqual(info.links, [self])
        assert.deepStrictEqual(info.monitoredBy, [self])
        const fiber = yield* Effect.forkChild(Task.await(task))
        yield* TestClock.adjust("1 second")
        assert.strictEqual(yield* Fiber.join(fiber), "done")
        yield* settle
        assert.isFalse(yield* Process.isAlive(task.pid))
        assert.strictEqual(yield* mailboxLength, 0)
        const own = Option.getOrThrow(yield* Process.info(self))
        assert.deepStrictEqual(own.monitors, [])
      })))

    it.effect("a synchronous task: the reply is there before await; the task runs as itself with the caller's services", () =>
      inNode(Effect.gen(function*() {
        const self = yield* Process.self
        const task = yield* Task.async(Process.self)
        const pid = yield* Task.await(task)
        assert.strictEqual(pid, task.pid)
        assert.notStrictEqual(pid, self)
        assert.strictEqual(yield* mailboxLength, 0)
      })))

    it.effect("an await from another fiber of the owner takes a reply already there, in one step", () =>
      inNode(Effect.gen(function*() {
        const self = yield* Process.self
        const task = yield* Task.async(Effect.succeed("ready"))
        yield* Process.send(self, "after")
        assert.strictEqual(yield* mailboxLength, 3) // the reply, the task's Down, "after"
        assert.strictEqual(yield* Fiber.join(yield* Effect.forkChild(Task.await(task))), "ready")
        assert.strictEqual(yield* mailboxLength, 1)
        assert.strictEqual(yield* Process.receive(), "after")
        assert.deepStrictEqual(Option.getOrThrow(yield* Process.info(self)).monitors, [])
      })))

    it.effect("other messages stay in the mailbox, in order", () =>
      inNode(Effect.gen(function*() {
        const self = yield* Process.self
        yield* Process.send(self, "first")
        const task = yield* Task.async(Effect.succeed(1))
        yield* Process.send(self, "second")
        assert.strictEqual(yield* Task.await(task), 1)
        assert.strictEqual(yield* Process.receive(), "first")
        assert.strictEqual(yield* Process.receive(), "second")
      })))

    it.effect("a failing task takes its owner down with its reason (the link)", () =>
      inNode(Effect.gen(function*() {
        let taskPid: Pid.Pid | undefined
        const { reason } = yield* exitReasonOf(Effect.gen(function*() {
          const task = yield* Task.async(Effect.fail(new Boom("disk")))
          taskPid = task.pid
          return yield* Task.await(task, "infinity")
        }))
        assert.strictEqual(reason._tag, "Crash")
        const error = Cause.findErrorOption((reason as ExitReason.Crash).cause)
        assert.deepStrictEqual(error, Option.some(new Boom("disk")))
        assert.isFalse(yield* Process.isAlive(taskPid!))
      })))

    it.effect("an owner that traps exits gets the task's typed error from await, and its Exit message", () =>
      inNode(Effect.gen(function*() {
        yield* Process.trapExit(true)
        const task = yield* Task.async(Effect.fail(new Boom("net")))
        const error = yield* Effect.flip(Task.await(task))
        assert.deepStrictEqual(error, new Boom("net"))
        const exit = yield* Process.receive({ match: Process.isExitMessage })
        assert.strictEqual(exit.from, task.pid)
        assert.strictEqual(yield* mailboxLength, 0)
        // Taken once.
        assert.instanceOf(yield* Effect.flip(Task.await(task)), Task.AlreadyAwaited)
      })))

    it.effect("a defect, or a task killed while the owner awaits, is TaskExit with the reason", () =>
      inNode(Effect.gen(function*() {
        yield* Process.trapExit(true)
        const dies = yield* Task.async(Effect.die("bug"))
        const died = yield* Effect.flip(Task.await(dies))
        assert.instanceOf(died, Task.TaskExit)
        assert.strictEqual((died as Task.TaskExit).reason._tag, "Crash")

        const sleeper = yield* Task.async(Effect.never)
        yield* Effect.forkChild(Process.exit(sleeper.pid, ExitReason.kill))
        const killed = yield* Effect.flip(Task.await(sleeper, "infinity"))
        assert.instanceOf(killed, Task.TaskExit)
        assert.strictEqual((killed as Task.TaskExit).reason, ExitReason.killed)
        // An exit signal that forges a Crash is no typed error of the task.
        const forged = yield* Task.async(Effect.never)
        yield* Process.exit(forged.pid, ExitReason.fail(new Boom("forged")))
        assert.instanceOf(yield* Effect.flip(Task.await(forged)), Task.TaskExit)
      })))

    it.effect("the owner's death takes its tasks down", () =>
      inNode(Effect.gen(function*() {
        const self = yield* Process.self
        const owner = yield* Process.spawn(Effect.gen(function*() {
          const task = yield* Task.async(Effect.never)
          yield* Process.send(self, task.pid)
          yield* Process.receive()
        }))
        const taskPid = (yield* Process.receive({ match: Pid.isPid })) as Pid.Pid
        yield* Process.monitor(taskPid)
        yield* Process.exit(owner, ExitReason.shutdown())
        const down = yield* Process.receive({ match: isDownOf(taskPid) })
        assert.deepStrictEqual(down.reason, ExitReason.shutdown())
      })))

    it.effect("await's timeout is TaskTimeout: the task is stopped and nothing is left behind", () =>
      inNode(Effect.gen(function*() {
        const task = yield* Task.async(Effect.as(Effect.sleep("10 seconds"), 1))
        const fiber = yield* Effect.forkChild(Effect.flip(Task.await(task)))
        yield* TestClock.adjust("4999 millis")
        assert.isTrue(yield* Process.isAlive(task.pid))
        yield* TestClock.adjust("1 millis")
        const error = yield* Fiber.join(fiber)
        assert.instanceOf(error, Task.TaskTimeout)
        assert.strictEqual((error as Task.TaskTimeout).timeoutMillis, 5000)
        assert.isFalse(yield* Process.isAlive(task.pid))
        yield* TestClock.adjust("10 seconds")
        assert.strictEqual(yield* mailboxLength, 0)
        assert.instanceOf(yield* Effect.flip(Task.await(task)), Task.AlreadyAwaited)
      })))

    it.effect("an interrupted await takes nothing: a later await gets the reply", () =>
      inNode(Effect.gen(function*() {
        const task = yield* Task.async(Effect.as(Effect.sleep("2 seconds"), "late"))
        const first = yield* Effect.forkChild(Effect.timeout(Task.await(task, "infinity"), "1 second"))
        yield* TestClock.adjust("1 second")
        assert.isTrue(Exit.isFailure(yield* Fiber.await(first)))
        yield* TestClock.adjust("1 second")
        assert.strictEqual(yield* mailboxLength, 2) // the reply and the task's Down, both kept
        assert.strictEqual(yield* Task.await(task), "late")
        yield* settle
        assert.strictEqual(yield* mailboxLength, 0)
      })))

    it.effect("only the owner may await; a bad timeout is BadArgument", () =>
      inNode(Effect.gen(function*() {
        const self = yield* Process.self
        const task = yield* Task.async(Effect.succeed(1))
        const other = yield* Process.spawn(Effect.gen(function*() {
          const error = yield* Effect.flip(Task.await(task))
          yield* Process.send(self, { error })
        }))
        const { error } = (yield* Process.receive({ match: (m) => typeof m === "object" && m !== null && "error" in m })) as { error: unknown }
        assert.instanceOf(error, Task.NotOwner)
        assert.strictEqual((error as Task.NotOwner).caller, other)
        assert.instanceOf(yield* Effect.flip(Task.await(task, -1)), Errors.BadArgument)
        assert.strictEqual(yield* Task.await(task), 1)
      })))
  })

  describe("yield, shutdown, ignore", () => {
    it.effect("yield: none on timeout with the task still running; then the result", () =>
      inNode(Effect.gen(function*() {
        const task = yield* Task.async(Effect.as(Effect.sleep("2 seconds"), "ok"))
        const fiber = yield* Effect.forkChild(Task.yield(task, "1 second"))
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(yield* Fiber.join(fiber), Option.none())
        assert.isTrue(yield* Process.isAlive(task.pid))
        const again = yield* Effect.forkChild(Task.yield(task))
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(yield* Fiber.join(again), Option.some(Exit.succeed("ok")))
        assert.instanceOf(yield* Effect.flip(Task.yield(task)), Task.AlreadyAwaited)
      })))

    it.effect("yield gives a failure as a value to an owner that traps exits", () =>
      inNode(Effect.gen(function*() {
        yield* Process.trapExit(true)
        const task = yield* Task.async(Effect.fail(new Boom("x")))
        assert.deepStrictEqual(yield* Task.yield(task), Option.some(Exit.fail(new Boom("x"))))
      })))

    it.effect("shutdown of a running task: none, the task is gone, the owner (not trapping) lives", () =>
      inNode(Effect.gen(function*() {
        const task = yield* Task.async(Effect.never)
        assert.deepStrictEqual(yield* Task.shutdown(task), Option.none())
        assert.isFalse(yield* Process.isAlive(task.pid))
        const brutal = yield* Task.async(Effect.never)
        assert.deepStrictEqual(yield* Task.shutdown(brutal, "brutalKill"), Option.none())
        yield* settle
        assert.strictEqual(yield* mailboxLength, 0)
        // Its result was taken: a second shutdown does nothing.
        assert.deepStrictEqual(yield* Task.shutdown(task), Option.none())
      })))

    it.effect("shutdown returns the result that arrived meanwhile", () =>
      inNode(Effect.gen(function*() {
        const task = yield* Task.async(Effect.succeed("made it"))
        assert.deepStrictEqual(yield* Task.shutdown(task, "brutalKill"), Option.some(Exit.succeed("made it")))
        assert.strictEqual(yield* mailboxLength, 0)
      })))

    it.effect("shutdown of a task that ignores it: killed after the timeout, reported as killed", () =>
      inNode(Effect.gen(function*() {
        const task = yield* Task.async(Effect.andThen(Process.trapExit(true), Effect.never))
        yield* settle
        const fiber = yield* Effect.forkChild(Task.shutdown(task, "1 second"))
        yield* TestClock.adjust("1 second")
        const result = yield* Fiber.join(fiber)
        assert.isTrue(Option.isSome(result))
        const exit = Option.getOrThrow(result)
        assert.isTrue(Exit.isFailure(exit))
        const error = Cause.findErrorOption((exit as Exit.Failure<unknown, unknown>).cause)
        assert.instanceOf(Option.getOrThrow(error), Task.TaskExit)
        assert.strictEqual((Option.getOrThrow(error) as Task.TaskExit).reason, ExitReason.killed)
      })))

    it.effect("shutdown does not hang when the owner's own receive took the task's reply and down", () =>
      inNode(Effect.gen(function*() {
        const task = yield* Task.async(Effect.succeed("taken elsewhere"))
        yield* Process.receive({ match: Task.isReply })
        yield* Process.receive({ match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === task.ref })
        const result = yield* Task.shutdown(task, "brutalKill")
        // Elixir's answer: the task was already gone.
        assert.isTrue(Option.isSome(result))
        const exit = Option.getOrThrow(result)
        assert.isTrue(Exit.isFailure(exit))
        const error = Option.getOrThrow(Cause.findErrorOption((exit as Exit.Failure<unknown, unknown>).cause))
        assert.instanceOf(error, Task.TaskExit)
        assert.strictEqual((error as Task.TaskExit).reason, ExitReason.noproc)
        assert.strictEqual(yield* mailboxLength, 0)
      })))

    it.effect("ignore: the task runs on unlinked and its result is dropped", () =>
      inNode(Effect.gen(function*() {
        const self = yield* Process.self
        const task = yield* Task.async(Effect.as(Effect.sleep("1 second"), 1))
        assert.deepStrictEqual(yield* Task.ignore(task), Option.none())
        const info = Option.getOrThrow(yield* Process.info(task.pid))
        assert.deepStrictEqual(info.links, [])
        assert.deepStrictEqual(info.monitoredBy, [])
        yield* TestClock.adjust("1 second")
        yield* settle
        assert.isFalse(yield* Process.isAlive(task.pid))
        assert.strictEqual(yield* mailboxLength, 0)
        assert.instanceOf(yield* Effect.flip(Task.await(task)), Task.AlreadyAwaited)
        assert.strictEqual(self, task.owner)
      })))
  })

  describe("many tasks", () => {
    it.effect("awaitMany gives the results in the order of the tasks", () =>
      inNode(Effect.gen(function*() {
        const tasks = yield* Effect.forEach([3, 1, 2], (n) => Task.async(Effect.as(Effect.sleep(`${n} seconds`), n * 10)))
        const fiber = yield* Effect.forkChild(Task.awaitMany(tasks))
        yield* TestClock.adjust("3 seconds")
        assert.deepStrictEqual(yield* Fiber.join(fiber), [30, 10, 20])
        assert.strictEqual(yield* mailboxLength, 0)
      })))

    it.effect("awaitMany: replies already there and replies still to come, between other messages, none left behind", () =>
      inNode(Effect.gen(function*() {
        const self = yield* Process.self
        yield* Process.send(self, "a")
        const tasks = yield* Effect.forEach([0, 2, 0, 1, 0], (n, i) =>
          Effect.andThen(
            Process.send(self, `m${i}`),
            Task.async(n === 0 ? Effect.succeed(i) : Effect.as(Effect.sleep(`${n} seconds`), i))
          ))
        const fiber = yield* Effect.forkChild(Task.awaitMany(tasks))
        yield* settle
        yield* Process.send(self, "b")
        yield* TestClock.adjust("1 second")
        yield* settle
        yield* Process.send(self, "c")
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(yield* Fiber.join(fiber), [0, 1, 2, 3, 4])
        const left: Array<unknown> = []
        while ((yield* mailboxLength) > 0) left.push(yield* Process.receive())
        assert.deepStrictEqual(left, ["a", "m0", "m1", "m2", "m3", "m4", "b", "c"])
        const own = Option.getOrThrow(yield* Process.info(self))
        assert.deepStrictEqual(own.monitors, [])
      })))

    it.effect("awaitMany: the timeout fails it and stops the tasks still running", () =>
      inNode(Effect.gen(function*() {
        const tasks = yield* Effect.forEach([1, 10], (n) => Task.async(Effect.as(Effect.sleep(`${n} seconds`), n)))
        const fiber = yield* Effect.forkChild(Effect.flip(Task.awaitMany(tasks, "5 seconds")))
        yield* TestClock.adjust("5 seconds")
        const error = yield* Fiber.join(fiber)
        assert.instanceOf(error, Task.TaskTimeout)
        assert.strictEqual((error as Task.TaskTimeout).pid, tasks[1].pid)
        assert.isFalse(yield* Process.isAlive(tasks[1].pid))
        assert.strictEqual(yield* mailboxLength, 0)
      })))

    it.effect("awaitMany: the first failure fails it (owner trapping exits)", () =>
      inNode(Effect.gen(function*() {
        yield* Process.trapExit(true)
        const ok = yield* Task.async(Effect.as(Effect.sleep("2 seconds"), 1))
        const bad = yield* Task.async(Effect.andThen(Effect.sleep("1 second"), Effect.fail(new Boom("first"))))
        const fiber = yield* Effect.forkChild(Effect.flip(Task.awaitMany([ok, bad])))
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(yield* Fiber.join(fiber), new Boom("first"))
        assert.isFalse(yield* Process.isAlive(ok.pid))
      })))

    it.effect("yieldMany: what came in time; the rest as onTimeout says", () =>
      inNode(Effect.gen(function*() {
        const fast = yield* Task.async(Effect.as(Effect.sleep("1 second"), "fast"))
        const slow = yield* Task.async(Effect.as(Effect.sleep("10 seconds"), "slow"))
        const slower = yield* Task.async(Effect.as(Effect.sleep("10 seconds"), "slower"))
        const fiber = yield* Effect.forkChild(Task.yieldMany([fast, slow], { timeout: "2 seconds", onTimeout: "killTask" }))
        yield* TestClock.adjust("2 seconds")
        const results = yield* Fiber.join(fiber)
        assert.deepStrictEqual(results.map(([t, r]) => [t.pid, r]), [[fast.pid, Option.some(Exit.succeed("fast"))], [slow.pid, Option.none()]])
        assert.isFalse(yield* Process.isAlive(slow.pid))
        const rest = yield* Effect.forkChild(Task.yieldMany([slower], { timeout: "1 second" }))
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual((yield* Fiber.join(rest))[0][1], Option.none())
        assert.isTrue(yield* Process.isAlive(slower.pid))
        assert.strictEqual(yield* mailboxLength, 0) // the timer's message too
      })))
  })

  describe("asyncStream", () => {
    const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) => Effect.map(Stream.runCollect(stream), (c) => Array.from(c))

    it.effect("ordered results, at most maxConcurrency tasks at once", () =>
      inNode(Effect.gen(function*() {
        const running = yield* Ref.make(0)
        const peak = yield* Ref.make(0)
        const work = (n: number) =>
          Effect.gen(function*() {
            const now = yield* Ref.updateAndGet(running, (r) => r + 1)
            yield* Ref.update(peak, (p) => Math.max(p, now))
            yield* Effect.sleep(`${5 - n} seconds`)
            yield* Ref.update(running, (r) => r - 1)
            return n * n
          })
        const fiber = yield* Effect.forkChild(collect(Task.asyncStream([1, 2, 3, 4], work, { maxConcurrency: 2 })))
        yield* TestClock.adjust("20 seconds")
        const results = yield* Fiber.join(fiber)
        assert.deepStrictEqual(results, [1, 4, 9, 16].map((value) => ({ _tag: "Ok", value })))
        assert.strictEqual(yield* Ref.get(peak), 2)
        assert.strictEqual(yield* mailboxLength, 0)
      })))

    it.effect("unordered results come as they finish", () =>
      inNode(Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(collect(Task.asyncStream(
          [3, 1, 2],
          (n) => Effect.as(Effect.sleep(`${n} seconds`), n),
          { ordered: false, maxConcurrency: 3 }
        )))
        yield* TestClock.adjust("3 seconds")
        assert.deepStrictEqual((yield* Fiber.join(fiber)).map((r) => r._tag === "Ok" ? r.value : r), [1, 2, 3])
      })))

    it.effect("onTimeout exit: the stream fails with TaskTimeout and the other tasks are stopped", () =>
      inNode(Effect.gen(function*() {
        const self = yield* Process.self
        const fiber = yield* Effect.forkChild(Effect.flip(collect(Task.asyncStream(
          [1, 10, 20],
          (n) => Effect.andThen(Process.send(self, n), Effect.as(Effect.sleep(`${n} seconds`), n)),
          { timeout: "5 seconds", maxConcurrency: 3 }
        ))))
        yield* TestClock.adjust("5 seconds")
        const error = yield* Fiber.join(fiber)
        assert.instanceOf(error, Task.TaskTimeout)
        assert.strictEqual((error as Task.TaskTimeout).timeoutMillis, 5000)
        assert.deepStrictEqual([yield* Process.receive(), yield* Process.receive(), yield* Process.receive()], [1, 10, 20])
        const processes = yield* Process.processes
        assert.strictEqual(processes.length, 1) // only this one: every task is gone
        assert.strictEqual(yield* mailboxLength, 0)
      })))

    it.effect("onTimeout killTask: an Exit with TaskTimeout for that item (with its input), the rest go on", () =>
      inNode(Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(collect(Task.asyncStream(
          [1, 10, 2],
          (n) => Effect.as(Effect.sleep(`${n} seconds`), n),
          { timeout: "5 seconds", onTimeout: "killTask", zipInputOnExit: true }
        )))
        yield* TestClock.adjust("5 seconds")
        const results = yield* Fiber.join(fiber)
        assert.strictEqual(results.length, 3)
        assert.deepStrictEqual(results[0], { _tag: "Ok", value: 1 })
        const timedOut = results[1]
        assert.strictEqual(timedOut._tag, "Exit")
        if (timedOut._tag === "Exit") {
          assert.instanceOf(timedOut.error, Task.TaskTimeout)
          assert.strictEqual(timedOut.input, 10)
        }
        assert.deepStrictEqual(results[2], { _tag: "Ok", value: 2 })
      })))

    it.effect("a failing item is an Exit for an owner that traps exits", () =>
      inNode(Effect.gen(function*() {
        yield* Process.trapExit(true)
        const results = yield* collect(Task.asyncStream([1, 2], (n) => n === 1 ? Effect.fail(new Boom("one")) : Effect.succeed(n)))
        assert.deepStrictEqual(results, [{ _tag: "Exit", error: new Boom("one") }, { _tag: "Ok", value: 2 }])
      })))

    it.effect("Stream.take stops the remaining tasks and leaves no message behind", () =>
      inNode(Effect.gen(function*() {
        const started = yield* Ref.make<Array<Pid.Pid>>([])
        const fiber = yield* Effect.forkChild(collect(Stream.take(Task.asyncStream(
          [1, 5, 6, 7, 8],
          (n) => Effect.andThen(Effect.flatMap(Process.self, (p) => Ref.update(started, (a) => [...a, p])), Effect.as(Effect.sleep(`${n} seconds`), n)),
          { maxConcurrency: 3, timeout: "infinity" }
        ), 1)))
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(yield* Fiber.join(fiber), [{ _tag: "Ok", value: 1 }])
        const pids = yield* Ref.get(started)
        assert.strictEqual(pids.length, 4) // 3 at first, one more once the first finished
        for (const pid of pids) assert.isFalse(yield* Process.isAlive(pid))
        yield* TestClock.adjust("10 seconds")
        assert.strictEqual(yield* mailboxLength, 0)
      })))

    it.effect("bad options fail the stream with BadArgument", () =>
      inNode(Effect.gen(function*() {
        const error = yield* Effect.flip(collect(Task.asyncStream([1], Effect.succeed, { maxConcurrency: 0 })))
        assert.instanceOf(error, Errors.BadArgument)
        const bad = yield* Effect.flip(collect(Task.asyncStream([1], Effect.succeed, { onTimeout: "explode" as any })))
        assert.instanceOf(bad, Errors.BadArgument)
      })))
  })

  describe("properties", () => {
    const runProperty = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
      Effect.runPromise(inNode(body).pipe(Effect.provide(TestClock.layer())))

    it("asyncStream: every item once, in order when ordered, at most maxConcurrency at once; early stop or not, no task and no message left", () =>
      fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 8 }),
          fc.integer({ min: 1, max: 4 }),
          fc.boolean(),
          fc.option(fc.nat({ max: 8 }), { nil: undefined }),
          async (durations, maxConcurrency, ordered, take) => {
            await runProperty(Effect.gen(function*() {
              const running = yield* Ref.make(0)
              const peak = yield* Ref.make(0)
              const work = (i: number) =>
                Effect.gen(function*() {
                  const now = yield* Ref.updateAndGet(running, (r) => r + 1)
                  yield* Ref.update(peak, (p) => Math.max(p, now))
                  yield* Effect.onExit(Effect.sleep(`${durations[i]} seconds`), () => Ref.update(running, (r) => r - 1))
                  return i
                })
              const indices = durations.map((_, i) => i)
              const stream = Task.asyncStream(indices, work, { maxConcurrency, ordered, timeout: "3500 millis", onTimeout: "killTask" })
              const fiber = yield* Effect.forkChild(Stream.runCollect(take === undefined ? stream : Stream.take(stream, take)))
              for (let t = 0; t < 8 * 7; t++) yield* TestClock.adjust("1 second")
              const results = Array.from(yield* Fiber.join(fiber))
              const expected = take === undefined ? durations.length : Math.min(take, durations.length)
              assert.strictEqual(results.length, expected)
              const values = results.map((r) => r._tag === "Ok" ? r.value : -1)
              if (ordered) {
                assert.deepStrictEqual(values, indices.slice(0, expected).map((i) => durations[i] >= 4 ? -1 : i))
              }
              if (take === undefined) {
                assert.sameMembers(values, indices.map((i) => durations[i] >= 4 ? -1 : i))
              }
              assert.isAtMost(yield* Ref.get(peak), maxConcurrency)
              yield* settle
              assert.strictEqual((yield* Process.processes).length, 1)
              assert.strictEqual(yield* mailboxLength, 0)
            }))
          }
        ),
        { numRuns: 60 }
      ))

    it("an await interrupted at any time loses no reply: a later await, yield or shutdown gets it", () =>
      fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 4 }),
          fc.integer({ min: 0, max: 4 }),
          fc.constantFrom("await", "yield", "shutdown"),
          async (taskSeconds, interruptAfter, then) => {
            await runProperty(Effect.gen(function*() {
              const task = yield* Task.async(Effect.as(Effect.sleep(`${taskSeconds} seconds`), "value"))
              const first = yield* Effect.forkChild(Task.await(task, "infinity"))
              yield* TestClock.adjust(`${interruptAfter} seconds`)
              yield* Fiber.interrupt(first)
              const firstExit = yield* Fiber.await(first)
              const gotIt = Exit.isSuccess(firstExit)
              yield* TestClock.adjust("10 seconds")
              if (gotIt) {
                assert.strictEqual(firstExit.value, "value")
                assert.instanceOf(yield* Effect.flip(Task.await(task)), Task.AlreadyAwaited)
              } else if (then === "await") {
                assert.strictEqual(yield* Task.await(task), "value")
              } else if (then === "yield") {
                assert.deepStrictEqual(yield* Task.yield(task), Option.some(Exit.succeed("value")))
              } else {
                assert.deepStrictEqual(yield* Task.shutdown(task), Option.some(Exit.succeed("value")))
              }
              yield* settle
              assert.strictEqual(yield* mailboxLength, 0)
            }))
          }
        ),
        { numRuns: 60 }
      ))
  })
})
