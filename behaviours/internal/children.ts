/**
 * The supervision engine Supervisor and DynamicSupervisor share: one validation of flags and
 * child specs, one path from a child's exit to its report, the intensity check and the restart
 * or the give-up, one way to stop children (each by its own shutdown), and the exit hold that
 * makes a supervisor's exit visible only once its children are gone. Each module keeps only what
 * differs: ordered children and strategies, or pids on demand with `maxChildren` and extra
 * arguments.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { identity } from "effect/Function"
import * as Option from "effect/Option"
import type * as Pull from "effect/Pull"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { BadArgument, InitIgnored } from "../../lib/Errors.js"
import * as ExitReason from "../../lib/ExitReason.js"
import { setHold, stopChildren, type Target } from "../../lib/internal/exitHold.js"
import { linksOf, selfOf } from "../../lib/internal/direct.js"
import { isPid, type Pid } from "../../lib/Pid.js"
import type * as Process from "../../lib/Process.js"
import { type ChildSpec, InvalidChildSpec } from "../ChildSpec.js"
import { gaveUp, shutdownError, started, startError, terminated } from "./reports.js"

// ----------------------------------------------------------------------------
// Validation
// ----------------------------------------------------------------------------

/** The auto-shutdown modes (a DynamicSupervisor is always `never`). */
export type AutoShutdown = "never" | "anySignificant" | "allSignificant"

/** The restart window of both supervisors: at most `intensity` restarts within `period`. */
export interface RestartFlags {
  readonly intensity?: number | undefined
  readonly period?: Duration.Input | undefined
}

const field = (record: unknown, key: string): unknown =>
  typeof record === "object" && record !== null ? (record as Record<string, unknown>)[key] : undefined

const periodMillis = (period: unknown): number | undefined => {
  const duration = Duration.fromInput(period as Duration.Input)
  if (Option.isNone(duration)) return undefined
  const millis = Duration.toMillis(duration.value)
  return Number.isInteger(millis) && millis > 0 ? millis : undefined
}

/**
 * Checks the restart window as OTP's `check_flags` does: the intensity a non-negative integer,
 * the period a positive whole number of milliseconds (finite). `undefined` when they are good.
 */
export const checkRestartFlags = (operation: string, flags: unknown): BadArgument | undefined => {
  const intensity = field(flags, "intensity")
  if (intensity !== undefined && !(typeof intensity === "number" && Number.isInteger(intensity) && intensity >= 0)) {
    return new BadArgument({ operation, reason: `intensity must be a non-negative integer, got ${show(intensity)}` })
  }
  const period = field(flags, "period")
  if (period !== undefined && periodMillis(period) === undefined) {
    return new BadArgument({ operation, reason: `period must be a positive, finite duration of whole milliseconds, got ${show(period)}` })
  }
  return undefined
}

/** Checks a flag against its allowed values (`undefined` is the default). */
export const checkChoice = (
  operation: string,
  flags: unknown,
  key: string,
  allowed: ReadonlyArray<string>
): BadArgument | undefined => {
  const value = field(flags, key)
  return value === undefined || allowed.includes(value as string)
    ? undefined
    : new BadArgument({ operation, reason: `${key} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${show(value)}` })
}

/** Checks the `backoff` flag: absent, or an Effect `Schedule`. */
export const checkBackoff = (operation: string, flags: unknown): BadArgument | undefined => {
  const backoff = field(flags, "backoff")
  return backoff === undefined || Schedule.isSchedule(backoff)
    ? undefined
    : new BadArgument({ operation, reason: `backoff must be an Effect Schedule, got ${show(backoff)}` })
}

const show = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value)
  return typeof value
}

const restarts: ReadonlyArray<unknown> = ["permanent", "transient", "temporary"]

const isEffect = (u: unknown): boolean => Effect.isEffect(u)

/** A loop, not `every` with a closure: a DynamicSupervisor checks a spec per `startChild`. */
const allStrings = (values: ReadonlyArray<unknown>): boolean => {
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== "string") return false
  return true
}

/** Checks one spec's fields; the error names the child and the field. */
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

/** Checks a list of specs: each spec's fields, then duplicate ids. */
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

/** Whether a child with this restart type is restarted after exiting with `reason`. */
export const shouldRestart = (restart: ChildSpec<unknown>["restart"], reason: ExitReason.ExitReason): boolean =>
  restart === "permanent" ||
  (restart === "transient" && reason._tag !== "Normal" && reason._tag !== "Shutdown")

