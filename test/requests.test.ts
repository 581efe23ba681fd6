/**
 * Asynchronous requests, checked against OTP's gen_server:send_request, wait_response,
 * receive_response, check_response, request-id collections and multi_call (each scenario was
 * run in OTP 25 first: see the comments). Every timeout is driven by TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Option, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { Errors, ExitReason, Gen, GenServer, Node, Process, StateMachine, Sys } from "../index.js"
import { mapRegistry } from "./support/process.js"

// ----------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------

const runTest = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()))

/** Asserts that nothing is waiting in the calling process's mailbox. */
const assertMailboxEmpty = Effect.gen(function*() {
  const info = yield* Process.info(yield* Process.self)
  assert.strictEqual(Option.getOrThrow(info).messageQueueLength, 0)
})

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  assert.isTrue(Exit.isFailure(exit), `expected a failure, got ${String(exit)}`)
  const failure = (exit as Exit.Failure<A, E>).cause.reasons.find(Cause.isFailReason)
  assert.isDefined(failure)
  return failure!.error
}

// A server whose `Hold` calls wait until a `Release` cast answers them (in the order held).
const Get = Rpc.make("Get", { success: Schema.Number })
const Hold = Rpc.make("Hold", { payload: { value: Schema.String }, success: Schema.String })
const Refuse = Rpc.make("Refuse", { success: Schema.Number, error: Schema.String })
const Crash = Rpc.make("Crash", { success: Schema.Number })
const Release = Rpc.make("Release")

interface State {
  readonly count: number
  readonly held: ReadonlyArray<{ readonly from: Gen.From; readonly value: string }>
}

const Holder = GenServer.make({
  name: "Holder",
  calls: [Get, Hold, Refuse, Crash],
  casts: [Release],
  init: (count: number) => GenServer.ok<State>({ count, held: [] }),
  handleCall: {
    Get: (_, s) => GenServer.reply(s.count, s),
    Hold: ({ value }, s, from) => GenServer.noreply({ ...s, held: [...s.held, { from, value }] }),
    Refuse: (_, s) => GenServer.replyFailure("refused", s),
    Crash: () => Effect.die("boom")
  },
  handleCast: {
    Release: (_, s) =>
      Effect.as(Effect.forEach(s.held, ({ from, value }) => GenServer.replyTo(from, value.toUpperCase())), GenServer.noreply({ ...s, held: [] }))
  }
})

const startHolder = (count = 0) => GenServer.start(Holder, count)

// ----------------------------------------------------------------------------
// One request
// ----------------------------------------------------------------------------

