/**
 * The Node the suite runs on. `npm ci` installs the repository's own Node (package.json's `node`
 * devDependency, the npm registry's `node` package), and every npm script runs on it, whatever
 * Node the machine has: the machine's Node only runs npm itself. `.ci/test-on-node` runs the suite
 * again on another line that `engines` names.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { root } from "./support/snippets.js"

const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
  engines: { node: string }
  devDependencies: Record<string, string>
}

type Version = readonly [number, number, number]
const parse = (text: string): Version => {
  const [major = 0, minor = 0, patch = 0] = text.replace(/^v/, "").split(".").map(Number)
  return [major, minor, patch]
}
const compare = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]

/** `engines`' ranges, as this package spells them: `^x.y.z` and `>=x.y.z`, joined by `||`. */
const satisfies = (version: string, range: string): boolean =>
  range.split("||").map((part) => part.trim()).some((part) => {
    const v = parse(version)
    if (part.startsWith("^")) {
      const low = parse(part.slice(1))
      return v[0] === low[0] && compare(v, low) >= 0
    }
    if (part.startsWith(">=")) return compare(v, parse(part.slice(2))) >= 0
    throw new Error(`engines: a range this test does not read: ${part}`)
  })

describe("the Node the suite runs on", () => {
  it("reads engines' ranges (the check below can fail)", () => {
    assert.isFalse(satisfies("v20.20.2", manifest.engines.node))
    assert.isFalse(satisfies("v22.18.0", manifest.engines.node))
    assert.isFalse(satisfies("v23.11.0", manifest.engines.node))
    assert.isTrue(satisfies("v22.19.0", manifest.engines.node))
    assert.isTrue(satisfies("v24.11.0", manifest.engines.node))
    assert.isTrue(satisfies("v26.0.0", manifest.engines.node))
  })

  it("is a Node that package.json's engines names", () => {
    assert.isTrue(satisfies(process.version, manifest.engines.node), `${process.version} is not in ${manifest.engines.node}`)
  })

  it("is the repository's own Node under `npm test`", () => {
    // npm sets npm_lifecycle_event for the script it runs; `.ci/test-on-node` runs vitest itself.
    if (process.env.npm_lifecycle_event !== "test") return
    assert.strictEqual(process.version, `v${manifest.devDependencies.node}`)
  })
})
