/**
 * Application: a named, versioned unit with dependencies, configuration and a supervision tree,
 * OTP's `application`, and {@link main}, the entry point of a program.
 *
 * ```ts
 * import { Config, Effect } from "effect"
 * import { Application, ChildSpec, Process, Supervisor } from "effect-otp"
 *
 * const Store = Application.make({
 *   name: "store",
 *   version: "1.0.0",
 *   config: Config.Int("STORE_SHARDS").pipe(Config.withDefault(4)),
 *   start: (shards) =>
 *     Supervisor.startLink(
 *       Array.from({ length: shards }, (_, i) => ChildSpec.worker(`shard-${i}`, Process.spawnLink(Process.receive())))
 *     )
 * })
 *
 * const Web = Application.make({
 *   name: "web",
 *   dependencies: [Store], // started first, stopped after
 *   start: () => Supervisor.startLink([])
 * })
 *
 * // The program: starts the node, `store`, then `web`; stops them in reverse order on
 * // SIGINT/SIGTERM and exits with a status that says what happened.
 * Application.main(Web)
 * ```
 *
 * ## Rules (OTP's)
 *
 * - {@link start} starts the application's dependencies first, in dependency order, skipping the
 *   ones already running (`application:ensure_all_started`), and returns the names it started.
 *   A dependency cycle or an unknown dependency (a name no application given or {@link load}ed
 *   has) is a typed error before anything starts; if one start fails, the applications this call
 *   started are stopped again, in reverse order.
 * - Each application runs under an application master process, which starts its root (the
 *   `start` effect runs in the master and links the root to it: use `Supervisor.startLink`).
 * - Start types, for when the root exits by itself: `permanent` (any exit stops every other
 *   application and the node), `transient` (an exit with any reason but `normal` does that,
 *   including the `shutdown` of a root supervisor that gave up; `normal` is only logged),
 *   `temporary` (only logged). {@link stop} of an application is never such an
 *   exit.
 * - Configuration is an Effect `Config`, read from the `ConfigProvider` in context when the
 *   application starts (the environment by default), so defaults live in code and the
 *   environment overrides them; a config error is a typed error and nothing of that
 *   application starts.
 * - {@link stopAll} stops the running applications in the reverse order of their start; each
 *   root supervisor stops its children in reverse order.
 *
 * ## Exit status of {@link main}
 *
 * | status | meaning                                                            |
 * |--------|--------------------------------------------------------------------|
 * | 0      | stopped in order: a signal (SIGINT/SIGTERM) or `until` completed    |
 * | 1      | an application failed (permanent exit, or transient abnormal exit) |
 * | 2      | the applications could not be started                              |
 * | 3      | the shutdown did not finish within `shutdownTimeout`               |
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import type * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Data from "effect/Data"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as ExitReason from "../lib/ExitReason.js"
import * as Gen from "../lib/Gen.js"
import * as Node from "../lib/Node.js"
import type { Pid } from "../lib/Pid.js"
import * as Process from "../lib/Process.js"

// ----------------------------------------------------------------------------
// Models
// ----------------------------------------------------------------------------

/**
 * @category models
 * @since 0.1.0
 */
export type StartType = "permanent" | "transient" | "temporary"

/**
 * What an application's `start` returns: the root's pid, or a server/supervisor handle.
 *
 * @category models
 * @since 0.1.0
 */
export type Root = Pid | { readonly pid: Pid | undefined }

/**
 * @category type ids
 * @since 0.1.0
 */
export const TypeId = "~effect-otp/Application" as const

