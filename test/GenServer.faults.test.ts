/**
 * GenServer under faults (issue 15), checked against OTP 25's gen_server:
 * - bad callback results stop the server with `bad_return_value` (here `BadReturnValue` in a
 *   Crash): `terminate` runs with the state from before the callback, a pending caller gets
 *   `CallExit` at once, and a bad `init` result fails the start with no process or name left;
 * - request tags named like `Object.prototype` members reach only declared handlers;
 * - a `formatStatus` that throws never kills the server (OTP shows `"Mod:format_status/1
 *   crashed"` in place of the state);
 * - an abnormal exit logs gen_server's error report once, and error messages carry the
 *   cause's own message.
 * Time is TestClock's: a call that would wait for its timeout fails the test at once.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Data, Duration, Effect, Exit, type Fiber, Formatter, Option, References, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { Errors, ExitReason, Gen, GenServer, Node, Process, Supervisor, Sys } from "../index.js"
import type { Pid } from "../lib/Pid.js"
import { format } from "../lib/internal/format.js"
import * as GenInternal from "../lib/internal/gen.js"
import { captureLogs as captureLogsOnly, tagged } from "./support/logs.js"
import { mapRegistry } from "./support/process.js"
import { Worker } from "./support/workers.js"

// ----------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------


const runTest = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()))

/** The shared log capture, plus the gen_server error reports among its entries. */
const captureLogs = () => {
  const capture = captureLogsOnly()
  const reports = () => capture.entries.filter((e) => e.annotations["report"] === "gen_server")
  return { ...capture, reports }
}

/**
 * The outcome of a forked effect that must be done without waiting for any timeout: time moves
 * by 1 ms only (every timeout here is longer), so a call left waiting fails the assertion.
 */
const outcomeNow = <A, E>(fiber: Fiber.Fiber<A, E>) =>
  Effect.gen(function*() {
    yield* TestClock.adjust("1 millis")
    const exit = fiber.pollUnsafe()
    assert.isDefined(exit, "still waiting: it would have waited for its timeout")
    return exit!
  })

/** The failure of a crash reason (or of a CallExit / InitFailed carrying one). */
const failureOf = (reason: ExitReason.ExitReason): unknown => {
  assert.strictEqual(reason._tag, "Crash")
  return Option.getOrUndefined(Cause.findErrorOption((reason as ExitReason.Crash).cause))
}

const assertBadReturn = (reason: ExitReason.ExitReason, callback: string, value: unknown): Errors.BadReturnValue => {
  const failure = failureOf(reason)
  assert.instanceOf(failure, Errors.BadReturnValue)
  const bad = failure as Errors.BadReturnValue
  assert.strictEqual(bad.callback, callback)
  // The very value the callback returned: `Object.is`, which also holds for NaN (=== does not).
  assert.isTrue(Object.is(bad.value, value), "BadReturnValue.value is not the value returned")
  return bad
}

const isDown = (ref: unknown) => (m: unknown): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === ref

// ----------------------------------------------------------------------------
// A module whose callbacks return what the test gives them
// ----------------------------------------------------------------------------

const Do = Rpc.make("Do", { success: Schema.Unknown })
const Get = Rpc.make("Get", { success: Schema.Unknown })
const Poke = Rpc.make("Poke")

interface LooseState {
  readonly notify: Pid
  readonly n: number
  /** What the next Do, Poke, info or continue returns. */
  readonly next?: unknown
}

/**
 * Every callback returns `state.next` when asked (`Do` call, `Poke` cast, an info message, a
 * continue); terminate reports the reason and the state it got.
 */
const Loose = GenServer.make({
  name: "Loose",
  calls: [Do, Get],
  casts: [Poke],
  init: (args: { readonly notify: Pid; readonly init?: () => unknown }) =>
    (args.init !== undefined ? args.init() : GenServer.ok<LooseState>({ notify: args.notify, n: 1 })) as GenServer.InitResult<LooseState>,
  handleCall: {
    Do: (_, state) => state.next as GenServer.CallResult<unknown, never, LooseState>,
    Get: (_, state) => GenServer.reply(state.n, state)
  },
  handleCast: {
    Poke: (_, state) => state.next as GenServer.CastResult<LooseState>
  },
  handleInfo: (message, state) =>
    message === "bad"
      ? state.next as GenServer.CastResult<LooseState>
      : GenServer.noreply({ ...state, next: message }),
  terminate: (reason, state) => Process.send(state.notify, { _tag: "Terminated", reason, n: state.n })
})

/** Starts `Loose` and makes its callbacks return `next`; the state count is 1. */
const startLoose = (notify: Pid, next: unknown) =>
  Effect.gen(function*() {
    const server = yield* GenServer.start(Loose, { notify })
    yield* Process.send(server.pid!, next)
    // The info handler stores `next` (a message arrives in order, before the call).
    assert.strictEqual(yield* GenServer.call(server, Get), 1)
    return server
  })

/** Values that are no callback result at all. */
const garbage: ReadonlyArray<readonly [string, unknown]> = [
  ["undefined", undefined],
  ["null", null],
  ["a number", 42],
  ["a string", "ok"],
  ["a function", () => 1],
  ["an empty object", {}],
  ["an unknown tag", { _tag: "Nope", state: 1 }],
  ["a tag from Object.prototype", { _tag: "constructor", state: 1 }],
  ["the state itself", { notify: "x", n: 2 }],
  ["noreply without state", { _tag: "NoReply" }],
  ["stop with no exit reason", { _tag: "Stop", reason: "normal", state: 1 }],
  ["stop with a Crash that has no Cause", { _tag: "Stop", reason: { _tag: "Crash" }, state: 1 }],
  ["stop without state", { _tag: "Stop", reason: ExitReason.normal }]
]

/** Actions that are not valid: OTP's timeout must be a non-negative integer or infinity. */
const badActions: ReadonlyArray<readonly [string, unknown]> = [
  ["a negative timeout", { timeout: -1 }],
  ["a NaN timeout", { timeout: NaN }],
  ["-Infinity", { timeout: -Infinity }],
  ["the string -Infinity", { timeout: "-Infinity" }],
  ["a word", { timeout: "soon" }],
  ["a negative duration", { timeout: Duration.millis(-5) }],
  ["a NaN in a duration tuple", { timeout: [NaN, 0] }],
  ["a NaN in a duration object", { timeout: { seconds: NaN } }],
  ["an object with no duration field", { timeout: { soon: 1 } }],
  ["a timeout and a continue at once", { timeout: 5, continue: 1 }],
  ["a number", 5000],
  ["null", null]
]

