/**
 * Sys on GenServers, checked against OTP's sys: state, status, suspend/resume, trace,
 * statistics and code change. Every timeout is driven by TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Logger, Option, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { TestClock } from "effect/testing"
import {
  Code,
  DynamicSupervisor,
  Errors,
  ExitReason,
  Gen,
  GenServer,
  Loop,
  Node,
  Process,
  Registry,
  Supervisor,
  Sys
} from "../index.js"
import * as GenInternal from "../lib/internal/gen.js"
import type { LoopImpl } from "../lib/internal/loop.js"
import { SystemRequest } from "../lib/internal/system.js"
import type { Pid } from "../lib/Pid.js"

// ----------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------


const runTest = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()))

const tagged = <T extends string>(tag: T) => (u: unknown): u is { readonly _tag: T; readonly [key: string]: any } =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === tag

const makeLogCapture = () => {
  const lines: Array<string> = []
  const logger = Logger.make<unknown, void>(({ message }) => {
    const parts = Array.isArray(message) ? message : [message]
    lines.push(parts.map(String).join(" "))
  })
  const provide = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.provideService(effect, Logger.CurrentLoggers, new Set([logger]))
  return { lines, provide }
}

/**
 * Waits until `pid` has `count` messages queued (a forked caller's request has arrived). Each
 * step yields to the scheduler; a bounded number of steps, so a missing message fails the test.
 */
const awaitQueued = (pid: Pid, count: number) =>
  Effect.gen(function*() {
    for (let step = 0; step < 1000; step++) {
      const info = yield* Process.info(pid)
      if (Option.isSome(info) && info.value.messageQueueLength >= count) return
      yield* Effect.yieldNow
    }
    assert.fail(`${String(pid)} never had ${count} messages queued`)
  })

// ----------------------------------------------------------------------------
// The module under test, and its next version
// ----------------------------------------------------------------------------

const Balance = Rpc.make("Balance", { success: Schema.Number })
const History = Rpc.make("History", { success: Schema.Array(Schema.String) })
const Deposit = Rpc.make("Deposit", { payload: { amount: Schema.Number } })

interface AccountState {
  readonly balance: number
  readonly history: ReadonlyArray<string>
  readonly secret: string
}

interface AccountArgs {
  readonly balance: number
  readonly notify?: Pid | undefined
}

const Account = GenServer.make({
  name: "Account",
  calls: [Balance, History],
  casts: [Deposit],
  init: (args: AccountArgs) =>
    GenServer.ok<AccountState & { readonly notify: Pid | undefined }>({
      balance: args.balance,
      history: [],
      secret: "hunter2",
      notify: args.notify
    }),
  handleCall: {
    Balance: (_, state) => GenServer.reply(state.balance, state),
    History: (_, state) => GenServer.reply(state.history, state)
  },
  handleCast: {
    Deposit: ({ amount }, state) =>
      GenServer.noreply({ ...state, balance: state.balance + amount, history: [...state.history, `deposit ${amount}`] })
  },
  terminate: (reason, state) =>
    state.notify === undefined ? Effect.void : Process.send(state.notify, { _tag: "Terminated", reason }),
  formatStatus: (state) => ({ balance: state.balance, secret: "<redacted>" })
})

interface AccountStateV2 {
  readonly cents: number
  readonly history: ReadonlyArray<string>
  readonly migratedFrom: string
  readonly extra: unknown
}

const AccountV2 = GenServer.make({
  name: "Account",
  version: "2",
  calls: [Balance, History],
  casts: [Deposit],
  init: (args: AccountArgs) =>
    GenServer.ok<AccountStateV2>({ cents: args.balance * 100, history: [], migratedFrom: "", extra: undefined }),
  handleCall: {
    Balance: (_, state) => GenServer.reply(state.cents, state),
    History: (_, state) => GenServer.reply(state.history, state)
  },
  handleCast: {
    Deposit: ({ amount }, state) =>
      GenServer.noreply({ ...state, cents: state.cents + amount * 100, history: [...state.history, `v2 deposit ${amount}`] })
  },
  codeChange: (oldVersion, oldState, extra) => {
    const old = oldState as AccountState
    return { cents: old.balance * 100, history: old.history, migratedFrom: oldVersion, extra }
  }
})

