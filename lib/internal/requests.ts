/**
 * Asynchronous requests (`lib/Gen.ts` is their public face): OTP's `gen:send_request`,
 * `wait_response`, `receive_response`, `check_response`, request-id collections, and the
 * multi-call of `GenServer.multiCall`.
 *
 * A request is a call without the wait: the server gets the same `CallMessage` with a reply
 * handle (a `FromImpl`, so the server side and the hot path of `Gen.call` are unchanged), and
 * the handle's outcome (the reply, or the server's exit) is delivered to the caller's mailbox
 * as a {@link ResponseMessage}. A request given up (`receiveResponse` timed out, a wait was
 * interrupted) is closed: its handle is cancelled, so a late reply is dropped, and a response
 * already in the mailbox is removed. OTP gets the same with an alias that is deactivated.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { NodeInspectSymbol } from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import { BadArgument, CallTimeout, NoProc, NoRequest } from "../Errors.js"
import type { Target } from "../Gen.js"
import type { Pid } from "../Pid.js"
import { FromImpl } from "./call.js"
import { format } from "./format.js"
import { CallMessage, describe, isRemote, isVia, type Remote, resolveNow, resolveVia, runtimeOfFiber } from "./gen.js"
import { isPid } from "./identity.js"
import { currentProcessOf, type NodeRuntime, passBound, type ProcessImpl, receiveTimed, Watcher } from "./runtime.js"
import { durationMillis, type Timer } from "./timers.js"

const enum State {
  /** Sent, no response yet. */
  Pending = 0,
  /** The response is in the caller's mailbox. */
  Arrived = 1,
  /** The response was taken, or the request abandoned. */
  Closed = 2
}

/**
 * A request id (`Gen.RequestId`): which process sent it, to whom, and where it stands. While
 * no response came, it watches the caller: a caller that exits gives its requests up, so the
 * server no longer watches for them (OTP removes a dead process's monitors).
 */
export class RequestIdImpl extends Watcher {
  readonly _tag = "RequestId"
  state: State = State.Pending
  /** Stops waiting for the response (the reply handle's cancel, or the remote call's interrupt). */
  stop: (() => void) | undefined = undefined
  constructor(readonly caller: ProcessImpl, readonly target: Pid | string) {
    super()
  }
  get active(): boolean {
    return this.state !== State.Closed
  }
  /** Delivers the outcome to the caller's mailbox, unless the request was given up. */
  respond(outcome: Exit.Exit<unknown, unknown>): void {
    if (this.state !== State.Pending) return
    this.state = State.Arrived
    this.stop = undefined
    this.caller.unwatch(this)
    this.caller.deliver(new ResponseMessage(this, outcome))
  }
  /** The caller exited while the request was pending: the request is given up. */
  override down(): void {
    if (this.state !== State.Pending) return
    this.state = State.Closed
    const stop = this.stop
    this.stop = undefined
    stop?.()
  }
  override toString(): string {
    return `RequestId(to ${String(this.target)})`
  }
  toJSON(): unknown {
    return this.toString()
  }
  [NodeInspectSymbol](): string {
    return this.toString()
  }
}

/**
 * A response as it sits in the caller's mailbox (OTP's `{Ref, Reply}` or the `'DOWN'` of the
 * request's monitor): the request and its outcome.
 */
export class ResponseMessage {
  readonly _tag = "$gen_response"
  constructor(readonly id: RequestIdImpl, readonly outcome: Exit.Exit<unknown, unknown>) {}
  toString(): string {
    return `Response(${String(this.id.target)})`
  }
  toJSON(): unknown {
    return this.toString()
  }
  [NodeInspectSymbol](): string {
    return this.toString()
  }
}

// A response passes any bounded mailbox, as a monitor's `Down` does: the process asked for it
// (one per request, never more), and one dropped would leave a wait without a timeout hanging.
passBound(ResponseMessage)

/** A collection of request ids with their labels (`Gen.RequestIds`): immutable, as OTP's. */
export class RequestIdsImpl {
  readonly _tag = "RequestIds"
  constructor(readonly ids: ReadonlyMap<RequestIdImpl, unknown>) {}
  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }
  get size(): number {
    return this.ids.size
  }
  toString(): string {
    return `RequestIds(${this.ids.size})`
  }
  toJSON(): unknown {
    return this.toString()
  }
  [NodeInspectSymbol](): string {
    return this.toString()
  }
}

export const emptyIds = new RequestIdsImpl(new Map())

