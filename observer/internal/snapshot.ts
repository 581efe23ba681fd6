/**
 * Reading a node for the observer: its processes, the supervision trees of its applications and
 * of the supervisors outside one, through the public API of the process core and the behaviours
 * (`Process.processes`, `Process.info`, the code server's table (`lib/internal/code.ts`), `whichChildren`, `Application.which`).
 * Two things no public API gives come from the process core's module for the library's own
 * modules (`lib/internal/direct.ts`): the program's nodes (`liveNodes`) and the count of
 * messages delivered to a process, from which the page derives its message rate. Its requests
 * are unrecorded by telemetry (`lib/internal/telemetry.ts` `unrecorded`).
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Application from "../../behaviours/Application.js"
import * as DynamicSupervisor from "../../behaviours/DynamicSupervisor.js"
import * as Registry from "../../behaviours/Registry.js"
import * as Supervisor from "../../behaviours/Supervisor.js"
import * as Code from "../../lib/Code.js"
import { deliveredTo, liveNodes, mayBeAlive, processPage } from "../../lib/internal/direct.js"
import { Node } from "../../lib/Node.js"
import type { Pid } from "../../lib/Pid.js"
import * as Process from "../../lib/Process.js"
import * as Sys from "../../lib/Sys.js"
import { inspect } from "node:util"
import type { ProcessRow, Snapshot, TreeNode } from "./model.js"
import type { Journal } from "./journal.js"
import * as CodeInternal from "../../lib/internal/code.js"
import { unrecorded } from "../../lib/internal/telemetry.js"

const supervisorModules = new Set(["Supervisor", "DynamicSupervisor"])

/** A supervisor's children listed in its tree; the rest are counted in `more`. */
const childLimit = 100
/** Tree nodes listed in all, so a node with thousands of supervisors still answers a small snapshot. */
const treeBudget = 1000

/** The page of the process table a snapshot shows: `limit` rows from `offset`, oldest first. */
export interface Page {
  readonly offset: number
  readonly limit: number
}

/** The default page size, and the largest a request may ask for. */
export const pageSize = { default: 100, max: 1000 } as const

/** The live node named `name`, or the first live node when no name is given. */
export const findNode = (name: string | null): Node | undefined => {
  const nodes = [...liveNodes<Node>()]
  return name === null || name === "" ? nodes[0] : nodes.find((n) => n.name === name)
}

/** The live process of `node` printed as `pid` (`<0.12.0>`). */
export const findProcess = (node: Node, pid: string): Effect.Effect<Pid | undefined> =>
  Effect.map(Process.processes, (pids) => pids.find((p) => String(p) === pid)).pipe(
    Effect.provideService(Node, node)
  )

/**
 * The requests observers sent to each process (`which_children`, `get_status`, `trace`), shared
 * by every observer of the program. The process core counts every message it delivers with one
 * increment and no branch; rather than marking the observer's own requests on that hot path,
 * the observer counts what it sends and takes it off, so its polling never shows as traffic.
 * A `WeakMap`: a dead process's entry goes with it.
 */
const sentByObserver = new WeakMap<Pid, number>()

/**
 * Runs `request`, a call the observer makes to `pid`: counted as observer traffic, unless it
 * failed with `NoProc` (the process was gone before the request was sent: nothing delivered).
 */
export const ask = <A, E extends { readonly _tag: string }, R>(
  pid: Pid,
  request: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    sentByObserver.set(pid, (sentByObserver.get(pid) ?? 0) + 1)
    // Unrecorded by telemetry too (no span, no latency, not in the node's message counters).
    return Effect.tapError(unrecorded(pid, request), (error) =>
      Effect.sync(() => {
        if (error._tag === "NoProc") sentByObserver.set(pid, (sentByObserver.get(pid) ?? 1) - 1)
      }))
  })

/**
 * Messages delivered to the process so far, less the observers' own requests. No public API
 * counts them (`Process.info` gives the mailbox's length).
 */
export const deliveredOf = (pid: Pid): number => Math.max(0, deliveredTo(pid) - (sentByObserver.get(pid) ?? 0))

