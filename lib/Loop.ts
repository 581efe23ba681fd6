/**
 * The generic loop: what every behaviour's process does besides its business logic, once, in
 * the library (OTP's `gen`, `proc_lib` and `sys`, under `gen_server` and `gen_statem`). A
 * behaviour (GenServer is one) gives a small {@link Behaviour}: how to handle one message, and
 * optionally `terminate`, `formatStatus` and `codeChange`. The loop does the rest:
 *
 * - takes the messages from the mailbox, in order, queued ones without an Effect step each,
 *   yielding now and then so that a busy process does not starve the others; an idle process's
 *   messages are handled as they arrive, from the node's run queue, without waking its fiber
 *   when `handle` answers with a plain {@link Next} (see {@link Behaviour.handle});
 * - answers every system message (`Sys`): get and replace the state, the status (through
 *   `formatStatus`, never crashing on it), suspend and resume, trace, statistics, code change
 *   and terminate. A new system message is added in `lib/Sys.ts` alone, and every behaviour
 *   answers it;
 * - takes part in live upgrades (`Code`): the process is registered with the code server under
 *   its module, `Code.upgrade` changes it in place while it is idle, with the upgrade's timeout;
 * - stops when the process's parent (a supervisor) shuts it down while it traps exits, running
 *   `terminate` first;
 * - runs `terminate` once when the process stops or crashes, and logs OTP's error report for an
 *   abnormal exit (`** Generic server ... terminating` for a GenServer), then exits.
 *
 * ## Writing a behaviour
 *
 * A process on the loop runs a **module**: a value with a `name` and a `version` (`Code.Module`)
 * and whatever the behaviour's callbacks are. The module, not the behaviour, is what the code
 * server upgrades: `handle` reads `server.module` (or what {@link Behaviour.load} made of it) on
 * every message, never a copy taken at the start, so that a code change takes effect at the next
 * message.
 *
 * ```ts
 * import { Effect } from "effect"
 * import { ExitReason, Gen, Loop, Node, Sys } from "effect-otp"
 *
 * // The callback modules of this behaviour: how to fold a number into a total.
 * interface Folder {
 *   readonly name: string
 *   readonly version: string
 *   readonly fold: (total: number, n: number) => number
 * }
 *
 * const folder: Loop.Behaviour<Folder, number> = {
 *   title: "Folder",
 *   report: "folder",
 *   isModule: (u): u is Folder => typeof u === "object" && u !== null && typeof (u as Folder).fold === "function",
 *   handle: (server, message) => {
 *     // Casts carry numbers; a call asks for the total; "stop" stops.
 *     if (message instanceof Gen.CastMessage && typeof message.request === "number") {
 *       server.state = server.module.fold(server.state, message.request)
 *     } else if (message instanceof Gen.CallMessage) {
 *       server.reply(message.from, server.state)
 *     } else if (message === "stop") {
 *       return Loop.stop(ExitReason.normal)
 *     }
 *   }
 * }
 *
 * // The start: `Gen.start` spawns and names the process and waits for its acknowledgement,
 * // which the loop gives once it runs.
 * const start = (module: Folder) => Gen.start((ack) => Loop.enter(folder, { module, state: 0, ack }))
 *
 * const SumV1: Folder = { name: "Sum", version: "1", fold: (total, n) => total + n }
 * const SumV2: Folder = { name: "Sum", version: "2", fold: (total, n) => total + 2 * n }
 *
 * const program = Effect.gen(function*() {
 *   const sum = yield* start(SumV1)
 *   yield* Gen.cast(sum, 2)
 *   yield* Gen.cast(sum, 3)
 *   // Every system message works on it, a code change included.
 *   yield* Sys.changeCode(sum, SumV2)
 *   yield* Gen.cast(sum, 1)
 *   return yield* Gen.call(sum, "total") // 7
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * - **Start.** Run the behaviour's init (whatever it is) in the body given to `Gen.start` or
 *   `Gen.startLink`, then {@link enter} the loop with the module, the initial state, the parent
 *   (the starter, for `startLink`: see below) and `ack`. A failed init acknowledges with
 *   `{ _tag: "Stop", reason }` and exits, without entering the loop. Start the current version
 *   of a module (`Code.resolve`), as supervisors restart children with the current code.
 * - **Messages.** `handle` gets every message but system messages (and the parent's exit while
 *   trapping): calls (`Gen.CallMessage`, answered with {@link Server.reply}), casts
 *   (`Gen.CastMessage`), and anything else. It returns what to do next ({@link Next}): nothing
 *   (wait for the next message), {@link after} (wait at most so long, then handle a given
 *   message), {@link insert} (handle a given message before the mailbox) or {@link stop}; or
 *   an Effect of that, when it needs services, time or other processes. It sets the new state
 *   in `server.state`. A `handle` that fails or dies crashes the process.
 * - **Parent.** A process started with `startLink` by a supervisor names it as `parent`: when
 *   the process traps exits, the parent's exit signal (an `Exit` message from it) makes the loop
 *   run `terminate` and exit with that reason, as OTP's behaviours do.
 * - **Code change.** `isModule` tells a module of the behaviour from anything else (a code
 *   change to something else, or to a module of another name, is refused with a `SysError`);
 *   `codeChange(server, next, extra)` returns the state for `next` (or an Effect of it);
 *   without it the state is kept. If it fails, the process keeps its old module and state.
 * - **Timers.** {@link after} is OTP's receive `after` (gen_server's idle timeout, gen_statem's
 *   event timeout): any message, a system message included, restarts it. Other timers (a state
 *   timeout, named timeouts) are messages the behaviour sends itself with `Process.sendAfter`
 *   and cancels with `Process.cancelTimer`, tagging each with its reference so that a message of
 *   a cancelled timer already queued is told apart. Inserted events and postponed events (a
 *   state machine's) are the behaviour's own queues: keep them in the registers or the state,
 *   and {@link insert} the next one, one at a time.
 *
 * ## How it maps to OTP, and where it differs
 *
 * | OTP | effect-otp |
 * |---|---|
 * | `proc_lib:start_link` + `init_ack` | `Gen.startLink` + the `ack` given to {@link enter} |
 * | `gen_server:enter_loop` | {@link enter} |
 * | `sys:handle_system_msg` and the `system_*` callbacks | the loop itself: `Sys` requests need nothing from the behaviour but `formatStatus` and `codeChange` |
 * | `{continue, C}`, `{next_event, ...}` | {@link insert} |
 * | receive `after T` | {@link after} |
 * | `proc_lib`'s crash report | the behaviour's error report (title and `report` annotation from the {@link Behaviour}) |
 *
 * Not here: `hibernate` (V8 has no per-process heap to compact), `sys:install` and the debug
 * options of the start (`Sys.trace` and `Sys.statistics` do that on a running process).
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { Module } from "./Code.js"
import type { ExitReason } from "./ExitReason.js"
import type { Ack, From } from "./Gen.js"
import * as internal from "./internal/loop.js"
import type { Pid } from "./Pid.js"
import type { CurrentProcess } from "./Process.js"

/**
 * A behaviour: how processes on the loop handle their messages. One value per behaviour (not
 * per process or per module), made once. `M` is the behaviour's modules, `S` the state, `L` what
 * {@link load} makes of a module (the module itself by default) and `R` the services the
 * callbacks' Effects need.
 *
 * @example
 * ```ts
 * import { Loop } from "effect-otp"
 *
 * // A behaviour whose modules carry a greeting; every message is answered in the log.
 * interface Greeter { readonly name: string; readonly version: string; readonly greeting: string }
 *
 * const greeter: Loop.Behaviour<Greeter, number> = {
 *   title: "Greeter",
 *   report: "greeter",
 *   isModule: (u): u is Greeter => typeof u === "object" && u !== null && "greeting" in u,
 *   handle: (server, message) => {
 *     server.state++
 *     console.log(`${server.module.greeting}, ${String(message)}`)
 *   },
 *   formatStatus: (server) => ({ greeted: server.state })
 * }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Behaviour<M extends Module, S, L = M, R = never> {
  /** How the error report names such a process: `"Generic server"` for a GenServer (`** Generic server <0.5.0> (Counter) terminating`). */
  readonly title: string
  /** The `report` annotation of the error report: `"gen_server"` for a GenServer. */
  readonly report: string
  /** Whether a value is a module of this behaviour: a code change to anything else is refused. */
  readonly isModule: (u: unknown) => u is M
  /**
   * What the loop keeps of a module for `handle` to read as `server.loaded` (a dispatch table,
   * say), made when the process enters the loop and after each code change; without it,
   * `server.loaded` is the module itself. Synchronous; it must not throw.
   */
  readonly load?: ((module: M) => L) | undefined
  /**
   * Handles one message (anything but a system message): sets `server.state` and returns what
   * to do next ({@link Next}), directly or as an Effect.
   *
   * It is a plain function, and not always called on the process's fiber: when the process is
   * idle, the node's run queue calls it as the message arrives, and resumes the fiber only for
   * what the answer needs (an Effect to run, a stop, `after` or `insert`); a GenServer call to
   * an idle server so costs no wake-up of its process. Work that needs the process's fiber
   * (its services, `Process.self`, logging) belongs in the Effect it returns, which always runs
   * on the fiber. A throw crashes the process as a failed Effect would.
   */
  readonly handle: (server: Server<M, S, L>, message: unknown) => Next | Effect.Effect<Next, unknown, R>
  /**
   * Runs once before the process exits: after a {@link stop} (then `afterTerminate`), a crash
   * in `handle`, `Sys.terminate`, or the parent's exit signal while trapping exits. Not when the
   * process is killed, or dies of a link's signal without trapping exits. A crash here ends the
   * process with that crash.
   */
  readonly terminate?: ((server: Server<M, S, L>, reason: ExitReason) => void | Effect.Effect<void, unknown, R>) | undefined
  /**
   * What `Sys.getStatus` and the error report show of the state. Synchronous: if it throws (or
   * returns an Effect), they show `"<Module>.formatStatus crashed"` (or `"... returned an
   * Effect"`) instead, never the raw state, and the process goes on.
   */
  readonly formatStatus?: ((server: Server<M, S, L>) => unknown) | undefined
  /**
   * The state for `next` after a code change (`Sys.changeCode`, `Code.upgrade`), from
   * `server.state` and `server.module` (the running version): a plain value, or an Effect (an
   * `Exit` is taken as is, without a step). If it throws or fails, the process keeps its module
   * and state, and the requester gets a `SysError`. Without it the state is kept. During
   * `Code.upgrade` it may run in place, on the upgrading fiber, with the process's services.
   */
  readonly codeChange?: ((server: Server<M, S, L>, next: M, extra: unknown) => unknown) | undefined
  /**
   * What `Sys.getState` returns and `Sys.replaceState` works on (OTP's `system_get_state` and
   * `system_replace_state`): by default `server.state` itself. A behaviour whose `server.state`
   * holds registers of its own besides the user's state (a state machine's queued events and
   * timers) shows only the user's part: `get` returns it, `replace` takes the new value that
   * `Sys.replaceState`'s function returned and stores it, throwing if it is no such value (the
   * requester gets a `SysError`, and the state stays as it was). Synchronous.
   */
  readonly systemState?: {
    readonly get: (server: Server<M, S, L>) => unknown
    readonly replace: (server: Server<M, S, L>, value: unknown) => void
  } | undefined
  /** A message as text, for `Sys.trace` and the error report's last message (default: `Formatter.format`). It must not throw. */
  readonly describe?: ((message: unknown) => string) | undefined
}

