/**
 * Timers and durations (issue 15, fault class 3): overdue timers fire in deadline order across
 * all delays, as Erlang's timer wheel fires them; every duration a user gives is checked as OTP
 * checks it (a typed `BadArgument` for a negative, `NaN`, `-Infinity` or non-duration value,
 * never a clamp or a hang).
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, Duration, Effect, Exit, Fiber, Option, Schema } from "effect"
import { Rpc } from "effect/rpc"
import * as fc from "fast-check"
import { TestClock } from "effect/testing"
import { Errors, Gen, GenServer, Pid, Process, type Reference, Sys } from "../index.js"
import { drain, inNode } from "./support/process.js"

const settle = Effect.gen(function*() {
  for (let i = 0; i < 5; i++) yield* Effect.yieldNow
})

/**
 * A clock whose time moves only when told, and whose sleepers wake only when told: a late wake
 * is what a blocked event loop gives (the timer fiber wakes past several deadlines at once).
 */
class ManualClock implements Clock.Clock {
  time = 0
  private sleepers = new Set<() => void>()
  currentTimeMillisUnsafe(): number {
    return this.time
  }
  readonly currentTimeMillis = Effect.sync(() => this.time)
  currentTimeNanosUnsafe(): bigint {
    return BigInt(this.time) * 1_000_000n
  }
  readonly currentTimeNanos = Effect.sync(() => this.currentTimeNanosUnsafe())
  monotonicTimeNanosUnsafe(): bigint {
    return this.currentTimeNanosUnsafe()
  }
  readonly monotonicTimeNanos = Effect.sync(() => this.currentTimeNanosUnsafe())
  sleep(duration: Duration.Duration): Effect.Effect<void> {
    // As the default clock: no time to wait is a yield.
    if (Duration.toMillis(duration) <= 0) return Effect.yieldNow
    return Effect.callback<void>((resume) => {
      const wake = () => resume(Effect.void)
      this.sleepers.add(wake)
      return Effect.sync(() => this.sleepers.delete(wake))
    })
  }
  /** Sets the time, then wakes every sleeper, late. */
  jump(time: number): void {
    this.time = time
    const sleepers = [...this.sleepers]
    this.sleepers.clear()
    for (const wake of sleepers) wake()
  }
}

const withClock = (clock: Clock.Clock) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provideService(effect, Clock.Clock, clock)

