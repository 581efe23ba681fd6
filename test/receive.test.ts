/**
 * No message is ever lost by an interrupted receive (issue 15, fault class 2), whatever the form
 * of the receive, whatever interrupts it, and wherever the interruption lands; and a process
 * that stopped waiting says so.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Option, Scheduler } from "effect"
import * as fc from "fast-check"
import { TestClock } from "effect/testing"
import { Gen, GenServer, Pid, Process } from "../index.js"
import { drain, inNode } from "./support/process.js"

const status = (pid: Pid.Pid) => Effect.map(Process.info(pid), (info) => Option.getOrThrow(info).status)

/** Lets queued wake-ups (the node's run queue, a microtask) and forked fibers run. */
const settle = Effect.gen(function*() {
  for (let i = 0; i < 5; i++) yield* Effect.yieldNow
})

type Form = {
  readonly name: string
  /** A receive that waits for "m" (or anything). */
  readonly receive: Effect.Effect<unknown, unknown, Process.CurrentProcess>
}

const forms: ReadonlyArray<Form> = [
  { name: "receive()", receive: Process.receive() },
  { name: "receive({ match })", receive: Process.receive({ match: (m) => m === "m" }) },
  { name: "receive({ timeout: 1 hour })", receive: Process.receive({ timeout: "1 hour" }) },
  { name: "receive({ timeout: infinity })", receive: Process.receive({ timeout: "infinity" }) },
  { name: "receive({ match, timeout: Infinity })", receive: Process.receive({ match: (m) => m === "m", timeout: Infinity }) }
]

type Interrupter = {
  readonly name: string
  /** Runs `receive` so that it is abandoned while it waits; returns once it is. */
  readonly abandon: (receive: Effect.Effect<unknown, unknown, Process.CurrentProcess>) => Effect.Effect<void, unknown, Process.CurrentProcess>
}

const interrupters: ReadonlyArray<Interrupter> = [
  {
    name: "Effect.timeout",
    abandon: (receive) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(Effect.exit(Effect.timeout(receive, "10 millis")))
        yield* TestClock.adjust("20 millis")
        const exit = yield* Fiber.join(fiber)
        assert.isTrue(Exit.isFailure(exit))
      })
  },
  {
    name: "Effect.race with a sleep",
    abandon: (receive) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(Effect.race(receive, Effect.as(Effect.sleep("10 millis"), "slept")))
        yield* TestClock.adjust("20 millis")
        assert.strictEqual(yield* Fiber.join(fiber), "slept")
      })
  },
  {
    name: "Fiber.interrupt",
    abandon: (receive) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(receive)
        yield* settle
        yield* Fiber.interrupt(fiber)
      })
  }
]

describe("an interrupted receive loses no message", () => {
  for (const form of forms) {
    for (const interrupter of interrupters) {
      it.effect(`${form.name} abandoned by ${interrupter.name}: the next message is received; status is running`, () =>
        inNode(Effect.gen(function*() {
          const self = yield* Process.self
          yield* interrupter.abandon(form.receive)
          assert.strictEqual(yield* status(self), "running")
          // From another process, and after the run queue had its turn: a waiter left behind
          // would have been handed the message.
          yield* Process.spawn(Process.send(self, "m"))
          yield* settle
          assert.deepStrictEqual(yield* drain, ["m"])
        })))
    }
  }

  it.effect("a receive interrupted while the message is on its way (same turn) leaves it in the mailbox", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const fiber = yield* Effect.forkChild(Process.receive())
      yield* settle
      // The message makes the process runnable; the interruption comes before its turn.
      yield* Process.send(self, "m")
      assert.strictEqual(yield* status(self), "runnable")
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(yield* drain, ["m"])
    })))

  it.effect("status: waiting while blocked in receive, runnable once a message arrives, running after", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const pid = yield* Process.spawn(Effect.gen(function*() {
        yield* Process.receive()
        yield* Process.send(me, "got")
        yield* Process.receive({ match: (m) => m === "never" })
      }))
      yield* settle
      assert.strictEqual(yield* status(pid), "waiting")
      yield* Process.send(pid, "x")
      assert.strictEqual(yield* status(pid), "runnable")
      yield* Process.receive()
      // Waiting again, selectively: a message it does not take wakes it, and it waits again.
      assert.strictEqual(yield* status(pid), "waiting")
      yield* Process.send(pid, "other")
      yield* settle
      assert.strictEqual(yield* status(pid), "waiting")
    })))
})