/**
 * An application: made by {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Application<C = unknown, R = never> {
  /** Brands the value as an application. */
  readonly [TypeId]: typeof TypeId
  /** The application's name, unique among the node's applications. */
  readonly name: string
  /** Its version (`0.0.0` unless the definition gives one). */
  readonly version: string
  /** Applications (or names of {@link load}ed ones) that must run before this one. */
  readonly dependencies: ReadonlyArray<Application<any, any> | string>
  /** Its configuration, read when it starts and passed to `start` and `stop`; `undefined` for none (they get `undefined`). */
  readonly config: Config.Config<C> | undefined
  /** Starts the root (linked to the calling process, the application master). */
  readonly start: (config: C) => Effect.Effect<Root, unknown, R | Node.Node | Process.CurrentProcess>
  /** Runs after the tree has stopped (OTP's `stop/1`). */
  readonly stop: ((config: C) => Effect.Effect<void, never, R>) | undefined
}

/**
 * The definition given to {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Definition<C, R> {
  /** The application's name, unique among the node's applications. */
  readonly name: string
  /** Its version; default `0.0.0`. */
  readonly version?: string | undefined
  /** Applications (or names of {@link load}ed ones) that must run before this one; default none. */
  readonly dependencies?: ReadonlyArray<Application<any, any> | string> | undefined
  /** Its configuration, an Effect `Config` read from the `ConfigProvider` when it starts and passed to `start` and `stop`. */
  readonly config?: Config.Config<C> | undefined
  /** Starts the root, linked to the calling process (the application master): use `Supervisor.startLink`. */
  readonly start: (config: C) => Effect.Effect<Root, unknown, R>
  /** Runs after the tree has stopped (OTP's `stop/1`). */
  readonly stop?: ((config: C) => Effect.Effect<void, never, R>) | undefined
}

/**
 * Defines an application.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <C = undefined, R = never>(
  definition: Definition<C, R>
): Application<C, Exclude<R, Node.Node | Process.CurrentProcess>> => ({
  [TypeId]: TypeId,
  name: definition.name,
  version: definition.version ?? "0.0.0",
  dependencies: definition.dependencies ?? [],
  config: definition.config,
  start: definition.start as Application<C, Exclude<R, Node.Node | Process.CurrentProcess>>["start"],
  stop: definition.stop as Application<C, Exclude<R, Node.Node | Process.CurrentProcess>>["stop"]
})

// ----------------------------------------------------------------------------
// Errors
// ----------------------------------------------------------------------------

/**
 * The dependencies loop: `path` goes from an application back to itself.
 *
 * @category errors
 * @since 0.1.0
 */
export class DependencyCycle extends Data.TaggedError("DependencyCycle")<{ readonly path: ReadonlyArray<string> }> {
  /** The human-readable message, with the cycle's path. */
  override get message(): string {
    return `application dependency cycle: ${this.path.join(" -> ")}`
  }
}

/**
 * A dependency names no known application.
 *
 * @category errors
 * @since 0.1.0
 */
export class UnknownApplication extends Data.TaggedError("UnknownApplication")<{
  /** The dependency name that no application has. */
  readonly name: string
  /** The application that depends on it. */
  readonly requiredBy: string
}> {
  /** The human-readable message, naming the dependency and its dependent. */
  override get message(): string {
    return `unknown application ${JSON.stringify(this.name)}, required by ${JSON.stringify(this.requiredBy)}`
  }
}

/**
 * Two different applications with one name.
 *
 * @category errors
 * @since 0.1.0
 */
export class DuplicateApplication extends Data.TaggedError("DuplicateApplication")<{ readonly name: string }> {
  /** The human-readable message, naming the name. */
  override get message(): string {
    return `two different applications are named ${JSON.stringify(this.name)}`
  }
}

/**
 * An application's configuration could not be read.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidConfig extends Data.TaggedError("InvalidConfig")<{
  /** The application whose configuration failed. */
  readonly application: string
  /** The `Config` error. */
  readonly error: Config.ConfigError
}> {
  /** The human-readable message, naming the application and the config error. */
  override get message(): string {
    return `configuration of ${this.application}: ${this.error.message}`
  }
}

/**
 * An application's start failed: `reason` is what its master saw.
 *
 * @category errors
 * @since 0.1.0
 */
