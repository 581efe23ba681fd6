/**
 * The generic loop's machinery; `lib/Loop.ts` says what it does and how a behaviour uses it.
 * Here: the registers of a running loop ({@link LoopImpl}), its main loop, `terminate`, the
 * error report of an abnormal exit, and the hooks the library's behaviours need besides the
 * public `Loop` API.
 *
 * Hot path notes (the loop is the library's hottest path: every GenServer message runs it):
 * - Messages already queued are taken with the mailbox's synchronous `poll`, without an Effect
 *   step each; only an empty mailbox costs a `receive` step. Every {@link drainBudget} messages
 *   the loop yields, so that one busy process cannot starve the others.
 * - A behaviour's `handle` that returns a plain `Next` (not an Effect) costs no Effect step, and
 *   the common `Next` (go on, nothing else) is `undefined`: nothing is allocated for it.
 * - Statistics are always counted (two increments per message); traces cost one check while off.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as Tracer from "effect/Tracer"
import { BadArgument, UnknownRequest } from "../Errors.js"
import * as ExitReason from "../ExitReason.js"
import * as Gen from "../Gen.js"
import * as GenInternal from "./gen.js"
import type * as Loop from "../Loop.js"
import type { Pid } from "../Pid.js"
import * as Process from "../Process.js"
import type * as Sys from "../Sys.js"
import type { Module } from "../Code.js"
import { fromSpan } from "./call.js"
import { changeCode, track } from "./code.js"
import { format, unprintable } from "./format.js"
import { isInstance } from "./identity.js"
import * as log from "./log.js"
import { SystemRequest } from "./system.js"
import {
  currentProcessOf,
  type DirectLoop,
  ExitMessage,
  noMessage,
  type ProcessImpl,
  receiveMatching,
  receiveNext,
  receiveTimed,
  Status
} from "./runtime.js"

import { isStopReason } from "./reason.js"

export { isStopReason, toExitReason } from "./reason.js"
export { durationMillis } from "./timers.js"
export { enabled as logEnabled, log as logNow, write as writeLog } from "./log.js"


type Stop = Extract<Loop.Next, { readonly _tag: "Stop" }>
type After = Extract<Loop.Next, { readonly _tag: "After" }>
type Insert = Extract<Loop.Next, { readonly _tag: "Insert" }>
/** A behaviour with its types erased, as the loop runs it. */
export type AnyBehaviour = Loop.Behaviour<any, any, any, any>

/** How many queued messages the loop takes before it yields to the other fibers. */
const drainBudget = 4096

/**
 * What the parked loop's receive returns when the run queue handled a message for it
 * (`LoopImpl.runDirect`) and left the outcome in `pending`: never a message of the mailbox.
 */
const directMarker: unique symbol = Symbol("effect-otp/loop/direct")

/** The effect the fiber's receive is resumed with to take `pending` (one, shared). */
const resumeDirect: Effect.Effect<unknown> = Exit.succeed(directMarker)

/**
 * The registers of one running loop: the process, its module and state, and the loop's own
 * flags and counters. It is the `Loop.Server` a behaviour's callbacks get, and what the code
 * server keeps for the process (`internal/code.ts`), which reads `module` and may change the
 * code of an idle loop in place (`parked`, `changing`, `waiter`).
 */
export class LoopImpl implements Loop.Server<any, any, any>, DirectLoop {
  /** The module the process runs: the code server reads it; only a code change writes it. */
  module: Module
  /** What the behaviour's `load` made of `module` (the module itself without `load`). */
  loaded: unknown
  state: unknown
  /** Blocked in the main loop's plain `receive`: idle when the mailbox is empty too. */
  parked = false
  /** A code change running in place on another fiber; the loop waits for it (see `waiter`). */
  changing = false
  /** The idle timeout of the next receive (the last `Loop.after`), if any. */
  after: After | undefined = undefined
  /** A message to handle before the mailbox (the last `Loop.insert`), if any. */
  inserted: Insert | undefined = undefined
  /** The message being (or last) handled, for the error report (see `Loop.Server.last`). */
  last: unknown = undefined
  suspended = false
  trace = false
  terminated = false
  since: number
  messagesIn = 0
  messagesOut = 0
  /** Resumes the loop once an in-place code change is done, if a message woke it meanwhile. */
  waiter: (() => void) | undefined = undefined
  /** What a message handled by {@link runDirect} left for the fiber (see {@link resumeDirect}). */
  pending: Loop.Next | Effect.Effect<Loop.Next, unknown, unknown> = undefined
  readonly behaviour: AnyBehaviour
  readonly self: ProcessImpl
  readonly parent: Pid | undefined
  readonly startTime: number
  /** The process's services: an in-place code change runs its `codeChange` with them. */
  readonly context: Context.Context<never>

