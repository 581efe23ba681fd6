/**
 * A bounded `Formatter.format` for error reports (the terminate report's state, last message and
 * reason, and `ExitReason.format`). A report is made when a process crashes, and the time it takes
 * is time before the caller gets its `CallExit` and the supervisor sees the exit: formatting a
 * 200k-entry state whole took 2 s (20 s for 2M entries) only to be cut to 8 KB afterwards.
 *
 * The output is `Formatter.format`'s (compact) for a value that fits, so reports keep their
 * text; beyond the limits:
 * - every container (array, plain object, class instance's own fields, Map, Set, any iterable,
 *   Effect's Chunk, HashMap, HashSet) shows its first {@link entryLimit} entries, then
 *   `… K more entries` (`…` alone when an iterable's size is unknown);
 * - a value more than {@link depthLimit} levels deep is `…`;
 * - once about {@link textLimit} characters are written, the remaining entries of every open
 *   container are counted, not shown, and a string longer than that is cut with
 *   `… K more characters`. So the work done is bounded by the text written, whatever graph the
 *   value reaches (a runtime, a fiber, every process).
 * - A cycle is `[Circular]`; a value that cannot be looked at (a getter, `toString` or
 *   `Symbol.toPrimitive` that throws, a Proxy trap that throws, a revoked Proxy) is
 *   `<unprintable>`, as OTP prints a term it cannot show; formatting never throws.
 *
 * The one cost not bounded: listing an object's keys. V8 has no lazy way to take the first keys
 * of an object; `Object.keys` of a 200k-key object takes about 100 ms (`Reflect.ownKeys`,
 * which `Formatter.format` uses, twice that), so a large object's symbol and non-enumerable keys
 * are left out (a small one shows them, as `Formatter.format` does).
 *
 * An object with its own `toString` (a Pid, a reply handle, a user class) is shown by it, as
 * `Formatter.format` does; its output is the object's business (the report's 8 KB cut applies).
 *
 * Kept out of the message path: only reports and error texts call it.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Exit from "effect/Exit"
import * as HashMap from "effect/HashMap"
import * as HashSet from "effect/HashSet"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { getRedacted, symbolRedactable } from "effect/Redactable"

/** Entries shown per container. */
export const entryLimit = 100
/** Levels of nesting shown. */
export const depthLimit = 20
/** Characters written before the rest of every container is only counted. */
export const textLimit = 8192

/** What is shown for a value that cannot be looked at. */
export const unprintable = "<unprintable>"

const more = (n: number | undefined): string => n === undefined ? "…" : `… ${n} more entries`

const objectToString = Object.prototype.toString
const arrayToString = Array.prototype.toString
// Effect's inspectable classes whose `toString` formats `toJSON()` whole.
const inspectableToString = new Set<unknown>([Inspectable.BaseProto.toString, Inspectable.Class.prototype.toString])

const formatDate = (date: Date): string => {
  try {
    return date.toISOString()
  } catch {
    return "Invalid Date"
  }
}

/**
 * `value` as `Formatter.format` shows it, within the limits above; never throws.
 *
 * @internal
 */
