/**
 * Task: run one piece of work in a process of its own and take its result later, Elixir's
 * `Task`.
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Node, Process, Task } from "effect-otp"
 *
 * const program = Process.run(Effect.gen(function*() {
 *   const price = yield* Task.async(Effect.succeed(42))   // starts now, linked to us
 *   const stock = yield* Task.async(Effect.succeed(7))
 *   return (yield* Task.await(price)) * (yield* Task.await(stock)) // 294
 * }))
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * ## Rules (Elixir's)
 *
 * - {@link async} spawns a process linked to the caller and monitored by it; the caller is the
 *   task's owner. The task sends its result to the owner as a message ({@link Reply}), which
 *   {@link await} / {@link yield} take by selective receive, leaving other messages in order.
 * - A task that fails exits with a `Crash` carrying its cause: the link takes the owner down
 *   with the same reason unless the owner traps exits. An owner that traps exits (or a
 *   `TaskSupervisor.asyncNolink` owner) gets the task's own typed error `E` from `await`, or
 *   {@link TaskExit} for any other exit (a defect, `killed`, `shutdown`).
 * - The owner exiting takes its linked tasks down (the link); an owner that exits `normal`
 *   does not.
 * - An owner that traps exits also gets each linked task's `Process.ExitMessage` (`normal` for
 *   a task that returned), as in Elixir. A task's reply and down stay in the owner's mailbox
 *   until taken: await, yield, shut down or ignore every task.
 * - Only the owner may await, yield, shut down or ignore a task ({@link NotOwner}); a task's
 *   result is taken once ({@link AlreadyAwaited}).
 * - {@link yield} waits up to a timeout and leaves the task running when it expires;
 *   {@link shutdown} stops it and still returns a result that arrived meanwhile; {@link ignore}
 *   lets it run on unwatched.
 * - {@link asyncStream} maps items through tasks, at most `maxConcurrency` at once, each with its
 *   own timeout, as an Effect `Stream`; a consumer that stops early (`Stream.take`) stops the
 *   tasks still running.
 *
 * Under a supervisor, start tasks with `TaskSupervisor` (`async`, `asyncNolink`, `startChild`).
 *
 * ## Outside a process
 *
 * `async` and the functions that take a result need `Process.CurrentProcess` in their type: the
 * result is a message to the owner's mailbox, and only a process has one (Elixir code always
 * runs in a process). From a plain fiber, wrap the work in `Process.run`. For work that needs
 * no process of its own, Effect's `Effect.fork` / `Fiber.join` is the lighter tool.
 *
 * ## Where it differs from Elixir
 *
 * - Errors are typed: an `await` that times out fails with {@link TaskTimeout} where Elixir
 *   exits the caller, and a task that exits fails `await` with its typed error or
 *   {@link TaskExit} where Elixir exits the caller with the reason. An `await` that times out
 *   also stops the task (brutally, as `shutdown(task, "brutalKill")`): in Elixir the caller's
 *   exit takes a linked task down with it; here the caller lives on, and a task left running
 *   would leave its late reply as a stray message in the mailbox. To wait without giving the task
 *   up, use {@link yield}.
 * - Awaiting twice is {@link AlreadyAwaited} (Elixir waits for a reply that never comes);
 *   `shutdown` and `ignore` of a task whose result was taken return `Option.none()`.
 * - Results are Effect values: `yield` and `shutdown` give `Option<Exit<A, E | TaskExit>>`
 *   (Elixir's `{:ok, v} | {:exit, reason} | nil`); `asyncStream` emits {@link StreamResult}s.
 * - The reply message names the task itself ({@link Reply}`.task`), not a bare reference;
 *   {@link Task}`.ref` is the owner's monitor of the task, which its `Process.DownMessage` carries.
 * - `asyncStream` takes an `Iterable` (read as the stream is pulled), its `maxConcurrency`
 *   defaults to 8 (Elixir: the number of schedulers), and an item's timeout with
 *   `onTimeout: "exit"` fails the stream with {@link TaskTimeout} where Elixir exits the caller.
 * - A `Process.run` or an interrupted `await` (an `Effect.timeout` around it) takes nothing from
 *   the mailbox: a later `await` still finds the reply.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as Stream from "effect/Stream"
import { BadArgument } from "../lib/Errors.js"
import * as ExitReason from "../lib/ExitReason.js"
import { noMessage, selfOf, spawnLinkMonitor } from "../lib/internal/direct.js"
import { durationMillis } from "../lib/internal/timers.js"
import type { Node } from "../lib/Node.js"
import type { Pid } from "../lib/Pid.js"
import * as Process from "../lib/Process.js"
import type { Reference } from "../lib/Reference.js"
import * as internal from "./internal/task.js"
import * as taskStream from "./internal/taskStream.js"

// ----------------------------------------------------------------------------
// Models
// ----------------------------------------------------------------------------

/**
 * A running task: its process, its owner, and the owner's monitor of it. `A` is the type of its
 * result, `E` the type of its own failure. Made by {@link async} and `TaskSupervisor`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node, Process, Task } from "effect-otp"
 *
 * const lookup: Effect.Effect<Task.Task<string, Error>, never, Node.Node | Process.CurrentProcess> =
 *   Task.async(Effect.succeed("ada"))
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Task<out A, out E = never> {
  /** Carries the result and error types. */
  readonly "~effect-otp/Task": {
    readonly _A: (_: never) => A
    readonly _E: (_: never) => E
  }
  /** The task's process. */
  readonly pid: Pid
  /** The owner's monitor of the task: the `Process.DownMessage` of the task carries it. */
  readonly ref: Reference
  /** The process that started the task, the only one that may take its result. */
  readonly owner: Pid
}

