/**
 * The scenarios the harness runs in both systems, as plain data (JSON here, Erlang terms for
 * the Erlang side, see `encode.ts`).
 *
 * Time is logical on the effect-otp side (TestClock) and real on the Erlang side, so every
 * duration a scenario uses is taken from a small set whose members are far apart: the order of
 * events cannot change with the Erlang scheduler's noise.
 *
 * - Supervision: a restart period is a whole number of seconds (OTP compares
 *   `erlang:monotonic_time(second)`); a scenario either stays well inside every period (its
 *   steps take a few hundred ms at most) or advances past all of them (`advance`, the longest
 *   period plus 1.5 s).
 * - GenServer: idle timeouts are 400 or 1200 ms, call timeouts 800 or 1600 ms (never equal to
 *   an idle timeout, so no two deadlines tie), and a `wait` is 2500 ms, past every one of them.
 */

/** How long a slow worker's `terminate` takes (ms): between the short shutdown and the long one. */
export const SLOW_MS = 100
/** Shutdown times a worker may have (ms): shorter and longer than a slow worker's terminate. */
export const SHUTDOWN_TIMES = [50, 1000] as const
/** Restart periods (seconds). */
export const PERIODS = [2, 3] as const
/** Idle timeouts of GenServer results (ms). */
export const IDLE_TIMEOUTS = [400, 1200] as const
/** Call timeouts (ms). */
export const CALL_TIMEOUTS = [800, 1600] as const
/** A GenServer scenario's `wait` (ms): past every idle and call timeout. */
export const WAIT_MS = 2500

// ----------------------------------------------------------------------------
// Supervision
// ----------------------------------------------------------------------------

export type Restart = "permanent" | "transient" | "temporary"
export type Shutdown = "brutal_kill" | "infinity" | number
export type Strategy = "one_for_one" | "one_for_all" | "rest_for_one"
export type AutoShutdown = "never" | "any_significant" | "all_significant"

/** A worker: the scripted GenServer (fidelity_worker.erl, effect/workers.ts). */
export interface WorkerSpec {
  readonly kind: "worker"
  readonly id: string
  readonly restart: Restart
  readonly shutdown: Shutdown
  readonly significant: boolean
  /** Traps exits (its `terminate` runs when its supervisor stops it). */
  readonly trap: boolean
  /** Registered under a local name (the scenario's prefix and its label). */
  readonly named: boolean
  /** Its `terminate` takes {@link SLOW_MS}. */
  readonly slow: boolean
}

/** A supervisor (Supervisor / OTP's supervisor with a static child list). */
export interface SupSpec {
  readonly kind: "sup"
  readonly id: string
  readonly restart: Restart
  readonly significant: boolean
  readonly strategy: Strategy
  readonly intensity: number
  /** Seconds. */
  readonly period: number
  readonly auto_shutdown: AutoShutdown
  readonly children: ReadonlyArray<ChildNode>
}

/** The worker template of a dynamic supervisor (every child of one has the same spec). */
export interface Template {
  readonly restart: Restart
  readonly shutdown: Shutdown
  readonly trap: boolean
  readonly named: boolean
  readonly slow: boolean
}

/** A DynamicSupervisor (OTP's simple_one_for_one). */
export interface DynSpec {
  readonly kind: "dyn"
  readonly id: string
  readonly restart: Restart
  readonly significant: boolean
  readonly intensity: number
  /** Seconds. */
  readonly period: number
  readonly template: Template
  /** Children started at setup, labelled `c0`, `c1`, ... */
  readonly initial: number
}

export type ChildNode = WorkerSpec | SupSpec | DynSpec

/** How a worker stops itself: `{stop, {boom, Label}}`, an exception, `normal`, `shutdown`, `{shutdown, Label}`. */
export type StopHow = "crash" | "raise" | "normal" | "shutdown" | "shutdown_x"

/** One step of a supervision scenario. `desc` names it in the trace (results, no-ops). */
export type SupStep = { readonly desc: string } & (
  | { readonly op: "stop"; readonly target: string; readonly how: StopHow }
  | { readonly op: "kill"; readonly target: string }
  | { readonly op: "signal"; readonly target: string; readonly reason: "normal" | "shutdown" | "boom" }
  | { readonly op: "terminate_child"; readonly sup: string; readonly id: string }
  | { readonly op: "restart_child"; readonly sup: string; readonly id: string }
  | { readonly op: "delete_child"; readonly sup: string; readonly id: string }
  | { readonly op: "start_child"; readonly sup: string; readonly spec: WorkerSpec }
  | { readonly op: "dyn_start"; readonly sup: string; readonly label: string }
  | { readonly op: "dyn_terminate"; readonly sup: string; readonly label: string }
  | { readonly op: "fail_starts"; readonly target: string; readonly n: number; readonly mode: "fail" | "ignore" }
  | { readonly op: "advance" }
)

