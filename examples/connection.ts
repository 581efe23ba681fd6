/**
 * A client connection as a StateMachine: it connects to a remote end, reconnects with
 * exponential backoff when the connection is refused, times out or drops, checks the link with a
 * heartbeat, and holds the lines it is asked to send while it is not connected. The remote end is
 * a fake transport that fails now and then, on a script; both run under one supervisor:
 *
 * ```
 * net (Supervisor, oneForOne)
 * ├── transport    GenServer: the remote end; refuses, ignores, crashes and goes silent on a script
 * └── connection   StateMachine: disconnected ⇄ connecting ⇄ connected
 * ```
 *
 * What each piece of gen_statem shows here:
 *
 * - **State timeouts** time the backoff (`disconnected`) and each connection attempt
 *   (`connecting`): leaving the state cancels them, with no timer bookkeeping in the data.
 * - **A generic timeout** (`heartbeat`) pings the transport every second while connected; it
 *   does not end with a state change, so leaving `connected` cancels it.
 * - **Postpone**: a `Send` that arrives while the connection is down waits, in order with the
 *   others, until the state changes; one that was being sent when the connection dropped is
 *   postponed too, and so sent again once connected.
 * - **State enter calls** do what entering a state means (set the backoff, send the attempt),
 *   whichever transition led there.
 * - **Supervision**: the transport crashes on its fourth line; the supervisor restarts it, and
 *   the connection, which monitored it, reconnects to the new one.
 *
 * Run it with `npx tsx examples/connection.ts` (about 6 seconds); `test/examples.test.ts` runs
 * it on `TestClock`, where the same lines come out at the same (virtual) times.
 */
import { Clock, Console, Effect, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { Errors, ExitReason, GenServer, Node, Pid, Process, type Reference, StateMachine, Supervisor } from "../index.js"

// ----------------------------------------------------------------------------
// A log line with the time since the program started
// ----------------------------------------------------------------------------

/** Prints `[1.3s] who: text`, the time measured on `Clock` from `since`. */
const say = (since: number, who: string, text: string) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => Console.log(`[${((now - since) / 1000).toFixed(1)}s] ${who}: ${text}`))

// ----------------------------------------------------------------------------
// The transport: a fake remote end
// ----------------------------------------------------------------------------

const PidSchema = Schema.declare((u): u is Pid.Pid => Pid.isPid(u))

/** The transport does not know the session (it restarted, or the session was replaced). */
export class SessionClosed extends Schema.TaggedError<SessionClosed>()("SessionClosed", { session: Schema.Number }) {}

/** Cast: open a session. The answer comes as a message to `client`: {@link Accepted} or {@link Refused}, or none at all. */
export const Connect = Rpc.make("Connect", { payload: { client: PidSchema, attempt: Schema.Number } })
/** Call: send one line over the session; answers once the line is there. */
export const Deliver = Rpc.make("Deliver", { payload: { session: Schema.Number, line: Schema.String }, error: SessionClosed })
/** Call: is the session still there? */
export const Ping = Rpc.make("Ping", { payload: { session: Schema.Number }, error: SessionClosed })
/** Cast (the script's last fault): a network partition. The current session's packets are lost: nothing about it is answered any more. */
export const Partition = Rpc.make("Partition")

/** What the transport sends the client about a connection attempt (as a socket sends `{tcp, ...}` messages). */
export interface Accepted {
  readonly _tag: "Accepted"
  readonly attempt: number
  readonly session: number
  readonly transport: Pid.Pid
}
export interface Refused {
  readonly _tag: "Refused"
  readonly attempt: number
  readonly reason: string
}

/** Whether a message is the transport's answer to a connection attempt (any message may reach a process). */
const isAnswer = (u: unknown): u is Accepted | Refused =>
  typeof u === "object" && u !== null && ((u as Accepted)._tag === "Accepted" || (u as Refused)._tag === "Refused")

/** How the transport fails: the same script again after each restart. */
export interface Script {
  /** What it does with its first connection attempts, in order; every later one is accepted. */
  readonly connects: ReadonlyArray<"refuse" | "ignore">
  /** The line (counted since it started) on which it crashes, as a peer resetting the connection. */
  readonly crashOnLine: number
}

