/**
 * The observer: a live web page served by the program itself, Erlang's `observer` for
 * effect-otp. It shows, for each node of the program, the supervision tree of every application
 * (and of supervisors started outside one), every process with its status, mailbox length,
 * message rate, registered name, links and monitors, a process's state on click, the recent
 * crash reports, and the trace of the processes being traced; and it can kill a process or turn
 * its trace on and off.
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Application } from "effect-otp"
 * import { Observer } from "effect-otp/observer"
 *
 * declare const Shop: Application.Application
 *
 * // Prints `observer: http://127.0.0.1:4000/?token=…` at start; open that address.
 * Application.run(Shop).pipe(Effect.provide(Observer.layer({ port: 4000 })), Effect.runFork)
 * ```
 *
 * ## Safety
 *
 * - It listens on `127.0.0.1` unless `host` says otherwise, and then answers only requests
 *   addressed to a loopback name (a DNS-rebinding page cannot reach it).
 * - Reading is open to whoever reaches the port; every action (kill, trace) needs the token
 *   printed at start, sent as the `x-observer-token` header (the printed address carries it in
 *   its query, for the page). Without it an action gets `401`, with a wrong one `403`: opening
 *   the port to others never hands out control by accident.
 * - A process's state is shown as its module's `formatStatus` shows it (`Sys.getStatus`), so a
 *   module can redact secrets. Only processes on the generic loop (GenServers, supervisors) are
 *   asked: a plain process never gets a system message it does not expect.
 * - Bad requests get a JSON `{ "error": … }` with a 4xx status: `400` malformed pid, body or
 *   parameter, `404` unknown node, process or route, `405` wrong method, `409` an action the
 *   process cannot take (state or trace of a plain process).
 *
 * ## API (what the page uses)
 *
 * | request | answer |
 * |---|---|
 * | `GET /` | the page (self-contained: inline script and style) |
 * | `GET /api/snapshot?node=` | node, applications and trees, processes, crash reports, traces |
 * | `GET /api/process?pid=&node=` | one process: info, and status with formatted state |
 * | `POST /api/kill` `{ pid, node? }` | sends `kill` |
 * | `POST /api/trace` `{ pid, enabled, node? }` | `Sys.trace` |
 *
 * Crash reports and traces are the log entries of supervisor reports and of traced processes:
 * the layer adds a logger (next to the existing ones) that keeps the recent ones.
 *
 * Needs `@effect/platform-node`, loaded when the layer starts: importing `effect-otp/observer`
 * does not load it (and importing `effect-otp` loads none of the observer).
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as HttpServerError from "effect/http/HttpServerError"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { randomBytes } from "node:crypto"
import { app, isLoopback } from "./internal/http.js"
import { Journal, journalLogger } from "./internal/journal.js"

// ----------------------------------------------------------------------------
// Models
// ----------------------------------------------------------------------------

/**
 * Options of {@link layer}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** The port (0 picks a free one; the observer reports which). Default 0. */
  readonly port?: number | undefined
  /** The address to listen on. Default `127.0.0.1`. */
  readonly host?: string | undefined
  /** The token actions need. Default: 24 random bytes, printed at start. */
  readonly token?: string | undefined
  /** How many crash reports and trace lines to keep (each). Default 100. */
  readonly keep?: number | undefined
  /** Print the address and token at start (default true). */
  readonly print?: boolean | undefined
}

/**
 * A running observer: where it listens and the token its actions need.
 *
 * @category models
 * @since 0.1.0
 */
export interface Info {
  /** The address it listens on. */
  readonly host: string
  /** The port it listens on (the one picked, when asked for 0). */
  readonly port: number
  /** The page's address, with the token in its query. */
  readonly url: string
  /** The token actions need, in the `x-observer-token` header. */
  readonly token: string
}

/**
 * The running observer, provided by {@link layer}.
 *
 * @category services
 * @since 0.1.0
 */
export class Observer extends Context.Service<Observer, Info>()("effect-otp/Observer") {}

/**
 * The observer could not start: `@effect/platform-node` is not installed, or the server could
 * not listen (the port is taken).
 *
 * @category errors
 * @since 0.1.0
 */
export class StartError extends Data.Error<{
  /** `dependency`: `@effect/platform-node` could not be loaded; `listen`: the server could not listen. */
  readonly reason: "dependency" | "listen"
  /** The underlying error: the failed import, or the server's `ServeError`. */
  readonly cause: unknown
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "ObserverStartError"
  static {
    this.prototype.name = "ObserverStartError"
  }
  /** The human-readable message: what to install, or why it could not listen. */
  override get message(): string {
    return this.reason === "dependency"
      ? "the observer needs @effect/platform-node (npm install @effect/platform-node)"
      : `the observer could not listen: ${String(causeOf(this.cause) ?? this.cause)}`
  }
}

/** The cause a `ServeError` carries (the listen error of Node's server). */
const causeOf = (error: unknown): unknown =>
  typeof error === "object" && error !== null && "cause" in error ? error.cause : undefined

/**
 * One supervisor report as the observer keeps it.
 *
 * @category models
 * @since 0.1.0
 */
export interface CrashReport {
  /** When it was logged, as an ISO 8601 date. */
  readonly time: string
  /** The name of the supervisor's node. */
  readonly node: string
  /** The supervisor's pid, printed (`<0.12.0>`). */
  readonly supervisor: string
  /** The id of the child. */
  readonly child: string
  /** The child's pid, printed (empty when the report names none). */
  readonly pid: string
  /** The child's exit reason, formatted. */
  readonly reason: string
  /** What the supervisor did: `restart`, `none` (not restarted), or `shutdown` (it reached its restart intensity). */
  readonly action: string
}

/**
 * One line of a traced process (`Sys.trace`).
 *
 * @category models
 * @since 0.1.0
 */
