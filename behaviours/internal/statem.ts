/**
 * StateMachine as a callback module on the generic loop (`lib/Loop.ts`), with gen_statem's
 * semantics (OTP 25): `init` and the start's acknowledgement, then one `handle` that turns each
 * message into an event, runs the handler of the current state, checks its result at run time as
 * gen_statem checks it, and makes the transition: replies, postponed events, inserted events,
 * state enter calls and the three kinds of timeouts.
 *
 * The loop's `server.state` is a {@link Machine}: the user's state and data, and the machine's
 * own registers (the queue of events to handle before the mailbox, the postponed events, the
 * running timers). `Sys.getState` sees `{ state, data }` only (`systemState`).
 *
 * - **Queue.** Inserted events, postponed events retried after a state change and timeouts of
 *   zero time are handled before the mailbox, oldest first: after each event the loop is given
 *   the next one with `Loop.insert`, one at a time.
 * - **Timers** are node timers (`runtime.timers`, on `Clock`) that deliver a {@link Fired} to
 *   the process's mailbox, as gen_statem's timers are messages. A timer cancelled or restarted
 *   after its message was queued is told apart by identity (the register holds the running
 *   one) and dropped, as gen_statem flushes it.
 * - **Hot path.** An event whose handler returns a plain result with no actions costs the
 *   handler's call and a few register checks: no Effect, so the node's run queue handles it
 *   without waking the fiber (`Loop.Behaviour.handle`).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import * as Exit from "effect/Exit"
import { BadReturnValue, UnknownRequest } from "../../lib/Errors.js"
import * as ExitReason from "../../lib/ExitReason.js"
import * as Gen from "../../lib/Gen.js"
import * as GenInternal from "../../lib/internal/gen.js"
import { format } from "../../lib/internal/format.js"
import { callSpan, durationMillis, isStopReason } from "../../lib/internal/loop.js"
import { passBound, type ProcessImpl } from "../../lib/internal/runtime.js"
import type { Timer } from "../../lib/internal/timers.js"
import * as Loop from "../../lib/Loop.js"
import { noMembers, ownFunction, ownFunctions, type Table } from "./handlers.js"
import { type Check, startOn } from "./init.js"
import { formatRequest, formatTag, Request } from "./server.js"

// ----------------------------------------------------------------------------
// Modules
// ----------------------------------------------------------------------------

type Callback = (...args: Array<any>) => unknown

/** The module as the loop sees it: every type erased. */
export interface AnyModule {
  readonly name: string
  readonly version: string
  readonly calls?: ReadonlyArray<{ readonly _tag: string }> | undefined
  readonly casts?: ReadonlyArray<{ readonly _tag: string }> | undefined
  readonly init: (args: unknown) => unknown
  readonly states?: object | undefined
  readonly handleEvent?: Callback | undefined
  readonly stateEnter?: boolean | undefined
  readonly terminate?: Callback | undefined
  readonly codeChange?: Callback | undefined
  readonly formatStatus?: Callback | undefined
}

/** One state's handlers (state functions mode), resolved once: own functions only. */
interface StateTable {
  readonly enter: Callback | undefined
  readonly calls: Table<Callback>
  readonly casts: Table<Callback>
  readonly info: Callback | undefined
  readonly eventTimeout: Callback | undefined
  readonly stateTimeout: Callback | undefined
  readonly timeout: Callback | undefined
  readonly internal: Callback | undefined
}

/** What the loop keeps of a module (`Loop.Behaviour.load`). */
interface Handlers {
  /** State functions mode: the tables by state name (`undefined` in handle event function mode). */
  readonly states: Table<StateTable> | undefined
  readonly handleEvent: Callback | undefined
  readonly stateEnter: boolean
  /** The declared requests (handle event function mode checks a request's tag against them). */
  readonly calls: Table<true>
  readonly casts: Table<true>
}

const tagsOf = (requests: unknown): Table<true> => {
  const out: Record<string, true> = Object.create(noMembers)
  if (!Array.isArray(requests)) return out
  for (const request of requests) {
    const tag = (request as { readonly _tag?: unknown } | null)?._tag
    if (typeof tag === "string") out[tag] = true
  }
  return out
}

const resolve = (module: AnyModule): Handlers => {
  const definition = module.states
  let states: Record<string, StateTable> | undefined
  if (typeof definition === "object" && definition !== null) {
    states = Object.create(noMembers)
    for (const name of Object.keys(definition)) {
      const descriptor = Object.getOwnPropertyDescriptor(definition, name)
      const table: unknown = descriptor?.value
      if (typeof table !== "object" || table === null) continue
      states![name] = {
        enter: ownFunction<Callback>(table, "enter"),
        calls: ownFunctions<Callback>((table as { readonly calls?: unknown }).calls),
        casts: ownFunctions<Callback>((table as { readonly casts?: unknown }).casts),
        info: ownFunction<Callback>(table, "info"),
        eventTimeout: ownFunction<Callback>(table, "eventTimeout"),
        stateTimeout: ownFunction<Callback>(table, "stateTimeout"),
        timeout: ownFunction<Callback>(table, "timeout"),
        internal: ownFunction<Callback>(table, "internal")
      }
    }
  }
  return {
    states,
    handleEvent: states === undefined && typeof module.handleEvent === "function" ? module.handleEvent : undefined,
    stateEnter: module.stateEnter === true,
    calls: tagsOf(module.calls),
    casts: tagsOf(module.casts)
  }
}

