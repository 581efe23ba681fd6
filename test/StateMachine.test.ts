/**
 * StateMachine, checked against OTP's gen_statem (OTP 25 on this machine; the orders asserted
 * here were observed in `erl`): both callback modes, state enter calls, postpone, inserted
 * events, the three timeouts (set, restart, update, cancel, zero, infinity), several replies,
 * stop and reply, unhandled events, bad results, Sys, code change, supervision, telemetry.
 * Every timeout is driven by TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Schema, Tracer } from "effect"
import { Rpc } from "effect/rpc"
import { TestClock } from "effect/testing"
import { Code, ExitReason, Node, Process, StateMachine, Supervisor, Sys, Telemetry } from "../index.js"
import type { Pid } from "../lib/Pid.js"
import type { ProcessImpl } from "../lib/internal/runtime.js"
import { captureLogs } from "./support/logs.js"

// ----------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------

/** Runs the test body as a process on a fresh node (driven by the test's TestClock). */
const runTest = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()))

/** Lets every process run until the node is quiet (the machines' run-queue work included). */
const settle = Effect.gen(function*() {
  for (let i = 0; i < 20; i++) yield* Effect.yieldNow
})

/** Waits until `pid` exits; returns its exit reason. */
const awaitExit = (pid: Pid) =>
  Effect.gen(function*() {
    const ref = yield* Process.monitor(pid)
    const down = yield* Process.receive({ match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === ref })
    return down.reason
  })

// ----------------------------------------------------------------------------
// A door lock (state functions mode)
// ----------------------------------------------------------------------------

const Press = Rpc.make("Press", { payload: { digit: Schema.Number }, success: Schema.String })
const Status = Rpc.make("Status", { success: Schema.String })
const Kick = Rpc.make("Kick")

interface LockData {
  readonly code: ReadonlyArray<number>
  readonly entered: ReadonlyArray<number>
  readonly trace: Array<string>
}

const Lock = StateMachine.make({
  name: "Lock",
  calls: [Press, Status],
  casts: [Kick],
  init: (args: { readonly code: ReadonlyArray<number>; readonly trace: Array<string> }) =>
    StateMachine.ok("locked", { code: args.code, entered: [], trace: args.trace } as LockData),
  states: {
    locked: {
      enter: (old, data) => {
        data.trace.push(`enter locked from ${old}`)
        return StateMachine.keepStateAndData()
      },
      calls: {
        Press: ({ digit }, data, from) => {
          const entered = [...data.entered, digit]
          if (entered.join() === data.code.join()) {
            return StateMachine.nextState("open", { ...data, entered: [] }, [
              StateMachine.reply(from, "open"),
              StateMachine.stateTimeout("10 seconds", "lock")
            ])
          }
          return StateMachine.keepState({ ...data, entered: entered.slice(-data.code.length) }, StateMachine.reply(from, "locked"))
        },
        Status: (_, __, from) => StateMachine.keepStateAndData(StateMachine.reply(from, "locked"))
      },
      casts: {
        Kick: (_, data) => {
          data.trace.push("kick postponed")
          return StateMachine.keepStateAndData(StateMachine.postpone)
        }
      }
    },
    open: {
      enter: (old, data) => {
        data.trace.push(`enter open from ${old}`)
        return StateMachine.keepStateAndData()
      },
      calls: {
        Press: () => StateMachine.keepStateAndData(StateMachine.postpone),
        Status: (_, __, from) => StateMachine.keepStateAndData(StateMachine.reply(from, "open"))
      },
      casts: {
        Kick: (_, data) => {
          data.trace.push("kick while open")
          return StateMachine.keepStateAndData()
        }
      },
      stateTimeout: (content, data) => {
        data.trace.push(`state timeout ${String(content)}`)
        return StateMachine.nextState("locked", data)
      }
    }
  }
})

