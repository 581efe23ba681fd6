/**
 * What the harness knows differs between effect-otp and Erlang/OTP.
 *
 * - `deliberate`: differences by design, each documented in effect-otp's module doc (or, for
 *   the harness's own choices, in fidelity/README.md). The harness normalizes them; `hits`
 *   counts how often a scenario went through one.
 * - `knownOpen`: divergences found by the harness and not fixed yet (issue 15's classes), so
 *   CI passes meanwhile. TEMPORARY: each entry goes once its fix lands; a divergence that none
 *   of them explains fails the run.
 */
import * as Model from "./model.js"
import type { Event, Tree } from "./normalize.js"

export interface Deliberate {
  readonly id: string
  /** What differs, and why effect-otp does it its way. */
  readonly reason: string
  /** Where effect-otp documents it. */
  readonly documented: string
}

export const deliberate: ReadonlyArray<Deliberate> = [
  {
    id: "call-timeout",
    reason: "OTP exits the caller with {timeout, _} (to be caught); effect-otp fails the call with the typed CallTimeout. " +
      "Both are the token `timeout`; a late reply is dropped on both sides.",
    documented: "behaviours/GenServer.ts (How it maps to OTP, and where it differs); lib/Errors.ts CallTimeout"
  },
  {
    id: "unknown-call",
    reason: "OTP leaves an unknown call to the callback module (without a matching clause the server crashes with " +
      "function_clause); effect-otp answers UnknownRequest, runs no callback and keeps the idle timeout. The scripted " +
      "Erlang server, and the supervision scenarios' worker (a call meant for a dynamic supervisor whose id a worker " +
      "took), have a clause that does the same ({error, unknown_request}), so the rest of the scenario is compared.",
    documented: "behaviours/GenServer.ts (How it maps to OTP, and where it differs)"
  },
  {
    id: "killed-supervisor",
    reason: "A killed supervisor stops its children, each by its shutdown, before its exit is seen; in OTP 25 they get " +
      "the link's `killed` at once and the parent's restart races with them (a restarted supervisor can fail with " +
      "already_started when a child holding a name is still exiting). The Erlang side suspends the parent until the " +
      "killed subtree is gone (OTP's schedule without the race); in that step the direct children's exit reasons " +
      "killed/shutdown are the token `stopped`, and their terminate calls are not compared.",
    documented: "behaviours/Supervisor.ts (Where it differs from OTP), from the supervisor fix of issue 15"
  },
  {
    id: "which-children-order",
    reason: "OTP's which_children lists the last started child first (an undocumented order); effect-otp documents " +
      "start order. The Erlang side reverses OTP's list.",
    documented: "behaviours/Supervisor.ts whichChildren (\"The children, in start order\")"
  },
  {
    id: "typed-management-errors",
    reason: "Supervisor management calls fail with typed errors (NotFound, NotStopped, AlreadyPresent, " +
      "AlreadyStarted, StartChildFailed); OTP answers {error, Term}, start_child {error, {Reason, ChildRecord}}. " +
      "Both are the token error(...) with the same reason.",
    documented: "behaviours/Supervisor.ts (Where it differs from OTP: management errors are typed)"
  },
  {
    id: "dynamic-template",
    reason: "effect-otp's DynamicSupervisor (Elixir's) takes each child's own spec; OTP's simple_one_for_one has one " +
      "template. Scenarios give every child of one dynamic supervisor the same spec, and compare its children as a " +
      "set (OTP keeps them in a map), a restarting one without its id (OTP does not know it).",
    documented: "fidelity/README.md (harness choice, not a behaviour difference)"
  },
  {
    id: "dyn-restart-ignore",
    reason: "A dynamic child whose restart returns ignore: OTP 25's simple_one_for_one keeps it as a child without a " +
      "pid (which_children shows undefined, for good); Elixir's DynamicSupervisor and effect-otp's forget it. The " +
      "Erlang side's dynamic children are compared without those entries.",
    documented: "behaviours/DynamicSupervisor.ts (Where it differs from Elixir and OTP)"
  },
  {
    id: "statem-unknown-call",
    reason: "A call the machine does not handle: gen_statem leaves it to the callback module (without a clause, " +
      "function_clause crashes the machine, and any event cancels the event timeout); effect-otp answers " +
      "UnknownRequest and changes nothing, its timers included. The scripted Erlang machine has a clause that " +
      "replies {error, unknown_request}, runs no script and starts the event timeout again for what was left of " +
      "its time, so the rest of the scenario is compared.",
    documented: "behaviours/StateMachine.ts (How it maps to OTP, and where it differs; Faults: unhandled events)"
  },
  {
    id: "dyn-terminate-dead-pid",
    reason: "terminateChild with the pid of a dynamic child that has already exited: OTP's simple_one_for_one answers " +
      "ok (a dead pid is taken for a child that has just exited), Elixir's DynamicSupervisor {:error, :not_found}, " +
      "effect-otp NotAChild. The Erlang driver answers not_found for a pid that is no longer alive, as Elixir does.",
    documented: "behaviours/DynamicSupervisor.ts (Where it differs from Elixir and OTP)"
  }
]