describe("receives of several fibers of one process", () => {
  it.effect("a race of two selective receives takes one message; the other stays for later", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const fiber = yield* Effect.forkChild(Effect.race(
        Process.receive({ match: (m) => m === "a" }),
        Process.receive({ match: (m) => m === "b" })
      ))
      yield* settle
      yield* Process.send(self, "b")
      yield* Process.send(self, "a")
      assert.strictEqual(yield* Fiber.join(fiber), "b")
      assert.strictEqual(yield* status(self), "running")
      assert.deepStrictEqual(yield* drain, ["a"])
    })))

  it.effect("waiting receives are served oldest first, one message each", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const first = yield* Effect.forkChild(Process.receive())
      yield* settle
      const second = yield* Effect.forkChild(Process.receive())
      yield* settle
      assert.strictEqual(yield* status(self), "waiting")
      yield* Process.send(self, 1)
      assert.strictEqual(yield* Fiber.join(first), 1)
      // The other receive still waits.
      assert.strictEqual(yield* status(self), "waiting")
      yield* Process.send(self, 2)
      yield* Process.send(self, 3)
      assert.strictEqual(yield* Fiber.join(second), 2)
      assert.deepStrictEqual(yield* drain, [3])
    })))

  it.effect("a receive that starts while another waits takes its turn, even when a message is already there", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const first = yield* Effect.forkChild(Process.receive())
      yield* settle
      // Delivered but not yet handed over (the run queue has not run): the waiting receive
      // has it, not the newcomer.
      yield* Process.send(self, "first")
      const second = yield* Effect.forkChild(Process.receive())
      yield* Process.send(self, "second")
      assert.strictEqual(yield* Fiber.join(first), "first")
      assert.strictEqual(yield* Fiber.join(second), "second")
    })))

  it.effect("a waiting selective receive does not hold up another fiber's receive of a message it does not want", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const picky = yield* Effect.forkChild(Process.receive({ match: (m) => m === "wanted" }))
      yield* settle
      yield* Process.send(self, "other")
      assert.strictEqual(yield* Process.receive(), "other")
      yield* Process.send(self, "wanted")
      assert.strictEqual(yield* Fiber.join(picky), "wanted")
    })))
})

describe("the other waits of the process core, interrupted", () => {
  /** A server that answers a call only when told to (it keeps the reply handle). */
  const lateServer = Effect.gen(function*() {
    let pending: Gen.From | undefined
    while (true) {
      const m = yield* Process.receive()
      if (m instanceof Gen.CallMessage) {
        if (m.request === "now") yield* GenServer.replyTo(m.from, "now")
        else pending = m.from
      } else if (m === "answer" && pending !== undefined) {
        yield* GenServer.replyTo(pending, "late")
      }
    }
  })

  it.effect("a call abandoned by Effect.timeout: the late reply is dropped, and the next call is answered", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* Process.spawn(lateServer)
      const abandoned = yield* Effect.forkChild(Effect.exit(Effect.timeout(Gen.call(server, "later", { timeout: "infinity" }), "1 second")))
      yield* TestClock.adjust("2 seconds")
      assert.isTrue(Exit.isFailure(yield* Fiber.join(abandoned)))
      yield* Process.send(server, "answer")
      yield* settle
      assert.deepStrictEqual(yield* drain, [])
      assert.strictEqual(yield* Gen.call(server, "now"), "now")
      assert.strictEqual(yield* status(self), "running")
    })))

  const slowInit = (ack: Gen.Ack) =>
    Effect.gen(function*() {
      yield* Effect.sleep("10 seconds")
      yield* ack({ _tag: "Ok" })
      yield* Process.receive({ match: () => false })
    })

  it.effect("a start abandoned by Effect.timeout leaves no process behind and frees the name", () =>
    inNode(Effect.gen(function*() {
      const before = (yield* Process.processes).length
      const fiber = yield* Effect.forkChild(Effect.exit(Effect.timeout(
        Gen.start(slowInit, { name: "slow", timeout: "infinity" }),
        "1 second"
      )))
      yield* TestClock.adjust("2 seconds")
      assert.isTrue(Exit.isFailure(yield* Fiber.join(fiber)))
      yield* settle
      assert.isTrue(Option.isNone(yield* Process.whereis("slow")))
      assert.strictEqual((yield* Process.processes).length, before)
    })))

  it.effect("a startLink abandoned by interruption unlinks first: the starter gets no exit signal", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      yield* Process.trapExit(true)
      const before = (yield* Process.processes).length
      const fiber = yield* Effect.forkChild(Gen.startLink(slowInit, { name: "slow", timeout: "infinity" }))
      yield* settle
      yield* Fiber.interrupt(fiber)
      yield* settle
      assert.strictEqual((yield* Process.processes).length, before)
      assert.deepStrictEqual(yield* drain, [])
      assert.isTrue(yield* Process.isAlive(self))
    })))
})

// ----------------------------------------------------------------------------
// Interruption at every scheduling point
// ----------------------------------------------------------------------------

