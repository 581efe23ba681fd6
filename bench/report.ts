/**
 * The report of a run: `bench/REPORT.md` (the machine, the tables, why a peer is absent, what
 * limits effect-otp) and `bench/report.svg` (a bar chart per benchmark), both generated from
 * the records of a complete full run (`bench/results/full.json`), with no network. `run.ts`
 * writes them after such a run, and `npm run bench -- --report` writes them again from
 * `full.json`.
 */
import { advantage, compactNumber, formatAdvantage, formatCell, formatValue, lowerIsBetter } from "./format.js"
import { absences, type BenchRecord, isMachineRecord, type MachineRecord, type System, systemNotes, systems } from "./records.js"

const ours: System = "effect-otp"

/** effect-otp's target for a benchmark (from the issue): a bound on its figure. */
export interface Target {
  readonly bound: "max" | "min"
  readonly value: number
}

/** The benchmarks of the issue, in its order, with what each measures. */
export const mainBenchmarks: ReadonlyArray<{ readonly benchmark: string; readonly what: string }> = [
  { benchmark: "spawn_1m_seconds", what: "spawn 1M idle actors, seconds" },
  { benchmark: "idle_process_bytes", what: "heap bytes per idle actor" },
  { benchmark: "send_throughput", what: "one-way messages, one sender to one receiver" },
  { benchmark: "genserver_cast_throughput", what: "casts (plain sends) to a counter server" },
  { benchmark: "genserver_call_round_trips", what: "sequential calls (ask/query) to a counter server" },
  { benchmark: "ping_pong_round_trips", what: "two actors, one message each way" },
  { benchmark: "ring_hops_per_second", what: "10k actors in a ring, a token around 100 times" },
  { benchmark: "supervisor_restarts_per_second", what: "crash-and-restart cycles of one supervised worker" },
  { benchmark: "registry_lookups_per_second", what: "key lookups in a registry of 200k entries" },
  { benchmark: "registry_registrations_per_second", what: "key registrations, 200k" },
  { benchmark: "statemachine_events_per_second", what: "casts through a three-state machine, then a call" },
  { benchmark: "statemachine_idle_bytes", what: "heap bytes per idle started state machine" },
  { benchmark: "task_async_await_per_second", what: "Task.async then Task.await, one at a time" },
  { benchmark: "task_async_await_batch_per_second", what: "100 tasks started, then Task.awaitMany" },
  { benchmark: "agent_update_per_second", what: "sequential Agent.update calls" },
  { benchmark: "send_throughput_bounded", what: "send_throughput to a bounded mailbox (effect-otp only)" },
  { benchmark: "hot_upgrade_100k_ms", what: "live upgrade of 100k idle processes (effect-otp only)" },
  { benchmark: "hot_upgrade_100k_under_load_ms", what: "the same while casts stream in (effect-otp only)" }
]

/**
 * The goals of the message-passing issue and of the StateMachine issue (19): effect-otp's
 * advantage over a system (how many times better its figure is: for bytes, theirs / ours), at
 * least `min`, in one run.
 */
export const goals: ReadonlyArray<{ readonly benchmark: string; readonly vs: System; readonly min: number }> = [
  { benchmark: "ping_pong_round_trips", vs: "erlang", min: 1 },
  { benchmark: "genserver_cast_throughput", vs: "erlang", min: 1 },
  { benchmark: "genserver_call_round_trips", vs: "erlang", min: 1 },
  { benchmark: "ring_hops_per_second", vs: "erlang", min: 1 },
  { benchmark: "send_throughput", vs: "erlang", min: 0.5 },
  { benchmark: "spawn_1m_seconds", vs: "erlang", min: 2 },
  { benchmark: "idle_process_bytes", vs: "erlang", min: 2 },
  { benchmark: "supervisor_restarts_per_second", vs: "erlang", min: 2 },
  { benchmark: "ping_pong_round_trips", vs: "effect-floor", min: 0.85 },
  { benchmark: "genserver_call_round_trips", vs: "effect-floor", min: 0.85 },
  { benchmark: "statemachine_events_per_second", vs: "erlang", min: 1 },
  { benchmark: "statemachine_events_per_second", vs: "xstate", min: 1 },
  { benchmark: "statemachine_idle_bytes", vs: "erlang", min: 1 },
  { benchmark: "statemachine_idle_bytes", vs: "xstate", min: 1 }
]

