/**
 * `npm run chaos -- --minutes M [--seed S] [--workers N] [--clients C] [--verbose]`: the chaos
 * test's engine in real time, for as long as asked, printing its figures as it goes and at the
 * end. Exits 1 if any check failed (the problems are printed), 0 otherwise.
 *
 * Differences from the bounded test: time is the real clock (round gaps are real sleeps, call
 * timeouts are real), calls wait 5 s (OTP's default) rather than 1 s, and big kills and storms
 * come every few hundred rounds. The same seed gives the same kill schedule; the interleavings
 * depend on real time.
 */
import { Effect } from "effect"
import { parseArgs } from "node:util"
import { Node, Process } from "../../index.js"
import { ci } from "./config.js"
import * as Chaos from "./engine.js"

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "1" },
    seed: { type: "string" },
    workers: { type: "string" },
    clients: { type: "string" },
    verbose: { type: "boolean", default: false }
  }
})

const minutes = Number(values.minutes)
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed)
const workers = values.workers === undefined ? ci.shape.workers : Number(values.workers)
const clients = values.clients === undefined ? 32 : Number(values.clients)
if (!(minutes > 0) || !Number.isInteger(seed) || !(workers > 0) || !(clients >= 0)) {
  console.error("usage: npm run chaos -- --minutes M [--seed S] [--workers N] [--clients C] [--verbose]")
  process.exit(2)
}

const options: Chaos.Options = {
  ...ci,
  seed,
  shape: { ...ci.shape, workers },
  schedule: { ...ci.schedule, bigEvery: 600, stormEvery: 200, maxYields: 40 },
  rounds: Infinity,
  minutes,
  clients,
  callTimeout: 5_000,
  progressEvery: 150,
  progress: (figures) =>
    Effect.sync(() => {
      console.log(`--- after ${figures.rounds} rounds, ${(figures.elapsedMillis / 1000).toFixed(0)} s`)
      console.log(Chaos.format(figures))
    }),
  trace: values.verbose ? (line) => console.log(line) : undefined
}

console.log(`chaos soak: ${minutes} min, seed ${seed}, ${workers} workers, ${clients} clients (replay: --seed ${seed})`)

const program = Process.run(Chaos.run(options, { advance: (millis) => Effect.sleep(millis) })).pipe(
  Effect.provide(Node.layer({ name: "chaos@localhost" }))
)

Effect.runPromise(program).then(
  (report) => {
    console.log("=== figures")
    console.log(Chaos.format(report.figures))
    if (report.problems.length === 0) {
      console.log("=== no problem found")
      process.exit(0)
    }
    console.log(`=== ${report.problems.length} kinds of problem (seed ${seed}):`)
    for (const problem of report.problems) console.log(problem)
    process.exit(1)
  },
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
