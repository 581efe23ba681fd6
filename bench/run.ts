/**
 * `npm run bench`: runs every benchmark case in its own child process for each system, prints
 * progress and a table with effect-otp's ratio to every other system, writes
 * bench/results/latest.json (a machine header, then the records), and after a full run
 * regenerates bench/REPORT.md and bench/report.svg. `--quick` for the CI smoke pass, `--only`,
 * `--system`, `--jobs`, `--children`, `--report` (regenerate the report from full.json, the records of the
 * last complete full run, which a partial run leaves alone).
 *
 * To add a benchmark: write a case file with `runCase` (see `common.ts`) and list it in
 * `cases`. To add a peer: add its name to `systems` in `records.ts` and an implementation to
 * the case files that support it; the table grows a column.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { type Launcher, makeLauncher } from "./bundle.js"
import { type ErlangSetup, setupErlang } from "./erlang.js"
import { advantage, formatAdvantage, formatCell, formatValue, lowerIsBetter, textTable } from "./format.js"
import { type BenchRecord, isMachineRecord, type MachineRecord, type System, systems } from "./records.js"
import { renderMarkdown, renderSvg, type Target } from "./report.js"

const ours: System = "effect-otp"

/** A case file and what it measures. Each system runs in its own child process. */
interface Case {
  readonly file: string
  readonly benchmark: string
  readonly unit: string
  readonly systems: ReadonlyArray<System>
  /** Extra Node flags for the child. */
  readonly nodeArgs?: ReadonlyArray<string> | undefined
}

/** The floor runs only the message-passing cases it is the floor of (ping-pong, call, cast, ring). */
const floored = (list: ReadonlyArray<System>): ReadonlyArray<System> => [...list, "effect-floor"]
const all: ReadonlyArray<System> = systems.filter((s) => s !== "effect-floor")
/** The systems with actors of their own (the cluster entity is reached only by calls and casts). */
const actors: ReadonlyArray<System> = all.filter((s) => s !== "effect-cluster")
const baselines: ReadonlyArray<System> = ["effect-otp", "effect-queue", "plain-js"]
/** The systems with a state-machine behaviour: effect-otp's `StateMachine`, `gen_statem`, xstate. */
const stateMachines: ReadonlyArray<System> = ["effect-otp", "erlang", "xstate"]

