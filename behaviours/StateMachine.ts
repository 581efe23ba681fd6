/**
 * StateMachine: a process that is in one of a set of states and reacts to events according to
 * the state it is in, OTP's `gen_statem`.
 *
 * A module is a value, as a GenServer's: a protocol (calls and casts declared with Effect's
 * `Rpc.make`, each fixing its payload, reply and error) and callbacks holding only business
 * logic. The state (which of the machine's states it is in) and the data (what it keeps
 * besides) are typed separately. The generic part is the library's: the loop, system messages,
 * error report ({@link Loop}), debugging ({@link Sys}), hot code change ({@link Code}), the call
 * protocol and naming ({@link Gen}).
 *
 * ## When to pick it
 *
 * - **Over a GenServer**, when what a message means depends on the state: a protocol handler, a
 *   connection (connecting, connected, backing off), a device, a door lock, a workflow. The
 *   machine's tables say per state what it does, events that cannot be handled yet wait
 *   ({@link postpone}) until the state changes, and the timeouts that belong to a state
 *   ({@link stateTimeout}) end when it is left, without bookkeeping in the data.
 * - **Over xstate**, when the machine is a long-lived process of a backend: it is supervised
 *   (restarted clean when it crashes, with a crash report naming its state and the event), its
 *   calls have typed replies, it runs timers on `Clock` (so tests drive them with `TestClock`),
 *   and its code can be upgraded while it runs. An existing xstate machine can be hosted as such
 *   a process unchanged: see `XState` (the `effect-otp/xstate` entry point).
 *
 * ## A door lock
 *
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { Node, StateMachine } from "effect-otp"
 *
 * const Press = Rpc.make("Press", { payload: { digit: Schema.Number }, success: Schema.String })
 * const Status = Rpc.make("Status", { success: Schema.String })
 *
 * interface Data { readonly code: ReadonlyArray<number>; readonly entered: ReadonlyArray<number> }
 *
 * const Lock = StateMachine.make({
 *   name: "Lock",
 *   calls: [Press, Status],
 *   init: (code: ReadonlyArray<number>) => StateMachine.ok("locked", { code, entered: [] } as Data),
 *   states: {
 *     locked: {
 *       calls: {
 *         Press: ({ digit }, data, from) => {
 *           const entered = [...data.entered, digit]
 *           if (entered.join() === data.code.join()) {
 *             // Open for 10 seconds: the state timeout ends with the state.
 *             return StateMachine.nextState("open", { ...data, entered: [] }, [
 *               StateMachine.reply(from, "open"),
 *               StateMachine.stateTimeout("10 seconds", "lock")
 *             ])
 *           }
 *           return StateMachine.keepState({ ...data, entered: entered.slice(-data.code.length) }, StateMachine.reply(from, "locked"))
 *         },
 *         Status: (_, __, from) => StateMachine.keepStateAndData(StateMachine.reply(from, "locked"))
 *       }
 *     },
 *     open: {
 *       calls: {
 *         // Pressing while open waits until the door is locked again.
 *         Press: () => StateMachine.keepStateAndData(StateMachine.postpone),
 *         Status: (_, __, from) => StateMachine.keepStateAndData(StateMachine.reply(from, "open"))
 *       },
 *       stateTimeout: (_content, data) => StateMachine.nextState("locked", data)
 *     }
 *   }
 * })
 *
 * const program = Effect.gen(function*() {
 *   const lock = yield* StateMachine.start(Lock, [1, 2, 3])
 *   yield* StateMachine.call(lock, Press, { digit: 1 })
 *   yield* StateMachine.call(lock, Press, { digit: 2 })
 *   return yield* StateMachine.call(lock, Press, { digit: 3 }) // "open": typed as string
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * A state missing from `states`, a transition to an undeclared state, a handler for an
 * undeclared request, a declared request no state handles, or a reply of the wrong type is a
 * compile error.
 *
 * ## Two callback modes
 *
 * - **State functions** (`states`, as above): one handler table per state, keyed by the states'
 *   names (strings). Each table may have `enter`, `calls`, `casts`, `info`, `eventTimeout`,
 *   `stateTimeout`, `timeout` (generic timeouts) and `internal` (inserted events); what a state
 *   leaves out, it does not handle (see Faults).
 * - **One function** (`handleEvent(event, state, data)`): for states that are not names (a
 *   record, a tuple), or handling shared by many states. `event` is a tagged union: `Call`
 *   (`tag`, `payload`, `from`), `Cast` (`tag`, `payload`), `Info` (`message`), `EventTimeout`,
 *   `StateTimeout` (`content`), `Timeout` (`name`, `content`), `Internal` (`content`) and, with
 *   `stateEnter: true`, `Enter` (`oldState`). States are compared with `Equal.equals`
 *   (structurally, as Erlang compares terms) to tell a state change.
 *
 * ## Results and actions
 *
 * A handler returns what to do (or an Effect of it): {@link nextState}, {@link keepState},
 * {@link keepStateAndData}, {@link repeatState}, {@link repeatStateAndData}, {@link stopWith},
 * {@link stopAndReply}; each with actions (one, or an array), run in order:
 *
 * - {@link reply} and {@link replyFailure}: answer a call, now or any time later (keep the
 *   `from` in the data); one event may answer several calls.
 * - {@link postpone}: handle this event again after the next state change, in order with the
 *   other postponed events, before anything newer.
 * - {@link nextEvent}: an internal event handled next, before the postponed events and the
 *   mailbox (several in the order given).
 * - Timeouts, each on `Clock`: {@link eventTimeout} (cancelled by any event), {@link
 *   stateTimeout} (cancelled by a state change) and {@link genericTimeout} (named, until it
 *   fires or is cancelled); set again to restart, `"infinity"` or the `cancel...` actions to
 *   cancel, the `update...` actions to change what it delivers without moving its time (with
 *   none running, it is delivered at once). A timeout of 0 is delivered after the events already
 *   queued and before any message of the mailbox; until then a cancel, a new set, a state change
 *   (the state timeout) or any event (the event timeout) takes it back. Of the timeout actions
 *   of one transition (the handler's and its enter calls' together) only the last of each timer
 *   counts, as in gen_statem.
 *
 * **State enter calls**: a state's `enter(oldState, data)` (or `handleEvent` with an `Enter`
 * event and `stateEnter: true`) runs each time the machine enters the state: after `init` for
 * the first state, after every state change, and after {@link repeatState}. It may change the
 * data, reply and set timeouts, and {@link repeatState} runs it again; it may not change the
 * state, {@link postpone} or {@link nextEvent} (a bad result).
 *
 * Client (any fiber): {@link start}, {@link startLink}, {@link call}, {@link cast}, {@link stop},
 * {@link replyTo}; any other message (`Process.send`) is an `info` event. `Sys.getState`
 * returns `{ state, data }` and `Sys.replaceState` takes and returns such a value;
 * `Sys.getStatus` (and the observer) shows `{ state, data }`, the data as `formatStatus` shows
 * it.
 *
 * A handler that returns its result directly (not as an Effect) runs as the message arrives,
 * from the node's run queue, without waking the machine's fiber (as a GenServer's); anything
 * that needs the fiber (services, `Process.self`, logging) goes in an Effect.
 *
 * ## How it maps to OTP, and where it differs
 *
 * | OTP | effect-otp |
 * |---|---|
 * | `callback_mode() -> state_functions` / `handle_event_function` | `states: { ... }` / `handleEvent` |
 * | `state_enter` | a state's `enter` handler / `stateEnter: true` |
 * | `{next_state, S, D, Actions}`, `{keep_state, D, A}`, `keep_state_and_data`, `{repeat_state, ...}` | {@link nextState}, {@link keepState}, {@link keepStateAndData}, {@link repeatState}, {@link repeatStateAndData} |
 * | `{stop, R, D}` / `{stop_and_reply, R, Replies, D}` | {@link stopWith} / {@link stopAndReply} (the replies go before `terminate`, as OTP) |
 * | `{reply, From, R}`, `postpone`, `{next_event, internal, C}` | {@link reply}, {@link postpone}, {@link nextEvent} |
 * | `{timeout, T, C}`, `{state_timeout, T, C}`, `{{timeout, Name}, T, C}` (and `update`, `cancel`) | {@link eventTimeout}, {@link stateTimeout}, {@link genericTimeout} (and the `update...`, `cancel...` actions) |
 * | `gen_statem:reply(From, R)` | {@link replyTo} |
 * | `gen_statem:send_request(M, Req)`, `wait_response`, `receive_response`, `check_response` | {@link sendRequest}, then `Gen.waitResponse`, `Gen.receiveResponse`, `Gen.checkResponse` (see `Gen`) |
 * | `sys:get_state` gives `{State, Data}` | `Sys.getState` gives `{ state, data }` |
 * | `code_change(OldVsn, State, Data, Extra)` | `codeChange(oldVersion, { state, data }, extra)`, typed with {@link migrate} |
 * | exit `{timeout, ...}` in the caller | typed `CallTimeout` |
 * | an event the state function has no clause for crashes the machine (`function_clause`) | a call gets `UnknownRequest` and the machine goes on; other events are dropped with a warning |
 * | a bad result or action: exit `{bad_return_from_state_function, R}` (and kin) | a `Crash` carrying `Errors.BadReturnValue` |
 *
 * Not here: `hibernate` (V8 has no per-process heap to compact), absolute timeouts (`{abs,
 * true}`), `next_event` of another type than `internal`, `{push_callback_module, M}`, the
 * `debug` start options (`Sys.trace` does that on a running machine).
 *
 * ## Faults
 *
 * - **Bad results** (from untyped code: `undefined`, an unknown `_tag`, an undeclared state, a
 *   negative or `NaN` timeout, a state enter call that changes the state, postpones or inserts)
 *   stop the machine with `Errors.BadReturnValue`; `terminate` gets the state and data from
 *   before. From `init`, the start fails with `InitFailed`.
 * - **Unhandled events**: a call the current state does not handle (or no state handles, or
 *   that is not declared) gets `UnknownRequest` and changes nothing, timers included; a cast,
 *   message, timeout or internal event no handler takes is dropped with a warning.
 * - **Error report**: an abnormal exit logs OTP's `** State machine ... terminating` once, with
 *   the last event and the state and data ({@link Loop}).
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import type * as Rpc from "effect/rpc/Rpc"
import type { BadArgument, CallError, CallExit, MailboxFull, NoProc, UnknownRequest } from "../lib/Errors.js"
import type { ExitReason } from "../lib/ExitReason.js"
import * as Gen from "../lib/Gen.js"
import type { CallOptions, StartError, StartOptions, Target } from "../lib/Gen.js"
import { replyFailureUnsafe, replyUnsafe } from "../lib/internal/gen.js"
import type { Node } from "../lib/Node.js"
import { isPid, type Pid } from "../lib/Pid.js"
import type { CurrentProcess } from "../lib/Process.js"
import { type ChildSpec, type Options as ChildSpecOptions, worker } from "./ChildSpec.js"
import * as server from "./internal/server.js"
import * as internal from "./internal/statem.js"

// ----------------------------------------------------------------------------
// Reply handles
// ----------------------------------------------------------------------------

/**
 * The reply handle of a call, typed with the call's reply `A` and error `E`: {@link reply}
 * answers it with an `A`, {@link replyFailure} with an `E`.
 *
 * @category models
 * @since 0.1.0
 */
