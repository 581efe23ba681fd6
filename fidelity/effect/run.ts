/**
 * The effect-otp side of the harness: runs one scenario on a fresh node under TestClock and
 * returns what it observed, step by step (twin of the drivers in fidelity.erl).
 *
 * Quiet, here, is what the Erlang side waits for by the wall clock: after a step, every client
 * process has finished and rounds of `Sys.getState` on every live process see the same events
 * twice. Between rounds the event loop is let run (macrotask turns); a round that does not end
 * after many turns is waiting for time (a shutdown timeout, a slow `terminate`), so the clock is
 * moved on by a small quantum, as real time moves on for Erlang.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import { TestClock } from "effect/testing"
import * as DynamicSupervisor from "../../behaviours/DynamicSupervisor.js"
import * as ExitReason from "../../lib/ExitReason.js"
import type * as Gen from "../../lib/Gen.js"
import * as GenServer from "../../behaviours/GenServer.js"
import * as Node from "../../lib/Node.js"
import type * as Pid from "../../lib/Pid.js"
import * as Process from "../../lib/Process.js"
import * as Supervisor from "../../behaviours/Supervisor.js"
import * as StateMachine from "../../behaviours/StateMachine.js"
import * as Sys from "../../lib/Sys.js"
import * as Model from "../model.js"
import type { Event, Observation, RawStep, Tree } from "../normalize.js"
import * as Collector from "./collector.js"
import * as Statem from "./statem.js"
import type { Shape } from "./tokens.js"
import * as Workers from "./workers.js"

/** How far the clock moves when a round waits for time (ms). */
const QUANTUM = 5
/** Event-loop turns without progress before the clock moves. */
const TURNS = 8
/** The most a settle may move the clock (ms) before it gives up (`settle did not converge`). */
const SETTLE_LIMIT = 30_000

const turn: Effect.Effect<void> = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

interface Run {
  readonly ctx: Workers.Ctx
  readonly t0: number
}

/** Waits until `done()`, letting the event loop run, and moving the clock when nothing moves. */
const until = (run: Run, done: () => boolean): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    let moved = 0
    while (true) {
      for (let i = 0; i < TURNS; i++) {
        if (done()) return true
        yield* turn
      }
      if (done()) return true
      if (moved >= SETTLE_LIMIT) {
        yield* Collector.noop(run.ctx.col, "settle did not converge")
        return false
      }
      yield* TestClock.adjust(QUANTUM)
      moved += QUANTUM
    }
  })

/** A client process: makes a call and reports what it got. */
const client = (run: Run, desc: string, call: Effect.Effect<unknown, unknown, Node.Node>, shape: Shape) =>
  Process.spawn(Effect.flatMap(Effect.exit(call), (exit) => Collector.result(run.ctx.col, desc, exit, shape)))

const settleSup = (run: Run, clients: ReadonlyArray<Pid.Pid>) =>
  Effect.gen(function*() {
    let alive = clients.length
    yield* Effect.forEach(clients, (pid) =>
      Effect.forkChild(Effect.gen(function*() {
        const ref = yield* Effect.succeed(pid)
        while (yield* Process.isAlive(ref)) yield* turn
        alive--
      })), { discard: true })
    if (!(yield* until(run, () => alive === 0))) return
    let previous = ""
    while (true) {
      const live = yield* Collector.live(run.ctx.col)
      let done = false
      yield* Effect.forkChild(
        Effect.forEach(live, ([, pid]) => Effect.ignore(Sys.getState(pid, { timeout: "infinity" })), { discard: true }).pipe(
          Effect.ensuring(Effect.sync(() => {
            done = true
          }))
        )
      )
      if (!(yield* until(run, () => done))) return
      const fingerprint = JSON.stringify([
        yield* Collector.count(run.ctx.col),
        live.map(([label, pid]) => `${label}=${String(pid)}`).sort()
      ])
      if (fingerprint === previous) return
      previous = fingerprint
    }
  })

const supTree = (who: (pid: Pid.Pid) => string, pid: Pid.Pid, node: Model.SupSpec | Model.DynSpec): Effect.Effect<Tree> =>
  node.kind === "dyn"
    ? Effect.match(DynamicSupervisor.whichChildren(pid), {
      onFailure: (): Tree => "?",
      onSuccess: (children): Tree => ({
        dyn: children.map((c) => (c.pid === "restarting" ? "restarting" : c.pid === undefined ? "undefined" : who(c.pid)))
      })
    })
    : Effect.matchEffect(Supervisor.whichChildren(pid), {
      onFailure: () => Effect.succeed<Tree>("?"),
      onSuccess: (children) =>
        Effect.forEach(children, (c) => {
          const spec = node.children.find((s) => s.id === c.id)
          const state = c.pid === undefined ? "undefined" : c.pid === "restarting" ? "restarting" : who(c.pid)
          // The child's own type, not only the scenario's spec by id: a step may have started a
          // worker under the id of a supervisor that was deleted (asking it which_children
          // would be a call it does not know, and would crash it in OTP).
          const sub = typeof c.pid === "object" && c.type === "supervisor" && spec !== undefined && spec.kind !== "worker"
            ? supTree(who, c.pid, spec)
            : Effect.succeed(null)
          return Effect.map(sub, (s) => ({ id: c.id, state, sub: s }))
        })
    })