interface TransportState {
  readonly script: Script
  /** When the program started, for the log's times. */
  readonly since: number
  readonly connects: number
  readonly lines: number
  /** The open session, if any. */
  readonly session: number | undefined
  /** The session whose packets are lost (after a `Partition`). */
  readonly silent: number | undefined
}

export const Transport = GenServer.make({
  name: "Transport",
  calls: [Deliver, Ping],
  casts: [Connect, Partition],
  init: ({ script, since }: { readonly script: Script; readonly since: number }) =>
    Effect.as(
      say(since, "transport", "up"),
      GenServer.ok<TransportState>({ script, since, connects: 0, lines: 0, session: undefined, silent: undefined })
    ),
  handleCast: {
    Connect: ({ attempt, client }, s) =>
      Effect.gen(function*() {
        const n = s.connects + 1
        const fault = s.script.connects[n - 1]
        if (fault === "ignore") {
          yield* say(s.since, "transport", `ignores attempt ${attempt}`)
          return GenServer.noreply({ ...s, connects: n })
        }
        if (fault === "refuse") {
          yield* say(s.since, "transport", `refuses attempt ${attempt}`)
          yield* Process.send(client, { _tag: "Refused", attempt, reason: "too busy" } satisfies Refused)
          return GenServer.noreply({ ...s, connects: n })
        }
        const session = (s.session ?? 0) + 1
        yield* say(s.since, "transport", `accepts attempt ${attempt}: session ${session}`)
        yield* Process.send(client, { _tag: "Accepted", attempt, session, transport: yield* Process.self } satisfies Accepted)
        return GenServer.noreply({ ...s, connects: n, session, silent: undefined })
      }),
    Partition: (_, s) =>
      Effect.as(
        say(s.since, "transport", `partition: session ${s.session} goes silent`),
        GenServer.noreply({ ...s, silent: s.session })
      )
  },
  handleCall: {
    Deliver: ({ line, session }, s) =>
      Effect.gen(function*() {
        // A lost packet is never answered: the caller's timeout tells.
        if (session === s.silent) return GenServer.noreply(s)
        if (session !== s.session) return GenServer.replyFailure(new SessionClosed({ session }), s)
        const lines = s.lines + 1
        if (lines === s.script.crashOnLine) return yield* Effect.die(new Error("connection reset by peer"))
        yield* say(s.since, "transport", `received ${JSON.stringify(line)}`)
        return GenServer.reply(undefined, { ...s, lines })
      }),
    Ping: ({ session }, s) =>
      session === s.silent
        ? GenServer.noreply(s)
        : session === s.session
        ? GenServer.reply(undefined, s)
        : GenServer.replyFailure(new SessionClosed({ session }), s)
  }
})

// ----------------------------------------------------------------------------
// The connection: a StateMachine
// ----------------------------------------------------------------------------

/** Call: send a line; answers once the transport has it (however many reconnections that takes). */
export const Send = Rpc.make("Send", { payload: { line: Schema.String }, success: Schema.Number })
/** Call: the connection's state, in words. */
export const Status = Rpc.make("Status", { success: Schema.String })

/** Timings, in milliseconds. */
export interface Timings {
  /** The first wait before reconnecting; each failure in a row doubles it, up to `maxBackoff`. */
  readonly backoff: number
  readonly maxBackoff: number
  /** How long a connection attempt may go unanswered. */
  readonly connectTimeout: number
  /** The time between two pings while connected, and how long a ping (or a line) may take. */
  readonly heartbeat: number
  readonly requestTimeout: number
}

interface Data {
  /** The transport's registered name. */
  readonly transport: string
  readonly timings: Timings
  readonly since: number
  /** Connection attempts so far (each answer names its attempt: a late one is told apart). */
  readonly attempts: number
  /** Connections lost or attempts failed in a row: the backoff grows with it. */
  readonly failures: number
  /** While connected: the session, and the monitor of the transport that holds it. */
  readonly session: number | undefined
  readonly monitor: Reference.Reference | undefined
  /** Lines sent so far. */
  readonly sent: number
}

/** The wait before the next attempt after `failures` failures in a row: 1×, 2×, 4× ... the backoff, capped. */
const backoff = (t: Timings, failures: number) => Math.min(t.backoff * 2 ** Math.max(0, failures - 1), t.maxBackoff)