export interface From<A = unknown, E = unknown> extends Gen.From {
  /** Type only (no value at run time): the reply and error the call expects. */
  readonly "~effect-otp/StateMachine/From"?: { readonly _A: A; readonly _E: E } | undefined
}

// ----------------------------------------------------------------------------
// Actions
// ----------------------------------------------------------------------------

/**
 * What a result asks the machine to do besides its transition: reply, postpone, insert an event,
 * set, update or cancel a timeout. Made by the constructors of this module.
 *
 * @category actions
 * @since 0.1.0
 */
export type Action =
  | { readonly _tag: "Reply"; readonly from: Gen.From; readonly value: unknown }
  | { readonly _tag: "ReplyFailure"; readonly from: Gen.From; readonly error: unknown }
  | { readonly _tag: "Postpone" }
  | { readonly _tag: "NextEvent"; readonly content: unknown }
  | {
    readonly _tag: "Timeout"
    /** Which timeout: the event timeout, the state timeout, or a generic one (with `name`). */
    readonly kind: "event" | "state" | "generic"
    readonly name: string | undefined
    /** Set (with `time`), update its content, or cancel. */
    readonly op: "set" | "update" | "cancel"
    readonly time: Duration.Input | "infinity" | undefined
    readonly content: unknown
  }

/**
 * The actions of a result: none, one, or several in order.
 *
 * @category actions
 * @since 0.1.0
 */
