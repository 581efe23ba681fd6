/**
 * The collector of one scenario, effect-otp's twin of fidelity_collector.erl: every process of
 * the scenario reports to it, it monitors every process it has seen start (so every exit is
 * recorded with its reason), and it decides whether a worker's start fails.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { Rpc } from "effect/rpc"
import * as Schema from "effect/Schema"
import * as ExitReason from "../../lib/ExitReason.js"
import * as GenServer from "../../behaviours/GenServer.js"
import * as Pid from "../../lib/Pid.js"
import * as Process from "../../lib/Process.js"
import * as Reference from "../../lib/Reference.js"
import type { Event } from "../normalize.js"
import { reasonToken, resultToken, type Shape } from "./tokens.js"

export type Kind = "worker" | "sup" | "dyn" | "server"
export type StartAnswer = "ok" | "fail" | "ignore"

const Started = Rpc.make("Started", {
  payload: { label: Schema.String, pid: Schema.Unknown, kind: Schema.String },
  success: Schema.String
})
const FailStarts = Rpc.make("FailStarts", { payload: { label: Schema.String, n: Schema.Number, mode: Schema.String } })
const Drain = Rpc.make("Drain", { success: Schema.Unknown })
const Count = Rpc.make("Count", { success: Schema.Number })
const Live = Rpc.make("Live", { success: Schema.Unknown })
const LiveOf = Rpc.make("LiveOf", { payload: { label: Schema.String }, success: Schema.Unknown })
const LastOf = Rpc.make("LastOf", { payload: { label: Schema.String }, success: Schema.Unknown })
const Pids = Rpc.make("Pids", { success: Schema.Unknown })
const Terminate = Rpc.make("Terminate", { payload: { pid: Schema.Unknown, reason: Schema.Unknown } })
const Result = Rpc.make("Result", { payload: { op: Schema.String, exit: Schema.Unknown, shape: Schema.String } })
const Noop = Rpc.make("Noop", { payload: { op: Schema.String } })
const Cb = Rpc.make("Cb", { payload: { seq: Schema.Number, name: Schema.String, arg: Schema.String } })

interface Known {
  readonly label: string
  readonly gen: number
  readonly kind: Kind
}

interface State {
  events: Array<Event>
  count: number
  readonly byPid: Map<Pid.Pid, Known>
  readonly live: Map<string, Pid.Pid>
  readonly last: Map<string, Pid.Pid>
  readonly gens: Map<string, number>
  readonly fails: Map<string, Array<StartAnswer>>
  readonly monitors: Map<Reference.Reference, Pid.Pid>
}

const add = (state: State, event: Event): State => {
  state.events.push(event)
  state.count++
  return state
}

const whoOf = (state: State) => (pid: Pid.Pid): string => {
  const known = state.byPid.get(pid)
  return known === undefined ? "?" : `${known.label}#${known.gen}`
}

const Collector = GenServer.make({
  name: "FidelityCollector",
  calls: [Started, FailStarts, Drain, Count, Live, LiveOf, LastOf, Pids],
  casts: [Terminate, Result, Noop, Cb],
  init: () =>
    GenServer.ok<State>({
      events: [],
      count: 0,
      byPid: new Map(),
      live: new Map(),
      last: new Map(),
      gens: new Map(),
      fails: new Map(),
      monitors: new Map()
    }),
  handleCall: {
    Started: ({ label, pid, kind }, state) =>
      Effect.gen(function*() {
        const pending = state.fails.get(label)
        if (kind === "worker" && pending !== undefined && pending.length > 0) {
          const mode = pending.shift()!
          return GenServer.reply(mode as string, add(state, { e: "startfail", label, mode }))
        }
        const gen = (state.gens.get(label) ?? 0) + 1
        const p = pid as Pid.Pid
        state.gens.set(label, gen)
        state.byPid.set(p, { label, gen, kind: kind as Kind })
        state.live.set(label, p)
        state.last.set(label, p)
        state.monitors.set(yield* Process.monitor(p), p)
        return GenServer.reply("ok" as string, add(state, { e: "start", who: `${label}#${gen}` }))
      }),
    FailStarts: ({ label, n, mode }, state) => {
      state.fails.set(label, Array.from({ length: n }, () => mode as StartAnswer))
      return GenServer.reply(undefined, state)
    },
    Drain: (_, state) => {
      const events = state.events
      state.events = []
      return GenServer.reply(events as unknown, state)
    },
    Count: (_, state) => GenServer.reply(state.count, state),
    Live: (_, state) =>
      GenServer.reply(
        [...state.live].map(([label, pid]) => [label, pid, state.byPid.get(pid)!.kind] as const) as unknown,
        state
      ),
    LiveOf: ({ label }, state) => GenServer.reply(state.live.get(label) as unknown, state),
    LastOf: ({ label }, state) => GenServer.reply(state.last.get(label) as unknown, state),
    Pids: (_, state) => GenServer.reply(whoOf(state) as unknown, state)
  },
  handleCast: {
    Terminate: ({ pid, reason }, state) =>
      GenServer.noreply(add(state, {
        e: "terminate",
        who: whoOf(state)(pid as Pid.Pid),
        reason: reasonToken(reason as ExitReason.ExitReason, whoOf(state))
      })),
    Result: ({ op, exit, shape }, state) =>
      GenServer.noreply(add(state, {
        e: "result",
        op,
        value: resultToken(exit as Exit.Exit<unknown, unknown>, shape as Shape, whoOf(state))
      })),
    Noop: ({ op }, state) => GenServer.noreply(add(state, { e: "noop", op })),
    Cb: ({ seq, name, arg }, state) => GenServer.noreply(add(state, { e: "cb", seq, name, arg }))
  },
  handleInfo: (message, state) => {
    if (!Process.isDownMessage(message)) return GenServer.noreply(state)
    const pid = state.monitors.get(message.ref)
    const known = pid === undefined ? undefined : state.byPid.get(pid)
    if (pid === undefined || known === undefined) return GenServer.noreply(state)
    state.monitors.delete(message.ref)
    if (state.live.get(known.label) === pid) state.live.delete(known.label)
    return GenServer.noreply(add(state, {
      e: "exit",
      who: `${known.label}#${known.gen}`,
      reason: reasonToken(message.reason, whoOf(state))
    }))
  }
})

/** A running collector. */
export type Ref = GenServer.Server<typeof Collector>