/** Erlang/OTP 25 on one scheduler as the issue measured it (Node 20, a quiet machine). */
const issueErlang: Readonly<Record<string, string>> = {
  send_throughput: "13.1M msg/s",
  ping_pong_round_trips: "1.37M rt/s",
  genserver_cast_throughput: "7.30M msg/s",
  genserver_call_round_trips: "650k calls/s",
  ring_hops_per_second: "1.84M hops/s"
}

/** The JavaScript peers effect-otp should be ahead of (plain-js is the floor, shown apart). */
const jsPeers: ReadonlyArray<System> = ["xstate", "nact", "effect-queue", "effect-cluster"]

/** The colour of each system in the chart. */
const colours: Readonly<Record<System, string>> = {
  "effect-otp": "#1f63d6",
  erlang: "#a90533",
  xstate: "#2b2b2b",
  nact: "#e08a00",
  "effect-floor": "#5b8def",
  "effect-queue": "#7a57d1",
  "effect-cluster": "#0d9488",
  "plain-js": "#9ca3af"
}

// ----------------------------------------------------------------------------
// Reading the records
// ----------------------------------------------------------------------------

interface Results {
  readonly machine: MachineRecord | undefined
  readonly records: ReadonlyArray<BenchRecord>
  readonly find: (benchmark: string, system: string) => BenchRecord | undefined
  /** Every benchmark with a figure, in the order of the records. */
  readonly benchmarks: ReadonlyArray<string>
  readonly unitOf: (benchmark: string) => string
}

const results = (all: ReadonlyArray<BenchRecord>): Results => {
  const machine = all.find(isMachineRecord)
  const records = all.filter((r) => !isMachineRecord(r))
  const index = new Map(records.map((r) => [`${r.benchmark}\u0000${r.system}`, r]))
  const benchmarks = [...new Set(records.map((r) => r.benchmark))]
  return {
    machine,
    records,
    find: (benchmark, system) => index.get(`${benchmark}\u0000${system}`),
    benchmarks,
    unitOf: (benchmark) => records.find((r) => r.benchmark === benchmark)?.unit ?? ""
  }
}

const advantageOf = (r: Results, benchmark: string, system: string): number | undefined => {
  const mine = r.find(benchmark, ours)
  const theirs = r.find(benchmark, system)
  if (mine === undefined || theirs === undefined) return undefined
  return advantage(mine.value, theirs.value, mine.unit)
}

// ----------------------------------------------------------------------------
// Markdown
// ----------------------------------------------------------------------------

const mdTable = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const [head, ...body] = rows
  return [
    `| ${head!.join(" | ")} |`,
    `|${head!.map(() => "---").join("|")}|`,
    ...body.map((row) => `| ${row.join(" | ")} |`)
  ].join("\n")
}

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(0)} GiB`

const machineSection = (m: MachineRecord | undefined): string => {
  if (m === undefined) return "_The records carry no machine header (an older results file)._"
  const lines = [
    `- Run: ${m.date}, ${Math.round(m.seconds)} s${m.quick ? " (**quick run**: small sizes, figures not meaningful)" : ""}${
      m.complete ? "" : " (**partial run**: `--only` or `--system`)"
    }`,
    `- Machine: ${m.cpuModel}, ${m.value} logical cores, ${gib(m.memoryBytes)} memory, ${m.platform}`,
    `- Load average (1 min): ${m.loadAverage.start.toFixed(2)} at the start, ${m.loadAverage.end.toFixed(2)} at the end${
      m.loadAverage.start > m.value * 0.5 || m.loadAverage.end > m.value * 0.5
        ? " — **the machine was busy with other work**: absolute figures are lower than on a quiet machine; the ratios within the run are what to read"
        : ""
    }`,
    `- Node ${m.node}; Erlang/OTP ${m.otp === null ? "not installed (skipped)" : `${m.otp} (ERTS ${m.erts}), one scheduler (\`erl +S 1\`)`}`,
    `- Packages: ${Object.entries(m.versions).map(([name, version]) => `${name} ${version}`).join(", ")}`,
    `- Each figure: ${
      (m.children ?? 1) === 1
        ? "one child process per benchmark and system, the median of its measured runs"
        : `the better of ${m.children} child processes per benchmark and system, each the median of its measured runs`
    }`
  ]
  return lines.join("\n")
}

const figuresTable = (r: Results, benchmarks: ReadonlyArray<string>, targets: Readonly<Record<string, Target>>): string => {
  const present = systems.filter((s) => benchmarks.some((b) => r.find(b, s) !== undefined))
  const rows: Array<Array<string>> = [["benchmark", "unit", "better", ...present.map((s) => s === ours ? `**${s}**` : s), "target"]]
  for (const benchmark of benchmarks) {
    const unit = r.unitOf(benchmark)
    const target = targets[benchmark]
    rows.push([
      `\`${benchmark}\``,
      unit,
      lowerIsBetter(unit) ? "lower" : "higher",
      ...present.map((s) => {
        const rec = r.find(benchmark, s)
        if (rec === undefined) return "-"
        const cell = formatCell(rec.value, unit)
        return s === ours ? `**${cell}**` : cell
      }),
      target === undefined ? "" : `${target.bound === "max" ? "≤" : "≥"} ${formatCell(target.value, unit)}${
        r.find(benchmark, ours) === undefined
          ? ""
          : (target.bound === "max" ? r.find(benchmark, ours)!.value <= target.value : r.find(benchmark, ours)!.value >= target.value)
          ? " met"
          : " **missed**"
      }`
    ])
  }
  return mdTable(rows)
}

