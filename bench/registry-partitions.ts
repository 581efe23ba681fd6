/**
 * What `Registry` partitions buy (not a case of `run.ts`): register / lookup / exit churn of
 * 100k entries, for 1, 4 and 16 partitions.
 *
 *   node_modules/.bin/tsx bench/registry-partitions.ts [--partitions 1,4,16] [--rounds 3]
 *
 * - unique: 10k processes register 10 keys each (100k entries), 5 lookups of every key, then
 *   every process is killed and the time until the table is empty is taken.
 * - duplicate, one hot topic: 20k processes register under the topic "hot" and 4 keys of their
 *   own (100k entries), 5 lookups of every key (the hot one, 20k entries, once a round), then
 *   every process is killed.
 *
 * Prints one line per (mode, partitions): the median of `rounds` runs, each on a fresh node.
 */
import * as Effect from "effect/Effect"
import { ExitReason, Node, Process, Registry } from "../index.js"
import type { Pid } from "../index.js"

const argument = (name: string, fallback: string): string => {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? process.argv[index + 1]! : fallback
}
const partitionCounts = argument("partitions", "1,4,16").split(",").map(Number)
const rounds = Number(argument("rounds", "3"))
const lookupRounds = 5

class Go {
  constructor(readonly replyTo: Pid.Pid) {}
}

interface Shape {
  readonly mode: "unique" | "duplicate"
  readonly processes: number
  /** The keys process `i` registers. */
  readonly keysOf: (i: number) => ReadonlyArray<string>
}

const shapes: ReadonlyArray<Shape> = [
  { mode: "unique", processes: 10_000, keysOf: (i) => Array.from({ length: 10 }, (_, k) => `k${i}-${k}`) },
  { mode: "duplicate", processes: 20_000, keysOf: (i) => ["hot", ...Array.from({ length: 4 }, (_, k) => `k${i}-${k}`)] }
]

const run = (shape: Shape, partitions: number) =>
  Effect.gen(function*() {
    const options = { name: "bench", keys: shape.mode, ...(partitions === 1 ? {} : { partitions }) }
    const registry = yield* Registry.start<string, number>(options)
    const self = yield* Process.self
    const pids: Array<Pid.Pid> = []
    for (let i = 0; i < shape.processes; i++) {
      const keys = shape.keysOf(i)
      pids.push(yield* Process.spawn(Effect.gen(function*() {
        const go = (yield* Process.receive({ match: (m): m is Go => m instanceof Go })) as Go
        for (const key of keys) yield* Effect.orDie(Registry.register(registry, key, i))
        yield* Process.send(go.replyTo, "registered")
        yield* Process.receive({ match: () => false })
      })))
    }
    const t0 = performance.now()
    for (const pid of pids) yield* Process.send(pid, new Go(self))
    for (let i = 0; i < shape.processes; i++) yield* Process.receive({ match: (m) => m === "registered" })
    const t1 = performance.now()
    let found = 0
    for (let round = 0; round < lookupRounds; round++) {
      for (let i = 0; i < shape.processes; i++) {
        // The hot topic is looked up once per round, not once per process.
        for (const key of shape.keysOf(i)) if (key !== "hot" || i === 0) found += (yield* Registry.lookup(registry, key)).length
      }
    }
    const t2 = performance.now()
    const entries = yield* Registry.count(registry)
    for (const pid of pids) yield* Process.exit(pid, ExitReason.kill)
    while ((yield* Registry.count(registry)) > 0) yield* Effect.yieldNow
    const t3 = performance.now()
    return { entries, found, register: t1 - t0, lookup: t2 - t1, exit: t3 - t2 }
  })

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[values.length >> 1]!

const main = async () => {
  for (const shape of shapes) {
    for (const partitions of partitionCounts) {
      const results: Array<Effect.Success<ReturnType<typeof run>>> = []
      for (let r = 0; r < rounds; r++) {
        results.push(await Effect.runPromise(Process.run(run(shape, partitions)).pipe(Effect.provide(Node.layer()))))
      }
      const m = (f: (r: typeof results[number]) => number) => median(results.map(f)).toFixed(0).padStart(6)
      console.log(
        `${shape.mode.padEnd(9)} partitions ${String(partitions).padStart(2)}: ${results[0]!.entries} entries;` +
          ` register ${m((r) => r.register)} ms, ${results[0]!.found} lookups results in ${m((r) => r.lookup)} ms,` +
          ` all exit ${m((r) => r.exit)} ms`
      )
    }
  }
}

main()