describe("StateMachine: a door lock (state functions)", () => {
  it.effect("typed calls, enter calls, a postponed cast retried on the state change, the state timeout relocks", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const lock = yield* StateMachine.start(Lock, { code: [1, 2, 3], trace })
      yield* StateMachine.cast(lock, Kick)
      assert.strictEqual(yield* StateMachine.call(lock, Press, { digit: 1 }), "locked")
      assert.strictEqual(yield* StateMachine.call(lock, Press, { digit: 2 }), "locked")
      assert.strictEqual(yield* StateMachine.call(lock, Press, { digit: 3 }), "open")
      assert.strictEqual(yield* StateMachine.call(lock, Status), "open")
      assert.deepStrictEqual(trace, ["enter locked from locked", "kick postponed", "enter open from locked", "kick while open"])
      assert.deepStrictEqual(yield* Sys.getState(lock.pid!), { state: "open", data: { code: [1, 2, 3], entered: [], trace } })
      yield* TestClock.adjust("9999 millis")
      assert.strictEqual(yield* StateMachine.call(lock, Status), "open")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* StateMachine.call(lock, Status), "locked")
      assert.deepStrictEqual(trace.slice(4), ["state timeout lock", "enter locked from open"])
    })))

  it.effect("a call postponed while open is answered after the state changes back", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const lock = yield* StateMachine.start(Lock, { code: [7], trace })
      assert.strictEqual(yield* StateMachine.call(lock, Press, { digit: 7 }), "open")
      const waiting = yield* Effect.forkChild(StateMachine.call(lock, Press, { digit: 7 }, { timeout: "1 minute" }))
      yield* settle
      assert.isUndefined(waiting.pollUnsafe())
      yield* TestClock.adjust("10 seconds")
      // Relocked, the postponed press opens it again.
      assert.strictEqual(yield* Fiber.join(waiting), "open")
      assert.strictEqual(yield* StateMachine.call(lock, Status), "open")
    })))

  it.effect("Sys.getStatus shows the state and the data; a call the state does not handle gets UnknownRequest", () =>
    runTest(Effect.gen(function*() {
      const Ping = Rpc.make("Ping", { success: Schema.String })
      const Half = StateMachine.make({
        name: "Half",
        calls: [Ping, Status],
        init: () => StateMachine.ok("a", 1),
        states: {
          a: { calls: { Status: (_, __, from) => StateMachine.nextState("b", 2, StateMachine.reply(from, "a")) } },
          b: { calls: { Ping: (_, __, from) => StateMachine.keepStateAndData(StateMachine.reply(from, "pong")) } }
        }
      })
      const half = yield* StateMachine.start(Half, undefined)
      const error = yield* Effect.flip(StateMachine.call(half, Ping))
      assert.strictEqual(error._tag, "UnknownRequest")
      const status = yield* Sys.getStatus(half.pid!)
      assert.deepStrictEqual(status.state, { state: "a", data: 1 })
      assert.strictEqual(yield* StateMachine.call(half, Status), "a")
      assert.strictEqual(yield* StateMachine.call(half, Ping), "pong")
      assert.strictEqual((yield* Effect.flip(StateMachine.call(half, Status)))._tag, "UnknownRequest")
      assert.deepStrictEqual(yield* Sys.getState(half.pid!), { state: "b", data: 2 })
    })))
})

// ----------------------------------------------------------------------------
// A scripted machine (handle event function mode): each cast says what to return
// ----------------------------------------------------------------------------

const Script = Rpc.make("Script", { payload: { step: Schema.Unknown } })
const Ask = Rpc.make("Ask", { payload: { step: Schema.Unknown }, success: Schema.Unknown })

/** What a scripted handler returns, made from the trace and the event (the step may be a function). */
type Step = (event: { readonly _tag: string; readonly [k: string]: unknown }, state: string, data: Array<string>) => unknown

const describeEvent = (event: StateMachine.Event<string, typeof Ask, typeof Script>): string => {
  switch (event._tag) {
    case "Call":
      return `call`
    case "Cast":
      return `cast`
    case "Info":
      return `info ${String(event.message)}`
    case "EventTimeout":
      return `eventTimeout ${String(event.content)}`
    case "StateTimeout":
      return `stateTimeout ${String(event.content)}`
    case "Timeout":
      return `timeout ${event.name} ${String(event.content)}`
    case "Internal":
      return `internal ${String(event.content)}`
    case "Enter":
      return `enter from ${event.oldState}`
  }
}

/**
 * Records every event as `<state>: <event>` in the data (an array shared with the test) and
 * runs the step a cast or call carries; every other event keeps the state, or runs `onOther`.
 */
const makeScripted = (options: { readonly stateEnter?: boolean; readonly onOther?: Step; readonly onEnter?: Step }) =>
  StateMachine.make({
    name: "Scripted",
    calls: [Ask],
    casts: [Script],
    stateEnter: options.stateEnter,
    init: (args: { readonly trace: Array<string>; readonly actions?: StateMachine.Actions }) =>
      StateMachine.ok("a" as string, args.trace, args.actions),
    handleEvent: (event, state, trace): StateMachine.Result<string, Array<string>> => {
      trace.push(`${state}: ${describeEvent(event)}`)
      if (event._tag === "Cast" || event._tag === "Call") {
        return (event.payload.step as Step)(event as any, state, trace) as StateMachine.Result<string, Array<string>>
      }
      if (event._tag === "Enter") {
        return (options.onEnter ? options.onEnter(event as any, state, trace) : StateMachine.keepStateAndData()) as StateMachine.Result<string, Array<string>>
      }
      return (options.onOther ? options.onOther(event as any, state, trace) : StateMachine.keepStateAndData()) as StateMachine.Result<string, Array<string>>
    }
  })

const Scripted = makeScripted({})
const ScriptedEnter = makeScripted({ stateEnter: true })

const script = (machine: StateMachine.Server<typeof Scripted>, step: Step) => StateMachine.cast(machine, Script, { step })

