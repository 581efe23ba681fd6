/**
 * Bounded mailboxes (`mailbox: { capacity, overflow }` of `Process.spawn`, `Gen.start`,
 * `GenServer.start`): each overflow policy with exact drop counts, `Process.info`, `trySend`,
 * calls to a full mailbox, system messages and exit signals that pass the bound, selective
 * receives on a full mailbox, a bounded process killed while its senders fail, and a property
 * test against a model of the queue. Every wait is driven by TestClock or by the run queue.
 */
import { assert, describe, expectTypeOf, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Option, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { Errors, ExitReason, Gen, GenServer, Node, Process, StateMachine, Supervisor, Sys } from "../index.js"
import type { Pid } from "../lib/Pid.js"
import { Journal } from "../observer/internal/journal.js"
import { snapshot } from "../observer/internal/snapshot.js"
import { drain, inNode } from "./support/process.js"

const boundOf = (pid: Pid) =>
  Effect.map(Process.info(pid), (info) => Option.getOrThrow(Option.getOrThrow(info).mailbox))

const queueLength = (pid: Pid) => Effect.map(Process.info(pid), (info) => Option.getOrThrow(info).messageQueueLength)

/**
 * A process with a bounded mailbox that does not receive until `gate` opens, then sends its
 * whole mailbox, in order, to `to`.
 */
const gated = (to: Pid, gate: Deferred.Deferred<void>, mailbox: Process.MailboxOptions) =>
  Process.spawn(
    Effect.gen(function*() {
      yield* Deferred.await(gate)
      yield* Process.send(to, { drained: yield* drain })
    }),
    { mailbox }
  )

const isDrained = (m: unknown): m is { drained: Array<unknown> } => typeof m === "object" && m !== null && "drained" in m

/** Opens `gate` of a `gated` process and returns what it had. */
const openGate = (gate: Deferred.Deferred<void>) =>
  Effect.gen(function*() {
    yield* Deferred.succeed(gate, undefined)
    return (yield* Process.receive({ match: isDrained })).drained
  })

// ----------------------------------------------------------------------------
// A GenServer for the call tests
// ----------------------------------------------------------------------------

const Get = Rpc.make("Get", { success: Schema.Number })
const Add = Rpc.make("Add", { payload: { by: Schema.Number } })

const Counter = GenServer.make({
  name: "BoundedCounter",
  calls: [Get],
  casts: [Add],
  init: (start: number) => GenServer.ok(start),
  handleCall: { Get: (_, n) => GenServer.reply(n, n) },
  handleCast: { Add: ({ by }, n) => GenServer.noreply(n + by) }
})

describe("bounded mailboxes: types", () => {
  it("send keeps its error-free type; trySend and calls carry MailboxFull", () => {
    const pid = undefined as unknown as Pid
    expectTypeOf(Process.send(pid, 1)).toEqualTypeOf<Effect.Effect<void>>()
    expectTypeOf(Gen.cast(pid, 1)).toEqualTypeOf<Effect.Effect<void>>()
    expectTypeOf(Process.trySend(pid, 1)).toEqualTypeOf<Effect.Effect<void, Errors.MailboxFull>>()
    expectTypeOf(Process.trySend("name", 1)).toEqualTypeOf<Effect.Effect<void, Errors.MailboxFull | Errors.NoProc, Node.Node>>()
    expectTypeOf<Errors.MailboxFull>().toExtend<Errors.CallError>()
  })
})

describe("bounded mailboxes: options", () => {
  it.effect("a bad mailbox option is BadArgument and starts nothing", () =>
    inNode(Effect.gen(function*() {
      const before = (yield* Process.processes).length
      const bad: ReadonlyArray<unknown> = [
        { capacity: 0, overflow: "dropNewest" },
        { capacity: -1, overflow: "dropNewest" },
        { capacity: 1.5, overflow: "dropOldest" },
        { capacity: Number.NaN, overflow: "reject" },
        { capacity: Infinity, overflow: "reject" },
        { capacity: "10", overflow: "reject" },
        { capacity: 10 },
        { capacity: 10, overflow: "dropAll" },
        // Values that no String() takes, or shows wrong: a bare object, a bigint.
        { capacity: Object.create(null), overflow: "reject" },
        { capacity: 10, overflow: Object.create(null) },
        { capacity: BigInt(10), overflow: "reject" },
        null,
        7
      ]
      for (const mailbox of bad) {
        const spawned = yield* Effect.flip(Process.spawn(Process.receive(), { mailbox: mailbox as never }))
        assert.strictEqual(spawned._tag, "BadArgument")
        assert.match(spawned.message, /mailbox/)
        // A bigint is named as one (`10n`), not as the number it is not.
        if (typeof (mailbox as { capacity?: unknown } | null)?.capacity === "bigint") assert.include(spawned.message, "10n")
        const started = yield* Effect.flip(GenServer.start(Counter, 0, { mailbox: mailbox as never }))
        assert.strictEqual(started._tag, "BadArgument")
      }
      assert.strictEqual((yield* Process.processes).length, before)
    })))

  it.effect("info shows the bound, none for an unbounded mailbox", () =>
    inNode(Effect.gen(function*() {
      const plain = yield* Process.spawn(Process.receive())
      assert.isTrue(Option.isNone(Option.getOrThrow(yield* Process.info(plain)).mailbox))
      const bounded = yield* Process.spawn(Process.receive(), { mailbox: { capacity: 4, overflow: "dropOldest" } })
      assert.deepStrictEqual(yield* boundOf(bounded), { capacity: 4, overflow: "dropOldest", dropped: 0 })
      const server = yield* GenServer.start(Counter, 0, { mailbox: { capacity: 2, overflow: "reject" } })
      assert.deepStrictEqual(yield* boundOf(server.pid!), { capacity: 2, overflow: "reject", dropped: 0 })
      const machine = yield* StateMachine.start(Toggle, undefined, { mailbox: { capacity: 3, overflow: "dropNewest" } })
      assert.deepStrictEqual(yield* boundOf(machine.pid!), { capacity: 3, overflow: "dropNewest", dropped: 0 })
    })))
})

const Flip = Rpc.make("Flip")
const Toggle = StateMachine.make({
  name: "Toggle",
  casts: [Flip],
  init: () => StateMachine.ok("off", 0),
  states: {
    off: { casts: { Flip: (_, flips) => StateMachine.nextState("on", flips + 1) } },
    on: { casts: { Flip: (_, flips) => StateMachine.nextState("off", flips + 1) } }
  }
})

describe("bounded mailboxes: observer", () => {
  it.effect("the observer's process rows show the bound and the drop count", () =>
    inNode(Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const bounded = yield* gated(yield* Process.self, gate, { capacity: 2, overflow: "dropOldest" })
      const plain = yield* Process.spawn(Process.receive({ match: () => false }))
      for (let i = 0; i < 5; i++) yield* Process.send(bounded, i)
      const s = yield* snapshot(yield* Node.Node, new Journal(10))
      const row = (pid: Pid) => s.processes.find((p) => p.pid === String(pid))!
      assert.deepStrictEqual(row(bounded).bound, { capacity: 2, overflow: "dropOldest", dropped: 3 })
      assert.strictEqual(row(bounded).mailbox, 2)
      assert.isUndefined(row(plain).bound)
    })))
})

