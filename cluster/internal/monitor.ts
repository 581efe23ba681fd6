/**
 * Monitors of cluster references: a proxy process on the caller's node follows the entity's
 * incarnations (re-attaching across graceful moves) and pings the runner hosting it, and exits
 * with the entity's exit reason, or `noconnection` when the runner is unreachable.
 */
import * as Cause from "effect/Cause"
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { Errors, ExitReason, Gen, type GenServer, type Node, type Pid, Process, type Reference } from "effect-otp"
import { watchExit } from "../../lib/internal/direct.js"
import { durationMillis } from "../../lib/internal/timers.js"
import { ClusterTarget } from "./client.js"
import { EntityFailure, reasonFromWire } from "./wire.js"


/**
 * Monitors a server from the calling process: it gets one `Down` message (with the returned
 * reference) when the server exits. On a cluster reference: when the entity's current
 * incarnation crashes or stops (the reason is its exit reason; `noproc` if its `init` returned
 * `ignore`), or when the runner hosting it becomes unreachable (`noconnection`); graceful moves
 * are followed, not reported. Monitoring activates the entity. On a local server it is
 * `Process.monitor` (of the server a name resolves to now, `Down` with `noproc` if none).
 *
 * `Process.demonitor(ref, { flush: true })` ends it; the proxy process behind a cluster
 * monitor then stops within one ping interval.
 *
 * A bad option (a duration that is negative, `NaN` or no duration, a `pingFailures` that is not
 * a positive integer) is a `BadArgument` defect of the caller, as a bad argument to
 * `erlang:monitor/3` raises `badarg`.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer, Node } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })
 * const Counter = GenServer.make({
 *   name: "Counter",
 *   calls: [Add],
 *   init: (_id: string) => GenServer.ok(0),
 *   handleCall: { Add: ({ by }, n) => GenServer.reply(n + by, n + by) }
 * })
 * const Counters = Cluster.entity(Counter)
 * import { Process } from "effect-otp"
 *
 * const watchCounter = Effect.gen(function*() {
 *   const counter = yield* Cluster.ref(Counters, "visits")
 *   yield* Cluster.monitor(counter, { pingInterval: "500 millis" })
 *   return yield* Process.receive({ match: Process.isDownMessage }) // noconnection if its runner goes
 * })
 * ```
 *
 * @category monitors
 * @since 0.1.0
 */
export const monitor = (
  server: GenServer.Server<unknown, unknown>,
  options?: {
    /** How often the entity's runner is pinged (default 1 s). */
    readonly pingInterval?: Duration.Input | undefined
    /** Consecutive failed pings after which the runner counts as unreachable (default 3). */
    readonly pingFailures?: number | undefined
    /** How long one ping may take (default 2 s). */
    readonly pingTimeout?: Duration.Input | undefined
  }
): Effect.Effect<Reference.Reference, never, Process.CurrentProcess | Node.Node> => {
  const target = server.target
  if (!(target instanceof ClusterTarget)) {
    return Effect.flatMap(Gen.whereis(target), (pid) =>
      Option.isSome(pid)
        ? Process.monitor(pid.value)
        : Effect.map(Process.spawnMonitor(Process.exitWith(ExitReason.noproc)), ([, ref]) => ref))
  }
  // A bad option is a defect of the caller, as a bad argument to `erlang:monitor/3` raises.
  const ping = pingOptions(options)
  if (ping instanceof Errors.BadArgument) return Effect.die(ping)
  return Effect.gen(function*() {
    const caller = yield* Process.self
    const [, monitorRef] = yield* Process.spawnMonitor(watchEntity(target, caller, ping))
    return monitorRef
  })
}

/** The options of {@link monitor} checked, in milliseconds. */
interface PingOptions {
  readonly intervalMillis: number
  readonly timeoutMillis: number
  readonly failures: number
}

