/**
 * The scripted state machine of StateMachine scenarios, twin of fidelity_statem.erl: every event
 * carries a script (fidelity/model.ts `StmScript`) saying what its handler does in each state,
 * and every callback reports itself to the collector with the same sequence number, name and
 * argument as the Erlang side's.
 *
 * It also keeps, for the harness only, when each timer of nonzero time ran and when it was due
 * ({@link Timing}): the runner tells from it whether two deadlines were too close for the
 * Erlang side's real time to keep their order (fidelity/README.md, Time).
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { Rpc } from "effect/rpc"
import * as Schema from "effect/Schema"
import * as StateMachine from "../../behaviours/StateMachine.js"
import * as Gen from "../../lib/Gen.js"
import type * as ExitReason from "../../lib/ExitReason.js"
import * as Process from "../../lib/Process.js"
import * as Model from "../model.js"
import type { Event } from "../normalize.js"
import * as Collector from "./collector.js"
import { reasonToken } from "./tokens.js"
import { stopReason } from "./workers.js"

// ----------------------------------------------------------------------------
// Timing: the timers' deadlines, to tell a scenario whose order of events is up to chance
// ----------------------------------------------------------------------------

/** A timer of nonzero time: when it was set, when it was due, when it stopped running (fired, cancelled, replaced). */
export interface TimerRun {
  readonly kind: Model.TimerKind
  readonly set: number
  readonly deadline: number
  end: number
}

/**
 * The timers of one scenario as the scripted machine set them: its own view (what it asked for
 * and what it saw), not the runtime's registers. An event closes the event timeout, a state
 * change the state timeout, a set / cancel its kind, a timeout event its own kind.
 */
export class Timing {
  readonly runs: Array<TimerRun> = []
  private readonly open = new Map<Model.TimerKind, TimerRun>()

  close(kind: Model.TimerKind, now: number): void {
    const run = this.open.get(kind)
    if (run !== undefined) {
      run.end = now
      this.open.delete(kind)
    }
  }

  start(kind: Model.TimerKind, now: number, millis: number): void {
    this.close(kind, now)
    const run: TimerRun = { kind, set: now, deadline: now + millis, end: Infinity }
    this.runs.push(run)
    this.open.set(kind, run)
  }

  closeAll(now: number): void {
    for (const kind of [...this.open.keys()]) this.close(kind, now)
  }

  /**
   * Why the order of this scenario's events may differ on the Erlang side by chance, or
   * `undefined`: two timers running together whose deadlines are closer than the margin, or a
   * deadline that close to a step's time (`boundaries`: when the steps after each `wait` ran).
   * A timer cancelled well before its deadline counts for neither.
   */
  ambiguity(boundaries: ReadonlyArray<number>, margin: number): string | undefined {
    const near = this.runs.filter((r) => r.end >= r.deadline - margin)
    for (let i = 0; i < near.length; i++) {
      const a = near[i]!
      for (const b of boundaries) {
        if (a.set < b && Math.abs(a.deadline - b) < margin) return `${a.kind} due at ${a.deadline} ms, a step at ${b} ms`
      }
      for (let j = i + 1; j < near.length; j++) {
        const b = near[j]!
        const together = a.set <= b.end && b.set <= a.end
        if (together && Math.abs(a.deadline - b.deadline) < margin) {
          return `${a.kind} due at ${a.deadline} ms, ${b.kind} at ${b.deadline} ms`
        }
      }
    }
    return undefined
  }
}

// ----------------------------------------------------------------------------
// The machine
// ----------------------------------------------------------------------------

const Req = Rpc.make("Req", { payload: { id: Schema.String, s: Schema.Unknown }, success: Schema.Number })
const Cast = Rpc.make("Cast", { payload: { id: Schema.String, s: Schema.Unknown } })

/** An info message of the scripted protocol. */
class Info {
  constructor(readonly id: string, readonly s: Model.StmScript) {}
}

/** What an internal event and a timer deliver: an id and a script. */
interface Content {
  readonly id: string
  readonly s: Model.StmScript
}

type State = Model.StmState
type From = StateMachine.From<number, never>

