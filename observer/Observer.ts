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
 * Needs `@effect/platform-node` (loaded when the layer starts, so the rest of the library does
 * not depend on it).
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as HttpServerError from "effect/http/HttpServerError"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as References from "effect/References"
import { randomBytes, timingSafeEqual } from "node:crypto"
import { inspect } from "node:util"
import * as Code from "../lib/Code.js"
import * as ExitReason from "../lib/ExitReason.js"
import { currentProcessOf, type NodeRuntime, type ProcessImpl, Status, statusName } from "../lib/internal/runtime.js"
import { liveNodes, Node, runtimeOf } from "../lib/Node.js"
import type { Pid } from "../lib/Pid.js"
import * as Process from "../lib/Process.js"
import * as Sys from "../lib/Sys.js"
import * as Application from "../behaviours/Application.js"
import * as DynamicSupervisor from "../behaviours/DynamicSupervisor.js"
import { page } from "./internal/page.js"
import * as Supervisor from "../behaviours/Supervisor.js"

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
export class StartError extends Data.TaggedError("ObserverStartError")<{
  /** `dependency`: `@effect/platform-node` could not be loaded; `listen`: the server could not listen. */
  readonly reason: "dependency" | "listen"
  /** The underlying error: the failed import, or the server's `ServeError`. */
  readonly cause: unknown
}> {
  /** The human-readable message: what to install, or why it could not listen. */
  override get message(): string {
    return this.reason === "dependency"
      ? "the observer needs @effect/platform-node (npm install @effect/platform-node)"
      : `the observer could not listen: ${String((this.cause as { cause?: unknown })?.cause ?? this.cause)}`
  }
}

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
// What the observer keeps
// ----------------------------------------------------------------------------

class Journal {
  readonly crashes: Array<CrashReport> = []
  readonly traces: Array<TraceLine> = []
  /** Pids traced through the observer, by node. */
  readonly traced = new Set<ProcessImpl>()
  constructor(readonly keep: number) {}
  push<A>(list: Array<A>, entry: A): void {
    list.push(entry)
    if (list.length > this.keep) list.splice(0, list.length - this.keep)
  }
}

const formatReason = (value: unknown): string => {
  const text = ExitReason.isExitReason(value) ? ExitReason.format(value) : typeof value === "string" ? value : inspect(value)
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text
}

/** Keeps supervisor reports and the log lines of traced processes. */
const journalLogger = (journal: Journal) =>
  Logger.make<unknown, void>(({ date, fiber, message }) => {
    const annotations = fiber.getRef(References.CurrentLogAnnotations)
    const parts = Array.isArray(message) ? message : [message]
    const self = currentProcessOf(fiber)
    const node = self?.node ?? Context.getOrUndefined(fiber.context, Node)?.name ?? "?"
    if (annotations["report"] === "supervisor" && annotations["child"] !== undefined) {
      journal.push(journal.crashes, {
        time: date.toISOString(),
        node,
        supervisor: String(annotations["supervisor"]),
        child: String(annotations["child"]),
        pid: String(annotations["pid"] ?? ""),
        reason: formatReason(parts.length > 1 ? parts[1] : annotations["reason"]),
        action: String(annotations["action"] ?? "")
      })
    } else if (self !== undefined && journal.traced.has(self)) {
      journal.push(journal.traces, {
        time: date.toISOString(),
        node,
        pid: String(self),
        message: parts.map((p) => (typeof p === "string" ? p : inspect(p, { depth: 3 }))).join(" ")
      })
    }
  })

// ----------------------------------------------------------------------------
// Reading a node
// ----------------------------------------------------------------------------

const statusOf = (p: ProcessImpl): string =>
  p.status < Status.Exiting && p.runtime.suspended.has(p) ? "suspended" : statusName(p.status)

const supervisorModules = new Set(["Supervisor", "DynamicSupervisor"])

const processLimit = 2000
const childLimit = 100
const callTimeout = { timeout: "1 second" } as const

const findNode = (name: string | null): Node | undefined => {
  const nodes = [...liveNodes()]
  return name === null || name === "" ? nodes[0] : nodes.find((n) => n.name === name)
}

