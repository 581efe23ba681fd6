/**
 * The chaos engine, shared by the bounded test (`test/chaos.test.ts`, TestClock) and the soak
 * runner (`npm run chaos`, real time).
 *
 * A run starts the tree of `tree.ts`, lets clients (plain fibers) call its workers by pid, local
 * name and via name while the monkey runs the kill schedule of `schedule.ts`, then checks:
 *
 * - every call was answered or failed with a typed error (`NoProc`, `CallExit`, `CallTimeout`),
 *   never a defect, and none is left pending (hung) once the clock passed every timeout;
 * - every supervisor has all its children running, every local name, via name and pub/sub
 *   entry resolves to the live process its supervisor runs now (none to a dead one);
 * - a worker's state is its own incarnation's: the calls it counts are the calls answered by
 *   that pid (a restarted worker starts from its init state), and a tick published to a topic
 *   reaches every subscriber;
 * - no message sent to a live worker is lost: each worker that is alive at the end counted
 *   every tick published to it and every `Wake` sent to it, also those that arrived just after
 *   one of its receives was cut short by a timeout (its "naps");
 * - no supervisor gave up except the storms' cells, each exactly once and then restarted by its
 *   parent, and no restart failed. Both are read from the supervisors' reports ("reached max
 *   restart intensity", "restart of … failed"): a supervisor that gave up without its report
 *   (the DynamicSupervisor does, issue 15 item 6) is seen only through what is missing after;
 * - the node runs exactly the tree's processes (no leak, no process stuck exiting), and none
 *   once the tree is stopped.
 *
 * Where this asks more than OTP 25 does: a restart may never fail because a process it replaces
 * (at any depth) still holds its name while it dies (issue 15 item 1). OTP 25 has that race
 * (`otp/name_race.erl`): when a supervisor with 100 named workers is killed, its parent's
 * restart fails with `already_started` in about a third of the runs, and in every run when the
 * killed supervisor had a nested supervisor with 10 named workers; the parent then gives up.
 *
 * The engine never fails: it returns figures and the list of problems it found.
 */
import { Cause, Clock, Context, Effect, Equal, Exit, Fiber, Logger, Option, References } from "effect"
import { DynamicSupervisor, ExitReason, Gen, GenServer, Node, Pid, Process, Registry, Supervisor } from "../../index.js"
import { Request } from "../../behaviours/internal/server.js"
import { runtimeOf } from "../../lib/internal/runtime.js"
import * as Prng from "./prng.js"
import { type Kill, type Method, type Options as ScheduleOptions, type Round, Schedule } from "./schedule.js"
import * as Tree from "./tree.js"

/**
 * A supervisor's `whichChildren`, bounded by the engine's call timeout: the same request
 * `Supervisor.whichChildren` sends (which waits as long as it takes, as OTP's), as a plain call.
 */
const whichChildrenWithin = (name: string, timeout: number) =>
  Gen.call(name, new Request("WhichChildren", undefined), { timeout }) as Effect.Effect<
    ReadonlyArray<Supervisor.ChildInfo>,
    unknown
  >

// ----------------------------------------------------------------------------
// Options and results
// ----------------------------------------------------------------------------

/** How the run moves time: `TestClock.adjust` in the test, a real sleep in the soak. */
export interface Driver {
  readonly advance: (millis: number) => Effect.Effect<void>
}

export interface Options {
  readonly seed: number
  readonly shape: Tree.Shape
  readonly schedule: Omit<ScheduleOptions, "seed">
  /** Rounds to run; with `minutes`, the soak runs rounds until that much live time passed. */
  readonly rounds: number
  readonly minutes?: number | undefined
  /** Client fibers calling the workers. */
  readonly clients: number
  /** Timeout of the clients' calls (ms). */
  readonly callTimeout: number
  /** Event-loop turns between two looks while waiting for the tree to be whole. */
  readonly settleYields: number
  /** Called with the figures so far, about every `progressEvery` rounds (the soak prints them). */
  readonly progress?: ((figures: Figures) => Effect.Effect<void>) | undefined
  readonly progressEvery?: number | undefined
  /** Told each phase of the run, for following a long one. */
  readonly trace?: ((line: string) => void) | undefined
}

export interface Figures {
  seed: number
  rounds: number
  elapsedMillis: number
  tree: { workers: number; supervisors: number; processes: number }
  kills: {
    workers: number
    subtrees: number
    big: number
    storms: number
    /** Targets not running when their turn came (already being restarted). */
    missed: number
    byMethod: Record<string, number>
  }
  calls: {
    made: number
    answered: number
    errors: Record<string, number>
    defects: number
    hung: number
    /** Crash calls of the monkey: each must end in `CallExit` (or `NoProc`). */
    crashCalls: number
    publishes: number
    /** Naps (a receive cut short by a timeout) and `Wake` messages sent by the clients. */
    naps: number
    wakes: number
  }
  restarts: { workers: number; starts: number; giveUps: number; failedRestarts: number }
  names: { checked: number; recovered: number }
  /** Live processes: before the tree, with the whole tree, now (the last figures), at the end with the tree, after stopping it. */
  processes: { before: number; tree: number; now: number; afterTree: number; afterStop: number }
  /** Heap used (after a full GC when `--expose-gc` is on): before the tree, at the last look, highest look. */
  heap: { beforeMb: number; nowMb: number; peakMb: number }
  populator: { runs: number; started: number; failed: number; interrupted: number }
}

export interface Report {
  readonly figures: Figures
  readonly problems: ReadonlyArray<string>
}

// ----------------------------------------------------------------------------
// Problems: counted by category, with the first few examples of each
// ----------------------------------------------------------------------------