const handlersByModule = new WeakMap<object, Handlers>()

/** The module looked up last: `Code.upgrade` of many machines loads one module over and over. */
let lastModule: AnyModule | undefined
let lastHandlers: Handlers | undefined

const handlersOf = (module: AnyModule): Handlers => {
  if (module === lastModule) return lastHandlers!
  let handlers = handlersByModule.get(module)
  if (handlers === undefined) {
    handlers = resolve(module)
    handlersByModule.set(module, handlers)
  }
  lastModule = module
  lastHandlers = handlers
  return handlers
}

/** `StateMachine.make`: the module value, with its tables resolved once. */
export const make = (definition: object, typeId: string): object => {
  const version = (definition as { readonly version?: unknown }).version
  const module = { ...definition, version: typeof version === "string" ? version : "1", [typeId]: undefined }
  handlersByModule.set(module, resolve(module as unknown as AnyModule))
  return module
}

// ----------------------------------------------------------------------------
// Events
// ----------------------------------------------------------------------------

/** A timer's message (OTP's timeout messages): {@link Machine} holds the running ones. */
class Fired {
  /** Taken as an event once: a postponed timeout event, retried later, is no stale timer. */
  taken = false
  /** The node timer, while it runs. */
  timer: Timer | undefined = undefined
  constructor(
    readonly kind: "event" | "state" | "generic",
    readonly name: string | undefined,
    public content: unknown
  ) {}
}

// A timeout the machine armed for itself passes a bounded mailbox (`mailbox` start option):
// dropping it would leave the machine in its state for good.
passBound(Fired)

/** An inserted event (`nextEvent`). */
class Internal {
  constructor(readonly content: unknown) {}
}

/** What the loop handles first (inserted by `Loop.enter`): the initial state's transition. */
class Initial {
  constructor(readonly actions: unknown) {}
}

/** What a message is for the machine. */
const infoKind = 0
const castKind = 1
const callKind = 2
const firedKind = 3
const internalKind = 4
const initialKind = 5

/**
 * Which kind of event a message is. A message nothing can be read from (a revoked Proxy, from
 * an untyped caller) is an info event, as gen_statem takes any term as `info`.
 */
const kindOf = (message: unknown): number => {
  if (typeof message !== "object" || message === null) return infoKind
  try {
    return message instanceof Gen.CastMessage
      ? castKind
      : message instanceof Gen.CallMessage
      ? callKind
      : message instanceof Fired
      ? firedKind
      : message instanceof Internal
      ? internalKind
      : message instanceof Initial
      ? initialKind
      : infoKind
  } catch {
    return infoKind
  }
}

// ----------------------------------------------------------------------------
// The machine's registers
// ----------------------------------------------------------------------------

/** The loop's `server.state`: the user's state and data, and the machine's registers. */
class Machine {
  /** Events to handle before the mailbox, oldest first. */
  queue: Array<unknown> = []
  /** Postponed events, oldest first: queued again after the next state change. */
  postponed: Array<unknown> = []
  eventTimer: Fired | undefined = undefined
  stateTimer: Fired | undefined = undefined
  /** Generic timers by name, while any ran. */
  timers: Map<string, Fired> | undefined = undefined
  /**
   * Timeouts of zero time (and updates of a timer not running), in the order set: delivered
   * once `queue` is empty, before the mailbox. Until then each is the running timer of its kind
   * (registered, without a node timer), so that a cancel, a new set, a state change or (the
   * event timeout) any event takes it back, and an update changes its content, as gen_statem's
   * zero-time timeouts.
   */
  zero: Array<Fired> | undefined = undefined
  constructor(public state: unknown, public data: unknown) {}

  /** A copy with other state and data (a code change, which may yet fail, leaves this one as it is). */
  with(state: unknown, data: unknown): Machine {
    const next = new Machine(state, data)
    next.queue = this.queue
    next.postponed = this.postponed
    next.eventTimer = this.eventTimer
    next.stateTimer = this.stateTimer
    next.timers = this.timers
    next.zero = this.zero
    return next
  }
}

type Server = Loop.Server<AnyModule, Machine, Handlers>

// ----------------------------------------------------------------------------
// Start
// ----------------------------------------------------------------------------