const advantageTable = (r: Results, benchmarks: ReadonlyArray<string>): string => {
  const others = systems.filter((s) => s !== ours && benchmarks.some((b) => advantageOf(r, b, s) !== undefined))
  const rows: Array<Array<string>> = [["benchmark", ...others.map((s) => `vs ${s}`)]]
  for (const benchmark of benchmarks) {
    if (r.find(benchmark, ours) === undefined || others.every((s) => advantageOf(r, benchmark, s) === undefined)) continue
    rows.push([
      `\`${benchmark}\``,
      ...others.map((s) => {
        const a = advantageOf(r, benchmark, s)
        if (a === undefined) return "-"
        const text = formatAdvantage(a)
        return a >= 1 ? `**${text}**` : text
      })
    ])
  }
  return mdTable(rows)
}

const goalTable = (r: Results): string => {
  const rows: Array<Array<string>> = [["benchmark", "effect-otp", "against", "its figure", "the issue's figure", "effect-otp / it", "goal"]]
  for (const { benchmark, vs, min } of goals) {
    const mine = r.find(benchmark, ours)
    const theirs = r.find(benchmark, vs)
    const a = advantageOf(r, benchmark, vs)
    rows.push([
      `\`${benchmark}\``,
      mine === undefined ? "-" : formatValue(mine.value, mine.unit),
      vs,
      theirs === undefined ? "-" : formatValue(theirs.value, theirs.unit),
      vs === "erlang" ? issueErlang[benchmark] ?? "" : "",
      formatAdvantage(a),
      `≥ ${min.toFixed(2)} ${a === undefined ? "-" : a >= min ? "met" : "**missed**"}`
    ])
  }
  return mdTable(rows)
}

const jsGoals = (r: Results, benchmarks: ReadonlyArray<string>): string => {
  const lines: Array<string> = []
  for (const peer of jsPeers) {
    const compared = benchmarks.filter((b) => advantageOf(r, b, peer) !== undefined)
    if (compared.length === 0) {
      lines.push(`- **${peer}**: not in this run.`)
      continue
    }
    const behind = compared.filter((b) => advantageOf(r, b, peer)! < 1)
    const range = compared.map((b) => advantageOf(r, b, peer)!)
    lines.push(
      `- **${peer}**: effect-otp is ahead on ${compared.length - behind.length} of ${compared.length} benchmarks ` +
        `(${formatAdvantage(Math.min(...range))} to ${formatAdvantage(Math.max(...range))})` +
        (behind.length === 0
          ? "."
          : `; behind on ${behind.map((b) => `\`${b}\` (${formatAdvantage(advantageOf(r, b, peer))})`).join(", ")}.`)
    )
  }
  const floor = benchmarks.filter((b) => advantageOf(r, b, "plain-js") !== undefined)
  if (floor.length > 0) {
    const shares = floor.map((b) => advantageOf(r, b, "plain-js")!)
    lines.push(
      `- **plain-js**, the floor (an array and a callback: no process, no isolation, no supervision): effect-otp does ` +
        `${formatAdvantage(Math.min(...shares))} to ${formatAdvantage(Math.max(...shares))} of it.`
    )
  }
  return lines.join("\n")
}

const absenceSection = (r: Results): string => {
  const lines: Array<string> = []
  for (const { benchmark } of mainBenchmarks) {
    const reasons = absences[benchmark]
    if (reasons === undefined) continue
    for (const system of systems) {
      const reason = reasons[system]
      if (reason === undefined || r.find(benchmark, system) !== undefined) continue
      lines.push(`- \`${benchmark}\`, **${system}**: ${reason}.`)
    }
  }
  if (r.machine?.otp === null) lines.push("- **erlang**: `erl` was not on the PATH, so Erlang/OTP was skipped in this run.")
  return lines.join("\n")
}

