/**
 * The generic loop (`Loop`), on behaviours written here rather than on GenServer: what every
 * behaviour gets without code of its own (system messages, code change, terminate, the error
 * report, the parent's exit) and what a behaviour says with its `Next` (timed waits, inserted
 * messages, stops). The last block writes a small state machine on it, with postponed events,
 * an event timeout and a named timer, as issue 19's StateMachine needs. Every timeout is driven
 * by TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import { Code, Errors, ExitReason, Gen, Loop, Node, Process, Sys } from "../index.js"
import type { Pid } from "../lib/Pid.js"
import * as CodeInternal from "../lib/internal/code.js"
import { captureLogs, tagged } from "./support/logs.js"


const runTest = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()))

const isDown = (ref: unknown) => (m: unknown): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === ref


// ----------------------------------------------------------------------------
// The guide's behaviour: modules that fold numbers into a total
// ----------------------------------------------------------------------------

interface Folder {
  readonly name: string
  readonly version: string
  readonly fold: (total: number, n: number) => number
  /** Called by terminate, if given, with the reason and the state. */
  readonly terminated?: ((reason: ExitReason.ExitReason, total: number) => void) | undefined
  /** Whether formatStatus throws. */
  readonly secret?: boolean | undefined
}

const isFolder = (u: unknown): u is Folder =>
  typeof u === "object" && u !== null && typeof (u as Folder).fold === "function"

/** Every `Next` a test wants: a cast of one of these is returned as is by `handle`. */
class Return {
  constructor(readonly next: Loop.Next) {}
}

/** What `handle` saw, for the tests that check the order of messages. */
const seen: Array<unknown> = []

const folder: Loop.Behaviour<Folder, number> = {
  title: "Folder",
  report: "folder",
  isModule: isFolder,
  handle: (server, message) => {
    seen.push(message)
    if (message instanceof Gen.CastMessage) {
      if (typeof message.request === "number") server.state = server.module.fold(server.state, message.request)
      else if (message.request instanceof Return) return message.request.next
      else if (message.request === "crash") return Effect.die(new Error("folder broke"))
    } else if (message instanceof Gen.CallMessage) {
      server.reply(message.from, server.state)
    }
  },
  terminate: (server, reason) => server.module.terminated?.(reason, server.state),
  formatStatus: (server) => {
    if (server.module.secret === true) throw new Error("no")
    return { total: server.state }
  },
  codeChange: (server, next, extra) => next.version === "3" ? server.state * (extra as number) : server.state,
  describe: (message) => message instanceof Gen.CastMessage ? `cast ${String(message.request)}` : String(message)
}

const Sum: Folder = { name: "Sum", version: "1", fold: (total, n) => total + n }
const Double: Folder = { name: "Sum", version: "2", fold: (total, n) => total + 2 * n }

const start = (module: Folder, state = 0) => Gen.start((ack) => Loop.enter(folder, { module, state, ack }))

const total = (pid: Pid) => Gen.call(pid, "total")

