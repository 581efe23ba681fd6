/**
 * The caller's side of the call protocol (`lib/Gen.ts`): the reply handle a request carries.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { NodeInspectSymbol } from "effect/Inspectable"
import type * as Tracer from "effect/Tracer"
import { CallExit, NoProc } from "../Errors.js"
import type * as ExitReason from "../ExitReason.js"
import type { From } from "../Gen.js"
import type { Pid } from "../Pid.js"
import type { NodeRuntime, ProcessImpl, Runnable } from "./runtime.js"
import { Watcher } from "./runtime.js"
import type { Timer } from "./timers.js"

/**
 * The caller's side of a call: settled once by a reply, the server's exit, or the timeout. It
 * watches the server (an exit watcher, see `Watcher`) and resumes the caller from the node's
 * run queue, never on the replying process's stack.
 */
export class FromImpl extends Watcher implements From, Runnable {
  readonly _tag = "From"
  done = false
  timer: Timer | undefined = undefined
  server: ProcessImpl | undefined = undefined
  outcome: Effect.Effect<unknown, unknown> = Effect.void
  /** The caller's span, set only when the node's telemetry is on (no field otherwise). */
  declare span: Tracer.Span | undefined
  constructor(
    readonly runtime: NodeRuntime,
    readonly resume: (effect: Effect.Effect<unknown, any>) => void,
    readonly target: Pid | string
  ) {
    super()
  }
  get pending(): boolean {
    return !this.done
  }
  settle(outcome: Effect.Effect<unknown, unknown>): void {
    if (this.done) return
    this.cancel()
    this.outcome = outcome
    this.runtime.schedule(this)
  }
  cancel(): void {
    this.done = true
    if (this.timer !== undefined) this.runtime.timers.cancel(this.timer)
    this.server?.unwatch(this)
  }
  run(): void {
    this.resume(this.outcome)
  }
  /**
   * Shown as `From(call to <0.5.0>)`: a state that keeps a reply handle (a deferred reply) is
   * formatted in terminate reports and `Sys.getStatus`, and the handle's fields reach the whole
   * node (its runtime, every process, their fibers), which `Formatter.format` would walk.
   */
  override toString(): string {
    return `From(call to ${String(this.target)})`
  }
  toJSON(): unknown {
    return this.toString()
  }
  [NodeInspectSymbol](): string {
    return this.toString()
  }
  down(reason: ExitReason.ExitReason): void {
    this.settle(Effect.fail(
      reason._tag === "NoProc" ? new NoProc({ target: this.target }) : new CallExit({ target: this.target, reason })
    ))
  }
}

/**
 * The caller's span of a pending call when its node's telemetry is on (`undefined` otherwise):
 * a behaviour makes its server span a child of it (`Telemetry.handleCall`).
 */
export const fromSpan = (from: From): Tracer.Span | undefined => (from as FromImpl).span