const snapshotSup = (run: Run, root: Model.SupSpec) =>
  Effect.gen(function*() {
    const events = yield* Collector.drain(run.ctx.col)
    const who = yield* Collector.who(run.ctx.col)
    const rootPid = yield* Collector.liveOf(run.ctx.col, "root")
    const tree: Tree = rootPid === undefined ? "dead" : yield* supTree(who, rootPid, root)
    return { events, tree, time: (yield* Clock.currentTimeMillis) - run.t0 } satisfies RawStep
  })

/** A dead pid: what the Erlang side calls when a supervisor never ran. */
const deadPid = Effect.gen(function*() {
  const pid = yield* Process.spawn(Effect.void)
  while (yield* Process.isAlive(pid)) yield* turn
  return pid
})

const lastOr = (run: Run, label: string) =>
  Effect.flatMap(Collector.lastOf(run.ctx.col, label), (pid) => pid === undefined ? deadPid : Effect.succeed(pid))

const withLive = (run: Run, label: string, desc: string, f: (pid: Pid.Pid) => Effect.Effect<ReadonlyArray<Pid.Pid>, never, any>) =>
  Effect.flatMap(Collector.liveOf(run.ctx.col, label), (pid) =>
    pid === undefined ? Effect.as(Collector.noop(run.ctx.col, desc), []) : f(pid))

const signalReason = (reason: "normal" | "shutdown" | "boom", target: string): ExitReason.ExitReason =>
  reason === "normal" ? ExitReason.normal : reason === "shutdown" ? ExitReason.shutdown() : ExitReason.fail({ boom: target })

const dynOf = (root: Model.SupSpec, label: string): Model.DynSpec => {
  const node = Model.nodeAt(root, label)
  if (node === undefined || node.kind !== "dyn") throw new Error(`no dynamic supervisor at ${label}`)
  return node
}

const dynStart = (run: Run, root: Model.SupSpec, label: string) =>
  Effect.flatMap(lastOr(run, Model.parentOf(label)), (sup) =>
    DynamicSupervisor.startChild(sup, Workers.dynChildSpec(run.ctx, label, dynOf(root, Model.parentOf(label)).template)))

const supStep = (run: Run, root: Model.SupSpec, step: Model.SupStep, advance: number) =>
  Effect.gen(function*(): Generator<any, ReadonlyArray<Pid.Pid>, any> {
    const col = run.ctx.col
    switch (step.op) {
      case "stop":
        return yield* withLive(run, step.target, step.desc, (pid) => Effect.as(Workers.stopWorker(pid, step.how), []))
      case "kill":
        return yield* withLive(run, step.target, step.desc, (pid) => Effect.as(Process.exit(pid, ExitReason.kill), []))
      case "signal":
        return yield* withLive(run, step.target, step.desc, (pid) =>
          Effect.as(Process.exit(pid, signalReason(step.reason, step.target)), []))
      case "terminate_child":
        return [yield* client(run, step.desc, Effect.flatMap(lastOr(run, step.sup), (sup) => Supervisor.terminateChild(sup, step.id)), "void")]
      case "restart_child":
        return [yield* client(run, step.desc, Effect.flatMap(lastOr(run, step.sup), (sup) => Supervisor.restartChild(sup, step.id)), "pid")]
      case "delete_child":
        return [yield* client(run, step.desc, Effect.flatMap(lastOr(run, step.sup), (sup) => Supervisor.deleteChild(sup, step.id)), "void")]
      case "start_child":
        return [
          yield* client(
            run,
            step.desc,
            Effect.flatMap(lastOr(run, step.sup), (sup) =>
              Supervisor.startChild(sup, Workers.workerSpec(run.ctx, Model.label(step.sup, step.spec.id), step.spec.id, step.spec))),
            "pid"
          )
        ]
      case "dyn_start":
        return [yield* client(run, step.desc, dynStart(run, root, step.label), "pid")]
      case "dyn_terminate": {
        const pid = yield* Collector.lastOf(col, step.label)
        if (pid === undefined) {
          yield* Collector.noop(col, step.desc)
          return []
        }
        return [yield* client(run, step.desc, Effect.flatMap(lastOr(run, step.sup), (sup) => DynamicSupervisor.terminateChild(sup, pid)), "void")]
      }
      case "fail_starts":
        yield* Collector.failStarts(col, step.target, step.n, step.mode)
        return []
      case "advance":
        yield* TestClock.adjust(advance)
        return []
    }
  })

