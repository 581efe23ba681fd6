import { defineConfig } from "tsup"

export default defineConfig({
  // One entry per subpath export: the root (process core and behaviours), and distribution, the
  // observer and the xstate adapter apart, so that importing the root loads no cluster, SQL,
  // HTTP or xstate code.
  entry: { index: "index.ts", cluster: "cluster/index.ts", observer: "observer/index.ts", xstate: "xstate/index.ts" },
  format: ["esm", "cjs"],
  // The entries share their common modules as chunks (CJS too, where splitting is not the
  // default): a second copy of the process core in a subpath's bundle would be a second
  // runtime, whose pids and servers the root's would not know.
  splitting: true,
  // Declarations are TypeScript's own, one file per module (`tsc -p tsconfig.build.json` in
  // `npm run build`, the same files the API report reads), not a bundle: the bundler rebuilt each
  // `import * as Node` namespace with one meaning per name, so `Node.Node` (an interface and a
  // value) lost its type, and a user's declaration emit could not name the types it held in a
  // private chunk (TS2883). The CommonJS build shares them: effect itself ships ES modules only,
  // so a CommonJS program needs require(esm) (Node 22.12+) for both. package.json's exports map
  // `effect-otp/lib/*` (and behaviours, cluster, observer) to these files for types only, so
  // that TypeScript can name a type it infers from the package in a user's own declarations
  // (`import("effect-otp/lib/Gen.js").StartError`); at run time those paths are not exported.
  dts: false,
  sourcemap: true,
  clean: true,
  outDir: "dist",
  target: "es2022",
  // xstate is an optional peer (tsup leaves peers out anyway; said here as for effect).
  external: ["effect", "xstate"],
  treeshake: false
})
