/**
 * XState: an xstate v5 machine hosted as a supervised process, unchanged. {@link make} turns a
 * machine (`createMachine(...)` or `setup(...).createMachine(...)`) into a `StateMachine` module,
 * so everything that takes one works as it is: `StateMachine.start`, `startLink`, `childSpec`,
 * `call`, `cast` and `stop`, supervisors, names, `Sys`, `Code.upgrade` and the observer.
 *
 * ## When to use it
 *
 * - You have xstate machines and want them as long-lived processes of a backend: restarted clean
 *   by a supervisor when an action throws, with a crash report naming the state, the context and
 *   the last event; called with typed replies from any fiber; their `after` timers on `Clock`
 *   (so a test drives them with `TestClock`); upgraded while they run, snapshot kept.
 * - For a new machine written for effect-otp, `StateMachine` itself is the closer fit: its
 *   handlers return Effects, reply when they choose (also later), postpone events and time out
 *   by state. Keep xstate for the machines you have, its visual tools, or its actor model inside
 *   one process (invoked promises, child machines).
 *
 * ## A counter
 *
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { Node, StateMachine, Supervisor } from "effect-otp"
 * import { XState } from "effect-otp/xstate"
 * import { assign, setup } from "xstate"
 *
 * // An xstate machine, as it is.
 * const machine = setup({
 *   types: {
 *     context: {} as { count: number },
 *     events: {} as { type: "Add"; by: number } | { type: "Get" } | { type: "Reset" },
 *     input: {} as { start: number }
 *   }
 * }).createMachine({
 *   context: ({ input }) => ({ count: input.start }),
 *   on: {
 *     Add: { actions: assign({ count: ({ context, event }) => context.count + event.by }) },
 *     Reset: { actions: assign({ count: 0 }) }
 *   }
 * })
 *
 * // Its protocol: each call and cast is one of its events, `{ type: tag, ...payload }`.
 * const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })
 * const Get = Rpc.make("Get", { success: Schema.Number })
 * const Reset = Rpc.make("Reset")
 *
 * const Counter = XState.make({
 *   name: "Counter",
 *   machine,
 *   calls: [Add, Get],
 *   casts: [Reset],
 *   // A call's reply is read from the snapshot its event led to.
 *   replies: {
 *     Add: (snapshot) => snapshot.context.count,
 *     Get: (snapshot) => snapshot.context.count
 *   }
 * })
 *
 * const program = Effect.gen(function*() {
 *   // Supervised: restarted from its initial state if an action throws.
 *   yield* Supervisor.start([StateMachine.childSpec(Counter, { start: 10 }, { name: "counter" })])
 *   const counter = StateMachine.ref(Counter, "counter")
 *   yield* StateMachine.call(counter, Add, { by: 5 }) // 15: typed as number
 *   yield* StateMachine.cast(counter, Reset)
 *   return yield* StateMachine.call(counter, Get) // 0
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * ## How xstate maps to effect-otp
 *
 * | xstate | effect-otp |
 * |---|---|
 * | `createActor(machine, { input }).start()` | `StateMachine.start(Module, input)`, `startLink`, or `childSpec` under a supervisor |
 * | `actor.send({ type: "Reset" })` | `StateMachine.cast(server, Reset)`: a cast `Rpc` is the event `{ type: tag, ...payload }` |
 * | request and response (an event carrying `replyTo`, answered with `sendTo`) | `StateMachine.call(server, Add, { by: 5 })`: the event is sent, then `replies.Add(snapshot, payload, previous)` answers from the snapshot it led to, typed by the `Rpc`; {@link failure} answers with the `Rpc`'s error |
 * | any other event | any message `{ type: string, ... }` sent to the process (`Process.send`); other messages are dropped with a warning |
 * | `snapshot.value`, `snapshot.context` | the process's state and data: `Sys.getState` gives `{ state: value, data: context }`, as do `Sys.getStatus`, the observer and the crash report |
 * | a final state (`status: "done"`, its `output`) | the process stops, reason `normal` (a `transient` child is not restarted); a call that leads there is answered first, its reply function sees `snapshot.output` |
 * | an error (`status: "error"`: an action, guard or invoked actor threw) | the process crashes with the error (`Crash` with the error as a defect): error report, linked processes and monitors told, a supervisor restarts it from the machine's initial state |
 * | `after`, a delayed `raise` or `sendTo` (the `clock`: `setTimeout` by default) | the actor's `clock` is the process's timers (`Process.sendAfter`): on `Clock`, so `TestClock` drives them, and each fires as a message the process handles between the others |
 * | the `log` action (`console.log`) | `Effect.log` on the process |
 * | `actor.getPersistedSnapshot()` into `createActor(newMachine, { snapshot })` | `Code.upgrade(NewVersion)` or `Sys.changeCode`: the new version's machine restores the running snapshot (migrated by its `codeChange`), and the delayed events pending keep their time |
 * | `actor.stop()` | `StateMachine.stop(server)`, or its supervisor; a killed process stops its actor too |
 *
 * ## Why replies are read from the snapshot
 *
 * An xstate machine has no notion of a reply: what it knows after an event is its snapshot. So
 * a call is the event, and its answer a function of the snapshot the event led to (with the
 * payload and the snapshot before, e.g. `previous.can(...)` to tell an event the state did not
 * take). The machine stays as it is (no `replyTo` to thread through, nothing to emit), its
 * `Rpc` fixes the reply's type, a missing reply function is a compile error, and the answer is
 * consistent with the state the caller will see next. The call returns once the machine has
 * handled the event (its macrostep, synchronous in xstate).
 *
 * ## Differences and limits
 *
 * - An event no state takes is ignored, as xstate ignores it (no warning); a call is still
 *   answered from the snapshot. A call or cast whose tag the module does not declare gets
 *   `UnknownRequest` (or is dropped with a warning), as with any `StateMachine`.
 * - The calls' and casts' events are checked against the machine's event types: a `Rpc` whose
 *   `{ type, ...payload }` is no event of the machine, or whose payload is not an object (or has
 *   its own `type`), is a compile error. From an untyped caller, a payload that is no object
 *   fails the call with `BadArgument` (a cast is dropped with a warning).
 * - What xstate does between two messages (an invoked promise settles, a child machine sends to
 *   its parent) changes the snapshot outside the process; the process is told with a message of
 *   its own, and its state follows when it handles it (crashing if the snapshot is an error).
 * - A crash restarts the machine from its initial state (its snapshot is not kept), as an OTP
 *   process restarts from `init`; persist the snapshot yourself for more.
 * - `Sys.replaceState` changes what `Sys` shows, not the machine's snapshot: the next event
 *   sets the state and data back from it.
 * - Not hosted: `inspect`, `systemId`, `actor.subscribe` and `actor.on` (emitted events have no
 *   listener). Delayed events of child actors are not carried over by a code change (xstate
 *   persists none, statelyai/xstate#5331; the machine's own are).
 *
 * @since 0.1.0
 */