describe("sendRequest / waitResponse", () => {
  it.effect("a request's reply comes typed; several requests are answered in any order of waiting", () =>
    runTest(Effect.gen(function*() {
      const server = yield* startHolder(7)
      const a = yield* GenServer.sendRequest(server, Hold, { value: "a" })
      const b = yield* GenServer.sendRequest(server, Get)
      assert.isTrue(a.active)
      // The second is answered at once; the first waits for Release.
      const count: number = yield* GenServer.waitResponse(b, "1 second")
      assert.strictEqual(count, 7)
      assert.isFalse(b.active)
      yield* GenServer.cast(server, Release)
      const held: string = yield* GenServer.waitResponse(a)
      assert.strictEqual(held, "A")
      yield* assertMailboxEmpty
    })))

  it.effect("waitResponse times out with CallTimeout and the request stays active (OTP: timeout, then {reply, a})", () =>
    runTest(Effect.gen(function*() {
      const server = yield* startHolder()
      const id = yield* GenServer.sendRequest(server, Hold, { value: "late" })
      const waiting = yield* Effect.forkChild(Effect.exit(GenServer.waitResponse(id, "50 millis")))
      yield* TestClock.adjust("50 millis")
      const error = failureOf(yield* Fiber.join(waiting))
      assert.instanceOf(error, Errors.CallTimeout)
      assert.strictEqual((error as Errors.CallTimeout).timeoutMillis, 50)
      assert.isTrue(id.active)
      yield* GenServer.cast(server, Release)
      assert.strictEqual(yield* GenServer.waitResponse(id, "1 second"), "LATE")
    })))

  it.effect("receiveResponse abandons on timeout: the late reply never reaches the mailbox (OTP: messages [])", () =>
    runTest(Effect.gen(function*() {
      const server = yield* startHolder()
      const id = yield* GenServer.sendRequest(server, Hold, { value: "late" })
      const waiting = yield* Effect.forkChild(Effect.exit(GenServer.receiveResponse(id, "50 millis")))
      yield* TestClock.adjust("50 millis")
      assert.instanceOf(failureOf(yield* Fiber.join(waiting)), Errors.CallTimeout)
      assert.isFalse(id.active)
      yield* GenServer.cast(server, Release)
      assert.strictEqual(yield* GenServer.call(server, Get), 0) // the release was handled
      yield* assertMailboxEmpty
    })))

  it.effect("the request's declared error and UnknownRequest come typed", () =>
    runTest(Effect.gen(function*() {
      const server = yield* startHolder()
      const refused = yield* GenServer.sendRequest(server, Refuse)
      const error: string | Errors.NoProc | Errors.CallExit | Errors.MailboxFull | Errors.UnknownRequest = yield* Effect.flip(GenServer.waitResponse(refused))
      assert.strictEqual(error, "refused")
      const other = GenServer.ref(Holder as GenServer.Any, server.target) as unknown as GenServer.Server<
        GenServer.Module<void, void, typeof Release, never, never>
      >
      const unknown = yield* GenServer.sendRequest(other, Release)
      assert.instanceOf(yield* Effect.flip(GenServer.waitResponse(unknown)), Errors.UnknownRequest)
    })))

  it.effect("the server crashing before it replies gives CallExit with its reason (OTP: {error, {boom, Pid}})", () =>
    runTest(Effect.gen(function*() {
      const server = yield* startHolder()
      const id = yield* GenServer.sendRequest(server, Crash)
      const error = yield* Effect.flip(GenServer.waitResponse(id, "1 second"))
      assert.instanceOf(error, Errors.CallExit)
      assert.strictEqual((error as Errors.CallExit).reason._tag, "Crash")
      // Then the server is gone: a new request's response is NoProc (OTP: {error, {noproc, Pid}}).
      const again = yield* GenServer.sendRequest(server, Get)
      assert.instanceOf(yield* Effect.flip(GenServer.waitResponse(again)), Errors.NoProc)
    })))

  it.effect("a name nobody has gives a request whose response is NoProc (OTP: {error, {noproc, nosuch}})", () =>
    runTest(Effect.gen(function*() {
      const id = yield* Gen.sendRequest("nosuch", "hi")
      const error = yield* Effect.flip(Gen.waitResponse(id, "1 second"))
      assert.instanceOf(error, Errors.NoProc)
      assert.strictEqual(error.target, "nosuch")
    })))

  it.effect("a via name is resolved when the request is sent; a process may send a request to itself (OTP allows it)", () =>
    runTest(Effect.gen(function*() {
      const { registry } = mapRegistry()
      yield* GenServer.start(Holder, 8, { name: Gen.via(registry, "holder") })
      const viaId = yield* GenServer.sendRequest(GenServer.ref(Holder, Gen.via(registry, "holder")), Get)
      assert.strictEqual(yield* GenServer.waitResponse(viaId), 8)
      const nobody = yield* Gen.sendRequest(Gen.via(registry, "nobody"), "hi")
      const error = yield* Effect.flip(Gen.waitResponse(nobody))
      assert.strictEqual(error.target, "via(nobody)")
      // To itself: the request is a call message in its own mailbox, answered like any other.
      const self = yield* Gen.sendRequest(yield* Process.self, "ping")
      const call = yield* Process.receive({ match: (m): m is Gen.CallMessage => m instanceof Gen.CallMessage })
      assert.strictEqual(call.request, "ping")
      yield* GenServer.replyTo(call.from, "pong")
      assert.strictEqual(yield* Gen.waitResponse(self, "1 second"), "pong")
    })))

  it.effect("the server killed between send and wait: CallExit with Killed", () =>
    runTest(Effect.gen(function*() {
      const server = yield* startHolder()
      const id = yield* GenServer.sendRequest(server, Hold, { value: "x" })
      yield* Process.exit(server.pid!, ExitReason.kill)
      const error = yield* Effect.flip(GenServer.waitResponse(id))
      assert.instanceOf(error, Errors.CallExit)
      assert.strictEqual((error as Errors.CallExit).reason._tag, "Killed")
      yield* assertMailboxEmpty
    })))

  it.effect("an interrupted wait abandons the request: no stray message when the reply comes", () =>
    runTest(Effect.gen(function*() {
      const server = yield* startHolder()
      const id = yield* GenServer.sendRequest(server, Hold, { value: "x" })
      const waiting = yield* Effect.forkChild(GenServer.waitResponse(id))
      yield* Effect.yieldNow
      yield* Fiber.interrupt(waiting)
      assert.isFalse(id.active)
      yield* GenServer.cast(server, Release)
      assert.strictEqual(yield* GenServer.call(server, Get), 0)
      yield* assertMailboxEmpty
    })))

  it.effect("a caller that exits gives its pending requests up: the server's held handle is no longer pending", () =>
    runTest(Effect.gen(function*() {
      const server = yield* startHolder()
      const caller = yield* Process.spawn(Effect.andThen(GenServer.sendRequest(server, Hold, { value: "x" }), Process.receive()))
      const held = () => Effect.map(Sys.getState(server.target), (s) => (s as State).held)
      while ((yield* held()).length === 0) yield* Effect.yieldNow
      assert.isTrue((yield* held())[0]!.from.pending)
      yield* Process.exit(caller, ExitReason.kill)
      assert.isFalse((yield* held())[0]!.from.pending)
      yield* GenServer.cast(server, Release)
      assert.strictEqual(yield* GenServer.call(server, Get), 0)
    })))

  it.effect("a wait interrupted as its response arrives leaves no response behind, whichever comes first", () =>
    runTest(Effect.gen(function*() {
      for (let spins = 0; spins < 4; spins++) {
        const server = yield* startHolder(3)
        const id = yield* GenServer.sendRequest(server, Hold, { value: "x" })
        const waiting = yield* Effect.forkChild(GenServer.waitResponse(id))
        yield* Effect.yieldNow
        yield* GenServer.cast(server, Release)
        for (let i = 0; i < spins; i++) yield* Effect.yieldNow
        yield* Fiber.interrupt(waiting)
        assert.isFalse(id.active)
        assert.strictEqual(yield* GenServer.call(server, Get), 3)
        yield* assertMailboxEmpty
      }
    })))

  it.effect("a caller with a full bounded mailbox still gets its response (a response passes the bound, as a Down does)", () =>
    runTest(Effect.gen(function*() {
      const server = yield* startHolder(7)
      for (const overflow of ["dropNewest", "reject", "dropOldest"] as const) {
        const outcome = yield* Deferred.make<Exit.Exit<number, unknown>>()
        const caller = yield* Process.spawn(
          Effect.gen(function*() {
            yield* Process.send(yield* Process.self, "filler") // the mailbox is full
            const id = yield* GenServer.sendRequest(server, Get)
            yield* Deferred.succeed(outcome, yield* Effect.exit(GenServer.receiveResponse(id, "1 second")))
            return yield* Effect.never
          }),
          { mailbox: { capacity: 1, overflow } }
        )
        yield* TestClock.adjust("1 second")
        const exit = yield* Deferred.await(outcome)
        assert.deepStrictEqual(exit, Exit.succeed(7), overflow)
        const info = Option.getOrThrow(yield* Process.info(caller))
        // Nothing was dropped: the filler still waits (dropOldest did not drop it for the response).
        assert.strictEqual(Option.getOrThrow(info.mailbox).dropped, 0, overflow)
        assert.strictEqual(info.messageQueueLength, 1, overflow)
        yield* Process.exit(caller, ExitReason.kill)
      }
    })))

  it.effect("waiting on an empty collection is NoRequest (OTP: no_request)", () =>
    runTest(Effect.gen(function*() {
      assert.instanceOf(yield* Effect.flip(Gen.waitResponse(Gen.requestIds())), Errors.NoRequest)
      assert.instanceOf(yield* Effect.flip(Gen.receiveResponse(Gen.requestIds(), "1 second")), Errors.NoRequest)
    })))

  it.effect("a bad timeout is BadArgument; an id of another process or no id is a defect", () =>
    runTest(Effect.gen(function*() {
      const server = yield* startHolder()
      const id = yield* GenServer.sendRequest(server, Get)
      assert.instanceOf(yield* Effect.flip(GenServer.waitResponse(id, -1)), Errors.BadArgument)
      assert.instanceOf(yield* Effect.flip(GenServer.receiveResponse(id, Number.NaN)), Errors.BadArgument)
      const foreign = yield* Process.run(GenServer.waitResponse(id, 0)).pipe(Effect.exit)
      assert.isTrue(Exit.isFailure(foreign) && Cause.hasDies(foreign.cause))
      const notAnId = yield* Effect.exit(Gen.waitResponse({ _tag: "RequestId" } as any, 0))
      assert.isTrue(Exit.isFailure(notAnId) && Cause.hasDies(notAnId.cause))
      assert.strictEqual(yield* GenServer.waitResponse(id), 0)
    })))

  it.effect("from a plain fiber (no process), sendRequest is a defect; untyped callers learn at once", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Gen.sendRequest("x", "hi") as Effect.Effect<unknown>)
      assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause))
    }).pipe(Effect.provide(Node.layer())))
})

