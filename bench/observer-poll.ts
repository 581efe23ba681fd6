/**
 * What one observer poll costs on a big node: time and bytes of each request the page makes,
 * over real HTTP (`Observer.layer` on a free port, Node's `fetch`), on three nodes:
 *
 * - `plain-10k`, `plain-100k`: that many idle plain processes (`Process.spawn(Process.receive())`).
 * - `sup-1k`: 1000 supervisors outside any application (`Supervisor.start`), each with 100 idle
 *   workers (`ChildSpec.worker(id, Process.spawnLink(Process.receive()))`): 101k processes.
 *
 * Requests, each polled `polls` times after one warm-up (median and fastest time, bytes of the body):
 *
 * - `snapshot`: `GET /api/snapshot` as the page sends it every second (first page, 100 rows).
 * - `snapshot@mid`: the page of 100 rows in the middle of the process table.
 * - `process`: `GET /api/process` of a plain process in the middle of the table (the detail
 *   view; the page sends it when a process is clicked and after an action).
 * - `process-sup`: the same for a supervisor in the middle (it also reads the state).
 *
 * Not part of `npm run bench` (no peer does this). Run: `npx tsx bench/observer-poll.ts`
 * (`--polls 10`, `--only plain-10k,sup-1k`). Prints one JSON line per node and a table.
 *
 * Measured (issue 17, 2-core machine shared by other jobs, load average 7-9: medians are noisy,
 * the fastest poll is the steadier figure), ms per request, median / fastest of 10:
 *
 * | node | request | before (index-less page and lookup, every supervisor asked per poll) | after | bytes |
 * |---|---|---|---|---|
 * | plain-10k | snapshot | 14.2 / 7.7 | 21.5 / 2.4 | 13870 (after: 13886, the `treesOffset` field) |
 * | plain-10k | snapshot@mid | 12.3 / 3.4 | 2.5 / 1.5 | 14081 |
 * | plain-10k | process | 12.2 / 3.6 | 1.1 / 0.9 | 211 |
 * | plain-100k | snapshot | 11.2 / 8.8 | 2.5 / 1.4 | 14179 |
 * | plain-100k | snapshot@mid | 7.8 / 6.7 | 5.8 / 3.0 | 14183 |
 * | plain-100k | process | 42.2 / 40.9 | 2.4 / 1.6 | 212 |
 * | sup-1k | snapshot | 883.8 / 518.6 | 61.1 / 24.9 | 86376 (1000 tree nodes) |
 * | sup-1k | snapshot@mid | 511.6 / 427.5 | 54.7 / 13.5 | 86394 |
 * | sup-1k | process | 47.5 / 31.6 | 1.3 / 1.0 | 227 |
 * | sup-1k | process-sup | 48.8 / 33.2 | 8.0 / 3.2 | 8581 |
 *
 * Before, a `sup-1k` poll sent 1000 `whichChildren` requests; after, none while no supervisor
 * was sent a message since the last poll.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as References from "effect/References"
import { ChildSpec, Node, Process, Supervisor } from "../index.js"
import type { Pid } from "../index.js"
import { Observer } from "../observer/index.js"

const args = process.argv.slice(2)
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? undefined : args[i + 1]
}
const polls = Number(option("polls") ?? 10)
const only = option("only")?.split(",")

interface Figure {
  readonly request: string
  /** Median and fastest time of a poll (the fastest is the steadier figure on a loaded machine). */
  readonly ms: number
  readonly minMs: number
  readonly bytes: number
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const get = (port: number, path: string) =>
  Effect.promise(async () => {
    const t0 = performance.now()
    const response = await fetch(`http://127.0.0.1:${port}${path}`)
    const body = await response.arrayBuffer()
    const ms = performance.now() - t0
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${new TextDecoder().decode(body)}`)
    return { ms, bytes: body.byteLength }
  })

const measure = (port: number, request: string, path: string) =>
  Effect.gen(function*() {
    yield* get(port, path)
    const runs: Array<{ ms: number; bytes: number }> = []
    for (let i = 0; i < polls; i++) runs.push(yield* get(port, path))
    return { request, ms: median(runs.map((r) => r.ms)), minMs: Math.min(...runs.map((r) => r.ms)), bytes: median(runs.map((r) => r.bytes)) } satisfies Figure
  })

const idle = Process.receive()

/** Builds the node's processes; returns a plain process and a supervisor in the middle, if any. */
const builders: Record<string, Effect.Effect<{ plain: Pid.Pid; sup?: Pid.Pid | undefined }, unknown, Process.CurrentProcess | Node.Node>> = {
  "plain-10k": Effect.gen(function*() {
    const pids: Array<Pid.Pid> = []
    for (let i = 0; i < 10_000; i++) pids.push(yield* Process.spawn(idle))
    return { plain: pids[5_000]! }
  }),
  "plain-100k": Effect.gen(function*() {
    const pids: Array<Pid.Pid> = []
    for (let i = 0; i < 100_000; i++) pids.push(yield* Process.spawn(idle))
    return { plain: pids[50_000]! }
  }),
  "sup-1k": Effect.gen(function*() {
    const specs = Array.from({ length: 100 }, (_, i) => ChildSpec.worker(`w${i}`, Process.spawnLink(idle)))
    const sups: Array<Pid.Pid> = []
    for (let i = 0; i < 1000; i++) sups.push((yield* Supervisor.start(specs)).pid!)
    const children = yield* Supervisor.whichChildren(sups[500]!)
    return { plain: children[50]!.pid as Pid.Pid, sup: sups[500]! }
  })
}

const run = (name: string) =>
  Effect.gen(function*() {
    const observer = yield* Observer.Observer
    return yield* Process.run(Effect.gen(function*() {
      const t0 = performance.now()
      const { plain, sup } = yield* builders[name]!
      const buildMs = performance.now() - t0
      const total = (yield* Process.processes).length
      const port = observer.port
      const figures: Array<Figure> = []
      figures.push(yield* measure(port, "snapshot", "/api/snapshot"))
      figures.push(yield* measure(port, "snapshot@mid", `/api/snapshot?offset=${Math.floor(total / 2)}`))
      figures.push(yield* measure(port, "process", `/api/process?pid=${encodeURIComponent(String(plain))}`))
      if (sup !== undefined) figures.push(yield* measure(port, "process-sup", `/api/process?pid=${encodeURIComponent(String(sup))}`))
      return { node: name, processes: total, buildMs: Math.round(buildMs), figures }
    }))
  }).pipe(
    Effect.provide(Layer.merge(Node.layer(), Observer.layer({ print: false }))),
    Effect.provideService(References.CurrentLoggers, new Set()),
    Effect.scoped
  )

const main = Effect.gen(function*() {
  const results = []
  for (const name of Object.keys(builders)) {
    if (only !== undefined && !only.includes(name)) continue
    const result = yield* run(name)
    console.log(JSON.stringify(result))
    results.push(result)
  }
  console.log(`\n| node | processes | request | ms per poll (median of ${polls}) | fastest | bytes |\n|---|---|---|---|---|---|`)
  for (const r of results) {
    for (const f of r.figures) {
      console.log(`| ${r.node} | ${r.processes} | ${f.request} | ${f.ms.toFixed(2)} | ${f.minMs.toFixed(2)} | ${f.bytes} |`)
    }
  }
})

Effect.runPromise(main).then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
