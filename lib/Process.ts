/**
 * Processes: isolated fibers with a mailbox, that talk only by asynchronous messages.
 *
 * A process is an Effect fiber plus a mailbox, a pid, a link set, a monitor table and a
 * `trapExit` flag. It belongs to its {@link Node}, not to the fiber that spawned it, so it
 * outlives its spawner unless the two are linked. The semantics are Erlang's:
 *
 * - `send` never blocks and never fails; a message to a dead pid is dropped. Messages from one
 *   process to another arrive in the order they were sent.
 * - `receive` takes the next message; `receive({ match })` takes the first message the match
 *   accepts and leaves the others in order; `receive({ timeout })` is the `after` clause. A
 *   receive abandoned by interruption (`Effect.timeout`, a race, `Fiber.interrupt`) never
 *   loses a message, wherever the interruption lands.
 * - `sendAfter` / `cancelTimer` are `erlang:send_after/3` / `cancel_timer/1`: timers fire in
 *   deadline order (ties: the order they were set), even after the event loop was blocked past
 *   several deadlines.
 * - Links are two-way: when a linked process exits with any reason but `normal`, the other exits
 *   too, unless it traps exits, in which case it gets an {@link ExitMessage}. `kill` cannot be
 *   trapped, and a process ended by it exits with `killed`.
 * - Monitors are one-way and fire once, with a {@link DownMessage}; monitoring a dead process
 *   fires at once with `noproc`.
 * - A process that fails or dies exits with a `Crash` carrying its Effect `Cause`.
 *
 * The functions that act as the calling process (`self`, `receive`, `link`, `monitor`,
 * `trapExit`…) need {@link CurrentProcess} in their context, which only a process body has, so
 * calling them outside a process is a compile error, not a runtime surprise.
 *
 * Differences from Erlang, all on purpose:
 * - Errors are typed data: linking to a dead process without trapping exits fails with
 *   `NoProc`; a taken name is `AlreadyRegistered`; a bad argument is `BadArgument`. A bad
 *   timeout or delay (negative, `NaN`, `-Infinity`, not a duration) is a `BadArgument` in the
 *   error channel where Erlang raises `timeout_value` or `badarg`; it is in the type only where
 *   a timeout is given (`receive({ timeout: 0 })` keeps an error-free type). Misuse that only
 *   an untyped caller can reach (a destination that is no pid, a reason that is no
 *   `ExitReason`, a `match` that is no function) is a `BadArgument` defect, as `badarg`
 *   crashes an Erlang caller. Sending to a registered name nobody has is `NoProc`
 *   (`send(name, message)`), where Erlang raises `badarg`.
 * - Durations are Effect durations: a fraction of a millisecond is rounded up (Erlang wants an
 *   integer), and there is no upper bound (Erlang refuses more than 2^32-1 ms).
 * - Interruption in Effect is cooperative: a process in an uninterruptible region finishes that
 *   region before an exit signal (even `kill`) ends it; its finalizers always run. Its name is
 *   freed as the exit starts, as in Erlang (a replacement may register it while the finalizers
 *   still run); its links and monitors fire once they have run.
 * - Mailboxes hold any value; narrow them with a refinement in `receive({ match })` or decode
 *   them with Schema.
 * - A process may have several fibers (`Effect.forkChild`, `Effect.race`); several of them may
 *   receive at once. Each message goes to exactly one receive: the first message one of them
 *   accepts goes to the one waiting longest among those that accept it (one Erlang `receive`
 *   with several clauses takes the first message any clause matches). A receive that starts
 *   while another waits takes its turn behind it. `status` is `waiting` while some receive of
 *   the process waits.
 * - Timers run on the `Clock` (so `TestClock` drives them), on its wall-clock time kept from
 *   going backwards, where Erlang uses monotonic time. A timer to a pid that has exited stays
 *   pending until its deadline (then drops the message) where Erlang frees it at the exit;
 *   `cancelTimer` reports it gone either way. There is no `read_timer`: `cancelTimer` returns
 *   the time that was left. `monitor` takes a pid only (Erlang also takes a registered name).
 *
 * Bounded mailboxes (an option Erlang does not have): a mailbox is unbounded unless the spawn
 * (or `Gen.start`, `GenServer.start`, `StateMachine.start`, their child specs) gives
 * `mailbox: { capacity, overflow }`, for a process that must not let a fast producer grow its
 * queue without limit (a log sink, an ingest worker behind a socket). The choices, and why:
 *
 * - The policy is explicit, never a default: `"dropNewest"` (the new message goes), `"dropOldest"`
 *   (the oldest waiting message goes, for "latest value wins" feeds) or `"reject"` (the sender
 *   is told). A process never drops a message unless its spawner asked for it.
 * - `capacity` counts every waiting message, the ones a selective receive skipped (its save
 *   queue) included: they hold memory as much as the others. A message being handed to a
 *   receive has left the mailbox.
 * - System messages pass any bound, and may take a mailbox over its capacity: exit signals
 *   trapped as {@link ExitMessage}s, monitors' {@link DownMessage}s, `Sys` requests, the
 *   timeouts a `StateMachine` arms for itself and the responses to the process's own
 *   asynchronous requests (`Gen.sendRequest`). A bounded process still sees its supervisor's
 *   shutdown, its links' exits, its own timers and the answers it asked for (Akka keeps system messages in a queue of
 *   their own for the same reason). `"dropOldest"` drops the oldest message that is not one.
 *   Everything else counts and may be dropped: messages from other processes, casts, calls'
 *   requests, a process's messages to itself and the messages of {@link sendAfter} timers.
 * - Types stay honest: {@link send}, `sendUnsafe` and casts never fail, whatever the target (a
 *   user who never bounds a mailbox handles nothing new); to a full mailbox their message is
 *   dropped under the policy and counted. The sender that must know uses {@link trySend}, which
 *   fails with `MailboxFull` when a `"reject"` mailbox is full. A call already has an error
 *   channel: a call whose request is dropped, under any policy (or dropped later as the oldest),
 *   fails with `MailboxFull` at once rather than waiting out its timeout; `MailboxFull` is part
 *   of every call's `CallError`, since a caller cannot know how the server was started.
 * - Visible: {@link info} gives `mailbox: Option.some({ capacity, overflow, dropped })` and the
 *   observer shows the bound and the drop count.
 * - Free when unused: a bounded process is a subclass of the process object whose delivery
 *   checks the bound first, so an unbounded process has no field and no check more than before;
 *   the policy runs only when a bounded mailbox is full (see `bench/mailbox.ts`).
 *
 * How others do it: Erlang has no bounded mailbox; its `max_heap_size` process flag kills the
 * receiver (`killed`) at its next garbage collection once its heap, the message queue included
 * unless `message_queue_data` is `off_heap`, grows past the limit: the receiver dies, the
 * senders learn nothing. Akka's `BoundedMailbox` blocks the sender up to a push timeout, then
 * sends the message to dead letters (logged); its non-blocking variant drops to dead letters at
 * once. Here senders never block (a fiber blocked on a full mailbox could deadlock a pair of
 * processes calling each other), and the drop count stands for Akka's dead letters.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node, Pid, Process } from "effect-otp"
 *
 * const ponger = Effect.gen(function*() {
 *   while (true) {
 *     const message = yield* Process.receive({ match: (m): m is { from: Pid.Pid } => typeof m === "object" })
 *     yield* Process.send(message.from, "pong")
 *   }
 * })
 *
 * const program = Effect.gen(function*() {
 *   const pong = yield* Process.spawn(ponger)
 *   const pinger = yield* Process.spawn(Effect.gen(function*() {
 *     yield* Process.send(pong, { from: yield* Process.self })
 *     console.log(yield* Process.receive()) // "pong"
 *   }))
 *   return pinger
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import type { Predicate, Refinement } from "effect/Predicate"
import { AlreadyRegistered, BadArgument, CallExit, MailboxFull, NoProc, NotRegistered } from "./Errors.js"
import * as ExitReason from "./ExitReason.js"
import { heldExit } from "./internal/exitHold.js"
import { format } from "./internal/format.js"
import { isInstance, PidBase, PidValue, type ReferenceImpl } from "./internal/identity.js"
import {
  CurrentProcessKey,
  currentProcessOf,
  DownMessage as DownMessageImpl,
  deliverEffect,
  ExitMessage as ExitMessageImpl,
  BoundedProcess,
  boundOf as mailboxBoundOf,
  MailboxBound,
  type NodeRuntime,
  ProcessImpl,
  receiveMatching,
  runtimeOf,
  receiveNext,
  spawnHooks,
  receiveTimed,
  startingFiber,
  Status,
  statusName
} from "./internal/runtime.js"
import { durationMillis } from "./internal/timers.js"
import { Node } from "./Node.js"
import type { Pid } from "./Pid.js"
import type { Reference } from "./Reference.js"

// ----------------------------------------------------------------------------
// Models
// ----------------------------------------------------------------------------

/**
 * The context of a process body: gives `self`, `receive` and the other calls that act as the
 * calling process. Provided by `spawn`; its value is the process's own pid.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node, Process } from "effect-otp"
 *
 * // Needs CurrentProcess: it runs only inside a process (`Process.spawn`, `Process.run`).
 * const whoAmI: Effect.Effect<string, never, Process.CurrentProcess> = Effect.map(Process.self, String)
 *
 * Effect.runPromise(Process.run(whoAmI).pipe(Effect.provide(Node.layer()))).then(console.log)
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export const CurrentProcess: Context.Service<CurrentProcess, Pid> = Context.Service<CurrentProcess, Pid>(CurrentProcessKey)

/**
 * The identifier of {@link CurrentProcess} in an Effect's requirements: an Effect that needs
 * `CurrentProcess` runs only inside a process body.
 *
 * @category services
 * @since 0.1.0
 */