const findProcess = (runtime: NodeRuntime, pid: string): ProcessImpl | undefined => {
  for (let p = runtime.first; p !== undefined; p = p.next) {
    if (String(p) === pid && p.status < Status.Exiting) return p
  }
  return undefined
}

const snapshot = (node: Node, journal: Journal): Effect.Effect<Snapshot> =>
  Effect.gen(function*() {
    const runtime = runtimeOf(node)
    const modules = new Map<Pid, Code.Module>(yield* Code.running)
    const live = runtime.processes().filter((p) => p.status < Status.Exiting)
    const supervisors = live.filter((p) => supervisorModules.has(modules.get(p)?.name ?? ""))
    // Each supervisor's children, asked concurrently.
    const childrenOf = new Map<ProcessImpl, ReadonlyArray<Supervisor.ChildInfo> | string>()
    yield* Effect.forEach(
      supervisors,
      (sup) =>
        (modules.get(sup)!.name === "Supervisor"
          ? Supervisor.whichChildren(sup)
          : DynamicSupervisor.whichChildren(sup)).pipe(
            Effect.timeoutOption("1 second"),
            Effect.match({
              onFailure: (error) => childrenOf.set(sup, `children unknown: ${error._tag}`),
              onSuccess: (children) =>
                childrenOf.set(sup, Option.isSome(children) ? children.value : "children unknown: busy")
            })
          ),
      { concurrency: "unbounded", discard: true }
    )
    const isChild = new Set<unknown>()
    for (const children of childrenOf.values()) {
      if (typeof children !== "string") for (const c of children) if (typeof c.pid === "object") isChild.add(c.pid)
    }
    const tree = (p: ProcessImpl, id: string | undefined, depth: number): TreeNode => {
      const children = childrenOf.get(p)
      const base = { pid: String(p), id, name: p.name, status: statusOf(p) }
      if (children === undefined) return { ...base, kind: supervisorModules.has(modules.get(p)?.name ?? "") ? "supervisor" : "worker" }
      if (typeof children === "string") return { ...base, kind: "supervisor", error: children }
      const listed = children.slice(0, childLimit).map((c): TreeNode => {
        if (typeof c.pid !== "object") return { pid: c.pid ?? "undefined", id: c.id, kind: c.type, status: c.pid ?? "not running" }
        const child = c.pid as ProcessImpl
        return depth > 32 ? { pid: String(child), id: c.id, kind: c.type } : tree(child, c.id, depth + 1)
      })
      return {
        ...base,
        kind: "supervisor",
        children: listed,
        more: children.length > childLimit ? children.length - childLimit : undefined
      }
    }
    const inApplication = new Set<ProcessImpl>()
    const applications = (yield* Application.which).map((app) => {
      const master = app.master as ProcessImpl
      const root = master.links === undefined ? undefined : [...master.links].find((p) => p.status < Status.Exiting)
      if (root !== undefined) inApplication.add(root)
      return {
        name: app.name,
        version: app.version,
        type: app.type,
        master: String(master),
        tree: root === undefined ? undefined : tree(root, "root", 0)
      }
    })
    const trees = supervisors.filter((s) => !isChild.has(s) && !inApplication.has(s)).map((s) => tree(s, undefined, 0))
    const shown = live.slice(0, processLimit)
    const processes = shown.map((p): ProcessRow => {
      const module = modules.get(p)
      return {
        pid: String(p),
        name: p.name,
        status: statusOf(p),
        mailbox: p.messageCount,
        delivered: p.delivered,
        links: p.links ? [...p.links].map(String) : [],
        monitors: p.monitors ? [...p.monitors.values()].map((m) => String(m.target)) : [],
        monitoredBy: p.monitoredBy ? [...p.monitoredBy.values()].map((m) => String(m.watcher)) : [],
        trapExit: p.trapExit,
        module: module?.name,
        version: module?.version,
        trace: journal.traced.has(p)
      }
    })
    return {
      node: node.name,
      nodes: [...liveNodes()].map((n) => n.name),
      time: yield* Clock.currentTimeMillis,
      applications,
      trees,
      processes,
      moreProcesses: live.length - shown.length,
      crashes: journal.crashes.filter((c) => c.node === node.name),
      traces: journal.traces.filter((t) => t.node === node.name)
    }
  }).pipe(Effect.provideService(Node, node), Effect.withTracerEnabled(false))