/**
 * A divergence found by the harness and not fixed yet: listed (with a matcher) so that CI passes
 * while its fix is under way; TEMPORARY, each entry goes when its fix lands.
 */
export interface KnownOpen {
  readonly id: string
  /** Issue 15's class and what was seen. */
  readonly reason: string
  /** Whether a divergence at this step of this scenario is this one. */
  readonly matches: (divergence: DivergenceInfo) => boolean
}

/** What a known-open predicate gets to look at. */
export interface DivergenceInfo {
  readonly scenario: Model.Scenario
  /** The step that differs first (0: the setup). */
  readonly step: number
  readonly erlang: ReadonlyArray<string>
  readonly effect: ReadonlyArray<string>
  readonly erlangTree: string
  readonly effectTree: string
}

/**
 * The ids of a StateMachine scenario's timer actions that can deliver at once: `set` with time 0
 * and `update` (of a timer not running, it delivers at once).
 */
export const zeroTimeIds = (scenario: Model.Scenario): ReadonlySet<string> => {
  const ids = new Set<string>()
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) {
      x.forEach(walk)
      return
    }
    if (typeof x !== "object" || x === null) return
    const o = x as Record<string, unknown>
    if ((o.a === "set" && o.t === 0) || o.a === "update") ids.add(o.id as string)
    Object.values(o).forEach(walk)
  }
  if (scenario.kind === "statem") walk(scenario)
  return ids
}

/** The callbacks of a step in the order the machine ran them (`name(arg)`, from `cb NNN name(arg)`). */
const callbacks = (events: ReadonlyArray<string>): Array<string> =>
  events.filter((e) => e.startsWith("cb ")).map((e) => e.slice(e.indexOf(" ", 3) + 1))

/**
 * The first callback at which two machines went different ways (one side's, or both), by
 * position in the order they ran them: `[]` when they ran the same callbacks.
 */
export const firstDifferentCallbacks = (erlang: ReadonlyArray<string>, effect: ReadonlyArray<string>): Array<string> => {
  const e = callbacks(erlang)
  const f = callbacks(effect)
  for (let i = 0; i < Math.max(e.length, f.length); i++) {
    if (e[i] !== f[i]) return [e[i], f[i]].filter((x): x is string => x !== undefined)
  }
  return []
}

/** The id of a timeout event (`timeout...(State Id)`), if it is one. */
const timeoutEventId = (callback: string): string | undefined =>
  /^(?:timeout|state_timeout|timeout_g\d)\(\w+ (\w+)\)$/.exec(callback)?.[1]

/**
 * Divergences the harness found and that are not fixed yet. TEMPORARY: each goes when its fix
 * lands in behaviours/internal/statem.ts (the pinned scenarios of fidelity/scenarios.json named
 * after it then match).
 */