export interface CurrentProcess {
  /** Brands the service's identifier. */
  readonly "~effect-otp/CurrentProcess": "~effect-otp/CurrentProcess"
}

/**
 * A trapped exit signal, delivered as a message to a process that traps exits: OTP's
 * `{'EXIT', From, Reason}`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process } from "effect-otp"
 *
 * const waitForExit = Process.receive({ match: Process.isExitMessage }).pipe(
 *   Effect.map((exit) => `${exit.from} exited: ${exit.reason._tag}`)
 * )
 * ```
 *
 * @category messages
 * @since 0.1.0
 */
export interface ExitMessage {
  /** Tells it apart from other messages (see {@link isExitMessage}). */
  readonly _tag: "Exit"
  /** The process the signal came from: the linked process that exited, or the sender of `exit` (`<0.0.0>` from outside any process). */
  readonly from: Pid
  /** The reason the signal carries, e.g. the linked process's exit reason. */
  readonly reason: ExitReason.ExitReason
}

/**
 * A monitor fired: OTP's `{'DOWN', Ref, process, Pid, Reason}`. `ref` is the reference
 * `monitor` returned; `reason` is `noproc` if the process was already dead.
 *
 * @category messages
 * @since 0.1.0
 */
export interface DownMessage {
  /** Tells it apart from other messages (see {@link isDownMessage}). */
  readonly _tag: "Down"
  /** The reference {@link monitor} returned for this monitor. */
  readonly ref: Reference
  /** The monitored process. */
  readonly pid: Pid
  /** Its exit reason; `noproc` if it was already dead when monitored. */
  readonly reason: ExitReason.ExitReason
}

/**
 * Whether `u` is an {@link ExitMessage}: the trapped exit of a linked process.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process } from "effect-otp"
 *
 * // A process that traps exits gets its links' exits as messages.
 * const watcher = Effect.gen(function*() {
 *   yield* Process.trapExit(true)
 *   const message = yield* Process.receive({ match: Process.isExitMessage })
 *   console.log(`${message.from} exited`, message.reason._tag)
 * })
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isExitMessage = (u: unknown): u is ExitMessage => isInstance(u, ExitMessageImpl)

/**
 * Whether `u` is a {@link DownMessage}: what a monitor delivers once.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Process } from "effect-otp"
 *
 * const awaitDown = (pid: Pid.Pid) => Effect.gen(function*() {
 *   yield* Process.monitor(pid)
 *   const down = yield* Process.receive({ match: Process.isDownMessage })
 *   return down.reason
 * })
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isDownMessage = (u: unknown): u is DownMessage => isInstance(u, DownMessageImpl)

/** A snapshot of a live process, as {@link info} gives it (its type is spelled there). */
type ProcessInfo = Option.Option.Value<Effect.Success<ReturnType<typeof info>>>

/**
 * What a full bounded mailbox does with a new message (see {@link MailboxOptions}):
 *
 * - `"dropNewest"`: the new message is dropped.
 * - `"dropOldest"`: the oldest waiting message is dropped (system messages excepted) and the
 *   new one goes in.
 * - `"reject"`: the new message is refused, and the sender is told where it can be:
 *   {@link trySend} fails with `MailboxFull`. A plain {@link send} (or a cast), which never
 *   fails, has it dropped, as `"dropNewest"` would.
 *
 * Under every policy a dropped message is counted (`info(pid)`'s `mailbox.dropped`), and a
 * call whose request is dropped fails with `MailboxFull` at once.
 *
 * @category bounded mailboxes
 * @since 0.1.0
 */
export type Overflow = "dropNewest" | "dropOldest" | "reject"

/**
 * A bounded mailbox: the `mailbox` option of {@link spawn} (and of `Gen.start`,
 * `GenServer.start`, `StateMachine.start` and their child specs). See the module doc for what
 * counts and what always gets in.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process } from "effect-otp"
 *
 * const bounded: Process.MailboxOptions = { capacity: 1000, overflow: "dropOldest" }
 * const worker = Process.spawn(Process.receive(), { mailbox: bounded })
 * ```
 *
 * @category bounded mailboxes
 * @since 0.1.0
 */
export interface MailboxOptions {
  /** How many messages may wait (a positive integer): counted are all waiting messages, those a selective receive skipped included. */
  readonly capacity: number
  /** What a full mailbox does with a new message: no default, the choice is explicit. */
  readonly overflow: Overflow
}

/**
 * Options of {@link spawn}, {@link spawnLink}, {@link spawnMonitor} and {@link run}.
 *
 * @example
 * ```ts
 * import { Process } from "effect-otp"
 *
 * const options: Process.SpawnOptions = { name: "sink", mailbox: { capacity: 100, overflow: "reject" } }
 * const sink = Process.spawn(Process.receive(), options)
 * ```
 *
 * @category spawning
 * @since 0.1.0
 */
export interface SpawnOptions {
  /** Register the new process under this name before it runs; fails with `AlreadyRegistered` if taken. */
  readonly name?: string | undefined
  /** Start the process already trapping exits. */
  readonly trapExit?: boolean | undefined
  /**
   * Bound the mailbox (unbounded by default): see {@link MailboxOptions}. A capacity that is no
   * positive integer, or an unknown overflow policy, fails the spawn with `BadArgument` before
   * anything runs.
   */
  readonly mailbox?: MailboxOptions | undefined
}