const isOutcome = (outcome: unknown): outcome is Exit.Exit<unknown, unknown> => Exit.isExit(outcome)

/** Turns a reply handle's outcome (an Exit, see `Gen.replyUnsafe`) into the response's. */
const outcomeOf = (outcome: Effect.Effect<unknown, unknown>): Exit.Exit<unknown, unknown> =>
  isOutcome(outcome) ? outcome : Exit.die(new Error("effect-otp: a request got a reply that is no Exit (internal error)"))

/** The request sent to a local process (or to nobody: then its response is `NoProc` at once). */
const sendLocal = (
  caller: ProcessImpl,
  server: ProcessImpl | undefined,
  label: Pid | string,
  message: (from: FromImpl) => unknown
): RequestIdImpl => {
  const id = new RequestIdImpl(caller, label)
  if (server === undefined || !server.alive) {
    id.respond(Exit.fail(new NoProc({ target: label })))
    return id
  }
  const from = new FromImpl(server.runtime, (outcome) => id.respond(outcomeOf(outcome)), label)
  from.server = server
  server.watch(from)
  id.stop = () => from.cancel()
  caller.watch(id)
  server.deliver(message(from))
  return id
}

/** The request handed to a remote target's transport, in a fiber of its own. */
const sendRemote = (caller: ProcessImpl, target: Remote, request: unknown): Effect.Effect<RequestIdImpl> =>
  Effect.map(
    Effect.forkDetach(Effect.exit(target.call(request, { timeout: "infinity" }))),
    (fiber) => {
      const id = new RequestIdImpl(caller, target.label)
      id.stop = () => fiber.interruptUnsafe()
      caller.watch(id)
      fiber.addObserver((exit) => {
        if (Exit.isSuccess(exit)) id.respond(exit.value)
      })
      return id
    }
  )

const noProcess = (operation: string) =>
  Effect.die(new BadArgument({ operation, reason: "the caller is not a process: responses are messages in its mailbox" }))

/** How a response names a pid or name target (an untyped caller's other value, formatted: never throws). */
const labelOf = (target: Target): Pid | string =>
  typeof target === "string" || isPid(target) ? target as Pid | string : format(target)

/** `Gen.sendRequest`: sends `request` as a call and returns its id at once. */
export const sendRequest = (target: Target, request: unknown): Effect.Effect<RequestIdImpl> =>
  Effect.withFiber((fiber) => {
    const caller = currentProcessOf(fiber)
    if (caller === undefined) return noProcess("sendRequest")
    const message = (from: FromImpl) => new CallMessage(from, request)
    if (isRemote(target)) return sendRemote(caller, target, request)
    if (isVia(target)) return Effect.map(resolveVia(target), (server) => sendLocal(caller, server, describe(target), message))
    return Effect.succeed(sendLocal(caller, resolveNow(runtimeOfFiber(fiber), target as Pid | string), labelOf(target), message))
  })

/** Closes a request: a late reply is dropped, a response already in the mailbox removed. */
export const abandon = (id: RequestIdImpl): void => {
  const state = id.state
  if (state === State.Closed) return
  id.state = State.Closed
  if (state === State.Pending) {
    id.caller.unwatch(id)
    const stop = id.stop
    id.stop = undefined
    stop?.()
  } else {
    id.caller.removeWhere((m) => m instanceof ResponseMessage && m.id === id)
  }
}

const checkId = (operation: string, caller: ProcessImpl | undefined, id: unknown): BadArgument | undefined => {
  if (caller === undefined) return new BadArgument({ operation, reason: "the caller is not a process: responses are messages in its mailbox" })
  if (!(id instanceof RequestIdImpl)) return new BadArgument({ operation, reason: `${describeValue(id)} is no request id` })
  if (id.caller !== caller) return new BadArgument({ operation, reason: `${String(id)} was sent by another process` })
  return undefined
}

const describeValue = (u: unknown): string =>
  u === null ? "null" : typeof u === "object" ? "an object" : typeof u === "function" ? "a function" : `${typeof u} ${String(u)}`

const timeoutOf = (operation: string, timeout: unknown): number | BadArgument =>
  timeout === undefined ? Infinity : durationMillis(operation, timeout, true)

