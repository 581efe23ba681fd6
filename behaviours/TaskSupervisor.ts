/**
 * TaskSupervisor: a supervisor of tasks started on demand, Elixir's `Task.Supervisor`. It is a
 * {@link DynamicSupervisor} whose children are tasks: `temporary` by default, each stopped with
 * the supervisor.
 *
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Node, Process, Task, TaskSupervisor } from "effect-otp"
 *
 * const program = Process.run(Effect.gen(function*() {
 *   const jobs = yield* TaskSupervisor.start({ name: "jobs" })
 *   // Not linked: a crash of the task comes back as a value, the caller lives on.
 *   const task = yield* TaskSupervisor.asyncNolink(jobs, Effect.fail("no disk"))
 *   return yield* Effect.flip(Task.await(task)) // "no disk"
 * }))
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * ## Rules (Elixir's)
 *
 * - {@link startChild} starts a task nobody awaits (fire and forget); `restart` (default
 *   `temporary`) and `shutdown` (default 5000 ms) are those of a child spec.
 * - {@link async} starts a task under the supervisor, linked to the caller and monitored by it,
 *   as `Task.async` does; take its result with `Task.await` / `Task.yield`.
 * - {@link asyncNolink} starts one monitored only: a crash of the task is not an exit signal to
 *   the caller but a value: `Task.await` fails with the task's error or `Task.TaskExit`, and a
 *   process that reads its own messages (a GenServer's `handleInfo`) gets the task's
 *   `Task.Reply`, or its `Process.DownMessage` carrying the task's `ref`.
 * - {@link asyncStream} / {@link asyncStreamNolink} are `Task.asyncStream` with the tasks under the
 *   supervisor (linked to the caller, or not).
 * - A task started with `async` / `asyncNolink` waits for its owner to have linked / monitored
 *   it before it runs; if the owner dies first, the task ends with `shutdown` (carrying the
 *   owner's reason), as Elixir's.
 * - Stopping the supervisor stops its tasks, whatever their owners do.
 * - Tasks see the services of the fiber that started them, as `Task.async`'s do.
 *
 * ## Where it differs from Elixir
 *
 * The task's functions (await, yield, shutdown, ...) are `Task`'s, with the differences listed
 * there. `children` lists the tasks' pids, `terminateChild` stops one ({@link DynamicSupervisor}'s
 * `NotAChild` for a pid that is not one); the supervisor's other functions are
 * `DynamicSupervisor`'s, which accept a task supervisor. A task that waits for its owner's go
 * gives up after 5 s (Elixir's `@ref_timeout`) with `shutdown` carrying `"timeout"` (Elixir:
 * `timeout`).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Stream from "effect/Stream"
import type { BadArgument, CallError, UnknownRequest } from "../lib/Errors.js"
import type * as ExitReason from "../lib/ExitReason.js"
import type * as Gen from "../lib/Gen.js"
import type { Node } from "../lib/Node.js"
import type { Pid } from "../lib/Pid.js"
import * as Process from "../lib/Process.js"
import * as ChildSpec from "./ChildSpec.js"
import * as DynamicSupervisor from "./DynamicSupervisor.js"
import * as internal from "./internal/task.js"
import * as taskStream from "./internal/taskStream.js"
import type { StartChildFailed } from "./Supervisor.js"
import * as Task from "./Task.js"

// ----------------------------------------------------------------------------
// Models
// ----------------------------------------------------------------------------

/**
 * A running task supervisor: a `DynamicSupervisor` of tasks, so `DynamicSupervisor`'s
 * functions (`countChildren`, `stop`, ...) take it too.
 *
 * @category models
 * @since 0.1.0
 */
export type TaskSupervisor = DynamicSupervisor.DynamicSupervisor

/**
 * Options of {@link start}: `name`, `maxChildren`, and the restart window (`intensity`,
 * `period`) of tasks started with `restart: "permanent" | "transient"`, as `DynamicSupervisor`'s.
 *
 * @category models
 * @since 0.1.0
 */