export type Actions = Action | ReadonlyArray<Action> | undefined

/**
 * Answer a call with `value` (OTP's `{reply, From, Reply}`): the call's reply type checks it.
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * declare const from: StateMachine.From<number>
 * const answer = StateMachine.keepStateAndData(StateMachine.reply(from, 42))
 * ```
 *
 * @category actions
 * @since 0.1.0
 */
export const reply = <A>(from: From<A, any>, value: NoInfer<A>): Action => ({ _tag: "Reply", from, value })

/**
 * Fail a call with `error`, declared by its Rpc: the caller's `call` fails with it.
 *
 * @example
 * ```ts
 * import { Data } from "effect"
 * import { StateMachine } from "effect-otp"
 * class Busy extends Data.TaggedError("Busy") {}
 * declare const from: StateMachine.From<string, Busy>
 * const refuse = StateMachine.keepStateAndData(StateMachine.replyFailure(from, new Busy()))
 * ```
 *
 * @category actions
 * @since 0.1.0
 */
export const replyFailure = <E>(from: From<any, E>, error: NoInfer<E>): Action => ({ _tag: "ReplyFailure", from, error })

/**
 * Handle this event again after the next state change (OTP's `postpone`), before any newer event.
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const later = StateMachine.keepStateAndData(StateMachine.postpone)
 * ```
 *
 * @category actions
 * @since 0.1.0
 */
export const postpone: Action = { _tag: "Postpone" }

/**
 * Handle an internal event with `content` next, before the queued events and the mailbox
 * (OTP's `{next_event, internal, Content}`); the handler's `internal` (an `Internal` event) gets it.
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const thenFlush = StateMachine.keepStateAndData(StateMachine.nextEvent("flush"))
 * ```
 *
 * @category actions
 * @since 0.1.0
 */
export const nextEvent = (content: unknown): Action => ({ _tag: "NextEvent", content })

const timeoutAction = (
  kind: "event" | "state" | "generic",
  name: string | undefined,
  op: "set" | "update" | "cancel",
  time: Duration.Input | "infinity" | undefined,
  content: unknown
): Action => ({ _tag: "Timeout", kind, name, op, time, content })

/**
 * Deliver an `EventTimeout` event with `content` if no event comes within `time` (OTP's
 * `{timeout, Time, Content}`); any event cancels it, `"infinity"` sets none.
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const idle = StateMachine.keepStateAndData(StateMachine.eventTimeout("30 seconds", "idle"))
 * ```
 *
 * @category timeouts
 * @since 0.1.0
 */
export const eventTimeout = (time: Duration.Input | "infinity", content: unknown): Action =>
  timeoutAction("event", undefined, "set", time, content)

/**
 * Deliver a `StateTimeout` event with `content` after `time` unless the state changes first
 * (OTP's `{state_timeout, Time, Content}`); setting it again restarts it, `"infinity"` cancels it.
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const relock = StateMachine.nextState("open", { tries: 0 }, StateMachine.stateTimeout("10 seconds", "lock"))
 * ```
 *
 * @category timeouts
 * @since 0.1.0
 */
export const stateTimeout = (time: Duration.Input | "infinity", content: unknown): Action =>
  timeoutAction("state", undefined, "set", time, content)

/**
 * Deliver a `Timeout` event with `name` and `content` after `time` (OTP's `{{timeout, Name},
 * Time, Content}`), whatever the state; setting the same name again restarts it, `"infinity"`
 * cancels it.
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const heartbeat = StateMachine.keepStateAndData(StateMachine.genericTimeout("heartbeat", "5 seconds", "ping"))
 * ```
 *
 * @category timeouts
 * @since 0.1.0
 */
export const genericTimeout = (name: string, time: Duration.Input | "infinity", content: unknown): Action =>
  timeoutAction("generic", name, "set", time, content)

/**
 * Cancel the event timeout (OTP's `{timeout, cancel}`).
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const stay = StateMachine.keepStateAndData(StateMachine.cancelEventTimeout)
 * ```
 *
 * @category timeouts
 * @since 0.1.0
 */
export const cancelEventTimeout: Action = timeoutAction("event", undefined, "cancel", undefined, undefined)

/**
 * Cancel the state timeout (OTP's `{state_timeout, cancel}`).
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const stay = StateMachine.keepStateAndData(StateMachine.cancelStateTimeout)
 * ```
 *
 * @category timeouts
 * @since 0.1.0
 */
export const cancelStateTimeout: Action = timeoutAction("state", undefined, "cancel", undefined, undefined)

/**
 * Cancel the generic timeout `name` (OTP's `{{timeout, Name}, cancel}`).
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const quiet = StateMachine.keepStateAndData(StateMachine.cancelGenericTimeout("heartbeat"))
 * ```
 *
 * @category timeouts
 * @since 0.1.0
 */
export const cancelGenericTimeout = (name: string): Action => timeoutAction("generic", name, "cancel", undefined, undefined)

/**
 * Change what the running event timeout delivers, not when (OTP's `{timeout, update, Content}`);
 * with none running, the event is delivered at once (if no other event is queued).
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const retag = StateMachine.keepStateAndData(StateMachine.updateEventTimeout("idle again"))
 * ```
 *
 * @category timeouts
 * @since 0.1.0
 */
export const updateEventTimeout = (content: unknown): Action => timeoutAction("event", undefined, "update", undefined, content)

/**
 * Change what the running state timeout delivers, not when (OTP's `{state_timeout, update,
 * Content}`); with none running, the event is delivered after the queued events.
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const retag = StateMachine.keepStateAndData(StateMachine.updateStateTimeout("lock now"))
 * ```
 *
 * @category timeouts
 * @since 0.1.0
 */
export const updateStateTimeout = (content: unknown): Action => timeoutAction("state", undefined, "update", undefined, content)

