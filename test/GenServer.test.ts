/**
 * GenServer behaviour, checked against OTP's gen_server: typed protocol, init results, calls
 * (replies, deferred replies, failures, timeouts), casts, info messages, idle timeouts,
 * terminate, naming. Every timeout is driven by TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Cause, Effect, Fiber, Logger, Option, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { TestClock } from "effect/testing"
import { Errors, ExitReason, Gen, GenServer, Node, Process } from "../index.js"
import type { Pid } from "../lib/Pid.js"
import { mapRegistry } from "./support/process.js"

// ----------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------


/** Runs the test body as a process on a fresh node (driven by the test's TestClock). */
const runTest = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()))

interface Tagged<T extends string> {
  readonly _tag: T
  readonly [key: string]: any
}

const tagged = <T extends string>(tag: T) => (u: unknown): u is Tagged<T> =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === tag

/** Asserts that nothing is waiting in the calling process's mailbox. */
const assertMailboxEmpty = Effect.gen(function*() {
  const info = yield* Process.info(yield* Process.self)
  assert.isTrue(Option.isSome(info))
  assert.strictEqual(Option.getOrThrow(info).messageQueueLength, 0)
  assert.isTrue(Option.isNone(yield* Process.receive({ timeout: 0 })))
})

/** A logger that keeps every line, with its level. */
const makeLogCapture = () => {
  const lines: Array<{ readonly level: string; readonly text: string }> = []
  const logger = Logger.make<unknown, void>(({ logLevel, message }) => {
    const parts = Array.isArray(message) ? message : [message]
    lines.push({ level: logLevel, text: parts.map(String).join(" ") })
  })
  const provide = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.provideService(effect, Logger.CurrentLoggers, new Set([logger]))
  return { lines, provide }
}

const assertFailsWith = <E extends { readonly _tag: string }>(error: E, tag: string): void => {
  assert.strictEqual(error._tag, tag)
}

// ----------------------------------------------------------------------------
// Modules under test
// ----------------------------------------------------------------------------

const Get = Rpc.make("Get", { success: Schema.Number })
const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })
const Reset = Rpc.make("Reset")

const Counter = GenServer.make({
  name: "Counter",
  calls: [Get, Add],
  casts: [Reset],
  init: (start: number) => GenServer.ok(start),
  handleCall: {
    Get: (_, count) => GenServer.reply(count, count),
    Add: ({ by }, count) => GenServer.reply(count + by, count + by)
  },
  handleCast: {
    Reset: () => GenServer.noreply(0)
  }
})

class KeyNotFound extends Schema.TaggedError<KeyNotFound>()("KeyNotFound", { key: Schema.String }) {}

const Put = Rpc.make("Put", { payload: { key: Schema.String, value: Schema.String } })
const Fetch = Rpc.make("Fetch", { payload: { key: Schema.String }, success: Schema.String, error: KeyNotFound })

const KV = GenServer.make({
  name: "KV",
  calls: [Put, Fetch],
  init: () => GenServer.ok<ReadonlyMap<string, string>>(new Map()),
  handleCall: {
    Put: ({ key, value }, table) => GenServer.reply(undefined, new Map(table).set(key, value)),
    Fetch: ({ key }, table) => {
      const value = table.get(key)
      return value === undefined
        ? GenServer.replyFailure(new KeyNotFound({ key }), table)
        : GenServer.reply(value, table)
    }
  }
})

/** Records every info message and tells `notify`; `terminate` reports too. */
const Seen = Rpc.make("Seen", { success: Schema.Array(Schema.Unknown) })

interface RecorderArgs {
  readonly notify: Pid
  /** Runs inside init, as the server. */
  readonly setup?: ((self: Pid) => Effect.Effect<unknown, never, Process.CurrentProcess | Node.Node>) | undefined
}

interface RecorderState {
  readonly notify: Pid
  readonly seen: ReadonlyArray<unknown>
}

const Recorder = GenServer.make({
  name: "Recorder",
  calls: [Seen],
  init: (args: RecorderArgs) =>
    Effect.gen(function*() {
      if (args.setup !== undefined) yield* args.setup(yield* Process.self)
      return GenServer.ok<RecorderState>({ notify: args.notify, seen: [] })
    }),
  handleCall: {
    Seen: (_, state) => GenServer.reply(state.seen, state)
  },
  handleInfo: (message, state) =>
    Effect.as(
      Process.send(state.notify, { _tag: "Handled", message }),
      GenServer.noreply({ ...state, seen: [...state.seen, message] })
    ),
  terminate: (reason, state) => Process.send(state.notify, { _tag: "Terminated", reason, seen: state.seen })
})

// ----------------------------------------------------------------------------
// Typed protocol
// ----------------------------------------------------------------------------

describe("GenServer: typed protocol", () => {
  it.effect("call returns the declared reply, casts change the state", () =>
    Effect.gen(function*() {
      const counter = yield* GenServer.start(Counter, 10)
      const added: number = yield* GenServer.call(counter, Add, { by: 5 })
      assert.strictEqual(added, 15)
      assert.strictEqual(yield* GenServer.call(counter, Add, { by: -3 }), 12)
      assert.strictEqual(yield* GenServer.call(counter, Get), 12)
      yield* GenServer.cast(counter, Reset)
      assert.strictEqual(yield* GenServer.call(counter, Get), 0)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("a Schema error declared in the Rpc reaches the caller typed; the server goes on", () =>
    Effect.gen(function*() {
      const kv = yield* GenServer.start(KV, undefined)
      const missing = yield* Effect.flip(GenServer.call(kv, Fetch, { key: "lang" }))
      assert.instanceOf(missing, KeyNotFound)
      assert.strictEqual((missing as KeyNotFound).key, "lang")
      yield* GenServer.call(kv, Put, { key: "lang", value: "erlang" })
      assert.strictEqual(yield* GenServer.call(kv, Fetch, { key: "lang" }), "erlang")
      assert.isTrue(yield* Process.isAlive(kv.pid!))
    }).pipe(Effect.provide(Node.layer())))

  it.effect("callbacks may return Effects using services and processes", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const Echo = Rpc.make("Echo", { payload: { text: Schema.String }, success: Schema.String })
      const Echoer = GenServer.make({
        name: "Echoer",
        calls: [Echo],
        init: (notify: Pid) => GenServer.ok(notify),
        handleCall: {
          Echo: ({ text }, notify) =>
            Effect.gen(function*() {
              yield* Process.send(notify, { _tag: "Echoing", by: yield* Process.self })
              return GenServer.reply(text.toUpperCase(), notify)
            })
        }
      })
      const server = yield* GenServer.start(Echoer, self)
      assert.strictEqual(yield* GenServer.call(server, Echo, { text: "hi" }), "HI")
      const echoing = yield* Process.receive({ match: tagged("Echoing") })
      assert.strictEqual(echoing.by, server.pid)
    })))
})

