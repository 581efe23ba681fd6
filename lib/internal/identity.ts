/**
 * Pids and references: the identity values shared by every module of the core.
 *
 * @internal
 */
import * as Equal from "effect/Equal"
import * as Hash from "effect/Hash"
import { NodeInspectSymbol } from "effect/Inspectable"

/** The brand of a pid (the key `Pid.Pid` spells out). */
const PidTypeId = "~effect-otp/Pid" as const

/** The brand of a reference (the key `Reference.Reference` spells out). */
const ReferenceTypeId = "~effect-otp/Reference" as const

/**
 * Index of a node name in this runtime's node table: 0 for the nodes of this JS runtime, as
 * in Erlang where 0 is the local node. Remote nodes get the next free index.
 *
 * @internal
 */
const nodeIndexes = new Map<string, number>()
/** @internal */
export const localNodes = new Set<string>()

const nodeIndex = (node: string): number => {
  if (localNodes.has(node)) return 0
  let index = nodeIndexes.get(node)
  if (index === undefined) {
    index = nodeIndexes.size + 1
    nodeIndexes.set(node, index)
  }
  return index
}

/**
 * The global counter for pid ids: unique across every Node of this JS runtime, so pids of two
 * nodes started in one test never print alike.
 *
 * @internal
 */
export const counters = { pid: 0, ref: 0 }

/**
 * The shared behaviour of every pid: comparison by node and id, and Erlang's printed form.
 * Local pids are the process objects themselves (see `runtime.ts`); remote ones are plain
 * `PidValue`s.
 *
 * @internal
 */
export abstract class PidBase {
  declare readonly [PidTypeId]: typeof PidTypeId
  abstract readonly node: string
  abstract readonly id: number
  [Equal.symbol](that: unknown): boolean {
    return isPid(that) && that.id === this.id && that.node === this.node
  }
  [Hash.symbol](): number {
    return Hash.combine(Hash.number(this.id))(Hash.string(this.node))
  }
  toString(): string {
    return `<${nodeIndex(this.node)}.${this.id}.0>`
  }
  toJSON(): unknown {
    return { _id: "Pid", node: this.node, id: this.id }
  }
  [NodeInspectSymbol](): string {
    return this.toString()
  }
}
Object.defineProperty(PidBase.prototype, PidTypeId, { value: PidTypeId })

/** @internal */
export class PidValue extends PidBase {
  constructor(readonly node: string, readonly id: number) {
    super()
  }
}

/** @internal */
export interface PidLike {
  readonly [PidTypeId]: typeof PidTypeId
  readonly node: string
  readonly id: number
}

/** @internal */
export const isPid = (u: unknown): u is PidLike =>
  typeof u === "object" && u !== null && (u as PidLike)[PidTypeId] === PidTypeId

/** @internal */
export class ReferenceImpl {
  declare readonly [ReferenceTypeId]: typeof ReferenceTypeId
  constructor(readonly node: string, readonly id: number) {}
  [Equal.symbol](that: unknown): boolean {
    return that instanceof ReferenceImpl && that.id === this.id && that.node === this.node
  }
  [Hash.symbol](): number {
    return Hash.combine(Hash.number(this.id))(Hash.string(this.node))
  }
  toString(): string {
    return `#Ref<${nodeIndex(this.node)}.${this.id}>`
  }
  toJSON(): unknown {
    return { _id: "Reference", node: this.node, id: this.id }
  }
  [NodeInspectSymbol](): string {
    return this.toString()
  }
}
Object.defineProperty(ReferenceImpl.prototype, ReferenceTypeId, { value: ReferenceTypeId })

/** @internal */
export const makeReference = (node: string): ReferenceImpl => new ReferenceImpl(node, ++counters.ref)

/**
 * `u instanceof C`, and false for a value that cannot say: `instanceof` asks an object for its
 * prototype, which a revoked Proxy (from an untyped caller) answers by throwing. The guards of
 * messages use it, so that a message nothing can be read from is no message of theirs, never a
 * crash of the process that looks at it.
 *
 * @internal
 */
export const isInstance = (u: unknown, C: abstract new(...args: any) => unknown): boolean => {
  if (typeof u !== "object" || u === null) return false
  try {
    return u instanceof C
  } catch {
    return false
  }
}
