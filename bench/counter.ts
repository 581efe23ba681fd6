/**
 * The counter server the GenServer benchmarks use, with its baselines' messages and the peers'
 * counters (an xstate machine, a nact actor, an Effect cluster entity).
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schema from "effect/Schema"
import { Entity, TestRunner } from "effect/cluster"
import { Rpc } from "effect/rpc"
import { dispatch, type Ref, spawn } from "nact"
import { type AnyActorRef, assign, sendTo, setup } from "xstate"
import { GenServer, type Node, Process } from "../index.js"
import { check, Mailbox, perSecond } from "./common.js"

/** Cast: add one. */
export const Inc = Rpc.make("Inc")
/** Call: the count. */
export const Get = Rpc.make("Get", { success: Schema.Number })
/** Call: add `by`, answer the new count. */
export const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })

/** The effect-otp counter, as in `examples/counter.ts`. */
export const Counter = GenServer.make({
  name: "BenchCounter",
  calls: [Get, Add],
  casts: [Inc],
  init: (start: number) => GenServer.ok(start),
  handleCall: {
    Get: (_, count) => GenServer.reply(count, count),
    Add: ({ by }, count) => GenServer.reply(count + by, count + by)
  },
  handleCast: {
    Inc: (_, count) => GenServer.noreply(count + 1)
  }
})

/**
 * effect-otp's call round trips as `genserver_call_round_trips` measures them (the telemetry
 * case runs it again on other nodes): a process makes `n` sequential `GenServer.call`s of
 * `Add { by: 1 }` to a `Counter`; calls per second, the last answer checked.
 */
export const otpCallRoundTrips = (n: number): Effect.Effect<number, never, Node.Node> =>
  Process.run(Effect.gen(function*() {
    const counter = yield* GenServer.start(Counter, 0)
    let last = 0
    const t0 = performance.now()
    for (let i = 0; i < n; i++) last = yield* GenServer.call(counter, Add, { by: 1 })
    const ms = performance.now() - t0
    check("last reply", last, n)
    return perSecond(n, ms)
  })).pipe(Effect.orDie)

/** The baselines' protocol: `R` is how a reply travels (a `Deferred`, a callback). */
export type CounterMessage<R> =
  | { readonly _tag: "Inc" }
  | { readonly _tag: "Get"; readonly reply: R }
  | { readonly _tag: "Add"; readonly by: number; readonly reply: R }

/** effect-queue: the counter as a fiber serving an unbounded `Queue`; replies by `Deferred`. */
export const serveQueueCounter = (inbox: Queue.Queue<CounterMessage<Deferred.Deferred<number>>>): Effect.Effect<never> =>
  Effect.gen(function*() {
    let count = 0
    while (true) {
      const message = yield* Queue.take(inbox)
      switch (message._tag) {
        case "Inc":
          count++
          break
        case "Add":
          count += message.by
          yield* Deferred.succeed(message.reply, count)
          break
        case "Get":
          yield* Deferred.succeed(message.reply, count)
      }
    }
  })

/** plain-js: the counter as a {@link Mailbox} whose handler keeps the count; replies by callback. */
export const plainCounter = (): Mailbox<CounterMessage<(count: number) => void>> => {
  let count = 0
  return new Mailbox((message) => {
    switch (message._tag) {
      case "Inc":
        count++
        break
      case "Add":
        count += message.by
        message.reply(count)
        break
      case "Get":
        message.reply(count)
    }
  })
}

// ----------------------------------------------------------------------------
// The peers' counters, each as its library's docs write an actor with state
// ----------------------------------------------------------------------------

/** xstate: the counter's events. A reply is an event sent to `replyTo` (xstate's send + reply). */
export type XCounterEvent =
  | { readonly type: "inc" }
  | { readonly type: "get"; readonly replyTo: AnyActorRef }
  | { readonly type: "add"; readonly by: number; readonly replyTo: AnyActorRef }