/**
 * The callbacks the machine ran, recorded as they run (the trace's `cb` events; the runner
 * merges them into each step's events). Synchronous, so that handlers can return their results
 * directly.
 */
export class Recorder {
  events: Array<Event> = []
  count = 0

  cb(seq: number, name: string, arg: string): void {
    this.events.push({ e: "cb", seq, name, arg })
    this.count++
  }

  drain(): ReadonlyArray<Event> {
    const events = this.events
    this.events = []
    return events
  }
}

/** What the machine's callbacks share with the runner. */
export interface Env {
  readonly timing: Timing
  readonly recorder: Recorder
  /** The clock's time, read synchronously (the TestClock's). */
  readonly now: () => number
}

interface Data {
  readonly env: Env
  readonly seq: number
  readonly deferred: ReadonlyArray<From>
}

export interface Args {
  readonly col: Collector.Ref
  readonly env: Env
  readonly scenario: Model.StatemScenario
}

type Result = StateMachine.Result<State, Data>

const noWho = () => "?"

/** Records a callback; the data's sequence number goes up by one. */
const cb = (data: Data, name: string, arg: string): Data => {
  data.env.recorder.cb(data.seq + 1, name, arg)
  return { ...data, seq: data.seq + 1 }
}

const doOf = (script: Model.StmScript, state: State): Model.StmDo => "do" in script ? script.do : script.by[state]

const timeOf = (t: Model.StmTime): Duration.Input | "infinity" => t === "infinity" ? "infinity" : Duration.millis(t)

/** The script's actions as StateMachine actions, in order, and the data (deferred callers). */
const actionsOf = (
  acts: ReadonlyArray<Model.StmAct>,
  from: From | undefined,
  data0: Data,
  now: number
): { readonly actions: Array<StateMachine.Action> | undefined; readonly data: Data } => {
  let data = data0
  const actions: Array<StateMachine.Action> = []
  for (const act of acts) {
    switch (act.a) {
      case "reply":
        if (from !== undefined) actions.push(StateMachine.reply(from, data.seq))
        break
      case "defer":
        if (from !== undefined) data = { ...data, deferred: [...data.deferred, from] }
        break
      case "flush":
        for (const f of data.deferred) actions.push(StateMachine.reply(f, data.seq))
        data = { ...data, deferred: [] }
        break
      case "postpone":
        actions.push(StateMachine.postpone)
        break
      case "next":
        actions.push(StateMachine.nextEvent({ id: act.id, s: act.s } satisfies Content))
        break
      case "set": {
        const content: Content = { id: act.id, s: act.s }
        const time = timeOf(act.t)
        actions.push(
          act.k === "e"
            ? StateMachine.eventTimeout(time, content)
            : act.k === "s"
            ? StateMachine.stateTimeout(time, content)
            : StateMachine.genericTimeout(act.k, time, content)
        )
        if (typeof act.t === "number" && act.t > 0) data.env.timing.start(act.k, now, act.t)
        else data.env.timing.close(act.k, now)
        break
      }
      case "update": {
        const content: Content = { id: act.id, s: act.s }
        actions.push(
          act.k === "e"
            ? StateMachine.updateEventTimeout(content)
            : act.k === "s"
            ? StateMachine.updateStateTimeout(content)
            : StateMachine.updateGenericTimeout(act.k, content)
        )
        break
      }
      case "cancel":
        actions.push(
          act.k === "e"
            ? StateMachine.cancelEventTimeout
            : act.k === "s"
            ? StateMachine.cancelStateTimeout
            : StateMachine.cancelGenericTimeout(act.k)
        )
        data.env.timing.close(act.k, now)
        break
    }
  }
  // No actions: `undefined`, as a handler without actions returns (the runtime's fast path).
  return { actions: actions.length === 0 ? undefined : actions, data }
}

/** A stop: with the script's replies (reply, flush), stopAndReply. */
const stopOf = (r: Model.StopReason, id: string, actions: ReadonlyArray<StateMachine.Action> | undefined, data: Data): Result => {
  const reason = stopReason(r, id)
  const replies = actions?.filter(isReply) ?? []
  return replies.length === 0 ? StateMachine.stopWith(reason, data) : StateMachine.stopAndReply(reason, replies, data)
}

