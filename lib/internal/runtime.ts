/**
 * The process runtime: a node's process list, name table, run queue, and the process object
 * (mailbox, links, monitors, flags) that is also the process's local pid.
 *
 * Hot path notes:
 * - A mailbox is an array with a head index; a send is a push, a receive an indexed read.
 * - A process waiting in `receive` holds one resume callback (`waiter`). A send to it puts it on
 *   the node's run queue; the queue is drained from a microtask, so wake-ups never nest on the
 *   sender's stack (a ring of 10k processes does not grow the JS stack) and a burst of sends
 *   wakes a receiver once.
 * - Selective receive keeps `scan`, the index up to which the waiting match has already been
 *   tried, so a waiting selective receive only looks at new messages.
 * - A received message reaches the receive's continuation through the process's hand-off slot
 *   and one shared `Sync` step (`takeHandoff`), so no interruption can fall between taking it
 *   out of the mailbox and passing it on (see `ProcessImpl`).
 *
 * - A bounded mailbox (`Process.spawn`'s `mailbox` option) is a subclass, `BoundedProcess`,
 *   whose `deliver` checks the bound: an unbounded process has no field and no check more than
 *   before bounded mailboxes. The bound's own work runs only when a bounded mailbox is full.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as ExitReason from "../ExitReason.js"
import type { TelemetryHooks } from "./telemetry.js"
import { type Timer, Timers } from "./timers.js"
import { counters, localNodes, makeReference, PidBase, type PidLike, ReferenceImpl } from "./identity.js"

// ----------------------------------------------------------------------------
// System messages
// ----------------------------------------------------------------------------

/**
 * A trapped exit signal, delivered as a message to a process that traps exits.
 * OTP's `{'EXIT', From, Reason}`. A plain class (three fields, set once): one is made per exit
 * of a linked process, on the restart path of every supervisor.
 *
 * @internal
 */
export class ExitMessage {
  readonly _tag = "Exit" as const
  constructor(readonly from: PidLike, readonly reason: ExitReason.ExitReason) {}
}

/**
 * A monitor fired: OTP's `{'DOWN', Ref, process, Pid, Reason}`.
 *
 * @internal
 */
export class DownMessage {
  readonly _tag = "Down" as const
  constructor(readonly ref: ReferenceImpl, readonly pid: PidLike, readonly reason: ExitReason.ExitReason) {}
}

// ----------------------------------------------------------------------------
// Bounded mailboxes
// ----------------------------------------------------------------------------

/** What a full bounded mailbox does with a new message (see `Process.MailboxOptions`). @internal */
export type Overflow = "dropNewest" | "dropOldest" | "reject"

/**
 * The bound of a bounded mailbox: one object per bounded process, none for the others.
 *
 * @internal
 */
export class MailboxBound {
  /** Messages kept out by the bound: refused, dropped new, or dropped oldest. */
  dropped = 0
  constructor(readonly capacity: number, readonly overflow: Overflow) {}
}

/**
 * What to do with a message the bound drops, set by the call protocol (`internal/gen.ts`, which
 * imports this module) when it loads: a call's request fails its caller with `MailboxFull` at
 * once, instead of leaving it to wait for its timeout.
 *
 * @internal
 */
export const boundHooks: { dropped: (message: unknown, process: BoundedProcess) => void } = { dropped: () => {} }

/** The classes of the messages that pass any bound (see {@link passBound}). */
const passing: Array<abstract new(...args: any) => unknown> = [ExitMessage, DownMessage]

/**
 * Makes the messages of class `c` pass any bound: system messages. Exit signals turned into
 * messages and monitors' `Down` pass (a bounded process must still see its supervisor's
 * shutdown and its links' exits), and so do `Sys` requests and the timeouts a StateMachine
 * arms for itself, registered by their modules: never refused or dropped, they may take a
 * mailbox over its capacity.
 *
 * @internal
 */
export const passBound = (c: abstract new(...args: any) => unknown): void => {
  if (!passing.includes(c)) passing.push(c)
}

/** Whether a message passes any bound (see {@link passBound}). Run only on a full bounded mailbox. */
const passesBound = (message: unknown): boolean => {
  for (let i = 0; i < passing.length; i++) if (message instanceof passing[i]!) return true
  return false
}

// ----------------------------------------------------------------------------
// Process
// ----------------------------------------------------------------------------

/** @internal */
export const enum Status {
  Running = 0,
  Waiting = 1,
  Runnable = 2,
  Suspended = 3,
  Exiting = 4,
  Dead = 5
}

/** @internal */
export const statusName = (status: Status): "running" | "waiting" | "runnable" | "suspended" | "exiting" | "dead" => {
  switch (status) {
    case Status.Running:
      return "running"
    case Status.Waiting:
      return "waiting"
    case Status.Runnable:
      return "runnable"
    case Status.Suspended:
      return "suspended"
    case Status.Exiting:
      return "exiting"
    case Status.Dead:
      return "dead"
  }
}

/** A monitor, shared by the watcher's and the target's tables. @internal */
export interface Monitor {
  readonly ref: ReferenceImpl
  readonly watcher: ProcessImpl
  readonly target: ProcessImpl
}

/**
 * Something that is told once when a process exits, without being a process: the caller side
 * of a call made from any fiber. Watchers form an intrusive list on the watched process, so a
 * call's watch and unwatch are pointer updates (no hashing, no table churn). @internal
 */
export abstract class Watcher {
  watchPrev: Watcher | undefined = undefined
  watchNext: Watcher | undefined = undefined
  watched: ProcessImpl | undefined = undefined
  abstract down(reason: ExitReason.ExitReason): void
}

/** An entry of the run queue: a process to resume, or a task such as a call's reply. @internal */
export interface Runnable {
  run(): void
}

/**
 * A receive loop that can handle its messages in the run queue's turn, without resuming its
 * fiber: the generic loop (`internal/loop.ts`), parked in its plain `receive`. See
 * {@link ProcessImpl.run}.
 *
 * @internal
 */
export interface DirectLoop {
  /**
   * Handles queued messages now, on the run queue's stack (the process's fiber stays parked).
   * Returns `true` when done (the mailbox is empty, or the budget is used up, or the process is
   * exiting), `false` when the next message needs the fiber (it is handed over as usual), or
   * the effect to resume the fiber's receive with (a handled message left work for the fiber).
   */
  runDirect(): Effect.Effect<unknown> | boolean
}

/** @internal */
export type Match = (message: unknown) => boolean

/** Resumes a fiber blocked in `receive` (what `Effect.callback` gives its register function). @internal */
export type Resume = (effect: Effect.Effect<any>) => void

/** Any fiber: the fibers of a process that receive. @internal */
export type AnyFiber = Fiber.Fiber<unknown, unknown>

