/**
 * `effect-otp dev` end to end: the tool runs a program in a child process, a test rewrites one of
 * its files, and the running program is upgraded (or, for a broken file, left alone). Nothing
 * sleeps: every step waits for the output that proves it happened (at most 60 s, then fails
 * with what the program printed so far).
 *
 * The program is a copy of examples/hot-reload (ticking every 20 ms rather than 500), in a
 * temporary folder, importing the library by absolute file URL; its version 2 is the one
 * examples/hot-reload/README.md tells the reader to save.
 */
import { assert, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const bin = path.join(root, "bin", "effect-otp.mjs")
const example = path.join(root, "examples", "hot-reload")
/** The library's entry as a relative import from `dir` (which tsx and the type check both resolve). */
const libraryIn = (dir: string) => path.relative(dir, path.join(root, "index.js")).split(path.sep).join("/")
const waitLimitMs = 60_000

/** A running `effect-otp` child: its output, and waits on it. */
interface Running {
  readonly child: ChildProcess
  /** The complete lines printed on stdout so far. */
  readonly lines: () => ReadonlyArray<string>
  /** Resolves with `check`'s first defined answer on the lines; fails after 60 s or if the child exits first. */
  readonly waitFor: <A>(what: string, check: (lines: ReadonlyArray<string>) => A | undefined) => Promise<A>
  /** The exit code (or signal) once the child has exited. */
  readonly exited: Promise<number | string>
}

const start = (args: ReadonlyArray<string>): Running => {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  let exit: number | string | undefined
  const listeners = new Set<() => void>()
  const notify = () => {
    for (const listener of [...listeners]) listener()
  }
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk
    notify()
  })
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => {
      exit = code ?? signal ?? "unknown"
      resolve(exit)
      notify()
    })
  )
  const lines = () => stdout.split("\n").slice(0, -1)
  const dump = () => `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`
  const waitFor = <A>(what: string, check: (lines: ReadonlyArray<string>) => A | undefined) =>
    new Promise<A>((resolve, reject) => {
      const done = () => {
        listeners.delete(attempt)
        clearTimeout(timer)
      }
      const attempt = () => {
        const result = check(lines())
        if (result !== undefined) {
          done()
          resolve(result)
        } else if (exit !== undefined) {
          done()
          reject(new Error(`effect-otp exited (${exit}) while the test waited for ${what}\n${dump()}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`no ${what} within ${waitLimitMs / 1000} s\n${dump()}`))
      }, waitLimitMs)
      listeners.add(attempt)
      attempt()
    })
  return { child, lines, waitFor, exited }
}

/** Stops the child if a test failed before it did. */
const reap = (running: Running | undefined) => {
  if (running !== undefined && running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill("SIGKILL")
  }
}

interface Count {
  readonly line: number
  readonly count: number
  readonly version: string
  readonly text: string
}

/** The counter's lines: `count=7 (v1)`, `count=8 (v2, ...)`. */
const counts = (lines: ReadonlyArray<string>): Array<Count> =>
  lines.flatMap((text, line) => {
    const m = /^count=(\d+) \(v(\d+)/.exec(text)
    return m === null ? [] : [{ line, count: Number(m[1]), version: m[2]!, text }]
  })

/** At least `n` counter lines of `version` after line `after`, or undefined. */
const countsAfter = (after: number, version: string, n: number) => (lines: ReadonlyArray<string>) => {
  const found = counts(lines).filter((c) => c.line > after && c.version === version)
  return found.length >= n ? found : undefined
}

const indexOf = (pattern: RegExp, after = -1) => (lines: ReadonlyArray<string>) => {
  const i = lines.findIndex((line, index) => index > after && pattern.test(line))
  return i >= 0 ? i : undefined
}

/** The counter never restarted: it printed 1, 2, 3, ... and never went back to an older version. */
const assertContinuous = (lines: ReadonlyArray<string>) => {
  const all = counts(lines)
  all.forEach((c, i) => assert.strictEqual(c.count, i + 1, `count lines continue one by one: ${c.text}`))
  for (let i = 1; i < all.length; i++) {
    assert.isTrue(Number(all[i]!.version) >= Number(all[i - 1]!.version), `no older version after a newer: ${all[i]!.text}`)
  }
}

/** The ```ts block of examples/hot-reload/README.md that is version 2 of counter.ts. */
const readmeVersion2 = (): string => {
  const readme = fs.readFileSync(path.join(example, "README.md"), "utf8")
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) => code.includes(`version: "2"`))
  assert.isDefined(block, "the README shows version 2 of counter.ts")
  return block!
}

/** A copy of the example in a fresh temporary folder, ticking every 20 ms; returns its folder. */
const copyExample = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-otp-dev-"))
  const localize = (code: string) => {
    assert.include(code, `"../../index.js"`)
    return code.replaceAll(`"../../index.js"`, JSON.stringify(libraryIn(dir)))
  }
  const main = fs.readFileSync(path.join(example, "main.ts"), "utf8")
  assert.include(main, `"500 millis"`)
  fs.writeFileSync(path.join(dir, "main.ts"), localize(main).replace(`"500 millis"`, `"20 millis"`))
  fs.writeFileSync(path.join(dir, "counter.ts"), localize(fs.readFileSync(path.join(example, "counter.ts"), "utf8")))
  // An ESM package whose `effect` is the repository's (so one instance of it, and of the library).
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }))
  fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir")
  // The repository's compiler options, for the type check before each swap.
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({ extends: path.join(root, "tsconfig.json"), include: ["*.ts"] })
  )
  return dir
}

