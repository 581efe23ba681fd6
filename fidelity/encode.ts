/**
 * Scenarios as Erlang terms, for `file:consult/1` on the Erlang side (OTP 25 has no JSON
 * module): objects are maps with atom keys, arrays lists, strings atoms, numbers integers,
 * booleans `true` / `false`.
 */
import type { Scenario } from "./model.js"

const atom = (s: string): string => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`

/** One JSON value as an Erlang term. */
export const term = (value: unknown): string => {
  if (typeof value === "string") return atom(value)
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`not an integer: ${value}`)
    return String(value)
  }
  if (typeof value === "boolean") return value ? "true" : "false"
  if (Array.isArray(value)) return `[${value.map(term).join(",")}]`
  if (typeof value === "object" && value !== null) {
    const fields = Object.entries(value).filter(([, v]) => v !== undefined)
    return `#{${fields.map(([k, v]) => `${atom(k)} => ${term(v)}`).join(",")}}`
  }
  throw new Error(`no Erlang term for ${String(value)}`)
}

/** The scenario file: one `{scenario, Index, Kind, Scenario}.` per line. */
export const scenarioFile = (scenarios: ReadonlyArray<{ readonly index: number; readonly scenario: Scenario }>): string =>
  scenarios.map(({ index, scenario }) => `{scenario,${index},${scenario.kind},${term(scenario)}}.\n`).join("")