/**
 * What limits effect-otp where it falls short: profiles of the effect-otp cases
 * (`npx tsx bench/profile.ts <case>`, full sizes), read against the raw-Effect rows. Static
 * text: profile again and edit it here when the library or Effect changes.
 */
export const limitsSection = `Profiles of the effect-otp child of each message case (\`npx tsx bench/profile.ts <case>.ts\`:
\`node --cpu-prof\`, full sizes, self time by part) and the heap each allocates per operation
(\`--alloc\`: \`v8.GCProfiler\` around each measured run), for effect-otp and effect-floor; taken
on this machine on 2026-12-07, Node 24.21.0, effect 4.1.0, after the changes below. The cast
and call runs are short, so module loading ("Node") weighs on them.

| case | Effect | effect-otp | GC | the case's generators | Node | allocated per op, effect-otp / effect-floor | the largest single items |
|---|---|---|---|---|---|---|---|
| send | **43%** | 5% | 17% | 17% | 14% | 399 B per message / - | the sender's loop 11%, \`runLoop\` 9%, the generator's driver 7% (before the sender yielded: \`deliver\` 13%, the mailbox array growing to 500k) |
| ping-pong | **50%** | 16% | 8% | 9% | 16% | 1,292 / 1,795 B per round trip | \`runLoop\` 10%, \`evaluate\` 9%, \`runInAsyncScope\` 7%: the ponger's wake-up |
| cast | 24% | 11% | 21% | 6% | 35% (loading) | 395 / 491 B per cast | \`runDirect\` 4%, GenServer \`handle\` 4% |
| call | 18% | 20% | 21% | 5% | 34% (loading) | 1,485 / 1,853 B per call | the call's \`Effect.callback\` 4%, \`handle\` 3%, \`sendRequest\` 2%, the call timeout's clock read 2% |
| ring | **44%** | 27% | 12% | 5% | 12% | 930 / 960 B per hop | \`evaluate\` 9%, \`Process.send\` 7%, the \`Exit\` of each message 6%, \`runInAsyncScope\` 5% |

What the library changed in the message-passing issue, and why:

1. **A waiting GenServer is not a suspended fiber.** The generic loop, parked in its plain
   receive, handles messages from the node's run queue (\`LoopImpl.runDirect\`): a behaviour
   whose handler answers with a plain result (a reply, a new state) costs no fiber resume;
   only an Effect to run, a stop, an action, a throw, a system message or a trace goes to the
   fiber, with the outcome the fiber path gives (\`test/direct-loop.test.ts\`).
2. **The asker of a round trip does not suspend.** A process about to wait, or a call just
   sent, runs the one task due next on its own stack, in the run queue's order (only when
   nothing else is due before it, at most 64 in a row): the ponger, or the server and then the
   reply. When that answers, the asker takes the answer at once. A call to an idle GenServer so
   costs no suspension at all; ping-pong costs one (the ponger's) instead of two.
3. **A sender that outruns its receiver yields now and then.** A receive that finds its
   message is two steps of Effect's run loop and a send one, so a tight send loop gave its
   receiver half the stream to hold: \`send_throughput\`'s mailbox peaked at 500k messages,
   and the figure swung between 1.3M and 3.0M msg/s with how the array grew. As Erlang charges
   a sender for a long queue, a send (or cast) to a mailbox of more than 4096 now yields the
   sender once in 1024 such sends: the peak is 4k, and the same stream ran at 2.4-4.5M msg/s.
4. **A request without payload is made once.** Casts of \`Inc\` made a request and a cast
   message each; those waiting in the mailbox when the young generation was collected made V8
   pretenure their allocation site (\`--trace-deopt\`: "allocation site tenuring changed"),
   and the process ran at half speed from then on (2.1-4.6M casts/s in three processes of
   four). A message is a value, so \`GenServer\` sends one request (and one cast message) made
   once per tag: 6.2-7.4M casts/s in every process since.
5. **The run queue is drained in swapped batches**: one growing queue made \`schedule\` 15%
   of ping-pong; a process's own fiber takes its message in the \`Exit\` it is resumed with,
   without the hand-off step other fibers need; a call to a pid checks liveness in its own
   callback.

What is left is Effect's cost per message, which no code on its public API avoids:

6. **A message to a waiting process is a fiber resume.** Effect 4.1 captures a Node
   \`AsyncResource\` each time a fiber suspends and resumes it through \`runInAsyncScope\` and
   \`emitDestroy\` (\`FiberImpl.evaluate\`), and each wait is an \`Effect.callback\` with its
   closures (about 240 B). The ponger and every process of the ring pay it per message. The
   floor shows the limit: effect-floor, the least an actor on Effect fibers does, pays a wake-up
   on both sides of a round trip and runs ping-pong, calls and the ring slower than effect-otp,
   which pays it on one side (the ponger, each process of the ring); Erlang switches processes
   in the emulator, without allocation. Skipping the async-context capture measured +16% on the
   floor's ping-pong, but it means writing a private field of Effect's fiber and changing what
   \`AsyncLocalStorage\` code in a process sees, so effect-otp does not do it.
7. **A send is an Effect step, and so is a receive.** \`yield* Process.send(...)\` is a lazy
   effect (\`Effect.sync\` and its closure, about 200 B), one step of the run loop; a receive
   that finds its message is two (the look, and the \`Exit\` it answers with). Three steps per
   one-way message at \`effect_step_floor\`'s rate (one lazy step alone) cap a stream between
   two fibers near a third of that rate, under half of Erlang's \`!\` and \`receive\`, so the
   send goal of 0.5x Erlang is out of reach for any loop with a step per message on each side.
   Effect's own \`Queue\` (effect-queue) does better on this row because its \`offer\` is an
   internal primitive with no closure; the same mailbox without a step per message
   (\`send_throughput_mailbox\`) is faster still.
8. **The floor measured cold is a different program.** effect-floor as a program of two
   generator functions runs ping-pong far faster (\`effect_floor_cold_ping_pong\`) than the same
   code after an ordinary pass of Effect (\`warmEffect\`: a Layer, forks, a Queue): V8 keeps
   Effect's hottest call sites (\`evaluate\`, \`getCont\`, the generator's \`next\`)
   monomorphic in the first and megamorphic in the second, as in every application. Measured
   the same way, the floor inside effect-otp's own process fibers ran where effect-otp runs: the
   "half of a message is the library's" reading came from comparing the two states.
9. **The floor's ring.** It fell from 2.0M hops/s at 1k processes to 0.5M at 10k. One cause
   found: truncating a drained mailbox (\`length = 0\`) is a runtime call that trims the
   backing store, which on 10k arrays in the old generation cost a third of the ring (0.56M to
   0.70M hops/s once the floor drops drained arrays as effect-otp does). Per-process closures
   (the floor's per-process \`receive\`) were measured and are not it. effect-otp's ring
   stays near 1M hops/s from 1k to 50k processes.
10. **Allocation per round trip** (ping-pong, sampling heap profiler): Effect's wait
   (\`Effect.callback\`) 27%, the send effects 23%, the case's generators' \`yield*\` results
   24%, the async-context resources 12%, the messages' \`Exit\`s and the run queue 4%.
   effect-otp allocates less than the floor per round trip and per hop.

Earlier findings that still hold:

11. **A restart is one step of the supervisor's plain code** (the exit's bookkeeping, the
   report written straight to the loggers, the intensity window) and the child's start with
   one continuation: about 25 Effect operations and 5.7 kB per crash-and-restart cycle.
12. **A generator function made per call costs** (\`(...) => Effect.gen(function*() {...})\`
   makes a new generator function, prototype and shape each call): the library's loops and
   supervisor paths use module-level generators run with \`Effect.gen({ self }, body)\`.
13. **Hot upgrade is memory, not code.** \`Code.upgrade\` changes an idle server in place; what
   is left is touching each server's objects across a large heap.
14. **Registry reads are a \`Map\` read plus a step**; ETS's \`lookup\` is a BIF called
   without any scheduling.

Where effect-otp is ahead of Erlang it is for reasons of design, not speed of the runtime:
\`idle_process_bytes\` (a fiber is smaller than a BEAM process with its own heap), and
\`supervisor_restarts_per_second\`, where OTP's supervisor keeps every restart of the
intensity window in a list that it copies (\`lists:takewhile\`) and measures (\`length\`) at
each restart: with the never-tripping intensity of this benchmark (10^9 per second) that list
holds every restart of the last one to two seconds, so Erlang's rate falls as it runs (about
11k/s over 5k restarts, 4-5k/s over 100k), while effect-otp's intensity window is a queue.`

