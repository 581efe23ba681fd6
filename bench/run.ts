// @ts-nocheck
/**
 * `npm run bench`: runs every benchmark case in its own child process for each system, prints
 * progress and a table with effect-otp's ratio to every other system, writes
 * bench/results/latest.json (a machine header, then the records), and after a full run
 * regenerates bench/REPORT.md and bench/report.svg. `--quick` for the CI smoke pass, `--only`,
 * `--system`, `--jobs`, `--report` (regenerate the report from latest.json).
 *
 * Note: this file was recovered from tsx's transform cache after an accidental `git checkout`
 * lost its uncommitted TypeScript source; it is the same program, without its type annotations
 * and comments (hence `@ts-nocheck`). Restoring the typed source is an open task.
 */
var __defProp = Object.defineProperty;
var __name = (target, value) => __defProp(target, "name", { value, configurable: true });
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { makeLauncher } from "./bundle.js";
import { setupErlang } from "./erlang.js";
import { advantage, formatAdvantage, formatCell, formatValue, lowerIsBetter, textTable } from "./format.js";
import { isMachineRecord, systems } from "./records.js";
import { renderMarkdown, renderSvg } from "./report.js";
const ours = "effect-otp";
const all = systems;
const actors = systems.filter((s) => s !== "effect-cluster");
const baselines = ["effect-otp", "effect-queue", "plain-js"];
const cases = [
  { file: "spawn.ts", benchmark: "spawn_1m_seconds", unit: "s", systems: actors, nodeArgs: ["--max-old-space-size=8192"] },
  { file: "idle-memory.ts", benchmark: "idle_process_bytes", unit: "B", systems: actors },
  { file: "send.ts", benchmark: "send_throughput", unit: "msg/s", systems: actors },
  { file: "ping-pong.ts", benchmark: "ping_pong_round_trips", unit: "rt/s", systems: actors },
  { file: "genserver-cast.ts", benchmark: "genserver_cast_throughput", unit: "msg/s", systems: all },
  { file: "genserver-call.ts", benchmark: "genserver_call_round_trips", unit: "calls/s", systems: all },
  { file: "ring.ts", benchmark: "ring_hops_per_second", unit: "hops/s", systems: ["effect-otp", "erlang", "nact", "effect-queue", "plain-js"] },
  { file: "supervisor-restarts.ts", benchmark: "supervisor_restarts_per_second", unit: "restarts/s", systems: ["effect-otp", "erlang", "xstate", "nact", "effect-queue"] },
  { file: "dynamic-supervisor.ts", benchmark: "dynamic_supervisor_start_100k_seconds", unit: "s", systems: ["effect-otp", "effect-queue"] },
  { file: "registry.ts", benchmark: "registry_lookups_per_second", unit: "lookups/s", systems: ["effect-otp", "erlang", "effect-queue", "plain-js"] },
  { file: "send-mailbox.ts", benchmark: "send_throughput_mailbox", unit: "msg/s", systems: baselines },
  { file: "effect-step.ts", benchmark: "effect_step_floor", unit: "steps/s", systems: ["effect-queue"] },
  { file: "hot-upgrade.ts", benchmark: "hot_upgrade_100k_ms", unit: "ms", systems: ["effect-otp"] },
  { file: "telemetry.ts", benchmark: "telemetry_call_round_trips_off", unit: "calls/s", systems: ["effect-otp"] }];
const derived = [{ benchmark: "genserver_cast_vs_send_ratio", system: ours, numerator: "genserver_cast_throughput", denominator: "send_throughput" }, { benchmark: "genserver_call_vs_ping_pong_ratio", system: ours, numerator: "genserver_call_round_trips", denominator: "ping_pong_round_trips" }];
const targets = { spawn_1m_seconds: { bound: "max", value: 1.5 }, idle_process_bytes: { bound: "max", value: 600 }, send_throughput: { bound: "min", value: 1e7 }, ping_pong_round_trips: { bound: "min", value: 2e6 }, genserver_cast_throughput: { bound: "min", value: 1e7 }, genserver_call_round_trips: { bound: "min", value: 15e5 }, supervisor_restarts_per_second: { bound: "min", value: 5e4 }, hot_upgrade_100k_ms: { bound: "max", value: 200 }, hot_upgrade_lost_messages: { bound: "max", value: 0 } };
const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const reportOnly = argv.includes("--report");
const listArg = __name((name) => {
  const i = argv.indexOf(name);
  if (i < 0) return void 0;
  const value = argv[i + 1];
  if (value === void 0 || value.startsWith("--")) {
    console.error(`bench: ${name} needs a value`);
    process.exit(2);
  }
  return value.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}, "listArg");