export interface SupervisionScenario {
  readonly kind: "supervision"
  readonly root: SupSpec
  readonly steps: ReadonlyArray<SupStep>
  /** What `advance` moves time by (ms): past every period of the tree. */
  readonly advance_ms: number
}

// ----------------------------------------------------------------------------
// GenServer
// ----------------------------------------------------------------------------

/** A stop reason: `normal`, `shutdown`, `{shutdown, Tag}`, `{boom, Tag}` (Tag: the request's id). */
export type StopReason = "normal" | "shutdown" | "shutdown_x" | "boom"

/**
 * What `handleContinue`, the idle-timeout handler, casts and infos do. `bad` returns something
 * that is no valid result (OTP: the server exits with `{bad_return_value, _}`).
 */
export type AsyncAction =
  | { readonly a: "noreply" }
  | { readonly a: "noreply_t"; readonly t: number }
  | { readonly a: "continue"; readonly next: AsyncAction }
  | { readonly a: "stop"; readonly r: StopReason }
  | { readonly a: "crash" }
  | { readonly a: "flush" }
  | { readonly a: "bad" }

/** What `handleCall` does: reply (now, or later with `flush`), continue, stop, crash, exit. */
export type CallAction =
  | { readonly a: "reply" }
  | { readonly a: "reply_t"; readonly t: number }
  | { readonly a: "defer" }
  | { readonly a: "defer_t"; readonly t: number }
  | { readonly a: "continue"; readonly next: AsyncAction }
  | { readonly a: "stop_reply"; readonly r: StopReason }
  | { readonly a: "stop"; readonly r: StopReason }
  | { readonly a: "crash" }
  | { readonly a: "exit" }
  | { readonly a: "flush" }
  | { readonly a: "bad" }

/** What `init` returns. */
export type InitAction =
  | { readonly a: "ok" }
  | { readonly a: "ok_t"; readonly t: number }
  | { readonly a: "continue"; readonly next: AsyncAction }
  | { readonly a: "ignore" }
  | { readonly a: "stop"; readonly r: StopReason }
  | { readonly a: "crash" }
  | { readonly a: "bad" }

/**
 * The tags of unknown calls: a plain one, and names of `Object.prototype` members (a request
 * tag must never reach them).
 */
export const UNKNOWN_TAGS = ["Unknown", "constructor", "toString", "hasOwnProperty", "valueOf", "__proto__"] as const

export type GsStep = { readonly desc: string } & (
  | { readonly op: "call"; readonly id: string; readonly action: CallAction; readonly timeout: number | "infinity" }
  | { readonly op: "unknown_call"; readonly id: string; readonly tag: (typeof UNKNOWN_TAGS)[number] }
  | { readonly op: "cast"; readonly id: string; readonly action: AsyncAction }
  | { readonly op: "info"; readonly id: string; readonly action: AsyncAction }
  | { readonly op: "wait" }
  | { readonly op: "stop"; readonly reason: StopReason }
  | { readonly op: "kill" }
  | { readonly op: "signal"; readonly reason: StopReason }
)

export interface GenServerScenario {
  readonly kind: "genserver"
  /** Started with a local name, and addressed by it. */
  readonly named: boolean
  /** The server traps exits (signals arrive in `handleInfo`). */
  readonly trap: boolean
  readonly init: InitAction
  /** What the idle-timeout handler does. */
  readonly on_timeout: AsyncAction
  readonly steps: ReadonlyArray<GsStep>
  readonly wait_ms: number
}

// ----------------------------------------------------------------------------
// StateMachine
// ----------------------------------------------------------------------------

/** The states of the scripted machine, in order: some scripts may only move forward (`a` to `c`). */
export const STM_STATES = ["a", "b", "c"] as const
export type StmState = (typeof STM_STATES)[number]

/** The timers: the event timeout, the state timeout, two generic timeouts. */
export type TimerKind = "e" | "s" | "g1" | "g2"
export const TIMER_KINDS: ReadonlyArray<TimerKind> = ["e", "s", "g1", "g2"]

/**
 * The one duration (ms) of each timer's nonzero time. Every sum of two of them (a timer whose
 * handler enters a state whose `enter` sets another) differs from every other sum and from every
 * single one by at least 130 ms (`fidelity/README.md`, Time).
 */
export const STM_TIMES: Readonly<Record<TimerKind, number>> = { e: 260, s: 910, g1: 1040, g2: 1430 }

/** A StateMachine scenario's `wait` (ms): past every chain of timers a script can make. */
export const STM_WAIT_MS = 3000

/**
 * Two timer deadlines closer than this (ms), both pending, or one this close to a `wait`'s end,
 * make a scenario's order of events depend on the Erlang side's scheduling: it is then
 * "timing-ambiguous" (compared, but a difference is not a divergence).
 */
