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
 *   started are stopped again, in reverse order. Two starts of one application at the same time
 *   start it once.
 * - Each application runs under an application master process, which starts its root (the
 *   `start` effect runs in the master; use `Supervisor.startLink`) and links to it, whatever
 *   `start` did. `start` must give an Effect of the root (a pid, or a handle with a live pid):
 *   anything else, a failure, or a throw is a {@link StartFailed}, and nothing of the
 *   application is left running.
 * - Stopping (`stop`, `stopAll`, the shutdown of {@link run}): `prepStop` runs, the root is told
 *   `shutdown` (a root supervisor stops its children in reverse order) and waited for, then
 *   `stop` runs. When the root exits by itself, with any reason, `prepStop` and `stop` run too,
 *   and the master exits with the root's reason. A failing or throwing `prepStop`/`stop` is
 *   logged and the stop goes on, as OTP catches them.
 * - Start types, for an application that exits by itself (its root exited, or its master was
 *   killed): `permanent` (any exit is fatal), `transient` (any reason but `normal` is fatal,
 *   including the `shutdown` of a root supervisor that gave up; `normal` is only logged),
 *   `temporary` (only logged). A fatal exit stops every other running application, in the
 *   reverse order of their start, however they were started ({@link start}, {@link run},
 *   {@link main}, or as a dependency, which gets the type of the call that started it), and
 *   {@link awaitFailure} completes; {@link run} and {@link main} then end with status 1.
 *   {@link stop} of an application is never such an exit.
 * - If the master is killed, its root goes down with it (it is linked), and `prepStop`/`stop`
 *   still run (OTP runs them in the master's helper process), then the start type applies with
 *   the reason `killed`.
 * - Configuration is an Effect `Config`, read from the `ConfigProvider` in context when the
 *   application starts (the environment by default), so defaults live in code and the
 *   environment overrides them; a config error is a typed error and nothing of that
 *   application starts.
 * - {@link stopAll} stops the running applications in the reverse order of their start; each
 *   root supervisor stops its children in reverse order. An application already being stopped
 *   is waited for.
 * - Application names are keys of `Map`s: any string is a name, `__proto__` and `constructor`
 *   included.
 *
 * ## Signals in {@link main}
 *
 * SIGINT and SIGTERM are handled from the moment `main` is called:
 *
 * - A signal while the applications start: the application being started finishes starting,
 *   the ones after it are not started, and everything started is stopped in reverse order
 *   (status 0). OTP likewise stops the node in order once `init:stop` is handled.
 * - A signal while running: everything stops in reverse order (status 0).
 * - A second signal, while starting or stopping: the program exits at once, with status 130
 *   (SIGINT) or 143 (SIGTERM), without waiting for the rest of the shutdown: the way out of a
 *   `start` or `stop` that hangs. (The OS process ends, so nothing is left running.) A
 *   repeat within a second of the first is that same signal delivered twice, not a
 *   second one: a terminal's Ctrl-C goes to the whole process group, and a launcher in it
 *   (`npm start`, `npx`) passes its own on to the program as well.
 *
 * ## Exit status of {@link main}
 *
 * | status  | meaning                                                                  |
 * |---------|--------------------------------------------------------------------------|
 * | 0       | stopped in order: a signal (SIGINT/SIGTERM) or `until` completed          |
 * | 1       | an application failed (permanent exit, or transient abnormal exit), or   |
 * |         | a defect (after the applications were stopped in order)                  |
 * | 2       | the applications could not be started                                    |
 * | 3       | the shutdown did not finish within `shutdownTimeout`                     |
 * | 130/143 | a second SIGINT/SIGTERM cut the start or the shutdown short              |
 *
 * ## `main`, or `NodeRuntime.runMain` of `@effect/platform-node`
 *
 * `main` is the entry of a program that is its applications; it needs no package besides
 * `effect`, and runs where there is a global `process` (signals and exit status checked on Node
 * 20 and 22, Bun 1.4 and Deno 2.9) and, without signals or exit status, where there is none (a
 * browser). A program that is an Effect with more around its applications (layers of its own,
 * an HTTP server) can be run by `NodeRuntime.runMain` with {@link run} inside; the two differ
 * (measured on Node 20 and 22 with effect 4.1):
 *
 * | on                                  | `Application.main`                    | `NodeRuntime.runMain(Application.run(app))`   |
 * |-------------------------------------|---------------------------------------|-----------------------------------------------|
 * | SIGINT / SIGTERM                    | stops in order, status 0              | interrupts, `run` stops in order, status 130  |
 * | second signal while stopping        | exits at once, 130 / 143              | ignored: waits for `shutdownTimeout`          |
 * | an application failed (permanent)   | status 1                              | status 0, unless the outcome is mapped (below) |
 * | start failed / shutdown timed out   | status 2 / 3                          | status 0, unless mapped                       |
 * | a defect                            | stops in order, printed, status 1     | stops in order, logged, status 1              |
 * | needs                               | `effect`                              | `@effect/platform-node` (Node only)           |
 *
 * With `runMain`, give the outcome's status to the process yourself:
 *
 * ```ts
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const web = Application.make({ name: "web", start: () => Supervisor.startLink([]) })
 * NodeRuntime.runMain(
 *   Effect.flatMap(Application.run(web), (outcome) => Effect.sync(() => { process.exitCode = outcome.status }))
 * )
 * ```
 *
 * ## Differences from OTP
 *
 * - A fatal exit stops the applications, not the JavaScript process: a program built on
 *   {@link start} sees it through {@link awaitFailure}; {@link run} returns and {@link main}
 *   sets the exit status. OTP halts the node.
 * - An application is its tree: processes it spawns outside the tree (not linked to it) are not
 *   killed when it stops. OTP's master kills every process whose group leader it is.
 * - No start phases, no `included_applications`, no distributed (takeover/failover) start types,
 *   no `.app` file: `make` is the application resource, `config` its environment.
 * - {@link stop} of an application that another stop is already stopping waits for that stop,
 *   then fails with {@link NotStarted}, as OTP's controller answers the second request. A
 *   `prepStop` or `stop` callback that stops its own application (or calls {@link stopAll})
 *   does not wait for itself.
 * - A start failure is returned to the caller ({@link StartFailed}) whatever the start type, and
 *   the other applications keep running; {@link run} and {@link main} end with status 2. OTP's
 *   controller stops the node when a permanent application (or a transient one, abnormally)
 *   fails to start.
 * - {@link start} is `application:ensure_all_started`: starting a running application returns
 *   no name, where `application:start` answers `{error, {already_started, App}}`. A second start
 *   of an application that is starting waits for the first.
 * - {@link which} lists the applications in start order; `which_applications` lists the most
 *   recently started first.
 * - Stopping an application does not stop the ones that depend on it (as in OTP).
 * - No `unload`, `set_env`/`get_env` (the configuration is an Effect `Config`, read once at
 *   start), `maxT`, `start_type/0` or `get_application/0`.
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
import { watchExit } from "../lib/internal/direct.js"
import { isInstance } from "../lib/internal/identity.js"
import * as Gen from "../lib/Gen.js"
import * as Node from "../lib/Node.js"
import { isPid, type Pid } from "../lib/Pid.js"
import * as Process from "../lib/Process.js"

// ----------------------------------------------------------------------------
// Models
// ----------------------------------------------------------------------------

/**
 * How an application's exit affects the node (OTP's start types): `temporary` (the default) is
 * only reported, `transient` stops every other application unless it exited `normal`, and
 * `permanent` stops every other application whatever the reason; the node's `main` then exits
 * (see {@link awaitFailure}).
 *
 * @category models
 * @since 0.1.0
 */
export type StartType = "permanent" | "transient" | "temporary"

const TypeId = "~effect-otp/Application" as const

/**
 * An application: made by {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Application<C = unknown, R = never> {
  /** Brands the value as an application. */
  readonly "~effect-otp/Application": "~effect-otp/Application"
  /** The application's name, unique among the node's applications. */
  readonly name: string
  /** Its version (`0.0.0` unless the definition gives one). */
  readonly version: string
  /** Applications (or names of {@link load}ed ones) that must run before this one. */
  readonly dependencies: ReadonlyArray<Application<any, any> | string>
  /** Its configuration, read when it starts and passed to `start` and `stop`; `undefined` for none (they get `undefined`). */
  readonly config: Config.Config<C> | undefined
  /** Starts the root (linked to the calling process, the application master): its pid, or a server/supervisor handle. */
  readonly start: (config: C) => Effect.Effect<Pid | { readonly pid: Pid | undefined }, unknown, R | Node.Node | Process.CurrentProcess>
  /** Runs before the tree stops, while it still runs (OTP's `prep_stop/1`). */
  readonly prepStop: ((config: C) => Effect.Effect<void, never, R>) | undefined
  /** Runs after the tree has stopped, or exited by itself (OTP's `stop/1`). */
  readonly stop: ((config: C) => Effect.Effect<void, never, R>) | undefined
}


