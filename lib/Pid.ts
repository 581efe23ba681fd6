/**
 * Process identifiers.
 *
 * A `Pid` names one process and the node it lives on, and means the same thing everywhere: the
 * API never asks whether a target is local. Pids compare with Effect's `Equal` (and hash with
 * `Hash`), so they work as keys of `HashMap` / `HashSet` and in `Equal.equals`, and print like
 * Erlang's: `<0.42.0>`, where the first number is 0 for the nodes of this JS runtime.
 *
 * A pid stays valid after its process ended: sending to it is dropped, monitoring it fires
 * `Down` with `noproc` at once, as in Erlang.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node, Pid, Process } from "effect-otp"
 *
 * const program = Effect.gen(function*() {
 *   const pid = yield* Process.spawn(Process.receive())
 *   console.log(String(pid)) // <0.1.0>
 *   console.log(Pid.isPid(pid)) // true
 * }).pipe(Effect.provide(Node.layer()))
 * ```
 *
 * @since 0.1.0
 */
import { isPid as isPidInternal } from "./internal/identity.js"

/**
 * An opaque process identifier: the node it lives on and a number unique on that node.
 *
 * @category models
 * @since 0.1.0
 */
export interface Pid {
  /** Brands the value as a pid (see {@link isPid}). */
  readonly "~effect-otp/Pid": "~effect-otp/Pid"
  /** The name of the node the process lives on. */
  readonly node: string
  /** The number of the process on its node. */
  readonly id: number
  /** Erlang's printed form, `<0.42.0>`: the node's index (0 for this JS runtime's nodes) and the id. */
  toString(): string
}

/**
 * Whether `u` is a pid, of this node or another. Use it to tell a pid from other values (a
 * name, a `{ pid }` handle) rather than looking for fields.
 *
 * @example
 * ```ts
 * import { Pid } from "effect-otp"
 *
 * const describe = (target: Pid.Pid | string) => Pid.isPid(target) ? `pid ${target}` : `name ${target}`
 * console.log(describe("worker")) // name worker
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isPid: (u: unknown) => u is Pid = isPidInternal
