/**
 * The runtime of `XState`: an xstate actor hosted by a StateMachine process (handle event function
 * mode), one {@link Host} per process.
 *
 * - **One owner.** The actor is created, started, sent events and stopped by the process only,
 *   inside its callbacks (`busy`), so the machine's snapshot and the process's state and data
 *   change together. What xstate does on its own between two messages (an invoked promise that
 *   resolves, a child actor that sends to its parent) changes the snapshot outside the process:
 *   the actor's observer then sends the process a {@link Changed} message, and the process takes
 *   the new snapshot as its state when it handles it (crashing if it is an error).
 * - **Timers.** xstate asks its `clock` for every delayed event (`after`, a delayed `raise` or
 *   `sendTo`). {@link HostClock} answers with `Process.sendAfter` to the process itself: the timer
 *   runs on the node's timers (on `Clock`, so `TestClock` drives it) and fires as a
 *   {@link Timer} message, handled by the process as any other, which then runs xstate's
 *   callback. A timer cleared after its message was sent is told stale by its `pending` flag.
 * - **Code change.** The new version's actor is made from the old one's persisted snapshot by
 *   `codeChange`, but only put in place ({@link Host.settle}) by the first callback of the new
 *   version, which a {@link Commit} message makes happen at once: a change the code server undoes
 *   after `codeChange` returned (its requester gave up) leaves the old actor running and the new
 *   one is dropped unstarted. The old actor's pending delayed events are carried over with the
 *   time they had left (xstate does not persist them: statelyai/xstate#5331).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Rpc from "effect/rpc/Rpc"
import { Errors, ExitReason, type Node, type Pid, Process, type Reference, StateMachine } from "effect-otp"
import { type Actor, type AnyActorRef, type AnyStateMachine, createActor, type Subscription } from "xstate"
// The one internal of the core used here (as the cluster uses it): a callback when the process
// exits however it exits, killed included, where `terminate` does not run, so that the actor and
// its invoked children never outlive the process.
import { watchExit } from "../../lib/internal/direct.js"
import { format } from "../../lib/internal/format.js"

type AnyActor = Actor<AnyStateMachine>
type AnySnapshot = ReturnType<AnyActor["getSnapshot"]>

/** What `XState.make` hands the runtime: the definition, every type erased. */
export interface Definition {
  readonly name: string
  readonly version?: string | undefined
  readonly machine: AnyStateMachine
  readonly calls?: ReadonlyArray<Rpc.Any> | undefined
  readonly casts?: ReadonlyArray<Rpc.Any> | undefined
  readonly replies?: { readonly [tag: string]: (snapshot: any, payload: any, previous: any) => unknown } | undefined
  readonly codeChange?:
    | ((old: { readonly value: unknown; readonly context: unknown }, oldVersion: string, extra: unknown) => {
      readonly value: unknown
      readonly context: unknown
    })
    | undefined
}

/** `XState.failure`'s value: the reply function fails the call with `error`. */
export class Failure<E> {
  constructor(readonly error: E) {}
}

// ----------------------------------------------------------------------------
// Messages the process sends itself
// ----------------------------------------------------------------------------

/** A delayed event of xstate's, due: the message of a {@link HostClock} timer. */
export class Timer {
  /** Until it fired (its callback ran) or was cleared. */
  pending = true
  /** The `Process.sendAfter` timer, for `Process.cancelTimer`. */
  ref: Reference.Reference | undefined = undefined
  /** The xstate event it delivers, once known: what the error report shows. */
  event: { readonly type: string } | undefined = undefined
  constructor(readonly clock: HostClock, readonly fn: () => void) {}
  toString(): string {
    return `xstate delayed event ${this.event === undefined ? "(unknown)" : this.event.type}`
  }
}

/** The snapshot changed outside the process (an invoked actor, a child): take it. */
class Changed {
  constructor(readonly host: Host) {}
  toString(): string {
    return "xstate snapshot changed"
  }
}