/**
 * Defines an application.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const db = Application.make({ name: "db", start: () => Supervisor.startLink([]) })
 * const web = Application.make({ name: "web", dependencies: [db], start: () => Supervisor.startLink([]) })
 * const api = Application.make({ name: "api", version: "1.2.0", dependencies: ["db"], start: () => Supervisor.startLink([]) })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <C = undefined, R = never>(
  definition: {
    /** The application's name, unique among the node's applications. */
    readonly name: string
    /** Its version; default `0.0.0`. */
    readonly version?: string | undefined
    /** Applications (or names of {@link load}ed ones) that must run before this one; default none. */
    readonly dependencies?: ReadonlyArray<Application<any, any> | string> | undefined
    /** Its configuration, an Effect `Config` read from the `ConfigProvider` when it starts and passed to `start` and `stop`. */
    readonly config?: Config.Config<C> | undefined
    /**
     * Starts the root, linked to the calling process (the application master): use
     * `Supervisor.startLink`. Gives the root's pid, or a server/supervisor handle.
     */
    readonly start: (config: C) => Effect.Effect<Pid | { readonly pid: Pid | undefined }, unknown, R>
    /**
     * Runs before the tree stops, while it still runs (OTP's `prep_stop/1`): e.g. stop taking
     * new work. Also when the root has exited by itself, before `stop`.
     */
    readonly prepStop?: ((config: C) => Effect.Effect<void, never, R>) | undefined
    /** Runs after the tree has stopped, whether it was stopped or its root exited by itself (OTP's `stop/1`). */
    readonly stop?: ((config: C) => Effect.Effect<void, never, R>) | undefined
  }
): Application<C, Exclude<R, Node.Node | Process.CurrentProcess>> => ({
  [TypeId]: TypeId,
  name: definition.name,
  version: definition.version ?? "0.0.0",
  dependencies: definition.dependencies ?? [],
  config: definition.config,
  start: definition.start as Application<C, Exclude<R, Node.Node | Process.CurrentProcess>>["start"],
  prepStop: definition.prepStop as Application<C, Exclude<R, Node.Node | Process.CurrentProcess>>["prepStop"],
  stop: definition.stop as Application<C, Exclude<R, Node.Node | Process.CurrentProcess>>["stop"]
})

