/**
 * The package as a user gets it: `npm pack` (which builds it: `prepack`), the tarball installed
 * with `effect` into a throwaway project, and used there only through the package's `exports`,
 * as the README says:
 *
 * - the README's `ts` examples, exactly as written (`from "effect-otp"`), type-checked against
 *   the built declarations and run, printing what the README says;
 * - `examples/counter.ts`, its imports rewritten only from relative paths to `effect-otp`;
 * - the subpaths `effect-otp/cluster`, `effect-otp/observer` and `effect-otp/xstate` (the root
 *   imports without xstate, an optional peer; the xstate subpath once it is installed);
 * - public types that the declaration bundle once lost (`Node.Node`, an interface and a value of
 *   the same name, was only a value), also in a declaration emit (`declaration: true`);
 * - the dependencies: only `effect` (and optional peers) comes with the package, and the dev
 *   CLI names `tsx`, its optional peer, when it is missing.
 *
 * The project lives in the system's temporary directory, not under this repository: Node and
 * TypeScript resolve a package by walking up the directories, and the repository's own
 * node_modules would hide a dependency the package forgot. npm installs from its cache when it
 * can (`--prefer-offline`); TypeScript is the repository's own compiler.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { root, snippetsOf } from "./support/snippets.js"

const npm = process.platform === "win32" ? "npm.cmd" : "npm"
const run = (command: string, args: ReadonlyArray<string>, cwd: string): string =>
  execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

const versionOf = (name: string): string =>
  (JSON.parse(fs.readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version

/** A program that uses the public types the declaration bundle must keep (type-checked only). */
const typesProgram = `
import { Effect, Layer } from "effect"
import { GenServer, Node, Process } from "effect-otp"
import { Cluster } from "effect-otp/cluster"
import { Observer } from "effect-otp/observer"
import { XState } from "effect-otp/xstate"
import { createMachine } from "xstate"

// Interfaces that share their name with a value: both meanings, through the namespace.
export const needsNode: Effect.Effect<void, never, Node.Node> = Effect.void
export const nodeName: Effect.Effect<string, never, Node.Node> = Node.Node.useSync((node) => node.name)
export const inProcess: Effect.Effect<string, never, Process.CurrentProcess> = Process.CurrentProcess.useSync(String)
export const observer: Layer.Layer<Observer.Observer, Observer.StartError> = Observer.layer({ port: 0 })
export const observerInfo = Observer.Observer.useSync((info) => info)
export const entity = Cluster.entity

// Inferred types that mention the package's types: a declaration emit must be able to name them.
export const started = GenServer.start(
  GenServer.make({ name: "T", init: (n: number) => GenServer.ok(n) }),
  1
)
export const spawned = Process.spawn(Process.receive())
export const hosted = XState.make({ name: "X", machine: createMachine({ context: { n: 0 } }) })
`