/** Checks a monitor's options as every duration a user gives is checked: `BadArgument` if one is bad. */
const pingOptions = (options: Parameters<typeof monitor>[1]): PingOptions | Errors.BadArgument => {
  const intervalMillis = durationMillis("Cluster.monitor pingInterval", options?.pingInterval ?? "1 second", false)
  if (typeof intervalMillis !== "number") return intervalMillis
  const timeoutMillis = durationMillis("Cluster.monitor pingTimeout", options?.pingTimeout ?? "2 seconds", false)
  if (typeof timeoutMillis !== "number") return timeoutMillis
  const failures = options?.pingFailures ?? 3
  if (typeof failures !== "number" || !Number.isInteger(failures) || failures < 1) {
    return new Errors.BadArgument({ operation: "Cluster.monitor", reason: `pingFailures must be a positive integer, got ${String(failures)}` })
  }
  return { intervalMillis, timeoutMillis, failures }
}

const watchEntity = (
  target: ClusterTarget,
  caller: Pid.Pid,
  options: PingOptions
): Effect.Effect<void, never, Process.CurrentProcess> =>
  Effect.gen(function*() {
    const self = yield* Process.self
    const interval = Duration.millis(options.intervalMillis)
    const pingTimeout = Duration.millis(options.timeoutMillis)
    const maxFailures = options.failures
    let runner: RunnerAddress.RunnerAddress | undefined

    // The entity side: incarnations and exits, re-attaching across graceful moves.
    const attach: Effect.Effect<ExitReason.ExitReason> = Effect.gen(function*() {
      while (true) {
        let ended: ExitReason.ExitReason | undefined
        let current: string | undefined
        const outcome = yield* Effect.exit(Stream.runForEachWhile(target.watch, (event) =>
          Effect.sync(() => {
            if (event._tag === "Exited") {
              ended = reasonFromWire(event.reason)
              return false
            }
            if (current !== undefined && current !== event.incarnation) {
              // The cluster re-sent the monitor to a new incarnation while the old one had
              // neither exited nor stopped gracefully: its runner was lost.
              ended = ExitReason.noconnection
              return false
            }
            current = event.incarnation
            runner = RunnerAddress.make(event.host, event.port)
            return true
          })
        ))
        if (ended !== undefined) return ended
        if (Exit.isFailure(outcome) && !Cause.hasInterruptsOnly(outcome.cause)) {
          const error = Cause.findError(outcome.cause)
          if (error._tag === "Success" && error.success instanceof EntityFailure && error.success.reason !== undefined) {
            return reasonFromWire(error.success.reason)
          }
          if (error._tag === "Failure") return ExitReason.crash(outcome.cause)
          // A refusal of the cluster (routing, mailbox): try again shortly.
          yield* Effect.sleep(interval)
        }
        // Ended without an exit: the entity was stopped gracefully (passivated, moved); follow it.
        runner = undefined
      }
    })

    // The runner side: consecutive failed pings mean unreachable. Also notices the end of the
    // monitor (demonitor): then nobody is watching this proxy any more.
    const ping: Effect.Effect<ExitReason.ExitReason | undefined> = Effect.gen(function*() {
      let failures = 0
      while (true) {
        yield* Effect.sleep(interval)
        const info = yield* Process.info(self)
        if (Option.isSome(info) && !info.value.monitoredBy.some((pid) => pid === caller)) return undefined
        if (runner === undefined || Option.isNone(target.runners)) {
          failures = 0
          continue
        }
        const alive = yield* target.runners.value.ping(runner).pipe(
          Effect.timeoutOption(pingTimeout),
          Effect.map(Option.isSome),
          Effect.catchCause(() => Effect.succeed(false))
        )
        failures = alive ? 0 : failures + 1
        if (failures >= maxFailures) return ExitReason.noconnection
      }
    })

    const callerGone = Effect.callback<undefined>((resume) => {
      const cancel = watchExit(caller, () => resume(Effect.succeed(undefined)))
      if (cancel === undefined) resume(Effect.succeed(undefined))
      return Effect.sync(() => cancel?.())
    })

    const reason = yield* Effect.raceAll([attach, ping, callerGone])
    if (reason !== undefined && reason._tag !== "Normal") return yield* Process.exitWith(reason)
    if (reason !== undefined) return yield* Process.exitWith(ExitReason.normal)
  })