/**
 * A receive that started waiting while another receive of the same process was already waiting:
 * several fibers of one process receiving at once (e.g. `Effect.race` of two receives). Rare, so
 * the first waiter lives in fields of the process and only the others in these records.
 *
 * @internal
 */
interface Waiting {
  readonly resume: Resume
  readonly fiber: AnyFiber
  readonly match: Match | undefined
  scan: number
}

const emptyMailbox: Array<unknown> = []

/** What `poll` returns when the mailbox is empty. @internal */
export const noMessage: unique symbol = Symbol.for("effect-otp/noMessage") as never

/**
 * A message on its way to a receive (see {@link ProcessImpl}'s hand-off). One object, not four
 * fields on every process: a hand-off lasts one step with Effect's default scheduler, so one
 * spare object is reused for nearly all of them (measured: 24 B less per process, no
 * allocation per message).
 *
 * @internal
 */
export class Handoff {
  message: unknown = undefined
  fiber: AnyFiber | undefined = undefined
  /** Where the message was (from `head`), to put it back there. */
  at = 0
  /** Whether the owner is watched (see `freeHandoff`). */
  watched = false
}

let spareHandoff: Handoff | undefined = undefined

const releaseHandoff = (handoff: Handoff): void => {
  handoff.message = undefined
  handoff.fiber = undefined
  handoff.watched = false
  spareHandoff = handoff
}

/**
 * A local process. It is its own pid: sending is a method call, and after the process ends the
 * object keeps only its identity (mailbox, links and fiber are dropped), so a pid held after
 * its process died costs a few words, like an Erlang pid.
 *
 * Receiving, and why no message is lost by an interrupted receive:
 * - A waiting receive is `waiter` (its resume callback), `waiterFiber`, `match` and `scan`;
 *   receives of other fibers of the same process that wait at the same time queue in `waiters`,
 *   oldest first. A wait of any fiber but the process's own registers a cleanup (`abandon`),
 *   so a receive interrupted while it waits (`Effect.timeout`, a race, `Fiber.interrupt`) is
 *   removed at once. The process's own fiber is interrupted only when the process exits, which
 *   drops every wait and the mailbox: its waits (the hot path) skip the cleanup's cost.
 * - A message is handed over through `handoff`: the run queue (or a receive that finds a message
 *   at once) moves it there, owned by the receiving fiber, and resumes the fiber with the shared
 *   `takeHandoff` effect, a `Sync` step that passes it straight to the receive's continuation.
 *   If the fiber is interrupted before that step (its scheduler made it yield first), the
 *   message goes back where it was: by the wait's cleanup, which is still on the fiber's stack,
 *   or, for a receive that did not wait, by the next receive or run of the process once the
 *   owner is gone. With Effect's default scheduler the step runs at once, so the slot is free
 *   again when `resume` returns.
 *
 * @internal
 */
export class ProcessImpl extends PidBase implements Runnable {
  readonly id: number
  /** The mailbox: messages from `head` on are pending. */
  mailbox: Array<unknown> = emptyMailbox
  head = 0
  /** Resume callback of the (oldest) `receive` waiting for a message. */
  waiter: Resume | undefined = undefined
  /** Its fiber: what the cleanup of an interrupted receive knows it by. */
  waiterFiber: AnyFiber | undefined = undefined
  /** Predicate of a waiting selective receive, and the index up to which it was tried. */
  match: Match | undefined = undefined
  scan = 0
  /** Receives of other fibers of this process waiting besides `waiter`, oldest first. */
  waiters: Array<Waiting> | undefined = undefined
  /** A message handed to a receive whose fiber has not passed it on yet (see the class doc). */
  handoff: Handoff | undefined = undefined
  status: Status = Status.Running
  queued = false
  trapExit = false
  fiber: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /** The reason this process is ending with, once decided by a signal. */
  exitReason: ExitReason.ExitReason | undefined = undefined
  links: Set<ProcessImpl> | undefined = undefined
  /** Monitors this process holds, by reference id. */
  monitors: Map<number, Monitor> | undefined = undefined
  /** Monitors held on this process, by reference id. */
  monitoredBy: Map<number, Monitor> | undefined = undefined
  /** Non-process watchers (pending calls from any fiber), as an intrusive list. */
  watchers: Watcher | undefined = undefined
  name: string | undefined = undefined
  /** Messages delivered to this process: one increment per send, no branch (telemetry and the observer read it). */
  delivered = 0
  /** The generic loop this process runs, which handles messages without its fiber when it can. */
  direct: DirectLoop | undefined = undefined
  /** Hook for behaviours built on the core (e.g. system messages); undefined for plain processes. */
  prev: ProcessImpl | undefined = undefined
  next: ProcessImpl | undefined = undefined

  constructor(readonly runtime: NodeRuntime) {
    super()
    this.id = ++counters.pid
  }

  get node(): string {
    return this.runtime.name
  }

  get alive(): boolean {
    return this.status < Status.Exiting
  }

  get messageCount(): number {
    return this.mailbox.length - this.head
  }

  get waiting(): boolean {
    return this.waiter !== undefined
  }

  // --------------------------------------------------------------------------
  // Mailbox
  // --------------------------------------------------------------------------

  /**
   * Appends a message; wakes the process if it waits for one. Dropped when dead. (A bounded
   * mailbox is a {@link BoundedProcess}, which checks its bound first.)
   */
  deliver(message: unknown): void {
    if (this.status >= Status.Exiting) return
    this.delivered++
    if (this.mailbox === emptyMailbox) this.mailbox = [message]
    else this.mailbox.push(message)
    if (this.waiter !== undefined && !this.queued) {
      this.queued = true
      this.status = Status.Runnable
      this.runtime.schedule(this)
    }
  }

  /**
   * Delivers `message` and returns `true`: the form of `deliver` that tells a sender about a
   * refusal (`Process.trySend`), which only a {@link BoundedProcess} makes.
   */
  offer(message: unknown): boolean {
    this.deliver(message)
    return true
  }

  /** Takes the next message (the mailbox must not be empty). */
  takeNext(): unknown {
    const mailbox = this.mailbox
    const message = mailbox[this.head]
    mailbox[this.head++] = undefined
    if (this.head === mailbox.length) {
      // Dropping the drained array is cheaper than truncating it (a runtime call that also
      // shrinks the backing store); the next send allocates a fresh one.
      this.mailbox = emptyMailbox
      this.head = 0
      if (this.waiter !== undefined) this.rescan()
    } else if (this.head >= 1024 && this.head * 2 >= mailbox.length) {
      this.mailbox = mailbox.slice(this.head)
      this.head = 0
      if (this.waiter !== undefined) this.rescan()
    }
    return message
  }

  /** Takes the next message without waiting, or returns `noMessage`. */
  poll(): unknown {
    return this.head < this.mailbox.length && this.status < Status.Exiting ? this.takeNext() : noMessage
  }