/**
 * The message a task sends its owner with its result (Elixir's `{ref, result}`). `await` and
 * `yield` take it; a process that receives its own messages (a GenServer's `handleInfo`, for
 * tasks from `TaskSupervisor.asyncNolink`) matches it with {@link isReply}, and a failed task's
 * `Process.DownMessage` by its `ref`.
 *
 * @category models
 * @since 0.1.0
 */
export interface Reply<out A = unknown> {
  /** Tells it apart from other messages. */
  readonly _tag: "TaskReply"
  /** The task that sent it. */
  readonly task: Task<A, unknown>
  /** The task's result. */
  readonly value: A
}

/**
 * What {@link asyncStream} emits for each item: `Ok` with the result, or `Exit` with the task's
 * typed error, its {@link TaskExit}, or {@link TaskTimeout} (with `onTimeout: "killTask"`);
 * `input` is the item, with `zipInputOnExit: true` (Elixir's `{:exit, {item, reason}}`).
 *
 * @category models
 * @since 0.1.0
 */
export type StreamResult<A, E, I = unknown> =
  | {
    /** The task returned. */
    readonly _tag: "Ok"
    /** Its result. */
    readonly value: A
  }
  | {
    /** The task ended without a result. */
    readonly _tag: "Exit"
    /** Why: its own error, its exit, or its timeout. */
    readonly error: E | TaskExit | TaskTimeout
    /** The item, with `zipInputOnExit: true`. */
    readonly input?: I | undefined
  }

/**
 * Options of {@link asyncStream}.
 *
 * @category models
 * @since 0.1.0
 */
export interface StreamOptions {
  /** How many tasks run at once (default 8). */
  readonly maxConcurrency?: number | undefined
  /** Emit results in the order of the items (default `true`) or as they finish. */
  readonly ordered?: boolean | undefined
  /** How long each task may run (default 5 s; `"infinity"` for no limit). */
  readonly timeout?: Duration.Input | "infinity" | undefined
  /**
   * What a task that runs past `timeout` does: `"exit"` (default) fails the stream with
   * {@link TaskTimeout} and stops the other tasks; `"killTask"` kills that task and emits an
   * `Exit` with {@link TaskTimeout} for its item.
   */
  readonly onTimeout?: "exit" | "killTask" | undefined
  /** Put the item in `Exit` results (default `false`). */
  readonly zipInputOnExit?: boolean | undefined
}

// ----------------------------------------------------------------------------
// Errors
// ----------------------------------------------------------------------------