/**
 * `init`'s result checked (a crash, `ignore` and `stopWith` are `init.ts`'s): anything but `ok`
 * with a state the module has fails the start with `BadReturnValue`. The actions of `ok` and
 * the first state's `enter` run once the machine is in the loop (gen_statem acknowledges the
 * start first).
 */
const checkInit: Check = (module: AnyModule, init, ack, parent) => {
  const ok = init as { readonly _tag?: unknown; readonly state?: unknown; readonly data?: unknown; readonly actions?: unknown } | null
  if (typeof ok !== "object" || ok === null || ok._tag !== "Ok" || !("state" in ok) || !("data" in ok) || !hasState(handlersOf(module), ok.state)) {
    return badReturnValue(module, "init", init)
  }
  return { module, state: new Machine(ok.state, ok.data), parent, next: Loop.insert(new Initial(ok.actions)), ack }
}

/** Whether `state` is one of the module's (state functions mode: a key of `states`; any value otherwise). */
const hasState = (handlers: Handlers, state: unknown): boolean =>
  handlers.states === undefined || (typeof state === "string" && handlers.states[state] !== undefined)

// ----------------------------------------------------------------------------
// The callback module
// ----------------------------------------------------------------------------

const stateMachine: Loop.Behaviour<AnyModule, Machine, Handlers, unknown> = {
  title: "State machine",
  report: "gen_statem",
  isModule: (u): u is AnyModule => typeof u === "object" && u !== null && "~effect-otp/StateMachine" in u,
  load: handlersOf,
  handle: (server, message) => spansOn(server) ? traced(server, message) : handle(server, message),
  terminate: (server, reason) => {
    const machine = server.state
    cancelAll(server, machine)
    const terminate = server.module.terminate
    if (terminate === undefined) return
    const result = terminate(reason, machine.state, machine.data)
    return Effect.isEffect(result) ? result as Effect.Effect<unknown, unknown, unknown> : undefined
  },
  formatStatus: (server) => {
    const machine = server.state
    const format = server.module.formatStatus
    return { state: machine.state, data: format === undefined ? machine.data : format(machine.state, machine.data) }
  },
  systemState: {
    get: (server) => ({ state: server.state.state, data: server.state.data }),
    replace: (server, value) => {
      if (typeof value !== "object" || value === null || !("state" in value) || !("data" in value)) {
        throw new Error(`a state machine's state is { state, data }, not ${format(value)}`)
      }
      if (!hasState(server.loaded, value.state)) throw new Error(`${format(value.state)} is not a state of ${server.module.name}`)
      server.state.state = value.state
      server.state.data = value.data
    }
  },
  codeChange: (server, next, extra) => {
    const machine = server.state
    if (next.codeChange === undefined) {
      // Without `codeChange` the state and data are kept, but a state the new version does not have is refused.
      return hasState(handlersOf(next), machine.state)
        ? Exit.succeed(machine)
        : Exit.fail(new Error(`${format(machine.state)} is not a state of ${next.name}@${next.version}`))
    }
    const migrated = next.codeChange(server.module.version, { state: machine.state, data: machine.data }, extra)
    const check = (value: unknown): Exit.Exit<Machine, Error> => {
      if (typeof value !== "object" || value === null || !("state" in value) || !("data" in value)) {
        return Exit.fail(new Error(`${next.name}.codeChange returned ${format(value)}, not { state, data }`))
      }
      if (!hasState(handlersOf(next), value.state)) {
        return Exit.fail(new Error(`${next.name}.codeChange returned the state ${format(value.state)}, which it does not have`))
      }
      return Exit.succeed(machine.with(value.state, value.data))
    }
    if (Exit.isExit(migrated)) return Exit.isSuccess(migrated) ? check(migrated.value) : migrated
    return Effect.isEffect(migrated) ? Effect.flatMap(migrated, check) : check(migrated)
  },
  describe: (message) => describe(message)
}


/** `StateMachine.start` and `startLink`: the current version of `module` (`Code.resolve`) on the loop. */
export const start = startOn(stateMachine, checkInit)