// ----------------------------------------------------------------------------
// Class 4: bad results
// ----------------------------------------------------------------------------

describe("GenServer faults: bad callback results (OTP bad_return_value)", () => {
  it.effect("handleCall returning garbage: the caller gets CallExit at once, terminate runs with the old state", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const self = yield* Process.self
      for (const [label, value] of garbage) {
        const server = yield* startLoose(self, value)
        const ref = yield* Process.monitor(server.pid!)
        const caller = yield* Effect.forkChild(GenServer.call(server, Do))
        const exit = yield* outcomeNow(caller)
        assert.isTrue(Exit.isFailure(exit), label)
        const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)
        assert.instanceOf(error, Errors.CallExit, label)
        const bad = assertBadReturn((error as Errors.CallExit).reason, "handleCall(Do)", value)
        assert.strictEqual(bad.module, "Loose")
        const terminated = yield* Process.receive({ match: tagged("Terminated") })
        assert.strictEqual(terminated.reason, (error as Errors.CallExit).reason, label)
        assert.strictEqual(terminated.n, 1, label)
        const down = yield* Process.receive({ match: isDown(ref) })
        assert.strictEqual(down.reason, (error as Errors.CallExit).reason, label)
      }
    })).pipe(logs.provide)
  })

  it.effect("an Effect that succeeds with garbage is a bad result too", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* startLoose(self, Effect.succeed({ _tag: "Nope" }))
      const exit = yield* outcomeNow(yield* Effect.forkChild(GenServer.call(server, Do)))
      const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as Errors.CallExit
      const failure = failureOf(error.reason) as Errors.BadReturnValue
      assert.deepStrictEqual(failure.value, { _tag: "Nope" })
      assert.isFalse(yield* Process.isAlive(server.pid!))
    })).pipe(captureLogs().provide))

  it.effect("an invalid action (timeout, continue without handleContinue) is a bad result", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      for (const [label, action] of [...badActions, ["a continue without handleContinue", { continue: 1 }]] as const) {
        const result = GenServer.reply("answer", { notify: self, n: 2 }, action as GenServer.Action)
        const server = yield* startLoose(self, result)
        const exit = yield* outcomeNow(yield* Effect.forkChild(GenServer.call(server, Do)))
        assert.isTrue(Exit.isFailure(exit), label)
        const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as Errors.CallExit
        assertBadReturn(error.reason, "handleCall(Do)", result)
        // No reply was sent, and terminate got the state from before the callback.
        const terminated = yield* Process.receive({ match: tagged("Terminated") })
        assert.strictEqual(terminated.n, 1, label)
      }
    })).pipe(captureLogs().provide))

  it.effect("valid actions: a zero timeout, Infinity (no timeout), a Duration, a duration object", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      for (const timeout of [0, "Infinity", Infinity, Duration.seconds(1), { seconds: 1 }, "1 second", [1, 0]] as const) {
        const server = yield* startLoose(self, GenServer.reply("answer", { notify: self, n: 2 }, { timeout } as GenServer.Action))
        assert.strictEqual(yield* GenServer.call(server, Do), "answer")
        assert.strictEqual(yield* GenServer.call(server, Get), 2)
        yield* GenServer.stop(server)
      }
    })))

  it.effect("handleCast, handleInfo and handleContinue returning garbage stop the server the same way", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const cases: ReadonlyArray<readonly [string, (server: GenServer.Server<typeof Loose>) => Effect.Effect<void>, string]> = [
        ["cast", (server) => GenServer.cast(server, Poke), "handleCast(Poke)"],
        ["info", (server) => Process.send(server.pid!, "bad"), "handleInfo"]
      ]
      // A call's results are no results of these callbacks (OTP: bad_return_value too).
      const callResults: ReadonlyArray<readonly [string, unknown]> = [
        ["a reply", GenServer.reply(1, { notify: self, n: 2 })],
        ["a failure reply", GenServer.replyFailure("no", { notify: self, n: 2 })],
        ["a stop with a reply", GenServer.stopWith(ExitReason.normal, { notify: self, n: 2 }, "bye")]
      ]
      for (const [label, trigger, callback] of cases) {
        for (const [what, value] of [...garbage, ...callResults]) {
          const server = yield* startLoose(self, value)
          const ref = yield* Process.monitor(server.pid!)
          yield* trigger(server)
          const terminated = yield* Process.receive({ match: tagged("Terminated") })
          assertBadReturn(terminated.reason, callback, value)
          assert.strictEqual(terminated.n, 1, `${label}: ${what}`)
          const down = yield* Process.receive({ match: isDown(ref) })
          assert.strictEqual(down.reason, terminated.reason)
        }
      }
      // handleContinue: reached through a noreply with a continue.
      const Continued = GenServer.make({
        name: "Continued",
        init: (notify: Pid) => GenServer.ok(notify, { continue: "go" }),
        handleContinue: () => ({ _tag: "NoReply" }) as unknown as GenServer.CastResult<Pid>,
        terminate: (reason, notify) => Process.send(notify, { _tag: "Terminated", reason })
      })
      yield* GenServer.start(Continued, self)
      const terminated = yield* Process.receive({ match: tagged("Terminated") })
      assertBadReturn(terminated.reason, "handleContinue", (failureOf(terminated.reason) as Errors.BadReturnValue).value)
    })).pipe(captureLogs().provide))

  it.effect("a bad init result fails the start with InitFailed; no process and no name are left", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const { table: names, registry } = mapRegistry()
      const before = (yield* Process.processes).length
      const inits: ReadonlyArray<readonly [string, unknown]> = [
        // A stop from init has no state (OTP's `{stop, Reason}`): that one is valid here.
        ...garbage.filter(([label]) => label !== "stop without state"),
        ["ok without state", { _tag: "Ok" }],
        ["reply (not an init result)", GenServer.reply(1, 1)],
        ["stop with no exit reason", { _tag: "Stop", reason: "oops", state: undefined }],
        ["a continue without handleContinue", GenServer.ok({ notify: self, n: 1 }, { continue: 1 })],
        ...badActions.map(([label, action]) => [label, GenServer.ok({ notify: self, n: 1 }, action as GenServer.Action)] as const),
        ["an Effect of garbage", Effect.succeed(7)]
      ]
      for (const [label, value] of inits) {
        for (const name of ["loose", Gen.via(registry, "loose")]) {
          const error = yield* Effect.flip(GenServer.start(Loose, { notify: self, init: () => value }, { name }))
          assert.instanceOf(error, Errors.InitFailed, label)
          const bad = failureOf((error as Errors.InitFailed).reason) as Errors.BadReturnValue
          assert.instanceOf(bad, Errors.BadReturnValue, label)
          assert.strictEqual(bad.callback, "init")
          assert.strictEqual(bad.value, Effect.isEffect(value) ? 7 : value, label)
          assert.include((error as Errors.InitFailed).message, "Loose.init returned a bad value")
          assert.strictEqual((yield* Process.processes).length, before, label)
          assert.isTrue(Option.isNone(yield* Process.whereis("loose")), label)
          assert.strictEqual(names.size, 0, label)
        }
      }
      // No terminate ran (OTP does not call terminate when init fails).
      assert.isTrue(Option.isNone(yield* Process.receive({ match: tagged("Terminated"), timeout: 0 })))
      // The name is free for a good start.
      const good = yield* GenServer.start(Loose, { notify: self }, { name: "loose" })
      assert.strictEqual(yield* GenServer.call(good, Get), 1)
    })).pipe(captureLogs().provide))

  it.effect("a via key of any shape (no prototype, a symbol, a cycle) names the target in typed errors, never a defect", () =>
    runTest(Effect.gen(function*() {
      const registry: Gen.ViaRegistry<unknown> = {
        registerName: () => Effect.succeed(Option.none()),
        unregisterName: () => Effect.void,
        whereisName: () => Effect.succeed(Option.none())
      }
      const cyclic: Record<string, unknown> = {}
      cyclic["self"] = cyclic
      for (const key of [Object.create(null), Symbol("k"), cyclic]) {
        const error = yield* Effect.flip(GenServer.call(GenServer.ref(Loose, Gen.via(registry, key)), Get))
        assert.strictEqual(error._tag, "NoProc")
        assert.include(error.message, "via(")
      }
    })))

  it.effect("valid init results still start: ok with Infinity, ignore, stopWith", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Loose, { notify: self, init: () => GenServer.ok({ notify: self, n: 5 }, { timeout: "Infinity" }) })
      yield* TestClock.adjust("1 hour")
      assert.strictEqual(yield* GenServer.call(server, Get), 5)
      assert.instanceOf(yield* Effect.flip(GenServer.start(Loose, { notify: self, init: () => GenServer.ignore })), Errors.InitIgnored)
      const stopped = yield* Effect.flip(GenServer.start(Loose, { notify: self, init: () => GenServer.stopWith(ExitReason.shutdown("no")) }))
      assert.instanceOf(stopped, Errors.InitFailed)
      assert.strictEqual(ExitReason.format((stopped as Errors.InitFailed).reason), "{shutdown, no}")
    })))

  it("for every value that is no result, a call ends with CallExit(BadReturnValue) at once and terminate gets the old state (property)", () =>
    fc.assert(
      fc.asyncProperty(
        fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withSet: true, withBoxedValues: true }),
        (value) =>
          Effect.runPromise(runTest(Effect.gen(function*() {
            const self = yield* Process.self
            const server = yield* startLoose(self, value)
            const exit = yield* outcomeNow(yield* Effect.forkChild(GenServer.call(server, Do)))
            assert.isTrue(Exit.isFailure(exit))
            const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as Errors.CallExit
            assertBadReturn(error.reason, "handleCall(Do)", value)
            assert.strictEqual((yield* Process.receive({ match: tagged("Terminated") })).n, 1)
          })).pipe(captureLogs().provide, Effect.provide(TestClock.layer())))
      ),
      { numRuns: 200 }
    ))

  it.effect("stopWith with a reply: the caller gets the reply once terminate has run (gen_server replies in an after)", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const Quit = Rpc.make("Quit", { success: Schema.String })
      const SlowQuit = GenServer.make({
        name: "SlowQuit",
        calls: [Quit],
        init: (notify: Pid) => GenServer.ok(notify),
        handleCall: { Quit: (_, notify) => GenServer.stopWith(ExitReason.normal, notify, "bye") },
        terminate: (_, notify) => Effect.andThen(Effect.sleep("1 second"), Process.send(notify, { _tag: "Terminated" }))
      })
      const server = yield* GenServer.start(SlowQuit, self)
      const caller = yield* Effect.forkChild(GenServer.call(server, Quit))
      yield* TestClock.adjust("999 millis")
      assert.isUndefined(caller.pollUnsafe(), "the reply came before terminate ended")
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* outcomeNow(caller), Exit.succeed("bye"))
      assert.isTrue(Option.isSome(yield* Process.receive({ match: tagged("Terminated"), timeout: 0 })))
    })))

  it.effect("stopWith with a reply whose terminate crashes: the caller still gets the reply", () =>
    runTest(Effect.gen(function*() {
      const Quit = Rpc.make("Quit", { success: Schema.String })
      const Quitter = GenServer.make({
        name: "Quitter",
        calls: [Quit],
        init: () => GenServer.ok(0),
        handleCall: { Quit: (_, n) => GenServer.stopWith(ExitReason.normal, n, "bye") },
        terminate: () => Effect.die(new Error("terminate failed"))
      })
      const server = yield* GenServer.start(Quitter, undefined)
      const ref = yield* Process.monitor(server.pid!)
      assert.strictEqual(yield* GenServer.call(server, Quit), "bye")
      const down = yield* Process.receive({ match: isDown(ref) })
      assert.strictEqual(ExitReason.format(down.reason), "Error: terminate failed")
    })).pipe(captureLogs().provide))
})