describe("StateMachine: postpone and inserted events (as gen_statem)", () => {
  it.effect("postponed events are retried after a state change, oldest first, after the inserted events and before the mailbox", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const m = yield* StateMachine.start(Scripted, { trace })
      const postpone: Step = () => StateMachine.keepStateAndData(StateMachine.postpone)
      yield* script(m, postpone)
      yield* script(m, postpone)
      // Same state: no change, nothing retried; repeatState neither.
      yield* script(m, (_, __, d) => StateMachine.nextState("a", d))
      yield* script(m, () => StateMachine.repeatStateAndData())
      yield* script(m, (_, __, d) =>
        StateMachine.nextState("b", d, [StateMachine.nextEvent("i1"), StateMachine.nextEvent("i2")]))
      yield* script(m, () => StateMachine.keepStateAndData())
      yield* Sys.getState(m.pid!)
      assert.deepStrictEqual(trace, [
        "a: cast",
        "a: cast",
        "a: cast",
        "a: cast",
        "a: cast",
        "b: internal i1",
        "b: internal i2",
        // the two postponed casts, as the new state sees them, then the mailbox
        "b: cast",
        "b: cast",
        "b: cast"
      ])
    })))

  it.effect("an event postponed by the transition that changes the state is retried at once", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const m = yield* StateMachine.start(Scripted, { trace })
      let first = true
      yield* script(m, (_, __, d) => {
        if (first) {
          first = false
          return StateMachine.nextState("b", d, StateMachine.postpone)
        }
        return StateMachine.keepStateAndData()
      })
      yield* Sys.getState(m.pid!)
      assert.deepStrictEqual(trace, ["a: cast", "b: cast"])
    })))

  it.effect("state enter calls: the first state, every change, repeatState; not a transition to the same state", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const m = yield* StateMachine.start(ScriptedEnter, { trace })
      yield* script(m, (_, __, d) => StateMachine.nextState("a", d))
      yield* script(m, (_, __, d) => StateMachine.nextState("b", d))
      yield* script(m, () => StateMachine.repeatStateAndData())
      yield* Sys.getState(m.pid!)
      assert.deepStrictEqual(trace, [
        "a: enter from a",
        "a: cast",
        "a: cast",
        "b: enter from a",
        "b: cast",
        "b: enter from b"
      ])
    })))

  it.effect("an enter call that repeats runs again; its zero event timeout fires when nothing is queued", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      let n = 0
      const M = makeScripted({
        stateEnter: true,
        onEnter: () => ++n < 3 ? StateMachine.repeatStateAndData() : StateMachine.keepStateAndData(StateMachine.eventTimeout(0, "ev0"))
      })
      const m = yield* StateMachine.start(M, { trace })
      yield* Sys.getState(m.pid!)
      assert.deepStrictEqual(trace, ["a: enter from a", "a: enter from a", "a: enter from a", "a: eventTimeout ev0"])
    })))

  it.effect("an enter call may not change the state, postpone or insert events: BadReturnValue", () =>
    Effect.forEach(
      [
        (_: unknown, __: string, d: Array<string>) => StateMachine.nextState("z", d),
        () => StateMachine.keepStateAndData(StateMachine.postpone),
        () => StateMachine.keepStateAndData(StateMachine.nextEvent("x"))
      ],
      (onEnter) =>
        runTest(Effect.gen(function*() {
          const trace: Array<string> = []
          const M = makeScripted({ stateEnter: true, onEnter: (e, s, d) => trace.length > 1 ? onEnter(e, s, d) : StateMachine.keepStateAndData() })
          const m = yield* StateMachine.start(M, { trace })
          yield* script(m, (_, __, d) => StateMachine.nextState("b", d))
          const reason = yield* awaitExit(m.pid!)
          assert.strictEqual(reason._tag, "Crash")
          assert.include(ExitReason.format(reason), "BadReturnValue")
          assert.include(ExitReason.format(reason), "Scripted.enter")
        })).pipe(captureLogs().provide),
      { discard: true }
    ))
})

