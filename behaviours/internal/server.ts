/**
 * GenServer as a callback module on the generic loop (`lib/Loop.ts`): `init` and the start's
 * acknowledgement, then one `handle` that maps calls, casts, continues and other messages to the
 * module's callbacks and checks every result at run time, as gen_server checks it (anything
 * that is not one of its results stops the server with `BadReturnValue`). Everything else (the
 * mailbox, `Sys`, code change, `terminate`, the error report) is the loop's.
 *
 * @internal
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import { BadReturnValue, type CallError, UnknownRequest } from "../../lib/Errors.js"
import * as ExitReason from "../../lib/ExitReason.js"
import * as Gen from "../../lib/Gen.js"
import * as GenInternal from "../../lib/internal/gen.js"
import { callSpan, durationMillis, inCallSpan, isStopReason, toExitReason } from "../../lib/internal/loop.js"
import * as Loop from "../../lib/Loop.js"
import { isPid } from "../../lib/Pid.js"
import * as Sys from "../../lib/Sys.js"
import type { Action, CallResult, CastResult, InitResult, Server as GenServer } from "../GenServer.js"
import { format } from "../../lib/internal/format.js"
import { ownFunctions, type Table } from "./handlers.js"
import { type Check, run, startOn } from "./init.js"

/** The module as the loop sees it: every type erased. */
export interface AnyModule {
  readonly name: string
  readonly version: string
  readonly init: (args: unknown) => unknown
  readonly handleCall?: object
  readonly handleCast?: object
  readonly handleInfo?: (message: unknown, state: unknown) => unknown
  readonly handleContinue?: (arg: unknown, state: unknown) => unknown
  readonly terminate?: (reason: ExitReason.ExitReason, state: unknown) => unknown
  readonly codeChange?: (oldVersion: string, oldState: unknown, extra: unknown) => unknown
  readonly formatStatus?: (state: unknown) => unknown
}

type CallHandler = (payload: unknown, state: unknown, from: Gen.From) => unknown
type CastHandler = (payload: unknown, state: unknown) => unknown

/** What the loop keeps of a module (`Loop.Behaviour.load`): its handler tables. */
interface Handlers {
  readonly calls: Table<CallHandler>
  readonly casts: Table<CastHandler>
}

type Server = Loop.Server<AnyModule, unknown, Handlers>

/** A request as it travels: the Rpc tag and its payload. */
export class Request {
  constructor(readonly _tag: unknown, readonly payload: unknown) {}
}

/** The message `handleInfo` receives when an idle timeout expires. */
export const timeout: { readonly _tag: "GenServerTimeout" } = { _tag: "GenServerTimeout" }

/** What the loop handles for a `{ continue }` action (OTP's `{continue, Continue}`), and what the report names. */
class Continuing {
  constructor(readonly arg: unknown) {}
}

// ----------------------------------------------------------------------------
// Handler tables
// ----------------------------------------------------------------------------

/** The handlers of each module made by `make` (and of any other module value, once seen). */
const handlersByModule = new WeakMap<object, Handlers>()

/**
 * Resolves `module`'s handler tables once (`make` does it): a request tag, which an untyped
 * caller controls, only ever reaches an own handler of the definition, never `Object.prototype`.
 */
export const register = (module: object & { readonly handleCall?: unknown; readonly handleCast?: unknown }): void => {
  handlersByModule.set(module, {
    calls: ownFunctions<CallHandler>(module.handleCall),
    casts: ownFunctions<CastHandler>(module.handleCast)
  })
}

/**
 * The module looked up last, and its tables: `Code.upgrade` of many servers loads one module
 * over and over, and this spares it a `WeakMap` lookup per server (measured: a fifth of the time
 * of an in-place upgrade of 50k idle servers).
 */
let lastModule: AnyModule | undefined
let lastHandlers: Handlers | undefined

const handlersOf = (module: AnyModule): Handlers => {
  if (module === lastModule) return lastHandlers!
  let handlers = handlersByModule.get(module)
  if (handlers === undefined) {
    // A module value that `make` did not return (e.g. written by hand): resolved once, the same way.
    register(module)
    handlers = handlersByModule.get(module)!
  }
  lastModule = module
  lastHandlers = handlers
  return handlers
}

