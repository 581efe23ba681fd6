/**
 * Exit holds: a process whose exit is not seen by its links and monitors until something it
 * owns is gone. Supervisors use it so that a supervisor's exit, however it comes (killed,
 * crashed, stopped), is seen by its parent only once its children are gone: a restart then
 * never meets a name or a registry key still held by a child of the supervisor it replaces.
 *
 * The process core asks {@link heldExit} as a process's fiber ends, before it frees the name and
 * signals links and monitors; a process without a hold pays one `WeakMap` lookup at its exit.
 *
 * While the hold runs the process is already exiting (its mailbox takes no messages, it is not
 * alive, calls to it fail), so the hold cannot use `receive`: {@link stopChildren} waits with the
 * runtime's exit watchers and the node's timers (`Clock`), as a call's caller does.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as ExitReason from "../ExitReason.js"
import type { Pid } from "../Pid.js"
import type { Timer } from "./timers.js"
import { ExitMessage, ProcessImpl, Watcher } from "./runtime.js"

/**
 * What runs as a process's fiber ends, given the reason it exits with: the Effect its exit waits
 * for, or `undefined` when there is nothing to wait for.
 *
 * @internal
 */
export type Hold = (reason: ExitReason.ExitReason) => Effect.Effect<void> | undefined

const holds = new WeakMap<ProcessImpl, Hold>()

/**
 * Sets the hold of `process` (at most one; a second call replaces it).
 *
 * @internal
 */
export const setHold = (process: Pid, hold: Hold): void => {
  if (process instanceof ProcessImpl) holds.set(process, hold)
}

/**
 * For the process core, as the fiber of `process` ends with `exit`: the Effect to run before the
 * exit is made visible, or `undefined` (the common case: no hold, or nothing to wait for). From
 * here on the process is exiting, with the reason it will exit with.
 *
 * @internal
 */
export const heldExit = (process: ProcessImpl, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> | undefined => {
  const hold = holds.get(process)
  if (hold === undefined) return undefined
  holds.delete(process)
  const reason = process.exitReason ?? (Exit.isSuccess(exit) ? ExitReason.normal : ExitReason.crash(exit.cause))
  const wait = hold(reason)
  if (wait === undefined) return undefined
  // Exiting from now on, with the reason the core will use: messages are dropped, the process
  // is no longer alive, its name is free, and a second exit signal has nothing left to do.
  process.beginExit(reason)
  return wait
}

/**
 * A child to stop, with its shutdown: `brutalKill`, milliseconds before `kill`, or `infinity`.
 *
 * @internal
 */
export interface Target {
  readonly pid: unknown
  readonly shutdown: "brutalKill" | "infinity" | number
}

class Stopping extends Watcher {
  timer: Timer | undefined = undefined
  constructor(readonly index: number, readonly done: (index: number, reason: ExitReason.ExitReason) => void) {
    super()
  }
  down(reason: ExitReason.ExitReason): void {
    this.done(this.index, reason)
  }
}

const isExit = (message: unknown): message is ExitMessage => message instanceof ExitMessage

/**
 * Stops `targets`, children of `self`, all at once, each by its own shutdown, and gives the
 * reason each one ended with (in the order of `targets`). Each is unlinked and gets `reason` as
 * its parent's exit signal (a child trapping exits sees its parent's `Exit`; `normal` is sent as
 * `shutdown`, so that no child outlives its parent), or `kill` at once for `brutalKill`; one
 * still there after its shutdown time is killed; with `infinity` the wait has no bound. An
 * `Exit` a child sent before it was unlinked is dropped from the mailbox (its reason is the one
 * given back).
 *
 * It waits with exit watchers and the node's timers, not with `receive`, so a supervisor uses it
 * both while it runs and from its exit hold (where its mailbox is closed). It completes from the
 * run queue once every target is dead: every exit watcher of the last one (a Registry's cleanup)
 * has run, and its name is free.
 *
 * @internal
 */
export const stopChildren = (
  self: Pid,
  targets: ReadonlyArray<Target>,
  reason: ExitReason.ExitReason
): Effect.Effect<ReadonlyArray<ExitReason.ExitReason>> =>
  // Only a local process has children to stop: callers pass their own pid.
  !(self instanceof ProcessImpl) ? Effect.succeed(targets.map(() => ExitReason.noproc)) :
  Effect.callback<ReadonlyArray<ExitReason.ExitReason>>((resume) => {
    const signal = reason._tag === "Normal" ? ExitReason.shutdown() : reason
    const runtime = self.runtime
    const reasons: Array<ExitReason.ExitReason> = new Array(targets.length)
    const watchers: Array<Stopping | undefined> = new Array(targets.length)
    // One more than the children waited for, until they have all been signalled.
    let pending = 1
    const finish = () => {
      if (--pending === 0) runtime.schedule({ run: () => resume(Effect.succeed(reasons)) })
    }
    const done = (index: number, exitReason: ExitReason.ExitReason) => {
      const watcher = watchers[index]!
      watchers[index] = undefined
      if (watcher.timer !== undefined) runtime.timers.cancel(watcher.timer)
      reasons[index] ??= exitReason
      finish()
    }
    for (let i = 0; i < targets.length; i++) {
      const child = targets[i]!.pid
      if (!(child instanceof ProcessImpl)) {
        reasons[i] = ExitReason.noproc
        continue
      }
      self.unlink(child)
      const watcher = new Stopping(i, done)
      if (!child.watch(watcher)) {
        reasons[i] = child.exitReason ?? ExitReason.noproc
        continue
      }
      pending++
      watchers[i] = watcher
      const shutdown = targets[i]!.shutdown
      if (shutdown === "brutalKill") {
        child.signal(self, ExitReason.kill, false)
      } else {
        child.signal(self, signal, true)
        if (typeof shutdown === "number") {
          watcher.timer = runtime.timers.add(shutdown, () => {
            watcher.timer = undefined
            child.signal(self, ExitReason.kill, false)
          })
        }
      }
    }
    // The Exit of a child that ended before it was unlinked tells its reason; it is dropped.
    if (self.messageCount > 0) {
      let index: Map<unknown, number> | undefined
      self.removeWhere((m) => {
        if (!isExit(m)) return false
        if (index === undefined) {
          index = new Map()
          for (let i = 0; i < targets.length; i++) index.set(targets[i]!.pid, i)
        }
        const i = index.get(m.from)
        if (i === undefined) return false
        reasons[i] = m.reason
        return true
      })
    }
    finish()
    return Effect.sync(() => {
      for (let i = 0; i < watchers.length; i++) {
        const watcher = watchers[i]
        if (watcher === undefined) continue
        if (watcher.timer !== undefined) runtime.timers.cancel(watcher.timer)
        ;(targets[i]!.pid as ProcessImpl).unwatch(watcher)
      }
    })
  })