  constructor(
    behaviour: AnyBehaviour,
    module: Module,
    state: unknown,
    self: ProcessImpl,
    parent: Pid | undefined,
    startTime: number,
    context: Context.Context<never>
  ) {
    this.module = module
    this.loaded = behaviour.load === undefined ? module : behaviour.load(module)
    this.state = state
    this.since = startTime
    this.behaviour = behaviour
    this.self = self
    this.parent = parent
    this.startTime = startTime
    this.context = context
  }

  reply(from: Gen.From, value: unknown): void {
    GenInternal.replyUnsafe(from, value)
    this.messagesOut++
    if (this.trace) this.traceOut(value)
  }

  replyFailure(from: Gen.From, error: unknown): void {
    GenInternal.replyFailureUnsafe(from, error)
    this.messagesOut++
    if (this.trace) this.traceOut(error)
  }

  private traceOut(value: unknown): void {
    const fiber = Fiber.getCurrent()
    if (fiber !== undefined) log.log(fiber, "Info", [`${this.self} replied ${this.describe(value)}`])
  }

  /** A message as text, for traces and reports: the behaviour's `describe`, which must not throw. */
  describe(message: unknown): string {
    const describe = this.behaviour.describe
    return describe === undefined ? format(message) : describe(message)
  }

  /** Whether `module` may replace the running module: a module of the behaviour, of the same name. */
  accepts(module: unknown): module is Module {
    return this.behaviour.isModule(module) && (module as Module).name === this.module.name
  }

  /** Swaps the module (and what `load` makes of it). */
  setModule(next: Module): void {
    this.module = next
    const load = this.behaviour.load
    this.loaded = load === undefined ? next : load(next)
  }

  /** Puts module and state back as they were before a code change whose requester gave up. */
  restore(module: Module, state: unknown): void {
    if (this.module !== module) this.setModule(module)
    this.state = state
  }

  /** The `ChangeCode` system request: see `internal/code.ts`. */
  changeCode(next: Module, extra: unknown): Effect.Effect<void, Sys.SysError, unknown> {
    return changeCode(this, next, extra)
  }

  /** The state as `Sys.getState` shows it: the behaviour's `systemState`, or the state itself. */
  systemState(): unknown {
    const view = this.behaviour.systemState
    return view === undefined ? this.state : view.get(this)
  }

  /** Stores what `Sys.replaceState`'s function returned (the behaviour's `systemState` may refuse it by throwing). */
  replaceSystemState(value: unknown): void {
    const view = this.behaviour.systemState
    if (view === undefined) this.state = value
    else view.replace(this, value)
  }

  /** Marks the process suspended by `Sys.suspend` (or not): `Process.info` reports it. */
  suspend(suspended: boolean): void {
    this.suspended = suspended
    if (suspended) this.self.runtime.suspended.add(this.self)
    else this.self.runtime.suspended.delete(this.self)
  }

  /**
   * The state as the behaviour's `formatStatus` shows it (the raw state without one). Never
   * throws and never runs an Effect: if `formatStatus` throws, or returns an Effect, the state
   * shows as a string saying so, never the raw state (which `formatStatus` may be there to
   * redact), as OTP's `gen:format_status` shows `"Mod:format_status/1 crashed"`.
   */
  formatState(): unknown {
    const format = this.behaviour.formatStatus
    if (format === undefined) return this.state
    try {
      const shown = format(this)
      return Effect.isEffect(shown) ? `${this.module.name}.formatStatus returned an Effect` : shown
    } catch {
      return `${this.module.name}.formatStatus crashed`
    }
  }

  /**
   * Handles queued messages in the run queue's turn while the loop is parked in its plain
   * receive (see `DirectLoop`): what the main loop does for a message, without resuming the
   * fiber, as long as the behaviour's `handle` answers with a plain `Next` that goes on. Leaves
   * to the fiber everything else: a system message, the parent's exit, traces, a suspended or
   * timed loop, a code change in place, and a message whose `handle` returned an Effect, a
   * stop, an `after` or an `insert`, or threw (the fiber resumes with {@link resumeDirect} and
   * takes it from `pending`, as if `handle` had run on it).
   */
  runDirect(): Effect.Effect<unknown> | boolean {
    if (!this.parked || this.changing || this.suspended || this.trace || this.after !== undefined) return false
    const process = this.self
    const behaviour = this.behaviour
    for (let n = 0; n < drainBudget; n++) {
      if (process.head >= process.mailbox.length || process.status >= Status.Exiting) return true
      const message = process.mailbox[process.head]
      if (kindOf(this, message) !== ordinary) return false
      process.takeNext()
      process.runtime.directHandled++
      this.messagesIn++
      this.last = message
      let next: Loop.Next | Effect.Effect<Loop.Next, unknown, unknown>
      try {
        next = behaviour.handle(this, message)
      } catch (error) {
        next = Effect.die(error)
      }
      if (next !== undefined) {
        this.pending = next
        return resumeDirect
      }
    }
    return true
  }