import type * as Rpc from "effect/rpc/Rpc"
import type { StateMachine } from "effect-otp"
import type { AnyStateMachine, ContextFrom, EventFromLogic, InputFrom, SnapshotFrom, StateValue } from "xstate"
import * as internal from "./internal/host.js"

// ----------------------------------------------------------------------------
// Replies
// ----------------------------------------------------------------------------

/**
 * What a reply function returns to fail its call with the `Rpc`'s declared error: made by
 * {@link failure}.
 *
 * @category replies
 * @since 0.1.0
 */
export interface Failure<E> {
  /** The error the caller's `StateMachine.call` fails with. */
  readonly error: E
}

/**
 * Fails the call with `error`, one of its `Rpc`'s declared errors: return it from a reply
 * function instead of a value (the machine's transition stands, as with any reply).
 *
 * @example
 * ```ts
 * import { Data, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { XState } from "effect-otp/xstate"
 * import { assign, setup } from "xstate"
 *
 * class Insufficient extends Schema.TaggedError<Insufficient>()("Insufficient", { balance: Schema.Number }) {}
 * const Withdraw = Rpc.make("Withdraw", { payload: { amount: Schema.Number }, success: Schema.Number, error: Insufficient })
 *
 * const account = setup({
 *   types: { context: {} as { balance: number }, events: {} as { type: "Withdraw"; amount: number } }
 * }).createMachine({
 *   context: { balance: 100 },
 *   on: {
 *     Withdraw: {
 *       guard: ({ context, event }) => event.amount <= context.balance,
 *       actions: assign({ balance: ({ context, event }) => context.balance - event.amount })
 *     }
 *   }
 * })
 *
 * const Account = XState.make({
 *   name: "Account",
 *   machine: account,
 *   calls: [Withdraw],
 *   replies: {
 *     // The guard refused: the state before could not take the event.
 *     Withdraw: (snapshot, payload, previous) =>
 *       previous.can({ type: "Withdraw", ...payload })
 *         ? snapshot.context.balance
 *         : XState.failure(new Insufficient({ balance: snapshot.context.balance }))
 *   }
 * })
 * ```
 *
 * @category replies
 * @since 0.1.0
 */