// ----------------------------------------------------------------------------
// init
// ----------------------------------------------------------------------------

describe("GenServer: init", () => {
  it.effect("ok with an idle timeout: handleInfo gets GenServer.timeout once it expires", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const Idle = GenServer.make({
        name: "IdleAtInit",
        init: (notify: Pid) => GenServer.ok(notify, { timeout: "1 second" }),
        handleInfo: (message, notify) => Effect.as(Process.send(notify, { _tag: "Info", message }), GenServer.noreply(notify))
      })
      yield* GenServer.start(Idle, self)
      yield* TestClock.adjust("999 millis")
      yield* assertMailboxEmpty
      yield* TestClock.adjust("1 millis")
      const info = yield* Process.receive({ match: tagged("Info") })
      assert.strictEqual(info.message, GenServer.timeout)
      // The timeout fires once: noreply without an action clears it.
      yield* TestClock.adjust("10 seconds")
      yield* assertMailboxEmpty
    })))

  it.effect("ok with continue: handleContinue runs before any message, even one queued during init", () =>
    Effect.gen(function*() {
      const Events = Rpc.make("Events", { success: Schema.Array(Schema.String) })
      const Note = Rpc.make("Note", { payload: { text: Schema.String } })
      const Continuer = GenServer.make({
        name: "Continuer",
        calls: [Events],
        casts: [Note],
        init: () =>
          Effect.gen(function*() {
            yield* Process.send(yield* Process.self, "early")
            return GenServer.ok<ReadonlyArray<string>>([], { continue: "warmup" })
          }),
        handleContinue: (arg, events) =>
          arg === "warmup"
            ? GenServer.noreply([...events, "continue:warmup"], { continue: "second" })
            : GenServer.noreply([...events, `continue:${String(arg)}`]),
        handleInfo: (message, events) => GenServer.noreply([...events, `info:${String(message)}`]),
        handleCast: {
          Note: ({ text }, events) => GenServer.noreply([...events, `cast:${text}`], { continue: `after-${text}` })
        },
        handleCall: {
          Events: (_, events) => GenServer.reply(events, events)
        }
      })
      const server = yield* GenServer.start(Continuer, undefined)
      yield* GenServer.cast(server, Note, { text: "a" })
      yield* GenServer.cast(server, Note, { text: "b" })
      assert.deepStrictEqual(yield* GenServer.call(server, Events), [
        "continue:warmup",
        "continue:second",
        "info:early",
        "cast:a",
        "continue:after-a",
        "cast:b",
        "continue:after-b"
      ])
    }).pipe(Effect.provide(Node.layer())))

  it.effect("ignore: the start fails with InitIgnored and no server is left", () =>
    Effect.gen(function*() {
      const Ignorer = GenServer.make({ name: "Ignorer", init: () => GenServer.ignore })
      const error = yield* Effect.flip(GenServer.start(Ignorer, undefined, { name: "ignorer" }))
      assertFailsWith(error, "InitIgnored")
      assert.instanceOf(error, Errors.InitIgnored)
      assert.isTrue(Option.isNone(yield* Process.whereis("ignorer")))
      assert.strictEqual((yield* Process.processes).length, 0)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("stop with a reason: the start fails with InitFailed carrying that reason", () =>
    Effect.gen(function*() {
      const Stopper = GenServer.make({
        name: "Stopper",
        init: () => GenServer.stopWith(ExitReason.shutdown("bad config"))
      })
      const error = yield* Effect.flip(GenServer.start(Stopper, undefined, { name: "stopper" }))
      assert.instanceOf(error, Errors.InitFailed)
      const reason = (error as Errors.InitFailed).reason
      assert.strictEqual(reason._tag, "Shutdown")
      assert.strictEqual((reason as ExitReason.Shutdown).reason, "bad config")
      assert.isTrue(Option.isNone(yield* Process.whereis("stopper")))
      assert.strictEqual((yield* Process.processes).length, 0)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("a failing init: InitFailed with a Crash whose cause holds the typed error", () =>
    Effect.gen(function*() {
      class ConfigMissing extends Schema.TaggedError<ConfigMissing>()("ConfigMissing", {}) {}
      const Failing = GenServer.make({
        name: "Failing",
        init: () => Effect.fail(new ConfigMissing())
      })
      const error = yield* Effect.flip(GenServer.start(Failing, undefined))
      assert.instanceOf(error, Errors.InitFailed)
      const reason = (error as Errors.InitFailed).reason
      assert.strictEqual(reason._tag, "Crash")
      const failure = Cause.findErrorOption((reason as ExitReason.Crash).cause)
      assert.isTrue(Option.isSome(failure))
      assert.instanceOf(Option.getOrThrow(failure), ConfigMissing)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("an init that throws: InitFailed with a Crash whose cause holds the defect", () =>
    Effect.gen(function*() {
      const Throwing = GenServer.make({
        name: "Throwing",
        init: (): GenServer.InitResult<number> => {
          throw new Error("init exploded")
        }
      })
      const error = yield* Effect.flip(GenServer.start(Throwing, undefined))
      assert.instanceOf(error, Errors.InitFailed)
      const reason = (error as Errors.InitFailed).reason
      assert.strictEqual(reason._tag, "Crash")
      const defect = Cause.squash((reason as ExitReason.Crash).cause)
      assert.instanceOf(defect, Error)
      assert.strictEqual((defect as Error).message, "init exploded")
    }).pipe(Effect.provide(Node.layer())))

  it.effect("startLink with a failing init: the linked starter gets the typed error and no exit signal", () =>
    runTest(Effect.gen(function*() {
      const Stopper = GenServer.make({
        name: "LinkedStopper",
        init: () => GenServer.stopWith(ExitReason.fail("no database"))
      })
      yield* Process.trapExit(true)
      const error = yield* Effect.flip(GenServer.startLink(Stopper, undefined))
      assert.instanceOf(error, Errors.InitFailed)
      assert.strictEqual(ExitReason.format((error as Errors.InitFailed).reason), "no database")
      yield* assertMailboxEmpty
      assert.deepStrictEqual(Option.getOrThrow(yield* Process.info(yield* Process.self)).links, [])
    })))

  it.effect("a taken local name: AlreadyStarted with the running pid; the second init never runs", () =>
    Effect.gen(function*() {
      const inits: Array<number> = []
      const Named = GenServer.make({
        name: "Named",
        calls: [Get],
        init: (n: number) => Effect.sync(() => inits.push(n)).pipe(Effect.as(GenServer.ok(n))),
        handleCall: { Get: (_, n) => GenServer.reply(n, n) }
      })
      const first = yield* GenServer.start(Named, 1, { name: "the-one" })
      const error = yield* Effect.flip(GenServer.start(Named, 2, { name: "the-one" }))
      assert.instanceOf(error, Errors.AlreadyStarted)
      assert.strictEqual((error as Errors.AlreadyStarted).pid, first.pid)
      assert.strictEqual((error as Errors.AlreadyStarted).name, "the-one")
      assert.deepStrictEqual(inits, [1])
      assert.strictEqual(yield* GenServer.call(GenServer.ref(Named, "the-one"), Get), 1)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("an init slower than the start timeout (default 5 s) is killed; the start fails with InitTimeout", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const Slow = GenServer.make({
        name: "SlowInit",
        init: (notify: Pid) =>
          Effect.gen(function*() {
            yield* Process.send(notify, { _tag: "Initializing", pid: yield* Process.self })
            return yield* Effect.never
          })
      })
      const starting = yield* Effect.forkChild(GenServer.start(Slow, self, { name: "slow" }))
      const initializing = yield* Process.receive({ match: tagged("Initializing") })
      const ref = yield* Process.monitor(initializing.pid)
      yield* TestClock.adjust("4999 millis")
      assert.isUndefined(starting.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const error = yield* Effect.flip(Fiber.join(starting))
      assert.instanceOf(error, Errors.InitTimeout)
      assert.strictEqual((error as Errors.InitTimeout).timeoutMillis, 5000)
      const down = yield* Process.receive({ match: Process.isDownMessage })
      assert.strictEqual(down.ref, ref)
      assert.strictEqual(down.reason._tag, "Killed")
      assert.isTrue(Option.isNone(yield* Process.whereis("slow")))
    })))

  it.effect("a custom start timeout", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const Slow = GenServer.make({
        name: "SlowInit",
        init: (notify: Pid) =>
          Effect.andThen(Effect.flatMap(Process.self, (pid) => Process.send(notify, { _tag: "Initializing", pid })), Effect.never)
      })
      const starting = yield* Effect.forkChild(GenServer.start(Slow, self, { timeout: "200 millis" }))
      yield* Process.receive({ match: tagged("Initializing") })
      yield* TestClock.adjust("200 millis")
      const error = yield* Effect.flip(Fiber.join(starting))
      assert.instanceOf(error, Errors.InitTimeout)
      assert.strictEqual((error as Errors.InitTimeout).timeoutMillis, 200)
    })))

  it.effect("startLink with an init timeout: the linked starter survives", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const Slow = GenServer.make({
        name: "SlowLinked",
        init: (notify: Pid) =>
          Effect.andThen(Effect.flatMap(Process.self, (pid) => Process.send(notify, { _tag: "Initializing", pid })), Effect.never)
      })
      const starter = yield* Process.spawn(Effect.gen(function*() {
        const result = yield* Effect.flip(GenServer.startLink(Slow, self, { timeout: "1 second" }))
        yield* Process.send(self, { _tag: "StartResult", error: result })
        yield* Process.receive()
      }))
      const initializing = yield* Process.receive({ match: tagged("Initializing") })
      const ref = yield* Process.monitor(initializing.pid)
      yield* TestClock.adjust("1 second")
      const result = yield* Process.receive({ match: tagged("StartResult") })
      assert.instanceOf(result.error, Errors.InitTimeout)
      const down = yield* Process.receive({ match: Process.isDownMessage })
      assert.strictEqual(down.ref, ref)
      assert.strictEqual(down.reason._tag, "Killed")
      assert.isTrue(yield* Process.isAlive(starter))
    })))
})

// ----------------------------------------------------------------------------
// Calls: replies now and later
// ----------------------------------------------------------------------------

const Wait = Rpc.make("Wait", { success: Schema.String })
const Release = Rpc.make("Release", { payload: { value: Schema.String } })
const Handoff = Rpc.make("Handoff", { success: Schema.String })
const Pending = Rpc.make("Pending", { success: Schema.Array(Schema.Boolean) })

interface DeferState {
  readonly notify: Pid
  readonly waiting: ReadonlyArray<Gen.From>
}

/** Keeps callers of `Wait` and answers them on `Release`; `Handoff` is answered by a helper process. */
const Deferrer = GenServer.make({
  name: "Deferrer",
  calls: [Wait, Handoff, Pending],
  casts: [Release],
  init: (notify: Pid) => GenServer.ok<DeferState>({ notify, waiting: [] }),
  handleCall: {
    Wait: (_, state, from) =>
      Effect.as(
        Process.send(state.notify, { _tag: "Waiting" }),
        GenServer.noreply({ ...state, waiting: [...state.waiting, from] })
      ),
    Handoff: (_, state, from) =>
      Effect.gen(function*() {
        const notify = state.notify
        const helper = yield* Process.spawn(Effect.gen(function*() {
          const value = yield* Process.receive()
          const before = from.pending
          yield* GenServer.replyTo(from, value)
          yield* GenServer.replyTo(from, "second reply is ignored")
          yield* Process.send(notify, { _tag: "Replied", before, after: from.pending })
        }))
        yield* Process.send(state.notify, { _tag: "Helper", pid: helper })
        return GenServer.noreply(state)
      }),
    Pending: (_, state) => GenServer.reply(state.waiting.map((from) => from.pending), state)
  },
  handleCast: {
    Release: ({ value }, state) =>
      Effect.as(
        Effect.forEach(state.waiting, (from) => GenServer.replyTo(from, value), { discard: true }),
        GenServer.noreply({ ...state, waiting: [] })
      )
  }
})

describe("GenServer: handleCall", () => {
  it.effect("deferred reply: noreply keeps the handle, replyTo answers later, in order", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Deferrer, self)
      const first = yield* Effect.forkChild(GenServer.call(server, Wait))
      const second = yield* Effect.forkChild(GenServer.call(server, Wait))
      yield* Process.receive({ match: tagged("Waiting") })
      yield* Process.receive({ match: tagged("Waiting") })
      // The server keeps answering while the callers wait.
      assert.deepStrictEqual(yield* GenServer.call(server, Pending), [true, true])
      assert.isUndefined(first.pollUnsafe())
      yield* GenServer.cast(server, Release, { value: "ready" })
      assert.strictEqual(yield* Fiber.join(first), "ready")
      assert.strictEqual(yield* Fiber.join(second), "ready")
    })))

  it.effect("deferred reply from another process; a second reply is ignored", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Deferrer, self)
      const caller = yield* Effect.forkChild(GenServer.call(server, Handoff))
      const helper = yield* Process.receive({ match: tagged("Helper") })
      yield* Process.send(helper.pid, "from the helper")
      assert.strictEqual(yield* Fiber.join(caller), "from the helper")
      const replied = yield* Process.receive({ match: tagged("Replied") })
      assert.isTrue(replied.before)
      assert.isFalse(replied.after)
      // The second reply went nowhere: not to the caller, not to its mailbox.
      yield* assertMailboxEmpty
    })))

  it.effect("stopWith with a reply: the caller gets the reply, then the server terminates and exits", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const Quit = Rpc.make("Quit", { success: Schema.String })
      const Quitter = GenServer.make({
        name: "Quitter",
        calls: [Quit],
        init: (notify: Pid) => GenServer.ok(notify),
        handleCall: { Quit: (_, notify) => GenServer.stopWith(ExitReason.shutdown("done"), notify, "bye") },
        terminate: (reason, notify) => Process.send(notify, { _tag: "Terminated", reason })
      })
      const server = yield* GenServer.start(Quitter, self)
      const ref = yield* Process.monitor(server.pid!)
      assert.strictEqual(yield* GenServer.call(server, Quit), "bye")
      const terminated = yield* Process.receive({ match: tagged("Terminated") })
      assert.strictEqual(ExitReason.format(terminated.reason), "{shutdown, done}")
      const down = yield* Process.receive({ match: Process.isDownMessage })
      assert.strictEqual(down.ref, ref)
      assert.strictEqual(ExitReason.format(down.reason), "{shutdown, done}")
    })))

  it.effect("stopWith without a reply: the caller gets CallExit with the stop reason", () =>
    Effect.gen(function*() {
      const Quit = Rpc.make("Quit", { success: Schema.String })
      const Quitter = GenServer.make({
        name: "Quitter",
        calls: [Quit],
        init: () => GenServer.ok(0),
        handleCall: { Quit: (_, n) => GenServer.stopWith(ExitReason.shutdown("no answer"), n) }
      })
      const server = yield* GenServer.start(Quitter, undefined)
      const error = yield* Effect.flip(GenServer.call(server, Quit))
      assert.instanceOf(error, Errors.CallExit)
      assert.strictEqual(ExitReason.format((error as Errors.CallExit).reason), "{shutdown, no answer}")
    }).pipe(Effect.provide(Node.layer())))
})