const infinity = { timeout: "infinity" } as const

export const start: Effect.Effect<Ref, never, any> = Effect.orDie(GenServer.start(Collector, undefined))

/** Reports a start; the answer says whether it is to fail or return ignore instead. */
export const started = (col: Ref, label: string, pid: Pid.Pid, kind: Kind): Effect.Effect<StartAnswer> =>
  Effect.orDie(GenServer.call(col, Started, { label, pid, kind }, infinity)) as Effect.Effect<StartAnswer>

export const failStarts = (col: Ref, label: string, n: number, mode: StartAnswer): Effect.Effect<void> =>
  Effect.orDie(GenServer.call(col, FailStarts, { label, n, mode }, infinity))

export const drain = (col: Ref): Effect.Effect<ReadonlyArray<Event>> =>
  Effect.orDie(GenServer.call(col, Drain, undefined, infinity)) as Effect.Effect<ReadonlyArray<Event>>

export const count = (col: Ref): Effect.Effect<number> => Effect.orDie(GenServer.call(col, Count, undefined, infinity))

export const live = (col: Ref): Effect.Effect<ReadonlyArray<readonly [string, Pid.Pid, Kind]>> =>
  Effect.orDie(GenServer.call(col, Live, undefined, infinity)) as Effect.Effect<
    ReadonlyArray<readonly [string, Pid.Pid, Kind]>
  >

export const liveOf = (col: Ref, label: string): Effect.Effect<Pid.Pid | undefined> =>
  Effect.orDie(GenServer.call(col, LiveOf, { label }, infinity)) as Effect.Effect<Pid.Pid | undefined>

export const lastOf = (col: Ref, label: string): Effect.Effect<Pid.Pid | undefined> =>
  Effect.orDie(GenServer.call(col, LastOf, { label }, infinity)) as Effect.Effect<Pid.Pid | undefined>

/** How the collector names pids now (label and generation). */
export const who = (col: Ref): Effect.Effect<(pid: Pid.Pid) => string> =>
  Effect.orDie(GenServer.call(col, Pids, undefined, infinity)) as Effect.Effect<(pid: Pid.Pid) => string>

export const terminated = (col: Ref, pid: Pid.Pid, reason: ExitReason.ExitReason): Effect.Effect<void> =>
  GenServer.cast(col, Terminate, { pid, reason })

export const result = (col: Ref, op: string, exit: Exit.Exit<unknown, unknown>, shape: Shape): Effect.Effect<void> =>
  GenServer.cast(col, Result, { op, exit, shape })

export const noop = (col: Ref, op: string): Effect.Effect<void> => GenServer.cast(col, Noop, { op })

export const cb = (col: Ref, seq: number, name: string, arg: string): Effect.Effect<void> =>
  GenServer.cast(col, Cb, { seq, name, arg })
