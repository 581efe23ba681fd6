/**
 * StateMachine's error report (gen_statem's `** State machine ~tp terminating`): a machine that
 * crashes logs it once, at `Error`, naming the machine (its registered name and pid), its
 * module, the last event it got (a call with its payload, a cast, a state, event or generic
 * timeout, an inserted event, a message), its state and data (as its formatStatus shows them)
 * and the reason; under a supervisor, the supervisor's report follows and the machine restarts
 * clean. Time is TestClock's.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { TestClock } from "effect/testing"
import { Node, Process, StateMachine, Supervisor } from "../index.js"
import type { Pid } from "../lib/Pid.js"
import { captureLogs as captureLogsOnly } from "./support/logs.js"

const runTest = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()))

/** The shared log capture, and the gen_statem error reports and supervisor reports among its entries. */
const captureLogs = () => {
  const capture = captureLogsOnly()
  const reports = () => capture.entries.filter((e) => e.annotations["report"] === "gen_statem")
  const supervisorReports = () => capture.entries.filter((e) => e.annotations["report"] === "supervisor")
  return { ...capture, reports, supervisorReports }
}

/** Monitors `pid`; the Effect it returns waits until `pid` exits, with its exit reason. */
const watch = (pid: Pid) =>
  Effect.map(Process.monitor(pid), (ref) =>
    Effect.map(
      Process.receive({ match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === ref }),
      (down) => down.reason
    ))

const Press = Rpc.make("Press", { payload: { digit: Schema.Number }, success: Schema.String })
const Jam = Rpc.make("Jam")
const Ring = Rpc.make("Ring")

/** What makes the lock crash, and where. */
type Fault = "press" | "relock" | "alarm" | "internal" | "info" | "enter"

interface Data {
  readonly code: ReadonlyArray<number>
  readonly entered: ReadonlyArray<number>
  readonly fault: Fault
}

/** Crashes with `message`, as a bug in a handler would. */
const bug = (message: string): never => {
  throw new Error(message)
}

/**
 * A door lock that crashes on its `fault`: a `Press` that opens it (in an Effect), the state
 * timeout that relocks it, a generic timeout, an inserted event, a message, or the `enter` of
 * `open`. Its formatStatus hides the code.
 */
const Lock = StateMachine.make({
  name: "Lock",
  calls: [Press],
  casts: [Jam, Ring],
  init: (fault: Fault) => StateMachine.ok("locked", { code: [1, 2, 3], entered: [], fault } as Data),
  states: {
    locked: {
      calls: {
        Press: ({ digit }, data, from) =>
          Effect.gen(function*() {
            const entered = [...data.entered, digit]
            if (entered.join() !== data.code.join()) {
              return StateMachine.keepState({ ...data, entered }, StateMachine.reply(from, "locked"))
            }
            if (data.fault === "press") return yield* Effect.die(new Error("the bolt is stuck"))
            return StateMachine.nextState("open", { ...data, entered: [] }, [
              StateMachine.reply(from, "open"),
              StateMachine.stateTimeout("10 seconds", "lock"),
              StateMachine.genericTimeout("alarm", "5 seconds", "door open too long")
            ])
          })
      },
      casts: { Jam: () => StateMachine.keepStateAndData(), Ring: () => StateMachine.keepStateAndData() }
    },
    open: {
      enter: (_, data) => data.fault === "enter" ? bug("the light bulb blew") : StateMachine.keepStateAndData(),
      calls: { Press: () => StateMachine.keepStateAndData(StateMachine.postpone) },
      casts: {
        Jam: () => StateMachine.keepStateAndData(StateMachine.nextEvent({ _tag: "Jammed", at: "latch" })),
        Ring: () => StateMachine.keepStateAndData()
      },
      stateTimeout: (_, data) => data.fault === "relock" ? bug("the motor burnt out") : StateMachine.nextState("locked", data),
      timeout: (_, __, data) => data.fault === "alarm" ? bug("the siren shorted") : StateMachine.keepStateAndData(),
      internal: (_, data) => data.fault === "internal" ? bug("the latch broke") : StateMachine.keepStateAndData(),
      info: (_, data) => data.fault === "info" ? bug("a stray signal") : StateMachine.keepStateAndData()
    }
  },
  formatStatus: (_state, data) => ({ code: "<redacted>", entered: data.entered })
})

const lock = StateMachine.ref(Lock, "front-door")

/** Starts the lock named `front-door` with `fault`, enters the code, runs `then`; returns the pid and its exit reason. */
const crashWith = (fault: Fault, then: Effect.Effect<void, unknown, Process.CurrentProcess | Node.Node>) =>
  Effect.gen(function*() {
    const machine = yield* StateMachine.start(Lock, fault, { name: "front-door" })
    const exited = yield* watch(machine.pid!)
    yield* StateMachine.call(lock, Press, { digit: 1 })
    yield* StateMachine.call(lock, Press, { digit: 2 })
    yield* Effect.ignore(StateMachine.call(lock, Press, { digit: 3 }))
    yield* then
    const reason = yield* exited
    return { pid: machine.pid!, reason }
  })