/**
 * Change what the generic timeout `name` delivers, not when; with none running, the event is
 * delivered after the queued events.
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const retag = StateMachine.keepStateAndData(StateMachine.updateGenericTimeout("heartbeat", "ping 2"))
 * ```
 *
 * @category timeouts
 * @since 0.1.0
 */
export const updateGenericTimeout = (name: string, content: unknown): Action =>
  timeoutAction("generic", name, "update", undefined, content)

// ----------------------------------------------------------------------------
// Results
// ----------------------------------------------------------------------------

/**
 * What `init` returns: {@link ok}, {@link ignore} or {@link stopWith}.
 *
 * @category results
 * @since 0.1.0
 */
export type InitResult<S, D> =
  | { readonly _tag: "Ok"; readonly state: S; readonly data: D; readonly actions: Actions }
  | { readonly _tag: "Ignore" }
  | Stop<never>

/**
 * What a handler returns: the transition and its actions.
 *
 * @category results
 * @since 0.1.0
 */
export type Result<S, D> =
  | { readonly _tag: "NextState"; readonly state: S; readonly data: D; readonly actions: Actions }
  /** `keepData`: the data stays as it is (`data` is then `undefined`). */
  | { readonly _tag: "KeepState"; readonly data: D | undefined; readonly keepData: boolean; readonly actions: Actions }
  | { readonly _tag: "RepeatState"; readonly data: D | undefined; readonly keepData: boolean; readonly actions: Actions }
  | Stop<D>

/**
 * A stop: {@link stopWith} or {@link stopAndReply}.
 *
 * @category results
 * @since 0.1.0
 */
export interface Stop<D> {
  readonly _tag: "Stop"
  readonly reason: ExitReason
  readonly data: D | undefined
  readonly keepData: boolean
  /** The replies sent before `terminate` ({@link stopAndReply}). */
  readonly replies: Actions
}

/**
 * `init` succeeded: the machine starts in `state` with `data`, then runs `actions` (OTP's `{ok,
 * State, Data, Actions}`).
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const init = () => StateMachine.ok("idle", { count: 0 }, StateMachine.stateTimeout("1 minute", "sleep"))
 * ```
 *
 * @category results
 * @since 0.1.0
 */
export const ok = <const S, D>(state: S, data: D, actions?: Actions): InitResult<S, D> => ({ _tag: "Ok", state, data, actions })

/**
 * `init` declines to start (OTP's `ignore`): the start fails with `InitIgnored`.
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const init = (enabled: boolean) => enabled ? StateMachine.ok("on", 0) : StateMachine.ignore
 * ```
 *
 * @category results
 * @since 0.1.0
 */
export const ignore: InitResult<never, never> = { _tag: "Ignore" }

/**
 * Go to `state` with `data`, then run `actions` (OTP's `{next_state, State, Data, Actions}`).
 * A different state than the current one is a state change: postponed events are retried, the
 * state timeout is cancelled, and the new state's `enter` runs.
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const open = StateMachine.nextState("open", { tries: 0 })
 * ```
 *
 * @category results
 * @since 0.1.0
 */
export const nextState = <const S, D>(state: S, data: D, actions?: Actions): Result<S, D> => ({
  _tag: "NextState",
  state,
  data,
  actions
})

/**
 * Stay in the state with new `data` (OTP's `{keep_state, Data, Actions}`).
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const counted = (data: { count: number }) => StateMachine.keepState({ count: data.count + 1 })
 * ```
 *
 * @category results
 * @since 0.1.0
 */
export const keepState = <D>(data: D, actions?: Actions): Result<never, D> => ({ _tag: "KeepState", data, keepData: false, actions })

/**
 * Stay in the state, data unchanged (OTP's `keep_state_and_data`).
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const ignored = StateMachine.keepStateAndData()
 * ```
 *
 * @category results
 * @since 0.1.0
 */
export const keepStateAndData = (actions?: Actions): Result<never, never> =>
  actions === undefined ? keptStateAndData : { _tag: "KeepState", data: undefined, keepData: true, actions }

const keptStateAndData: Result<never, never> = { _tag: "KeepState", data: undefined, keepData: true, actions: undefined }

/**
 * Stay in the state with new `data`, and run its `enter` again (OTP's `{repeat_state, Data, Actions}`).
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const retry = StateMachine.repeatState({ attempts: 2 })
 * ```
 *
 * @category results
 * @since 0.1.0
 */
export const repeatState = <D>(data: D, actions?: Actions): Result<never, D> => ({ _tag: "RepeatState", data, keepData: false, actions })

/**
 * Stay in the state, data unchanged, and run its `enter` again (OTP's `repeat_state_and_data`).
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const again = StateMachine.repeatStateAndData()
 * ```
 *
 * @category results
 * @since 0.1.0
 */
export const repeatStateAndData = (actions?: Actions): Result<never, never> => ({
  _tag: "RepeatState",
  data: undefined,
  keepData: true,
  actions
})

/**
 * Stop with `reason` after `terminate(reason, state, data)` (OTP's `{stop, Reason, Data}`); from
 * `init`, the start fails with `InitFailed`.
 *
 * @example
 * ```ts
 * import { ExitReason, StateMachine } from "effect-otp"
 * const done = StateMachine.stopWith(ExitReason.normal)
 * ```
 *
 * @category results
 * @since 0.1.0
 */
export const stopWith: {
  (reason: ExitReason): Stop<never>
  <D>(reason: ExitReason, data: D): Stop<D>
} = function(reason: ExitReason, data?: unknown) {
  return { _tag: "Stop", reason, data, keepData: arguments.length < 2, replies: undefined }
} as any

/**
 * Send `replies` ({@link reply} actions), then stop with `reason` (OTP's `{stop_and_reply,
 * Reason, Replies, Data}`): unlike GenServer's stop with a reply, the replies go before
 * `terminate` runs, as gen_statem sends them.
 *
 * @example
 * ```ts
 * import { ExitReason, StateMachine } from "effect-otp"
 * declare const from: StateMachine.From<string>
 * const bye = StateMachine.stopAndReply(ExitReason.normal, StateMachine.reply(from, "bye"))
 * ```
 *
 * @category results
 * @since 0.1.0
 */