const cases: ReadonlyArray<Case> = [
  // 1M idle Effect fibers need about 2.5 GB of heap: more than V8's default limit on small machines.
  { file: "spawn.ts", benchmark: "spawn_1m_seconds", unit: "s", systems: actors, nodeArgs: ["--max-old-space-size=8192"] },
  { file: "idle-memory.ts", benchmark: "idle_process_bytes", unit: "B", systems: actors },
  { file: "send.ts", benchmark: "send_throughput", unit: "msg/s", systems: actors },
  { file: "ping-pong.ts", benchmark: "ping_pong_round_trips", unit: "rt/s", systems: floored(actors) },
  { file: "genserver-cast.ts", benchmark: "genserver_cast_throughput", unit: "msg/s", systems: floored(all) },
  { file: "genserver-call.ts", benchmark: "genserver_call_round_trips", unit: "calls/s", systems: floored(all) },
  {
    file: "ring.ts",
    benchmark: "ring_hops_per_second",
    unit: "hops/s",
    systems: floored(["effect-otp", "erlang", "nact", "effect-queue", "plain-js"])
  },
  {
    file: "supervisor-restarts.ts",
    benchmark: "supervisor_restarts_per_second",
    unit: "restarts/s",
    systems: ["effect-otp", "erlang", "xstate", "nact", "effect-queue"]
  },
  // Also records dynamic_supervisor_child_bytes and dynamic_supervisor_stop_100k_seconds.
  {
    file: "dynamic-supervisor.ts",
    benchmark: "dynamic_supervisor_start_100k_seconds",
    unit: "s",
    systems: ["effect-otp", "effect-queue"]
  },
  // Also records registry_registrations_per_second.
  {
    file: "registry.ts",
    benchmark: "registry_lookups_per_second",
    unit: "lookups/s",
    systems: ["effect-otp", "erlang", "effect-queue", "plain-js"]
  },
  // The StateMachine behaviour against the state machines of its issue: gen_statem and xstate.
  {
    file: "statemachine-events.ts",
    benchmark: "statemachine_events_per_second",
    unit: "events/s",
    systems: stateMachines
  },
  { file: "statemachine-idle.ts", benchmark: "statemachine_idle_bytes", unit: "B", systems: stateMachines },
  // Issue 20's Agent against its Erlang equivalent: a plain process holding state.
  { file: "agent-update.ts", benchmark: "agent_update_per_second", unit: "updates/s", systems: ["effect-otp", "erlang"] },
  // Task.async + Task.await against plain Erlang processes (spawn_monitor + receive) and raw fibers.
  // Also records task_async_await_batch_per_second.
  {
    file: "task-async-await.ts",
    benchmark: "task_async_await_per_second",
    unit: "tasks/s",
    systems: ["effect-otp", "erlang", "effect-queue"]
  },
  { file: "send-mailbox.ts", benchmark: "send_throughput_mailbox", unit: "msg/s", systems: baselines },
  // Bounded mailboxes (issue 20), effect-otp only; also records mailbox_overflow_drop_per_second.
  { file: "mailbox.ts", benchmark: "send_throughput_bounded", unit: "msg/s", systems: ["effect-otp"] },
  // Raw Effect only: the cost of one Effect step, the floor of a receive loop with a step per message.
  { file: "effect-step.ts", benchmark: "effect_step_floor", unit: "steps/s", systems: ["effect-queue"] },
  // The floor's ping-pong in a program that did nothing else with Effect (see bench/floor.ts).
  { file: "floor-cold.ts", benchmark: "effect_floor_cold_ping_pong", unit: "rt/s", systems: ["effect-floor"] },
  // Also records hot_upgrade_100k_under_load_ms and hot_upgrade_lost_messages.
  { file: "hot-upgrade.ts", benchmark: "hot_upgrade_100k_ms", unit: "ms", systems: ["effect-otp"] },
  { file: "telemetry.ts", benchmark: "telemetry_call_round_trips_off", unit: "calls/s", systems: ["effect-otp"] }
]

/** Figures computed from others of the same run: `numerator / denominator`, for one system. */
interface Derived {
  readonly benchmark: string
  readonly system: System
  readonly numerator: string
  readonly denominator: string
}

const derived: ReadonlyArray<Derived> = [
  {
    benchmark: "genserver_cast_vs_send_ratio",
    system: ours,
    numerator: "genserver_cast_throughput",
    denominator: "send_throughput"
  },
  {
    benchmark: "genserver_call_vs_ping_pong_ratio",
    system: ours,
    numerator: "genserver_call_round_trips",
    denominator: "ping_pong_round_trips"
  }
]

/**
 * Absolute targets of effect-otp, shown next to its figures. The message rates, spawn time and
 * memory are goals relative to Erlang and the Effect floor in the same run (`goals` in
 * `report.ts`); what stays absolute is the hot upgrade's.
 */
const targets: Readonly<Record<string, Target>> = {
  supervisor_restarts_per_second: { bound: "min", value: 50e3 },
  hot_upgrade_100k_ms: { bound: "max", value: 200 },
  hot_upgrade_lost_messages: { bound: "max", value: 0 }
}

// ----------------------------------------------------------------------------
// Arguments
// ----------------------------------------------------------------------------

const argv = process.argv.slice(2)
const quick = argv.includes("--quick")
const reportOnly = argv.includes("--report")
const listArg = (name: string): ReadonlyArray<string> | undefined => {
  const i = argv.indexOf(name)
  if (i < 0) return undefined
  const value = argv[i + 1]
  if (value === undefined || value.startsWith("--")) {
    console.error(`bench: ${name} needs a value`)
    process.exit(2)
  }
  return value.split(",").map((s) => s.trim()).filter((s) => s.length > 0)
}
const only = listArg("--only")
const onlySystems = listArg("--system")
/**
 * Children per pair: `--children`, else two for a full run and one for `--quick`. A pair's
 * figure is the better of its children's (each the median of its own runs): one child of the
 * same code can land in a slow mode for its whole life (measured in one full run:
 * `send_throughput` 1.32M msg/s in its own child and 3.00M in the telemetry case's, the same
 * function; the ring at 0.46M and, in the next runs, 0.86-1.08M), for every system alike.
 */