// ----------------------------------------------------------------------------
// Class 5: prototype names
// ----------------------------------------------------------------------------

const prototypeNames = [...Object.getOwnPropertyNames(Object.prototype), "__proto__"]

describe("GenServer faults: request tags named like Object.prototype members", () => {
  it.effect("an untyped call with such a tag gets UnknownRequest; the state is intact", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Loose, { notify: self })
      for (const name of prototypeNames) {
        const error = yield* Effect.flip(GenServer.call(server, { _tag: name } as any, undefined))
        assert.instanceOf(error, Errors.UnknownRequest, name)
        assert.strictEqual((error as Errors.UnknownRequest).tag, name)
        assert.strictEqual(yield* GenServer.call(server, Get), 1, name)
      }
      assert.deepStrictEqual(yield* Sys.getState(server.pid!), { notify: self, n: 1 })
    })))

  it.effect("an untyped cast with such a tag is dropped with a warning; the state is intact", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Loose, { notify: self })
      for (const name of prototypeNames) {
        yield* GenServer.cast(server, { _tag: name } as any, undefined)
        assert.strictEqual(yield* GenServer.call(server, Get), 1, name)
      }
      assert.deepStrictEqual(yield* Sys.getState(server.pid!), { notify: self, n: 1 })
      assert.strictEqual(logs.entries.filter((e) => e.level === "Warn").length, prototypeNames.length)
    })).pipe(logs.provide)
  })

  it.effect("tags that are no string, and requests that are no request, never reach a handler", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Loose, { notify: self })
      const throwing = {
        toString() {
          throw new Error("toString ran")
        }
      }
      const tags: ReadonlyArray<unknown> = [undefined, null, 1, Symbol("x"), throwing, Object.create(null), ["Get"]]
      for (const tag of tags) {
        const error = yield* Effect.flip(GenServer.call(server, { _tag: tag } as any, undefined))
        assert.instanceOf(error, Errors.UnknownRequest)
        yield* GenServer.cast(server, { _tag: tag } as any, undefined)
      }
      for (const request of [undefined, null, "Get", 1] as const) {
        assert.instanceOf(yield* Effect.flip(GenServer.call(server, request as any, undefined)), Errors.UnknownRequest)
        yield* GenServer.cast(server, request as any, undefined)
        // Below the typed API: anything as a call or a cast.
        assert.instanceOf(yield* Effect.flip(Gen.call(server.pid!, request)), Errors.UnknownRequest)
        yield* Gen.cast(server.pid!, request)
      }
      assert.strictEqual(yield* GenServer.call(server, Get), 1)
      assert.isTrue(yield* Process.isAlive(server.pid!))
    })).pipe(logs.provide)
  })

  it.effect("system requests with such tags, or no request at all, get UnknownRequest; the server goes on", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Loose, { notify: self })
      const requests: ReadonlyArray<unknown> = [...prototypeNames.map((name) => ({ _tag: name })), undefined, null, 5, "GetState"]
      for (const request of requests) {
        const error = yield* Effect.flip(GenInternal.request(server.pid!, (from) => new GenInternal.SystemMessage(from, request)))
        assert.instanceOf(error, Errors.UnknownRequest)
      }
      assert.strictEqual(yield* GenServer.call(server, Get), 1)
      assert.deepStrictEqual(yield* Sys.getState(server.pid!), { notify: self, n: 1 })
    })))

  it.effect("a module may declare handlers named constructor, toString and __proto__", () =>
    Effect.gen(function*() {
      const Ctor = Rpc.make("constructor", { success: Schema.String })
      const ToString = Rpc.make("toString", { success: Schema.String })
      const Proto = Rpc.make("__proto__")
      const Odd = GenServer.make({
        name: "Odd",
        calls: [Ctor, ToString],
        casts: [Proto],
        init: () => GenServer.ok("start"),
        handleCall: {
          constructor: (_, s) => GenServer.reply(`ctor ${s}`, s),
          toString: (_, s) => GenServer.reply(`str ${s}`, s)
        },
        // A computed key: an own property named __proto__, not the prototype.
        handleCast: { ["__proto__"]: () => GenServer.noreply("proto") }
      })
      const server = yield* GenServer.start(Odd, undefined)
      assert.strictEqual(yield* GenServer.call(server, Ctor), "ctor start")
      assert.strictEqual(yield* GenServer.call(server, ToString), "str start")
      yield* GenServer.cast(server, Proto)
      assert.strictEqual(yield* GenServer.call(server, Ctor), "ctor proto")
    }).pipe(Effect.provide(Node.layer())))

  it.effect("only own function-valued handlers run: an inherited one, a getter or a value is unknown", () =>
    Effect.gen(function*() {
      let getterRan = false
      const inherited = Object.create({ Get: () => GenServer.reply("inherited", 0) })
      const handleCall = Object.defineProperty(inherited, "Do", {
        enumerable: true,
        get: () => {
          getterRan = true
          return () => GenServer.reply("getter", 0)
        }
      })
      const Sneaky = GenServer.make({ name: "Sneaky", calls: [Do, Get], init: () => GenServer.ok(0), handleCall } as any) as unknown as typeof Loose
      const server = yield* GenServer.start(Sneaky, undefined as any)
      assert.instanceOf(yield* Effect.flip(GenServer.call(server, Get)), Errors.UnknownRequest)
      assert.instanceOf(yield* Effect.flip(GenServer.call(server, Do)), Errors.UnknownRequest)
      assert.isFalse(getterRan)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("messages no formatter can print (cycles, no prototype, throwing toJSON) are logged, not fatal", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const Plain = GenServer.make({ name: "Plain", calls: [Get], init: () => GenServer.ok(1), handleCall: { Get: (_, n) => GenServer.reply(n, n) } })
      const plain = yield* GenServer.start(Plain, undefined)
      const traced = yield* GenServer.start(Loose, { notify: self })
      yield* Sys.trace(traced.pid!, true)
      const cyclic: Record<string, unknown> = Object.create(null)
      cyclic["self"] = cyclic
      const toJSON = {
        toJSON() {
          throw new Error("toJSON ran")
        }
      }
      for (const message of [cyclic, toJSON, Object.create(null), 10n]) {
        yield* Process.send(plain.pid!, message)
        yield* Process.send(traced.pid!, message)
      }
      assert.strictEqual(yield* GenServer.call(plain, Get), 1)
      assert.strictEqual(yield* GenServer.call(traced, Get), 1)
      assert.strictEqual(logs.entries.filter((e) => e.level === "Warn").length, 4)
    })).pipe(logs.provide)
  })

  it.effect("stop with a reason that is no exit reason: carried in a Crash, as OTP takes any term", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Loose, { notify: self })
      const ref = yield* Process.monitor(server.pid!)
      yield* GenServer.stop(server, { reason: "bye" as any })
      const terminated = yield* Process.receive({ match: tagged("Terminated") })
      assert.strictEqual(failureOf(terminated.reason), "bye")
      const down = yield* Process.receive({ match: isDown(ref) })
      assert.strictEqual(ExitReason.format(down.reason), "bye")
    })).pipe(captureLogs().provide))

  it("ExitReason.format never throws, whatever a reason carries", () => {
    const cyclic: Record<string, unknown> = Object.create(null)
    cyclic["self"] = cyclic
    assert.strictEqual(ExitReason.format(ExitReason.shutdown(Object.create(null))), "{shutdown, {}}")
    assert.strictEqual(ExitReason.format(ExitReason.fail(cyclic)), `{"self":[Circular]}`)
    assert.strictEqual(ExitReason.format(undefined as any), "undefined")
    assert.strictEqual(ExitReason.format({ _tag: "toString" } as any), `{"_tag":"toString"}`)
  })
})