export const stopAndReply: {
  (reason: ExitReason, replies: Actions): Stop<never>
  <D>(reason: ExitReason, replies: Actions, data: D): Stop<D>
} = function(reason: ExitReason, replies: Actions, data?: unknown) {
  return { _tag: "Stop", reason, data, keepData: arguments.length < 3, replies }
} as any

// ----------------------------------------------------------------------------
// Events
// ----------------------------------------------------------------------------

/**
 * The call events of a protocol: one per request, with its payload and its typed reply handle.
 *
 * @category events
 * @since 0.1.0
 */
export type CallEvent<Calls extends Rpc.Any> = Calls extends infer Req extends Rpc.Any ? {
    readonly _tag: "Call"
    readonly tag: Req["_tag"]
    readonly payload: Rpc.Payload<Req>
    readonly from: From<Rpc.Success<Req>, Rpc.Error<Req>>
  }
  : never

/**
 * The cast events of a protocol: one per request, with its payload.
 *
 * @category events
 * @since 0.1.0
 */
export type CastEvent<Casts extends Rpc.Any> = Casts extends infer Req extends Rpc.Any ? {
    readonly _tag: "Cast"
    readonly tag: Req["_tag"]
    readonly payload: Rpc.Payload<Req>
  }
  : never

/**
 * What `handleEvent` gets: a call or cast of the protocol, any other message (`Info`), a
 * timeout, an inserted event, or (with `stateEnter: true`) the entry into a state.
 *
 * @category events
 * @since 0.1.0
 */
export type Event<S, Calls extends Rpc.Any, Casts extends Rpc.Any> =
  | CallEvent<Calls>
  | CastEvent<Casts>
  | { readonly _tag: "Info"; readonly message: unknown }
  | { readonly _tag: "EventTimeout"; readonly content: unknown }
  | { readonly _tag: "StateTimeout"; readonly content: unknown }
  | { readonly _tag: "Timeout"; readonly name: string; readonly content: unknown }
  | { readonly _tag: "Internal"; readonly content: unknown }
  | { readonly _tag: "Enter"; readonly oldState: S }

// ----------------------------------------------------------------------------
// Definitions
// ----------------------------------------------------------------------------

/**
 * The handlers of one state (state functions mode). What a state leaves out, it does not handle.
 *
 * @category models
 * @since 0.1.0
 */
export interface StateHandlers<S, D, Calls extends Rpc.Any, Casts extends Rpc.Any, R> {
  /** Runs when the machine enters this state (from `oldState`; after `init`, the state itself). */
  readonly enter?: ((oldState: S, data: D) => Definition.Returns<Result<S, D>, R>) | undefined
  /** Handlers of the calls this state answers: payload, data and the typed reply handle. */
  readonly calls?: {
    readonly [Tag in Calls["_tag"]]?: (
      payload: Rpc.Payload<Extract<Calls, { readonly _tag: Tag }>>,
      data: D,
      from: From<Rpc.Success<Extract<Calls, { readonly _tag: Tag }>>, Rpc.Error<Extract<Calls, { readonly _tag: Tag }>>>
    ) => Definition.Returns<Result<S, D>, R>
  } | undefined
  /** Handlers of the casts this state takes. */
  readonly casts?: {
    readonly [Tag in Casts["_tag"]]?: (
      payload: Rpc.Payload<Extract<Casts, { readonly _tag: Tag }>>,
      data: D
    ) => Definition.Returns<Result<S, D>, R>
  } | undefined
  /** Any other message. */
  readonly info?: ((message: unknown, data: D) => Definition.Returns<Result<S, D>, R>) | undefined
  /** The event timeout ({@link eventTimeout}) fired. */
  readonly eventTimeout?: ((content: unknown, data: D) => Definition.Returns<Result<S, D>, R>) | undefined
  /** The state timeout ({@link stateTimeout}) fired. */
  readonly stateTimeout?: ((content: unknown, data: D) => Definition.Returns<Result<S, D>, R>) | undefined
  /** A generic timeout ({@link genericTimeout}) fired. */
  readonly timeout?: ((name: string, content: unknown, data: D) => Definition.Returns<Result<S, D>, R>) | undefined
  /** An inserted event ({@link nextEvent}). */
  readonly internal?: ((content: unknown, data: D) => Definition.Returns<Result<S, D>, R>) | undefined
}

/**
 * What both callback modes share.
 *
 * @category models
 * @since 0.1.0
 */
export interface DefinitionBase<Args, S, D, Calls extends Rpc.Any, Casts extends Rpc.Any, R> {
  /** The module's name, as `Sys.getStatus` and the code server show it. */
  readonly name: string
  /** The module's version (default `"1"`), passed to the next version's `codeChange`. */
  readonly version?: string | undefined
  /** The call requests (`Rpc.make`). */
  readonly calls?: ReadonlyArray<Calls> | undefined
  /** The cast requests (`Rpc.make`). */
  readonly casts?: ReadonlyArray<Casts> | undefined
  /** Runs before the start returns: the first state and data ({@link ok}), {@link ignore} or {@link stopWith}. */
  readonly init: (args: Args) => Definition.Returns<InitResult<S, D>, R>
  /** Runs before the machine exits (as OTP: not when killed, nor on a link's exit without trapping exits). */
  readonly terminate?: ((reason: ExitReason, state: S, data: D) => Definition.Returns<void, R>) | undefined
  /** Migrates a running machine's state and data from `oldVersion` (see {@link migrate}). */
  readonly codeChange?:
    | ((oldVersion: string, old: unknown, extra: unknown) => Definition.Returns<{ readonly state: S; readonly data: D }, R>)
    | undefined
  /** What `Sys.getStatus` and the error report show of the data (to redact secrets). */
  readonly formatStatus?: ((state: S, data: D) => unknown) | undefined
}

/**
 * A module in state functions mode: one handler table per state.
 *
 * @category models
 * @since 0.1.0
 */
export interface StateFunctions<Args, S extends string, D, Calls extends Rpc.Any, Casts extends Rpc.Any, R>
  extends DefinitionBase<Args, S, D, Calls, Casts, R>
{
  /** The states, each with its handlers (the states are its keys: what `init` and the handlers return is checked against them). */
  readonly states: { readonly [State in S]: StateHandlers<NoInfer<S>, NoInfer<D>, Calls, Casts, R> }
  /** Runs before the start returns: the first state and data ({@link ok}), {@link ignore} or {@link stopWith}. */
  readonly init: (args: Args) => Definition.Returns<InitResult<NoInfer<S>, D>, R>
  readonly handleEvent?: undefined
  readonly stateEnter?: undefined
}

