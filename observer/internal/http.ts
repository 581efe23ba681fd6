/**
 * The observer's HTTP API and page: routes, the token check on actions, the Host guard, and
 * the JSON answers (a 4xx as data until it becomes a response).
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Option from "effect/Option"
import { timingSafeEqual } from "node:crypto"
import { isStateMachine, machineParts, showState } from "./state.js"
import * as ExitReason from "../../lib/ExitReason.js"
import { Node } from "../../lib/Node.js"
import type { Pid } from "../../lib/Pid.js"
import * as Process from "../../lib/Process.js"
import * as Sys from "../../lib/Sys.js"
import type { Journal } from "./journal.js"
import { page } from "./page.js"
import { ask, deliveredOf, findNode, findProcess, genericModule, pageSize, snapshot } from "./snapshot.js"

const callTimeout = { timeout: "1 second" } as const

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

const loopbackNames = ["127.0.0.1", "localhost", "[::1]"]
const wildcards = new Set(["0.0.0.0", "::", "[::]"])

/** A host as it appears in a `Host` header: an IPv6 address in brackets, lower case. */
const bracketed = (host: string): string => {
  const lower = host.toLowerCase()
  return lower.includes(":") && !lower.startsWith("[") ? `[${lower}]` : lower
}

/**
 * The exact `Host` headers the observer answers (a DNS-rebinding page sends its own name, which
 * is never among them): the loopback names and the bound host, each with the port (and without
 * it on port 80, where browsers omit it). A wildcard host (`0.0.0.0`, `::`) is reached through
 * the machine's own addresses and hostname, so those are added.
 */
export const allowedHosts = (host: string, port: number, machine: ReadonlyArray<string> = []): ReadonlySet<string> => {
  const names = new Set([...loopbackNames, bracketed(host)])
  if (wildcards.has(host)) for (const name of machine) names.add(bracketed(name))
  for (const name of wildcards) names.delete(name)
  const allowed = new Set<string>()
  for (const name of names) {
    allowed.add(`${name}:${port}`)
    if (port === 80) allowed.add(name)
  }
  return allowed
}

interface Route {
  readonly methods: ReadonlyArray<string>
  readonly handle: (
    request: HttpServerRequest.HttpServerRequest,
    url: URL
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse, HttpFailure>
}

/** The observer's HTTP app: answers every request, never fails. */
export const app = (info: { readonly token: string; readonly hosts: ReadonlySet<string> }, journal: Journal) => {
  const nodeOf = (name: string | null | undefined) => {
    const node = findNode(name ?? null)
    return node === undefined ? fail(404, name ? `no node ${JSON.stringify(name)}` : "no node is running") : Effect.succeed(node)
  }
  const processOf = (node: Node, pid: unknown): Effect.Effect<Pid, HttpFailure> => {
    if (typeof pid !== "string" || !pidPattern.test(pid)) {
      return fail(400, `bad pid ${JSON.stringify(pid)}: expected the form <0.12.0>`)
    }
    const process = findProcess(node, pid)
    return process === undefined ? fail(404, `no live process ${pid} on ${node.name}`) : Effect.succeed(process)
  }
  const isGeneric = (node: Node, process: Pid) => Effect.sync(() => genericModule(node, process))
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
  /** The query parameter `name`, a whole number from `min` to `max`, or `fallback` when absent. */
  const integer = (url: URL, name: string, fallback: number, min: number, max: number) => {
    const text = url.searchParams.get(name)
    if (text === null || text === "") return Effect.succeed(fallback)
    const value = Number(text)
    return /^\d+$/.test(text) && value >= min && value <= max
      ? Effect.succeed(value)
      : fail(400, `${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text.slice(0, 40))}`)
  }
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
        Effect.gen(function*() {
          const node = yield* nodeOf(url.searchParams.get("node"))
          const offset = yield* integer(url, "offset", 0, 0, Number.MAX_SAFE_INTEGER)
          const limit = yield* integer(url, "limit", pageSize.default, 1, pageSize.max)
          const trees = yield* integer(url, "trees", 0, 0, Number.MAX_SAFE_INTEGER)
          return json(yield* snapshot(node, journal, { offset, limit, trees }))
        })
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
            bound: Option.getOrUndefined(info.mailbox),
            delivered: deliveredOf(process),
            links: info.links.map(String),
            monitors: info.monitors.map(String),
            monitoredBy: info.monitoredBy.map(String),
            trapExit: info.trapExit
          }
          const module = yield* isGeneric(node, process)
          if (module === undefined) {
            return json({ info: row, note: "a plain process: no state to show (it does not run the generic loop)" })
          }
          const status = yield* ask(process, Sys.getStatus(process, callTimeout)).pipe(
            Effect.withTracerEnabled(false),
            Effect.mapError((error) =>
              new HttpFailure({ status: 409, error: `${String(process)} did not answer: ${error._tag}` })
            )
          )
          // A state machine's state and data apart: its state, short, and its data (as its
          // formatStatus shows it), bounded as any state is.
          const parts = isStateMachine(module) ? machineParts(status.state) : undefined
          const data = parts === undefined ? undefined : showState(parts.data)
          return json({
            info: row,
            status: {
              module: status.module,
              version: status.version,
              status: status.status,
              trace: status.trace,
              ...showState(status.state),
              machine: parts === undefined || data === undefined
                ? undefined
                : { state: parts.state, data: data.state, truncated: data.truncated }
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
          yield* ask(process, Sys.trace(process, enabled, callTimeout)).pipe(
            Effect.mapError((error) => new HttpFailure({ status: 409, error: `${String(process)} did not answer: ${error._tag}` }))
          )
          if (enabled) journal.traced.add(process)
          else journal.traced.delete(process)
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
    const host = request.headers["host"] ?? ""
    if (!info.hosts.has(host.toLowerCase())) {
      return json({ error: `host ${JSON.stringify(host.slice(0, 100))} is not an address this observer serves` }, 403)
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