// ----------------------------------------------------------------------------
// Call failures and timeouts
// ----------------------------------------------------------------------------

describe("GenServer: call failures", () => {
  it.effect("a call with no reply fails with CallTimeout after the default 5 s", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Deferrer, self)
      const caller = yield* Effect.forkChild(GenServer.call(server, Wait))
      yield* Process.receive({ match: tagged("Waiting") })
      yield* TestClock.adjust("4999 millis")
      assert.isUndefined(caller.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const error = yield* Effect.flip(Fiber.join(caller))
      assert.instanceOf(error, Errors.CallTimeout)
      assert.strictEqual((error as Errors.CallTimeout).timeoutMillis, 5000)
      assert.strictEqual((error as Errors.CallTimeout).target, server.pid)
    })))

  it.effect("a custom call timeout", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Deferrer, self)
      const caller = yield* Effect.forkChild(GenServer.call(server, Wait, undefined, { timeout: "250 millis" }))
      yield* Process.receive({ match: tagged("Waiting") })
      yield* TestClock.adjust("249 millis")
      assert.isUndefined(caller.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const error = yield* Effect.flip(Fiber.join(caller))
      assert.instanceOf(error, Errors.CallTimeout)
      assert.strictEqual((error as Errors.CallTimeout).timeoutMillis, 250)
    })))

  it.effect("timeout \"infinity\" waits as long as the server lives", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Deferrer, self)
      const caller = yield* Effect.forkChild(GenServer.call(server, Wait, undefined, { timeout: "infinity" }))
      yield* Process.receive({ match: tagged("Waiting") })
      yield* TestClock.adjust("1 hour")
      assert.isUndefined(caller.pollUnsafe())
      yield* GenServer.cast(server, Release, { value: "at last" })
      assert.strictEqual(yield* Fiber.join(caller), "at last")
    })))

  it.effect("a reply after the timeout is dropped: it never reaches the caller's mailbox", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Deferrer, self)
      const caller = yield* Effect.forkChild(GenServer.call(server, Wait, undefined, { timeout: "1 second" }))
      yield* Process.receive({ match: tagged("Waiting") })
      yield* TestClock.adjust("1 second")
      assert.instanceOf(yield* Effect.flip(Fiber.join(caller)), Errors.CallTimeout)
      // The handle the server kept is no longer pending.
      assert.deepStrictEqual(yield* GenServer.call(server, Pending), [false])
      yield* GenServer.cast(server, Release, { value: "too late" })
      // The cast was handled (a call from the same sender is handled after it).
      assert.deepStrictEqual(yield* GenServer.call(server, Pending), [])
      yield* assertMailboxEmpty
    })))

  it.effect("an interrupted caller abandons the call: the handle is no longer pending", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Deferrer, self)
      const caller = yield* Effect.forkChild(GenServer.call(server, Wait))
      yield* Process.receive({ match: tagged("Waiting") })
      assert.deepStrictEqual(yield* GenServer.call(server, Pending), [true])
      yield* Fiber.interrupt(caller)
      assert.deepStrictEqual(yield* GenServer.call(server, Pending), [false])
      yield* GenServer.cast(server, Release, { value: "nobody listens" })
      assert.deepStrictEqual(yield* GenServer.call(server, Pending), [])
      yield* assertMailboxEmpty
    })))

  it.effect("a call to a dead pid, an unknown name or an unknown via name fails with NoProc at once", () =>
    Effect.gen(function*() {
      const counter = yield* GenServer.start(Counter, 0)
      yield* GenServer.stop(counter)
      const dead = yield* Effect.flip(GenServer.call(counter, Get))
      assert.instanceOf(dead, Errors.NoProc)
      assert.strictEqual((dead as Errors.NoProc).target, counter.pid)
      const unknown = yield* Effect.flip(GenServer.call(GenServer.ref(Counter, "nobody"), Get))
      assert.instanceOf(unknown, Errors.NoProc)
      assert.strictEqual((unknown as Errors.NoProc).target, "nobody")
      const { registry } = mapRegistry()
      const viaUnknown = yield* Effect.flip(GenServer.call(GenServer.ref(Counter, Gen.via(registry, "nobody")), Get))
      assert.instanceOf(viaUnknown, Errors.NoProc)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("a server crashing while handling a call: the caller gets CallExit with the crash reason", () =>
    Effect.gen(function*() {
      const Boom = Rpc.make("Boom", { success: Schema.Number })
      const Crasher = GenServer.make({
        name: "Crasher",
        calls: [Boom],
        init: () => GenServer.ok(0),
        handleCall: { Boom: () => Effect.die(new Error("kaboom")) }
      })
      const server = yield* GenServer.start(Crasher, undefined)
      const error = yield* Effect.flip(GenServer.call(server, Boom))
      assert.instanceOf(error, Errors.CallExit)
      const reason = (error as Errors.CallExit).reason
      assert.strictEqual(reason._tag, "Crash")
      const defect = Cause.squash((reason as ExitReason.Crash).cause)
      assert.instanceOf(defect, Error)
      assert.strictEqual((defect as Error).message, "kaboom")
      assert.isFalse(yield* Process.isAlive(server.pid!))
    }).pipe(Effect.provide(Node.layer())))

  it.effect("a server killed while a call is pending: CallExit with killed", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Deferrer, self)
      const caller = yield* Effect.forkChild(GenServer.call(server, Wait))
      yield* Process.receive({ match: tagged("Waiting") })
      yield* Process.exit(server.pid!, ExitReason.kill)
      const error = yield* Effect.flip(Fiber.join(caller))
      assert.instanceOf(error, Errors.CallExit)
      assert.strictEqual((error as Errors.CallExit).reason._tag, "Killed")
    })))

  it.effect("an unknown call fails with UnknownRequest; the server goes on", () =>
    Effect.gen(function*() {
      const counter = yield* GenServer.start(Counter, 7)
      const asKV = GenServer.ref(KV, counter.pid!)
      const error = yield* Effect.flip(GenServer.call(asKV, Fetch, { key: "x" }))
      assert.instanceOf(error, Errors.UnknownRequest)
      assert.strictEqual((error as Errors.UnknownRequest).tag, "Fetch")
      assert.strictEqual((error as Errors.UnknownRequest).target, counter.pid)
      assert.strictEqual(yield* GenServer.call(counter, Get), 7)
    }).pipe(Effect.provide(Node.layer())))
})

