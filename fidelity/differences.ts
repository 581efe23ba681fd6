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
import type { Event } from "./normalize.js"

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
      "Erlang server has a clause that does the same ({error, unknown_request}), so the rest of the scenario is compared.",
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
    reason: "Supervisor management calls fail with typed errors (NotFound, Running, Restarting, AlreadyPresent, " +
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
  }
]

/** A divergence found by the harness and not fixed yet. */
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

const stepOf = (d: DivergenceInfo): Model.SupStep | Model.GsStep | undefined =>
  d.step === 0 ? undefined : d.scenario.steps[d.step - 1]

/** The events only one side has at the divergent step. */
const onlyIn = (d: DivergenceInfo) => ({
  erlang: d.erlang.filter((e) => !d.effect.includes(e)),
  effect: d.effect.filter((e) => !d.erlang.includes(e))
})

/** Whether the subtree of the supervisor at `l` has a worker with a registered name. */
const hasNamedWorker = (scenario: Model.SupervisionScenario, l: string): boolean => {
  const node = l === "root" ? scenario.root : Model.nodeAt(scenario.root, l)
  if (node === undefined) return false
  return Model.nodesOf(l, node).some(({ node: n }) =>
    (n.kind === "worker" && n.named) || (n.kind === "dyn" && n.template.named)
  )
}

export const knownOpen: ReadonlyArray<KnownOpen> = [
  {
    id: "restart-races-with-names",
    reason: "Issue 15, class 1: a killed supervisor whose workers hold names is restarted while those workers are " +
      "still exiting; the replacement's children fail with AlreadyStarted, every retry fails the same way, and the " +
      "parent gives up (OTP's replacement starts once the old children are gone). Seen: the Erlang side restarts the " +
      "killed supervisor, effect-otp's does not.",
    matches: (d) => {
      const killed = killedSupervisor(d.scenario, d.step)
      return killed !== undefined && killed !== "root" && d.scenario.kind === "supervision" &&
        hasNamedWorker(d.scenario, killed) &&
        d.erlang.some((e) => e.startsWith(`start ${killed}#`)) && !d.effect.some((e) => e.startsWith(`start ${killed}#`))
    }
  },
  {
    id: "ignored-child-stuck-restarting",
    reason: "Supervisor (rest_for_one, one_for_all): when a group restart starts a child that returns ignore and a " +
      "later child of the group fails to start, effect-otp marks the ignored child restarting as well (retryLater " +
      "marks every member without a pid), and it stays so: which_children shows it restarting and restart_child " +
      "answers Restarting. OTP keeps it undefined (supervisor.erl restart_multiple_children/3 marks only the child " +
      "that failed) and restart_child starts it. Supervisor restart engine (issue 15, supervisor part).",
    matches: (d) => {
      if (d.erlangTree === d.effectTree || d.erlang.length !== d.effect.length || !d.erlang.every((e, i) => e === d.effect[i])) {
        return false
      }
      const e = d.erlangTree.split(" ")
      const f = d.effectTree.split(" ")
      return e.length === f.length && e.every((part, i) =>
        part === f[i] || (part.replace(/=undefined/, "=restarting") === f[i]))
    }
  },
  {
    id: "dyn-restart-ignore",
    reason: "A dynamic child whose restart returns ignore: OTP 25's simple_one_for_one keeps it, with pid undefined, " +
      "in which_children and count_children (supervisor.erl restart/3 stores the {ok, undefined} of an ignored " +
      "start); Elixir's DynamicSupervisor and effect-otp's forget it. Not yet listed in DynamicSupervisor's module " +
      "doc (issue 15, class 6: DynamicSupervisor's rules).",
    matches: (d) => {
      const withoutPhantoms = d.erlangTree.replace(/\[([^\]]*)\]/g, (_, inside: string) =>
        `[${inside.split(" ").filter((c) => c !== "undefined" && c !== "").join(" ")}]`)
      return d.erlangTree !== d.effectTree && withoutPhantoms === d.effectTree &&
        d.erlang.length === d.effect.length && d.erlang.every((e, i) => e === d.effect[i])
    }
  },
  {
    id: "dyn-terminate-dead-pid",
    reason: "OTP's simple_one_for_one answers terminate_child(Sup, Pid) of a pid that is no longer alive with ok " +
      "(supervisor.erl find_child/2: a dead pid is taken for a child that has just exited); effect-otp's " +
      "DynamicSupervisor answers NotAChild, as Elixir's DynamicSupervisor answers {:error, :not_found}. Not yet " +
      "listed in DynamicSupervisor's module doc (issue 15, class 6: DynamicSupervisor's rules).",
    matches: (d) => {
      const step = stepOf(d)
      const only = onlyIn(d)
      return step?.op === "dyn_terminate" && d.erlangTree === d.effectTree &&
        only.erlang.length === 1 && only.erlang[0]!.endsWith("-> ok") &&
        only.effect.length === 1 && only.effect[0]!.endsWith("-> error(not_found)")
    }
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

/** Applies the `killed-supervisor` normalization to one step's events. */
export const normalizeKill = (events: ReadonlyArray<Event>, killed: string): ReadonlyArray<Event> =>
  events.flatMap((event): ReadonlyArray<Event> => {
    if (event.e === "terminate" && isDirectChild(event.who, killed)) return []
    if (event.e === "exit" && isDirectChild(event.who, killed) && (event.reason === "killed" || event.reason === "shutdown")) {
      return [{ ...event, reason: "stopped" }]
    }
    return [event]
  })