const startAccount = (balance: number, notify?: Pid) => GenServer.start(Account, { balance, notify })

// ----------------------------------------------------------------------------
// State and status
// ----------------------------------------------------------------------------

describe("Sys: state and status", () => {
  it.effect("getState returns the raw state", () =>
    Effect.gen(function*() {
      const account = yield* startAccount(10)
      yield* GenServer.cast(account, Deposit, { amount: 5 })
      const state = (yield* Sys.getState(account.pid!)) as AccountState
      assert.strictEqual(state.balance, 15)
      assert.deepStrictEqual(state.history, ["deposit 5"])
      assert.strictEqual(state.secret, "hunter2")
    }).pipe(Effect.provide(Node.layer())))

  it.effect("replaceState replaces the state and returns it; the server goes on with it", () =>
    Effect.gen(function*() {
      const account = yield* GenServer.start(Account, { balance: 10 }, { name: "account" })
      const replaced = yield* Sys.replaceState("account", (s) => ({ ...(s as AccountState), balance: 100 }))
      assert.strictEqual((replaced as AccountState).balance, 100)
      assert.strictEqual(yield* GenServer.call(account, Balance), 100)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("replaceState with a throwing function: SysError, the state is kept, the server goes on", () =>
    Effect.gen(function*() {
      const account = yield* startAccount(10)
      const error = yield* Effect.flip(Sys.replaceState(account.pid!, () => {
        throw new Error("bad migration")
      }))
      assert.instanceOf(error, Sys.SysError)
      assert.strictEqual((error as Sys.SysError).request, "ReplaceState")
      assert.include((error as Sys.SysError).reason, "bad migration")
      assert.strictEqual(yield* GenServer.call(account, Balance), 10)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("getStatus: pid, module, version, run status, the state through formatStatus, trace flag", () =>
    Effect.gen(function*() {
      const account = yield* startAccount(42)
      const status = yield* Sys.getStatus(account.pid!)
      assert.strictEqual(status.pid, account.pid)
      assert.strictEqual(status.module, "Account")
      assert.strictEqual(status.version, "1")
      assert.strictEqual(status.status, "running")
      assert.deepStrictEqual(status.state, { balance: 42, secret: "<redacted>" })
      assert.isFalse(status.trace)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("getStatus without formatStatus shows the raw state", () =>
    Effect.gen(function*() {
      const Plain = GenServer.make({ name: "Plain", version: "7", init: (s: string) => GenServer.ok({ s }) })
      const server = yield* GenServer.start(Plain, "raw", { name: "plain" })
      const status = yield* Sys.getStatus("plain")
      assert.strictEqual(status.pid, server.pid)
      assert.strictEqual(status.version, "7")
      assert.deepStrictEqual(status.state, { s: "raw" })
    }).pipe(Effect.provide(Node.layer())))

  it.effect("system calls fail like calls: NoProc for a dead server, CallTimeout for a busy one", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const Block = Rpc.make("Block")
      const Busy = GenServer.make({
        name: "Busy",
        calls: [Block],
        init: (notify: Pid) => GenServer.ok(notify),
        handleCall: {
          Block: (_, notify) => Effect.andThen(Process.send(notify, { _tag: "Blocking" }), Effect.never)
        }
      })
      const busy = yield* GenServer.start(Busy, self)
      yield* Effect.forkChild(GenServer.call(busy, Block, undefined, { timeout: "infinity" }))
      yield* Process.receive({ match: tagged("Blocking") })
      const getting = yield* Effect.forkChild(Sys.getState(busy.pid!, { timeout: "1 second" }))
      yield* awaitQueued(busy.pid!, 1)
      yield* TestClock.adjust("999 millis")
      assert.isUndefined(getting.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const timeout = yield* Effect.flip(Fiber.join(getting))
      assert.instanceOf(timeout, Errors.CallTimeout)
      assert.strictEqual((timeout as Errors.CallTimeout).timeoutMillis, 1000)

      const account = yield* startAccount(0)
      yield* GenServer.stop(account)
      assert.instanceOf(yield* Effect.flip(Sys.getState(account.pid!)), Errors.NoProc)
      assert.instanceOf(yield* Effect.flip(Sys.suspend(account.pid!)), Errors.NoProc)
      assert.instanceOf(yield* Effect.flip(Sys.getStatus("nobody")), Errors.NoProc)
    })))
})

// ----------------------------------------------------------------------------
// Suspend and resume
// ----------------------------------------------------------------------------

describe("Sys: suspend and resume", () => {
  it.effect("a suspended server queues its messages and answers only system messages; after resume, in order", () =>
    Effect.gen(function*() {
      const account = yield* startAccount(0)
      const pid = account.pid!
      yield* Sys.suspend(pid)
      assert.strictEqual((yield* Sys.getStatus(pid)).status, "suspended")
      yield* GenServer.cast(account, Deposit, { amount: 1 })
      yield* GenServer.cast(account, Deposit, { amount: 2 })
      const balance = yield* Effect.forkChild(GenServer.call(account, Balance, undefined, { timeout: "infinity" }))
      yield* awaitQueued(pid, 3)
      yield* GenServer.cast(account, Deposit, { amount: 3 })
      // System messages are answered, and see the state before the queued messages.
      const state = (yield* Sys.getState(pid)) as AccountState
      assert.strictEqual(state.balance, 0)
      assert.deepStrictEqual(state.history, [])
      assert.isUndefined(balance.pollUnsafe())
      assert.strictEqual(Option.getOrThrow(yield* Process.info(pid)).messageQueueLength, 4)
      yield* Sys.resume(pid)
      assert.strictEqual((yield* Sys.getStatus(pid)).status, "running")
      // The call was queued after the first two deposits.
      assert.strictEqual(yield* Fiber.join(balance), 3)
      assert.deepStrictEqual(yield* GenServer.call(account, History), ["deposit 1", "deposit 2", "deposit 3"])
    }).pipe(Effect.provide(Node.layer())))

  it.effect("Process.info reports a suspended server as suspended, and a resumed one as not", () =>
    Effect.gen(function*() {
      const account = yield* startAccount(0)
      const pid = account.pid!
      yield* Sys.suspend(pid)
      assert.strictEqual(Option.getOrThrow(yield* Process.info(pid)).status, "suspended")
      // Still answers system messages.
      assert.strictEqual((yield* Sys.getStatus(pid)).status, "suspended")
      yield* Sys.resume(pid)
      assert.notStrictEqual(Option.getOrThrow(yield* Process.info(pid)).status, "suspended")
      assert.strictEqual(yield* GenServer.call(account, Balance), 0)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("a call to a suspended server times out like any call", () =>
    Effect.gen(function*() {
      const account = yield* startAccount(0)
      yield* Sys.suspend(account.pid!)
      const calling = yield* Effect.forkChild(GenServer.call(account, Balance, undefined, { timeout: "3 seconds" }))
      yield* awaitQueued(account.pid!, 1)
      yield* TestClock.adjust("2999 millis")
      assert.isUndefined(calling.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      assert.instanceOf(yield* Effect.flip(Fiber.join(calling)), Errors.CallTimeout)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("stop terminates a suspended server", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const account = yield* startAccount(0, self)
      yield* Sys.suspend(account.pid!)
      yield* GenServer.stop(account, { reason: ExitReason.shutdown() })
      const terminated = yield* Process.receive({ match: tagged("Terminated") })
      assert.strictEqual(terminated.reason._tag, "Shutdown")
      assert.isFalse(yield* Process.isAlive(account.pid!))
    })))

  it.effect("a suspended server trapping exits still terminates when its parent exits (OTP sys suspend loop)", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const parent = yield* Process.spawn(Effect.gen(function*() {
        const server = yield* GenServer.startLink(Account, { balance: 0, notify: self }, { trapExit: true })
        yield* Process.send(self, { _tag: "Started", pid: server.pid })
        yield* Process.receive()
      }))
      const started = yield* Process.receive({ match: tagged("Started") })
      const server: Pid = started.pid
      yield* Sys.suspend(server)
      const parentRef = yield* Process.monitor(parent)
      yield* Process.exit(parent, ExitReason.shutdown())
      // The parent is down, so its exit signal is already in the server's mailbox, before the
      // next system message: the server must have terminated instead of answering it.
      const parentDown = yield* Process.receive({ match: Process.isDownMessage })
      assert.strictEqual(parentDown.ref, parentRef)
      const status = yield* Effect.exit(Sys.getStatus(server))
      assert.isTrue(Exit.isFailure(status), "the suspended server answered instead of terminating")
      const terminated = yield* Process.receive({ match: tagged("Terminated") })
      assert.strictEqual(terminated.reason._tag, "Shutdown")
      assert.isFalse(yield* Process.isAlive(server))
    })))
})

describe("Sys: system messages and the idle timeout", () => {
  it.effect("a system message restarts the idle timeout in full (OTP re-enters the loop with it)", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const Idle = GenServer.make({
        name: "Idle",
        init: (notify: Pid) => GenServer.ok(notify, { timeout: "1 second" }),
        handleInfo: (message, notify) =>
          message === GenServer.timeout ? Effect.as(Process.send(notify, { _tag: "TimedOut" }), GenServer.noreply(notify)) : GenServer.noreply(notify)
      })
      const server = yield* GenServer.start(Idle, self)
      yield* TestClock.adjust("600 millis")
      yield* Sys.getState(server.pid!)
      yield* TestClock.adjust("999 millis")
      assert.isTrue(Option.isNone(yield* Process.receive({ match: tagged("TimedOut"), timeout: 0 })))
      yield* TestClock.adjust("1 millis")
      assert.isTrue(Option.isSome(yield* Process.receive({ match: tagged("TimedOut"), timeout: 0 })))
    })))
})

// ----------------------------------------------------------------------------
// Trace and statistics
// ----------------------------------------------------------------------------

describe("Sys: trace and statistics", () => {
  it.effect("trace logs each message in and each reply out while on", () => {
    const logs = makeLogCapture()
    return Effect.gen(function*() {
      const account = yield* startAccount(1)
      yield* GenServer.cast(account, Deposit, { amount: 1 })
      yield* GenServer.call(account, Balance)
      assert.deepStrictEqual(logs.lines, [])
      yield* Sys.trace(account.pid!, true)
      assert.isTrue((yield* Sys.getStatus(account.pid!)).trace)
      yield* GenServer.cast(account, Deposit, { amount: 2 })
      assert.strictEqual(yield* GenServer.call(account, Balance), 4)
      const traced = (part: string) => logs.lines.filter((line) => line.includes(part)).length
      assert.strictEqual(traced("cast Deposit"), 1)
      assert.strictEqual(traced("call Balance"), 1)
      assert.strictEqual(traced("replied 4"), 1)
      assert.isTrue(logs.lines.every((line) => line.includes(String(account.pid))))
      yield* Sys.trace(account.pid!, false)
      const count = logs.lines.length
      yield* GenServer.cast(account, Deposit, { amount: 3 })
      assert.strictEqual(yield* GenServer.call(account, Balance), 7)
      assert.strictEqual(logs.lines.length, count)
      assert.isFalse((yield* Sys.getStatus(account.pid!)).trace)
    }).pipe(logs.provide, Effect.provide(Node.layer()))
  })

  it.effect("statistics count the messages handled and the replies sent (system messages excluded)", () =>
    Effect.gen(function*() {
      const account = yield* startAccount(0)
      yield* GenServer.cast(account, Deposit, { amount: 1 })
      yield* TestClock.adjust("1 second")
      yield* Sys.statistics(account.pid!, true)
      yield* GenServer.cast(account, Deposit, { amount: 1 })
      yield* GenServer.cast(account, Deposit, { amount: 1 })
      yield* GenServer.call(account, Balance)
      const statistics = yield* Sys.statistics(account.pid!, "get")
      assert.deepStrictEqual(statistics, { startTime: 0, since: 1000, messagesIn: 3, messagesOut: 1 })
    }).pipe(Effect.provide(Node.layer())))

  it.effect("an untyped caller's flag that is no boolean is a BadArgument defect, and changes nothing", () =>
    Effect.gen(function*() {
      const account = yield* startAccount(0)
      const defectOf = (effect: Effect.Effect<unknown, unknown>) =>
        Effect.map(Effect.exit(effect), (exit) => {
          assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause))
          return (Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as Errors.BadArgument).operation
        })
      assert.strictEqual(yield* defectOf(Sys.trace(account.pid!, "yes" as any)), "Sys.trace")
      assert.strictEqual(yield* defectOf(Sys.statistics(account.pid!, "on" as any)), "Sys.statistics")
      assert.isFalse((yield* Sys.getStatus(account.pid!)).trace)
      yield* GenServer.cast(account, Deposit, { amount: 1 })
      assert.strictEqual((yield* Sys.statistics(account.pid!, "get")).messagesIn, 1)
    }).pipe(Effect.provide(Node.layer())))
})

// ----------------------------------------------------------------------------
// Code change
// ----------------------------------------------------------------------------

describe("Sys: changeCode", () => {
  it.effect("the new module's codeChange migrates the state; the server runs the new code", () =>
    Effect.gen(function*() {
      const account = yield* startAccount(3)
      yield* GenServer.cast(account, Deposit, { amount: 2 })
      yield* Sys.changeCode(account.pid!, AccountV2, { reason: "cents" })
      const status = yield* Sys.getStatus(account.pid!)
      assert.strictEqual(status.version, "2")
      assert.strictEqual(status.module, "Account")
      // V2 has no formatStatus: the raw, migrated state.
      assert.deepStrictEqual(status.state, {
        cents: 500,
        history: ["deposit 2"],
        migratedFrom: "1",
        extra: { reason: "cents" }
      })
      yield* GenServer.cast(account, Deposit, { amount: 1 })
      assert.strictEqual(yield* GenServer.call(account, Balance), 600)
      assert.deepStrictEqual(yield* GenServer.call(account, History), ["deposit 2", "v2 deposit 1"])
    }).pipe(Effect.provide(Node.layer())))

  it.effect("suspend, changeCode, resume: messages queued meanwhile are handled by the new code, in order", () =>
    Effect.gen(function*() {
      const account = yield* startAccount(1)
      yield* Sys.suspend(account.pid!)
      yield* GenServer.cast(account, Deposit, { amount: 1 })
      yield* GenServer.cast(account, Deposit, { amount: 2 })
      yield* Sys.changeCode(account.pid!, AccountV2)
      yield* Sys.resume(account.pid!)
      assert.deepStrictEqual(yield* GenServer.call(account, History), ["v2 deposit 1", "v2 deposit 2"])
      assert.strictEqual(yield* GenServer.call(account, Balance), 400)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("a failing codeChange: the caller gets the error, the server keeps its old code and state", () =>
    Effect.gen(function*() {
      const Broken = GenServer.make({
        ...AccountV2,
        codeChange: (_oldVersion: string, _oldState: unknown, _extra: unknown) => Effect.fail("incompatible state")
      })
      const account = yield* startAccount(3)
      const error = yield* Effect.flip(Sys.changeCode(account.pid!, Broken, undefined))
      assert.instanceOf(error, Sys.SysError)
      assert.strictEqual((error as Sys.SysError).request, "ChangeCode")
      const cause = (error as Sys.SysError).cause as Cause.Cause<unknown>
      assert.isTrue(Cause.isCause(cause))
      assert.deepStrictEqual(Cause.findErrorOption(cause), Option.some("incompatible state"))
      const status = yield* Sys.getStatus(account.pid!)
      assert.strictEqual(status.version, "1")
      assert.deepStrictEqual(status.state, { balance: 3, secret: "<redacted>" })
      yield* GenServer.cast(account, Deposit, { amount: 1 })
      assert.deepStrictEqual(yield* GenServer.call(account, History), ["deposit 1"])
      assert.strictEqual(yield* GenServer.call(account, Balance), 4)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("a throwing codeChange: the caller gets the error, the server keeps its old code and state", () =>
    Effect.gen(function*() {
      const Throwing = GenServer.make({
        ...AccountV2,
        codeChange: (): AccountStateV2 => {
          throw new Error("cannot migrate")
        }
      })
      const account = yield* startAccount(3)
      const error = yield* Effect.flip(Sys.changeCode(account.pid!, Throwing))
      assert.instanceOf(error, Sys.SysError)
      assert.strictEqual((yield* Sys.getStatus(account.pid!)).version, "1")
      assert.strictEqual(yield* GenServer.call(account, Balance), 3)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("changeCode to a module of another name is refused", () =>
    Effect.gen(function*() {
      const Other = GenServer.make({ name: "Other", init: () => GenServer.ok(0) })
      const account = yield* startAccount(3)
      const error = yield* Effect.flip(Sys.changeCode(account.pid!, Other))
      assert.instanceOf(error, Sys.SysError)
      assert.strictEqual((error as Sys.SysError).request, "ChangeCode")
      assert.strictEqual((yield* Sys.getStatus(account.pid!)).version, "1")
      assert.strictEqual(yield* GenServer.call(account, Balance), 3)
    }).pipe(Effect.provide(Node.layer())))
})

// ----------------------------------------------------------------------------
// A new system request
// ----------------------------------------------------------------------------

/**
 * A system request this test adds, as `lib/Sys.ts` adds its own: a subclass of the internal
 * `SystemRequest` with its answer, and the function that sends it. Nothing else changes, and
 * every process on the generic loop answers it: a GenServer, a Supervisor, a DynamicSupervisor,
 * a Registry and a behaviour written on `Loop` directly.
 */
class WhoAreYou extends SystemRequest {
  readonly _tag = "WhoAreYou"
  answer(loop: LoopImpl, from: Gen.From) {
    GenInternal.replyUnsafe(from, `${loop.module.name}@${loop.module.version} (${loop.suspended ? "suspended" : "running"})`)
    return Effect.succeed(undefined)
  }
}
const whoAreYou = (target: Gen.Target) =>
  GenInternal.request(target, (from) => new GenInternal.SystemMessage(from, new WhoAreYou()))

describe("Sys: a new system request is one class in Sys.ts", () => {
  it.effect("every behaviour on the loop answers a request the loop does not know of", () =>
    runTest(Effect.gen(function*() {
      const Plain = GenServer.make({ name: "Plain", init: () => GenServer.ok(0) })
      const server = yield* GenServer.start(Plain, undefined)
      assert.strictEqual(yield* whoAreYou(server.pid!), "Plain@1 (running)")
      yield* Sys.suspend(server.pid!)
      assert.strictEqual(yield* whoAreYou(server.pid!), "Plain@1 (suspended)")
      yield* Sys.resume(server.pid!)

      const sup = yield* Supervisor.start([])
      assert.match(String(yield* whoAreYou(sup.target)), /@1 \(running\)$/)
      const dynamic = yield* DynamicSupervisor.start()
      assert.match(String(yield* whoAreYou(dynamic.target)), /@1 \(running\)$/)
      const registry = yield* Registry.start({ name: "who", keys: "unique" })
      assert.match(String(yield* whoAreYou(registry.name)), /@1 \(running\)$/)

      const echo: Loop.Behaviour<Code.Module, number> = {
        title: "Echo",
        report: "echo",
        isModule: (u): u is Code.Module => typeof u === "object" && u !== null,
        handle: () => undefined
      }
      const pid = yield* Gen.start((ack) => Loop.enter(echo, { module: { name: "Echo", version: "7" }, state: 0, ack }))
      assert.strictEqual(yield* whoAreYou(pid), "Echo@7 (running)")
    })))
})