  /** Runs the behaviour's `terminate` once: a crash inside `terminate` itself does not run it again. */
  terminate(reason: ExitReason.ExitReason): Effect.Effect<void, unknown, unknown> {
    return Effect.suspend(() => {
      const terminate = this.behaviour.terminate
      if (this.terminated || terminate === undefined) return Effect.void
      this.terminated = true
      const result = terminate(this, reason)
      return Effect.isEffect(result) ? Effect.asVoid(result) : Effect.void
    })
  }
}

/**
 * The span of the caller of a call made while the node's telemetry is on (`undefined`
 * otherwise): a behaviour handles such a call {@link inCallSpan}.
 */
export const callSpan = (from: Gen.From): Tracer.Span | undefined => fromSpan(from)

/**
 * Runs `handle`, a behaviour's handling of a call whose {@link callSpan} is `client`, inside a
 * server span `handle_call <request>`, child of the caller's span (see `Telemetry`).
 */
export const inCallSpan = <A, E, R>(
  server: Loop.Server<Module, unknown, unknown>,
  client: Tracer.Span,
  request: string,
  handle: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  const self = server.self as ProcessImpl
  const attributes: Record<string, unknown> = {
    "otp.pid": String(self),
    "otp.module": server.module.name,
    "otp.request": request
  }
  if (self.name !== undefined) attributes["otp.name"] = self.name
  return Effect.withSpan(handle, `handle_call ${request}`, {
    kind: "server",
    parent: client,
    attributes,
    captureStackTrace: false
  })
}

// ----------------------------------------------------------------------------
// Entering the loop
// ----------------------------------------------------------------------------

/** `Loop.enter`: makes the registers, registers with the code server, acknowledges, runs. */
export const enter = (behaviour: AnyBehaviour, options: Parameters<typeof Loop.enter>[1]): Effect.Effect<void, never, any> =>
  Effect.withFiber((fiber) => {
    const self = currentProcessOf(fiber)
    if (self === undefined) {
      return Effect.die(new BadArgument({ operation: "Loop.enter", reason: "not called from a process" }))
    }
    const startTime = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
    const loop = new LoopImpl(behaviour, options.module, options.state, self, options.parent, startTime, fiber.context)
    const first = options.next
    if (first !== undefined) {
      const bad = applyNext(loop, first)
      if (bad !== undefined) return Effect.die(bad)
    }
    track(loop)
    self.direct = loop
    const ack = options.ack
    return ack === undefined ? run(loop) : Effect.andThen(ack({ _tag: "Ok" }), run(loop))
  })

/**
 * The process's life in the loop: the main loop, then `terminate` (after a crash in a
 * callback; a stop ran it already), the error report of an abnormal exit, and the exit.
 */
const run = (loop: LoopImpl): Effect.Effect<void, never, unknown> =>
  Effect.flatMap(Effect.exit(mainLoop(loop)), (exit) => {
    if (loop.self.direct === loop) loop.self.direct = undefined
    if (Exit.isSuccess(exit)) return finish(loop, exit.value)
    const reason = ExitReason.crash(exit.cause)
    // `terminate` already ran if it is what crashed (after a stop): the process exits with that crash.
    if (loop.terminated) return finish(loop, reason)
    return Effect.flatMap(
      Effect.exit(loop.terminate(reason)),
      (terminated) => finish(loop, Exit.isFailure(terminated) ? ExitReason.crash(terminated.cause) : reason)
    )
  })

/**
 * Exits with `reason`, once `terminate` ran. An abnormal reason (not `normal`, `shutdown` or
 * `{shutdown, _}`) is logged first as the behaviour's error report, once, whoever the parent is.
 */
const finish = (loop: LoopImpl, reason: ExitReason.ExitReason): Effect.Effect<void, never, Process.CurrentProcess> => {
  if (reason._tag === "Normal") return Effect.void
  if (reason._tag === "Shutdown") return Process.exitWith(reason)
  return Effect.andThen(
    Effect.withFiber((fiber) => {
      if (log.enabled(fiber, "Error")) report(fiber, loop, reason)
      return Effect.void
    }),
    Process.exitWith(reason)
  )
}