  /** Index of the first message from `from` that `match` accepts, or -1. */
  find(match: Match, from: number): number {
    const mailbox = this.mailbox
    for (let i = from; i < mailbox.length; i++) {
      if (match(mailbox[i])) return i
    }
    return -1
  }

  /** Removes and returns the message at `index` (a selective receive's match). */
  takeAt(index: number): unknown {
    if (index === this.head) return this.takeNext()
    const message = this.mailbox[index]
    this.mailbox.splice(index, 1)
    if (this.waiter !== undefined) this.rescan()
    return message
  }

  /** Drops every pending message for which `predicate` holds (demonitor's flush). */
  removeWhere(predicate: Match): void {
    if (this.messageCount === 0) return
    const kept: Array<unknown> = []
    for (let i = this.head; i < this.mailbox.length; i++) {
      const message = this.mailbox[i]
      if (!predicate(message)) kept.push(message)
    }
    this.runtime.discarded += this.messageCount - kept.length
    this.mailbox = kept
    this.head = 0
    if (this.waiter !== undefined) this.rescan()
  }

  /**
   * Messages moved (taken from the middle, put back, the array compacted) while receives wait:
   * their scans start again from the head, so that no message is skipped.
   */
  private rescan(): void {
    this.scan = this.head
    const waiters = this.waiters
    if (waiters !== undefined) for (const w of waiters) w.scan = this.head
  }

  // --------------------------------------------------------------------------
  // Receiving
  // --------------------------------------------------------------------------

  /**
   * Whether a receive of `fiber` may take from the mailbox now: no other receive waits (the
   * oldest waiting receive is served first) and no message is being handed to another fiber.
   * A hand-off whose owner can no longer take it (it is `fiber` itself, starting a new receive,
   * or a fiber that has ended) is put back first.
   */
  ready(fiber: AnyFiber): boolean {
    if (this.handoff !== undefined && !this.freeHandoff(fiber)) return false
    return this.waiter === undefined
  }

  /**
   * Frees the hand-off slot if its owner can no longer take the message (`current` itself,
   * starting a new receive, or a fiber that has ended): the message goes back. Otherwise the
   * owner is passing it on (or was interrupted just before it did): false, and the message is
   * put back if the owner ends without taking it.
   */
  private freeHandoff(current: AnyFiber | undefined): boolean {
    const handoff = this.handoff!
    const owner = handoff.fiber!
    if (owner === current || owner.pollUnsafe() !== undefined) {
      this.putBack()
      return true
    }
    if (!handoff.watched) {
      handoff.watched = true
      owner.addObserver(() => {
        if (this.handoff?.fiber === owner) this.putBack()
      })
    }
    return false
  }

  /** Moves the message at `index` to the hand-off slot of `fiber` (which then runs `takeHandoff`). */
  handOffNow(fiber: AnyFiber, index: number): void {
    const at = index - this.head
    const message = this.takeAt(index)
    const handoff = spareHandoff ?? new Handoff()
    spareHandoff = undefined
    handoff.message = message
    handoff.fiber = fiber
    handoff.at = at
    this.handoff = handoff
    handing = this
  }

  /** The owner of the hand-off passes the message on (from `takeHandoff`). */
  takeHandoff(fiber: AnyFiber): unknown {
    const handoff = this.handoff
    if (handoff?.fiber !== fiber) {
      throw new Error(`effect-otp: ${String(this)} lost track of a message handed to a receive (internal error)`)
    }
    const message = handoff.message
    this.handoff = undefined
    releaseHandoff(handoff)
    // Receives of other fibers that waited for the slot.
    if (this.waiter !== undefined && this.head < this.mailbox.length) this.wake()
    return message
  }

  /** Puts the handed message back where it was: its receive ended without passing it on. */
  putBack(): void {
    const handoff = this.handoff!
    const message = handoff.message
    const at = handoff.at
    this.handoff = undefined
    releaseHandoff(handoff)
    if (this.status === Status.Dead) {
      this.runtime.discarded++
      return
    }
    if (at === 0 && this.head > 0) {
      this.mailbox[--this.head] = message
    } else if (this.mailbox === emptyMailbox) {
      this.mailbox = [message]
      this.head = 0
    } else {
      this.mailbox.splice(this.head + Math.min(at, this.messageCount), 0, message)
    }
    if (this.waiter !== undefined) {
      this.rescan()
      this.wake()
    }
  }

  /** Schedules a run: a waiting receive may have a message. */
  private wake(): void {
    if (this.queued || this.status >= Status.Exiting) return
    this.queued = true
    this.status = Status.Runnable
    this.runtime.schedule(this)
  }

  /**
   * Parks the receive of `fiber` until a message (matching `match`, if given) arrives. `scan`:
   * the first mailbox index it has not tried yet (the mailbox length after a full look).
   */
  wait(resume: Resume, match: Match | undefined, fiber: AnyFiber, scan: number): void {
    // Exiting (an exit signal arrived before the fiber was known, e.g. in its first step): stay
    // parked without a waiter; the run queue interrupts the fiber.
    if (this.status >= Status.Exiting) return
    if (this.waiter === undefined) {
      this.waiter = resume
      this.waiterFiber = fiber
      this.match = match
      this.scan = scan
      this.status = Status.Waiting
    } else {
      ;(this.waiters ??= []).push({ resume, fiber, match, scan })
    }
    if (scan < this.mailbox.length) this.wake()
  }

  /**
   * The receive of `fiber` stops waiting without a message (its `after` clause fired). Returns
   * whether it was waiting.
   */
  cancelWait(fiber: AnyFiber): boolean {
    if (this.waiterFiber === fiber) {
      this.promote()
      if (this.waiter === undefined && this.status < Status.Exiting) this.status = Status.Running
      return true
    }
    const waiters = this.waiters
    if (waiters !== undefined) {
      const i = waiters.findIndex((w) => w.fiber === fiber)
      if (i >= 0) {
        waiters.splice(i, 1)
        if (waiters.length === 0) this.waiters = undefined
        return true
      }
    }
    return false
  }

  /** Cleanup of a receive of `fiber` interrupted while it waited or before it took its message. */
  abandon(fiber: AnyFiber): void {
    if (this.handoff?.fiber === fiber) this.putBack()
    else this.cancelWait(fiber)
  }

  /** The next waiting receive becomes the first (or none waits). */
  private promote(): void {
    const waiters = this.waiters
    if (waiters === undefined) {
      this.waiter = undefined
      this.waiterFiber = undefined
      this.match = undefined
      return
    }
    const next = waiters.shift()!
    if (waiters.length === 0) this.waiters = undefined
    this.waiter = next.resume
    this.waiterFiber = next.fiber
    this.match = next.match
    this.scan = next.scan
  }

