/**
 * The code server's machinery (`lib/Code.ts` is its public face and says the rules): each
 * node's table of module versions and of the loops running them, and the code change of one
 * loop, through its `ChangeCode` system message or in place while it is idle.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { Module } from "../Code.js"
import * as ExitReason from "../ExitReason.js"
import { Node } from "../Node.js"
import type { Pid } from "../Pid.js"
import { SysError } from "../Sys.js"
import type { From } from "../Gen.js"
import { replyFailureUnsafe, replyUnsafe } from "./gen.js"
import type { LoopImpl } from "./loop.js"
import { type NodeRuntime, runtimeOf, Watcher } from "./runtime.js"
import { SystemRequest } from "./system.js"

/** A module name's current version, and the previous one (old code), as Erlang keeps two. */
export interface Entry {
  current: Module
  old: Module | undefined
}

/** One node's code server. */
export class CodeServer {
  readonly modules = new Map<string, Entry>()
  /** Live loops by module name, each under its pid. */
  readonly running = new Map<string, Map<Pid, LoopImpl>>()
  /**
   * The behaviours of every loop this node ran (a few values: GenServer, StateMachine, a
   * behaviour of the program's own): their `isModule` tells a module the code server can upgrade
   * from any other value (`effect-otp dev` asks, see `Code.ts`'s development hook).
   */
  readonly behaviours = new Set<LoopImpl["behaviour"]>()
}

const servers = new WeakMap<NodeRuntime, CodeServer>()

/** The code server of `runtime`, made on first use. */
export const serverOf = (runtime: NodeRuntime): CodeServer => {
  let server = servers.get(runtime)
  if (server === undefined) {
    server = new CodeServer()
    servers.set(runtime, server)
  }
  return server
}

/** Takes a loop out of the code server's table when its process exits (one small object each). */
class Untrack extends Watcher {
  constructor(readonly running: Map<Pid, LoopImpl>, readonly pid: Pid) {
    super()
  }
  down(): void {
    this.running.delete(this.pid)
  }
}

/**
 * Records that `loop`'s process runs `loop.module`, until it exits. The code server reads
 * `loop.module` whenever it asks, so a code change only updates that field.
 */
export const track = (loop: LoopImpl): void => {
  const self = loop.self
  const server = serverOf(self.runtime)
  const name = loop.module.name
  let running = server.running.get(name)
  if (running === undefined) {
    running = new Map()
    server.running.set(name, running)
  }
  const fresh = !running.has(self)
  running.set(self, loop)
  server.behaviours.add(loop.behaviour)
  if (fresh) self.watch(new Untrack(running, self))
}

/**
 * Runs `next`'s code change on `loop`'s state (the behaviour's `codeChange`; without one the
 * state is kept) and swaps module and state if it succeeds; the old code and state stay
 * otherwise. An `Exit` when that was synchronous (a plain new state, or an Effect that is
 * already an `Exit`, as `GenServer.migrate` returns one); else the Effect to run, on the process's fiber or, in place, on another one.
 */
export const changeCode = (loop: LoopImpl, next: Module, extra: unknown): Effect.Effect<void, SysError, unknown> => {
  const codeChange = loop.behaviour.codeChange
  if (codeChange === undefined) {
    loop.setModule(next)
    return Exit.void
  }
  let migrated: unknown
  try {
    migrated = codeChange(loop, next, extra)
  } catch (error) {
    return Exit.fail(codeChangeFailed(Cause.die(error)))
  }
  // A plain new state (checked here rather than by `Effect.isEffect`, so that the check sees
  // one kind of state and stays cheap over an upgrade of many processes).
  if ((typeof migrated !== "object" && typeof migrated !== "function") || migrated === null || !(Effect.TypeId in migrated)) {
    loop.setModule(next)
    loop.state = migrated
    return Exit.void
  }
  if (Exit.isExit(migrated)) return swap(loop, next, migrated)
  return Effect.flatMap(Effect.exit(migrated as Effect.Effect<unknown, unknown, unknown>), (exit) => swap(loop, next, exit))
}

const swap = (loop: LoopImpl, next: Module, migrated: Exit.Exit<unknown, unknown>): Exit.Exit<void, SysError> => {
  if (Exit.isFailure(migrated)) return Exit.fail(codeChangeFailed(migrated.cause))
  loop.setModule(next)
  loop.state = migrated.value
  return Exit.void
}

const codeChangeFailed = (cause: Cause.Cause<unknown>): SysError =>
  new SysError({ request: "ChangeCode", reason: `codeChange failed: ${ExitReason.format(ExitReason.crash(cause))}`, cause })