export class StartFailed extends Data.TaggedError("StartFailed")<{
  /** The application that failed to start. */
  readonly application: string
  /** The application master's exit reason: a `Crash` with the cause of the failed `start`, or `shutdown` when `start` returned no root pid. */
  readonly reason: unknown
}> {
  /** The human-readable message, naming the application and the reason. */
  override get message(): string {
    const reason = ExitReason.isExitReason(this.reason) ? ExitReason.format(this.reason) : String(this.reason)
    return `application ${this.application} failed to start: ${reason}`
  }
}

/**
 * {@link stop} of an application that is not running.
 *
 * @category errors
 * @since 0.1.0
 */
export class NotStarted extends Data.TaggedError("NotStarted")<{ readonly application: string }> {
  /** The human-readable message, naming the application. */
  override get message(): string {
    return `application ${this.application} is not running`
  }
}

/**
 * @category errors
 * @since 0.1.0
 */
export type StartError = DependencyCycle | UnknownApplication | DuplicateApplication | InvalidConfig | StartFailed

// ----------------------------------------------------------------------------
// The controller (one per node)
// ----------------------------------------------------------------------------

interface Running {
  readonly app: Application<any, any>
  readonly type: StartType
  readonly master: Pid
  stopping: boolean
}

/**
 * Why the node is going down because of an application (a permanent one exited, or a transient
 * one abnormally).
 *
 * @category models
 * @since 0.1.0
 */
export interface Failure {
  /** The name of the application whose root exited. */
  readonly application: string
  /** The root's exit reason. */
  readonly reason: ExitReason.ExitReason
}

class Controller {
  readonly loaded = new Map<string, Application<any, any>>()
  readonly running = new Map<string, Running>()
  /** Start order of the running applications. */
  readonly order: Array<string> = []
  failure: Deferred.Deferred<Failure> | undefined
}

const controllers = new WeakMap<Node.Node, Controller>()

const controller: Effect.Effect<Controller, never, Node.Node> = Effect.withFiber((fiber) => {
  const node = Context.get(fiber.context as Context.Context<Node.Node>, Node.Node)
  let c = controllers.get(node)
  if (c === undefined) {
    c = new Controller()
    controllers.set(node, c)
  }
  return Effect.succeed(c)
})

const failureOf = (c: Controller): Effect.Effect<Deferred.Deferred<Failure>> =>
  c.failure !== undefined ? Effect.succeed(c.failure) : Effect.map(Deferred.make<Failure>(), (d) => (c.failure = d))

/**
 * Makes applications known by name, so others can depend on them by name (OTP's
 * `application:load`).
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const load = (...apps: ReadonlyArray<Application<any, any>>): Effect.Effect<void, DuplicateApplication, Node.Node> =>
  Effect.flatMap(controller, (c) => {
    for (const app of apps) {
      const known = c.loaded.get(app.name)
      if (known !== undefined && known !== app) return Effect.fail(new DuplicateApplication({ name: app.name }))
    }
    for (const app of apps) c.loaded.set(app.name, app)
    return Effect.void
  })

/** The applications to start for `root`, dependencies first. */
const plan = (c: Controller, root: Application<any, any>): Effect.Effect<ReadonlyArray<Application<any, any>>, DependencyCycle | UnknownApplication | DuplicateApplication> =>
  Effect.suspend(() => {
    const known = new Map(c.loaded)
    const order: Array<Application<any, any>> = []
    const done = new Set<string>()
    const visit = (app: Application<any, any>, path: ReadonlyArray<string>): DependencyCycle | UnknownApplication | DuplicateApplication | undefined => {
      const seen = known.get(app.name)
      if (seen !== undefined && seen !== app) return new DuplicateApplication({ name: app.name })
      known.set(app.name, app)
      if (done.has(app.name)) return undefined
      if (path.includes(app.name)) return new DependencyCycle({ path: [...path.slice(path.indexOf(app.name)), app.name] })
      for (const dep of app.dependencies) {
        let next: Application<any, any> | undefined
        if (typeof dep === "string") {
          next = known.get(dep) ?? c.running.get(dep)?.app
          if (next === undefined) return new UnknownApplication({ name: dep, requiredBy: app.name })
        } else {
          next = dep
        }
        const error = visit(next, [...path, app.name])
        if (error) return error
      }
      done.add(app.name)
      order.push(app)
      return undefined
    }
    // Value dependencies are known before names are resolved, wherever they appear.
    const collect = (app: Application<any, any>, seen: Set<Application<any, any>>) => {
      if (seen.has(app)) return
      seen.add(app)
      if (!known.has(app.name)) known.set(app.name, app)
      for (const dep of app.dependencies) if (typeof dep !== "string") collect(dep, seen)
    }
    collect(root, new Set())
    const error = visit(root, [])
    return error ? Effect.fail(error) : Effect.succeed(order)
  })

