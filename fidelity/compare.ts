/**
 * Comparing the two sides' traces, step by step: the events of a step as a sorted list of
 * tokens (their order inside a step is not deterministic in either system, except a server's
 * callbacks, which carry their own sequence numbers), and the tree after it.
 */
import * as Differences from "./differences.js"
import type * as Model from "./model.js"
import { type Observation, renderEvent, renderTree } from "./normalize.js"

/** One step, canonical: what is compared. */
export interface Step {
  readonly events: ReadonlyArray<string>
  readonly tree: string
  readonly time: number
  /** An OTP 25 dynamic supervisor's `function_clause` exit made `shutdown` (`dyn-restart-ignore`). */
  readonly ignoredShutdown?: boolean
}

export type Outcome =
  | { readonly _tag: "Match"; readonly hits: ReadonlyArray<string> }
  | {
    readonly _tag: "Divergence"
    readonly step: number
    readonly erlang: ReadonlyArray<Step>
    readonly effect: ReadonlyArray<Step>
    readonly known: Differences.KnownOpen | undefined
  }
  | {
    /**
     * The traces differ, in a scenario whose order of events was up to chance on the Erlang
     * side (`reason`: two timer deadlines too close together): not counted as a divergence.
     */
    readonly _tag: "Ambiguous"
    readonly step: number
    readonly erlang: ReadonlyArray<Step>
    readonly effect: ReadonlyArray<Step>
    readonly reason: string
  }
  | { readonly _tag: "Error"; readonly side: "erlang" | "effect"; readonly error: string }

/** A side's observation as canonical steps, deliberate differences normalized. */
export const canonical = (
  scenario: Model.Scenario,
  observation: Observation & { readonly _tag: "Steps" },
  side: "erlang" | "effect"
): ReadonlyArray<Step> =>
  observation.steps.map((step, i) => {
    const killed = Differences.killedSupervisor(scenario, i)
    let events = killed === undefined ? step.events : Differences.normalizeKill(step.events, killed)
    let ignoredShutdown = false
    if (side === "erlang" && i > 0) {
      const holding = Differences.holdingIgnoredChildren(observation.steps[i - 1]!.tree)
      if (holding.size > 0) ({ events, hit: ignoredShutdown } = Differences.normalizeIgnoredShutdown(events, holding))
    }
    const tree = side === "erlang" ? Differences.dropIgnoredDynamicChildren(step.tree) : step.tree
    return { events: events.map(renderEvent).sort(), tree: renderTree(tree), time: step.time, ignoredShutdown }
  })

const sameStep = (a: Step | undefined, b: Step | undefined): boolean =>
  a !== undefined && b !== undefined && a.tree === b.tree && a.events.length === b.events.length &&
  a.events.every((e, i) => e === b.events[i])

/** The deliberate differences a matching scenario went through (one entry per occurrence). */
const hitsOf = (scenario: Model.Scenario, steps: ReadonlyArray<Step>): Array<string> => {
  const hits: Array<string> = []
  steps.forEach((step, i) => {
    for (const e of step.events) {
      if (e.startsWith("result ") && e.endsWith("-> timeout")) hits.push("call-timeout")
      if (e.startsWith("result ") && e.endsWith("-> unknown")) {
        hits.push(scenario.kind === "statem" ? "statem-unknown-call" : "unknown-call")
      }
    }
    const killed = Differences.killedSupervisor(scenario, i)
    if (killed !== undefined && step.events.some((e) => e.startsWith(`exit ${killed}#`))) hits.push("killed-supervisor")
    if (step.ignoredShutdown === true) hits.push("dyn-restart-ignore")
  })
  return hits
}

export const compare = (scenario: Model.Scenario, erlang: Observation, effect: Observation): Outcome => {
  if (erlang._tag === "Error") return { _tag: "Error", side: "erlang", error: erlang.error }
  if (effect._tag === "Error") return { _tag: "Error", side: "effect", error: effect.error }
  const e = canonical(scenario, erlang, "erlang")
  const f = canonical(scenario, effect, "effect")
  const length = Math.max(e.length, f.length)
  // OTP 25 lost a timer here (the otp25-lost-timer difference): compared up to the step before.
  const lost = e.findIndex((step) => step.events.some((ev) => ev.startsWith("noop otp25-lost-timer")))
  for (let i = 0; i < length; i++) {
    if (lost >= 0 && i >= lost) return { _tag: "Match", hits: [...hitsOf(scenario, e.slice(0, lost)), "otp25-lost-timer"] }
    if (!sameStep(e[i], f[i])) {
      if (effect.ambiguous !== undefined) {
        return { _tag: "Ambiguous", step: i, erlang: e, effect: f, reason: effect.ambiguous }
      }
      const info: Differences.DivergenceInfo = {
        scenario,
        step: i,
        erlang: e[i]?.events ?? [],
        effect: f[i]?.events ?? [],
        erlangTree: e[i]?.tree ?? "",
        effectTree: f[i]?.tree ?? ""
      }
      return {
        _tag: "Divergence",
        step: i,
        erlang: e,
        effect: f,
        known: Differences.knownOpen.find((k) => k.matches(info))
      }
    }
  }
  return { _tag: "Match", hits: hitsOf(scenario, e) }
}

/** What a step did, for reports. */
export const describeStep = (scenario: Model.Scenario, step: number): string =>
  step === 0 ? "setup" : scenario.steps[step - 1]!.desc

/** Both traces side by side, the first differing step marked (`step` -1: they match). */
export const formatTraces = (
  scenario: Model.Scenario,
  outcome: { readonly step: number; readonly erlang: ReadonlyArray<Step>; readonly effect: ReadonlyArray<Step> }
): string => {
  const lines: Array<string> = []
  const length = Math.max(outcome.erlang.length, outcome.effect.length)
  for (let i = 0; i < length; i++) {
    const e = outcome.erlang[i]
    const f = outcome.effect[i]
    const mark = i === outcome.step ? ">>" : "  "
    lines.push(`${mark} step ${i}: ${describeStep(scenario, i)}   (Erlang ${e?.time ?? "-"} ms, effect-otp ${f?.time ?? "-"} ms)`)
    if (sameStep(e, f)) {
      for (const ev of e!.events) lines.push(`       ${ev}`)
      lines.push(`       tree ${e!.tree}`)
      continue
    }
    const es = new Set(e?.events ?? [])
    const fs = new Set(f?.events ?? [])
    for (const ev of e?.events ?? []) lines.push(`     ${fs.has(ev) ? " " : "E"} ${ev}`)
    for (const ev of f?.events ?? []) if (!es.has(ev)) lines.push(`     F ${ev}`)
    if (e?.tree === f?.tree) lines.push(`       tree ${e?.tree}`)
    else {
      lines.push(`     E tree ${e?.tree ?? "(no step)"}`)
      lines.push(`     F tree ${f?.tree ?? "(no step)"}`)
    }
  }
  lines.push("   (E: only in Erlang/OTP, F: only in effect-otp)")
  return lines.join("\n")
}
