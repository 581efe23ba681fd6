/**
 * The flagship example, what `npm start` runs: a chat service as an OTP application, with a
 * browser page, served over HTTP and WebSocket by `@effect/platform-node`.
 *
 * ```
 * chat (Application, permanent)
 * └── chat.sup              Supervisor (restForOne)
 *     ├── chat.rooms        Registry, unique keys: rooms by name (via naming)
 *     ├── chat.topics       Registry, duplicate keys: which connection listens to which room (pub/sub)
 *     ├── chat.room_sup     DynamicSupervisor: one Room GenServer per room, started on demand
 *     └── chat.endpoint     GenServer owning the HTTP server: the page at `/`, WebSockets at `/ws`
 *         (one session process per connected socket, spawned for the connection's lifetime)
 * ```
 *
 * Each connection is a process (as a Phoenix channel is): it joins one room at a time,
 * registering itself under the room's name in `chat.topics`, so the room reaches every listener
 * with one `Registry.dispatch`; and it monitors the room. When a room crashes (type `/crash`),
 * its DynamicSupervisor starts a fresh one under the same name; every session sees the room's
 * `Down`, tells its page, waits for the restart, monitors the new room and tells its page the
 * room is back (clean: its history is gone). The subscriptions belong to the sessions, not to
 * the room, so nobody has to join again.
 *
 * The observer (`effect-otp/observer`) runs on its own port; it is started with the
 * application and the tree is started inside it, so its page shows the rooms' crash reports.
 *
 * Configuration comes from the environment with defaults in code: `CHAT_ROOMS` (rooms opened
 * at start, default `lobby,effect`), `CHAT_HISTORY` (messages a room keeps, default 50),
 * `CHAT_HOST` (default `127.0.0.1`), `CHAT_PORT` (default 3000), `OBSERVER_PORT` (default
 * 3001; the observer listens on 127.0.0.1 only). A port of 0 picks a free one.
 *
 * The page speaks JSON over the WebSocket at `/ws`: it sends `{type: "join", user, room}` and
 * `{type: "say", text}` (the text `/crash` crashes the room) and receives `joined` (with the
 * room's history), `said`, `notice` and `error`. What a page sends is checked at run time: a bad
 * frame gets an `error` and changes nothing, a frame over 16 KiB closes that connection, a
 * WebSocket opened by a page of another site (its `Origin`) is refused.
 *
 * Faults, each tested in `test/chat.test.ts`: a session killed (from the observer) closes its
 * socket and the page reconnects; the endpoint killed is restarted on the same port; the stop
 * ends every session before it closes the server.
 *
 * Run it with `npm start`; it prints both addresses and runs until Ctrl-C (or SIGTERM), then
 * stops in order: the endpoint (closing the sockets), the rooms, the registries, then the
 * application's `stop` closes the observer, and the program exits 0. The script is
 * `exec node --import tsx examples/chat.ts`: one process under npm, so that a SIGTERM npm passes
 * on reaches the program itself (with `sh -c` or the `tsx` CLI in between, npm's SIGTERM killed
 * the shell and left the program running on its ports), and a Ctrl-C exits 0 instead of npm
 * reporting the signal. If a launcher it runs under (npm, npx, `sh -c`, the `tsx` command) dies
 * without passing a signal on (`npx tsx examples/chat.ts` given a SIGTERM: npx passes it to
 * `sh -c`, which dies alone), the program stops too, within a second.
 * `test/chat.test.ts` drives it in Chromium, runs the scripted client `examples/chat/client.ts`
 * against it, and stops `npm start` with signals.
 */
import { Cause, Config, Console, Deferred, Effect, Exit, Layer, Option, Schedule, Schema, Scope } from "effect"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { Rpc } from "effect/rpc"
import type * as Socket from "effect/socket/Socket"
import { readFileSync } from "node:fs"
import * as Http from "node:http"
import { Observer } from "../observer/index.js"
import { Application, DynamicSupervisor, ExitReason, GenServer, Node, Pid, Process, Reference, Registry, Supervisor } from "../index.js"
import { page } from "./chat/page.js"

// ----------------------------------------------------------------------------
// Names and limits
// ----------------------------------------------------------------------------