/**
 * A module in handle event function mode: one function for every event.
 *
 * @category models
 * @since 0.1.0
 */
export interface HandleEventFunction<Args, S, D, Calls extends Rpc.Any, Casts extends Rpc.Any, R>
  extends DefinitionBase<Args, S, D, Calls, Casts, R>
{
  /** Handles every event of every state. */
  readonly handleEvent: (event: Event<S, Calls, Casts>, state: S, data: D) => Definition.Returns<Result<S, D>, R>
  /** Whether `handleEvent` gets an `Enter` event each time the machine enters a state (OTP's `state_enter`). */
  readonly stateEnter?: boolean | undefined
  readonly states?: undefined
}

/**
 * A module's definition, in either mode.
 *
 * @category models
 * @since 0.1.0
 */
export type Definition<Args, S, D, Calls extends Rpc.Any, Casts extends Rpc.Any, R> =
  | StateFunctions<Args, S & string, D, Calls, Casts, R>
  | HandleEventFunction<Args, S, D, Calls, Casts, R>

/**
 * The types {@link make} checks a definition with.
 *
 * @category models
 * @since 0.1.0
 */
export declare namespace Definition {
  /** A callback's result, returned directly or as an Effect that needs services `R`. */
  export type Returns<A, R> = A | Effect.Effect<A, unknown, R>
  /** The services of every callback of a definition `D`. */
  export type Services<D> = CallbackServices<
    | D[keyof D & ("init" | "handleEvent" | "terminate" | "codeChange")]
    | (D extends { readonly states: infer States } ? StateCallbacks<States[keyof States]> : never)
  >
  /** Every callback of the state tables `T`. */
  export type StateCallbacks<T> = T extends unknown ?
      | T[keyof T & ("enter" | "info" | "eventTimeout" | "stateTimeout" | "timeout" | "internal")]
      | (T extends { readonly calls?: infer H } ? H extends object ? H[keyof H] : never : never)
      | (T extends { readonly casts?: infer H } ? H extends object ? H[keyof H] : never : never)
    : never
  /** The services the result of a callback `F` needs (distributes over a union of callbacks). */
  export type CallbackServices<F> = F extends (...args: any) => infer Result
    ? Result extends Effect.Effect<any, any, infer R> ? R : never
    : never
  /** The request tags the state tables `T` handle, calls (`"calls"`) or casts (`"casts"`). */
  export type Handled<T, K extends "calls" | "casts"> = T extends unknown
    ? T extends { readonly [_ in K]?: infer H } ? H extends object ? keyof H : never : never
    : never
  /**
   * In state functions mode: every declared request is handled by some state, and no state
   * handles an undeclared one (names the offenders in the error).
   */
  export type Complete<D, Calls extends Rpc.Any, Casts extends Rpc.Any> = D extends { readonly states: infer States }
    ?
      & ([Exclude<Calls["_tag"], Handled<States[keyof States], "calls">>] extends [never] ? unknown
        : { readonly "no state handles these calls": Exclude<Calls["_tag"], Handled<States[keyof States], "calls">> })
      & ([Exclude<Casts["_tag"], Handled<States[keyof States], "casts">>] extends [never] ? unknown
        : { readonly "no state handles these casts": Exclude<Casts["_tag"], Handled<States[keyof States], "casts">> })
      & ([Exclude<Handled<States[keyof States], "calls">, Calls["_tag"]>] extends [never] ? unknown
        : { readonly "not a declared call": Exclude<Handled<States[keyof States], "calls">, Calls["_tag"]> })
      & ([Exclude<Handled<States[keyof States], "casts">, Casts["_tag"]>] extends [never] ? unknown
        : { readonly "not a declared cast": Exclude<Handled<States[keyof States], "casts">, Casts["_tag"]> })
    : unknown
}

/**
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * const isModule = (u: unknown): boolean => typeof u === "object" && u !== null && StateMachine.TypeId in u
 * ```
 *
 * @category type ids
 * @since 0.1.0
 */
export const TypeId = "~effect-otp/StateMachine" as const

/**
 * A StateMachine module: made by {@link make}, started by {@link start}.
 *
 * @category models
 * @since 0.1.0
 */
export type Module<Args, S, D, Calls extends Rpc.Any, Casts extends Rpc.Any, R> = Definition<Args, S, D, Calls, Casts, R> & {
  /** Type only (no value at run time). */
  readonly [TypeId]: {
    readonly _Args: (_: Args) => void
    readonly _S: S
    readonly _D: D
    readonly _Calls: Calls
    readonly _Casts: Casts
    readonly _R: R
  }
  /** The module's version: the definition's, or `"1"`. */
  readonly version: string
}

/**
 * Any module, for code generic over modules.
 *
 * @category models
 * @since 0.1.0
 */
export interface Any {
  /** Type only (no value at run time). */
  readonly [TypeId]: {
    readonly _Args: (_: never) => void
    readonly _S: any
    readonly _D: any
    readonly _Calls: Rpc.Any
    readonly _Casts: Rpc.Any
    readonly _R: any
  }
  readonly name: string
  readonly version: string
}

/**
 * The types of a module `M`, read from it.
 *
 * @category models
 * @since 0.1.0
 */
export declare namespace Module {
  /** The call requests of `M`. */
  export type Calls<M> = M extends { readonly [TypeId]: { readonly _Calls: infer C } } ? C : never
  /** The cast requests of `M`. */
  export type Casts<M> = M extends { readonly [TypeId]: { readonly _Casts: infer C } } ? C : never
  /** The start arguments of `M`. */
  export type Args<M> = M extends { readonly [TypeId]: { readonly _Args: (_: infer A) => void } } ? A : never
  /** The states of `M`. */
  export type State<M> = M extends { readonly [TypeId]: { readonly _S: infer S } } ? S : never
  /** The data of `M`. */
  export type Data<M> = M extends { readonly [TypeId]: { readonly _D: infer D } } ? D : never
  /** The services the callbacks of `M` need. */
  export type Services<M> = M extends { readonly [TypeId]: { readonly _R: infer R } } ? R : never
  /** The payload argument of a request `Req`: optional when the request has none. */
  export type PayloadArg<Req extends Rpc.Any> = [Rpc.Payload<Req>] extends [void] ? [payload?: Rpc.Payload<Req>] : [payload: Rpc.Payload<Req>]
}