/** Options of a selective or timed {@link receive}. */
interface ReceiveOptions<A> {
  /** Take the first message this accepts; the others stay in the mailbox, in order. */
  readonly match?: Refinement<unknown, A> | Predicate<unknown> | undefined
  /**
   * The `after` clause: give up after this long (0 only looks) and return `Option.none()`;
   * `"infinity"` (or `Infinity`) waits as long as it takes. A negative, `NaN` or `-Infinity`
   * duration fails with `BadArgument` (OTP raises `timeout_value`).
   */
  readonly timeout?: Duration.Input | "infinity" | undefined
}

// ----------------------------------------------------------------------------
// Internal helpers
// ----------------------------------------------------------------------------


/**
 * The runtime of the fiber's node, or `undefined` when the fiber runs without a node: only an
 * untyped caller gets there (the typed forms require `Node`); it gets {@link noNode}.
 */
const runtimeOfFiber = (fiber: Fiber.Fiber<unknown, unknown>): NodeRuntime | undefined => {
  const node = Context.getOrUndefined(fiber.context, Node)
  return node === undefined ? undefined : runtimeOf(node)
}

/** The defect of an operation run without a node (only reachable by an untyped caller). */
const noNode: Effect.Effect<never> = Effect.die(
  new BadArgument({ operation: "node", reason: "no Node in context; provide Node.layer()" })
)

const selfOf = (fiber: Fiber.Fiber<unknown, unknown>): ProcessImpl => currentProcessOf(fiber)!

/** The pid that signals sent from outside any process carry, like Erlang's `<0.0.0>`. */
const outsiderOf = (fiber: Fiber.Fiber<unknown, unknown>): Pid => {
  const current = currentProcessOf(fiber)
  if (current !== undefined) return current
  const node = Context.getOrUndefined(fiber.context, Node)
  return new PidValue(node?.name ?? "nonode@nohost", 0)
}

const asLocal = (pid: Pid): ProcessImpl | undefined => (pid instanceof ProcessImpl ? pid : undefined)

/**
 * The defects of untyped callers (plain JS, `as any`) where Erlang raises `badarg`: the typed
 * forms cannot get there, so they keep an error-free type.
 */
const notAPid = (operation: string, u: unknown): BadArgument =>
  new BadArgument({ operation, reason: `expected a pid, got ${u === null ? "null" : typeof u}` })

const notAReason = (operation: string, u: unknown): BadArgument =>
  new BadArgument({ operation, reason: `expected an ExitReason, got ${u === null ? "null" : typeof u}` })

const validName = (operation: string, name: string): BadArgument | undefined =>
  typeof name !== "string" || name.length === 0
    ? new BadArgument({ operation, reason: "a name must be a non-empty string" })
    : undefined

const overflows: ReadonlyArray<unknown> = ["dropNewest", "dropOldest", "reject"]

/** The bound of `mailbox` (a `mailbox` spawn option), or the `BadArgument` it is. */
const parseBound = (mailbox: unknown): MailboxBound | BadArgument => {
  if (typeof mailbox !== "object" || mailbox === null) {
    return new BadArgument({ operation: "spawn", reason: "mailbox must be { capacity, overflow }" })
  }
  const { capacity, overflow } = mailbox as MailboxOptions
  if (typeof capacity !== "number" || !Number.isSafeInteger(capacity) || capacity < 1) {
    return new BadArgument({ operation: "spawn", reason: `mailbox capacity must be a positive integer, got ${format(capacity)}` })
  }
  if (!overflows.includes(overflow)) {
    return new BadArgument({
      operation: "spawn",
      reason: `mailbox overflow must be "dropNewest", "dropOldest" or "reject", got ${format(overflow)}`
    })
  }
  return new MailboxBound(capacity, overflow)
}

// ----------------------------------------------------------------------------
// Spawning
// ----------------------------------------------------------------------------

const spawnProcess = (
  fiber: Fiber.Fiber<unknown, unknown>,
  body: Effect.Effect<unknown, unknown, any>,
  options: SpawnOptions | undefined,
  parent: ProcessImpl | undefined,
  link: boolean,
  monitor: boolean
): Effect.Effect<ProcessImpl | readonly [ProcessImpl, ReferenceImpl], AlreadyRegistered | BadArgument> => {
  const runtime = runtimeOfFiber(fiber)
  if (runtime === undefined) return noNode
  const name = options?.name
  if (name !== undefined) {
    const bad = validName("spawn", name)
    if (bad) return Effect.fail(bad)
    const owner = runtime.names.get(name)
    if (owner !== undefined) return Effect.fail(new AlreadyRegistered({ name, pid: owner }))
  }
  const bound = options?.mailbox === undefined ? undefined : parseBound(options.mailbox)
  if (bound instanceof BadArgument) return Effect.fail(bound)
  const child = bound === undefined ? new ProcessImpl(runtime) : new BoundedProcess(runtime, bound)
  runtime.add(child)
  if (options?.trapExit === true) child.trapExit = true
  if (name !== undefined) {
    child.name = name
    runtime.names.set(name, child)
  }
  if (link) parent!.link(child)
  const ref = monitor ? parent!.monitor(child) : undefined
  startProcess(fiber, runtime, child, body)
  return Effect.succeed(ref === undefined ? child : [child, ref] as const)
}

/** Starts the fiber of `child`, a process just made, running `body` (its first step runs now). */
const startProcess = (
  fiber: Fiber.Fiber<unknown, unknown>,
  runtime: NodeRuntime,
  child: ProcessImpl,
  body: Effect.Effect<unknown, unknown, any>
): void => {
  const outer = startingFiber.current
  pendingBody = body
  const childFiber = Effect.runForkWith(Context.add(fiber.context, CurrentProcess, child))(processRoot)
  pendingBody = undefined
  startingFiber.current = outer
  if (child.status !== Status.Dead) child.fiber = childFiber
  if (runtime.closed) child.exitWith(ExitReason.shutdown())
}

spawnHooks.linkMonitor = (fiber, body, into) => {
  const runtime = runtimeOfFiber(fiber)
  if (runtime === undefined) return noNode
  const parent = selfOf(fiber)
  const child = new ProcessImpl(runtime)
  runtime.add(child)
  parent.link(child)
  into.pid = child
  into.ref = parent.monitor(child)
  startProcess(fiber, runtime, child, body)
  return undefined
}

/** The body of the process being spawned, for its first step (`processRoot`). */
let pendingBody: Effect.Effect<unknown, unknown, any> | undefined = undefined

/**
 * The first step of every process fiber: takes the body `spawnProcess` is starting (the fork
 * runs this step at once, inside `runForkWith`), and marks the fiber as the process's own for
 * its first run, before `spawnProcess` records it, so that its waits register no cleanup (see
 * `cleanupOf` in internal/runtime.ts).
 */
const startBody: Effect.Effect<unknown, unknown, any> = Effect.withFiber((fiber) => {
  startingFiber.current = fiber
  const body = pendingBody!
  pendingBody = undefined
  return body
})

/**
 * Runs as the last step of every process fiber: one shared handler instead of a fiber observer
 * closure per process.
 */