const rooms = Registry.ref<string, undefined, "unique">("chat.rooms", "unique")
const topics = Registry.ref<string, string, "duplicate">("chat.topics", "duplicate")
const roomSup = "chat.room_sup"

/** Rooms open at once (`startChild` beyond it fails with `MaxChildren`). */
const maxRooms = 100
/** A WebSocket frame larger than this closes the connection (`ws`'s default is 100 MiB). */
const maxFrame = 16 * 1024
/** Room and user names: letters, digits, space, `_`, `.`, `-`. */
const namePattern = /^[\p{L}\p{N} _.-]{1,32}$/u
const maxText = 500

// ----------------------------------------------------------------------------
// Messages a session process receives
// ----------------------------------------------------------------------------

/** A message said in a room, sent to each of its listeners. */
export interface Said {
  readonly _tag: "Said"
  readonly room: string
  readonly user: string
  readonly text: string
}

/** A system notice about a room (someone joined or left, a crash is coming). */
export interface Notice {
  readonly _tag: "Notice"
  readonly room: string
  readonly text: string
}

/** A frame from the session's socket, or its end. */
type FromSocket = { readonly _tag: "Frame"; readonly data: string | Uint8Array } | { readonly _tag: "Closed" }

const isTagged = <T extends string>(u: unknown, tag: T): u is { readonly _tag: T } =>
  typeof u === "object" && u !== null && (u as { readonly _tag?: unknown })._tag === tag

/** Sends `message` to every listener of `room`. */
const publish = (room: string, message: Said | Notice) =>
  Registry.dispatch(topics, room, (listeners) => Effect.forEach(listeners, ([pid]) => Process.send(pid, message), { discard: true }))

// ----------------------------------------------------------------------------
// A room
// ----------------------------------------------------------------------------

const Post = Rpc.make("Post", { payload: { user: Schema.String, text: Schema.String }, success: Schema.Number })
const History = Rpc.make("History", { success: Schema.Array(Schema.String) })
const Bug = Rpc.make("Bug", { payload: { user: Schema.String } })

interface RoomState {
  readonly name: string
  readonly limit: number
  readonly history: ReadonlyArray<string>
}

/** A room: its recent history, and the broadcast of each message to the room's listeners. */
export const Room = GenServer.make({
  name: "Room",
  calls: [Post, History],
  casts: [Bug],
  init: ({ name, limit }: { readonly name: string; readonly limit: number }) =>
    Effect.gen(function*() {
      yield* Process.trapExit(true) // so terminate runs when the supervisor stops the room
      yield* Console.log(`  room ${name} started`)
      return GenServer.ok<RoomState>({ name, limit, history: [] })
    }),
  handleCall: {
    Post: ({ user, text }, room) =>
      Effect.gen(function*() {
        // Every listener of the room gets it once, in the order posted.
        yield* publish(room.name, { _tag: "Said", room: room.name, user, text })
        const history = [...room.history, `${user}: ${text}`].slice(-room.limit)
        return GenServer.reply(history.length, { ...room, history })
      }),
    History: (_, room) => GenServer.reply(room.history, room)
  },
  handleCast: {
    Bug: ({ user }, room) =>
      Effect.andThen(
        publish(room.name, { _tag: "Notice", room: room.name, text: `${user} typed /crash: room ${room.name} trips over a bug` }),
        Effect.die(new Error(`room ${room.name} tripped over a bug`))
      )
  },
  terminate: (reason, room) => Console.log(`  room ${room.name} stopped (${reason._tag})`)
})

const room = (name: string) => GenServer.ref(Room, Registry.via(rooms, name))

const roomPid = (name: string) =>
  Effect.map(Registry.lookup(rooms, name), (entries) => Option.fromUndefinedOr(entries[0]?.[0]))

/** Opens a room under the room supervisor, named through the rooms registry. */
const openRoom = (name: string, limit: number) =>
  DynamicSupervisor.startChild(
    roomSup,
    GenServer.childSpec(Room, { name, limit }, { id: name, name: Registry.via(rooms, name) })
  )

