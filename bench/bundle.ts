/**
 * How the runner starts a case file: as a bundle built once per run, or through tsx.
 *
 * Loading a case through `--import tsx` costs 2-5 s per child (tsx's module hooks resolve each
 * of the hundreds of modules of `effect` on another thread), and a run starts a child per
 * (benchmark, system): minutes of a full run and most of a `--quick` one. So the runner bundles
 * each case file with esbuild (the transpiler tsx itself uses; a dependency of tsx) into a
 * temporary directory under `node_modules/.cache/` (so that Node resolves the packages from
 * there as from the project): the project's TypeScript (the case, `index.ts`, `lib/`, `behaviours/`, `cluster/`) in
 * one ES module, every package (`effect`, `xstate`, `nact`) left external, loaded by Node from
 * `node_modules` as a user's program loads it. Nothing is minified; names stay, so
 * `--cpu-prof` profiles read as the source. Without esbuild, the children run through tsx.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import * as path from "node:path"

/** How to start a case file: Node arguments before the case's own (`--system`, `--quick`). */
export interface Launcher {
  /** `node <args...>` for `file` (a path relative to `bench/`). */
  readonly args: (file: string) => Promise<ReadonlyArray<string>>
  /** What the children run: shown in the header. */
  readonly description: string
  /** Removes the bundles. */
  readonly dispose: () => void
}

interface EsbuildLike {
  readonly build: (options: Record<string, unknown>) => Promise<{ readonly errors: ReadonlyArray<unknown> }>
}

/** The tsx launcher: each child compiles its case on the fly. */
export const tsxLauncher = (benchDir: string): Launcher => ({
  args: (file) => Promise.resolve(["--import", "tsx", path.join(benchDir, file)]),
  description: "tsx (no esbuild: each child compiles its case)",
  dispose: () => {}
})

/** The bundling launcher, or the tsx one when esbuild cannot be loaded. */
export const makeLauncher = async (benchDir: string): Promise<Launcher> => {
  let esbuild: EsbuildLike
  try {
    esbuild = (await import("esbuild")) as unknown as EsbuildLike
  } catch {
    return tsxLauncher(benchDir)
  }
  const cache = path.join(path.dirname(benchDir), "node_modules", ".cache", "effect-otp-bench")
  mkdirSync(cache, { recursive: true })
  const outDir = mkdtempSync(path.join(cache, "run-"))
  const built = new Map<string, Promise<string>>()
  const bundle = (file: string): Promise<string> => {
    const existing = built.get(file)
    if (existing !== undefined) return existing
    const outfile = path.join(outDir, file.replace(/\.ts$/, ".mjs"))
    const done = esbuild.build({
      entryPoints: [path.join(benchDir, file)],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: `node${process.versions.node.split(".")[0]}`,
      packages: "external",
      sourcemap: false,
      minify: false,
      logLevel: "error"
    }).then(() => outfile)
    built.set(file, done)
    return done
  }
  return {
    args: async (file) => [await bundle(file)],
    description: "esbuild bundles of the cases (packages external, not minified)",
    dispose: () => rmSync(outDir, { recursive: true, force: true })
  }
}