// ----------------------------------------------------------------------------
// checkResponse
// ----------------------------------------------------------------------------

describe("checkResponse", () => {
  it.effect("recognizes its response among received messages; none for others (OTP: no_reply)", () =>
    runTest(Effect.gen(function*() {
      const server = yield* startHolder(5)
      const id = yield* GenServer.sendRequest(server, Get)
      yield* Process.send(yield* Process.self, "unrelated")
      const first = yield* Process.receive()
      assert.isTrue(Option.isNone(yield* GenServer.checkResponse(first, id)))
      const second = yield* Process.receive()
      const response = yield* GenServer.checkResponse(second, id)
      assert.isTrue(Option.isSome(response))
      assert.deepStrictEqual(Option.getOrThrow(response), Exit.succeed(5))
      assert.isFalse(id.active)
    })))

  it.effect("a GenServer sends requests from handleCall and takes the responses in handleInfo", () =>
    runTest(Effect.gen(function*() {
      const backend = yield* startHolder(41)
      const Ask = Rpc.make("Ask", { success: Schema.Number })
      const Proxy = GenServer.make({
        name: "Proxy",
        calls: [Ask],
        init: () => GenServer.ok(new Map<Gen.RequestId<number, unknown>, Gen.From>()),
        handleCall: {
          Ask: (_, pending, from) =>
            Effect.map(GenServer.sendRequest(backend, Get), (id) => GenServer.noreply(new Map(pending).set(id, from)))
        },
        handleInfo: (message, pending) =>
          Effect.gen(function*() {
            for (const [id, from] of pending) {
              const response = yield* GenServer.checkResponse(message, id)
              if (Option.isSome(response)) {
                const result = response.value
                yield* GenServer.replyTo(from, Exit.isSuccess(result) ? result.value + 1 : -1)
                const rest = new Map(pending)
                rest.delete(id)
                return GenServer.noreply(rest)
              }
            }
            return GenServer.noreply(pending)
          })
      })
      const proxy = yield* GenServer.start(Proxy, undefined)
      assert.strictEqual(yield* GenServer.call(proxy, Ask), 42)
      assert.strictEqual(yield* GenServer.call(proxy, Ask), 42)
    })))
})

