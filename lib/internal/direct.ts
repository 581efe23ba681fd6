/**
 * Direct access to processes, for the library's behaviours and rooms (Registry, the supervisors,
 * Application, Telemetry, cluster, observer): synchronous reads and exit watches that take and
 * give pids, so those modules never hold the runtime object or a process's private fields.
 *
 * Each of these runs in the caller's step, without an Effect of its own: the Registry's lookups
 * and the exit watches that keep its table free of dead processes depend on that.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as ExitReason from "../ExitReason.js"
import { Node } from "../Node.js"
import type { Pid } from "../Pid.js"
import type { CurrentProcess } from "../Process.js"
import type { Module } from "../Code.js"
import { serverOf } from "./code.js"
import type { Reference } from "../Reference.js"
import type { ReferenceImpl } from "./identity.js"
import {
  currentProcessOf,
  liveNodes,
  type NodeRuntime,
  noMessage,
  ProcessImpl,
  runtimeOf,
  spawnHooks,
  Status,
  Watcher
} from "./runtime.js"

export { liveNodes, noMessage }

/**
 * Synchronous access to a process's mailbox, for receive loops on the hot path.
 *
 * @internal
 */
export interface Mailbox {
  /** Takes the next message without waiting, or returns {@link noMessage}. */
  poll(): unknown
  /** How many messages are waiting. */
  readonly messageCount: number
  /** Whether the process is blocked in a `receive`, waiting for a message. */
  readonly waiting: boolean
}

/**
 * The calling process's mailbox (for benchmarks and tests of the hot path: the generic loop
 * drains the mailbox through the runtime). Only the process itself may use it.
 *
 * @internal
 */
export const mailbox: Effect.Effect<Mailbox, never, CurrentProcess> = Effect.withFiber((fiber) =>
  Effect.succeed<Mailbox>(currentProcessOf(fiber)!)
)

/**
 * Takes, in the caller's step, the first message of `self`, the process running on `fiber`, that
 * `match` accepts, or returns {@link noMessage}: when there is none, or when the receive may not
 * take now (another receive of the process waits, or a message is being handed to another
 * fiber), as `receive` would then wait its turn. No Effect step of its own, so nothing can
 * interrupt between the take and what the caller does with the message (`Task.await` settling
 * a reply).
 *
 * @internal
 */
export const takeMatching = (self: Pid, fiber: Fiber.Fiber<unknown, unknown>, match: (message: unknown) => boolean): unknown => {
  const process = self as ProcessImpl
  if (process.status >= Status.Exiting || !process.ready(fiber)) return noMessage
  const index = process.find(match, process.head)
  return index < 0 ? noMessage : process.takeAt(index)
}

/**
 * Removes the first message of the calling process `self` that `match` accepts, if any, in the
 * caller's step (demonitor's flush of one known `Down`, without rebuilding the mailbox).
 *
 * @internal
 */
export const dropFirst = (self: Pid, match: (message: unknown) => boolean): boolean => {
  const process = self as ProcessImpl
  const index = process.find(match, process.head)
  if (index < 0) return false
  process.takeAt(index)
  process.runtime.discarded++
  return true
}

/**
 * `Process.demonitor(ref)` in the caller's step, for the calling process `self`: turns off its
 * monitor `ref`; `true` if it was active (else its `Down` is already in the mailbox).
 *
 * @internal
 */
export const demonitorNow = (self: Pid, ref: Reference): boolean => (self as ProcessImpl).demonitor(ref as ReferenceImpl)

/**
 * Spawns `body` as a process linked to and monitored by the process running on `fiber`, both
 * made before the body's first step (Erlang's `spawn_opt(Fun, [link, monitor])`), in the
 * caller's step: `Task.async`. The new pid and the monitor's reference are written to `into`
 * before the body runs. Returns the failure (no node in the fiber's context), or `undefined`.
 *
 * @internal
 */
export const spawnLinkMonitor = (
  fiber: Fiber.Fiber<unknown, unknown>,
  body: Effect.Effect<unknown, unknown, any>,
  into: { pid: Pid; ref: Reference }
): Effect.Effect<never> | undefined => spawnHooks.linkMonitor(fiber, body, into as { pid: ProcessImpl; ref: ReferenceImpl })

/**
 * The pid of the process running on `fiber`, or `undefined` outside a process.
 *
 * @internal
 */
export const selfOf = (fiber: Fiber.Fiber<unknown, unknown>): Pid | undefined => currentProcessOf(fiber)

/**
 * The pid registered under `name` on the node of `fiber`, without an Effect step. `undefined` if
 * none, or if the fiber runs without a node.
 *
 * @internal
 */
export const whereisIn = (fiber: Fiber.Fiber<unknown, unknown>, name: string): Pid | undefined => {
  const node = Context.getOrUndefined(fiber.context, Node)
  return node === undefined ? undefined : runtimeOf(node).names.get(name)
}

/**
 * Whether `pid` is not known to be dead: a local process that has not begun to exit, or a pid of
 * another node (whose liveness only distribution knows).
 *
 * @internal
 */
export const mayBeAlive = (pid: Pid): boolean => !(pid instanceof ProcessImpl) || pid.alive

/**
 * The pids `pid` is linked to now (a copy), empty for a pid of another node or a dead process.
 *
 * @internal
 */
