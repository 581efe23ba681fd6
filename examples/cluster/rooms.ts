/**
 * The chat rooms of the flagship example as cluster entities: one `Room` GenServer per room
 * name, placed by the cluster on whichever runner owns the name's shard, its history durable.
 * Shared by the runners, the client and the embedded single-process version.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Rpc from "effect/rpc/Rpc"
import * as Schema from "effect/Schema"
import * as GenServer from "../../behaviours/GenServer.js"
import * as Cluster from "../../cluster/Cluster.js"
import * as Process from "../../lib/Process.js"

export const Post = Rpc.make("Post", { payload: { user: Schema.String, text: Schema.String }, success: Schema.Number })
export const History = Rpc.make("History", { success: Schema.Array(Schema.String) })
/** The node the room runs on. */
export const Where = Rpc.make("Where", { success: Schema.String })
/** A cast that trips the room over a bug. */
export const Bug = Rpc.make("Bug")

/** A room's state, which is also what is saved: its name and last messages. */
export const RoomState = Schema.Struct({ name: Schema.String, history: Schema.Array(Schema.String) })
export type RoomState = typeof RoomState.Type

const limit = 50

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

export const Room = GenServer.make({
  name: "Room",
  calls: [Post, History, Where],
  casts: [Bug],
  init: (state: RoomState) =>
    Effect.gen(function*() {
      yield* Process.trapExit(true) // so terminate runs when the cluster stops the room
      const node = (yield* Process.self).node
      yield* Console.log(`  [${node}] room ${state.name} started (${plural(state.history.length, "message")} restored)`)
      return GenServer.ok(state)
    }),
  handleCall: {
    Post: ({ user, text }, room) => {
      const history = [...room.history, `${user}: ${text}`].slice(-limit)
      return GenServer.reply(history.length, { ...room, history })
    },
    History: (_, room) => GenServer.reply(room.history, room),
    Where: (_, room) => Effect.map(Process.self, (pid) => GenServer.reply(pid.node, room))
  },
  handleCast: {
    Bug: (_, room) => Effect.die(new Error(`room ${room.name} tripped over a bug`))
  },
  terminate: (reason, room) =>
    Effect.flatMap(Process.self, (pid) => Console.log(`  [${pid.node}] room ${room.name} stopped (${reason._tag})`))
})

/**
 * Cluster settings every node of this chat shares: the shard count must be the same on the
 * runners and the clients (it decides which shard a room name falls in).
 */
export const sharding = {
  // A small cluster on one machine: fewer shards, and a dead runner's locks free sooner.
  shardsPerGroup: 30,
  shardLockRefreshInterval: "1 second",
  shardLockExpiration: "5 seconds",
  refreshAssignmentsInterval: "500 millis",
  entityTerminationTimeout: "5 seconds"
} as const

/** The entity type: a room per name, its history saved after every message. */
export const Rooms = Cluster.entity(Room, {
  args: (name, restored) => Option.getOrElse(restored, () => ({ name, history: [] })),
  durable: { schema: RoomState }
})

/** Where each room lives now, and how much history it has. */
export const survey = Effect.gen(function*() {
  const room = yield* Cluster.client(Rooms)
  for (const name of ["lobby", "effect", "otp"]) {
    const where = yield* GenServer.call(room(name), Where, undefined, { timeout: "30 seconds" })
    const history = yield* GenServer.call(room(name), History)
    yield* Console.log(`${name} lives on ${where}, ${plural(history.length, "message")}`)
  }
})

/**
 * The scripted session of the client: talk in three rooms, see where each lives, watch one
 * crash (a monitor's `Down`), and find its history intact in its next incarnation.
 */
export const session = Effect.gen(function*() {
  const room = yield* Cluster.client(Rooms)
  for (const [name, user, text] of [
    ["lobby", "ada", "hello, joe"],
    ["lobby", "joe", "hi ada! rooms live wherever the cluster puts them"],
    ["effect", "joe", "anyone here?"],
    ["otp", "ada", "let it crash"]
  ] as const) {
    const count = yield* GenServer.call(room(name), Post, { user, text }, { timeout: "30 seconds" })
    yield* Console.log(`${user} -> ${name}: ${text} (${count} in history)`)
  }
  for (const name of ["lobby", "effect", "otp"]) {
    yield* Console.log(`${name} lives on ${yield* GenServer.call(room(name), Where)}`)
  }
  const lobby = room("lobby")
  const ref = yield* Cluster.monitor(lobby)
  yield* Console.log("lobby hits a bug")
  yield* GenServer.cast(lobby, Bug)
  const down = yield* Process.receive({
    match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === ref
  })
  yield* Console.log(`lobby is down: ${down.reason._tag}`)
  const history = yield* GenServer.call(lobby, History)
  yield* Console.log(`lobby is back with its history (${plural(history.length, "message")}):`)
  for (const line of history) yield* Console.log(`  ${line}`)
})