describe("StateMachine: timeouts (as gen_statem)", () => {
  it.effect("the event timeout fires when no event comes, and any event cancels it", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const m = yield* StateMachine.start(Scripted, { trace })
      yield* script(m, () => StateMachine.keepStateAndData(StateMachine.eventTimeout("1 second", "idle")))
      yield* settle
      yield* TestClock.adjust("999 millis")
      yield* Process.send(m.pid!, "hello")
      yield* TestClock.adjust("1 second")
      yield* script(m, () => StateMachine.keepStateAndData(StateMachine.eventTimeout("1 second", "idle")))
      yield* settle
      yield* TestClock.adjust("1 second")
      yield* Sys.getState(m.pid!)
      assert.deepStrictEqual(trace, ["a: cast", "a: info hello", "a: cast", "a: eventTimeout idle"])
    })))

  it.effect("zero timeouts come after the inserted events, in order; a zero event timeout is dropped when events are queued", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const m = yield* StateMachine.start(Scripted, { trace })
      yield* script(m, () =>
        StateMachine.keepStateAndData([
          StateMachine.eventTimeout(0, "ev0"),
          StateMachine.stateTimeout(0, "st0"),
          StateMachine.genericTimeout("g", 0, "g0"),
          StateMachine.nextEvent("n2")
        ]))
      yield* Sys.getState(m.pid!)
      assert.deepStrictEqual(trace, ["a: cast", "a: internal n2", "a: stateTimeout st0", "a: timeout g g0"])
    })))

  it.effect("of one transition's timeout actions only the last of each timer counts; a zero-time timeout waits behind the queue and can be taken back", () =>
    runTest(Effect.gen(function*() {
      // Each case as OTP 25's gen_statem ran it (erl on this machine).
      const cases: Array<readonly [string, StateMachine.Actions, ReadonlyArray<string>]> = [
        ["set then cancel", [StateMachine.stateTimeout(0, "s0"), StateMachine.cancelStateTimeout], []],
        ["set twice", [StateMachine.stateTimeout(0, "s1"), StateMachine.stateTimeout(0, "s2")], ["stateTimeout s2"]],
        ["zero then 50 ms", [StateMachine.genericTimeout("g", 0, "g0"), StateMachine.genericTimeout("g", 50, "g50")], ["timeout g g50"]],
        ["update after zero", [StateMachine.stateTimeout(0, "s0"), StateMachine.updateStateTimeout("su")], ["stateTimeout su"]],
        ["set 100 ms then update", [StateMachine.stateTimeout(100, "s100"), StateMachine.updateStateTimeout("su")], ["stateTimeout su"]],
        ["state then event, both zero", [StateMachine.stateTimeout(0, "s0"), StateMachine.eventTimeout(0, "e0")], ["stateTimeout s0"]],
        ["event then state, both zero", [StateMachine.eventTimeout(0, "e0"), StateMachine.stateTimeout(0, "s0")], ["eventTimeout e0", "stateTimeout s0"]]
      ]
      for (const [name, actions, expected] of cases) {
        const trace: Array<string> = []
        const m = yield* StateMachine.start(Scripted, { trace })
        yield* script(m, () => StateMachine.keepStateAndData(actions))
        yield* settle
        yield* TestClock.adjust("1 second")
        yield* Sys.getState(m.pid!)
        assert.deepStrictEqual(trace.slice(1).map((line) => line.slice(3)), expected, name)
      }
    })))

  it.effect("a zero-time state timeout behind a queued event that changes the state is cancelled by the change", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const M = makeScripted({
        onOther: (event, _, d) => event._tag === "Internal" ? StateMachine.nextState("b", d) : StateMachine.keepStateAndData()
      })
      const m = yield* StateMachine.start(M, { trace })
      yield* script(m, () => StateMachine.keepStateAndData([StateMachine.stateTimeout(0, "s0"), StateMachine.nextEvent("go")]))
      yield* Sys.getState(m.pid!)
      assert.deepStrictEqual(trace, ["a: cast", "a: internal go"])
    })))

  it.effect("update: a running timer delivers the new content at its time; with none running it is delivered at once", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const m = yield* StateMachine.start(Scripted, { trace })
      yield* script(m, () =>
        StateMachine.keepStateAndData([
          StateMachine.updateStateTimeout("u1"),
          StateMachine.updateEventTimeout("u2"),
          StateMachine.updateGenericTimeout("g", "u3"),
          StateMachine.nextEvent("n1")
        ]))
      yield* Sys.getState(m.pid!)
      // The event timeout's update is dropped: an event (n1) is queued.
      assert.deepStrictEqual(trace, ["a: cast", "a: internal n1", "a: stateTimeout u1", "a: timeout g u3"])
      trace.length = 0
      yield* script(m, () =>
        StateMachine.keepStateAndData([StateMachine.stateTimeout("5 seconds", "s"), StateMachine.genericTimeout("h", "3 seconds", "h")]))
      yield* settle
      yield* TestClock.adjust("1 second")
      yield* script(m, () => StateMachine.keepStateAndData([StateMachine.updateStateTimeout("s2"), StateMachine.updateGenericTimeout("h", "h2")]))
      yield* settle
      yield* TestClock.adjust("2 seconds")
      yield* settle
      assert.deepStrictEqual(trace, ["a: cast", "a: cast", "a: timeout h h2"])
      yield* TestClock.adjust("2 seconds")
      yield* Sys.getState(m.pid!)
      assert.deepStrictEqual(trace, ["a: cast", "a: cast", "a: timeout h h2", "a: stateTimeout s2"])
    })))

  it.effect("a state change cancels the state timeout; generic timeouts go on; set again restarts; infinity and cancel stop them", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const m = yield* StateMachine.start(Scripted, { trace })
      yield* script(m, () =>
        StateMachine.keepStateAndData([
          StateMachine.stateTimeout("1 second", "st"),
          StateMachine.genericTimeout("g1", "2 seconds", "g1"),
          StateMachine.genericTimeout("g2", "3 seconds", "g2"),
          StateMachine.genericTimeout("g3", "4 seconds", "g3")
        ]))
      yield* settle
      yield* TestClock.adjust("500 millis")
      yield* script(m, (_, __, d) =>
        StateMachine.nextState("b", d, [
          StateMachine.genericTimeout("g1", "2 seconds", "g1 again"),
          StateMachine.genericTimeout("g2", "infinity", "never"),
          StateMachine.cancelGenericTimeout("g3")
        ]))
      yield* settle
      yield* TestClock.adjust("10 seconds")
      yield* Sys.getState(m.pid!)
      assert.deepStrictEqual(trace, ["a: cast", "a: cast", "b: timeout g1 g1 again"])
    })))

  it.effect("a state timeout set on the way into a state belongs to the new state", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const m = yield* StateMachine.start(Scripted, { trace })
      yield* script(m, (_, __, d) => StateMachine.nextState("b", d, StateMachine.stateTimeout("1 second", "in b")))
      yield* settle
      yield* TestClock.adjust("1 second")
      yield* Sys.getState(m.pid!)
      assert.deepStrictEqual(trace, ["a: cast", "b: stateTimeout in b"])
    })))

  it.effect("a timer restarted after its message was queued: the stale message is no event", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const m = yield* StateMachine.start(Scripted, { trace })
      yield* script(m, () => StateMachine.keepStateAndData(StateMachine.genericTimeout("g", "1 second", "first")))
      yield* settle
      // Suspended, the machine lets the timer's message queue up behind the cast that restarts it.
      yield* Sys.suspend(m.pid!)
      yield* script(m, () => StateMachine.keepStateAndData(StateMachine.genericTimeout("g", "1 second", "second")))
      yield* TestClock.adjust("1 second")
      yield* Sys.resume(m.pid!)
      yield* Sys.getState(m.pid!)
      assert.deepStrictEqual(trace, ["a: cast", "a: cast"])
      yield* TestClock.adjust("1 second")
      yield* Sys.getState(m.pid!)
      assert.deepStrictEqual(trace, ["a: cast", "a: cast", "a: timeout g second"])
    })))

  it.effect("init's actions run once the machine runs: timeouts and inserted events", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const m = yield* StateMachine.start(Scripted, {
        trace,
        actions: [StateMachine.nextEvent("boot"), StateMachine.stateTimeout("1 second", "first")]
      })
      yield* settle
      yield* TestClock.adjust("1 second")
      yield* Sys.getState(m.pid!)
      assert.deepStrictEqual(trace, ["a: internal boot", "a: stateTimeout first"])
    })))

  it.effect("a negative, NaN or unparsable timeout is a bad result", () =>
    Effect.forEach([-1, NaN, "soon"], (time) =>
      runTest(Effect.gen(function*() {
        const m = yield* StateMachine.start(Scripted, { trace: [] })
        yield* script(m, () => StateMachine.keepStateAndData(StateMachine.stateTimeout(time as any, "x")))
        const reason = yield* awaitExit(m.pid!)
        assert.include(ExitReason.format(reason), "BadReturnValue")
      })).pipe(captureLogs().provide), { discard: true }))
})