const runSupervision = (s: Model.SupervisionScenario) =>
  Process.run(Effect.gen(function*() {
    const col = yield* Collector.start
    const run: Run = { ctx: { col, prefix: "f_" }, t0: yield* Clock.currentTimeMillis }
    const rootExit = yield* Effect.exit(Workers.startRoot(run.ctx, s.root))
    yield* Collector.result(col, "start root", rootExit, "pid")
    for (const label of Model.initialDynChildren("root", s.root)) {
      yield* Collector.result(col, "setup", yield* Effect.exit(dynStart(run, s.root, label)), "pid")
    }
    yield* settleSup(run, [])
    const steps: Array<RawStep> = [yield* snapshotSup(run, s.root)]
    for (const step of s.steps) {
      const clients = yield* supStep(run, s.root, step, s.advance_ms)
      yield* settleSup(run, clients)
      steps.push(yield* snapshotSup(run, s.root))
    }
    return steps
  }))

// ----------------------------------------------------------------------------
// GenServer scenarios
// ----------------------------------------------------------------------------

/**
 * Quiet: the same events, the same server mailbox and status, the same clients, for several
 * turns (`recorded`: how many events the server recorded itself, a StateMachine's callbacks).
 */
const settleGs = (run: Run, clients: ReadonlyArray<Pid.Pid>, recorded: () => number = () => 0) =>
  Effect.gen(function*() {
    let previous = ""
    let same = 0
    while (same < TURNS) {
      yield* turn
      const server = yield* Collector.liveOf(run.ctx.col, "server")
      const info = server === undefined ? undefined : yield* Process.info(server)
      const alive = yield* Effect.forEach(clients, Process.isAlive)
      const fingerprint = JSON.stringify([
        yield* Collector.count(run.ctx.col),
        recorded(),
        info === undefined || info._tag === "None" ? null : [info.value.status, info.value.messageQueueLength],
        alive
      ])
      same = fingerprint === previous ? same + 1 : 0
      previous = fingerprint
    }
  })

const snapshotGs = (run: Run, recorded: () => ReadonlyArray<Event> = () => []) =>
  Effect.gen(function*() {
    const events = [...(yield* Collector.drain(run.ctx.col)), ...recorded()]
    const alive = (yield* Collector.liveOf(run.ctx.col, "server")) !== undefined
    return { events, tree: alive, time: (yield* Clock.currentTimeMillis) - run.t0 } satisfies RawStep
  })

const gsStep = (run: Run, target: Gen.Target, step: Model.GsStep, wait: number) =>
  Effect.gen(function*(): Generator<any, ReadonlyArray<Pid.Pid>, any> {
    switch (step.op) {
      case "call":
        return [yield* client(run, step.desc, Workers.call(target, step.id, step.action, step.timeout), "reply")]
      case "unknown_call":
        return [yield* client(run, step.desc, Workers.callUnknown(target, step.tag, step.id), "reply")]
      case "cast":
        yield* Workers.cast(target, step.id, step.action)
        return []
      case "info":
        yield* (typeof target === "string"
          ? Effect.ignore(Process.send(target, Workers.info(step.id, step.action)))
          : Process.send(target as Pid.Pid, Workers.info(step.id, step.action)))
        return []
      case "wait":
        yield* TestClock.adjust(wait)
        return []
      case "stop": {
        // In the driver itself, as on the Erlang side (where proc_lib:stop uses a helper process).
        const reason = Workers.stopReason(step.reason, "driver")
        yield* Collector.result(run.ctx.col, step.desc, yield* Effect.exit(GenServer.stop(target, { reason })), "void")
        return []
      }
      case "kill":
        return yield* withLive(run, "server", step.desc, (pid) => Effect.as(Process.exit(pid, ExitReason.kill), []))
      case "signal":
        return yield* withLive(run, "server", step.desc, (pid) =>
          Effect.as(Process.exit(pid, Workers.stopReason(step.reason, "driver")), []))
    }
  })

const runGenServer = (s: Model.GenServerScenario) =>
  Process.run(Effect.gen(function*() {
    const col = yield* Collector.start
    const run: Run = { ctx: { col, prefix: "f_" }, t0: yield* Clock.currentTimeMillis }
    const name = s.named ? "f_server" : undefined
    const started = yield* Effect.exit(Workers.startServer(col, s, name))
    yield* Collector.result(col, "start", started, "server")
    const target: Gen.Target = name ?? (Exit.isSuccess(started) ? started.value.pid! : yield* deadPid)
    yield* settleGs(run, [])
    const steps: Array<RawStep> = [yield* snapshotGs(run)]
    const clients: Array<Pid.Pid> = []
    for (const step of s.steps) {
      clients.push(...(yield* gsStep(run, target, step, s.wait_ms)))
      yield* settleGs(run, clients)
      steps.push(yield* snapshotGs(run))
    }
    return steps
  }))