const children = ((): number => {
  const given = listArg("--children")
  if (given === undefined) return quick ? 1 : 2
  const n = Number(given[0])
  if (!Number.isInteger(n) || n < 1) {
    console.error("bench: --children needs a positive integer")
    process.exit(2)
  }
  return n
})()

/** Children run at a time: `--jobs`, else one, or one per core (at most four) for a `--quick` run. */
const jobs = ((): number => {
  const given = listArg("--jobs")
  if (given === undefined) return quick ? Math.max(1, Math.min(4, os.cpus().length)) : 1
  const n = Number(given[0])
  if (!Number.isInteger(n) || n < 1) {
    console.error("bench: --jobs needs a positive integer")
    process.exit(2)
  }
  return n
})()
for (const name of only ?? []) {
  if (!cases.some((c) => c.benchmark === name)) {
    console.error(`bench: unknown benchmark ${name}; known: ${cases.map((c) => c.benchmark).join(", ")}`)
    process.exit(2)
  }
}
for (const name of onlySystems ?? []) {
  if (!(systems as ReadonlyArray<string>).includes(name)) {
    console.error(`bench: unknown system ${name}; known: ${systems.join(", ")}`)
    process.exit(2)
  }
}

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const root = path.dirname(benchDir)
/** A child that takes longer than this is killed and reported as failed. */
const childTimeoutMs = quick ? 60_000 : 300_000

// ----------------------------------------------------------------------------
// Running the children
// ----------------------------------------------------------------------------

interface ChildResult {
  readonly records: ReadonlyArray<BenchRecord>
  readonly error: string | undefined
  /** What the child wrote on stderr (shown on failure, or as a note). */
  readonly stderr: string
  readonly seconds: number
}

/** A child's command line. */
interface Command {
  readonly file: string
  readonly args: ReadonlyArray<string>
}

const isRecord = (u: unknown): u is BenchRecord =>
  typeof u === "object" && u !== null &&
  typeof (u as BenchRecord).benchmark === "string" && typeof (u as BenchRecord).system === "string" &&
  typeof (u as BenchRecord).value === "number" && typeof (u as BenchRecord).unit === "string"

const parseRecords = (stdout: string): ReadonlyArray<BenchRecord> | undefined => {
  const lines = stdout.split("\n").map((l) => l.trim()).filter((l) => l.length > 0)
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i]!.startsWith("[")) continue
    try {
      const parsed: unknown = JSON.parse(lines[i]!)
      if (Array.isArray(parsed) && parsed.every(isRecord)) return parsed
    } catch {
      // not the records line
    }
  }
  return undefined
}

const commandOf = async (c: Case, system: System, launcher: Launcher, erlang: ErlangSetup): Promise<Command> => {
  if (system === "erlang") {
    if (erlang._tag !== "Ready") throw new Error(`Erlang is not ready: ${erlang.reason}`)
    return erlang.command(c.benchmark, quick)
  }
  const caseArgs = await launcher.args(c.file)
  return {
    file: process.execPath,
    args: ["--expose-gc", ...(c.nodeArgs ?? []), ...caseArgs, "--system", system, ...(quick ? ["--quick"] : [])]
  }
}

/**
 * Runs the pair's {@link children} and keeps the child whose figure for the case's benchmark is
 * the best (all the records of that child, so that the figures of one run stay together); a
 * failed child fails the pair.
 */
const runPair = async (c: Case, system: System, launcher: Launcher, erlang: ErlangSetup): Promise<ChildResult> => {
  let best: ChildResult | undefined
  let seconds = 0
  for (let i = 0; i < children; i++) {
    const result = await runChild(c, system, launcher, erlang)
    seconds += result.seconds
    if (result.error !== undefined) return { ...result, seconds }
    const figure = (r: ChildResult) => r.records.find((x) => x.benchmark === c.benchmark && x.system === system)!
    if (best === undefined || advantage(figure(result).value, figure(best).value, figure(result).unit) > 1) best = result
  }
  return { ...best!, seconds }
}

