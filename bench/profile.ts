/**
 * Profiles one case for one system and prints where the time goes:
 * `npx tsx bench/profile.ts <case.ts> [--system effect-otp] [--quick] [--top 25] [--alloc]`.
 *
 * Runs the case as the runner does (a fresh Node child with `--expose-gc`, the case bundled by
 * `bundle.ts`) under `node --cpu-prof`, then reads the profile: self time by part (the garbage
 * collector, Effect, effect-otp's `lib/` and `behaviours/`, the case itself, Node, idle) and
 * the functions with the most self time. Functions of the bundle are mapped back to their
 * source file through esbuild's `// path/to/file.ts` markers. The figure the case printed
 * comes first; profiling slows a run down, so read the shares, not that figure. `--alloc`
 * instead runs the case unprofiled and prints the heap bytes it allocates per operation
 * (`v8.GCProfiler`, see `common.ts`).
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { makeLauncher } from "./bundle.js"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
}

interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
}

interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const argv = process.argv.slice(2)
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}
const file = argv.find((a) => a.endsWith(".ts"))
if (file === undefined) {
  console.error("usage: npx tsx bench/profile.ts <case.ts> [--system effect-otp] [--quick] [--top 25]")
  process.exit(2)
}
const system = option("--system") ?? "effect-otp"
const top = Number(option("--top") ?? 25)
const quick = argv.includes("--quick")
/** `--alloc`: no CPU profile; the case prints the bytes it allocates per operation. */
const alloc = argv.includes("--alloc")

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const root = path.dirname(benchDir)

/** The source file of each line of a bundle, from esbuild's `// path.ts` markers, and the lines. */
const sourceLines = (bundle: string): { readonly files: Array<string>; readonly text: Array<string> } => {
  const text = readFileSync(bundle, "utf8").split("\n")
  const files = new Array<string>(text.length)
  let current = path.basename(bundle)
  for (let i = 0; i < text.length; i++) {
    const marker = /^\/\/ ((?:bench|lib|behaviours|index)[^\s]*\.ts)$/.exec(text[i]!)
    if (marker !== null) current = marker[1]!
    files[i] = current
  }
  return { files, text }
}

const partOf = (frame: CallFrame, source: string): string => {
  const name = frame.functionName
  if (name === "(garbage collector)") return "garbage collector"
  if (name === "(idle)") return "idle"
  if (name === "(program)") return "V8 (program)"
  if (source.startsWith("lib/") || source.startsWith("behaviours/") || source === "index.ts") return "effect-otp (lib/, behaviours/)"
  if (source.startsWith("bench/")) return "the case (bench/)"
  if (frame.url.includes("node_modules/effect/")) return "effect"
  if (frame.url.includes("node_modules/")) return `package ${frame.url.split("node_modules/")[1]!.split("/")[0]}`
  if (frame.url.startsWith("node:") || frame.url === "") return "Node and natives"
  return "other"
}

const main = async (): Promise<number> => {
  const launcher = await makeLauncher(benchDir)
  const [bundle] = await launcher.args(file)
  const profDir = mkdtempSync(path.join(os.tmpdir(), "effect-otp-profile-"))
  try {
    const child = spawnSync(
      process.execPath,
      [
        "--expose-gc",
        "--max-old-space-size=8192",
        ...(alloc ? [] : ["--cpu-prof", "--cpu-prof-dir", profDir]),
        bundle!,
        "--system",
        system,
        ...(quick ? ["--quick"] : []),
        ...(alloc ? ["--alloc"] : [])
      ],
      { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }
    )
    process.stdout.write(child.stdout)
    process.stderr.write(child.stderr)
    if (child.status !== 0) return 1
    if (alloc) return 0
    const profiles = readdirSync(profDir).filter((f) => f.endsWith(".cpuprofile")).map((f) => path.join(profDir, f))
    const main = profiles.sort((a, b) => statSync(b).size - statSync(a).size)[0]
    if (main === undefined) {
      console.error("profile: no .cpuprofile written")
      return 1
    }
    const profile = JSON.parse(readFileSync(main, "utf8")) as Profile
    const lines = bundle!.endsWith(".mjs") ? sourceLines(bundle!) : { files: [], text: [] }
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
    const selfByNode = new Map<number, number>()
    let total = 0
    for (let i = 0; i < profile.samples.length; i++) {
      const dt = profile.timeDeltas[i] ?? 0
      selfByNode.set(profile.samples[i]!, (selfByNode.get(profile.samples[i]!) ?? 0) + dt)
      total += dt
    }
    const byPart = new Map<string, number>()
    const byFunction = new Map<string, number>()
    for (const [id, time] of selfByNode) {
      const frame = nodes.get(id)!.callFrame
      const inBundle = frame.url.endsWith(".mjs") && frame.url.includes("effect-otp-bench")
      const source = inBundle ? lines.files[frame.lineNumber] ?? "?" : ""
      const part = partOf(frame, source)
      byPart.set(part, (byPart.get(part) ?? 0) + time)
      const where = source !== ""
        ? source
        : frame.url.includes("node_modules/")
        ? frame.url.split("node_modules/")[1]!
        : frame.url.replace(/^file:\/\//, "")
      // A function of the bundle is shown with the start of its line (anonymous ones are many).
      const snippet = inBundle ? `  \`${(lines.text[frame.lineNumber] ?? "").trim().slice(0, 70)}\`` : ""
      const key = `${frame.functionName || "(anonymous)"}  ${where}${
        frame.lineNumber >= 0 && source === "" && where !== "" ? `:${frame.lineNumber + 1}` : ""
      }${snippet}`
      byFunction.set(key, (byFunction.get(key) ?? 0) + time)
    }
    const pct = (t: number) => `${((t / total) * 100).toFixed(1).padStart(5)}%`
    console.log(`\n${file} --system ${system}${quick ? " --quick" : ""}: ${(total / 1e6).toFixed(1)} s sampled\n`)
    console.log("Self time by part:")
    for (const [part, t] of [...byPart].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(t)}  ${part}`)
    console.log(`\nTop ${top} functions by self time:`)
    for (const [key, t] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(t)}  ${key}`)
    return 0
  } finally {
    rmSync(profDir, { recursive: true, force: true })
    launcher.dispose()
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error)
  process.exit(1)
})
