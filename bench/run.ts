/**
 * The benchmark runner: `npm run bench [-- --quick] [--only <benchmark>[,…]] [--system <name>[,…]]`.
 *
 * Runs every (case, system) pair in a fresh Node process (`--expose-gc`, tsx), so that one
 * system's heap and JIT state never colour another's figure; each child prints one JSON line of
 * records. Then adds the derived ratios, writes all records to `bench/results/latest.json` and
 * prints a table with effect-otp's ratio to every other system.
 *
 * To add a benchmark: write a case file with `runCase` (see `common.ts`) and list it in
 * `cases`. To add a peer: add its name to `systems` in `records.ts` and an implementation to
 * the case files that support it; the table grows a column.
 */
import { spawn } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { type BenchRecord, type System, systems } from "./records.js"

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

const all = systems

const cases: ReadonlyArray<Case> = [
  // 1M idle Effect fibers need about 2.5 GB of heap: more than V8's default limit on small machines.
  { file: "spawn.ts", benchmark: "spawn_1m_seconds", unit: "s", systems: all, nodeArgs: ["--max-old-space-size=8192"] },
  { file: "idle-memory.ts", benchmark: "idle_process_bytes", unit: "B", systems: all },
  { file: "send.ts", benchmark: "send_throughput", unit: "msg/s", systems: all },
  { file: "ping-pong.ts", benchmark: "ping_pong_round_trips", unit: "rt/s", systems: all },
  { file: "genserver-cast.ts", benchmark: "genserver_cast_throughput", unit: "msg/s", systems: all },
  { file: "genserver-call.ts", benchmark: "genserver_call_round_trips", unit: "calls/s", systems: all },
  {
    file: "supervisor-restarts.ts",
    benchmark: "supervisor_restarts_per_second",
    unit: "restarts/s",
    systems: ["effect-otp", "effect-queue"]
  },
  // Also records dynamic_supervisor_child_bytes and dynamic_supervisor_stop_100k_seconds.
  {
    file: "dynamic-supervisor.ts",
    benchmark: "dynamic_supervisor_start_100k_seconds",
    unit: "s",
    systems: ["effect-otp", "effect-queue"]
  },
  // Also records registry_registrations_per_second.
  { file: "registry.ts", benchmark: "registry_lookups_per_second", unit: "lookups/s", systems: all },
  { file: "send-mailbox.ts", benchmark: "send_throughput_mailbox", unit: "msg/s", systems: all },
  // Raw Effect only: the cost of one Effect step, the floor of a receive loop with a step per message.
  { file: "effect-step.ts", benchmark: "effect_step_floor", unit: "steps/s", systems: ["effect-queue"] }
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

/** The targets of effect-otp (from the issue), shown next to its figures. */
const targets: Record<string, { readonly bound: "max" | "min"; readonly value: number }> = {
  spawn_1m_seconds: { bound: "max", value: 1.5 },
  idle_process_bytes: { bound: "max", value: 600 },
  send_throughput: { bound: "min", value: 10e6 },
  ping_pong_round_trips: { bound: "min", value: 2e6 },
  genserver_cast_throughput: { bound: "min", value: 10e6 },
  genserver_call_round_trips: { bound: "min", value: 1.5e6 },
  supervisor_restarts_per_second: { bound: "min", value: 50e3 }
}

// ----------------------------------------------------------------------------
// Arguments
// ----------------------------------------------------------------------------

const argv = process.argv.slice(2)
const quick = argv.includes("--quick")
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

const runChild = (c: Case, system: System): Promise<ChildResult> =>
  new Promise((resolve) => {
    const started = performance.now()
    const args = [
      "--expose-gc",
      ...(c.nodeArgs ?? []),
      "--import",
      "tsx",
      path.join("bench", c.file),
      "--system",
      system,
      ...(quick ? ["--quick"] : [])
    ]
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
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
    const finish = (error: string | undefined, records: ReadonlyArray<BenchRecord>) => {
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
// Formatting
// ----------------------------------------------------------------------------

/** Lower is better for times and sizes, higher for rates and ratios. */
const lowerIsBetter = (unit: string): boolean => !(unit.endsWith("/s") || unit === "ratio")

const formatValue = (value: number, unit: string): string => {
  if (!Number.isFinite(value)) return String(value)
  if (unit === "s") return `${value.toFixed(value < 10 ? 3 : 1)} s`
  if (unit === "B") return `${Math.round(value)} B`
  if (unit === "ratio") return value.toFixed(2)
  const abs = Math.abs(value)
  const scaled = abs >= 1e6 ? `${(value / 1e6).toFixed(2)}M` : abs >= 1e3 ? `${(value / 1e3).toFixed(1)}k` : value.toFixed(1)
  return `${scaled} ${unit}`
}

const formatRatio = (ratio: number, unit: string): string => {
  if (!Number.isFinite(ratio)) return "-"
  const better = lowerIsBetter(unit) ? ratio < 1 : ratio > 1
  const worse = lowerIsBetter(unit) ? ratio > 1 : ratio < 1
  return `${ratio.toFixed(2)}x ${better ? "(better)" : worse ? "(worse)" : "(equal)"}`
}

const formatTarget = (benchmark: string, unit: string, value: number | undefined): string => {
  const target = targets[benchmark]
  if (target === undefined) return ""
  const wanted = `${target.bound === "max" ? "<=" : ">="} ${formatValue(target.value, unit)}`
  if (value === undefined) return wanted
  const met = target.bound === "max" ? value <= target.value : value >= target.value
  return `${wanted} ${met ? "met" : "MISSED"}`
}

const table = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? "").length)))
  const line = (r: ReadonlyArray<string>) => r.map((cell, col) => cell.padEnd(widths[col]!)).join("  ").trimEnd()
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n")
}

