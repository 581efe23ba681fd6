/**
 * The machinery of the call protocol and of the start with init acknowledgement (`lib/Gen.ts`
 * is their public face): target resolution, the request with its reply handle, the system
 * message, and OTP's `proc_lib:start` with its init acknowledgement.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Formatter from "effect/Formatter"
import * as Option from "effect/Option"
import {
  type AlreadyRegistered,
  AlreadyStarted,
  BadArgument,
  type CallError,
  CallTimeout,
  InitFailed,
  InitIgnored,
  InitTimeout,
  MailboxFull,
  NoProc
} from "../Errors.js"
import * as ExitReason from "../ExitReason.js"
import type { Ack, CallOptions, From, Name, StartError, StartOptions, Target } from "../Gen.js"

/** A remote target (`Gen.Target`), served by its own transport. */
export type Remote = Extract<Target, { readonly _tag: "Remote" }>
/** A via name (`Gen.Name`), resolved through its registry. */
export type Via = Extract<Name, { readonly _tag: "Via" }>
import { Node } from "../Node.js"
import type { Pid } from "../Pid.js"
import * as Process from "../Process.js"
import { FromImpl } from "./call.js"
import {
  boundHooks,
  currentProcessOf,
  deliverEffect,
  type NodeRuntime,
  passBound,
  ProcessImpl,
  runSoleNext,
  runtimeOf,
  Watcher
} from "./runtime.js"
import { durationMillis, type Timer } from "./timers.js"

/** How errors name a target: a pid or name as it is, a via name as `via(key)`, a remote target by its label. */
export const describe = (target: Target): Pid | string =>
  typeof target === "object" && "_tag" in target && target._tag === "Via"
    ? `via(${typeof target.key === "string" ? target.key : Formatter.format(target.key)})`
    : isRemote(target)
    ? target.label
    : target as Pid | string


/**
 * The name each process started here with a name took (a local name, or a via name as
 * `via(key)`), kept after it exits: a supervisor's report about a dead child names it, as OTP's
 * reports show a registered name. A WeakMap, so an unnamed process pays nothing and a dead one
 * is not kept alive; written once per named start, never on a message.
 */
const startedNames = new WeakMap<Pid, string>()

/** The name `pid` was started with (see `startedNames`), or its current local name. */
export const nameOf = (pid: Pid): string | undefined =>
  startedNames.get(pid) ?? (pid instanceof ProcessImpl ? pid.name : undefined)

/** Whether a target is a remote one (a cluster reference), served by its own transport. */
export const isRemote = (u: unknown): u is Remote =>
  typeof u === "object" && u !== null && (u as Remote)._tag === "Remote"

export const isVia = (target: Target): target is Via =>
  typeof target === "object" && target !== null && (target as Via)._tag === "Via"

export const runtimeOfFiber = (fiber: Fiber.Fiber<unknown, unknown>): NodeRuntime | undefined => {
  const node = Context.getOrUndefined(fiber.context, Node)
  return node === undefined ? undefined : runtimeOf(node)
}

/** The pid a target names right now, if any. */
export const whereis = (target: Target): Effect.Effect<Option.Option<Pid>> => {
  if (isVia(target)) return target.registry.whereisName(target.key)
  if (isRemote(target)) return Effect.succeed(Option.none())
  if (typeof target === "string") {
    return Effect.withFiber((fiber) => {
      const pid: Pid | undefined = runtimeOfFiber(fiber)?.names.get(target)
      return Effect.succeed(Option.fromUndefinedOr(pid))
    })
  }
  return Effect.succeed(Option.some(target))
}

/**
 * A call as it sits in the server's mailbox: the request and the handle to reply to.
 *
 * @category call protocol
 * @since 0.1.0
 */
export class CallMessage {
  /** Marks a call (OTP's `$gen_call`). */
  readonly _tag = "$gen_call"
  constructor(
    /** The caller's reply handle: answer with {@link reply}. */
    readonly from: From,
    /** The request as the client sent it. */
    readonly request: unknown
  ) {}
}