describe("StateMachine: replies and stops", () => {
  it.effect("one event answers several calls kept in the data; replyTo answers from outside", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const m = yield* StateMachine.start(Scripted, { trace })
      const froms: Array<StateMachine.From<unknown>> = []
      const keep: Step = (event) => {
        froms.push(event.from as StateMachine.From<unknown>)
        return StateMachine.keepStateAndData()
      }
      const a = yield* Effect.forkChild(StateMachine.call(m, Ask, { step: keep }))
      const b = yield* Effect.forkChild(StateMachine.call(m, Ask, { step: keep }))
      yield* settle
      yield* script(m, () => StateMachine.keepStateAndData([StateMachine.reply(froms[1], "second"), StateMachine.reply(froms[0], "first")]))
      assert.strictEqual(yield* Fiber.join(a), "first")
      assert.strictEqual(yield* Fiber.join(b), "second")
      const c = yield* Effect.forkChild(StateMachine.call(m, Ask, { step: keep }))
      yield* settle
      yield* StateMachine.replyTo(froms[2], "from outside")
      assert.strictEqual(yield* Fiber.join(c), "from outside")
    })))

  it.effect("stopAndReply: the replies go before terminate, which gets the reason, the state and the data", () =>
    runTest(Effect.gen(function*() {
      const seen: Array<string> = []
      const Stopping = StateMachine.make({
        name: "Stopping",
        calls: [Ask],
        init: () => StateMachine.ok("on", { n: 1, from: undefined as StateMachine.From | undefined }),
        states: {
          on: {
            calls: {
              Ask: (_, data, from) =>
                StateMachine.stopAndReply(ExitReason.shutdown("done"), StateMachine.reply(from, "bye"), { n: data.n + 1, from })
            }
          }
        },
        terminate: (reason, state, data) => {
          // The caller's handle is no longer pending: the reply went before terminate.
          seen.push(`terminate ${ExitReason.format(reason)} ${state} ${data.n} pending: ${data.from?.pending}`)
        }
      })
      const m = yield* StateMachine.start(Stopping, undefined)
      const ref = yield* Process.monitor(m.pid!)
      assert.strictEqual(yield* StateMachine.call(m, Ask, { step: null }), "bye")
      const down = yield* Process.receive({ match: (u): u is Process.DownMessage => Process.isDownMessage(u) && u.ref === ref })
      assert.strictEqual(ExitReason.format(down.reason), "{shutdown, done}")
      assert.deepStrictEqual(seen, ["terminate {shutdown, done} on 2 pending: false"])
    })))

  it.effect("StateMachine.stop runs terminate and returns once the machine exited", () =>
    runTest(Effect.gen(function*() {
      const m = yield* StateMachine.start(Scripted, { trace: [] })
      yield* StateMachine.stop(m)
      assert.isFalse(yield* Process.isAlive(m.pid!))
    })))
})

