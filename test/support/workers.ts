/**
 * Test workers for supervisor tests: GenServers that report their lifecycle to a log process.
 */
import { Context, Effect, Logger, Option, References, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { ChildSpec, ExitReason, GenServer, Pid, Process } from "../../index.js"

export interface WorkerArgs {
  readonly id: string
  /** Who gets `["started", id]` and `["stopped", id, reasonTag]`. */
  readonly log: Pid.Pid
  /** Fail the init (start error) or return ignore. */
  readonly init?: "ok" | "fail" | "ignore" | undefined
  /** How long terminate takes (ms, on the Clock): for shutdown timeouts. */
  readonly slowStop?: number | undefined
}

export const Ping = Rpc.make("Ping", { success: Schema.String })
export const Exit = Rpc.make("Exit", { payload: { how: Schema.Literals(["normal", "shutdown", "crash"]) } })

/** Traps exits so its terminate runs (and reports) when its supervisor stops it. */
export const Worker = GenServer.make({
  name: "Worker",
  calls: [Ping],
  casts: [Exit],
  init: (args: WorkerArgs) =>
    Effect.gen(function*() {
      if (args.init === "fail") return GenServer.stopWith(ExitReason.shutdown("init failed"))
      if (args.init === "ignore") return GenServer.ignore
      yield* Process.trapExit(true)
      yield* Process.send(args.log, ["started", args.id])
      return GenServer.ok(args)
    }),
  handleCall: {
    Ping: (_, state) => GenServer.reply(state.id, state)
  },
  handleCast: {
    Exit: ({ how }, state) =>
      how === "crash"
        ? Effect.die(new Error(`${state.id} crashed`))
        : GenServer.stopWith(how === "normal" ? ExitReason.normal : ExitReason.shutdown(), state)
  },
  terminate: (reason, state) =>
    Effect.gen(function*() {
      if (state.slowStop !== undefined) yield* Effect.sleep(state.slowStop)
      yield* Process.send(state.log, ["stopped", state.id, reason._tag])
    })
})

export const worker = (args: WorkerArgs, options?: Parameters<typeof GenServer.childSpec>[2]) =>
  GenServer.childSpec(Worker, args, { id: args.id, ...options })

/** The log entries waiting in the caller's mailbox, in order. */
export const takeLog = Effect.gen(function*() {
  const out: Array<unknown> = []
  while (true) {
    const next = yield* Process.receive({ match: Array.isArray, timeout: 0 })
    if (Option.isNone(next)) return out
    out.push(next.value)
  }
})

/** Waits for the next log entry. */
export const nextLog = Process.receive({ match: Array.isArray })

/** A logger that keeps log entries (message and annotations) instead of printing them. */
export const captureLogs = () => {
  const entries: Array<{ readonly level: string; readonly message: string; readonly annotations: Record<string, unknown> }> = []
  const logger = Logger.make<unknown, void>(({ fiber, logLevel, message }) => {
    const parts = Array.isArray(message) ? message : [message]
    const annotations = Context.get(fiber.context, References.CurrentLogAnnotations) as Record<string, unknown>
    entries.push({ level: logLevel, message: parts.map(String).join(" "), annotations: { ...annotations } })
  })
  const provide = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.provideService(effect, Logger.CurrentLoggers, new Set([logger]))
  return { entries, provide }
}

/** Runs `effect` with its log entries dropped (tests that crash workers on purpose). */
export const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>) => captureLogs().provide(effect)

/**
 * A worker spec whose start succeeds, then fails its next `failures` starts (its init fails),
 * then succeeds again; `starts()` counts the starts so far.
 */
export const flakyWorker = (args: Omit<WorkerArgs, "init">, failures: number) => {
  let starts = 0
  const spec = ChildSpec.worker(
    args.id,
    Effect.suspend(() => {
      starts++
      const init = starts >= 2 && starts <= 1 + failures ? "fail" : "ok"
      return Effect.map(GenServer.startLink(Worker, { ...args, init }), (server) => server.pid!)
    })
  )
  return { spec, starts: () => starts }
}

/** How many `start_error` reports (errors, as OTP's) say that a restart of child `id` failed. */
export const restartFailures = (logs: ReturnType<typeof captureLogs>, id: string): number =>
  logs.entries.filter((e) =>
    e.level === "Error" && e.annotations["context"] === "start_error" && e.annotations["child"] === id &&
    e.message.includes(`restart of ${id} failed`)
  ).length

export const GetText = Rpc.make("Get", { success: Schema.String })

/** A server that answers `Get` with the text it was started with: for naming tests. */
export const Named = GenServer.make({
  name: "Named",
  calls: [GetText],
  init: (text: string) => GenServer.ok(text),
  handleCall: { Get: (_, text) => GenServer.reply(text, text) }
})
