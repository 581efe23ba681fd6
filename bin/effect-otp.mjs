#!/usr/bin/env node
/**
 * effect-otp: the command-line tool.
 *
 *   effect-otp dev <entry.ts> [--watch <dir>] [--allow-downgrade]
 *
 * Runs the program `<entry>` (TypeScript loads directly, through tsx: no build step; tsx is an
 * optional peer dependency, installed by those who use this tool) and watches
 * its directory (or `--watch <dir>`) for changed .ts/.mts/.js/.mjs files. A changed file that the
 * program loaded is imported again as a fresh module instance (its own imports stay the cached
 * ones, so it shares the program's library instance); every behaviour module it exports is
 * handed to the library's development hook, which upgrades every live process running that
 * module on every node of the program (`Code.upgrade`: state migrated by the new version's
 * `codeChange`, pid and mailbox kept). A behaviour module is what the code server upgrades: a
 * value with a string `name` and `version` (`Code.Module`) that a behaviour running in the
 * program takes for one of its modules (a GenServer's, a StateMachine's, any behaviour's on
 * `Loop`; the hook asks their `isModule`), not any value with a name and a version (an
 * `Application`). One line per module swapped, one per process that kept its old code.
 *
 * Before a swap, a changed TypeScript file is type-checked (TypeScript's compiler API, the
 * tsconfig.json above the file; the changed file and what it imports from the watched tree), and
 * its behaviour modules' state types (a StateMachine's states and data) are compared with those
 * of the text the program runs. A file with a type error, a module whose version is older than
 * the running one (unless `--allow-downgrade`), or a module whose state type changed (a machine
 * whose data changed or that lost a state) while it has no `codeChange` is refused: the program keeps running what it ran. Without the optional peer `typescript` the
 * tool says so once and swaps without these type-level checks (the version check remains).
 *
 * A file that does not compile or throws while it is imported changes nothing. The entry itself
 * cannot be swapped (restart to apply). A change to a module reaches only the file that changed:
 * files that import it keep the instance they imported, until they are reloaded themselves.
 *
 * The tool never imports the library: it reaches, through a global, the very instance the
 * program runs. It exits when the program does (with its exit status).
 */
import { readdirSync, readFileSync, realpathSync, statSync, watch } from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { compareVersions, loadTypeScript, makeChecker } from "./dev-checks.mjs"

const usage = `usage: effect-otp dev <entry> [--watch <dir>] [--allow-downgrade]

commands:
  dev <entry>      run <entry> (.ts/.mts/.js/.mjs, TypeScript without a build step) and
                   hot-swap the behaviour modules of the files that change into the running
                   program (Code.upgrade): processes keep their pid, mailbox and migrated state

options:
  --watch <dir>    the directory to watch, recursively (default: the entry's directory)
  --allow-downgrade
                   swap in a module whose version is older than the running one (refused
                   otherwise)

before a swap, a changed file is type-checked with the project's tsconfig (when typescript
is installed); a file with type errors, a version older than the running one, or a
GenServer whose state type changes (a StateMachine whose data type changes, or that drops
a state) while the new version has no codeChange is refused, and the running program keeps
its code`

const watchedExtensions = new Set([".ts", ".mts", ".js", ".mjs"])
const ignoredDirectories = new Set(["node_modules", ".git", "dist", "coverage"])
/** Editors write a file in several steps: a change is handled once its events stop for this long. */
const debounceMs = 60
const devHookKey = Symbol.for("effect-otp/dev-hook")

const say = (line) => process.stdout.write(`${line}\n`)

const fail = (message) => {
  process.stderr.write(`effect-otp: ${message}\n\n${usage}\n`)
  process.exit(2)
}

/** A path as the person typed it, relative to where they are when it is inside. */
const shown = (file) => {
  const relative = path.relative(process.cwd(), file)
  return relative.length > 0 && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file
}

/** An error on one line (esbuild's messages span several). */
const oneLine = (error) => {
  const text = error instanceof Error ? (error.message || String(error)) : String(error)
  return text.split("\n").map((line) => line.trim()).filter((line) => line.length > 0).join(" ")
}

// ----------------------------------------------------------------------------
// Watching
// ----------------------------------------------------------------------------