/**
 * The task exited without a result, and not with its own typed error: a defect, `killed`, a
 * `shutdown`, or `noproc` (Elixir exits the awaiting caller with the reason). What to do:
 * the work did not happen; retry or report.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task } from "effect-otp"
 *
 * declare const task: Task.Task<number>
 * const value = Task.await(task).pipe(
 *   Effect.catchTag("TaskExit", (e) => Effect.succeed(-1))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class TaskExit extends Data.Error<{
  /** The task's process. */
  readonly pid: Pid
  /** Its exit reason. */
  readonly reason: ExitReason.ExitReason
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "TaskExit"
  static {
    this.prototype.name = "TaskExit"
  }
  /** The human-readable message, naming the task and its exit reason. */
  override get message(): string {
    return `task ${String(this.pid)} exited: ${ExitReason.format(this.reason)}`
  }
}

/**
 * The task gave no result in time: `await`'s timeout (the task is then stopped), or an item of
 * `asyncStream` past its timeout. Elixir exits the caller with `{:timeout, ...}`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task } from "effect-otp"
 *
 * declare const task: Task.Task<number>
 * const value = Task.await(task, "1 second").pipe(
 *   Effect.catchTag("TaskTimeout", () => Effect.succeed(0))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class TaskTimeout extends Data.Error<{
  /** The task's process. */
  readonly pid: Pid
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMillis: number
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "TaskTimeout"
  static {
    this.prototype.name = "TaskTimeout"
  }
  /** The human-readable message, naming the task and the timeout. */
  override get message(): string {
    return `task ${String(this.pid)} gave no result within ${this.timeoutMillis} ms`
  }
}

/**
 * A process other than the task's owner tried to take its result or stop it (Elixir raises
 * `ArgumentError`). What to do: take results in the process that started the task.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task } from "effect-otp"
 *
 * declare const task: Task.Task<number>
 * const value = Task.await(task).pipe(Effect.catchTag("NotOwner", (e) => Effect.die(e)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class NotOwner extends Data.Error<{
  /** The task's process. */
  readonly pid: Pid
  /** The task's owner. */
  readonly owner: Pid
  /** The process that asked. */
  readonly caller: Pid
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "NotOwner"
  static {
    this.prototype.name = "NotOwner"
  }
  /** The human-readable message, naming the task, its owner and the caller. */
  override get message(): string {
    return `task ${String(this.pid)} must be queried from its owner ${String(this.owner)}, not ${String(this.caller)}`
  }
}

/**
 * The task's result was already taken (by `await`, `yield`, `awaitMany`, `yieldMany`,
 * `shutdown` or `ignore`). Elixir waits for a reply that never comes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task } from "effect-otp"
 *
 * declare const task: Task.Task<number>
 * const twice = Effect.andThen(Task.await(task), Task.await(task)) // fails with AlreadyAwaited
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class AlreadyAwaited extends Data.Error<{
  /** The task's process. */
  readonly pid: Pid
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "AlreadyAwaited"
  static {
    this.prototype.name = "AlreadyAwaited"
  }
  /** The human-readable message, naming the task. */
  override get message(): string {
    return `the result of task ${String(this.pid)} was already taken`
  }
}

/**
 * The errors of taking a task's result, besides the task's own error `E`.
 *
 * @category errors
 * @since 0.1.0
 */
export type AwaitError = TaskExit | TaskTimeout | NotOwner | AlreadyAwaited

// ----------------------------------------------------------------------------
// Guards
// ----------------------------------------------------------------------------