/**
 * A cast as it sits in the server's mailbox.
 *
 * @category call protocol
 * @since 0.1.0
 */
export class CastMessage {
  /** Marks a cast (OTP's `$gen_cast`). */
  readonly _tag = "$gen_cast"
  constructor(
    /** The request as the client sent it. */
    readonly request: unknown
  ) {}
}

/**
 * A system message (from `Sys`) as it sits in the mailbox of a process built on the generic
 * loop. Such processes answer it with {@link reply}.
 *
 * @category call protocol
 * @since 0.1.0
 */
export class SystemMessage {
  /** Marks a system message (OTP's `system`). */
  readonly _tag = "$system"
  constructor(
    /** The reply handle of the process that sent the system request. */
    readonly from: From,
    /** The system request: a `SystemRequest` (`internal/system.ts`) made by `Sys`, or anything an untyped caller sent. */
    readonly request: unknown
  ) {}
}

// Bounded mailboxes (`Process.spawn`'s `mailbox` option): a `Sys` request always gets in (a
// bounded server must still answer its supervisor and `Sys`), and a call's request that a full
// mailbox refuses or drops fails its caller with `MailboxFull` at once: the server will never
// see it, so waiting for the timeout would only hide why.
passBound(SystemMessage)
boundHooks.dropped = (message, process) => {
  if (message instanceof CallMessage && message.from instanceof FromImpl) {
    message.from.settle(Effect.fail(new MailboxFull({ target: message.from.target, capacity: process.bound.capacity })))
  }
}

const defaultTimeout = 5000

/** A call or start timeout in milliseconds (`Infinity` for `"infinity"`), or the `BadArgument` it is. */
export const timeoutMillis = (operation: string, timeout: unknown): number | BadArgument =>
  timeout === undefined ? defaultTimeout : durationMillis(operation, timeout, true)

/** The local process a target names now: synchronous for pids and local names. */
export const resolveNow = (runtime: NodeRuntime | undefined, target: Pid | string): ProcessImpl | undefined =>
  target instanceof ProcessImpl ? target : typeof target === "string" ? runtime?.names.get(target) : undefined

export const resolveVia = (target: Via): Effect.Effect<ProcessImpl | undefined> =>
  Effect.map(
    target.registry.whereisName(target.key),
    (pid) => (Option.isSome(pid) && pid.value instanceof ProcessImpl ? pid.value : undefined)
  )

const awaitReply = (
  server: ProcessImpl | undefined,
  label: Pid | string,
  wrap: (from: From) => unknown,
  millis: number
): Effect.Effect<unknown, CallError> => {
  if (server === undefined || !server.alive) return Effect.fail(new NoProc({ target: label }))
  if (server.runtime.telemetry !== undefined) return awaitTraced(server, label, wrap, millis)
  return Effect.callback<unknown, CallError>((resume) => waitReply(server, label, wrap, millis, resume))
}

/** The register of a call's `Effect.callback`: sends the request and takes the reply at once if it comes. */
const waitReply = (
  server: ProcessImpl,
  label: Pid | string,
  wrap: (from: From) => unknown,
  millis: number,
  resume: (effect: Effect.Effect<unknown, CallError>) => void
): Effect.Effect<void> | undefined => {
  const from = new FromImpl(server.runtime, resume, label)
  return answeredAtOnce(from, sendRequest(server, from, label, wrap(from), millis))
}

/**
 * A request just sent, from inside the caller's `Effect.callback`: if the server is the one
 * task due next on its node, it runs now (`runSoleNext`), and if it answered and the answer is
 * in turn the one task due next, the caller takes it at once, without suspending. Otherwise the
 * caller waits as usual (`cancel` is its callback's cancellation). Measured on call round
 * trips to an idle GenServer: 0.5-0.7M calls/s before, 1.2M after (no suspension per call).
 */