const runChild = (c: Case, system: System, launcher: Launcher, erlang: ErlangSetup): Promise<ChildResult> =>
  commandOf(c, system, launcher, erlang).then(
    (command) => runCommand(c, system, command),
    (error: unknown): ChildResult => ({ records: [], error: String(error), stderr: "", seconds: 0 })
  )

const runCommand = (c: Case, system: System, command: Command): Promise<ChildResult> =>
  new Promise((resolve) => {
    const started = performance.now()
    const child = spawn(command.file, command.args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding("utf8")
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk
    })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, childTimeoutMs)
    const finish = (error: string | undefined, records: ReadonlyArray<BenchRecord>): void => {
      clearTimeout(timer)
      resolve({ records, error, stderr, seconds: (performance.now() - started) / 1000 })
    }
    child.on("error", (error) => finish(String(error), []))
    child.on("close", (code, signal) => {
      const records = parseRecords(stdout)
      if (timedOut) finish(`timed out after ${childTimeoutMs / 1000} s`, [])
      else if (code !== 0) finish(`exited with ${code ?? signal}`, [])
      else if (records === undefined) finish("printed no records", [])
      else if (!records.some((r) => r.benchmark === c.benchmark && r.system === system)) {
        finish(`printed no ${c.benchmark} record for ${system}`, records)
      } else finish(undefined, records)
    })
  })

// ----------------------------------------------------------------------------
// Output
// ----------------------------------------------------------------------------

const formatTarget = (benchmark: string, unit: string, value: number | undefined): string => {
  const target = targets[benchmark]
  if (target === undefined) return ""
  const wanted = `${target.bound === "max" ? "<=" : ">="} ${formatValue(target.value, unit)}`
  if (value === undefined) return wanted
  const met = target.bound === "max" ? value <= target.value : value >= target.value
  return `${wanted} ${met ? "met" : "MISSED"}`
}

const resultsFile = path.join(benchDir, "results", "latest.json")
/** The records of the last complete full run: what the report is made from (checked in). */
const fullFile = path.join(benchDir, "results", "full.json")
const reportFile = path.join(benchDir, "REPORT.md")
const chartFile = path.join(benchDir, "report.svg")

/** The version of a package in `node_modules`, or of effect-otp itself (`undefined`). */
const versionOf = (name: string | undefined): string => {
  const file = name === undefined
    ? path.join(root, "package.json")
    : path.join(root, "node_modules", name, "package.json")
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { readonly version: string }).version
  } catch {
    return "unknown"
  }
}

const writeReport = (records: ReadonlyArray<BenchRecord>): void => {
  writeFileSync(reportFile, renderMarkdown(records, targets))
  writeFileSync(chartFile, renderSvg(records))
  console.log(`Report written: ${path.relative(root, reportFile)} and ${path.relative(root, chartFile)}.`)
}

/** The terminal tables: every system's figure with effect-otp's target, then effect-otp's advantage. */
const printTables = (records: ReadonlyArray<BenchRecord>): void => {
  const find = (benchmark: string, system: string): BenchRecord | undefined =>
    records.find((r) => r.benchmark === benchmark && r.system === system)
  const benchmarks = [...new Set(records.map((r) => r.benchmark))]
  const present = systems.filter((s) => records.some((r) => r.system === s))
  const others = present.filter((s) => s !== ours)
  const figures: Array<Array<string>> = [["benchmark", "unit", "better", ...present, "target (effect-otp)"]]
  const advantages: Array<Array<string>> = [["benchmark", ...others.map((s) => `vs ${s}`)]]
  for (const benchmark of benchmarks) {
    const unit = records.find((r) => r.benchmark === benchmark)!.unit
    const mine = find(benchmark, ours)?.value
    figures.push([
      benchmark,
      unit,
      lowerIsBetter(unit) ? "lower" : "higher",
      ...present.map((s) => {
        const v = find(benchmark, s)?.value
        return v === undefined ? "-" : formatCell(v, unit)
      }),
      formatTarget(benchmark, unit, mine)
    ])
    if (mine !== undefined && others.some((s) => find(benchmark, s) !== undefined)) {
      advantages.push([
        benchmark,
        ...others.map((s) => {
          const v = find(benchmark, s)?.value
          return v === undefined ? "-" : formatAdvantage(advantage(mine, v, unit))
        })
      ])
    }
  }
  console.log()
  console.log(textTable(figures))
  console.log()
  console.log(`"target" is ${ours}'s goal from the issue and whether this run met it.`)
  if (advantages.length > 1) {
    console.log()
    console.log(
      `${ours}'s advantage: how many times better its figure is than each system's (a higher rate, a lower time or size);`
    )
    console.log("above 1.00x effect-otp is ahead, below it is behind.")
    console.log()
    console.log(textTable(advantages))
  }
}