/** Turns a message into an event, runs the current state's handler for it, and makes the transition. */
const handle = (server: Server, message: unknown): Loop.Next | Effect.Effect<Loop.Next, unknown, unknown> => {
  const machine = server.state
  switch (kindOf(message)) {
    case castKind: {
      const request = (message as Gen.CastMessage).request as Request | null | undefined
      const tag = request?._tag
      const handlers = server.loaded
      if (handlers.states !== undefined) {
        const handler = typeof tag === "string" ? handlers.states[machine.state as string]!.casts[tag] : undefined
        if (handler === undefined) return unhandled(server, `cast ${formatTag(tag)}`)
        return dispatch(server, machine, message, "cast", tag, handler((request as Request).payload, machine.data))
      }
      if (typeof tag !== "string" || handlers.casts[tag] !== true) return unhandled(server, `cast ${formatTag(tag)}`)
      return dispatch(
        server,
        machine,
        message,
        "cast",
        tag,
        handlers.handleEvent!({ _tag: "Cast", tag, payload: (request as Request).payload }, machine.state, machine.data)
      )
    }
    case callKind: {
      const call = message as Gen.CallMessage
      const request = call.request as Request | null | undefined
      const tag = request?._tag
      const handlers = server.loaded
      const from = call.from
      let handler: Callback | undefined
      if (handlers.states !== undefined) {
        handler = typeof tag === "string" ? handlers.states[machine.state as string]!.calls[tag] : undefined
      } else if (typeof tag === "string" && handlers.calls[tag] === true) {
        handler = handlers.handleEvent
      }
      if (handler === undefined) {
        // Not an event for this state: the caller gets a typed error and the machine goes on,
        // its timers as they were.
        GenInternal.replyFailureUnsafe(from, new UnknownRequest({ target: server.self, tag: formatTag(tag) }))
        // A postponed call may come back to a state that does not handle it: the queue goes on.
        return nextOfQueue(machine)
      }
      const payload = (request as Request).payload
      // The request, not the call, which holds the caller's reply handle: the report names it.
      server.last = request
      const result = handlers.states !== undefined
        ? handler(payload, machine.data, from)
        : handler({ _tag: "Call", tag, payload, from }, machine.state, machine.data)
      return dispatch(server, machine, message, "call", tag, result)
    }
    case firedKind: {
      const fired = message as Fired
      if (!fired.taken) {
        // A timer's message: an event only if that timer is still the one running.
        if (!isRunning(machine, fired)) return undefined
        fired.taken = true
        fired.timer = undefined
        forget(machine, fired)
      }
      const handlers = server.loaded
      if (handlers.states !== undefined) {
        const table = handlers.states[machine.state as string]!
        const handler = fired.kind === "event" ? table.eventTimeout : fired.kind === "state" ? table.stateTimeout : table.timeout
        const label = fired.kind === "event" ? "eventTimeout" : fired.kind === "state" ? "stateTimeout" : "timeout"
        if (handler === undefined) return unhandled(server, `${label} ${format(fired.content)}`)
        return dispatch(
          server,
          machine,
          message,
          label,
          fired.name,
          fired.kind === "generic" ? handler(fired.name, fired.content, machine.data) : handler(fired.content, machine.data)
        )
      }
      const event = fired.kind === "event"
        ? { _tag: "EventTimeout", content: fired.content }
        : fired.kind === "state"
        ? { _tag: "StateTimeout", content: fired.content }
        : { _tag: "Timeout", name: fired.name, content: fired.content }
      return dispatch(server, machine, message, event._tag, fired.name, handlers.handleEvent!(event, machine.state, machine.data))
    }
    case internalKind:
      return plainEvent(server, machine, message, "internal", (message as Internal).content)
    case initialKind: {
      // The initial state: `init`'s actions, then its `enter` (gen_statem's first transition).
      server.last = undefined
      return settle(server, machine, new Transition(undefined, "init", undefined, true), (message as Initial).actions, "init")
    }
    default:
      return plainEvent(server, machine, message, "info", message)
  }
}

/** An info message or an inserted event: its handler gets its content and the data. */
const plainEvent = (
  server: Server,
  machine: Machine,
  message: unknown,
  kind: "info" | "internal",
  content: unknown
): Loop.Next | Effect.Effect<Loop.Next, unknown, unknown> => {
  const handlers = server.loaded
  if (handlers.states !== undefined) {
    const handler = handlers.states[machine.state as string]![kind]
    if (handler === undefined) return unhandled(server, `${kind === "info" ? "message" : "internal"} ${format(content)}`)
    return dispatch(server, machine, message, kind, undefined, handler(content, machine.data))
  }
  const event = kind === "info" ? { _tag: "Info", message: content } : { _tag: "Internal", content }
  return dispatch(server, machine, message, kind, undefined, handlers.handleEvent!(event, machine.state, machine.data))
}

/** An event no handler takes (a cast, a message, a timeout, an inserted event): dropped with a warning. */
const unhandled = (server: Server, what: string): Effect.Effect<Loop.Next> =>
  Effect.as(
    Effect.logWarning(`${server.module.name} ${server.self}: no handler for ${what} in state ${format(server.state.state)}; dropped`),
    nextOfQueue(server.state)
  )

/**
 * What the loop does next: the next queued event, if any; else the first zero-time timeout still
 * set; else the mailbox.
 */
const nextOfQueue = (machine: Machine): Loop.Next => {
  if (machine.queue.length > 0) return Loop.insert(machine.queue.shift())
  const zero = machine.zero
  if (zero === undefined) return undefined
  while (zero.length > 0) {
    const fired = zero.shift()!
    if (isRunning(machine, fired)) {
      forget(machine, fired)
      fired.taken = true
      return Loop.insert(fired)
    }
  }
  machine.zero = undefined
  return undefined
}