export const failure = <E>(error: E): Failure<E> => new internal.Failure(error)

/**
 * The reply functions of the calls `Calls`, one per tag: each answers from the snapshot the
 * call's event led to, with the call's payload and the snapshot before.
 *
 * @category models
 * @since 0.1.0
 */
export type Replies<TMachine extends AnyStateMachine, Calls extends Rpc.Any> = {
  readonly [Tag in Calls["_tag"]]: (
    snapshot: SnapshotFrom<TMachine>,
    payload: Rpc.Payload<Extract<Calls, { readonly _tag: Tag }>>,
    previous: SnapshotFrom<TMachine>
  ) =>
    | Rpc.Success<Extract<Calls, { readonly _tag: Tag }>>
    | Failure<Rpc.Error<Extract<Calls, { readonly _tag: Tag }>>>
}

// ----------------------------------------------------------------------------
// Definitions
// ----------------------------------------------------------------------------

/**
 * What {@link make} takes: the machine, its protocol and how calls are answered.
 *
 * @category models
 * @since 0.1.0
 */
export interface Definition<TMachine extends AnyStateMachine, Calls extends Rpc.Any, Casts extends Rpc.Any> {
  /** The module's name, as `Sys.getStatus`, the code server and the error report show it. */
  readonly name: string
  /** The module's version (default `"1"`), given to the next version's `codeChange`. */
  readonly version?: string | undefined
  /** The xstate machine: `createMachine(...)` or `setup(...).createMachine(...)`. */
  readonly machine: TMachine
  /** The call requests (`Rpc.make`): each is sent as the event `{ type: tag, ...payload }`. */
  readonly calls?: ReadonlyArray<Calls> | undefined
  /** The cast requests (`Rpc.make`): each is sent as the event `{ type: tag, ...payload }`. */
  readonly casts?: ReadonlyArray<Casts> | undefined
  /** How each call is answered (required when there are calls). */
  readonly replies?: Replies<TMachine, Calls> | undefined
  /**
   * Migrates a running machine's state value and context from `oldVersion` to this version's
   * machine (default: kept as they are). Throwing fails the code change: the process keeps its
   * old code and snapshot.
   */
  readonly codeChange?:
    | ((old: { readonly value: StateValue; readonly context: unknown }, oldVersion: string, extra: unknown) => {
      readonly value: SnapshotFrom<TMachine>["value"]
      readonly context: ContextFrom<TMachine>
    })
    | undefined
}

/**
 * The types {@link make} checks a definition with.
 *
 * @category models
 * @since 0.1.0
 */