  /** Called by the run queue: deliver the pending kill, or resume a waiting receive. */
  run(): void {
    this.queued = false
    if (this.status >= Status.Exiting) {
      if (this.exitReason !== undefined && this.fiber !== undefined) this.fiber.interruptUnsafe()
      return
    }
    const resume = this.waiter
    if (resume === undefined || this.status === Status.Suspended) return
    // A message is being handed to a fiber that has not taken it yet: it wakes us once it has.
    if (this.handoff !== undefined && !this.freeHandoff(undefined)) {
      this.status = Status.Waiting
      return
    }
    if (this.waiters !== undefined) {
      if (!this.serveMany()) this.status = Status.Waiting
      return
    }
    const match = this.match
    if (match === undefined && this.direct !== undefined && this.waiterFiber === this.fiber) {
      // The generic loop, parked in its plain receive: it handles what it can here, and its
      // fiber is resumed only for what needs it (an Effect to run, a stop, a system message).
      // Measured: a GenServer call costs one fiber resume (the caller's) instead of two.
      this.status = Status.Running
      const outcome = this.direct.runDirect()
      if (this.status >= Status.Exiting) return
      if (outcome === true) {
        this.status = Status.Waiting
        if (this.head < this.mailbox.length) this.wake()
        return
      }
      if (outcome !== false) {
        this.promote()
        resume(outcome)
        return
      }
    }
    let index: number
    if (match === undefined) {
      index = this.head < this.mailbox.length ? this.head : -1
    } else {
      try {
        index = this.find(match, this.scan)
      } catch (error) {
        this.exitWith(ExitReason.crash(Cause.die(error)))
        return
      }
      if (index < 0) this.scan = this.mailbox.length
    }
    if (index >= 0) {
      const fiber = this.waiterFiber!
      this.promote()
      this.handOff(resume, fiber, index)
    } else {
      this.status = Status.Waiting
    }
  }

  /**
   * Several receives wait (rare): the first message that one of them accepts goes to the one
   * waiting longest among those that accept it, as one Erlang `receive` with several clauses
   * takes the first message any clause matches. Returns whether a receive was served.
   */
  private serveMany(): boolean {
    const mailbox = this.mailbox
    const waiters = this.waiters!
    let from = this.match === undefined ? this.head : this.scan
    for (const w of waiters) from = Math.min(from, w.match === undefined ? this.head : w.scan)
    // The message's index, and who takes it: -1 for the first waiter, else its index in `waiters`.
    let index = -1
    let taker = -1
    try {
      search: for (let i = from; i < mailbox.length; i++) {
        const message = mailbox[i]
        if (this.match === undefined || (i >= this.scan && this.match(message))) {
          index = i
          break
        }
        for (let k = 0; k < waiters.length; k++) {
          const w = waiters[k]!
          if (w.match === undefined || (i >= w.scan && w.match(message))) {
            index = i
            taker = k
            break search
          }
        }
      }
    } catch (error) {
      this.exitWith(ExitReason.crash(Cause.die(error)))
      return true
    }
    if (index < 0) {
      this.scan = mailbox.length
      for (const w of waiters) w.scan = mailbox.length
      return false
    }
    if (taker < 0) {
      const resume = this.waiter!
      const fiber = this.waiterFiber!
      this.promote()
      this.handOff(resume, fiber, index)
    } else {
      const w = waiters[taker]!
      waiters.splice(taker, 1)
      if (waiters.length === 0) this.waiters = undefined
      this.handOff(w.resume, w.fiber, index)
    }
    return true
  }

  /** Hands the message at `index` to a waiting receive and resumes its fiber. */
  private handOff(resume: Resume, fiber: AnyFiber, index: number): void {
    if (fiber === this.fiber) {
      // The process's own fiber: the message goes straight to the receive, in the `Exit` it is
      // resumed with (see `ownsMessages`).
      const message = this.takeAt(index)
      this.status = this.waiter === undefined ? Status.Running : Status.Waiting
      resume(Exit.succeed(message))
      if (this.waiter !== undefined && this.head < this.mailbox.length) this.wake()
      return
    }
    this.handOffNow(fiber, index)
    // `waiting` while another receive of the process still waits.
    this.status = this.waiter === undefined ? Status.Running : Status.Waiting
    // With Effect's default scheduler the fiber takes the message before `resume` returns;
    // `takeHandoff` wakes the process again if another of its receives waits.
    resume(takeHandoff)
  }

  // --------------------------------------------------------------------------
  // Exit signals
  // --------------------------------------------------------------------------

  /**
   * An exit signal arrives from `from` (OTP's signal semantics). `link` tells a link's signal
   * from an explicit `exit/2`: only the explicit `kill` is untrappable.
   */
  signal(from: PidLike, reason: ExitReason.ExitReason, link: boolean): void {
    if (this.status >= Status.Exiting) return
    if (reason._tag === "Kill" && !link) {
      this.exitWith(ExitReason.killed)
    } else if (this.trapExit) {
      this.deliver(new ExitMessage(from, reason))
    } else if (reason._tag === "Normal") {
      // A normal exit signal is ignored, except `exit(self(), normal)`, which ends the caller.
      if (from === this && !link) this.exitWith(reason)
    } else {
      this.exitWith(reason)
    }
  }

  /** The process is ending: no receive of it waits any more. */
  private dropWaiters(): void {
    this.waiter = undefined
    this.waiterFiber = undefined
    this.match = undefined
    this.waiters = undefined
  }

  /**
   * From now on the process is exiting with `reason`: it takes no messages, no receive of it
   * waits, and it is not alive. Its name is free as the exit starts, as in Erlang: a replacement
   * may take it while this process's finalizers still run (its links and monitors fire once
   * they have run, in `onFiberExit`).
   */
  beginExit(reason: ExitReason.ExitReason): void {
    this.markExiting(reason)
    this.dropWaiters()
    this.freeName()
  }

  /**
   * The process is exiting with `reason` (not alive, out of the observer's index of alive
   * processes); `beginExit` does this and more, `Process.exitWith` only this, as its own
   * interruption runs the rest.
   */
  markExiting(reason: ExitReason.ExitReason): void {
    this.status = Status.Exiting
    this.exitReason = reason
    this.runtime.live?.delete(this.id)
  }

  /** Removes this process's registered name, if it has one. */
  freeName(): void {
    const name = this.name
    if (name === undefined) return
    if (this.runtime.names.get(name) === this) this.runtime.names.delete(name)
    this.name = undefined
  }

