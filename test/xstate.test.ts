/**
 * effect-otp/xstate: xstate v5 machines hosted as StateMachine processes. What a user observes:
 * typed replies read from the snapshot, casts and messages as events, the snapshot as the
 * process's state, a final state and an error as exits (restarted by a supervisor), delayed
 * events on TestClock, code change keeping the snapshot and its timers, and bad input. Every
 * timer is driven by TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { TestClock } from "effect/testing"
import { assign, createMachine, fromCallback, fromPromise, log, setup } from "xstate"
import { Code, Errors, ExitReason, Gen, Node, Pid, Process, StateMachine, Supervisor, Sys } from "../index.js"
import { XState } from "../xstate/index.js"
import { captureLogs } from "./support/logs.js"

const runTest = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()))

/** Monitors `pid`; the Effect returned waits for it to exit and gives its reason. */
const watch = (pid: Pid.Pid) =>
  Effect.map(Process.monitor(pid), (ref) =>
    Effect.map(
      Process.receive({ match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === ref }),
      (down) => down.reason
    ))

/** Waits for `pid` to exit and returns its reason. */
const exitOf = (pid: Pid.Pid) => Effect.flatten(watch(pid))

/** The defect a `Crash` reason carries. */
const defectOf = (reason: ExitReason.ExitReason): unknown =>
  reason._tag === "Crash" ? Cause.squash(reason.cause) : undefined

/** Lets promises settle (microtasks and the I/O turn): no time passes on any clock. */
const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

// ----------------------------------------------------------------------------
// A counter: calls, casts, a delayed transition and a final state
// ----------------------------------------------------------------------------

class TooMany extends Schema.TaggedError<TooMany>()("TooMany", { count: Schema.Number }) {}

const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number, error: TooMany })
const Get = Rpc.make("Get", { success: Schema.Number })
const Finish = Rpc.make("Finish", { success: Schema.Number })
const Reset = Rpc.make("Reset")
const Boom = Rpc.make("Boom")
const Sleep = Rpc.make("Sleep")

type CounterEvent =
  | { type: "Add"; by: number }
  | { type: "Get" }
  | { type: "Finish" }
  | { type: "Reset" }
  | { type: "Boom" }
  | { type: "Sleep" }
  | { type: "Wake" }

const counterMachine = setup({
  types: {
    context: {} as { count: number },
    events: {} as CounterEvent,
    input: {} as { start: number },
    output: {} as { total: number }
  },
  actions: {
    explode: () => {
      throw new Error("the counter exploded")
    }
  }
}).createMachine({
  id: "counter",
  context: ({ input }) => ({ count: input.start }),
  initial: "awake",
  states: {
    awake: {
      on: {
        Add: {
          guard: ({ context, event }) => context.count + event.by <= 100,
          actions: assign({ count: ({ context, event }) => context.count + event.by })
        },
        Reset: { actions: assign({ count: 0 }) },
        Boom: { actions: "explode" },
        Finish: "finished",
        Sleep: "asleep"
      }
    },
    // Asleep for 5 seconds, or until woken: the delayed transition is cancelled when the state is left.
    asleep: {
      after: { 5000: "awake" },
      on: { Wake: "awake" }
    },
    finished: { type: "final" }
  },
  output: ({ context }) => ({ total: context.count })
})

const Counter = XState.make({
  name: "Counter",
  machine: counterMachine,
  calls: [Add, Get, Finish],
  casts: [Reset, Boom, Sleep],
  replies: {
    Add: (snapshot, { by }, previous) =>
      previous.can({ type: "Add", by }) ? snapshot.context.count : XState.failure(new TooMany({ count: snapshot.context.count })),
    Get: (snapshot) => snapshot.context.count,
    Finish: (snapshot) => snapshot.output?.total ?? -1
  }
})

const stateOf = (pid: Pid.Pid) => Sys.getState(pid) as Effect.Effect<{ readonly state: unknown; readonly data: unknown }, unknown>