export interface TraceLine {
  /** When it was logged, as an ISO 8601 date. */
  readonly time: string
  /** The name of the process's node. */
  readonly node: string
  /** The traced process's pid, printed. */
  readonly pid: string
  /** The logged text, e.g. a message it got or a reply it sent. */
  readonly message: string
}

/**
 * A node of a supervision tree in a {@link Snapshot}: a supervisor with its children, or a
 * worker. `pid` is `"restarting"` for a child waiting for its restart.
 *
 * @category models
 * @since 0.1.0
 */
export interface TreeNode {
  /** The process's pid, printed; for a child not running, `restarting` or `undefined`. */
  readonly pid: string
  /** The child's id in its supervisor (`root` for an application's root); absent for a tree's top outside any application. */
  readonly id?: string | undefined
  /** The process's registered name, if any. */
  readonly name?: string | undefined
  /** Whether it is a supervisor (with `children`) or a worker. */
  readonly kind: "supervisor" | "worker"
  /** The process's status (as in {@link ProcessRow}), or `restarting` / `not running` for a child without a process. */
  readonly status?: string | undefined
  /** A supervisor's children, in start order (the first 100). */
  readonly children?: ReadonlyArray<TreeNode> | undefined
  /** Children not listed (a dynamic supervisor's past the first 100). */
  readonly more?: number | undefined
  /** Why a supervisor's children are not listed, e.g. `children unknown: busy` when it did not answer within 1 second. */
  readonly error?: string | undefined
}

/**
 * One process in a {@link Snapshot}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ProcessRow {
  /** The process's pid, printed. */
  readonly pid: string
  /** Its registered name, if any. */
  readonly name?: string | undefined
  /** `running`, `waiting`, `runnable` or `suspended`, as `Process.info` reports it. */
  readonly status: string
  /** How many messages wait in its mailbox. */
  readonly mailbox: number
  /** Messages delivered to it so far (the page derives its message rate). */
  readonly delivered: number
  /** The pids it is linked to, printed. */
  readonly links: ReadonlyArray<string>
  /** The pids it monitors, printed. */
  readonly monitors: ReadonlyArray<string>
  /** The pids monitoring it, printed. */
  readonly monitoredBy: ReadonlyArray<string>
  /** Whether it traps exits. */
  readonly trapExit: boolean
  /** The name of the module it runs (GenServers and supervisors); absent for a plain process. */
  readonly module?: string | undefined
  /** The version of that module. */
  readonly version?: string | undefined
  /** Traced through the observer. */
  readonly trace: boolean
}

/**
 * What `GET /api/snapshot` answers.
 *
 * @category models
 * @since 0.1.0
 */
export interface Snapshot {
  /** The name of the node described. */
  readonly node: string
  /** The names of every live node of the program. */
  readonly nodes: ReadonlyArray<string>
  /** Milliseconds of the `Clock` when the snapshot was taken, for rates. */
  readonly time: number
  /** The running applications, in start order, each with its root's supervision tree (`undefined` when the root is gone). */
  readonly applications: ReadonlyArray<{
    readonly name: string
    readonly version: string
    readonly type: string
    readonly master: string
    readonly tree: TreeNode | undefined
  }>
  /** Trees of supervisors outside any application. */
  readonly trees: ReadonlyArray<TreeNode>
  /** The live processes, oldest first: the first 2000. */
  readonly processes: ReadonlyArray<ProcessRow>
  /** How many live processes are not listed in `processes`. */
  readonly moreProcesses: number
  /** The node's recent crash reports, oldest first (at most `keep` for the whole program). */
  readonly crashes: ReadonlyArray<CrashReport>
  /** The node's recent trace lines, oldest first (at most `keep` for the whole program). */
  readonly traces: ReadonlyArray<TraceLine>
}

// ----------------------------------------------------------------------------
// The layer
// ----------------------------------------------------------------------------

/**
 * Serves the observer while the layer is up, and prints its address with the token. It observes
 * every node of the program (`Node.layer`, `Application.run`), so provide it around them; it
 * adds a logger to the program's loggers to keep crash reports and traces.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node, Process } from "effect-otp"
 * import { Observer } from "effect-otp/observer"
 *
 * declare const program: Effect.Effect<void, never, Node.Node>
 *
 * const main = program.pipe(
 *   Effect.provide(Node.layer()),
 *   Effect.provide(Observer.layer({ port: 4000 }))
 * )
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options?: Options): Layer.Layer<Observer, StartError> => {
  const journal = new Journal(options?.keep ?? 100)
  const server = Layer.effect(Observer)(Effect.gen(function*() {
    const host = options?.host ?? "127.0.0.1"
    const token = options?.token ?? randomBytes(24).toString("base64url")
    const [NodeHttpServer, Http] = yield* Effect.tryPromise({
      try: () => Promise.all([import("@effect/platform-node/NodeHttpServer"), import("node:http")]),
      catch: (cause) => new StartError({ reason: "dependency", cause })
    })
    const server = yield* NodeHttpServer.make(() => Http.createServer(), { port: options?.port ?? 0, host }).pipe(
      Effect.mapError((cause: HttpServerError.ServeError) => new StartError({ reason: "listen", cause }))
    )
    const address = server.address
    const port = address._tag === "UnixPathAddress" ? 0 : address.port
    yield* server.serve(app({ token, loopbackOnly: isLoopback(host) }, journal))
    const shown = host.includes(":") ? `[${host}]` : host
    const info: Info = { host, port, token, url: `http://${shown}:${port}/?token=${token}` }
    if (options?.print !== false) yield* Console.log(`observer: ${info.url}`)
    return info
  }))
  return Layer.merge(server, Logger.layer([journalLogger(journal)], { mergeWithExisting: true }))
}