/**
 * A traffic light StateMachine for the program {@link copyLights} writes: a `Tick` cast moves
 * it green → yellow → red → green and counts in its data, `Get` says where it is. `data` is the
 * data's shape (a count, or a record of it, migrated by `codeChange` when `migrate`), `off` adds
 * a state it never enters.
 */
const lightSource = (library: string, options: {
  readonly version: string
  readonly data: "number" | "record"
  readonly migrate?: boolean
  readonly off?: boolean
}) => {
  const ticks = options.data === "number" ? "data" : "data.ticks"
  const next = (state: string) =>
    options.data === "number" ? `StateMachine.nextState("${state}", data + 1)` : `StateMachine.nextState("${state}", { ticks: data.ticks + 1 })`
  const table = (state: string, then: string) => `    ${state}: {
      casts: { Tick: (_, data) => ${next(then)} },
      calls: { Get: (_, data, from) => StateMachine.keepStateAndData(StateMachine.reply(from, \`light=${state} ticks=\${${ticks}} (v${options.version})\`)) }
    },\n`
  return `import { Schema } from "effect"
import { Rpc } from "effect/rpc"
import { StateMachine } from ${JSON.stringify(library)}

export const Tick = Rpc.make("Tick")
export const Get = Rpc.make("Get", { success: Schema.String })

export const Light = StateMachine.make({
  name: "Light",
  version: "${options.version}",
  calls: [Get],
  casts: [Tick],
  init: (start: number) => StateMachine.ok("green", ${options.data === "number" ? "start" : "{ ticks: start }"}),
${options.migrate === true ? `  codeChange: StateMachine.migrate(
    Schema.Struct({ state: Schema.Literals(["green", "yellow", "red"]), data: Schema.Number }),
    ({ state, data }) => ({ state, data: { ticks: data } })
  ),\n` : ""}  states: {
${table("green", "yellow")}${table("yellow", "red")}${table("red", "green")}${options.off === true ? "    off: {}\n" : ""}  }
})
`
}

/** A program running a {@link lightSource} machine (version 1) under a supervisor, ticked and printed every 20 ms; returns its folder. */
const copyLights = (): string => {
  const dir = copyExample()
  fs.rmSync(path.join(dir, "counter.ts"))
  const library = JSON.stringify(libraryIn(dir))
  fs.writeFileSync(path.join(dir, "light.ts"), lightSource(libraryIn(dir), { version: "1", data: "number" }))
  fs.writeFileSync(
    path.join(dir, "main.ts"),
    `import { Console, Effect } from "effect"
import { Application, ChildSpec, Process, StateMachine, Supervisor } from ${library}
import { Get, Light, Tick } from "./light.js"

const light = StateMachine.ref(Light, "light")

const ticker = Effect.gen(function*() {
  while (true) {
    yield* Effect.sleep("20 millis")
    yield* StateMachine.cast(light, Tick)
    const line = yield* StateMachine.call(light, Get).pipe(Effect.catch((error) => Effect.succeed(\`light unavailable: \${error.message}\`)))
    yield* Console.log(line)
  }
})

export const Lights = Application.make({
  name: "lights",
  start: () =>
    Supervisor.startLink([
      StateMachine.childSpec(Light, 0, { id: "light", name: "light" }),
      ChildSpec.worker("ticker", Process.spawnLink(ticker))
    ], { strategy: "oneForOne" })
})

Application.main(Lights)
`
  )
  return dir
}