describe("StateMachine: bad input", () => {
  it.effect("an undeclared call (handle event mode) gets UnknownRequest; an undeclared cast is dropped with a warning; the machine goes on", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const m = yield* StateMachine.start(Scripted, { trace })
      const Other = Rpc.make("Other", { success: Schema.String })
      const error = yield* Effect.flip(StateMachine.call(m as any, Other))
      assert.strictEqual((error as any)._tag, "UnknownRequest")
      yield* StateMachine.cast(m as any, Rpc.make("constructor"))
      yield* (StateMachine.cast as any)(m, { _tag: "__proto__" }) as Effect.Effect<void>
      yield* script(m, () => StateMachine.keepStateAndData())
      yield* Sys.getState(m.pid!)
      assert.deepStrictEqual(trace, ["a: cast"])
      assert.strictEqual(logs.entries.filter((e) => e.level === "Warn" && e.message.includes("no handler for cast")).length, 2)
    })).pipe(logs.provide)
  })

  it.effect("a message no state handles is dropped with a warning; a revoked Proxy is an info event like any", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const m = yield* StateMachine.start(Lock, { code: [1], trace })
      const { proxy, revoke } = Proxy.revocable({}, {})
      revoke()
      yield* Process.send(m.pid!, proxy)
      yield* Process.send(m.pid!, { hello: 1 })
      assert.strictEqual(yield* StateMachine.call(m, Status), "locked")
      assert.strictEqual(logs.entries.filter((e) => e.level === "Warn" && e.message.includes("no handler for message")).length, 2)
    })).pipe(logs.provide)
  })

  it.effect("terminate after a failed transition sees what gen_statem's does: a bad action the new state and data, an enter call that throws the machine from before", () =>
    Effect.forEach(
      [
        // (OTP 25, erl on this machine: terminate(bad_action_from_state_function, z, 1) and (boom, a, 0))
        { step: "badAction", expected: ["z", 1] },
        { step: "enterThrows", expected: ["a", 0] },
        { step: "enterFails", expected: ["a", 0] },
        { step: "enterBadAction", expected: ["d", 101] }
      ] as const,
      ({ expected, step }) =>
        runTest(Effect.gen(function*() {
          const seen: Array<unknown> = []
          const M = StateMachine.make({
            name: "Failing",
            casts: [Script],
            init: () => StateMachine.ok("a" as string, 0),
            stateEnter: true,
            handleEvent: (event, state, n) => {
              if (event._tag === "Enter") {
                if (state === "b") throw new Error("boom")
                if (state === "c") return Effect.fail("failed")
                if (state === "d") return StateMachine.keepState(n + 100, [{ _tag: "Dance" } as any])
                return StateMachine.keepStateAndData()
              }
              if (event._tag !== "Cast") return StateMachine.keepStateAndData()
              switch (event.payload.step) {
                case "badAction":
                  return StateMachine.nextState("z", n + 1, [{ _tag: "Dance" } as any])
                case "enterThrows":
                  return StateMachine.nextState("b", n + 1)
                case "enterFails":
                  return StateMachine.nextState("c", n + 1)
                default:
                  return StateMachine.nextState("d", n + 1)
              }
            },
            terminate: (_, state, data) => {
              seen.push([state, data])
            }
          })
          const m = yield* StateMachine.start(M, undefined)
          yield* StateMachine.cast(m, Script, { step })
          yield* awaitExit(m.pid!)
          assert.deepStrictEqual(seen, [expected], step)
        })).pipe(captureLogs().provide),
      { discard: true }
    ))

  it.effect("bad results stop the machine with BadReturnValue; terminate sees the state and data from before", () =>
    Effect.forEach(
      [undefined, null, 3, { _tag: "Nope" }, { _tag: "NextState", state: "a" }, StateMachine.keepStateAndData([{ _tag: "Dance" } as any]),
        StateMachine.keepStateAndData([StateMachine.reply({} as any, 1)]), StateMachine.stopWith("later" as any)],
      (bad) =>
        runTest(Effect.gen(function*() {
          const seen: Array<unknown> = []
          const Bad = StateMachine.make({
            name: "Bad",
            casts: [Script],
            init: () => StateMachine.ok("on", "before"),
            states: { on: { casts: { Script: () => bad as StateMachine.Result<"on", string> } } },
            terminate: (_, state, data) => {
              seen.push([state, data])
            }
          })
          const m = yield* StateMachine.start(Bad, undefined)
          yield* StateMachine.cast(m, Script, { step: null })
          const reason = yield* awaitExit(m.pid!)
          assert.strictEqual(reason._tag, "Crash")
          assert.include(ExitReason.format(reason), "Bad.cast(Script) returned a bad value")
          assert.deepStrictEqual(seen, [["on", "before"]])
        })).pipe(captureLogs().provide),
      { discard: true }
    ))

  it.effect("a transition to a state the module does not have is a bad result (untyped code)", () =>
    runTest(Effect.gen(function*() {
      const Typo = StateMachine.make({
        name: "Typo",
        casts: [Kick],
        init: () => StateMachine.ok("on", 0),
        states: { on: { casts: { Kick: (_, d) => StateMachine.nextState("of" as any, d) } } }
      })
      const m = yield* StateMachine.start(Typo, undefined)
      yield* StateMachine.cast(m, Kick)
      assert.include(ExitReason.format(yield* awaitExit(m.pid!)), "BadReturnValue")
    }).pipe(captureLogs().provide)))

  it.effect("init: ignore, stop, a crash, a bad value and an undeclared state fail the start", () =>
    runTest(Effect.gen(function*() {
      const make = (init: () => unknown) =>
        StateMachine.make({ name: "Init", init: init as () => StateMachine.InitResult<"on", number>, states: { on: {} } })
      assert.strictEqual((yield* Effect.flip(StateMachine.start(make(() => StateMachine.ignore), undefined)))._tag, "InitIgnored")
      assert.strictEqual((yield* Effect.flip(StateMachine.start(make(() => StateMachine.stopWith(ExitReason.normal)), undefined)))._tag, "InitFailed")
      assert.strictEqual((yield* Effect.flip(StateMachine.start(make(() => { throw new Error("boom") }), undefined)))._tag, "InitFailed")
      const bad = yield* Effect.flip(StateMachine.start(make(() => ({ _tag: "Ok" })), undefined))
      assert.strictEqual(bad._tag, "InitFailed")
      const undeclared = yield* Effect.flip(StateMachine.start(make(() => StateMachine.ok("off", 0)), undefined))
      assert.strictEqual(undeclared._tag, "InitFailed")
      assert.include(ExitReason.format((undeclared as any).reason), "BadReturnValue")
    }).pipe(captureLogs().provide)))

  it.effect("the error report names the machine, the last event, the state and data, and the reason", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const Crashy = StateMachine.make({
        name: "Crashy",
        casts: [Kick],
        init: () => StateMachine.ok("armed", { secret: 1 }),
        states: { armed: { casts: { Kick: () => { throw new Error("kicked") } } } },
        formatStatus: () => "redacted"
      })
      const m = yield* StateMachine.start(Crashy, undefined)
      yield* StateMachine.cast(m, Kick)
      yield* awaitExit(m.pid!)
      const report = logs.entries.find((e) => e.level === "Error")!
      assert.include(report.message, `** State machine ${m.pid} (Crashy) terminating`)
      assert.include(report.message, "** Last message in was cast Kick")
      assert.include(report.message, `** When Server state == {"state":"armed","data":"redacted"}`)
      assert.include(report.message, "kicked")
      assert.strictEqual(report.annotations.report, "gen_statem")
    })).pipe(logs.provide)
  })
})