const onProcessExit = (exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    const self = selfOf(fiber)
    // A process with an exit hold (a supervisor with children left) ends once they are gone.
    const held = heldExit(self, exit)
    if (held !== undefined) return Effect.andThen(held, Effect.sync(() => self.onFiberExit(exit)))
    self.onFiberExit(exit)
    return Effect.void
  })

/**
 * The root effect of every process fiber, one value shared by all: its body comes from
 * `startBody`, its end goes to `onProcessExit`. Measured per idle process against wrapping each
 * body (`Effect.onExit(body, ...)`, plus a first step): the wrapper (48 B) and a continuation
 * (48 B) are not kept for the process's life, and a first receive that registered a cleanup,
 * made before the fiber was known, cost 88 B more.
 */
const processRoot: Effect.Effect<unknown, unknown, any> = Effect.onExit(startBody, onProcessExit)

/**
 * Starts a new process running `body` and returns its pid. The body starts at once, before
 * `spawn` returns, so a process killed right away still runs the finalizers it registered.
 * The process belongs to the node, not to the caller: it keeps running when the caller ends.
 *
 * The process exits `normal` when `body` succeeds, with a `Crash` carrying the cause when it
 * fails or dies, and with the signal's reason when an exit signal ends it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node, Process } from "effect-otp"
 *
 * const program = Effect.gen(function*() {
 *   const pid = yield* Process.spawn(Effect.gen(function*() {
 *     const message = yield* Process.receive()
 *     yield* Effect.log("received", message)
 *   }))
 *   yield* Process.send(pid, "hello")
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * @category spawning
 * @since 0.1.0
 */
export const spawn: {
  <E, R>(body: Effect.Effect<unknown, E, R>): Effect.Effect<Pid, never, Node | Exclude<R, CurrentProcess>>
  <E, R>(
    body: Effect.Effect<unknown, E, R>,
    options: SpawnOptions
  ): Effect.Effect<Pid, AlreadyRegistered | BadArgument, Node | Exclude<R, CurrentProcess>>
} = (<E, R>(body: Effect.Effect<unknown, E, R>, options?: SpawnOptions) =>
  Effect.withFiber((fiber) => spawnProcess(fiber, body, options, undefined, false, false))) as any

/**
 * Spawns a process linked to the caller, atomically: if either exits abnormally the other
 * receives the exit signal, even if the child crashes in its very first step.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process } from "effect-otp"
 *
 * const parent = Effect.gen(function*() {
 *   yield* Process.trapExit(true)
 *   yield* Process.spawnLink(Effect.die("boom"))
 *   const exit = yield* Process.receive({ match: Process.isExitMessage })
 *   yield* Effect.log(`child exited: ${exit.reason._tag}`) // Crash
 * })
 * ```
 *
 * @category spawning
 * @since 0.1.0
 */
export const spawnLink: {
  <E, R>(body: Effect.Effect<unknown, E, R>): Effect.Effect<Pid, never, Node | CurrentProcess | Exclude<R, CurrentProcess>>
  <E, R>(
    body: Effect.Effect<unknown, E, R>,
    options: SpawnOptions
  ): Effect.Effect<Pid, AlreadyRegistered | BadArgument, Node | CurrentProcess | Exclude<R, CurrentProcess>>
} = (<E, R>(body: Effect.Effect<unknown, E, R>, options?: SpawnOptions) =>
  Effect.withFiber((fiber) => spawnProcess(fiber, body, options, selfOf(fiber), true, false))) as any

/**
 * Spawns a process monitored by the caller, atomically, and returns its pid and the monitor
 * reference. The caller gets one `Down` message when the process exits.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process } from "effect-otp"
 *
 * const watch = Effect.gen(function*() {
 *   const [pid, ref] = yield* Process.spawnMonitor(Effect.fail("bad input"))
 *   const down = yield* Process.receive({ match: Process.isDownMessage })
 *   return [pid, ref, down.reason] as const
 * })
 * ```
 *
 * @category spawning
 * @since 0.1.0
 */
export const spawnMonitor: {
  <E, R>(
    body: Effect.Effect<unknown, E, R>
  ): Effect.Effect<readonly [Pid, Reference], never, Node | CurrentProcess | Exclude<R, CurrentProcess>>
  <E, R>(
    body: Effect.Effect<unknown, E, R>,
    options: SpawnOptions
  ): Effect.Effect<
    readonly [Pid, Reference],
    AlreadyRegistered | BadArgument,
    Node | CurrentProcess | Exclude<R, CurrentProcess>
  >
} = (<E, R>(body: Effect.Effect<unknown, E, R>, options?: SpawnOptions) =>
  Effect.withFiber((fiber) => spawnProcess(fiber, body, options, selfOf(fiber), false, true))) as any

/**
 * Gives `run`'s caller the outcome of its process, as the process's last step (a finalizer, so
 * it runs even when an exit signal interrupts the body). The body's own outcome arrives whole
 * (`Effect.exit`, so a failed body still exits `normal`, as before). A process ended by an exit
 * signal has its reason recorded from the moment the signal landed: the caller then dies with
 * `CallExit` naming it, also when the body finished in an uninterruptible region after the
 * signal, since its links and monitors see that reason and not the body's result.
 */
const reportRun = <A, E>(
  done: Deferred.Deferred<A, E>,
  exit: Exit.Exit<Exit.Exit<A, E>>
): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    const self = selfOf(fiber)
    const reason = self.exitReason
    return Deferred.done(
      done,
      reason !== undefined
        ? Exit.die(new CallExit({ target: self, reason }))
        : Exit.isSuccess(exit)
        ? exit.value
        // Interrupted with no exit signal (the body interrupted itself): as before.
        : exit as Exit.Exit<never>
    )
  })

/**
 * Runs `body` as a new process and waits for its outcome: the caller gets the body's result or
 * its typed error, as if the caller itself had been a process for that long. Use it for a
 * program's main process and in tests, where the calling fiber is not a process but the code
 * needs `self`, `receive`, links or monitors. If the caller is interrupted, the process is
 * ended with `shutdown`.
 *
 * When an exit signal ends the process (`exit(pid, ExitReason.kill)`, `exit(pid, reason)` from
 * another process, a linked process crashing while it does not trap exits, or its own
 * `exitWith`), the caller ends as the process ended: it dies at once with an `Errors.CallExit`
 * defect whose `target` is the process and whose `reason` is its exit reason (`Killed` after a
 * `kill`), the reason its links and monitors see. It is a defect, not a typed error, as in
 * Erlang a process killed by a signal does not get to handle it; recover it with
 * `Effect.catchDefect` or read it from `Effect.exit`. A body that finishes in an uninterruptible
 * region after the signal landed still gives `CallExit`. A failing body exits `normal` (its
 * error goes to the caller, not to its links).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node, Process } from "effect-otp"
 *
 * const program = Process.run(Effect.gen(function*() {
 *   const [worker, ref] = yield* Process.spawnMonitor(Effect.fail("boom"))
 *   const down = yield* Process.receive({ match: Process.isDownMessage })
 *   return `${worker} exited: ${down.reason._tag}`
 * }))
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer()))).then(console.log)
 * ```
 *
 * @example Ended by an exit signal
 * ```ts
 * import { Cause, Effect, Exit } from "effect"
 * import { Errors, ExitReason, Node, Process } from "effect-otp"
 *
 * const killed = Process.run(Effect.gen(function*() {
 *   const me = yield* Process.self
 *   yield* Process.spawn(Process.exit(me, ExitReason.kill))
 *   yield* Process.receive()
 * })).pipe(Effect.exit, Effect.map((exit) => {
 *   const die = Exit.isFailure(exit) ? exit.cause.reasons.find(Cause.isDieReason) : undefined
 *   return die?.defect instanceof Errors.CallExit ? die.defect.reason._tag : "no signal" // "Killed"
 * }))
 *
 * Effect.runPromise(killed.pipe(Effect.provide(Node.layer()))).then(console.log)
 * ```
 *
 * @category spawning
 * @since 0.1.0
 */