  /**
   * Ends the process with `reason`: its fiber is interrupted (finalizers run) and the reason is
   * what links and monitors see. The interruption runs from the run queue, never nested in the
   * sender's stack; a process ending itself is interrupted at its next step.
   */
  exitWith(reason: ExitReason.ExitReason): void {
    if (this.status >= Status.Exiting) return
    this.beginExit(reason)
    const fiber = this.fiber
    if (fiber !== undefined && Fiber.getCurrent() === fiber) {
      fiber.interruptUnsafe()
    } else if (!this.queued) {
      this.queued = true
      this.runtime.schedule(this)
    }
  }

  /** The fiber ended: decide the reason, free the name, tell links and monitors. */
  onFiberExit(exit: Exit.Exit<unknown, unknown>): void {
    const reason = this.exitReason ??
      (Exit.isSuccess(exit) ? ExitReason.normal : ExitReason.crash(exit.cause))
    this.exitReason = reason
    this.status = Status.Dead
    this.dropWaiters()
    this.runtime.exitedDelivered += this.delivered
    this.runtime.discarded += this.messageCount
    const handoff = this.handoff
    if (handoff !== undefined) {
      this.runtime.discarded++
      this.handoff = undefined
      releaseHandoff(handoff)
    }
    this.mailbox = emptyMailbox
    this.head = 0
    this.fiber = undefined
    this.runtime.remove(this)
    this.runtime.suspended.delete(this)
    const links = this.links
    if (links !== undefined) {
      this.links = undefined
      for (const other of links) {
        other.links?.delete(this)
        other.signal(this, reason, true)
      }
    }
    const monitoredBy = this.monitoredBy
    if (monitoredBy !== undefined) {
      this.monitoredBy = undefined
      for (const monitor of monitoredBy.values()) {
        monitor.watcher.monitors?.delete(monitor.ref.id)
        monitor.watcher.deliver(new DownMessage(monitor.ref, this, reason))
      }
    }
    let watcher = this.watchers
    this.watchers = undefined
    while (watcher !== undefined) {
      const next = watcher.watchNext
      watcher.watchPrev = watcher.watchNext = watcher.watched = undefined
      watcher.down(reason)
      watcher = next
    }
    const monitors = this.monitors
    if (monitors !== undefined) {
      this.monitors = undefined
      for (const monitor of monitors.values()) monitor.target.monitoredBy?.delete(monitor.ref.id)
    }
  }

  // --------------------------------------------------------------------------
  // Links and monitors
  // --------------------------------------------------------------------------

  link(other: ProcessImpl): void {
    if (other === this) return
    ;(this.links ??= new Set()).add(other)
    ;(other.links ??= new Set()).add(this)
  }

  unlink(other: ProcessImpl): void {
    this.links?.delete(other)
    other.links?.delete(this)
  }

  monitor(target: ProcessImpl): ReferenceImpl {
    const ref = makeReference(this.runtime.name)
    // A process that is exiting but not yet dead is still monitored: its Down comes with the
    // real reason, after its name is freed (as in OTP, where the signal is handled in order).
    if (target.status === Status.Dead) {
      this.deliver(new DownMessage(ref, target, ExitReason.noproc))
      return ref
    }
    const monitor: Monitor = { ref, watcher: this, target }
    ;(this.monitors ??= new Map()).set(ref.id, monitor)
    ;(target.monitoredBy ??= new Map()).set(ref.id, monitor)
    return ref
  }

  /** Registers a watcher told once of this process's exit; false (not registered) if already dead. */
  watch(watcher: Watcher): boolean {
    if (this.status === Status.Dead) return false
    const first = this.watchers
    watcher.watchNext = first
    if (first !== undefined) first.watchPrev = watcher
    watcher.watched = this
    this.watchers = watcher
    return true
  }

  unwatch(watcher: Watcher): void {
    if (watcher.watched !== this) return
    const { watchPrev: prev, watchNext: next } = watcher
    if (prev !== undefined) prev.watchNext = next
    else this.watchers = next
    if (next !== undefined) next.watchPrev = prev
    watcher.watchPrev = watcher.watchNext = watcher.watched = undefined
  }

  demonitor(ref: ReferenceImpl): boolean {
    const monitor = this.monitors?.get(ref.id)
    if (monitor === undefined) return false
    this.monitors!.delete(ref.id)
    monitor.target.monitoredBy?.delete(ref.id)
    return true
  }
}

/**
 * A process with a bounded mailbox (`Process.spawn`'s `mailbox` option): a subclass, so that an
 * unbounded process (every process but these) keeps the exact shape and `deliver` it had before
 * bounded mailboxes: no field, no check. Measured with a `bound` field on every process
 * instead: `idle_process_bytes` went from 928 B to 952 B (the field did not fit the object and
 * took a properties store). The bound's own work (the policy, the drop count) runs only when
 * the mailbox is full.
 *
 * @internal
 */
export class BoundedProcess extends ProcessImpl {
  constructor(runtime: NodeRuntime, readonly bound: MailboxBound) {
    super(runtime)
  }

  /** `deliver`, once the bound let the message in (see {@link overflow}). */
  override deliver(message: unknown): void {
    if (this.status >= Status.Exiting) return
    if (this.mailbox.length - this.head >= this.bound.capacity && !this.overflow(message)) return
    super.deliver(message)
  }

  /**
   * Delivers `message` unless the policy is `reject` and the mailbox is full: then the message
   * is refused (counted as dropped) and the result is `false`, for a sender that is told
   * (`Process.trySend`). A send to a dead process is `true`: dropped, as every send to one is.
   */
  override offer(message: unknown): boolean {
    const bound = this.bound
    if (
      bound.overflow === "reject" && this.status < Status.Exiting &&
      this.mailbox.length - this.head >= bound.capacity && !passesBound(message)
    ) {
      bound.dropped++
      return false
    }
    this.deliver(message)
    return true
  }

  /**
   * The mailbox is full and `message` arrives: whether it goes in after all. System messages
   * do (over the capacity); under `dropOldest` it does once the oldest message that is not a
   * system message is dropped; otherwise it is dropped. A dropped call request fails its caller
   * (see {@link boundHooks}).
   */
  private overflow(message: unknown): boolean {
    if (passesBound(message)) return true
    const bound = this.bound
    bound.dropped++
    if (bound.overflow === "dropOldest") {
      const mailbox = this.mailbox
      let index = this.head
      while (index < mailbox.length && passesBound(mailbox[index])) index++
      if (index < mailbox.length) {
        const oldest = this.evict(index)
        // It was delivered and is now dropped unread (telemetry's received count).
        this.runtime.discarded++
        boundHooks.dropped(oldest, this)
        return true
      }
    }
    boundHooks.dropped(message, this)
    return false
  }