/** A code change is done: put the new version's actor in place. */
class Commit {
  constructor(readonly host: Host) {}
  toString(): string {
    return "xstate code change"
  }
}

/** The machine was done as it started: the inserted event that stops the process. */
const finished = { toString: () => "xstate final state" }

// ----------------------------------------------------------------------------
// The clock
// ----------------------------------------------------------------------------

/** A scheduled event as `system.getSnapshot()` lists it. */
interface ScheduledEvent {
  readonly id: string
  readonly event: { readonly type: string }
  readonly source: AnyActorRef
  readonly target: AnyActorRef
}

/**
 * xstate's `clock` for one actor: each timeout a `Process.sendAfter` of a {@link Timer} to the
 * process. Also knows which timer runs which of the actor system's scheduled events (found as
 * each is set: xstate lists the event, then asks the clock), so that a code change can carry
 * them over with the time they have left.
 */
export class HostClock {
  /** The actor system whose scheduled events this clock times (set once the actor is made). */
  system: AnyActor["system"] | undefined = undefined
  readonly timers = new WeakMap<object, Timer>()
  constructor(readonly host: Host) {}

  readonly setTimeout = (fn: (...args: Array<any>) => void, timeout: number): Timer => {
    const timer = new Timer(this, fn)
    // As `setTimeout` takes a delay that is no positive finite number: at once.
    const millis = typeof timeout === "number" && Number.isFinite(timeout) && timeout > 0 ? timeout : 0
    timer.ref = this.host.run(Process.sendAfter(this.host.self, timer, millis))
    // (An xstate older than the system's `getSnapshot` has no list: nothing is carried over.)
    const scheduled = typeof this.system?.getSnapshot === "function" ? this.system.getSnapshot()._scheduledEvents : undefined
    if (scheduled !== undefined) {
      let latest: ScheduledEvent | undefined
      for (const key in scheduled) {
        const event = scheduled[key] as ScheduledEvent
        if (!this.timers.has(event)) latest = event
      }
      if (latest !== undefined) {
        this.timers.set(latest, timer)
        timer.event = latest.event
      }
    }
    return timer
  }

  readonly clearTimeout = (timer: unknown): void => {
    if (!(timer instanceof Timer) || !timer.pending) return
    timer.pending = false
    if (timer.ref !== undefined) this.host.run(Process.cancelTimer(timer.ref))
  }
}

// ----------------------------------------------------------------------------
// The host
// ----------------------------------------------------------------------------

/** A code change made by `codeChange`, waiting for the new version's first callback. */
class Pending {
  constructor(readonly actor: AnyActor, readonly clock: HostClock, readonly version: object) {}
}

/** The hosts by process: the data of a StateMachine is the machine's context, so the actor lives here. */
const hosts = new WeakMap<Pid.Pid, Host>()

/** One process's actor, its clock, and the bookkeeping of who changes its snapshot. */
export class Host {
  actor!: AnyActor
  clock!: HostClock
  subscription: Subscription | undefined = undefined
  /** Whether the process is inside xstate (its changes need no {@link Changed} message). */
  busy = false
  /** Whether a {@link Changed} message is on its way. */
  changedQueued = false
  pending: Pending | undefined = undefined
  readonly changed = new Changed(this)
  readonly commit = new Commit(this)

  constructor(
    readonly self: Pid.Pid,
    /** The process's services, for the clock's timers and xstate's logger, which xstate calls synchronously. */
    readonly context: Context.Context<Node.Node>,
    readonly name: string
  ) {}

  /** Runs an Effect of the process's node now (the clock's timers, logging). */
  run<A, E>(effect: Effect.Effect<A, E, Node.Node>): A {
    return Effect.runSyncWith(this.context)(effect)
  }

  /** xstate's `logger` (its `log` action): `Effect.log` on the process. */
  readonly logger = (...args: Array<unknown>): void => {
    this.run(Effect.log(...args))
  }

