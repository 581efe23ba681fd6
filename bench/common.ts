/**
 * Shared parts of the benchmark cases: argument parsing, GC and timing
 * helpers, the plain-JS mailbox baseline, and `runCase`, the main of every case file.
 *
 * A case file is run by `bench/run.ts` in its own Node process as
 * `node --expose-gc --import tsx bench/<case>.ts --system <name> [--quick]` and prints exactly
 * one line on stdout: a JSON array of {@link BenchRecord}s.
 */
import * as Effect from "effect/Effect"
import { GCProfiler, getHeapStatistics } from "node:v8"
import { Node, Process } from "../index.js"
import type { BenchRecord, System } from "./records.js"

export type { BenchRecord, System } from "./records.js"

/**
 * Several figures of one run, by benchmark name: the case's own benchmark and each of its
 * {@link CaseSpec.extra} benchmarks.
 */
export type Figures = Readonly<Record<string, number>>

/**
 * Measures one run of size `n` and returns the figure, already in the case's unit; or, for a
 * case with {@link CaseSpec.extra} benchmarks, the figures of all of them.
 */
export type Measure = (n: number) => Promise<number | Figures>

/** A benchmark case: one benchmark, measured for each system in a process of its own. */
export interface CaseSpec {
  readonly benchmark: string
  readonly unit: string
  /** Size of a measured run: full and `--quick`. */
  readonly size: { readonly full: number; readonly quick: number }
  /** Measured runs (the median is reported): full and `--quick`. */
  readonly reps: { readonly full: number; readonly quick: number }
  /** Other measured runs for some systems (e.g. one run of a slow baseline); overrides `reps`. */
  readonly repsBySystem?: Partial<Record<System, { readonly full: number; readonly quick: number }>> | undefined
  /**
   * Another size for some systems (a peer two orders of magnitude slower runs fewer operations,
   * so that a full run stays within minutes); overrides `size`. Figures are rates or per-unit,
   * so they stay comparable.
   */
  readonly sizeBySystem?: Partial<Record<System, { readonly full: number; readonly quick: number }>> | undefined
  /** Run once at 10% of the size before measuring (JIT warm-up). Default true. */
  readonly warmup?: boolean | undefined
  /**
   * More benchmarks measured by the same runs (e.g. memory and stop time next to start time):
   * each `Measure` then returns {@link Figures} naming `benchmark` and every one of these.
   */
  readonly extra?: ReadonlyArray<{ readonly benchmark: string; readonly unit: string }> | undefined
  readonly systems: Partial<Record<System, Measure>>
  /**
   * The operations of one run of size `n`, in the unit of the figure (round trips, messages,
   * calls, hops): with `--alloc`, the child also prints the bytes allocated per operation.
   */
  readonly ops?: ((n: number) => number) | undefined
}

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

/** Whether the run is the short `--quick` pass. */
export const quick: boolean = process.argv.includes("--quick")

/** Runs the GC until the heap settles (needs `--expose-gc`). */
export const collectGarbage = (): void => {
  const gc = globalThis.gc
  if (gc === undefined) throw new Error("bench: run with node --expose-gc")
  for (let i = 0; i < 4; i++) gc()
}

/** Heap in use, after a full collection. */
export const heapAfterGc = (): number => {
  collectGarbage()
  return process.memoryUsage().heapUsed
}

/** Runs an effect-otp program on a fresh node (shut down, with all its processes, at the end). */
export const runOnNode = <A, E>(program: Effect.Effect<A, E, Node.Node>): Promise<A> =>
  Effect.runPromise(program.pipe(Effect.provide(Node.layer())))

/** Throws if a run computed the wrong result, so a broken system cannot post a figure. */
export const check = (what: string, actual: unknown, expected: unknown): void => {
  if (actual !== expected) throw new Error(`bench: ${what}: expected ${String(expected)}, got ${String(actual)}`)
}

/** Operations per second from a count and elapsed milliseconds. */
export const perSecond = (count: number, ms: number): number => count / (ms / 1000)

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** With `--alloc`: measure the bytes each run allocates too (see `CaseSpec.ops`). */
const alloc: boolean = process.argv.includes("--alloc")

/**
 * What `run` allocated on the heap: the heap in use at the end, less at the start, plus what
 * each garbage collection in between freed (from `v8.GCProfiler`'s statistics of each GC).
 */
const allocatedBy = async <A>(run: () => Promise<A>): Promise<{ readonly result: A; readonly bytes: number }> => {
  const profiler = new GCProfiler()
  const start = getHeapStatistics().used_heap_size
  profiler.start()
  const result = await run()
  const end = getHeapStatistics().used_heap_size
  const data = profiler.stop() as unknown as {
    readonly statistics: ReadonlyArray<{
      readonly beforeGC: { readonly heapStatistics: { readonly usedHeapSize: number } }
      readonly afterGC: { readonly heapStatistics: { readonly usedHeapSize: number } }
    }>
  }
  let freed = 0
  for (const gc of data.statistics) freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize
  return { result, bytes: end - start + freed }
}

/**
 * The main of a case file: measures the system named by `--system` (warm-up, then the
 * measured runs) and prints the records as one JSON line.
 */