class Problems {
  private readonly categories = new Map<string, { count: number; examples: Array<string> }>()
  add(category: string, example: string): void {
    let entry = this.categories.get(category)
    if (entry === undefined) {
      entry = { count: 0, examples: [] }
      this.categories.set(category, entry)
    }
    entry.count++
    if (entry.examples.length < 5) entry.examples.push(example.length > 600 ? `${example.slice(0, 600)}…` : example)
  }
  get size(): number {
    return this.categories.size
  }
  lines(): Array<string> {
    return [...this.categories].map(([category, { count, examples }]) =>
      `${category} (${count}×)\n    ${examples.join("\n    ")}`
    )
  }
}

// ----------------------------------------------------------------------------
// Logs: supervisor reports, counted
// ----------------------------------------------------------------------------

interface LogStats {
  starts: number
  giveUps: Array<{ readonly name: string; readonly pid: string }>
  failedRestarts: Array<string>
  crashReports: number
  warnings: Map<string, number>
}

const makeLogger = (stats: LogStats) =>
  Logger.make<unknown, void>(({ fiber, logLevel, message }) => {
    const parts = Array.isArray(message) ? message : [message]
    const text = parts.filter((p) => typeof p === "string").join(" ")
    const annotations = Context.get(fiber.context, References.CurrentLogAnnotations) as Record<string, unknown>
    if (logLevel === "Debug") {
      if (annotations["report"] === "progress") stats.starts++
      return
    }
    if (text.includes("reached max restart intensity")) {
      const pid = Context.getOrUndefined(fiber.context, Process.CurrentProcess)
      const info = pid === undefined ? Option.none() : Effect.runSync(Process.info(pid))
      const name = Option.isSome(info) ? Option.getOrElse(info.value.registeredName, () => "?") : "?"
      stats.giveUps.push({ name, pid: String(annotations["supervisor"] ?? pid) })
      return
    }
    if (annotations["context"] === "start_error") {
      stats.failedRestarts.push(parts.map((p) => (typeof p === "string" ? p : describe(p))).join(" "))
      return
    }
    // gen_server's error report of a worker that crashed (the chaos crashes them on purpose): as
    // OTP, logged beside the supervisor's own report.
    if (annotations["report"] === "gen_server") {
      stats.crashReports++
      return
    }
    if (logLevel === "Warn" || logLevel === "Fatal" || (logLevel === "Error" && annotations["report"] !== "supervisor")) {
      const key = `${logLevel}: ${text.slice(0, 120)}`
      stats.warnings.set(key, (stats.warnings.get(key) ?? 0) + 1)
    }
  })

const describe = (value: unknown): string => {
  if (Cause.isCause(value)) return Cause.pretty(value)
  if (ExitReason.isExitReason(value)) return ExitReason.format(value)
  if (value instanceof Error) return `${value.name}: ${value.message}`
  const text = String(value)
  return text === "[object Object]" ? JSON.stringify(value) ?? text : text
}

// ----------------------------------------------------------------------------
// Call outcomes
// ----------------------------------------------------------------------------

const typedCallErrors = new Set(["NoProc", "CallExit", "CallTimeout"])

/** How long a client waits after a `NoProc` before its next call (logical ms). */
const backoffMillis = 50

/** The tag of a call's typed failure, or undefined for a defect or an interruption. */
const failureTag = (cause: Cause.Cause<unknown>): string | undefined => {
  const error = Cause.findErrorOption(cause)
  if (Option.isNone(error)) return undefined
  const tag = (error.value as { readonly _tag?: unknown })._tag
  return typeof tag === "string" ? tag : `untagged ${describe(error.value)}`
}

/** Local pids are compared by identity first (a structural comparison is slow in bulk). */
const samePid = (a: Pid.Pid | undefined, b: Pid.Pid | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && Equal.equals(a, b))

// ----------------------------------------------------------------------------
// The run
// ----------------------------------------------------------------------------

const heapMb = (): number => {
  ;(globalThis as { gc?: () => void }).gc?.()
  return Math.round(process.memoryUsage().heapUsed / 1e5) / 10
}

export const run = (options: Options, driver: Driver): Effect.Effect<Report, never, Node.Node | Process.CurrentProcess> => {
  const logs: LogStats = { starts: 0, giveUps: [], failedRestarts: [], crashReports: 0, warnings: new Map() }
  return runWith(options, driver, logs).pipe(
    Effect.provideService(Logger.CurrentLoggers, new Set([makeLogger(logs)])),
    Effect.provideService(References.MinimumLogLevel, "Debug")
  )
}