/** Whether the registry at `pid` has unique keys (a via name needs one): asked once per registry. */
const uniqueRegistries = new WeakMap<Pid, boolean>()
const isUnique = (registry: Pid): Effect.Effect<boolean> => {
  const known = uniqueRegistries.get(registry)
  if (known !== undefined) return Effect.succeed(known)
  return ask(registry, Sys.getStatus(registry, { timeout: "1 second" })).pipe(
    Effect.map((status) => {
      const state: unknown = status.state
      const unique = typeof state === "object" && state !== null && (state as { readonly unique?: unknown }).unique === true
      uniqueRegistries.set(registry, unique)
      return unique
    }),
    Effect.orElseSucceed(() => false)
  )
}

/** A registry key as the page shows it in a via name. */
const formatKey = (key: unknown): string => {
  const text = typeof key === "string" || typeof key === "number" ? JSON.stringify(key) : inspect(key, { depth: 2, breakLength: Infinity })
  return text.length > 100 ? `${text.slice(0, 100)}…` : text
}

/** The snapshot of `node` that `GET /api/snapshot` answers. */
export const snapshot = (node: Node, journal: Journal, page: Page = { offset: 0, limit: pageSize.default }): Effect.Effect<Snapshot> =>
  Effect.gen(function*() {
    // Traced processes that died are forgotten (a dead process logs nothing more).
    for (const pid of journal.traced) if (!(yield* Process.isAlive(pid))) journal.traced.delete(pid)
    // Only the processes on the generic loop and one page of the others are read: a poll costs
    // little on a node of 100k plain processes.
    const modules = new Map<Pid, Code.Module>(yield* CodeInternal.running)
    const supervisors: Array<Pid> = []
    for (const [pid, module] of modules) if (supervisorModules.has(module.name) && mayBeAlive(pid)) supervisors.push(pid)
    supervisors.sort((a, b) => a.id - b.id)
    // Each supervisor's children, asked concurrently.
    const childrenOf = new Map<Pid, ReadonlyArray<Supervisor.ChildInfo> | string>()
    yield* Effect.forEach(
      supervisors,
      (sup) =>
        ask(
          sup,
          modules.get(sup)?.name === "Supervisor" ? Supervisor.whichChildren(sup) : DynamicSupervisor.whichChildren(sup)
        ).pipe(
            Effect.timeoutOption("1 second"),
            Effect.match({
              onFailure: (error) => childrenOf.set(sup, `children unknown: ${error._tag}`),
              onSuccess: (children) =>
                childrenOf.set(sup, Option.isSome(children) ? children.value : "children unknown: busy")
            })
          ),
      { concurrency: "unbounded", discard: true }
    )
    const isChild = new Set<Pid>()
    for (const children of childrenOf.values()) {
      if (typeof children !== "string") for (const c of children) if (typeof c.pid === "object") isChild.add(c.pid)
    }
    // What `Process.info` says of each process shown, read once each; `undefined` once it exited.
    const infos = new Map<Pid, Option.Option.Value<Effect.Success<ReturnType<typeof Process.info>>> | undefined>()
    const read = (pids: Iterable<Pid>) =>
      Effect.forEach(
        pids,
        (pid) => infos.has(pid) ? Effect.void : Effect.map(Process.info(pid), (info) => void infos.set(pid, Option.getOrUndefined(info))),
        { discard: true }
      )
    const statusOf = (pid: Pid): string => infos.get(pid)?.status ?? "exiting"
    const nameOf = (pid: Pid): string | undefined => Option.getOrUndefined(infos.get(pid)?.registeredName ?? Option.none())
    // The processes of the trees: supervisors and their listed children, applications' masters
    // and the processes linked to them (the root is among those).
    const applications = yield* Application.which
    const { total, page: shown } = processPage(node, page.offset, page.limit)
    yield* read(shown)
    yield* read(supervisors)
    for (const children of childrenOf.values()) {
      if (typeof children !== "string") yield* read(children.slice(0, childLimit).flatMap((c) => typeof c.pid === "object" ? [c.pid] : []))
    }
    yield* read(applications.map((app) => app.master))
    for (const app of applications) yield* read(infos.get(app.master)?.links ?? [])
    // The via names of the processes shown: their keys in the node's unique registries.
    const vias = new Map<Pid, string>()
    for (const [registry, module] of modules) {
      if (module.name !== "Registry" || !mayBeAlive(registry)) continue
      const name = Option.getOrUndefined((yield* Process.info(registry)).pipe(Option.flatMap((info) => info.registeredName)))
      if (name === undefined || !(yield* isUnique(registry))) continue
      const ref = Registry.ref<unknown, unknown, "unique">(name, "unique")
      for (const pid of infos.keys()) {
        if (vias.has(pid)) continue
        const keys = yield* Effect.orElseSucceed(Registry.keys(ref, pid), () => [])
        if (keys.length > 0) vias.set(pid, `via(${name}, ${formatKey(keys[0])})`)
      }
    }
    // Every tree node listed spends one of `budget`; a supervisor met once it is spent lists
    // no children, only how many it has (`more`).
    let budget = treeBudget
    const tree = (p: Pid, id: string | undefined, depth: number): TreeNode => {
      budget--
      const children = childrenOf.get(p)
      const base = { pid: String(p), id, name: nameOf(p), via: vias.get(p), module: modules.get(p)?.name, status: statusOf(p) }
      if (children === undefined) return { ...base, kind: supervisorModules.has(modules.get(p)?.name ?? "") ? "supervisor" : "worker" }
      if (typeof children === "string") return { ...base, kind: "supervisor", error: children }
      const listed = children.slice(0, Math.max(0, Math.min(childLimit, budget))).map((c): TreeNode => {
        if (typeof c.pid !== "object") {
          budget--
          return { pid: c.pid ?? "undefined", id: c.id, kind: c.type, status: c.pid ?? "not running" }
        }
        if (depth > 32) {
          budget--
          return { pid: String(c.pid), id: c.id, kind: c.type }
        }
        return tree(c.pid, c.id, depth + 1)
      })
      return {
        ...base,
        kind: "supervisor",
        children: listed,
        more: children.length > listed.length ? children.length - listed.length : undefined
      }
    }
    const inApplication = new Set<Pid>()
    const applicationRows = applications.map((app) => {
      const root = infos.get(app.master)?.links.find((p) => infos.get(p) !== undefined)
      if (root !== undefined) inApplication.add(root)
      return {
        name: app.name,
        version: app.version,
        type: app.type,
        master: String(app.master),
        tree: root === undefined ? undefined : tree(root, "root", 0)
      }
    })
    const tops = supervisors.filter((s) => !isChild.has(s) && !inApplication.has(s))
    const trees: Array<TreeNode> = []
    for (const top of tops) {
      if (budget <= 0) break
      trees.push(tree(top, undefined, 0))
    }
    // Crash reports name their supervisor: its id in its parent, found in the trees.
    const crashes = journal.crashes.filter((c) => c.node === node.name)
    if (crashes.some((c) => c.supervisorName === undefined)) {
      const ids = new Map<string, string>()
      const label = (t: TreeNode): void => {
        if (t.kind !== "supervisor") return
        if (t.id !== undefined && t.id !== "root") ids.set(t.pid, t.id)
        else if (t.via !== undefined) ids.set(t.pid, t.via)
        for (const c of t.children ?? []) label(c)
      }
      for (const app of applicationRows) if (app.tree !== undefined) label(app.tree)
      for (const t of trees) label(t)
      for (const c of crashes) if (c.supervisorName === undefined) c.supervisorName = ids.get(c.supervisor)
    }
    const processes = shown.map((p): ProcessRow => {
      const module = modules.get(p)
      const info = infos.get(p)
      return {
        pid: String(p),
        name: nameOf(p),
        via: vias.get(p),
        status: statusOf(p),
        mailbox: info?.messageQueueLength ?? 0,
        delivered: deliveredOf(p),
        links: info?.links.map(String) ?? [],
        monitors: info?.monitors.map(String) ?? [],
        monitoredBy: info?.monitoredBy.map(String) ?? [],
        trapExit: info?.trapExit ?? false,
        module: module?.name,
        version: module?.version,
        trace: journal.traced.has(p)
      }
    })
    return {
      node: node.name,
      nodes: [...liveNodes<Node>()].map((n) => n.name),
      time: yield* Clock.currentTimeMillis,
      applications: applicationRows,
      trees,
      moreTrees: tops.length - trees.length,
      processes,
      offset: page.offset,
      total,
      crashes,
      traces: journal.traces.filter((t) => t.node === node.name)
    }
  }).pipe(Effect.provideService(Node, node), Effect.withTracerEnabled(false))