/** Whether `u` is an application made by {@link make} (untyped callers may pass anything). */
const isApplication = (u: unknown): u is Application<unknown, unknown> =>
  typeof u === "object" && u !== null && (u as { readonly [TypeId]?: unknown })[TypeId] === TypeId &&
  typeof (u as Application).name === "string" && typeof (u as Application).start === "function" &&
  Array.isArray((u as Application).dependencies)

// ----------------------------------------------------------------------------
// Errors
// ----------------------------------------------------------------------------

/**
 * The dependencies loop: `path` goes from an application back to itself.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const db = Application.make({ name: "db", start: () => Supervisor.startLink([]) })
 * const web = Application.make({ name: "web", dependencies: [db], start: () => Supervisor.startLink([]) })
 * const started = Application.start(web).pipe(
 *   Effect.catchTag("DependencyCycle", (e) => Effect.log(`cycle: ${e.path.join(" -> ")}`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class DependencyCycle extends Data.Error<{ readonly path: ReadonlyArray<string> }> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "DependencyCycle"
  static {
    this.prototype.name = "DependencyCycle"
  }
  /** The human-readable message, with the cycle's path. */
  override get message(): string {
    return `application dependency cycle: ${this.path.join(" -> ")}`
  }
}

/**
 * A dependency names no known application.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const db = Application.make({ name: "db", start: () => Supervisor.startLink([]) })
 * const web = Application.make({ name: "web", dependencies: [db], start: () => Supervisor.startLink([]) })
 * const started = Application.start(web).pipe(
 *   Effect.catchTag("UnknownApplication", (e) => Effect.log(`unknown: ${e.name}`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class UnknownApplication extends Data.Error<{
  /** The dependency name that no application has. */
  readonly name: string
  /** The application that depends on it. */
  readonly requiredBy: string
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "UnknownApplication"
  static {
    this.prototype.name = "UnknownApplication"
  }
  /** The human-readable message, naming the dependency and its dependent. */
  override get message(): string {
    return `unknown application ${JSON.stringify(this.name)}, required by ${JSON.stringify(this.requiredBy)}`
  }
}

/**
 * Two different applications with one name.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const db = Application.make({ name: "db", start: () => Supervisor.startLink([]) })
 * const web = Application.make({ name: "web", dependencies: [db], start: () => Supervisor.startLink([]) })
 * const loaded = Application.load(db, web).pipe(
 *   Effect.catchTag("DuplicateApplication", (e) => Effect.log(`two applications named ${e.name}`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class DuplicateApplication extends Data.Error<{ readonly name: string }> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "DuplicateApplication"
  static {
    this.prototype.name = "DuplicateApplication"
  }
  /** The human-readable message, naming the name. */
  override get message(): string {
    return `two different applications are named ${JSON.stringify(this.name)}`
  }
}

/**
 * An application's configuration could not be read.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const db = Application.make({ name: "db", start: () => Supervisor.startLink([]) })
 * const web = Application.make({ name: "web", dependencies: [db], start: () => Supervisor.startLink([]) })
 * const started = Application.start(web).pipe(
 *   Effect.catchTag("InvalidConfig", (e) => Effect.log(`bad configuration of ${e.application}`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidConfig extends Data.Error<{
  /** The application whose configuration failed. */
  readonly application: string
  /** The `Config` error. */
  readonly error: Config.ConfigError
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "InvalidConfig"
  static {
    this.prototype.name = "InvalidConfig"
  }
  /** The human-readable message, naming the application and the config error. */
  override get message(): string {
    return `configuration of ${this.application}: ${this.error.message}`
  }
}

/**
 * An application's start failed: `reason` is what its master saw.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const db = Application.make({ name: "db", start: () => Supervisor.startLink([]) })
 * const web = Application.make({ name: "web", dependencies: [db], start: () => Supervisor.startLink([]) })
 * const started = Application.start(web).pipe(
 *   Effect.catchTag("StartFailed", (e) => Effect.log(`${e.application} failed to start`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class StartFailed extends Data.Error<{
  /** The application that failed to start. */
  readonly application: string
  /** The application master's exit reason: a `Crash` with the cause of the failed `start`, or `shutdown` when `start` returned no root pid. */
  readonly reason: unknown
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "StartFailed"
  static {
    this.prototype.name = "StartFailed"
  }
  /** The human-readable message, naming the application and the reason. */
  override get message(): string {
    const reason = ExitReason.isExitReason(this.reason) ? ExitReason.format(this.reason) : String(this.reason)
    return `application ${this.application} failed to start: ${reason}`
  }
}

/**
 * {@link stop} of an application that is not running.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const db = Application.make({ name: "db", start: () => Supervisor.startLink([]) })
 * const web = Application.make({ name: "web", dependencies: [db], start: () => Supervisor.startLink([]) })
 * const stopped = Application.stop("web").pipe(Effect.catchTag("NotStarted", () => Effect.void))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class NotStarted extends Data.Error<{ readonly application: string }> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "NotStarted"
  static {
    this.prototype.name = "NotStarted"
  }
  /** The human-readable message, naming the application. */
  override get message(): string {
    return `application ${this.application} is not running`
  }
}