export const runCase = (spec: CaseSpec): void => {
  const system = argValue("--system") as System | undefined
  const measure = system === undefined ? undefined : spec.systems[system]
  if (system === undefined || measure === undefined) {
    console.error(`bench ${spec.benchmark}: --system must be one of ${Object.keys(spec.systems).join(", ")}`)
    process.exit(2)
  }
  const sizes = spec.sizeBySystem?.[system] ?? spec.size
  const n = quick ? sizes.quick : sizes.full
  const repsOf = spec.repsBySystem?.[system] ?? spec.reps
  const reps = quick ? repsOf.quick : repsOf.full
  const main = async (): Promise<void> => {
    const benchmarks = [{ benchmark: spec.benchmark, unit: spec.unit }, ...(spec.extra ?? [])]
    const figuresOf = (result: number | Figures): Figures => {
      const figures = typeof result === "number" ? { [spec.benchmark]: result } : result
      for (const { benchmark } of benchmarks) {
        if (typeof figures[benchmark] !== "number") throw new Error(`bench: the run gave no ${benchmark} figure`)
      }
      return figures
    }
    if (spec.warmup !== false) figuresOf(await measure(Math.max(1, Math.round(n / 10))))
    const values: Array<Figures> = []
    const allocated: Array<number> = []
    for (let i = 0; i < reps; i++) {
      collectGarbage()
      if (alloc) {
        const run = await allocatedBy(() => measure(n))
        values.push(figuresOf(run.result))
        allocated.push(run.bytes)
      } else {
        values.push(figuresOf(await measure(n)))
      }
    }
    if (alloc && spec.ops !== undefined) {
      const perOp = median(allocated) / spec.ops(n)
      console.error(`allocated: ${perOp.toFixed(0)} B per ${spec.unit.replace("/s", "").replace(/s$/, "")} (median of ${reps} runs, setup included)`)
    }
    const records: Array<BenchRecord> = benchmarks.map(({ benchmark, unit }) => ({
      benchmark,
      system,
      value: median(values.map((v) => v[benchmark]!)),
      unit
    }))
    process.stdout.write(JSON.stringify(records) + "\n")
  }
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`bench ${spec.benchmark} (${system}) failed:`, error)
      process.exit(1)
    }
  )
}

// ----------------------------------------------------------------------------
// The plain-JS baseline: the floor
// ----------------------------------------------------------------------------

/**
 * A plain-JS actor: an array mailbox and a handler function. A send pushes and, if the mailbox
 * is not already scheduled, schedules a drain on a microtask (so, as with processes, a handler
 * never runs on the sender's stack and a burst of sends is drained at once).
 */
export class Mailbox<M> {
  private queue: Array<M | undefined> | undefined = undefined
  private head = 0
  private scheduled = false

  constructor(private readonly handler: (message: M, self: Mailbox<M>) => void) {}

  send(message: M): void {
    if (this.queue === undefined) this.queue = [message]
    else this.queue.push(message)
    if (!this.scheduled) {
      this.scheduled = true
      queueMicrotask(() => this.drain())
    }
  }

  private drain(): void {
    this.scheduled = false
    const queue = this.queue
    if (queue === undefined) return
    while (this.head < queue.length) {
      const message = queue[this.head] as M
      queue[this.head++] = undefined
      this.handler(message, this)
    }
    this.queue = undefined
    this.head = 0
  }
}

/** The sum of `0 .. n-1`: what a receiver of the one-way benchmarks adds up. */
export const expectedSum = (n: number): number => (n * (n - 1)) / 2

/**
 * plain-js's one-way throughput (`send_throughput` and `send_throughput_mailbox`, where the
 * plain mailbox is the same: it has no slower API): `n` sends to a {@link Mailbox} whose
 * handler adds them up; messages per second until the last is handled.
 */
export const plainSendThroughput = (n: number): Promise<number> =>
  new Promise<number>((resolve) => {
    let sum = 0
    let count = 0
    let t0 = 0
    const receiver = new Mailbox<number>((message) => {
      sum += message
      if (++count === n) {
        const ms = performance.now() - t0
        check("sum received", sum, expectedSum(n))
        resolve(perSecond(n, ms))
      }
    })
    t0 = performance.now()
    for (let i = 0; i < n; i++) receiver.send(i)
  })

/**
 * effect-otp's one-way throughput as `send_throughput` measures it (the telemetry case runs it
 * again on other nodes): a process sends `n` numbers with `yield* Process.send` to a receiver
 * that adds them up with `yield* Process.receive()`; messages per second until it has them all.
 * `options` are the receiver's spawn options (`send_throughput_bounded` bounds its mailbox).
 */
export const otpSendThroughput = (n: number, options?: Process.SpawnOptions): Effect.Effect<number, never, Node.Node> =>
  Process.run(Effect.gen(function*() {
    const me = yield* Process.self
    const body = Effect.gen(function*() {
      let sum = 0
      for (let i = 0; i < n; i++) sum += (yield* Process.receive()) as number
      yield* Process.send(me, sum)
    })
    const receiver = yield* (options === undefined ? Process.spawn(body) : Process.spawn(body, options))
    const t0 = performance.now()
    for (let i = 0; i < n; i++) yield* Process.send(receiver, i)
    const sum = yield* Process.receive()
    const ms = performance.now() - t0
    check("sum received", sum, expectedSum(n))
    return perSecond(n, ms)
  })).pipe(Effect.orDie)