/** xstate: what the counter answers `get` and `add` with. */
export interface XReply {
  readonly type: "reply"
  readonly count: number
}

/** xstate: the counter machine; the count is its context, updated with `assign`. */
export const xCounter = setup({
  types: {
    context: {} as { count: number },
    events: {} as XCounterEvent,
    input: {} as number
  }
}).createMachine({
  id: "counter",
  context: ({ input }) => ({ count: input }),
  on: {
    inc: { actions: assign({ count: ({ context }) => context.count + 1 }) },
    add: {
      actions: [
        assign({ count: ({ context, event }) => context.count + event.by }),
        sendTo(({ event }) => event.replyTo, ({ context }): XReply => ({ type: "reply", count: context.count }))
      ]
    },
    get: { actions: sendTo(({ event }) => event.replyTo, ({ context }): XReply => ({ type: "reply", count: context.count })) }
  }
})

/**
 * xstate: a client making `n` sequential `add` calls to a counter: it sends `add` with itself as
 * `replyTo` and sends the next one when the reply comes; its output is the last count.
 */
export const xCaller = setup({
  types: {
    context: {} as { server: AnyActorRef; left: number; last: number },
    events: {} as XReply,
    input: {} as { server: AnyActorRef; n: number },
    output: {} as number
  }
}).createMachine({
  id: "caller",
  context: ({ input }) => ({ server: input.server, left: input.n, last: 0 }),
  entry: sendTo(({ context }) => context.server, ({ self }) => ({ type: "add", by: 1, replyTo: self })),
  initial: "calling",
  states: {
    calling: {
      on: {
        reply: [
          {
            guard: ({ context }) => context.left > 1,
            actions: [
              assign({ left: ({ context }) => context.left - 1, last: ({ event }) => event.count }),
              sendTo(({ context }) => context.server, ({ self }) => ({ type: "add", by: 1, replyTo: self }))
            ]
          },
          { target: "done", actions: assign({ left: 0, last: ({ event }) => event.count }) }
        ]
      }
    },
    done: { type: "final" }
  },
  output: ({ context }) => context.last
})

/** nact: the counter's messages; a reply is dispatched to `sender` (a `query`'s temporary ref). */
export type NactCounterMessage =
  | { readonly type: "inc" }
  | { readonly type: "get"; readonly sender: Ref<number> }
  | { readonly type: "add"; readonly by: number; readonly sender: Ref<number> }

/** nact: the counter, a stateful actor (the state is the count) under `parent`. */
export const nactCounter = (parent: Ref<any>): Ref<NactCounterMessage> =>
  spawn(parent, (count: number, message: NactCounterMessage) => {
    switch (message.type) {
      case "inc":
        return count + 1
      case "add":
        dispatch(message.sender, count + message.by)
        return count + message.by
      case "get":
        dispatch(message.sender, count)
        return count
    }
  }, "counter", { initialState: 0 })

/** effect-cluster: the counter entity, with the GenServer's own protocol (`Inc`, `Get`, `Add`). */
export const CounterEntity = Entity.make("BenchCounter", [Inc, Get, Add])

/** effect-cluster: the entity's handlers; the count lives in the entity instance. */
export const CounterEntityLayer = CounterEntity.toLayer(Effect.sync(() => {
  let count = 0
  return CounterEntity.of({
    Inc: () =>
      Effect.sync(() => {
        count++
      }),
    Get: () => Effect.sync(() => count),
    Add: ({ payload }) => Effect.sync(() => (count += payload.by))
  })
}))

/** effect-cluster: the entity registered on Effect's in-memory cluster (`TestRunner.layer`). */
export const clusterLayer = CounterEntityLayer.pipe(Layer.provideMerge(TestRunner.layer))

/** xstate: an idle actor, a machine waiting for `msg` (spawn and memory benchmarks). */
export const xIdle = setup({ types: { events: {} as { readonly type: "msg" } } }).createMachine({
  id: "idle",
  on: { msg: {} }
})