/**
 * Whether `u` is a {@link Task}.
 *
 * @example
 * ```ts
 * import { Task } from "effect-otp"
 *
 * const check = (u: unknown) => Task.isTask(u) ? `task ${u.pid}` : "not a task"
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isTask = (u: unknown): u is Task<unknown, unknown> => internal.isTask(u)

/**
 * Whether `u` is a task's {@link Reply}: for a process that takes the replies of its
 * `asyncNolink` tasks as messages (a GenServer's `handleInfo`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Process, Task } from "effect-otp"
 *
 * const nextResult = Process.receive({ match: Task.isReply }).pipe(
 *   Effect.map((reply) => [reply.task.pid, reply.value] as const)
 * )
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isReply = (u: unknown): u is Reply => u instanceof internal.ReplyImpl

// ----------------------------------------------------------------------------
// Internal helpers
// ----------------------------------------------------------------------------

const impl = (task: Task<unknown, unknown>): internal.TaskImpl => task as unknown as internal.TaskImpl

/** The error of a task that exited with `reason`: its own typed error, or `TaskExit`. */
const exitError = (task: internal.TaskImpl, reason: ExitReason.ExitReason): unknown =>
  reason._tag === "Crash" && Option.isSome(task.failure) ? task.failure.value : new TaskExit({ pid: task.pid, reason })

const outcomeExit = (task: internal.TaskImpl, outcome: internal.Outcome): Exit.Exit<unknown, unknown> =>
  outcome instanceof internal.ReplyImpl ? Exit.succeed(outcome.value) : Exit.fail(exitError(task, outcome.reason))

/** Why the calling fiber may not act on `task`, if so: it is no task, or this is not its owner. */
const misuse = (fiber: Fiber.Fiber<unknown, unknown>, task: internal.TaskImpl, operation: string): NotOwner | BadArgument | undefined =>
  misuseBy(selfOf(fiber)!, task, operation)

/** Why `self` may not act on `task`, if so. */
const misuseBy = (self: Pid, task: internal.TaskImpl, operation: string): NotOwner | BadArgument | undefined => {
  if (!internal.isTask(task)) return new BadArgument({ operation, reason: "expected a task" })
  return self !== task.owner ? new NotOwner({ pid: task.pid, owner: task.owner, caller: self }) : undefined
}

const checkOwner = (task: internal.TaskImpl, operation: string): Effect.Effect<void, NotOwner | BadArgument, Process.CurrentProcess> =>
  Effect.withFiber((fiber) => {
    const error = misuse(fiber, task, operation)
    return error === undefined ? Effect.void : Effect.fail(error)
  })

const millisOf = (operation: string, timeout: unknown): number | BadArgument =>
  timeout === undefined ? 5000 : durationMillis(operation, timeout, true)

// ----------------------------------------------------------------------------
// Starting
// ----------------------------------------------------------------------------

/**
 * Starts `effect` in a new process linked to the caller and monitored by it (Elixir's
 * `Task.async`); the caller is the owner. The task sees the caller's services; its
 * `Process.self` is its own pid. Take the result with {@link await} or {@link yield}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task } from "effect-otp"
 *
 * const both = Effect.gen(function*() {
 *   const a = yield* Task.async(Effect.succeed(1))
 *   const b = yield* Task.async(Effect.succeed(2))
 *   return (yield* Task.await(a)) + (yield* Task.await(b))
 * })
 * ```
 *
 * @category starting
 * @since 0.1.0
 */
export const async = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<Task<A, E>, never, Node | Process.CurrentProcess | Exclude<R, Process.CurrentProcess>> =>
  Effect.withFiber((fiber) => {
    const task = new internal.TaskImpl(selfOf(fiber)!)
    return spawnLinkMonitor(fiber, internal.runBody(task, effect), task) ?? Effect.succeed(task as unknown as Task<A, E>)
  }) as any

// ----------------------------------------------------------------------------
// Taking results
// ----------------------------------------------------------------------------

/**
 * Waits for the task's result (Elixir's `Task.await`), up to `timeout` (default 5 s,
 * `"infinity"` to wait as long as it takes). Fails with the task's own error `E` if it failed
 * with one, {@link TaskExit} if it exited otherwise (both reach an owner that traps exits; one
 * that does not dies of the link first), {@link TaskTimeout} after the timeout (the task is
 * then stopped, see the module doc), {@link NotOwner} outside the owner, {@link AlreadyAwaited}
 * if the result was taken, and `BadArgument` for a bad timeout.
 *
 * Interrupting an await (`Effect.timeout` around it) takes nothing: a later await still gets
 * the reply.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task } from "effect-otp"
 *
 * const slow = Effect.gen(function*() {
 *   const task = yield* Task.async(Effect.as(Effect.sleep("2 seconds"), "done"))
 *   return yield* Task.await(task, "5 seconds")
 * })
 * ```
 *
 * @category taking results
 * @since 0.1.0
 */