// ----------------------------------------------------------------------------
// Casts, stop, crashes
// ----------------------------------------------------------------------------

describe("GenServer: casts, stop and crashes", () => {
  it.effect("a cast never fails: to a dead server, an unknown name, an unknown via name", () =>
    Effect.gen(function*() {
      const counter = yield* GenServer.start(Counter, 0)
      yield* GenServer.stop(counter)
      yield* GenServer.cast(counter, Reset)
      yield* GenServer.cast(GenServer.ref(Counter, "nobody"), Reset)
      const { registry } = mapRegistry()
      yield* GenServer.cast(GenServer.ref(Counter, Gen.via(registry, "nobody")), Reset)
      assert.strictEqual((yield* Process.processes).length, 0)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("an unknown cast is dropped; the server goes on", () =>
    Effect.gen(function*() {
      const Other = Rpc.make("Other")
      const Caster = GenServer.make({
        name: "Caster",
        casts: [Other],
        init: () => GenServer.ok(0),
        handleCast: { Other: (_, n) => GenServer.noreply(n) }
      })
      const counter = yield* GenServer.start(Counter, 3)
      yield* GenServer.cast(GenServer.ref(Caster, counter.pid!), Other)
      assert.strictEqual(yield* GenServer.call(counter, Get), 3)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("stop runs terminate with the reason and completes once the server has exited", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Recorder, { notify: self })
      const ref = yield* Process.monitor(server.pid!)
      yield* GenServer.stop(server, { reason: ExitReason.shutdown("maintenance"), timeout: "1 second" })
      assert.isFalse(yield* Process.isAlive(server.pid!))
      const terminated = yield* Process.receive({ match: tagged("Terminated") })
      assert.strictEqual(ExitReason.format(terminated.reason), "{shutdown, maintenance}")
      const down = yield* Process.receive({ match: Process.isDownMessage })
      assert.strictEqual(down.ref, ref)
      assert.strictEqual(ExitReason.format(down.reason), "{shutdown, maintenance}")
    })))

  it.effect("stop with the default reason: terminate gets normal", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Recorder, { notify: self })
      yield* GenServer.stop(server)
      const terminated = yield* Process.receive({ match: tagged("Terminated") })
      assert.strictEqual(terminated.reason._tag, "Normal")
      const error = yield* Effect.flip(GenServer.stop(server))
      assert.instanceOf(error, Errors.NoProc)
    })))

  it.effect("stop with a timeout: a terminate slower than it gives CallTimeout", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const Lingering = GenServer.make({
        name: "Lingering",
        init: (notify: Pid) => GenServer.ok(notify),
        terminate: (_, notify) => Effect.andThen(Process.send(notify, { _tag: "Terminating" }), Effect.sleep("1 minute"))
      })
      const server = yield* GenServer.start(Lingering, self)
      const stopping = yield* Effect.forkChild(GenServer.stop(server, { timeout: "2 seconds" }))
      yield* Process.receive({ match: tagged("Terminating") })
      yield* TestClock.adjust("2 seconds")
      const error = yield* Effect.flip(Fiber.join(stopping))
      assert.instanceOf(error, Errors.CallTimeout)
      assert.strictEqual((error as Errors.CallTimeout).timeoutMillis, 2000)
    })))

  it.effect("stop when terminate crashes: stop fails with CallExit carrying the crash", () =>
    Effect.gen(function*() {
      const BadExit = GenServer.make({
        name: "BadExit",
        init: () => GenServer.ok(0),
        terminate: () => Effect.die(new Error("terminate failed"))
      })
      const server = yield* GenServer.start(BadExit, undefined)
      const error = yield* Effect.flip(GenServer.stop(server))
      assert.instanceOf(error, Errors.CallExit)
      const reason = (error as Errors.CallExit).reason
      assert.strictEqual(reason._tag, "Crash")
      assert.strictEqual((Cause.squash((reason as ExitReason.Crash).cause) as Error).message, "terminate failed")
      assert.isFalse(yield* Process.isAlive(server.pid!))
    }).pipe(Effect.provide(Node.layer())))

  it.effect("a crash in a callback: terminate runs, monitors see a Crash carrying the Cause", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      class Corrupt extends Schema.TaggedError<Corrupt>()("Corrupt", { detail: Schema.String }) {}
      const Break = Rpc.make("Break")
      const Fragile = GenServer.make({
        name: "Fragile",
        casts: [Break],
        init: (notify: Pid) => GenServer.ok({ notify, n: 1 }),
        handleCast: { Break: () => Effect.fail(new Corrupt({ detail: "index" })) },
        terminate: (reason, state) => Process.send(state.notify, { _tag: "Terminated", reason, n: state.n })
      })
      const server = yield* GenServer.start(Fragile, self)
      const ref = yield* Process.monitor(server.pid!)
      yield* GenServer.cast(server, Break)
      const terminated = yield* Process.receive({ match: tagged("Terminated") })
      assert.strictEqual(terminated.reason._tag, "Crash")
      assert.strictEqual(terminated.n, 1)
      const down = yield* Process.receive({ match: Process.isDownMessage })
      assert.strictEqual(down.ref, ref)
      assert.strictEqual(down.reason._tag, "Crash")
      const failure = Cause.findErrorOption((down.reason as ExitReason.Crash).cause)
      assert.isTrue(Option.isSome(failure))
      assert.instanceOf(Option.getOrThrow(failure), Corrupt)
      assert.strictEqual((Option.getOrThrow(failure) as Corrupt).detail, "index")
    })))

  it.effect("an unexpected info message is logged as a warning, not fatal", () => {
    const logs = makeLogCapture()
    return Effect.gen(function*() {
      const counter = yield* GenServer.start(Counter, 4)
      yield* Process.send(counter.pid!, { _tag: "Stray" })
      // Handled after the stray message: the server is still there.
      assert.strictEqual(yield* GenServer.call(counter, Get), 4)
      assert.isTrue(yield* Process.isAlive(counter.pid!))
      const warnings = logs.lines.filter((line) => line.level === "Warn")
      assert.strictEqual(warnings.length, 1)
      assert.include(warnings[0]!.text, "Stray")
    }).pipe(logs.provide, Effect.provide(Node.layer()))
  })
})

