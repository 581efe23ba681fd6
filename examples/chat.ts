/**
 * The flagship example, what `npm start` runs: a chat service as an OTP application.
 *
 * ```
 * chat (Application, permanent)
 * └── chat.sup              Supervisor (restForOne)
 *     ├── chat.rooms        Registry, unique keys: rooms by name (via naming)
 *     ├── chat.topics       Registry, duplicate keys: who listens to which room (pub/sub)
 *     └── chat.room_sup     DynamicSupervisor: one Room GenServer per room, started on demand
 * ```
 *
 * Configuration comes from the environment with defaults in code: `CHAT_ROOMS` (the rooms
 * opened at start, default `lobby,effect`) and `CHAT_HISTORY` (messages a room keeps, default
 * 50). A scripted session then runs: two people join and talk, a room crashes on a bug and is
 * restarted clean by its supervisor (its listeners keep listening: their subscriptions belong to
 * them, not to the room), and the program stops itself in order. Ctrl-C stops it early, in the
 * same order.
 *
 * `test/examples.test.ts` runs it and checks what it prints.
 */
import { Config, Console, Effect, Option, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { Application, DynamicSupervisor, ExitReason, GenServer, Pid, Process, Registry, Supervisor } from "../index.js"

// ----------------------------------------------------------------------------
// Names
// ----------------------------------------------------------------------------

const rooms = Registry.ref<string, undefined, "unique">("chat.rooms", "unique")
const topics = Registry.ref<string, string, "duplicate">("chat.topics", "duplicate")
const roomSup = "chat.room_sup"

// ----------------------------------------------------------------------------
// A room
// ----------------------------------------------------------------------------

/** What a listener receives for each message posted in a room it listens to. */
export interface Said {
  readonly _tag: "Said"
  readonly room: string
  readonly user: string
  readonly text: string
}

const Post = Rpc.make("Post", { payload: { user: Schema.String, text: Schema.String }, success: Schema.Number })
const History = Rpc.make("History", { success: Schema.Array(Schema.String) })
const Bug = Rpc.make("Bug")

interface RoomState {
  readonly name: string
  readonly limit: number
  readonly history: ReadonlyArray<string>
}

const Room = GenServer.make({
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
        const said: Said = { _tag: "Said", room: room.name, user, text }
        // Every listener of the room gets it once, in the order posted.
        yield* Registry.dispatch(topics, room.name, (listeners) =>
          Effect.forEach(listeners, ([pid]) => Process.send(pid, said), { discard: true }))
        const history = [...room.history, `${user}: ${text}`].slice(-room.limit)
        return GenServer.reply(history.length, { ...room, history })
      }),
    History: (_, room) => GenServer.reply(room.history, room)
  },
  handleCast: {
    Bug: (_, room) => Effect.die(new Error(`room ${room.name} tripped over a bug`))
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

// ----------------------------------------------------------------------------
// The application
// ----------------------------------------------------------------------------

const config = Config.all({
  rooms: Config.String("CHAT_ROOMS").pipe(Config.withDefault("lobby,effect")),
  history: Config.Int("CHAT_HISTORY").pipe(Config.withDefault(50))
})

/** The chat application: its tree, and the rooms the configuration opens. */
export const Chat = Application.make({
  name: "chat",
  version: "1.0.0",
  config,
  start: ({ rooms: names, history }) =>
    Effect.gen(function*() {
      const sup = yield* Supervisor.startLink([
        Registry.childSpec({ name: rooms.name, keys: "unique" }),
        Registry.childSpec({ name: topics.name, keys: "duplicate" }),
        DynamicSupervisor.childSpec(roomSup, { name: roomSup, intensity: 3 })
      ], { strategy: "restForOne", name: "chat.sup" })
      const opened = names.split(",").map((n) => n.trim()).filter((n) => n.length > 0)
      yield* Console.log(`chat: opening ${opened.join(", ")} (history ${history})`)
      for (const name of opened) yield* openRoom(name, history)
      return sup
    })
})

// ----------------------------------------------------------------------------
// A scripted session
// ----------------------------------------------------------------------------

/** A person: listens to rooms, prints what they see, and acknowledges it to the script. */
const person = (name: string, script: Pid.Pid) =>
  Effect.gen(function*() {
    while (true) {
      const message = yield* Process.receive()
      if (typeof message === "object" && message !== null && (message as Said)._tag === "Said") {
        const said = message as Said
        yield* Console.log(`    ${name} sees [${said.room}] ${said.user}: ${said.text}`)
        yield* Process.send(script, "seen")
      } else if (typeof message === "string") {
        // a command: listen to a room
        yield* Registry.register(topics, message, name)
        yield* Process.send(script, "joined")
      }
    }
  })

const say = (user: string, roomName: string, text: string) =>
  Effect.gen(function*() {
    yield* Console.log(`${user} -> ${roomName}: ${text}`)
    yield* GenServer.call(room(roomName), Post, { user, text })
    const listeners = yield* Registry.lookup(topics, roomName)
    for (let i = 0; i < listeners.length; i++) yield* Process.receive({ match: (m) => m === "seen" })
  })

const join = (who: Pid.Pid, name: string, roomName: string) =>
  Effect.gen(function*() {
    yield* Process.send(who, roomName)
    yield* Process.receive({ match: (m) => m === "joined" })
    yield* Console.log(`${name} joined ${roomName}`)
  })

/** The session; when it ends, the application stops in order. */
export const session = Process.run(Effect.gen(function*() {
  const me = yield* Process.self
  const ada = yield* Process.spawnLink(person("ada", me))
  const joe = yield* Process.spawnLink(person("joe", me))
  yield* join(ada, "ada", "lobby")
  yield* join(joe, "joe", "lobby")
  yield* join(joe, "joe", "effect")

  yield* say("ada", "lobby", "hello, joe")
  yield* say("joe", "lobby", "hi ada! effect-otp is up")
  yield* say("joe", "effect", "anyone here?")

  // A bug takes the lobby down; its supervisor starts a fresh one under the same name.
  const before = Option.getOrThrow(yield* roomPid("lobby"))
  const ref = yield* Process.monitor(before)
  yield* Console.log("lobby hits a bug")
  yield* GenServer.cast(room("lobby"), Bug)
  yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
  yield* DynamicSupervisor.whichChildren(roomSup) // answered once the restart is done
  const after = Option.getOrThrow(yield* roomPid("lobby"))
  const history = yield* GenServer.call(room("lobby"), History)
  const listeners = yield* Registry.lookup(topics, "lobby")
  yield* Console.log(
    `lobby is back as a new process (${after === before ? "same" : "new"} pid), history clean (${history.length} messages), ${listeners.length} listeners kept`
  )
  yield* say("ada", "lobby", "we lost the history, but not each other")

  yield* Console.log("session over: stopping")
  yield* Process.unlink(ada)
  yield* Process.unlink(joe)
  yield* Process.exit(ada, ExitReason.shutdown())
  yield* Process.exit(joe, ExitReason.shutdown())
}))

if (import.meta.url === `file://${process.argv[1]}`) {
  Application.main(Chat, { until: Effect.orDie(session) })
}
