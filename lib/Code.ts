/**
 * The code server: which version of each behaviour module is current, and live upgrades of the
 * processes running it, Erlang's `code` module and release handler in one.
 *
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { Code, GenServer, Node } from "effect-otp"
 *
 * const Get = Rpc.make("Get", { success: Schema.Number })
 *
 * const CounterV1 = GenServer.make({
 *   name: "Counter",
 *   version: "1",
 *   calls: [Get],
 *   init: (n: number) => GenServer.ok(n),
 *   handleCall: { Get: (_, n) => GenServer.reply(n, n) }
 * })
 *
 * // Version 2 keeps a record; its codeChange migrates the state of running servers.
 * const CounterV2 = GenServer.make({
 *   name: "Counter",
 *   version: "2",
 *   calls: [Get],
 *   init: (n: number) => GenServer.ok({ count: n, upgrades: 0 }),
 *   handleCall: { Get: (_, s) => GenServer.reply(s.count, s) },
 *   codeChange: GenServer.migrate(Schema.Number, (count) => ({ count, upgrades: 1 }))
 * })
 *
 * const program = Effect.gen(function*() {
 *   const counter = yield* GenServer.start(CounterV1, 41)
 *   const report = yield* Code.upgrade(CounterV2)
 *   // report.upgraded: [pid]; the server kept its pid, mailbox and (migrated) state
 *   return yield* GenServer.call(counter, Get) // 41
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * ## Rules
 *
 * - A module is identified by its `name` and has a `version`. {@link load} makes a version
 *   current and keeps the previous one as old: two versions, as in Erlang.
 * - Behaviours start processes through the code server: `GenServer.start` (and so every
 *   supervisor start and restart) runs the **current** version of a loaded module, whatever
 *   module value it was given. A supervisor restarts its children with the new code after an
 *   upgrade.
 * - {@link upgrade} loads a version and changes the code of every live process running an
 *   older one of that module: the new version's `codeChange(oldVersion, state, extra)` runs
 *   between two of the process's messages, and the module is swapped. Messages that arrive
 *   meanwhile wait in the mailbox, in order; calls in flight are answered by the new code. A
 *   process whose `codeChange` fails keeps its old code and state; the report says, per
 *   process, what happened.
 * - Where OTP runs every code change inside the process (`sys:change_code`), effect-otp changes
 *   an idle process (blocked waiting for a message, none queued) in place: its `codeChange`
 *   runs on the upgrading fiber, with the process's own services and `Process.self`, and the
 *   process, if a message wakes it meanwhile, waits for the change to finish. Nothing
 *   observable differs (the change is the next thing the process would have done), and a large
 *   upgrade costs a fraction of waking every process. Busy processes get the system message,
 *   as with `Sys.changeCode`.
 * - A third version: loading a version while processes still run the *old* one purges the old
 *   one, as Erlang's `code:load_binary` does: those processes are killed (reason `killed`), and
 *   their supervisors restart them with the current version. Processes on the version that
 *   becomes old keep running until they are upgraded. {@link purge} and {@link softPurge} remove
 *   the old version on demand, killing or refusing as `code:purge` and `code:soft_purge` do.
 * - The first version of a module needs no {@link load}: the version a process is started with
 *   is current until another is loaded, as Erlang loads a module when it is first used. It then
 *   becomes old like any other, so its processes are purged by the load after that.
 * - Each process has a timeout to change its code (default 5 s, the wait of OTP's release
 *   handler for each process). One that does not make it, busy in a callback or in a slow
 *   `codeChange`, is reported (`timedOut`) and keeps its old code and state, and the upgrade goes
 *   on with the others: one stuck process never holds the upgrade. OTP's release handler
 *   likewise leaves a process that does not suspend in time on its old code (and resumes it, so
 *   that it is not left suspended), to be killed by the purge of the old code.
 *
 * ## In development
 *
 * `effect-otp dev` (see the README, "Hot reload in development") swaps a saved file's modules
 * in through {@link upgrade}, after checks of its own that need the TypeScript compiler and so
 * live in the command, not here: it refuses a file that does not type-check, a version older
 * than the running one (unless `--allow-downgrade`), and a GenServer whose state type changes
 * (a StateMachine whose data type changes, or that drops a state) while it has no `codeChange`.
 * What it swaps in is every behaviour module the file exports: a {@link Module} that the
 * `isModule` of a behaviour running in the program takes (GenServer's, StateMachine's, any
 * behaviour's on `Loop`). {@link upgrade} itself takes any version it is given: a module
 * without `codeChange` keeps the running state as it is, whatever its new `init` returns.
 *
 * ## Differences from OTP
 *
 * - OTP upgrades a release as one unit: a `code_change` that fails or times out aborts the
 *   installation and the node restarts on the old release. effect-otp upgrades one module and
 *   reports per process: a failed or timed-out process keeps its old code, the others take the
 *   new one, and the new version stays current.
 * - {@link load} never refuses: like `code:load_binary` it purges. OTP's `code:load_file`
 *   refuses (`not_purged`) while old code exists; use {@link softPurge} first for that.
 * - A code change the requester gave up on (timeout, interruption) is not made later: in OTP a
 *   `sys:change_code` that timed out may still run when the process gets to it.
 * - OTP's release handler suspends every process of the module, loads the new code, changes
 *   them, then resumes them all: no process runs the new version while another still runs the
 *   old. effect-otp changes processes one after the other while the others keep running, so
 *   during an upgrade processes of both versions can meet; make the protocol between versions
 *   compatible (as for a rolling upgrade of a cluster).
 * - `sys:change_code` answers `unknown_system_msg` unless the process was suspended first;
 *   `Sys.changeCode` suspends and resumes it itself, and {@link upgrade} leaves a process that
 *   `Sys.suspend` suspended still suspended (OTP's release handler resumes every process it
 *   touched).
 * - There is no downgrade mode (`{down, Vsn}`): going back is an upgrade to the older module
 *   value, whose `codeChange` gets the version the process runs.
 * - {@link purge} returns the processes it killed; `code:purge/1` returns whether there were any.
 *   There is no `code:delete` (a module cannot be left with no current version).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { BadArgument, type CallError, CallTimeout, NoProc } from "./Errors.js"
import * as ExitReason from "./ExitReason.js"
import * as GenInternal from "./internal/gen.js"
import type { SysError } from "./Sys.js"
import * as Sys from "./Sys.js"
import { ChangeCode, changeIdle, type CodeServer, serverOf, UpgradeSlice } from "./internal/code.js"
import type { LoopImpl } from "./internal/loop.js"
import { liveNodes, ProcessImpl, runtimeOf } from "./internal/runtime.js"
import { Node } from "./Node.js"
import type { Pid } from "./Pid.js"
import * as Process from "./Process.js"

/**
 * A versioned module, such as a GenServer module.
 *
 * @category models
 * @since 0.1.0
 */
