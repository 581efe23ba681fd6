/**
 * The differential harness: runs scenarios in effect-otp and in Erlang/OTP and compares their
 * traces (see fidelity/README.md).
 *
 *   npm run fidelity                               the fixed-seed set CI runs
 *   npm run fidelity -- --runs N [--seed S] [--kind supervision|genserver|statem]
 *   npm run fidelity -- --scenario file.json       scenarios written by hand (a JSON array)
 *
 * Other options: `--concurrency C` (scenarios at a time in the Erlang VM, default 48),
 * `--verbose` (print every trace). Exits 1 on any divergence that `differences.ts` does not
 * list as known open, or when a side fails to run a scenario.
 */
import { readFile } from "node:fs/promises"
import { scenarioOf } from "./arbitraries.js"
import { canonical, compare, describeStep, formatTraces, type Outcome } from "./compare.js"
import { deliberate, knownOpen } from "./differences.js"
import { observe } from "./effect/run.js"
import * as Erlang from "./erlang.js"
import type { Kind, Scenario } from "./model.js"
import type { Observation } from "./normalize.js"

/** The CI set: this seed, this many scenarios of each kind. */
const CI_SEED = 15_000
const CI_RUNS: Readonly<Record<Kind, number>> = { supervision: 250, genserver: 250, statem: 60 }

const KINDS: ReadonlyArray<Kind> = ["supervision", "genserver", "statem"]

interface Options {
  readonly runs: number | undefined
  readonly seed: number | undefined
  readonly kind: Kind | undefined
  readonly scenario: string | undefined
  readonly concurrency: number
  readonly verbose: boolean
}

const parse = (argv: ReadonlyArray<string>): Options => {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const number = (name: string): number | undefined => {
    const v = value(name)
    if (v === undefined) return undefined
    const n = Number(v)
    if (!Number.isInteger(n)) {
      console.error(`${name} takes an integer, got ${v}`)
      process.exit(2)
    }
    return n
  }
  const kind = value("--kind")
  if (kind !== undefined && !(KINDS as ReadonlyArray<string>).includes(kind)) {
    console.error(`--kind is ${KINDS.join(", ")}, got ${kind}`)
    process.exit(2)
  }
  return {
    runs: number("--runs"),
    seed: number("--seed"),
    kind: kind as Kind | undefined,
    scenario: value("--scenario"),
    concurrency: number("--concurrency") ?? 48,
    verbose: argv.includes("--verbose")
  }
}

interface Case {
  readonly index: number
  readonly kind: Kind
  /** The seed that reproduces this scenario alone (undefined: from a file). */
  readonly seed: number | undefined
  /** The file it comes from, if any, and its place there. */
  readonly file: string | undefined
  readonly position: number
  readonly scenario: Scenario
}

/** Scenarios pinned in the CI set: one for each class of divergence found, and the deliberate differences. */
const PINNED = "fidelity/scenarios.json"

/** A scenario file: a JSON array of scenarios, or of `{ name, scenario }`. */
const readScenarios = async (file: string): Promise<ReadonlyArray<Scenario>> => {
  const parsed = JSON.parse(await readFile(file, "utf8")) as unknown
  const list = Array.isArray(parsed) ? parsed : [parsed]
  return list.map((entry) =>
    typeof entry === "object" && entry !== null && "scenario" in entry ? (entry as { readonly scenario: Scenario }).scenario : entry as Scenario
  )
}

const casesOf = async (options: Options): Promise<{ readonly label: string; readonly cases: ReadonlyArray<Case> }> => {
  if (options.scenario !== undefined) {
    const list = await readScenarios(options.scenario)
    return {
      label: `scenarios from ${options.scenario}`,
      cases: list.map((scenario, index) => ({ index, kind: scenario.kind, seed: undefined, file: options.scenario, position: index, scenario }))
    }
  }
  const kinds: ReadonlyArray<Kind> = options.kind === undefined ? KINDS : [options.kind]
  const ci = options.runs === undefined && options.seed === undefined
  const base = options.seed ?? (ci ? CI_SEED : Math.floor(Math.random() * 2 ** 31))
  const cases: Array<Case> = []
  for (const kind of kinds) {
    const runs = options.runs ?? CI_RUNS[kind]
    for (let i = 0; i < runs; i++) {
      const seed = base + i
      cases.push({ index: cases.length, kind, seed, file: undefined, position: i, scenario: scenarioOf(kind, seed) })
    }
  }
  if (ci) {
    const pinned = await readScenarios(PINNED)
    pinned.forEach((scenario, position) => {
      cases.push({ index: cases.length, kind: scenario.kind, seed: undefined, file: PINNED, position, scenario })
    })
  }
  return { label: ci ? `the CI set: seed ${base} and ${PINNED}` : `seed ${base}`, cases }
}

const reproduce = (c: Case): string =>
  c.seed === undefined
    ? `npm run fidelity -- --scenario ${c.file} (its scenario #${c.position})`
    : `npm run fidelity -- --kind ${c.kind} --seed ${c.seed} --runs 1`