/** What starting applications can fail with. */
type StartError = DependencyCycle | UnknownApplication | DuplicateApplication | InvalidConfig | StartFailed

// ----------------------------------------------------------------------------
// The controller (one per node)
// ----------------------------------------------------------------------------

/**
 * A running application, from the moment its master has started its root until it is gone
 * (tree stopped, callbacks run, removed from the controller).
 */
class Running {
  /** A stop was asked for: the master's exit is not the application's own. */
  stopping = false
  /** `prepStop` has been called. */
  prepped = false
  /** `stop` has been called. */
  stopped = false
  /** `stop` has returned: the master's cleanup is done. */
  cleaned = false
  /** Completes once the application is gone. */
  readonly gone: Deferred.Deferred<void> = Deferred.makeUnsafe<void>()
  constructor(
    readonly app: Application<any, any>,
    readonly type: StartType,
    readonly config: unknown,
    readonly master: Pid,
    readonly root: Pid,
    /** The services of the code that started the application: its callbacks and reports run with them. */
    readonly context: Context.Context<never>
  ) {}
}

/** Why the node is going down because of an application (a permanent one exited, or a transient one abnormally). */
interface Failure {
  /** The name of the application whose root exited. */
  readonly application: string
  /** The root's exit reason. */
  readonly reason: ExitReason.ExitReason
}

class Controller {
  readonly loaded = new Map<string, Application<any, any>>()
  readonly running = new Map<string, Running>()
  /** Applications whose start is under way, so that a second start waits for the first. */
  readonly starting = new Map<string, Deferred.Deferred<void>>()
  /** Start order of the running applications. */
  readonly order: Array<string> = []
  readonly failure: Deferred.Deferred<Failure> = Deferred.makeUnsafe<Failure>()
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

/**
 * Makes applications known by name, so others can depend on them by name (OTP's
 * `application:load`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const db = Application.make({ name: "db", start: () => Supervisor.startLink([]) })
 * const web = Application.make({ name: "web", dependencies: [db], start: () => Supervisor.startLink([]) })
 * const known = Application.load(db) // others may now depend on "db" by name
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const load = (...apps: ReadonlyArray<Application<any, any>>): Effect.Effect<void, DuplicateApplication | UnknownApplication, Node.Node> =>
  Effect.flatMap(controller, (c): Effect.Effect<void, DuplicateApplication | UnknownApplication> => {
    for (const app of apps) {
      if (!isApplication(app)) return Effect.fail(new UnknownApplication({ name: describe(app), requiredBy: "Application.load" }))
      const known = c.loaded.get(app.name)
      if (known !== undefined && known !== app) return Effect.fail(new DuplicateApplication({ name: app.name }))
    }
    for (const app of apps) c.loaded.set(app.name, app)
    return Effect.void
  })

/** The applications to start for `root`, dependencies first. */
const plan = (c: Controller, root: Application<any, any>): Effect.Effect<ReadonlyArray<Application<any, any>>, DependencyCycle | UnknownApplication | DuplicateApplication> =>
  Effect.suspend(() => {
    if (!isApplication(root)) return Effect.fail(new UnknownApplication({ name: describe(root), requiredBy: "Application.start" }))
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
        } else if (isApplication(dep)) {
          next = dep
        } else {
          return new UnknownApplication({ name: describe(dep), requiredBy: app.name })
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
      for (const dep of app.dependencies) if (isApplication(dep)) collect(dep, seen)
    }
    collect(root, new Set())
    const error = visit(root, [])
    return error ? Effect.fail(error) : Effect.succeed(order)
  })

const describe = (u: unknown): string => {
  try {
    return typeof u === "string" ? u : typeof u === "object" && u !== null ? Object.prototype.toString.call(u) : String(u)
  } catch {
    return typeof u
  }
}

/** Asks a master to stop its application. */
class StopRequest {}

const stopRequest = new StopRequest()

/** The root's pid in what `start` gave, if it is one. */
const rootPid = (root: unknown): Pid | undefined => {
  if (isPid(root)) return root
  const pid = typeof root === "object" && root !== null ? (root as { readonly pid?: unknown }).pid : undefined
  return isPid(pid) ? pid : undefined
}

/** `app.start(config)` as an Effect; a throw is a defect, a result that is no Effect a failure. */
const callStart = (app: Application<any, any>, config: unknown): Effect.Effect<unknown, unknown, any> =>
  Effect.suspend(() => {
    const started: unknown = app.start(config)
    return Effect.isEffect(started)
      ? started
      : Effect.fail(new Error(`bad return from start: ${describe(started)} is not an Effect`))
  })

/**
 * Runs the optional `prepStop` or `stop` callback. Its failure, a throw, or a result that is no
 * Effect is logged and the stop goes on, as OTP's master catches them.
 */
const callback = (app: Application<any, any>, which: "prepStop" | "stop", config: unknown): Effect.Effect<void, never, any> => {
  const f = app[which]
  if (typeof f !== "function") return Effect.void
  return Effect.suspend(() => {
    const result: unknown = f(config)
    return Effect.isEffect(result) ? Effect.asVoid(result) : Effect.void
  }).pipe(
    Effect.catchCause((cause) =>
      Effect.logError(`application ${app.name}: ${which} failed`, cause).pipe(
        Effect.annotateLogs({ application: app.name })
      )
    )
  )
}

/** Waits until `pid` has exited (at once if it has). */
const awaitExit = (pid: Pid): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    const cancel = watchExit(pid, () => resume(Effect.void))
    if (cancel === undefined) return resume(Effect.void)
    return Effect.sync(cancel)
  })