/** What a reader needs to know to read some of the peers' figures. */
export const notesSection = `- **One run, one machine.** Figures are comparable within a run only. The header gives the
  load average: other work on the machine lowers every figure, the short Node children more
  than the long ones, so read the ratios, and compare runs only at a similar load.
- **xstate** processes an event on the sender's stack when the target is idle (its mailbox
  flushes at once), so its sends and round trips involve no scheduling at all; its cost is the
  state machine's transition (microstep, snapshot, \`assign\`), about 5-10 µs per event here.
- **nact** handles every message in its own \`setImmediate\` callback (and an \`await\`), so its
  one-way rates are bound by the event loop's check phase. A nact "restart" is \`ctx.reset\`:
  the same actor and mailbox with its state made again, which is why it restarts faster than
  the systems that start a new process or fiber.
- **effect-cluster** runs with \`TestRunner.layer\`'s defaults, among them
  \`simulateRemoteSerialization: true\`: each message and reply is encoded and decoded as if the
  entity were on another runner, and each goes through the sharding and the entity's mailbox.
  Its "cast" is an RPC with \`discard: true\`, which returns once the entity has taken the
  message. It runs 20k operations, not 200k or 1M (the rate is per second either way).
- **Erlang** runs with one scheduler (\`+S 1\`) and \`+P 2000000\` (the default limit of 262,144
  processes does not hold 1M); \`idle_process_bytes\` is \`erlang:memory(total)\` before and
  after, less the list of pids the driver holds. Its restarts slow down as the run goes on (see
  the end of the next section).`