// ----------------------------------------------------------------------------
// Class 8: reading state never kills
// ----------------------------------------------------------------------------

const Secret = GenServer.make({
  name: "Secret",
  calls: [Get],
  casts: [Poke],
  init: (format: (state: { readonly password: string }) => unknown) => GenServer.ok({ password: "hunter2", format }),
  handleCall: { Get: (_, s) => GenServer.reply(s.password, s) },
  handleCast: { Poke: () => Effect.die(new Error("poked")) },
  formatStatus: (state) => state.format(state)
})

describe("GenServer faults: formatStatus", () => {
  it.effect("a throwing formatStatus: getStatus answers with OTP's fallback, never the raw state; the server goes on", () =>
    Effect.gen(function*() {
      const thrown: ReadonlyArray<unknown> = [new Error("format bug"), "a string", undefined, Object.create(null)]
      for (const value of thrown) {
        const server = yield* GenServer.start(Secret, () => {
          throw value
        })
        const status = yield* Sys.getStatus(server.pid!)
        assert.strictEqual(status.state, "Secret.formatStatus crashed")
        assert.strictEqual(status.module, "Secret")
        assert.strictEqual(yield* GenServer.call(server, Get), "hunter2")
        assert.isTrue(yield* Process.isAlive(server.pid!))
      }
    }).pipe(Effect.provide(Node.layer())))

  it.effect("a formatStatus returning an Effect (failing or not): not run, a fallback shown; the server goes on", () =>
    Effect.gen(function*() {
      for (const effect of [Effect.fail("no"), Effect.die("no"), Effect.succeed({ shown: true })]) {
        const server = yield* GenServer.start(Secret, () => effect)
        const status = yield* Sys.getStatus(server.pid!)
        assert.strictEqual(status.state, "Secret.formatStatus returned an Effect")
        assert.strictEqual(yield* GenServer.call(server, Get), "hunter2")
      }
    }).pipe(Effect.provide(Node.layer())))

  it.effect("a formatStatus returning any other value shows it, however odd", () =>
    Effect.gen(function*() {
      const cyclic: Record<string, unknown> = {}
      cyclic["self"] = cyclic
      for (const shown of [undefined, null, cyclic, Object.create(null), 10n]) {
        const server = yield* GenServer.start(Secret, () => shown)
        assert.strictEqual((yield* Sys.getStatus(server.pid!)).state, shown)
        assert.isTrue(yield* Process.isAlive(server.pid!))
      }
    }).pipe(Effect.provide(Node.layer())))

  it.effect("the crash report shows the state through formatStatus; a throwing one gives the fallback, not the state", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const redacting = yield* GenServer.start(Secret, () => ({ password: "<redacted>" }))
      const ref1 = yield* Process.monitor(redacting.pid!)
      yield* GenServer.cast(redacting, Poke)
      const down1 = yield* Process.receive({ match: isDown(ref1) })
      const broken = yield* GenServer.start(Secret, () => {
        throw new Error("format bug")
      })
      const ref2 = yield* Process.monitor(broken.pid!)
      yield* GenServer.cast(broken, Poke)
      const down2 = yield* Process.receive({ match: isDown(ref2) })
      // The server exits with its own crash, not with formatStatus's.
      assert.strictEqual(ExitReason.format(down1.reason), "Error: poked")
      assert.strictEqual(ExitReason.format(down2.reason), "Error: poked")
      const [first, second] = logs.reports()
      assert.include(first!.message, `When Server state == {"password":"<redacted>"}`)
      assert.include(second!.message, `When Server state == "Secret.formatStatus crashed"`)
      for (const report of logs.reports()) assert.notInclude(report.message, "hunter2")
    }).pipe(Process.run, Effect.provide(Node.layer()), logs.provide)
  })
})