/**
 * The registers of a running process on the loop, as its behaviour's callbacks get them. Only
 * the process's own fiber may use them.
 *
 * @category models
 * @since 0.1.0
 */
export interface Server<M, S, L = M> {
  /** The process. */
  readonly self: Pid
  /** The parent given to {@link enter}, if any. */
  readonly parent: Pid | undefined
  /** The module the process runs now; a code change swaps it (between two messages). */
  readonly module: M
  /** What {@link Behaviour.load} made of `module` (the module itself without `load`). */
  readonly loaded: L
  /** The timed wait in force (the last {@link after}), if any: `handle` returns it to keep it, say for a message it drops. */
  readonly after: Extract<Next, { readonly _tag: "After" }> | undefined
  /** The state: `handle` sets it; `Sys.getState` and `Sys.replaceState` read and write it. */
  state: S
  /**
   * What the error report names as the last message in: the loop sets it to each message it
   * hands to `handle` (and to `undefined` for `Sys.terminate`); a behaviour may replace it with
   * a part of the message, so as not to keep, say, a caller's reply handle while idle.
   */
  last: unknown
  /** Answers a call (`GenServer.replyTo`), and counts and traces it as a message out (`Sys.statistics`, `Sys.trace`). */
  reply(from: From, value: unknown): void
  /** Answers a call with a typed failure (the caller's `call` fails with `error`), counted and traced as {@link reply}. */
  replyFailure(from: From, error: unknown): void
}

