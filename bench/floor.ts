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
 */
import * as Effect from "effect/Effect"

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
      this.mailbox.length = 0
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

/**
 * Runs `body` as a floor process on a new node and resolves with its result: the driver of a
 * benchmark is a process too, as effect-otp's is (`Process.run`).
 */
export const runFloor = <A>(body: (self: FloorProcess, node: FloorNode) => Effect.Effect<A>): Promise<A> => {
  const node = new FloorNode()
  const process = new FloorProcess(node)
  return Effect.runPromise(body(process, node))
}

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