// ----------------------------------------------------------------------------
// Class 9: the error report and the messages
// ----------------------------------------------------------------------------

const Boom = Rpc.make("Boom")
const Stop = Rpc.make("Stop", { payload: { reason: Schema.Unknown } })

class Corrupt extends Data.TaggedError("Corrupt")<{ readonly table: string }> {}

const Crashy = GenServer.make({
  name: "Crashy",
  calls: [Get],
  casts: [Boom, Stop],
  init: (n: number) => GenServer.ok({ n }),
  handleCall: { Get: (_, s) => GenServer.reply(s.n, s) },
  handleCast: {
    Boom: () => Effect.die(new Error("kaboom")),
    Stop: ({ reason }, s) => GenServer.stopWith(reason as ExitReason.ExitReason, s)
  },
  formatStatus: (s) => ({ count: s.n })
})

/** Starts a Crashy, does `act` to it, waits for its exit; returns its pid and exit reason. */
const crashWith = (act: (server: GenServer.Server<typeof Crashy>) => Effect.Effect<void, unknown, Process.CurrentProcess | Node.Node>) =>
  Effect.gen(function*() {
    const server = yield* GenServer.start(Crashy, 7)
    const ref = yield* Process.monitor(server.pid!)
    yield* act(server)
    const down = yield* Process.receive({ match: isDown(ref) })
    return { pid: server.pid!, reason: down.reason }
  })

const Hold = Rpc.make("Hold", { payload: { value: Schema.Unknown } })

/**
 * Starts a server holding `state`, casts it `Hold` with `message`, which makes it die with
 * `defect`; waits for its exit. Returns its one report's text and its exit reason.
 */
const crashHolding = (
  logs: ReturnType<typeof captureLogs>,
  state: unknown,
  options?: { readonly message?: unknown; readonly defect?: unknown }
) =>
  Effect.gen(function*() {
    const Holding = GenServer.make({
      name: "Holding",
      casts: [Hold],
      init: () => GenServer.ok(state),
      handleCast: { Hold: () => Effect.die(options?.defect ?? new Error("kaboom")) }
    })
    const server = yield* GenServer.start(Holding, undefined)
    const ref = yield* Process.monitor(server.pid!)
    yield* GenServer.cast(server, Hold, { value: options?.message })
    const down = yield* Process.receive({ match: isDown(ref) })
    assert.strictEqual(down.reason._tag, "Crash")
    const reports = logs.reports()
    assert.strictEqual(reports.length, 1)
    return { report: reports[0]!.message, reason: down.reason }
  })