const await_: {
  <A, E>(task: Task<A, E>): Effect.Effect<A, E | AwaitError, Process.CurrentProcess>
  <A, E>(task: Task<A, E>, timeout: Duration.Input | "infinity"): Effect.Effect<A, E | AwaitError | BadArgument, Process.CurrentProcess>
} = (<A, E>(self: Task<A, E>, timeout?: Duration.Input | "infinity") => {
  const task = impl(self)
  const millis = millisOf("Task.await", timeout)
  if (typeof millis !== "number") return Effect.fail(millis)
  return Effect.withFiber((fiber) => {
    const error = misuse(fiber, task, "Task.await")
    if (error !== undefined) return Effect.fail(error)
    if (task.state !== internal.PENDING) return Effect.fail(new AlreadyAwaited({ pid: task.pid }))
    const now = internal.takeOutcome(fiber, task)
    if (now !== noMessage) return outcomeExit(task, now)
    return Effect.flatMap(internal.receiveOutcome(task, millis), (taken) =>
      Option.isSome(taken)
        ? outcomeExit(task, taken.value)
        : Effect.andThen(internal.stop(task, "brutalKill"), Effect.fail(new TaskTimeout({ pid: task.pid, timeoutMillis: millis }))))
  })
}) as any

export { await_ as await }

/**
 * Waits up to `timeout` (default 5 s) for the task's result (Elixir's `Task.yield`):
 * `Option.some` of an `Exit` (the result, the task's own error, or {@link TaskExit}), or
 * `Option.none()` if the time ran out; the task then keeps running and can be yielded again,
 * awaited, or stopped with {@link shutdown}.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Task } from "effect-otp"
 *
 * // Elixir's `Task.yield(task, t) || Task.shutdown(task)`
 * const within = <A, E>(task: Task.Task<A, E>) =>
 *   Effect.flatMap(Task.yield(task, "1 second"), (result) =>
 *     Option.isSome(result) ? Effect.succeed(result) : Task.shutdown(task))
 * ```
 *
 * @category taking results
 * @since 0.1.0
 */
const yield_: {
  <A, E>(task: Task<A, E>): Effect.Effect<Option.Option<Exit.Exit<A, E | TaskExit>>, NotOwner | AlreadyAwaited, Process.CurrentProcess>
  <A, E>(task: Task<A, E>, timeout: Duration.Input | "infinity"): Effect.Effect<Option.Option<Exit.Exit<A, E | TaskExit>>, NotOwner | AlreadyAwaited | BadArgument, Process.CurrentProcess>
} = (<A, E>(self: Task<A, E>, timeout?: Duration.Input | "infinity") => {
  const task = impl(self)
  const millis = millisOf("Task.yield", timeout)
  if (typeof millis !== "number") return Effect.fail(millis)
  return Effect.withFiber((fiber): Effect.Effect<Option.Option<Exit.Exit<unknown, unknown>>, NotOwner | AlreadyAwaited | BadArgument, Process.CurrentProcess> => {
    const error = misuse(fiber, task, "Task.yield")
    if (error !== undefined) return Effect.fail(error)
    if (task.state !== internal.PENDING) return Effect.fail(new AlreadyAwaited({ pid: task.pid }))
    const now = internal.takeOutcome(fiber, task)
    if (now !== noMessage) return Effect.succeed(Option.some(outcomeExit(task, now)))
    return Effect.map(internal.receiveOutcome(task, millis), Option.map((outcome) => outcomeExit(task, outcome)))
  })
}) as any

export { yield_ as yield }

/**
 * Stops the task (Elixir's `Task.shutdown`): unlinks it, sends it `shutdown` and waits up to
 * `timeout` (default 5 s) for it to end, then kills it; `"brutalKill"` kills it at once. Returns
 * the result if it arrived before the task ended, `Option.some` of a failed `Exit` if the task
 * had exited otherwise (its own error or {@link TaskExit}; also `killed` when the shutdown time
 * ran out), and `Option.none()` if it stopped as asked. A task whose result was already taken
 * gives `Option.none()`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task } from "effect-otp"
 *
 * const cancel = <A, E>(task: Task.Task<A, E>) => Task.shutdown(task, "brutalKill")
 * ```
 *
 * @category stopping
 * @since 0.1.0
 */
