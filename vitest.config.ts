import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

// Vitest 5's reporter calls Map.groupBy, which Node 20 lacks (Node 21+); without it a failing
// run crashes while printing its summary. The config runs in the reporter's process.
if (typeof (Map as { groupBy?: unknown }).groupBy !== "function") {
  Object.defineProperty(Map, "groupBy", {
    configurable: true,
    writable: true,
    value: <K, T>(items: Iterable<T>, key: (item: T, index: number) => K): Map<K, Array<T>> => {
      const groups = new Map<K, Array<T>>()
      let index = 0
      for (const item of items) {
        const k = key(item, index++)
        const group = groups.get(k)
        if (group === undefined) groups.set(k, [item])
        else group.push(item)
      }
      return groups
    }
  })
}

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
      tsconfig: "./tsconfig.json"
    },
    execArgv: ["--expose-gc"],
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