describe("Loop: what a behaviour gets for nothing", () => {
  it.effect("the guide's behaviour: messages in order, a call answered, every Sys request answered", () =>
    runTest(Effect.gen(function*() {
      const sum = yield* start(Sum)
      yield* Gen.cast(sum, 2)
      yield* Gen.cast(sum, 3)
      assert.strictEqual(yield* total(sum), 5)
      assert.strictEqual(yield* Sys.getState(sum), 5)
      assert.strictEqual(yield* Sys.replaceState(sum, (n) => (n as number) * 10), 50)
      const status = yield* Sys.getStatus(sum)
      assert.deepStrictEqual(
        { module: status.module, version: status.version, status: status.status, state: status.state },
        { module: "Sum", version: "1", status: "running", state: { total: 50 } }
      )
      yield* Sys.statistics(sum, true)
      yield* Gen.cast(sum, 1)
      assert.strictEqual(yield* total(sum), 51)
      const statistics = yield* Sys.statistics(sum, "get")
      assert.deepStrictEqual([statistics.messagesIn, statistics.messagesOut], [2, 1])
    })))

  it.effect("suspended, it handles only system messages; the others wait, in order", () =>
    runTest(Effect.gen(function*() {
      const sum = yield* start(Sum)
      yield* Sys.suspend(sum)
      assert.strictEqual(Option.getOrThrow(yield* Process.info(sum)).status, "suspended")
      yield* Gen.cast(sum, 1)
      yield* Gen.cast(sum, 2)
      assert.strictEqual(yield* Sys.getState(sum), 0)
      yield* Sys.resume(sum)
      assert.strictEqual(yield* total(sum), 3)
    })))

  it.effect("a code change swaps the module at the next message; one of another name, or no module, is refused", () =>
    runTest(Effect.gen(function*() {
      const sum = yield* start(Sum)
      yield* Gen.cast(sum, 2)
      yield* Sys.changeCode(sum, Double)
      yield* Gen.cast(sum, 2)
      assert.strictEqual(yield* total(sum), 6)
      assert.strictEqual((yield* Sys.getStatus(sum)).version, "2")
      // codeChange of version 3 multiplies by extra.
      yield* Sys.changeCode(sum, { ...Sum, version: "3" }, 10)
      assert.strictEqual(yield* Sys.getState(sum), 60)
      for (const bad of [{ ...Sum, name: "Other" }, { name: "Sum", version: "4" }, "Sum"]) {
        const error = yield* Effect.flip(Sys.changeCode(sum, bad))
        assert.instanceOf(error, Sys.SysError)
        assert.strictEqual((error as Sys.SysError).reason, "not a version of Sum")
      }
      assert.strictEqual((yield* Sys.getStatus(sum)).version, "3")
    })))

  it.effect("Code.upgrade changes an idle process in place and lists it under its module", () =>
    runTest(Effect.gen(function*() {
      const pids = [yield* start(Sum, 1), yield* start(Sum, 2)]
      const report = yield* Code.upgrade({ ...Sum, version: "3" }, 5)
      assert.deepStrictEqual(report.upgraded.map((u) => u.pid), pids)
      assert.deepStrictEqual(yield* CodeInternal.processes("Sum"), pids.map((pid) => [pid, "3"] as const))
      assert.deepStrictEqual([yield* total(pids[0]!), yield* total(pids[1]!)], [5, 10])
    })))

  it.effect("a formatStatus that throws shows a string in its place, and the process goes on", () =>
    runTest(Effect.gen(function*() {
      const sum = yield* start({ ...Sum, secret: true }, 42)
      assert.strictEqual((yield* Sys.getStatus(sum)).state, "Sum.formatStatus crashed")
      assert.strictEqual(yield* total(sum), 42)
    })))

  it.effect("Sys.terminate runs terminate once and the process exits with the reason", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const sum = yield* start({ ...Sum, terminated: (reason, n) => Process.sendUnsafe(self, { _tag: "Terminated", reason, n }) }, 7)
      const ref = yield* Process.monitor(sum)
      // It completes once the process has exited: with another reason than normal, as CallExit.
      const error = yield* Effect.flip(Sys.terminate(sum, ExitReason.shutdown("done")))
      assert.instanceOf(error, Errors.CallExit)
      const terminated = yield* Process.receive({ match: tagged("Terminated") })
      assert.strictEqual(terminated.n, 7)
      const down = yield* Process.receive({ match: isDown(ref) })
      assert.strictEqual(ExitReason.format(down.reason), "{shutdown, done}")
    })))

  it.effect("trapping exits, the parent's exit signal runs terminate, and the process exits with its reason", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const module: Folder = { ...Sum, terminated: (reason) => Process.sendUnsafe(self, { _tag: "Terminated", reason }) }
      const parent = yield* Process.spawn(Effect.gen(function*() {
        const me = yield* Process.self
        const child = yield* Gen.startLink((ack) => Loop.enter(folder, { module, state: 0, ack, parent: me }), { trapExit: true })
        yield* Process.send(self, { _tag: "Child", child })
        return yield* Process.receive()
      }))
      const { child } = yield* Process.receive({ match: tagged("Child") })
      const ref = yield* Process.monitor(child as Pid)
      // Not from its parent: an exit signal, trapped, is a message like any other.
      yield* Process.exit(child as Pid, ExitReason.fail("from a stranger"))
      assert.strictEqual(yield* total(child as Pid), 0)
      assert.isTrue(yield* Process.isAlive(child as Pid))
      // Its parent's exit, through the link, stops it.
      yield* Process.exit(parent, ExitReason.shutdown("parent"))
      const terminated = yield* Process.receive({ match: tagged("Terminated") })
      assert.strictEqual(ExitReason.format(terminated.reason), "{shutdown, parent}")
      const down = yield* Process.receive({ match: isDown(ref) })
      assert.strictEqual(ExitReason.format(down.reason), "{shutdown, parent}")
    })))

  it.effect("a crash in handle: terminate with the reason, the behaviour's error report, the exit", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const sum = yield* start({ ...Sum, terminated: (reason, n) => Process.sendUnsafe(self, { _tag: "Terminated", reason, n }) }, 3)
      const ref = yield* Process.monitor(sum)
      yield* Gen.cast(sum, "crash")
      const terminated = yield* Process.receive({ match: tagged("Terminated") })
      assert.strictEqual(ExitReason.format(terminated.reason), "Error: folder broke")
      const down = yield* Process.receive({ match: isDown(ref) })
      assert.strictEqual(ExitReason.format(down.reason), "Error: folder broke")
      const reports = logs.entries.filter((e) => e.annotations["report"] === "folder")
      assert.strictEqual(reports.length, 1)
      assert.deepStrictEqual(reports[0]!.annotations, { report: "folder", pid: String(sum), module: "Sum", reason: "Crash" })
      assert.strictEqual(
        reports[0]!.message,
        `** Folder ${sum} (Sum) terminating\n` +
          `** Last message in was cast crash\n` +
          `** When Server state == {"total":3}\n` +
          `** Reason for termination ==\n` +
          `** Error: folder broke\n`
      )
    })).pipe(logs.provide)
  })
})