const runWith = (options: Options, driver: Driver, logs: LogStats) =>
  Effect.gen(function*() {
    const startedAt = yield* Clock.currentTimeMillis
    const wallStart = performance.now()
    const tree = Tree.describe(options.shape)
    const env = Tree.makeEnv(tree)
    const problems = new Problems()
    const node = yield* Node.Node
    const baseline = yield* Process.processes
    const figures: Figures = {
      seed: options.seed,
      rounds: 0,
      elapsedMillis: 0,
      tree: { workers: tree.workers.length, supervisors: tree.supervisors.length, processes: Tree.processCount(tree) },
      kills: { workers: 0, subtrees: 0, big: 0, storms: 0, missed: 0, byMethod: {} },
      calls: { made: 0, answered: 0, errors: {}, defects: 0, hung: 0, crashCalls: 0, publishes: 0, naps: 0, wakes: 0 },
      restarts: { workers: 0, starts: 0, giveUps: 0, failedRestarts: 0 },
      names: { checked: 0, recovered: 0 },
      processes: { before: baseline.length, tree: 0, now: baseline.length, afterTree: 0, afterStop: 0 },
      heap: { beforeMb: heapMb(), nowMb: 0, peakMb: 0 },
      populator: { runs: 0, started: 0, failed: 0, interrupted: 0 }
    }
    const expectedProcesses = baseline.length + Tree.processCount(tree)
    const { callTimeout } = options
    const trace = (line: string) => options.trace?.(`[${Math.round(performance.now() - wallStart)} ms, cpu ${Math.round(process.cpuUsage().user / 1000)}] ${line}`)

    /**
     * What the node and the checks have done so far: it changes as long as work goes on
     * (starts, exits, the checks' own calls), whatever the clients do.
     */
    let checkCalls = 0
    const activity = (): string =>
      `${logs.starts} ${env.stats.inits} ${env.populator.started} ${runtimeOf(node).count} ${checkCalls}`

    /**
     * Waits for `effect` (forked), moving the clock on only once nothing moves any more, so that
     * its own timeouts fire only when it is stuck, never while it is merely slow (a check of
     * 10k workers takes many event-loop turns). After `steps` such moves, or a long while of
     * work that never settles, it is interrupted: undefined.
     */
    const drive = <A, E, R>(effect: Effect.Effect<A, E, R>, steps = 5) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(effect)
        let last = activity()
        let moves = 0
        for (let block = 0; block < 400; block++) {
          for (let i = 0; i < options.settleYields; i++) {
            const exit = fiber.pollUnsafe()
            if (exit !== undefined) return exit
            yield* Effect.yieldNow
          }
          const now = activity()
          if (now !== last && block % 50 !== 49) {
            last = now
            continue
          }
          if (moves++ >= steps) break
          yield* driver.advance(callTimeout + 1)
          last = activity()
        }
        yield* Fiber.interrupt(fiber)
        return undefined
      })

    // ------------------------------------------------------------------------
    // Checks
    // ------------------------------------------------------------------------

    const whereis = (name: string) => Effect.map(Process.whereis(name), Option.getOrUndefined)

    const viaOwners = (key: string) =>
      Effect.match(Registry.lookup(env.reg, key), {
        onFailure: () => undefined,
        onSuccess: (entries) => entries.map(([pid]) => pid)
      })

    interface Snapshot {
      readonly problems: Problems
      readonly current: Map<string, Pid.Pid>
      readonly views: Map<string, Tree.WorkerView>
    }

    /**
     * Looks at the whole tree: children, names, registries, and (`full`) every worker's view,
     * by a call to each.
     */
    const inspect = (full: boolean): Effect.Effect<Snapshot, never, Node.Node> => Effect.gen(function*() {
      const found = new Problems()
      const current = new Map<string, Pid.Pid>()
      const views = new Map<string, Tree.WorkerView>()
      const rootPid = yield* whereis(tree.root.name)
      if (rootPid === undefined) {
        found.add("the root supervisor is not running", tree.root.name)
        return { problems: found, current, views }
      }
      current.set(tree.root.id, rootPid)
      for (const sup of tree.supervisors) {
        const pid = current.get(sup.id)
        if (pid === undefined) continue
        if (sup.kind === "supervisor") {
          const children = yield* Effect.exit(
            whichChildrenWithin(sup.name, callTimeout)
          )
          checkCalls++
          if (Exit.isFailure(children)) {
            found.add("a supervisor does not answer whichChildren", `${sup.name}: ${Cause.pretty(children.cause)}`)
            continue
          }
          const ids = children.value.map((c) => c.id).join(",")
          const expected = sup.children.map((c) => c.id).join(",")
          if (ids !== expected) found.add("a supervisor's children are not its spec's", `${sup.name}: [${ids}], expected [${expected}]`)
          for (const child of children.value) {
            if (Pid.isPid(child.pid)) current.set(child.id, child.pid)
            else found.add("a child is not running", `${sup.name}/${child.id}: ${String(child.pid)}`)
          }
        } else {
          const children = yield* Effect.exit(DynamicSupervisor.whichChildren(sup.name))
          checkCalls++
          if (Exit.isFailure(children)) {
            found.add("a supervisor does not answer whichChildren", `${sup.name}: ${Cause.pretty(children.cause)}`)
            continue
          }
          const seen = new Map<string, number>()
          for (const child of children.value) {
            seen.set(child.id, (seen.get(child.id) ?? 0) + 1)
            if (Pid.isPid(child.pid)) current.set(child.id, child.pid)
            else found.add("a child is not running", `${sup.name}/${child.id}: ${String(child.pid)}`)
          }
          const missing = sup.children.filter((w) => !seen.has(w.id)).map((w) => w.id)
          const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id)
          if (missing.length > 0) found.add("DynamicSupervisor children missing", `${missing.length} of ${sup.children.length}: ${missing.slice(0, 8).join(", ")}`)
          if (twice.length > 0) found.add("DynamicSupervisor children started twice", twice.slice(0, 8).join(", "))
          if (seen.size - missing.length !== sup.children.length || children.value.length !== sup.children.length) {
            found.add("DynamicSupervisor child count", `${children.value.length} children, expected ${sup.children.length}`)
          }
        }
      }
      // Every process that has a name is found by it.
      for (const desc of tree.all) {
        const pid = current.get(desc.id)
        if (pid === undefined) continue
        const isAlive = yield* Process.isAlive(pid)
        if (!isAlive) found.add("a supervisor lists a dead child", `${desc.id}: ${pid}`)
        if (desc.kind === "worker") {
          if (desc.naming === "local") {
            const owner = yield* whereis(desc.name)
            if (owner === undefined || !samePid(owner, pid)) found.add("a local name does not resolve to its worker", `${desc.name}: ${owner} (worker ${pid})`)
          } else if (desc.naming === "via") {
            const owners = yield* viaOwners(desc.name)
            if (owners === undefined || owners.length !== 1 || !samePid(owners[0], pid)) {
              found.add("a via name does not resolve to its worker", `${desc.name}: ${owners === undefined ? "registry down" : `[${owners.join(",")}]`} (worker ${pid})`)
            }
          }
        } else {
          const owner = yield* whereis(desc.name)
          if (owner === undefined || !samePid(owner, pid)) found.add("a supervisor's or server's name does not resolve to it", `${desc.name}: ${owner} (running ${pid})`)
        }
      }
      // The registries hold exactly the live named processes.
      const viaWorkers = tree.workers.filter((w) => w.naming === "via")
      const regCount = yield* Effect.exit(Registry.count(env.reg))
      if (Exit.isFailure(regCount) || regCount.value !== viaWorkers.length) {
        found.add("the via registry's size", `${Exit.isSuccess(regCount) ? regCount.value : "down"}, expected ${viaWorkers.length}`)
      }
      const subscribers = tree.workers.filter((w) => w.topic !== undefined)
      const subCount = yield* Effect.exit(Registry.count(env.pubsub))
      if (Exit.isFailure(subCount) || subCount.value !== subscribers.length) {
        found.add("the pub/sub registry's size", `${Exit.isSuccess(subCount) ? subCount.value : "down"}, expected ${subscribers.length}`)
      }
      for (const topic of tree.topics) {
        const entries = yield* Effect.exit(Registry.lookup(env.pubsub, topic))
        if (Exit.isFailure(entries)) {
          found.add("a topic cannot be looked up", topic)
          continue
        }
        const pids = entries.value.map(([pid]) => pid)
        const expected = subscribers.filter((w) => w.topic === topic).map((w) => current.get(w.id)).filter((p) => p !== undefined)
        const entrySet = new Set(pids.map(String))
        const expectedSet = new Set(expected.map(String))
        const stale = pids.filter((p) => !expectedSet.has(String(p)))
        const absent = expected.filter((e) => !entrySet.has(String(e)))
        if (stale.length > 0 || absent.length > 0 || pids.length !== expected.length) {
          found.add("a topic's subscribers are not the live workers", `${topic}: ${pids.length} entries, ${expected.length} workers, ${stale.length} stale, ${absent.length} absent`)
        }
      }
      // Every worker answers, as itself (many calls at once: a call costs an event-loop turn).
      if (full) yield* Effect.forEach(tree.workers, (w) => {
        const pid = current.get(w.id)
        if (pid === undefined) return Effect.void
        return Effect.map(Effect.exit(GenServer.call(Tree.workerRef(pid), Tree.Peek, undefined, { timeout: callTimeout })), (peek) => {
          checkCalls++
          if (Exit.isFailure(peek)) {
            found.add("a worker does not answer", `${w.id} ${pid}: ${Cause.pretty(peek.cause)}`)
            return
          }
          if (peek.value.id !== w.id || !samePid(peek.value.pid, pid)) found.add("a worker answers as another", `${w.id} ${pid}: ${peek.value.id} ${peek.value.pid}`)
          views.set(w.id, peek.value)
        })
      }, { concurrency: 256, discard: true })
      return { problems: found, current, views }
    })

    /**
     * Waits until the tree is whole, looking every `settleYields` event-loop turns. It stops
     * waiting when nothing moves any more (no start, no process count change) even after the
     * clock went on by more than every shutdown timeout, or when the root is gone (nothing
     * restarts it); then the last look's problems say what is missing.
     */
    const awaitWhole = Effect.gen(function*() {
      let last: Snapshot | undefined
      let quiet = 0
      let advanced = 0
      let before = ""
      let nextInspect = 0
      for (let look = 0; look < 400; look++) {
        const count = (yield* Process.processes).length
        const state = `${count} ${logs.starts} ${env.stats.inits} ${env.populator.started}`
        quiet = state === before ? quiet + 1 : 0
        before = state
        if ((count === expectedProcesses && look >= nextInspect) || quiet >= 8) {
          nextInspect = look + 4
          const t0 = performance.now()
          const exit = yield* drive(inspect(false))
          trace(`  look ${look}, inspect ${Math.round(performance.now() - t0)} ms: ${exit === undefined ? "hung" : Exit.isSuccess(exit) ? exit.value.problems.lines().map((l) => l.split("\n")[0]).join("; ") : "failed"}`)
          last = exit !== undefined && Exit.isSuccess(exit) ? exit.value : undefined
          if (last !== undefined && last.problems.size === 0) return { whole: true as const, snapshot: last, rootDown: false }
          if (last !== undefined && !last.current.has(tree.root.id)) return { whole: false as const, snapshot: last, rootDown: true }
          if (quiet >= 8) {
            // Nothing moves: let the clock run past every timeout once, then give up.
            if (advanced > 6_000) return { whole: false as const, snapshot: last, rootDown: false }
            yield* driver.advance(callTimeout + 1)
            advanced += callTimeout + 1
            quiet = 0
            continue
          }
        }
        for (let i = 0; i < options.settleYields; i++) yield* Effect.yieldNow
        if (look % 16 === 15) {
          yield* driver.advance(50)
          advanced += 50
        }
      }
      return { whole: false as const, snapshot: last, rootDown: false }
    })

    const control = { running: true, rootDown: false }

    const requireWhole = (when: string) =>
      Effect.gen(function*() {
        const result = yield* awaitWhole
        if (result.rootDown) control.rootDown = true
        if (result.whole) return result.snapshot
        const lines = result.snapshot === undefined ? ["the inspection itself hung"] : result.snapshot.problems.lines()
        problems.add(`the tree is not whole ${when}`, lines.join("\n  "))
        return result.snapshot
      })

    // ------------------------------------------------------------------------
    // Start
    // ------------------------------------------------------------------------

    const started = yield* drive(Effect.exit(Tree.start(tree, env)), 20)
    if (started === undefined || Exit.isFailure(started) || Exit.isFailure(started.value)) {
      problems.add("the tree did not start", started === undefined ? "hung" : describe(Exit.isSuccess(started) ? started.value : started))
      return { figures, problems: problems.lines() }
    }
    trace("tree started")
    const initial = yield* requireWhole("after its start")
    trace(`tree whole: ${(yield* Process.processes).length} processes`)
    if (initial === undefined || initial.problems.size > 0) return { figures, problems: problems.lines() }
    figures.processes.tree = (yield* Process.processes).length
    const initialInits = env.stats.inits
    const initialStarts = logs.starts

    // ------------------------------------------------------------------------
    // Clients
    // ------------------------------------------------------------------------

    /** Answered bumps per pid (calls of that incarnation). */
    const bumps = new Map<Pid.Pid, number>()
    /** Bumps per worker id whose outcome says nothing about whether they were handled (timeouts, interrupted). */
    const ambiguous = new Map<string, number>()
    const pending = new Map<number, string>()
    const ticks = new Map<string, number>(tree.topics.map((t) => [t, 0]))
    /** Messages sent to each pid that its worker must count (ticks and wakes): none may be lost. */
    const ticksSent = new Map<Pid.Pid, number>()
    const wakesSent = new Map<Pid.Pid, number>()
    const publish = (topic: string, n: number) =>
      Registry.dispatch(env.pubsub, topic, (entries) =>
        Effect.sync(() => {
          for (const [pid] of entries) {
            ticksSent.set(pid, (ticksSent.get(pid) ?? 0) + 1)
            Process.sendUnsafe(pid, new Tree.Tick(topic, n))
          }
        }))
    const supervisorsByName = tree.supervisors

    const record = <A>(exit: Exit.Exit<A, unknown>, what: string, allowed: ReadonlySet<string> = typedCallErrors): string | undefined => {
      figures.calls.made++
      if (Exit.isSuccess(exit)) {
        figures.calls.answered++
        return undefined
      }
      const tag = failureTag(exit.cause)
      if (tag === undefined) {
        if (Cause.hasInterruptsOnly(exit.cause)) return "interrupted"
        figures.calls.defects++
        problems.add("a call died with a defect (an untyped error)", `${what}: ${Cause.pretty(exit.cause)}`)
        return "defect"
      }
      figures.calls.errors[tag] = (figures.calls.errors[tag] ?? 0) + 1
      if (!allowed.has(tag)) problems.add("a call failed with an unexpected error", `${what}: ${tag} ${describe(Cause.squash(exit.cause))}`)
      return tag
    }

    const client = (index: number) =>
      Effect.gen(function*() {
        const rng = Prng.make(Prng.derive(options.seed, index + 1))
        const pids = new Map<string, Pid.Pid>()
        const napped = new Array<Pid.Pid>(8)
        let napCount = 0
        while (control.running) {
          const roll = rng.next()
          if (roll < 0.06) {
            // A management call to a supervisor (which also tells the pids of unnamed workers).
            const sup = rng.pick(supervisorsByName)
            const what = `whichChildren ${sup.name}`
            pending.set(index, what)
            if (sup.kind === "supervisor") {
              const exit = yield* Effect.exit(whichChildrenWithin(sup.name, callTimeout))
              pending.delete(index)
              record(exit, what)
              if (Exit.isSuccess(exit)) for (const c of exit.value) if (Pid.isPid(c.pid)) pids.set(c.id, c.pid)
            } else {
              // The DynamicSupervisor's management calls have no timeout (OTP's `infinity`).
              const exit = yield* Effect.exit(DynamicSupervisor.countChildren(sup.name))
              pending.delete(index)
              record(exit, what)
            }
          } else if (roll < 0.09) {
            const topic = rng.pick(tree.topics)
            const n = ticks.get(topic)! + 1
            ticks.set(topic, n)
            const exit = yield* Effect.exit(publish(topic, n))
            figures.calls.publishes++
            if (Exit.isFailure(exit) && failureTag(exit.cause) !== "NoProc") problems.add("a publish failed", `${topic}: ${Cause.pretty(exit.cause)}`)
          } else if (roll < 0.16) {
            // A nap, and wakes: to a known pid (a send is counted against the incarnation it
            // reaches), mostly to a worker this client made nap.
            const w = rng.pick(tree.workers)
            const known = pids.get(w.id)
            if (rng.chance(0.4)) {
              if (known !== undefined) {
                figures.calls.naps++
                napped[napCount++ % napped.length] = known
                yield* GenServer.cast(Tree.workerRef(known), Tree.Nap, { millis: 5 + rng.int(45) })
              }
            } else {
              const pid = napCount > 0 && rng.chance(0.8) ? napped[rng.int(Math.min(napCount, napped.length))] : known
              if (pid !== undefined) {
                figures.calls.wakes++
                wakesSent.set(pid, (wakesSent.get(pid) ?? 0) + 1)
                yield* Process.send(pid, new Tree.Wake())
              }
            }
          } else {
            const w = rng.pick(tree.workers)
            const modes: Array<"pid" | "local" | "via"> = ["pid"]
            if (w.naming !== "none") modes.push(w.naming, w.naming)
            const mode = rng.pick(modes)
            let target: Gen.Target | undefined
            if (mode === "pid") target = pids.get(w.id)
            else if (mode === "local") target = w.name
            else target = Registry.via(env.reg, w.name)
            if (target === undefined) {
              // No pid known yet: learn it by name, or from the supervisor next time.
              if (w.naming === "local") target = w.name
              else if (w.naming === "via") target = Registry.via(env.reg, w.name)
              else {
                yield* Effect.yieldNow
                continue
              }
            }
            const what = `Bump ${w.id} by ${mode}${Pid.isPid(target) ? ` ${target}` : ""}`
            pending.set(index, what)
            const exit = yield* Effect.exit(GenServer.call(Tree.workerRef(target), Tree.Bump, undefined, { timeout: callTimeout }))
            pending.delete(index)
            const tag = record(exit, what)
            if (Exit.isSuccess(exit)) {
              const view = exit.value
              if (view.id !== w.id) problems.add("a call reached the wrong worker", `${what}: answered by ${view.id} ${view.pid}`)
              else if (Pid.isPid(target) && !samePid(view.pid, target)) problems.add("a call by pid was answered by another pid", `${what}: ${view.pid}`)
              bumps.set(view.pid, (bumps.get(view.pid) ?? 0) + 1)
              pids.set(w.id, view.pid)
            } else {
              if (tag === "CallTimeout" || tag === "interrupted") ambiguous.set(w.id, (ambiguous.get(w.id) ?? 0) + 1)
              if (Pid.isPid(target)) pids.delete(w.id)
              // The worker is being restarted: try again a moment later (on the Clock).
              if (tag === "NoProc") {
                yield* Effect.sleep(backoffMillis)
                continue
              }
            }
          }
          yield* Effect.yieldNow
        }
      })

    const clients: Array<Fiber.Fiber<void>> = []
    for (let i = 0; i < options.clients; i++) clients.push(yield* Effect.forkChild(client(i)))

    // ------------------------------------------------------------------------
    // The monkey
    // ------------------------------------------------------------------------

    const schedule = new Schedule(tree, { seed: options.seed, ...options.schedule })
    const crashCalls: Array<Fiber.Fiber<void>> = []
    const storms: Array<{ readonly id: string; readonly cell: string; readonly pid: Pid.Pid; readonly round: number }> = []

    const resolve = (target: Tree.Desc) =>
      Effect.gen(function*() {
        if (target.kind !== "worker") return yield* whereis(target.name)
        if (target.naming === "local") return yield* whereis(target.name)
        if (target.naming === "via") return (yield* viaOwners(target.name))?.[0]
        const parent = target.parent
        const children = yield* drive(
          whichChildrenWithin(parent.name, callTimeout)
        )
        if (children === undefined || Exit.isFailure(children)) return undefined
        const pid = children.value.find((c) => c.id === target.id)?.pid
        return Pid.isPid(pid) ? pid : undefined
      })

    const strike = (kill: Kill, pid: Pid.Pid) =>
      Effect.gen(function*() {
        const method: Method = kill.method
        figures.kills.byMethod[method] = (figures.kills.byMethod[method] ?? 0) + 1
        if (kill.target.kind === "worker") figures.kills.workers++
        else figures.kills.subtrees++
        switch (method) {
          case "kill":
            return yield* Process.exit(pid, ExitReason.kill)
          case "shutdown":
            return yield* Process.exit(pid, ExitReason.shutdown())
          case "crashSignal":
            return yield* Process.exit(pid, Tree.exitReasons.crash(kill.target.id))
          case "crashCast":
            return yield* GenServer.cast(Tree.workerRef(pid), Tree.CrashCast)
          case "crashCall": {
            figures.calls.crashCalls++
            const what = `CrashCall ${kill.target.id} ${pid}`
            crashCalls.push(yield* Effect.forkChild(Effect.gen(function*() {
              const exit = yield* Effect.exit(GenServer.call(Tree.workerRef(pid), Tree.CrashCall, undefined, { timeout: callTimeout }))
              const tag = record(exit, what)
              if (tag !== "CallExit" && tag !== "NoProc" && tag !== "defect" && tag !== "interrupted") {
                problems.add("a call during which the server crashed did not end in CallExit", `${what}: ${tag ?? "answered"}`)
              }
            })))
            return
          }
        }
      })

    const playRound = (round: Round) =>
      Effect.gen(function*() {
        if (round.kind === "big") figures.kills.big++
        if (round.kind === "storm") {
          figures.kills.storms++
          // The storm's targets are all looked up first and struck together, so that they are
          // all children of one incarnation of the cell.
          const cell = round.kills[0]!.target.parent!
          const cellPid = yield* whereis(cell.name)
          const pids: Array<Pid.Pid> = []
          for (const kill of round.kills) {
            const pid = yield* resolve(kill.target)
            if (pid !== undefined) pids.push(pid)
          }
          if (cellPid === undefined || pids.length !== round.kills.length) {
            problems.add("a storm could not be played (its cell was not whole)", `round ${round.index}: ${cell.name}`)
            return
          }
          storms.push({ id: cell.id, cell: cell.name, pid: cellPid, round: round.index })
          for (let i = 0; i < pids.length; i++) yield* strike(round.kills[i]!, pids[i]!)
          return
        }
        for (const kill of round.kills) {
          const pid = yield* resolve(kill.target)
          if (pid === undefined) {
            figures.kills.missed++
            continue
          }
          yield* strike(kill, pid)
        }
      })

    const deadline = options.minutes === undefined ? undefined : startedAt + options.minutes * 60_000
    let lastRound: Round | undefined
    while (true) {
      if (deadline === undefined ? figures.rounds >= options.rounds : (yield* Clock.currentTimeMillis) >= deadline) break
      // Without its root, the tree cannot come back: the problems are recorded, the rest is moot.
      if (control.rootDown) break
      const round = schedule.next()
      lastRound = round
      // Big kills and storms run on a whole tree, and the tree must be whole again after them.
      trace(`round ${round.index} ${round.kind}: ${round.kills.map((k) => `${k.method} ${k.target.id}`).join(", ")}`)
      if (round.kind !== "normal") yield* requireWhole(`before round ${round.index} (${round.kind})`)
      const t0 = performance.now()
      yield* playRound(round)
      const t1 = performance.now()
      for (let i = 0; i < round.yields; i++) yield* Effect.yieldNow
      const t2 = performance.now()
      if (round.kind !== "normal") {
        const after = yield* requireWhole(`after round ${round.index} (${round.kind}: ${round.kills.map((k) => `${k.method} ${k.target.id}`).join(", ")})`)
        const storm = storms.find((s) => s.round === round.index)
        if (storm !== undefined && after !== undefined && samePid(after.current.get(storm.id), storm.pid)) {
          problems.add("a storm's cell was not restarted by its parent", `round ${round.index}: ${storm.cell} is still ${storm.pid}`)
        }
      }
      yield* driver.advance(options.schedule.roundMillis)
      trace(`  play ${Math.round(t1 - t0)} yields(${round.yields}) ${Math.round(t2 - t1)} advance ${Math.round(performance.now() - t2)}`)
      figures.rounds++
      if (options.progress !== undefined && figures.rounds % (options.progressEvery ?? 100) === 0) {
        // The books of dead incarnations are no longer checked: dropped, so that the heap
        // figure shows what the node keeps, not what the test does.
        for (const book of [bumps, ticksSent, wakesSent]) {
          for (const pid of book.keys()) if (!(yield* Process.isAlive(pid))) book.delete(pid)
        }
        collect()
        yield* options.progress(figures)
      }
    }

    // ------------------------------------------------------------------------
    // The end: recovery, hung calls, final checks
    // ------------------------------------------------------------------------

    trace("chaos over")
    const recovered = yield* requireWhole(`at the end of the chaos (last round ${lastRound?.index ?? "none"})`)

    trace("recovered; stopping the clients")
    control.running = false
    // The clients finish their last call. One still pending after a while is given the clock:
    // past its timeout it must end (a call without timeout may wait for a stuck server: hung).
    const all = [...clients, ...crashCalls]
    for (let attempt = 0; attempt < 4 && all.some((f) => f.pollUnsafe() === undefined); attempt++) {
      if (attempt > 0) yield* driver.advance(callTimeout + 1)
      for (let look = 0; look < 50 && all.some((f) => f.pollUnsafe() === undefined); look++) {
        for (let i = 0; i < options.settleYields; i++) yield* Effect.yieldNow
      }
    }
    for (const [index, what] of pending) {
      figures.calls.hung++
      problems.add("a call never ended (hung)", `client ${index}: ${what}`)
    }
    const stuckCrashCalls = crashCalls.filter((f) => f.pollUnsafe() === undefined).length
    if (stuckCrashCalls > 0) {
      figures.calls.hung += stuckCrashCalls
      problems.add("a call never ended (hung)", `${stuckCrashCalls} crash calls of the monkey`)
    }
    yield* Fiber.interruptAll(all)

    // Final state: the last look, after a tick published to every topic.
    const published = new Map<string, number>()
    for (const topic of tree.topics) {
      const n = ticks.get(topic)! + 1
      published.set(topic, n)
      yield* Effect.ignore(publish(topic, n))
    }
    trace("final inspection")
    const final = yield* drive(inspect(true))
    const snapshot = final !== undefined && Exit.isSuccess(final) ? final.value : undefined
    if (snapshot === undefined) problems.add("the final inspection hung", "")
    else {
      if (recovered !== undefined && recovered.problems.size === 0) {
        for (const line of snapshot.problems.lines()) problems.add("the tree is not whole at the final look", line)
      }
      for (const w of tree.workers) {
        const view = snapshot.views.get(w.id)
        if (view === undefined) continue
        figures.names.checked += w.naming === "none" ? 0 : 1
        if (w.naming !== "none" && !samePid(initial.current.get(w.id), view.pid)) figures.names.recovered++
        // The worker's count is its own incarnation's: at least the bumps it answered, at most
        // those plus the bumps whose outcome is unknown (timed out or cut short).
        const answered = bumps.get(view.pid) ?? 0
        const unknown = ambiguous.get(w.id) ?? 0
        if (view.count < answered || view.count > answered + unknown) {
          problems.add("a worker's state is not its incarnation's (not restarted from init)", `${w.id} ${view.pid}: count ${view.count}, answered ${answered}, unknown ${unknown}`)
        }
        if (w.topic !== undefined && view.lastTick !== published.get(w.topic)) {
          problems.add("a subscriber missed the last publish", `${w.id} on ${w.topic}: last tick ${view.lastTick}, published ${published.get(w.topic)}`)
        }
        // Every message sent to a live process reached it: none was lost on the way (an
        // interrupted receive, a restart, a pub/sub entry of another incarnation).
        const ticksTo = ticksSent.get(view.pid) ?? 0
        const wakesTo = wakesSent.get(view.pid) ?? 0
        if (view.ticks !== ticksTo) problems.add("a live worker did not get every tick published to it (lost messages)", `${w.id} ${view.pid}: ${view.ticks} of ${ticksTo}`)
        if (view.wakes !== wakesTo) problems.add("a live worker did not get every message sent to it (lost messages)", `${w.id} ${view.pid}: ${view.wakes} Wake of ${wakesTo}`)
      }
      for (const s of tree.supervisors) {
        if (s.kind === "supervisor" && s.role !== "root") figures.names.checked++
      }
      // No leak: the node runs the tree and the processes that ran before it, nothing else.
      const known = new Set<Pid.Pid>([...baseline, ...snapshot.current.values()])
      const alive = yield* Process.processes
      figures.processes.afterTree = alive.length
      const extra = alive.filter((p) => !known.has(p))
      for (const pid of extra.slice(0, 5)) {
        const info = yield* Process.info(pid)
        problems.add("a process outside the tree is alive (leak)", `${pid}: ${Option.isSome(info) ? JSON.stringify({ status: info.value.status, name: Option.getOrUndefined(info.value.registeredName), links: info.value.links.map(String), trapExit: info.value.trapExit }) : "?"}`)
      }
      if (extra.length > 5) problems.add("a process outside the tree is alive (leak)", `… ${extra.length} in all`)
      if (alive.length !== expectedProcesses) problems.add("the node's process count is not the tree's", `${alive.length} alive, expected ${expectedProcesses}`)
      const zombies = runtimeOf(node).count - alive.length
      if (zombies !== 0) problems.add("processes are stuck exiting", `${zombies} processes exiting but not gone`)
    }

    // Supervisors gave up only where a storm made them.
    for (const giveUp of logs.giveUps) {
      const storm = storms.findIndex((s) => s.cell === giveUp.name && String(s.pid) === giveUp.pid)
      if (storm >= 0) storms.splice(storm, 1)
      else problems.add("a supervisor gave up (reached its max restart intensity) although the schedule kept within it", `${giveUp.name} ${giveUp.pid}`)
    }
    for (const storm of storms) {
      problems.add("a storm did not make its cell give up (and its parent restart it)", `round ${storm.round}: ${storm.cell} ${storm.pid}`)
    }
    for (const failure of logs.failedRestarts) problems.add("a restart failed", failure)
    for (const failure of env.populator.failures) problems.add("the populator could not start a DynamicSupervisor child", failure)
    for (const [warning, n] of logs.warnings) problems.add("an unexpected warning or error was logged", `${n}× ${warning}`)

    trace("stopping the tree")
    // Stopping the tree leaves the node as it was.
    const stopped = yield* drive(Effect.exit(Supervisor.stop(tree.root.name, ExitReason.shutdown())), 20)
    if (stopped === undefined || Exit.isFailure(stopped) || Exit.isFailure(stopped.value)) {
      problems.add("the tree did not stop", stopped === undefined ? "hung" : describe(Exit.isSuccess(stopped) ? stopped.value : stopped))
    }
    for (let i = 0; i < options.settleYields; i++) yield* Effect.yieldNow
    figures.processes.afterStop = (yield* Process.processes).length
    if (figures.processes.afterStop !== baseline.length) {
      problems.add("processes are left after the tree stopped", `${figures.processes.afterStop}, before the tree ${baseline.length}`)
    }
    if (runtimeOf(node).count !== figures.processes.afterStop) {
      problems.add("processes are stuck exiting after the tree stopped", `${runtimeOf(node).count - figures.processes.afterStop}`)
    }

    collect()
    return { figures, problems: problems.lines() }

    function collect() {
      figures.restarts.workers = env.stats.inits - initialInits
      figures.restarts.starts = logs.starts - initialStarts
      figures.restarts.giveUps = logs.giveUps.length
      figures.restarts.failedRestarts = logs.failedRestarts.length
      figures.populator = {
        runs: env.populator.runs,
        started: env.populator.started,
        failed: env.populator.failed,
        interrupted: env.populator.interrupted
      }
      figures.elapsedMillis = Math.round(performance.now() - wallStart)
      figures.processes.now = runtimeOf(node).count
      figures.heap.nowMb = heapMb()
      figures.heap.peakMb = Math.max(figures.heap.peakMb, figures.heap.nowMb)
    }
  })

