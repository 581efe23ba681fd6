/**
 * The fenced ```ts blocks of the documentation, as users read and copy them: shared by
 * test/docs.test.ts (every example compiles against the sources) and test/package.test.ts (the
 * README's run against the packed package).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The repository's root. */
export const root = fileURLToPath(new URL("../..", import.meta.url))

/** One example: where it comes from, a file name for it, and its code exactly as written. */
export interface Snippet {
  readonly source: string
  readonly name: string
  readonly code: string
}

/** Fenced ```ts blocks of a Markdown file, or of the doc comments of a TypeScript file. */
export const snippetsOf = (relative: string): Array<Snippet> => {
  const text = fs.readFileSync(path.join(root, relative), "utf8")
  const lines = relative.endsWith(".md")
    ? text.split("\n")
    : text.split("\n").map((line) => line.replace(/^\s*\* ?/, ""))
  const out: Array<Snippet> = []
  let current: Array<string> | undefined
  for (const line of lines) {
    if (current === undefined) {
      if (/^```ts\s*$/.test(line.trim())) current = []
    } else if (line.trim() === "```") {
      out.push({ source: relative, name: `${relative.replace(/[/.]/g, "_")}_${out.length + 1}.ts`, code: current.join("\n") })
      current = undefined
    } else {
      current.push(line)
    }
  }
  return out
}