/**
 * OTP's terminate report (gen_server's `** Generic server ~p terminating`): logged once, at
 * `Error`, from the process's own fiber, before it exits. The message has the process
 * (registered name, or pid, and module), the last message it got, its state as `formatStatus`
 * shows it, and the reason (the crash's own message); the entry's cause is the crash's Cause,
 * which a logger prints with its stack (Effect's default logger does). Annotated `report` (the
 * behaviour's, e.g. `gen_server`), `pid`, `module`, `reason` (the tag).
 */
const report = (fiber: Fiber.Fiber<unknown, unknown>, loop: LoopImpl, reason: ExitReason.ExitReason): void => {
  const behaviour = loop.behaviour
  const self = loop.self
  const pid = String(self)
  // Its local or via name (a Registry key), as OTP's report names a via-registered server.
  const registered = GenInternal.nameOf(self)
  const name = registered === undefined ? pid : `${registered} (${pid})`
  const module = loop.module.name
  const message = `** ${behaviour.title} ${name} (${module}) terminating\n` +
    `** Last message in was ${shorten(loop.last === undefined ? "none" : safely(() => loop.describe(loop.last)))}\n` +
    `** When Server state == ${shorten(format(loop.formatState()))}\n` +
    `** Reason for termination ==\n` +
    `** ${shorten(ExitReason.format(reason))}` +
    // A logger that prints the cause (Effect's default does) puts it after the message: on its own line.
    (reason._tag === "Crash" ? "\n" : "")
  log.write(
    fiber,
    "Error",
    [message],
    { report: behaviour.report, pid, module, reason: reason._tag },
    reason._tag === "Crash" ? reason.cause : Cause.empty
  )
}

/** A part of a report, whatever a behaviour's `describe` or `formatState` does (they must not throw). */
const safely = (part: () => string): string => {
  try {
    return part()
  } catch {
    return unprintable
  }
}

/**
 * Caps one part of a report (OTP limits a report's terms to `error_logger_format_depth`): the last
 * guard, after `format` (./format.ts) cut the value's containers before formatting them.
 */
const shorten = (text: string): string => text.length > 8192 ? `${text.slice(0, 8192)}... (${text.length} characters)` : text

// ----------------------------------------------------------------------------
// The main loop
// ----------------------------------------------------------------------------

/** Runs until the process stops; returns the exit reason (after `terminate` ran). */
const mainLoop = (loop: LoopImpl): Effect.Effect<ExitReason.ExitReason, unknown, unknown> =>
  Effect.gen({ self: loop }, mainLoopBody)

function* mainLoopBody(this: LoopImpl) {
  const loop = this
  const process = loop.self
  const behaviour = loop.behaviour
  let drained = 0
  while (true) {
    let message: unknown
    const inserted = loop.inserted
    if (inserted !== undefined) {
      // Handled before the mailbox, and no message in: neither counted nor traced.
      loop.inserted = undefined
      message = inserted.message
    } else {
      // Messages already queued are taken without an Effect step each.
      message = loop.suspended || loop.after !== undefined ? noMessage : process.poll()
      if (message !== noMessage) {
        if (++drained >= drainBudget) {
          drained = 0
          yield* Effect.yieldNow
        }
      } else if (loop.suspended) {
        // Suspended: only system messages, and the parent's exit signal when trapping (OTP's
        // sys suspend loop); everything else stays queued, in order.
        message = yield* receiveMatching((m) => kindOf(loop, m) !== ordinary)
      } else if (loop.after !== undefined) {
        const after = loop.after
        const next = yield* receiveTimed(undefined, after.millis)
        message = Option.isSome(next) ? next.value : after.message
      } else {
        loop.parked = true
        message = yield* receiveNext
        loop.parked = false
        // Idle, this process may have had its code changed in place (`Code.upgrade`); if that
        // change is still running (an asynchronous `codeChange`), the message waits for it.
        if (loop.changing) yield* awaitCodeChange(loop)
      }
      const kind = kindOf(loop, message)
      if (message === directMarker) {
        // The run queue handled a message (`runDirect`) and left its outcome to this fiber.
      } else if (kind === system) {
        // Each request carries its answer (`Sys.ts`); anything else sent as one gets
        // `UnknownRequest` and changes nothing.
        const { from, request } = message as GenInternal.SystemMessage
        if (isInstance(request, SystemRequest)) {
          const outcome = yield* (request as SystemRequest).answer(loop, from)
          if (outcome !== undefined) return outcome
        } else {
          GenInternal.replyFailureUnsafe(
            from,
            new UnknownRequest({ target: loop.self, tag: `system ${safely(() => formatTag(request))}` })
          )
        }
        continue
      } else {
        // Statistics and traces cover the process's own messages, not system messages (as
        // OTP's debug events).
        loop.messagesIn++
        if (loop.trace) yield* Effect.log(`${process} got ${loop.describe(message)}`)
        if (kind === parentExit) {
          // The parent (a supervisor) is shutting this process down while it traps exits:
          // terminate, then go.
          const reason = (message as ExitMessage).reason
          loop.last = message
          yield* loop.terminate(reason)
          return reason
        }
      }
    }
    let next: Loop.Next | Effect.Effect<Loop.Next, unknown, unknown>
    if (message === directMarker) {
      next = loop.pending
      loop.pending = undefined
    } else {
      loop.last = message
      next = behaviour.handle(loop, message)
    }
    if (next === undefined) {
      loop.after = undefined
      continue
    }
    if (Effect.isEffect(next)) {
      next = yield* next
      if (next === undefined) {
        loop.after = undefined
        continue
      }
    }
    if ((next as Stop)._tag === "Stop") {
      const reason = (next as Stop).reason
      if (!isStopReason(reason)) return yield* Effect.die(notANext(loop, next))
      return yield* stopping(loop, next as Stop)
    }
    const bad = applyNext(loop, next)
    if (bad !== undefined) return yield* Effect.die(bad)
  }
}

