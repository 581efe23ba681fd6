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
import type * as ExitReason from "../lib/ExitReason.js"
import type { Node } from "../lib/Node.js"
import type { Pid } from "../lib/Pid.js"
import type { CurrentProcess } from "../lib/Process.js"

/**
 * When a child is restarted after it exits:
 * - `permanent`: always;
 * - `transient`: only after an abnormal exit (not `normal`, `shutdown` or `shutdown` with a
 *   value);
 * - `temporary`: never, and the child is removed from the supervisor when it exits.
 *
 * @category models
 * @since 0.1.0
 */
export type Restart = "permanent" | "transient" | "temporary"

/**
 * How a child is stopped: `brutalKill` (an untrappable `kill`), a number of milliseconds to
 * wait after the `shutdown` exit signal before killing it, or `infinity` (wait as long as it
 * takes; the OTP default for supervisors).
 *
 * Effect's interruption is cooperative: even `brutalKill` lets a running uninterruptible region
 * (such as a finalizer) finish before the child's fiber ends. The supervisor waits for the
 * child to be really gone before it goes on.
 *
 * @category models
 * @since 0.1.0
 */
export type Shutdown = "brutalKill" | "infinity" | number

/**
 * @category models
 * @since 0.1.0
 */
export type ChildType = "worker" | "supervisor"

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
  /** When the child is restarted after it exits (see {@link Restart}). */
  readonly restart: Restart
  /** How the child is stopped: `brutalKill`, milliseconds to wait after `shutdown`, or `infinity` (see {@link Shutdown}). */
  readonly shutdown: Shutdown
  /** Whether the child is a worker or a supervisor. */
  readonly type: ChildType
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
  /** When the child is restarted (see {@link Restart}); default `permanent`. */
  readonly restart?: Restart | undefined
  /** How the child is stopped (see {@link Shutdown}); default 5000 ms for a worker, `infinity` for a supervisor. */
  readonly shutdown?: Shutdown | undefined
  /** Whether the child is significant (see `autoShutdown`); default `false`, and never `true` for a `permanent` child. */
  readonly significant?: boolean | undefined
  /** The behaviour modules the child runs, informational; default `[]`. */
  readonly modules?: ReadonlyArray<string> | undefined
}

/**
 * A worker child: restart `permanent`, shutdown 5000 ms unless overridden.
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
 * @category errors
 * @since 0.1.0
 */
export class InvalidChildSpec extends Data.TaggedError("InvalidChildSpec")<{
  /** The id of the child at fault (its value as a string if not a string). */
  readonly id: string
  /** The field at fault, e.g. `restart` (`spec` when the spec is no record). */
  readonly field: string
  /** What is wrong with it, in words. */
  readonly reason: string
}> {
  /** The human-readable message, naming the child, the field and the reason. */
  override get message(): string {
    return `invalid child spec ${JSON.stringify(this.id)}: ${this.field} ${this.reason}`
  }
}

const restarts: ReadonlyArray<unknown> = ["permanent", "transient", "temporary"]

const isEffect = (u: unknown): boolean => Effect.isEffect(u)

/** A loop, not `every` with a closure: a DynamicSupervisor checks a spec per `startChild`. */
const allStrings = (values: ReadonlyArray<unknown>): boolean => {
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== "string") return false
  return true
}

/**
 * Checks one spec's fields; the error names the child and the field.
 *
 * @category validation
 * @since 0.1.0
 */
export const validate = (spec: unknown): InvalidChildSpec | undefined => {
  try {
    return validateFields(spec)
  } catch (error) {
    // A record whose fields cannot be read (a getter that throws, a revoked proxy).
    return new InvalidChildSpec({ id: "?", field: "spec", reason: `cannot be read: ${error instanceof Error ? error.message : typeof error}` })
  }
}

const validateFields = (spec: unknown): InvalidChildSpec | undefined => {
  if (typeof spec !== "object" || spec === null) {
    return new InvalidChildSpec({ id: String(spec), field: "spec", reason: "must be a child spec record" })
  }
  const s = spec as Partial<Record<keyof ChildSpec, unknown>>
  const id = typeof s.id === "string" ? s.id : String(s.id)
  const bad = (field: string, reason: string) => new InvalidChildSpec({ id, field, reason })
  if (typeof s.id !== "string" || s.id.length === 0) return bad("id", "must be a non-empty string")
  if (!isEffect(s.start)) return bad("start", "must be an Effect that starts the child")
  if (!restarts.includes(s.restart)) {
    return bad("restart", `must be "permanent", "transient" or "temporary", got ${JSON.stringify(s.restart)}`)
  }
  if (
    !(s.shutdown === "brutalKill" || s.shutdown === "infinity" ||
      (typeof s.shutdown === "number" && Number.isInteger(s.shutdown) && s.shutdown >= 0))
  ) {
    return bad("shutdown", `must be "brutalKill", "infinity" or a non-negative integer of ms, got ${JSON.stringify(s.shutdown)}`)
  }
  if (s.type !== "worker" && s.type !== "supervisor") return bad("type", `must be "worker" or "supervisor"`)
  if (typeof s.significant !== "boolean") return bad("significant", "must be a boolean")
  if (s.significant && s.restart === "permanent") {
    return bad("significant", "cannot be true for a permanent child (OTP's rule)")
  }
  if (!Array.isArray(s.modules) || !allStrings(s.modules)) {
    return bad("modules", "must be an array of module names")
  }
  return undefined
}

/**
 * Checks a list of specs: each spec's fields, then duplicate ids.
 *
 * @category validation
 * @since 0.1.0
 */
export const validateAll = (specs: ReadonlyArray<unknown>): InvalidChildSpec | undefined => {
  if (!Array.isArray(specs)) return new InvalidChildSpec({ id: "?", field: "spec", reason: "the children must be an array of child specs" })
  const seen = new Set<string>()
  for (const spec of specs) {
    const error = validate(spec)
    if (error) return error
    const id = (spec as ChildSpec<unknown>).id
    if (seen.has(id)) return new InvalidChildSpec({ id, field: "id", reason: "is used by another child" })
    seen.add(id)
  }
  return undefined
}

/**
 * Whether a child with this restart type is restarted after exiting with `reason`.
 *
 * @category restart
 * @since 0.1.0
 */
export const shouldRestart = (restart: Restart, reason: ExitReason.ExitReason): boolean =>
  restart === "permanent" ||
  (restart === "transient" && reason._tag !== "Normal" && reason._tag !== "Shutdown")