/**
 * A scheduler that, once armed for a fiber, makes it yield at its `n`-th scheduling check and
 * interrupts it right there: the interruption lands at that exact point of the fiber's run, as
 * if it came while the fiber had yielded. Everything else runs as with Effect's default
 * scheduler.
 */
class InterruptingScheduler implements Scheduler.Scheduler {
  readonly executionMode = "async" as const
  private readonly base = new Scheduler.MixedScheduler()
  private target: Fiber.Fiber<unknown, unknown> | undefined = undefined
  private countdown = 0
  fired = false

  arm(fiber: Fiber.Fiber<unknown, unknown>, n: number): void {
    this.target = fiber
    this.countdown = n
    this.fired = false
  }

  shouldYield(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    if (fiber === this.target && --this.countdown === 0) {
      this.target = undefined
      this.fired = true
      fiber.interruptUnsafe()
      return true
    }
    return this.base.shouldYield(fiber)
  }

  makeDispatcher(): Scheduler.SchedulerDispatcher {
    return this.base.makeDispatcher()
  }
}

const withScheduler = (scheduler: Scheduler.Scheduler) =>
<A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provideService(effect, Scheduler.Scheduler, scheduler)

type Case = {
  readonly name: string
  readonly receive: Effect.Effect<unknown, unknown, Process.CurrentProcess>
  /** The value the receive returns for the message "m". */
  readonly got: (value: unknown) => unknown
}

const cases: ReadonlyArray<Case> = [
  { name: "receive()", receive: Process.receive(), got: (v) => v },
  { name: "receive({ match })", receive: Process.receive({ match: (m) => m === "m" }), got: (v) => v },
  {
    name: "receive({ timeout })",
    receive: Process.receive({ timeout: "1 hour" }),
    got: (v) => Option.getOrUndefined(v as Option.Option<unknown>)
  },
  {
    name: "receive({ match, timeout: infinity })",
    receive: Process.receive({ match: (m) => m === "m", timeout: "infinity" }),
    got: (v) => Option.getOrUndefined(v as Option.Option<unknown>)
  }
]

/**
 * Runs `receive` on a fiber of a process, interrupted at its `n`-th scheduling point, and
 * returns what the receive got (if it finished first) and what is left in the mailbox.
 * `waitFirst`: the receive waits before the message comes (else the message is already there).
 */
const interruptedAt = (c: Case, n: number, waitFirst: boolean) => {
  const scheduler = new InterruptingScheduler()
  return inNode(Effect.gen(function*() {
    const self = yield* Process.self
    if (!waitFirst) yield* Process.send(self, "m")
    const fiber = yield* Effect.forkChild(Effect.andThen(
      Effect.withFiber((fiber) => Effect.sync(() => waitFirst || scheduler.arm(fiber, n))),
      c.receive
    ))
    if (waitFirst) {
      yield* settle
      scheduler.arm(fiber, n)
      yield* Process.send(self, "m")
    }
    const exit = yield* Fiber.await(fiber)
    yield* settle
    const left = yield* drain
    return {
      fired: scheduler.fired,
      received: Exit.isSuccess(exit) ? [c.got(exit.value)] : [],
      left,
      status: yield* status(self)
    }
  })).pipe(withScheduler(scheduler))
}

describe("interrupted at every scheduling point of a receive", () => {
  for (const c of cases) {
    for (const waitFirst of [true, false]) {
      it.effect(
        `${c.name}, ${waitFirst ? "waiting for the message" : "with the message already there"}: exactly one of the receive and the mailbox has it`,
        () =>
          Effect.gen(function*() {
            // Sweep the interruption over every point until the receive finishes before it.
            let points = 0
            for (let n = 1; n <= 60; n++) {
              const outcome = yield* interruptedAt(c, n, waitFirst)
              assert.deepStrictEqual([...outcome.received, ...outcome.left], ["m"], `interrupted at point ${n}`)
              assert.strictEqual(outcome.status, "running", `status after an interruption at point ${n}`)
              if (!outcome.fired) break
              points++
            }
            assert.isAbove(points, 0)
          })
      )
    }
  }
})

// ----------------------------------------------------------------------------
// Property: random schedules
// ----------------------------------------------------------------------------

type Op = {
  readonly kind: "plain" | "selective" | "timed" | "poll"
  /** For selective receives: the sender it wants. */
  readonly sender: number
  readonly timeout: number
  readonly wrap: "none" | "timeout" | "race-sleep" | "race-receive" | "interrupt"
  readonly after: number
  /** How long the receiver then does something else (messages arrive meanwhile). */
  readonly pause: number
}

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom("plain", "selective", "timed", "poll"),
  sender: fc.nat({ max: 2 }),
  timeout: fc.integer({ min: 0, max: 30 }),
  wrap: fc.constantFrom("none", "timeout", "race-sleep", "race-receive", "interrupt"),
  after: fc.integer({ min: 0, max: 4 }),
  pause: fc.constantFrom(0, 0, 5, 15)
})

