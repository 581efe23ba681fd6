/**
 * Agent, checked against Elixir's agent.ex and agent_test.exs: start and start_link (with and
 * without a name), get / update / get_and_update / cast, stop, supervision, and the faults (a
 * function that throws, a bad get_and_update result, untyped arguments). Every timeout is
 * driven by TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Logger, Option } from "effect"
import { TestClock } from "effect/testing"
import { Agent, Errors, ExitReason, Node, Process, Supervisor, Sys } from "../index.js"

const runTest = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()), Effect.provideService(Logger.CurrentLoggers, new Set()))

const crashOf = (error: unknown): unknown => {
  assert.instanceOf(error, Errors.CallExit)
  const reason = (error as Errors.CallExit).reason
  assert.strictEqual(reason._tag, "Crash")
  return reason._tag === "Crash" ? reason.cause : undefined
}

describe("Agent", () => {
  it.effect("start_link workflow: update, get, getAndUpdate, stop (agent_test.exs)", () =>
    runTest(Effect.gen(function*() {
      const agent = yield* Agent.startLink(() => new Map<string, string>())
      const info = Option.getOrThrow(yield* Process.info(yield* Process.self))
      assert.isTrue(info.links.includes(agent.pid!))
      yield* Agent.update(agent, (m) => new Map(m).set("hello", "world"))
      const hello: string | undefined = yield* Agent.get(agent, (m) => m.get("hello"), { timeout: "3 seconds" })
      assert.strictEqual(hello, "world")
      const popped = yield* Agent.getAndUpdate(agent, (m) => {
        const next = new Map(m)
        next.delete("hello")
        return [m.get("hello"), next] as const
      })
      assert.strictEqual(popped, "world")
      assert.strictEqual(yield* Agent.get(agent, (m) => m.size), 0)
      yield* Agent.stop(agent)
      assert.isFalse(yield* Process.isAlive(agent.pid!))
    })))

  it.effect("start workflow with a registered name: cast, get by name, stop frees the name", () =>
    runTest(Effect.gen(function*() {
      const agent = yield* Agent.start(() => 1, { name: "agent" })
      assert.deepStrictEqual(yield* Process.whereis("agent"), Option.some(agent.pid!))
      const named = Agent.ref<number>("agent")
      yield* Agent.cast(named, (n) => n + 41)
      assert.strictEqual(yield* Agent.get(named, (n) => n), 42)
      assert.instanceOf(yield* Effect.flip(Agent.start(() => 0, { name: "agent" })), Errors.AlreadyStarted)
      yield* Agent.stop("agent")
      assert.isTrue(Option.isNone(yield* Process.whereis("agent")))
    })))

  it.effect("the functions run inside the agent, one at a time, in order", () =>
    runTest(Effect.gen(function*() {
      const agent = yield* Agent.start(() => [] as ReadonlyArray<number>)
      const ran: Array<unknown> = []
      yield* Agent.get(agent, () => {
        ran.push("get")
      })
      yield* Effect.forEach([1, 2, 3, 4], (i) => Agent.cast(agent, (xs) => [...xs, i]))
      yield* Effect.forEach([5, 6], (i) => Agent.update(agent, (xs) => [...xs, i]), { concurrency: "unbounded" })
      assert.deepStrictEqual(yield* Agent.get(agent, (xs) => xs), [1, 2, 3, 4, 5, 6])
      assert.deepStrictEqual(yield* Sys.getState(agent.target), [1, 2, 3, 4, 5, 6])
      assert.deepStrictEqual(ran, ["get"])
    })))

  it.effect("a function that throws crashes the agent; the caller gets CallExit with the crash", () =>
    runTest(Effect.gen(function*() {
      const agent = yield* Agent.start(() => 0)
      const boom = new Error("boom")
      const error = yield* Effect.flip(Agent.get(agent, () => {
        throw boom
      }))
      const cause = crashOf(error) as Cause.Cause<unknown>
      assert.isTrue(Cause.hasDies(cause))
      assert.isFalse(yield* Process.isAlive(agent.pid!))
      assert.instanceOf(yield* Effect.flip(Agent.get(agent, (n) => n)), Errors.NoProc)
    })))

  it.effect("a cast that throws crashes the agent too", () =>
    runTest(Effect.gen(function*() {
      const agent = yield* Agent.start(() => 0)
      const ref = yield* Process.monitor(agent.pid!)
      yield* Agent.cast(agent, () => {
        throw new Error("bad cast")
      })
      const down = yield* Process.receive({ match: Process.isDownMessage })
      assert.strictEqual(down.ref, ref)
      assert.strictEqual(down.reason._tag, "Crash")
    })))

  it.effect("getAndUpdate that returns no pair stops the agent with BadReturnValue (Elixir: bad_return_value)", () =>
    runTest(Effect.gen(function*() {
      const agent = yield* Agent.start(() => 0)
      const error = yield* Effect.flip(Agent.getAndUpdate(agent, ((n: number) => n + 1) as any))
      const cause = crashOf(error) as Cause.Cause<unknown>
      const failure = cause.reasons.find(Cause.isFailReason)
      assert.instanceOf(failure?.error, Errors.BadReturnValue)
      assert.strictEqual((failure!.error as Errors.BadReturnValue).value, 1)
      assert.isFalse(yield* Process.isAlive(agent.pid!))
    })))

  it.effect("an init that throws fails the start with InitFailed, and no process is left", () =>
    runTest(Effect.gen(function*() {
      const before = (yield* Process.processes).length
      const error = yield* Effect.flip(Agent.start((): number => {
        throw new Error("no state")
      }))
      assert.instanceOf(error, Errors.InitFailed)
      assert.strictEqual((yield* Process.processes).length, before)
    })))

  it.effect("a slow get times out with CallTimeout; the agent goes on", () =>
    runTest(Effect.gen(function*() {
      const agent = yield* Agent.start(() => 5)
      // An agent that does not answer: suspended (`Sys.suspend`), it takes no request.
      const blocker = yield* Agent.start(() => 0)
      yield* Sys.suspend(blocker.target)
      const fiber = yield* Effect.forkChild(Effect.flip(Agent.get(blocker, (n) => n, { timeout: "100 millis" })))
      yield* TestClock.adjust("100 millis")
      const error = yield* Fiber.join(fiber)
      assert.instanceOf(error, Errors.CallTimeout)
      assert.strictEqual(yield* Agent.get(agent, (n) => n), 5)
      // Resumed, it answers the next get; the late reply of the timed-out one went nowhere.
      yield* Sys.resume(blocker.target)
      assert.strictEqual(yield* Agent.get(blocker, (n) => n + 1), 1)
      assert.strictEqual(Option.getOrThrow(yield* Process.info(yield* Process.self)).messageQueueLength, 0)
    })))

  it.effect("untyped callers: a function that is none is BadArgument (cast: a defect); a bad timeout is BadArgument", () =>
    runTest(Effect.gen(function*() {
      const agent = yield* Agent.start(() => 0)
      assert.instanceOf(yield* Effect.flip(Agent.get(agent, "f" as any)), Errors.BadArgument)
      assert.instanceOf(yield* Effect.flip(Agent.update(agent, null as any)), Errors.BadArgument)
      assert.instanceOf(yield* Effect.flip(Agent.getAndUpdate(agent, 3 as any)), Errors.BadArgument)
      assert.instanceOf(yield* Effect.flip(Agent.start(42 as any)), Errors.BadArgument)
      const cast = yield* Effect.exit(Agent.cast(agent, {} as any))
      assert.isTrue(Exit.isFailure(cast) && Cause.hasDies(cast.cause))
      assert.instanceOf(yield* Effect.flip(Agent.get(agent, (n) => n, { timeout: -1 })), Errors.BadArgument)
      assert.strictEqual(yield* Agent.get(agent, (n) => n), 0)
    })))

  it.effect("untyped callers: the agent given as its pid or name (as Elixir takes it) is reached; anything else is BadArgument (cast: a defect)", () =>
    runTest(Effect.gen(function*() {
      const agent = yield* Agent.start(() => 1, { name: "counter" })
      const byName = "counter" as unknown as Agent.Agent<number>
      const byPid = agent.pid as unknown as Agent.Agent<number>
      yield* Agent.update(byName, (n) => n + 1)
      yield* Agent.cast(byPid, (n) => n * 10)
      assert.strictEqual(yield* Agent.getAndUpdate(byPid, (n) => [n, 0] as const), 20)
      assert.strictEqual(yield* Agent.get(byName, (n) => n), 0)
      assert.instanceOf(yield* Effect.flip(Agent.get("nobody" as unknown as Agent.Agent<number>, (n) => n)), Errors.NoProc)
      for (const bad of [undefined, null, 42, {}] as Array<any>) {
        const error = yield* Effect.flip(Agent.get(bad, (n) => n))
        assert.instanceOf(error, Errors.BadArgument, String(bad))
        assert.strictEqual((error as Errors.BadArgument).operation, "Agent.get")
        assert.instanceOf(yield* Effect.flip(Agent.update(bad, (n) => n)), Errors.BadArgument)
        const cast = yield* Effect.exit(Agent.cast(bad, (n) => n))
        assert.isTrue(Exit.isFailure(cast) && Cause.hasDies(cast.cause), String(bad))
      }
      assert.strictEqual(yield* Agent.get(agent, (n) => n), 0)
    })))

  it.effect("stop with a reason; stopping a missing agent is NoProc", () =>
    runTest(Effect.gen(function*() {
      const agent = yield* Agent.start(() => 0)
      const ref = yield* Process.monitor(agent.pid!)
      yield* Agent.stop(agent, { reason: ExitReason.shutdown() })
      const down = yield* Process.receive({ match: Process.isDownMessage })
      assert.strictEqual(down.ref, ref)
      assert.strictEqual(down.reason._tag, "Shutdown")
      assert.instanceOf(yield* Effect.flip(Agent.stop(agent)), Errors.NoProc)
    })))

  it.effect("supervised (agent_test.exs: can be supervised directly): restarted with a fresh state after a crash", () =>
    runTest(Effect.gen(function*() {
      const supervisor = yield* Supervisor.start([Agent.childSpec(() => 10, { name: "hits" })])
      const hits = Agent.ref<number>("hits")
      yield* Agent.update(hits, (n) => n + 1)
      assert.strictEqual(yield* Agent.get(hits, (n) => n), 11)
      const first = Option.getOrThrow(yield* Process.whereis("hits"))
      yield* Effect.flip(Agent.get(hits, () => {
        throw new Error("crash")
      }))
      // The supervisor restarts it under the same name, with init run again.
      let again = yield* Process.whereis("hits")
      while (Option.isNone(again) || again.value === first) {
        yield* Effect.yieldNow
        again = yield* Process.whereis("hits")
      }
      assert.strictEqual(yield* Agent.get(hits, (n) => n), 10)
      const spec = Agent.childSpec(() => 0)
      assert.strictEqual(spec.id, "Agent")
      assert.strictEqual(spec.restart, "permanent")
      assert.strictEqual(spec.shutdown, 5000)
      yield* Supervisor.stop(supervisor)
    })))
})