  /**
   * Removes the message at `index` for the bound: waiting selective receives keep what they
   * have tried (their `scan` follows the messages), so a full mailbox under `dropOldest` does
   * not make them scan it again on every send.
   */
  private evict(index: number): unknown {
    if (index === this.head) {
      const message = this.takeNext()
      if (this.scan < this.head) this.scan = this.head
      const waiters = this.waiters
      if (waiters !== undefined) for (const w of waiters) if (w.scan < this.head) w.scan = this.head
      return message
    }
    const message = this.mailbox[index]
    this.mailbox.splice(index, 1)
    if (this.scan > index) this.scan--
    const waiters = this.waiters
    if (waiters !== undefined) for (const w of waiters) if (w.scan > index) w.scan--
    return message
  }
}

/** The bound of `process`'s mailbox, if it has one. @internal */
export const boundOf = (process: ProcessImpl): MailboxBound | undefined =>
  process instanceof BoundedProcess ? process.bound : undefined

// ----------------------------------------------------------------------------
// Receive
// ----------------------------------------------------------------------------

/**
 * The process of the latest hand-off: with Effect's default scheduler the fiber takes the
 * message right after, so `takeHandoff` finds its process here without a context lookup (it
 * checks, and looks the process up when another hand-off came in between).
 */
let handing: ProcessImpl | undefined = undefined

const handingOf = (fiber: AnyFiber): ProcessImpl => {
  const process = handing !== undefined && handing.handoff?.fiber === fiber ? handing : currentProcessOf(fiber)!
  handing = undefined
  return process
}

/**
 * The step that passes a handed message on (see {@link ProcessImpl}): a `Sync` step, so the
 * message goes straight to the receive's continuation, with no point in between where the fiber
 * could yield or be interrupted. Shared by every receive: no allocation per message.
 */
const takeHandoff: Effect.Effect<unknown> = Effect.sync(() => {
  const fiber = Fiber.getCurrent()!
  return handingOf(fiber).takeHandoff(fiber)
})

/** {@link takeHandoff} for a receive with an `after` clause. */
const takeHandoffSome: Effect.Effect<Option.Option<unknown>> = Effect.sync(() => {
  const fiber = Fiber.getCurrent()!
  return Option.some(handingOf(fiber).takeHandoff(fiber))
})

const timedOut: Effect.Effect<Option.Option<unknown>> = Effect.succeed(Option.none())

/**
 * What a waiting receive with an `after` clause resumes with, from what the run queue handed it:
 * the hand-off step, or the message itself in an `Exit` (its process's own fiber).
 */
const someOf = (taken: Effect.Effect<unknown>): Effect.Effect<Option.Option<unknown>> =>
  taken === takeHandoff ? takeHandoffSome : Exit.succeed(Option.some((taken as Exit.Success<unknown>).value))

/**
 * The cleanup of a waiting receive, run by its fiber when interrupted: one shared effect (the
 * wait is known by its fiber), so a wait costs no closure for it.
 */
const abandonReceive: Effect.Effect<void> = Effect.withFiber((fiber) => {
  currentProcessOf(fiber)?.abandon(fiber)
  return Effect.void
})

/**
 * The cleanup a wait of `fiber` registers. None for the process's own fiber, the hot path (a
 * receive loop, a GenServer waiting for its next message): that fiber is interrupted only when
 * the process exits, which drops its waits and mailbox anyway, and a wait without cleanup
 * spares Effect's finalizer frame (two allocations per wait). Every other fiber of the process
 * (`Effect.timeout`, a race, a forked receive) gets one.
 */
const cleanupOf = (process: ProcessImpl, fiber: AnyFiber): Effect.Effect<void> | undefined =>
  fiber === process.fiber || fiber === startingFiber.current ? undefined : abandonReceive

/**
 * The fiber of a process in its first run, before `spawnProcess` has recorded it as the
 * process's `fiber` (lib/Process.ts sets it in the process's first step and restores it when
 * the fork returns, so nested spawns keep it right). @internal
 */
export const startingFiber: { current: AnyFiber | undefined } = { current: undefined }

/**
 * Set by `Process.ts` as it loads: spawns `body` as a process linked to and monitored by the
 * process of `fiber`, both made before the body's first step (Erlang's `spawn_opt` with `link`
 * and `monitor`), in the caller's step: the pid and the monitor's reference go in `into`
 * before the body runs; the failure to run it (no node) is returned, else `undefined`. For
 * `Task.async`, through `direct.ts`; no public API spawns this way.
 *
 * @internal
 */
export const spawnHooks: {
  linkMonitor: (
    fiber: AnyFiber,
    body: Effect.Effect<unknown, unknown, any>,
    into: { pid: PidLike; ref: ReferenceImpl }
  ) => Effect.Effect<never> | undefined
} = { linkMonitor: undefined as never }

/**
 * Whether `fiber` is the process's own fiber, which may be handed a message in an `Exit`, with
 * no hand-off step: that fiber is interrupted only when the process exits, and the mailbox is
 * dropped then, so a message it took and did not get to pass on (interrupted at a yield in
 * between) is one of the messages an exit drops. Every other fiber of the process (a receive
 * under `Effect.timeout`, in a race, forked) is interrupted while the process lives on, and
 * gets its message through the hand-off slot. Measured on ping-pong: the hand-off's `Sync` step
 * and bookkeeping were about a tenth of a round trip.
 */
const ownsMessages = (process: ProcessImpl, fiber: AnyFiber): boolean =>
  fiber === process.fiber || fiber === startingFiber.current

/**
 * `receive()`: takes the next message, or waits for one. A receive of another fiber than the
 * process's own moves the next message to the hand-off slot, passed on by `takeHandoff`, so a
 * yield between the look and the take cannot lose it (see {@link ownsMessages}).
 *
 * @internal
 */
export const receiveNext: Effect.Effect<unknown> = Effect.withFiber((fiber) => {
  const process = currentProcessOf(fiber)!
  if (process.head < process.mailbox.length && process.handoff === undefined && process.waiter === undefined) {
    if (ownsMessages(process, fiber)) return Exit.succeed(process.takeNext())
    process.handOffNow(fiber, process.head)
    return takeHandoff
  }
  return receiveWait
})

/**
 * The waiting half of `receive()`: its register looks at the mailbox again (a message may have
 * come since `receiveNext` looked, if the fiber yielded in between) and, in the same turn,
 * either hands the message over or parks.
 */
const receiveWait: Effect.Effect<unknown> = Effect.callback<unknown>((resume) => {
  const fiber = Fiber.getCurrent()!
  const process = currentProcessOf(fiber)!
  if (process.handoff === undefined && process.waiter === undefined) {
    if (process.head < process.mailbox.length) {
      if (ownsMessages(process, fiber)) return resume(Exit.succeed(process.takeNext()))
      process.handOffNow(fiber, process.head)
      return resume(takeHandoff)
    }
    if (fiber === process.fiber && runSoleNext(process.runtime)) {
      // The task it ran may have answered (or ended this process: it then parks, as `wait` does).
      if (process.status >= Status.Exiting) return undefined
      if (process.head < process.mailbox.length && process.handoff === undefined && process.waiter === undefined) {
        return resume(Exit.succeed(process.takeNext()))
      }
    }
    process.wait(resume, undefined, fiber, process.mailbox.length)
    return cleanupOf(process, fiber)
  }
  return queue(process, fiber, resume, undefined)
})