// ----------------------------------------------------------------------------
// Telemetry
// ----------------------------------------------------------------------------

const spansOn = (server: Server): boolean => (server.self as ProcessImpl).runtime.telemetry?.spans === true

/**
 * Handles an event inside a span `handle_event <event>` while the node's telemetry is on: a
 * server span, child of the caller's, for a call; an internal one otherwise. Attributes: the
 * pid, the module, the state the event found, the event. A stale timer's message gets none.
 */
const traced = (server: Server, message: unknown): Loop.Next | Effect.Effect<Loop.Next, unknown, unknown> => {
  const kind = kindOf(message)
  if (kind === firedKind && !(message as Fired).taken && !isRunning(server.state, message as Fired)) return undefined
  // The initial transition (init's actions, the first enter call) is no event.
  if (kind === initialKind) return handle(server, message)
  const self = server.self as ProcessImpl
  const event = describe(message)
  const attributes: Record<string, unknown> = {
    "otp.pid": String(self),
    "otp.module": server.module.name,
    "otp.state": format(server.state.state),
    "otp.event": event
  }
  if (self.name !== undefined) attributes["otp.name"] = self.name
  const parent = kind === callKind ? callSpan((message as Gen.CallMessage).from) : undefined
  return Effect.withSpan(
    Effect.suspend(() => {
      const next = handle(server, message)
      return Effect.isEffect(next) ? next : Effect.succeed(next)
    }),
    `handle_event ${kind === callKind || kind === castKind ? event.split(" ", 2).join(" ") : event.split(" ", 1)[0]}`,
    { kind: parent === undefined ? "internal" : "server", parent, attributes, captureStackTrace: false }
  )
}

// ----------------------------------------------------------------------------
// Transitions
// ----------------------------------------------------------------------------

/** What one transition gathers from its results' actions, until it is applied. */
class Transition {
  /** The timeout actions, in order (applied once the state is known). */
  timeouts: Array<TimeoutAction> | undefined = undefined
  /** Inserted events, in order. */
  inserted: Array<unknown> | undefined = undefined
  postpone = false
  constructor(
    /** The event handled (for `postpone`); `undefined` for the initial transition. */
    readonly event: unknown,
    readonly label: string,
    readonly tag: unknown,
    /** Whether the state's `enter` runs (a state change, `repeatState`, the initial state). */
    public enter: boolean
  ) {}
}

interface TimeoutAction {
  readonly kind: "event" | "state" | "generic"
  readonly name: string | undefined
  readonly op: "set" | "update" | "cancel"
  readonly millis: number
  readonly content: unknown
}

/** A handler's result for `event`, directly or as an Effect: checked, then the transition. */
const dispatch = (
  server: Server,
  machine: Machine,
  event: unknown,
  label: string,
  tag: unknown,
  result: unknown
): Loop.Next | Effect.Effect<Loop.Next, unknown, unknown> => {
  if (Effect.isEffect(result)) {
    return Effect.flatMap(result as Effect.Effect<unknown, unknown, unknown>, (r) => {
      const next = transition(server, machine, event, label, tag, r)
      return Effect.isEffect(next) ? next : Effect.succeed(next)
    })
  }
  return transition(server, machine, event, label, tag, result)
}

/**
 * Any event cancels the event timeout (gen_statem): done when the event's handler has returned,
 * before its transition sets a new one.
 */
const transition = (
  server: Server,
  machine: Machine,
  event: unknown,
  label: string,
  tag: unknown,
  result: unknown
): Loop.Next | Effect.Effect<Loop.Next, unknown, unknown> => {
  const eventTimer = machine.eventTimer
  if (eventTimer !== undefined) {
    machine.eventTimer = undefined
    cancel(server, eventTimer)
  }
  // The common case first: a plain transition without actions, nothing queued, no enter.
  if (typeof result === "object" && result !== null) {
    const r = result as { readonly _tag?: unknown; readonly state?: unknown; readonly data?: unknown; readonly actions?: unknown }
    if (r.actions === undefined && machine.queue.length === 0 && machine.postponed.length === 0 && machine.zero === undefined) {
      const handlers = server.loaded
      if (r._tag === "NextState" && "state" in r && "data" in r && hasState(handlers, r.state)) {
        const changed = !sameState(machine.state, r.state)
        if (!changed || !entersOn(handlers, r.state)) {
          if (changed && machine.stateTimer !== undefined) cancelStateTimer(server, machine)
          machine.state = r.state
          machine.data = r.data
          return undefined
        }
      } else if (r._tag === "KeepState" && ((r as { readonly keepData?: unknown }).keepData === true || "data" in r)) {
        if ((r as { readonly keepData?: unknown }).keepData !== true) machine.data = r.data
        return undefined
      }
    }
  }
  return settle(server, machine, new Transition(event, label, tag, false), result, "result")
}

