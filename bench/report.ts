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
  { benchmark: "hot_upgrade_100k_ms", what: "live upgrade of 100k idle processes (effect-otp only)" },
  { benchmark: "hot_upgrade_100k_under_load_ms", what: "the same while casts stream in (effect-otp only)" }
]

/**
 * The goals of the message-passing issue: effect-otp's advantage over a system (how many times
 * better its figure is), at least `min`, in one run.
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
  { benchmark: "genserver_call_round_trips", vs: "effect-floor", min: 0.85 }
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
    `- Packages: ${Object.entries(m.versions).map(([name, version]) => `${name} ${version}`).join(", ")}`
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
export const limitsSection = `Profiles of the effect-otp child of each case (\`npx tsx bench/profile.ts <case>.ts\`:
\`node --cpu-prof\`, full sizes, self time by part; taken on this machine at a load average of
4.5-5, 2026-11-26, effect 4.1.0, Node 20.20.2):

| case | Effect runtime | effect-otp (\`lib/\`, \`behaviours/\`) | GC | the case's own generators | Node (async_hooks, loading) | the largest single items |
|---|---|---|---|---|---|---|
| spawn | 27% | 9% | **53%** | 1% | 9% | the garbage collector; fiber creation (\`FiberImpl\`, \`makeExit\`) |
| send | **57%** | 9% | 10% | 13% | 11% | \`runLoop\` 12%, \`makePrimitiveProto\` 8%, \`getCont\` 7%: one Effect step per \`yield*\` |
| ping-pong | **57%** | 14% | 5% | 12% | 11% | \`evaluate\` 10%, \`runLoop\` 8%, \`runInAsyncScope\` 6% + \`captureAsyncContext\` 3%: a wake-up per message |
| cast | 35% | 11% | 19% | 7% | 26% (short run: module loading) | GenServer \`mainLoop\` 7% |
| call | 39% | 20% | 15% | 3% | 22% (idem) | GenServer \`mainLoop\` 4%, \`Gen\` call's \`Effect.callback\` 4% |
| ring | 42% | 23% | 21% | 7% | 7% | the run queue's \`drain\` 9%, \`makeExit\` 9%, \`receiveNext\` 6% |
| restarts | 46% | 28% | 9% | 4% | 12% | \`runLoop\` 6%, \`evaluate\` 4%, the crash report 5% (\`terminated\`, \`write\`), the exit path (\`onFiberExit\`) 3%, the supervisor's restart step 3% (profiled again after the change in 4) |
| registry | 25% | **50%** | 10% | 8% | 6% | \`KeyMap.get\` 30%: the \`Map\` lookup of 200k string keys itself |

What that says, in the order it costs:

1. **One Effect step per message.** A process written as \`yield* Process.receive()\` /
   \`yield* Process.send(...)\` spends most of its time in Effect's fiber run loop
   (\`runLoop\`, \`evaluate\`, \`getCont\`, the primitives and \`Exit\`s it allocates) and in
   resuming the generator, not in effect-otp: the mailbox and run queue are under 10% of
   \`send_throughput\`. \`effect_step_floor\` (raw Effect, a bare \`yield* Effect.succeed\` loop)
   is 6-8M steps/s on this machine and a message costs a step on each side, so a loop with a
   step per message is capped near 2-3M msg/s; Erlang's \`receive\` and \`!\` are a few
   instructions in the emulator (about 7M msg/s here). The same mailbox without a step per
   message (\`send_throughput_mailbox\`: \`sendUnsafe\` and \`Mailbox.poll\`) does 5-7M msg/s. This is the
   gap on \`send_throughput\`, \`genserver_cast_throughput\` and the ring.
2. **A wake-up per message to a waiting process.** Effect 4.1 captures a Node
   \`AsyncResource\` each time a fiber suspends and resumes it with \`runInAsyncScope\` and
   \`emitDestroy\` (\`FiberImpl.evaluate\`), for async-context propagation; with effect-otp's run
   queue (\`drain\`, \`schedule\`) that is about 15% of ping-pong and of the ring. Round trips
   (ping-pong, calls, the ring, restarts) pay it on every message, which is why they are 3-5x
   below the one-way rows, and why plain-js (a microtask per drain, no fiber) stays far ahead.
   It cannot be turned off from effect-otp; an option in Effect to skip the async-context
   capture would remove it.
3. **Allocation, so GC.** Every step allocates (primitives, \`Exit\`s, continuations): GC is
   10-20% of the message rows and more than half of \`spawn_1m_seconds\`, where a process (a
   fiber, its mailbox, its context) is about 950 B of heap that the young generation must
   promote. effect-otp's process is still 2.8x smaller than an Erlang process (2.6 kB, most of
   it the initial 233-word heap) and smaller than every JS peer's actor.
4. **The behaviour layers.** A GenServer call adds the call protocol (a reference, a monitor,
   an \`Effect.callback\` per call) and the generic loop's request decoding and dispatch:
   \`genserver_call_vs_ping_pong_ratio\` is 0.55-0.6. A restart was several generators of the
   supervisor (exit, decision, report, start), the crash report an \`Effect.logError\` under
   \`Effect.annotateLogs\` (a context update and a finalizer): a whole crash-and-restart cycle
   of this benchmark was 46 Effect operations and 10.6 kB allocated. The supervisor's part is
   now one step of plain code (the exit's bookkeeping, the report written straight to the
   loggers, the intensity window) and the child's start with one continuation: 25 operations
   and 5.7 kB per cycle, three of them wake-ups (worker, supervisor, driver). Same-run A/B:
   38-45k/s before, 60-96k/s after, level with the raw-Effect restart loop.
5. **A generator function made per call.** \`(...) => Effect.gen(function*() {...})\` makes a
   new generator function each call, and V8 gives each one its own prototype object and object
   shape (seen in a heap snapshot as two \`initial_map\` closures per GenServer): measured here,
   about 4 µs per call against 0.5-0.7 µs for the same body written once at module level and
   run with \`Effect.gen({ self }, body)\`, and every generator resume that sees many shapes
   goes megamorphic. The library's loops and supervisor paths now use module-level generators:
   in back-to-back runs restarts went from 20.8k/s to 45.5k/s, starting 100k children under a
   DynamicSupervisor from 2.1 s to 1.3 s, and an idle GenServer from 4.2 kB to 3.3 kB of heap
   (2.5 kB once the server also stopped holding its start arguments and the starter's state).
   User handlers written the first way pay the same (the GenServer guide says how to avoid it).
6. **Hot upgrade: memory, not code.** \`Code.upgrade\` changes an idle server in place (its
   \`codeChange\` runs on the upgrading fiber; the server is not woken), which brought 100k
   servers from about 3 s to 0.2-0.3 s. What is left is touching each server's loop record
   and process object across a heap of several hundred MB after a full GC: a pass that only
   reads them, with no code change, took 84-206 ms for 100k in the same heap (the code run per
   server is about half of it: the same upgrade repeated on servers already in the cache takes
   55-90 ms). The upgrade now reads a batch of 64 servers ahead (their two objects only, loads
   the CPU overlaps) before it changes them, and a server's loop keeps the fields the upgrade
   touches at its start: same-run A/B, 116-145 ms against 127-156 ms without the read-ahead.
7. **Registry reads are a \`Map\` read plus a step.** Half of a lookup is the \`Map\` of 200k
   string keys (the same structure plain-js reads at 3.4M/s); the rest is the Effect step that
   \`Registry.lookup\` is and the entry array it returns. ETS's \`lookup\` is a BIF called
   without any scheduling, about 4x faster here.

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
  out.push("## The goals: effect-otp against Erlang/OTP and the Effect floor")
  out.push("")
  out.push(
    "The message-passing issue's goals, in one run: effect-otp against Erlang/OTP on one scheduler, and against " +
      "effect-floor, the least an actor on Effect fibers costs. \"effect-otp / it\" is how many times better effect-otp " +
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