/**
 * Calls `onFile(path)` for every file event under `root`, recursively, with the file's real
 * path (symlinks resolved, as Node resolves the modules a program imports). macOS and Windows
 * watch a tree natively. On Linux, Node's `fs.watch(dir, { recursive: true })` (20 and 22) is
 * emulated with one watcher per file: it loses a file after its first atomic save (write to a
 * temporary file, rename over the original: vim, JetBrains), does not follow symlinked
 * directories, and its `unref()` does nothing. So on Linux this watches each directory
 * (inotify reports its entries by name, atomic saves included), skips node_modules and dot
 * directories, and adds directories as they appear, reporting the files they already hold (a
 * file written at once into a new directory is there before its watcher). A symlinked
 * directory is watched at its target; a symlinked file through its target's directory. Each
 * directory is watched once, by its real path (so symlink cycles end). Watchers are unref'd:
 * the program alone decides how long the process lives.
 *
 * Compared on Linux with real file operations (Node 20 and 22): Node's recursive `fs.watch` and
 * Effect's `FileSystem.watch` (which uses it) lose a file after its first atomic save and miss
 * symlinked directories; @parcel/watcher 2.6 (native, 1.5 MB) misses a file written at once into
 * a new directory and does not follow symlinks; chokidar 5 (144 kB) handles both but drops a
 * second save within 50 ms of the first (its change throttle), and either would be one more
 * package to install for this command. test/dev.test.ts runs these cases against this code.
 */
const watchTree = (root, onFile) => {
  if (process.platform === "darwin" || process.platform === "win32") {
    const watcher = watch(root, { recursive: true }, (_event, name) => {
      if (name != null) onFile(realPath(path.join(root, name.toString())) ?? path.join(root, name.toString()))
    })
    watcher.unref()
    return
  }
  /** Watched directories by real path: `only` is the names wanted there (a symlinked file's target), or null for all. */
  const watched = new Map()
  const watchDirectory = (dir, only, announce) => {
    const known = watched.get(dir)
    if (known !== undefined) {
      if (known.only === null) return
      if (only !== null) {
        known.only.add(only)
        return
      }
      known.only = null // now watched whole: its subdirectories too
      scan(dir, announce)
      return
    }
    const entry = { watcher: undefined, only: only === null ? null : new Set([only]) }
    try {
      entry.watcher = watch(dir, (_event, name) => {
        if (name == null) return
        const base = name.toString()
        if (entry.only !== null && !entry.only.has(base)) return
        const file = path.join(dir, base)
        onFile(realPath(file) ?? file)
        if (entry.only === null) {
          // An entry created, deleted or renamed: a directory of that name is watched anew (a
          // deleted and re-created one is another directory), and what it holds reported.
          forget(file)
          follow(file, base, false, true)
        }
      })
    } catch {
      return // gone meanwhile, or unreadable
    }
    entry.watcher.on("error", () => {
      entry.watcher.close()
      if (watched.get(dir) === entry) watched.delete(dir)
    })
    entry.watcher.unref()
    watched.set(dir, entry)
    if (entry.only === null) scan(dir, announce)
  }
  /** Stops watching `dir` and every directory under it. */
  const forget = (dir) => {
    const inside = dir + path.sep
    for (const [key, entry] of watched) {
      if (key === dir || key.startsWith(inside)) {
        entry.watcher.close()
        watched.delete(key)
      }
    }
  }
  const scan = (dir, announce) => {
    let names = []
    try {
      names = readdirSync(dir)
    } catch {
      // unreadable: only its own events
    }
    for (const name of names) follow(path.join(dir, name), name, announce, announce)
  }
  /**
   * A directory entry: a directory (or a link to one) is watched, and with `announceInside` the
   * files it holds are reported; a link to a file is watched through its target's directory.
   */
  const follow = (file, name, announce, announceInside) => {
    const real = realPath(file)
    if (real === undefined) return // gone, or a broken (or looping) link
    let stats
    try {
      stats = statSync(real)
    } catch {
      return
    }
    if (stats.isDirectory()) {
      if (!ignored(name)) watchDirectory(real, null, announceInside)
    } else if (stats.isFile()) {
      if (real !== file) watchDirectory(path.dirname(real), path.basename(real), false)
      if (announce) onFile(real)
    }
  }
  watchDirectory(root, null, false)
}

/** The real path of `file` (symlinks resolved), or undefined if it is gone. */
const realPath = (file) => {
  try {
    return realpathSync(file)
  } catch {
    return undefined
  }
}

const ignored = (name) => ignoredDirectories.has(name) || name.startsWith(".")