/**
 * The general transition: checks `result` (a handler's result; for the initial transition, the
 * actions of `init`), runs its actions, changes the state, queues postponed and inserted
 * events, runs the new state's `enter` (which may return an Effect), then applies the timeouts
 * and gives the loop the next queued event.
 */
const settle = (
  server: Server,
  machine: Machine,
  t: Transition,
  result: unknown,
  what: "result" | "init"
): Loop.Next | Effect.Effect<Loop.Next, unknown, unknown> => {
  const handlers = server.loaded
  let actions: unknown
  const oldState = machine.state
  const oldData = machine.data
  if (what === "init") {
    actions = result
  } else {
    if (typeof result !== "object" || result === null) return bad(server, t, result)
    const r = result as { readonly _tag?: unknown; readonly state?: unknown; readonly data?: unknown; readonly keepData?: unknown; readonly actions?: unknown }
    switch (r._tag) {
      case "NextState": {
        if (!("state" in r) || !("data" in r) || !hasState(handlers, r.state)) return bad(server, t, result)
        // The state and data first: a bad action stops the machine with them (as gen_statem).
        machine.state = r.state
        machine.data = r.data
        if (gather(server, t, r.actions, false)) return bad(server, t, result)
        if (!sameState(oldState, r.state)) t.enter = true
        break
      }
      case "KeepState":
      case "RepeatState": {
        if (r.keepData !== true && !("data" in r)) return bad(server, t, result)
        if (r.keepData !== true) machine.data = r.data
        if (gather(server, t, r.actions, false)) return bad(server, t, result)
        if (r._tag === "RepeatState") t.enter = true
        break
      }
      case "Stop":
        return stopping(server, machine, t, r)
      default:
        return bad(server, t, result)
    }
  }
  if (what === "init" && gather(server, t, actions, false)) return bad(server, t, actions)
  const changed = what === "result" && !sameState(oldState, machine.state)
  // Postponed: this event waits for a state change (a change now retries it at once).
  if (t.postpone) machine.postponed.push(t.event)
  if (changed) {
    if (machine.postponed.length > 0) {
      machine.queue = machine.postponed.concat(machine.queue)
      machine.postponed = []
    }
    if (machine.stateTimer !== undefined) cancelStateTimer(server, machine)
  }
  // Inserted events go first, in the order given.
  if (t.inserted !== undefined) machine.queue = t.inserted.concat(machine.queue)
  return t.enter && entersOn(handlers, machine.state)
    ? entering(server, machine, t, oldState, oldData, 0)
    : finish(server, machine, t)
}

/** How many `repeatState` in a row an `enter` may return before the machine is taken for stuck. */
const repeatLimit = 10_000

/** Runs the state's `enter` (state enter call); its result may only keep or repeat the state. */
const entering = (
  server: Server,
  machine: Machine,
  t: Transition,
  oldState: unknown,
  oldData: unknown,
  repeats: number
): Loop.Next | Effect.Effect<Loop.Next, unknown, unknown> => {
  const handlers = server.loaded
  const state = machine.state
  // An enter call that throws or fails leaves the machine as it was before the transition: its
  // `terminate` and the error report see that state and data (as gen_statem's, whose transition
  // is not stored until it is done).
  const restore = () => {
    machine.state = oldState
    machine.data = oldData
  }
  let result: unknown
  try {
    result = handlers.states !== undefined
      ? handlers.states[state as string]!.enter!(oldState, machine.data)
      : handlers.handleEvent!({ _tag: "Enter", oldState }, state, machine.data)
  } catch (error) {
    restore()
    throw error
  }
  const entered = (r: unknown): Loop.Next | Effect.Effect<Loop.Next, unknown, unknown> => {
    const enterT = new Transition(t.event, "enter", undefined, false)
    if (typeof r !== "object" || r === null) return bad(server, enterT, r)
    const e = r as { readonly _tag?: unknown; readonly state?: unknown; readonly data?: unknown; readonly keepData?: unknown; readonly actions?: unknown }
    switch (e._tag) {
      case "NextState":
        // The same state only: an enter call cannot change it.
        if (!("state" in e) || !("data" in e) || !sameState(state, e.state)) return bad(server, enterT, r)
        machine.data = e.data
        if (gather(server, t, e.actions, true)) return bad(server, enterT, r)
        return finish(server, machine, t)
      case "KeepState":
      case "RepeatState":
        if (e.keepData !== true && !("data" in e)) return bad(server, enterT, r)
        if (e.keepData !== true) machine.data = e.data
        if (gather(server, t, e.actions, true)) return bad(server, enterT, r)
        if (e._tag === "RepeatState") {
          if (repeats >= repeatLimit) return bad(server, enterT, r)
          return entering(server, machine, t, oldState, oldData, repeats + 1)
        }
        return finish(server, machine, t)
      case "Stop":
        return stopping(server, machine, enterT, e)
    }
    return bad(server, enterT, r)
  }
  if (Effect.isEffect(result)) {
    return Effect.flatMap(
      Effect.tapCause(result as Effect.Effect<unknown, unknown, unknown>, () => Effect.sync(restore)),
      (r) => {
        const next = entered(r)
        return Effect.isEffect(next) ? next : Effect.succeed(next)
      }
    )
  }
  return entered(result)
}