export const run = <A, E, R>(
  body: Effect.Effect<A, E, R>,
  options?: SpawnOptions
): Effect.Effect<A, E | AlreadyRegistered | BadArgument, Node | Exclude<R, CurrentProcess>> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const done = yield* Deferred.make<A, E>()
      const pid = yield* spawn(Effect.onExit(Effect.exit(body), (exit) => reportRun(done, exit)), options ?? {})
      return yield* restore(Deferred.await(done)).pipe(
        Effect.onInterrupt(() => exit(pid, ExitReason.shutdown()))
      )
    })
  ) as any

/**
 * The pid of the calling process.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process } from "effect-otp"
 *
 * const echo = Effect.gen(function*() {
 *   const me = yield* Process.self
 *   yield* Process.send(me, "to myself")
 *   return yield* Process.receive()
 * })
 * ```
 *
 * @category process
 * @since 0.1.0
 */
export const self: Effect.Effect<Pid, never, CurrentProcess> = Effect.withFiber((fiber) =>
  Effect.succeed(selfOf(fiber))
)

// ----------------------------------------------------------------------------
// Messages
// ----------------------------------------------------------------------------

/**
 * Sends `message` to `pid` synchronously: the non-Effect form of {@link send}, for hot loops and
 * callbacks. Never blocks or throws; a message to a dead process is dropped.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Process } from "effect-otp"
 *
 * const flood = (pid: Pid.Pid) => Effect.sync(() => {
 *   for (let i = 0; i < 1000; i++) Process.sendUnsafe(pid, i)
 * })
 * ```
 *
 * @category messages
 * @since 0.1.0
 */
export const sendUnsafe = (pid: Pid, message: unknown): void => {
  if (pid instanceof ProcessImpl) pid.deliver(message)
  // Anything else is a pid of another node (or a pid value made from its parts): dropped, as
  // Erlang drops a message to an unreachable node. Pids are not routed between nodes: across
  // nodes, processes are addressed as cluster entities (`effect-otp/cluster`).
}

/**
 * Sends `message` to a process: asynchronous, never blocks, never fails. A message to a dead
 * process is dropped, as in Erlang. Messages from one process to another arrive in send order.
 * From an untyped caller, a destination that is no pid or name is a defect (`BadArgument`), as
 * Erlang raises `badarg`.
 *
 * To a registered name (Erlang's `Name ! Message`), the process is looked up on the node as the
 * message is sent; the send fails with `NoProc` when no process has that name.
 *
 * To a full bounded mailbox (see {@link MailboxOptions}) the message is dropped under the
 * receiver's policy and counted; the send still succeeds. Use {@link trySend} to be told.
 *
 * A sender that outruns its receiver is slowed down, as Erlang charges a sender for a long
 * queue: a send to a process with more than 4096 messages waiting yields the sender once in
 * every 1024 such sends, so that the receiver gets to run (a receive costs more Effect steps
 * than a send, so a tight send loop would otherwise grow the mailbox without bound: measured,
 * a 1M-message stream peaked at 500k waiting and ran at 1.3-1.9M msg/s, and at 4k waiting and
 * 2.4-4.5M msg/s with the yield).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Process } from "effect-otp"
 *
 * const tell = (pid: Pid.Pid) => Process.send(pid, { _tag: "Greet", name: "Joe" })
 * const tellPiped = (pid: Pid.Pid) => Effect.succeed(pid).pipe(Effect.flatMap(Process.send("hi")))
 * const tellLogger = Process.send("logger", "hello") // NoProc if nobody is registered as "logger"
 * ```
 *
 * @category messages
 * @since 0.1.0
 */
export const send: {
  (message: unknown): (pid: Pid) => Effect.Effect<void>
  (pid: Pid, message: unknown): Effect.Effect<void>
  (name: string, message: unknown): Effect.Effect<void, NoProc, Node>
} = dual(
  2,
  (pid: Pid | string, message: unknown): Effect.Effect<void, NoProc, Node> =>
    pid instanceof ProcessImpl
      ? deliverEffect(pid, message)
      : pid instanceof PidBase
      // A pid of another node: dropped, as `sendUnsafe` drops it.
      ? Effect.void
      : typeof pid === "string"
      ? sendNamed(pid, message)
      : Effect.die(notAPid("send", pid))
)

const sendNamed = (name: string, message: unknown): Effect.Effect<void, NoProc, Node> =>
  Effect.withFiber((fiber) => {
    const runtime = runtimeOfFiber(fiber)
    if (runtime === undefined) return noNode
    const target = runtime.names.get(name)
    if (target === undefined) return Effect.fail(new NoProc({ target: name }))
    target.deliver(message)
    return Effect.void
  })

/**
 * Sends `message` to a process, and fails with `MailboxFull` if the process has a bounded
 * mailbox with the `"reject"` policy and it is full: the one send that tells its sender that
 * the message was refused (see {@link Overflow}). Otherwise it is {@link send}: to an unbounded
 * mailbox, or one that drops (`"dropNewest"`, `"dropOldest"`), it succeeds as a send does (the
 * receiver chose to drop, and counts what it dropped); to a dead process it succeeds and the
 * message is dropped, as in Erlang. To a registered name nobody has it fails with `NoProc`.
 *
 * Use it where a refused message must be handled (retry later, shed the work, answer the
 * client "busy"); `send` stays the form that never fails.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Process } from "effect-otp"
 *
 * const submit = (worker: Pid.Pid, job: string) =>
 *   Process.trySend(worker, job).pipe(
 *     Effect.as("queued"),
 *     Effect.catchTag("MailboxFull", () => Effect.succeed("busy, try later"))
 *   )
 * ```
 *
 * @category bounded mailboxes
 * @since 0.1.0
 */
export const trySend: {
  (message: unknown): (pid: Pid) => Effect.Effect<void, MailboxFull>
  (pid: Pid, message: unknown): Effect.Effect<void, MailboxFull>
  (name: string, message: unknown): Effect.Effect<void, MailboxFull | NoProc, Node>
} = dual(
  2,
  (pid: Pid | string, message: unknown): Effect.Effect<void, MailboxFull | NoProc, Node> =>
    pid instanceof ProcessImpl
      ? Effect.suspend(() => offerTo(pid, pid, message))
      : pid instanceof PidBase
      ? Effect.void
      : typeof pid === "string"
      ? Effect.withFiber<void, MailboxFull | NoProc>((fiber) => {
        const runtime = runtimeOfFiber(fiber)
        if (runtime === undefined) return noNode
        const target = runtime.names.get(pid)
        return target === undefined ? Effect.fail(new NoProc({ target: pid })) : offerTo(target, pid, message)
      })
      : Effect.die(notAPid("trySend", pid))
)

const offerTo = (process: ProcessImpl, label: Pid | string, message: unknown): Effect.Effect<void, MailboxFull> =>
  process.offer(message) ? Effect.void : Effect.fail(new MailboxFull({ target: label, capacity: mailboxBoundOf(process)!.capacity }))