/** A receive that may have to wait its turn behind other receives (see `ProcessImpl.ready`). */
const queue = (
  process: ProcessImpl,
  fiber: AnyFiber,
  resume: Resume,
  match: Match | undefined
): Effect.Effect<void> | undefined => {
  if (process.ready(fiber)) {
    const index = match === undefined
      ? (process.head < process.mailbox.length ? process.head : -1)
      : process.find(match, process.head)
    if (index >= 0) {
      process.handOffNow(fiber, index)
      resume(takeHandoff)
      return undefined
    }
    process.wait(resume, match, fiber, process.mailbox.length)
  } else {
    process.wait(resume, match, fiber, process.head)
  }
  return cleanupOf(process, fiber)
}

/**
 * `receive({ match })`: takes the first message `match` accepts, or waits for one.
 *
 * @internal
 */
export const receiveMatching = (match: Match): Effect.Effect<unknown> =>
  Effect.callback<unknown>((resume) => {
    const fiber = Fiber.getCurrent()!
    return queue(currentProcessOf(fiber)!, fiber, resume, match)
  })

/**
 * `receive({ timeout })`, with or without `match`: `Option.some` of the message, or
 * `Option.none()` once `millis` passed (0: only look; `Infinity`: wait as long as it takes).
 *
 * @internal
 */
export const receiveTimed = (match: Match | undefined, millis: number): Effect.Effect<Option.Option<unknown>> =>
  Effect.callback<Option.Option<unknown>>((resume) => {
    const fiber = Fiber.getCurrent()!
    const process = currentProcessOf(fiber)!
    const ready = process.ready(fiber)
    if (ready) {
      const index = match === undefined
        ? (process.head < process.mailbox.length ? process.head : -1)
        : process.find(match, process.head)
      if (index >= 0) {
        process.handOffNow(fiber, index)
        return resume(takeHandoffSome)
      }
      if (millis === 0) return resume(timedOut)
    }
    const scan = ready ? process.mailbox.length : process.head
    if (millis === Infinity) {
      process.wait((taken) => resume(someOf(taken)), match, fiber, scan)
      return cleanupOf(process, fiber)
    }
    const timers = process.runtime.timers
    // A receive that is not ready with timeout 0 still waits its turn, for no time: the
    // timer fires in the timers' next round.
    const timer = timers.add(millis, () => {
      if (process.cancelWait(fiber)) resume(timedOut)
    })
    process.wait((taken) => {
      timers.cancel(timer)
      resume(someOf(taken))
    }, match, fiber, scan)
    return Effect.sync(() => {
      timers.cancel(timer)
      process.abandon(fiber)
    })
  })

// ----------------------------------------------------------------------------
// Node runtime
// ----------------------------------------------------------------------------

/** A pending `sendAfter`: its timer and where the message goes (a pid, or a name looked up then). @internal */
export interface SendTimer {
  readonly timer: Timer
  readonly dest: PidLike | string
}

/** The service key under which a process's fiber finds its own process. @internal */
export const CurrentProcessKey = "effect-otp/CurrentProcess"

/** @internal */
const CurrentProcessTag = Context.Service<ProcessImpl>(CurrentProcessKey)

/** @internal */
export const currentProcessOf = (fiber: Fiber.Fiber<unknown, unknown>): ProcessImpl | undefined =>
  Context.getOrUndefined(fiber.context, CurrentProcessTag)

/**
 * The runtime behind a node value (`Node.layer` builds the node with it), for the modules of
 * `lib/` that run processes. Behaviours and rooms reach processes through `direct.ts` instead.
 *
 * @internal
 */
export const runtimeOf = (node: { readonly name: string }): NodeRuntime =>
  (node as unknown as { readonly runtime: NodeRuntime }).runtime

const liveNodesKey = Symbol.for("effect-otp/live-nodes")

/**
 * The nodes running in this JavaScript process, shared by every copy of the library loaded (so
 * the development tool and the observer reach the program's nodes). The shared set is made on
 * first use, never at import.
 *
 * @internal
 */
export const liveNodes = <N extends { readonly name: string }>(): Set<N> => {
  const g = globalThis as { [liveNodesKey]?: Set<N> }
  return (g[liveNodesKey] ??= new Set())
}

/** How many wake-ups one drain runs before it yields to the event loop (timers, I/O). */
const drainBudget = 50_000

/** How long one drain may run before it yields to the event loop. */
const drainMillis = 10

/**
 * A node: the processes of one runtime, their names, and the run queue that resumes them.
 *
 * @internal
 */
export class NodeRuntime {
  /** Live processes as an intrusive list: O(1) insert and remove, no per-process table entry. */
  first: ProcessImpl | undefined = undefined
  count = 0
  /**
   * The alive processes (not exiting) by id, oldest first, kept only once a tool asked for it
   * (`indexLive` in `direct.ts`: the observer, whose process lookup and table page must not walk
   * 100k processes per request). Off by default: a spawn and an exit pay one `undefined` check,
   * a message nothing; once on, one `Map` entry per process until the node ends.
   */
  live: Map<number, ProcessImpl> | undefined = undefined
  readonly names = new Map<string, ProcessImpl>()
  /** Processes a generic loop reports as suspended by `Sys` (a set: no field per process). */
  readonly suspended = new Set<ProcessImpl>()
  readonly timers: Timers
  /** Pending `sendAfter` timers by reference id, for `cancelTimer`. */
  readonly sendTimers = new Map<number, SendTimer>()
  /** Tasks scheduled since the batch being run was taken (see `drain`). */
  private runQueue: Array<Runnable> = []
  /** An empty array the next batch is scheduled into while `runQueue`'s tasks run. */
  private spareQueue: Array<Runnable> = []
  private drainPending = false
  private draining = false
  /** The batch the drain is running, and the index of its next task (see `takeSoleNext`). */
  private batch: Array<Runnable> | undefined = undefined
  private batchAt = 0
  private idleWaiters: Array<() => void> = []
  closed = false
  /**
   * Messages a generic loop handled from the run queue without resuming its fiber
   * (`LoopImpl.runDirect`), for the tests that prove the fast path is taken.
   */
  directHandled = 0
  /** Messages delivered to processes that have exited, and messages dropped unread (left at exit, flushed). */
  exitedDelivered = 0
  discarded = 0
  /** Set while telemetry is on for this node (`Telemetry.layer`): the one check the hot paths make. */
  telemetry: TelemetryHooks | undefined = undefined