/**
 * What the loop does after `handle`: nothing special (`undefined`: wait for the next message),
 * a timed wait ({@link after}), an inserted message ({@link insert}) or a stop ({@link stop}).
 * Anything else (a hand-made value, a negative or `NaN` wait, a stop whose reason is no
 * `ExitReason`) crashes the process with a `BadArgument` defect.
 *
 * @category next
 * @since 0.1.0
 */
export type Next =
  | void
  | undefined
  /** A stop: `terminate(reason)` runs, then `afterTerminate` (however `terminate` ended), then the process exits with `reason`. */
  | { readonly _tag: "Stop"; readonly reason: ExitReason; readonly afterTerminate: (() => void) | undefined }
  /** Wait at most `millis` (`Infinity`: as long as it takes) for the next message; if none comes, handle `message` (OTP's receive `after`). */
  | { readonly _tag: "After"; readonly millis: number; readonly message: unknown }
  /** Handle `message` next, before the mailbox (OTP's `{continue, _}`, `{next_event, ...}`); it is no message in: neither counted nor traced. */
  | { readonly _tag: "Insert"; readonly message: unknown }

/**
 * Stop the process with `reason`, after `terminate`; `afterTerminate` runs once `terminate` ran.
 *
 * @example
 * ```ts
 * import { ExitReason, Loop } from "effect-otp"
 *
 * const done = Loop.stop(ExitReason.normal)
 * ```
 *
 * @category next
 * @since 0.1.0
 */
