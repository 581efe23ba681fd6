/**
 * The generic loop's fast path: a loop parked in its plain receive handles messages from the
 * node's run queue without resuming its fiber (`LoopImpl.runDirect`), as long as the behaviour
 * answers with a plain result. Everything else (an Effect to run, a stop, an action, a throw, a
 * system message, the parent's exit, traces, a suspended loop) goes to the fiber, and the
 * outcome must be exactly what the fiber path gives: each case here is one of those hand-overs,
 * with messages queued around it so that order and counts are checked too. The counter
 * `directHandled` proves which path a message took.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Logger, Option, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { TestClock } from "effect/testing"
import { DynamicSupervisor, ExitReason, GenServer, Node, Process, Supervisor, Sys } from "../index.js"
import type { Pid } from "../lib/Pid.js"
import { runtimeOf } from "../lib/internal/runtime.js"

const runTest = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()))

/** {@link runTest}, with every log line written to `lines` as text. */
const runLogged = <A, E>(lines: Array<string>, body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) => {
  const logger = Logger.make<unknown, void>(({ message }) => {
    lines.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
  })
  return runTest(body).pipe(Effect.provideService(Logger.CurrentLoggers, new Set([logger])))
}

/** Messages the node's loops have handled without their fiber so far. */
const directHandled = Effect.gen(function*() {
  return runtimeOf(yield* Node.Node).directHandled
})

const Log = Rpc.make("Log", { success: Schema.Array(Schema.String) })
const Note = Rpc.make("Note", { payload: { text: Schema.String } })
const Boom = Rpc.make("Boom")
const Slow = Rpc.make("Slow", { success: Schema.String })
const Halt = Rpc.make("Halt", { success: Schema.String })
const Arm = Rpc.make("Arm")
const Chain = Rpc.make("Chain")

interface State {
  readonly notify: Pid
  readonly log: ReadonlyArray<string>
}

/** A server with one handler of each kind of result. */
const Recorder = GenServer.make({
  name: "Recorder",
  calls: [Log, Slow, Halt],
  casts: [Note, Boom, Arm, Chain],
  init: (notify: Pid) => GenServer.ok<State>({ notify, log: [] }),
  handleCall: {
    Log: (_, state) => GenServer.reply(state.log, state),
    // An Effect: run by the fiber.
    Slow: (_, state) =>
      Effect.as(Effect.sleep("1 second"), GenServer.reply("slow", { ...state, log: [...state.log, "slow"] })),
    Halt: (_, state) => GenServer.stopWith(ExitReason.shutdown("halted"), state, "halting")
  },
  handleCast: {
    Note: ({ text }, state) => GenServer.noreply({ ...state, log: [...state.log, text] }),
    Boom: () => {
      throw new Error("boom in a plain handler")
    },
    Arm: (_, state) => GenServer.noreply({ ...state, log: [...state.log, "armed"] }, { timeout: "5 seconds" }),
    Chain: (_, state) => GenServer.noreply({ ...state, log: [...state.log, "chain"] }, { continue: "next" })
  },
  handleContinue: (arg, state) => GenServer.noreply({ ...state, log: [...state.log, `continue:${String(arg)}`] }),
  handleInfo: (message, state) =>
    message === GenServer.timeout
      ? GenServer.noreply({ ...state, log: [...state.log, "timeout"] })
      : GenServer.noreply({ ...state, log: [...state.log, `info:${typeof message === "string" ? message : typeof message}`] }),
  terminate: (reason, state) => Process.send(state.notify, { _tag: "Terminated", reason, log: state.log })
})

const isTerminated = (u: unknown): u is { readonly reason: ExitReason.ExitReason; readonly log: ReadonlyArray<string> } =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "Terminated"

const notes = (server: GenServer.Server<typeof Recorder>, texts: ReadonlyArray<string>) =>
  Effect.forEach(texts, (text) => GenServer.cast(server, Note, { text }), { discard: true })