/**
 * The body of an application master: starts the root, then waits for a stop request or the
 * root's own exit (OTP's `application_master` and its `loop_it` helper in one process).
 */
const master = (c: Controller, app: Application<any, any>, type: StartType, config: unknown, context: Context.Context<never>) => (ack: Gen.Ack) =>
  Effect.gen(function*() {
    yield* Process.trapExit(true)
    const self = yield* Process.self
    // A failed start: the master exits with the reason, which takes down what `start` linked to
    // it (OTP's master kills every process of the application).
    const fail = (reason: ExitReason.ExitReason) => Effect.andThen(ack({ _tag: "Stop", reason }), Process.exitWith(reason))
    const started = yield* Effect.exit(callStart(app, config))
    if (Exit.isFailure(started)) return yield* fail(ExitReason.crash(started.cause))
    const root = rootPid(started.value)
    if (root === undefined) {
      return yield* fail(ExitReason.shutdown(`bad return from start: ${describe(started.value)} is no root pid`))
    }
    if (!(yield* Process.isAlive(root))) return yield* fail(ExitReason.noproc)
    // OTP's master links to the root, however `start` started it: its exit always reaches us.
    yield* Process.link(root)
    const running = new Running(app, type, config, self, root, context)
    // In the table before the starter hears of it: an exit right after the start is not lost.
    watchExit(self, (reason) => masterExited(c, running, reason))
    c.running.set(app.name, running)
    c.order.push(app.name)
    yield* ack({ _tag: "Ok" })
    const next = yield* Process.receive({
      match: (m) => isInstance(m, StopRequest) || (Process.isExitMessage(m) && m.from === root)
    })
    running.prepped = true
    yield* callback(app, "prepStop", config)
    if (next instanceof StopRequest) {
      // Stop the tree: the root supervisor stops its children in reverse order.
      const ref = yield* Process.monitor(root)
      yield* Process.unlink(root)
      yield* Process.exit(root, ExitReason.shutdown())
      yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
      running.stopped = true
      yield* callback(app, "stop", config)
      running.cleaned = true
      return
    }
    // The root exited by itself: `stop` runs, and the master exits with the root's reason (the
    // controller applies the start type).
    const reason = (next as Process.ExitMessage).reason
    running.stopped = true
    yield* callback(app, "stop", config)
    running.cleaned = true
    if (reason._tag !== "Normal") yield* Process.exitWith(reason)
  })

/**
 * A master has exited. If it was killed before its cleanup, its callbacks still run (once the
 * root, which it takes down through their link, is gone), as OTP's helper process runs them;
 * then the application is gone.
 */
const masterExited = (c: Controller, running: Running, reason: ExitReason.ExitReason): void => {
  if (running.cleaned) return gone(c, running, reason)
  const { app, config, root } = running
  const cleanup = Effect.gen(function*() {
    yield* Process.exit(root, reason._tag === "Normal" ? ExitReason.shutdown() : reason)
    yield* awaitExit(root)
    // Each callback runs once: one the master had begun is not run again.
    if (!running.prepped) yield* callback(app, "prepStop", config)
    if (!running.stopped) yield* callback(app, "stop", config)
    running.cleaned = true
    gone(c, running, reason)
  })
  Effect.runForkWith(running.context)(cleanup as Effect.Effect<void>)
}

/**
 * The application is gone: out of the table. If it exited by itself (no stop was asked), its
 * exit is reported and its start type applied: a fatal exit records the failure and stops
 * every other application, in reverse start order.
 */
const gone = (c: Controller, running: Running, reason: ExitReason.ExitReason): void => {
  const name = running.app.name
  if (c.running.get(name) === running) {
    c.running.delete(name)
    const index = c.order.indexOf(name)
    if (index >= 0) c.order.splice(index, 1)
  }
  Deferred.doneUnsafe(running.gone, Exit.void)
  if (running.stopping) return
  const type = running.type
  // As OTP: for a transient application anything but `normal` is abnormal, including the
  // `shutdown` of a root supervisor that reached its restart intensity.
  const fatal = type === "permanent" || (type === "transient" && reason._tag !== "Normal")
  if (fatal) Deferred.doneUnsafe(c.failure, Exit.succeed({ application: name, reason }))
  const report = Effect.logWarning(`application ${name} exited: ${ExitReason.format(reason)}`).pipe(
    Effect.annotateLogs({ application: name, type, reason: ExitReason.format(reason), fatal: String(fatal) })
  )
  Effect.runForkWith(running.context)(fatal ? Effect.andThen(report, stopAllIn(c)) : report)
}

/** Starts one application under a fresh master process. */
const startOne = (c: Controller, app: Application<any, any>, type: StartType): Effect.Effect<void, InvalidConfig | StartFailed, any> =>
  Effect.gen(function*() {
    const config = app.config === undefined
      ? undefined
      : yield* Effect.mapError(app.config, (error) => new InvalidConfig({ application: app.name, error }))
    const context = yield* Effect.context<never>()
    yield* Gen.start(master(c, app, type, config, context), { timeout: "infinity" }).pipe(
      Effect.mapError((error) =>
        new StartFailed({ application: app.name, reason: error._tag === "InitFailed" ? error.reason : error })
      )
    )
    yield* Effect.logDebug(`application ${app.name} started`).pipe(Effect.annotateLogs({ application: app.name, type }))
  })

/**
 * Starts the applications of `plan` not yet running, in order; `halt` is asked before each one
 * (a stop requested meanwhile: the rest are not started). On a failure, stops what it started.
 */
