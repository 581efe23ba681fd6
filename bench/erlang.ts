/**
 * The Erlang/OTP side of the runner: finds `erl`, compiles `bench/erlang/*.erl` once per run and
 * gives the command line of one benchmark. The modules print the same JSON records line as the
 * TypeScript cases (system `erlang`).
 *
 * Each benchmark runs in its own emulator with one scheduler (`+S 1`), to match Node's one
 * thread, and a process limit of 2M (`+P`: the default 262,144 does not hold 1M idle
 * processes; the limit changes nothing else). Without `erl` on the PATH, Erlang is skipped.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import * as path from "node:path"

export type ErlangSetup =
  | {
    readonly _tag: "Ready"
    /** OTP release (`25`) and ERTS version (`13.1.5`). */
    readonly otp: string
    readonly erts: string
    /** `erl` and its arguments for one benchmark. */
    readonly command: (benchmark: string, quick: boolean) => { readonly file: string; readonly args: ReadonlyArray<string> }
    readonly dispose: () => void
  }
  | { readonly _tag: "Missing"; readonly reason: string }
  | { readonly _tag: "Broken"; readonly reason: string }

/** Finds `erl` and compiles the benchmark modules. */
export const setupErlang = (benchDir: string): ErlangSetup => {
  const version = spawnSync(
    "erl",
    ["-noshell", "-eval", `io:format("~s ~s", [erlang:system_info(otp_release), erlang:system_info(version)]), halt().`],
    { encoding: "utf8", timeout: 60_000 }
  )
  if (version.error !== undefined) {
    return {
      _tag: "Missing",
      reason: (version.error as NodeJS.ErrnoException).code === "ENOENT"
        ? "`erl` is not on the PATH (Debian: apt-get install erlang-base)"
        : `erl did not start: ${version.error.message}`
    }
  }
  const [otp, erts] = version.stdout.trim().split(" ")
  if (version.status !== 0 || otp === undefined || erts === undefined) {
    return { _tag: "Broken", reason: `erl failed: ${version.stderr.trim() || version.stdout.trim()}` }
  }
  const sources = path.join(benchDir, "erlang")
  const cache = path.join(path.dirname(benchDir), "node_modules", ".cache", "effect-otp-bench")
  mkdirSync(cache, { recursive: true })
  const ebin = mkdtempSync(path.join(cache, "erlang-"))
  const files = readdirSync(sources).filter((f) => f.endsWith(".erl")).map((f) => path.join(sources, f))
  const compiled = spawnSync("erlc", ["-o", ebin, ...files], { encoding: "utf8", timeout: 120_000 })
  if (compiled.error !== undefined || compiled.status !== 0) {
    rmSync(ebin, { recursive: true, force: true })
    const output = `${compiled.stdout ?? ""}${compiled.stderr ?? ""}`.trim()
    return { _tag: "Broken", reason: `erlc failed: ${compiled.error?.message ?? output}` }
  }
  return {
    _tag: "Ready",
    otp,
    erts,
    command: (benchmark, quick) => ({
      file: "erl",
      args: ["+S", "1", "+P", "2000000", "-noshell", "-pa", ebin, "-run", "bench", "main", benchmark, quick ? "quick" : "full"]
    }),
    dispose: () => rmSync(ebin, { recursive: true, force: true })
  }
}