export declare namespace Definition {
  /** The xstate event a request `Req` is sent as. */
  export type EventOf<Req extends Rpc.Any> = Req extends Rpc.Any
    ? [Rpc.Payload<Req>] extends [void] ? { readonly type: Req["_tag"] }
    : Rpc.Payload<Req> & { readonly type: Req["_tag"] }
    : never
  /** The tags of the requests `Reqs` whose event is none of the machine's. */
  export type NotEvents<TMachine extends AnyStateMachine, Reqs extends Rpc.Any> = Reqs extends Rpc.Any
    ? [EventOf<Reqs>] extends [EventFromLogic<TMachine>] ? never : Reqs["_tag"]
    : never
  /** The tags of the requests `Reqs` whose payload is not an object without its own `type`. */
  export type BadPayloads<Reqs extends Rpc.Any> = Reqs extends Rpc.Any
    ? [Rpc.Payload<Reqs>] extends [void] ? never
    : [Rpc.Payload<Reqs>] extends [object] ? "type" extends keyof Rpc.Payload<Reqs> ? Reqs["_tag"] : never
    : Reqs["_tag"]
    : never
  /**
   * Replies are given when there are calls; every request is an event of the machine with an
   * object payload (names the offenders in the error).
   */
  export type Check<TMachine extends AnyStateMachine, Calls extends Rpc.Any, Casts extends Rpc.Any> =
    & ([Calls] extends [never] ? unknown : { readonly replies: Replies<TMachine, Calls> })
    & ([NotEvents<TMachine, Calls | Casts>] extends [never] ? unknown
      : { readonly "not an event of the machine": NotEvents<TMachine, Calls | Casts> })
    & ([BadPayloads<Calls | Casts>] extends [never] ? unknown
      : { readonly "payload is not an object without a type field": BadPayloads<Calls | Casts> })
}

/**
 * The module {@link make} returns: a `StateMachine` module whose start arguments are the
 * machine's input, whose state is the snapshot's value and whose data is its context.
 *
 * @category models
 * @since 0.1.0
 */
export type Module<TMachine extends AnyStateMachine, Calls extends Rpc.Any, Casts extends Rpc.Any> = StateMachine.Module<
  InputFrom<TMachine>,
  SnapshotFrom<TMachine>["value"],
  ContextFrom<TMachine>,
  Calls,
  Casts,
  never
>

/**
 * Hosts `machine` as a `StateMachine` module: start it with `StateMachine.start(Module, input)`
 * (the machine's input; `undefined` if it takes none), or under a supervisor with
 * `StateMachine.childSpec`. Each call and cast is sent as the event `{ type: tag, ...payload }`;
 * a call is answered by its `replies` function from the snapshot the event led to. The module's
 * processes run the machine as xstate runs it, one event at a time from the mailbox.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { StateMachine } from "effect-otp"
 * import { XState } from "effect-otp/xstate"
 * import { createMachine } from "xstate"
 *
 * const light = createMachine({
 *   initial: "green",
 *   states: {
 *     green: { on: { Next: "yellow" } },
 *     yellow: { on: { Next: "red" }, after: { 3000: "red" } },
 *     red: { on: { Next: "green" } }
 *   }
 * })
 *
 * const Next = Rpc.make("Next", { success: Schema.String })
 *
 * const Light = XState.make({
 *   name: "Light",
 *   machine: light,
 *   calls: [Next],
 *   replies: { Next: (snapshot) => String(snapshot.value) }
 * })
 *
 * const program = Effect.gen(function*() {
 *   const lamp = yield* StateMachine.start(Light, undefined)
 *   return yield* StateMachine.call(lamp, Next) // "yellow"
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <
  TMachine extends AnyStateMachine,
  Calls extends Rpc.Any = never,
  Casts extends Rpc.Any = never
>(
  definition: Definition<TMachine, Calls, Casts> & Definition.Check<TMachine, Calls, Casts>
): Module<TMachine, Calls, Casts> => internal.make(definition as unknown as internal.Definition) as Module<TMachine, Calls, Casts>