// ----------------------------------------------------------------------------
// handleInfo: plain messages, exits, downs, timers, idle timeouts
// ----------------------------------------------------------------------------

describe("GenServer: handleInfo", () => {
  it.effect("plain messages reach handleInfo in order", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Recorder, { notify: self })
      yield* Process.send(server.pid!, "one")
      yield* Process.send(server.pid!, { n: 2 })
      assert.deepStrictEqual(yield* GenServer.call(server, Seen), ["one", { n: 2 }])
    })))

  it.effect("a trapped exit of a linked process reaches handleInfo as an Exit message", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Recorder, {
        notify: self,
        setup: (_) =>
          Effect.flatMap(
            Process.spawnLink(Effect.andThen(Process.receive(), Effect.fail("worker failed"))),
            (worker) => Process.send(self, { _tag: "Worker", pid: worker })
          )
      }, { trapExit: true })
      const worker = yield* Process.receive({ match: tagged("Worker") })
      yield* Process.send(worker.pid, "go")
      const handled = yield* Process.receive({ match: tagged("Handled") })
      assert.isTrue(Process.isExitMessage(handled.message))
      const exit = handled.message as Process.ExitMessage
      assert.strictEqual(exit.from, worker.pid)
      assert.strictEqual(ExitReason.format(exit.reason), "worker failed")
      assert.isTrue(yield* Process.isAlive(server.pid!))
      assert.strictEqual((yield* GenServer.call(server, Seen)).length, 1)
    })))

  it.effect("a monitor's Down message reaches handleInfo", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Recorder, {
        notify: self,
        setup: (_) =>
          Effect.gen(function*() {
            const worker = yield* Process.spawn(Effect.andThen(Process.receive(), Process.exitWith(ExitReason.shutdown("bye"))))
            const ref = yield* Process.monitor(worker)
            yield* Process.send(self, { _tag: "Worker", pid: worker, ref })
          })
      })
      const worker = yield* Process.receive({ match: tagged("Worker") })
      yield* Process.send(worker.pid, "go")
      const handled = yield* Process.receive({ match: tagged("Handled") })
      assert.isTrue(Process.isDownMessage(handled.message))
      const down = handled.message as Process.DownMessage
      assert.strictEqual(down.pid, worker.pid)
      assert.strictEqual(down.ref, worker.ref)
      assert.strictEqual(ExitReason.format(down.reason), "{shutdown, bye}")
      assert.isTrue(yield* Process.isAlive(server.pid!))
    })))

  it.effect("a sendAfter timer reaches handleInfo when it fires", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      yield* GenServer.start(Recorder, {
        notify: self,
        setup: (server) => Process.sendAfter(server, "tick", "3 seconds").pipe(Effect.orDie)
      })
      yield* TestClock.adjust("2999 millis")
      yield* assertMailboxEmpty
      yield* TestClock.adjust("1 millis")
      const handled = yield* Process.receive({ match: tagged("Handled") })
      assert.strictEqual(handled.message, "tick")
    })))

  const Arm = Rpc.make("Arm", { payload: { millis: Schema.Number } })
  const Poke = Rpc.make("Poke", { success: Schema.Number })
  const ArmCall = Rpc.make("ArmCall", { payload: { millis: Schema.Number }, success: Schema.String })

  interface IdleState {
    readonly notify: Pid
    readonly timeouts: number
  }

  const Idle = GenServer.make({
    name: "Idle",
    calls: [Poke, ArmCall],
    casts: [Arm],
    init: (notify: Pid) => GenServer.ok<IdleState>({ notify, timeouts: 0 }),
    handleCall: {
      Poke: (_, state) => GenServer.reply(state.timeouts, state),
      ArmCall: ({ millis }, state) => GenServer.reply("armed", state, { timeout: millis })
    },
    handleCast: {
      Arm: ({ millis }, state) =>
        Effect.as(Process.send(state.notify, { _tag: "Armed" }), GenServer.noreply(state, { timeout: millis }))
    },
    handleInfo: (message, state) =>
      message === GenServer.timeout
        ? Effect.as(
          Process.send(state.notify, { _tag: "IdleTimeout" }),
          GenServer.noreply({ ...state, timeouts: state.timeouts + 1 })
        )
        : GenServer.noreply(state)
  })

  it.effect("an idle timeout from a cast's result", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Idle, self)
      // No timeout until a callback asks for one.
      yield* TestClock.adjust("1 hour")
      yield* assertMailboxEmpty
      yield* GenServer.cast(server, Arm, { millis: 2000 })
      yield* Process.receive({ match: tagged("Armed") })
      yield* TestClock.adjust("1999 millis")
      yield* assertMailboxEmpty
      yield* TestClock.adjust("1 millis")
      yield* Process.receive({ match: tagged("IdleTimeout") })
      assert.strictEqual(yield* GenServer.call(server, Poke), 1)
    })))

  it.effect("an idle timeout from a call's reply; a message before it expires cancels it", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const server = yield* GenServer.start(Idle, self)
      assert.strictEqual(yield* GenServer.call(server, ArmCall, { millis: 1000 }), "armed")
      yield* TestClock.adjust("500 millis")
      // Poke replies with no action: the pending idle timeout is cancelled (OTP semantics).
      assert.strictEqual(yield* GenServer.call(server, Poke), 0)
      yield* TestClock.adjust("5 seconds")
      yield* assertMailboxEmpty
      assert.strictEqual(yield* GenServer.call(server, Poke), 0)
      // Armed again, and left alone: it fires.
      yield* GenServer.call(server, ArmCall, { millis: 1000 })
      yield* TestClock.adjust("1 second")
      yield* Process.receive({ match: tagged("IdleTimeout") })
      assert.strictEqual(yield* GenServer.call(server, Poke), 1)
    })))
})