describe("Loop: the error report survives a behaviour's describe that throws", () => {
  /** A request whose `toString` throws: the folder's `describe` (`String(request)`) throws on it. */
  class Unprintable extends Return {
    override toString(): string {
      throw new Error("toString")
    }
  }

  it.effect("the report shows the last message as <unprintable>; the process exits with its own reason", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const sum = yield* start(Sum, 3)
      const ref = yield* Process.monitor(sum)
      yield* Gen.cast(sum, new Unprintable(Loop.stop(ExitReason.fail("hostile"))))
      const down = yield* Process.receive({ match: isDown(ref) })
      assert.strictEqual(ExitReason.format(down.reason), "hostile")
      const reports = logs.entries.filter((e) => e.annotations["report"] === "folder")
      assert.strictEqual(reports.length, 1)
      assert.strictEqual(
        reports[0]!.message,
        `** Folder ${sum} (Sum) terminating\n` +
          `** Last message in was <unprintable>\n` +
          `** When Server state == {"total":3}\n` +
          `** Reason for termination ==\n` +
          `** hostile\n`
      )
    })).pipe(logs.provide)
  })
})

describe("Loop: what handle returns", () => {
  it.effect("stop: terminate, then afterTerminate, then the exit; an orderly reason logs no report", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const sum = yield* start({ ...Sum, terminated: () => Process.sendUnsafe(self, "terminated") })
      const ref = yield* Process.monitor(sum)
      yield* Gen.cast(sum, new Return(Loop.stop(ExitReason.normal, () => Process.sendUnsafe(self, "after"))))
      assert.strictEqual(yield* Process.receive({ match: (m) => m === "terminated" || m === "after" }), "terminated")
      assert.strictEqual(yield* Process.receive({ match: (m) => m === "after" }), "after")
      assert.strictEqual((yield* Process.receive({ match: isDown(ref) })).reason._tag, "Normal")
      assert.strictEqual(logs.entries.filter((e) => e.annotations["report"] === "folder").length, 0)
    })).pipe(logs.provide)
  })

  it.effect("after: the message comes when nothing else did in time; any message, a system one too, starts the wait again", () =>
    runTest(Effect.gen(function*() {
      seen.length = 0
      const sum = yield* start(Sum)
      yield* Gen.cast(sum, new Return(Loop.after(1000, "idle")))
      yield* TestClock.adjust("600 millis")
      yield* Sys.getState(sum)
      yield* TestClock.adjust("600 millis")
      assert.notInclude(seen, "idle")
      yield* TestClock.adjust("400 millis")
      yield* Sys.getState(sum)
      assert.strictEqual(seen.filter((m) => m === "idle").length, 1)
      // A message that returns nothing ends the wait.
      yield* Gen.cast(sum, new Return(Loop.after(1000, "idle")))
      yield* Gen.cast(sum, 1)
      yield* TestClock.adjust("5 seconds")
      yield* Sys.getState(sum)
      assert.strictEqual(seen.filter((m) => m === "idle").length, 1)
      // Infinity waits as long as it takes.
      yield* Gen.cast(sum, new Return(Loop.after(Infinity, "never")))
      yield* TestClock.adjust("1 days")
      yield* Sys.getState(sum)
      assert.notInclude(seen, "never")
    })))

  it.effect("insert: handled before the queued messages, and not counted as a message in", () =>
    runTest(Effect.gen(function*() {
      seen.length = 0
      const sum = yield* start(Sum)
      yield* Sys.suspend(sum)
      yield* Gen.cast(sum, new Return(Loop.insert("first")))
      yield* Gen.cast(sum, 1)
      yield* Sys.statistics(sum, true)
      yield* Sys.resume(sum)
      assert.strictEqual(yield* total(sum), 1)
      const order = seen.map((m) => m instanceof Gen.CastMessage ? m.request : m instanceof Gen.CallMessage ? "call" : m)
      assert.strictEqual(order[1], "first")
      assert.strictEqual(order[2], 1)
      assert.strictEqual((yield* Sys.statistics(sum, "get")).messagesIn, 3)
    })))

  it.effect("a Next that is none crashes the process with a BadArgument defect", () =>
    runTest(Effect.gen(function*() {
      const nexts: ReadonlyArray<unknown> = [
        { _tag: "Nope" },
        Loop.after(-1, "x"),
        Loop.after(Number.NaN, "x"),
        { _tag: "Stop", reason: "not a reason" },
        42
      ]
      for (const next of nexts) {
        const sum = yield* start(Sum)
        const ref = yield* Process.monitor(sum)
        yield* Gen.cast(sum, new Return(next as Loop.Next))
        const down = yield* Process.receive({ match: isDown(ref) })
        assert.strictEqual(down.reason._tag, "Crash")
        const defect = Cause.squash((down.reason as ExitReason.Crash).cause)
        assert.instanceOf(defect, Errors.BadArgument, String(next))
      }
    })))

  it.effect("enter outside a process dies with BadArgument", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Loop.enter(folder, { module: Sum, state: 0 }) as Effect.Effect<void>)
      assert.isTrue(Exit.isFailure(exit))
      assert.instanceOf(Cause.squash((exit as Exit.Failure<void, never>).cause), Errors.BadArgument)
    }))
})

