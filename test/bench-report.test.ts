/**
 * The benchmark report generator (bench/report.ts) and the figures' formatting (bench/format.ts):
 * the report is generated, committed and read by people, so its arithmetic and its shape are
 * checked here on a small made-up run.
 */
import { assert, describe, it } from "@effect/vitest"
import { advantage, formatAdvantage, formatCell, lowerIsBetter } from "../bench/format.js"
import { absences, type BenchRecord, type MachineRecord } from "../bench/records.js"
import { chartComparison, renderMarkdown, renderSvg } from "../bench/report.js"

const machine: MachineRecord = {
  benchmark: "machine",
  system: "host",
  value: 2,
  unit: "cores",
  date: "2026-01-02T03:04:05.000Z",
  quick: false,
  complete: true,
  cpuModel: "Test CPU",
  memoryBytes: 8 * 2 ** 30,
  platform: "linux x64",
  node: "v20.0.0",
  otp: "25",
  erts: "13.1.5",
  versions: { effect: "4.1.0", xstate: "5.0.0", nact: "7.6.2" },
  loadAverage: { start: 0.1, end: 0.2 },
  seconds: 600
}

const record = (benchmark: string, system: string, value: number, unit: string): BenchRecord => ({
  benchmark,
  system,
  value,
  unit
})

const records: ReadonlyArray<BenchRecord> = [
  machine,
  record("spawn_1m_seconds", "effect-otp", 2, "s"),
  record("spawn_1m_seconds", "erlang", 4, "s"),
  record("spawn_1m_seconds", "xstate", 20, "s"),
  record("send_throughput", "effect-otp", 1e6, "msg/s"),
  record("send_throughput", "erlang", 4e6, "msg/s"),
  record("send_throughput", "nact", 2.5e5, "msg/s"),
  record("ping_pong_round_trips", "effect-otp", 9e5, "rt/s"),
  record("ping_pong_round_trips", "effect-floor", 1e6, "rt/s"),
  record("ring_hops_per_second", "effect-otp", 3e5, "hops/s"),
  record("ring_hops_per_second", "nact", 1e5, "hops/s"),
  record("statemachine_events_per_second", "effect-otp", 9e5, "events/s"),
  record("statemachine_events_per_second", "erlang", 1e6, "events/s"),
  record("statemachine_events_per_second", "xstate", 3e5, "events/s"),
  record("statemachine_idle_bytes", "effect-otp", 1500, "B"),
  record("statemachine_idle_bytes", "erlang", 2700, "B"),
  record("statemachine_idle_bytes", "xstate", 3600, "B"),
  record("effect_step_floor", "effect-queue", 5e6, "steps/s")
]

describe("bench format", () => {
  it("advantage is above 1 when effect-otp is better, whichever way the unit is better", () => {
    assert.isTrue(lowerIsBetter("s"))
    assert.isTrue(lowerIsBetter("B"))
    assert.isFalse(lowerIsBetter("msg/s"))
    assert.strictEqual(advantage(2, 4, "s"), 2) // half the time: twice as good
    assert.strictEqual(advantage(1e6, 4e6, "msg/s"), 0.25)
    assert.strictEqual(formatAdvantage(0.25), "0.25x")
    assert.strictEqual(formatAdvantage(340), "340x")
    assert.strictEqual(formatAdvantage(undefined), "-")
    assert.strictEqual(formatCell(1_310_000, "msg/s"), "1.31M")
    assert.strictEqual(formatCell(971.4, "B"), "971")
  })
})