// ----------------------------------------------------------------------------
// StateMachine scenarios
// ----------------------------------------------------------------------------

const statemStep = (run: Run, target: Gen.Target, step: Model.StmStep, wait: number) =>
  Effect.gen(function*(): Generator<any, ReadonlyArray<Pid.Pid>, any> {
    switch (step.op) {
      case "call":
        return [yield* client(run, step.desc, Statem.call(target, step.id, step.s), "reply")]
      case "unknown_call":
        return [yield* client(run, step.desc, Statem.callUnknown(target, step.id), "reply")]
      case "cast":
        yield* Statem.cast(target, step.id, step.s)
        return []
      case "info":
        yield* (typeof target === "string"
          ? Effect.ignore(Process.send(target, Statem.info(step.id, step.s)))
          : Process.send(target as Pid.Pid, Statem.info(step.id, step.s)))
        return []
      case "wait":
        yield* TestClock.adjust(wait)
        return []
      case "stop": {
        const reason = Workers.stopReason(step.reason, "driver")
        yield* Collector.result(run.ctx.col, step.desc, yield* Effect.exit(StateMachine.stop(target, { reason })), "void")
        return []
      }
      case "kill":
        return yield* withLive(run, "server", step.desc, (pid) => Effect.as(Process.exit(pid, ExitReason.kill), []))
    }
  })

const runStatem = (s: Model.StatemScenario) =>
  Process.run(Effect.gen(function*() {
    const col = yield* Collector.start
    const run: Run = { ctx: { col, prefix: "f_" }, t0: yield* Clock.currentTimeMillis }
    const timing = new Statem.Timing()
    const recorder = new Statem.Recorder()
    const clock = yield* Clock.clockWith(Effect.succeed)
    const env: Statem.Env = { timing, recorder, now: () => clock.currentTimeMillisUnsafe() }
    const recorded = () => recorder.count
    const drain = () => recorder.drain()
    const name = s.named ? "f_server" : undefined
    const started = yield* Effect.exit(Statem.start({ col, env, scenario: s }, name))
    yield* Collector.result(col, "start", started, "server")
    const target: Gen.Target = name ?? (Exit.isSuccess(started) ? started.value.pid! : yield* deadPid)
    yield* settleGs(run, [], recorded)
    const steps: Array<RawStep> = [yield* snapshotGs(run, drain)]
    const clients: Array<Pid.Pid> = []
    // When the steps after each wait ran: a deadline close to one is up to the Erlang side's drift.
    const boundaries: Array<number> = []
    for (const step of s.steps) {
      clients.push(...(yield* statemStep(run, target, step, s.wait_ms)))
      yield* settleGs(run, clients, recorded)
      if (step.op === "wait") boundaries.push(yield* Clock.currentTimeMillis)
      const snapshot = yield* snapshotGs(run, drain)
      // A machine that is gone runs no timer (the Timing shows the machine's own view only).
      if (snapshot.tree === false) timing.closeAll(yield* Clock.currentTimeMillis)
      steps.push(snapshot)
    }
    const ambiguous = timing.ambiguity(boundaries, Model.STM_MARGIN_MS)
    return { steps, ambiguous }
  }))

// ----------------------------------------------------------------------------
// Running a scenario
// ----------------------------------------------------------------------------

/** The longest a scenario may take on this side, in real time, before it counts as hung. */
const HANG_MS = 60_000

/** Runs one scenario on a fresh node under TestClock, logs off. */
export const observe = async (scenario: Model.Scenario): Promise<Observation> => {
  const body: Effect.Effect<{ readonly steps: ReadonlyArray<RawStep>; readonly ambiguous?: string | undefined }, unknown, Node.Node> =
    scenario.kind === "supervision"
      ? Effect.map(runSupervision(scenario), (steps) => ({ steps }))
      : scenario.kind === "genserver"
      ? Effect.map(runGenServer(scenario), (steps) => ({ steps }))
      : runStatem(scenario)
  const program = body.pipe(
    Effect.provide(Node.layer()),
    Effect.provide(TestClock.layer()),
    Effect.provideService(Logger.CurrentLoggers, new Set())
  )
  try {
    const { steps, ambiguous } = await Effect.runPromise(program, { signal: AbortSignal.timeout(HANG_MS) })
    return ambiguous === undefined ? { _tag: "Steps", steps } : { _tag: "Steps", steps, ambiguous }
  } catch (error) {
    return { _tag: "Error", error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
  }
}