const only = listArg("--only");
const onlySystems = listArg("--system");
const jobs = (() => {
  const given = listArg("--jobs");
  if (given === void 0) return quick ? Math.max(1, Math.min(4, os.cpus().length)) : 1;
  const n = Number(given[0]);
  if (!Number.isInteger(n) || n < 1) {
    console.error("bench: --jobs needs a positive integer");
    process.exit(2);
  }
  return n;
})();
for (const name of only ?? []) {
  if (!cases.some((c) => c.benchmark === name)) {
    console.error(`bench: unknown benchmark ${name}; known: ${cases.map((c) => c.benchmark).join(", ")}`);
    process.exit(2);
  }
}
for (const name of onlySystems ?? []) {
  if (!systems.includes(name)) {
    console.error(`bench: unknown system ${name}; known: ${systems.join(", ")}`);
    process.exit(2);
  }
}
const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(benchDir);
const childTimeoutMs = quick ? 6e4 : 3e5;
const isRecord = __name((u) => typeof u === "object" && u !== null && typeof u.benchmark === "string" && typeof u.system === "string" && typeof u.value === "number" && typeof u.unit === "string", "isRecord");
const parseRecords = __name((stdout) => {
  const lines = stdout.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i].startsWith("[")) continue;
    try {
      const parsed = JSON.parse(lines[i]);
      if (Array.isArray(parsed) && parsed.every(isRecord)) return parsed;
    } catch {
    }
  }
  return void 0;
}, "parseRecords");
const commandOf = __name(async (c, system, launcher, erlang) => {
  if (system === "erlang") {
    if (erlang._tag !== "Ready") throw new Error(`Erlang is not ready: ${erlang.reason}`);
    return erlang.command(c.benchmark, quick);
  }
  const caseArgs = await launcher.args(c.file);
  return { file: process.execPath, args: ["--expose-gc", ...c.nodeArgs ?? [], ...caseArgs, "--system", system, ...quick ? ["--quick"] : []] };
}, "commandOf");
const runChild = __name((c, system, launcher, erlang) => commandOf(c, system, launcher, erlang).then((command) => runCommand(c, system, command), (error) => ({ records: [], error: String(error), stderr: "", seconds: 0 })), "runChild");
const runCommand = __name((c, system, command) => new Promise((resolve) => {
  const started = performance.now();
  const child = spawn(command.file, command.args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, childTimeoutMs);
  const finish = __name((error, records) => {
    clearTimeout(timer);
    resolve({ records, error, stderr, seconds: (performance.now() - started) / 1e3 });
  }, "finish");
  child.on("error", (error) => finish(String(error), []));
  child.on("close", (code, signal) => {
    const records = parseRecords(stdout);
    if (timedOut) finish(`timed out after ${childTimeoutMs / 1e3} s`, []);
    else if (code !== 0) finish(`exited with ${code ?? signal}`, []);
    else if (records === void 0) finish("printed no records", []);
    else if (!records.some((r) => r.benchmark === c.benchmark && r.system === system)) {
      finish(`printed no ${c.benchmark} record for ${system}`, records);
    } else finish(void 0, records);
  });
}), "runCommand");
const formatTarget = __name((benchmark, unit, value) => {
  const target = targets[benchmark];
  if (target === void 0) return "";
  const wanted = `${target.bound === "max" ? "<=" : ">="} ${formatValue(target.value, unit)}`;
  if (value === void 0) return wanted;
  const met = target.bound === "max" ? value <= target.value : value >= target.value;
  return `${wanted} ${met ? "met" : "MISSED"}`;
}, "formatTarget");
const resultsFile = path.join(benchDir, "results", "latest.json");
const reportFile = path.join(benchDir, "REPORT.md");
const chartFile = path.join(benchDir, "report.svg");
const versionOf = __name((name) => {
  const file = name === void 0 ? path.join(root, "package.json") : path.join(root, "node_modules", name, "package.json");
  try {
    return JSON.parse(readFileSync(file, "utf8")).version;
  } catch {
    return "unknown";
  }
}, "versionOf");
const writeReport = __name((records) => {
  writeFileSync(reportFile, renderMarkdown(records, targets));
  writeFileSync(chartFile, renderSvg(records));
  console.log(`Report written: ${path.relative(root, reportFile)} and ${path.relative(root, chartFile)}.`);
}, "writeReport");
const printTables = __name((records) => {
  const find = __name((benchmark, system) => records.find((r) => r.benchmark === benchmark && r.system === system), "find");
  const benchmarks = [...new Set(records.map((r) => r.benchmark))];
  const present = systems.filter((s) => records.some((r) => r.system === s));
  const others = present.filter((s) => s !== ours);
  const figures = [["benchmark", "unit", "better", ...present, "target (effect-otp)"]];
  const advantages = [["benchmark", ...others.map((s) => `vs ${s}`)]];
  for (const benchmark of benchmarks) {
    const unit = records.find((r) => r.benchmark === benchmark).unit;
    const mine = find(benchmark, ours)?.value;
    figures.push([benchmark, unit, lowerIsBetter(unit) ? "lower" : "higher", ...present.map((s) => {
      const v = find(benchmark, s)?.value;
      return v === void 0 ? "-" : formatCell(v, unit);
    }), formatTarget(benchmark, unit, mine)]);
    if (mine !== void 0 && others.some((s) => find(benchmark, s) !== void 0)) {
      advantages.push([benchmark, ...others.map((s) => {
        const v = find(benchmark, s)?.value;
        return v === void 0 ? "-" : formatAdvantage(advantage(mine, v, unit));
      })]);
    }
  }
  console.log();
  console.log(textTable(figures));
  console.log();
  console.log(`"target" is ${ours}'s goal from the issue and whether this run met it.`);
  if (advantages.length > 1) {
    console.log();
    console.log(`${ours}'s advantage: how many times better its figure is than each system's (a higher rate, a lower time or size);`);
    console.log("above 1.00x effect-otp is ahead, below it is behind.");
    console.log();
    console.log(textTable(advantages));
  }
}, "printTables");
const main = __name(async () => {
  if (reportOnly) {
    if (!existsSync(resultsFile)) {
      console.error(`bench: no ${path.relative(root, resultsFile)} to write the report from; run npm run bench first`);
      return 1;
    }
    const records2 = JSON.parse(readFileSync(resultsFile, "utf8"));
    writeReport(records2);
    return 0;
  }
  const date = (/* @__PURE__ */ new Date()).toISOString();
  const loadStart = os.loadavg()[0];
  const cpus = os.cpus();
  console.log(`Machine: ${cpus[0]?.model ?? "unknown CPU"} x ${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}, load ${loadStart.toFixed(2)}${quick ? "  (quick run: small sizes, figures not meaningful)" : ""}`);
  const selected = cases.filter((c) => only === void 0 || only.includes(c.benchmark));
  const wanted = __name((system) => onlySystems === void 0 || onlySystems.includes(system), "wanted");
  const wantsErlang = wanted("erlang") && selected.some((c) => c.systems.includes("erlang"));
  const erlang = wantsErlang ? setupErlang(benchDir) : { _tag: "Missing", reason: "not selected" };
  if (wantsErlang) {
    if (erlang._tag === "Ready") console.log(`Erlang/OTP ${erlang.otp} (ERTS ${erlang.erts}): erl +S 1, one scheduler.`);
    else if (erlang._tag === "Missing") console.log(`Erlang/OTP skipped: ${erlang.reason}.`);
    else console.log(`Erlang/OTP could not be set up: ${erlang.reason}`);
  }
  const launcher = await makeLauncher(benchDir);
  const built = await Promise.all(selected.map((c) => launcher.args(c.file).then(() => void 0, (e) => String(e))));
  for (const [i, error] of built.entries()) if (error !== void 0) console.log(`  ${selected[i].file}: ${error}`);
  console.log(`Node children: ${launcher.description}.`);
  const pairs = selected.flatMap((c) => c.systems.filter((system) => wanted(system) && !(system === "erlang" && erlang._tag === "Missing")).map((system) => ({ c, system })));
  const failures = [];
  const nameWidth = Math.max(...selected.map((c) => c.benchmark.length));
  const countWidth = String(pairs.length).length;
  const startedAll = performance.now();
  const prefix = __name((index, c, system) => `  [${String(index + 1).padStart(countWidth)}/${pairs.length} ${String(Math.round((performance.now() - startedAll) / 1e3)).padStart(4)} s] ${c.benchmark.padEnd(nameWidth)} ${system.padEnd(14)} `, "prefix");
  const outcome = __name((c, system, result) => {
    const own = result.records.find((r) => r.benchmark === c.benchmark && r.system === system);
    let text;
    if (result.error !== void 0) {
      failures.push(`${c.benchmark} / ${system}: ${result.error}`);
      text = `FAILED: ${result.error}`;
    } else {
      text = `${own === void 0 ? "" : formatValue(own.value, own.unit).padEnd(20)} (${result.seconds.toFixed(1)} s)`;
    }
    const note = result.stderr.trim();
    if (note.length > 0) {
      const lines = note.split("\n");
      const shown = lines.slice(0, 12);
      if (lines.length > shown.length) shown.push(`... (${lines.length - shown.length} more lines)`);
      text += "\n" + shown.map((l) => `      | ${l}`).join("\n");
    }
    return text;
  }, "outcome");
  const results = new Array(pairs.length);
  if (jobs === 1) {
    for (const [index, { c, system }] of pairs.entries()) {
      process.stdout.write(prefix(index, c, system));
      results[index] = await runChild(c, system, launcher, erlang);
      console.log(outcome(c, system, results[index]));
    }
  } else {
    console.log(`Running ${jobs} children at a time (a quick run checks the harness, not the speed).`);
    let next = 0;
    const worker = __name(async () => {
      while (next < pairs.length) {
        const index = next++;
        const { c, system } = pairs[index];
        results[index] = await runChild(c, system, launcher, erlang);
        console.log(prefix(index, c, system) + outcome(c, system, results[index]));
      }
    }, "worker");
    await Promise.all(Array.from({ length: Math.min(jobs, pairs.length) }, worker));
  }
  const records = results.flatMap((r) => [...r.records]);
  launcher.dispose();
  if (erlang._tag === "Ready") erlang.dispose();
  const find = __name((benchmark, system) => records.find((r) => r.benchmark === benchmark && r.system === system), "find");
  for (const d of derived) {
    const numerator = find(d.numerator, d.system);
    const denominator = find(d.denominator, d.system);
    if (numerator === void 0 || denominator === void 0) continue;
    records.push({ benchmark: d.benchmark, system: d.system, value: numerator.value / denominator.value, unit: "ratio" });
  }
  const seconds = (performance.now() - startedAll) / 1e3;
  const complete = only === void 0 && onlySystems === void 0;
  const machine = { benchmark: "machine", system: "host", value: cpus.length, unit: "cores", date, quick, complete, cpuModel: cpus[0]?.model.trim() ?? "unknown CPU", memoryBytes: os.totalmem(), platform: `${os.platform()} ${os.arch()} ${os.release()}`, node: process.version, otp: erlang._tag === "Ready" ? erlang.otp : null, erts: erlang._tag === "Ready" ? erlang.erts : null, versions: { "effect-otp": versionOf(void 0), effect: versionOf("effect"), xstate: versionOf("xstate"), nact: versionOf("nact") }, loadAverage: { start: loadStart, end: os.loadavg()[0] }, seconds };
  mkdirSync(path.dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, JSON.stringify([machine, ...records], null, 2) + "\n");
  printTables(records.filter((r) => !isMachineRecord(r)));
  console.log();
  console.log(`${records.length} records (and the machine header) written to ${path.relative(root, resultsFile)} in ${seconds.toFixed(0)} s; load average ${machine.loadAverage.start.toFixed(2)} at the start, ${machine.loadAverage.end.toFixed(2)} at the end.`);
  if (complete && !quick) writeReport([machine, ...records]);
  else console.log(`Report not written (${quick ? "quick" : "partial"} run): ${path.relative(root, reportFile)} stays from the last complete full run.`);
  if (failures.length > 0) {
    console.log();
    console.log(`${failures.length} failed:`);
    for (const f of failures) console.log(`  ${f}`);
    return 1;
  }
  return 0;
}, "main");
main().then((code) => process.exit(code), (error) => {
  console.error(error);
  process.exit(1);
});