/**
 * Receives a message, waiting for one if the mailbox is empty.
 *
 * - `receive()` takes the next message. This is the hot path and pays nothing for the
 *   selective forms.
 * - `receive({ match })` takes the first message `match` accepts, skipping (and keeping, in
 *   order) the others: Erlang's selective receive. A refinement narrows the result type.
 * - `receive({ timeout })` (with or without `match`) is the `after` clause: `Option.some` of
 *   the message, or `Option.none()` when nothing arrived in time; `timeout: 0` only looks and
 *   `"infinity"` waits as long as it takes. A negative, `NaN` or `-Infinity` timeout, or one
 *   that is no duration, fails with `BadArgument` (OTP raises `timeout_value`).
 *
 * Time comes from `Clock`, so `TestClock` drives timeouts in tests.
 *
 * Interruption never loses a message: a receive interrupted while it waits (`Effect.timeout`,
 * `Effect.race`, `Fiber.interrupt`) leaves the mailbox as it was, and a message is taken out of
 * the mailbox only in the step that hands it to the receive's continuation. Several fibers of
 * one process may receive at once (e.g. `Effect.race` of two selective receives): each message
 * goes to exactly one of them, the one waiting longest among those whose `match` accepts it.
 *
 * Gotcha: a `match` runs on every message it looks at, in the receiving process's turn; keep it
 * a pure test. If it throws, the process crashes.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Process } from "effect-otp"
 *
 * const isPrice = (m: unknown): m is { price: number } => typeof m === "object" && m !== null && "price" in m
 *
 * const body = Effect.gen(function*() {
 *   const next = yield* Process.receive()
 *   const price = yield* Process.receive({ match: isPrice })
 *   const maybe = yield* Process.receive({ match: isPrice, timeout: "1 second" })
 *   if (Option.isNone(maybe)) yield* Effect.log("no price within a second")
 *   return [next, price.price]
 * })
 * ```
 *
 * @category messages
 * @since 0.1.0
 */
export const receive: {
  (): Effect.Effect<unknown, never, CurrentProcess>
  <A>(options: {
    readonly match: Refinement<unknown, A>
    readonly timeout?: undefined
  }): Effect.Effect<A, never, CurrentProcess>
  (options: {
    readonly match: Predicate<unknown>
    readonly timeout?: undefined
  }): Effect.Effect<unknown, never, CurrentProcess>
  <A>(options: {
    readonly match: Refinement<unknown, A>
    readonly timeout: 0
  }): Effect.Effect<Option.Option<A>, never, CurrentProcess>
  (options: {
    readonly match?: Predicate<unknown> | undefined
    readonly timeout: 0
  }): Effect.Effect<Option.Option<unknown>, never, CurrentProcess>
  <A>(options: {
    readonly match: Refinement<unknown, A>
    readonly timeout: Duration.Input | "infinity"
  }): Effect.Effect<Option.Option<A>, BadArgument, CurrentProcess>
  (options: {
    readonly match?: Predicate<unknown> | undefined
    readonly timeout: Duration.Input | "infinity"
  }): Effect.Effect<Option.Option<unknown>, BadArgument, CurrentProcess>
} = ((options?: ReceiveOptions<unknown>) => {
  if (options === undefined) return receiveNext
  const match = options.match as Predicate<unknown> | undefined
  if (match !== undefined && typeof match !== "function") {
    // Only an untyped caller gets here; the forms without a timeout have no error channel.
    return Effect.die(new BadArgument({ operation: "receive", reason: `match must be a function, got ${typeof match}` }))
  }
  if (options.timeout === undefined) return match === undefined ? receiveNext : receiveMatching(match)
  const millis = durationMillis("receive", options.timeout, true)
  return typeof millis === "number" ? receiveTimed(match, millis) : Effect.fail(millis)
}) as any

// ----------------------------------------------------------------------------
// Links, monitors, exit signals
// ----------------------------------------------------------------------------

/**
 * Links the calling process to `pid`: from now on, when either exits with a reason other than
 * `normal`, the other exits with the same reason (or, if it traps exits, gets an
 * {@link ExitMessage}). Linking twice is the same as once.
 *
 * If `pid` is already dead, a caller that traps exits gets an `Exit` message with `noproc`; a
 * caller that does not fails with `NoProc` (Erlang raises `noproc`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Process } from "effect-otp"
 *
 * // From now on, if `worker` crashes the caller exits too (unless it traps exits).
 * const bind = (worker: Pid.Pid) => Process.link(worker)
 * ```
 *
 * @category links
 * @since 0.1.0
 */
export const link = (pid: Pid): Effect.Effect<void, NoProc, CurrentProcess> =>
  Effect.withFiber((fiber) => {
    const process = selfOf(fiber)
    const target = asLocal(pid)
    if (target === process) return Effect.void
    if (target === undefined || target.status === Status.Dead) {
      if (process.trapExit) {
        process.deliver(new ExitMessageImpl(pid, ExitReason.noproc))
        return Effect.void
      }
      return Effect.fail(new NoProc({ target: pid }))
    }
    process.link(target)
    return Effect.void
  })

/**
 * Removes the link between the calling process and `pid`, if any. After it returns, no exit
 * signal from that link reaches the caller.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Process } from "effect-otp"
 *
 * const release = (worker: Pid.Pid) => Process.unlink(worker)
 * ```
 *
 * @category links
 * @since 0.1.0
 */
export const unlink = (pid: Pid): Effect.Effect<void, never, CurrentProcess> =>
  Effect.withFiber((fiber) => {
    const target = asLocal(pid)
    if (target !== undefined) selfOf(fiber).unlink(target)
    return Effect.void
  })

/**
 * Monitors `pid` from the calling process and returns the monitor's reference. When the
 * process exits the caller gets one {@link DownMessage} with that reference and the reason; if
 * it is already dead, the `Down` (reason `noproc`) is delivered at once. Each call makes a new,
 * independent monitor.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Process } from "effect-otp"
 *
 * const waitDown = (pid: Pid.Pid) => Effect.gen(function*() {
 *   const ref = yield* Process.monitor(pid)
 *   const down = yield* Process.receive({
 *     match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === ref
 *   })
 *   return down.reason
 * })
 * ```
 *
 * @category monitors
 * @since 0.1.0
 */
export const monitor = (pid: Pid): Effect.Effect<Reference, never, CurrentProcess> =>
  Effect.withFiber((fiber) => {
    const process = selfOf(fiber)
    const target = asLocal(pid)
    if (target === undefined) {
      const ref = process.runtime.makeReference()
      process.deliver(new DownMessageImpl(ref, pid, ExitReason.noproc))
      return Effect.succeed(ref)
    }
    return Effect.succeed(process.monitor(target))
  })

/**
 * Turns off the monitor `ref`. Returns `true` if it was active. With `flush: true`, a `Down`
 * message of this monitor already in the mailbox is removed too, so none is ever seen after
 * this returns (OTP's `demonitor(Ref, [flush])`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Process } from "effect-otp"
 *
 * const watchBriefly = (pid: Pid.Pid) => Effect.gen(function*() {
 *   const ref = yield* Process.monitor(pid)
 *   yield* Process.demonitor(ref, { flush: true }) // no Down message will come
 * })
 * ```
 *
 * @category monitors
 * @since 0.1.0
 */
export const demonitor = (
  ref: Reference,
  options?: { readonly flush?: boolean | undefined }
): Effect.Effect<boolean, never, CurrentProcess> =>
  Effect.withFiber((fiber) => {
    const process = selfOf(fiber)
    const active = process.demonitor(ref as ReferenceImpl)
    if (options?.flush === true) {
      process.removeWhere((m) => m instanceof DownMessageImpl && m.ref.id === ref.id && m.ref.node === ref.node)
    }
    return Effect.succeed(active)
  })