// ----------------------------------------------------------------------------
// Start
// ----------------------------------------------------------------------------

/**
 * `init`'s result checked as gen_server's `init_it` checks it (a crash, `ignore` and `stopWith`
 * are `init.ts`'s): anything but `ok` with a valid action fails the start with `BadReturnValue`.
 */
const checkInit: Check = (module: AnyModule, init, ack, parent) => {
  const ok = init as Extract<InitResult<unknown>, { readonly _tag: "Ok" }> | null | undefined
  const next = typeof ok === "object" && ok !== null && ok._tag === "Ok" && "state" in ok ? nextOf(module, ok.action) : false
  if (next === false) return badReturnValue(module, "init", undefined, init)
  return { module, state: ok!.state, parent, next, ack }
}

// ----------------------------------------------------------------------------
// The callback module
// ----------------------------------------------------------------------------

const infoKind = 0
const castKind = 1
const callKind = 2
const continueKind = 3

/**
 * Which callback a message is for. Anything else, also a message nothing can be read from (a
 * revoked Proxy, from an untyped caller: `instanceof` asks it for its prototype, which throws),
 * is an info message, as OTP gives any term to `handle_info`.
 */
const kindOf = (message: unknown): 0 | 1 | 2 | 3 => {
  if (typeof message !== "object" || message === null) return infoKind
  // One `try` with the classes written here, not `isInstance` per class: on every message, an
  // `instanceof` of a known class is a prototype check; through a shared helper the class is a
  // variable and the check a generic walk (measured: calls 0.75-0.98M/s against 0.8-1.2M).
  try {
    return message instanceof Gen.CastMessage
      ? castKind
      : message instanceof Gen.CallMessage
      ? callKind
      : message instanceof Continuing
      ? continueKind
      : infoKind
  } catch {
    return infoKind
  }
}

const genServer: Loop.Behaviour<AnyModule, unknown, Handlers, unknown> = {
  title: "Generic server",
  report: "gen_server",
  // a GenServer module is a value with `GenServer.TypeId`, as `make` returns.
  isModule: (u): u is AnyModule => typeof u === "object" && u !== null && "~effect-otp/GenServer" in u,
  load: handlersOf,
  handle: (server, message) => {
    const kind = kindOf(message)
    if (kind === castKind) {
      // Anything may arrive as a cast (`Gen.cast`): only a declared handler of its tag runs.
      const request = (message as Gen.CastMessage).request as Request | null | undefined
      const tag = request?._tag
      const handler = typeof tag === "string" ? server.loaded.casts[tag] : undefined
      if (handler === undefined) {
        return warn(server, `${server.module.name} ${server.self}: no handleCast for ${formatTag(tag)}; dropped`)
      }
      const result = handler((request as Request).payload, server.state)
      return Effect.isEffect(result)
        ? Effect.map(result, (r) => noReply(server, r, "handleCast", tag))
        : noReply(server, result, "handleCast", tag)
    }
    if (kind === callKind) {
      const request = (message as Gen.CallMessage).request as Request | null | undefined
      // The request, not the call, which holds the caller's reply handle: the report names it.
      server.last = request
      const tag = request?._tag
      const handler = typeof tag === "string" ? server.loaded.calls[tag] : undefined
      const from = (message as Gen.CallMessage).from
      if (handler === undefined) {
        GenInternal.replyFailureUnsafe(from, new UnknownRequest({ target: server.self, tag: formatTag(tag) }))
        return server.after
      }
      const client = callSpan(from)
      if (client !== undefined) {
        // Telemetry is on: the call is handled in a server span, child of the caller's span.
        return inCallSpan(
          server,
          client,
          formatTag(tag),
          Effect.suspend(() =>
            Effect.map(run(handler((request as Request).payload, server.state, from)), (r) => callResult(server, from, r, tag))
          )
        )
      }
      const result = handler((request as Request).payload, server.state, from)
      return Effect.isEffect(result)
        ? Effect.map(result, (r) => callResult(server, from, r, tag))
        : callResult(server, from, result, tag)
    }
    if (kind === continueKind) {
      // A continue is accepted only from a module with handleContinue (see `nextOf`); its code
      // cannot change before the continue runs.
      const result = server.module.handleContinue!((message as Continuing).arg, server.state)
      return Effect.isEffect(result)
        ? Effect.map(result, (r) => noReply(server, r, "handleContinue", undefined))
        : noReply(server, result, "handleContinue", undefined)
    }
    const handleInfo = server.module.handleInfo
    if (handleInfo === undefined) {
      return warn(server, `${server.module.name} ${server.self}: unexpected message ${describe(message)}`)
    }
    const result = handleInfo(message, server.state)
    return Effect.isEffect(result)
      ? Effect.map(result, (r) => noReply(server, r, "handleInfo", undefined))
      : noReply(server, result, "handleInfo", undefined)
  },
  terminate: (server, reason) => {
    const terminate = server.module.terminate
    if (terminate === undefined) return
    const result = terminate(reason, server.state)
    return Effect.isEffect(result) ? result as Effect.Effect<unknown, unknown, unknown> : undefined
  },
  formatStatus: (server) => {
    const format = server.module.formatStatus
    return format === undefined ? server.state : format(server.state)
  },
  // Without `codeChange` the state is kept as it is (an `Exit`, which the loop takes as is: the
  // state itself is never run, even if it is an Effect), as Elixir's default `code_change`.
  codeChange: (server, next, extra) =>
    next.codeChange === undefined ? Exit.succeed(server.state) : next.codeChange(server.module.version, server.state, extra),
  describe: (message) => describe(message)
}