class StopRequest {
  constructor(readonly done: Deferred.Deferred<void>) {}
}

const rootPid = (root: Root): Pid | undefined => ("pid" in root && !("id" in root) ? root.pid : root as Pid)

/** Starts one application under a fresh master process. */
const startOne = (c: Controller, app: Application<any, any>, type: StartType): Effect.Effect<void, InvalidConfig | StartFailed, any> =>
  Effect.gen(function*() {
    const config = app.config === undefined
      ? undefined
      : yield* Effect.mapError(app.config, (error) => new InvalidConfig({ application: app.name, error }))
    const failure = yield* failureOf(c)
    const master = yield* Gen.start((ack) =>
      Effect.gen(function*() {
        yield* Process.trapExit(true)
        const started = yield* Effect.exit(app.start(config))
        if (Exit.isFailure(started)) {
          yield* ack({ _tag: "Stop", reason: ExitReason.crash(started.cause) })
          return
        }
        const root = rootPid(started.value)
        if (root === undefined) {
          yield* ack({ _tag: "Stop", reason: ExitReason.shutdown("the start returned no root pid") })
          return
        }
        yield* ack({ _tag: "Ok" })
        const next = yield* Process.receive({
          match: (m) => m instanceof StopRequest || (Process.isExitMessage(m) && m.from === root)
        })
        if (next instanceof StopRequest) {
          // Stop the tree: the root supervisor stops its children in reverse order.
          const ref = yield* Process.monitor(root)
          yield* Process.unlink(root)
          yield* Process.exit(root, ExitReason.shutdown())
          yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
          if (app.stop !== undefined) yield* app.stop(config)
          yield* Deferred.succeed(next.done, undefined)
          return
        }
        // The root exited by itself: apply the start type.
        const reason = (next as Process.ExitMessage).reason
        const running = c.running.get(app.name)
        c.running.delete(app.name)
        const index = c.order.indexOf(app.name)
        if (index >= 0) c.order.splice(index, 1)
        // As OTP: for a transient application anything but `normal` is abnormal, including the
        // `shutdown` of a root supervisor that reached its restart intensity.
        const fatal = type === "permanent" || (type === "transient" && reason._tag !== "Normal")
        yield* Effect.logWarning(`application ${app.name} exited: ${ExitReason.format(reason)}`).pipe(
          Effect.annotateLogs({ application: app.name, type, reason: ExitReason.format(reason), fatal: String(fatal) })
        )
        if (fatal && running !== undefined && !running.stopping) yield* Deferred.succeed(failure, { application: app.name, reason })
      }), { timeout: "infinity" }).pipe(
        Effect.mapError((error) =>
          new StartFailed({ application: app.name, reason: error._tag === "InitFailed" ? error.reason : error })
        )
      )
    c.running.set(app.name, { app, type, master, stopping: false })
    c.order.push(app.name)
    yield* Effect.logDebug(`application ${app.name} started`).pipe(Effect.annotateLogs({ application: app.name, type }))
  })

