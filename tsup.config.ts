import { defineConfig } from "tsup"

export default defineConfig({
  // One entry per subpath export: the root (process core and behaviours), and distribution and
  // the observer apart, so that importing the root loads no cluster, SQL or HTTP code.
  entry: { index: "index.ts", cluster: "cluster/index.ts", observer: "observer/index.ts" },
  format: ["esm", "cjs"],
  // The entries share their common modules as chunks (CJS too, where splitting is not the
  // default): a second copy of the process core in a subpath's bundle would be a second
  // runtime, whose pids and servers the root's would not know.
  splitting: true,
  dts: true,
  sourcemap: true,
  clean: true,
  outDir: "dist",
  target: "es2022",
  external: ["effect"],
  treeshake: false
})