/** The Markdown report. */
export const renderMarkdown = (all: ReadonlyArray<BenchRecord>, targets: Readonly<Record<string, Target>>, limits: string = limitsSection): string => {
  const r = results(all)
  const main = mainBenchmarks.map((b) => b.benchmark).filter((b) => r.benchmarks.includes(b))
  const more = r.benchmarks.filter((b) => !main.includes(b))
  const out: Array<string> = []
  out.push("# effect-otp benchmarks: the report")
  out.push("")
  out.push(
    "Generated by `npm run bench` (bench/run.ts, bench/report.ts) from `bench/results/full.json`, the records of the run below; " +
      "`npm run bench -- --report` writes it again from that file. Do not edit it by hand: the text comes from `bench/report.ts`."
  )
  out.push("")
  out.push(machineSection(r.machine))
  out.push("")
  out.push("![effect-otp and its peers, one chart per benchmark](report.svg)")
  out.push("")
  out.push("## The goals: effect-otp against Erlang/OTP, the Effect floor and xstate")
  out.push("")
  out.push(
    "The message-passing issue's goals, in one run: effect-otp against Erlang/OTP on one scheduler, and against " +
      "effect-floor, the least an actor on Effect fibers costs; then the StateMachine issue's: effect-otp's " +
      "`StateMachine` against `gen_statem` and xstate. \"effect-otp / it\" is how many times better effect-otp " +
      "is (a higher rate, or a lower time or size): below 1.00 it is behind. Why the missed ones are missed is in " +
      "\"What limits effect-otp\" below."
  )
  out.push("")
  out.push(goalTable(r))
  out.push("")
  out.push("## effect-otp against the JavaScript peers")
  out.push("")
  out.push(jsGoals(r, main))
  out.push("")
  out.push("## Figures")
  out.push("")
  out.push("Every system's figure, one row per benchmark (median of the measured runs; see bench/README.md for how each is measured).")
  out.push("")
  out.push(figuresTable(r, main, targets))
  out.push("")
  out.push("### effect-otp's advantage")
  out.push("")
  out.push("How many times better effect-otp's figure is than each system's: **above 1.00, effect-otp is ahead**; below, behind.")
  out.push("")
  out.push(advantageTable(r, main))
  out.push("")
  if (more.length > 0) {
    out.push("### More figures")
    out.push("")
    out.push("Benchmarks that explain the others or concern only some systems (bench/README.md says what each measures).")
    out.push("")
    out.push(figuresTable(r, more, targets))
    out.push("")
  }
  out.push("## Where a peer is absent, and why")
  out.push("")
  out.push(absenceSection(r) || "Every system ran every benchmark it can.")
  out.push("")
  out.push("## The systems")
  out.push("")
  for (const s of systems) out.push(`- **${s}**: ${systemNotes[s]}.`)
  out.push("")
  out.push(
    "Each peer runs the code its own documentation shows for the job (the header comment of each `bench/<case>.ts`, " +
      "and `bench/erlang/*.erl`, say exactly what); none is tuned down, and none is tuned up beyond its defaults."
  )
  out.push("")
  out.push("## Notes on the figures")
  out.push("")
  out.push(notesSection)
  out.push("")
  out.push("## What limits effect-otp")
  out.push("")
  out.push(limits)
  out.push("")
  return out.join("\n")
}