const transportOf = (data: Data) => GenServer.ref(Transport, data.transport)

/** A failed request to the transport, in words. */
const why = (error: Errors.CallError | Errors.UnknownRequest | Errors.BadArgument | SessionClosed): string => {
  switch (error._tag) {
    case "CallExit":
      return `the transport crashed (${ExitReason.format(error.reason)})`
    case "CallTimeout":
      return `no answer within ${error.timeoutMillis} ms`
    case "NoProc":
      return "no transport running"
    case "SessionClosed":
      return `session ${error.session} is closed`
    default:
      return error.message
  }
}

/**
 * The connection is gone (or never came): to `disconnected`, one failure more; its enter call
 * waits the backoff. `actions` may postpone the event at hand, to handle it again once connected.
 */
const lost = (data: Data, reason: string, actions?: StateMachine.Actions) =>
  Effect.as(
    say(data.since, "connection", reason),
    StateMachine.nextState("disconnected", { ...data, failures: data.failures + 1, session: undefined }, actions)
  )

/** While not connected: a `Send` waits for the next state change (and again, until one is `connected`). */
const holdSends = { Send: () => StateMachine.keepStateAndData(StateMachine.postpone) }

export const Connection = StateMachine.make({
  name: "Connection",
  calls: [Send, Status],
  init: (args: { readonly transport: string; readonly timings: Timings; readonly since: number }) =>
    Effect.as(
      // So that `terminate` runs when the supervisor shuts the connection down.
      Process.trapExit(true),
      StateMachine.ok("connecting", {
        ...args,
        attempts: 0,
        failures: 0,
        session: undefined,
        monitor: undefined,
        sent: 0
      } as Data)
    ),
  states: {
    disconnected: {
      // Whatever led here: stop watching the old transport (and drop its pending DOWN), stop
      // the heartbeat (a generic timeout outlives state changes), and wait the backoff.
      enter: (_, data) =>
        Effect.gen(function*() {
          if (data.monitor !== undefined) yield* Process.demonitor(data.monitor, { flush: true })
          const wait = backoff(data.timings, data.failures)
          yield* say(data.since, "connection", `disconnected; retry in ${wait} ms`)
          return StateMachine.keepState({ ...data, monitor: undefined }, [
            StateMachine.cancelGenericTimeout("heartbeat"),
            StateMachine.stateTimeout(wait, "retry")
          ])
        }),
      stateTimeout: (_, data) => StateMachine.nextState("connecting", data),
      calls: {
        ...holdSends,
        Status: (_, data, from) => StateMachine.keepStateAndData(StateMachine.reply(from, `disconnected after ${data.failures} failure(s)`))
      },
      // A late answer to an abandoned attempt: nothing to do with it.
      info: () => StateMachine.keepStateAndData()
    },

    connecting: {
      // Each attempt: ask the transport, and give it `connectTimeout` to answer.
      enter: (_, data) =>
        Effect.gen(function*() {
          const attempt = data.attempts + 1
          yield* say(data.since, "connection", `connecting (attempt ${attempt})`)
          yield* GenServer.cast(transportOf(data), Connect, { client: yield* Process.self, attempt })
          return StateMachine.keepState({ ...data, attempts: attempt }, StateMachine.stateTimeout(data.timings.connectTimeout, "give up"))
        }),
      stateTimeout: (_, data) => lost(data, `attempt ${data.attempts} got no answer within ${data.timings.connectTimeout} ms`),
      info: (message, data) => {
        // Only the answer to this attempt counts: a late one (or a stale DOWN) is dropped.
        if (!isAnswer(message) || message.attempt !== data.attempts) return StateMachine.keepStateAndData()
        const answer = message
        if (answer._tag === "Refused") return lost(data, `attempt ${answer.attempt} refused: ${answer.reason}`)
        return Effect.gen(function*() {
          // If the transport dies, its DOWN message tells the connected state.
          const monitor = yield* Process.monitor(answer.transport)
          yield* say(data.since, "connection", `connected: session ${answer.session}`)
          return StateMachine.nextState("connected", { ...data, failures: 0, session: answer.session, monitor })
        })
      },
      calls: {
        ...holdSends,
        Status: (_, data, from) => StateMachine.keepStateAndData(StateMachine.reply(from, `connecting (attempt ${data.attempts})`))
      }
    },

    connected: {
      // The heartbeat runs while connected. The sends postponed meanwhile are handled right after, oldest first.
      enter: (_, data) => StateMachine.keepStateAndData(StateMachine.genericTimeout("heartbeat", data.timings.heartbeat, "ping")),
      calls: {
        Send: ({ line }, data, from) =>
          GenServer.call(transportOf(data), Deliver, { session: data.session!, line }, { timeout: data.timings.requestTimeout }).pipe(
            Effect.map(() => StateMachine.keepState({ ...data, sent: data.sent + 1 }, StateMachine.reply(from, data.sent + 1))),
            // Not sent: postponed, so handled again after the reconnection.
            Effect.catch((error) => lost(data, `${JSON.stringify(line)} not sent: ${why(error)}; it waits`, StateMachine.postpone))
          ),
        Status: (_, data, from) =>
          StateMachine.keepStateAndData(StateMachine.reply(from, `connected: session ${data.session}, ${data.sent} line(s) sent`))
      },
      // The heartbeat: a ping, then the next one; no answer in time and the connection is lost.
      timeout: (_name, _content, data) =>
        GenServer.call(transportOf(data), Ping, { session: data.session! }, { timeout: data.timings.requestTimeout }).pipe(
          Effect.as(StateMachine.keepStateAndData(StateMachine.genericTimeout("heartbeat", data.timings.heartbeat, "ping"))),
          Effect.catch((error) => lost(data, `heartbeat failed: ${why(error)}`))
        ),
      info: (message, data) =>
        Process.isDownMessage(message) && message.ref === data.monitor
          ? lost(data, `the transport went down (${ExitReason.format(message.reason)})`)
          : StateMachine.keepStateAndData()
    }
  },
  terminate: (reason, state, data) => say(data.since, "connection", `stopped (${ExitReason.format(reason)}) while ${state}, ${data.sent} line(s) sent`)
})