const main = async () => {
  const options = parse(process.argv.slice(2))
  if (!(await Erlang.available())) {
    console.error("fidelity: `erl` is not installed (Debian: apt-get install erlang-base)")
    process.exit(2)
  }
  const started = Date.now()
  const { label, cases } = await casesOf(options)
  console.log(`fidelity: ${cases.length} scenarios (${label})`)
  // The Erlang VM waits in real time; the effect-otp side runs meanwhile, one scenario after
  // the other, each on its own node and TestClock.
  const erlang = Erlang.observeAll(cases, options.concurrency)
  const effect = new Map<number, Observation>()
  for (const c of cases) effect.set(c.index, await observe(c.scenario))
  const effectDone = Date.now()
  const erlangResults = await erlang
  const outcomes = cases.map((c) => ({ c, outcome: compare(c.scenario, erlangResults.get(c.index)!, effect.get(c.index)!) }))

  let failed = false
  for (const { c, outcome } of outcomes) {
    if (outcome._tag === "Match") {
      if (options.verbose) {
        const e = erlangResults.get(c.index)!
        const f = effect.get(c.index)!
        console.log(`\nmatch ${c.kind} #${c.index} (${reproduce(c)})`)
        console.log(`scenario: ${JSON.stringify(c.scenario)}`)
        if (e._tag === "Steps" && f._tag === "Steps") {
          console.log(formatTraces(c.scenario, { step: -1, erlang: canonical(c.scenario, e, "erlang"), effect: canonical(c.scenario, f, "effect") }))
        }
      }
      continue
    }
    if (outcome._tag === "Error") {
      failed = true
      console.log(`\nERROR ${c.kind} #${c.index}: the ${outcome.side === "erlang" ? "Erlang/OTP" : "effect-otp"} side failed: ${outcome.error}`)
      console.log(`reproduce: ${reproduce(c)}`)
      console.log(`scenario: ${JSON.stringify(c.scenario)}`)
      continue
    }
    if (outcome._tag === "Ambiguous") {
      if (!options.verbose) continue
      console.log(`\ntiming-ambiguous ${c.kind} #${c.index} (${outcome.reason}), differs first at step ${outcome.step} (${describeStep(c.scenario, outcome.step)})`)
      console.log(`reproduce: ${reproduce(c)}`)
      console.log(`scenario: ${JSON.stringify(c.scenario)}`)
      console.log(formatTraces(c.scenario, outcome))
      continue
    }
    if (outcome.known !== undefined && !options.verbose) continue
    if (outcome.known === undefined) failed = true
    const title = outcome.known === undefined ? "DIVERGENCE" : `known open divergence (${outcome.known.id})`
    console.log(`\n${title}: ${c.kind} #${c.index}, first at step ${outcome.step} (${describeStep(c.scenario, outcome.step)})`)
    console.log(`reproduce: ${reproduce(c)}`)
    console.log(`scenario: ${JSON.stringify(c.scenario)}`)
    console.log(formatTraces(c.scenario, outcome))
  }

  console.log("")
  for (const kind of KINDS) {
    const mine = outcomes.filter(({ c }) => c.kind === kind).map(({ outcome }) => outcome)
    if (mine.length === 0) continue
    const matched = mine.filter((o): o is Outcome & { _tag: "Match" } => o._tag === "Match")
    const hits = new Map<string, number>()
    for (const o of matched) for (const h of o.hits) hits.set(h, (hits.get(h) ?? 0) + 1)
    const divergences = mine.filter((o) => o._tag === "Divergence")
    const known = new Map<string, number>()
    for (const o of divergences) if (o._tag === "Divergence" && o.known) known.set(o.known.id, (known.get(o.known.id) ?? 0) + 1)
    const errors = mine.filter((o) => o._tag === "Error").length
    const ambiguous = mine.filter((o) => o._tag === "Ambiguous").length
    const flagged = outcomes.filter(({ c }) => {
      const f = effect.get(c.index)
      return c.kind === kind && f?._tag === "Steps" && f.ambiguous !== undefined
    }).length
    const knownCount = [...known.values()].reduce((a, b) => a + b, 0)
    console.log(
      `${kind}: ${mine.length} compared, ${matched.length} matched; ` +
        `deliberate-difference hits: ${hits.size === 0 ? "none" : [...hits].map(([id, n]) => `${id} ${n}`).join(", ")}; ` +
        `divergences: ${divergences.length - knownCount} new` +
        (knownCount > 0 ? `, ${knownCount} known open (${[...known].map(([id, n]) => `${id} ${n}`).join(", ")})` : "") +
        (flagged > 0 ? `; timing-ambiguous: ${flagged} (of which ${ambiguous} differ, not counted)` : "") +
        (errors > 0 ? `; errors: ${errors}` : "")
    )
  }
  console.log(
    `deliberate differences listed: ${deliberate.map((d) => d.id).join(", ")}; known open: ${knownOpen.length === 0 ? "none" : knownOpen.map((k) => k.id).join(", ")}`
  )
  const seconds = (ms: number) => (ms / 1000).toFixed(1)
  console.log(`wall time ${seconds(Date.now() - started)} s (effect-otp side ${seconds(effectDone - started)} s)`)
  process.exit(failed ? 1 : 0)
}

main().catch((error) => {
  console.error(error)
  process.exit(2)
})