const isDirectory = (file) => {
  try {
    return statSync(file).isDirectory()
  } catch {
    return false
  }
}

const isFile = (file) => {
  try {
    return statSync(file).isFile()
  } catch {
    return false
  }
}

// ----------------------------------------------------------------------------
// Loading
// ----------------------------------------------------------------------------

/** ESM files the program loaded, by path: the URL it loaded each one with. */
const loadedUrls = new Map()
const require = createRequire(import.meta.url)
let reloads = 0

/** Whether the program loaded `file` (through ESM, or `require` for a CommonJS scope). */
const loadedByProgram = (file) => loadedUrls.has(file) || require.cache[file] !== undefined

/**
 * Whether `value` is a behaviour module, as the library running the program says (its
 * development hook). Before the program started any behaviour there is no hook: then any
 * module-shaped value (`Code.Module`: a string `name` and `version`) is taken, and the upgrade
 * says that nothing runs it.
 */
const isBehaviourModule = (value) => {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false
  if (typeof value.name !== "string" || typeof value.version !== "string") return false
  const hook = globalThis[devHookKey]
  return hook === undefined || typeof hook.isModule !== "function" || hook.isModule(value) === true
}

/** The behaviour modules among a module's exports (and a CommonJS `default` object's). */
const behaviourModules = (exports) => {
  const found = []
  const visit = (value) => {
    if (typeof value !== "object" || value === null || found.includes(value)) return
    if (isBehaviourModule(value)) found.push(value)
  }
  const values = Object.values(exports)
  for (const value of values) visit(value)
  if (found.length === 0 && typeof exports.default === "object" && exports.default !== null) {
    for (const value of Object.values(exports.default)) visit(value)
  }
  return found
}

/** The exports of the instance the program runs now (cached: no code runs again). */
const currentExports = async (file) => {
  const cjs = require.cache[file]
  if (cjs !== undefined) return cjs.exports
  const url = loadedUrls.get(file)
  return url === undefined ? undefined : import(url)
}

/**
 * A fresh instance of `file`: imported again under a new URL (ESM), or required again after
 * dropping it from `require.cache` (CommonJS scope); its own imports resolve to the program's
 * cached instances.
 */
const freshExports = async (file) => {
  const n = ++reloads
  if (require.cache[file] !== undefined) {
    const previous = require.cache[file]
    delete require.cache[file]
    try {
      return require(file)
    } catch (error) {
      require.cache[file] = previous // the program keeps the instance that worked
      throw error
    }
  }
  return import(`${pathToFileURL(file).href}?reload=${n}`)
}

// ----------------------------------------------------------------------------
// Swapping
// ----------------------------------------------------------------------------

/** The version of each module name the program runs, as far as the tool knows. */
const versions = new Map()

const formatError = (error) => {
  if (typeof error !== "object" || error === null) return String(error)
  const tag = typeof error._tag === "string" ? error._tag : error.name
  const cause = error.cause === undefined ? "" : `: ${oneLine(causeText(error.cause))}`
  return `${tag}: ${oneLine(error)}${cause}`
}