/**
 * `Code.upgrade`'s change of an idle loop, in place: the `ChangeCode` system message handled
 * now, on the upgrading fiber, since it would be the very next thing the process does. Idle is
 * blocked in the main loop's plain `receive` with no message queued. Returns the outcome as
 * {@link changeCode} does (an asynchronous change runs with the process's services, and the
 * loop, if a message wakes it meanwhile, waits until the change ends, however it ends), or
 * `undefined` when the loop is not idle, or `next` is not a version of its module (the system
 * message then does the change, or reports why not).
 */
export const changeIdle = (loop: LoopImpl, next: Module, extra: unknown): Effect.Effect<void, SysError> | undefined => {
  const process = loop.self
  if (!loop.parked || loop.changing || !process.waiting || process.messageCount > 0) return undefined
  if (!loop.accepts(next)) return undefined
  const change = changeCode(loop, next, extra) as Effect.Effect<void, SysError>
  if (Exit.isExit(change)) return change
  loop.changing = true
  return Effect.provideContext(change, loop.context).pipe(
    Effect.ensuring(Effect.sync(() => {
      loop.changing = false
      const waiter = loop.waiter
      loop.waiter = undefined
      if (waiter !== undefined) waiter()
    }))
  )
}

/**
 * The `ChangeCode` system request (`Sys.changeCode`, and `Code.upgrade` for a process that is
 * not idle): the change of {@link changeCode} on the process's own fiber. Its answer lives here,
 * beside the in-place change, so that both follow one rule.
 */
export class ChangeCode extends SystemRequest {
  readonly _tag = "ChangeCode"
  constructor(readonly module: unknown, readonly extra: unknown) {
    super()
  }
  answer(loop: LoopImpl, from: From): Effect.Effect<undefined, unknown, unknown> {
    const next = this.module
    if (!loop.accepts(next)) {
      replyFailureUnsafe(from, new SysError({ request: "ChangeCode", reason: `not a version of ${loop.module.name}` }))
      return Effect.succeed(undefined)
    }
    // A requester that gave up (`Code.upgrade`'s per-process timeout, an interrupted upgrade,
    // a timed-out `changeCode`) was told the change did not happen: it does not happen.
    if (!from.pending) return Effect.succeed(undefined)
    const module = loop.module
    const state = loop.state
    const outcome = changeCode(loop, next, this.extra)
    const settle = (changed: Exit.Exit<void, unknown>): undefined => {
      if (!from.pending) loop.restore(module, state)
      else if (Exit.isFailure(changed)) replyFailureUnsafe(from, Cause.squash(changed.cause))
      else replyUnsafe(from, undefined)
      return undefined
    }
    return Exit.isExit(outcome) ? Effect.succeed(settle(outcome as Exit.Exit<void, unknown>)) : Effect.map(Effect.exit(outcome), settle)
  }
}

/**
 * When `Code.upgrade`, changing idle processes in place one after the other, yields to the rest
 * of the node: after 10 ms, the node's run queue's own budget per turn, so that an upgrade of
 * many processes does not hold up the others (OTP's release handler changes processes one by
 * one too). The clock is read once every 256 changes, so that reading it stays off the
 * per-process path (an in-place change costs well under a microsecond).
 */
export class UpgradeSlice {
  private start = performance.now()
  private count = 0
  /** Whether the slice is used up (checked once per change). */
  due(): boolean {
    return (++this.count & 255) === 0 && performance.now() - this.start > 10
  }
  /** Yields, and starts the next slice. */
  readonly pause: Effect.Effect<void> = Effect.andThen(Effect.yieldNow, Effect.sync(() => {
    this.start = performance.now()
  }))
}

/** The code server of the fiber's node (it dies without one, as every `Code` function does). */
const withServer = <A>(f: (server: CodeServer) => A): Effect.Effect<A, never, Node> =>
  Effect.withFiber((fiber) => {
    const node = Context.getOrUndefined(fiber.context, Node)
    if (node === undefined) return Effect.die(new Error("effect-otp: no Node in context; provide Node.layer()"))
    return Effect.succeed(f(serverOf(runtimeOf(node))))
  })

/**
 * The live processes running any version of the module named `name`, with the version each
 * runs (for tests, the benchmarks and tools; not public).
 */
export const processes = (name: string): Effect.Effect<ReadonlyArray<readonly [Pid, string]>, never, Node> =>
  withServer((server) => [...(server.running.get(name)?.entries() ?? [])].map(([pid, loop]) => [pid, loop.module.version] as const))

/** Every live process on the loop with the module value it runs: what the observer shows as its module. */
export const running: Effect.Effect<ReadonlyArray<readonly [Pid, Module]>, never, Node> = withServer((server) => {
  const all: Array<readonly [Pid, Module]> = []
  for (const byPid of server.running.values()) for (const [pid, loop] of byPid) all.push([pid, loop.module])
  return all
})