export const stop = (reason: ExitReason, afterTerminate?: () => void): Extract<Next, { readonly _tag: "Stop" }> => ({
  _tag: "Stop",
  reason,
  afterTerminate
})

/**
 * Wait at most `millis` milliseconds (non-negative; `Infinity` for no limit) for the next
 * message, then handle `message`. On `Clock`, so `TestClock` drives it.
 *
 * @example
 * ```ts
 * import { Loop } from "effect-otp"
 *
 * const idle = Loop.after(30_000, "idle")
 * ```
 *
 * @category next
 * @since 0.1.0
 */
export const after = (millis: number, message: unknown): Extract<Next, { readonly _tag: "After" }> => ({
  _tag: "After",
  millis,
  message
})

/**
 * Handle `message` before the mailbox.
 *
 * @example
 * ```ts
 * import { Loop } from "effect-otp"
 *
 * const loadFirst = Loop.insert({ _tag: "Load" })
 * ```
 *
 * @category next
 * @since 0.1.0
 */
export const insert = (message: unknown): Extract<Next, { readonly _tag: "Insert" }> => ({ _tag: "Insert", message })

/**
 * Runs the calling process on the loop with `behaviour` until it exits (OTP's
 * `gen_server:enter_loop`): registers it with the code server under `options.module`,
 * acknowledges the start, then handles messages. A process body ends with it.
 *
 * @example
 * ```ts
 * import { Gen, Loop } from "effect-otp"
 *
 * declare const behaviour: Loop.Behaviour<{ readonly name: string; readonly version: string }, number>
 *
 * const start = Gen.start((ack) => Loop.enter(behaviour, { module: { name: "Tally", version: "1" }, state: 0, ack }))
 * ```
 *
 * @category running
 * @since 0.1.0
 */
export const enter: <M extends Module, S, L, R>(
  behaviour: Behaviour<M, S, L, R>,
  options: {
    /** The module the process runs. */
    readonly module: M
    /** The initial state. */
    readonly state: S
    /** The process's parent (its starter, for `Gen.startLink`): its exit signal, trapped, stops the loop after `terminate`. */
    readonly parent?: Pid | undefined
    /** What to do first ({@link after} or {@link insert}); nothing by default. */
    readonly next?: Next
    /** The start's acknowledgement (`Gen.start`'s `ack`): given `Ok` once the process is registered with the code server. */
    readonly ack?: Ack | undefined
  }
) => Effect.Effect<void, never, R | CurrentProcess> = internal.enter