const answeredAtOnce = (from: FromImpl, cancel: Effect.Effect<void> | undefined): Effect.Effect<void> | undefined => {
  if (cancel === undefined || !runSoleNext(from.runtime)) return cancel
  if (from.done && from.runtime.takeIfSoleNext(from)) from.run()
  return cancel
}


/**
 * Sends a request with its reply handle from inside the caller's `Effect.callback`: watches the
 * server, arms the timeout, delivers. Returns the callback's cancellation (or resumes at once
 * for a process calling itself).
 */
const sendRequest = (
  server: ProcessImpl,
  from: FromImpl,
  label: Pid | string,
  message: unknown,
  millis: number
): Effect.Effect<void> | undefined => {
  const current = Fiber.getCurrent()
  if (current !== undefined && currentProcessOf(current) === server) {
    // OTP exits the caller with `calling_self`: the call could only time out.
    from.resume(Effect.die(new Error(`calling_self: ${String(server)} called itself (${String(label)})`)))
    return undefined
  }
  from.server = server
  server.watch(from)
  if (millis !== Infinity) {
    from.timer = server.runtime.timers.add(millis, () => {
      from.settle(Effect.fail(new CallTimeout({ target: label, timeoutMillis: millis })))
    })
  }
  server.deliver(message)
  return Effect.sync(() => from.cancel())
}

/**
 * {@link awaitReply} on a node whose telemetry is on: the same protocol inside the client span
 * (see `Telemetry`), which travels with the reply handle so that the server's span continues it.
 */
const awaitTraced = (
  server: ProcessImpl,
  label: Pid | string,
  wrap: (from: From) => unknown,
  millis: number
): Effect.Effect<unknown, CallError> =>
  Effect.withFiber((fiber) => {
    let resume: (effect: Effect.Effect<unknown, any>) => void = () => {}
    const from = new FromImpl(server.runtime, (effect) => resume(effect), label)
    const message = wrap(from)
    return server.runtime.telemetry!.call(fiber, server, label, message, (span) => {
      if (span !== undefined) from.span = span
      return Effect.callback<unknown, CallError>((resumeCall) => {
        resume = resumeCall
        return sendRequest(server, from, label, message, millis)
      })
    })
  })


/**
 * Sends a request made by `wrap` from a fresh reply handle, and waits for the reply. The
 * building block of {@link call} and of `Sys`. A reply made with `replyFailureUnsafe` fails the
 * returned effect with that error, which the behaviour's typed protocol declares; it is not
 * part of the `CallError` type here.
 *
 * @category call protocol
 * @since 0.1.0
 */
export const request: {
  (target: Target, wrap: (from: From) => unknown): Effect.Effect<unknown, CallError>
  <O extends CallOptions | undefined>(
    target: Target,
    wrap: (from: From) => unknown,
    options: O
  ): Effect.Effect<unknown, CallError | (O extends { readonly timeout?: infer T } ? [T] extends [undefined | "infinity"] ? never : BadArgument : never)>
} = ((
  target: Target,
  wrap: (from: From) => unknown,
  options?: CallOptions
): Effect.Effect<unknown, CallError | BadArgument> => {
  if (isRemote(target)) {
    return Effect.die(new Error(`effect-otp: system messages cannot reach ${target.label} (a remote target)`))
  }
  const millis = timeoutMillis("call", options?.timeout)
  if (typeof millis !== "number") return Effect.fail(millis)
  if (isVia(target)) {
    return Effect.flatMap(resolveVia(target), (server) => awaitReply(server, describe(target), wrap, millis))
  }
  // Whether the server is alive is decided when the call runs, not when it is built: in the
  // call's own callback, so that a call to a pid is one Effect step before it waits.
  if (target instanceof ProcessImpl) {
    return Effect.callback<unknown, CallError>((resume) => {
      if (!target.alive) return resume(Effect.fail(new NoProc({ target })))
      if (target.runtime.telemetry !== undefined) return resume(awaitTraced(target, target, wrap, millis))
      return waitReply(target, target, wrap, millis, resume)
    })
  }
  return Effect.withFiber((fiber) => awaitReply(resolveNow(runtimeOfFiber(fiber), target), target, wrap, millis))
}) as any