/** The report a crash of the lock logs, given the last event, the state and the data shown, and the error. */
const expected = (pid: Pid, last: string, state: string, entered: string, error: string) =>
  `** State machine front-door (${pid}) (Lock) terminating\n` +
  `** Last message in was ${last}\n` +
  `** When Server state == {"state":"${state}","data":{"code":"<redacted>","entered":${entered}}}\n` +
  `** Reason for termination ==\n` +
  `** Error: ${error}\n`

describe("StateMachine faults: the error report of an abnormal exit (gen_statem's)", () => {
  it.effect("a crash in a call handler: the call and its payload, the state and data before it, the reason, the cause", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const { pid, reason } = yield* crashWith("press", Effect.void)
      assert.strictEqual(reason._tag, "Crash")
      const reports = logs.reports()
      assert.strictEqual(reports.length, 1)
      const report = reports[0]!
      assert.strictEqual(report.level, "Error")
      assert.deepStrictEqual(report.annotations, { report: "gen_statem", pid: String(pid), module: "Lock", reason: "Crash" })
      assert.strictEqual(report.message, expected(pid, `call Press {"digit":3}`, "locked", "[1,2]", "the bolt is stuck"))
      // The entry's cause is the crash, with its stack, for the logger to print.
      assert.strictEqual((Cause.squash(report.cause) as Error).message, "the bolt is stuck")
      assert.notInclude(report.message, "1,2,3", "the code is not in the report")
    })).pipe(logs.provide)
  })

  it.effect("a crash on the state timeout names it, with its content, in the state it belonged to", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const { pid } = yield* crashWith("relock", Effect.gen(function*() {
        // The alarm (5 s) fires first and is no fault here; the relock (10 s) is.
        yield* TestClock.adjust("10 seconds")
      }))
      const [report] = logs.reports()
      assert.strictEqual(report!.message, expected(pid, `state_timeout "lock"`, "open", "[]", "the motor burnt out"))
    })).pipe(logs.provide)
  })

  it.effect("a crash on a generic timeout names the timeout and its content", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const { pid } = yield* crashWith("alarm", TestClock.adjust("5 seconds"))
      const [report] = logs.reports()
      assert.strictEqual(report!.message, expected(pid, `timeout alarm "door open too long"`, "open", "[]", "the siren shorted"))
    })).pipe(logs.provide)
  })

  it.effect("a crash on an inserted event names it (not the cast that inserted it); on a message, the message", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const first = yield* crashWith("internal", StateMachine.cast(lock, Jam))
      const second = yield* crashWith("info", Process.send("front-door", { _tag: "Static", level: 11 }))
      const reports = logs.reports()
      assert.strictEqual(reports.length, 2)
      assert.strictEqual(
        reports[0]!.message,
        expected(first.pid, `internal {"_tag":"Jammed","at":"latch"}`, "open", "[]", "the latch broke")
      )
      assert.strictEqual(reports[1]!.message, expected(second.pid, `info {"_tag":"Static","level":11}`, "open", "[]", "a stray signal"))
    })).pipe(logs.provide)
  })

  it.effect("a crash in a state enter call names the event that led into the state, and the machine as it was before that transition (as gen_statem)", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const { pid } = yield* crashWith("enter", Effect.void)
      const [report] = logs.reports()
      assert.strictEqual(report!.message, expected(pid, `call Press {"digit":3}`, "locked", "[1,2]", "the light bulb blew"))
    })).pipe(logs.provide)
  })

  it.effect("under a supervisor: one report, then the supervisor's, and the machine restarts clean in its first state", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const sup = yield* Supervisor.start([StateMachine.childSpec(Lock, "relock", { id: "lock", name: "front-door" })])
      const [before] = (yield* Supervisor.whichChildren(sup)).map((c) => c.pid as Pid)
      const exited = yield* watch(before!)
      for (const digit of [1, 2, 3]) yield* StateMachine.call(lock, Press, { digit })
      yield* TestClock.adjust("10 seconds")
      yield* exited
      const [after] = (yield* Supervisor.whichChildren(sup)).map((c) => c.pid as Pid)
      assert.notStrictEqual(after, before)
      assert.strictEqual(yield* StateMachine.call(lock, Press, { digit: 9 }), "locked")
      const reports = logs.reports()
      assert.strictEqual(reports.length, 1)
      assert.strictEqual(reports[0]!.message, expected(before!, `state_timeout "lock"`, "open", "[]", "the motor burnt out"))
      const supervisor = logs.supervisorReports()
      assert.strictEqual(supervisor.length, 1)
      assert.deepStrictEqual(
        [supervisor[0]!.annotations["child"], supervisor[0]!.annotations["pid"], supervisor[0]!.annotations["action"]],
        ["lock", String(before), "restart"]
      )
      // The report came first: the supervisor learns of the exit after the machine logged it.
      assert.isBelow(logs.entries.indexOf(reports[0]!), logs.entries.indexOf(supervisor[0]!))
      yield* Supervisor.stop(sup)
    })).pipe(logs.provide)
  })
})