// ----------------------------------------------------------------------------
// The program
// ----------------------------------------------------------------------------

export const timings: Timings = { backoff: 100, maxBackoff: 2000, connectTimeout: 1000, heartbeat: 1000, requestTimeout: 300 }

const connection = StateMachine.ref(Connection, "connection")

/** Sends `line`, waiting up to 10 s (the default is 5): it may wait for reconnections. */
const send = (line: string) => StateMachine.call(connection, Send, { line }, { timeout: "10 seconds" })

export const main = Process.run(Effect.gen(function*() {
  const since = yield* Clock.currentTimeMillis
  const net = yield* Supervisor.start([
    GenServer.childSpec(Transport, { script: { connects: ["refuse", "ignore"], crashOnLine: 4 }, since }, { id: "transport", name: "transport" }),
    StateMachine.childSpec(Connection, { transport: "transport", timings, since }, { id: "connection", name: "connection" })
  ], { strategy: "oneForOne", name: "net" })

  // Two lines at once, before the connection is up: both wait (postponed), then go in order.
  const first = yield* Effect.all([send("hello"), send("world")], { concurrency: "unbounded" })
  yield* say(since, "main", `hello and world sent as lines ${first.join(" and ")}`)

  // Connected for a while: the heartbeat pings the transport every second.
  yield* Effect.sleep("1500 millis")
  yield* say(since, "main", `status: ${yield* StateMachine.call(connection, Status)}`)

  // The transport crashes on its fourth line: the line waits, the supervisor restarts the
  // transport, the connection reconnects and sends it.
  yield* send("three")
  const four = yield* send("four")
  yield* say(since, "main", `four sent as line ${four}`)

  // A partition: nothing is answered any more. The heartbeat notices; the connection reconnects.
  yield* GenServer.cast(GenServer.ref(Transport, "transport"), Partition)
  yield* Effect.sleep("2 seconds")
  yield* say(since, "main", `status: ${yield* StateMachine.call(connection, Status)}`)
  yield* send("bye")

  yield* Supervisor.stop(net)
}))

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main.pipe(Effect.provide(Node.layer())))
}