/** A message dropped with a warning: the idle timeout in force stays. */
const warn = (server: Server, text: string): Effect.Effect<Loop.Next> => Effect.as(Effect.logWarning(text), server.after)

// ----------------------------------------------------------------------------
// Checking results
// ----------------------------------------------------------------------------

/**
 * The loop's `Next` for an action (`{ timeout }` or `{ continue }`, or `undefined` for none), or
 * `false` if it is no valid action for `module` (gen_server's `bad_return_value`): a timeout
 * that is no duration, negative or `NaN`, a continue without `handleContinue`, both at once, or
 * no object. The common case (no action) is one comparison.
 */
const nextOf = (module: AnyModule, action: Action | undefined): Loop.Next | false => {
  if (action === undefined) return undefined
  if (typeof action !== "object" || action === null) return false
  const timeout = action.timeout
  if (timeout !== undefined) {
    if ("continue" in action && action.continue !== undefined) return false
    const millis = durationMillis("GenServer idle timeout", timeout, true)
    if (typeof millis !== "number") return false
    // OTP's `infinity`: no idle timeout.
    return millis === Infinity ? undefined : Loop.after(millis, timeoutMessage)
  }
  if ("continue" in action) {
    return typeof module.handleContinue === "function" ? Loop.insert(new Continuing(action.continue)) : false
  }
  // `{}` or `{ timeout: undefined }`: no action.
  return undefined
}

const timeoutMessage = timeout

/**
 * The stop a bad callback result makes: `BadReturnValue` in a `Crash`; the state stays as it
 * was before the callback (gen_server terminates with the old state).
 */
const badReturn = (server: Server, callback: string, tag: unknown, value: unknown): Loop.Next =>
  Loop.stop(badReturnValue(server.module, callback, tag, value))

const badReturnValue = (module: AnyModule, callback: string, tag: unknown, value: unknown): ExitReason.ExitReason =>
  ExitReason.fail(
    new BadReturnValue({
      module: module.name,
      callback: tag === undefined ? callback : `${callback}(${formatTag(tag)})`,
      value
    })
  )

/**
 * Checks and applies a `handleCast`, `handleInfo` or `handleContinue` result: `noreply` (with
 * a valid action) or `stopWith` (with an exit reason). Anything else stops the server with
 * `BadReturnValue`. The common case (a `noreply` without an action) is a few property reads.
 */
const noReply = (server: Server, result: unknown, callback: string, tag: unknown): Loop.Next => {
  if (typeof result === "object" && result !== null) {
    const r = result as CastResult<unknown>
    if (r._tag === "NoReply") {
      if ("state" in r) {
        const next = nextOf(server.module, r.action)
        if (next !== false) {
          server.state = r.state
          return next
        }
      }
    } else if (r._tag === "Stop" && "state" in r && isStopReason(r.reason) && r.reply === undefined) {
      // A stop with a reply is a handleCall result only (OTP's `{stop, Reason, Reply, State}`).
      server.state = r.state
      return Loop.stop(r.reason)
    }
  }
  return badReturn(server, callback, tag, result)
}

