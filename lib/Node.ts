/**
 * A node: the runtime that owns processes.
 *
 * Every process belongs to a node, never to the fiber that spawned it, so a process outlives
 * its spawner unless the two are linked. The node keeps the live processes, the table of
 * registered names, the timers of `Process.sendAfter`, and the run queue that wakes processes
 * waiting in `receive`.
 *
 * A node is an Effect service provided by a `Layer`. When the layer's scope closes (the end of
 * `Effect.provide`, or of the program), every process still alive is ended with reason
 * `shutdown`, its finalizers run, and the layer waits for all of them: nothing is left behind.
 *
 * Processes run with the context of the code that spawned them (so services provided around a
 * `spawn` are available inside the process) and read time from `Clock`, so `TestClock` drives
 * every timeout in tests.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node, Process } from "effect-otp"
 *
 * const program = Effect.gen(function*() {
 *   const echo = yield* Process.spawn(Effect.gen(function*() {
 *     const message = yield* Process.receive()
 *     console.log("got", message)
 *   }))
 *   yield* Process.send(echo, "hello")
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer({ name: "demo@localhost" }))))
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as ExitReason from "./ExitReason.js"
import { liveNodes, NodeRuntime } from "./internal/runtime.js"
import { joinNode, meeting } from "./internal/telemetry.js"

const TypeId = "~effect-otp/Node" as const

/**
 * A running node.
 *
 * @category models
 * @since 0.1.0
 */
export interface Node {
  /** Brands the value as a node. */
  readonly "~effect-otp/Node": "~effect-otp/Node"
  /** The node's name, as carried by its pids (`nonode@nohost` unless given). */
  readonly name: string
}

/**
 * The service key of the current node.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node } from "effect-otp"
 *
 * const nodeName: Effect.Effect<string, never, Node.Node> = Node.Node.useSync((node) => node.name)
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export const Node: Context.Service<Node, Node> = Context.Service<Node>("effect-otp/Node")


/**
 * Starts a node for the scope of the layer. Closing the scope ends every live process with
 * reason `shutdown` (finalizers run) and waits for them, and cancels pending timers.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node, Process } from "effect-otp"
 *
 * const main = Effect.gen(function*() {
 *   const pid = yield* Process.spawn(Process.receive())
 *   console.log(`spawned ${pid}`)
 * })
 *
 * Effect.runPromise(main.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options?: {
  /** The node name carried by its pids. Default `nonode@nohost`, as an Erlang node without distribution. */
  readonly name?: string | undefined
}): Layer.Layer<Node> =>
  Layer.effect(Node)(Effect.gen(function*() {
    const context = yield* Effect.context<never>()
    const runtime = new NodeRuntime(options?.name ?? "nonode@nohost", context)
    yield* Effect.addFinalizer(() => shutdown(runtime))
    // Telemetry (`Telemetry.layer`, provided in any order with the node) is on for the node's lifetime.
    yield* joinNode(runtime, context)
    const node: Node & { readonly runtime: NodeRuntime } = {
      [TypeId]: TypeId,
      name: runtime.name,
      runtime
    }
    const nodes = liveNodes<Node>()
    nodes.add(node)
    yield* Effect.addFinalizer(() => Effect.sync(() => nodes.delete(node)))
    return node
  })).pipe(Layer.provide(meeting))

const shutdown = (runtime: NodeRuntime): Effect.Effect<void> =>
  Effect.suspend(() => {
    runtime.closed = true
    runtime.sendTimers.clear()
    const sleeper = runtime.timers.shutdown()
    for (const process of runtime.processes()) process.exitWith(ExitReason.shutdown())
    return (sleeper === undefined ? Effect.void : Fiber.interrupt(sleeper)).pipe(
      Effect.andThen(Effect.callback<void>((resume) => runtime.onEmpty(() => resume(Effect.void))))
    )
  })
