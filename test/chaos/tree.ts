/**
 * The chaos tree: its shape as plain data (so the schedule, the clients and the checks know what
 * should be running), and the child specs that start it.
 *
 * ```
 * chaos.root            Supervisor restForOne   (the registries come first: a registry's restart
 * ├─ chaos.reg          Registry unique          restarts everything that names through it)
 * ├─ chaos.pubsub       Registry duplicate
 * └─ chaos.services     Supervisor oneForOne
 *    ├─ chaos.cell.K    Supervisor oneForOne | oneForAll | restForOne, workers of every kind;
 *    │  └─ …inner       (restForOne cells end with a nested oneForOne supervisor, which ends
 *    │     └─ …deep      with a nested oneForAll one: five supervisor levels)
 *    └─ chaos.pool      Supervisor restForOne
 *       ├─ chaos.dyn    DynamicSupervisor with half of the workers (via names, pub/sub topics)
 *       └─ chaos.populator  GenServer that starts the DynamicSupervisor's missing children
 * ```
 *
 * Workers come in every naming: a local name, a `Registry.via` name, or none (reached by pid);
 * some trap exits (their supervisor's shutdown runs their `terminate`), the others do not.
 * Every child is permanent, so every child must come back whatever ends it.
 */
import { Effect, Option, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { ChildSpec, DynamicSupervisor, ExitReason, GenServer, Pid, Process, Registry, Supervisor } from "../../index.js"

// ----------------------------------------------------------------------------
// Shape
// ----------------------------------------------------------------------------

export type Naming = "local" | "via" | "none"

export interface WorkerDesc {
  readonly kind: "worker"
  readonly id: string
  readonly naming: Naming
  /** The local name or the via key ("" when unnamed). */
  readonly name: string
  readonly trap: boolean
  /** The pub/sub topic the worker subscribes to in its init (dynamic workers). */
  readonly topic: string | undefined
  readonly parent: SupervisorDesc | DynamicDesc
}

export interface SupervisorDesc {
  readonly kind: "supervisor"
  readonly id: string
  readonly name: string
  readonly role: "root" | "services" | "cell" | "nested" | "pool"
  readonly strategy: NonNullable<Supervisor.Options["strategy"]>
  readonly intensity: number
  readonly children: Array<Desc>
  readonly parent: SupervisorDesc | undefined
}

export interface DynamicDesc {
  readonly kind: "dynamic"
  readonly id: string
  readonly name: string
  readonly intensity: number
  readonly children: Array<WorkerDesc>
  readonly parent: SupervisorDesc
}

export interface RegistryDesc {
  readonly kind: "registry"
  readonly id: string
  readonly name: string
  readonly keys: Registry.Registry<unknown>["keys"]
  readonly parent: SupervisorDesc
}

export interface PopulatorDesc {
  readonly kind: "populator"
  readonly id: string
  readonly name: string
  readonly parent: SupervisorDesc
}

export type Desc = WorkerDesc | SupervisorDesc | DynamicDesc | RegistryDesc | PopulatorDesc

export interface Shape {
  /** About this many workers in all: half under the DynamicSupervisor, half in the cells. */
  readonly workers: number
  /** Cells under `chaos.services` (strategies in turn: oneForOne, oneForAll, restForOne). */
  readonly cells: number
  /** Pub/sub topics of the dynamic workers. */
  readonly topics: number
  /** The restart window of every supervisor, in ms. */
  readonly periodMillis: number
  readonly intensity: {
    readonly root: number
    readonly services: number
    readonly cell: number
    readonly pool: number
    readonly dynamic: number
  }
}

export interface Tree {
  readonly shape: Shape
  readonly root: SupervisorDesc
  readonly reg: RegistryDesc
  readonly pubsub: RegistryDesc
  readonly services: SupervisorDesc
  readonly pool: SupervisorDesc
  readonly dynamic: DynamicDesc
  readonly populator: PopulatorDesc
  /** Every described process, root first. */
  readonly all: ReadonlyArray<Desc>
  readonly workers: ReadonlyArray<WorkerDesc>
  /** Supervisors (and the DynamicSupervisor), root first. */
  readonly supervisors: ReadonlyArray<SupervisorDesc | DynamicDesc>
  readonly cells: ReadonlyArray<SupervisorDesc>
  readonly topics: ReadonlyArray<string>
  readonly byId: ReadonlyMap<string, Desc>
}

const strategies: ReadonlyArray<NonNullable<Supervisor.Options["strategy"]>> = ["oneForOne", "oneForAll", "restForOne"]

/** Worker kinds, in turn: every naming, trapping exits or not. */
const kinds: ReadonlyArray<readonly [Naming, boolean]> = [
  ["local", false],
  ["via", false],
  ["none", false],
  ["local", true],
  ["via", true],
  ["none", true]
]

export const describe = (shape: Shape): Tree => {
  const all: Array<Desc> = []
  const add = <D extends Desc>(desc: D): D => {
    all.push(desc)
    if (desc.parent !== undefined) (desc.parent.children as Array<Desc>).push(desc)
    return desc
  }
  const supervisor = (
    id: string,
    role: SupervisorDesc["role"],
    strategy: NonNullable<Supervisor.Options["strategy"]>,
    intensity: number,
    parent: SupervisorDesc | undefined
  ): SupervisorDesc => add({ kind: "supervisor", id, name: `chaos.${id}`, role, strategy, intensity, children: [], parent })
  const worker = (id: string, index: number, parent: SupervisorDesc | DynamicDesc, topic?: string): WorkerDesc => {
    const [naming, trap] = kinds[index % kinds.length]!
    return add({
      kind: "worker",
      id,
      naming,
      name: naming === "local" ? `chaos.w.${id}` : naming === "via" ? id : "",
      trap,
      topic,
      parent
    })
  }

  const root = supervisor("root", "root", "restForOne", shape.intensity.root, undefined)
  const reg = add<RegistryDesc>({ kind: "registry", id: "reg", name: "chaos.reg", keys: "unique", parent: root })
  const pubsub = add<RegistryDesc>({ kind: "registry", id: "pubsub", name: "chaos.pubsub", keys: "duplicate", parent: root })
  const services = supervisor("services", "services", "oneForOne", shape.intensity.services, root)

  const staticWorkers = Math.floor(shape.workers / 2)
  // A oneForAll cell restarts all its workers for each kill: it gets half the share of the others.
  const shares = Array.from({ length: shape.cells }, (_, k) => (strategies[k % strategies.length] === "oneForAll" ? 1 : 2))
  const totalShares = shares.reduce((a, b) => a + b, 0)
  const cells: Array<SupervisorDesc> = []
  for (let k = 0; k < shape.cells; k++) {
    const strategy = strategies[k % strategies.length]!
    const perCell = Math.max(1, Math.floor(staticWorkers * shares[k]! / totalShares))
    const cell = supervisor(`cell.${k}`, "cell", strategy, shape.intensity.cell, services)
    cells.push(cell)
    if (strategy === "restForOne") {
      // 5/8 of the cell's workers directly, then a nested oneForOne with 1/4, which ends with a
      // nested oneForAll with 1/8.
      const direct = Math.max(1, Math.floor(perCell * 5 / 8))
      const nested = Math.max(1, Math.floor(perCell / 4))
      const deep = Math.max(1, perCell - direct - nested)
      for (let i = 0; i < direct; i++) worker(`c${k}.w${i}`, i, cell)
      const inner = supervisor(`cell.${k}.inner`, "nested", "oneForOne", shape.intensity.cell, cell)
      for (let i = 0; i < nested; i++) worker(`c${k}.i${i}`, i, inner)
      const deepest = supervisor(`cell.${k}.deep`, "nested", "oneForAll", shape.intensity.cell, inner)
      for (let i = 0; i < deep; i++) worker(`c${k}.d${i}`, i, deepest)
    } else {
      for (let i = 0; i < perCell; i++) worker(`c${k}.w${i}`, i, cell)
    }
  }

  const pool = supervisor("pool", "pool", "restForOne", shape.intensity.pool, services)
  const dynamic = add<DynamicDesc>({
    kind: "dynamic",
    id: "dyn",
    name: "chaos.dyn",
    intensity: shape.intensity.dynamic,
    children: [],
    parent: pool
  })
  const populator = add<PopulatorDesc>({ kind: "populator", id: "populator", name: "chaos.populator", parent: pool })
  const topics = Array.from({ length: shape.topics }, (_, i) => `topic.${i}`)
  const dynamicWorkers = shape.workers - staticWorkers
  for (let i = 0; i < dynamicWorkers; i++) {
    // Dynamic workers are all named through the registry (a DynamicSupervisor child has no id
    // to be found by), and each subscribes to a topic.
    add<WorkerDesc>({
      kind: "worker",
      id: `dyn.${i}`,
      naming: "via",
      name: `dyn.${i}`,
      trap: i % 3 === 0,
      topic: topics[i % topics.length],
      parent: dynamic
    })
  }

  const workers = all.filter((d): d is WorkerDesc => d.kind === "worker")
  const supervisors = all.filter((d): d is SupervisorDesc | DynamicDesc => d.kind === "supervisor" || d.kind === "dynamic")
  return {
    shape,
    root,
    reg,
    pubsub,
    services,
    pool,
    dynamic,
    populator,
    all,
    workers,
    supervisors,
    cells,
    topics,
    byId: new Map(all.map((d) => [d.id, d]))
  }
}

// ----------------------------------------------------------------------------
// The worker
// ----------------------------------------------------------------------------

/** What a worker tells about itself. */
export interface WorkerView {
  readonly id: string
  readonly pid: Pid.Pid
  /** Bumps handled by this incarnation (0 after its init). */
  readonly count: number
  /** Pub/sub ticks received by this incarnation. */
  readonly ticks: number
  /** The number of the last tick received (-1: none). */
  readonly lastTick: number
  /** `Wake` messages received by this incarnation (in a nap or in `handleInfo`). */
  readonly wakes: number
}

const View = Schema.declare<WorkerView>((u): u is WorkerView => typeof u === "object" && u !== null)

/** Counts the calls answered by this incarnation and answers with its view. */
export const Bump = Rpc.make("Bump", { success: View })
/** The view, changing nothing. */
export const Peek = Rpc.make("Peek", { success: View })
/** The worker crashes while the call is pending (the caller must get `CallExit`). */
export const CrashCall = Rpc.make("CrashCall")
/** The worker crashes. */
export const CrashCast = Rpc.make("CrashCast")
/**
 * The worker naps: it waits for a `Wake` with a selective receive cut short by
 * `Effect.timeoutOption`, then goes on with a short sleep. A `Wake` that arrives after the
 * receive was cut short must still reach the worker (in `handleInfo`): an interrupted receive
 * may not lose a message.
 */
export const Nap = Rpc.make("Nap", { payload: { millis: Schema.Number } })

/** What a nap waits for; counted by the worker wherever it arrives. */
export class Wake {}

const isWake = (u: unknown): u is Wake => u instanceof Wake

/** A pub/sub message, sent to every subscriber of `topic`. */
export class Tick {
  constructor(readonly topic: string, readonly n: number) {}
}

/** The error a worker crashes with on purpose. */
export class ChaosCrash extends Error {
  constructor(readonly id: string, readonly how: string) {
    super(`chaos: ${id} crashed (${how})`)
  }
}

/** Counters shared by the workers of one run. */
export interface Stats {
  /** Worker inits (starts and restarts). */
  inits: number
  /** `terminate` calls of trapping workers. */
  terminates: number
}

export interface WorkerArgs {
  readonly id: string
  readonly trap: boolean
  readonly topic: string | undefined
  readonly pubsub: Registry.Registry<string, string, "duplicate">
  readonly stats: Stats
}

interface WorkerState {
  readonly id: string
  readonly self: Pid.Pid
  readonly count: number
  readonly ticks: number
  readonly lastTick: number
  readonly wakes: number
  readonly stats: Stats
}

/**
 * How long a nap goes on after its receive (ms on the Clock): longer than a round, so that
 * messages arrive while the worker is past its cut-short receive.
 */
const napFollowUp = 150

const view = (s: WorkerState): WorkerView => ({
  id: s.id,
  pid: s.self,
  count: s.count,
  ticks: s.ticks,
  lastTick: s.lastTick,
  wakes: s.wakes
})

export const Worker = GenServer.make({
  name: "ChaosWorker",
  calls: [Bump, Peek, CrashCall],
  casts: [CrashCast, Nap],
  init: (args: WorkerArgs) =>
    Effect.gen(function*() {
      if (args.trap) yield* Process.trapExit(true)
      if (args.topic !== undefined) yield* Registry.register(args.pubsub, args.topic, args.id)
      args.stats.inits++
      const state: WorkerState = {
        id: args.id,
        self: yield* Process.self,
        count: 0,
        ticks: 0,
        lastTick: -1,
        wakes: 0,
        stats: args.stats
      }
      return GenServer.ok(state)
    }),
  handleCall: {
    Bump: (_, s) => {
      const next = { ...s, count: s.count + 1 }
      return GenServer.reply(view(next), next)
    },
    Peek: (_, s) => GenServer.reply(view(s), s),
    CrashCall: (_, s) => Effect.die(new ChaosCrash(s.id, "during a call"))
  },
  handleCast: {
    CrashCast: (_, s) => Effect.die(new ChaosCrash(s.id, "in a cast")),
    Nap: ({ millis }, s) =>
      Effect.gen(function*() {
        const woke = yield* Process.receive({ match: isWake }).pipe(Effect.timeoutOption(millis))
        yield* Effect.sleep(napFollowUp)
        return GenServer.noreply(Option.isSome(woke) ? { ...s, wakes: s.wakes + 1 } : s)
      })
  },
  handleInfo: (message, s) => {
    // A trapping worker ends with the reason of an exit signal that is not its supervisor's
    // (the supervisor's own is handled by the generic loop): the usual OTP pattern.
    if (Process.isExitMessage(message)) return GenServer.stopWith(message.reason, s)
    if (message instanceof Tick) return GenServer.noreply({ ...s, ticks: s.ticks + 1, lastTick: message.n })
    if (message instanceof Wake) return GenServer.noreply({ ...s, wakes: s.wakes + 1 })
    return GenServer.noreply(s)
  },
  terminate: (_reason, s) =>
    Effect.sync(() => {
      s.stats.terminates++
    })
})

export const workerRef = (target: GenServer.Server<typeof Worker>["target"]): GenServer.Server<typeof Worker> =>
  GenServer.ref(Worker, target)

// ----------------------------------------------------------------------------
// The populator
// ----------------------------------------------------------------------------

/** What the populator did, for the figures and the report. */
export interface PopulatorStats {
  /** Populator incarnations. */
  runs: number
  /** Children it started. */
  started: number
  /** Children whose start failed, with the first reasons. */
  failed: number
  readonly failures: Array<string>
  /** Runs cut short because the DynamicSupervisor went away (its restart restarts us too). */
  interrupted: number
}

interface PopulatorArgs {
  readonly dynamic: string
  readonly specs: ReadonlyArray<ChildSpec.ChildSpec<never>>
  readonly stats: PopulatorStats
}

/**
 * Starts the DynamicSupervisor's missing children, once, after its own start (from
 * `handleContinue`, so its supervisor is not blocked meanwhile). It comes after the
 * DynamicSupervisor in a restForOne supervisor, so every restart of the DynamicSupervisor
 * (which comes back empty, as Elixir's) runs it again; killed alone, it starts only what is
 * missing.
 */
export const Populator = GenServer.make({
  name: "ChaosPopulator",
  init: (args: PopulatorArgs) => GenServer.ok(args, { continue: "populate" }),
  handleContinue: (_, args) =>
    Effect.gen(function*() {
      args.stats.runs++
      const present = yield* Effect.exit(DynamicSupervisor.whichChildren(args.dynamic))
      if (present._tag === "Failure") {
        args.stats.interrupted++
        return GenServer.noreply(args)
      }
      const ids = new Set(present.value.map((c) => c.id))
      let gone = false
      // Many starts in flight at once: the DynamicSupervisor takes them from its mailbox in turn.
      yield* Effect.forEach(args.specs, (spec) => {
        if (gone || ids.has(spec.id)) return Effect.void
        return Effect.map(Effect.exit(DynamicSupervisor.startChild(args.dynamic, spec)), (started) => {
          if (started._tag === "Success") {
            args.stats.started++
            return
          }
          const error = started.cause.reasons.find((r) => r._tag === "Fail")
          const tag = error !== undefined && error._tag === "Fail" ? (error.error as { _tag?: string })._tag : undefined
          if (tag === "NoProc" || tag === "CallExit") {
            // The DynamicSupervisor is gone: its restart restarts this populator.
            gone = true
            return
          }
          args.stats.failed++
          if (args.stats.failures.length < 10) args.stats.failures.push(`${spec.id}: ${describeCause(started.cause)}`)
        })
      }, { concurrency: 64, discard: true })
      if (gone) args.stats.interrupted++
      return GenServer.noreply(args)
    })
})

const describeCause = (cause: unknown): string => {
  const text = String(cause)
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

// ----------------------------------------------------------------------------
// Child specs
// ----------------------------------------------------------------------------

export interface Env {
  readonly reg: Registry.Registry<string, unknown, "unique">
  readonly pubsub: Registry.Registry<string, string, "duplicate">
  readonly stats: Stats
  readonly populator: PopulatorStats
}

export const makeEnv = (tree: Tree): Env => ({
  reg: { name: tree.reg.name, keys: "unique" },
  pubsub: { name: tree.pubsub.name, keys: "duplicate" },
  stats: { inits: 0, terminates: 0 },
  populator: { runs: 0, started: 0, failed: 0, failures: [], interrupted: 0 }
})

const workerSpec = (desc: WorkerDesc, env: Env): ChildSpec.ChildSpec<never> =>
  GenServer.childSpec(
    Worker,
    { id: desc.id, trap: desc.trap, topic: desc.topic, pubsub: env.pubsub, stats: env.stats },
    {
      id: desc.id,
      name: desc.naming === "local" ? desc.name : desc.naming === "via" ? Registry.via(env.reg, desc.name) : undefined
    }
  ) as ChildSpec.ChildSpec<never>

export const specOf = (desc: Desc, tree: Tree, env: Env, period: number): ChildSpec.ChildSpec<never> => {
  switch (desc.kind) {
    case "worker":
      return workerSpec(desc, env)
    case "supervisor":
      return Supervisor.childSpec(desc.id, desc.children.map((c) => specOf(c, tree, env, period)), {
        name: desc.name,
        strategy: desc.strategy,
        intensity: desc.intensity,
        period
      })
    case "dynamic":
      return DynamicSupervisor.childSpec(desc.id, { name: desc.name, intensity: desc.intensity, period })
    case "registry":
      return Registry.childSpec({ id: desc.id, name: desc.name, keys: desc.keys })
    case "populator":
      return GenServer.childSpec(
        Populator,
        { dynamic: tree.dynamic.name, specs: tree.dynamic.children.map((w) => workerSpec(w, env)), stats: env.populator },
        { id: desc.id, name: desc.name }
      ) as ChildSpec.ChildSpec<never>
  }
}

/** Starts the tree (its root unlinked from the caller, so the caller sees the root give up). */
export const start = (tree: Tree, env: Env) =>
  Supervisor.start(tree.root.children.map((c) => specOf(c, tree, env, tree.shape.periodMillis)), {
    name: tree.root.name,
    strategy: tree.root.strategy,
    intensity: tree.root.intensity,
    period: tree.shape.periodMillis
  })

/** How a supervisor is reached with a call timeout of its own (the management calls wait forever). */
export const supervisorRef = (name: string): Supervisor.Supervisor => ({ target: name, pid: undefined })

/** The number of processes the whole tree has when every child runs. */
export const processCount = (tree: Tree): number => tree.all.length

export const exitReasons = {
  shutdown: ExitReason.shutdown(),
  kill: ExitReason.kill,
  crash: (id: string) => ExitReason.fail(new ChaosCrash(id, "by an exit signal"))
}