/** The room's pid: the running one, or one opened now (rooms open on demand). */
const ensureRoom = (name: string, limit: number) =>
  Effect.gen(function*() {
    const running = yield* roomPid(name)
    if (Option.isSome(running)) return running.value
    const refused = yield* openRoom(name, limit).pipe(
      Effect.as(undefined),
      Effect.catchTag("MaxChildren", () => Effect.succeed(`there are ${maxRooms} rooms already`)),
      // Opened by another session in between (its via name is taken): the room is there.
      Effect.catch(() => Effect.succeed(undefined))
    )
    const now = yield* roomPid(name)
    if (refused === undefined && Option.isSome(now)) return now.value
    return yield* Effect.fail(refused ?? `room ${name} could not be opened`)
  })

// ----------------------------------------------------------------------------
// A session: the process of one WebSocket connection
// ----------------------------------------------------------------------------

/** What a page sends, checked at run time (the page is untrusted input). */
type Command =
  | { readonly type: "join"; readonly user: string; readonly room: string }
  | { readonly type: "say"; readonly text: string }

const parseCommand = (data: string | Uint8Array): Command | string => {
  let value: unknown
  try {
    value = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data))
  } catch {
    return "a frame is one JSON object"
  }
  if (typeof value !== "object" || value === null) return "a frame is one JSON object"
  const { type, user, room, text } = value as Record<string, unknown>
  if (type === "join") {
    if (typeof user !== "string" || !namePattern.test(user.trim())) return "a user name has 1 to 32 letters, digits, spaces, _ . -"
    if (typeof room !== "string" || !namePattern.test(room.trim())) return "a room name has 1 to 32 letters, digits, spaces, _ . -"
    return { type, user: user.trim(), room: room.trim() }
  }
  if (type === "say") {
    if (typeof text !== "string" || text.trim().length === 0 || text.length > maxText) return `a message has 1 to ${maxText} characters`
    return { type, text }
  }
  return "unknown command (join, say)"
}

/** What the session sends to its page. */
type Event =
  | { readonly type: "joined"; readonly room: string; readonly user: string; readonly history: ReadonlyArray<string> }
  | { readonly type: "said"; readonly room: string; readonly user: string; readonly text: string }
  | { readonly type: "notice"; readonly text: string }
  | { readonly type: "error"; readonly text: string }

interface Joined {
  readonly user: string
  readonly room: string
  /** The monitor of the room's process; none while the room is gone. */
  readonly ref: Reference.Reference | undefined
}

/**
 * The session process: reads the socket in a fiber of its own (each frame becomes a message to
 * itself, so the process handles one thing at a time from its mailbox), runs the page's
 * commands, forwards the room's messages to the page, and follows its room through crashes.
 */