interface LightLine {
  readonly line: number
  readonly state: string
  readonly ticks: number
  readonly version: string
}

/** The light's lines: `light=yellow ticks=4 (v1)`. */
const lightLines = (lines: ReadonlyArray<string>): Array<LightLine> =>
  lines.flatMap((text, line) => {
    const m = /^light=(\w+) ticks=(\d+) \(v(\d+)\)$/.exec(text)
    return m === null ? [] : [{ line, state: m[1]!, ticks: Number(m[2]), version: m[3]! }]
  })

const lightsAfter = (after: number, version: string, n: number) => (lines: ReadonlyArray<string>) => {
  const found = lightLines(lines).filter((l) => l.line > after && l.version === version)
  return found.length >= n ? found : undefined
}

/** The machine never restarted: its ticks go 1, 2, 3, ..., each in the state they lead to, and the versions never go back. */
const assertLightContinuous = (lines: ReadonlyArray<string>) => {
  const cycle = ["green", "yellow", "red"]
  lightLines(lines).forEach((l, i) => {
    assert.strictEqual(l.ticks, i + 1, `ticks continue one by one (line ${l.line})`)
    assert.strictEqual(l.state, cycle[l.ticks % 3], `the state goes on with the ticks (line ${l.line})`)
  })
  const versions = lightLines(lines).map((l) => Number(l.version))
  versions.forEach((v, i) => assert.isTrue(i === 0 || v >= versions[i - 1]!, "no older version after a newer"))
}