describe("timer order", () => {
  it.effect("overdue timers fire in deadline order across delays when the timer fiber wakes late", () =>
    Effect.gen(function*() {
      const clock = new ManualClock()
      const order = yield* inNode(Effect.gen(function*() {
        const self = yield* Process.self
        yield* Process.sendAfter(self, 30, 30)
        yield* Process.sendAfter(self, 10, 10)
        yield* Process.sendAfter(self, 20, 20)
        // The event loop was blocked: the timer fiber wakes at 100 ms, past all three deadlines.
        yield* Effect.sync(() => clock.jump(100))
        return yield* drain
      })).pipe(withClock(clock))
      assert.deepStrictEqual(order, [10, 20, 30])
    }))

  it.effect("timers due at the same time fire in the order they were set (TestClock)", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      yield* Process.sendAfter(self, "p1", 10)
      yield* Process.sendAfter(self, "q", 20) // due at 20, set first
      yield* TestClock.adjust(5)
      yield* Process.sendAfter(self, "p2", 10)
      yield* TestClock.adjust(5)
      yield* Process.sendAfter(self, "r", 10) // due at 20 too, set later, with the 10 ms delay
      yield* TestClock.adjust(10)
      assert.deepStrictEqual(yield* drain, ["p1", "p2", "q", "r"])
    })))

  it.effect("a timer set while timers fire waits for the next round, even with delay 0", () =>
    Effect.gen(function*() {
      const clock = new ManualClock()
      const got = yield* inNode(Effect.gen(function*() {
        const self = yield* Process.self
        yield* Process.sendAfter(self, "a", 10)
        yield* Effect.sync(() => clock.jump(10))
        assert.deepStrictEqual(yield* drain, ["a"])
        yield* Process.sendAfter(self, "b", 0)
        yield* settle
        return yield* drain
      })).pipe(withClock(clock))
      assert.deepStrictEqual(got, ["b"])
    }))

  type Action =
    | { readonly _tag: "set"; readonly delay: number }
    | { readonly _tag: "cancel"; readonly which: number }
    | { readonly _tag: "advance"; readonly millis: number; readonly wake: boolean }

  const actionArb: fc.Arbitrary<Action> = fc.oneof(
    // Delay 0 fires in the timers' next round, without a wake: its own test below.
    { weight: 4, arbitrary: fc.record({ _tag: fc.constant("set" as const), delay: fc.integer({ min: 1, max: 60 }) }) },
    { weight: 1, arbitrary: fc.record({ _tag: fc.constant("cancel" as const), which: fc.nat() }) },
    {
      weight: 2,
      arbitrary: fc.record({ _tag: fc.constant("advance" as const), millis: fc.integer({ min: 0, max: 50 }), wake: fc.boolean() })
    }
  )

  it("property: timers fire in (deadline, set order), never early, each once, cancelled ones never", () =>
    fc.assert(
      fc.asyncProperty(fc.array(actionArb, { maxLength: 60 }), async (actions) => {
        const clock = new ManualClock()
        const outcome = await Effect.runPromise(inNode(Effect.gen(function*() {
          const self = yield* Process.self
          // The model: every timer set, with its deadline and whether it was cancelled.
          const timers: Array<{ readonly id: number; readonly due: number; ref: Reference.Reference; cancelled: boolean }> = []
          const fired: Array<number> = []
          let woken = 0
          for (const action of actions) {
            if (action._tag === "set") {
              const id = timers.length
              const ref = yield* Process.sendAfter(self, id, action.delay)
              timers.push({ id, due: clock.time + action.delay, ref, cancelled: false })
            } else if (action._tag === "cancel") {
              if (timers.length === 0) continue
              const timer = timers[action.which % timers.length]!
              const left = yield* Process.cancelTimer(timer.ref)
              const pending = !timer.cancelled && timer.due > woken
              if (Option.isSome(left) !== pending) return { ok: false, why: `cancelTimer of ${timer.id}` }
              // Past its deadline but not fired yet (the timer fiber was late): 0 left, and it never fires.
              const expectedLeft = Math.max(0, timer.due - clock.time)
              if (Option.isSome(left) && left.value !== expectedLeft) return { ok: false, why: "time left" }
              if (pending) timer.cancelled = true
            } else {
              const time = clock.time + action.millis
              if (action.wake) {
                yield* Effect.sync(() => clock.jump(time))
                woken = time
              } else {
                clock.time = time
              }
              for (const m of yield* drain) fired.push(m as number)
            }
          }
          yield* Effect.sync(() => clock.jump(clock.time + 1000))
          woken = clock.time
          for (const m of yield* drain) fired.push(m as number)
          const expected = timers
            .filter((t) => !t.cancelled)
            .sort((a, b) => a.due - b.due || a.id - b.id)
            .map((t) => t.id)
          return { ok: JSON.stringify(fired) === JSON.stringify(expected), why: `${fired} vs ${expected}` }
        })).pipe(withClock(clock)))
        if (!outcome.ok) throw new Error(outcome.why)
        return true
      }),
      { numRuns: 200 }
    ))

  it.effect("never early: after a late wake, only what is due has fired", () =>
    Effect.gen(function*() {
      const clock = new ManualClock()
      const got = yield* inNode(Effect.gen(function*() {
        const self = yield* Process.self
        yield* Process.sendAfter(self, "late", 50)
        yield* Process.sendAfter(self, "early", 5)
        yield* Effect.sync(() => clock.jump(49))
        const first = yield* drain
        yield* Effect.sync(() => clock.jump(50))
        return [first, yield* drain]
      })).pipe(withClock(clock))
      assert.deepStrictEqual(got, [["early"], ["late"]])
    }))
})