export const STM_MARGIN_MS = 120

/** A timer's time: ms (one of `STM_TIMES`, or 0) or `infinity` (cancels it). */
export type StmTime = number | "infinity"

/**
 * One action of a script. `reply` / `defer` are for calls (answer now with the callback's number,
 * or keep the caller to answer later); `flush` answers every deferred caller; `next` inserts an
 * internal event; `set` / `update` / `cancel` act on a timer. `id` names the event an action
 * makes (an internal event, a timer's content), `s` is what its handler does.
 */
export type StmAct =
  | { readonly a: "reply" }
  | { readonly a: "defer" }
  | { readonly a: "flush" }
  | { readonly a: "postpone" }
  | { readonly a: "next"; readonly id: string; readonly s: StmScript }
  | { readonly a: "set"; readonly k: TimerKind; readonly t: StmTime; readonly id: string; readonly s: StmScript }
  | { readonly a: "update"; readonly k: TimerKind; readonly id: string; readonly s: StmScript }
  | { readonly a: "cancel"; readonly k: TimerKind }

/**
 * What a handler does: the transition (`keep`: keep_state, `repeat`: repeat_state, a state:
 * next_state, `stop`: stop (stop_and_reply when it has `reply` / `flush` actions), `crash`: an
 * exception) and its actions, in order.
 */
export interface StmDo {
  readonly to: "keep" | "repeat" | StmState | "stop" | "crash"
  readonly r?: StopReason
  readonly acts: ReadonlyArray<StmAct>
}

/** What an event's handler does: the same in every state (`do`), or by the state it finds (`by`). */
export type StmScript = { readonly do: StmDo } | { readonly by: Readonly<Record<StmState, StmDo>> }

/** What a state's enter call does (keep the state, stop, or crash; replies and timers only). */
export interface StmEnter {
  readonly to: "keep" | "stop" | "crash"
  readonly r?: StopReason
  readonly acts: ReadonlyArray<StmAct>
}

/** What `init` returns: ok in state `a` with actions, `ignore`, or stop. */
export type StmInit =
  | { readonly a: "ok"; readonly acts: ReadonlyArray<StmAct> }
  | { readonly a: "ignore" }
  | { readonly a: "stop"; readonly r: StopReason }

export type StmStep = { readonly desc: string } & (
  | { readonly op: "call"; readonly id: string; readonly s: StmScript }
  | { readonly op: "unknown_call"; readonly id: string }
  | { readonly op: "cast"; readonly id: string; readonly s: StmScript }
  | { readonly op: "info"; readonly id: string; readonly s: StmScript }
  | { readonly op: "wait" }
  | { readonly op: "stop"; readonly reason: StopReason }
  | { readonly op: "kill" }
)

export interface StatemScenario {
  readonly kind: "statem"
  /** OTP's callback modes: `handleEvent` or `states`. */
  readonly mode: "handle_event_function" | "state_functions"
  /** The enter calls by state: every state (handle_event_function with state_enter), some or none. */
  readonly enter: Partial<Readonly<Record<StmState, StmEnter>>>
  /** Started with a local name, and addressed by it. */
  readonly named: boolean
  /**
   * effect-otp only: the handlers return their results directly (the runtime runs them from the
   * node's run queue) rather than as Effects (run by the machine's fiber). The same trace either
   * way. Absent: as Effects.
   */
  readonly direct?: boolean | undefined
  readonly init: StmInit
  readonly steps: ReadonlyArray<StmStep>
  readonly wait_ms: number
}

export type Scenario = SupervisionScenario | GenServerScenario | StatemScenario

export type Kind = Scenario["kind"]

// ----------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------

/** The label of a child: its supervisor's label, a slash, its id (the root is `root`). */
export const label = (parent: string, id: string): string => `${parent}/${id}`

/** The label of the supervisor a label belongs to. */
export const parentOf = (l: string): string => l.slice(0, l.lastIndexOf("/"))

/** The labels of the initial children of the dynamic supervisors of a tree, in tree order. */
export const initialDynChildren = (l: string, node: ChildNode): Array<string> => {
  switch (node.kind) {
    case "sup":
      return node.children.flatMap((c) => initialDynChildren(label(l, c.id), c))
    case "dyn":
      return Array.from({ length: node.initial }, (_, i) => label(l, `c${i}`))
    case "worker":
      return []
  }
}

/** Every node of a tree with its label. */
export const nodesOf = (l: string, node: ChildNode): Array<{ readonly label: string; readonly node: ChildNode }> => [
  { label: l, node },
  ...(node.kind === "sup" ? node.children.flatMap((c) => nodesOf(label(l, c.id), c)) : [])
]

/** The spec of the node at a label, if the tree has one there. */
export const nodeAt = (root: SupSpec, l: string): ChildNode | undefined =>
  nodesOf("root", root).find((n) => n.label === l)?.node