export const shutdown: {
  <A, E>(task: Task<A, E>): Effect.Effect<Option.Option<Exit.Exit<A, E | TaskExit>>, NotOwner, Process.CurrentProcess>
  <A, E>(task: Task<A, E>, timeout: Duration.Input | "infinity" | "brutalKill"): Effect.Effect<Option.Option<Exit.Exit<A, E | TaskExit>>, NotOwner | BadArgument, Process.CurrentProcess>
} = (<A, E>(self: Task<A, E>, timeout?: Duration.Input | "infinity" | "brutalKill") => {
  const task = impl(self)
  const millis = timeout === "brutalKill" ? timeout : millisOf("Task.shutdown", timeout)
  if (typeof millis === "object") return Effect.fail(millis)
  return Effect.andThen(checkOwner(task, "Task.shutdown"), () =>
    task.state !== internal.PENDING
      ? Effect.succeed(Option.none())
      : Effect.map(internal.stop(task, millis), (stopped): Option.Option<Exit.Exit<unknown, unknown>> => {
        if (Option.isSome(stopped.reply)) return Option.some(Exit.succeed(stopped.reply.value.value))
        const reason = stopped.reason
        const asked = millis === "brutalKill"
          ? reason._tag === "Killed"
          : !stopped.killedAfterTimeout && reason._tag === "Shutdown" && (reason as ExitReason.Shutdown).reason === undefined
        return asked ? Option.none() : Option.some(Exit.fail(exitError(task, reason)))
      }))
}) as any

/**
 * Gives the task up without stopping it (Elixir's `Task.ignore`): it is unlinked and runs on,
 * and its result is dropped rather than sent. Returns the result (or its failure) if it had
 * already arrived, else `Option.none()`. A task whose result was taken gives `Option.none()`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task } from "effect-otp"
 *
 * const fireAndForget = Effect.flatMap(Task.async(Effect.log("audit")), Task.ignore)
 * ```
 *
 * @category stopping
 * @since 0.1.0
 */
export const ignore = <A, E>(
  self: Task<A, E>
): Effect.Effect<Option.Option<Exit.Exit<A, E | TaskExit>>, NotOwner, Process.CurrentProcess> => {
  const task = impl(self)
  return Effect.andThen(checkOwner(task, "Task.ignore"), () =>
    task.state !== internal.PENDING
      ? Effect.succeed(Option.none())
      : Effect.map(internal.ignore(task), Option.map((outcome) => outcomeExit(task, outcome)))) as any
}

/** Checks a list of tasks for the many-task functions, in one step. */
const manyOf = (
  tasks: Iterable<Task<unknown, unknown>>,
  operation: string
): Effect.Effect<ReadonlyArray<internal.TaskImpl>, NotOwner | AlreadyAwaited | BadArgument, Process.CurrentProcess> =>
  Effect.withFiber<ReadonlyArray<internal.TaskImpl>, NotOwner | AlreadyAwaited | BadArgument>((fiber) => {
    if (tasks === null || typeof (tasks as Partial<Iterable<unknown>>)?.[Symbol.iterator] !== "function") {
      return Effect.fail(new BadArgument({ operation, reason: "expected an iterable of tasks" }))
    }
    const all = Array.from(tasks, impl)
    const self = selfOf(fiber)!
    for (const task of all) {
      const error = misuseBy(self, task, operation)
      if (error !== undefined) return Effect.fail(error)
      if (task.state !== internal.PENDING) return Effect.fail(new AlreadyAwaited({ pid: task.pid }))
    }
    return Effect.succeed(all)
  })

/**
 * Waits for replies or downs of `all` until the timeout, or until `stopWhen` says so. As
 * Elixir's `await_many`, one timer message for the whole wait (cancelled and flushed at the
 * end) rather than a timed receive per task.
 */