describe("XState: calls, casts and messages", () => {
  it.effect("a call is the machine's event, answered from the snapshot it led to, typed by its Rpc", () =>
    runTest(Effect.gen(function*() {
      const counter = yield* StateMachine.start(Counter, { start: 10 })
      const added: number = yield* StateMachine.call(counter, Add, { by: 5 })
      assert.strictEqual(added, 15)
      assert.strictEqual(yield* StateMachine.call(counter, Get), 15)
      // The guard refuses: the reply function fails the call with the Rpc's error.
      const refused = yield* Effect.flip(StateMachine.call(counter, Add, { by: 1000 }))
      assert.instanceOf(refused, TooMany)
      assert.strictEqual((refused as TooMany).count, 15)
      // A cast is an event too.
      yield* StateMachine.cast(counter, Reset)
      assert.strictEqual(yield* StateMachine.call(counter, Get), 0)
    })))

  it.effect("the process's state is the snapshot's value, its data the context (Sys.getState, getStatus)", () =>
    runTest(Effect.gen(function*() {
      const nested = createMachine({
        context: { visits: 0 },
        initial: "door",
        states: {
          door: {
            initial: "closed",
            states: { closed: { on: { Open: "open" } }, open: {} }
          }
        }
      })
      const Door = XState.make({ name: "Door", machine: nested })
      const door = yield* StateMachine.start(Door, undefined)
      assert.deepStrictEqual(yield* stateOf(door.pid!), { state: { door: "closed" }, data: { visits: 0 } })
      // Any message `{ type }` is an event.
      yield* Process.send(door.pid!, { type: "Open" })
      assert.deepStrictEqual(yield* stateOf(door.pid!), { state: { door: "open" }, data: { visits: 0 } })
      const status = yield* Sys.getStatus(door.pid!)
      assert.deepStrictEqual(status.state, { state: { door: "open" }, data: { visits: 0 } })
      assert.strictEqual(status.module, "Door")
    })))

  it.effect("a message that is no xstate event is dropped with a warning; xstate's log action logs on the process", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const chatty = createMachine({
        on: { Hello: { actions: log("hello from xstate") } }
      })
      const Chatty = XState.make({ name: "Chatty", machine: chatty })
      const chat = yield* StateMachine.start(Chatty, undefined)
      yield* Process.send(chat.pid!, "not an event")
      yield* Process.send(chat.pid!, { kind: "no type" })
      yield* Process.send(chat.pid!, { type: "Hello" })
      yield* Sys.getState(chat.pid!)
      const warnings = logs.entries.filter((entry) => entry.level === "Warn").map((entry) => entry.message)
      assert.strictEqual(warnings.length, 2)
      assert.match(warnings[0]!, /^Chatty <0\.\d+\.0>: message "not an event" is no xstate event .*; dropped$/)
      assert.match(warnings[1]!, /message \{"kind":"no type"\} is no xstate event/)
      assert.deepStrictEqual(logs.entries.filter((entry) => entry.level === "Info").map((entry) => entry.message), [
        "hello from xstate"
      ])
      assert.isTrue(yield* Process.isAlive(chat.pid!))
    }).pipe(logs.provide))
  })

  it.effect("bad input: an undeclared call gets UnknownRequest, a payload that is no object BadArgument, and the machine goes on", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const counter = yield* StateMachine.start(Counter, { start: 1 })
      const Unknown = Rpc.make("Unknown", { success: Schema.Number })
      const unknown = yield* Effect.flip(StateMachine.call(counter as any, Unknown))
      assert.instanceOf(unknown, Errors.UnknownRequest)
      assert.strictEqual((unknown as Errors.UnknownRequest).tag, "Unknown")
      // An untyped caller's payload that is no object: the call fails, nothing is sent.
      for (const payload of [42, "five", null, [1, 2]]) {
        const bad = yield* Effect.flip(StateMachine.call(counter, Add, payload as any))
        assert.instanceOf(bad, Errors.BadArgument)
        assert.match((bad as Errors.BadArgument).message, /^Counter call Add: the payload must be an object/)
      }
      // A cast with one is dropped with a warning.
      yield* StateMachine.cast(counter, Reset, 7 as any)
      assert.strictEqual(yield* StateMachine.call(counter, Get), 1)
      assert.isTrue(logs.entries.some((entry) => entry.level === "Warn" && /cast Reset with a number as its payload/.test(entry.message)))
      // An untyped payload's own `type` does not change the event.
      assert.strictEqual(yield* StateMachine.call(counter, Add, { by: 2, type: "Reset" } as any), 3)
    }).pipe(logs.provide))
  })
})