/**
 * Defines a module in state functions mode (`states`) or handle event function mode
 * (`handleEvent`). The states are `states`' keys (or what `init` and `handleEvent` return), the
 * data's type comes from `init`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { StateMachine } from "effect-otp"
 *
 * const Flip = Rpc.make("Flip")
 * const Get = Rpc.make("Get", { success: Schema.String })
 *
 * const Switch = StateMachine.make({
 *   name: "Switch",
 *   calls: [Get],
 *   casts: [Flip],
 *   init: () => StateMachine.ok("off", 0),
 *   states: {
 *     off: {
 *       casts: { Flip: (_, flips) => StateMachine.nextState("on", flips + 1) },
 *       calls: { Get: (_, __, from) => StateMachine.keepStateAndData(StateMachine.reply(from, "off")) }
 *     },
 *     on: {
 *       casts: { Flip: (_, flips) => StateMachine.nextState("off", flips + 1) },
 *       calls: { Get: (_, __, from) => StateMachine.keepStateAndData(StateMachine.reply(from, "on")) }
 *     }
 *   }
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make: {
  <
    Args,
    S extends string,
    D,
    Calls extends Rpc.Any = never,
    Casts extends Rpc.Any = never,
    Def extends StateFunctions<Args, S, D, Calls, Casts, any> = StateFunctions<Args, S, D, Calls, Casts, any>
  >(
    definition: Def & StateFunctions<Args, S, D, Calls, Casts, any> & Definition.Complete<Def, Calls, Casts>
  ): Module<Args, S, D, Calls, Casts, Definition.Services<Def>>
  <
    Args,
    S,
    D,
    Calls extends Rpc.Any = never,
    Casts extends Rpc.Any = never,
    Def extends HandleEventFunction<Args, S, D, Calls, Casts, any> = HandleEventFunction<Args, S, D, Calls, Casts, any>
  >(
    definition: Def & HandleEventFunction<Args, S, D, Calls, Casts, any>
  ): Module<Args, S, D, Calls, Casts, Definition.Services<Def>>
} = (definition: object): any => internal.make(definition, TypeId)

// ----------------------------------------------------------------------------
// Client
// ----------------------------------------------------------------------------

/**
 * A typed reference to a machine of module `M`: calls and casts are checked against its protocol.
 *
 * @category models
 * @since 0.1.0
 */
export interface Server<M, E = never> {
  /** Where calls and casts go: a pid, a name, a via name or a remote target. */
  readonly target: Target
  /** Type only: the module whose protocol calls are checked against. */
  readonly module?: M | undefined
  /** The pid it was started with (`undefined` for a reference made from a name). */
  readonly pid: Pid | undefined
  /** Type only: what a call can fail with besides the protocol's errors. */
  readonly errors?: ((_: never) => E) | undefined
}

/**
 * A typed reference to the machine of `module` at `target`, e.g. one started elsewhere.
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * declare const Lock: StateMachine.Any
 * const lock = StateMachine.ref(Lock, "front-door")
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const ref = <M extends Any>(_module: M, target: Target): Server<M> => ({ target, pid: isPid(target) ? target : undefined })

/**
 * Starts a machine of `module`, running `init(args)`; returns once `init` finished (the first
 * state's `enter` runs after). Fails as `GenServer.start` fails.
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * declare const Lock: StateMachine.Module<ReadonlyArray<number>, "locked" | "open", unknown, never, never, never>
 * const lock = StateMachine.start(Lock, [1, 2, 3], { name: "front-door" })
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const start = <M extends Any>(
  module: M, args: Module.Args<M>, options?: StartOptions
): Effect.Effect<Server<M>, StartError, Node | Exclude<Module.Services<M>, CurrentProcess>> =>
  internal.start(module, args, options, false) as any

/**
 * Like {@link start}, linked to the calling process: how a supervisor starts a machine.
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * declare const Lock: StateMachine.Module<ReadonlyArray<number>, "locked" | "open", unknown, never, never, never>
 * const linked = StateMachine.startLink(Lock, [1, 2, 3])
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const startLink = <M extends Any>(
  module: M, args: Module.Args<M>, options?: StartOptions
): Effect.Effect<Server<M>, StartError, Node | CurrentProcess | Exclude<Module.Services<M>, CurrentProcess>> =>
  internal.start(module, args, options, true) as any

/**
 * The child spec that starts this module under a supervisor with {@link startLink}: id the
 * module's name unless given, restart `permanent`, shutdown 5000 ms (see `ChildSpec`).
 *
 * @example
 * ```ts
 * import { StateMachine, Supervisor } from "effect-otp"
 * declare const Lock: StateMachine.Module<ReadonlyArray<number>, "locked" | "open", unknown, never, never, never>
 * const tree = Supervisor.start([StateMachine.childSpec(Lock, [1, 2, 3], { name: "front-door" })])
 * ```
 *
 * @category supervision
 * @since 0.1.0
 */
export const childSpec = <M extends Any>(
  module: M,
  args: Module.Args<M>,
  options?: StartOptions & ChildSpecOptions
): ChildSpec<Exclude<Module.Services<M>, CurrentProcess>> =>
  worker(options?.id ?? module.name, Effect.map(startLink(module, args, options), (machine) => machine.pid!), {
    modules: [module.name],
    ...options
  }) as any

/**
 * A typed `codeChange`: decodes the old `{ state, data }` with `from`, then migrates it with `f`
 * (with `to`, the new one is checked too), as `GenServer.migrate`. A value that does not
 * decode, or a failing `f`, fails the code change: the machine keeps its old code, state and data.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { StateMachine } from "effect-otp"
 *
 * // Version 1 kept a count; version 2 keeps a record.
 * const codeChange = StateMachine.migrate(
 *   Schema.Struct({ state: Schema.Literals(["idle", "busy"]), data: Schema.Number }),
 *   ({ state, data }) => ({ state, data: { count: data } })
 * )
 * ```
 *
 * @category code change
 * @since 0.1.0
 */
