/**
 * Child specifications: how a supervisor starts, restarts and stops one child.
 *
 * A child spec is a plain record. Build it with {@link worker} or {@link supervisor} (or a
 * behaviour's own `childSpec`, such as `GenServer.childSpec` and `Supervisor.childSpec`), which
 * fill in OTP's defaults:
 *
 * | field         | default                                             |
 * |---------------|-----------------------------------------------------|
 * | `restart`     | `"permanent"`                                       |
 * | `shutdown`    | `5000` ms for a worker, `"infinity"` for a supervisor |
 * | `significant` | `false`                                             |
 * | `modules`     | `[]`                                                |
 *
 * `start` is an Effect that runs inside the supervisor's process, starts the child **linked to
 * the calling process** (use `startLink`, `Process.spawnLink`, `Supervisor.startLink`...) and
 * returns its pid. If it fails with `InitIgnored` (a GenServer whose `init` returned `ignore`),
 * the child is kept as not running; any other failure is a failed start.
 *
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Process } from "effect-otp"
 *
 * const ticker = ChildSpec.worker("ticker", Process.spawnLink(Effect.never), {
 *   restart: "transient",
 *   shutdown: "brutalKill"
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type { Node } from "../lib/Node.js"
import type { Pid } from "../lib/Pid.js"
import type { CurrentProcess } from "../lib/Process.js"

/**
 * A child specification.
 *
 * @category models
 * @since 0.1.0
 */
export interface ChildSpec<R = never> {
  /** Unique among the supervisor's children. */
  readonly id: string
  /** Starts the child linked to the calling process (the supervisor) and returns its pid. */
  readonly start: Effect.Effect<Pid, unknown, R | CurrentProcess | Node>
  /**
   * When the child is restarted after it exits:
   * - `permanent`: always;
   * - `transient`: only after an abnormal exit (not `normal`, `shutdown` or `shutdown` with a
   *   value);
   * - `temporary`: never, and the child is removed from the supervisor when it exits.
   */
  readonly restart: "permanent" | "transient" | "temporary"
  /**
   * How the child is stopped: `brutalKill` (an untrappable `kill`), a number of milliseconds to
   * wait after the `shutdown` exit signal before killing it, or `infinity` (wait as long as it
   * takes; the OTP default for supervisors).
   *
   * Effect's interruption is cooperative: even `brutalKill` lets a running uninterruptible
   * region (such as a finalizer) finish before the child's fiber ends. The supervisor waits for
   * the child to be really gone before it goes on.
   */
  readonly shutdown: "brutalKill" | "infinity" | number
  /** Whether the child is a worker or a supervisor. */
  readonly type: "worker" | "supervisor"
  /** A significant child's exit can shut its supervisor down (see `autoShutdown`). */
  readonly significant: boolean
  /** The behaviour modules the child runs (for the code server), informational. */
  readonly modules: ReadonlyArray<string>
}

/**
 * Overrides of the defaults.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** The child's id, instead of the one given to the constructor. */
  readonly id?: string | undefined
  /** When the child is restarted (see {@link ChildSpec.restart}); default `permanent`. */
  readonly restart?: ChildSpec["restart"] | undefined
  /** How the child is stopped (see {@link ChildSpec.shutdown}); default 5000 ms for a worker, `infinity` for a supervisor. */
  readonly shutdown?: ChildSpec["shutdown"] | undefined
  /** Whether the child is significant (see `autoShutdown`); default `false`, and never `true` for a `permanent` child. */
  readonly significant?: boolean | undefined
  /** The behaviour modules the child runs, informational; default `[]`. */
  readonly modules?: ReadonlyArray<string> | undefined
}

/**
 * A worker child: restart `permanent`, shutdown 5000 ms unless overridden.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process } from "effect-otp"
 *
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * const cache = ChildSpec.worker("cache", startWorker, { restart: "transient", shutdown: 1000 })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const worker = <R>(
  id: string,
  start: Effect.Effect<Pid, unknown, R>,
  options?: Options
): ChildSpec<Exclude<R, CurrentProcess | Node>> => ({
  id: options?.id ?? id,
  start: start as ChildSpec<Exclude<R, CurrentProcess | Node>>["start"],
  restart: options?.restart ?? "permanent",
  shutdown: options?.shutdown ?? 5000,
  type: "worker",
  significant: options?.significant ?? false,
  modules: options?.modules ?? []
})

/**
 * A supervisor child: restart `permanent`, shutdown `infinity` unless overridden.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process } from "effect-otp"
 *
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * import { Supervisor } from "effect-otp"
 *
 * const workers = ChildSpec.supervisor("workers", Effect.map(Supervisor.startLink([]), (s) => s.pid!))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const supervisor = <R>(
  id: string,
  start: Effect.Effect<Pid, unknown, R>,
  options?: Options
): ChildSpec<Exclude<R, CurrentProcess | Node>> => ({
  ...worker(id, start, options),
  shutdown: options?.shutdown ?? "infinity",
  type: "supervisor"
})

/**
 * A malformed child spec: names the child and the field at fault. A supervisor given one
 * starts nothing.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildSpec, Pid, Process } from "effect-otp"
 *
 * declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>
 * import { Supervisor } from "effect-otp"
 *
 * const tree = Supervisor.start([ChildSpec.worker("", startWorker)]).pipe(
 *   Effect.catchTag("InvalidChildSpec", (e) => Effect.log(`${e.id}: ${e.field} ${e.reason}`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidChildSpec extends Data.Error<{
  /** The id of the child at fault (its value as a string if not a string). */
  readonly id: string
  /** The field at fault, e.g. `restart` (`spec` when the spec is no record). */
  readonly field: string
  /** What is wrong with it, in words. */
  readonly reason: string
}> {
  /** The tag that tells this error apart (`Effect.catchTag`, `_tag` checks). */
  readonly _tag = "InvalidChildSpec"
  static {
    this.prototype.name = "InvalidChildSpec"
  }
  /** The human-readable message, naming the child, the field and the reason. */
  override get message(): string {
    return `invalid child spec ${JSON.stringify(this.id)}: ${this.field} ${this.reason}`
  }
}