describe("XState: exits and supervision", () => {
  it.effect("an action that throws crashes the process with the error; its supervisor restarts it clean", () =>
    runTest(Effect.gen(function*() {
      yield* Supervisor.start([StateMachine.childSpec(Counter, { start: 10 }, { name: "counter" })])
      const counter = StateMachine.ref(Counter, "counter")
      assert.strictEqual(yield* StateMachine.call(counter, Add, { by: 20 }), 30)
      const first = Option_getOrThrow(yield* Gen.whereis("counter"))
      const exited = yield* watch(first)
      yield* StateMachine.cast(counter, Boom)
      const crash = yield* exited
      assert.strictEqual(crash._tag, "Crash")
      assert.strictEqual((defectOf(crash) as Error).message, "the counter exploded")
      // Restarted under the same name, from the machine's initial state and its input.
      assert.strictEqual(yield* StateMachine.call(counter, Get), 10)
      const second = Option_getOrThrow(yield* Gen.whereis("counter"))
      assert.notStrictEqual(second, first)
    })).pipe(quietly))

  it.effect("the error report names the last good state and context, and the event: here a delayed one", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const sensor = createMachine({
        id: "sensor",
        context: { tries: 3 },
        initial: "waiting",
        states: {
          waiting: { after: { 100: "broken" } },
          broken: {
            entry: () => {
              throw new Error("sensor offline")
            }
          }
        }
      })
      const Sensor = XState.make({ name: "Sensor", machine: sensor })
      const server = yield* StateMachine.start(Sensor, undefined)
      const exited = yield* watch(server.pid!)
      yield* TestClock.adjust("100 millis")
      assert.strictEqual((defectOf(yield* exited) as Error).message, "sensor offline")
      const report = logs.entries.find((entry) => entry.level === "Error")?.message ?? ""
      assert.include(report, "** State machine")
      assert.include(report, "(Sensor) terminating")
      assert.include(report, "** Last message in was info xstate delayed event xstate.after.100.sensor.waiting")
      assert.include(report, `** When Server state == {"state":"waiting","data":{"tries":3}}`)
    }).pipe(logs.provide))
  })

  it.effect("a call whose event throws gets CallExit; an error at start fails it with InitFailed", () =>
    runTest(Effect.gen(function*() {
      const Crashy = Rpc.make("Crashy", { success: Schema.Number })
      const crashy = setup({
        types: { events: {} as { type: "Crashy" } },
        actions: {
          fail: () => {
            throw new Error("no")
          }
        }
      }).createMachine({ on: { Crashy: { actions: "fail" } } })
      const Module = XState.make({ name: "Crashy", machine: crashy, calls: [Crashy], replies: { Crashy: () => 1 } })
      const server = yield* StateMachine.start(Module, undefined)
      const error = yield* Effect.flip(StateMachine.call(server, Crashy))
      assert.strictEqual(error._tag, "CallExit")
      // An entry action that throws: the machine is in error as it starts.
      const broken = createMachine({
        entry: () => {
          throw new Error("cannot start")
        }
      })
      const Broken = XState.make({ name: "Broken", machine: broken })
      const failed = yield* Effect.flip(StateMachine.start(Broken, undefined))
      assert.strictEqual(failed._tag, "InitFailed")
    })).pipe(quietly))

  it.effect("a final state stops the process with reason normal; the call that led there reads the output", () =>
    runTest(Effect.gen(function*() {
      const counter = yield* StateMachine.start(Counter, { start: 7 })
      const exited = yield* watch(counter.pid!)
      assert.strictEqual(yield* StateMachine.call(counter, Finish), 7)
      const reason = yield* exited
      assert.strictEqual(reason._tag, "Normal")
      // A machine that is done as it starts: the start succeeds, then it stops.
      const done = XState.make({ name: "Done", machine: createMachine({ initial: "end", states: { end: { type: "final" } } }) })
      yield* Process.trapExit(true)
      const pid = (yield* StateMachine.startLink(done, undefined)).pid!
      const exit = yield* Process.receive({ match: (m): m is Process.ExitMessage => Process.isExitMessage(m) && m.from === pid })
      assert.strictEqual(exit.reason._tag, "Normal")
    })))

  it.effect("a killed process stops its actor: invoked actors are cleaned up", () =>
    runTest(Effect.gen(function*() {
      const cleaned: Array<string> = []
      const watching = createMachine({
        invoke: {
          src: fromCallback(() => () => {
            cleaned.push("stopped")
          })
        }
      })
      const Watching = XState.make({ name: "Watching", machine: watching })
      const server = yield* StateMachine.start(Watching, undefined)
      assert.deepStrictEqual(cleaned, [])
      yield* Process.exit(server.pid!, ExitReason.kill)
      assert.strictEqual((yield* exitOf(server.pid!))._tag, "Killed")
      assert.deepStrictEqual(cleaned, ["stopped"])
    })))

  it.effect("what xstate does between messages (an invoked promise) is followed; its error crashes the process", () =>
    runTest(Effect.gen(function*() {
      let resolve!: (n: number) => void
      let reject!: (e: Error) => void
      const loading = setup({
        types: { context: {} as { value: number } },
        actors: {
          load: fromPromise(() =>
            new Promise<number>((res, rej) => {
              resolve = res
              reject = rej
            })
          )
        }
      }).createMachine({
        context: { value: 0 },
        initial: "loading",
        states: {
          loading: {
            invoke: {
              src: "load",
              onDone: { target: "ready", actions: assign({ value: ({ event }) => event.output }) },
              onError: { target: "failed" }
            }
          },
          ready: { on: { Reload: "loading" } },
          failed: {
            entry: () => {
              throw new Error("loading failed")
            }
          }
        }
      })
      const Loader = XState.make({ name: "Loader", machine: loading })
      const loader = yield* StateMachine.start(Loader, undefined)
      assert.deepStrictEqual(yield* stateOf(loader.pid!), { state: "loading", data: { value: 0 } })
      resolve(42)
      yield* settle
      assert.deepStrictEqual(yield* stateOf(loader.pid!), { state: "ready", data: { value: 42 } })
      yield* Process.send(loader.pid!, { type: "Reload" })
      assert.strictEqual((yield* stateOf(loader.pid!)).state, "loading")
      const exited = yield* watch(loader.pid!)
      reject(new Error("offline"))
      yield* settle
      const reason = yield* exited
      assert.strictEqual((defectOf(reason) as Error).message, "loading failed")
    })).pipe(quietly))
})