/**
 * Sends an exit signal with `reason` to `pid` (Erlang's `exit/2`):
 *
 * - `kill`: the target exits with `killed`, even if it traps exits.
 * - `normal`: ignored by a target that does not trap exits, except a process signalling itself,
 *   which exits `normal`.
 * - any other reason: the target exits with it, unless it traps exits.
 * - a target that traps exits gets an {@link ExitMessage} instead (for every reason but `kill`).
 *
 * Called from outside a process, the signal comes from the node's `<0.0.0>`. Never fails; a
 * signal to a dead process is dropped. From an untyped caller, a target that is no pid or a
 * reason that is no `ExitReason` is a defect (`BadArgument`), as Erlang raises `badarg`.
 *
 * @example
 * ```ts
 * import { ExitReason, Pid, Process } from "effect-otp"
 *
 * const stop = (pid: Pid.Pid) => Process.exit(pid, ExitReason.shutdown())
 * const brutal = (pid: Pid.Pid) => Process.exit(pid, ExitReason.kill)
 * ```
 *
 * @category exit signals
 * @since 0.1.0
 */
export const exit = (pid: Pid, reason: ExitReason.ExitReason): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    if (!(pid instanceof PidBase)) return Effect.die(notAPid("exit", pid))
    if (!ExitReason.isExitReason(reason)) return Effect.die(notAReason("exit", reason))
    const target = asLocal(pid)
    if (target !== undefined) target.signal(outsiderOf(fiber), reason, false)
    return Effect.void
  })

/**
 * Ends the calling process with `reason` (Erlang's `exit/1`): unlike a signal it cannot be
 * trapped. Finalizers run; links and monitors see `reason`. `ExitReason.normal` ends it as if
 * its body had returned.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ExitReason, Process } from "effect-otp"
 *
 * const body = Effect.gen(function*() {
 *   const message = yield* Process.receive()
 *   if (message === "stop") return yield* Process.exitWith(ExitReason.shutdown())
 * })
 * ```
 *
 * @category exit signals
 * @since 0.1.0
 */
export const exitWith = (reason: ExitReason.ExitReason): Effect.Effect<never, never, CurrentProcess> =>
  Effect.withFiber((fiber) => {
    if (!ExitReason.isExitReason(reason)) return Effect.die(notAReason("exitWith", reason))
    const process = selfOf(fiber)
    if (process.exitReason === undefined) process.markExiting(reason)
    return Effect.interrupt
  })

/**
 * Sets whether the calling process traps exits, and returns the previous setting. A process
 * that traps exits receives exit signals (but `kill`) as {@link ExitMessage}s instead of dying.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process } from "effect-otp"
 *
 * const guardian = Effect.gen(function*() {
 *   const before = yield* Process.trapExit(true) // linked exits now arrive as messages
 *   return before
 * })
 * ```
 *
 * @category exit signals
 * @since 0.1.0
 */
export const trapExit = (enabled: boolean): Effect.Effect<boolean, never, CurrentProcess> =>
  Effect.withFiber((fiber) => {
    if (typeof enabled !== "boolean") {
      return Effect.die(new BadArgument({ operation: "trapExit", reason: `expected a boolean, got ${typeof enabled}` }))
    }
    const process = selfOf(fiber)
    const previous = process.trapExit
    process.trapExit = enabled
    return Effect.succeed(previous)
  })

// ----------------------------------------------------------------------------
// Names
// ----------------------------------------------------------------------------

/**
 * Registers `pid` under `name` on its node. The name is freed when the process exits.
 * Fails with `AlreadyRegistered` if the name is taken, `NoProc` if the process is dead, and
 * `BadArgument` if the process already has a name or the name is empty.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process } from "effect-otp"
 *
 * const program = Effect.gen(function*() {
 *   const pid = yield* Process.spawn(Process.receive())
 *   yield* Process.register("logger", pid)
 *   yield* Process.send("logger", "hello")
 * })
 * ```
 *
 * @category names
 * @since 0.1.0
 */
export const register = (
  name: string,
  pid: Pid
): Effect.Effect<void, AlreadyRegistered | NoProc | BadArgument, Node> =>
  Effect.withFiber<void, AlreadyRegistered | NoProc | BadArgument>((fiber) => {
    const bad = validName("register", name)
    if (bad) return Effect.fail(bad)
    const runtime = runtimeOfFiber(fiber)
    if (runtime === undefined) return noNode
    const target = asLocal(pid)
    if (target === undefined || !target.alive || target.runtime !== runtime) {
      return Effect.fail(new NoProc({ target: pid }))
    }
    const owner = runtime.names.get(name)
    if (owner !== undefined) {
      return owner === target ? Effect.void : Effect.fail(new AlreadyRegistered({ name, pid: owner }))
    }
    if (target.name !== undefined) {
      return Effect.fail(new BadArgument({ operation: "register", reason: `${pid} is already registered as ${target.name}` }))
    }
    target.name = name
    runtime.names.set(name, target)
    return Effect.void
  })

/**
 * Removes the name. Fails with `NotRegistered` if no process has it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process } from "effect-otp"
 *
 * const retire = Process.unregister("logger")
 * ```
 *
 * @category names
 * @since 0.1.0
 */
export const unregister = (name: string): Effect.Effect<void, NotRegistered, Node> =>
  Effect.withFiber((fiber) => {
    const runtime = runtimeOfFiber(fiber)
    if (runtime === undefined) return noNode
    const owner = runtime.names.get(name)
    if (owner === undefined) return Effect.fail(new NotRegistered({ name }))
    runtime.names.delete(name)
    owner.name = undefined
    return Effect.void
  })

/**
 * The pid registered under `name`, if any.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Option } from "effect"
 * import { Process } from "effect-otp"
 *
 * const loggerAlive = Effect.map(Process.whereis("logger"), Option.isSome)
 * ```
 *
 * @category names
 * @since 0.1.0
 */
export const whereis = (name: string): Effect.Effect<Option.Option<Pid>, never, Node> =>
  Effect.withFiber((fiber) => {
    const runtime = runtimeOfFiber(fiber)
    if (runtime === undefined) return noNode
    const owner: Pid | undefined = runtime.names.get(name)
    return Effect.succeed(Option.fromUndefinedOr(owner))
  })

/**
 * All registered names on the node.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process } from "effect-otp"
 *
 * const names = Effect.flatMap(Process.registered, (all) => Effect.log(all.join(", ")))
 * ```
 *
 * @category names
 * @since 0.1.0
 */
export const registered: Effect.Effect<ReadonlyArray<string>, never, Node> = Effect.withFiber((fiber) => {
  const runtime = runtimeOfFiber(fiber)
  if (runtime === undefined) return noNode
  return runtime === undefined ? noNode : Effect.succeed([...runtime.names.keys()])
})

// ----------------------------------------------------------------------------
// Introspection
// ----------------------------------------------------------------------------

/**
 * Whether the process is alive (not exiting or dead).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, Process } from "effect-otp"
 *
 * const check = (pid: Pid.Pid) => Effect.map(Process.isAlive(pid), (alive) => alive ? "up" : "down")
 * ```
 *
 * @category introspection
 * @since 0.1.0
 */
export const isAlive = (pid: Pid): Effect.Effect<boolean> =>
  Effect.sync(() => asLocal(pid)?.alive ?? false)

