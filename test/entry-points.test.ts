/**
 * The package's entry points: `effect-otp` (the process core and the behaviours),
 * `effect-otp/cluster`, `effect-otp/observer` and `effect-otp/xstate`. A program that imports
 * only the root must not load the cluster's, SQL's, HTTP's or xstate's code (xstate is an
 * optional peer: a program without it must be able to import the root): the package is built as published (the entries and
 * chunks of `tsup.config.ts`, without declarations), each entry is imported by a fresh Node
 * process whose module loader records every module it resolves, and the CommonJS build's
 * `require` graph is read from the files.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { builtinModules } from "node:module"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { build } from "tsup"
import config from "../tsup.config.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const work = path.join(root, "temp", "entry-points")
const outDir = path.join(work, "dist")

/** Modules no root import may load: cluster, SQL, HTTP servers and clients, sockets, xstate. */
const forbidden: ReadonlyArray<RegExp> = [
  /\/effect\/dist\/cluster\//,
  /\/effect\/dist\/sql\//,
  // `effect/http/Headers` is a data type that `effect/Schema` itself loads; the HTTP code is
  // in the `Http*` modules (server, client, router, request, response).
  /\/effect\/dist\/http\/Http/,
  /\/effect\/dist\/socket\//,
  /\/@effect\/platform-node\//,
  /\/@effect\/sql-/,
  /^node:(http|https|http2|net)$/,
  // The package (a loaded URL under node_modules, or a required specifier as `asUrl` names it).
  /(^|\/node_modules)\/xstate\//
]

const hooks = `
import { appendFileSync } from "node:fs"
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  appendFileSync(process.env.EFFECT_OTP_LOAD_LOG, result.url + "\\n")
  return result
}
`
const register = `
import { register } from "node:module"
register("./hooks.mjs", import.meta.url)
`

/** Every module a fresh Node process resolves while importing `entry` (ESM), as URLs. */
const loadedBy = (entry: string): ReadonlyArray<string> => {
  const log = path.join(work, `${entry}.log`)
  fs.rmSync(log, { force: true })
  execFileSync(
    process.execPath,
    [
      "--import",
      path.join(work, "register.mjs"),
      "--input-type=module",
      "-e",
      `await import(${JSON.stringify(path.join(outDir, `${entry}.js`))})`
    ],
    { cwd: root, env: { ...process.env, EFFECT_OTP_LOAD_LOG: log }, encoding: "utf8" }
  )
  return fs.readFileSync(log, "utf8").split("\n").filter((line) => line !== "")
}

/** The packages and built-ins the CommonJS file `file` requires, its chunks followed. */
const requiredBy = (file: string, seen = new Set<string>()): Set<string> => {
  const found = new Set<string>()
  if (seen.has(file)) return found
  seen.add(file)
  const text = fs.readFileSync(path.join(outDir, file), "utf8")
  for (const match of text.matchAll(/(?:require|import)\((["'])([^"']+)\1\)/g)) {
    const specifier = match[2]!
    if (specifier.startsWith("./")) {
      for (const inner of requiredBy(specifier.slice(2), seen)) found.add(inner)
    } else {
      found.add(builtinModules.includes(specifier) ? `node:${specifier}` : specifier)
    }
  }
  return found
}

const offending = (modules: Iterable<string>): Array<string> =>
  [...modules].filter((url) => forbidden.some((pattern) => pattern.test(url)))

/** A required specifier as the loader would name it, for the same patterns. */
const asUrl = (specifier: string): string =>
  specifier.startsWith("node:") ? specifier : `/${specifier.replace(/^effect\//, "effect/dist/")}/`

describe("entry points", () => {
  it("the package builds with its four entries", async () => {
    fs.rmSync(work, { recursive: true, force: true })
    fs.mkdirSync(work, { recursive: true })
    fs.writeFileSync(path.join(work, "hooks.mjs"), hooks)
    fs.writeFileSync(path.join(work, "register.mjs"), register)
    await build({ ...config, dts: false, sourcemap: false, silent: true, outDir })
    for (const entry of ["index", "cluster", "observer", "xstate"]) {
      assert.isTrue(fs.existsSync(path.join(outDir, `${entry}.js`)), `${entry}.js`)
      assert.isTrue(fs.existsSync(path.join(outDir, `${entry}.cjs`)), `${entry}.cjs`)
    }
  }, 120_000)

  it("importing the root loads no cluster, SQL, HTTP or xstate code", () => {
    const loaded = loadedBy("index")
    // The recorder works: it saw the entry and the core of effect.
    assert.isTrue(loaded.some((url) => url.endsWith("/dist/index.js")))
    assert.isTrue(loaded.some((url) => url.includes("/effect/dist/Effect.js")))
    assert.deepStrictEqual(offending(loaded), [])
  }, 60_000)

  it("the cluster, observer and xstate entries load what they need (the check above can fail)", () => {
    const cluster = loadedBy("cluster")
    assert.isTrue(cluster.some((url) => url.includes("/effect/dist/cluster/Sharding.js")))
    assert.isTrue(cluster.some((url) => url.includes("/effect/dist/sql/SqlClient.js")))
    const observer = loadedBy("observer")
    assert.isTrue(observer.some((url) => url.includes("/effect/dist/http/HttpServerResponse.js")))
    const xstate = loadedBy("xstate")
    assert.isNotEmpty(offending(xstate).filter((url) => url.includes("/node_modules/xstate/")))
    // They share the root's process core: one chunk holds it (no entry has a copy of its own),
    // and all four entries load that chunk.
    const holders = fs.readdirSync(outDir).filter((file) =>
      file.endsWith(".js") && fs.readFileSync(path.join(outDir, file), "utf8").includes("// lib/internal/runtime.ts")
    )
    assert.lengthOf(holders, 1)
    assert.match(holders[0]!, /^chunk-/)
    const core = pathToFileURL(path.join(outDir, holders[0]!)).href
    for (const loaded of [loadedBy("index"), cluster, observer, xstate]) assert.include(loaded, core)
  }, 60_000)

  it("the CommonJS root requires no cluster, SQL, HTTP or xstate code", () => {
    const required = [...requiredBy("index.cjs")]
    assert.isTrue(required.includes("effect/Effect"))
    assert.deepStrictEqual(offending(required.map(asUrl)), [])
    // The same reading finds them in the subpaths.
    assert.isNotEmpty(offending([...requiredBy("cluster.cjs")].map(asUrl)))
    assert.isNotEmpty(offending([...requiredBy("observer.cjs")].map(asUrl)))
    assert.include([...requiredBy("xstate.cjs")], "xstate")
  })
})