describe("StateMachine: Sys and code change", () => {
  it.effect("Sys.replaceState takes and returns { state, data }; anything else, or an undeclared state, is refused", () =>
    runTest(Effect.gen(function*() {
      const trace: Array<string> = []
      const m = yield* StateMachine.start(Lock, { code: [1], trace })
      const replaced = yield* Sys.replaceState(m.pid!, (s: any) => ({ state: "open", data: s.data }))
      assert.strictEqual((replaced as any).state, "open")
      assert.strictEqual(yield* StateMachine.call(m, Status), "open")
      assert.strictEqual((yield* Effect.flip(Sys.replaceState(m.pid!, () => 42)))._tag, "SysError")
      assert.strictEqual((yield* Effect.flip(Sys.replaceState(m.pid!, (s: any) => ({ ...s, state: "ajar" }))))._tag, "SysError")
      assert.strictEqual(yield* StateMachine.call(m, Status), "open")
    })))

  const Flip = Rpc.make("Flip")
  const Read = Rpc.make("Read", { success: Schema.String })
  const SwitchV1 = StateMachine.make({
    name: "Switch",
    version: "1",
    calls: [Read],
    casts: [Flip],
    init: () => StateMachine.ok("off", 0),
    states: {
      off: {
        casts: { Flip: (_, n) => StateMachine.nextState("on", n + 1, StateMachine.stateTimeout("1 minute", "auto off")) },
        calls: { Read: (_, n, from) => StateMachine.keepStateAndData(StateMachine.reply(from, `off ${n}`)) }
      },
      on: {
        casts: { Flip: (_, n) => StateMachine.nextState("off", n + 1) },
        calls: { Read: (_, n, from) => StateMachine.keepStateAndData(StateMachine.reply(from, `on ${n}`)) },
        stateTimeout: (_, n) => StateMachine.nextState("off", n)
      }
    }
  })
  const SwitchV2 = StateMachine.make({
    name: "Switch",
    version: "2",
    calls: [Read],
    casts: [Flip],
    init: () => StateMachine.ok("dark", { flips: 0 }),
    states: {
      dark: {
        casts: { Flip: (_, d) => StateMachine.nextState("lit", { flips: d.flips + 1 }) },
        calls: { Read: (_, d, from) => StateMachine.keepStateAndData(StateMachine.reply(from, `dark ${d.flips}`)) }
      },
      lit: {
        casts: { Flip: (_, d) => StateMachine.nextState("dark", { flips: d.flips + 1 }) },
        calls: { Read: (_, d, from) => StateMachine.keepStateAndData(StateMachine.reply(from, `lit ${d.flips}`)) },
        stateTimeout: (_, d) => StateMachine.nextState("dark", d)
      }
    },
    codeChange: StateMachine.migrate(
      Schema.Struct({ state: Schema.Literals(["off", "on"]), data: Schema.Number }),
      ({ data, state }) => ({ state: state === "on" ? "lit" as const : "dark" as const, data: { flips: data } })
    )
  })

  it.effect("Sys.changeCode migrates state and data with codeChange (Schema-checked); running timers go on", () =>
    runTest(Effect.gen(function*() {
      const m = yield* StateMachine.start(SwitchV1, undefined)
      yield* StateMachine.cast(m, Flip)
      assert.strictEqual(yield* StateMachine.call(m, Read), "on 1")
      yield* Sys.changeCode(m.pid!, SwitchV2)
      assert.strictEqual(yield* StateMachine.call(m, Read), "lit 1")
      assert.deepStrictEqual(yield* Sys.getState(m.pid!), { state: "lit", data: { flips: 1 } })
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* StateMachine.call(m, Read), "dark 1")
    })))

  it.effect("a codeChange that fails (a state that does not decode) keeps the old code, state and data", () =>
    runTest(Effect.gen(function*() {
      const m = yield* StateMachine.start(SwitchV1, undefined)
      yield* Sys.replaceState(m.pid!, () => ({ state: "off", data: "not a number" }))
      const error = yield* Effect.flip(Sys.changeCode(m.pid!, SwitchV2))
      assert.strictEqual(error._tag, "SysError")
      assert.deepStrictEqual(yield* Sys.getState(m.pid!), { state: "off", data: "not a number" })
      assert.strictEqual((yield* Sys.getStatus(m.pid!)).version, "1")
    })))

  it.effect("without codeChange, a new version that lacks the running state is refused", () =>
    runTest(Effect.gen(function*() {
      const m = yield* StateMachine.start(SwitchV1, undefined)
      const Bare = StateMachine.make({ name: "Switch", version: "3", init: () => StateMachine.ok("x", 0), states: { x: {} } })
      assert.strictEqual((yield* Effect.flip(Sys.changeCode(m.pid!, Bare)))._tag, "SysError")
      assert.strictEqual(yield* StateMachine.call(m, Read), "off 0")
    })))

  it.effect("Code.upgrade upgrades every live machine of the module", () =>
    runTest(Effect.gen(function*() {
      yield* Code.load(SwitchV1)
      const a = yield* StateMachine.start(SwitchV1, undefined)
      const b = yield* StateMachine.start(SwitchV1, undefined)
      yield* StateMachine.cast(b, Flip)
      yield* Code.load(SwitchV2)
      yield* Code.upgrade(SwitchV2)
      assert.strictEqual(yield* StateMachine.call(a, Read), "dark 0")
      assert.strictEqual(yield* StateMachine.call(b, Read), "lit 1")
    })))
})