/**
 * Checks one child spec as OTP's `check_childspec` does: its fields ({@link validate}, which
 * also turns a spec that cannot be read into `InvalidChildSpec`), and a significant child only
 * under a supervisor whose `autoShutdown` is not `never` (OTP's `bad_combination`).
 */
export const checkSpec = (spec: unknown, autoShutdown: AutoShutdown): InvalidChildSpec | undefined => {
  try {
    const invalid = validate(spec)
    if (invalid !== undefined) return invalid
    const s = spec as ChildSpec<unknown>
    if (s.significant && autoShutdown === "never") {
      return new InvalidChildSpec({
        id: s.id,
        field: "significant",
        reason: "cannot be true under a supervisor whose autoShutdown is \"never\" (OTP's rule)"
      })
    }
    return undefined
  } catch (error) {
    return new InvalidChildSpec({ id: "?", field: "spec", reason: `cannot be read: ${error instanceof Error ? error.message : typeof error}` })
  }
}

/** Checks a list of specs: an array, each spec, then unique ids. */
export const checkSpecs = (
  operation: string,
  specs: unknown,
  autoShutdown: AutoShutdown
): InvalidChildSpec | BadArgument | undefined => {
  if (!Array.isArray(specs)) return new BadArgument({ operation, reason: "the children must be an array of child specs" })
  const seen = new Set<string>()
  for (const spec of specs) {
    const invalid = checkSpec(spec, autoShutdown)
    if (invalid !== undefined) return invalid
    const id = (spec as ChildSpec<unknown>).id
    if (seen.has(id)) return new InvalidChildSpec({ id, field: "id", reason: "is used by another child" })
    seen.add(id)
  }
  return undefined
}

// ----------------------------------------------------------------------------
// The restart window
// ----------------------------------------------------------------------------

/**
 * The restart intensity window: at most `intensity` restarts within `period`. A sliding window
 * of restart times read from `Clock`; as OTP's `add_restart`, a restart exactly `period` old
 * still counts (the window is `[now - period, now]`).
 */
export class Intensity {
  /** Restart times, oldest first, from `head` on (a queue without `shift`). */
  private times: Array<number> = []
  private head = 0
  readonly intensity: number
  private readonly periodMillis: number
  constructor(flags: RestartFlags, defaultIntensity: number) {
    this.intensity = flags.intensity ?? defaultIntensity
    this.periodMillis = flags.period === undefined ? 5000 : periodMillis(flags.period)!
  }
  /** Records a restart at `now`; returns the restarts now in the window, this one included. */
  add(now: number): number {
    this.times.push(now)
    return this.recent(now)
  }
  /** Restarts inside the window now (after dropping the old ones). */
  recent(now: number): number {
    const since = now - this.periodMillis
    const times = this.times
    let head = this.head
    while (head < times.length && times[head]! < since) head++
    if (head > 1024 && head * 2 > times.length) {
      this.times = times.slice(head)
      head = 0
    }
    this.head = head
    return this.times.length - head
  }
}

/** The node's time for `fiber` (its `Clock`), read in the running step. */
const now = (fiber: Fiber.Fiber<unknown, unknown>): number => fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()

/**
 * What a supervisor does after a child exited, decided in one plain step: `"none"` (its
 * restart type says no), `"restart"` (counted against the intensity), or `"shutdown"` (the
 * restart would exceed the intensity: the supervisor gives up). Writes OTP's reports: the
 * `child_terminated` report for an abnormal exit, then `reached_max_restart_intensity` when it
 * gives up. `restarts` is set to the restarts in the window, this one included.
 */
export const decide = (
  fiber: Fiber.Fiber<unknown, unknown>,
  intensity: Intensity,
  spec: ChildSpec<any>,
  pid: Pid,
  reason: ExitReason.ExitReason
): "none" | "restart" | "shutdown" => {
  const restart = shouldRestart(spec.restart, reason)
  terminated(fiber, spec, pid, reason, restart ? "restart" : "none")
  if (!restart) return "none"
  return countRestart(fiber, intensity, spec, pid) > 0 ? "restart" : "shutdown"
}

/**
 * Counts one restart (also a new try after a failed restart) against the intensity: the
 * restarts now in the window, or 0 when that exceeds the intensity (the give-up report is
 * written; the supervisor shuts down).
 */
export const countRestart = (
  fiber: Fiber.Fiber<unknown, unknown>,
  intensity: Intensity,
  spec: ChildSpec<any>,
  pid?: Pid
): number => {
  const restarts = intensity.add(now(fiber))
  if (restarts <= intensity.intensity) return restarts
  gaveUp(fiber, spec, pid)
  return 0
}