// ----------------------------------------------------------------------------
// Printing
// ----------------------------------------------------------------------------

const entries = (record: Record<string, number>): string =>
  Object.entries(record).map(([k, v]) => `${k} ${v}`).join(", ") || "none"

/** The figures as a few lines of text. */
export const format = (f: Figures): string =>
  [
    `seed ${f.seed}: ${f.rounds} rounds in ${(f.elapsedMillis / 1000).toFixed(1)} s (wall)`,
    `tree: ${f.tree.workers} workers, ${f.tree.supervisors} supervisors, ${f.tree.processes} processes`,
    `kills: ${f.kills.workers} workers, ${f.kills.subtrees} subtrees, ${f.kills.big} big, ${f.kills.storms} storms, ${f.kills.missed} missed (${entries(f.kills.byMethod)})`,
    `calls: ${f.calls.made} made, ${f.calls.answered} answered, typed errors: ${entries(f.calls.errors)}; ${f.calls.defects} defects, ${f.calls.hung} hung; ${f.calls.crashCalls} crash calls, ${f.calls.publishes} publishes, ${f.calls.naps} naps, ${f.calls.wakes} wakes`,
    `restarts: ${f.restarts.workers} worker inits, ${f.restarts.starts} child starts by supervisors, ${f.restarts.giveUps} give-ups, ${f.restarts.failedRestarts} failed restarts`,
    `populator: ${f.populator.runs} runs, ${f.populator.started} started, ${f.populator.failed} failed, ${f.populator.interrupted} cut short`,
    `names: ${f.names.checked} checked, ${f.names.recovered} re-registered by a new incarnation`,
    `processes: ${f.processes.before} before, ${f.processes.tree} with the whole tree, ${f.processes.now} now, ${f.processes.afterTree} at the end, ${f.processes.afterStop} after stopping the tree`,
    `heap: ${f.heap.beforeMb} MB before the tree, ${f.heap.nowMb} MB now, ${f.heap.peakMb} MB at most (figures after a full GC with --expose-gc)`
  ].join("\n")