type Step =
  | { readonly _tag: "send"; readonly sender: number }
  | { readonly _tag: "tick"; readonly millis: number }
  | { readonly _tag: "yield" }

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ _tag: fc.constant("send" as const), sender: fc.nat({ max: 2 }) }),
  fc.record({ _tag: fc.constant("tick" as const), millis: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ _tag: fc.constant("yield" as const) })
)

interface Tagged {
  readonly sender: number
  readonly seq: number
}

const isTagged = (m: unknown): m is Tagged => typeof m === "object" && m !== null && "seq" in m
const from = (sender: number) => (m: unknown): m is Tagged => isTagged(m) && m.sender === sender

const noValue = Symbol("noValue")

/** One receive of the receiver's program; every form ends by itself (each blocks at most 30 ms). */
const receiveOp = (op: Op): Effect.Effect<ReadonlyArray<unknown>, unknown, Process.CurrentProcess> => {
  const some = (o: Option.Option<unknown>) => (Option.isSome(o) ? o.value : noValue)
  const base: Effect.Effect<unknown, unknown, Process.CurrentProcess> = op.kind === "plain"
    ? Process.receive()
    : op.kind === "selective"
    ? Process.receive({ match: from(op.sender) })
    : op.kind === "timed"
    ? Effect.map(Process.receive({ match: from(op.sender), timeout: op.timeout }), some)
    : Effect.map(Process.receive({ timeout: 0 }), some)
  const result = (v: unknown) => (v === noValue ? [] : [v])
  switch (op.wrap) {
    case "none":
    case "timeout":
      return Effect.map(Effect.timeoutOption(base, 30), (o) => result(some(o)))
    case "race-sleep":
      return Effect.map(Effect.race(base, Effect.as(Effect.sleep(op.timeout), noValue)), result)
    case "race-receive":
      return Effect.map(
        Effect.timeoutOption(Effect.race(base, Process.receive({ match: from((op.sender + 1) % 3) })), 30),
        (o) => result(some(o))
      )
    case "interrupt":
      return Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(base)
        for (let i = 0; i < op.after; i++) yield* Effect.yieldNow
        yield* Fiber.interrupt(fiber)
        const exit = yield* Fiber.await(fiber)
        return Exit.isSuccess(exit) ? result(exit.value) : []
      })
  }
}

describe("property: random schedules of sends and interrupted receives", () => {
  it("every message sent is received exactly once, in per-sender order", () =>
    fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 25 }), fc.array(stepArb, { maxLength: 40 }), async (ops, steps) => {
        const outcome = await Effect.runPromise(inNode(Effect.gen(function*() {
          const driver = yield* Process.self
          const receiver = yield* Process.spawn(Effect.gen(function*() {
            const got: Array<unknown> = []
            for (const op of ops) {
              for (const m of yield* receiveOp(op)) got.push(m)
              if (op.pause > 0) yield* Effect.sleep(op.pause)
            }
            yield* Process.send(driver, "ops done")
            yield* Process.receive({ match: (m) => m === "done" })
            for (const m of yield* drain) got.push(m)
            yield* Process.send(driver, got)
          }))
          const next = [0, 0, 0]
          const sent: Array<Tagged> = []
          for (const step of steps) {
            if (step._tag === "send") {
              const m = { sender: step.sender, seq: next[step.sender]++ }
              sent.push(m)
              yield* Process.send(receiver, m)
            } else if (step._tag === "tick") {
              yield* TestClock.adjust(step.millis)
            } else {
              yield* Effect.yieldNow
            }
          }
          // Let the receiver run through the rest of its program, then collect.
          while (Option.isNone(yield* Process.receive({ match: (m) => m === "ops done", timeout: 0 }))) {
            yield* TestClock.adjust(40)
          }
          yield* Process.send(receiver, "done")
          const got = (yield* Process.receive({ match: Array.isArray })) as Array<Tagged>
          return { sent, got }
        })).pipe(Effect.provide(TestClock.layer())))
        const key = (m: Tagged) => `${m.sender}:${m.seq}`
        const got = outcome.got.map(key)
        // Exactly once.
        if (new Set(got).size !== got.length) return false
        if ([...got].sort().join() !== outcome.sent.map(key).sort().join()) return false
        // Per-sender order.
        for (let s = 0; s < 3; s++) {
          const seqs = outcome.got.filter((m) => m.sender === s).map((m) => m.seq)
          if (seqs.some((q, i) => q !== i)) return false
        }
        return true
      }),
      { numRuns: 150 }
    ))
})