  /** Makes an actor of `machine` with its own clock (not started). */
  make(machine: AnyStateMachine, options: { readonly input?: unknown; readonly snapshot?: unknown }): readonly [AnyActor, HostClock] {
    const clock = new HostClock(this)
    const actor = createActor(machine, { ...options, clock, logger: this.logger } as any) as AnyActor
    clock.system = actor.system
    return [actor, clock]
  }

  /** Starts `actor` as the process's, watching its snapshot. */
  start(actor: AnyActor, clock: HostClock): void {
    this.actor = actor
    this.clock = clock
    const changed = () => this.onChange()
    this.subscription = actor.subscribe({ next: changed, error: changed, complete: changed })
    this.inside(() => actor.start())
  }

  /** Runs `f` inside xstate on the process's behalf. */
  inside(f: () => void): void {
    const busy = this.busy
    this.busy = true
    try {
      f()
    } finally {
      this.busy = busy
    }
  }

  /** The actor's snapshot changed: unless the process made the change, it is told. */
  private onChange(): void {
    if (this.busy || this.changedQueued) return
    this.changedQueued = true
    Process.sendUnsafe(this.self, this.changed)
  }

  /**
   * Before any callback of `version`: a pending code change to `version` is put in place; one to
   * another version was undone by the code server (the process runs the other one), and is dropped.
   */
  settle(version: object): void {
    const pending = this.pending
    if (pending === undefined) return
    this.pending = undefined
    if (pending.version !== version) {
      stopQuietly(pending.actor)
      return
    }
    const old = this.actor
    const oldClock = this.clock
    // The old actor's delayed events, each with the time it has left (0 if its message is
    // already in the mailbox: that message is stale from now on, and the event comes again).
    const carried: Array<{ readonly event: ScheduledEvent; readonly millis: number }> = []
    const scheduled = old.system.getSnapshot()._scheduledEvents
    for (const key in scheduled) {
      const event = scheduled[key] as ScheduledEvent
      const timer = oldClock.timers.get(event)
      if (event.source !== old || timer === undefined || !timer.pending) continue
      timer.pending = false
      const left = timer.ref === undefined ? Option.none() : this.run(Process.cancelTimer(timer.ref))
      carried.push({ event, millis: Option.getOrElse(left, () => 0) })
    }
    const oldChildren = old.getSnapshot().children as Record<string, AnyActorRef | undefined>
    this.subscription?.unsubscribe()
    this.inside(() => old.stop())
    this.start(pending.actor, pending.clock)
    const next = pending.actor
    const children = next.getSnapshot().children as Record<string, AnyActorRef | undefined>
    this.inside(() => {
      for (const { event, millis } of carried) {
        // To the machine itself, or to one of its children (restored under the same id).
        let target: AnyActorRef | undefined
        if (event.target === old) target = next
        else {
          for (const id in oldChildren) if (oldChildren[id] === event.target) target = children[id]
        }
        if (target !== undefined) next.system.scheduler.schedule(next, target, event.event, millis, event.id)
      }
    })
  }

  /** The process exited, however: the actor and its children stop with it. */
  dispose(): void {
    hosts.delete(this.self)
    this.subscription?.unsubscribe()
    if (this.actor !== undefined) stopQuietly(this.actor)
    if (this.pending !== undefined) stopQuietly(this.pending.actor)
    this.pending = undefined
  }
}

/** Stops an actor, whatever its children's cleanup does (the process is exiting or has moved on). */
const stopQuietly = (actor: AnyActor): void => {
  try {
    actor.stop()
  } catch {
    // An invoked actor's cleanup threw: nothing is left to tell.
  }
}

// ----------------------------------------------------------------------------
// The StateMachine module
// ----------------------------------------------------------------------------