  constructor(readonly name: string, readonly context: Context.Context<never>) {
    localNodes.add(name)
    this.timers = new Timers(context)
  }

  add(process: ProcessImpl): void {
    const first = this.first
    process.next = first
    if (first !== undefined) first.prev = process
    this.first = process
    this.count++
    if (this.live !== undefined) this.live.set(process.id, process)
  }

  remove(process: ProcessImpl): void {
    const { prev, next } = process
    if (prev !== undefined) prev.next = next
    else if (this.first === process) this.first = next
    else return
    if (next !== undefined) next.prev = prev
    process.prev = undefined
    process.next = undefined
    this.count--
    if (this.live !== undefined) this.live.delete(process.id)
    process.freeName()
    if (this.count === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const waiter of waiters) waiter()
    }
  }

  processes(): Array<ProcessImpl> {
    const result: Array<ProcessImpl> = []
    for (let p = this.first; p !== undefined; p = p.next) result.push(p)
    return result.reverse()
  }

  /** Calls `f` once no process is left. */
  onEmpty(f: () => void): void {
    if (this.count === 0) f()
    else this.idleWaiters.push(f)
  }

  schedule(task: Runnable): void {
    this.runQueue.push(task)
    if (!this.drainPending && !this.draining) {
      this.drainPending = true
      queueMicrotask(this.drain)
    }
  }

  /**
   * Runs the queued tasks in batches: a batch is the queue as it is when taken, swapped for the
   * spare array, so the tasks a batch schedules go to the other array and the array being run
   * never grows. Measured on ping-pong (every wake-up scheduled inside a drain): one growing
   * queue of up to `drainBudget` entries made `schedule` 15% of the profile (array growth,
   * and an old-space array holding young tasks); the two swapped arrays keep their capacity.
   */
  private readonly drain = (): void => {
    this.drainPending = false
    this.draining = true
    let budget = drainBudget
    const started = performance.now()
    let batch: Array<Runnable> | undefined
    let index = 0
    try {
      while (this.runQueue.length > 0) {
        batch = this.runQueue
        this.runQueue = this.spareQueue
        this.batch = batch
        index = 0
        while (index < batch.length) {
          const task = batch[index]!
          batch[index++] = undefined as never
          this.batchAt = index
          soleNextStreak = 0
          task.run()
          // Out of budget: by count, or (checked every 256 tasks) by time, so timers, I/O and
          // fibers outside the node get their turn even while heavy work is queued.
          if (--budget === 0 || ((budget & 255) === 0 && performance.now() - started > drainMillis)) {
            budget = 0
            break
          }
        }
        if (index < batch.length) break
        batch.length = 0
        this.spareQueue = batch
        batch = undefined
        if (budget === 0) break
      }
    } finally {
      this.draining = false
      this.batch = undefined
      if (batch !== undefined) {
        // Out of budget inside a batch (or a task threw): its rest runs first, in order.
        const rest = batch.slice(index)
        batch.length = 0
        this.spareQueue = batch
        this.runQueue = rest.length === 0 ? this.runQueue : rest.concat(this.runQueue)
      }
      if (this.runQueue.length > 0) {
        // Out of budget (or a task threw): let timers and I/O in, then go on.
        this.drainPending = true
        setImmediate(this.drain)
      }
    }
  }

  /**
   * Takes the task that would run next, when it is the only one due: nothing is left of the
   * batch being run and it is the only task queued. A process about to wait runs it at once
   * (`runSoleNext`), which is the order the run queue would have run it in.
   */
  takeSoleNext(): Runnable | undefined {
    if (!this.soleNextDue()) return undefined
    const task = this.runQueue[0]!
    this.runQueue.length = 0
    return task
  }

  /** {@link takeSoleNext} of `task` only: whether it was the task due next (now taken). */
  takeIfSoleNext(task: Runnable): boolean {
    if (!this.soleNextDue() || this.runQueue[0] !== task) return false
    this.runQueue.length = 0
    return true
  }

  /** Whether one task is queued and nothing is left of the batch being run. */
  private soleNextDue(): boolean {
    const batch = this.batch
    return this.runQueue.length === 1 && (batch === undefined || this.batchAt >= batch.length)
  }

  makeReference(): ReferenceImpl {
    return makeReference(this.name)
  }
}

/**
 * The effect that delivers `message` to `receiver`: a send (`Process.send`) or a cast
 * (`Gen.cast`). It also yields the sender after it when the receiver has more than 4096
 * messages waiting, once in 1024 such sends (decided as the effect is made, with no step of its
 * own): a receive costs more Effect steps than a send, so a sender in a tight loop would grow
 * its receiver's mailbox without bound (Erlang charges such a sender reductions); yielding now
 * and then lets the receiver run.
 *
 * @internal
 */
export const deliverEffect = (receiver: ProcessImpl, message: unknown): Effect.Effect<void> => {
  const deliver = Effect.sync(() => receiver.deliver(message))
  const waiting = receiver.mailbox.length - receiver.head
  return waiting > 4096 && (waiting & 1023) === 0 ? Effect.andThen(deliver, Effect.yieldNow) : deliver
}

/** Whether a process is running the next task from inside its wait (see {@link runSoleNext}). */
let runningSoleNext = false

/**
 * How many waits in a row went on without suspending since the run queue last ran a task; at
 * {@link soleNextLimit} the next wait suspends, so that a fiber answered at once again and
 * again (a loop of calls to an idle server) still lets the run queue, other microtasks and
 * `TestClock` (which waits for a woken fiber to suspend) see it suspend every so often.
 */
let soleNextStreak = 0
const soleNextLimit = 64

/**
 * Called by a receive of `process`'s own fiber that is about to wait for a message: if the
 * one task due next is known (see `NodeRuntime.takeSoleNext`), it runs now, on this stack,
 * instead of after this fiber suspends and the run queue takes it. The order is the run
 * queue's; what changes is that the waiting process may find its answer when the task is done
 * and go on without suspending at all: in a round trip (a ping and its pong, a request and its
 * reply) the one who asked does not suspend. One level deep: a task run this way does not run
 * another. Measured on ping-pong: 0.72-0.85M round trips/s before, 0.98-1.02M after (the
 * pinger no longer suspends; the ponger still does, as the message has to wake it). Returns
 * whether a task ran.
 */
export const runSoleNext = (runtime: NodeRuntime): boolean => {
  if (runningSoleNext || ++soleNextStreak > soleNextLimit) return false
  const task = runtime.takeSoleNext()
  if (task === undefined) return false
  runningSoleNext = true
  try {
    task.run()
  } catch (error) {
    // A task never throws (the drain would stop on it too); if one does, it is not this
    // process's failure: report it as the drain would, outside this stack.
    queueMicrotask(() => {
      throw error
    })
  } finally {
    runningSoleNext = false
  }
  return true
}