/** What the loop makes of a message: see {@link kindOf}. */
const ordinary = 0
const system = 1
const parentExit = 2

/**
 * Whether a message is a system message, the parent's exit signal (trapped), or an ordinary
 * message for the behaviour. A message nothing can be read from (a revoked Proxy, from an
 * untyped caller: `instanceof` asks it for its prototype, which throws) is an ordinary one: the
 * behaviour gets it, as OTP's `handle_info` gets any term, and neither the process nor the
 * run queue (which classifies messages for idle loops) fails on it. (One `try` around the
 * whole test, not `isInstance`: reading `from` may throw too, from a Proxy posing as an exit.)
 */
const kindOf = (loop: LoopImpl, message: unknown): 0 | 1 | 2 => {
  if (typeof message !== "object" || message === null) return ordinary
  try {
    if (message instanceof GenInternal.SystemMessage) return system
    return loop.parent !== undefined && message instanceof ExitMessage && message.from === loop.parent
      ? parentExit
      : ordinary
  } catch {
    return ordinary
  }
}


/**
 * Applies an `after` or an `insert` (or nothing); returns the defect of anything else, which
 * only a behaviour that builds its `Next` by hand can return.
 */
const applyNext = (loop: LoopImpl, next: Loop.Next): BadArgument | undefined => {
  if (next === undefined) {
    loop.after = undefined
    return undefined
  }
  switch ((next as { readonly _tag?: unknown })?._tag) {
    case "After": {
      const millis = (next as After).millis
      if (!(typeof millis === "number" && millis >= 0)) break
      loop.after = millis === Infinity ? undefined : next as After
      return undefined
    }
    case "Insert":
      loop.after = undefined
      loop.inserted = next as Insert
      return undefined
  }
  return notANext(loop, next)
}

/** The defect of a `Next` that is none (or a stop whose reason is no exit reason). */
const notANext = (loop: LoopImpl, next: unknown): BadArgument =>
  new BadArgument({
    operation: `${loop.behaviour.title} loop`,
    reason: `not a Loop.Next (Loop.stop with an exit reason, Loop.after, Loop.insert or nothing): ${format(next)}`
  })

/**
 * A stop: `terminate`, then the stop's `afterTerminate` if any (run however `terminate` ends,
 * as gen_server sends a stop's reply in an `after`).
 */
const stopping = (loop: LoopImpl, stop: Stop): Effect.Effect<ExitReason.ExitReason, unknown, unknown> => {
  const reason = stop.reason
  const terminated = Effect.as(loop.terminate(reason), reason)
  const after = stop.afterTerminate
  return after === undefined ? terminated : Effect.ensuring(terminated, Effect.sync(after))
}

/** Waits, after a wake-up, for an in-place code change that is still running. */
const awaitCodeChange = (loop: LoopImpl): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    if (!loop.changing) return resume(Effect.void)
    loop.waiter = () => resume(Effect.void)
  })

/** The tag of a system request the loop does not know, as text, whatever an untyped caller made it. */
const formatTag = (request: unknown): string => {
  const tag: unknown = typeof request === "object" && request !== null ? (request as { _tag?: unknown })._tag : undefined
  return typeof tag === "string" ? tag : format(tag)
}
