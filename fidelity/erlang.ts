/**
 * The Erlang side: compiles fidelity/erlang/*.erl with `erlc` into a temporary directory and
 * runs a batch of scenarios in one VM (fidelity.erl's `main`), which prints one JSON line per
 * scenario.
 */
import { execFile, spawn } from "node:child_process"
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { scenarioFile } from "./encode.js"
import type { Scenario } from "./model.js"
import { type ErlLine, fromErlLine, type Observation } from "./normalize.js"

const sources = fileURLToPath(new URL("./erlang/", import.meta.url))

const run = (command: string, args: ReadonlyArray<string>): Promise<{ readonly stdout: string; readonly stderr: string }> =>
  new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} failed: ${error.message}\n${stderr}`))
      else resolve({ stdout, stderr })
    })
  })

/** Whether `erl` and `erlc` are on the PATH. */
export const available = async (): Promise<boolean> => {
  try {
    await run("erl", ["-noshell", "-eval", "halt()."])
    return true
  } catch {
    return false
  }
}

/**
 * Runs the scenarios in one Erlang VM, `concurrency` at a time; resolves with each scenario's
 * observation by index (a scenario the VM printed nothing for is an error).
 */
export const observeAll = async (
  scenarios: ReadonlyArray<{ readonly index: number; readonly scenario: Scenario }>,
  concurrency: number
): Promise<Map<number, Observation>> => {
  const dir = await mkdtemp(join(tmpdir(), "effect-otp-fidelity-"))
  try {
    const erls = (await readdir(sources)).filter((f) => f.endsWith(".erl")).map((f) => join(sources, f))
    await run("erlc", ["-o", dir, ...erls])
    const file = join(dir, "scenarios.terms")
    await writeFile(file, scenarioFile(scenarios))
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn("erl", ["-noshell", "+S", "2", "-pa", dir, "-run", "fidelity", "main", file, String(concurrency)], {
        stdio: ["ignore", "pipe", "pipe"]
      })
      const out: Array<Buffer> = []
      const err: Array<Buffer> = []
      child.stdout.on("data", (b: Buffer) => out.push(b))
      child.stderr.on("data", (b: Buffer) => err.push(b))
      child.on("error", reject)
      child.on("close", (code) => {
        if (code === 0) resolve(Buffer.concat(out).toString("utf8"))
        else reject(new Error(`erl exited with ${code}\n${Buffer.concat(err).toString("utf8")}`))
      })
    })
    const results = new Map<number, Observation>()
    for (const line of stdout.split("\n")) {
      if (!line.startsWith("{")) continue
      const parsed = JSON.parse(line) as ErlLine
      results.set(parsed.index, fromErlLine(parsed))
    }
    for (const { index } of scenarios) {
      if (!results.has(index)) results.set(index, { _tag: "Error", error: "the Erlang VM printed no result" })
    }
    return results
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