/**
 * Runs the script of an event: records the callback, then does what the script says in
 * `state`. A crash is an exception (thrown here: a handler that returns its result directly
 * throws it, one that returns an Effect dies with it).
 */
const handle = (
  name: string,
  kind: Model.TimerKind | undefined,
  content: Content,
  state: State,
  data0: Data,
  from: From | undefined
): Result => {
  const { timing, now: clock } = data0.env
  const now = clock()
  // Any event cancels the event timeout; a timeout event is its timer's end.
  timing.close("e", now)
  if (kind !== undefined) timing.close(kind, now)
  const data = cb(data0, name, `${state} ${content.id}`)
  const d = doOf(content.s, state)
  if (d.to === "crash") throw { boom: content.id }
  // A state change cancels the state timeout before the transition's actions set another.
  if (d.to !== "keep" && d.to !== "repeat" && d.to !== "stop" && d.to !== state) timing.close("s", now)
  const { actions, data: next } = actionsOf(d.acts, from, data, now)
  switch (d.to) {
    case "keep":
      return StateMachine.keepState(next, actions)
    case "repeat":
      return StateMachine.repeatState(next, actions)
    case "stop":
      return stopOf(d.r!, content.id, actions, next)
    default:
      return StateMachine.nextState(d.to, next, actions)
  }
}

const isReply = (a: StateMachine.Action): boolean => (a as { readonly _tag: string })._tag === "Reply"

/** A state's enter call. */
const enter = (scenario: Model.StatemScenario, state: State, old: State, data0: Data): Result => {
  const e = scenario.enter[state]!
  const data = cb(data0, "enter", `${state} ${old}`)
  if (e.to === "crash") throw { boom: "enter" }
  const { actions, data: next } = actionsOf(e.acts, undefined, data, data0.env.now())
  return e.to === "stop" ? stopOf(e.r!, "enter", actions, next) : StateMachine.keepState(next, actions)
}

/** What `terminate` reports: the state and the reason, as the Erlang side's `{State, Reason}` reads. */
export const terminateArg = (state: string, reason: ExitReason.ExitReason): string => `{${state},${reasonToken(reason, noWho)}}`

const terminate = (reason: ExitReason.ExitReason, state: State, data: Data): void => {
  cb(data, "terminate", terminateArg(state, reason))
}

const init = (args: Args): Effect.Effect<StateMachine.InitResult<State, Data>, never, any> =>
  Effect.gen(function*() {
    const { col, env, scenario } = args
    yield* Collector.started(col, "server", yield* Process.self, "server")
    const data = cb({ env, seq: 0, deferred: [] }, "init", "a")
    const i = scenario.init
    switch (i.a) {
      case "ok": {
        const { actions, data: next } = actionsOf(i.acts, undefined, data, env.now())
        return StateMachine.ok("a" as State, next, actions)
      }
      case "ignore":
        return StateMachine.ignore
      case "stop":
        return StateMachine.stopWith(stopReason(i.r, "init"))
    }
  })

/**
 * How a scenario's handlers return: directly (`direct`: the runtime runs them from the node's
 * run queue, a crash is a thrown exception) or as an Effect (the machine's fiber runs them).
 */
const returning = <A extends Array<any>, B>(direct: boolean, f: (...args: A) => B) =>
  direct ? f : (...args: A): Effect.Effect<B> => Effect.sync(() => f(...args))

const timeoutName = (name: string): string => `timeout_${name}`

const genericKind = (name: string): Model.TimerKind => name as Model.TimerKind

