/**
 * The observer: a live web page served by the program itself, Erlang's `observer` for
 * effect-otp. It shows, for each node of the program, the supervision tree of every application
 * (and of supervisors started outside one), every process with its status, mailbox length,
 * message rate, registered name, links and monitors (and a state machine's current state), a
 * process's state on click, the recent crash reports, and the trace of the processes being
 * traced; and it can kill a process or turn its trace on and off.
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
 * - It listens on `127.0.0.1` unless `host` says otherwise, and answers only requests whose
 *   `Host` header is exactly an address it serves: `127.0.0.1:<port>`, `localhost:<port>`,
 *   `[::1]:<port>` and `<host>:<port>` (for a wildcard `host` such as `0.0.0.0`, the machine's
 *   own addresses and hostname). Anything else, `127.evil.example` included, gets `403`, so a
 *   DNS-rebinding page cannot read it. Behind a proxy, have the proxy pass the original `Host`.
 * - Reading is open to whoever reaches the port; every action (kill, trace) needs the token
 *   printed at start, sent as the `x-observer-token` header (the printed address carries it in
 *   its query, for the page). Without it an action gets `401`, with a wrong one `403`: opening
 *   the port to others never hands out control by accident.
 * - A process's state is shown as its module's `formatStatus` shows it (`Sys.getStatus`), so a
 *   module can redact secrets. Only processes on the generic loop (GenServers, state machines,
 *   supervisors) are asked: a plain process never gets a system message it does not expect.
 * - A StateMachine's current state (`open`) shows in the process table and the trees, read from
 *   the machine without a message at each poll, and on click its state and its data apart (the
 *   data as its `formatStatus` shows it).
 * - Reads are bounded, whatever the node holds: a snapshot lists one page of the process table
 *   and at most 1000 tree nodes (each supervisor its first 100 children, the rest counted), and
 *   a state shows at most 100 entries per object, array, Map or Set and 64 KB in all, ending
 *   with a `truncated` marker when cut.
 * - A poll costs what it answers plus what changed, not what the node holds: the page of the
 *   table and a process's lookup read an index of the node's alive processes by pid (made at
 *   the observer's first read of the node, then kept by spawns and exits: one `Map` entry per
 *   process while the node runs), and each supervisor's children are kept between polls and
 *   asked again only once it was sent a message (a request, a child's exit, a restart timer).
 *   A page far into the table walks the index up to it. With 100k processes or 1k supervisors of
 *   100 children a poll takes a few milliseconds (`bench/observer-poll.ts`).
 * - Bad requests get a JSON `{ "error": … }` with a 4xx status: `400` malformed pid, body or
 *   parameter, `404` unknown node, process or route, `405` wrong method, `409` an action the
 *   process cannot take (state or trace of a plain process).
 *
 * ## API (what the page uses)
 *
 * | request | answer |
 * |---|---|
 * | `GET /` | the page (self-contained: inline script and style) |
 * | `GET /api/snapshot?node=&offset=&limit=&trees=` | node, applications and trees (those of supervisors outside an application from the `trees`-th on, default 0, as many as 1000 tree nodes hold), one page of the processes (`limit` rows from `offset`, default 100, at most 1000) with their `total`, crash reports, traces |
 * | `GET /api/process?pid=&node=` | one process: info, and status with formatted state (a state machine's also as `machine`: `state`, `data`) |
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
import { hostname, networkInterfaces } from "node:os"
import { allowedHosts, app } from "./internal/http.js"
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
 * The running observer, provided by {@link layer}: its address and token.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Observer } from "effect-otp/observer"
 *
 * const printUrl = Observer.Observer.use((info) => Effect.log(`observer at ${info.url}`))
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export const Observer: Context.Service<Observer, Info> = Context.Service<Observer, Info>("effect-otp/Observer")

/**
 * The identifier of the {@link Observer} service in an Effect's requirements.
 *
 * @category services
 * @since 0.1.0
 */
export interface Observer {
  /** Brands the service's identifier. */
  readonly "~effect-otp/Observer": "~effect-otp/Observer"
}

/**
 * The observer could not start: `@effect/platform-node` is not installed, or the server could
 * not listen (the port is taken).
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Observer } from "effect-otp/observer"
 *
 * // Run without the observer when it cannot start.
 * const optional = Observer.layer({ port: 0 }).pipe(
 *   Layer.catchTag("ObserverStartError", (e) => Layer.effectDiscard(Effect.logWarning(e.message)))
 * )
 * ```
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
    const machine = [hostname(), ...Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address))]
    // Untraced: the page polls every second, and a program's tracer (its trace backend) should
    // not get a span per poll; telemetry does not record the observer's requests either.
    yield* server.serve(app({ token, hosts: allowedHosts(host, port, machine) }, journal)).pipe(Effect.withTracerEnabled(false))
    const shown = host.includes(":") ? `[${host}]` : host
    const info: Info = { host, port, token, url: `http://${shown}:${port}/?token=${token}` }
    if (options?.print !== false) yield* Console.log(`observer: ${info.url}`)
    return info
  }))
  return Layer.merge(server, Logger.layer([journalLogger(journal)], { mergeWithExisting: true }))
}