describe("bounded mailboxes: policies", () => {
  it.effect("dropNewest keeps the first `capacity` messages and counts the others", () =>
    inNode(Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const pid = yield* gated(yield* Process.self, gate, { capacity: 3, overflow: "dropNewest" })
      for (let i = 0; i < 5; i++) yield* Process.send(pid, i)
      Process.sendUnsafe(pid, 5)
      yield* Gen.cast(pid, 6)
      // trySend is told only under reject: the receiver chose to drop.
      yield* Process.trySend(pid, 7)
      assert.deepStrictEqual(yield* boundOf(pid), { capacity: 3, overflow: "dropNewest", dropped: 5 })
      assert.strictEqual(yield* queueLength(pid), 3)
      assert.deepStrictEqual(yield* openGate(gate), [0, 1, 2])
    })))

  it.effect("dropOldest keeps the last `capacity` messages and counts the others", () =>
    inNode(Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const pid = yield* gated(yield* Process.self, gate, { capacity: 3, overflow: "dropOldest" })
      for (let i = 0; i < 10; i++) yield* Process.send(pid, i)
      assert.deepStrictEqual(yield* boundOf(pid), { capacity: 3, overflow: "dropOldest", dropped: 7 })
      assert.deepStrictEqual(yield* openGate(gate), [7, 8, 9])
    })))

  it.effect("reject: trySend fails with MailboxFull, send drops and counts; room again once it receives", () =>
    inNode(Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const pid = yield* gated(yield* Process.self, gate, { capacity: 2, overflow: "reject" })
      yield* Process.register("sink", pid)
      yield* Process.trySend(pid, "a")
      yield* Process.trySend("sink", "b")
      const refused = yield* Effect.flip(Process.trySend(pid, "c"))
      assert.instanceOf(refused, Errors.MailboxFull)
      assert.strictEqual(refused.target, pid)
      assert.strictEqual(refused.capacity, 2)
      assert.match(refused.message, /full \(capacity 2\)/)
      const byName = yield* Effect.flip(Process.trySend("sink", "d"))
      assert.strictEqual(byName._tag, "MailboxFull")
      assert.strictEqual((byName as Errors.MailboxFull).target, "sink")
      yield* Process.send(pid, "e")
      yield* Process.send("sink", "f")
      assert.deepStrictEqual(yield* boundOf(pid), { capacity: 2, overflow: "reject", dropped: 4 })
      assert.deepStrictEqual(yield* openGate(gate), ["a", "b"])
      assert.strictEqual((yield* Effect.flip(Process.trySend("nobody", 1)))._tag, "NoProc")
    })))

  it.effect("a bounded receiver that keeps up loses nothing", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const n = 10_000
      const pid = yield* Process.spawn(
        Effect.gen(function*() {
          let sum = 0
          for (let i = 0; i < n; i++) sum += (yield* Process.receive()) as number
          yield* Process.send(me, sum)
        }),
        { mailbox: { capacity: n, overflow: "reject" } }
      )
      for (let i = 0; i < n; i++) yield* Process.trySend(pid, i)
      assert.strictEqual(yield* Process.receive(), (n * (n - 1)) / 2)
    })))
})

