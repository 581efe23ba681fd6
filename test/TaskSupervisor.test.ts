/**
 * TaskSupervisor: tasks under a DynamicSupervisor: startChild (fire and forget, restarts),
 * async (linked to the caller), asyncNolink (a crash as a value), the streams, and the faults
 * of Elixir's task/supervisor_test.exs (the supervisor killed mid-stream, the owner gone).
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Fiber, Option, Ref, Stream } from "effect"
import { TestClock } from "effect/testing"
import { DynamicSupervisor, ExitReason, Node, Pid, Process, Sys, Task, TaskSupervisor } from "../index.js"
import { quiet } from "./support/workers.js"

const inNode = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()), quiet)

const mailboxLength = Effect.flatMap(Process.self, (self) =>
  Effect.map(Process.info(self), (info) => Option.getOrThrow(info).messageQueueLength))

const settle = Effect.gen(function*() {
  for (let i = 0; i < 5; i++) yield* Effect.yieldNow
})

const isDownOf = (pid: Pid.Pid) => (m: unknown): m is Process.DownMessage => Process.isDownMessage(m) && m.pid === pid

class Tenant extends Context.Service<Tenant, string>()("test/Tenant") {}

class Boom {
  readonly _tag = "Boom"
  constructor(readonly detail: string) {}
}

describe("TaskSupervisor", () => {
  it.effect("startChild: a task nobody awaits, listed while it runs, temporary by default", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const sup = yield* TaskSupervisor.start()
      const pid = yield* TaskSupervisor.startChild(sup, Effect.andThen(Effect.sleep("1 second"), Process.send(self, "done")))
      assert.deepStrictEqual(yield* TaskSupervisor.children(sup), [pid])
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Process.receive(), "done")
      yield* settle
      assert.deepStrictEqual(yield* TaskSupervisor.children(sup), [])
    })))

  it.effect("startChild with restart transient runs the task again after a crash", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const runs = yield* Ref.make(0)
      const sup = yield* TaskSupervisor.start()
      yield* TaskSupervisor.startChild(sup, Effect.gen(function*() {
        const n = yield* Ref.updateAndGet(runs, (r) => r + 1)
        yield* Process.send(self, n)
        if (n === 1) return yield* Effect.fail("first run fails")
      }), { restart: "transient" })
      assert.strictEqual(yield* Process.receive(), 1)
      assert.strictEqual(yield* Process.receive(), 2)
      yield* settle
      assert.deepStrictEqual(yield* TaskSupervisor.children(sup), [])
    })))

  it.effect("the task sees the services of the caller (not the supervisor's), and its own pid", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* TaskSupervisor.start()
      const work = Effect.gen(function*() {
        return [yield* Tenant, yield* Process.self] as const
      })
      const task = yield* TaskSupervisor.async(sup, work).pipe(Effect.provideService(Tenant, "acme"))
      const [tenant, pid] = yield* Task.await(task)
      assert.strictEqual(tenant, "acme")
      assert.strictEqual(pid, task.pid)
      const self = yield* Process.self
      yield* TaskSupervisor.startChild(sup, Effect.flatMap(work, ([t]) => Process.send(self, t))).pipe(
        Effect.provideService(Tenant, "other")
      )
      assert.strictEqual(yield* Process.receive(), "other")
    })))

  it.effect("async: under the supervisor, linked to and monitored by the caller", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const sup = yield* TaskSupervisor.start()
      const task = yield* TaskSupervisor.async(sup, Effect.as(Effect.sleep("1 second"), 7))
      const info = Option.getOrThrow(yield* Process.info(task.pid))
      assert.sameMembers([...info.links], [sup.pid!, self])
      assert.deepStrictEqual(info.monitoredBy, [self])
      assert.deepStrictEqual(yield* TaskSupervisor.children(sup), [task.pid])
      const fiber = yield* Effect.forkChild(Task.await(task))
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(fiber), 7)
      yield* settle
      assert.strictEqual(yield* mailboxLength, 0)
    })))

  it.effect("async: a crash takes the caller down (the link); the supervisor goes on", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* TaskSupervisor.start()
      const [owner, ref] = yield* Process.spawnMonitor(Effect.gen(function*() {
        const task = yield* TaskSupervisor.async(sup, Effect.fail(new Boom("linked")))
        return yield* Task.await(task)
      }))
      const down = yield* Process.receive({ match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === ref })
      assert.strictEqual(down.pid, owner)
      assert.strictEqual(down.reason._tag, "Crash")
      assert.isTrue(yield* Process.isAlive(sup.pid!))
    })))

  it.effect("asyncNolink: a crash is a value for await, and the caller (not trapping) lives", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* TaskSupervisor.start()
      const failing = yield* TaskSupervisor.asyncNolink(sup, Effect.fail(new Boom("nolink")))
      assert.deepStrictEqual(yield* Effect.flip(Task.await(failing)), new Boom("nolink"))
      const dying = yield* TaskSupervisor.asyncNolink(sup, Effect.die("defect"))
      const error = yield* Effect.flip(Task.await(dying))
      assert.instanceOf(error, Task.TaskExit)
      assert.deepStrictEqual(yield* Task.yield(yield* TaskSupervisor.asyncNolink(sup, Effect.succeed("ok"))), Option.some(Exit.succeed("ok")))
      yield* settle
      assert.strictEqual(yield* mailboxLength, 0)
    })))

  it.effect("asyncNolink: a process that reads its messages gets the Reply, or the Down with the task's ref", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* TaskSupervisor.start()
      const good = yield* TaskSupervisor.asyncNolink(sup, Effect.succeed("result"))
      const bad = yield* TaskSupervisor.asyncNolink(sup, Effect.andThen(Effect.yieldNow, Effect.die("bad")))
      const reply = yield* Process.receive({ match: Task.isReply })
      assert.strictEqual(reply.task, good)
      assert.strictEqual(reply.value, "result")
      const down = yield* Process.receive({ match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === bad.ref })
      assert.strictEqual(down.reason._tag, "Crash")
    })))

  it.effect("asyncNolink: the task runs on when its owner exits, and stops with the supervisor", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const sup = yield* TaskSupervisor.start()
      const owner = yield* Process.spawn(Effect.gen(function*() {
        const task = yield* TaskSupervisor.asyncNolink(sup, Effect.never)
        yield* Process.send(self, task.pid)
        return yield* Process.receive()
      }))
      const taskPid = (yield* Process.receive({ match: Pid.isPid })) as Pid.Pid
      yield* Process.exit(owner, ExitReason.kill)
      yield* settle
      assert.isTrue(yield* Process.isAlive(taskPid))
      yield* Process.monitor(taskPid)
      yield* DynamicSupervisor.stop(sup)
      const down = yield* Process.receive({ match: isDownOf(taskPid) })
      assert.deepStrictEqual(down.reason, ExitReason.shutdown())
    })))

  it.effect("async: the owner's death takes the task down, the supervisor forgets it", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const sup = yield* TaskSupervisor.start()
      const owner = yield* Process.spawn(Effect.gen(function*() {
        const task = yield* TaskSupervisor.async(sup, Effect.never)
        yield* Process.send(self, task.pid)
        return yield* Process.receive()
      }))
      const taskPid = (yield* Process.receive({ match: Pid.isPid })) as Pid.Pid
      yield* Process.monitor(taskPid)
      yield* Process.exit(owner, ExitReason.shutdown("bye"))
      const down = yield* Process.receive({ match: isDownOf(taskPid) })
      assert.deepStrictEqual(down.reason, ExitReason.shutdown("bye"))
      yield* settle
      assert.deepStrictEqual(yield* TaskSupervisor.children(sup), [])
    })))

  it.effect("an owner that dies before its task got the go: the task ends at once, with shutdown", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* TaskSupervisor.start()
      // A suspended supervisor holds the owner's start call until the owner is dead.
      yield* Sys.suspend(sup.pid!)
      const owner = yield* Process.spawn(TaskSupervisor.async(sup, Effect.never))
      yield* settle
      yield* Process.exit(owner, ExitReason.kill)
      yield* settle
      assert.isFalse(yield* Process.isAlive(owner))
      yield* Sys.resume(sup.pid!)
      // Once the supervisor has answered this, it has started the task, and the task has ended.
      yield* TaskSupervisor.children(sup)
      yield* settle
      assert.deepStrictEqual(yield* TaskSupervisor.children(sup), [])
      // No clock moved: not the 5 s go timeout, the owner's monitor ended it.
      assert.strictEqual((yield* Process.processes).length, 2) // this process and the supervisor
    })))

  it.effect("an owner that exits normally after the go leaves its task running (a normal exit kills no link)", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* TaskSupervisor.start()
      const owner = yield* Process.spawn(TaskSupervisor.async(sup, Effect.never))
      yield* settle
      assert.isFalse(yield* Process.isAlive(owner))
      const [task] = yield* TaskSupervisor.children(sup)
      assert.isTrue(yield* Process.isAlive(task))
    })))

  it.effect("terminateChild stops a task; an owner that traps exits sees it as TaskExit shutdown", () =>
    inNode(Effect.gen(function*() {
      yield* Process.trapExit(true)
      const sup = yield* TaskSupervisor.start()
      const task = yield* TaskSupervisor.async(sup, Effect.never)
      yield* TaskSupervisor.terminateChild(sup, task.pid)
      const error = yield* Effect.flip(Task.await(task))
      assert.instanceOf(error, Task.TaskExit)
      assert.deepStrictEqual((error as Task.TaskExit).reason, ExitReason.shutdown())
      assert.instanceOf(yield* Effect.flip(TaskSupervisor.terminateChild(sup, task.pid)), DynamicSupervisor.NotAChild)
    })))

  it.effect("a full or dead supervisor: the start is a typed error", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* TaskSupervisor.start({ maxChildren: 1 })
      yield* TaskSupervisor.async(sup, Effect.never)
      assert.instanceOf(yield* Effect.flip(TaskSupervisor.asyncNolink(sup, Effect.void)), DynamicSupervisor.MaxChildren)
      yield* Process.trapExit(true)
      yield* DynamicSupervisor.stop(sup)
      const error = yield* Effect.flip(TaskSupervisor.async(sup, Effect.void))
      assert.strictEqual(error._tag, "NoProc")
    })))

  it.effect("asyncStreamNolink: crashes and timeouts are Exit results; the caller goes on", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* TaskSupervisor.start()
      const fiber = yield* Effect.forkChild(Stream.runCollect(TaskSupervisor.asyncStreamNolink(
        sup,
        [1, 2, 3],
        (n) => n === 2 ? Effect.fail(new Boom("two")) : Effect.as(Effect.sleep(`${n} seconds`), n),
        { timeout: "2 seconds", onTimeout: "killTask" }
      )))
      yield* TestClock.adjust("2 seconds")
      const results = Array.from(yield* Fiber.join(fiber))
      assert.deepStrictEqual(results[0], { _tag: "Ok", value: 1 })
      assert.deepStrictEqual(results[1], { _tag: "Exit", error: new Boom("two") })
      assert.strictEqual(results[2]._tag, "Exit")
      assert.instanceOf((results[2] as { error: unknown }).error, Task.TaskTimeout)
      yield* settle
      assert.deepStrictEqual(yield* TaskSupervisor.children(sup), [])
      assert.strictEqual(yield* mailboxLength, 0)
    })))

  it.effect("asyncStream: the tasks run under the supervisor, linked to the consumer", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const sup = yield* TaskSupervisor.start()
      const links = yield* Ref.make<Array<ReadonlyArray<Pid.Pid>>>([])
      const results = yield* Stream.runCollect(TaskSupervisor.asyncStream(sup, [1, 2], (n) =>
        Effect.gen(function*() {
          const info = Option.getOrThrow(yield* Process.info(yield* Process.self))
          yield* Ref.update(links, (all) => [...all, info.links])
          return n
        })))
      assert.deepStrictEqual(Array.from(results), [{ _tag: "Ok", value: 1 }, { _tag: "Ok", value: 2 }])
      for (const l of yield* Ref.get(links)) assert.sameMembers([...l], [sup.pid!, self])
    })))

  it.effect("the supervisor killed mid-stream: running items end as Exit, then the stream fails to start more", () =>
    inNode(Effect.gen(function*() {
      const sup = yield* TaskSupervisor.start()
      const fiber = yield* Effect.forkChild(Effect.exit(Stream.runCollect(TaskSupervisor.asyncStreamNolink(
        sup,
        [1, 2, 3, 4],
        (n) => Effect.as(Effect.sleep(`${n} seconds`), n),
        { maxConcurrency: 2, timeout: "infinity" }
      ))))
      yield* TestClock.adjust("1 second")
      yield* Process.exit(sup.pid!, ExitReason.kill)
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit))
      const all = yield* Process.processes
      assert.strictEqual(all.length, 1) // only the test's own process
      assert.strictEqual(yield* mailboxLength, 0)
    })))
})