export type Options = Omit<DynamicSupervisor.Options, "extraArguments">

/**
 * Options of a task started under the supervisor.
 *
 * @category models
 * @since 0.1.0
 */
export interface ChildOptions {
  /** How the task is stopped when the supervisor stops or `terminateChild` (default 5000 ms). */
  readonly shutdown?: ChildSpec.ChildSpec["shutdown"] | undefined
}

/**
 * The errors of starting a task under the supervisor: it is full (`MaxChildren`), gone
 * (`NoProc`, `CallExit`), or the task could not start.
 *
 * @category models
 * @since 0.1.0
 */
export type StartError =
  | DynamicSupervisor.MaxChildren
  | ChildSpec.InvalidChildSpec
  | StartChildFailed
  | CallError
  | UnknownRequest

// ----------------------------------------------------------------------------
// Lifecycle
// ----------------------------------------------------------------------------

/**
 * Starts a task supervisor, not linked to the caller.
 *
 * @example
 * ```ts
 * import { TaskSupervisor } from "effect-otp"
 *
 * const jobs = TaskSupervisor.start({ name: "jobs", maxChildren: 1000 })
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const start = (options?: Options): Effect.Effect<TaskSupervisor, Gen.StartError | BadArgument, Node> =>
  DynamicSupervisor.start(options)

/**
 * Starts a task supervisor linked to the calling process.
 *
 * @example
 * ```ts
 * import { TaskSupervisor } from "effect-otp"
 *
 * const jobs = TaskSupervisor.startLink({ name: "jobs" })
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const startLink = (
  options?: Options
): Effect.Effect<TaskSupervisor, Gen.StartError | BadArgument, Node | Process.CurrentProcess> => DynamicSupervisor.startLink(options)

/**
 * The child spec of a task supervisor, to put it in a supervision tree (a `supervisor` child).
 *
 * @example
 * ```ts
 * import { Supervisor, TaskSupervisor } from "effect-otp"
 *
 * const tree = Supervisor.start([TaskSupervisor.childSpec("jobs", { name: "jobs" })])
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const childSpec = (id: string, options?: Options & ChildSpec.Options): ChildSpec.ChildSpec<never> =>
  DynamicSupervisor.childSpec(id, options)

// ----------------------------------------------------------------------------
// Tasks
// ----------------------------------------------------------------------------

const specOf = (
  start: Effect.Effect<Pid, never, any>,
  restart: ChildSpec.ChildSpec["restart"],
  options: ChildOptions | undefined
): ChildSpec.ChildSpec<never> =>
  ChildSpec.worker("Task.Supervised", start as Effect.Effect<Pid>, { restart, shutdown: options?.shutdown ?? 5000 })

const started = (pid: Pid | undefined): Pid => pid!

/**
 * Starts a task under the supervisor that nobody awaits (Elixir's `Task.Supervisor.start_child`),
 * and returns its pid. `restart` is `temporary` by default (never restarted); `transient` and
 * `permanent` run `effect` again as a child spec says.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskSupervisor } from "effect-otp"
 *
 * declare const jobs: TaskSupervisor.TaskSupervisor
 * const sendMail = TaskSupervisor.startChild(jobs, Effect.log("mail sent"))
 * ```
 *
 * @category tasks
 * @since 0.1.0
 */
export const startChild = <A, E, R>(
  supervisor: TaskSupervisor | Gen.Target,
  effect: Effect.Effect<A, E, R>,
  options?: ChildOptions & {
    /** When the task is started again after it ends (default `temporary`: never). */
    readonly restart?: ChildSpec.ChildSpec["restart"] | undefined
  }
): Effect.Effect<Pid, StartError, Exclude<R, Process.CurrentProcess | Node>> =>
  Effect.flatMap(Effect.context<R>(), (caller) =>
    Effect.map(
      DynamicSupervisor.startChild(
        supervisor,
        specOf(Process.spawnLink(internal.withCallerContext(caller, effect)), options?.restart ?? "temporary", options)
      ),
      started
    )) as any