describe("bounded mailboxes: calls", () => {
  it.effect("a call to a full mailbox fails with MailboxFull at once, under every policy", () =>
    inNode(Effect.gen(function*() {
      for (const overflow of ["dropNewest", "dropOldest", "reject"] as const) {
        const server = yield* GenServer.start(Counter, 0, { name: `counter-${overflow}`, mailbox: { capacity: 2, overflow } })
        const pid = server.pid!
        yield* Sys.suspend(pid)
        yield* GenServer.cast(server, Add, { by: 1 })
        yield* GenServer.cast(server, Add, { by: 2 })
        if (overflow === "dropOldest") {
          // The request goes in (dropping the first cast), and the second cast after it drops
          // it as the oldest: the caller is told.
          const call = yield* Effect.forkChild(GenServer.call(server, Get, undefined, { timeout: "infinity" }))
          yield* Effect.yieldNow
          yield* GenServer.cast(server, Add, { by: 4 })
          assert.isUndefined(call.pollUnsafe())
          yield* GenServer.cast(server, Add, { by: 8 })
          const error = yield* Effect.flip(Fiber.join(call))
          assert.strictEqual(error._tag, "MailboxFull")
        } else {
          const error = yield* Effect.flip(
            GenServer.call(GenServer.ref(Counter, `counter-${overflow}`), Get, undefined, { timeout: "infinity" })
          )
          assert.strictEqual(error._tag, "MailboxFull")
          assert.strictEqual((error as Errors.MailboxFull).target, `counter-${overflow}`)
        }
        // Sys requests pass the bound: the server resumes and has what its policy kept.
        yield* Sys.resume(pid)
        assert.strictEqual(yield* GenServer.call(server, Get), overflow === "dropOldest" ? 4 + 8 : 1 + 2)
        assert.strictEqual((yield* boundOf(pid)).dropped, overflow === "dropOldest" ? 3 : 1)
      }
    })))

  it.effect("an asynchronous request a full mailbox refuses or drops answers MailboxFull (sendRequest, multiCall)", () =>
    inNode(Effect.gen(function*() {
      const server = yield* GenServer.start(Counter, 0, { mailbox: { capacity: 1, overflow: "dropNewest" } })
      yield* Sys.suspend(server.pid!)
      yield* GenServer.cast(server, Add, { by: 1 })
      const request = yield* GenServer.sendRequest(server, Get)
      const error = yield* Effect.flip(GenServer.waitResponse(request, "1 hour"))
      assert.strictEqual(error._tag, "MailboxFull")
      const [outcome] = yield* GenServer.multiCall([server], Get, undefined, { timeout: "1 hour" })
      assert.isTrue(Exit.isFailure(outcome!))
      assert.deepStrictEqual(Exit.isFailure(outcome!) ? Option.map(Exit.findErrorOption(outcome), (e) => e._tag) : Option.none(), Option.some("MailboxFull"))
      // Nothing else was lost: the cast is there once the server resumes.
      yield* Sys.resume(server.pid!)
      assert.strictEqual(yield* GenServer.call(server, Get), 1)
    })))

  it.effect("a call refused is not left waiting for its timeout (TestClock never moves)", () =>
    inNode(Effect.gen(function*() {
      const server = yield* GenServer.start(Counter, 0, { mailbox: { capacity: 1, overflow: "dropNewest" } })
      yield* Sys.suspend(server.pid!)
      yield* GenServer.cast(server, Add, { by: 1 })
      const call = yield* Effect.forkChild(GenServer.call(server, Get, undefined, { timeout: "1 hour" }))
      const exit = yield* Fiber.await(call)
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual((yield* Effect.flip(Fiber.join(call)))._tag, "MailboxFull")
    })))
})

