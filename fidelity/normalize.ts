/**
 * Traces: what each side observed, step by step, in one vocabulary.
 *
 * The Erlang side prints raw terms (as JSON: atoms as strings, tuples as arrays, see
 * fidelity_collector.erl); effect-otp's side has exit reasons, Causes and typed errors. Both are
 * turned into the same tokens here:
 *
 * | token                          | Erlang/OTP                                   | effect-otp                                   |
 * |--------------------------------|----------------------------------------------|----------------------------------------------|
 * | `normal`, `shutdown`, `killed`, `noproc` | the atom                           | `Normal`, `Shutdown`, `Killed`, `NoProc`     |
 * | `shutdown(T)`                  | `{shutdown, T}`                              | `Shutdown` with reason `T`                   |
 * | `crash(T)`                     | `{boom, T}`, or `{{boom, T}, Stack}`         | a `Crash` whose failure or defect is `{ boom: T }` |
 * | `start_failed`                 | `start_failed` (a start the collector failed) | a `Crash` failing with `"start_failed"`      |
 * | `failed_to_start_child(Id,R)`  | `{failed_to_start_child, Id, R}`             | `FailedToStartChild`                         |
 * | `already_started(L#G)`         | `{already_started, Pid}`                     | `AlreadyStarted`                             |
 * | `error(R)` (a call's result)   | `{error, R}`; `start_child`'s `{error, {R, ChildRecord}}` | the typed error (`StartChildFailed` carries the child's id) |
 * | `timeout` (a call's result)    | the caller exits `{timeout, _}`              | `CallTimeout` (deliberate difference)        |
 * | `unknown` (a call's result)    | `{error, unknown_request}` (the scripted server's clause) | `UnknownRequest` (deliberate difference) |
 * | `bad_return_value`             | `{bad_return_value, _}`                      | a reason or error tagged `BadReturn...` (or an Error saying "bad return") |
 *
 * A pid is shown as its label and generation (`root/s1/w2#3`: the third start of that child).
 */

// ----------------------------------------------------------------------------
// Events and steps
// ----------------------------------------------------------------------------

/** One thing that happened during a step, with reasons and values as tokens. */
export type Event =
  | { readonly e: "start"; readonly who: string }
  | { readonly e: "startfail"; readonly label: string; readonly mode: string }
  | { readonly e: "terminate"; readonly who: string; readonly reason: string }
  | { readonly e: "exit"; readonly who: string; readonly reason: string }
  | { readonly e: "result"; readonly op: string; readonly value: string }
  | { readonly e: "cb"; readonly seq: number; readonly name: string; readonly arg: string }
  | { readonly e: "noop"; readonly op: string }

/** The tree after a step, as both sides report it (see `renderTree`). */
export type Tree =
  | "dead"
  | "?"
  | boolean
  | ReadonlyArray<{ readonly id: string; readonly state: string; readonly sub: Tree | null }>
  | { readonly dyn: ReadonlyArray<string> }

/** One step as a side observed it. */
export interface RawStep {
  readonly events: ReadonlyArray<Event>
  readonly tree: Tree
  /** Logical (effect-otp) or real (Erlang) ms since the scenario started. */
  readonly time: number
}

/** A scenario's observation: one entry per step (step 0 is the setup), or why it has none. */
export type Observation =
  | {
    readonly _tag: "Steps"
    readonly steps: ReadonlyArray<RawStep>
    /**
     * Why this scenario's order of events may differ by chance on the Erlang side (two timer
     * deadlines too close together, see `effect/statem.ts` Timing); effect-otp's side tells.
     */
    readonly ambiguous?: string | undefined
  }
  | { readonly _tag: "Error"; readonly error: string }

export const renderEvent = (event: Event): string => {
  switch (event.e) {
    case "start":
      return `start ${event.who}`
    case "startfail":
      return `startfail ${event.label} ${event.mode}`
    case "terminate":
      return `terminate ${event.who} ${event.reason}`
    case "exit":
      return `exit ${event.who} ${event.reason}`
    case "result":
      return `result ${event.op} -> ${event.value}`
    case "cb":
      return `cb ${String(event.seq).padStart(3, "0")} ${event.name}(${event.arg})`
    case "noop":
      return `noop ${event.op}`
  }
}

/**
 * A tree as one line: `{a=root/a#1 s=root/s#1{w=root/s/w#2 v=undefined} d=root/d#1[root/d/c0#1]}`.
 * A supervisor's children are in start order; a dynamic supervisor's children are sorted (OTP
 * keeps them in a map), and a restarting one shows as `restarting` (OTP does not know its label).
 */
export const renderTree = (tree: Tree): string => {
  if (typeof tree === "string") return tree
  if (typeof tree === "boolean") return tree ? "alive" : "dead"
  if (Array.isArray(tree)) {
    return `{${tree.map((c) => `${c.id}=${c.state}${c.sub === null ? "" : renderTree(c.sub)}`).join(" ")}}`
  }
  const dyn = (tree as { readonly dyn: ReadonlyArray<string> }).dyn
  return `[${[...dyn].sort().join(" ")}]`
}