const session = (socket: Socket.Socket, history: number) =>
  Effect.scoped(Effect.gen(function*() {
    const self = yield* Process.self
    const writer = yield* socket.writer
    const reader = yield* socket.reader
    yield* Effect.forkScoped(
      Effect.forever(Effect.flatMap(reader.pull, (frames) =>
        Effect.forEach(frames, (data) => Process.send(self, { _tag: "Frame", data } satisfies FromSocket), { discard: true }))).pipe(
          Effect.ignore,
          Effect.andThen(Process.send(self, { _tag: "Closed" } satisfies FromSocket))
        )
    )
    const send = (event: Event) => Effect.ignore(writer.write(JSON.stringify(event)))
    const notice = (text: string) => send({ type: "notice", text })
    let joined: Joined | undefined

    const leave = Effect.gen(function*() {
      if (joined === undefined) return
      const { room: name, user, ref } = joined
      joined = undefined
      if (ref !== undefined) yield* Process.demonitor(ref)
      yield* Effect.ignore(Registry.unregister(topics, name))
      yield* Effect.ignore(publish(name, { _tag: "Notice", room: name, text: `${user} left ${name}` }))
    })

    const join = (user: string, name: string) =>
      Effect.gen(function*() {
        yield* leave
        const pid = yield* ensureRoom(name, history)
        const ref = yield* Process.monitor(pid)
        yield* Registry.register(topics, name, user)
        joined = { user, room: name, ref }
        const past = yield* Effect.orElseSucceed(GenServer.call(room(name), History), () => [])
        yield* send({ type: "joined", room: name, user, history: past })
        yield* publish(name, { _tag: "Notice", room: name, text: `${user} joined ${name}` })
      }).pipe(Effect.catch((error) => send({ type: "error", text: typeof error === "string" ? error : `could not join ${name}` })))

    const say = (text: string) =>
      Effect.gen(function*() {
        if (joined === undefined) return yield* send({ type: "error", text: "join a room first" })
        if (joined.ref === undefined) joined = { ...joined, ref: yield* Process.monitor(yield* ensureRoom(joined.room, history)) }
        const { room: name, user } = joined
        if (text.trim() === "/crash") return yield* GenServer.cast(room(name), Bug, { user })
        yield* GenServer.call(room(name), Post, { user, text }).pipe(
          Effect.catch(() => send({ type: "error", text: `room ${name} did not take it (it may be restarting): say it again` }))
        )
      }).pipe(Effect.catch((error) => send({ type: "error", text: typeof error === "string" ? error : `could not reach the room` })))

    /** The room went down: tell the page, wait for its supervisor's restart, follow the new room. */
    const roomDown = (reason: ExitReason.ExitReason) =>
      Effect.gen(function*() {
        if (joined === undefined) return
        const { room: name } = joined
        yield* notice(`room ${name} crashed: ${ExitReason.format(reason)}`)
        // The supervisor handles the room's exit before this call: it answers once the
        // restart is done (or given up).
        yield* Effect.ignore(DynamicSupervisor.whichChildren(roomSup))
        const back = yield* roomPid(name)
        if (Option.isNone(back)) {
          joined = { ...joined, ref: undefined }
          return yield* notice(`room ${name} is gone; saying something opens it again`)
        }
        joined = { ...joined, ref: yield* Process.monitor(back.value) }
        yield* notice(`room ${name} restarted clean as ${back.value} (history cleared); you are still in it`)
      })

    while (true) {
      const message = yield* Process.receive()
      if (isTagged(message, "Frame")) {
        const command = parseCommand((message as Extract<FromSocket, { _tag: "Frame" }>).data)
        if (typeof command === "string") yield* send({ type: "error", text: command })
        else if (command.type === "join") yield* join(command.user, command.room)
        else yield* say(command.text)
      } else if (isTagged(message, "Said")) {
        const said = message as Said
        if (said.room === joined?.room) yield* send({ type: "said", room: said.room, user: said.user, text: said.text })
      } else if (isTagged(message, "Notice")) {
        const n = message as Notice
        if (n.room === joined?.room) yield* notice(n.text)
      } else if (Process.isDownMessage(message)) {
        if (message.ref === joined?.ref) yield* roomDown(message.reason)
      } else if (isTagged(message, "Closed")) {
        return yield* leave
      }
    }
  }))

// ----------------------------------------------------------------------------
// The endpoint: the HTTP server, as a GenServer of the tree
// ----------------------------------------------------------------------------

const Url = Rpc.make("Url", { success: Schema.String })

interface EndpointArgs {
  readonly host: string
  /** Written back with the port picked when it was 0, so that a restart listens where the URL says. */
  readonly port: { value: number; bound: boolean }
  readonly history: number
}

/**
 * Runs a session process for `socket` and waits for it to end, however it ends (its socket
 * closed, or a kill from the observer: its scope then closes the socket). `sessions` holds the
 * live ones: the endpoint stops them before it closes the server. (Not `Process.run`, whose
 * caller dies with `CallExit` when its process is killed: here a session killed from the
 * observer is an ordinary end of its request. And HTTP handlers run uninterruptibly, so closing
 * the server cannot end a request that waits: its session is stopped instead.)
 */
const connection = (socket: Socket.Socket, history: number, sessions: Set<Pid.Pid>) =>
  Effect.gen(function*() {
    const done = yield* Deferred.make<void>()
    const pid = yield* Process.spawn(Effect.ensuring(session(socket, history), Deferred.succeed(done, undefined)))
    sessions.add(pid)
    yield* Effect.ensuring(Deferred.await(done), Effect.sync(() => sessions.delete(pid)))
  })

/** The page at `/`, a session per WebSocket at `/ws`. */
const handler = (node: Node.Node, history: number, sessions: Set<Pid.Pid>) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const path = request.url.split("?")[0]
    if (request.method === "GET" && path === "/") return HttpServerResponse.html(page)
    if (request.method === "GET" && path === "/ws") {
      // A page of another site may not talk through a visitor's browser (cross-site WebSocket).
      const origin = request.headers["origin"]
      if (origin !== undefined && URL.canParse(origin) && new URL(origin).host !== request.headers["host"]) {
        return HttpServerResponse.text("forbidden origin", { status: 403 })
      }
      const socket = yield* request.upgrade
      yield* connection(socket, history, sessions).pipe(Effect.provideService(Node.Node, node))
      return HttpServerResponse.empty()
    }
    return HttpServerResponse.text("not found", { status: 404 })
  })