/** The handlers of one state (state functions mode). */
const stateTable = (scenario: Model.StatemScenario, state: State) => {
  const r = <A extends Array<any>>(f: (...args: A) => Result) => returning(scenario.direct === true, f)
  return {
    ...(scenario.enter[state] === undefined ? {} : { enter: r((old: State, data: Data) => enter(scenario, state, old, data)) }),
    calls: {
      Req: r(({ id, s }: { readonly id: string; readonly s: unknown }, data: Data, from: From) =>
        handle("call", undefined, { id, s: s as Model.StmScript }, state, data, from))
    },
    casts: {
      Cast: r(({ id, s }: { readonly id: string; readonly s: unknown }, data: Data) =>
        handle("cast", undefined, { id, s: s as Model.StmScript }, state, data, undefined))
    },
    info: r((message: unknown, data: Data) =>
      message instanceof Info ? handle("info", undefined, message, state, data, undefined) : StateMachine.keepStateAndData()
    ),
    eventTimeout: r((content: unknown, data: Data) => handle("timeout", "e", content as Content, state, data, undefined)),
    stateTimeout: r((content: unknown, data: Data) => handle("state_timeout", "s", content as Content, state, data, undefined)),
    timeout: r((name: string, content: unknown, data: Data) =>
      handle(timeoutName(name), genericKind(name), content as Content, state, data, undefined)
    ),
    internal: r((content: unknown, data: Data) => handle("internal", undefined, content as Content, state, data, undefined))
  }
}

/** `handleEvent` (handle event function mode), on the same scripts. */
const handleEvent = (scenario: Model.StatemScenario) =>
(
  event: StateMachine.Event<State, typeof Req, typeof Cast>,
  state: State,
  data: Data
): Result => {
  switch (event._tag) {
    case "Enter":
      return enter(scenario, state, event.oldState, data)
    case "Call":
      return handle("call", undefined, event.payload as Content, state, data, event.from)
    case "Cast":
      return handle("cast", undefined, event.payload as Content, state, data, undefined)
    case "Info":
      return event.message instanceof Info
        ? handle("info", undefined, event.message, state, data, undefined)
        : StateMachine.keepStateAndData()
    case "EventTimeout":
      return handle("timeout", "e", event.content as Content, state, data, undefined)
    case "StateTimeout":
      return handle("state_timeout", "s", event.content as Content, state, data, undefined)
    case "Timeout":
      return handle(timeoutName(event.name), genericKind(event.name), event.content as Content, state, data, undefined)
    case "Internal":
      return handle("internal", undefined, event.content as Content, state, data, undefined)
  }
}

/** The scripted machine of a scenario, in the scenario's callback mode, its handlers returning as the scenario says. */
export const machine = (scenario: Model.StatemScenario) => {
  const finish = returning(scenario.direct === true, terminate)
  if (scenario.mode === "state_functions") {
    return StateMachine.make({
      name: "FidelityStatem",
      calls: [Req],
      casts: [Cast],
      init,
      states: { a: stateTable(scenario, "a"), b: stateTable(scenario, "b"), c: stateTable(scenario, "c") },
      terminate: finish
    })
  }
  return StateMachine.make({
    name: "FidelityStatem",
    calls: [Req],
    casts: [Cast],
    init,
    stateEnter: Object.keys(scenario.enter).length > 0,
    handleEvent: returning(scenario.direct === true, handleEvent(scenario)),
    terminate: finish
  })
}

/** Starts the scripted machine of `args.scenario` (its module is made for that scenario). */
export const start = (args: Args, name: string | undefined): Effect.Effect<StateMachine.Server<StateMachine.Any>, unknown, any> =>
  // Either mode's module: a union that `start`'s module parameter does not infer from.
  StateMachine.start(machine(args.scenario) as any, args, { name })

export const call = (target: Gen.Target, id: string, s: Model.StmScript) =>
  StateMachine.call(StateMachine.ref(probe, target), Req, { id, s }, { timeout: "infinity" })

/** A call the machine does not declare, as an untyped caller makes it. */
export const callUnknown = (target: Gen.Target, id: string) =>
  Gen.call(target, { _tag: "Unknown", payload: { id } }, { timeout: "infinity" })

export const cast = (target: Gen.Target, id: string, s: Model.StmScript) =>
  StateMachine.cast(StateMachine.ref(probe, target), Cast, { id, s })

export const info = (id: string, s: Model.StmScript): unknown => new Info(id, s)

/** A module of the same protocol, for typed references (calls and casts check against it). */
const probe = StateMachine.make({
  name: "FidelityStatem",
  calls: [Req],
  casts: [Cast],
  init: () => StateMachine.ok("a" as State, 0),
  handleEvent: () => StateMachine.keepStateAndData()
})