/**
 * A restart's start failed: OTP's `start_error` report; the supervisor tries again after the
 * messages already queued, counting the try against the intensity. Returns the failure as an
 * exit reason.
 */
export const restartFailed = (fiber: Fiber.Fiber<unknown, unknown>, spec: ChildSpec<any>, failure: unknown): ExitReason.ExitReason => {
  const reason = ExitReason.isExitReason(failure) ? failure : ExitReason.fail(failure)
  startError(fiber, spec, reason)
  return reason
}

/** A child's restart backoff: the next delay from an Effect `Schedule`, per child. */
export class Backoff {
  private step: ((now: number, input: ExitReason.ExitReason) => Pull.Pull<[unknown, Duration.Duration], unknown, unknown>) | undefined
  constructor(private readonly schedule: Schedule.Schedule<unknown, ExitReason.ExitReason>) {}
  /** The delay before the next restart (zero once the schedule is done). */
  next(reason: ExitReason.ExitReason): Effect.Effect<number> {
    const self = this
    return Effect.gen(function*() {
      if (self.step === undefined) self.step = yield* Schedule.toStep(self.schedule)
      const now = yield* Clock.currentTimeMillis
      return yield* self.step(now, reason).pipe(
        Effect.map(([, delay]) => Duration.toMillis(delay)),
        Effect.catchCause(() => Effect.succeed(0))
      )
    })
  }
  /** Starts the schedule over (the child has been up for a whole intensity period). */
  reset(): void {
    this.step = undefined
  }
}

// ----------------------------------------------------------------------------
// Starting children
// ----------------------------------------------------------------------------

/** How starting a child from its spec went. */
export type Started = { readonly _tag: "Started"; readonly pid: Pid } | { readonly _tag: "Ignored" } | {
  readonly _tag: "Failed"
  readonly reason: unknown
}

const ignored: Started = { _tag: "Ignored" }

/** A start that failed: `InitIgnored` is an ignored child, any other failure a failed start. */
export const startFailed = (cause: Cause.Cause<unknown>): Started => {
  const error = Cause.findErrorOption(cause)
  if (Option.isSome(error) && error.value instanceof InitIgnored) return ignored
  return { _tag: "Failed", reason: Option.isSome(error) ? error.value : ExitReason.crash(cause) }
}

/** What a supervisor keeps while it runs a child's start: the spec, for its exit hold. */
export interface Starts {
  starting: ChildSpec<any> | undefined
}

const notAPid = (spec: ChildSpec<any>, value: unknown): Started => ({
  _tag: "Failed",
  reason: ExitReason.crash(Cause.die(new Error(`the start of child ${JSON.stringify(spec.id)} returned ${typeof value}, not a pid`)))
})

/**
 * Runs a child spec's `start` in the supervisor and tells `onStarted` the pid (the progress
 * report is written first) or `onFailed` how it failed (an ignored child is an `Ignored`, any
 * other failure a `Failed` carrying the typed error or a crash of the cause, a start that
 * returned no pid a crash too); both are given the supervisor's fiber, in whose step they run.
 * One continuation around the spec's own start: the restart path runs it once per restart.
 *
 * `starts.starting` names the spec from now until the start is over, so that the supervisor's
 * exit hold stops a child whose start it was waiting for. It is set when this is called, which
 * is right before the returned Effect runs (no Effect step of its own on the restart path).
 */
export const startSpecWith = <A>(
  starts: Starts,
  spec: ChildSpec<any>,
  onStarted: (pid: Pid, fiber: Fiber.Fiber<unknown, unknown>) => A,
  onFailed: (started: Started, fiber: Fiber.Fiber<unknown, unknown>) => A
): Effect.Effect<A, never, any> => {
  starts.starting = spec
  return Effect.matchCause(spec.start as Effect.Effect<Pid, unknown, any>, {
    onSuccess: (pid) => {
      starts.starting = undefined
      const fiber = Fiber.getCurrent()!
      if (!isPid(pid)) return onFailed(notAPid(spec, pid), fiber)
      started(fiber, spec, pid)
      return onStarted(pid, fiber)
    },
    onFailure: (cause) => {
      starts.starting = undefined
      return onFailed(startFailed(cause), Fiber.getCurrent()!)
    }
  })
}

const asStarted = (pid: Pid): Started => ({ _tag: "Started", pid })