/** Starts a task waiting for its owner's go, links (if asked) and monitors it, and lets it go. */
const startTask = <A, E, R>(
  supervisor: TaskSupervisor | Gen.Target,
  effect: Effect.Effect<A, E, R>,
  link: boolean,
  options: ChildOptions | undefined
): Effect.Effect<Task.Task<A, E>, StartError, Node | Process.CurrentProcess | Exclude<R, Process.CurrentProcess>> =>
  Effect.gen(function*() {
    const owner = yield* Process.self
    const caller = yield* Effect.context<R>()
    const task = new internal.TaskImpl(owner)
    const body = internal.supervisedBody(task, internal.withCallerContext(caller, effect))
    const pid = started(yield* DynamicSupervisor.startChild(supervisor, specOf(Process.spawnLink(body), "temporary", options)))
    // Until the go, the task only waits: the steps below are one, so an interrupted caller
    // leaves no task waiting for a go (one interrupted during the start call: 5 s, see above).
    return yield* Effect.uninterruptible(Effect.gen(function*() {
      task.pid = pid
      // A task killed before it is linked: its monitor says so (`noproc`), await gets TaskExit.
      if (link) yield* Effect.ignore(Process.link(pid))
      task.ref = yield* Process.monitor(pid)
      Process.sendUnsafe(pid, task)
      return task as unknown as Task.Task<A, E>
    }))
  }) as any

/**
 * Starts `effect` as a task under the supervisor, linked to the caller and monitored by it
 * (Elixir's `Task.Supervisor.async`): as `Task.async`, but stopped with the supervisor. Take its
 * result with `Task.await` or `Task.yield`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task, TaskSupervisor } from "effect-otp"
 *
 * declare const jobs: TaskSupervisor.TaskSupervisor
 * const answer = Effect.gen(function*() {
 *   const task = yield* TaskSupervisor.async(jobs, Effect.succeed(42))
 *   return yield* Task.await(task)
 * })
 * ```
 *
 * @category tasks
 * @since 0.1.0
 */
export const async = <A, E, R>(
  supervisor: TaskSupervisor | Gen.Target,
  effect: Effect.Effect<A, E, R>,
  options?: ChildOptions
): Effect.Effect<Task.Task<A, E>, StartError, Node | Process.CurrentProcess | Exclude<R, Process.CurrentProcess>> =>
  startTask(supervisor, effect, true, options)

/**
 * Starts `effect` as a task under the supervisor, monitored by the caller but not linked to it
 * (Elixir's `Task.Supervisor.async_nolink`): a crash of the task does not reach the caller as an
 * exit signal. `Task.await` / `Task.yield` give it as a value (the task's error or
 * `Task.TaskExit`); a process that reads its messages gets the `Task.Reply` or the task's
 * `Process.DownMessage` (whose `ref` is the task's). The task runs on if the caller exits.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task, TaskSupervisor } from "effect-otp"
 *
 * declare const jobs: TaskSupervisor.TaskSupervisor
 * const safely = Effect.gen(function*() {
 *   const task = yield* TaskSupervisor.asyncNolink(jobs, Effect.die("boom"))
 *   return yield* Task.await(task).pipe(Effect.catchTag("TaskExit", () => Effect.succeed("recovered")))
 * })
 * ```
 *
 * @category tasks
 * @since 0.1.0
 */
export const asyncNolink = <A, E, R>(
  supervisor: TaskSupervisor | Gen.Target,
  effect: Effect.Effect<A, E, R>,
  options?: ChildOptions
): Effect.Effect<Task.Task<A, E>, StartError, Node | Process.CurrentProcess | Exclude<R, Process.CurrentProcess>> =>
  startTask(supervisor, effect, false, options)

/** As `Task`'s: the task's own typed error, or `TaskExit`. */
const exitError = (task: internal.TaskImpl, reason: ExitReason.ExitReason): unknown =>
  reason._tag === "Crash" && Option.isSome(task.failure) ? task.failure.value : new Task.TaskExit({ pid: task.pid, reason })