// ----------------------------------------------------------------------------
// SVG
// ----------------------------------------------------------------------------

const escapeXml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/**
 * The comparison written beside a peer's bar in the chart, from effect-otp's point of view and
 * in words, so that it reads right without a legend: `effect-otp 2.10x faster` when effect-otp
 * is ahead of that peer, `effect-otp 4.00x slower` when it is behind (the inverse ratio, not
 * `0.25x`), `smaller`/`larger` for sizes and `fewer`/`more` for counts, `effect-otp on par`
 * within rounding, and nothing when there is no ratio.
 */
export const chartComparison = (advantage: number | undefined, unit: string): string => {
  if (advantage === undefined || !Number.isFinite(advantage) || advantage <= 0) return ""
  const [better, worse] = unit === "B" ? ["smaller", "larger"] : unit === "msgs" ? ["fewer", "more"] : ["faster", "slower"]
  const ahead = formatAdvantage(advantage)
  const behind = formatAdvantage(1 / advantage)
  if (ahead === "1.00x" || behind === "1.00x") return "effect-otp on par"
  return advantage > 1 ? `effect-otp ${ahead} ${better}` : `effect-otp ${behind} ${worse}`
}

/**
 * A bar chart: one panel per benchmark of the issue with an effect-otp figure, a bar per system
 * with a figure and an "absent" row per system that cannot run it (`absences`).
 */