// ----------------------------------------------------------------------------
// Collections
// ----------------------------------------------------------------------------

describe("request-id collections", () => {
  it.effect("the first response comes with its label and the collection without it, each typed by its request", () =>
    runTest(Effect.gen(function*() {
      const server = yield* startHolder(9)
      const held = yield* GenServer.sendRequest(server, Hold, { value: "x" })
      const count = yield* GenServer.sendRequest(server, Get)
      const ids = Gen.requestIds().pipe(Gen.addRequestId(held, "held"), Gen.addRequestId(count, "count"))
      assert.strictEqual(ids.size, 2)
      assert.deepStrictEqual(Gen.requestIdsToList(ids).map((e) => e.label).sort(), ["count", "held"])
      const first = yield* Gen.waitResponse(ids, "1 second")
      assert.strictEqual(first.label, "count")
      if (first.label === "count") {
        const n: Exit.Exit<number, unknown> = first.result
        assert.deepStrictEqual(n, Exit.succeed(9))
      }
      assert.strictEqual(first.rest.size, 1)
      assert.strictEqual(ids.size, 2) // immutable
      yield* GenServer.cast(server, Release)
      const second = yield* Gen.waitResponse(first.rest)
      assert.strictEqual(second.label, "held")
      assert.deepStrictEqual(second.result, Exit.succeed("X"))
      assert.instanceOf(yield* Effect.flip(Gen.waitResponse(second.rest, "1 second")), Errors.NoRequest)
    })))

  it.effect("{ delete: false } keeps the answered request in the collection (OTP: Delete = false)", () =>
    runTest(Effect.gen(function*() {
      const server = yield* startHolder(1)
      const ids = Gen.addRequestId(Gen.requestIds(), yield* GenServer.sendRequest(server, Get), 7)
      const response = yield* Gen.waitResponse(ids, "1 second", { delete: false })
      assert.strictEqual(response.label, 7)
      assert.strictEqual(response.rest, ids)
    })))

  it.effect("a timeout: waitResponse keeps every request; receiveResponse abandons them all, no stray replies", () =>
    runTest(Effect.gen(function*() {
      const server = yield* startHolder()
      const a = yield* GenServer.sendRequest(server, Hold, { value: "a" })
      const b = yield* GenServer.sendRequest(server, Hold, { value: "b" })
      const ids = Gen.requestIds().pipe(Gen.addRequestId(a, "a"), Gen.addRequestId(b, "b"))
      const waited = yield* Effect.forkChild(Effect.exit(Gen.waitResponse(ids, "10 millis")))
      yield* TestClock.adjust("10 millis")
      assert.instanceOf(failureOf(yield* Fiber.join(waited)), Errors.CallTimeout)
      assert.isTrue(a.active && b.active)
      const received = yield* Effect.forkChild(Effect.exit(Gen.receiveResponse(ids, "10 millis")))
      yield* TestClock.adjust("10 millis")
      assert.instanceOf(failureOf(yield* Fiber.join(received)), Errors.CallTimeout)
      assert.isFalse(a.active || b.active)
      yield* GenServer.cast(server, Release)
      assert.strictEqual(yield* GenServer.call(server, Get), 0)
      yield* assertMailboxEmpty
    })))

  it.effect("checkResponse on a collection: labelled response, none for others, NoRequest when empty", () =>
    runTest(Effect.gen(function*() {
      const server = yield* startHolder(2)
      const ids = Gen.addRequestId(Gen.requestIds(), yield* GenServer.sendRequest(server, Get), "get")
      assert.isTrue(Option.isNone(yield* Gen.checkResponse("other", ids)))
      const message = yield* Process.receive()
      const response = Option.getOrThrow(yield* Gen.checkResponse(message, ids))
      assert.strictEqual(response.label, "get")
      assert.deepStrictEqual(response.result, Exit.succeed(2))
      assert.instanceOf(yield* Effect.flip(Gen.checkResponse("other", response.rest)), Errors.NoRequest)
    })))

  it.effect("property: whatever order the servers answer in, each response comes once, in that order, with its own label", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(fc.uniqueArray(fc.nat({ max: 7 }), { minLength: 1, maxLength: 8 }), async (order) => {
          const got = await Effect.runPromise(runTest(Effect.gen(function*() {
            const servers: Array<GenServer.Server<typeof Holder>> = []
            let ids: Gen.RequestIds<Gen.RequestIds.Entry<number, string, unknown>> = Gen.requestIds()
            for (let i = 0; i < order.length; i++) {
              const server = yield* startHolder(i)
              servers.push(server)
              ids = Gen.addRequestId(ids, yield* GenServer.sendRequest(server, Hold, { value: `v${i}` }), i)
            }
            // The servers answer in `order` (ranks into the servers); a call to each after its
            // release is answered after the held reply, which is then in the mailbox.
            const ranks = [...order].sort((x, y) => x - y)
            for (const o of order) {
              const server = servers[ranks.indexOf(o)]!
              yield* GenServer.cast(server, Release)
              yield* GenServer.call(server, Get)
            }
            const labels: Array<number> = []
            while (ids.size > 0) {
              const r = yield* Gen.waitResponse(ids, 0)
              assert.deepStrictEqual(r.result, Exit.succeed(`V${r.label}`))
              labels.push(r.label)
              ids = r.rest
            }
            yield* assertMailboxEmpty
            return labels
          })))
          const ranks = [...order].sort((x, y) => x - y)
          assert.deepStrictEqual(got, order.map((o) => ranks.indexOf(o)))
        }),
        { numRuns: 50 }
      )
    ))
})