/**
 * Runs a child spec's `start` in the supervisor: `InitIgnored` is an ignored child, any other
 * failure a failed start (its typed error, or a crash carrying the cause); a started child gets
 * a progress report.
 */
export const startSpec = (starts: Starts, spec: ChildSpec<any>): Effect.Effect<Started, never, any> =>
  startSpecWith<Started>(starts, spec, asStarted, identity)

// ----------------------------------------------------------------------------
// Stopping children
// ----------------------------------------------------------------------------

/** A running child to stop: its pid and spec. */
export interface Running {
  readonly pid: Pid
  readonly spec: ChildSpec<any>
}

const shutdownReason = ExitReason.shutdown()

/**
 * Stops `children` all at once, each by its own shutdown (OTP's `shutdown/2` for each, as
 * Elixir's DynamicSupervisor does it for all: one signal each, then each is killed when its own
 * time is up), and writes OTP's `shutdown_error` report for a child that ended with another
 * reason than the one its shutdown asks for. The children stay the supervisor's until this
 * completes (its exit hold still sees them if the supervisor is killed meanwhile).
 */
export const shutdown = (children: ReadonlyArray<Running>): Effect.Effect<void, never, Process.CurrentProcess> =>
  children.length === 0 ? Effect.void : Effect.withFiber((fiber) => {
    const self = selfOf(fiber)!
    const targets: Array<Target> = children.map((c) => ({ pid: c.pid, shutdown: c.spec.shutdown }))
    return Effect.flatMap(stopChildren(self, targets, shutdownReason), (reasons) =>
      Effect.withFiber((fiber) => {
        for (let i = 0; i < children.length; i++) {
          const child = children[i]!
          if (!expected(child.spec, reasons[i]!)) shutdownError(fiber, child.spec, child.pid, reasons[i]!)
        }
        return Effect.void
      }))
  })

/** Stops one child by its shutdown (see {@link shutdown}). */
export const shutdownChild = (child: Running): Effect.Effect<void, never, Process.CurrentProcess> => shutdown([child])

/** The reasons a child stopped by its shutdown may end with without a `shutdown_error` report (OTP's). */
const expected = (spec: ChildSpec<any>, reason: ExitReason.ExitReason): boolean => {
  if (spec.shutdown === "brutalKill") return reason._tag === "Killed"
  if (reason._tag === "Shutdown") return true
  return reason._tag === "Normal" && spec.restart !== "permanent"
}

/**
 * Makes the calling supervisor's exit wait for its children: whenever it ends while children
 * run (killed, crashed, stopped halfway), each is stopped as its link would be told of the
 * supervisor's exit (its parent's `Exit` with the supervisor's reason, `kill` for
 * `brutalKill`), each bounded by its own shutdown, and only then do the supervisor's links and
 * monitors see it exit. `running` lists the children (the order they are signalled in);
 * `starts.starting` is the spec of a start in progress, whose new process (linked to the
 * supervisor, not yet known by pid) is stopped by that spec's shutdown; `isChild` tells known
 * children. Links the supervisor had when this was called (its parent) are left alone.
 */
export const holdChildren = (
  running: () => Iterable<Running>,
  starts: Starts,
  isChild: (pid: unknown) => boolean
): Effect.Effect<void, never, Process.CurrentProcess> =>
  Effect.withFiber((fiber) => {
    const self = selfOf(fiber)!
    const parents = linksOf(self)
    setHold(self, (reason) => {
      const targets: Array<Target> = []
      for (const child of running()) targets.push({ pid: child.pid, shutdown: child.spec.shutdown })
      const starting = starts.starting
      if (starting !== undefined) {
        for (const linked of linksOf(self)) {
          if (!parents.includes(linked) && !isChild(linked)) targets.push({ pid: linked, shutdown: starting.shutdown })
        }
      }
      return targets.length === 0 ? undefined : Effect.asVoid(stopChildren(self, targets, reason))
    })
    return Effect.void
  })

// ----------------------------------------------------------------------------
// Protocol helpers
// ----------------------------------------------------------------------------

/** The Schema of a pid in the supervisors' protocols (local values: no encoding). */
export const PidSchema = Schema.declare<Pid>(isPid)

/** The Schema of an error class in the supervisors' protocols. */
export const errorSchema = <C extends abstract new(...args: any) => any>(c: C) => Schema.instanceOf(c)

/** How a child is stopped (its spec's `shutdown`). */
export type Shutdown = ChildSpec<unknown>["shutdown"]