/** `Gen.waitResponse` and `Gen.receiveResponse` of one request (`abandonOnTimeout` for the latter). */
export const waitOne = (
  operation: string,
  id: RequestIdImpl,
  timeout: unknown,
  abandonOnTimeout: boolean
): Effect.Effect<unknown, unknown> => {
  const millis = timeoutOf(operation, timeout)
  if (typeof millis !== "number") return Effect.fail(millis)
  return Effect.withFiber((fiber) => {
    const caller = currentProcessOf(fiber)
    const bad = checkId(operation, caller, id)
    if (bad !== undefined) return Effect.die(bad)
    const match = (m: unknown) => m instanceof ResponseMessage && m.id === id
    return receiveTimed(match, millis).pipe(
      Effect.onInterrupt(() => Effect.sync(() => abandon(id))),
      Effect.flatMap((taken) => {
        if (Option.isSome(taken)) {
          id.state = State.Closed
          return (taken.value as ResponseMessage).outcome
        }
        if (abandonOnTimeout) abandon(id)
        return Effect.fail(new CallTimeout({ target: id.target, timeoutMillis: millis }))
      })
    )
  })
}

/** A response of a collection: the label, the outcome, and the collection after it. */
export interface Labelled {
  readonly label: unknown
  readonly result: Exit.Exit<unknown, unknown>
  readonly rest: RequestIdsImpl
}

const without = (ids: RequestIdsImpl, id: RequestIdImpl): RequestIdsImpl => {
  const next = new Map(ids.ids)
  next.delete(id)
  return new RequestIdsImpl(next)
}

const labelled = (ids: RequestIdsImpl, response: ResponseMessage, remove: boolean): Labelled => {
  response.id.state = State.Closed
  return { label: ids.ids.get(response.id), result: response.outcome, rest: remove ? without(ids, response.id) : ids }
}

const checkIds = (operation: string, caller: ProcessImpl | undefined, ids: RequestIdsImpl): BadArgument | undefined => {
  for (const id of ids.ids.keys()) {
    const bad = checkId(operation, caller, id)
    if (bad !== undefined) return bad
  }
  return undefined
}

/** `Gen.waitResponse` and `Gen.receiveResponse` of a collection. */
export const waitAny = (
  operation: string,
  ids: RequestIdsImpl,
  timeout: unknown,
  abandonOnTimeout: boolean,
  remove: boolean
): Effect.Effect<Labelled, unknown> => {
  const millis = timeoutOf(operation, timeout)
  if (typeof millis !== "number") return Effect.fail(millis)
  if (ids.size === 0) return Effect.fail(new NoRequest())
  return Effect.withFiber((fiber) => {
    const bad = checkIds(operation, currentProcessOf(fiber), ids)
    if (bad !== undefined) return Effect.die(bad)
    const map = ids.ids
    const match = (m: unknown) => m instanceof ResponseMessage && map.has(m.id)
    return receiveTimed(match, millis).pipe(
      Effect.onInterrupt(() => Effect.sync(() => abandonAll(ids))),
      Effect.flatMap((taken) => {
        if (Option.isSome(taken)) return Effect.succeed(labelled(ids, taken.value as ResponseMessage, remove))
        if (abandonOnTimeout) abandonAll(ids)
        return Effect.fail(new CallTimeout({ target: `${ids.size} requests`, timeoutMillis: millis }))
      })
    )
  })
}

const abandonAll = (ids: RequestIdsImpl): void => {
  for (const id of ids.ids.keys()) abandon(id)
}

/** `Gen.checkResponse` of one request. */
export const checkOne = (message: unknown, id: RequestIdImpl): Effect.Effect<Option.Option<Exit.Exit<unknown, unknown>>> =>
  Effect.withFiber((fiber) => {
    const bad = checkId("checkResponse", currentProcessOf(fiber), id)
    if (bad !== undefined) return Effect.die(bad)
    if (!(message instanceof ResponseMessage) || message.id !== id) return Effect.succeed(Option.none())
    id.state = State.Closed
    return Effect.succeed(Option.some(message.outcome))
  })

/** `Gen.checkResponse` of a collection. */
export const checkAny = (message: unknown, ids: RequestIdsImpl, remove: boolean): Effect.Effect<Option.Option<Labelled>, NoRequest> =>
  Effect.withFiber((fiber) => {
    if (ids.size === 0) return Effect.fail(new NoRequest())
    const bad = checkIds("checkResponse", currentProcessOf(fiber), ids)
    if (bad !== undefined) return Effect.die(bad)
    if (!(message instanceof ResponseMessage) || !ids.ids.has(message.id)) return Effect.succeed(Option.none())
    return Effect.succeed(Option.some(labelled(ids, message, remove)))
  })