const startPlan = (
  c: Controller,
  order: ReadonlyArray<Application<any, any>>,
  type: StartType,
  halt: (() => boolean) | undefined
): Effect.Effect<ReadonlyArray<string>, StartError, any> =>
  Effect.gen(function*() {
    const started: Array<string> = []
    for (const each of order) {
      if (halt?.() === true) break
      // Another start of the same application is under way: wait for it.
      let pending = c.starting.get(each.name)
      while (pending !== undefined && !c.running.has(each.name)) {
        yield* Deferred.await(pending)
        pending = c.starting.get(each.name)
      }
      if (c.running.has(each.name)) continue
      const done = Deferred.makeUnsafe<void>()
      c.starting.set(each.name, done)
      const result = yield* Effect.exit(startOne(c, each, type)).pipe(
        Effect.ensuring(Effect.sync(() => {
          c.starting.delete(each.name)
          Deferred.doneUnsafe(done, Exit.void)
        }))
      )
      if (Exit.isFailure(result)) {
        for (const name of [...started].reverse()) yield* Effect.ignore(stopByName(c, name))
        return yield* Effect.failCause(result.cause as Cause.Cause<StartError>)
      }
      started.push(each.name)
    }
    return started
  })

/**
 * Starts `app` and the dependencies not yet running, dependencies first, all with the start
 * `type` (default `temporary`); returns the names of the applications it started, in start
 * order.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const db = Application.make({ name: "db", start: () => Supervisor.startLink([]) })
 * const web = Application.make({ name: "web", dependencies: [db], start: () => Supervisor.startLink([]) })
 * const names = Application.start(web, { type: "permanent" }) // ["db", "web"]
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const start = <C, R>(
  app: Application<C, R>,
  options?: { readonly type?: StartType | undefined }
): Effect.Effect<ReadonlyArray<string>, DependencyCycle | UnknownApplication | DuplicateApplication | InvalidConfig | StartFailed, Node.Node | R> =>
  Effect.gen(function*() {
    const c = yield* controller
    const order = yield* plan(c, app)
    return yield* startPlan(c, order, startType(options?.type), undefined)
  }) as any

const startType = (type: unknown): StartType =>
  type === "permanent" || type === "transient" ? type : "temporary"

const stopByName = (c: Controller, name: string): Effect.Effect<void, NotStarted> =>
  Effect.flatMap(Effect.serviceOption(Process.CurrentProcess), (self) => {
    const running = c.running.get(name)
    if (running === undefined) return Effect.fail(new NotStarted({ application: name }))
    // Its own `prepStop` or `stop` (run by its master) asks: the application is going already,
    // and waiting for it would wait for the caller itself.
    if (Option.isSome(self) && self.value === running.master) {
      running.stopping = true
      return Effect.void
    }
    // Being stopped by someone else: wait for it, then answer as OTP's controller answers the
    // second request.
    if (running.stopping) {
      return Effect.andThen(Deferred.await(running.gone), Effect.fail(new NotStarted({ application: name })))
    }
    running.stopping = true
    Process.sendUnsafe(running.master, stopRequest)
    return Effect.andThen(
      Deferred.await(running.gone),
      Effect.logDebug(`application ${name} stopped`).pipe(Effect.annotateLogs({ application: name }))
    )
  })

/**
 * Stops a running application: `prepStop` runs, its tree stops (children in reverse order),
 * then its `stop` callback runs. Its dependencies keep running.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const db = Application.make({ name: "db", start: () => Supervisor.startLink([]) })
 * const web = Application.make({ name: "web", dependencies: [db], start: () => Supervisor.startLink([]) })
 * const stopWeb = Application.stop(web) // db keeps running
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const stop = (app: Application<any, any> | string): Effect.Effect<void, NotStarted, Node.Node> =>
  Effect.flatMap(controller, (c) => stopByName(c, typeof app === "string" ? app : isApplication(app) ? app.name : describe(app)))

const stopAllIn = (c: Controller): Effect.Effect<void> =>
  Effect.gen(function*() {
    for (const name of [...c.order].reverse()) yield* Effect.ignore(stopByName(c, name))
  })

/**
 * Stops every running application, in the reverse order of their start, and returns once they
 * are all gone (applications another stop is already stopping included).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const db = Application.make({ name: "db", start: () => Supervisor.startLink([]) })
 * const web = Application.make({ name: "web", dependencies: [db], start: () => Supervisor.startLink([]) })
 * const everything = Application.stopAll // in reverse start order
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const stopAll: Effect.Effect<void, never, Node.Node> = Effect.flatMap(controller, stopAllIn)

/**
 * The running applications, in start order: each one's name, version, start type, and its
 * application master process, which exits once the application has stopped or its root has
 * exited.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const db = Application.make({ name: "db", start: () => Supervisor.startLink([]) })
 * const web = Application.make({ name: "web", dependencies: [db], start: () => Supervisor.startLink([]) })
 * const running = Effect.map(Application.which, (apps) => apps.map((a) => `${a.name} ${a.version}`))
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const which: Effect.Effect<ReadonlyArray<{
    /** The application's name. */
    readonly name: string
    /** Its version. */
    readonly version: string
    /** How it was started: what happens when its root exits by itself. */
    readonly type: StartType
    /** Its application master process. */
    readonly master: Pid
  }>, never, Node.Node> = Effect.map(
  controller,
  (c) =>
    c.order.map((name) => {
      const r = c.running.get(name)!
      return { name, version: r.app.version, type: r.type, master: r.master }
    })
)