export interface Module {
  /** The module's name: every version of one module has the same name. */
  readonly name: string
  /** This version of the module, e.g. `"2"`. */
  readonly version: string
}

/**
 * What {@link upgrade} did, per process; {@link load} returns its first four fields.
 *
 * @category models
 * @since 0.1.0
 */
export interface UpgradeReport {
  /** The name of the module loaded. */
  readonly name: string
  /** The version that was current before (now old), if any. */
  readonly previous: string | undefined
  /** The version that is now current: the one loaded. */
  readonly current: string
  /** Processes killed because they ran the version purged by this load. */
  readonly purged: ReadonlyArray<Pid>
  /** The versions the upgraded processes ran (comma-separated if several), if any was upgraded. */
  readonly from: string | undefined
  /** The processes whose code was changed, each with the version it ran before. */
  readonly upgraded: ReadonlyArray<{ readonly pid: Pid; readonly from: string }>
  /** The processes that kept their old code and state, each with its version and why: the `SysError` of a failed `codeChange`, or the call's error. */
  readonly failed: ReadonlyArray<{ readonly pid: Pid; readonly from: string; readonly error: CallError | SysError }>
  /**
   * The processes that did not finish their code change within the upgrade's `timeout` (busy in
   * a callback, or in a slow `codeChange`), each with its version and an `Error` saying so (its
   * `_tag` is `"ChangeTimeout"`; its message names the process, its version and the timeout).
   * What to do: find what keeps it busy (`Sys.getStatus`, the observer), then upgrade again, or
   * purge it.
   * The upgrade gave up on them: each keeps its old code and state, is not suspended, and
   * handles its messages as before; the abandoned change is never made later. A later
   * {@link upgrade} changes them, a {@link load} of a third version or a {@link purge} kills them.
   */
  readonly timedOut: ReadonlyArray<{
    readonly pid: Pid
    readonly from: string
    readonly error: Error & {
      readonly _tag: "ChangeTimeout"
      /** The process that did not change in time. */
      readonly pid: Pid
      /** The version it kept. */
      readonly version: string
      /** The timeout it was given, in milliseconds. */
      readonly timeoutMillis: number
    }
  }>
}

