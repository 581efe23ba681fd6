/**
 * `effect-floor`: the least an actor written on Effect fibers costs, so that every report shows
 * effect-otp's own overhead beside it. No links, monitors, names, exit signals, timeouts,
 * selective receive or interruption safety: only what moving a message between two fibers
 * takes.
 *
 * - A process is one fiber (`Effect.runFork` of its body) and a {@link FloorProcess}: an array
 *   mailbox with a head index and at most one waiting receive (its `Effect.callback` resume).
 * - `receive` is one `Effect.callback` made once per process: it takes the next message at once
 *   (the callback resumes synchronously, so the fiber does not suspend) or parks its resume.
 * - A send to a waiting process puts it on the node's run queue, drained from a microtask in
 *   batches: the drain swaps the queue for a spare array and runs the batch, so the array being
 *   run never grows; wake-ups never nest on the sender's stack.
 * - A reply is a message to the caller's mailbox (no reference, no monitor, no timeout).
 *
 * It runs in a program that has used Effect as every application has before its first message
 * (`warmEffect`: a Layer built and provided, fibers forked and joined, a Queue, a Deferred,
 * finalizers, a few generator functions). Without that, the floor is a program of two generator
 * functions, and V8 keeps Effect's hottest sites (the run loop's `evaluate`, `getCont`, the
 * generator's `next`) monomorphic and inlined, a state no program that builds a Layer is in:
 * measured here, ping-pong 1.42-1.51M rt/s cold against 0.95-0.98M warm, the same code
 * (`effect_floor_cold_ping_pong` records the cold figure in every run).
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"

/** The run queue of a set of floor processes. */
export class FloorNode {
  private queue: Array<FloorProcess> = []
  private spare: Array<FloorProcess> = []
  private pending = false

  schedule(process: FloorProcess): void {
    this.queue.push(process)
    if (!this.pending) {
      this.pending = true
      queueMicrotask(this.drain)
    }
  }

  private readonly drain = (): void => {
    while (this.queue.length > 0) {
      const batch = this.queue
      this.queue = this.spare
      for (let i = 0; i < batch.length; i++) batch[i]!.run()
      batch.length = 0
      this.spare = batch
    }
    this.pending = false
  }

  /** Starts `body` as a process of this node. */
  spawn(body: (self: FloorProcess) => Effect.Effect<unknown>): FloorProcess {
    const process = new FloorProcess(this)
    Effect.runFork(body(process))
    return process
  }
}

/** A floor process: its mailbox and its waiting receive. */
export class FloorProcess {
  private mailbox: Array<unknown> = []
  private head = 0
  private waiter: ((effect: Effect.Effect<unknown>) => void) | undefined = undefined
  private queued = false

  constructor(readonly node: FloorNode) {}

  /** Appends a message and wakes the process if it waits. */
  deliver(message: unknown): void {
    this.mailbox.push(message)
    if (this.waiter !== undefined && !this.queued) {
      this.queued = true
      this.node.schedule(this)
    }
  }

  /** From the run queue: hand the next message to the waiting receive. */
  run(): void {
    this.queued = false
    const waiter = this.waiter!
    this.waiter = undefined
    waiter(Effect.succeed(this.take()))
  }

  private take(): unknown {
    const message = this.mailbox[this.head]
    this.mailbox[this.head++] = undefined
    if (this.head === this.mailbox.length) {
      // A drained mailbox is dropped, not truncated: `length = 0` is a runtime call that trims
      // the backing store, and on the arrays of 10k old processes it decided the ring
      // (measured: 0.56-0.67M hops/s truncating, see bench/REPORT.md).
      this.mailbox = []
      this.head = 0
    }
    return message
  }

  /** Takes the next message, or waits for one. */
  readonly receive: Effect.Effect<unknown> = Effect.callback<unknown>((resume) => {
    if (this.head < this.mailbox.length) resume(Effect.succeed(this.take()))
    else this.waiter = resume
  })

  /** Sends `message` to this process. */
  send(message: unknown): Effect.Effect<void> {
    return Effect.sync(() => this.deliver(message))
  }
}

class WarmA extends Context.Service<WarmA, { readonly n: number }>()("bench/floor/WarmA") {}
class WarmB extends Context.Service<WarmB, { readonly m: number }>()("bench/floor/WarmB") {}

