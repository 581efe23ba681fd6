/**
 * Unique references, as Erlang's `make_ref()`: monitor references, timer references and the
 * tags of calls. A reference is unique within its node, compares with `Equal`, and prints like
 * `#Ref<0.12>`.
 *
 * @since 0.1.0
 */
import { ReferenceImpl, ReferenceTypeId } from "./internal/identity.js"

/**
 * @category type ids
 * @since 0.1.0
 */
export const TypeId: TypeId = ReferenceTypeId

/**
 * @category type ids
 * @since 0.1.0
 */
export type TypeId = typeof ReferenceTypeId

/**
 * A unique reference.
 *
 * @category models
 * @since 0.1.0
 */
export interface Reference {
  /** Brands the value as a reference (see {@link isReference}). */
  readonly [TypeId]: TypeId
  /** The name of the node that made the reference. */
  readonly node: string
  /** The number that makes the reference unique on its node. */
  readonly id: number
  /** Erlang's printed form, `#Ref<0.12>`: the node's index (0 for this JS runtime's nodes) and the id. */
  toString(): string
}

/**
 * @category guards
 * @since 0.1.0
 */
export const isReference = (u: unknown): u is Reference => u instanceof ReferenceImpl