describe("bounded mailboxes: system messages pass the bound", () => {
  it.effect("exit signals (trapped) and Down messages arrive at a full mailbox, over its capacity", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      for (const overflow of ["dropNewest", "dropOldest", "reject"] as const) {
        const gate = yield* Deferred.make<void>()
        const pid = yield* Process.spawn(
          Effect.gen(function*() {
            yield* Process.trapExit(true)
            const linked = yield* Process.spawnLink(Process.receive())
            const watched = yield* Process.spawn(Process.receive())
            yield* Process.monitor(watched)
            yield* Process.send(me, { linked, watched })
            yield* Deferred.await(gate)
            yield* Process.send(me, { drained: yield* drain })
          }),
          { mailbox: { capacity: 1, overflow } }
        )
        const { linked, watched } = yield* Process.receive({
          match: (m): m is { linked: Pid; watched: Pid } => typeof m === "object" && m !== null && "linked" in m
        })
        yield* Process.send(pid, "first")
        yield* Process.send(pid, "second")
        yield* Process.exit(linked, ExitReason.shutdown())
        yield* Process.exit(watched, ExitReason.kill)
        // Both signals reach the full mailbox; one more user message is dropped by the policy.
        yield* Effect.yieldNow
        assert.strictEqual(yield* queueLength(pid), 3)
        yield* Process.send(pid, "third")
        assert.strictEqual((yield* boundOf(pid)).dropped, 2)
        const drained = yield* openGate(gate)
        const tags = drained.map((m) => Process.isExitMessage(m) ? "Exit" : Process.isDownMessage(m) ? "Down" : m)
        assert.deepStrictEqual(tags, overflow === "dropOldest" ? ["Exit", "Down", "third"] : ["first", "Exit", "Down"])
      }
    })))

  it.effect("a full bounded server under a supervisor is shut down and answers Sys", () =>
    inNode(Effect.gen(function*() {
      const tree = yield* Supervisor.start([
        GenServer.childSpec(Counter, 0, { name: "bounded", mailbox: { capacity: 1, overflow: "reject" } })
      ])
      const server = Option.getOrThrow(yield* Process.whereis("bounded"))
      yield* Sys.suspend(server)
      const counter = GenServer.ref(Counter, "bounded")
      yield* GenServer.cast(counter, Add, { by: 1 })
      yield* GenServer.cast(counter, Add, { by: 1 })
      assert.strictEqual((yield* boundOf(server)).dropped, 1)
      const status = yield* Sys.getStatus(server)
      assert.strictEqual(status.state, 0)
      const ref = yield* Process.monitor(server)
      yield* Supervisor.stop(tree)
      const down = yield* Process.receive({ match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === ref })
      assert.strictEqual(down.reason._tag, "Shutdown")
    })))

  it.effect("a StateMachine's own timeouts pass its full mailbox", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const Tick = StateMachine.make({
        name: "Tick",
        casts: [Flip],
        init: () => StateMachine.ok("idle", 0, StateMachine.stateTimeout("1 second", "fire")),
        states: {
          idle: {
            casts: { Flip: (_, n) => StateMachine.keepState(n + 1) },
            stateTimeout: (content, n) => Effect.as(Process.send(me, { timedOut: content, n }), StateMachine.keepState(n))
          }
        }
      })
      const server = yield* StateMachine.start(Tick, undefined, { mailbox: { capacity: 1, overflow: "dropNewest" } })
      const machine = server.pid!
      yield* Sys.suspend(machine)
      yield* StateMachine.cast(server, Flip)
      yield* StateMachine.cast(server, Flip)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* queueLength(machine), 2)
      yield* Sys.resume(machine)
      // The timeout came after the cast the bound kept, over the capacity, and was handled.
      const fired = yield* Process.receive({
        match: (m): m is { timedOut: unknown; n: number } => typeof m === "object" && m !== null && "timedOut" in m
      })
      assert.deepStrictEqual(fired, { timedOut: "fire", n: 1 })
      assert.strictEqual((yield* boundOf(machine)).dropped, 1)
    })))
})