/**
 * Runs the replies of `actions` in order and gathers the rest into `t`; `true` if any is no
 * action (or, with `enter`, one an enter call may not take: `postpone`, `nextEvent`). Replies already sent stay sent (as gen_statem).
 */
const gather = (server: Server, t: Transition, actions: unknown, enter: boolean): boolean => {
  if (actions === undefined) return false
  if (Array.isArray(actions)) {
    for (let i = 0; i < actions.length; i++) {
      if (gatherOne(server, t, actions[i], enter)) return true
    }
    return false
  }
  return gatherOne(server, t, actions, enter)
}

const gatherOne = (server: Server, t: Transition, action: unknown, enter: boolean): boolean => {
  if (typeof action !== "object" || action === null) return true
  const a = action as {
    readonly _tag?: unknown
    readonly from?: unknown
    readonly value?: unknown
    readonly error?: unknown
    readonly content?: unknown
    readonly kind?: unknown
    readonly name?: unknown
    readonly op?: unknown
    readonly time?: unknown
  }
  switch (a._tag) {
    case "Reply":
      if (!isFrom(a.from)) return true
      server.reply(a.from as Gen.From, a.value)
      return false
    case "ReplyFailure":
      if (!isFrom(a.from)) return true
      server.replyFailure(a.from as Gen.From, a.error)
      return false
    case "Postpone":
      if (enter || t.event === undefined) return true
      t.postpone = true
      return false
    case "NextEvent":
      if (enter) return true
      ;(t.inserted ??= []).push(new Internal(a.content))
      return false
    case "Timeout": {
      const kind = a.kind
      if (kind !== "event" && kind !== "state" && kind !== "generic") return true
      if (kind === "generic" && typeof a.name !== "string") return true
      const op = a.op
      let millis = 0
      if (op === "set") {
        const checked = durationMillis("StateMachine timeout", a.time, true)
        if (typeof checked !== "number") return true
        millis = checked
      } else if (op !== "update" && op !== "cancel") {
        return true
      }
      ;(t.timeouts ??= []).push({ kind, name: a.name as string | undefined, op, millis, content: a.content })
      return false
    }
  }
  return true
}

/**
 * The end of a transition: its timeouts, then the next queued event. Of the timeout actions of
 * one transition (the handler's and its enter calls' together) only the last of each timer (the
 * event timeout, the state timeout, each generic name) counts, as in gen_statem; those run in
 * the order given.
 */
const finish = (server: Server, machine: Machine, t: Transition): Loop.Next => {
  const timeouts = t.timeouts
  if (timeouts !== undefined) {
    if (timeouts.length === 1) {
      applyTimeout(server, machine, timeouts[0])
    } else {
      const last = new Map<string, number>()
      for (let i = 0; i < timeouts.length; i++) last.set(timerKey(timeouts[i]), i)
      for (let i = 0; i < timeouts.length; i++) {
        if (last.get(timerKey(timeouts[i])) === i) applyTimeout(server, machine, timeouts[i])
      }
    }
  }
  return nextOfQueue(machine)
}

/** Which timer an action is for. */
const timerKey = (action: TimeoutAction): string => action.kind === "generic" ? `generic ${action.name}` : action.kind

/** A reply handle: what `reply` settles (an untyped caller's `from` may be anything). */
const isFrom = (u: unknown): boolean =>
  typeof u === "object" && u !== null && typeof (u as { readonly settle?: unknown }).settle === "function"


/** The timer of `kind` (and `name`) that runs now, if any. */
const runningTimer = (machine: Machine, kind: "event" | "state" | "generic", name: string | undefined): Fired | undefined =>
  kind === "event" ? machine.eventTimer : kind === "state" ? machine.stateTimer : machine.timers?.get(name!)

/** Makes `fired` the running timer of its kind. */
const register = (machine: Machine, fired: Fired): void => {
  if (fired.kind === "event") machine.eventTimer = fired
  else if (fired.kind === "state") machine.stateTimer = fired
  else (machine.timers ??= new Map()).set(fired.name!, fired)
}

/**
 * A timeout action: set (a node timer, or a zero-time timeout delivered after the queued
 * events; `Infinity` sets none), update (the running timer's content; with none running, a
 * zero-time timeout with it) or cancel. Setting or cancelling replaces the running one.
 */