export const knownOpen: ReadonlyArray<KnownOpen> = [
  {
    id: "statem-zero-timeouts",
    reason: "Issue 19 (StateMachine timeouts against gen_statem's OTP 25 code, loop_timeouts and the t0q): " +
      "(1) a timeout of zero time (and an update of a timer not running, delivered at once) waits in OTP in a " +
      "queue of its own (t0q), from which a cancel, a new set of the same timer, a state change (state timeout) " +
      "or any handled event (event timeout) takes it out, and an update changes its content; effect-otp queues " +
      "it as an event that nothing takes back (set twice: two events; set then cancel: still delivered). " +
      "(2) OTP runs only the last timeout action of each kind of one transition (handler and enter call " +
      "together): set 910 then update runs the update only (the timer not running: delivered at once); " +
      "effect-otp runs every one in order. (3) An event timeout of zero time goes into OTP's t0q in action order " +
      "and fires unless an event is handled before it; effect-otp drops it when the transition queued another " +
      "zero-time timeout, even one listed after it. Matched: the first callback at which the two machines went " +
      "different ways is (on either side) the timeout event of a zero-time set or of an update.",
    matches: (d) => {
      if (d.scenario.kind !== "statem") return false
      const ids = zeroTimeIds(d.scenario)
      return firstDifferentCallbacks(d.erlang, d.effect).some((cb) => {
        const id = timeoutEventId(cb)
        return id !== undefined && ids.has(id)
      })
    }
  },
  {
    id: "statem-enter-crash-terminate",
    reason: "Issue 19: a state enter call that raises. OTP 25 (gen_statem:loop_state_callback, `catch Class:Reason:" +
      "Stacktrace -> terminate(Class, Reason, Stacktrace, P, Debug, S, Q)`) calls terminate with the machine " +
      "record from before the event whose transition entered the state: the old state and the data from before " +
      "that event's handler; effect-otp calls it with the new state and the data the handler returned. Matched: " +
      "the first callback at which the machines differ is a terminate with the reason crash(enter).",
    matches: (d) =>
      d.scenario.kind === "statem" &&
      firstDifferentCallbacks(d.erlang, d.effect).some((cb) => /^terminate\(\{\w+,crash\(enter\)\}\)$/.test(cb))
  }
]

// ----------------------------------------------------------------------------
// Normalization of the deliberate differences
// ----------------------------------------------------------------------------

const isDirectChild = (who: string, parent: string): boolean =>
  who.startsWith(`${parent}/`) && !who.slice(parent.length + 1).split("#")[0]!.includes("/")

/** The supervisor a step kills, if it kills one. */
export const killedSupervisor = (scenario: Model.Scenario, step: number): string | undefined => {
  if (scenario.kind !== "supervision" || step === 0) return undefined
  const s = scenario.steps[step - 1]!
  if (s.op !== "kill") return undefined
  if (s.target === "root") return "root"
  const node = Model.nodeAt(scenario.root, s.target)
  return node !== undefined && node.kind !== "worker" ? s.target : undefined
}

/** Applies the `dyn-restart-ignore` normalization to the Erlang side's tree: no child without a pid. */
export const dropIgnoredDynamicChildren = (tree: Tree): Tree => {
  if (typeof tree === "string" || typeof tree === "boolean") return tree
  if (Array.isArray(tree)) {
    return (tree as Extract<Tree, ReadonlyArray<unknown>>).map((c) =>
      c.sub === null ? c : { ...c, sub: dropIgnoredDynamicChildren(c.sub) }
    )
  }
  const dyn = (tree as { readonly dyn: ReadonlyArray<string> }).dyn
  return { dyn: dyn.filter((c) => c !== "undefined") }
}

/** Applies the `killed-supervisor` normalization to one step's events. */
export const normalizeKill = (events: ReadonlyArray<Event>, killed: string): ReadonlyArray<Event> =>
  events.flatMap((event): ReadonlyArray<Event> => {
    if (event.e === "terminate" && isDirectChild(event.who, killed)) return []
    if (event.e === "exit" && isDirectChild(event.who, killed) && (event.reason === "killed" || event.reason === "shutdown")) {
      return [{ ...event, reason: "stopped" }]
    }
    return [event]
  })