/** An Effect `Cause` (or anything) as text: its first error's message, else its string form. */
const causeText = (cause) => {
  const reasons = typeof cause === "object" && cause !== null && Array.isArray(cause.reasons) ? cause.reasons : undefined
  const first = reasons?.find((r) => r.error !== undefined || r.defect !== undefined)
  const error = first === undefined ? cause : first.error ?? first.defect
  if (error instanceof Error) return error.message
  if (typeof error === "object" && error !== null && typeof error.message === "string") return error.message
  try {
    return typeof error === "string" ? error : JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

const upgrade = async (file, modules) => {
  const hook = globalThis[devHookKey]
  if (hook === undefined || typeof hook.upgrade !== "function") {
    say(`reloaded ${shown(file)}: ${modules.map((m) => `${m.name} ${m.version}`).join(", ")}, but the program runs no effect-otp library; nothing upgraded`)
    return
  }
  let reports
  try {
    reports = await hook.upgrade(modules)
  } catch (error) {
    say(`hot-swap of ${shown(file)} failed: ${oneLine(error)}`)
    return
  }
  if (reports.length === 0) {
    say(`reloaded ${shown(file)}: no effect-otp node is running; nothing upgraded`)
    return
  }
  for (const report of reports) {
    // The version the upgraded processes ran: the report does not carry it (yet), so what the
    // tool saw last, else the version that was current before this load.
    const from = report.from ?? versions.get(report.name) ?? report.previous ?? report.failed[0]?.from ?? "?"
    say(
      `hot-swap ${report.name} ${from} -> ${report.current}: ${report.upgraded.length} process(es) upgraded ` +
        `in ${report.millis.toFixed(1)} ms`
    )
    for (const failure of report.failed) say(`  ${String(failure.pid)} kept ${failure.from}: ${formatError(failure.error)}`)
    for (const late of report.timedOut ?? []) say(`  ${String(late.pid)} kept ${late.from}: ${oneLine(late.error)}`)
    for (const pid of report.purged ?? []) say(`  ${String(pid)} killed: it ran the purged version`)
  }
  for (const module of modules) {
    // All that ran it kept the old version: they still run what they ran.
    const kept = reports.some((r) =>
      r.name === module.name && r.upgraded.length === 0 && r.failed.length + (r.timedOut?.length ?? 0) > 0
    )
    if (!kept) versions.set(module.name, module.version)
  }
}

/** What each file held when it was last reloaded: a save that changes nothing is skipped. */
const lastSource = new Map()
/** The text of each file as the program runs it (loaded, or last swapped in whole). */
const runningSource = new Map()
/** The checks before a swap: `check` (undefined without typescript), `allowDowngrade`. */
const checks = { check: undefined, allowDowngrade: false, root: "" }

const refused = (file, why) => say(`hot-swap of ${shown(file)} refused: ${why}; the running system is unchanged`)

/** The name `module` is exported under, if a top-level export. */
const exportName = (exports, module) => Object.entries(exports).find(([, value]) => value === module)?.[0]

const reload = async (file) => {
  if (!isFile(file)) return // deleted, or a temporary file already renamed away
  let source
  try {
    source = readFileSync(file, "utf8")
  } catch {
    return
  }
  if (lastSource.get(file) === source) return
  lastSource.set(file, source)
  if (!loadedByProgram(file)) {
    say(`${shown(file)} changed, but the program has not loaded it; ignored`)
    return
  }
  // What the program runs now: the versions its processes started with.
  try {
    const current = await currentExports(file)
    if (current !== undefined) {
      for (const module of behaviourModules(current)) {
        if (!versions.has(module.name)) versions.set(module.name, module.version)
      }
    }
  } catch {
    // the running instance is what it is; its versions stay unknown
  }
  // The type check, before any of the new code runs.
  let states = new Map()
  if (checks.check !== undefined && /\.m?ts$/.test(file)) {
    let result
    try {
      result = checks.check(file, source, runningSource.get(file), checks.root, shown)
    } catch (error) {
      say(`type check of ${shown(file)} failed to run: ${oneLine(error)}; going on without it`)
    }
    if (result !== undefined && result.errors.length > 0) {
      say(`reload of ${shown(file)} failed: it does not type-check; the running system is unchanged`)
      for (const error of result.errors.slice(0, 10)) say(`  ${error}`)
      if (result.errors.length > 10) say(`  ... and ${result.errors.length - 10} more`)
      return
    }
    if (result !== undefined) states = result.states
  }
  let exports
  try {
    exports = await freshExports(file)
  } catch (error) {
    say(`reload of ${shown(file)} failed: ${oneLine(error)}; the running system is unchanged`)
    return
  }
  const found = behaviourModules(exports)
  if (found.length === 0) {
    say(`reloaded ${shown(file)}: no behaviour modules`)
    runningSource.set(file, source)
    return
  }
  const modules = found.filter((module) => {
    const from = versions.get(module.name)
    if (from !== undefined && !checks.allowDowngrade && compareVersions(module.version, from) < 0) {
      refused(file, `${module.name} ${module.version} is older than the running ${from} (--allow-downgrade to swap it in)`)
      return false
    }
    const state = states.get(exportName(exports, module))
    if (state !== undefined && !state.same && typeof module.codeChange !== "function") {
      refused(
        file,
        `${module.name} ${module.version} changes the state type from ${state.running} to ${state.next} ` +
          `and has no codeChange to migrate it (add one, e.g. ${state.behaviour ?? "GenServer"}.migrate)`
      )
      return false
    }
    return true
  })
  if (modules.length === 0) return
  if (modules.length === found.length) runningSource.set(file, source)
  await upgrade(file, modules)
}

// ----------------------------------------------------------------------------
// dev
// ----------------------------------------------------------------------------

const dev = async (args) => {
  let entryArg
  let watchArg
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === "--watch") {
      watchArg = args[++i]
      if (watchArg === undefined) fail("--watch needs a directory")
    } else if (arg === "--allow-downgrade") {
      checks.allowDowngrade = true
    } else if (arg.startsWith("--watch=")) {
      watchArg = arg.slice("--watch=".length)
    } else if (arg.startsWith("-")) {
      fail(`unknown option ${arg}`)
    } else if (entryArg === undefined) {
      entryArg = arg
    } else {
      fail(`unexpected argument ${arg}`)
    }
  }
  if (entryArg === undefined) fail("dev needs an entry file")
  const entryGiven = path.resolve(entryArg)
  if (!isFile(entryGiven)) fail(`no such file: ${entryArg}`)
  const rootGiven = path.resolve(watchArg ?? path.dirname(entryGiven))
  if (!isDirectory(rootGiven)) fail(`no such directory: ${watchArg}`)
  // By real path, as Node names the modules it loads (a project reached through a symlink).
  const entry = realpathSync(entryGiven)
  const root = realpathSync(rootGiven)

  // TypeScript without a build step: tsx's loaders, ESM (and CommonJS for files in a CommonJS
  // scope). `onImport` tells which files the program loaded, and under which URL.
  // tsx is an optional peer dependency: the library does not need it, so its users do not
  // install it (with esbuild, 12 MB) unless they use this tool. Node's own type stripping
  // (`--experimental-strip-types`, 22.6+) does not suffice: it does not resolve the `./x.js`
  // specifiers TypeScript code imports `./x.ts` by, nor report which files a program loaded.
  let register
  let registerCjs
  try {
    ;({ register } = await import("tsx/esm/api"))
    ;({ register: registerCjs } = await import("tsx/cjs/api"))
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND" && error?.code !== "MODULE_NOT_FOUND") throw error
    process.stderr.write(
      "effect-otp dev needs tsx, an optional peer dependency of effect-otp that is not installed.\n" +
        "Install it next to effect-otp:  npm install --save-dev tsx\n"
    )
    process.exit(2)
  }
  registerCjs()
  register({
    onImport: (url) => {
      if (!url.startsWith("file:")) return
      const clean = url.replace(/[?#].*$/, "")
      const file = fileURLToPath(clean)
      if (!loadedUrls.has(file)) {
        loadedUrls.set(file, clean)
        // The text it runs, for the state-type comparison of its next version.
        try {
          if (!runningSource.has(file)) runningSource.set(file, readFileSync(file, "utf8"))
        } catch {
          // unreadable: no comparison
        }
      }
    }
  })

  // Changes, coalesced per file, handled one at a time in the order they settle.
  const timers = new Map()
  let queue = Promise.resolve()
  const onFile = (file) => {
    if (!watchedExtensions.has(path.extname(file))) return
    if (file.split(path.sep).some((part) => ignoredDirectories.has(part))) return
    clearTimeout(timers.get(file))
    const timer = setTimeout(() => {
      timers.delete(file)
      queue = queue.then(() => {
        if (file === entry) {
          if (isFile(file)) say(`${shown(file)} is the entry: it cannot be hot-swapped (restart to apply)`)
          return
        }
        return reload(file).catch((error) => say(`reload of ${shown(file)} failed: ${oneLine(error)}`))
      })
    }, debounceMs)
    timer.unref()
    timers.set(file, timer)
  }
  checks.root = root
  const ts = await loadTypeScript()
  if (ts !== undefined) checks.check = makeChecker(ts)
  watchTree(root, onFile)
  say(`effect-otp dev: running ${shown(entryGiven)}, watching ${shown(rootGiven)} for changes`)
  if (ts === undefined) {
    say("effect-otp dev: typescript is not installed: changed files are swapped without a type check (npm install --save-dev typescript)")
  }

  try {
    await import(pathToFileURL(entry).href)
  } catch (error) {
    process.stderr.write(`effect-otp dev: ${shown(entry)} failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
    process.exitCode = 1
  }
}

const [command, ...rest] = process.argv.slice(2)
if (command === "dev") {
  await dev(rest)
} else if (command === "help" || command === "--help" || command === "-h") {
  say(usage)
} else {
  process.stderr.write(`${command === undefined ? "" : `effect-otp: unknown command ${command}\n\n`}${usage}\n`)
  process.exit(2)
}