/**
 * Starts `app` and the dependencies not yet running, dependencies first; returns the names of
 * the applications it started, in start order.
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const start = <C, R>(
  app: Application<C, R>,
  options?: { readonly type?: StartType | undefined }
): Effect.Effect<ReadonlyArray<string>, StartError, Node.Node | R> =>
  Effect.gen(function*() {
    const c = yield* controller
    const order = yield* plan(c, app)
    const started: Array<string> = []
    for (const each of order) {
      if (c.running.has(each.name)) continue
      const result = yield* Effect.exit(startOne(c, each, options?.type ?? "temporary"))
      if (Exit.isFailure(result)) {
        for (const name of [...started].reverse()) yield* stopByName(c, name)
        return yield* Effect.failCause(result.cause as Cause.Cause<StartError>)
      }
      started.push(each.name)
    }
    return started
  }) as any

const stopByName = (c: Controller, name: string): Effect.Effect<void, NotStarted> =>
  Effect.gen(function*() {
    const running = c.running.get(name)
    if (running === undefined || running.stopping) return yield* new NotStarted({ application: name })
    running.stopping = true
    const done = yield* Deferred.make<void>()
    const ref = yield* Effect.sync(() => Process.watchExitUnsafe(running.master, () => {
      Deferred.doneUnsafe(done, Effect.void)
    }))
    Process.sendUnsafe(running.master, new StopRequest(done))
    if (ref !== undefined) yield* Deferred.await(done)
    c.running.delete(name)
    const index = c.order.indexOf(name)
    if (index >= 0) c.order.splice(index, 1)
    yield* Effect.logDebug(`application ${name} stopped`).pipe(Effect.annotateLogs({ application: name }))
  })

/**
 * Stops a running application: its tree stops (children in reverse order), then its `stop`
 * callback runs. Its dependencies keep running.
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const stop = (app: Application<any, any> | string): Effect.Effect<void, NotStarted, Node.Node> =>
  Effect.flatMap(controller, (c) => stopByName(c, typeof app === "string" ? app : app.name))

/**
 * Stops every running application, in the reverse order of their start.
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const stopAll: Effect.Effect<void, never, Node.Node> = Effect.flatMap(controller, (c) =>
  Effect.gen(function*() {
    for (const name of [...c.order].reverse()) yield* Effect.ignore(stopByName(c, name))
  }))

/**
 * The running applications, in start order.
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const which: Effect.Effect<ReadonlyArray<RunningApplication>, never, Node.Node> = Effect.map(
  controller,
  (c) =>
    c.order.map((name) => {
      const r = c.running.get(name)!
      return { name, version: r.app.version, type: r.type, master: r.master }
    })
)

/**
 * A running application as {@link which} reports it; `master` is its application master
 * process, which exits once the application has stopped or its root has exited.
 *
 * @category models
 * @since 0.1.0
 */
export interface RunningApplication {
  /** The application's name. */
  readonly name: string
  /** Its version. */
  readonly version: string
  /** How it was started: what happens when its root exits by itself. */
  readonly type: StartType
  /** Its application master process. */
  readonly master: Pid
}

/**
 * Completes when an application failure stops the node (a permanent application exited, or a
 * transient one abnormally), with which application and why.
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const awaitFailure: Effect.Effect<Failure, never, Node.Node> = Effect.flatMap(
  controller,
  (c) => Effect.flatMap(failureOf(c), Deferred.await)
)

/**
 * The application failure that is stopping the node, if one happened (without waiting).
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const failure: Effect.Effect<Option.Option<Failure>, never, Node.Node> = Effect.flatMap(
  controller,
  (c) =>
    Effect.flatMap(failureOf(c), (d) =>
      Effect.flatMap(Deferred.isDone(d), (done) => done ? Effect.map(Deferred.await(d), Option.some) : Effect.succeed(Option.none())))
)

// ----------------------------------------------------------------------------
// main
// ----------------------------------------------------------------------------

/**
 * Options of {@link run} and {@link main}.
 *
 * @category main
 * @since 0.1.0
 */