export const linksOf = (pid: Pid): ReadonlyArray<Pid> =>
  pid instanceof ProcessImpl && pid.links !== undefined ? [...pid.links] : []

/**
 * How many messages the process at `pid` has been given since it started (0 for a pid of
 * another node).
 *
 * @internal
 */
export const deliveredTo = (pid: Pid): number => pid instanceof ProcessImpl ? pid.delivered : 0

/**
 * The name `pid` is registered under now, without an Effect step (a log writer has none): for
 * the observer's crash reports, which name the supervisor. `undefined` if none or not local.
 *
 * @internal
 */
export const registeredNameOf = (pid: Pid): string | undefined => pid instanceof ProcessImpl ? pid.name : undefined

/**
 * The processes the observer's reads have visited (page walks and lookups), for tests that prove
 * a read does not walk the whole process table.
 *
 * @internal
 */
export const visits = { count: 0 }

/**
 * The node's index of alive processes by id, oldest first (`NodeRuntime.live`), turned on by
 * the first call: built once by one walk of the process list, then kept by spawns and exits.
 */
const liveIndex = (runtime: NodeRuntime): Map<number, ProcessImpl> => {
  let live = runtime.live
  if (live === undefined) {
    const alive: Array<ProcessImpl> = []
    for (let p = runtime.first; p !== undefined; p = p.next) if (p.alive) alive.push(p)
    live = new Map()
    for (let i = alive.length - 1; i >= 0; i--) live.set(alive[i]!.id, alive[i]!)
    runtime.live = live
  }
  return live
}

/**
 * One page of the live processes of `node`, oldest first (`limit` from `offset`), and how many
 * live processes it has. Reads the node's index of alive processes (on from the first call), so
 * it visits `offset + limit` processes at most, whatever the node holds: the observer polls this
 * every second on nodes of 100k processes.
 *
 * @internal
 */
export const processPage = (
  node: { readonly name: string },
  offset: number,
  limit: number
): { readonly total: number; readonly page: ReadonlyArray<Pid> } => {
  const live = liveIndex(runtimeOf(node))
  const page: Array<Pid> = []
  if (offset < live.size) {
    let index = 0
    for (const p of live.values()) {
      visits.count++
      if (index >= offset) {
        page.push(p)
        if (page.length === limit) break
      }
      index++
    }
  }
  return { total: live.size, page }
}

/**
 * The alive process of `node` whose id is `id` (the middle number of `<0.12.0>`), or
 * `undefined`: one lookup in the node's index of alive processes (on from the first call).
 *
 * @internal
 */
export const liveProcess = (node: { readonly name: string }, id: number): Pid | undefined => {
  const p = liveIndex(runtimeOf(node)).get(id)
  if (p === undefined) return undefined
  visits.count++
  return p
}

/**
 * The module the generic loop of `pid` runs (its code server entry), or `undefined` for a plain
 * process: one lookup per module name the node runs, not a walk of its processes.
 *
 * @internal
 */
export const moduleOf = (node: { readonly name: string }, pid: Pid): Module | undefined => {
  for (const byPid of serverOf(runtimeOf(node)).running.values()) {
    const loop = byPid.get(pid)
    if (loop !== undefined) return loop.module
  }
  return undefined
}

/**
 * What `Sys.getState` would answer for the generic loop of `pid` (its behaviour's
 * `systemState`: a StateMachine's `{ state, data }`), read from the code server's table without
 * a message, so that the observer's table can show a machine's current state at every poll
 * without asking it (a busy machine would hold the poll). `undefined` for a plain process, or
 * if the behaviour's `systemState` throws. Library code only runs: no `formatStatus`.
 *
 * @internal
 */
export const systemStateOf = (node: { readonly name: string }, pid: Pid): { readonly value: unknown } | undefined => {
  for (const byPid of serverOf(runtimeOf(node)).running.values()) {
    const loop = byPid.get(pid)
    if (loop === undefined) continue
    try {
      return { value: loop.systemState() }
    } catch {
      return undefined
    }
  }
  return undefined
}

/**
 * The live processes of `node` on the generic loop running the module named `name` (any
 * version), in the order they started their loop.
 *
 * @internal
 */
export const loopsOf = (node: { readonly name: string }, name: string): Iterable<Pid> =>
  serverOf(runtimeOf(node)).running.get(name)?.keys() ?? []

/**
 * Calls `onExit` synchronously when `pid` exits, inside the exit itself: before any process can
 * handle that exit's `Down` or `Exit` message. For tables that must never show a dead process
 * (the Registry removes entries this way). Returns a function that cancels the watch, or
 * `undefined` (and `onExit` is never called) if the process is not alive or not local. `onExit`
 * must not throw or block.
 *
 * @internal
 */
export const watchExit = (pid: Pid, onExit: (reason: ExitReason.ExitReason) => void): (() => void) | undefined => {
  if (!(pid instanceof ProcessImpl)) return undefined
  const watcher = new ExitWatcher(onExit)
  if (!pid.watch(watcher)) return undefined
  return () => pid.unwatch(watcher)
}

class ExitWatcher extends Watcher {
  constructor(readonly onExit: (reason: ExitReason.ExitReason) => void) {
    super()
  }
  down(reason: ExitReason.ExitReason): void {
    this.onExit(reason)
  }
}
