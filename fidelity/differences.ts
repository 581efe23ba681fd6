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
      "Erlang side's dynamic children are compared without those entries. Such an entry also makes OTP 25's " +
      "supervisor crash with function_clause when it later shuts down (its intensity exceeded), where without it " +
      "(Elixir, effect-otp) it exits shutdown, and so do the children it was shutting down: those exits are " +
      "compared as shutdown.",
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
    id: "otp25-lost-timer",
    reason: "A bug of OTP 25's gen_statem (stdlib 4.2, loop_timeouts_register): a zero-time timeout still waiting in " +
      "its queue (t0q), started again with a nonzero time by a later transition, is registered with time 0 outside " +
      "the queue; its timer's message then comes as an info event {timeout, Ref, Type} and the timeout event never " +
      "comes. Later OTP (a reference for every zero-time timer, replace_timer) delivers it at its time, as " +
      "effect-otp does. The scripted Erlang machine reports the stray message (noop otp25-lost-timer); the scenario " +
      "is compared up to the step before it.",
    documented: "fidelity/README.md (a bug of the reference, not a behaviour difference)"
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
 * None open: issue 19's statem-zero-timeouts (zero-time timeouts, the last timeout action of a
 * kind, a zero event timeout in action order) and statem-enter-crash-terminate (terminate after
 * an enter call raised) are fixed; their scenarios stay pinned in fidelity/scenarios.json.
 */
export const knownOpen: ReadonlyArray<KnownOpen> = []

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

/** A process's label without its incarnation: `root/d1` of `root/d1#2`. */
const labelOf = (who: string): string => who.includes("#") ? who.slice(0, who.lastIndexOf("#")) : who

/**
 * The dynamic supervisors (their `label#n`) of an Erlang tree that hold a child without a pid
 * (`dyn-restart-ignore`).
 */
export const holdingIgnoredChildren = (tree: Tree, out: Set<string> = new Set()): Set<string> => {
  if (Array.isArray(tree)) {
    for (const c of tree as Extract<Tree, ReadonlyArray<unknown>>) {
      if (c.sub === null) continue
      if (!Array.isArray(c.sub) && typeof c.sub === "object" && (c.sub as { readonly dyn: ReadonlyArray<string> }).dyn.includes("undefined")) {
        out.add(c.state)
      }
      holdingIgnoredChildren(c.sub, out)
    }
  }
  return out
}

/**
 * The rest of `dyn-restart-ignore` on the Erlang side: an OTP 25 simple_one_for_one supervisor
 * that holds such a pid-less child and shuts down (its intensity exceeded, say) crashes on it in
 * its own terminate with `function_clause`, where it would exit `shutdown` without that entry
 * (as Elixir's and effect-otp's do); its children, which it was shutting down, get that exit
 * signal too. Returns the events with those exits made `shutdown`, and whether one was.
 */
export const normalizeIgnoredShutdown = (
  events: ReadonlyArray<Event>,
  holding: ReadonlySet<string>
): { readonly events: ReadonlyArray<Event>; readonly hit: boolean } => {
  const labels = new Set([...holding].map(labelOf))
  const parentOf = (who: string): string => labelOf(who).slice(0, labelOf(who).lastIndexOf("/"))
  let hit = false
  const out = events.map((event): Event => {
    if (
      event.e === "exit" && event.reason === "function_clause" &&
      (holding.has(event.who) || labels.has(parentOf(event.who)))
    ) {
      hit = true
      return { ...event, reason: "shutdown" }
    }
    return event
  })
  return { events: out, hit }
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