/**
 * A process did not finish its code change within the upgrade's timeout ({@link UpgradeReport}'s
 * `timedOut`). An error value in a report, never a failure of an Effect, so not exported.
 */
class ChangeTimeout extends Data.Error<{
  readonly pid: Pid
  readonly version: string
  readonly timeoutMillis: number
}> {
  readonly _tag = "ChangeTimeout"
  static {
    this.prototype.name = "ChangeTimeout"
  }
  override get message(): string {
    return `${String(this.pid)} did not change its code within ${this.timeoutMillis} ms (busy in a callback or in its codeChange); it keeps version ${this.version}`
  }
}

const withServer = <A, E, R>(f: (server: CodeServer) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Node> =>
  Effect.withFiber((fiber) => {
    const node = Context.getOrUndefined(fiber.context, Node)
    if (node === undefined) return Effect.die(new Error("effect-otp: no Node in context; provide Node.layer()"))
    return f(serverOf(runtimeOf(node)))
  })

/**
 * The current version of `module` (by name) if one was loaded, else `module` itself. Behaviours
 * start processes with this.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Code } from "effect-otp"
 *
 * declare const Counter: Code.Module
 * const running = Effect.map(Code.resolve(Counter), (module) => module.version)
 * ```
 *
 * @category behaviours
 * @since 0.1.0
 */
export const resolve = <M extends Module>(module: M): Effect.Effect<M, never, Node> =>
  withServer((server) => {
    installDevHook()
    return Effect.succeed((server.modules.get(module.name)?.current as M | undefined) ?? module)
  })

/**
 * Makes `module` the current version of its name; the previous current becomes old, and the
 * processes still running the version that was old are killed (reason `killed`), as OTP's
 * `code:load_binary` purges the old code before it loads the new. A version no process was
 * ever upgraded from counts: processes on the first version of a module, started before any
 * version was loaded, run old code once another version is current, and are killed by the load
 * after that. See {@link softPurge} to refuse rather than kill.
 *
 * @example
 * ```ts
 * import { Code } from "effect-otp"
 *
 * declare const CounterV2: Code.Module
 * const install = Code.load(CounterV2)
 * ```
 *
 * @category loading
 * @since 0.1.0
 */
export const load = (module: Module): Effect.Effect<Pick<UpgradeReport, "name" | "previous" | "current" | "purged">, BadArgument, Node> =>
  isModule(module) ? install(module, true) : Effect.fail(notAModule("Code.load", module))

/** Whether `u` is a module value: an object with a string `name` and `version`. */
const isModule = (u: unknown): u is Module =>
  (typeof u === "object" || typeof u === "function") && u !== null &&
  typeof (u as Module).name === "string" && typeof (u as Module).version === "string"

const notAModule = (operation: string, u: unknown): BadArgument =>
  new BadArgument({ operation, reason: `not a module (an object with a string name and version): ${describe(u)}` })

/**
 * The tracked processes of `name` that run none of `kept` (by identity): the processes an
 * Erlang node would have running purged code.
 */
const runningOther = (server: CodeServer, name: string, kept: ReadonlyArray<Module>): Array<Pid> => {
  const pids: Array<Pid> = []
  for (const [pid, tracked] of server.running.get(name) ?? []) {
    if (!kept.includes(tracked.module)) pids.push(pid)
  }
  return pids
}

/** Kills `pids` (reason `killed`), as a purge does. */
const killAll = (pids: ReadonlyArray<Pid>): Effect.Effect<ReadonlyArray<Pid>> =>
  pids.length === 0
    ? Effect.succeed(pids)
    : Effect.as(Effect.forEach(pids, (pid) => Process.exit(pid, ExitReason.kill), { discard: true }), pids)

/**
 * Installs `module` as current; with `purge`, kills the processes that run neither the new
 * current version nor the new old one (the version that was current): those of the version
 * that was old, and those of a first version that was never loaded once a loaded one has become
 * old. Before the first load of a name, the versions its processes run are its current code
 * (Erlang loads a module when it is first used), so the first load purges nothing.
 */
type LoadResult = Pick<UpgradeReport, "name" | "previous" | "current" | "purged">

const install = (module: Module, purge: boolean): Effect.Effect<LoadResult, never, Node> =>
  withServer((server) =>
    Effect.suspend(() => {
      const entry = server.modules.get(module.name)
      const previous = entry?.current
      const purged = purge && entry !== undefined && entry.current !== module
        ? runningOther(server, module.name, [module, entry.current])
        : []
      if (entry === undefined) server.modules.set(module.name, { current: module, old: undefined })
      else if (entry.current !== module) {
        entry.old = entry.current
        entry.current = module
      }
      const kept = server.modules.get(module.name)!
      const result: LoadResult = {
        name: module.name,
        previous: previous === module ? kept.old?.version : previous?.version,
        current: module.version,
        purged
      }
      return Effect.as(killAll(purged), result)
    })
  )

/**
 * Removes the old code of the module named `name`, killing (reason `killed`) every process
 * that still runs it, that is every tracked process not on the current version; their
 * supervisors restart them with the current version. Returns the processes killed (OTP's
 * `code:purge/1` returns whether there were any). Before any version of `name` was loaded,
 * nothing is old and nothing is killed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Code } from "effect-otp"
 *
 * // After an upgrade some processes could not take: restart them on the current version.
 * const finish = (name: string) =>
 *   Effect.gen(function*() {
 *     const killed = yield* Code.purge(name)
 *     yield* Effect.log(`${killed.length} process(es) on old code killed`)
 *   })
 * ```
 *
 * @category loading
 * @since 0.1.0
 */
export const purge = (name: string): Effect.Effect<ReadonlyArray<Pid>, never, Node> =>
  withServer((server) =>
    Effect.suspend(() => {
      const entry = server.modules.get(name)
      if (entry === undefined) return Effect.succeed([])
      entry.old = undefined
      return killAll(runningOther(server, name, [entry.current]))
    })
  )

/**
 * Removes the old code of the module named `name` only if no process runs it: `true` when it
 * did (or there was none), `false`, changing nothing, when some process still runs a version
 * other than the current one (OTP's `code:soft_purge/1`). The refusing counterpart of
 * {@link purge}: check, upgrade what is left, then purge.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Code } from "effect-otp"
 *
 * const tidy = (name: string) =>
 *   Effect.gen(function*() {
 *     if (!(yield* Code.softPurge(name))) yield* Effect.logWarning(`${name}: processes still run old code`)
 *   })
 * ```
 *
 * @category loading
 * @since 0.1.0
 */
export const softPurge = (name: string): Effect.Effect<boolean, never, Node> =>
  withServer((server) =>
    Effect.sync(() => {
      const entry = server.modules.get(name)
      if (entry === undefined) return true
      if (runningOther(server, name, [entry.current]).length > 0) return false
      entry.old = undefined
      return true
    })
  )

/**
 * Loads `module` and changes the code of every live process running another version of it:
 * their state is migrated by the new version's `codeChange(oldVersion, state, extra)`, their
 * pid and mailbox are kept. Reports, per process, whether it was upgraded (and from which
 * version) or kept its old code. Unlike {@link load}, nothing is purged: processes still on the
 * old version are upgraded too (from whatever version they run), which is how a failed
 * migration is retried with a fixed version.
 *
 * A process that is idle (waiting for a message, none queued) is changed in place: the new
 * version's `codeChange` runs on the upgrading fiber, on the process's behalf and with its
 * services, without waking it; a message that reaches it meanwhile waits until the change is
 * done. That is what the process would do with the system message, since it would be the next
 * thing it handles, and it costs a fraction of a wake-up: a large upgrade touches only the
 * state of each process, not its fiber. Idle processes are changed one after the other, as
 * OTP's release handler changes processes one by one, yielding to the rest of the node every
 * few milliseconds (the run queue's own budget per turn). Processes busy at that moment are tried once more
 * after the others (most are idle again by then); those still busy get their code change as a
 * system message (one request each, no fiber per process), which each handles between two of
 * its messages.
 *
 * Each process has `timeout` (default 5 s, on `Clock`) to change: a process busy in a long
 * callback, or whose `codeChange` does not finish, is given up on and reported in `timedOut`,
 * and the upgrade goes on with the others, as OTP's release handler gives up on a process that
 * does not answer its suspend request in time. Such a process keeps its old code and state
 * (an in-place change is interrupted; a queued change is dropped when the process gets to it,
 * or undone if its `codeChange` was running), is never left suspended, and handles its messages
 * as before. A bad `timeout` (negative, NaN, not a duration) is a `BadArgument` and changes
 * nothing.
 *
 * Interrupting the upgrade leaves every process running, none suspended: those already changed
 * run the new version, the others keep their old code and state (their pending changes are
 * dropped, as for a timeout); the new version stays loaded as current.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Code } from "effect-otp"
 *
 * const deploy = (next: Code.Module) =>
 *   Effect.gen(function*() {
 *     const report = yield* Code.upgrade(next, undefined, { timeout: "2 seconds" })
 *     for (const { pid, error } of report.timedOut) yield* Effect.logWarning(`${pid}: ${error.message}`)
 *     return report
 *   })
 * ```
 *
 * @category loading
 * @since 0.1.0
 */
export const upgrade = (
  module: Module,
  extra?: unknown,
  options?: {
    /**
     * How long each process may take to change its code: to get to the change (a busy process
     * finishes its callback first) and run the new version's `codeChange`. Default 5 s, as OTP's
     * release handler waits for each process (`suspend_timeout`); `"infinity"` waits for ever.
     * Measured on `Clock`, so `TestClock` drives it.
     */
    readonly timeout?: Duration.Input | "infinity" | undefined
  }
): Effect.Effect<UpgradeReport, BadArgument, Node> =>
  withServer((server) => {
    if (!isModule(module)) return Effect.fail(notAModule("Code.upgrade", module))
    const millis = timeoutMillis(options?.timeout)
    if (millis === undefined) {
      return Effect.fail(
        new BadArgument({ operation: "Code.upgrade", reason: `bad timeout: ${describe(options?.timeout)}` })
      )
    }
    return Effect.gen(function*() {
      const loaded = yield* install(module, false)
      const upgraded: Array<{ readonly pid: Pid; readonly from: string }> = []
      const failed: Array<{ readonly pid: Pid; readonly from: string; readonly error: CallError | SysError }> = []
      const timedOut: Array<{ readonly pid: Pid; readonly from: string; readonly error: ChangeTimeout }> = []
      const froms = new Set<string>()
      let lastFrom: string | undefined
      const settle = (pid: Pid, from: string, outcome: Exit.Exit<unknown, unknown>): void => {
        if (Exit.isSuccess(outcome)) {
          upgraded.push({ pid, from })
          if (from !== lastFrom) {
            froms.add(from)
            lastFrom = from
          }
          return
        }
        const error = Cause.findErrorOption(outcome.cause)
        // A process that exited meanwhile has nothing to upgrade.
        if (Option.isSome(error) && (error.value as CallError)._tag === "NoProc") return
        if (Option.isSome(error) && (error.value as CallError)._tag === "CallTimeout") {
          timedOut.push({ pid, from, error: new ChangeTimeout({ pid, version: from, timeoutMillis: millis }) })
          return
        }
        failed.push({
          pid,
          from,
          error: Option.isSome(error)
            ? error.value as CallError | SysError
            : new Sys.SysError({ request: "ChangeCode", reason: "the code change died", cause: outcome.cause })
        })
      }
      // Idle processes are changed in place, straight from the code server's table. Those busy
      // on this first pass are tried again after it (most are idle again by then); those still
      // busy get the system message, as does one that exited meanwhile (it answers `NoProc`:
      // nothing to upgrade). Every slice (internal/code.ts) the rest of the node gets its turn.
      let busy: Array<Busy> = []
      const slice = new UpgradeSlice()
      const attempt = (pid: Pid, tracked: LoopImpl, from: string): Effect.Effect<void> | undefined => {
        const change = changeIdle(tracked, module, extra)
        if (change === undefined) busy.push({ pid, tracked, from })
        else if (Exit.isExit(change)) settle(pid, from, change)
        else return Effect.map(awaitChange(pid, change, millis), (exit) => settle(pid, from, exit))
        return slice.due() ? slice.pause : undefined
      }
      // The table is copied first (exits during the walk must not disturb it), into two arrays:
      // no object per entry.
      const table = server.running.get(module.name)
      const pids = table === undefined ? [] : Array.from(table.keys())
      const trackeds = table === undefined ? [] : Array.from(table.values())
      for (let i = 0; i < pids.length; i++) {
        const tracked = trackeds[i]!
        if (tracked.module === module) continue
        const next = attempt(pids[i]!, tracked, tracked.module.version)
        if (next !== undefined) yield* next
      }
      const again = busy
      busy = []
      for (const { from, pid, tracked } of again) {
        // Changed meanwhile by a `Sys.changeCode` of its own: nothing left to do.
        const next = tracked.module === module ? settle(pid, from, Exit.void) : attempt(pid, tracked, from)
        if (next !== undefined) yield* next
      }
      const request = new ChangeCode(module, extra)
      const answers = yield* GenInternal.requestAll(
        busy.map((b) => b.pid),
        (from) => new GenInternal.SystemMessage(from, request),
        { timeoutMillis: millis }
      )
      busy.forEach((b, i) => settle(b.pid, b.from, answers[i]!))
      const from = [...froms].join(",")
      return { ...loaded, from: from.length > 0 ? from : undefined, upgraded, failed, timedOut }
    })
  })

/** OTP's default wait for each process in an upgrade (`sys:suspend/1`'s 5 s). */
const defaultUpgradeTimeout = 5000

/** The per-process timeout in milliseconds, or `undefined` when `timeout` is no valid one. */
const timeoutMillis = (timeout: unknown): number | undefined => {
  if (timeout === undefined) return defaultUpgradeTimeout
  if (timeout === "infinity") return Infinity
  if (typeof timeout === "number" && !(timeout >= 0)) return undefined // NaN and negatives
  const duration = Duration.fromInput(timeout as Duration.Input)
  if (Option.isNone(duration)) return undefined
  const millis = Duration.toMillis(duration.value)
  return millis >= 0 ? millis : undefined
}

const describe = (u: unknown): string => {
  try {
    return typeof u === "string" ? JSON.stringify(u) : String(u)
  } catch {
    return typeof u
  }
}

/**
 * Runs an asynchronous in-place code change for at most `millis`; a process that exited
 * meanwhile is reported as `NoProc` (nothing to upgrade), as the system message would have,
 * and one that did not finish in time as `CallTimeout`, its change interrupted (so it keeps its
 * old code and state), as the system message would have timed out.
 */
const awaitChange = (
  pid: Pid,
  change: Effect.Effect<void, SysError>,
  millis: number
): Effect.Effect<Exit.Exit<unknown, unknown>> =>
  Effect.map(
    Effect.exit(millis === Infinity ? Effect.asSome(change) : Effect.timeoutOption(change, millis)),
    (exit) => {
      if (pid instanceof ProcessImpl && !pid.alive) return Exit.fail(new NoProc({ target: pid }))
      if (Exit.isSuccess(exit) && Option.isNone(exit.value)) {
        return Exit.fail(new CallTimeout({ target: pid, timeoutMillis: millis }))
      }
      return exit
    }
  )

/** A process {@link upgrade} found busy. */
interface Busy {
  readonly pid: Pid
  readonly tracked: LoopImpl
  readonly from: string
}


// ----------------------------------------------------------------------------
// The development hook
// ----------------------------------------------------------------------------

/**
 * What the development tool (`effect-otp dev`) calls, through a global, to upgrade every live
 * node of this JavaScript process when a source file changes. The tool does not import the
 * library: it reaches the very instance the program runs (see bin/effect-otp.mjs).
 */
interface DevHook {
  /**
   * Whether `u` is a behaviour module: a {@link Module} (a string `name` and `version`) that a
   * behaviour whose processes ran on a live node takes as one of its modules (its `isModule`:
   * GenServer's, StateMachine's, a behaviour of the program's own on `Loop`). The tool swaps
   * those in, and no other value with a name and a version (an `Application`, say).
   */
  readonly isModule: (u: unknown) => boolean
  /** Upgrades every live node to each of `modules` ({@link upgrade}), and resolves with one report per node and module, with the time it took in milliseconds. */
  readonly upgrade: (modules: ReadonlyArray<Module>) => Promise<ReadonlyArray<UpgradeReport & { readonly millis: number }>>
}

const devHookKey = Symbol.for("effect-otp/dev-hook")

/**
 * Installs the development hook, the first time a process is started through the code server
 * ({@link resolve}) rather than when this module is imported: the package has no import-time
 * side effects. A program that never starts a behaviour has nothing to upgrade.
 */
const installDevHook = (): void => {
  const global = globalThis as { [devHookKey]?: DevHook }
  if (global[devHookKey] !== undefined) return
  global[devHookKey] = {
    isModule: (u) => {
      if (!isModule(u)) return false
      for (const node of liveNodes<Node>()) {
        for (const behaviour of serverOf(runtimeOf(node)).behaviours) {
          try {
            if (behaviour.isModule(u)) return true
          } catch {
            // a behaviour's guard that throws on this value: not its module
          }
        }
      }
      return false
    },
    upgrade: async (modules) => {
      const reports: Array<UpgradeReport & { readonly millis: number }> = []
      for (const node of liveNodes()) {
        for (const module of modules) {
          const t0 = performance.now()
          const report = await Effect.runPromise(upgrade(module).pipe(Effect.provideService(Node, node)))
          reports.push({ ...report, millis: performance.now() - t0 })
        }
      }
      return reports
    }
  }
}