/**
 * Completes when an application failure stops the node (a permanent application exited, or a
 * transient one abnormally), with which application and why. The other applications are then
 * being stopped; {@link stopAll} waits until they are.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const db = Application.make({ name: "db", start: () => Supervisor.startLink([]) })
 * const web = Application.make({ name: "web", dependencies: [db], start: () => Supervisor.startLink([]) })
 * const fatal = Effect.flatMap(Application.awaitFailure, (f) => Effect.log(`${f.application} exited`, f.reason))
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const awaitFailure: Effect.Effect<{ readonly application: string; readonly reason: ExitReason.ExitReason }, never, Node.Node> = Effect.flatMap(
  controller,
  (c) => Deferred.await(c.failure)
)

/**
 * The application failure that is stopping the node, if one happened (without waiting).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const db = Application.make({ name: "db", start: () => Supervisor.startLink([]) })
 * const web = Application.make({ name: "web", dependencies: [db], start: () => Supervisor.startLink([]) })
 * const healthy = Effect.map(Application.failure, (f) => f._tag === "None")
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const failure: Effect.Effect<Option.Option<{ readonly application: string; readonly reason: ExitReason.ExitReason }>, never, Node.Node> = Effect.flatMap(
  controller,
  (c) => Deferred.isDoneUnsafe(c.failure) ? Effect.map(Deferred.await(c.failure), Option.some) : Effect.succeed(Option.none())
)

// ----------------------------------------------------------------------------
// main
// ----------------------------------------------------------------------------

/** How a {@link run} ended; `status` is the process exit status {@link main} uses. */
type Outcome =
  | { readonly _tag: "Stopped"; readonly status: 0 }
  | { readonly _tag: "Failed"; readonly status: 1; readonly failure: { readonly application: string; readonly reason: ExitReason.ExitReason } }
  | { readonly _tag: "StartFailed"; readonly status: 2; readonly error: DependencyCycle | UnknownApplication | DuplicateApplication | InvalidConfig | StartFailed }
  | { readonly _tag: "ShutdownTimeout"; readonly status: 3 }

/**
 * Runs `app` on a fresh node until `until` completes, `signal` is aborted, or an application
 * failure stops the node, then stops everything in reverse order within `shutdownTimeout`. The
 * testable core of {@link main}. If `signal` is aborted while the applications start, the one
 * being started finishes, the rest are not started, and everything stops (`Stopped`).
 * Interrupting `run`, or a defect in it (in `until`, say), stops the applications in order too
 * (within `shutdownTimeout`) before the node goes; the defect is logged and `run` dies with it.
 *
 * It gives how it ended, with the process exit status {@link main} uses: `Stopped` (0),
 * `Failed` (1, with the application whose root exited and its reason), `StartFailed` (2, with
 * the start error) or `ShutdownTimeout` (3).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const app = Application.make({ name: "web", start: () => Supervisor.startLink([]) })
 * const stop = new AbortController()
 * const program = Application.run(app, { signal: stop.signal }) // stop.abort() stops it in order
 * ```
 *
 * @category main
 * @since 0.1.0
 */
export const run = <C, R>(
  app: Application<C, R>,
  options?: {
    /** The node's name (default `nonode@nohost`). */
    readonly node?: string | undefined
    /** How the main application and its dependencies start (default `permanent`). */
    readonly type?: StartType | undefined
    /** How long the ordered shutdown may take before the program gives up (default 30 s). */
    readonly shutdownTimeout?: Duration.Input | undefined
    /**
     * Stop in order when this completes (besides SIGINT/SIGTERM in {@link main}). It runs once
     * the applications have started, so it can use them.
     */
    readonly until?: Effect.Effect<unknown, never, Node.Node> | undefined
    /**
     * Stop in order when this is aborted, at any moment: while the applications start, the one
     * being started finishes and the rest are not started. {@link main} aborts on SIGINT/SIGTERM.
     */
    readonly signal?: AbortSignal | undefined
  }
): Effect.Effect<
    | { readonly _tag: "Stopped"; readonly status: 0 }
    | { readonly _tag: "Failed"; readonly status: 1; readonly failure: { readonly application: string; readonly reason: ExitReason.ExitReason } }
    | { readonly _tag: "StartFailed"; readonly status: 2; readonly error: DependencyCycle | UnknownApplication | DuplicateApplication | InvalidConfig | StartFailed }
    | { readonly _tag: "ShutdownTimeout"; readonly status: 3 },
  never,
  R