export const migrate = <From extends Schema.Top, S, D, R = never>(
  from: From,
  f: (old: From["Type"], oldVersion: string, extra: unknown) =>
    | { readonly state: S; readonly data: D }
    | Effect.Effect<{ readonly state: S; readonly data: D }, unknown, R>,
  options?: { readonly to?: Schema.Codec<{ readonly state: S; readonly data: D }, any> | undefined }
): (oldVersion: string, old: unknown, extra: unknown) =>
  | { readonly state: S; readonly data: D }
  | Effect.Effect<{ readonly state: S; readonly data: D }, unknown, R | From["DecodingServices"]> => server.migrate(from, f, options)

/**
 * Calls the machine with a request of its protocol and waits for the typed reply. Fails with
 * the request's declared error, `UnknownRequest` (the current state does not handle it), or as
 * `Gen.call` fails (`NoProc`, `CallExit`, `CallTimeout` after 5 s by default, `BadArgument`).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { StateMachine } from "effect-otp"
 * const Press = Rpc.make("Press", { payload: { digit: Schema.Number }, success: Schema.String })
 * declare const lock: StateMachine.Server<StateMachine.Module<void, "locked", number, typeof Press, never, never>>
 * const answer = StateMachine.call(lock, Press, { digit: 1 }, { timeout: "1 second" }) // Effect<string, ...>
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const call: {
  <M extends Any, Req extends Module.Calls<M>, E = never>(server: Server<M, E>, request: Req, ...args: Module.PayloadArg<Req>):
    Effect.Effect<Rpc.Success<Req>, Rpc.Error<Req> | CallError | UnknownRequest | E>
  <M extends Any, Req extends Module.Calls<M>, O extends CallOptions | undefined, E = never>(
    server: Server<M, E>, request: Req, ...args: [...Module.PayloadArg<Req>, options?: O]
  ): Effect.Effect<
    Rpc.Success<Req>,
    | Rpc.Error<Req> | CallError | UnknownRequest | E
    | (O extends { readonly timeout?: infer T } ? [T] extends [undefined | "infinity"] ? never : BadArgument : never)
  >
} = (machine: Server<Any, unknown>, request: Rpc.Any, ...args: Array<unknown>): Effect.Effect<any, any> =>
  Gen.call(machine.target, server.request(request, args[0]), args[1] as CallOptions | undefined)

/**
 * Sends a request of the machine's protocol without waiting (OTP's `gen_statem:send_request`)
 * and returns its typed id; collect the response with `Gen.waitResponse`,
 * `Gen.receiveResponse` or `Gen.checkResponse`, alone or in a collection with other requests
 * (`Gen.addRequestId`). The caller must be a process: the response is a message in its
 * mailbox. It is the reply, the request's declared error, `UnknownRequest` (the state does not
 * handle it), `NoProc` or `CallExit`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { Gen, StateMachine } from "effect-otp"
 * const Press = Rpc.make("Press", { payload: { digit: Schema.Number }, success: Schema.String })
 * declare const lock: StateMachine.Server<StateMachine.Module<void, "locked", number, typeof Press, never, never>>
 *
 * const pressed = Effect.gen(function*() {
 *   const id = yield* StateMachine.sendRequest(lock, Press, { digit: 1 })
 *   return yield* Gen.waitResponse(id, "1 second") // string
 * })
 * ```
 *
 * @category asynchronous requests
 * @since 0.1.0
 */
export const sendRequest = <M extends Any, Req extends Module.Calls<M>, E = never>(
  machine: Server<M, E>, request: Req, ...args: Module.PayloadArg<Req>
): Effect.Effect<
  Gen.RequestId<Rpc.Success<Req>, Rpc.Error<Req> | NoProc | CallExit | MailboxFull | UnknownRequest | E>,
  never,
  CurrentProcess
> => Gen.sendRequest(machine.target, server.request(request, args[0])) as any

/**
 * Sends a cast of the machine's protocol: never waits, never fails (dropped if nobody is there).
 *
 * @example
 * ```ts
 * import { Rpc } from "effect/rpc"
 * import { StateMachine } from "effect-otp"
 * const Flip = Rpc.make("Flip")
 * declare const light: StateMachine.Server<StateMachine.Module<void, "on" | "off", number, never, typeof Flip, never>>
 * const flip = StateMachine.cast(light, Flip)
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const cast = <M extends Any, Req extends Module.Casts<M>, E = never>(
  machine: Server<M, E>, request: Req, ...args: Module.PayloadArg<Req>
): Effect.Effect<void> => server.cast(machine.target, request, args[0])

/**
 * Answers a call later, from any process (OTP's `gen_statem:reply/2`); a second answer does nothing.
 *
 * @example
 * ```ts
 * import { StateMachine } from "effect-otp"
 * declare const from: StateMachine.From<string>
 * const later = StateMachine.replyTo(from, "done")
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const replyTo = <A>(from: From<A, any>, value: NoInfer<A>): Effect.Effect<void> => Effect.sync(() => replyUnsafe(from, value))

/**
 * Fails a call later with its declared `error`, from any process; a second answer does nothing.
 *
 * @example
 * ```ts
 * import { Data } from "effect"
 * import { StateMachine } from "effect-otp"
 * class Gone extends Data.TaggedError("Gone") {}
 * declare const from: StateMachine.From<string, Gone>
 * const refuse = StateMachine.replyFailureTo(from, new Gone())
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const replyFailureTo = <E>(from: From<any, E>, error: NoInfer<E>): Effect.Effect<void> =>
  Effect.sync(() => replyFailureUnsafe(from, error))

/**
 * Stops the machine (`terminate(reason, state, data)` runs, default `normal`) and waits until
 * it exited (`timeout` default `"infinity"`); `CallExit` if it exited with another reason.
 *
 * @example
 * ```ts
 * import { ExitReason, StateMachine } from "effect-otp"
 * const shutDown = StateMachine.stop("front-door", { reason: ExitReason.shutdown(), timeout: "5 seconds" })
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const stop = (
  machine: Server<any> | Target,
  options?: { readonly reason?: ExitReason | undefined; readonly timeout?: Duration.Input | "infinity" | undefined }
): Effect.Effect<void, CallError> => server.stop(machine, options)
