/**
 * The checks `effect-otp dev` makes before it swaps a changed file into the running program:
 * a type check (TypeScript's compiler API, the project's tsconfig), the state types of its
 * behaviour modules (a GenServer's state, a StateMachine's states and data) compared with the
 * running version's, and version order. Loaded by the CLI
 * only: the library never imports the compiler.
 */
import * as fs from "node:fs"
import * as path from "node:path"

/**
 * The TypeScript compiler, or `undefined` when it is not installed (an optional peer: the type
 * check is then skipped, and the tool says so once).
 */
export const loadTypeScript = async () => {
  try {
    const ts = await import("typescript")
    return ts.default ?? ts
  } catch (error) {
    if (error?.code === "ERR_MODULE_NOT_FOUND" || error?.code === "MODULE_NOT_FOUND") return undefined
    throw error
  }
}

/**
 * How the type-only field of a behaviour module's type is named: `~effect-otp/<Behaviour>`
 * (`GenServer.TypeId`, `StateMachine.TypeId`). It carries the types of what the module's
 * processes keep: `_S`, a GenServer's state or a StateMachine's states, and `_D`, a
 * StateMachine's data.
 */
const typeIdPrefix = "~effect-otp/"

/** Options when no tsconfig.json is found above a file: strict, Node's ES modules. */
const defaultOptions = (ts) => ({
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  skipLibCheck: true
})

/**
 * A checker over one TypeScript instance. `check(file, source, runningSource, root)` type-checks
 * `file` (with `source`, what is on disk now) and the files it imports from under `root`, and
 * reads the state type of each behaviour module it exports, and of the same export in
 * `runningSource` (the file's text as the program loaded it: a virtual file beside it, so that
 * its imports resolve the same way). It returns `{ errors, states }`: `errors` as
 * `file:line: message` lines, `states` a Map from export name to `{ running, next, same,
 * behaviour }` (the two state types as text, whether the running state can be kept as it is, and
 * the behaviour's name from its type id). A state is kept when each type is assignable to the
 * other; a StateMachine's when its data types are, and its running states are among the new
 * ones (a state added is no change for the running machine, a state dropped is).
 */
