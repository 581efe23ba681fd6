/**
 * Reading a node for the observer: its processes, the supervision trees of its applications and
 * of the supervisors outside one, through the public API of the process core and the behaviours
 * (`Process.info`, `whichChildren`, `Registry.keys`, `Application.which`). What no public API
 * gives, or gives only by walking every process, comes from the process core's module for the
 * library's own modules (`lib/internal/direct.ts`): the program's nodes (`liveNodes`), the count
 * of messages delivered to a process (the page derives its message rate), a page of the node's
 * alive processes and a process by id (from an index of them, on from the first poll), and the
 * module a process runs and the processes running a module (the code server's table). Its
 * requests are unrecorded by telemetry (`lib/internal/telemetry.ts` `unrecorded`).
 *
 * A poll costs what it shows plus what changed, whatever the node holds: one page of the table,
 * at most 1000 tree nodes, a request only to the supervisors whose children may have changed
 * ({@link TreeCache}), and one counter read per supervisor.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Application from "../../behaviours/Application.js"
import * as DynamicSupervisor from "../../behaviours/DynamicSupervisor.js"
import * as Registry from "../../behaviours/Registry.js"
import * as Supervisor from "../../behaviours/Supervisor.js"
import type * as Code from "../../lib/Code.js"
import { deliveredTo, liveNodes, liveProcess, loopsOf, mayBeAlive, moduleOf, processPage, systemStateOf } from "../../lib/internal/direct.js"
import { Node } from "../../lib/Node.js"
import type { Pid } from "../../lib/Pid.js"
import * as Process from "../../lib/Process.js"
import * as Sys from "../../lib/Sys.js"
import { inspect } from "node:util"
import type { ProcessRow, Snapshot, TreeNode } from "./model.js"
import type { Journal } from "./journal.js"
import { isStateMachine, machineParts } from "./state.js"
import { unrecorded, unrecordedTo } from "../../lib/internal/telemetry.js"

const supervisorModules = new Set(["Supervisor", "DynamicSupervisor"])

/** A supervisor's children listed in its tree; the rest are counted in `more`. */
const childLimit = 100
/** Tree nodes listed in all, so a node with thousands of supervisors still answers a small snapshot. */
const treeBudget = 1000

/**
 * The page of the process table a snapshot shows: `limit` rows from `offset`, oldest first; and
 * the first tree it shows of the supervisors outside any application (`trees`, default 0).
 */
export interface Page {
  readonly offset: number
  readonly limit: number
  readonly trees?: number | undefined
}

/** The default page size, and the largest a request may ask for. */
export const pageSize = { default: 100, max: 1000 } as const

/** The live node named `name`, or the first live node when no name is given. */
export const findNode = (name: string | null): Node | undefined => {
  const nodes = [...liveNodes<Node>()]
  return name === null || name === "" ? nodes[0] : nodes.find((n) => n.name === name)
}

/**
 * The live process of `node` printed as `pid` (`<0.12.0>`): one lookup by its id in the node's
 * index of alive processes, not a walk of them.
 */
export const findProcess = (node: Node, pid: string): Pid | undefined => {
  const id = Number(/^<\d+\.(\d+)\.\d+>$/.exec(pid)?.[1])
  if (!Number.isSafeInteger(id)) return undefined
  const process = liveProcess(node, id)
  return process !== undefined && String(process) === pid ? process : undefined
}

/** The module `pid` runs on the generic loop, or `undefined` for a plain process. */
export const genericModule = (node: Node, pid: Pid): Code.Module | undefined => moduleOf(node, pid)

/**
 * Runs `request`, a call the observer makes to `pid`, as traffic no one else sees: telemetry
 * records none of it, and the process's count of deliveries ({@link deliveredOf}) leaves it
 * out (`unrecorded` in `lib/internal/telemetry.ts` counts it apart, unless it failed with
 * `NoProc`: nothing was delivered). The process core counts every message it delivers with one
 * increment and no branch; the observer's own requests are taken off when read, not marked on
 * that hot path.
 */