/** `Gen.addRequestId`: a new collection with `id` under `label` (the old one is unchanged). */
export const add = (ids: RequestIdsImpl, id: RequestIdImpl, label: unknown): RequestIdsImpl => {
  const next = new Map(ids.ids)
  next.set(id, label)
  return new RequestIdsImpl(next)
}

// ----------------------------------------------------------------------------
// Multi-call
// ----------------------------------------------------------------------------

type Resolved = { readonly server: ProcessImpl | undefined; readonly label: Pid | string } | Remote

/**
 * `Gen.multiCall`: one request to each target, one deadline for all (`millis` from the moment
 * they are sent), each outcome in the targets' order. Local targets share one timer and no
 * fiber; a remote target's transport runs its call beside them.
 */
export const multiCall = (
  targets: ReadonlyArray<Target>,
  request: unknown,
  timeout: unknown
): Effect.Effect<ReadonlyArray<Exit.Exit<unknown, unknown>>, BadArgument> => {
  if (!Array.isArray(targets)) {
    return Effect.fail(new BadArgument({ operation: "multiCall", reason: `the targets ${describeValue(targets)} are no array` }))
  }
  const millis = timeoutOf("multiCall", timeout)
  if (typeof millis !== "number") return Effect.fail(millis)
  return Effect.withFiber((fiber) => {
    const runtime = runtimeOfFiber(fiber)
    return Effect.flatMap(
      Effect.forEach(targets, (target): Effect.Effect<Resolved> =>
        isRemote(target)
          ? Effect.succeed(target)
          : isVia(target)
          ? Effect.map(resolveVia(target), (server) => ({ server, label: describe(target) }))
          : Effect.succeed({ server: resolveNow(runtime, target as Pid | string), label: labelOf(target) })),
      (resolved) => {
        const local = callAll(resolved, request, millis)
        if (!resolved.some(isRemote)) return local
        const remote = Effect.forEach(
          resolved,
          (r, i) => isRemote(r) ? Effect.map(Effect.exit(r.call(request, { timeout: millis === Infinity ? "infinity" : millis })), (exit) => [i, exit] as const) : Effect.succeed(undefined),
          { concurrency: "unbounded" }
        )
        return Effect.map(Effect.all([local, remote], { concurrency: 2 }), ([outcomes, remotes]) => {
          const all = outcomes.slice()
          for (const r of remotes) if (r !== undefined) all[r[0]] = r[1]
          return all
        })
      }
    )
  })
}

/** The local part of a multi-call: every request sent in one step, one timer for the deadline. */
const callAll = (
  resolved: ReadonlyArray<Resolved>,
  request: unknown,
  millis: number
): Effect.Effect<Array<Exit.Exit<unknown, unknown>>> =>
  Effect.callback<Array<Exit.Exit<unknown, unknown>>>((resume) => {
    const results = new Array<Exit.Exit<unknown, unknown>>(resolved.length)
    const pending: Array<FromImpl | undefined> = new Array(resolved.length)
    let left = 0
    let timers: NodeRuntime["timers"] | undefined
    let timer: Timer | undefined
    const finish = () => {
      if (timer !== undefined) timers!.cancel(timer)
      timer = undefined
      resume(Effect.succeed(results))
    }
    for (let i = 0; i < resolved.length; i++) {
      const r = resolved[i]!
      if (isRemote(r)) continue
      const server = r.server
      if (server === undefined || !server.alive) {
        results[i] = Exit.fail(new NoProc({ target: r.label }))
        continue
      }
      left++
      const from = new FromImpl(server.runtime, (outcome) => {
        results[i] = outcomeOf(outcome)
        pending[i] = undefined
        if (--left === 0) finish()
      }, r.label)
      pending[i] = from
      from.server = server
      server.watch(from)
      timers = server.runtime.timers
      // A request to the caller itself is sent too, as OTP sends it: it can only time out.
      server.deliver(new CallMessage(from, request))
    }
    if (left === 0) return resume(Effect.succeed(results))
    if (millis !== Infinity) {
      timer = timers!.add(millis, () => {
        timer = undefined
        for (let i = 0; i < pending.length; i++) {
          const from = pending[i]
          if (from === undefined) continue
          pending[i] = undefined
          // Settled through the run queue, as a call's timeout is; the last one resumes.
          from.settle(Effect.fail(new CallTimeout({ target: from.target, timeoutMillis: millis })))
        }
      })
    }
    return Effect.sync(() => {
      if (timer !== undefined) timers!.cancel(timer)
      for (const from of pending) from?.cancel()
    })
  })