describe("bounded mailboxes: selective receive", () => {
  const isGo = (m: unknown): m is "go" => m === "go"

  it.effect("skipped messages count: under dropNewest the awaited message is dropped, under dropOldest it gets in", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      for (const overflow of ["dropNewest", "dropOldest"] as const) {
        const pid = yield* Process.spawn(
          Effect.gen(function*() {
            const go = yield* Process.receive({ match: isGo, timeout: "1 second" })
            yield* Process.send(me, { go: Option.isSome(go), drained: yield* drain })
          }),
          { mailbox: { capacity: 3, overflow } }
        )
        for (const m of ["a", "b", "c", "go"]) yield* Process.send(pid, m)
        yield* TestClock.adjust("1 second")
        const result: unknown = yield* Process.receive({ match: isDrained })
        assert.deepStrictEqual(
          result,
          overflow === "dropNewest" ? { go: false, drained: ["a", "b", "c"] } : { go: true, drained: ["b", "c"] }
        )
      }
    })))

  it.effect("dropOldest under a waiting selective receive skips no message (its scan follows the drops)", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const isEven = (m: unknown): m is number => typeof m === "number" && m % 2 === 0
      const pid = yield* Process.spawn(
        Effect.gen(function*() {
          yield* Process.trapExit(true)
          const linked = yield* Process.spawnLink(Process.receive())
          yield* Process.exit(linked, ExitReason.shutdown())
          yield* Process.receive({ match: (m) => m === "start" })
          // An Exit message stays at the head: the drops below are not at the head.
          const evens: Array<number> = []
          for (let i = 0; i < 3; i++) evens.push(yield* Process.receive({ match: isEven }))
          yield* Process.send(me, { drained: [evens, yield* drain] })
        }),
        { mailbox: { capacity: 3, overflow: "dropOldest" } }
      )
      yield* Effect.yieldNow
      yield* Process.send(pid, "start")
      for (const m of [1, 3, 5, 6, 7, 9, 11, 12, 13, 15, 17, 19, 20]) {
        yield* Process.send(pid, m)
        yield* Effect.yieldNow
      }
      const { drained } = yield* Process.receive({ match: isDrained })
      const [evens, rest] = drained as [Array<number>, Array<unknown>]
      assert.deepStrictEqual(evens, [6, 12, 20])
      // [Exit, 19]: each full send dropped the oldest number, never the Exit at the head.
      assert.strictEqual(rest.length, 2)
      assert.isTrue(Process.isExitMessage(rest[0]))
      assert.deepStrictEqual(rest.slice(1), [19])
    })))
})