export const makeChecker = (ts) => {
  const configs = new Map()
  let previous
  // Parsed files by path, kept while their modification time and size hold: a check parses only
  // what changed, not effect's declarations again (measured on examples/hot-reload: 2.7 s of CPU per
  // check with every file parsed again, 0.4-0.6 s with this cache; the first check parses all).
  const parsed = new Map()
  const optionsFor = (file) => {
    const configPath = ts.findConfigFile(path.dirname(file), ts.sys.fileExists)
    if (configPath === undefined) return defaultOptions(ts)
    let options = configs.get(configPath)
    if (options === undefined) {
      const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: () => {}
      })
      options = parsed?.options ?? defaultOptions(ts)
      configs.set(configPath, options)
    }
    return options
  }

  return (file, source, runningSource, root, shown) => {
    const options = { ...optionsFor(file), noEmit: true, incremental: false, composite: false }
    const running = runningSource !== undefined && runningSource !== source
      ? path.join(path.dirname(file), `.${path.basename(file, path.extname(file))}.effect-otp-running${path.extname(file)}`)
      : undefined
    const host = ts.createCompilerHost(options)
    const getSourceFile = host.getSourceFile.bind(host)
    const fileExists = host.fileExists.bind(host)
    const readFile = host.readFile.bind(host)
    const virtual = (name) => running !== undefined && path.resolve(name) === running
    host.getSourceFile = (name, languageVersion, onError, fresh) => {
      if (virtual(name)) return ts.createSourceFile(name, runningSource, languageVersion, true)
      if (path.resolve(name) === file) return ts.createSourceFile(name, source, languageVersion, true)
      let stamp
      try {
        const stat = fs.statSync(name)
        stamp = `${stat.mtimeMs}:${stat.size}`
      } catch {
        return getSourceFile(name, languageVersion, onError, fresh)
      }
      // The language version and, under NodeNext, the module format the file is read as.
      const target = typeof languageVersion === "object"
        ? `${languageVersion.languageVersion}:${languageVersion.impliedNodeFormat}`
        : languageVersion
      const key = `${path.resolve(name)}\0${target}`
      const kept = parsed.get(key)
      if (kept !== undefined && kept.stamp === stamp) return kept.sourceFile
      const sourceFile = getSourceFile(name, languageVersion, onError, fresh)
      if (sourceFile !== undefined) parsed.set(key, { stamp, sourceFile })
      return sourceFile
    }
    host.fileExists = (name) => virtual(name) || fileExists(name)
    host.readFile = (name) => (virtual(name) ? runningSource : path.resolve(name) === file ? source : readFile(name))
    const program = ts.createProgram({
      rootNames: running === undefined ? [file] : [file, running],
      options,
      host,
      oldProgram: previous
    })
    previous = program

    // The changed file and what it imports from the watched tree (not the libraries).
    const local = program.getSourceFiles().filter((sf) => {
      const name = path.resolve(sf.fileName)
      if (sf.isDeclarationFile || virtual(name) || name.split(path.sep).includes("node_modules")) return false
      return name === file || !path.relative(root, name).startsWith("..")
    })
    const errors = []
    for (const sf of local) {
      for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
        if (d.category !== ts.DiagnosticCategory.Error) continue
        // The chain's first line and its innermost reason (the whole chain runs to pages).
        const chain = ts.flattenDiagnosticMessageText(d.messageText, "\n").split("\n").map((l) => l.trim()).filter((l) => l !== "")
        const message = chain.length > 1 ? `${chain[0]} ... ${chain.at(-1)}` : chain[0] ?? ""

        if (d.file === undefined || d.start === undefined) {
          errors.push(message)
        } else {
          const { line } = d.file.getLineAndCharacterOfPosition(d.start)
          errors.push(`${shown(path.resolve(d.file.fileName))}:${line + 1}: ${message}`)
        }
      }
    }

    const checker = program.getTypeChecker()
    // Public since TypeScript 5.4 and 5.0; older compilers compare the types as text.
    const assignable = typeof checker.isTypeAssignableTo === "function"
      ? (a, b) => checker.isTypeAssignableTo(a, b)
      : (a, b) => checker.typeToString(a) === checker.typeToString(b)
    /** The kept types of each behaviour module `name` exports: `{ behaviour, state, data }` (`data` for a StateMachine only). */
    const statesOf = (name) => {
      const result = new Map()
      const sf = program.getSourceFile(name)
      const symbol = sf === undefined ? undefined : checker.getSymbolAtLocation(sf)
      if (symbol === undefined) return result
      for (const exported of checker.getExportsOfModule(symbol)) {
        const type = checker.getTypeOfSymbol(exported)
        for (const id of type.getProperties()) {
          if (!id.getName().startsWith(typeIdPrefix)) continue
          const fields = checker.getTypeOfSymbol(id)
          const state = fields.getProperty("_S")
          if (state === undefined) continue
          const data = fields.getProperty("_D")
          result.set(exported.getName(), {
            behaviour: id.getName().slice(typeIdPrefix.length),
            state: checker.getTypeOfSymbol(state),
            data: data === undefined ? undefined : checker.getTypeOfSymbol(data)
          })
          break
        }
      }
      return result
    }
    const typeText = (kept) =>
      kept.data === undefined
        ? checker.typeToString(kept.state)
        : `{ state: ${checker.typeToString(kept.state)}; data: ${checker.typeToString(kept.data)}; }`
    const states = new Map()
    if (running !== undefined) {
      const before = statesOf(running)
      for (const [name, next] of statesOf(file)) {
        const was = before.get(name)
        if (was === undefined) continue
        const same = was.data === undefined || next.data === undefined
          ? was.data === next.data && assignable(was.state, next.state) && assignable(next.state, was.state)
          : assignable(was.data, next.data) && assignable(next.data, was.data) && assignable(was.state, next.state)
        states.set(name, { running: typeText(was), next: typeText(next), same, behaviour: next.behaviour })
      }
    }
    return { errors, states }
  }
}

/**
 * Orders two versions: numerically when both are numbers; else dot- or dash-separated parts
 * (`1.10.0` after `1.9.2`), numeric parts numerically, others as strings. Negative when `a` is
 * older than `b`.
 */
export const compareVersions = (a, b) => {
  const number = /^\s*-?\d+(\.\d+)?\s*$/
  if (number.test(a) && number.test(b) && !/\..*\./.test(a) && !/\..*\./.test(b)) return Number(a) - Number(b)
  const pa = a.split(/[.+-]/)
  const pb = b.split(/[.+-]/)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i]
    const y = pb[i]
    if (x === undefined) return -1
    if (y === undefined) return 1
    const nx = /^\d+$/.test(x)
    const ny = /^\d+$/.test(y)
    const order = nx && ny ? Number(x) - Number(y) : nx ? -1 : ny ? 1 : x < y ? -1 : x > y ? 1 : 0
    if (order !== 0) return order
  }
  return 0
}