describe("the generic loop handles plain results without its fiber", () => {
  it.effect("casts and calls to a parked server take the fast path, in order", () =>
    runTest(Effect.gen(function*() {
      const server = yield* GenServer.start(Recorder, yield* Process.self)
      const before = yield* directHandled
      yield* notes(server, ["a", "b", "c"])
      assert.deepStrictEqual(yield* GenServer.call(server, Log), ["a", "b", "c"])
      // Three casts and the call, none of them through the fiber.
      assert.strictEqual((yield* directHandled) - before, 4)
      const stats = yield* Sys.statistics(server.target, "get")
      assert.strictEqual(stats.messagesIn, 4)
    })))

  it.effect("a handler that returns an Effect runs on the fiber; the messages queued after it wait their turn", () =>
    runTest(Effect.gen(function*() {
      const server = yield* GenServer.start(Recorder, yield* Process.self)
      yield* notes(server, ["before"])
      const slow = yield* Effect.forkChild(GenServer.call(server, Slow))
      yield* Effect.yieldNow
      yield* notes(server, ["after"])
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Fiber.await(slow), Exit.succeed("slow"))
      assert.deepStrictEqual(yield* GenServer.call(server, Log), ["before", "slow", "after"])
    })))

  it.effect("a plain handler that throws crashes the server as on the fiber: terminate, the report, the reason", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      yield* runLogged(lines, Effect.gen(function*() {
        const server = yield* GenServer.start(Recorder, yield* Process.self)
        const watched = yield* Process.monitor(server.target as Pid)
        const before = yield* directHandled
        yield* notes(server, ["one"])
        yield* GenServer.cast(server, Boom)
        yield* notes(server, ["never handled"])
        const terminated = yield* Process.receive({ match: isTerminated })
        assert.deepStrictEqual(terminated.log, ["one"])
        assert.strictEqual(terminated.reason._tag, "Crash")
        const down = yield* Process.receive({ match: Process.isDownMessage })
        assert.strictEqual(down.ref, watched)
        assert.strictEqual(down.reason._tag, "Crash")
        assert.include(Cause.pretty((down.reason as ExitReason.Crash).cause), "boom in a plain handler")
        // "one" and the throwing cast were handled from the run queue, the last one never.
        assert.strictEqual((yield* directHandled) - before, 2)
      }))
      assert.isTrue(lines.some((l) => l.includes("terminating") && l.includes("Boom")))
    }))

  it.effect("a stop from a plain call: the reply after terminate, the exit reason, nothing else handled", () =>
    runTest(Effect.gen(function*() {
      const server = yield* GenServer.start(Recorder, yield* Process.self)
      const ref = yield* Process.monitor(server.target as Pid)
      yield* notes(server, ["x"])
      assert.strictEqual(yield* GenServer.call(server, Halt), "halting")
      const terminated = yield* Process.receive({ match: isTerminated })
      assert.deepStrictEqual(terminated.log, ["x"])
      const down = yield* Process.receive({ match: Process.isDownMessage })
      assert.strictEqual(down.ref, ref)
      assert.strictEqual(down.reason._tag, "Shutdown")
    })))

  it.effect("an idle timeout set by a plain handler fires; a message before it cancels it", () =>
    runTest(Effect.gen(function*() {
      const server = yield* GenServer.start(Recorder, yield* Process.self)
      yield* GenServer.cast(server, Arm)
      yield* TestClock.adjust("4 seconds")
      yield* notes(server, ["in time"])
      yield* TestClock.adjust("10 seconds")
      assert.deepStrictEqual(yield* GenServer.call(server, Log), ["armed", "in time"])
      yield* GenServer.cast(server, Arm)
      yield* TestClock.adjust("5 seconds")
      assert.deepStrictEqual(yield* GenServer.call(server, Log), ["armed", "in time", "armed", "timeout"])
    })))

  it.effect("a continue from a plain handler runs before the messages queued behind it", () =>
    runTest(Effect.gen(function*() {
      const server = yield* GenServer.start(Recorder, yield* Process.self)
      yield* GenServer.cast(server, Chain)
      yield* notes(server, ["queued"])
      yield* Process.send(server.target as Pid, "info")
      assert.deepStrictEqual(yield* GenServer.call(server, Log), ["chain", "continue:next", "queued", "info:info"])
    })))

  it.effect("system messages among plain ones: each sees the state of the messages before it", () =>
    runTest(Effect.gen(function*() {
      const server = yield* GenServer.start(Recorder, yield* Process.self)
      const pid = server.target as Pid
      yield* notes(server, ["1", "2"])
      const state = yield* Sys.getState(pid)
      assert.deepStrictEqual((state as State).log, ["1", "2"])
      yield* Sys.suspend(pid)
      const before = yield* directHandled
      yield* notes(server, ["3"])
      // Suspended: the cast waits, and is not handled from the run queue either.
      assert.deepStrictEqual(((yield* Sys.getState(pid)) as State).log, ["1", "2"])
      assert.strictEqual((yield* directHandled) - before, 0)
      yield* Sys.resume(pid)
      assert.deepStrictEqual(yield* GenServer.call(server, Log), ["1", "2", "3"])
    })))

  it.effect("traced, every message goes through the fiber and is logged", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      yield* runLogged(lines, Effect.gen(function*() {
        const server = yield* GenServer.start(Recorder, yield* Process.self)
        yield* Sys.trace(server.target as Pid, true)
        const before = yield* directHandled
        yield* notes(server, ["traced"])
        yield* GenServer.call(server, Log)
        assert.strictEqual((yield* directHandled) - before, 0)
      }))
      assert.isTrue(lines.some((l) => l.includes("got") && l.includes("traced")))
    }))

  it.effect("the parent's exit to a trapping child goes to the fiber: terminate runs with its reason", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const Trapper = GenServer.make({
        name: "Trapper",
        casts: [Note],
        init: () => Effect.as(Process.trapExit(true), GenServer.ok<ReadonlyArray<string>>([])),
        handleCast: { Note: ({ text }, log) => GenServer.noreply([...log, text]) },
        terminate: (reason, log) => Process.send(self, { _tag: "Terminated", reason, log })
      })
      const sup = yield* Supervisor.start([GenServer.childSpec(Trapper, undefined, { id: "trapper" })])
      const [child] = yield* Supervisor.whichChildren(sup)
      const pid = child!.pid as Pid
      yield* GenServer.cast(GenServer.ref(Trapper, pid), Note, { text: "before shutdown" })
      yield* Supervisor.stop(sup)
      const terminated = yield* Process.receive({ match: isTerminated })
      assert.deepStrictEqual(terminated.log, ["before shutdown"])
      assert.strictEqual(terminated.reason._tag, "Shutdown")
    })))

  it.effect("a kill between messages handled from the run queue: the rest is dropped, the reason is killed", () =>
    runTest(Effect.gen(function*() {
      const server = yield* GenServer.start(Recorder, yield* Process.self)
      const pid = server.target as Pid
      const ref = yield* Process.monitor(pid)
      // The kill lands between casts that the run queue handles in one turn.
      yield* notes(server, ["first"])
      yield* Process.exit(pid, ExitReason.kill)
      yield* notes(server, ["dropped"])
      const down = yield* Process.receive({ match: Process.isDownMessage })
      assert.strictEqual(down.ref, ref)
      assert.strictEqual(down.reason._tag, "Killed")
      assert.isTrue(Option.isNone(yield* Process.info(pid)))
    })))
})

