/**
 * The examples in the README and in the modules' doc comments are documentation users copy:
 * every one must compile against the real API, and the README's must also run and print what
 * the README says. Here the examples import the sources (`effect-otp` rewritten to a relative
 * path), so that a change is checked without a build; test/package.test.ts runs the README's as
 * written, against the packed package.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Shared from "./support/snippets.js"
import { root } from "./support/snippets.js"

const outDir = path.join(root, "temp", "doc-examples")

interface Snippet extends Shared.Snippet {
  readonly file: string
}

const snippetsOf = (relative: string): Array<Snippet> =>
  Shared.snippetsOf(relative).map((snippet) => ({ ...snippet, file: path.join(outDir, snippet.name) }))

/** The TypeScript files of `dir` (relative to the root), and of its folders if `deep`. */
const tsFilesOf = (dir: string, deep: boolean): Array<string> =>
  fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? deep ? tsFilesOf(`${dir}/${entry.name}`, deep) : []
      : entry.name.endsWith(".ts")
      ? [`${dir}/${entry.name}`]
      : []
  )

const sources = [
  "README.md",
  ...["lib", "behaviours"].flatMap((dir) => tsFilesOf(dir, false)),
  // The cluster's and the observer's public declarations live in their `internal/` modules,
  // re-exported by the public one: their examples are there.
  ...["cluster", "observer", "xstate"].flatMap((dir) => tsFilesOf(dir, true))
]

const write = (snippet: Snippet) => {
  const code = snippet.code
    .replace(/from "effect-otp"/g, `from "../../index.js"`)
    .replace(/from "effect-otp\/(cluster|observer|xstate)"/g, `from "../../$1/index.js"`)
  // Each snippet is its own module, so top-level names do not clash.
  fs.writeFileSync(snippet.file, `${code}\nexport {}\n`)
}

describe("documentation examples", () => {
  const snippets = sources.flatMap(snippetsOf)

  it("there are examples to check", () => {
    assert.isAbove(snippets.length, 20)
  })

  it("every example in the README and the doc comments compiles", () => {
    fs.rmSync(outDir, { recursive: true, force: true })
    fs.mkdirSync(outDir, { recursive: true })
    snippets.forEach(write)
    fs.writeFileSync(path.join(outDir, "tsconfig.json"), JSON.stringify({
      extends: "../../tsconfig.json",
      // Snippets show one thing each and may leave names unused.
      compilerOptions: { noUnusedLocals: false, noUnusedParameters: false },
      include: ["*.ts"]
    }))
    const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc")
    let output = ""
    try {
      execFileSync(process.execPath, [tsc, "-p", path.join(outDir, "tsconfig.json")], { cwd: root, encoding: "utf8" })
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error)
    }
    assert.strictEqual(output, "", `documentation examples that do not compile:\n${output}`)
  }, 120_000)

  it("the README's examples run and print what the README says", () => {
    const readme = snippetsOf("README.md")
    fs.mkdirSync(outDir, { recursive: true })
    readme.forEach(write)
    const run = (snippet: Snippet) =>
      execFileSync(process.execPath, ["--import", "tsx", snippet.file], { cwd: root, encoding: "utf8" }).trim()
    assert.strictEqual(run(readme[0]!), "2")
    assert.strictEqual(run(readme[1]!), "open")
    assert.match(run(readme[2]!), /^<0\.\d+\.0> exited: disk full$/)
  }, 120_000)
})