/**
 * Checks and applies a `handleCall` result: `reply`, `replyFailure`, `noreply` (each with a
 * valid action) or `stopWith` (with an exit reason, and a reply or none; the reply goes once
 * `terminate` ran, as gen_server sends it). Anything else stops the server with
 * `BadReturnValue`, and the caller gets `CallExit` with it.
 */
const callResult = (server: Server, from: Gen.From, result: unknown, tag: unknown): Loop.Next => {
  if (typeof result !== "object" || result === null) return badReturn(server, "handleCall", tag, result)
  const r = result as CallResult<unknown, unknown, unknown>
  switch (r._tag) {
    case "Reply": {
      const next = "value" in r && "state" in r ? nextOf(server.module, r.action) : false
      if (next === false) break
      server.state = r.state
      server.reply(from, r.value)
      return next
    }
    case "ReplyFailure": {
      const next = "error" in r && "state" in r ? nextOf(server.module, r.action) : false
      if (next === false) break
      server.state = r.state
      server.replyFailure(from, r.error)
      return next
    }
    case "NoReply": {
      const next = "state" in r ? nextOf(server.module, r.action) : false
      if (next === false) break
      server.state = r.state
      return next
    }
    case "Stop": {
      if (!("state" in r) || !isStopReason(r.reason)) break
      const reply = r.reply
      if (reply === undefined) {
        server.state = r.state
        return Loop.stop(r.reason)
      }
      if (typeof reply !== "object" || reply === null || !("value" in reply)) break
      server.state = r.state
      const value = reply.value
      return Loop.stop(r.reason, () => server.reply(from, value))
    }
  }
  return badReturn(server, "handleCall", tag, result)
}

// ----------------------------------------------------------------------------
// Describing messages
// ----------------------------------------------------------------------------

/** A request tag as text, whatever an untyped caller made it. */
export const formatTag = (tag: unknown): string => typeof tag === "string" ? tag : format(tag)

/** A message as text, for traces, warnings and the error report; never throws, whatever the message. */
const describe = (message: unknown): string => {
  try {
    if (message instanceof Gen.CallMessage) return `call ${formatRequest(message.request)}`
    if (message instanceof Gen.CastMessage) return `cast ${formatRequest(message.request)}`
    // What `last` holds for a call, a continue and an idle timeout.
    if (message instanceof Request) return `call ${formatRequest(message)}`
    if (message instanceof Continuing) return `continue ${format(message.arg)}`
    if (message === timeout) return "timeout"
  } catch {
    // `instanceof` asks a Proxy for its prototype, which may throw (a revoked Proxy always does).
  }
  return format(message)
}

/** A request as text: its tag and payload (anything else as it is). */
export const formatRequest = (request: unknown): string =>
  request instanceof Request
    ? request.payload === undefined ? formatTag(request._tag) : `${formatTag(request._tag)} ${format(request.payload)}`
    : format(request)

/** `GenServer.migrate`: decode the old state, migrate it, check the new one. */
export const migrate = <From extends Schema.Top, S, R = never>(
  from: From,
  f: (oldState: From["Type"], oldVersion: string, extra: unknown) => S | Effect.Effect<S, unknown, R>,
  options?: { readonly to?: Schema.Codec<S, any> | undefined }
): (oldVersion: string, oldState: unknown, extra: unknown) => S | Effect.Effect<S, unknown, R | From["DecodingServices"]> => {
  const decode = Schema.decodeUnknownEffect(from)
  const check = options?.to === undefined ? undefined : Schema.decodeUnknownEffect(options.to)
  const checked = (next: S | Effect.Effect<S, unknown, R>): S | Effect.Effect<S, unknown, R> =>
    check === undefined
      ? next
      : Effect.isEffect(next)
      ? Effect.flatMap(next, (s) => check(s) as Effect.Effect<S, unknown>)
      : check(next) as Effect.Effect<S, unknown>
  return (oldVersion, oldState, extra) => {
    const old = decode(oldState)
    // A schema without effects decodes at once, to an Exit: a plain migration then returns the
    // new state itself, which an upgrade swaps in with no Effect to run.
    if (Exit.isExit(old)) return Exit.isSuccess(old) ? checked(f(old.value, oldVersion, extra)) : Exit.failCause(old.cause)
    return Effect.flatMap(old, (value) => {
      const next = checked(f(value, oldVersion, extra))
      return Effect.isEffect(next) ? next : Effect.succeed(next)
    })
  }
}