describe("bounded mailboxes: faults", () => {
  it.effect("a bounded process killed while its senders are refused: then sends succeed (dropped) and calls get NoProc", () =>
    inNode(Effect.gen(function*() {
      const server = yield* GenServer.start(Counter, 0, { mailbox: { capacity: 2, overflow: "reject" } })
      const pid = server.pid!
      yield* Sys.suspend(pid)
      // A pending call is in the mailbox when the server dies: it gets CallExit.
      const pending = yield* Effect.forkChild(GenServer.call(server, Get, undefined, { timeout: "infinity" }))
      yield* Effect.yieldNow
      yield* GenServer.cast(server, Add, { by: 1 })
      const refused = yield* Effect.flip(Process.trySend(pid, "x"))
      assert.strictEqual(refused._tag, "MailboxFull")
      const sender = yield* Effect.forkChild(Effect.gen(function*() {
        let refusals = 0
        while (true) {
          const exit = yield* Effect.exit(Process.trySend(pid, "more"))
          if (Exit.isSuccess(exit)) return refusals
          refusals++
          yield* Effect.yieldNow
        }
      }))
      yield* Effect.yieldNow
      yield* Effect.yieldNow
      yield* Process.exit(pid, ExitReason.kill)
      const refusals = yield* Fiber.join(sender)
      assert.isAbove(refusals, 0)
      const callExit = yield* Effect.flip(Fiber.join(pending))
      assert.strictEqual(callExit._tag, "CallExit")
      assert.strictEqual((yield* Effect.flip(GenServer.call(server, Get)))._tag, "NoProc")
      yield* Process.trySend(pid, "after")
      assert.isTrue(Option.isNone(yield* Process.info(pid)))
    })))
})

// ----------------------------------------------------------------------------
// Property: any interleaving of sends and receives gives the model's messages
// ----------------------------------------------------------------------------

type Op =
  | { readonly op: "send"; readonly value: number }
  | { readonly op: "trySend"; readonly value: number }
  | { readonly op: "receive" }
  | { readonly op: "receiveEven" }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("send" as const), value: fc.nat(99) }),
  fc.record({ op: fc.constant("trySend" as const), value: fc.nat(99) }),
  fc.constant({ op: "receive" as const }),
  fc.constant({ op: "receiveEven" as const })
)

/** What the mailbox should do: a plain array under the policy. */
const model = (ops: ReadonlyArray<Op>, capacity: number, overflow: Process.Overflow) => {
  const queue: Array<number> = []
  const out: Array<unknown> = []
  const refused: Array<boolean> = []
  let dropped = 0
  for (const o of ops) {
    if (o.op === "send" || o.op === "trySend") {
      const full = queue.length >= capacity
      if (o.op === "trySend") {
        refused.push(full && overflow === "reject")
        out.push("?")
      }
      if (!full) queue.push(o.value)
      else {
        dropped++
        if (overflow === "dropOldest") {
          queue.shift()
          queue.push(o.value)
        }
      }
    } else if (o.op === "receive") {
      out.push(queue.length > 0 ? queue.shift()! : "none")
    } else {
      const i = queue.findIndex((m) => m % 2 === 0)
      out.push(i >= 0 ? queue.splice(i, 1)[0]! : "none")
    }
  }
  return { out, refused, dropped, left: queue }
}

describe("bounded mailboxes: property", () => {
  it("for any interleaving of sends and receives, a process receives what the model says", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { maxLength: 60 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom<Process.Overflow>("dropNewest", "dropOldest", "reject"),
        async (ops, capacity, overflow) => {
          const expected = model(ops, capacity, overflow)
          const actual = await Effect.runPromise(
            Process.run(
              Effect.gen(function*() {
                const me = yield* Process.self
                const out: Array<unknown> = []
                const refused: Array<boolean> = []
                for (const o of ops) {
                  if (o.op === "send") yield* Process.send(me, o.value)
                  else if (o.op === "trySend") {
                    const exit = yield* Effect.exit(Process.trySend(me, o.value))
                    refused.push(Exit.isFailure(exit))
                    out.push("?")
                  } else {
                    const got = yield* Process.receive(
                      o.op === "receive" ? { timeout: 0 } : { match: (m: unknown) => (m as number) % 2 === 0, timeout: 0 }
                    )
                    out.push(Option.getOrElse(got, () => "none"))
                  }
                }
                const info = Option.getOrThrow(yield* Process.info(me))
                const bound = Option.getOrThrow(info.mailbox)
                return { out, refused, dropped: bound.dropped, left: yield* drain }
              }),
              { mailbox: { capacity, overflow } }
            ).pipe(Effect.provide(Node.layer()))
          )
          assert.deepStrictEqual(actual.out, expected.out)
          assert.deepStrictEqual(actual.refused, expected.refused)
          assert.strictEqual(actual.dropped, expected.dropped)
          assert.deepStrictEqual(actual.left, expected.left)
        }
      ),
      { numRuns: 300 }
    )
  })
})