// ----------------------------------------------------------------------------
// multiCall
// ----------------------------------------------------------------------------

describe("multiCall", () => {
  it.effect("one request to each server, one deadline, each outcome in the servers' order", () =>
    runTest(Effect.gen(function*() {
      const quick = yield* startHolder(1)
      const slow = yield* startHolder(2)
      const dead = yield* startHolder(3)
      yield* GenServer.stop(dead)
      const named = yield* GenServer.start(Holder, 4, { name: "named" })
      const servers = [quick, slow, dead, GenServer.ref(Holder, "named"), GenServer.ref(Holder, "missing")]
      const fiber = yield* Effect.forkChild(GenServer.multiCall(servers, Hold, { value: "m" }, { timeout: "100 millis" }))
      yield* Effect.yieldNow
      yield* GenServer.cast(quick, Release)
      yield* GenServer.cast(named, Release)
      yield* TestClock.adjust("100 millis")
      const outcomes = yield* Fiber.join(fiber)
      assert.deepStrictEqual(outcomes[0], Exit.succeed("M"))
      assert.instanceOf(failureOf(outcomes[1]!), Errors.CallTimeout)
      assert.instanceOf(failureOf(outcomes[2]!), Errors.NoProc)
      assert.deepStrictEqual(outcomes[3], Exit.succeed("M"))
      assert.instanceOf(failureOf(outcomes[4]!), Errors.NoProc)
      // The timed-out request's late reply goes nowhere.
      yield* GenServer.cast(slow, Release)
      assert.strictEqual(yield* GenServer.call(slow, Get), 2)
      yield* assertMailboxEmpty
    })))

  it.effect("untyped targets that are none (a bare object, a number) are NoProc, named so that the error prints", () =>
    runTest(Effect.gen(function*() {
      const bare = Object.create(null)
      const outcomes = yield* Gen.multiCall([bare, 42 as any], "x")
      assert.strictEqual(outcomes.length, 2)
      for (const outcome of outcomes) {
        const error = failureOf(outcome) as Errors.NoProc
        assert.instanceOf(error, Errors.NoProc)
        assert.isString(error.message)
      }
      const id = yield* Gen.sendRequest(bare, "x")
      assert.isString(String(id))
      const error = yield* Effect.flip(Gen.waitResponse(id))
      assert.instanceOf(error, Errors.NoProc)
      assert.isString((error as Errors.NoProc).message)
    })))

  it.effect("works from a plain fiber; a server crashing in the call gives CallExit; no timeout waits for all", () =>
    Effect.gen(function*() {
      const a = yield* startHolder(1)
      const b = yield* startHolder(2)
      const counts = yield* GenServer.multiCall([a, b], Get)
      assert.deepStrictEqual(counts, [Exit.succeed(1), Exit.succeed(2)])
      const crashed = yield* GenServer.multiCall([a, b], Crash)
      assert.instanceOf(failureOf(crashed[0]!), Errors.CallExit)
      assert.instanceOf(failureOf(crashed[1]!), Errors.CallExit)
      assert.deepStrictEqual(yield* GenServer.multiCall([], Get), [])
      assert.instanceOf(yield* Effect.flip(GenServer.multiCall([a], Get, undefined, { timeout: -5 })), Errors.BadArgument)
    }).pipe(Effect.provide(Node.layer())))

  it.effect("a process among its own targets can only time out; the others answer", () =>
    runTest(Effect.gen(function*() {
      const other = yield* startHolder(6)
      const me = yield* Process.self
      const fiber = yield* Effect.forkChild(GenServer.multiCall([GenServer.ref(Holder, me), other], Get, undefined, { timeout: "20 millis" }))
      yield* TestClock.adjust("20 millis")
      const outcomes = yield* Fiber.join(fiber)
      assert.instanceOf(failureOf(outcomes[0]!), Errors.CallTimeout)
      assert.deepStrictEqual(outcomes[1], Exit.succeed(6))
      // Its own request sits in its mailbox, no longer awaited (OTP leaves it there too).
      const own = yield* Process.receive({ match: (m): m is Gen.CallMessage => m instanceof Gen.CallMessage, timeout: 0 })
      assert.isTrue(Option.isSome(own) && !own.value.from.pending)
    })))

  it.effect("a remote target's transport is called beside the local ones", () =>
    runTest(Effect.gen(function*() {
      const local = yield* startHolder(1)
      const remote: Gen.Target = {
        _tag: "Remote",
        label: "Far/1",
        call: (message) => Effect.succeed({ echoed: message }),
        cast: () => Effect.void
      }
      const outcomes = yield* Gen.multiCall([local.target, remote], "Get?")
      assert.deepStrictEqual(outcomes[1], Exit.succeed({ echoed: "Get?" }))
      // The local server got a request of no protocol of its own.
      assert.instanceOf(failureOf(outcomes[0]!), Errors.UnknownRequest)
      // And a request to it: its response comes to the mailbox like a local one's.
      const id = yield* Gen.sendRequest(remote, "ping")
      assert.deepStrictEqual(yield* Gen.waitResponse(id, "1 second"), { echoed: "ping" })
    })))
})