// ----------------------------------------------------------------------------
// Main
// ----------------------------------------------------------------------------

const main = async (): Promise<number> => {
  if (reportOnly) {
    if (!existsSync(fullFile)) {
      console.error(`bench: no ${path.relative(root, fullFile)} to write the report from; run npm run bench first`)
      return 1
    }
    const records = JSON.parse(readFileSync(fullFile, "utf8")) as ReadonlyArray<BenchRecord>
    writeReport(records)
    return 0
  }

  const date = new Date().toISOString()
  const loadStart = os.loadavg()[0]!
  const cpus = os.cpus()
  console.log(
    `Machine: ${cpus[0]?.model ?? "unknown CPU"} x ${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
      `Node ${process.version}, ${os.platform()} ${os.arch()}, load ${loadStart.toFixed(2)}` +
      `${quick ? "  (quick run: small sizes, figures not meaningful)" : ""}`
  )
  const selected = cases.filter((c) => only === undefined || only.includes(c.benchmark))
  const wanted = (system: System): boolean => onlySystems === undefined || onlySystems.includes(system)
  const wantsErlang = wanted("erlang") && selected.some((c) => c.systems.includes("erlang"))
  const erlang: ErlangSetup = wantsErlang ? setupErlang(benchDir) : { _tag: "Missing", reason: "not selected" }
  if (wantsErlang) {
    if (erlang._tag === "Ready") console.log(`Erlang/OTP ${erlang.otp} (ERTS ${erlang.erts}): erl +S 1, one scheduler.`)
    else if (erlang._tag === "Missing") console.log(`Erlang/OTP skipped: ${erlang.reason}.`)
    else console.log(`Erlang/OTP could not be set up: ${erlang.reason}`)
  }
  const launcher = await makeLauncher(benchDir)
  // Bundle every selected case before the first child starts (the launcher keeps the bundles),
  // and say which ones do not build.
  const built = await Promise.all(
    selected.map((c) => launcher.args(c.file).then(() => undefined, (e: unknown) => String(e)))
  )
  for (const [i, error] of built.entries()) if (error !== undefined) console.log(`  ${selected[i]!.file}: ${error}`)
  console.log(`Node children: ${launcher.description}.`)

  const pairs = selected.flatMap((c) =>
    c.systems
      .filter((system) => wanted(system) && !(system === "erlang" && erlang._tag === "Missing"))
      .map((system) => ({ c, system }))
  )
  const failures: Array<string> = []
  const nameWidth = Math.max(...selected.map((c) => c.benchmark.length))
  const countWidth = String(pairs.length).length
  const startedAll = performance.now()
  const prefix = (index: number, c: Case, system: System): string =>
    `  [${String(index + 1).padStart(countWidth)}/${pairs.length} ` +
    `${String(Math.round((performance.now() - startedAll) / 1000)).padStart(4)} s] ` +
    `${c.benchmark.padEnd(nameWidth)} ${system.padEnd(14)} `
  /** A pair's figure and duration (or its failure), then the child's stderr if any. */
  const outcome = (c: Case, system: System, result: ChildResult): string => {
    const own = result.records.find((r) => r.benchmark === c.benchmark && r.system === system)
    let text: string
    if (result.error !== undefined) {
      failures.push(`${c.benchmark} / ${system}: ${result.error}`)
      text = `FAILED: ${result.error}`
    } else {
      text = `${own === undefined ? "" : formatValue(own.value, own.unit).padEnd(20)} (${result.seconds.toFixed(1)} s)`
    }
    const note = result.stderr.trim()
    if (note.length > 0) {
      const lines = note.split("\n")
      const shown = lines.slice(0, 12)
      if (lines.length > shown.length) shown.push(`... (${lines.length - shown.length} more lines)`)
      text += "\n" + shown.map((l) => `      | ${l}`).join("\n")
    }
    return text
  }
  const results = new Array<ChildResult>(pairs.length)
  if (jobs === 1) {
    for (const [index, { c, system }] of pairs.entries()) {
      process.stdout.write(prefix(index, c, system))
      results[index] = await runPair(c, system, launcher, erlang)
      console.log(outcome(c, system, results[index]!))
    }
  } else {
    console.log(`Running ${jobs} children at a time (a quick run checks the harness, not the speed).`)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < pairs.length) {
        const index = next++
        const { c, system } = pairs[index]!
        results[index] = await runPair(c, system, launcher, erlang)
        console.log(prefix(index, c, system) + outcome(c, system, results[index]!))
      }
    }
    await Promise.all(Array.from({ length: Math.min(jobs, pairs.length) }, worker))
  }
  const records: Array<BenchRecord> = results.flatMap((r) => [...r.records])
  launcher.dispose()
  if (erlang._tag === "Ready") erlang.dispose()

  const find = (benchmark: string, system: string): BenchRecord | undefined =>
    records.find((r) => r.benchmark === benchmark && r.system === system)
  for (const d of derived) {
    const numerator = find(d.numerator, d.system)
    const denominator = find(d.denominator, d.system)
    if (numerator === undefined || denominator === undefined) continue
    records.push({ benchmark: d.benchmark, system: d.system, value: numerator.value / denominator.value, unit: "ratio" })
  }

  const seconds = (performance.now() - startedAll) / 1000
  const complete = only === undefined && onlySystems === undefined
  const machine: MachineRecord = {
    benchmark: "machine",
    system: "host",
    value: cpus.length,
    unit: "cores",
    date,
    quick,
    complete,
    cpuModel: cpus[0]?.model.trim() ?? "unknown CPU",
    memoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.arch()} ${os.release()}`,
    node: process.version,
    otp: erlang._tag === "Ready" ? erlang.otp : null,
    erts: erlang._tag === "Ready" ? erlang.erts : null,
    versions: {
      "effect-otp": versionOf(undefined),
      effect: versionOf("effect"),
      xstate: versionOf("xstate"),
      nact: versionOf("nact")
    },
    loadAverage: { start: loadStart, end: os.loadavg()[0]! },
    seconds,
    children
  }
  mkdirSync(path.dirname(resultsFile), { recursive: true })
  writeFileSync(resultsFile, JSON.stringify([machine, ...records], null, 2) + "\n")

  printTables(records.filter((r) => !isMachineRecord(r)))
  console.log()
  console.log(
    `${records.length} records (and the machine header) written to ${path.relative(root, resultsFile)} ` +
      `in ${seconds.toFixed(0)} s; load average ${machine.loadAverage.start.toFixed(2)} at the start, ` +
      `${machine.loadAverage.end.toFixed(2)} at the end.`
  )
  if (complete && !quick) {
    // A later partial run rewrites latest.json; the report's own data stays here.
    writeFileSync(fullFile, JSON.stringify([machine, ...records], null, 2) + "\n")
    writeReport([machine, ...records])
  } else {
    console.log(
      `Report not written (${quick ? "quick" : "partial"} run): ` +
        `${path.relative(root, reportFile)} stays from the last complete full run.`
    )
  }
  if (failures.length > 0) {
    console.log()
    console.log(`${failures.length} failed:`)
    for (const f of failures) console.log(`  ${f}`)
    return 1
  }
  return 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