export const format = (value: unknown): string => {
  const ancestors = new Set<object>()
  let budget = textLimit

  /** Writes a leaf: counts it against the budget. */
  const leaf = (text: string): string => {
    budget -= text.length
    return text
  }

  const quote = (text: string): string => {
    const limit = Math.max(budget, 64)
    return leaf(
      text.length > limit
        ? `${JSON.stringify(text.slice(0, limit))}… ${text.length - limit} more characters`
        : JSON.stringify(text)
    )
  }

  const recur = (v: unknown, depth: number): string => {
    switch (typeof v) {
      case "string":
        return quote(v)
      case "number":
      case "boolean":
      case "undefined":
        return leaf(String(v))
      case "symbol":
        return leaf(v.toString())
      case "bigint":
        return leaf(`${v}n`)
    }
    if (v === null) return leaf("null")
    const o = v as object
    if (ancestors.has(o)) return leaf("[Circular]")
    if (depth >= depthLimit) return leaf("…")
    ancestors.add(o)
    try {
      return object(o, depth + 1)
    } catch {
      return leaf(unprintable)
    } finally {
      ancestors.delete(o)
    }
  }

  /** The first entries of `items`, then a count of the rest (`size` when known). */
  const items = (iterable: Iterable<unknown>, size: number | undefined, depth: number): string => {
    let out = ""
    let shown = 0
    for (const item of iterable) {
      if (shown === entryLimit || budget <= 0) {
        out += `${shown === 0 ? "" : ","}${more(size === undefined ? undefined : size - shown)}`
        break
      }
      out += `${shown === 0 ? "" : ","}${recur(item, depth)}`
      budget -= 1
      shown++
    }
    return `[${out}]`
  }

  const array = (v: ReadonlyArray<unknown>, depth: number): string => {
    const length = v.length
    let out = "["
    for (let i = 0; i < length; i++) {
      if (i === entryLimit || budget <= 0) {
        out += `${i === 0 ? "" : ","}${more(length - i)}`
        break
      }
      // A hole shows as nothing, as `Array.prototype.map` then `join` show it.
      out += `${i === 0 ? "" : ","}${i in v ? recur(v[i], depth) : ""}`
      budget -= 1
    }
    return `${out}]`
  }

  const fields = (v: object, depth: number): string => {
    let keys: Array<PropertyKey> = Object.keys(v)
    // A small object: all its own keys, symbols and non-enumerable ones too, as `Formatter.format`.
    const all = keys.length <= entryLimit
    if (all) keys = Reflect.ownKeys(v)
    let out = ""
    for (let i = 0; i < keys.length; i++) {
      if (i === entryLimit || budget <= 0) {
        out += `${i === 0 ? "" : ","}${more(keys.length - i)}`
        break
      }
      const key = keys[i]!
      const name = typeof key === "string" ? JSON.stringify(key) : String(key)
      let field: string
      try {
        field = recur((v as Record<PropertyKey, unknown>)[key], depth)
      } catch {
        field = leaf(unprintable)
      }
      out += `${i === 0 ? "" : ","}${name}:${field}`
      budget -= name.length + 2
    }
    const ctor = (v as { constructor?: unknown }).constructor
    const body = `{${out}}`
    return typeof ctor === "function" && ctor !== Object && ctor.name ? `${ctor.name}(${body})` : body
  }

  /** Effect's own data types whose `toString` formats their contents whole. */
  const effectValue = (v: object, depth: number): string | undefined => {
    if (Option.isOption(v)) return Option.isSome(v) ? `some(${recur(v.value, depth)})` : "none()"
    if (Exit.isExit(v)) {
      return Exit.isSuccess(v) ? `Success(${recur(v.value, depth)})` : `Failure(${recur(v.cause, depth)})`
    }
    if (Cause.isCause(v)) return `Cause(${array(v.reasons, depth)})`
    if (Cause.isReason(v)) {
      if (Cause.isFailReason(v)) return `Fail(${recur(v.error, depth)})`
      if (Cause.isDieReason(v)) return `Die(${recur(v.defect, depth)})`
      return undefined
    }
    if (Chunk.isChunk(v)) return `Chunk(${items(v, Chunk.size(v), depth)})`
    if (HashMap.isHashMap(v)) return `HashMap(${items(v, HashMap.size(v), depth)})`
    if (HashSet.isHashSet(v)) return `HashSet(${items(v, HashSet.size(v), depth)})`
    return undefined
  }

  const object = (v: object, depth: number): string => {
    if (symbolRedactable in v) return recur(getRedacted(v as never), depth)
    if (Array.isArray(v)) return array(v, depth)
    if (v instanceof Date) return leaf(formatDate(v))
    const known = effectValue(v, depth)
    if (known !== undefined) return known
    const toString = (v as { toString?: unknown }).toString
    if (typeof toString === "function" && toString !== objectToString && toString !== arrayToString) {
      if (inspectableToString.has(toString)) return recur((v as { toJSON(): unknown }).toJSON(), depth)
      const result: unknown = toString.call(v)
      const text = leaf(typeof result === "string" ? result : String(result))
      return v instanceof Error && v.cause !== undefined ? `${text} (cause: ${recur(v.cause, depth)})` : text
    }
    if (Symbol.iterator in v) {
      const size = (v as { size?: unknown }).size ?? (v as { length?: unknown }).length
      const name = String((v as { constructor?: { name?: unknown } }).constructor?.name)
      return `${name}(${items(v as Iterable<unknown>, typeof size === "number" ? size : undefined, depth)})`
    }
    return fields(v, depth)
  }

  try {
    return recur(value, 0)
  } catch {
    // Only a stack overflow gets here (every step above catches its own throws).
    return unprintable
  }
}