// ----------------------------------------------------------------------------
// terminate and the parent
// ----------------------------------------------------------------------------

describe("GenServer: terminate and the parent", () => {
  it.effect("a server trapping exits runs terminate when its parent exits with shutdown", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const parent = yield* Process.spawn(Effect.gen(function*() {
        const server = yield* GenServer.startLink(Recorder, { notify: self }, { trapExit: true })
        yield* Process.send(self, { _tag: "Started", pid: server.pid })
        yield* Process.receive()
      }))
      const started = yield* Process.receive({ match: tagged("Started") })
      const ref = yield* Process.monitor(started.pid)
      yield* Process.exit(parent, ExitReason.shutdown())
      const terminated = yield* Process.receive({ match: tagged("Terminated") })
      assert.strictEqual(terminated.reason._tag, "Shutdown")
      // The parent's exit is not an info message.
      assert.deepStrictEqual(terminated.seen, [])
      const down = yield* Process.receive({ match: Process.isDownMessage })
      assert.strictEqual(down.ref, ref)
      assert.strictEqual(down.reason._tag, "Shutdown")
    })))

  it.effect("a server trapping exits runs terminate when its parent exits normally", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const parent = yield* Process.spawn(Effect.gen(function*() {
        const server = yield* GenServer.startLink(Recorder, { notify: self }, { trapExit: true })
        yield* Process.send(self, { _tag: "Started", pid: server.pid })
        yield* Process.receive()
      }))
      const started = yield* Process.receive({ match: tagged("Started") })
      const ref = yield* Process.monitor(started.pid)
      yield* Process.send(parent, "quit")
      const terminated = yield* Process.receive({ match: tagged("Terminated") })
      assert.strictEqual(terminated.reason._tag, "Normal")
      assert.deepStrictEqual(terminated.seen, [])
      const down = yield* Process.receive({ match: Process.isDownMessage })
      assert.strictEqual(down.ref, ref)
      assert.strictEqual(down.reason._tag, "Normal")
    })))

  it.effect("a server not trapping exits dies with its parent without terminate", () =>
    runTest(Effect.gen(function*() {
      const self = yield* Process.self
      const parent = yield* Process.spawn(Effect.gen(function*() {
        const server = yield* GenServer.startLink(Recorder, { notify: self })
        yield* Process.send(self, { _tag: "Started", pid: server.pid })
        yield* Process.receive()
      }))
      const started = yield* Process.receive({ match: tagged("Started") })
      yield* Process.monitor(started.pid)
      yield* Process.exit(parent, ExitReason.shutdown())
      const down = yield* Process.receive({ match: Process.isDownMessage })
      assert.strictEqual(down.reason._tag, "Shutdown")
      // terminate would have sent its message before the server exited, so before the Down.
      yield* assertMailboxEmpty
    })))
})