/**
 * Sends one request to each of `targets` (made by `wrap` from a fresh reply handle) and waits
 * for all the replies, without a fiber per request: what a code upgrade of 100k processes
 * needs. Each outcome is an `Exit`: the reply, the reply failure, `NoProc` for a dead target,
 * `CallExit` for a target that exited before replying, or `CallTimeout` for one that did not
 * reply within `timeoutMillis` (counted for each from the moment the requests are sent; none
 * by default). A request given up (timed out, or all of them when this is interrupted) is no
 * longer `pending`.
 *
 * @category call protocol
 * @since 0.1.0
 */
export const requestAll = (
  targets: ReadonlyArray<Pid>,
  wrap: (from: From) => unknown,
  options?: { readonly timeoutMillis?: number | undefined }
): Effect.Effect<ReadonlyArray<Exit.Exit<unknown, unknown>>> =>
  Effect.callback<Array<Effect.Effect<unknown, unknown>>>((resume) => {
    const results = new Array<Effect.Effect<unknown, unknown>>(targets.length)
    let left = targets.length
    const pending: Array<FromImpl> = []
    for (let i = 0; i < targets.length; i++) {
      const pid = targets[i]!
      const server = pid instanceof ProcessImpl ? pid : undefined
      if (server === undefined || !server.alive) {
        results[i] = Effect.fail(new NoProc({ target: pid }))
        left--
        continue
      }
      const from = new FromImpl(server.runtime, (outcome) => {
        results[i] = outcome
        if (--left === 0) resume(Effect.succeed(results))
      }, pid)
      pending.push(from)
      sendRequest(server, from, pid, wrap(from), options?.timeoutMillis ?? Infinity)
    }
    if (left === 0) resume(Effect.succeed(results))
    return Effect.sync(() => {
      for (const from of pending) from.cancel()
    })
  }).pipe(Effect.flatMap((outcomes) => Effect.forEach(outcomes, (outcome) => Effect.exit(outcome))))


/**
 * `Gen.call` (which gives it its typed overloads): a call to a local target is a request; a
 * remote target gets it through its transport.
 */
export const call = (target: Target, message: unknown, options?: CallOptions): Effect.Effect<unknown, CallError | BadArgument> => {
  if (!isRemote(target)) return request(target, (from) => new CallMessage(from, message), options)
  // The remote transport gets a checked timeout.
  if (options?.timeout !== undefined) {
    const millis = timeoutMillis("call", options.timeout)
    if (typeof millis !== "number") return Effect.fail(millis)
  }
  return target.call(message, options)
}


/** `Gen.cast`. */
export const cast = (target: Target, message: unknown): Effect.Effect<void> => castMessage(target, new CastMessage(message))

/**
 * A cast of a message already wrapped (`GenServer.cast` sends the casts without payload as one
 * message made once per request); a remote target gets the request through its transport.
 */
export const castMessage = (target: Target, message: CastMessage): Effect.Effect<void> => {
  if (target instanceof ProcessImpl) return deliverEffect(target, message)
  if (isVia(target)) return Effect.map(resolveVia(target), (server) => server?.deliver(message))
  if (isRemote(target)) return target.cast(message.request)
  return Effect.withFiber((fiber) => {
    resolveNow(runtimeOfFiber(fiber), target as Pid | string)?.deliver(message)
    return Effect.void
  })
}


/** Answers a pending call with `value` (does nothing if it is no longer pending). */
export const replyUnsafe = (from: From, value: unknown): void => {
  ;(from as FromImpl).settle(Effect.succeed(value))
}