describe("bench report", () => {
  const markdown = renderMarkdown(records, { spawn_1m_seconds: { bound: "max", value: 1.5 } })

  it("states the machine, the versions and the load", () => {
    assert.include(markdown, "Test CPU, 2 logical cores, 8 GiB memory")
    assert.include(markdown, "Erlang/OTP 25 (ERTS 13.1.5)")
    assert.include(markdown, "xstate 5.0.0")
    assert.include(markdown, "0.10 at the start")
  })

  it("gives effect-otp against Erlang and the Effect floor on the goal rows, met or missed", () => {
    const row = (name: string, vs: string) =>
      markdown.split("\n").find((l) => l.startsWith(`| \`${name}\` | `) && l.includes(` | ${vs} | `))
    assert.match(row("spawn_1m_seconds", "erlang")!, /2\.00x \| ≥ 2\.00 met \|$/)
    assert.match(row("send_throughput", "erlang")!, /0\.25x \| ≥ 0\.50 \*\*missed\*\* \|$/)
    assert.match(row("ping_pong_round_trips", "effect-floor")!, /0\.90x \| ≥ 0\.85 met \|$/)
    // No Erlang figure in the run: the goal is neither met nor missed.
    assert.match(row("ping_pong_round_trips", "erlang")!, /\| - \| ≥ 1\.00 - \|$/)
  })

  it("gives the StateMachine goals against gen_statem and xstate; for bytes, theirs / ours", () => {
    const row = (name: string, vs: string) =>
      markdown.split("\n").find((l) => l.startsWith(`| \`${name}\` | `) && l.includes(` | ${vs} | `))
    assert.match(row("statemachine_events_per_second", "erlang")!, /0\.90x \| ≥ 1\.00 \*\*missed\*\* \|$/)
    assert.match(row("statemachine_events_per_second", "xstate")!, /3\.00x \| ≥ 1\.00 met \|$/)
    // 2700 B in Erlang against 1500 B: effect-otp 1.80x smaller.
    assert.match(row("statemachine_idle_bytes", "erlang")!, /1\.80x \| ≥ 1\.00 met \|$/)
    assert.match(row("statemachine_idle_bytes", "xstate")!, /2\.40x \| ≥ 1\.00 met \|$/)
  })

  it("summarizes each JavaScript peer, and the figures with the target", () => {
    assert.include(markdown, "- **nact**: effect-otp is ahead on 2 of 2 benchmarks (3.00x to 4.00x).")
    assert.include(markdown, "- **xstate**: effect-otp is ahead on 3 of 3 benchmarks (2.40x to 10.0x).")
    assert.include(markdown, "≤ 1.500 **missed**")
  })

  it("says why a peer is absent, for the benchmarks it could be expected in", () => {
    assert.include(markdown, `\`ring_hops_per_second\`, **xstate**: ${absences.ring_hops_per_second!.xstate}.`)
    // Present systems are not listed as absent.
    assert.notInclude(markdown, "`ring_hops_per_second`, **nact**")
  })

  it("keeps the benchmarks outside the issue's list in their own table", () => {
    const more = markdown.slice(markdown.indexOf("### More figures"))
    assert.include(more, "`effect_step_floor`")
  })

  it("draws a self-contained SVG with a panel per benchmark of effect-otp", () => {
    const svg = renderSvg(records)
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    assert.match(svg.trimEnd(), /<\/svg>$/)
    assert.notInclude(svg, "href")
    for (const name of ["spawn_1m_seconds", "send_throughput", "ring_hops_per_second", "statemachine_idle_bytes"]) {
      assert.include(svg, `>${name}<`)
    }
    // effect_step_floor has no effect-otp figure: no panel.
    assert.notInclude(svg, ">effect_step_floor<")
    assert.strictEqual(svg.match(/<g>/g)?.length, svg.match(/<\/g>/g)?.length)
    // send_throughput: effect-otp 1M msg/s, erlang 4M: said from effect-otp's side, in words.
    assert.include(svg, "4.00M msg/s  (effect-otp 4.00x slower)")
    assert.include(svg, "250.0k msg/s  (effect-otp 4.00x faster)")
    assert.notInclude(svg, "(0.25x)")
  })

  it("labels a peer's bar with effect-otp's comparison in words, the right way round", () => {
    assert.strictEqual(chartComparison(2.1, "msg/s"), "effect-otp 2.10x faster")
    assert.strictEqual(chartComparison(0.5, "msg/s"), "effect-otp 2.00x slower")
    assert.strictEqual(chartComparison(0.25, "s"), "effect-otp 4.00x slower")
    assert.strictEqual(chartComparison(3, "B"), "effect-otp 3.00x smaller")
    assert.strictEqual(chartComparison(0.5, "B"), "effect-otp 2.00x larger")
    assert.strictEqual(chartComparison(1.001, "msg/s"), "effect-otp on par")
    assert.strictEqual(chartComparison(undefined, "msg/s"), "")
    assert.strictEqual(chartComparison(Number.NaN, "msg/s"), "")
  })
})