// ----------------------------------------------------------------------------
// Main
// ----------------------------------------------------------------------------

const main = async (): Promise<number> => {
  const cpus = os.cpus()
  console.log(
    `Machine: ${cpus[0]?.model ?? "unknown CPU"} x ${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
      `Node ${process.version}, ${os.platform()} ${os.arch()}, load ${os.loadavg()[0]!.toFixed(2)}` +
      `${quick ? "  (quick run: small sizes, figures not meaningful)" : ""}`
  )
  const selected = cases.filter((c) => only === undefined || only.includes(c.benchmark))
  const records: Array<BenchRecord> = []
  const failures: Array<string> = []
  const nameWidth = Math.max(...selected.map((c) => c.benchmark.length))
  const startedAll = performance.now()
  for (const c of selected) {
    for (const system of c.systems) {
      if (onlySystems !== undefined && !onlySystems.includes(system)) continue
      process.stdout.write(`  ${c.benchmark.padEnd(nameWidth)} ${system.padEnd(13)} `)
      const result = await runChild(c, system)
      records.push(...result.records)
      const own = result.records.find((r) => r.benchmark === c.benchmark && r.system === system)
      if (result.error !== undefined) {
        failures.push(`${c.benchmark} / ${system}: ${result.error}`)
        console.log(`FAILED: ${result.error}`)
      } else {
        console.log(`${own === undefined ? "" : formatValue(own.value, own.unit).padEnd(16)} (${result.seconds.toFixed(1)} s)`)
      }
      const note = result.stderr.trim()
      if (note.length > 0) {
        const lines = note.split("\n")
        const shown = lines.slice(0, 12)
        if (lines.length > shown.length) shown.push(`... (${lines.length - shown.length} more lines)`)
        console.log(shown.map((l) => `      | ${l}`).join("\n"))
      }
    }
  }

  const find = (benchmark: string, system: string) =>
    records.find((r) => r.benchmark === benchmark && r.system === system)
  for (const d of derived) {
    const numerator = find(d.numerator, d.system)
    const denominator = find(d.denominator, d.system)
    if (numerator === undefined || denominator === undefined) continue
    records.push({ benchmark: d.benchmark, system: d.system, value: numerator.value / denominator.value, unit: "ratio" })
  }

  const resultsDir = path.join(benchDir, "results")
  mkdirSync(resultsDir, { recursive: true })
  const resultsFile = path.join(resultsDir, "latest.json")
  writeFileSync(resultsFile, JSON.stringify(records, null, 2) + "\n")

  const others = systems.filter((s) => s !== ours)
  const header = ["benchmark", "better", ...systems, ...others.map((s) => `vs ${s}`), "target"]
  const rows: Array<Array<string>> = [header]
  const benchmarks = [...new Set(records.map((r) => r.benchmark))]
  for (const benchmark of benchmarks) {
    const unit = records.find((r) => r.benchmark === benchmark)!.unit
    const value = (system: string) => find(benchmark, system)?.value
    const mine = value(ours)
    rows.push([
      benchmark,
      lowerIsBetter(unit) ? "lower" : "higher",
      ...systems.map((s) => {
        const v = value(s)
        return v === undefined ? "-" : formatValue(v, unit)
      }),
      ...others.map((s) => {
        const v = value(s)
        return mine === undefined || v === undefined ? "-" : formatRatio(mine / v, unit)
      }),
      formatTarget(benchmark, unit, mine)
    ])
  }
  console.log()
  console.log(table(rows))
  console.log()
  console.log(`"vs X" is ${ours}'s figure divided by X's, marked (better) or (worse) by the "better" column;`)
  console.log(`"target" is ${ours}'s goal from the issue and whether this run met it.`)
  console.log(`${records.length} records written to ${path.relative(root, resultsFile)} in ${((performance.now() - startedAll) / 1000).toFixed(0)} s.`)
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