describe("the packed package", () => {
  it("installs with effect alone and runs the README's examples as written", () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "effect-otp-package-"))
    try {
      // Pack (prepack builds dist/ first) and install as a user does.
      run(npm, ["pack", "--pack-destination", work], root)
      const tarballs = fs.readdirSync(work).filter((name) => name.endsWith(".tgz"))
      assert.strictEqual(tarballs.length, 1)
      const tarball = path.join(work, tarballs[0]!)
      const project = path.join(work, "project")
      fs.mkdirSync(project)
      fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "user-project", private: true, type: "module" }))
      run(npm, [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        tarball,
        `effect@${versionOf("effect")}`,
        `@types/node@${versionOf("@types/node")}`
      ], project)

      // Dependencies: the package brings nothing but its peer `effect`.
      const installed = JSON.parse(fs.readFileSync(path.join(project, "node_modules", "effect-otp", "package.json"), "utf8")) as {
        dependencies?: Record<string, string>
        peerDependencies?: Record<string, string>
        peerDependenciesMeta?: Record<string, { optional?: boolean }>
      }
      assert.deepStrictEqual(installed.dependencies ?? {}, {})
      const requiredPeers = Object.keys(installed.peerDependencies ?? {}).filter((name) =>
        installed.peerDependenciesMeta?.[name]?.optional !== true
      )
      assert.deepStrictEqual(requiredPeers, ["effect"])
      const tree = JSON.parse(run(npm, ["ls", "--omit=dev", "--all", "--json"], project)) as {
        dependencies: Record<string, { dependencies?: Record<string, { version?: string; missing?: boolean }> }>
      }
      // `npm ls` lists the optional peers too, as not installed.
      const listed = Object.entries(tree.dependencies["effect-otp"]!.dependencies ?? {})
      assert.deepStrictEqual(listed.filter(([, dep]) => dep.version !== undefined && dep.missing !== true).map(([name]) => name), ["effect"])
      for (const [name] of listed) {
        assert.isTrue(name === "effect" || installed.peerDependenciesMeta?.[name]?.optional === true, `${name} comes with the package`)
      }
      for (const absent of ["tsx", "esbuild", "@effect/platform-node", "xstate"]) {
        assert.isFalse(fs.existsSync(path.join(project, "node_modules", absent)), `${absent} was installed`)
      }

      // Without xstate, the root imports; its subpath names the missing package. Then xstate is
      // installed, as a user of the subpath does, for the examples and types below.
      const load = (specifier: string) => run(process.execPath, ["--input-type=module", "-e", `await import(${JSON.stringify(specifier)})`], project)
      load("effect-otp")
      let missing = ""
      try {
        load("effect-otp/xstate")
      } catch (error) {
        missing = String((error as { stderr?: string }).stderr ?? error)
      }
      assert.match(missing, /Cannot find package 'xstate'/)
      run(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", `xstate@${versionOf("xstate")}`], project)

      // The README's examples exactly as written, one example with its relative imports
      // rewritten to the package, the subpaths, and the types.
      const readme = snippetsOf("README.md")
      assert.isAtLeast(readme.length, 3)
      for (const snippet of readme) {
        assert.include(snippet.code, `from "effect-otp"`)
        fs.writeFileSync(path.join(project, snippet.name), `${snippet.code}\nexport {}\n`)
      }
      const counter = fs.readFileSync(path.join(root, "examples", "counter.ts"), "utf8")
        .replace(/from "\.\.\/index\.js"/g, `from "effect-otp"`)
      assert.notInclude(counter, `from "..`)
      fs.writeFileSync(path.join(project, "counter.ts"), counter)
      fs.writeFileSync(
        path.join(project, "subpaths.ts"),
        [
          `import * as Root from "effect-otp"`,
          `import * as ClusterEntry from "effect-otp/cluster"`,
          `import * as ObserverEntry from "effect-otp/observer"`,
          `import * as XStateEntry from "effect-otp/xstate"`,
          `console.log([typeof Root.GenServer.make, typeof ClusterEntry.Cluster.entity, typeof ObserverEntry.Observer.layer, typeof XStateEntry.XState.make].join(" "))`
        ].join("\n")
      )
      fs.writeFileSync(path.join(project, "types.ts"), typesProgram)
      fs.writeFileSync(
        path.join(project, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            target: "ES2022",
            lib: ["ES2022"],
            module: "NodeNext",
            moduleResolution: "NodeNext",
            types: ["node"],
            strict: true,
            exactOptionalPropertyTypes: true,
            declaration: true,
            // As most projects (and this repository) set it: the package's declarations are
            // checked through their use here, not file by file (with effect's, that doubles the time).
            skipLibCheck: true,
            outDir: "out"
          },
          include: ["*.ts"]
        })
      )
      let compiled = ""
      try {
        run(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "."], project)
      } catch (error) {
        compiled = String((error as { stdout?: string }).stdout ?? error)
      }
      assert.strictEqual(compiled, "", `the examples do not compile against the packed package:\n${compiled}`)

      const node = (file: string) => run(process.execPath, [path.join("out", file)], project).trim()
      assert.strictEqual(node(readme[0]!.name.replace(/\.ts$/, ".js")), "2")
      assert.strictEqual(node(readme[1]!.name.replace(/\.ts$/, ".js")), "open")
      assert.match(node(readme[2]!.name.replace(/\.ts$/, ".js")), /^<0\.\d+\.0> exited: disk full$/)
      assert.deepStrictEqual(node("counter.js").replace(/<0\.\d+\.0>/g, "<pid>").split("\n"), [
        "started counter at <pid> with 10",
        "add 5 -> 15",
        "add 1 by name -> 16",
        "after reset -> 0",
        "stopped"
      ])
      assert.strictEqual(node("subpaths.js"), "function function function function")

      // The dev CLI without its optional peer: a clear error that names it, exit status 2.
      const cli = path.join(project, "node_modules", "effect-otp", "bin", "effect-otp.mjs")
      let failure: { status?: number; stderr?: string } | undefined
      try {
        run(process.execPath, [cli, "dev", "counter.ts"], project)
      } catch (error) {
        failure = error as { status?: number; stderr?: string }
      }
      assert.isDefined(failure, "effect-otp dev ran without tsx")
      assert.strictEqual(failure!.status, 2)
      assert.include(failure!.stderr ?? "", "effect-otp dev needs tsx")
      assert.include(failure!.stderr ?? "", "npm install --save-dev tsx")
    } finally {
      fs.rmSync(work, { recursive: true, force: true })
    }
  }, 240_000) // a build, an install and a type check: about 30 s alone here, much more under load
})