describe("a process about to wait runs the one task due next, in the run queue's order", () => {
  it.effect("the pinger of a ping-pong goes on without suspending, and every pong arrives in order", () =>
    runTest(Effect.gen(function*() {
      const me = yield* Process.self
      const ponger = yield* Process.spawn(Effect.gen(function*() {
        while (true) {
          const [from, i] = (yield* Process.receive()) as readonly [Pid, number]
          yield* Process.send(from, i)
        }
      }))
      const got: Array<unknown> = []
      for (let i = 0; i < 200; i++) {
        yield* Process.send(ponger, [me, i])
        got.push(yield* Process.receive())
      }
      assert.deepStrictEqual(got, Array.from({ length: 200 }, (_, i) => i))
    })))

  it.effect("a task left in the batch being run goes first: the woken process waits its turn", () =>
    runTest(Effect.gen(function*() {
      const order: Array<string> = []
      const b = yield* Process.spawn(Effect.gen(function*() {
        yield* Process.receive()
        order.push("b")
      }))
      const c = yield* Process.spawn(Effect.gen(function*() {
        yield* Process.receive()
        order.push("c")
      }))
      const a = yield* Process.spawn(Effect.gen(function*() {
        yield* Process.receive()
        order.push("a")
        // Wakes b, then waits: c, woken in the same batch as a, is due before b.
        yield* Process.send(b, "go")
        yield* Process.receive()
      }))
      yield* Effect.yieldNow
      // One sender wakes a and c: they run in one batch, a first.
      yield* Effect.sync(() => {
        Process.sendUnsafe(a, "go")
        Process.sendUnsafe(c, "go")
      })
      while (order.length < 3) yield* Effect.yieldNow
      assert.deepStrictEqual(order, ["a", "c", "b"])
    })))

  it.effect("a loop of calls answered at once still suspends every so often: other work gets its turn", () =>
    runTest(Effect.gen(function*() {
      const server = yield* GenServer.start(Recorder, yield* Process.self)
      let calls = 0
      let seenAt = -1
      queueMicrotask(() => {
        seenAt = calls
      })
      for (let i = 0; i < 1000; i++) {
        yield* GenServer.call(server, Log)
        calls++
      }
      // Without a bound, the loop would keep the thread until Effect's own yield (hundreds of calls).
      assert.isAtLeast(seenAt, 0)
      assert.isBelow(seenAt, 100)
    })))
})