// ----------------------------------------------------------------------------
// StateMachine
// ----------------------------------------------------------------------------

describe("StateMachine.sendRequest", () => {
  it.effect("a machine's request is answered typed, and UnknownRequest when the state does not handle it", () =>
    runTest(Effect.gen(function*() {
      const Flip = Rpc.make("Flip", { success: Schema.String })
      const Peek = Rpc.make("Peek", { success: Schema.String })
      const Switch = StateMachine.make({
        name: "Switch",
        calls: [Flip, Peek],
        init: () => StateMachine.ok("off" as "off" | "on", 0),
        states: {
          off: { calls: { Flip: (_, n, from) => StateMachine.nextState("on", n + 1, StateMachine.reply(from, "on")) } },
          on: { calls: { Peek: (_, __, from) => StateMachine.keepStateAndData(StateMachine.reply(from, "on")) } }
        }
      })
      const machine = yield* StateMachine.start(Switch, undefined)
      const peek = yield* StateMachine.sendRequest(machine, Peek)
      const flip = yield* StateMachine.sendRequest(machine, Flip)
      assert.instanceOf(yield* Effect.flip(Gen.waitResponse(peek)), Errors.UnknownRequest)
      const on: string = yield* Gen.waitResponse(flip)
      assert.strictEqual(on, "on")
    })))
})