> => {
  const shutdownTimeout = options?.shutdownTimeout ?? "30 seconds"
  const signal = options?.signal
  const aborted = signal === undefined ? undefined : () => signal.aborted
  return Effect.gen(function*() {
    const c = yield* controller
    const started = yield* Effect.exit(
      Effect.flatMap(plan(c, app), (order) => startPlan(c, order, startType(options?.type ?? "permanent"), aborted))
    )
    if (Exit.isFailure(started)) {
      const error = Cause.findErrorOption(started.cause)
      yield* Effect.logError("applications could not be started", started.cause)
      yield* stopAllIn(c)
      if (Option.isSome(error)) return { _tag: "StartFailed", status: 2, error: error.value } as const
      return yield* Effect.failCause(started.cause as Cause.Cause<never>)
    }
    yield* Effect.logInfo(`started ${started.value.join(", ")}`).pipe(Effect.annotateLogs({ applications: started.value.join(",") }))
    const failed = (failure: Failure) => ({ _tag: "Failed", status: 1, failure }) as const
    const stopped = { _tag: "Stopped", status: 0 } as const
    const requests: Array<Effect.Effect<Outcome, never, Node.Node>> = [Effect.map(Deferred.await(c.failure), failed)]
    if (options?.until !== undefined) requests.push(Effect.as(options.until, stopped))
    if (signal !== undefined) requests.push(Effect.as(abortOf(signal), stopped))
    const ended: Outcome = Deferred.isDoneUnsafe(c.failure)
      ? failed(yield* Deferred.await(c.failure))
      : signal?.aborted === true
      ? stopped
      : yield* Effect.raceAllFirst(requests)
    if (ended._tag === "Failed") {
      yield* Effect.logError(`application ${ended.failure.application} failed: ${ExitReason.format(ended.failure.reason)}; stopping`)
    } else {
      yield* Effect.logInfo("stopping")
    }
    const done = yield* Effect.timeoutOption(stopAllIn(c), shutdownTimeout)
    if (Option.isNone(done)) {
      yield* Effect.logError("shutdown did not finish in time")
      return { _tag: "ShutdownTimeout", status: 3 } as const
    }
    return ended
  }).pipe(
    // Interrupted, or a defect (in `until`, in a callback's code outside a process): what runs
    // is stopped in order all the same, before the node goes.
    Effect.onError((cause) =>
      Effect.andThen(
        Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError("the program failed; stopping the applications", cause),
        Effect.ignore(Effect.timeoutOption(stopAll, shutdownTimeout))
      )
    ),
    Effect.provide(Node.layer(options?.node !== undefined ? { name: options.node } : undefined))
  ) as any
}

/** Completes when `signal` is aborted (at once if it is). */
const abortOf = (signal: AbortSignal): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    if (signal.aborted) return resume(Effect.void)
    const onAbort = () => resume(Effect.void)
    signal.addEventListener("abort", onAbort, { once: true })
    return Effect.sync(() => signal.removeEventListener("abort", onAbort))
  })

/** A signal within this long of the first is the first delivered again (see {@link main}). */
const repeatWindowMs = 1000

/** The exit status of a program cut short by a second signal: 128 + the signal's number. */
const forcedStatus = (signal: NodeJS.Signals): number => (signal === "SIGINT" ? 130 : 143)

/**
 * The entry point of a program: runs `app` (see {@link run}) until SIGINT or SIGTERM (or
 * `until`), stops everything in reverse order, and sets the process exit status (see the
 * module doc). The signals are handled from the call on: a signal during the start stops what
 * was started; a second signal exits at once (status 130 or 143); a repeat within a second of
 * the first is that signal delivered twice (the terminal's Ctrl-C, and npm's passed on).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Supervisor } from "effect-otp"
 *
 * const db = Application.make({ name: "db", start: () => Supervisor.startLink([]) })
 * const web = Application.make({ name: "web", dependencies: [db], start: () => Supervisor.startLink([]) })
 * // The program's entry: starts web (and db), stops both in order on SIGINT/SIGTERM.
 * Application.main(web).then((outcome) => process.exit(outcome.status))
 * ```
 *
 * @category main
 * @since 0.1.0
 */
export const main = <C>(app: Application<C, never>, options?: Parameters<typeof run>[1]): Promise<Effect.Success<ReturnType<typeof run>>> => {
  // Node, Bun and Deno have a `process` with signals and an exit status; a browser has none:
  // there `main` runs until `until`, `signal` or a failure, and only gives the outcome.
  const host = nodeProcess()
  const stop = new AbortController()
  let firstSignalAt: number | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    const now = performance.now()
    if (firstSignalAt === undefined) {
      firstSignalAt = now
      stop.abort()
      return
    }
    // One Ctrl-C arrives twice under a launcher (the terminal's, and npm's passed on), within
    // milliseconds; a person who wants out presses again once the shutdown seems to hang.
    if (now - firstSignalAt < repeatWindowMs) return
    // A second signal: whoever sent it does not want to wait for the shutdown.
    cleanup()
    host?.stderr.write(`effect-otp: second ${signal} before the shutdown finished; exiting now\n`)
    host?.exit(forcedStatus(signal))
  }
  host?.on("SIGINT", onSignal)
  host?.on("SIGTERM", onSignal)
  const given = options?.signal
  const onGiven = () => stop.abort()
  if (given !== undefined) {
    if (given.aborted) stop.abort()
    else given.addEventListener("abort", onGiven, { once: true })
  }
  // Processes waiting for messages hold no timer or socket: keep the program alive until it
  // has stopped.
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1)
  const cleanup = () => {
    clearInterval(keepAlive)
    host?.removeListener("SIGINT", onSignal)
    host?.removeListener("SIGTERM", onSignal)
    given?.removeEventListener("abort", onGiven)
  }
  return Effect.runPromise(run(app, { ...options, signal: stop.signal })).then(
    (outcome) => {
      cleanup()
      if (host !== undefined) host.exitCode = outcome.status
      return outcome
    },
    (defect) => {
      cleanup()
      if (host !== undefined) host.exitCode = 1
      throw defect
    }
  )
}

/** Node's `process` (also Bun's and Deno's), if this runtime has one with signals. */
const nodeProcess = (): NodeJS.Process | undefined => {
  const candidate = (globalThis as { readonly process?: unknown }).process
  return typeof candidate === "object" && candidate !== null && typeof (candidate as NodeJS.Process).on === "function"
    ? candidate as NodeJS.Process
    : undefined
}
