/**
 * How figures are written: shared by the terminal table (`run.ts`) and the report
 * (`report.ts`). Imports nothing.
 */

/** Lower is better for times, sizes and counts of lost things; higher for rates and ratios. */
export const lowerIsBetter = (unit: string): boolean => !(unit.endsWith("/s") || unit === "ratio")

/** A number in 3-4 significant characters: `1.31M`, `650.7k`, `971`, `5.11`. */
export const compactNumber = (value: number): string => {
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  if (abs >= 1e9) return `${(value / 1e9).toFixed(2)}G`
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`
  if (abs >= 1e3) return `${(value / 1e3).toFixed(1)}k`
  if (abs >= 100) return value.toFixed(0)
  if (abs >= 10) return value.toFixed(1)
  return value.toFixed(abs >= 1 ? 2 : 3)
}

/** A figure with its unit: `5.109 s`, `971 B`, `1.31M msg/s`. */
export const formatValue = (value: number, unit: string): string => {
  if (!Number.isFinite(value)) return String(value)
  if (unit === "s") return `${value.toFixed(value < 10 ? 3 : 1)} s`
  if (unit === "B") return `${Math.round(value)} B`
  if (unit === "ms") return `${value.toFixed(1)} ms`
  if (unit === "msgs") return `${Math.round(value)} msgs`
  if (unit === "ratio") return value.toFixed(2)
  return `${compactNumber(value)} ${unit}`
}

/** A figure without its unit, for a table whose row gives the unit. */
export const formatCell = (value: number, unit: string): string => {
  if (unit === "B" || unit === "msgs") return String(Math.round(value))
  if (unit === "s") return value.toFixed(value < 10 ? 3 : 1)
  if (unit === "ms") return value.toFixed(1)
  if (unit === "ratio") return value.toFixed(2)
  return compactNumber(value)
}

/**
 * How many times better `ours` is than `theirs`, whichever way the unit is better: above 1,
 * ours is ahead (a rate that is higher, a time or a size that is lower); below 1, behind.
 */
export const advantage = (ours: number, theirs: number, unit: string): number =>
  lowerIsBetter(unit) ? theirs / ours : ours / theirs

/** An advantage as `2.10x`, or `-` when it cannot be computed. */
export const formatAdvantage = (ratio: number | undefined): string => {
  if (ratio === undefined || !Number.isFinite(ratio) || ratio <= 0) return "-"
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}x`
}

/** A plain-text table: a header row, a rule, the rows; columns padded to their widest cell. */
export const textTable = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? "").length)))
  const line = (r: ReadonlyArray<string>) => r.map((cell, col) => cell.padEnd(widths[col]!)).join("  ").trimEnd()
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n")
}