describe("a sender that outruns its receiver yields now and then", () => {
  it.effect("a tight send loop keeps the receiver's mailbox bounded; every message arrives, in order", () =>
    runTest(Effect.gen(function*() {
      const me = yield* Process.self
      const n = 100_000
      const receiver = yield* Process.spawn(Effect.gen(function*() {
        let expected = 0
        for (let i = 0; i < n; i++) {
          if ((yield* Process.receive()) !== expected) return yield* Process.send(me, { _tag: "OutOfOrder", at: i })
          expected++
        }
        yield* Process.send(me, { _tag: "Done", count: expected })
      }))
      let peak = 0
      for (let i = 0; i < n; i++) {
        yield* Process.send(receiver, i)
        if ((i & 255) === 0) {
          const info = yield* Process.info(receiver)
          if (Option.isSome(info)) peak = Math.max(peak, info.value.messageQueueLength)
        }
      }
      const done = yield* Process.receive()
      assert.deepStrictEqual(done, { _tag: "Done", count: n })
      // Without the yield the sender would get two sends in per receive: about n / 2 waiting.
      assert.isBelow(peak, 8192)
    })))
})

describe("a message that cannot be looked at", () => {
  it.effect("a revoked Proxy sent to a GenServer goes to handleInfo, idle or busy; the server goes on", () =>
    runTest(Effect.gen(function*() {
      const server = yield* GenServer.start(Recorder, yield* Process.self)
      const pid = server.target as Pid
      const revoked = () => {
        const { proxy, revoke } = Proxy.revocable({}, {})
        revoke()
        return proxy
      }
      // Idle: from the run queue.
      yield* Process.send(pid, revoked())
      assert.strictEqual((yield* GenServer.call(server, Log)).length, 1)
      // Busy: queued behind a call that runs on the fiber.
      const slow = yield* Effect.forkChild(GenServer.call(server, Slow))
      yield* Effect.yieldNow
      yield* Process.send(pid, revoked())
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Fiber.await(slow), Exit.succeed("slow"))
      const log = yield* GenServer.call(server, Log)
      assert.strictEqual(log.length, 3)
      assert.strictEqual(log[1], "slow")
      assert.isTrue(log[0]!.startsWith("info:") && log[2]!.startsWith("info:"))
    })))
})

describe("a message that cannot be looked at, to the library's own servers", () => {
  it.effect("a supervisor and a dynamic supervisor get a revoked Proxy and go on supervising", () =>
    runTest(Effect.gen(function*() {
      const revoked = () => {
        const { proxy, revoke } = Proxy.revocable({}, {})
        revoke()
        return proxy
      }
      const sup = yield* Supervisor.start([GenServer.childSpec(Recorder, yield* Process.self, { id: "recorder" })])
      const dyn = yield* DynamicSupervisor.start()
      const supPid = sup.target as Pid
      const dynPid = dyn.target as Pid
      yield* Process.send(supPid, revoked())
      yield* Process.send(dynPid, revoked())
      const [child] = yield* Supervisor.whichChildren(sup)
      assert.strictEqual(child!.id, "recorder")
      assert.isTrue(Option.isSome(yield* Process.info(supPid)))
      assert.isTrue(Option.isSome(yield* Process.info(dynPid)))
      assert.deepStrictEqual(yield* DynamicSupervisor.whichChildren(dyn), [])
    })))
})