export interface MainOptions {
  /** The node's name (default `nonode@nohost`). */
  readonly node?: string | undefined
  /** How the main application starts (default `permanent`). */
  readonly type?: StartType | undefined
  /** How long the ordered shutdown may take before the program gives up (default 30 s). */
  readonly shutdownTimeout?: Duration.Input | undefined
  /** Stop in order when this completes (besides SIGINT/SIGTERM in {@link main}). */
  readonly until?: Effect.Effect<unknown, never, Node.Node> | undefined
}

/**
 * How a {@link run} ended; `status` is the process exit status {@link main} uses.
 *
 * @category main
 * @since 0.1.0
 */
export type Outcome =
  | { readonly _tag: "Stopped"; readonly status: 0 }
  | { readonly _tag: "Failed"; readonly status: 1; readonly failure: Failure }
  | { readonly _tag: "StartFailed"; readonly status: 2; readonly error: StartError }
  | { readonly _tag: "ShutdownTimeout"; readonly status: 3 }

/**
 * Runs `app` on a fresh node until `until` completes or an application failure stops the node,
 * then stops everything in reverse order within `shutdownTimeout`. The testable core of
 * {@link main}.
 *
 * @category main
 * @since 0.1.0
 */
export const run = <C, R>(app: Application<C, R>, options?: MainOptions): Effect.Effect<Outcome, never, R> =>
  Effect.gen(function*() {
    const started = yield* Effect.exit(start(app, { type: options?.type ?? "permanent" }))
    if (Exit.isFailure(started)) {
      const error = Cause.findErrorOption(started.cause)
      yield* Effect.logError("applications could not be started", started.cause)
      yield* stopAll
      if (Option.isSome(error)) return { _tag: "StartFailed", status: 2, error: error.value } as const
      return yield* Effect.failCause(started.cause as Cause.Cause<never>)
    }
    yield* Effect.logInfo(`started ${started.value.join(", ")}`).pipe(Effect.annotateLogs({ applications: started.value.join(",") }))
    const until = options?.until ?? Effect.never
    const ended = yield* Effect.raceFirst(
      Effect.map(awaitFailure, (failure) => ({ _tag: "Failed", status: 1, failure }) as const),
      Effect.as(until, { _tag: "Stopped", status: 0 } as const)
    )
    if (ended._tag === "Failed") {
      yield* Effect.logError(`application ${ended.failure.application} failed: ${ExitReason.format(ended.failure.reason)}; stopping`)
    } else {
      yield* Effect.logInfo("stopping")
    }
    const stopped = yield* Effect.timeoutOption(stopAll, options?.shutdownTimeout ?? "30 seconds")
    if (Option.isNone(stopped)) {
      yield* Effect.logError("shutdown did not finish in time")
      return { _tag: "ShutdownTimeout", status: 3 } as const
    }
    return ended as Outcome
  }).pipe(Effect.provide(Node.layer(options?.node !== undefined ? { name: options.node } : undefined))) as any

/**
 * The entry point of a program: runs `app` (see {@link run}) until SIGINT or SIGTERM (or
 * `until`), stops everything in reverse order, and sets the process exit status (see the
 * module doc).
 *
 * @category main
 * @since 0.1.0
 */
export const main = <C>(app: Application<C, never>, options?: MainOptions): Promise<Outcome> => {
  let onSignal: (() => void) | undefined
  const signalled = Effect.callback<void>((resume) => {
    onSignal = () => resume(Effect.void)
    process.once("SIGINT", onSignal)
    process.once("SIGTERM", onSignal)
  })
  const until = options?.until === undefined ? signalled : Effect.raceFirst(signalled, options.until)
  // Processes waiting for messages hold no timer or socket: keep the program alive until it
  // has stopped.
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1)
  const cleanup = () => {
    clearInterval(keepAlive)
    if (onSignal !== undefined) {
      process.removeListener("SIGINT", onSignal)
      process.removeListener("SIGTERM", onSignal)
    }
  }
  return Effect.runPromise(run(app, { ...options, until })).then(
    (outcome) => {
      cleanup()
      process.exitCode = outcome.status
      return outcome
    },
    (defect) => {
      cleanup()
      process.exitCode = 1
      throw defect
    }
  )
}