/** Whether `u` is a typed reference (`GenServer.Server`), not a target. */
export const isServer = (u: unknown): u is GenServer<any> =>
  typeof u === "object" && u !== null && "target" in u && !isPid(u)

/** Whether two exit reasons are the same (a `Crash` only as the very same object). */
export const sameReason = (a: ExitReason.ExitReason, b: ExitReason.ExitReason): boolean =>
  a._tag === b._tag && (a._tag !== "Shutdown" || b._tag !== "Shutdown" || a.reason === b.reason) &&
  (a._tag !== "Crash" || a === b)

/** `GenServer.make`: the module value, with its handler tables resolved once. */
export const make = (definition: { readonly version?: string | undefined; readonly handleCall?: unknown; readonly handleCast?: unknown }, typeId: string): object => {
  const module = { ...definition, version: definition.version ?? "1", [typeId]: undefined }
  // A request tag (which an untyped caller controls) only ever reaches an own handler of the
  // definition, never `Object.prototype`.
  register(module)
  return module
}

/** `GenServer.start` and `startLink`: the current version of `module` (`Code.resolve`) on the loop. */
export const start = startOn(genServer, checkInit)

/** A request as `GenServer.call` and `cast` send it; the tag of whatever an untyped caller passed. */
export const request = (rpc: { readonly _tag: unknown } | null | undefined, payload: unknown): Request => {
  const tag = rpc === null || rpc === undefined ? undefined : rpc._tag
  return payload === undefined && typeof tag === "string" ? bareRequest(tag) : new Request(tag, payload)
}

/**
 * The requests without payload (`Inc`, `Get`, `Tick`), made once per tag and sent as they are:
 * a message is a value, read and never changed, so one object serves every send. Measured on
 * the cast benchmark: requests made per cast that sat in the mailbox when the young generation
 * was collected made V8 pretenure their allocation site, after which the run went at half speed
 * for the rest of the process's life (2.1-4.6M casts/s in 3 of 4 processes, 6.2-7.2M in the
 * fourth).
 */
const bareRequests = new Map<string, Request>()

const bareRequest = (tag: string): Request => {
  let request = bareRequests.get(tag)
  if (request === undefined) {
    request = new Request(tag, undefined)
    bareRequests.set(tag, request)
  }
  return request
}

/** The cast messages of the requests without payload, made once per tag (see {@link bareRequest}). */
const bareCasts = new Map<string, Gen.CastMessage>()

/** `GenServer.cast`: a request without payload goes as one message made once. */
export const cast = (target: Gen.Target, rpc: { readonly _tag: unknown } | null | undefined, payload: unknown): Effect.Effect<void> => {
  const tag = rpc === null || rpc === undefined ? undefined : rpc._tag
  if (payload !== undefined || typeof tag !== "string") return Gen.cast(target, new Request(tag, payload))
  let message = bareCasts.get(tag)
  if (message === undefined) {
    message = new Gen.CastMessage(bareRequest(tag))
    bareCasts.set(tag, message)
  }
  return GenInternal.castMessage(target, message)
}

/** `GenServer.stop`: terminates the server through `Sys.terminate`; its exit with that reason is success. */
export const stop = (
  server: GenServer<any> | Gen.Target,
  options: { readonly reason?: ExitReason.ExitReason | undefined; readonly timeout?: Duration.Input | "infinity" | undefined } | undefined
): Effect.Effect<void, CallError> => {
  const target = isServer(server) ? server.target : server
  // A value that is not an exit reason (an untyped caller's) is carried in a Crash, as the
  // server carries it (OTP takes any term): the same object, so that the comparison holds.
  const reason = toExitReason(options?.reason ?? ExitReason.normal)
  return Sys.terminate(target, reason, { timeout: options?.timeout ?? "infinity" }).pipe(
    Effect.catchTag("CallExit", (e) => sameReason(e.reason, reason) ? Effect.void : Effect.fail(e))
  )
}
