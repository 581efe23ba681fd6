/**
 * A process's state as the observer shows it: bounded, so whoever reaches the port cannot make
 * one request answer megabytes (a 200k-key state answered 4 MB). Containers are cut to their
 * first entries before formatting (so the formatting itself stays small), and the text is cut
 * at a fixed size; either way the answer says `truncated` and the text ends with a marker.
 *
 * @internal
 */
import { inspect } from "node:util"
import { TypeId as StateMachineTypeId } from "../../behaviours/StateMachine.js"
import { format } from "../../lib/internal/format.js"

/** Entries shown per object, array, Map or Set. */
export const entryLimit = 100
/** Levels of nesting shown. */
const depthLimit = 6
/** Characters of the formatted state. */
export const textLimit = 64 * 1024

const more = (n: number, what: string) => `… ${n} more ${what}`

/**
 * A copy of `value` with every plain object, array, Map and Set cut to its first
 * {@link entryLimit} entries (the rest counted in a last entry), down to {@link depthLimit}
 * levels; other values as they are (`inspect` bounds strings and depth itself). Cycles stay
 * cycles. `cut.truncated` is set when anything was left out.
 */
const bounded = (value: unknown, cut: { truncated: boolean }, seen: Map<object, unknown>, depth: number): unknown => {
  if (typeof value !== "object" || value === null) return value
  const copied = seen.get(value)
  if (copied !== undefined) return copied
  if (depth > depthLimit) return value
  if (Array.isArray(value)) {
    const copy: Array<unknown> = []
    seen.set(value, copy)
    const n = Math.min(value.length, entryLimit)
    for (let i = 0; i < n; i++) copy.push(bounded(value[i], cut, seen, depth + 1))
    if (value.length > n) {
      cut.truncated = true
      copy.push(more(value.length - n, "items"))
    }
    return copy
  }
  if (value instanceof Map) {
    const copy = new Map<unknown, unknown>()
    seen.set(value, copy)
    for (const [k, v] of value) {
      if (copy.size === entryLimit) {
        cut.truncated = true
        copy.set(more(value.size - entryLimit, "entries"), "…")
        break
      }
      copy.set(k, bounded(v, cut, seen, depth + 1))
    }
    return copy
  }
  if (value instanceof Set) {
    const copy = new Set<unknown>()
    seen.set(value, copy)
    for (const v of value) {
      if (copy.size === entryLimit) {
        cut.truncated = true
        copy.add(more(value.size - entryLimit, "items"))
        break
      }
      copy.add(bounded(v, cut, seen, depth + 1))
    }
    return copy
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  // A plain object: its first keys. Counting the rest walks the keys once, with no copy of them.
  const copy: Record<string, unknown> = Object.create(proto)
  seen.set(value, copy)
  let count = 0
  let left = 0
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue
    if (count < entryLimit) {
      copy[key] = bounded((value as Record<string, unknown>)[key], cut, seen, depth + 1)
      count++
    } else left++
  }
  if (left > 0) {
    cut.truncated = true
    copy["…"] = more(left, "keys")
  }
  return copy
}

/** The state as text, at most {@link textLimit} characters, and whether anything was left out. */
export const showState = (state: unknown): { readonly state: string; readonly truncated: boolean } => {
  const cut = { truncated: false }
  let text = inspect(bounded(state, cut, new Map(), 0), {
    depth: depthLimit,
    maxArrayLength: entryLimit + 1, // the entries kept and the one that counts the rest
    maxStringLength: 2000,
    breakLength: 100
  })
  if (text.length > textLimit) {
    text = text.slice(0, textLimit)
    cut.truncated = true
  }
  if (cut.truncated) text += `\n… truncated: the observer shows at most ${entryLimit} entries per container and ${textLimit / 1024} KB`
  return { state: text, truncated: cut.truncated }
}

/** Whether `module` (what a process on the generic loop runs) is a StateMachine's: its state is `{ state, data }`. */
export const isStateMachine = (module: unknown): boolean =>
  typeof module === "object" && module !== null && StateMachineTypeId in module

/** Characters of a machine's state in the table and the trees. */
const shortLimit = 100

/**
 * A machine's `{ state, data }` (what `Sys.getState` and `Sys.getStatus` give) split for the
 * page: the state short (a string as it is, `open`; any other value as its text, cut at 100
 * characters) and the data. `undefined` for any other value.
 */
export const machineParts = (value: unknown): { readonly state: string; readonly data: unknown } | undefined => {
  if (typeof value !== "object" || value === null || !("state" in value) || !("data" in value)) return undefined
  const state = value.state
  const text = typeof state === "string" ? state : format(state)
  return { state: text.length > shortLimit ? `${text.slice(0, shortLimit)}…` : text, data: value.data }
}