describe("GenServer faults: the error report of an abnormal exit (gen_server error_info)", () => {
  it.effect("an unsupervised server that crashes logs one report: name, last message, formatted state, reason, cause", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const { pid } = yield* crashWith((server) => GenServer.cast(server, Boom))
      const reports = logs.reports()
      assert.strictEqual(reports.length, 1)
      const report = reports[0]!
      assert.strictEqual(report.level, "Error")
      assert.deepStrictEqual(report.annotations, { report: "gen_server", pid: String(pid), module: "Crashy", reason: "Crash" })
      assert.strictEqual(
        report.message,
        `** Generic server ${pid} (Crashy) terminating\n` +
          `** Last message in was cast Boom\n` +
          `** When Server state == {"count":7}\n` +
          `** Reason for termination ==\n` +
          `** Error: kaboom\n`
      )
      // The entry's cause is the crash, with its stack, for the logger to print.
      const defect = Cause.squash(report.cause)
      assert.instanceOf(defect, Error)
      assert.strictEqual((defect as Error).message, "kaboom")
      assert.include(Cause.pretty(report.cause), "at ")
    })).pipe(logs.provide)
  })

  it.effect("a registered server is named by its name; the last message of a call is its request", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Loose, { notify: self }, { name: "loose" })
      yield* Process.send(server.pid!, { _tag: "Bad" })
      yield* Effect.flip(GenServer.call(server, Do))
      const [report] = logs.reports()
      assert.include(report!.message, `** Generic server loose (${server.pid}) (Loose) terminating`)
      assert.include(report!.message, "** Last message in was call Do\n")
      assert.include(report!.message, `Loose.handleCall(Do) returned a bad value: {"_tag":"Bad"}`)
    })).pipe(logs.provide)
  })

  it.effect("a state holding reply handles (deferred replies) is reported with the handles named, not the node behind them", () => {
    // A handle's fields reach the whole node (runtime, processes, fibers): the report used to walk
    // that graph (8 KB of it, after seconds of formatting).
    const Holder = GenServer.make({
      name: "Holder",
      calls: [Get],
      casts: [Boom],
      init: () => GenServer.ok<{ readonly held: ReadonlyArray<Gen.From> }>({ held: [] }),
      handleCall: { Get: (_, s, from) => GenServer.noreply({ held: [...s.held, from] }) },
      handleCast: { Boom: () => Effect.die(new Error("kaboom")) }
    })
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const server = yield* GenServer.start(Holder, undefined)
      const ref = yield* Process.monitor(server.pid!)
      yield* Process.spawn(Effect.ignore(GenServer.call(server, Get, undefined, { timeout: "infinity" })))
      while ((yield* Sys.getState(server.pid!) as Effect.Effect<{ readonly held: ReadonlyArray<unknown> }, unknown>).held.length === 0) {
        yield* Effect.yieldNow
      }
      yield* GenServer.cast(server, Boom)
      yield* Process.receive({ match: isDown(ref) })
      const [report] = logs.reports()
      assert.include(report!.message, `** When Server state == {"held":[From(call to ${server.pid})]}\n`)
    })).pipe(logs.provide)
  })

  it.effect("normal, shutdown and {shutdown, _} exits log no report; any other stop reason does", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      yield* crashWith((server) => GenServer.cast(server, Stop, { reason: ExitReason.normal }))
      yield* crashWith((server) => GenServer.cast(server, Stop, { reason: ExitReason.shutdown() }))
      yield* crashWith((server) => GenServer.cast(server, Stop, { reason: ExitReason.shutdown("bye") }))
      yield* crashWith((server) => GenServer.stop(server, { reason: ExitReason.shutdown("maintenance") }))
      assert.strictEqual(logs.reports().length, 0)
      const { reason } = yield* crashWith((server) => GenServer.cast(server, Stop, { reason: ExitReason.fail(new Corrupt({ table: "users" })) }))
      assert.strictEqual(ExitReason.format(reason), `Corrupt({"table":"users"})`)
      yield* crashWith((server) => Effect.ignore(GenServer.stop(server, { reason: ExitReason.fail("by hand") })))
      const reports = logs.reports()
      assert.strictEqual(reports.length, 2)
      assert.include(reports[0]!.message, `** Corrupt({"table":"users"})`)
      assert.include(reports[1]!.message, "** Last message in was none\n")
      assert.include(reports[1]!.message, "** by hand")
    })).pipe(logs.provide)
  })

  it.effect("a killed server logs nothing (no code of it runs); a crashing terminate logs one report, with its crash", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      yield* crashWith((server) => Process.exit(server.pid!, ExitReason.kill))
      assert.strictEqual(logs.reports().length, 0)
      const Fragile = GenServer.make({
        name: "Fragile",
        casts: [Boom],
        init: () => GenServer.ok(0),
        handleCast: { Boom: () => Effect.die(new Error("first")) },
        terminate: () => Effect.die(new Error("terminate failed"))
      })
      const server = yield* GenServer.start(Fragile, undefined)
      const ref = yield* Process.monitor(server.pid!)
      yield* GenServer.cast(server, Boom)
      const down = yield* Process.receive({ match: isDown(ref) })
      assert.strictEqual(ExitReason.format(down.reason), "Error: terminate failed")
      const reports = logs.reports()
      assert.strictEqual(reports.length, 1)
      assert.include(reports[0]!.message, "** Error: terminate failed")
    })).pipe(logs.provide)
  })

  it.effect("a server trapping exits, stopped by its parent's crash, reports the parent's reason", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const parent = yield* Process.spawn(Effect.gen(function*() {
        const server = yield* GenServer.startLink(Loose, { notify: self }, { trapExit: true })
        yield* Process.send(self, { _tag: "Child", pid: server.pid })
        return yield* Process.receive()
      }))
      const child = (yield* Process.receive({ match: tagged("Child") })).pid as Pid
      const ref = yield* Process.monitor(child)
      yield* Process.exit(parent, ExitReason.fail("parent broke"))
      yield* Process.receive({ match: isDown(ref) })
      const reports = logs.reports()
      assert.strictEqual(reports.length, 1)
      assert.include(reports[0]!.message, "** parent broke")
      assert.include(reports[0]!.message, "** Last message in was ExitMessage(")
    })).pipe(logs.provide)
  })

  it.effect("a supervised server's crash: its own report, then the supervisor's (both, as OTP)", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const sup = yield* Supervisor.start([GenServer.childSpec(Worker, { id: "w", log: self })], { intensity: 5 })
      const [child] = yield* Supervisor.whichChildren(sup)
      const ref = yield* Process.monitor(child!.pid as Pid)
      yield* GenServer.cast(GenServer.ref(Worker, child!.pid as Pid), { _tag: "Exit" } as any, { how: "crash" })
      yield* Process.receive({ match: isDown(ref) })
      yield* Supervisor.whichChildren(sup)
      assert.deepStrictEqual(
        logs.entries.filter((e) => e.level === "Error").map((e) => e.annotations["report"]),
        ["gen_server", "supervisor"]
      )
    })).pipe(logs.provide)
  })

  it.effect("a supervisor built on the loop reports its own abnormal exit", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const parent = yield* Process.spawn(Effect.gen(function*() {
        const sup = yield* Supervisor.startLink([])
        yield* Process.send(self, { _tag: "Sup", pid: sup.pid })
        return yield* Process.receive()
      }))
      const sup = (yield* Process.receive({ match: tagged("Sup") })).pid as Pid
      const ref = yield* Process.monitor(sup)
      yield* Process.exit(parent, ExitReason.fail("tree broke"))
      yield* Process.receive({ match: isDown(ref) })
      const reports = logs.reports()
      assert.strictEqual(reports.length, 1)
      assert.strictEqual(reports[0]!.annotations["module"], "Supervisor")
      assert.include(reports[0]!.message, "** tree broke")
    })).pipe(logs.provide)
  })

  it.effect("a huge state is shortened in the report, not logged whole", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const Big = GenServer.make({
        name: "Big",
        casts: [Boom],
        init: () => GenServer.ok(Array.from({ length: 100_000 }, (_, i) => i)),
        handleCast: { Boom: () => Effect.die(new Error("kaboom")) }
      })
      const server = yield* GenServer.start(Big, undefined)
      const ref = yield* Process.monitor(server.pid!)
      yield* GenServer.cast(server, Boom)
      yield* Process.receive({ match: isDown(ref) })
      const [report] = logs.reports()
      assert.isBelow(report!.message.length, 10_000)
      // Its first entries, then the count of the rest (lib/internal/format.ts).
      assert.include(report!.message, ",98,99,… 99900 more entries]\n")
      assert.include(report!.message, "** Error: kaboom")
    })).pipe(logs.provide)
  })

  it.effect("a state whose own toString gives megabytes is still cut at 8 KB (the report's last guard)", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const { report } = yield* crashHolding(logs, { toString: () => "x".repeat(1_000_000) })
      assert.include(report, `** When Server state == ${"x".repeat(8192)}... (1000000 characters)\n`)
      assert.isBelow(report.length, 10_000)
    })).pipe(logs.provide)
  })

  // The report formats a bounded view of its terms (lib/internal/format.ts): a large state used to
  // be formatted whole (2 s for 200k entries) before the caller got its CallExit, then cut to 8 KB.
  it.effect("a 200k-entry state is reported by its first entries and a count of the rest", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const size = 200_000
      const m = new Map<string, { n: number; s: string }>()
      for (let i = 0; i < size; i++) m.set(`key-${i}`, { n: i, s: "value" })
      const o: Record<string, number> = {}
      for (let i = 0; i < size; i++) o[`k${i}`] = i
      const { report } = yield* crashHolding(logs, { m, o, list: Array.from({ length: size }, (_, i) => i) })
      assert.include(report, `** When Server state == {"m":Map([["key-0",{"n":0,"s":"value"}],["key-1",{"n":1,"s":"value"}],`)
      assert.include(report, `["key-99",{"n":99,"s":"value"}],… 199900 more entries]),"o":{"k0":0,"k1":1,`)
      assert.include(report, `"k99":99,… 199900 more entries},"list":[0,1,2,`)
      assert.include(report, `,98,99,… 199900 more entries]}\n`)
      assert.isBelow(report.length, 8192)
    })).pipe(logs.provide)
  })

  it.effect("formatting a large state reads only the entries the report shows", () => {
    const logs = captureLogs()
    let reads = 0
    const list = new Proxy(Array.from({ length: 100_000 }, (_, i) => i), {
      get: (target, key, receiver) => {
        reads++
        return Reflect.get(target, key, receiver)
      }
    })
    return runTest(Effect.gen(function*() {
      const { report } = yield* crashHolding(logs, { list })
      assert.include(report, `,99,… 99900 more entries]}`)
      assert.isBelow(reads, 1_000)
    })).pipe(logs.provide)
  })

  it.effect("a large last message and a large reason are reported bounded too", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const big = Array.from({ length: 200_000 }, (_, i) => i)
      const { report } = yield* crashHolding(logs, { small: true }, { message: big, defect: { big } })
      assert.include(report, `** Last message in was cast Hold {"value":[0,1,2,`)
      assert.include(report, `,99,… 199900 more entries]}\n** When Server state == {"small":true}\n`)
      assert.include(report, `** Reason for termination ==\n** {"big":[0,1,2,`)
      assert.isBelow(report.length, 8192)
    })).pipe(logs.provide)
  })

  describe("a value the report cannot print is shown as <unprintable>; the report is made and the server exits with its crash", () => {
    const revocable = () => {
      const { proxy, revoke } = Proxy.revocable({ x: 1 }, {})
      revoke()
      return proxy
    }
    const cycle = () => {
      const value: { name: string; self?: unknown } = { name: "loop" }
      value.self = value
      return value
    }
    const chain = () => {
      let value: unknown = null
      for (let i = 0; i < 10_000; i++) value = { next: value }
      return value
    }
    const shown = (text: string) => ({ state: `{"v":${text}}`, message: `{"value":{"v":${text}}}`, reason: text })
    const cases: ReadonlyArray<readonly [string, () => unknown, ReturnType<typeof shown>]> = [
      ["a getter that throws", () => ({
        a: 1,
        get b(): number {
          throw new Error("getter")
        }
      }), shown(`{"a":1,"b":<unprintable>}`)],
      ["a Proxy whose traps throw", () =>
        new Proxy({}, {
          get: () => {
            throw new Error("get")
          },
          has: () => {
            throw new Error("has")
          },
          ownKeys: () => {
            throw new Error("ownKeys")
          },
          getPrototypeOf: () => {
            throw new Error("getPrototypeOf")
          }
        }), shown("<unprintable>")],
      ["a revoked Proxy", revocable, shown("<unprintable>")],
      ["a toString that throws", () => ({
        toString: () => {
          throw new Error("toString")
        }
      }), shown("<unprintable>")],
      ["a toString whose result's Symbol.toPrimitive throws", () => ({
        toString: () => ({
          [Symbol.toPrimitive]: () => {
            throw new Error("toPrimitive")
          }
        })
      }), shown("<unprintable>")],
      ["a cycle", cycle, { state: `{"v":{"name":"loop","self":[Circular]}}`, message: `{"value":{"v":{"name":"loop","self":[Circular]}}}`, reason: `{"name":"loop","self":[Circular]}` }],
      // Shown 20 levels deep (the state and the message put it 1 and 2 levels down).
      ["a chain 10k levels deep", chain, {
        state: `{"v":${`{"next":`.repeat(19)}…${"}".repeat(19)}}`,
        message: `{"value":{"v":${`{"next":`.repeat(18)}…${"}".repeat(18)}}}`,
        reason: `${`{"next":`.repeat(20)}…${"}".repeat(20)}`
      }]
    ]
    for (const [name, make, expected] of cases) {
      it.effect(name, () => {
        const logs = captureLogs()
        return runTest(Effect.gen(function*() {
          const value = make()
          const { report, reason } = yield* crashHolding(logs, { v: value }, { message: { v: value }, defect: value })
          const [die] = (reason as ExitReason.Crash).cause.reasons
          assert.isTrue(die !== undefined && Cause.isDieReason(die) && die.defect === value)
          assert.include(report, `** Last message in was cast Hold ${expected.message}\n`)
          assert.include(report, `** When Server state == ${expected.state}\n`)
          assert.include(report, `** Reason for termination ==\n** ${expected.reason}\n`)
        })).pipe(logs.provide)
      })
    }
  })

  it.effect("no report below the Error level; the server still exits with its crash", () => {
    const logs = captureLogs()
    return runTest(Effect.gen(function*() {
      const { reason } = yield* crashWith((server) => GenServer.cast(server, Boom))
      assert.strictEqual(ExitReason.format(reason), "Error: kaboom")
      assert.strictEqual(logs.entries.length, 0)
    })).pipe(logs.provide, Effect.provideService(References.MinimumLogLevel, "None"))
  })
})

describe("GenServer faults: the report's bounded formatter", () => {
  it("shows every value within its limits as Formatter.format does, so reports keep their text", () => {
    fc.assert(
      fc.property(
        fc.anything({
          maxDepth: 4,
          maxKeys: 8,
          withMap: true,
          withSet: true,
          withBigInt: true,
          withDate: true,
          withTypedArray: true,
          withSparseArray: true,
          withNullPrototype: true,
          withBoxedValues: true,
          withObjectString: true
        }),
        (value) => {
          assert.strictEqual(format(value), Formatter.format(value))
        }
      ),
      { numRuns: 500 }
    )
  })
})

describe("GenServer faults: error messages carry the cause's own message", () => {
  it.effect("InitFailed, CallExit and a supervisor's StartChildFailed", () =>
    runTest(Effect.gen(function*() {
      const Flaky = GenServer.make({
        name: "Flaky",
        calls: [Boom],
        init: (fail: boolean) => fail ? Effect.die(new Error("db down")) : GenServer.ok(0),
        handleCall: { Boom: () => Effect.die(new Error("kaboom")) }
      })
      const initFailed = yield* Effect.flip(GenServer.start(Flaky, true))
      assert.strictEqual(initFailed.message, "init failed: Error: db down")
      const typed = yield* Effect.flip(GenServer.start(Loose, { notify: yield* Process.self, init: () => Effect.fail(new Corrupt({ table: "t" })) }))
      assert.strictEqual(typed.message, `init failed: Corrupt({"table":"t"})`)
      const server = yield* GenServer.start(Flaky, false)
      const callExit = yield* Effect.flip(GenServer.call(server, Boom))
      assert.strictEqual(callExit.message, `${server.pid} exited during the call: Error: kaboom`)
      const sup = yield* Supervisor.start([])
      const startFailed = yield* Effect.flip(Supervisor.startChild(sup, GenServer.childSpec(Flaky, true, { id: "flaky" })))
      assert.strictEqual(startFailed.message, `child "flaky" failed to start: init failed: Error: db down`)
    })).pipe(captureLogs().provide))

  it("ExitReason.format: a crash shows its message, not its stack", () => {
    assert.strictEqual(ExitReason.format(ExitReason.crash(Cause.die(new Error("boom")))), "Error: boom")
    assert.strictEqual(ExitReason.format(ExitReason.fail(new TypeError("bad type"))), "TypeError: bad type")
    assert.strictEqual(ExitReason.format(ExitReason.fail({ code: 7 })), `{"code":7}`)
    assert.strictEqual(ExitReason.format(ExitReason.crash(Cause.interrupt())), "interrupted")
    assert.strictEqual(
      ExitReason.format(ExitReason.crash(Cause.combine(Cause.fail("first"), Cause.die(new Error("second"))))),
      "first; Error: second"
    )
  })

  it.effect("a failed code change says why, with the cause's message", () =>
    Effect.gen(function*() {
      const V1 = GenServer.make({ name: "Versioned", calls: [Get], init: () => GenServer.ok(1), handleCall: { Get: (_, n) => GenServer.reply(n, n) } })
      const V2 = GenServer.make({
        name: "Versioned",
        version: "2",
        calls: [Get],
        init: () => GenServer.ok(1),
        handleCall: { Get: (_, n) => GenServer.reply(n, n) },
        codeChange: () => Effect.die(new Error("cannot migrate"))
      })
      const server = yield* GenServer.start(V1, undefined)
      const error = yield* Effect.flip(Sys.changeCode(server.pid!, V2))
      assert.strictEqual(error.message, "ChangeCode failed: codeChange failed: Error: cannot migrate")
      const replaced = yield* Effect.flip(Sys.replaceState(server.pid!, () => {
        throw new Error("bad function")
      }))
      assert.strictEqual(replaced.message, "ReplaceState failed: Error: bad function")
      assert.strictEqual(yield* GenServer.call(server, Get), 1)
    }).pipe(Effect.provide(Node.layer())))
})