/** Whether a listen failed because the port is taken. */
const inUse = (error: unknown) =>
  typeof error === "object" && error !== null && "cause" in error &&
  (error.cause as { readonly code?: unknown } | undefined)?.code === "EADDRINUSE"

/** Owns the HTTP server: listens in `init` (so a port in use fails the start), closes in `terminate`. */
export const Endpoint = GenServer.make({
  name: "ChatEndpoint",
  calls: [Url],
  init: ({ host, port, history }: EndpointArgs) =>
    Effect.gen(function*() {
      yield* Process.trapExit(true) // so terminate closes the server when the tree stops
      const node = yield* Node.Node
      const { make } = yield* Effect.promise(() => import("@effect/platform-node/NodeHttpServer"))
      const server = Http.createServer()
      const sessions = new Set<Pid.Pid>()
      const scope = yield* Scope.make()
      // terminate closes the server when the tree stops the endpoint; a kill (from the observer,
      // say) runs no terminate, but it interrupts the process's fibers: this one then closes
      // the server, so the restarted endpoint can listen on the same port.
      yield* Effect.forkChild(Effect.onInterrupt(Effect.never, () => close(sessions, scope, server)))
      const listen = Effect.gen(function*() {
        const http = yield* make(() => server, { host, port: port.value, disablePreemptiveShutdown: true, websocket: { maxPayload: maxFrame } })
        yield* http.serve(handler(node, history, sessions))
        return http.address._tag === "UnixPathAddress" ? port.value : http.address.port
      }).pipe(Scope.provide(scope))
      // A restart after a kill may come before the killed endpoint's server has let go of the
      // port (its close runs in a fiber of the dead process): give it a moment.
      const listening = yield* Effect.exit(port.bound ? Effect.retry(listen, { while: inUse, schedule: Schedule.spaced("25 millis"), times: 40 }) : listen)
      if (Exit.isFailure(listening)) {
        yield* Scope.close(scope, listening)
        const error = Cause.findErrorOption(listening.cause)
        if (Option.isNone(error)) return yield* Effect.failCause(listening.cause)
        // The start fails with a line a person can act on (InitFailed carries it).
        return yield* Effect.fail(
          inUse(error.value)
            ? `chat: ${host}:${port.value} is in use; set CHAT_PORT to another port (0 picks a free one)`
            : `chat: cannot listen on ${host}:${port.value}: ${String((error.value as { readonly cause?: unknown }).cause ?? error.value)}`
        )
      }
      port.bound = true
      port.value = listening.value
      const url = `http://${host.includes(":") ? `[${host}]` : host}:${listening.value}/`
      yield* Console.log(`chat: ${url}`)
      return GenServer.ok({ scope, server, sessions, url })
    }),
  handleCall: {
    Url: (_, state) => GenServer.reply(state.url, state)
  },
  terminate: (_, { scope, server, sessions }) =>
    Effect.andThen(close(sessions, scope, server), Console.log("chat: web server closed")),
  // What the observer shows of it: not Node's server object.
  formatStatus: ({ sessions, url }) => ({ url, sessions: sessions.size })
})

/**
 * Stops listening at once (so that a restarted endpoint can listen on the port), then stops the
 * sessions (each closes its socket; the pages answer at once) and waits for the connections to
 * end. A client that does not answer would hold them for ws's 30 s: connections still open after
 * 2 s are cut.
 */
const close = (sessions: Set<Pid.Pid>, scope: Scope.Closeable, server: Http.Server) =>
  Effect.gen(function*() {
    if (!server.listening) return yield* Scope.close(scope, Exit.void)
    const ended = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const pid of sessions) yield* Process.exit(pid, ExitReason.shutdown())
    const cut = setTimeout(() => server.closeAllConnections(), 2000)
    yield* Scope.close(scope, Exit.void)
    yield* Effect.promise(() => ended)
    clearTimeout(cut)
  })

// ----------------------------------------------------------------------------
// The application
// ----------------------------------------------------------------------------