const applyTimeout = (server: Server, machine: Machine, action: TimeoutAction): void => {
  const running = runningTimer(machine, action.kind, action.name)
  if (action.op === "update" && running !== undefined) {
    running.content = action.content
    return
  }
  if (running !== undefined) {
    forget(machine, running)
    cancel(server, running)
  }
  if (action.op === "cancel") return
  const millis = action.op === "update" ? 0 : action.millis
  if (millis === Infinity) return
  const fired = new Fired(action.kind, action.name, action.content)
  register(machine, fired)
  if (millis === 0) (machine.zero ??= []).push(fired)
  else startTimer(server, fired, millis)
}

/** Starts the node timer that delivers `fired` to the machine. */
const startTimer = (server: Server, fired: Fired, millis: number): Fired => {
  const self = server.self as ProcessImpl
  fired.timer = self.runtime.timers.add(millis, () => {
    fired.timer = undefined
    self.deliver(fired)
  })
  return fired
}

/** Stops `fired`'s node timer; a message it already sent is stale (it is no longer in the registers). */
const cancel = (server: Server, fired: Fired): void => {
  const timer = fired.timer
  if (timer !== undefined) {
    fired.timer = undefined
    ;(server.self as ProcessImpl).runtime.timers.cancel(timer)
  }
}

const cancelStateTimer = (server: Server, machine: Machine): void => {
  const running = machine.stateTimer!
  machine.stateTimer = undefined
  cancel(server, running)
}

/** Whether `fired` is the timer of its kind (and name) that runs now. */
const isRunning = (machine: Machine, fired: Fired): boolean => runningTimer(machine, fired.kind, fired.name) === fired

/** Takes `fired` out of the registers, if it is the running timer of its kind. */
const forget = (machine: Machine, fired: Fired): void => {
  if (!isRunning(machine, fired)) return
  if (fired.kind === "event") machine.eventTimer = undefined
  else if (fired.kind === "state") machine.stateTimer = undefined
  else machine.timers!.delete(fired.name!)
}

/** Stops every timer of a machine that is stopping (a killed one's fire into a dead mailbox). */
const cancelAll = (server: Server, machine: Machine): void => {
  if (machine.eventTimer !== undefined) cancel(server, machine.eventTimer)
  if (machine.stateTimer !== undefined) cancel(server, machine.stateTimer)
  machine.timers?.forEach((fired) => cancel(server, fired))
}

/** Whether the machine makes state enter calls into `state`. */
const entersOn = (handlers: Handlers, state: unknown): boolean =>
  handlers.states !== undefined ? handlers.states[state as string]!.enter !== undefined : handlers.stateEnter

/** Whether two states are the same (gen_statem compares terms): `Equal.equals`, whatever they are. */
const sameState = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  try {
    return Equal.equals(a, b)
  } catch {
    return false
  }
}

/** A stop result: the replies (sent before `terminate`), the data, then the loop's stop. */
const stopping = (
  server: Server,
  machine: Machine,
  t: Transition,
  r: { readonly reason?: unknown; readonly data?: unknown; readonly keepData?: unknown; readonly replies?: unknown }
): Loop.Next => {
  if (!isStopReason(r.reason) || (r.keepData !== true && !("data" in r))) return bad(server, t, r)
  const replies = r.replies
  if (replies !== undefined) {
    const list = Array.isArray(replies) ? replies : [replies]
    for (const reply of list) {
      const tag = (reply as { readonly _tag?: unknown } | null)?._tag
      if (tag !== "Reply" && tag !== "ReplyFailure") return bad(server, t, r)
    }
    if (gather(server, t, list, true)) return bad(server, t, r)
  }
  if (r.keepData !== true) machine.data = r.data
  return Loop.stop(r.reason)
}

/** The stop a bad result makes: `BadReturnValue` in a `Crash`; state and data stay as they were. */
const bad = (server: Server, t: Transition, value: unknown): Loop.Next =>
  Loop.stop(badReturnValue(server.module, t.tag === undefined ? t.label : `${t.label}(${formatTag(t.tag)})`, value))

const badReturnValue = (module: AnyModule, callback: string, value: unknown): ExitReason.ExitReason =>
  ExitReason.fail(new BadReturnValue({ module: module.name, callback, value }))

// ----------------------------------------------------------------------------
// Describing events
// ----------------------------------------------------------------------------

/** An event as text, for traces, warnings and the error report; never throws. */
const describe = (message: unknown): string => {
  try {
    if (message instanceof Gen.CallMessage) return `call ${formatRequest(message.request)}`
    if (message instanceof Gen.CastMessage) return `cast ${formatRequest(message.request)}`
    if (message instanceof Request) return `call ${formatRequest(message)}`
    if (message instanceof Fired) {
      const kind = message.kind === "event" ? "timeout" : message.kind === "state" ? "state_timeout" : `timeout ${message.name}`
      return `${kind} ${format(message.content)}`
    }
    if (message instanceof Internal) return `internal ${format(message.content)}`
    if (message instanceof Initial) return "init"
  } catch {
    // `instanceof` asks a Proxy for its prototype, which may throw.
  }
  return `info ${format(message)}`
}
