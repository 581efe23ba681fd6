/**
 * The scripted processes of the effect-otp side, twins of fidelity_worker.erl,
 * fidelity_sup.erl and fidelity_server.erl: the same reports to the collector, the same results.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { Rpc } from "effect/rpc"
import * as Schema from "effect/Schema"
import * as ChildSpec from "../../behaviours/ChildSpec.js"
import * as DynamicSupervisor from "../../behaviours/DynamicSupervisor.js"
import * as ExitReason from "../../lib/ExitReason.js"
import * as Gen from "../../lib/Gen.js"
import * as GenServer from "../../behaviours/GenServer.js"
import type * as Pid from "../../lib/Pid.js"
import * as Process from "../../lib/Process.js"
import * as Supervisor from "../../behaviours/Supervisor.js"
import * as Model from "../model.js"
import * as Collector from "./collector.js"
import { reasonToken } from "./tokens.js"

/** What every scripted process of one scenario shares. */
export interface Ctx {
  readonly col: Collector.Ref
  /** Registered names are the prefix and the label, as on the Erlang side. */
  readonly prefix: string
}

// ----------------------------------------------------------------------------
// Workers
// ----------------------------------------------------------------------------

const Stop = Rpc.make("Stop", { payload: { how: Schema.String } })

interface WorkerArgs {
  readonly col: Collector.Ref
  readonly label: string
  readonly trap: boolean
  readonly slow: boolean
}

const Worker = GenServer.make({
  name: "FidelityWorker",
  casts: [Stop],
  init: (args: WorkerArgs): Effect.Effect<GenServer.InitResult<WorkerArgs>, never, Process.CurrentProcess> =>
    Effect.gen(function*() {
      if (args.trap) yield* Process.trapExit(true)
      const answer = yield* Collector.started(args.col, args.label, yield* Process.self, "worker")
      if (answer === "fail") return GenServer.stopWith(ExitReason.fail("start_failed"))
      if (answer === "ignore") return GenServer.ignore
      return GenServer.ok(args)
    }),
  handleCast: {
    Stop: ({ how }, state) => {
      const boom = { boom: state.label }
      switch (how as Model.StopHow) {
        case "crash":
          return GenServer.stopWith(ExitReason.fail(boom), state)
        case "raise":
          return Effect.die(boom)
        case "normal":
          return GenServer.stopWith(ExitReason.normal, state)
        case "shutdown":
          return GenServer.stopWith(ExitReason.shutdown(), state)
        case "shutdown_x":
          return GenServer.stopWith(ExitReason.shutdown(state.label), state)
      }
    }
  },
  handleInfo: (_message, state) => GenServer.noreply(state),
  terminate: (reason, state) =>
    Effect.gen(function*() {
      yield* Collector.terminated(state.col, yield* Process.self, reason)
      if (state.slow) yield* Effect.sleep(Model.SLOW_MS)
    })
})

export const stopWorker = (pid: Pid.Pid, how: Model.StopHow): Effect.Effect<void> =>
  GenServer.cast(GenServer.ref(Worker, pid), Stop, { how })

const shutdownOf = (shutdown: Model.Shutdown): ChildSpec.ChildSpec["shutdown"] =>
  shutdown === "brutal_kill" ? "brutalKill" : shutdown

const strategyOf = (strategy: Model.Strategy): NonNullable<Supervisor.Options["strategy"]> =>
  strategy === "one_for_one" ? "oneForOne" : strategy === "one_for_all" ? "oneForAll" : "restForOne"

const autoShutdownOf = (auto: Model.AutoShutdown): NonNullable<Supervisor.Options["autoShutdown"]> =>
  auto === "never" ? "never" : auto === "any_significant" ? "anySignificant" : "allSignificant"

/** A worker's child spec (`label` is its label; the spec's id is the label's last part). */
export const workerSpec = (
  ctx: Ctx,
  label: string,
  id: string,
  w: { readonly restart: Model.Restart; readonly shutdown: Model.Shutdown; readonly trap: boolean; readonly named: boolean; readonly slow: boolean; readonly significant?: boolean }
): ChildSpec.ChildSpec<never> =>
  GenServer.childSpec(Worker, { col: ctx.col, label, trap: w.trap, slow: w.slow }, {
    id,
    name: w.named ? ctx.prefix + label : undefined,
    restart: w.restart,
    shutdown: shutdownOf(w.shutdown),
    significant: w.significant ?? false
  })

/** A child of a static supervisor, from the scenario's tree. */
export const childSpec = (ctx: Ctx, parent: string, node: Model.ChildNode): ChildSpec.ChildSpec<never> => {
  const l = Model.label(parent, node.id)
  switch (node.kind) {
    case "worker":
      return workerSpec(ctx, l, node.id, node)
    case "sup":
      return ChildSpec.supervisor(node.id, startSupLink(ctx, l, node), {
        restart: node.restart,
        significant: node.significant
      })
    case "dyn":
      return ChildSpec.supervisor(
        node.id,
        Effect.flatMap(
          DynamicSupervisor.startLink({ intensity: node.intensity, period: Duration.seconds(node.period) }),
          (sup) => reported(ctx, l, sup.pid!, "dyn")
        ),
        { restart: node.restart, significant: node.significant }
      )
  }
}