export const renderSvg = (all: ReadonlyArray<BenchRecord>): string => {
  const r = results(all)
  const panels = mainBenchmarks.filter((b) => r.benchmarks.includes(b.benchmark) && r.find(b.benchmark, ours) !== undefined)
  const present = systems.filter((s) => panels.some((p) => r.find(p.benchmark, s) !== undefined))
  const rowsOf = (benchmark: string): ReadonlyArray<System> =>
    present.filter((s) => r.find(benchmark, s) !== undefined || absences[benchmark]?.[s] !== undefined)
  const columns = 2
  const panelWidth = 560
  const labelWidth = 112
  // Room for the figure and its comparison: "1.31M msg/s  (effect-otp 4.00x slower)".
  const valueWidth = 240
  const barHeight = 16
  const barGap = 5
  const titleHeight = 38
  const panelHeightOf = (benchmark: string) => titleHeight + rowsOf(benchmark).length * (barHeight + barGap) + 16
  // A row of the grid is as high as its highest panel.
  const gridRows = Array.from({ length: Math.ceil(panels.length / columns) }, (_, row) =>
    Math.max(...panels.slice(row * columns, row * columns + columns).map((p) => panelHeightOf(p.benchmark))))
  const gridTop = gridRows.map((_, row) => gridRows.slice(0, row).reduce((a, b) => a + b, 0))
  const headerHeight = 88
  const width = columns * panelWidth + 20
  const height = headerHeight + gridRows.reduce((a, b) => a + b, 0) + 24
  const out: Array<string> = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`
  )
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  const m = r.machine
  const title = "effect-otp, Erlang/OTP and the JavaScript actor libraries, one run"
  const subtitle = m === undefined
    ? ""
    : `${m.date.slice(0, 10)} · ${m.cpuModel} × ${m.value} · Node ${m.node}${m.otp === null ? "" : ` · OTP ${m.otp} (+S 1)`} · load ${
      m.loadAverage.start.toFixed(1)
    }–${m.loadAverage.end.toFixed(1)}${m.quick ? " · QUICK RUN" : ""}`
  out.push(`<text x="16" y="28" font-size="20" font-weight="bold" fill="#111">${escapeXml(title)}</text>`)
  out.push(`<text x="16" y="50" font-size="12" fill="#555">${escapeXml(subtitle)}</text>`)
  let lx = 16
  for (const s of present) {
    out.push(`<rect x="${lx}" y="62" width="12" height="12" fill="${colours[s]}"/>`)
    out.push(`<text x="${lx + 16}" y="73" font-size="12" fill="#111"${s === ours ? ` font-weight="bold"` : ""}>${escapeXml(s)}</text>`)
    lx += 30 + s.length * 6.6
  }
  panels.forEach((panel, index) => {
    const unit = r.unitOf(panel.benchmark)
    const x0 = 10 + (index % columns) * panelWidth
    const y0 = headerHeight + gridTop[Math.floor(index / columns)]!
    const rows = rowsOf(panel.benchmark)
    const values = rows.map((s) => r.find(panel.benchmark, s)?.value)
    const max = Math.max(...values.filter((v): v is number => v !== undefined && Number.isFinite(v)))
    const barSpace = panelWidth - labelWidth - valueWidth - 20
    out.push(`<g>`)
    out.push(
      `<text x="${x0 + 6}" y="${y0 + 18}" font-size="13" font-weight="bold" fill="#111">${escapeXml(panel.benchmark)}</text>`
    )
    out.push(
      `<text x="${x0 + 6}" y="${y0 + 32}" font-size="11" fill="#555">${escapeXml(`${panel.what} — ${unit}, ${lowerIsBetter(unit) ? "lower" : "higher"} is better`)}</text>`
    )
    rows.forEach((s, i) => {
      const y = y0 + titleHeight + i * (barHeight + barGap)
      const v = values[i]
      const bold = s === ours ? ` font-weight="bold"` : ""
      out.push(`<text x="${x0 + labelWidth}" y="${y + barHeight - 4}" font-size="11" text-anchor="end" fill="#333"${bold}>${escapeXml(s)}</text>`)
      if (v === undefined) {
        out.push(`<text x="${x0 + labelWidth + 8}" y="${y + barHeight - 4}" font-size="11" fill="#999">absent (see the report)</text>`)
        return
      }
      const w = max > 0 ? Math.max(1, (v / max) * barSpace) : 1
      out.push(
        `<rect x="${x0 + labelWidth + 6}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${colours[s]}"${
          s === ours ? ` stroke="#0b2f6b" stroke-width="1"` : ""
        }/>`
      )
      const a = s === ours ? undefined : chartComparison(advantageOf(r, panel.benchmark, s), unit)
      const label = `${unit === "B" ? Math.round(v) : unit === "s" ? v.toFixed(2) : compactNumber(v)} ${unit}${a === "" ? "" : `  (${a})`}`
      out.push(`<text x="${x0 + labelWidth + 10 + w}" y="${y + barHeight - 4}" font-size="11" fill="#222"${bold}>${escapeXml(label)}</text>`)
    })
    out.push(`</g>`)
  })
  const footY = height - 10
  out.push(
    `<text x="16" y="${footY}" font-size="10" fill="#777">Beside a peer's figure: how effect-otp compares with that peer on the benchmark. Generated by bench/report.ts.</text>`
  )
  out.push(`</svg>`)
  return out.join("\n") + "\n"
}