// ----------------------------------------------------------------------------
// A state machine on the loop (what issue 19's StateMachine needs of it)
// ----------------------------------------------------------------------------

/**
 * A door: `locked` or `open`. `Open` while locked is postponed until the door is unlocked;
 * `Unlock` opens it and re-inserts the postponed events, in order, before the mailbox. An
 * open door closes itself after 5 s without an event (an event timeout: `Loop.after`), and
 * a named "alarm" timer (`Process.sendAfter`, told apart by its reference) fires 30 s after the
 * unlock unless the door was locked again.
 */
interface Door {
  readonly name: string
  readonly version: string
}

interface DoorData {
  state: "locked" | "open"
  readonly postponed: Array<unknown>
  readonly inserted: Array<unknown>
  readonly log: Array<string>
  alarm: { readonly ref: unknown } | undefined
}

const Timeout = { _tag: "EventTimeout" }

const door: Loop.Behaviour<Door, DoorData, Door, Node.Node> = {
  title: "State machine",
  report: "gen_statem",
  isModule: (u): u is Door => typeof u === "object" && u !== null && "name" in u,
  handle: (server, message) => {
    const data = server.state
    const event = message instanceof Gen.CastMessage ? message.request : message
    if (message instanceof Gen.CallMessage) {
      server.reply(message.from, { state: data.state, log: [...data.log] })
    } else if (event === "Open" && data.state === "locked") {
      data.postponed.push(message)
    } else if (event === "Open") {
      data.log.push("opened")
    } else if (event === "Unlock" && data.state === "locked") {
      data.state = "open"
      data.log.push("unlocked")
      // A state change: the postponed events go first, in order.
      data.inserted.push(...data.postponed.splice(0))
      return Effect.map(Process.sendAfter(server.self, { _tag: "Alarm" }, "30 seconds"), (ref) => {
        data.alarm = { ref }
        return next(data)
      })
    } else if (event === Timeout) {
      data.state = "locked"
      data.log.push("closed by itself")
      data.alarm = undefined
      return next(data)
    } else if (tagged("Alarm")(event)) {
      if (data.alarm !== undefined) data.log.push("alarm")
    }
    return next(data)
  }
}