const flagsOf = (node: Model.SupSpec): Supervisor.Options => ({
  strategy: strategyOf(node.strategy),
  intensity: node.intensity,
  period: Duration.seconds(node.period),
  autoShutdown: autoShutdownOf(node.auto_shutdown)
})

const reported = (ctx: Ctx, label: string, pid: Pid.Pid, kind: Collector.Kind): Effect.Effect<Pid.Pid> =>
  Effect.as(Collector.started(ctx.col, label, pid, kind), pid)

const startSupLink = (ctx: Ctx, label: string, node: Model.SupSpec) =>
  Effect.flatMap(
    Supervisor.startLink(node.children.map((c) => childSpec(ctx, label, c)), flagsOf(node)),
    (sup) => reported(ctx, label, sup.pid!, "sup")
  )

/** Starts the root supervisor (not linked to the caller) and reports it. */
export const startRoot = (ctx: Ctx, root: Model.SupSpec) =>
  Effect.flatMap(
    Supervisor.start(root.children.map((c) => childSpec(ctx, "root", c)), flagsOf(root)),
    (sup) => reported(ctx, "root", sup.pid!, "sup")
  )

/** The child spec a dynamic supervisor starts for the child `label` (its template). */
export const dynChildSpec = (ctx: Ctx, label: string, template: Model.Template): ChildSpec.ChildSpec<never> =>
  workerSpec(ctx, label, label.slice(label.lastIndexOf("/") + 1), template)

// ----------------------------------------------------------------------------
// The scripted server of GenServer scenarios
// ----------------------------------------------------------------------------

const Req = Rpc.make("Req", { payload: { id: Schema.String, action: Schema.Unknown }, success: Schema.Number })
const Cast = Rpc.make("Cast", { payload: { id: Schema.String, action: Schema.Unknown } })

/** What `bad` returns: no valid callback result (an untyped callback's mistake). */
const bogus = { _tag: "Bogus" } as unknown

/** An info message of the scripted protocol. */
class Info {
  constructor(readonly id: string, readonly action: Model.AsyncAction) {}
}

/** A continue's argument: the request that asked for it and what the continue does. */
interface Continue {
  readonly id: string
  readonly next: Model.AsyncAction
}

interface ServerArgs {
  readonly col: Collector.Ref
  readonly init: Model.InitAction
  readonly onTimeout: Model.AsyncAction
  readonly trap: boolean
}

interface ServerState {
  readonly col: Collector.Ref
  readonly seq: number
  readonly deferred: ReadonlyArray<Gen.From>
  readonly onTimeout: Model.AsyncAction
}

/** The reason a step's stop reason stands for (`tag`: the request's id, or `driver`). */
export const stopReason = (r: Model.StopReason, tag: string): ExitReason.ExitReason => {
  switch (r) {
    case "normal":
      return ExitReason.normal
    case "shutdown":
      return ExitReason.shutdown()
    case "shutdown_x":
      return ExitReason.shutdown(tag)
    case "boom":
      return ExitReason.fail({ boom: tag })
  }
}

const noWho = () => "?"

/** Reports a callback to the collector; the state's sequence number goes up by one. */
const cb = (state: ServerState, name: string, arg: string): Effect.Effect<ServerState> =>
  Effect.as(Collector.cb(state.col, state.seq + 1, name, arg), { ...state, seq: state.seq + 1 })

const flush = (state: ServerState): Effect.Effect<ServerState> =>
  Effect.as(
    Effect.forEach(state.deferred, (from) => GenServer.replyTo(from, state.seq), { discard: true }),
    { ...state, deferred: [] }
  )

const timeoutOf = (t: number) => ({ timeout: Duration.millis(t) })

const asyncAct = (
  action: Model.AsyncAction,
  id: string,
  state: ServerState
): Effect.Effect<GenServer.CastResult<ServerState>> => {
  switch (action.a) {
    case "noreply":
      return Effect.succeed(GenServer.noreply(state))
    case "noreply_t":
      return Effect.succeed(GenServer.noreply(state, timeoutOf(action.t)))
    case "continue":
      return Effect.succeed(GenServer.noreply(state, { continue: { id, next: action.next } satisfies Continue }))
    case "stop":
      return Effect.succeed(GenServer.stopWith(stopReason(action.r, id), state))
    case "crash":
      return Effect.die({ boom: id })
    case "flush":
      return Effect.map(flush(state), (s) => GenServer.noreply(s))
    case "bad":
      return Effect.succeed(bogus as GenServer.CastResult<ServerState>)
  }
}