const collect = (
  all: ReadonlyArray<internal.TaskImpl>,
  millis: number,
  stopWhen: (outcome: internal.Outcome) => boolean
) =>
  Effect.gen(function*() {
    const many = new internal.Many(all)
    const results = new Map<internal.TaskImpl, internal.Outcome>()
    const token = millis === Infinity ? undefined : new internal.TimeUp()
    const timer = token === undefined ? undefined : yield* Process.sendAfter(yield* Process.self, token, millis).pipe(Effect.orDie)
    many.token = token
    const take = (task: internal.TaskImpl, outcome: internal.Outcome): boolean => {
      results.set(task, outcome)
      return stopWhen(outcome)
    }
    const takeReady = Effect.withFiber((fiber) => Effect.succeed(internal.takeMany(selfOf(fiber)!, fiber, many, take)))
    while (many.pending.size > 0) {
      // What is already there is taken in one step; a receive waits only when nothing is.
      if (yield* takeReady) break
      if (many.pending.size === 0) break
      const taken = yield* internal.receiveAny(many, Infinity)
      if (Option.isNone(taken)) break
      const [task, outcome] = taken.value
      if (take(task, outcome)) break
    }
    if (timer !== undefined) {
      yield* Process.cancelTimer(timer)
      yield* Process.receive({ match: (m) => m === token, timeout: 0 })
    }
    return { pending: many.pending, results }
  })

/**
 * Waits for all the tasks' results, in the order of the tasks, within one `timeout` for all
 * (default 5 s) (Elixir's `Task.await_many`). The first task to fail fails it (with its own
 * error or {@link TaskExit}), as does the timeout ({@link TaskTimeout} of the first task still
 * running); the tasks still running are then stopped, as `await`'s timeout does.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task } from "effect-otp"
 *
 * const squares = Effect.gen(function*() {
 *   const tasks = yield* Effect.forEach([1, 2, 3], (n) => Task.async(Effect.succeed(n * n)))
 *   return yield* Task.awaitMany(tasks) // [1, 4, 9]
 * })
 * ```
 *
 * @category taking results
 * @since 0.1.0
 */
export const awaitMany: {
  <A, E>(tasks: Iterable<Task<A, E>>): Effect.Effect<Array<A>, E | AwaitError | BadArgument, Process.CurrentProcess>
  <A, E>(tasks: Iterable<Task<A, E>>, timeout: Duration.Input | "infinity"): Effect.Effect<Array<A>, E | AwaitError | BadArgument, Process.CurrentProcess>
} = ((tasks: Iterable<Task<unknown, unknown>>, timeout?: Duration.Input | "infinity") =>
  Effect.gen(function*() {
    const millis = millisOf("Task.awaitMany", timeout)
    if (typeof millis !== "number") return yield* Effect.fail(millis)
    const all = yield* manyOf(tasks, "Task.awaitMany")
    const { pending, results } = yield* collect(all, millis, (o) => !(o instanceof internal.ReplyImpl))
    if (pending.size > 0) {
      yield* Effect.forEach(pending, (task) => internal.stop(task, "brutalKill"), { discard: true })
      const failed = all.find((t) => results.has(t) && !(results.get(t) instanceof internal.ReplyImpl))
      if (failed !== undefined) return yield* Effect.fail(exitError(failed, (results.get(failed) as Process.DownMessage).reason))
      return yield* Effect.fail(new TaskTimeout({ pid: all.find((t) => pending.has(t))!.pid, timeoutMillis: millis }))
    }
    return all.map((t) => (results.get(t) as internal.ReplyImpl).value)
  })) as any

/**
 * Waits up to `timeout` (default 5 s) for the tasks' results (Elixir's `Task.yield_many`) and
 * returns each task with what it gave: `Option.some` of an `Exit`, or `Option.none()` if it is
 * still running. `onTimeout` says what happens to those: `"nothing"` (default: they run on),
 * `"ignore"` ({@link ignore}) or `"killTask"` (`shutdown(task, "brutalKill")`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task } from "effect-otp"
 *
 * const bestEffort = Effect.gen(function*() {
 *   const tasks = yield* Effect.forEach(["a", "b"], (id) => Task.async(Effect.succeed(id.toUpperCase())))
 *   return yield* Task.yieldMany(tasks, { timeout: "1 second", onTimeout: "killTask" })
 * })
 * ```
 *
 * @category taking results
 * @since 0.1.0
 */