// ----------------------------------------------------------------------------
// Erlang terms
// ----------------------------------------------------------------------------

/** A term as fidelity_collector.erl prints it. */
export type ErlTerm =
  | string
  | number
  | boolean
  | null
  | ReadonlyArray<ErlTerm>
  | { readonly bin: string }
  | { readonly list: ReadonlyArray<ErlTerm> }
  | { readonly pid: string }
  | { readonly other: string }

const isTuple = (t: ErlTerm): t is ReadonlyArray<ErlTerm> => Array.isArray(t)

/** An Erlang exit reason, or any term, as a token. */
export const erlReason = (t: ErlTerm): string => {
  if (typeof t === "string") return t
  if (typeof t === "number" || typeof t === "boolean" || t === null) return String(t)
  if (isTuple(t)) {
    const [tag, ...rest] = t
    if (tag === "shutdown" && rest.length === 1) return `shutdown(${erlReason(rest[0]!)})`
    if (tag === "boom" && rest.length === 1) return `crash(${erlReason(rest[0]!)})`
    if (tag === "failed_to_start_child" && rest.length === 2) {
      return `failed_to_start_child(${erlReason(rest[0]!)},${erlReason(rest[1]!)})`
    }
    if (tag === "already_started" && rest.length === 1) return `already_started(${erlReason(rest[0]!)})`
    if (tag === "bad_return_value" && rest.length === 1) return "bad_return_value"
    return `{${t.map(erlReason).join(",")}}`
  }
  if ("pid" in t) return t.pid
  if ("bin" in t) return JSON.stringify(t.bin)
  if ("list" in t) return `[${t.list.map(erlReason).join(",")}]`
  return `other(${t.other})`
}

/** What a call (or a start) returned on the Erlang side, as a token. */
export const erlResult = (t: ErlTerm): string => {
  if (isTuple(t) && t.length === 2 && t[0] === "value") return erlValue(t[1]!)
  if (isTuple(t) && t.length === 2 && t[0] === "exit") {
    const reason = erlReason(t[1]!)
    return reason === "noproc" || reason === "timeout" ? reason : `exit(${reason})`
  }
  return erlValue(t)
}

const erlValue = (t: ErlTerm): string => {
  if (typeof t === "number") return `reply(${t})`
  if (t === "ok" || t === "ignore") return t
  if (isTuple(t) && t.length === 2 && t[0] === "ok") return `ok(${erlReason(t[1]!)})`
  if (isTuple(t) && t.length === 2 && t[0] === "error") {
    const error = t[1]!
    if (error === "unknown_request") return "unknown"
    // start_child's {error, {Reason, ChildRecord}}: effect-otp's StartChildFailed names the child too.
    if (isTuple(error) && error.length === 2 && isTuple(error[1]!) && error[1][0] === "child") {
      return `error(${erlReason(error[0]!)})`
    }
    return `error(${erlReason(error)})`
  }
  return erlReason(t)
}

/** A raw event as fidelity_collector.erl prints it. */
export type ErlEvent =
  | { readonly e: "start"; readonly who: string }
  | { readonly e: "startfail"; readonly label: string; readonly mode: string }
  | { readonly e: "terminate"; readonly who: string; readonly reason: ErlTerm }
  | { readonly e: "exit"; readonly who: string; readonly reason: ErlTerm }
  | { readonly e: "result"; readonly op: string; readonly value: ErlTerm }
  | { readonly e: "cb"; readonly seq: number; readonly name: string; readonly arg: ErlTerm }
  | { readonly e: "noop"; readonly op: string }

/** The callback argument of a `cb` event: a request id, `timeout`, `exit(R)`, or a reason (terminate). */
const erlArg = (name: string, arg: ErlTerm): string => {
  if (name === "terminate") return erlReason(arg)
  if (isTuple(arg) && arg.length === 2 && arg[0] === "exit") return `exit(${erlReason(arg[1]!)})`
  return erlReason(arg)
}

export const fromErlEvent = (event: ErlEvent): Event => {
  switch (event.e) {
    case "terminate":
    case "exit":
      return { e: event.e, who: event.who, reason: erlReason(event.reason) }
    case "result":
      return { e: "result", op: event.op, value: erlResult(event.value) }
    case "cb":
      return { e: "cb", seq: event.seq, name: event.name, arg: erlArg(event.name, event.arg) }
    default:
      return event
  }
}

/** One line the Erlang side printed. */
export type ErlLine =
  | { readonly index: number; readonly steps: ReadonlyArray<{ readonly events: ReadonlyArray<ErlEvent>; readonly tree: Tree; readonly time: number }> }
  | { readonly index: number; readonly error: string }

export const fromErlLine = (line: ErlLine): Observation =>
  "error" in line
    ? { _tag: "Error", error: line.error }
    : {
      _tag: "Steps",
      steps: line.steps.map((s) => ({ events: s.events.map(fromErlEvent), tree: s.tree, time: s.time }))
    }