/** Whether `u` looks like an xstate event: an object with a string `type`. */
const isEventObject = (u: unknown): u is { readonly type: string } => {
  if (typeof u !== "object" || u === null) return false
  try {
    return typeof (u as { readonly type?: unknown }).type === "string"
  } catch {
    return false
  }
}

/** A request's event: its payload's fields and `type: tag`; `undefined` if the payload is no object. */
const eventOf = (tag: string, payload: unknown): { readonly type: string } | undefined => {
  if (payload === undefined) return { type: tag }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return undefined
  return { ...payload, type: tag }
}

/** What a payload is, in words: `a number`, `an array`, `null`. */
const describe = (u: unknown): string => {
  if (u === null) return "null"
  if (Array.isArray(u)) return "an array"
  const type = typeof u
  return type === "undefined" ? "undefined" : `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`
}

/** The error a snapshot in status `"error"` carries, as the process's crash. */
const crashOf = (snapshot: AnySnapshot): ExitReason.ExitReason =>
  ExitReason.crash(Cause.die((snapshot as { readonly error?: unknown }).error))

/** The StateMachine result for the actor's snapshot now, with `actions` (a reply) first. */
const follow = (snapshot: AnySnapshot, actions?: StateMachine.Action): StateMachine.Result<unknown, unknown> => {
  switch (snapshot.status) {
    case "active":
      return StateMachine.nextState(snapshot.value, snapshot.context, actions)
    case "error":
      return StateMachine.stopWith(crashOf(snapshot))
    default:
      // "done" (a final state) or "stopped": the machine has ended, so does the process.
      return actions === undefined
        ? StateMachine.stopWith(ExitReason.normal, snapshot.context)
        : StateMachine.stopAndReply(ExitReason.normal, actions, snapshot.context)
  }
}

/** The host of the calling process (every callback runs on the process's behalf). */
const hostOf = (self: Pid.Pid): Host => {
  const host = hosts.get(self)
  if (host === undefined) throw new Error(`effect-otp/xstate: ${String(self)} hosts no xstate actor`)
  return host
}