const callAct = (
  action: Model.CallAction,
  id: string,
  state: ServerState,
  from: Gen.From
): Effect.Effect<GenServer.CallResult<number, never, ServerState>, unknown> => {
  const seq = state.seq
  switch (action.a) {
    case "reply":
      return Effect.succeed(GenServer.reply(seq, state))
    case "reply_t":
      return Effect.succeed(GenServer.reply(seq, state, timeoutOf(action.t)))
    case "defer":
      return Effect.succeed(GenServer.noreply({ ...state, deferred: [...state.deferred, from] }))
    case "defer_t":
      return Effect.succeed(GenServer.noreply({ ...state, deferred: [...state.deferred, from] }, timeoutOf(action.t)))
    case "continue":
      return Effect.succeed(GenServer.reply(seq, state, { continue: { id, next: action.next } satisfies Continue }))
    case "stop_reply":
      return Effect.succeed(GenServer.stopWith(stopReason(action.r, id), state, seq))
    case "stop":
      return Effect.succeed(GenServer.stopWith(stopReason(action.r, id), state))
    case "crash":
      return Effect.die({ boom: id })
    case "exit":
      return Effect.fail({ boom: id })
    case "flush":
      return Effect.map(flush(state), (s) => GenServer.reply(seq, s))
    case "bad":
      return Effect.succeed(bogus as GenServer.CallResult<number, never, ServerState>)
  }
}

const Scripted = GenServer.make({
  name: "FidelityServer",
  calls: [Req],
  casts: [Cast],
  init: (args: ServerArgs): Effect.Effect<GenServer.InitResult<ServerState>, unknown, Process.CurrentProcess> =>
    Effect.gen(function*() {
      if (args.trap) yield* Process.trapExit(true)
      yield* Collector.started(args.col, "server", yield* Process.self, "server")
      const state = yield* cb({ col: args.col, seq: 0, deferred: [], onTimeout: args.onTimeout }, "init", "init")
      const init = args.init
      switch (init.a) {
        case "ok":
          return GenServer.ok(state)
        case "ok_t":
          return GenServer.ok(state, timeoutOf(init.t))
        case "continue":
          return GenServer.ok(state, { continue: { id: "init", next: init.next } satisfies Continue })
        case "ignore":
          return GenServer.ignore
        case "stop":
          return GenServer.stopWith(stopReason(init.r, "init"))
        case "crash":
          return yield* Effect.die({ boom: "init" })
        case "bad":
          return bogus as GenServer.InitResult<ServerState>
      }
    }),
  handleCall: {
    Req: ({ id, action }, state, from) =>
      Effect.flatMap(cb(state, "handle_call", id), (s) => callAct(action as Model.CallAction, id, s, from))
  },
  handleCast: {
    Cast: ({ id, action }, state) =>
      Effect.flatMap(cb(state, "handle_cast", id), (s) => asyncAct(action as Model.AsyncAction, id, s))
  },
  handleInfo: (message, state) => {
    if (message === GenServer.timeout) {
      return Effect.flatMap(cb(state, "handle_info", "timeout"), (s) => asyncAct(s.onTimeout, "timeout", s))
    }
    if (message instanceof Info) {
      return Effect.flatMap(cb(state, "handle_info", message.id), (s) => asyncAct(message.action, message.id, s))
    }
    if (Process.isExitMessage(message)) {
      return Effect.map(
        cb(state, "handle_info", `exit(${reasonToken(message.reason, noWho)})`),
        (s) => GenServer.noreply(s)
      )
    }
    return Effect.succeed(GenServer.noreply(state))
  },
  handleContinue: (arg, state) => {
    const { id, next } = arg as Continue
    return Effect.flatMap(cb(state, "handle_continue", id), (s) => asyncAct(next, id, s))
  },
  terminate: (reason, state) => Effect.asVoid(cb(state, "terminate", reasonToken(reason, noWho)))
})

export const startServer = (col: Collector.Ref, s: Model.GenServerScenario, name: string | undefined) =>
  GenServer.start(Scripted, { col, init: s.init, onTimeout: s.on_timeout, trap: s.trap }, { name })

export const call = (target: Gen.Target, id: string, action: Model.CallAction, timeout: number | "infinity") =>
  GenServer.call(GenServer.ref(Scripted, target), Req, { id, action }, {
    timeout: timeout === "infinity" ? "infinity" : Duration.millis(timeout)
  })

/**
 * A call the scripted server does not declare, as an untyped caller makes it (a request is its
 * tag and payload): `tag` may name an `Object.prototype` member.
 */
export const callUnknown = (target: Gen.Target, tag: string, id: string) =>
  Gen.call(target, { _tag: tag, payload: { id } }, { timeout: "infinity" })

export const cast = (target: Gen.Target, id: string, action: Model.AsyncAction) =>
  GenServer.cast(GenServer.ref(Scripted, target), Cast, { id, action })

export const info = (id: string, action: Model.AsyncAction): unknown => new Info(id, action)