// ----------------------------------------------------------------------------
// Naming
// ----------------------------------------------------------------------------

describe("GenServer: naming", () => {
  it.effect("a local name: calls and casts by name; the name is freed when the server stops", () =>
    Effect.gen(function*() {
      const counter = yield* GenServer.start(Counter, 1, { name: "counter" })
      assert.deepStrictEqual(yield* Process.whereis("counter"), Option.some(counter.pid!))
      const byName = GenServer.ref(Counter, "counter")
      assert.isUndefined(byName.pid)
      assert.strictEqual(yield* GenServer.call(byName, Add, { by: 1 }), 2)
      yield* GenServer.cast(byName, Reset)
      assert.strictEqual(yield* GenServer.call(byName, Get), 0)
      yield* GenServer.stop(byName)
      assert.isTrue(Option.isNone(yield* Process.whereis("counter")))
      assert.instanceOf(yield* Effect.flip(GenServer.call(byName, Get)), Errors.NoProc)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("a via name: registered through the registry, called and cast through it, unregistered on exit", () =>
    Effect.gen(function*() {
      const { registry, table } = mapRegistry()
      const name = Gen.via(registry, "room:lobby")
      const counter = yield* GenServer.start(Counter, 5, { name })
      assert.strictEqual(table.get("room:lobby"), counter.pid)
      assert.deepStrictEqual(yield* Gen.whereis(name), Option.some(counter.pid!))
      const byVia = GenServer.ref(Counter, name)
      assert.strictEqual(yield* GenServer.call(byVia, Add, { by: 1 }), 6)
      yield* GenServer.cast(byVia, Reset)
      assert.strictEqual(yield* GenServer.call(byVia, Get), 0)
      const taken = yield* Effect.flip(GenServer.start(Counter, 0, { name }))
      assert.instanceOf(taken, Errors.AlreadyStarted)
      assert.strictEqual((taken as Errors.AlreadyStarted).pid, counter.pid)
      assert.strictEqual(table.get("room:lobby"), counter.pid)
      yield* GenServer.stop(byVia)
      assert.isFalse(table.has("room:lobby"))
      assert.instanceOf(yield* Effect.flip(GenServer.call(byVia, Get)), Errors.NoProc)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("a via name is unregistered when init stops, fails or ignores (OTP gen:unregister_name)", () =>
    Effect.gen(function*() {
      const { registry, table } = mapRegistry()
      const name = Gen.via(registry, "worker")
      const Flaky = GenServer.make({
        name: "Flaky",
        calls: [Get],
        init: (mode: "stop" | "fail" | "ignore" | "ok") =>
          mode === "stop"
            ? GenServer.stopWith(ExitReason.shutdown("nope"))
            : mode === "fail"
            ? Effect.fail("init failed")
            : mode === "ignore"
            ? GenServer.ignore
            : GenServer.ok(42),
        handleCall: { Get: (_, n) => GenServer.reply(n, n) }
      })
      assert.instanceOf(yield* Effect.flip(GenServer.start(Flaky, "stop", { name })), Errors.InitFailed)
      assert.isFalse(table.has("worker"))
      assert.instanceOf(yield* Effect.flip(GenServer.start(Flaky, "fail", { name })), Errors.InitFailed)
      assert.isFalse(table.has("worker"))
      assert.instanceOf(yield* Effect.flip(GenServer.start(Flaky, "ignore", { name })), Errors.InitIgnored)
      assert.isFalse(table.has("worker"))
      const server = yield* GenServer.start(Flaky, "ok", { name })
      assert.strictEqual(yield* GenServer.call(GenServer.ref(Flaky, name), Get), 42)
      assert.strictEqual(table.get("worker"), server.pid)
    }).pipe(Effect.provide(Node.layer())))
})

// ----------------------------------------------------------------------------
// Ordering, for every interleaving
// ----------------------------------------------------------------------------

const Append = Rpc.make("Append", { payload: { client: Schema.Number, seq: Schema.Number } })
const Entries = Rpc.make("Entries", {
  success: Schema.Array(Schema.Struct({ client: Schema.Number, seq: Schema.Number }))
})

const Journal = GenServer.make({
  name: "Journal",
  calls: [Entries],
  casts: [Append],
  init: () => GenServer.ok<ReadonlyArray<{ readonly client: number; readonly seq: number }>>([]),
  handleCall: { Entries: (_, entries) => GenServer.reply(entries, entries) },
  handleCast: { Append: (entry, entries) => GenServer.noreply([...entries, entry]) }
})

describe("GenServer: ordering", () => {
  it.effect.prop(
    "casts from several clients are handled in per-client order",
    {
      // One entry per client; each boolean is one cast, `true` = yield to the scheduler first.
      clients: Arbitrary.array(Arbitrary.array(Arbitrary.schema(Schema.Boolean), { maxLength: 8 }), {
        minLength: 1,
        maxLength: 5
      })
    },
    ({ clients }) =>
      Effect.gen(function*() {
        const journal = yield* GenServer.start(Journal, undefined)
        const fibers = yield* Effect.forEach(clients, (pattern, client) =>
          Effect.forkChild(Process.run(Effect.gen(function*() {
            for (let seq = 0; seq < pattern.length; seq++) {
              if (pattern[seq]) yield* Effect.yieldNow
              yield* GenServer.cast(journal, Append, { client, seq })
            }
          }))))
        yield* Fiber.joinAll(fibers)
        const entries = yield* GenServer.call(journal, Entries)
        assert.strictEqual(entries.length, clients.reduce((n, pattern) => n + pattern.length, 0))
        clients.forEach((pattern, client) => {
          assert.deepStrictEqual(
            entries.filter((entry) => entry.client === client).map((entry) => entry.seq),
            pattern.map((_, seq) => seq)
          )
        })
      }).pipe(Effect.provide(Node.layer()))
  )
})

describe("GenServer: calling itself", () => {
  it.effect("a process that calls itself dies at once with calling_self, as in OTP, instead of timing out", () =>
    runTest(Effect.gen(function*() {
      const [pid, ref] = yield* Process.spawnMonitor(Effect.gen(function*() {
        const me = yield* Process.self
        yield* Gen.call(me, "hello")
      }))
      const down = yield* Process.receive({ match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === ref })
      assert.isTrue(down.pid === pid && down.reason._tag === "Crash")
      assert.include(ExitReason.format(down.reason), "calling_self")
    })))
})

describe("GenServer: a call built before the server stopped", () => {
  it.effect("fails with NoProc when it runs, not with a timeout", () =>
    runTest(Effect.gen(function*() {
      const Echo = Rpc.make("Echo", { success: Schema.String })
      const Server = GenServer.make({
        name: "EchoServer",
        calls: [Echo],
        init: () => GenServer.ok("hi"),
        handleCall: { Echo: (_, s) => GenServer.reply(s, s) }
      })
      const server = yield* GenServer.start(Server, undefined)
      const later = GenServer.call(server, Echo)
      assert.strictEqual(yield* later, "hi")
      yield* GenServer.stop(server)
      const error = yield* Effect.flip(later)
      assert.strictEqual(error._tag, "NoProc")
    })))
})