/** Answers a pending call with a typed failure: the caller's `call` fails with `error`. */
export const replyFailureUnsafe = (from: From, error: unknown): void => {
  ;(from as FromImpl).settle(Effect.fail(error))
}

/** What a process's init reports to the starter (the argument of `Gen.Ack`). */
export type InitResult =
  | { readonly _tag: "Ok" }
  | { readonly _tag: "Ignore" }
  | { readonly _tag: "Stop"; readonly reason: ExitReason.ExitReason }

type StartOutcome =
  | { readonly _tag: "Ack"; readonly result: InitResult }
  | { readonly _tag: "Exit"; readonly reason: ExitReason.ExitReason }
  | { readonly _tag: "Timeout" }


/** `Gen.start` and `Gen.startLink`: OTP's `proc_lib:start` and `start_link`. */
export const startWith = <R>(
  body: (ack: Ack) => Effect.Effect<unknown, unknown, R>,
  options: StartOptions | undefined,
  link: boolean
): Effect.Effect<Pid, StartError, Node | Exclude<R, Process.CurrentProcess> | Process.CurrentProcess> =>
  Effect.gen({ self: { body, options, link } }, startWithBody) as any


function* startWithBody(this: {
  readonly body: (ack: Ack) => Effect.Effect<unknown, unknown, any>
  readonly options: StartOptions | undefined
  readonly link: boolean
}) {
  const { body, link, options } = this
  // Checked before anything runs: a bad timeout leaves no process behind (OTP's proc_lib raises
  // `timeout_value` only once the process is spawned).
  const millis = timeoutMillis("start", options?.timeout)
  if (typeof millis !== "number") return yield* Effect.fail(millis)
  const name = options?.name
  const viaName = name !== undefined && typeof name !== "string" ? name : undefined
  const parent = link ? yield* Process.self : undefined
  let result: InitResult | undefined
  let wake: (() => void) | undefined
  const ack: Ack = (r) =>
    Effect.suspend(() => {
      if (result !== undefined) return Effect.void
      result = r
      // A failed init unlinks from the starter first, so the starter gets a typed error,
      // not an exit signal.
      const unlink = r._tag !== "Ok" && parent !== undefined ? Process.unlink(parent) : Effect.void
      return Effect.andThen(unlink, Effect.sync(() => wake?.()))
    })
  let registered = false
  const registerVia: Effect.Effect<void, unknown, Process.CurrentProcess> = viaName === undefined
    ? Effect.void
    : Effect.flatMap(Process.self, (self) =>
      Effect.flatMap(viaName.registry.registerName(viaName.key, self), (owner) => {
        if (Option.isNone(owner)) {
          registered = true
          startedNames.set(self, String(describe(viaName)))
          return Effect.void
        }
        return Effect.andThen(
          ack({
            _tag: "Stop",
            reason: ExitReason.fail(new AlreadyStarted({ name: String(describe(viaName)), pid: owner.value }))
          }),
          Effect.interrupt
        )
      }))
  // Only the owner of a via name unregisters it (the loser of a name race must not remove the
  // winner), and it does however it ends: after a failed init, an ignore, or a stop. Without a
  // via name there is nothing to undo, and nothing is kept for the process's life.
  const process = viaName === undefined ? body(ack) : Effect.andThen(registerVia, body(ack)).pipe(
    Effect.ensuring(Effect.suspend(() => registered ? viaName.registry.unregisterName(viaName.key) : Effect.void))
  )
  const spawnOptions = {
    name: typeof name === "string" ? name : undefined,
    trapExit: options?.trapExit,
    mailbox: options?.mailbox
  }
  const spawned = link ? Process.spawnLink(process, spawnOptions) : Process.spawn(process, spawnOptions)
  const pid = yield* spawned.pipe(
    Effect.catchTag("AlreadyRegistered", (e: AlreadyRegistered) =>
      Effect.fail(new AlreadyStarted({ name: e.name, pid: e.pid })))
  )
  const child = pid as ProcessImpl
  if (typeof name === "string") startedNames.set(pid, name)
  const outcome = yield* Effect.callback<StartOutcome, never, Process.CurrentProcess>((resume) => {
    if (result !== undefined) return resume(Effect.succeed({ _tag: "Ack", result }))
    let timer: Timer | undefined
    const watcher = new (class extends Watcher {
      down(reason: ExitReason.ExitReason) {
        if (timer) child.runtime.timers.cancel(timer)
        // Resumed from the run queue, after every exit watcher (a Registry's cleanup) ran.
        const outcome: StartOutcome = result !== undefined ? { _tag: "Ack", result } : { _tag: "Exit", reason }
        child.runtime.schedule({ run: () => resume(Effect.succeed(outcome)) })
      }
    })()
    if (!child.watch(watcher)) {
      return resume(Effect.succeed({ _tag: "Exit", reason: child.exitReason ?? ExitReason.noproc }))
    }
    wake = () => {
      if (timer) child.runtime.timers.cancel(timer)
      child.unwatch(watcher)
      resume(Effect.succeed({ _tag: "Ack", result: result! }))
    }
    if (millis !== Infinity) {
      timer = child.runtime.timers.add(millis, () => {
        child.unwatch(watcher)
        resume(Effect.succeed({ _tag: "Timeout" }))
      })
    }
    // The start is abandoned (the starter was interrupted): the half-started process goes, as
    // after a timeout, so that nobody is left running that the caller never heard of, holding
    // its name.
    return Effect.suspend(() => {
      if (timer) child.runtime.timers.cancel(timer)
      child.unwatch(watcher)
      wake = undefined
      return Effect.andThen(
        link ? Process.unlink(pid) : Effect.void,
        Effect.andThen(Process.exit(pid, ExitReason.kill), awaitDeath(child))
      )
    })
  })
  // As OTP 26's proc_lib: a start that fails returns only once the process is gone, so the
  // caller never sees a half-dead child (its name is free, its links and monitors fired).
  if (outcome._tag !== "Ack" || outcome.result._tag !== "Ok") {
    if (link) yield* Process.unlink(pid)
    if (outcome._tag === "Timeout") yield* Process.exit(pid, ExitReason.kill)
    yield* awaitDeath(child)
  }
  switch (outcome._tag) {
    case "Timeout": {
      return yield* new InitTimeout({ timeoutMillis: millis })
    }
    case "Exit": {
      return yield* new InitFailed({ reason: outcome.reason })
    }
    case "Ack": {
      const init = outcome.result
      if (init._tag === "Ok") return pid
      if (init._tag === "Ignore") return yield* new InitIgnored()
      if (init.reason._tag === "Crash") {
        const failure = Option.getOrUndefined(findFailure(init.reason))
        if (failure instanceof AlreadyStarted) return yield* failure
      }
      return yield* new InitFailed({ reason: init.reason })
    }
  }
}

/** Waits until `process` has exited (at once if it already has). */
const awaitDeath = (process: ProcessImpl): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    const watcher = new (class extends Watcher {
      down() {
        // From the run queue: the exit is complete (every exit watcher ran) when the caller goes on.
        process.runtime.schedule({ run: () => resume(Effect.void) })
      }
    })()
    if (!process.watch(watcher)) return resume(Effect.void)
    return Effect.sync(() => process.unwatch(watcher))
  })

const findFailure = (reason: ExitReason.Crash): Option.Option<unknown> => {
  // A reason from an untyped init may be a `Crash` without a Cause.
  const failure = Array.isArray(reason.cause?.reasons) ? reason.cause.reasons.find((r) => r._tag === "Fail") : undefined
  return failure !== undefined && failure._tag === "Fail" ? Option.some(failure.error) : Option.none()
}