describe("sendAfter and cancelTimer, as Erlang's", () => {
  it.effect("to a name: looked up when the timer fires; nothing is sent if nobody has it then", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      yield* Process.sendAfter("later", "hello", 10)
      yield* Process.sendAfter("nobody", "lost", 10)
      yield* Process.register("later", self)
      yield* TestClock.adjust(10)
      assert.deepStrictEqual(yield* drain, ["hello"])
    })))

  it.effect("cancelTimer: the time left; none once fired; none once the destination pid has exited", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const left = yield* Process.sendAfter(self, "x", 1000)
      yield* TestClock.adjust(400)
      assert.deepStrictEqual(yield* Process.cancelTimer(left), Option.some(600))
      assert.deepStrictEqual(yield* Process.cancelTimer(left), Option.none())
      const fired = yield* Process.sendAfter(self, "y", 10)
      yield* TestClock.adjust(10)
      assert.deepStrictEqual(yield* Process.cancelTimer(fired), Option.none())
      const target = yield* Process.spawn(Process.receive())
      const orphan = yield* Process.sendAfter(target, "z", 1000)
      yield* Process.send(target, "go")
      yield* settle
      assert.isFalse(yield* Process.isAlive(target))
      assert.deepStrictEqual(yield* Process.cancelTimer(orphan), Option.none())
      // A timer to a name is not tied to a process (Erlang: 1000 left).
      const named = yield* Process.sendAfter("someone", "w", 1000)
      assert.deepStrictEqual(yield* Process.cancelTimer(named), Option.some(1000))
      assert.deepStrictEqual(yield* drain, ["y"])
    })))

  it.effect("untyped callers: a destination that is no pid or name is a BadArgument; cancelTimer of a non-reference is none", () =>
    inNode(Effect.gen(function*() {
      const error = yield* Effect.flip(Process.sendAfter(undefined as unknown as Pid.Pid, "x", 10))
      assert.strictEqual(error.operation, "sendAfter")
      assert.deepStrictEqual(yield* Process.cancelTimer(null as unknown as Reference.Reference), Option.none())
      assert.deepStrictEqual(yield* Process.cancelTimer("ref" as unknown as Reference.Reference), Option.none())
    })))
})

// ----------------------------------------------------------------------------
// Durations
// ----------------------------------------------------------------------------

/** Durations OTP rejects, and values that are no duration at all (untyped callers). */
const invalid: ReadonlyArray<readonly [string, unknown]> = [
  ["-1", -1],
  ["NaN", NaN],
  ["-Infinity", -Infinity],
  ["\"-Infinity\"", "-Infinity"],
  ["\"-1 second\"", "-1 second"],
  ["Duration.millis(-5)", Duration.millis(-5)],
  ["-1n (nanos)", -1n],
  ["[NaN, 0]", [NaN, 0]],
  ["{ seconds: NaN }", { seconds: NaN }],
  ["{ second: 5 } (a typo)", { second: 5 }],
  ["{ milliseconds: \"5\" }", { milliseconds: "5" }],
  ["\"soon\"", "soon"],
  ["null", null],
  ["true", true]
]

/**
 * Runs `effect` on a forked fiber and returns its exit if it has ended after a few turns (never
 * waits on a hang: a wait forever is `undefined`).
 */
const exitSoon = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(effect)
    yield* settle
    const exit = fiber.pollUnsafe()
    if (exit === undefined) yield* Fiber.interrupt(fiber)
    return exit
  })

const assertBadArgument = (exit: Exit.Exit<unknown, unknown> | undefined, operation: string, label: string) => {
  assert.isDefined(exit, `${operation}(${label}) hangs`)
  assert.isTrue(Exit.isFailure(exit!), `${operation}(${label}) succeeded`)
  const failure = Exit.isFailure(exit!) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
  assert.isDefined(failure, `${operation}(${label}) did not fail with a typed error`)
  const error = failure!._tag === "Fail" ? failure!.error : undefined
  assert.instanceOf(error, Errors.BadArgument, `${operation}(${label})`)
  assert.strictEqual((error as Errors.BadArgument).operation, operation)
}