describe("StateMachine: supervision, fast path, telemetry", () => {
  it.effect("under a supervisor, a crashed machine is restarted clean in its first state", () =>
    runTest(Effect.gen(function*() {
      const Fragile = StateMachine.make({
        name: "Fragile",
        calls: [Status],
        casts: [Kick],
        init: () => StateMachine.ok("fresh", 0),
        states: {
          fresh: {
            casts: { Kick: (_, n) => StateMachine.nextState("worn", n + 1) },
            calls: { Status: (_, n, from) => StateMachine.keepStateAndData(StateMachine.reply(from, `fresh ${n}`)) }
          },
          worn: {
            casts: { Kick: () => { throw new Error("broke") } },
            calls: { Status: (_, n, from) => StateMachine.keepStateAndData(StateMachine.reply(from, `worn ${n}`)) }
          }
        }
      })
      yield* Supervisor.start([StateMachine.childSpec(Fragile, undefined, { name: "fragile" })], { name: "sup" })
      const ref = StateMachine.ref(Fragile, "fragile")
      yield* StateMachine.cast(ref, Kick)
      assert.strictEqual(yield* StateMachine.call(ref, Status), "worn 1")
      const before = Option.getOrThrow(yield* Process.whereis("fragile"))
      yield* StateMachine.cast(ref, Kick)
      yield* awaitExit(before)
      yield* settle
      assert.strictEqual(yield* StateMachine.call(ref, Status), "fresh 0")
    }).pipe(captureLogs().provide)))

  it.effect("plain results are handled from the run queue without waking the machine's fiber", () =>
    runTest(Effect.gen(function*() {
      const Step = Rpc.make("Step")
      const Get = Rpc.make("Get", { success: Schema.Number })
      const next = { a: "b", b: "c", c: "a" } as const
      const Ring = StateMachine.make({
        name: "Ring",
        calls: [Get],
        casts: [Step],
        init: () => StateMachine.ok("a" as "a" | "b" | "c", 0),
        handleEvent: (event, state, n) =>
          event._tag === "Cast"
            ? StateMachine.nextState(next[state], n + 1)
            : event._tag === "Call"
            ? StateMachine.keepStateAndData(StateMachine.reply(event.from, n))
            : StateMachine.keepStateAndData()
      })
      const m = yield* StateMachine.start(Ring, undefined)
      yield* settle
      const runtime = (m.pid as unknown as ProcessImpl).runtime
      const before = runtime.directHandled
      for (let i = 0; i < 100; i++) yield* StateMachine.cast(m, Step)
      assert.strictEqual(yield* StateMachine.call(m, Get), 100)
      assert.isAtLeast(runtime.directHandled - before, 100)
      assert.deepStrictEqual(yield* Sys.getState(m.pid!), { state: "b", data: 100 })
    })))

  it.effect("telemetry: each event runs in a span; a call's is a server span, child of the caller's", () =>
    Effect.gen(function*() {
      const spans: Array<Tracer.NativeSpan> = []
      const tracer = Tracer.make({
        span: (options) => {
          const span = new Tracer.NativeSpan(options)
          spans.push(span)
          return span
        }
      })
      yield* Process.run(Effect.gen(function*() {
        const lock = yield* StateMachine.start(Lock, { code: [1], trace: [] }, { name: "door" })
        yield* StateMachine.cast(lock, Kick)
        assert.strictEqual(yield* StateMachine.call(lock, Press, { digit: 1 }), "open")
        yield* TestClock.adjust("10 seconds")
        yield* Sys.getState(lock.pid!)
      })).pipe(Effect.provide(Node.layer()), Effect.provide(Telemetry.layer()), Effect.withTracer(tracer))
      const names = spans.map((s) => s.name).filter((n) => n.startsWith("handle_event"))
      assert.deepStrictEqual(names, [
        "handle_event cast Kick",
        "handle_event call Press",
        "handle_event cast Kick",
        "handle_event state_timeout"
      ])
      const client = spans.find((s) => s.name === "call Press")!
      const server = spans.find((s) => s.name === "handle_event call Press")!
      assert.strictEqual(server.kind, "server")
      assert.strictEqual(server.parent._tag === "Some" ? server.parent.value.spanId : undefined, client.spanId)
      const attributes = Object.fromEntries(server.attributes)
      assert.strictEqual(attributes["otp.state"], `"locked"`)
      assert.strictEqual(attributes["otp.module"], "Lock")
      assert.strictEqual(attributes["otp.name"], "door")
    }))
})