const timeoutError = (task: internal.TaskImpl, timeoutMillis: number): Task.TaskTimeout =>
  new Task.TaskTimeout({ pid: task.pid, timeoutMillis })

/**
 * `Task.asyncStream` with each task started under the supervisor by {@link async} (linked to
 * the caller); a failed start fails the stream.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { TaskSupervisor } from "effect-otp"
 *
 * declare const jobs: TaskSupervisor.TaskSupervisor
 * const doubled = TaskSupervisor.asyncStream(jobs, [1, 2, 3], (n) => Effect.succeed(n * 2), { maxConcurrency: 2 })
 * ```
 *
 * @category streams
 * @since 0.1.0
 */
export const asyncStream = <I, A, E, R>(
  supervisor: TaskSupervisor | Gen.Target,
  items: Iterable<I>,
  f: (item: I) => Effect.Effect<A, E, R>,
  options?: Task.StreamOptions & ChildOptions
): Stream.Stream<
  Task.StreamResult<A, E, I>,
  StartError | Task.TaskTimeout | BadArgument,
  Node | Process.CurrentProcess | Exclude<R, Process.CurrentProcess>
> =>
  taskStream.stream("TaskSupervisor.asyncStream", items, options, (item: I) => async(supervisor, f(item), options), exitError, timeoutError) as any

/**
 * `Task.asyncStream` with each task started under the supervisor by {@link asyncNolink}: a
 * crashing task gives an `Exit` result and the caller goes on.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { TaskSupervisor } from "effect-otp"
 *
 * declare const jobs: TaskSupervisor.TaskSupervisor
 * const checks = TaskSupervisor.asyncStreamNolink(jobs, ["a.com", "b.com"], (host) => Effect.succeed(host.length), {
 *   ordered: false,
 *   timeout: "2 seconds",
 *   onTimeout: "killTask"
 * })
 * ```
 *
 * @category streams
 * @since 0.1.0
 */
export const asyncStreamNolink = <I, A, E, R>(
  supervisor: TaskSupervisor | Gen.Target,
  items: Iterable<I>,
  f: (item: I) => Effect.Effect<A, E, R>,
  options?: Task.StreamOptions & ChildOptions
): Stream.Stream<
  Task.StreamResult<A, E, I>,
  StartError | Task.TaskTimeout | BadArgument,
  Node | Process.CurrentProcess | Exclude<R, Process.CurrentProcess>
> =>
  taskStream.stream("TaskSupervisor.asyncStreamNolink", items, options, (item: I) => asyncNolink(supervisor, f(item), options), exitError, timeoutError) as any

// ----------------------------------------------------------------------------
// Management
// ----------------------------------------------------------------------------

/**
 * The pids of the supervisor's running tasks (Elixir's `Task.Supervisor.children`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskSupervisor } from "effect-otp"
 *
 * declare const jobs: TaskSupervisor.TaskSupervisor
 * const busy = Effect.map(TaskSupervisor.children(jobs), (pids) => pids.length)
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const children = (supervisor: TaskSupervisor | Gen.Target): Effect.Effect<Array<Pid>, CallError | UnknownRequest> =>
  Effect.map(DynamicSupervisor.whichChildren(supervisor), (all) => all.flatMap((c) => typeof c.pid === "object" ? [c.pid] : []))

/**
 * Stops the task with this pid by its shutdown (Elixir's `Task.Supervisor.terminate_child`);
 * `NotAChild` if it is not a running task of the supervisor.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pid, TaskSupervisor } from "effect-otp"
 *
 * declare const jobs: TaskSupervisor.TaskSupervisor
 * const cancel = (pid: Pid.Pid) => TaskSupervisor.terminateChild(jobs, pid)
 * ```
 *
 * @category management
 * @since 0.1.0
 */
export const terminateChild = (
  supervisor: TaskSupervisor | Gen.Target,
  pid: Pid
): Effect.Effect<void, DynamicSupervisor.NotAChild | CallError | UnknownRequest> => DynamicSupervisor.terminateChild(supervisor, pid)