// The runs are independent (each in its own folder, with its own child process) and mostly wait
// on their programs' output, so they run side by side.
describe.concurrent("effect-otp dev", () => {
  it("upgrades a running GenServer when its file is saved, keeps its state, survives a broken save, stops on SIGTERM", async () => {
    const dir = copyExample()
    const counterFile = path.join(dir, "counter.ts")
    let running: Running | undefined
    try {
      running = start(["dev", path.join(dir, "main.ts")])
      const dev = running
      await dev.waitFor("three (v1) lines", countsAfter(-1, "1", 3))

      // (a) version 2: a record state, migrated from the number version 1 kept.
      const version2 = readmeVersion2().replaceAll(`"../../index.js"`, JSON.stringify(libraryIn(dir)))
      fs.writeFileSync(counterFile, version2)
      const swap = await dev.waitFor(
        "the hot-swap line",
        indexOf(/^hot-swap Counter 1 -> 2: 1 process\(es\) upgraded in \d+(\.\d+)? ms$/)
      )
      const v2 = await dev.waitFor("three (v2) lines after the swap", countsAfter(swap, "2", 3))
      assert.match(v2[0]!.text, /^count=\d+ \(v2, state migrated from v1\)$/)
      assertContinuous(dev.lines())
      const lastV1 = counts(dev.lines()).filter((c) => c.version === "1").at(-1)!
      assert.isAbove(lastV1.count, 2)
      assert.strictEqual(counts(dev.lines()).find((c) => c.version === "2")!.count, lastV1.count + 1)

      // (b) a save that does not compile: reported, nothing changes.
      fs.writeFileSync(counterFile, `${version2}\nexport const broken = = 1\n`)
      const failed = await dev.waitFor(
        "the failed reload line",
        indexOf(/^reload of .*counter\.ts failed: .+; the running system is unchanged$/)
      )
      await dev.waitFor("three (v2) lines after the failed reload", countsAfter(failed, "2", 3))
      assertContinuous(dev.lines())
      assert.strictEqual(dev.lines().filter((line) => line.startsWith("hot-swap")).length, 1)

      // (c) SIGTERM: the application stops in order, status 0.
      dev.child.kill("SIGTERM")
      assert.strictEqual(await dev.exited, 0)
    } finally {
      reap(running)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)

  it("upgrades a running StateMachine when its file is saved: same state, data migrated by codeChange; refuses new data without one, takes a new state", async () => {
    const dir = copyLights()
    const lightFile = path.join(dir, "light.ts")
    const library = libraryIn(dir)
    let running: Running | undefined
    try {
      running = start(["dev", path.join(dir, "main.ts")])
      const dev = running
      await dev.waitFor("three (v1) lines", lightsAfter(-1, "1", 3))

      // (a) a record for data, without codeChange: the running count would be read as the record.
      fs.writeFileSync(lightFile, lightSource(library, { version: "2", data: "record" }))
      const refused = await dev.waitFor(
        "the refused data change",
        indexOf(
          /^hot-swap of .*light\.ts refused: Light 2 changes the state type from \{ state: .+; data: number; \} to \{ state: .+; data: \{ ticks: number; \}; \} and has no codeChange to migrate it \(add one, e\.g\. StateMachine\.migrate\); the running system is unchanged$/
        )
      )
      await dev.waitFor("three (v1) lines after the refusal", lightsAfter(refused, "1", 3))

      // (b) with codeChange: swapped in; the machine keeps its state, its count becomes the record.
      fs.writeFileSync(lightFile, lightSource(library, { version: "2", data: "record", migrate: true }))
      const swap = await dev.waitFor("the hot-swap to 2", indexOf(/^hot-swap Light 1 -> 2: 1 process\(es\) upgraded in \d+(\.\d+)? ms$/))
      const v2 = await dev.waitFor("three (v2) lines", lightsAfter(swap, "2", 3))
      const lastV1 = lightLines(dev.lines()).filter((l) => l.version === "1").at(-1)!
      assert.isAbove(lastV1.ticks, 2)
      assert.strictEqual(lightLines(dev.lines()).find((l) => l.version === "2")!.ticks, lastV1.ticks + 1)

      // (c) a state added (never entered), same data, no codeChange: the running state is one of
      // the new version's, so it goes in as it is.
      fs.writeFileSync(lightFile, lightSource(library, { version: "3", data: "record", off: true }))
      const added = await dev.waitFor("the hot-swap to 3", indexOf(/^hot-swap Light 2 -> 3: 1 process\(es\) upgraded/, v2.at(-1)!.line))
      await dev.waitFor("three (v3) lines", lightsAfter(added, "3", 3))
      assertLightContinuous(dev.lines())
      assert.deepStrictEqual(dev.lines().filter((line) => /failed|unavailable/.test(line)), [])
      dev.child.kill("SIGTERM")
      assert.strictEqual(await dev.exited, 0)
    } finally {
      reap(running)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 240_000)

  it("refuses a version that does not type-check, a downgrade, and a new state type without codeChange", async () => {
    const dir = copyExample()
    const counterFile = path.join(dir, "counter.ts")
    const version1 = fs.readFileSync(counterFile, "utf8")
    let running: Running | undefined
    try {
      running = start(["dev", path.join(dir, "main.ts")])
      const dev = running
      await dev.waitFor("three (v1) lines", countsAfter(-1, "1", 3))

      // (a) Get replies a number where its Rpc says String: the compiler's message, no swap.
      const wrongReply = version1
        .replace(`version: "1"`, `version: "2"`)
        .replace("GenServer.reply(`count=${count} (v1)`, count)", "GenServer.reply(count, count)")
      assert.notStrictEqual(wrongReply, version1)
      fs.writeFileSync(counterFile, wrongReply)
      const typeError = await dev.waitFor(
        "the type error",
        indexOf(/^reload of .*counter\.ts failed: it does not type-check; the running system is unchanged$/)
      )
      const detail = await dev.waitFor("the compiler's message", (lines) => lines[typeError + 1])
      assert.match(detail, /^ {2}.*counter\.ts:\d+: .*not assignable/)

      // (b) version 0 while 1 runs: refused.
      fs.writeFileSync(counterFile, version1.replace(`version: "1"`, `version: "0"`))
      const downgrade = await dev.waitFor(
        "the refused downgrade",
        indexOf(/^hot-swap of .*counter\.ts refused: Counter 0 is older than the running 1 \(--allow-downgrade to swap it in\); the running system is unchanged$/)
      )

      // (c) a record state and no codeChange: the running number would be taken as the record.
      const newShape = version1
        .replace(`version: "1"`, `version: "3"`)
        .replace("GenServer.ok(start)", "GenServer.ok({ count: start })")
        .replace("GenServer.reply(`count=${count} (v1)`, count)", "GenServer.reply(`count=${s.count} (v3)`, s)")
        .replace("Get: (_, count)", "Get: (_, s)")
        .replace("Tick: (_, count) => GenServer.noreply(count + 1)", "Tick: (_, s) => GenServer.noreply({ count: s.count + 1 })")
      fs.writeFileSync(counterFile, newShape)
      const shape = await dev.waitFor(
        "the refused state change",
        indexOf(/^hot-swap of .*counter\.ts refused: Counter 3 changes the state type from number to \{ count: number; \} and has no codeChange/)
      )
      await dev.waitFor("three (v1) lines after the refusals", countsAfter(shape, "1", 3))
      assert.isBelow(downgrade, shape)
      assertContinuous(dev.lines())
      assert.deepStrictEqual(dev.lines().filter((line) => / -> /.test(line)), [], "no swap happened")

      // (d) the README's version 2 (with its codeChange) still goes in.
      fs.writeFileSync(counterFile, readmeVersion2().replaceAll(`"../../index.js"`, JSON.stringify(libraryIn(dir))))
      const swap = await dev.waitFor("the hot-swap line", indexOf(/^hot-swap Counter 1 -> 2: 1 process\(es\) upgraded/))
      await dev.waitFor("two (v2) lines", countsAfter(swap, "2", 2))
      assertContinuous(dev.lines())
      dev.child.kill("SIGTERM")
      assert.strictEqual(await dev.exited, 0)
    } finally {
      reap(running)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 240_000)

  it("swaps an older version in with --allow-downgrade", async () => {
    const dir = copyExample()
    const counterFile = path.join(dir, "counter.ts")
    let running: Running | undefined
    try {
      running = start(["dev", "--allow-downgrade", path.join(dir, "main.ts")])
      const dev = running
      await dev.waitFor("two (v1) lines", countsAfter(-1, "1", 2))
      fs.writeFileSync(counterFile, fs.readFileSync(counterFile, "utf8").replace(`version: "1"`, `version: "0"`))
      const swap = await dev.waitFor("the hot-swap line", indexOf(/^hot-swap Counter 1 -> 0: 1 process\(es\) upgraded/))
      await dev.waitFor("two lines after the swap", (lines) => counts(lines).filter((c) => c.line > swap).length >= 2 ? true : undefined)
      assertContinuous(dev.lines())
      dev.child.kill("SIGTERM")
      assert.strictEqual(await dev.exited, 0)
    } finally {
      reap(running)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)

  it("runs examples/hot-reload as it is, and stops it on SIGTERM", async () => {
    let running: Running | undefined
    try {
      running = start(["dev", "examples/hot-reload/main.ts"])
      const lines = await running.waitFor("two (v1) lines", countsAfter(-1, "1", 2))
      assert.deepStrictEqual(lines.slice(0, 2).map((c) => c.text), ["count=1 (v1)", "count=2 (v1)"])
      assert.include(running.lines()[0], "effect-otp dev: running examples/hot-reload/main.ts, watching examples/hot-reload")
      running.child.kill("SIGTERM")
      assert.strictEqual(await running.exited, 0)
    } finally {
      reap(running)
    }
  }, 120_000)

  it("watching: atomic saves, a burst of saves, a deleted and re-created file, new and re-created directories, symlinks", async () => {
    // base/link -> app (the program is run through a symlink), app/lib -> ../shared (the module
    // lives outside the watched directory, reached through a symlinked directory).
    const base = copyExample()
    const app = path.join(base, "app")
    const shared = path.join(base, "shared")
    fs.mkdirSync(app)
    fs.mkdirSync(shared)
    const main = fs.readFileSync(path.join(base, "main.ts"), "utf8")
    const version1 = fs.readFileSync(path.join(base, "counter.ts"), "utf8")
    const library = JSON.stringify(libraryIn(base))
    fs.writeFileSync(
      path.join(app, "main.ts"),
      main.replaceAll(library, JSON.stringify(libraryIn(app))).replace(`"./counter.js"`, `"./lib/counter.js"`)
    )
    fs.rmSync(path.join(base, "main.ts"))
    fs.rmSync(path.join(base, "counter.ts"))
    const counterFile = path.join(shared, "counter.ts")
    const version = (n: number) =>
      version1.replaceAll(library, JSON.stringify(libraryIn(shared))).replace(`version: "1"`, `version: "${n}"`).replace("(v1)", `(v${n})`)
    fs.writeFileSync(counterFile, version(1))
    fs.symlinkSync(shared, path.join(app, "lib"), "dir")
    fs.symlinkSync(app, path.join(base, "link"), "dir")
    fs.writeFileSync(path.join(base, "tsconfig.json"), JSON.stringify({ extends: path.join(root, "tsconfig.json"), include: ["app/*.ts", "shared/*.ts"] }))
    /** What an editor such as vim does: write a temporary file, rename it over the original. */
    const atomicSave = (file: string, text: string) => {
      const temporary = path.join(path.dirname(file), `.${path.basename(file)}.swp`)
      fs.writeFileSync(temporary, text)
      fs.renameSync(temporary, file)
    }
    const swapTo = (n: number, after: number) =>
      dev.waitFor(`the hot-swap to ${n}`, indexOf(new RegExp(`^hot-swap Counter ${n - 1} -> ${n}: 1 process\\(es\\) upgraded`), after))
    let running: Running | undefined
    let dev: Running
    try {
      running = start(["dev", path.join(base, "link", "main.ts")])
      dev = running
      await dev.waitFor("two (v1) lines", countsAfter(-1, "1", 2))

      // Two atomic saves in a row: the second one too (a watcher that follows the file's inode
      // loses it after the first rename).
      atomicSave(counterFile, version(2))
      const second = await swapTo(2, -1)
      await dev.waitFor("two (v2) lines", countsAfter(second, "2", 2))
      atomicSave(counterFile, version(3))
      const third = await swapTo(3, second)
      await dev.waitFor("two (v3) lines", countsAfter(third, "3", 2))

      // A burst: a broken save at once followed by a good one is one change, the last text.
      fs.writeFileSync(counterFile, `${version(4)}\nexport const broken = = 1\n`)
      fs.writeFileSync(counterFile, version(4))
      const fourth = await swapTo(4, third)
      const afterBurst = await dev.waitFor("two (v4) lines", countsAfter(fourth, "4", 2))

      // Deleted (and that settles: more ticks go by), then written anew.
      fs.rmSync(counterFile)
      await dev.waitFor("five lines after the delete", countsAfter(afterBurst.at(-1)!.line, "4", 5))
      fs.writeFileSync(counterFile, version(5))
      const fifth = await swapTo(5, fourth)
      await dev.waitFor("two (v5) lines", countsAfter(fifth, "5", 2))

      // A file written at once into a directory that did not exist: seen (the program has not
      // loaded it, which the tool says).
      fs.mkdirSync(path.join(app, "added", "deeper"), { recursive: true })
      fs.writeFileSync(path.join(app, "added", "deeper", "extra.ts"), "export const extra = 1\n")
      const extraLine = /added\/deeper\/extra\.ts changed, but the program has not loaded it; ignored$/
      const added = await dev.waitFor("the new file's line", indexOf(extraLine))
      // That directory deleted and made again at once, a file written in it, then changed: both seen.
      fs.rmSync(path.join(app, "added"), { recursive: true })
      fs.mkdirSync(path.join(app, "added", "deeper"), { recursive: true })
      fs.writeFileSync(path.join(app, "added", "deeper", "extra.ts"), "export const extra = 2\n")
      const again = await dev.waitFor("the re-created file's line", indexOf(extraLine, added))
      fs.writeFileSync(path.join(app, "added", "deeper", "extra.ts"), "export const extra = 3\n")
      await dev.waitFor("the changed file's line", indexOf(extraLine, again))

      assertContinuous(dev.lines())
      assert.deepStrictEqual(dev.lines().filter((line) => / -> /.test(line)).map((line) => line.replace(/:.*/, "")), [
        "hot-swap Counter 1 -> 2",
        "hot-swap Counter 2 -> 3",
        "hot-swap Counter 3 -> 4",
        "hot-swap Counter 4 -> 5"
      ])
      assert.deepStrictEqual(dev.lines().filter((line) => /failed|refused/.test(line)), [])
      dev.child.kill("SIGTERM")
      assert.strictEqual(await dev.exited, 0)
    } finally {
      reap(running)
      fs.rmSync(base, { recursive: true, force: true })
    }
  }, 240_000)

  it("without a command, or with an unknown one, prints the usage and exits 2", () => {
    for (const args of [[], ["deploy"], ["dev"]]) {
      const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8" })
      assert.strictEqual(result.status, 2, `effect-otp ${args.join(" ")}`)
      assert.include(result.stderr, "usage: effect-otp dev <entry> [--watch <dir>] [--allow-downgrade]")
    }
  })
})