// ----------------------------------------------------------------------------
// HTTP
// ----------------------------------------------------------------------------

/** A 4xx answer, as data until the handler turns it into a response. */
class HttpFailure extends Data.TaggedError("HttpFailure")<{
  readonly status: number
  readonly error: string
  readonly headers?: Record<string, string> | undefined
}> {}

const json = (body: unknown, status = 200): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.jsonUnsafe(body, { status, headers: { "cache-control": "no-store" } })

const fail = (status: number, error: string, headers?: Record<string, string>) =>
  Effect.fail(new HttpFailure({ status, error, headers }))

const pidPattern = /^<\d+\.\d+\.\d+>$/

/** The page is self-contained: nothing is loaded from elsewhere, and nothing frames it. */
const contentSecurityPolicy =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'"

const sameToken = (given: string, token: string): boolean => {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]", "::1"])
const isLoopback = (host: string): boolean => loopbackHosts.has(host) || host.startsWith("127.")

interface Route {
  readonly methods: ReadonlyArray<string>
  readonly handle: (
    request: HttpServerRequest.HttpServerRequest,
    url: URL
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse, HttpFailure>
}

const app = (info: { readonly token: string; readonly loopbackOnly: boolean }, journal: Journal) => {
  const nodeOf = (name: string | null | undefined) => {
    const node = findNode(name ?? null)
    return node === undefined ? fail(404, name ? `no node ${JSON.stringify(name)}` : "no node is running") : Effect.succeed(node)
  }
  const processOf = (node: Node, pid: unknown) => {
    if (typeof pid !== "string" || !pidPattern.test(pid)) {
      return fail(400, `bad pid ${JSON.stringify(pid)}: expected the form <0.12.0>`)
    }
    const process = findProcess(runtimeOf(node), pid)
    return process === undefined ? fail(404, `no live process ${pid} on ${node.name}`) : Effect.succeed(process)
  }
  const isGeneric = (node: Node, process: ProcessImpl) =>
    Effect.map(Code.running.pipe(Effect.provideService(Node, node)), (all) => all.find(([pid]) => pid === process)?.[1])
  const authorized = (request: HttpServerRequest.HttpServerRequest) => {
    const given = request.headers["x-observer-token"]
    if (given === undefined || given === "") return fail(401, "this action needs the token printed at start (x-observer-token header)")
    if (!sameToken(given, info.token)) return fail(403, "wrong token")
    return Effect.void
  }
  const body = (request: HttpServerRequest.HttpServerRequest) =>
    request.json.pipe(
      Effect.mapError(() => new HttpFailure({ status: 400, error: "the body must be JSON" })),
      Effect.flatMap((value) =>
        typeof value === "object" && value !== null && !Array.isArray(value)
          ? Effect.succeed(value as Record<string, unknown>)
          : fail(400, "the body must be a JSON object")
      )
    )
  const routes: Record<string, Route> = {
    "/": {
      methods: ["GET"],
      handle: () => Effect.succeed(HttpServerResponse.text(page, {
          contentType: "text/html; charset=utf-8",
          headers: { "cache-control": "no-store", "content-security-policy": contentSecurityPolicy }
        }))
    },
    "/favicon.ico": { methods: ["GET"], handle: () => Effect.succeed(HttpServerResponse.empty({ status: 204 })) },
    "/api/snapshot": {
      methods: ["GET"],
      handle: (_, url) =>
        Effect.flatMap(nodeOf(url.searchParams.get("node")), (node) => Effect.map(snapshot(node, journal), (s) => json(s)))
    },
    "/api/process": {
      methods: ["GET"],
      handle: (_, url) =>
        Effect.gen(function*() {
          const node = yield* nodeOf(url.searchParams.get("node"))
          const process = yield* processOf(node, url.searchParams.get("pid"))
          const info = (yield* Process.info(process)).pipe(Option.getOrUndefined)
          if (info === undefined) return yield* fail(404, `no live process ${String(process)}`)
          const row = {
            pid: String(process),
            name: Option.getOrUndefined(info.registeredName),
            status: info.status,
            mailbox: info.messageQueueLength,
            delivered: process.delivered,
            links: info.links.map(String),
            monitors: info.monitors.map(String),
            monitoredBy: info.monitoredBy.map(String),
            trapExit: info.trapExit
          }
          const module = yield* isGeneric(node, process)
          if (module === undefined) {
            return json({ info: row, note: "a plain process: no state to show (it does not run the generic loop)" })
          }
          const status = yield* Sys.getStatus(process, callTimeout).pipe(
            Effect.withTracerEnabled(false),
            Effect.mapError((error) =>
              new HttpFailure({ status: 409, error: `${String(process)} did not answer: ${error._tag}` })
            )
          )
          return json({
            info: row,
            status: {
              module: status.module,
              version: status.version,
              status: status.status,
              trace: status.trace,
              state: inspect(status.state, { depth: 8, maxArrayLength: 200, maxStringLength: 2000, breakLength: 100 })
            }
          })
        })
    },
    "/api/kill": {
      methods: ["POST"],
      handle: (request) =>
        Effect.gen(function*() {
          yield* authorized(request)
          const input = yield* body(request)
          const node = yield* nodeOf(typeof input["node"] === "string" ? input["node"] : undefined)
          const process = yield* processOf(node, input["pid"])
          yield* Process.exit(process, ExitReason.kill)
          return json({ ok: true, message: `sent kill to ${String(process)}` })
        })
    },
    "/api/trace": {
      methods: ["POST"],
      handle: (request) =>
        Effect.gen(function*() {
          yield* authorized(request)
          const input = yield* body(request)
          if (typeof input["enabled"] !== "boolean") return yield* fail(400, "enabled must be true or false")
          const enabled = input["enabled"]
          const node = yield* nodeOf(typeof input["node"] === "string" ? input["node"] : undefined)
          const process = yield* processOf(node, input["pid"])
          if ((yield* isGeneric(node, process)) === undefined) {
            return yield* fail(409, `${String(process)} is a plain process: only processes on the generic loop can be traced`)
          }
          yield* Sys.trace(process, enabled, callTimeout).pipe(
            Effect.mapError((error) => new HttpFailure({ status: 409, error: `${String(process)} did not answer: ${error._tag}` }))
          )
          if (enabled) {
            journal.traced.add(process)
            Process.watchExitUnsafe(process, () => journal.traced.delete(process))
          } else {
            journal.traced.delete(process)
          }
          return json({ ok: true, message: `trace ${enabled ? "on" : "off"} for ${String(process)}` })
        })
    }
  }
  return Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    let url: URL
    try {
      url = new URL(request.url, "http://observer.invalid")
    } catch {
      return json({ error: "bad request line" }, 400)
    }
    if (info.loopbackOnly) {
      const host = (request.headers["host"] ?? "").replace(/:\d+$/, "")
      if (!isLoopback(host)) return json({ error: `host ${JSON.stringify(host)} is not a loopback name` }, 403)
    }
    const route = routes[url.pathname]
    if (route === undefined) return json({ error: `no route ${url.pathname}` }, 404)
    if (!route.methods.includes(request.method)) {
      return HttpServerResponse.jsonUnsafe(
        { error: `${request.method} is not allowed on ${url.pathname}; use ${route.methods.join(", ")}` },
        { status: 405, headers: { allow: route.methods.join(", ") } }
      )
    }
    return yield* route.handle(request, url).pipe(
      Effect.catchTag("HttpFailure", (e) =>
        Effect.succeed(HttpServerResponse.jsonUnsafe({ error: e.error }, { status: e.status, headers: e.headers })))
    )
  }).pipe(
    Effect.catchCause((cause) => Effect.succeed(json({ error: `observer failure: ${Cause.pretty(cause)}` }, 500)))
  )
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
