/**
 * `registry_lookups_per_second` and `registry_registrations_per_second`: one process registers
 * `n` distinct keys in a unique registry (each registration an Effect step), then looks each
 * key up `lookupRounds` times. Lookups read the registry's table directly (no message to the
 * registry process), which is what lets a lookup-heavy workload scale.
 *
 * - effect-otp: `Registry.register(registry, key, value)` then `Registry.lookup(registry, key)`.
 * - effect-queue (raw Effect): a `Ref` holding an immutable `HashMap`, `Ref.update` to register
 *   and `Ref.get` + `HashMap.get` to look up: what an Effect user writes for a shared table.
 * - plain-js: a `Map`, `set` and `get` (the floor; no process, no cleanup on exit).
 * - xstate: absent. Its registry is the system's `systemId`s, registered only when an actor is
 *   spawned with one (`enqueue.spawnChild(logic, { systemId })`), and spawning `n` children of
 *   one machine is quadratic (each spawn copies the machine's children): 8,000 take about 30 s
 *   here, so a 200k-entry registry cannot be built (see `absences` in `records.ts`).
 * - erlang: ETS, as Elixir's Registry: `ets:insert_new` of `{Key, Pid, Value}` plus the owner
 *   entry `{Pid, Key}`, then `ets:lookup` (bench/erlang/bench.erl).
 */
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { Process, Registry } from "../index.js"
import { check, perSecond, runCase, runOnNode } from "./common.js"

const lookupRounds = 5

const keyOf = (i: number) => `key-${i}`

runCase({
  benchmark: "registry_lookups_per_second",
  unit: "lookups/s",
  extra: [{ benchmark: "registry_registrations_per_second", unit: "registrations/s" }],
  size: { full: 200_000, quick: 20_000 },
  reps: { full: 3, quick: 1 },
  systems: {
    "effect-otp": (n) =>
      runOnNode(Process.run(Effect.gen(function*() {
        const registry = yield* Registry.start<string, number, "unique">({ name: "bench", keys: "unique" })
        const keys = Array.from({ length: n }, (_, i) => keyOf(i))
        const t0 = performance.now()
        for (let i = 0; i < n; i++) yield* Registry.register(registry, keys[i]!, i)
        const t1 = performance.now()
        let found = 0
        for (let round = 0; round < lookupRounds; round++) {
          for (let i = 0; i < n; i++) found += (yield* Registry.lookup(registry, keys[i]!)).length
        }
        const t2 = performance.now()
        check("entries found", found, n * lookupRounds)
        return {
          registry_registrations_per_second: perSecond(n, t1 - t0),
          registry_lookups_per_second: perSecond(n * lookupRounds, t2 - t1)
        }
      }))),

    "effect-queue": (n) =>
      Effect.runPromise(Effect.gen(function*() {
        const table = yield* Ref.make(HashMap.empty<string, number>())
        const keys = Array.from({ length: n }, (_, i) => keyOf(i))
        const t0 = performance.now()
        for (let i = 0; i < n; i++) yield* Ref.update(table, HashMap.set(keys[i]!, i))
        const t1 = performance.now()
        let found = 0
        for (let round = 0; round < lookupRounds; round++) {
          for (let i = 0; i < n; i++) {
            if (Option.isSome(HashMap.get(yield* Ref.get(table), keys[i]!))) found++
          }
        }
        const t2 = performance.now()
        check("entries found", found, n * lookupRounds)
        return {
          registry_registrations_per_second: perSecond(n, t1 - t0),
          registry_lookups_per_second: perSecond(n * lookupRounds, t2 - t1)
        }
      })),

    "plain-js": async (n) => {
      const table = new Map<string, number>()
      const keys = Array.from({ length: n }, (_, i) => keyOf(i))
      const t0 = performance.now()
      for (let i = 0; i < n; i++) table.set(keys[i]!, i)
      const t1 = performance.now()
      let found = 0
      for (let round = 0; round < lookupRounds; round++) {
        for (let i = 0; i < n; i++) if (table.get(keys[i]!) !== undefined) found++
      }
      const t2 = performance.now()
      check("entries found", found, n * lookupRounds)
      return {
        registry_registrations_per_second: perSecond(n, t1 - t0),
        registry_lookups_per_second: perSecond(n * lookupRounds, t2 - t1)
      }
    }
  }
})