/**
 * A snapshot of a live process: status, mailbox length, links, monitors, `trapExit`,
 * registered name, and the bound of a bounded mailbox (its capacity, policy and the count of
 * messages it dropped). `Option.none()` when the process is not alive.
 *
 * `status` is `waiting` (blocked in `receive`), `runnable` (a message arrived for a waiting
 * receive, which has not run yet), `running` (executing, or blocked on something other than
 * `receive`; also after a receive was abandoned by interruption), or `suspended` (by `Sys`).
 * `info` answers `Option.none()` for a process an exit signal is ending, as Erlang's
 * `process_info` answers `undefined`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Option } from "effect"
 * import { Pid, Process } from "effect-otp"
 *
 * const queueLength = (pid: Pid.Pid) =>
 *   Effect.map(Process.info(pid), Option.map((info) => info.messageQueueLength))
 * ```
 *
 * @category introspection
 * @since 0.1.0
 */
export const info = (pid: Pid): Effect.Effect<
  Option.Option<{
      /** The process described. */
      readonly pid: Pid
      /** What it is doing (see {@link info}). */
      readonly status: "running" | "waiting" | "runnable" | "suspended" | "exiting"
      /** How many messages wait in its mailbox. */
      readonly messageQueueLength: number
      /** The processes it is linked to. */
      readonly links: ReadonlyArray<Pid>
      /** Processes this process monitors. */
      readonly monitors: ReadonlyArray<Pid>
      /** Processes monitoring this process. */
      readonly monitoredBy: ReadonlyArray<Pid>
      /** Whether it traps exits. */
      readonly trapExit: boolean
      /** The name it is registered under, if any. */
      readonly registeredName: Option.Option<string>
      /** Its mailbox's bound, `Option.none()` for an unbounded mailbox (the default). */
      readonly mailbox: Option.Option<{
        /** How many messages may wait. */
        readonly capacity: number
        /** What a full mailbox does with a new message. */
        readonly overflow: Overflow
        /** Messages the bound kept out so far: refused, or dropped (new or oldest). */
        readonly dropped: number
      }>
    }>
> =>
  Effect.sync(() => {
    const process = asLocal(pid)
    if (process === undefined || !process.alive) return Option.none()
    return Option.some<ProcessInfo>({
      pid: process,
      status: (process.status < Status.Exiting && process.runtime.suspended.has(process)
        ? "suspended"
        : statusName(process.status)) as ProcessInfo["status"],
      messageQueueLength: process.messageCount,
      links: process.links ? [...process.links] : [],
      monitors: process.monitors ? [...process.monitors.values()].map((m) => m.target) : [],
      monitoredBy: process.monitoredBy ? [...process.monitoredBy.values()].map((m) => m.watcher) : [],
      trapExit: process.trapExit,
      registeredName: Option.fromUndefinedOr(process.name),
      mailbox: Option.map(
        Option.fromUndefinedOr(mailboxBoundOf(process)),
        (bound) => ({ capacity: bound.capacity, overflow: bound.overflow, dropped: bound.dropped })
      )
    })
  })

/**
 * The pids of all live processes on the node, oldest first.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process } from "effect-otp"
 *
 * const census = Effect.map(Process.processes, (pids) => pids.length)
 * ```
 *
 * @category introspection
 * @since 0.1.0
 */
export const processes: Effect.Effect<ReadonlyArray<Pid>, never, Node> = Effect.withFiber((fiber) => {
  const runtime = runtimeOfFiber(fiber)
  if (runtime === undefined) return noNode
  return runtime === undefined ? noNode : Effect.succeed(runtime.processes().filter((p) => p.status < Status.Exiting))
})

// ----------------------------------------------------------------------------
// Timers
// ----------------------------------------------------------------------------

/**
 * Sends `message` to `dest` after `delay` (Erlang's `erlang:send_after/3`) and returns the
 * timer's reference for {@link cancelTimer}. `dest` is a pid, or a registered name looked up
 * when the timer fires (nothing is sent if no process has it then). The delay is measured by
 * `Clock`, so `TestClock` controls it in tests. If the process is dead when the timer fires, the
 * message is dropped; once a destination pid has exited, {@link cancelTimer} reports the timer
 * as gone, as Erlang cancels it then. A pid of another node gets the message as {@link send}
 * would send it (Erlang raises `badarg` for a pid of another node).
 *
 * The delay must be a finite duration of 0 or more: a negative, `NaN` or infinite one fails
 * with `BadArgument`, as Erlang raises `badarg` (a fraction of a millisecond is rounded up,
 * where Erlang wants an integer). Timers due at the same time fire in the order they were set.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process } from "effect-otp"
 *
 * const tick = Effect.gen(function*() {
 *   yield* Process.sendAfter(yield* Process.self, "tick", "1 second")
 *   return yield* Process.receive() // "tick", one second later
 * })
 * ```
 *
 * @category timers
 * @since 0.1.0
 */
export const sendAfter = (
  dest: Pid | string,
  message: unknown,
  delay: Duration.Input
): Effect.Effect<Reference, BadArgument, Node> =>
  Effect.withFiber((fiber) => {
    const millis = durationMillis("sendAfter", delay, false)
    if (typeof millis !== "number") return Effect.fail(millis)
    if (typeof dest !== "string" && !(dest instanceof PidBase)) {
      return Effect.fail(new BadArgument({ operation: "sendAfter", reason: "the destination must be a pid or a name" }))
    }
    const runtime = runtimeOfFiber(fiber)
    if (runtime === undefined) return noNode
    const ref = runtime.makeReference()
    const timer = runtime.timers.add(millis, () => {
      runtime.sendTimers.delete(ref.id)
      if (typeof dest === "string") runtime.names.get(dest)?.deliver(message)
      else sendUnsafe(dest, message)
    })
    runtime.sendTimers.set(ref.id, { timer, dest })
    return Effect.succeed<Reference>(ref)
  })

/**
 * Cancels a timer from {@link sendAfter}. Returns the milliseconds that were left, or
 * `Option.none()` if the timer had already fired or been cancelled, or its destination pid has
 * exited (Erlang returns `false`; it cancels such a timer when the process exits). Anything
 * that is not a pending timer's reference also gives `Option.none()` (Erlang raises `badarg`
 * for a non-reference).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process } from "effect-otp"
 *
 * const snooze = Effect.gen(function*() {
 *   const timer = yield* Process.sendAfter(yield* Process.self, "wake up", "1 minute")
 *   return yield* Process.cancelTimer(timer) // Option.some(ms left), or none if it fired
 * })
 * ```
 *
 * @category timers
 * @since 0.1.0
 */
export const cancelTimer = (ref: Reference): Effect.Effect<Option.Option<number>, never, Node> =>
  Effect.withFiber((fiber) => {
    const runtime = runtimeOfFiber(fiber)
    if (runtime === undefined) return noNode
    const id = (ref as ReferenceImpl | undefined)?.id
    const pending = typeof id === "number" ? runtime.sendTimers.get(id) : undefined
    if (pending === undefined) return Effect.succeed(Option.none())
    runtime.sendTimers.delete(id!)
    const { dest, timer } = pending
    // Erlang cancels a timer to a pid when that process exits.
    if (!runtime.timers.cancel(timer) || (dest instanceof ProcessImpl && !dest.alive)) return Effect.succeed(Option.none())
    return Effect.succeed(Option.some(Math.max(0, timer.due - runtime.timers.now())))
  })
