import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"
import { LongFirst } from "./test/setup/sequencer.js"

export default defineConfig({
  // The cluster is written against the package's public entry, as a user's code is
  // (`import { GenServer } from "effect-otp"`, mapped by tsconfig.json's `paths`).
  resolve: { alias: [{ find: /^effect-otp$/, replacement: fileURLToPath(new URL("./index.ts", import.meta.url)) }] },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/setup/postgres.ts"],
    typecheck: {
      enabled: true,
      include: ["test/**/*.test-d.ts"],
      // The type tests and what they import; `npm run typecheck` checks the whole repository.
      tsconfig: "./tsconfig.typetests.json"
    },
    execArgv: ["--expose-gc"],
    // Vitest's default is one worker per core but one (2 - 1 = 1 here), which runs the files one
    // after another; most of the long files wait on child processes (tsc, tsx, npm, PostgreSQL,
    // Chromium), so three workers keep both cores busy.
    maxWorkers: 3,
    // A worker runs its files in one module graph instead of importing effect and the library
    // again per file: measured on this machine, the suite took 255 s of CPU and 138 s isolated,
    // 177 s and 97 s not. Nothing in the library is global (its tables are per node, in
    // WeakMaps), and each file builds its own nodes; the suite passes in any file order
    // (`--sequence.shuffle.files`).
    isolate: false,
    sequence: { sequencer: LongFirst },
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