describe("XState: delayed events on Clock", () => {
  it.effect("`after` runs on the process's timers: TestClock drives it, leaving the state cancels it", () =>
    runTest(Effect.gen(function*() {
      const counter = yield* StateMachine.start(Counter, { start: 0 })
      yield* StateMachine.cast(counter, Sleep)
      assert.strictEqual((yield* stateOf(counter.pid!)).state, "asleep")
      yield* TestClock.adjust("4999 millis")
      assert.strictEqual((yield* stateOf(counter.pid!)).state, "asleep")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* stateOf(counter.pid!)).state, "awake")
      // Woken before its time: the timer is cancelled with the state.
      yield* StateMachine.cast(counter, Sleep)
      yield* TestClock.adjust("3 seconds")
      yield* Process.send(counter.pid!, { type: "Wake" })
      yield* StateMachine.cast(counter, Sleep)
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual((yield* stateOf(counter.pid!)).state, "asleep", "the first timer does not wake the second sleep")
      yield* TestClock.adjust("3 seconds")
      assert.strictEqual((yield* stateOf(counter.pid!)).state, "awake")
    })))
})

describe("XState: code change", () => {
  // Version 2 of the counter: the context gains a field, `Get` answers double.
  const CounterV2 = XState.make({
    name: "Counter",
    version: "2",
    machine: setup({
      types: {
        context: {} as { count: number; upgraded: string },
        events: {} as CounterEvent,
        input: {} as { start: number }
      }
    }).createMachine({
      id: "counter",
      context: ({ input }) => ({ count: input.start, upgraded: "never" }),
      initial: "awake",
      states: {
        awake: {
          on: {
            Add: { actions: assign({ count: ({ context, event }) => context.count + event.by }) },
            Sleep: "asleep"
          }
        },
        // Version 2 wakes up to a different state: the timer set by version 1 takes it there.
        asleep: { after: { 5000: "refreshed" } },
        refreshed: { on: { Sleep: "asleep" } }
      }
    }),
    calls: [Add, Get],
    casts: [Sleep],
    replies: {
      Add: (snapshot) => snapshot.context.count,
      Get: (snapshot) => snapshot.context.count * 2
    },
    codeChange: (old, oldVersion, extra) => ({
      value: old.value as "awake" | "asleep",
      context: { count: (old.context as { count: number }).count, upgraded: `from ${oldVersion} (${String(extra)})` }
    })
  })

  it.effect("Code.upgrade keeps the snapshot (migrated by codeChange) and the pending delayed event keeps its time", () =>
    runTest(Effect.gen(function*() {
      const counter = yield* StateMachine.start(Counter, { start: 5 })
      yield* StateMachine.cast(counter, Sleep)
      yield* TestClock.adjust("3 seconds")
      const report = yield* Code.upgrade(CounterV2, "hotfix")
      assert.deepStrictEqual(report.upgraded.map((u) => u.from), ["1"])
      assert.deepStrictEqual(yield* stateOf(counter.pid!), { state: "asleep", data: { count: 5, upgraded: "from 1 (hotfix)" } })
      // Version 1's timer had 2 seconds left: version 2's machine takes its event then.
      yield* TestClock.adjust("1999 millis")
      assert.strictEqual((yield* stateOf(counter.pid!)).state, "asleep")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* stateOf(counter.pid!)).state, "refreshed")
      // The new replies answer.
      const upgraded = StateMachine.ref(CounterV2, counter.pid!)
      assert.strictEqual(yield* StateMachine.call(upgraded, Get), 10)
      // And the new machine's own timers run.
      yield* StateMachine.cast(upgraded, Sleep)
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual((yield* stateOf(counter.pid!)).state, "refreshed")
    })))

  it.effect("Sys.changeCode to a machine without the current state fails: the old version runs on, its timer too", () =>
    runTest(Effect.gen(function*() {
      const counter = yield* StateMachine.start(Counter, { start: 3 })
      yield* StateMachine.cast(counter, Sleep)
      const Other = XState.make({
        name: "Counter",
        version: "3",
        machine: createMachine({ initial: "elsewhere", states: { elsewhere: {} } })
      })
      const failed = yield* Effect.flip(Sys.changeCode(counter.pid!, Other))
      assert.strictEqual(failed._tag, "SysError")
      assert.match(String((failed as { readonly reason?: unknown }).reason), /State 'asleep' does not exist/)
      assert.deepStrictEqual(yield* stateOf(counter.pid!), { state: "asleep", data: { count: 3 } })
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual((yield* stateOf(counter.pid!)).state, "awake")
      assert.strictEqual(yield* StateMachine.call(counter, Add, { by: 1 }), 4)
    })))
})

const quietly = <A, E, R>(effect: Effect.Effect<A, E, R>) => captureLogs().provide(effect)

const Option_getOrThrow = <A>(option: { readonly _tag: "Some"; readonly value: A } | { readonly _tag: "None" }): A => {
  assert.strictEqual(option._tag, "Some")
  return (option as { readonly value: A }).value
}