/** A TCP port; 0 picks a free one (Effect's `Config.Port` starts at 1). */
const port = (name: string, fallback: number) =>
  Config.schema(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 })), name).pipe(Config.withDefault(fallback))

const config = Config.all({
  rooms: Config.String("CHAT_ROOMS").pipe(Config.withDefault("lobby,effect")),
  history: Config.Int("CHAT_HISTORY").pipe(Config.withDefault(50)),
  host: Config.String("CHAT_HOST").pipe(Config.withDefault("127.0.0.1")),
  port: port("CHAT_PORT", 3000),
  observerPort: port("OBSERVER_PORT", 3001)
})

/** The observer of each running chat (by its node), closed by the application's `stop`. */
const observers = new WeakMap<Node.Node, Scope.Closeable>()

/** The chat application: the observer, its tree, and the rooms the configuration opens. */
export const Chat = Application.make({
  name: "chat",
  version: "2.0.0",
  config,
  start: ({ rooms: names, history, host, port, observerPort }) =>
    Effect.gen(function*() {
      const node = yield* Node.Node
      const observer = yield* Scope.make()
      observers.set(node, observer)
      const opened = names.split(",").map((n) => n.trim()).filter((n) => n.length > 0)
      return yield* Effect.gen(function*() {
        // The tree starts inside the observer's context: its logger sees the supervisors' reports.
        const observed = yield* Layer.buildWithScope(Observer.layer({ port: observerPort }), observer)
        const sup = yield* Supervisor.startLink([
          Registry.childSpec({ name: rooms.name, keys: "unique" }),
          Registry.childSpec({ name: topics.name, keys: "duplicate" }),
          DynamicSupervisor.childSpec(roomSup, { name: roomSup, intensity: 10, period: "10 seconds", maxChildren: maxRooms }),
          GenServer.childSpec(Endpoint, { host, port: { value: port, bound: false }, history }, { id: "chat.endpoint", name: "chat.endpoint" })
        ], { strategy: "restForOne", name: "chat.sup" }).pipe(Effect.provide(observed))
        yield* Console.log(`chat: opening ${opened.join(", ")} (history ${history})`)
        for (const name of opened) yield* openRoom(name, history)
        return sup
      }).pipe(Effect.onError(() => Scope.close(observer, Exit.void)))
    }),
  prepStop: () => Console.log("chat: stopping"),
  stop: () =>
    Effect.gen(function*() {
      const node = yield* Node.Node
      const observer = observers.get(node)
      observers.delete(node)
      if (observer !== undefined) yield* Scope.close(observer, Exit.void)
      yield* Console.log("chat: observer closed; stopped")
    })
})

/** The endpoint's address (`http://host:port/`), once the application runs. */
export const url = GenServer.call(GenServer.ref(Endpoint, "chat.endpoint"), Url)

/**
 * The processes this program runs under only to be started: its parent, and above it as long as
 * each is a launcher (`npm`, `npx`, `sh -c`, the `tsx` command), read from Linux's `/proc`
 * (elsewhere, the parent only).
 */
const launchers = (): Array<number> => {
  const chain = [process.ppid]
  try {
    for (let pid = process.ppid; chain.length < 5;) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")
      const launcher = argv.some((arg) => /(^|\/)(npm|npx|npm-cli\.js|npx-cli\.js|tsx|cli\.mjs)$/.test(arg)) ||
        (/(^|\/)(sh|bash|dash)$/.test(argv[0] ?? "") && argv[1] === "-c")
      if (!launcher) break
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
      pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
      if (pid <= 1) break
      chain.push(pid)
    }
  } catch {
    // no /proc: the parent only
  }
  return chain
}

const running = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // Application.main stops in order on SIGINT/SIGTERM. Besides, if a launcher it runs under
  // (npm, npx, a shell, the tsx command) dies without passing a signal on, as `sh -c` does when
  // npm forwards it a SIGTERM, the program stops rather than live on orphaned, holding its ports.
  const orphaned = new AbortController()
  const parent = process.ppid
  const watched = launchers()
  const watch = setInterval(() => {
    if (process.ppid !== parent || !watched.every(running)) orphaned.abort()
  }, 1000).unref()
  Application.main(Chat, { signal: orphaned.signal }).finally(() => clearInterval(watch))
}
