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
import { currentProcessOf, liveNodes, noMessage, ProcessImpl, runtimeOf, Watcher } from "./runtime.js"

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
 * One page of the live processes of `node`, oldest first (`limit` from `offset`), and how many
 * live processes it has, without copying the whole process list (the observer polls this on
 * nodes of 100k processes: two walks of the list cost a fraction of `Process.processes`).
 *
 * @internal
 */
export const processPage = (
  node: { readonly name: string },
  offset: number,
  limit: number
): { readonly total: number; readonly page: ReadonlyArray<Pid> } => {
  const runtime = runtimeOf(node)
  let total = 0
  for (let p = runtime.first; p !== undefined; p = p.next) if (p.alive) total++
  // The list runs newest first: the page is the live ones from index `total - offset - limit`
  // to `total - offset - 1` counted from the newest.
  const from = total - offset - limit
  const to = total - offset - 1
  const page: Array<Pid> = []
  let index = 0
  for (let p = runtime.first; p !== undefined && index <= to; p = p.next) {
    if (!p.alive) continue
    if (index >= from) page.push(p)
    index++
  }
  return { total, page: page.reverse() }
}

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