describe("durations are checked as OTP checks them", () => {
  it.effect("receive: a bad timeout is a BadArgument (OTP: timeout_value), never a clamp or a hang", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      yield* Process.send(self, "kept")
      for (const [label, timeout] of invalid) {
        const exit = yield* exitSoon(Process.receive({ timeout: timeout as Duration.Input }))
        assertBadArgument(exit, "receive", label)
        const selective = yield* exitSoon(Process.receive({ match: () => true, timeout: timeout as Duration.Input }))
        assertBadArgument(selective, "receive", label)
      }
      // Nothing was taken.
      assert.deepStrictEqual(yield* drain, ["kept"])
    })))

  it.effect("receive: infinity waits as long as it takes, 0 only looks", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      assert.isTrue(Option.isNone(yield* Process.receive({ timeout: 0 })))
      for (const timeout of ["infinity", "Infinity", Infinity, Duration.infinity] as const) {
        const fiber = yield* Effect.forkChild(Process.receive({ timeout }))
        yield* TestClock.adjust("1000 days")
        assert.isUndefined(fiber.pollUnsafe())
        yield* Process.send(self, timeout)
        assert.deepStrictEqual(yield* Fiber.join(fiber), Option.some(timeout))
      }
    })))

  it.effect("sendAfter: a negative, NaN or infinite delay is a BadArgument (OTP: badarg); 0 sends at once", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      for (const [label, delay] of [...invalid, ["Infinity", Infinity], ["\"infinity\"", "infinity"]] as const) {
        assertBadArgument(yield* exitSoon(Process.sendAfter(self, label, delay as Duration.Input)), "sendAfter", label)
      }
      yield* Process.sendAfter(self, "now", 0)
      yield* settle
      assert.deepStrictEqual(yield* drain, ["now"])
    })))

  it.effect("sendAfter: a delay past 2^31 ms (setTimeout's limit) still waits for its deadline", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      yield* Process.sendAfter(self, "late", "30 days")
      yield* TestClock.adjust("29 days")
      assert.deepStrictEqual(yield* drain, [])
      yield* TestClock.adjust("1 day")
      assert.deepStrictEqual(yield* drain, ["late"])
    })))

  const Ping = Rpc.make("Ping", { success: Schema.String })
  const Pinger = GenServer.make({
    name: "Pinger",
    calls: [Ping],
    init: (notify: Pid.Pid) => GenServer.ok(notify),
    handleCall: {
      Ping: (_, notify) => Effect.as(Process.send(notify, "pinged"), GenServer.reply("pong", notify))
    }
  })

  it.effect("call: a bad timeout is a BadArgument and the request is not sent (OTP: function_clause)", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Pinger, self)
      for (const [label, timeout] of invalid) {
        assertBadArgument(
          yield* exitSoon(GenServer.call(server, Ping, undefined, { timeout: timeout as Duration.Input })),
          "call",
          label
        )
        assertBadArgument(yield* exitSoon(Gen.call(server.target, "raw", { timeout: timeout as Duration.Input })), "call", label)
      }
      yield* settle
      assert.deepStrictEqual(yield* drain, [])
      // Valid ones work: infinity, and 0 (times out at once unless the reply is there).
      assert.strictEqual(yield* GenServer.call(server, Ping, undefined, { timeout: "infinity" }), "pong")
      assert.strictEqual(yield* GenServer.call(server, Ping, undefined, { timeout: Infinity }), "pong")
      assert.deepStrictEqual(yield* drain, ["pinged", "pinged"])
    })))

  it.effect("call: a remote target gets only a checked timeout", () =>
    inNode(Effect.gen(function*() {
      const calls: Array<unknown> = []
      const remote: Extract<Gen.Target, { readonly _tag: "Remote" }> = {
        _tag: "Remote",
        label: "Remote/1",
        call: (message, options) => Effect.sync(() => calls.push([message, options?.timeout])),
        cast: () => Effect.void
      }
      assertBadArgument(yield* exitSoon(Gen.call(remote, "m", { timeout: -1 })), "call", "-1")
      yield* Gen.call(remote, "m", { timeout: "1 second" })
      assert.deepStrictEqual(calls, [["m", "1 second"]])
    })))

  it.effect("start: a bad init timeout is a BadArgument and no process is left (OTP: timeout_value)", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const before = (yield* Process.processes).length
      for (const [label, timeout] of invalid) {
        assertBadArgument(
          yield* exitSoon(GenServer.start(Pinger, self, { timeout: timeout as Duration.Input })),
          "start",
          label
        )
        assertBadArgument(
          yield* exitSoon(Gen.start((ack) => ack({ _tag: "Ok" }), { timeout: timeout as Duration.Input })),
          "start",
          label
        )
      }
      yield* settle
      assert.strictEqual((yield* Process.processes).length, before)
      // "infinity" is valid for a start.
      yield* GenServer.start(Pinger, self, { timeout: "infinity" })
    })))

  it.effect("Sys calls and GenServer.stop: a bad timeout is a BadArgument defect (their error types list no BadArgument)", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Pinger, self)
      for (const effect of [Sys.getState(server.target, { timeout: -1 }), GenServer.stop(server, { timeout: NaN })]) {
        const exit = yield* Effect.exit(effect)
        const die = Exit.isFailure(exit) ? exit.cause.reasons.find(Cause.isDieReason) : undefined
        assert.instanceOf(die?.defect, Errors.BadArgument)
      }
      // Nothing was sent: the server still runs.
      assert.isTrue(yield* Process.isAlive(server.target as Pid.Pid))
    })))

  it.effect("the error names the operation and the value", () =>
    inNode(Effect.gen(function*() {
      const error = yield* Effect.flip(Process.receive({ timeout: -5 }))
      assert.strictEqual(error.operation, "receive")
      assert.include(error.message, "-5")
      const typo = yield* Effect.flip(Process.sendAfter(yield* Process.self, "x", { second: 5 } as Duration.Input))
      assert.include(typo.message, "{\"second\":5}")
    })))
})
