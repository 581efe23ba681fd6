/**
 * What a benchmark child reports, and the systems compared. Shared by the runner, the report
 * and the case files; imports nothing, so the runner does not load the library it measures.
 */

/** One measured figure: a line of `bench/results/latest.json`. */
export interface BenchRecord {
  readonly benchmark: string
  readonly system: string
  readonly value: number
  readonly unit: string
}

/**
 * The first element of `bench/results/latest.json`: the machine and the versions of the run.
 * Record-shaped (`benchmark: "machine"`, `value`: logical cores), so a tool that reads the file
 * as records keeps working; tools that want the machine read its other fields.
 */
export interface MachineRecord extends BenchRecord {
  readonly benchmark: "machine"
  readonly system: "host"
  /** Logical cores. */
  readonly value: number
  readonly unit: "cores"
  /** When the run started (ISO 8601). */
  readonly date: string
  /** A `--quick` run (small sizes: the figures prove the harness runs, no more). */
  readonly quick: boolean
  /** Whether every benchmark and system ran (no `--only`, no `--system`). */
  readonly complete: boolean
  readonly cpuModel: string
  readonly memoryBytes: number
  readonly platform: string
  /** `process.version` of the runner (every Node child uses the same binary). */
  readonly node: string
  /** The OTP release and ERTS version of `erl`, or `null` when Erlang was not on the PATH. */
  readonly otp: string | null
  readonly erts: string | null
  /** Versions of the packages measured (effect, xstate, nact, effect-otp). */
  readonly versions: Readonly<Record<string, string>>
  /** The 1-minute load average when the run started and when it ended. */
  readonly loadAverage: { readonly start: number; readonly end: number }
  /** Wall-clock seconds of the whole run. */
  readonly seconds: number
  /** Children per (benchmark, system) pair, the better one kept (absent in older files: one). */
  readonly children?: number | undefined
}

export const isMachineRecord = (r: BenchRecord): r is MachineRecord => r.benchmark === "machine"

/** The systems compared: ours first, then the peers (Erlang first), the raw baselines last. */
export const systems = [
  "effect-otp",
  "erlang",
  "xstate",
  "nact",
  "effect-floor",
  "effect-queue",
  "effect-cluster",
  "plain-js"
] as const

/** A system's name. */
export type System = (typeof systems)[number]

/** What each system is, in one line (for the report). */
export const systemNotes: Readonly<Record<System, string>> = {
  "effect-otp": "this library: processes (`Process`), `GenServer`, `StateMachine`, `Supervisor`, `Registry`, each program on its own `Node.layer()`",
  erlang: "Erlang/OTP (`erl +S 1`: one scheduler, as Node has one thread): processes, `gen_server`, `gen_statem`, `supervisor`, ETS",
  xstate: "xstate v5 actors: state machines (`setup(...).createMachine`), `createActor`, `sendTo`, `waitFor`",
  nact: "nact: actors with `spawn`/`spawnStateless`, `dispatch`, `query`, `onCrash` supervision",
  "effect-floor":
    "the least an actor on Effect fibers costs (`bench/floor.ts`): a fiber per process parked in one `Effect.callback`, an array mailbox, a batched microtask run queue; no links, monitors, names or timeouts",
  "effect-queue": "raw Effect 4: a fiber (`Effect.forkChild`) on an unbounded `Queue`; replies by `Deferred`",
  "effect-cluster": "Effect 4's cluster entity (`Entity.make` + `toLayer`) on the in-memory `TestRunner.layer`, called through `Entity.client`",
  "plain-js": "an array mailbox drained on a microtask plus a handler function: the floor of any actor on one JS thread"
}

/**
 * Why a system has no figure for a benchmark it could be expected to have (the report prints
 * these; the terminal table shows `-`). Benchmarks that only concern effect-otp or raw Effect
 * (`send_throughput_mailbox`, `effect_step_floor`, the dynamic supervisor, the hot upgrade) are
 * explained in `bench/README.md` instead.
 */
export const absences: Readonly<Record<string, Partial<Record<System, string>>>> = {
  spawn_1m_seconds: {
    "effect-cluster":
      "entities are not spawned: one is activated by the first message to its id, and a runner keeps at most `maxResidentEntities` (10,000 by default) resident"
  },
  idle_process_bytes: { "effect-cluster": "as for spawn: no idle entity without a message, at most 10,000 resident" },
  send_throughput: {
    "effect-cluster":
      "an entity is reached only by its client's RPCs; the one-way send (`discard: true`) is measured as `genserver_cast_throughput`"
  },
  ping_pong_round_trips: {
    "effect-cluster": "an entity answers its caller (measured as `genserver_call_round_trips`); entities do not message a client back"
  },
  ring_hops_per_second: {
    xstate:
      "xstate delivers an event on the sender's stack (`sendTo` → the target's mailbox flushes at once when idle), so a chain of 10k idle actors nests 10k transitions: the ring overflows the stack at about 1,600 actors (`RangeError`, which xstate catches and stops the actor with). A 1,000-actor ring runs",
    "effect-cluster": "entities are called through the sharding client; a ring of 10k entities calling each other is not what the cluster is for (and 10k is its resident limit)"
  },
  supervisor_restarts_per_second: {
    "effect-cluster":
      "no supervisor: a defect in an entity handler restarts the entity inside message delivery (`defectRetryPolicy`), with nothing to observe or count a restart by",
    "plain-js": "a plain mailbox has no failure to isolate and nothing to restart"
  },
  registry_lookups_per_second: {
    xstate:
      "its registry is the system's `systemId`s, registered only by spawning an actor with one, and spawning n children of one machine is quadratic (each spawn copies the machine's children: 8,000 take about 30 s here), so a 200k-entry registry cannot be built",
    nact: "no registry: a name is unique only among an actor's siblings and is resolved by walking the parent's children, not looked up by key",
    "effect-cluster": "entities are addressed by id through the sharding client; there is no table of entries to look up"
  },
  registry_registrations_per_second: {
    xstate: "a `systemId` is registered only by spawning an actor with it (see lookups)",
    nact: "no registry (see lookups)",
    "effect-cluster": "no registry (see lookups)"
  },
  genserver_cast_throughput: {},
  genserver_call_round_trips: {}
}