export const ask = <A, E extends { readonly _tag: string }, R>(
  pid: Pid,
  request: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => unrecorded(pid, request)

/**
 * Messages delivered to the process so far, less the observers' own requests. No public API
 * counts them (`Process.info` gives the mailbox's length).
 */
export const deliveredOf = (pid: Pid): number => Math.max(0, deliveredTo(pid) - (unrecordedTo.get(pid) ?? 0))

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

/**
 * What a supervisor answered to `whichChildren`, kept between polls: its children (or why they
 * are unknown), and the messages it had been given (less the observers' requests) when it was
 * asked.
 */
interface Cached {
  readonly delivered: number
  readonly children: ReadonlyArray<Supervisor.ChildInfo> | string
}

/**
 * The node's supervision trees as the observer last read them, so a poll asks only the
 * supervisors whose children may have changed.
 *
 * A supervisor's children change only while it handles a message: a start, terminate, restart
 * or delete request, a child's `Exit` (it traps exits), a delayed restart's timer, a system
 * message. Each of those is counted as it is delivered, so when the count (less the observers'
 * own requests) is what it was just before the supervisor was last asked, its answer still
 * stands. The count is read before the request goes out: a message that arrives meanwhile makes
 * the next poll ask again, never keeps a stale answer. A supervisor that did not answer is
 * asked again at every poll; one that exited is forgotten at the next.
 *
 * `parent` maps every child listed to the supervisor listing it: the trees' roots are the
 * supervisors no other one lists. The cost of a poll is then one counter read per supervisor
 * (no message, no allocation), plus a request to each that changed.
 */
export class TreeCache {
  readonly entries = new Map<Pid, Cached>()
  readonly parent = new Map<Pid, Pid>()
  /** The `whichChildren` requests this cache made (tests count them). */
  asked = 0

  /** Forgets the children of `sup` (and, unless `children` is given, `sup` itself). */
  set(sup: Pid, entry: Cached | undefined): void {
    const old = this.entries.get(sup)?.children
    if (old !== undefined && typeof old !== "string") {
      for (const c of old) if (typeof c.pid === "object" && this.parent.get(c.pid) === sup) this.parent.delete(c.pid)
    }
    if (entry === undefined) {
      this.entries.delete(sup)
      return
    }
    this.entries.set(sup, entry)
    if (typeof entry.children !== "string") for (const c of entry.children) if (typeof c.pid === "object") this.parent.set(c.pid, sup)
  }
}

/** Each node's {@link TreeCache}, shared by every observer of the program. */
const caches = new WeakMap<Node, TreeCache>()
const cacheOf = (node: Node): TreeCache => {
  let cache = caches.get(node)
  if (cache === undefined) {
    cache = new TreeCache()
    caches.set(node, cache)
  }
  return cache
}

/**
 * Brings `cache` up to date with the node's live supervisors: drops the ones that exited, asks
 * (concurrently) the ones new or changed since they were asked.
 */
const refresh = (node: Node, cache: TreeCache, supervisors: ReadonlyArray<Pid>, kinds: ReadonlyMap<Pid, string>) =>
  Effect.suspend(() => {
    for (const sup of cache.entries.keys()) if (!mayBeAlive(sup)) cache.set(sup, undefined)
    const stale: Array<Pid> = []
    for (const sup of supervisors) {
      const entry = cache.entries.get(sup)
      if (entry === undefined || typeof entry.children === "string" || entry.delivered !== deliveredOf(sup)) stale.push(sup)
    }
    return Effect.forEach(
      stale,
      (sup) =>
        Effect.suspend(() => {
          const delivered = deliveredOf(sup)
          cache.asked++
          return ask(
            sup,
            kinds.get(sup) === "Supervisor" ? Supervisor.whichChildren(sup) : DynamicSupervisor.whichChildren(sup)
          ).pipe(
            Effect.timeoutOption("1 second"),
            Effect.match({
              onFailure: (error) => `children unknown: ${error._tag}`,
              onSuccess: (children) => Option.isSome(children) ? children.value : "children unknown: busy"
            }),
            Effect.map((children) => {
              if (mayBeAlive(sup)) cache.set(sup, { delivered, children })
            })
          )
        }),
      { concurrency: "unbounded", discard: true }
    )
  }).pipe(Effect.provideService(Node, node))

/**
 * The snapshot of `node` that `GET /api/snapshot` answers. Its cost is what it shows (one page
 * of the table, at most 1000 tree nodes) plus what changed since the last poll: the page is read
 * from the node's index of alive processes, the trees from {@link TreeCache} (`cache`, the
 * node's own unless a test gives another), modules from the code server by pid.
 */
export const snapshot = (
  node: Node,
  journal: Journal,
  page: Page = { offset: 0, limit: pageSize.default },
  cache: TreeCache = cacheOf(node)
): Effect.Effect<Snapshot> =>
  Effect.gen(function*() {
    // Traced processes that died are forgotten (a dead process logs nothing more).
    for (const pid of journal.traced) if (!(yield* Process.isAlive(pid))) journal.traced.delete(pid)
    // The supervisors, and what each has as children (asked only when that may have changed).
    const kinds = new Map<Pid, string>()
    for (const name of supervisorModules) for (const pid of loopsOf(node, name)) if (mayBeAlive(pid)) kinds.set(pid, name)
    const supervisors = [...kinds.keys()]
    yield* refresh(node, cache, supervisors, kinds)
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
    // Modules of the processes shown, looked up by pid (a plain process has none).
    const modules = new Map<Pid, Code.Module | undefined>()
    const moduleOfPid = (pid: Pid): Code.Module | undefined => {
      if (modules.has(pid)) return modules.get(pid)
      const module = moduleOf(node, pid)
      modules.set(pid, module)
      return module
    }
    // A state machine's current state, read from its loop's registers: no message, so a busy
    // machine never holds the poll.
    const machineStateOf = (pid: Pid, module: Code.Module | undefined): string | undefined =>
      isStateMachine(module) ? machineParts(systemStateOf(node, pid)?.value)?.state : undefined
    // The node's unique registries, for the via names of the processes shown.
    const registries: Array<Registry.Registry<unknown, unknown, "unique">> = []
    for (const registry of loopsOf(node, "Registry")) {
      if (!mayBeAlive(registry)) continue
      const name = Option.getOrUndefined((yield* Process.info(registry)).pipe(Option.flatMap((info) => info.registeredName)))
      if (name === undefined || !(yield* isUnique(registry))) continue
      registries.push(Registry.ref<unknown, unknown, "unique">(name, "unique"))
    }
    const vias = new Map<Pid, string>()
    const readVias = (pids: Iterable<Pid>) =>
      Effect.forEach(pids, (pid) =>
        Effect.gen(function*() {
          for (const registry of registries) {
            const keys = yield* Effect.orElseSucceed(Registry.keys(registry, pid), () => [])
            if (keys.length > 0) return void vias.set(pid, `via(${registry.name}, ${formatKey(keys[0])})`)
          }
        }), { discard: true })
    // The processes of the page, and the applications' masters with the processes linked to
    // them (the root is among those).
    const applications = yield* Application.which
    const { total, page: shown } = processPage(node, page.offset, page.limit)
    yield* read(shown)
    yield* read(applications.map((app) => app.master))
    for (const app of applications) yield* read(infos.get(app.master)?.links ?? [])
    // The trees are built twice, synchronously: first to learn which processes they list (what
    // they cost is what they show), then, once those are read, to fill in their status, names
    // and via names. Every tree node listed spends one of `budget`; a supervisor met once it is
    // spent lists no children, only how many it has (`more`).
    const inTrees = new Set<Pid>()
    let budget = treeBudget
    const tree = (p: Pid, id: string | undefined, depth: number): TreeNode => {
      budget--
      inTrees.add(p)
      const children = cache.entries.get(p)?.children
      const running = moduleOfPid(p)
      const module = running?.name
      const base = { pid: String(p), id, name: nameOf(p), via: vias.get(p), module, status: statusOf(p), state: machineStateOf(p, running) }
      if (children === undefined) return { ...base, kind: supervisorModules.has(module ?? "") ? "supervisor" : "worker" }
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
    const roots = applications.map((app) => {
      const root = infos.get(app.master)?.links.find((p) => infos.get(p) !== undefined)
      if (root !== undefined) inApplication.add(root)
      return root
    })
    const treesOffset = page.trees ?? 0
    const tops = supervisors.filter((s) => !cache.parent.has(s) && !inApplication.has(s)).sort((a, b) => a.id - b.id)
    const build = () => {
      budget = treeBudget
      const applicationRows = applications.map((app, i) => ({
        name: app.name,
        version: app.version,
        type: app.type,
        master: String(app.master),
        tree: roots[i] === undefined ? undefined : tree(roots[i], "root", 0)
      }))
      const trees: Array<TreeNode> = []
      for (let i = treesOffset; i < tops.length && budget > 0; i++) trees.push(tree(tops[i]!, undefined, 0))
      return { applicationRows, trees }
    }
    build()
    yield* read(inTrees)
    yield* readVias(inTrees)
    yield* readVias(shown.filter((p) => !inTrees.has(p)))
    const { applicationRows, trees } = build()
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
    const processes: Array<ProcessRow> = []
    for (const p of shown) {
      const module = moduleOfPid(p)
      const info = infos.get(p)
      processes.push({
        pid: String(p),
        name: nameOf(p),
        via: vias.get(p),
        status: statusOf(p),
        mailbox: info?.messageQueueLength ?? 0,
        bound: info === undefined ? undefined : Option.getOrUndefined(info.mailbox),
        delivered: deliveredOf(p),
        links: info?.links.map(String) ?? [],
        monitors: info?.monitors.map(String) ?? [],
        monitoredBy: info?.monitoredBy.map(String) ?? [],
        trapExit: info?.trapExit ?? false,
        module: module?.name,
        version: module?.version,
        state: machineStateOf(p, module),
        trace: journal.traced.has(p)
      })
    }
    return {
      node: node.name,
      nodes: [...liveNodes<Node>()].map((n) => n.name),
      time: yield* Clock.currentTimeMillis,
      applications: applicationRows,
      trees,
      treesOffset,
      moreTrees: Math.max(0, tops.length - treesOffset - trees.length),
      processes,
      offset: page.offset,
      total,
      crashes,
      traces: journal.traces.filter((t) => t.node === node.name)
    }
  }).pipe(Effect.provideService(Node, node), Effect.withTracerEnabled(false))