/** The next inserted event, else the event timeout of an open door. */
const next = (data: DoorData): Loop.Next =>
  data.inserted.length > 0 ? Loop.insert(data.inserted.shift()) : data.state === "open" ? Loop.after(5000, Timeout) : undefined

const look = (pid: Pid) => Gen.call(pid, "look") as Effect.Effect<{ state: string; log: Array<string> }, Errors.CallError>

describe("Loop: a state machine on it", () => {
  it.effect("postponed events return after the state change, before the mailbox; the event timeout and a named timer", () =>
    runTest(Effect.gen(function*() {
      const data: DoorData = { state: "locked", postponed: [], inserted: [], log: [], alarm: undefined }
      const pid = yield* Gen.start((ack) => Loop.enter(door, { module: { name: "Door", version: "1" }, state: data, ack }))
      yield* Gen.cast(pid, "Open")
      yield* Gen.cast(pid, "Open")
      assert.deepStrictEqual(yield* look(pid), { state: "locked", log: [] })
      yield* Gen.cast(pid, "Unlock")
      assert.deepStrictEqual(yield* look(pid), { state: "open", log: ["unlocked", "opened", "opened"] })
      // The look was an event: the timeout counts from it.
      yield* TestClock.adjust("4 seconds")
      assert.strictEqual((yield* look(pid)).state, "open")
      yield* TestClock.adjust("5 seconds")
      const closed = yield* look(pid)
      assert.deepStrictEqual(closed, { state: "locked", log: ["unlocked", "opened", "opened", "closed by itself"] })
      // The alarm timer's message still comes, and finds no alarm set.
      yield* TestClock.adjust("30 seconds")
      assert.notInclude((yield* look(pid)).log, "alarm")
      yield* Gen.cast(pid, "Unlock")
      const fiber = yield* Effect.forkChild(Effect.gen(function*() {
        for (let i = 0; i < 8; i++) {
          yield* TestClock.adjust("4 seconds")
          yield* Gen.cast(pid, "Open")
        }
      }))
      yield* Fiber.join(fiber)
      assert.include((yield* look(pid)).log, "alarm")
    })))
})