/** `XState.make`: the StateMachine module that hosts `definition.machine`. */
export const make = (definition: Definition): unknown => {
  const { machine, name } = definition
  const replies = definition.replies ?? {}
  const migrate = definition.codeChange
  // What the code change's `Pending` names: this version (one per `make`).
  const version = {}

  const init = (input: unknown) =>
    Effect.gen(function*() {
      const self = yield* Process.self
      const context = yield* Effect.context<Node.Node>()
      const host = new Host(self, context, name)
      hosts.set(self, host)
      watchExit(self, () => host.dispose())
      const [actor, clock] = host.make(machine, { input })
      host.start(actor, clock)
      const snapshot = actor.getSnapshot()
      switch (snapshot.status) {
        case "active":
          return StateMachine.ok(snapshot.value, snapshot.context)
        case "error":
          // The start fails with `InitFailed` carrying the error.
          return StateMachine.stopWith(crashOf(snapshot))
        default:
          // Done as it started: the start succeeds, then the process stops (reason normal).
          return StateMachine.ok(snapshot.value, snapshot.context, StateMachine.nextEvent(finished))
      }
    })

  const handleEvent = (event: StateMachine.Event<unknown, Rpc.Any, Rpc.Any>) =>
    Effect.flatMap(Process.self, (self) => {
      const host = hostOf(self)
      host.settle(version)
      const next = handle(host, event)
      return Effect.isEffect(next) ? next : Effect.succeed(next)
    })

  const handle = (
    host: Host,
    event: StateMachine.Event<unknown, Rpc.Any, Rpc.Any>
  ): StateMachine.Result<unknown, unknown> | Effect.Effect<StateMachine.Result<unknown, unknown>> => {
    const actor = host.actor
    switch (event._tag) {
      case "Call": {
        const from = event.from as StateMachine.From
        const tag = event.tag as string
        const sent = eventOf(tag, event.payload)
        if (sent === undefined) {
          // From an untyped caller only: the types take objects (or nothing) as payloads.
          return StateMachine.keepStateAndData(StateMachine.replyFailure(
            from,
            new Errors.BadArgument({
              operation: `${name} call ${tag}`,
              reason: `the payload must be an object (its fields become the event's), not ${describe(event.payload)}`
            })
          ))
        }
        const previous = actor.getSnapshot()
        host.inside(() => actor.send(sent))
        const snapshot = actor.getSnapshot()
        // An error: no reply, the process crashes and the caller gets `CallExit`.
        if (snapshot.status === "error") return follow(snapshot)
        const answer = replies[tag]!(snapshot, event.payload, previous)
        return follow(
          snapshot,
          answer instanceof Failure ? StateMachine.replyFailure(from, answer.error) : StateMachine.reply(from, answer)
        )
      }
      case "Cast": {
        const sent = eventOf(event.tag as string, event.payload)
        if (sent === undefined) {
          return warn(host, `cast ${String(event.tag)} with ${describe(event.payload)} as its payload`)
        }
        host.inside(() => actor.send(sent))
        return follow(actor.getSnapshot())
      }
      case "Info": {
        const message = event.message
        if (message instanceof Timer) {
          // A timer of this process's actor that still runs: xstate's callback sends the event.
          if (message.clock !== host.clock || !message.pending) return StateMachine.keepStateAndData()
          message.pending = false
          host.inside(message.fn)
          return follow(actor.getSnapshot())
        }
        if (message instanceof Changed || message instanceof Commit) {
          if (message.host !== host) return StateMachine.keepStateAndData()
          if (message instanceof Changed) host.changedQueued = false
          return follow(actor.getSnapshot())
        }
        if (isEventObject(message)) {
          host.inside(() => actor.send(message))
          return follow(actor.getSnapshot())
        }
        return warn(host, `message ${format(message)}`)
      }
      case "Internal":
        return event.content === finished ? follow(actor.getSnapshot()) : StateMachine.keepStateAndData()
      default:
        return StateMachine.keepStateAndData()
    }
  }

  const codeChange = (oldVersion: string, _old: unknown, extra: unknown) =>
    Effect.flatMap(Process.self, (self) =>
      Effect.suspend(() => {
        const host = hostOf(self)
        // A change made but not yet put in place (two in a row): the first is dropped.
        if (host.pending !== undefined) {
          stopQuietly(host.pending.actor)
          host.pending = undefined
        }
        let persisted = host.actor.getPersistedSnapshot() as unknown as { readonly value: unknown; readonly context: unknown }
        if (migrate !== undefined) {
          const migrated = migrate({ value: persisted.value, context: persisted.context }, oldVersion, extra)
          persisted = { ...persisted, value: migrated.value, context: migrated.context }
        }
        const [actor, clock] = host.make(machine, { snapshot: persisted })
        const snapshot = actor.getSnapshot()
        // The new machine cannot take the snapshot (a state it does not have): the process keeps its old code.
        if (snapshot.status === "error") return Effect.fail((snapshot as { readonly error?: unknown }).error)
        host.pending = new Pending(actor, clock, version)
        Process.sendUnsafe(self, host.commit)
        return Effect.succeed({ state: snapshot.value, data: snapshot.context })
      }))

  return StateMachine.make({
    name,
    version: definition.version,
    calls: definition.calls,
    casts: definition.casts,
    init,
    handleEvent,
    codeChange
  } as any)
}

/** A message no event can be made of: dropped with a warning, as StateMachine drops what no handler takes. */
const warn = (host: Host, what: string): Effect.Effect<StateMachine.Result<unknown, unknown>> =>
  Effect.as(
    Effect.logWarning(
      `${host.name} ${String(host.self)}: ${what} is no xstate event (an object with a string type) in state ${
        format(host.actor.getSnapshot().value)
      }; dropped`
    ),
    StateMachine.keepStateAndData()
  )