export const yieldMany = <A, E>(
  tasks: Iterable<Task<A, E>>,
  options?: {
    /** How long to wait for all of them (default 5 s). */
    readonly timeout?: Duration.Input | "infinity" | undefined
    /** What to do with the tasks still running then (default `"nothing"`). */
    readonly onTimeout?: "nothing" | "ignore" | "killTask" | undefined
  }
): Effect.Effect<
  Array<readonly [Task<A, E>, Option.Option<Exit.Exit<A, E | TaskExit>>]>,
  NotOwner | AlreadyAwaited | BadArgument,
  Process.CurrentProcess
> =>
  Effect.gen(function*() {
    const millis = millisOf("Task.yieldMany", options?.timeout)
    if (typeof millis !== "number") return yield* Effect.fail(millis)
    const onTimeout = options?.onTimeout ?? "nothing"
    if (onTimeout !== "nothing" && onTimeout !== "ignore" && onTimeout !== "killTask") {
      return yield* Effect.fail(new BadArgument({ operation: "Task.yieldMany", reason: `onTimeout must be "nothing", "ignore" or "killTask"` }))
    }
    const all = yield* manyOf(tasks as Iterable<Task<unknown, unknown>>, "Task.yieldMany")
    const { pending, results } = yield* collect(all, millis, () => false)
    return yield* Effect.forEach(all, (task) => {
      const outcome = results.get(task)
      if (outcome !== undefined) return Effect.succeed([task, Option.some(outcomeExit(task, outcome))] as const)
      if (!pending.has(task) || onTimeout === "nothing") return Effect.succeed([task, Option.none()] as const)
      return Effect.map(
        onTimeout === "ignore" ? ignore(task as unknown as Task<unknown, unknown>) : shutdown(task as unknown as Task<unknown, unknown>, "brutalKill"),
        (result) => [task, result] as const
      )
    })
  }) as any

// ----------------------------------------------------------------------------
// Streams
// ----------------------------------------------------------------------------

/** The error of an item that ran past its timeout. */
const timeoutError = (task: internal.TaskImpl, timeoutMillis: number): TaskTimeout => new TaskTimeout({ pid: task.pid, timeoutMillis })

/**
 * Runs `f` on each item in a task of its own, at most `maxConcurrency` at a time, and streams
 * the results (Elixir's `Task.async_stream`): in the order of the items (`ordered`, default) or
 * as they finish. Each task is linked to the caller (a failing task takes it down unless it
 * traps exits; then the item gives an `Exit`) and has `timeout` (default 5 s) to finish:
 * past it, `onTimeout: "exit"` (default) fails the stream with {@link TaskTimeout},
 * `"killTask"` emits an `Exit` for that item. The items are read as the stream is pulled.
 * Ending the stream early (`Stream.take`, an interruption, a failure) stops the tasks still
 * running and leaves none of their messages behind. Runs in the process that consumes it.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Task } from "effect-otp"
 *
 * const lengths = Task.asyncStream(["a", "bb", "ccc"], (s) => Effect.succeed(s.length), { maxConcurrency: 2 }).pipe(
 *   Stream.runCollect // [{ _tag: "Ok", value: 1 }, { _tag: "Ok", value: 2 }, { _tag: "Ok", value: 3 }]
 * )
 * ```
 *
 * @category streams
 * @since 0.1.0
 */
export const asyncStream = <I, A, E, R>(
  items: Iterable<I>,
  f: (item: I) => Effect.Effect<A, E, R>,
  options?: StreamOptions
): Stream.Stream<
  StreamResult<A, E, I>,
  TaskTimeout | BadArgument,
  Node | Process.CurrentProcess | Exclude<R, Process.CurrentProcess>
> => taskStream.stream("Task.asyncStream", items, options, (item: I) => async(f(item)), exitError, timeoutError) as any