const warmLayer = Layer.effect(WarmB)(Effect.gen(function*() {
  const a = yield* WarmA
  return { m: a.n + 1 }
})).pipe(Layer.provide(Layer.effect(WarmA)(Effect.gen(function*() {
  yield* Effect.addFinalizer(() => Effect.void)
  return { n: 1 }
}))))

/**
 * What an application has done with Effect before its first message (see the module doc):
 * generic Effect, nothing of effect-otp. Run once per process, before the floor's own warm-up.
 */
const warmEffect = (): Promise<void> =>
  Effect.runPromise(Effect.gen(function*() {
    for (let round = 0; round < 200; round++) {
      const b = yield* WarmB
      const done = yield* Deferred.make<number>()
      const queue = yield* Queue.unbounded<number>()
      const fiber = yield* Effect.forkChild(Effect.gen(function*() {
        const x = yield* Queue.take(queue)
        yield* Deferred.succeed(done, x + b.m)
      }))
      yield* Queue.offer(queue, round)
      yield* Deferred.await(done)
      yield* Fiber.join(fiber)
      yield* Effect.gen(function*() {
        yield* Effect.sync(() => round)
      }).pipe(Effect.onExit(() => Effect.void), Effect.ensuring(Effect.void))
      yield* Effect.fail("x").pipe(Effect.catch(() => Effect.succeed(1)))
      yield* Effect.exit(Effect.die("y"))
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Effect.addFinalizer(() => Effect.void)
      }))
      yield* Effect.forEach([1, 2, 3], (i) => Effect.succeed(i * 2))
      yield* Effect.uninterruptibleMask((restore) => restore(Effect.yieldNow))
      yield* Effect.repeat(Effect.void, Schedule.recurs(2))
      yield* Effect.timeout(Effect.succeed(1), "1 second")
    }
  }).pipe(Effect.provide(warmLayer)))

let warmed: Promise<void> | undefined

/**
 * Runs `body` as a floor process on a new node and resolves with its result: the driver of a
 * benchmark is a process too, as effect-otp's is (`Process.run`). `cold`: without
 * `warmEffect` first (the cold figure).
 */
export const runFloor = async <A>(
  body: (self: FloorProcess, node: FloorNode) => Effect.Effect<A>,
  options?: { readonly cold?: boolean }
): Promise<A> => {
  if (options?.cold !== true) await (warmed ??= warmEffect())
  const node = new FloorNode()
  const process = new FloorProcess(node)
  return Effect.runPromise(body(process, node))
}

/** The floor's ping-pong: `n` round trips, one message at a time each way; round trips per second. */
export const floorPingPong = (n: number, options?: { readonly cold?: boolean }): Promise<number> =>
  runFloor((me, node) =>
    Effect.gen(function*() {
      const ponger = node.spawn((self) =>
        Effect.gen(function*() {
          while (true) {
            const from = (yield* self.receive) as FloorProcess
            yield* from.send("pong")
          }
        })
      )
      let pongs = 0
      const t0 = performance.now()
      for (let i = 0; i < n; i++) {
        yield* ponger.send(me)
        if ((yield* me.receive) === "pong") pongs++
      }
      const ms = performance.now() - t0
      if (pongs !== n) throw new Error(`bench: pongs: expected ${n}, got ${pongs}`)
      return n / (ms / 1000)
    }), options)

/** The counter of the GenServer benchmarks as a floor process: `Inc`, and `Add`/`Get` answered to `from`. */
export type FloorCounterMessage =
  | { readonly _tag: "Inc" }
  | { readonly _tag: "Get"; readonly from: FloorProcess }
  | { readonly _tag: "Add"; readonly by: number; readonly from: FloorProcess }

/** The counter's loop: the count in a local, a reply sent to the caller's mailbox. */
export const floorCounter = (self: FloorProcess): Effect.Effect<never> =>
  Effect.gen(function*() {
    let count = 0
    while (true) {
      const message = (yield* self.receive) as FloorCounterMessage
      switch (message._tag) {
        case "Inc":
          count++
          break
        case "Add":
          count += message.by
          yield* message.from.send(count)
          break
        case "Get":
          yield* message.from.send(count)
      }
    }
  })
