/**
 * Unique references, as Erlang's `make_ref()`: monitor references, timer references and the
 * tags of calls. A reference is unique within its node, compares with `Equal`, and prints like
 * `#Ref<0.12>`.
 *
 * @since 0.1.0
 */
import { isInstance, ReferenceImpl } from "./internal/identity.js"

/**
 * A unique reference.
 *
 * @category models
 * @since 0.1.0
 */
export interface Reference {
  /** Brands the value as a reference (see {@link isReference}). */
  readonly "~effect-otp/Reference": "~effect-otp/Reference"
  /** The name of the node that made the reference. */
  readonly node: string
  /** The number that makes the reference unique on its node. */
  readonly id: number
  /** Erlang's printed form, `#Ref<0.12>`: the node's index (0 for this JS runtime's nodes) and the id. */
  toString(): string
}

/**
 * Whether `u` is a reference (made by the process core: `Process.monitor`, `Process.sendAfter`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Node, Process, Reference } from "effect-otp"
 *
 * const program = Effect.gen(function*() {
 *   const ref = yield* Process.sendAfter(yield* Process.self, "tick", "1 second")
 *   console.log(Reference.isReference(ref)) // true
 *   console.log(Reference.isReference("tick")) // false
 * })
 *
 * Effect.runPromise(Process.run(program).pipe(Effect.provide(Node.layer())))
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isReference = (u: unknown): u is Reference => isInstance(u, ReferenceImpl)
