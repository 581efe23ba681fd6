/**
 * A scripted session against a running chat server (`npm start`), over WebSocket, as a test
 * client: ada and joe join the lobby and talk, joe crashes the room, both see it crash and come
 * back clean (its history gone) and keep talking, then bob joins and gets the new history.
 * Each line it prints is something one of them saw, in the script's order.
 *
 * ```sh
 * npm start                                             # in one terminal
 * node --import tsx examples/chat/client.ts http://127.0.0.1:3000/
 * ```
 *
 * It fails (exit status 1) when someone does not see what the script expects within 5 s.
 * `test/chat.test.ts` runs it against the server.
 */
import * as NodeWS from "@effect/platform-node/NodeWS"
import { Console, Data, Deferred, Effect, Queue } from "effect"
import * as Socket from "effect/socket/Socket"

/** What the server sends (see `examples/chat.ts`). */
type Event =
  | { readonly type: "joined"; readonly room: string; readonly user: string; readonly history: ReadonlyArray<string> }
  | { readonly type: "said"; readonly room: string; readonly user: string; readonly text: string }
  | { readonly type: "notice"; readonly text: string }
  | { readonly type: "error"; readonly text: string }

/** Someone did not see what the script expected in time. */
export class Missed extends Data.TaggedError("Missed")<{ readonly who: string; readonly expected: string }> {
  override get message() {
    return `${this.who} did not see ${this.expected} within 5 s`
  }
}

/** One connection to the chat, as one person. */
export interface Person {
  readonly name: string
  readonly send: (command: object) => Effect.Effect<void, Socket.SocketError>
  /** Sends `frame` as it is (a test of the server's input checks). */
  readonly sendRaw: (frame: string) => Effect.Effect<void, Socket.SocketError>
  /** The next event; fails with `Missed` after 5 s. */
  readonly next: (expected: string) => Effect.Effect<Event, Missed>
  /** Completes when the server closes the connection. */
  readonly closed: Effect.Effect<void>
}

/** Connects `name` to the chat at `url` (the page's address), for the scope's lifetime. */
export const connect = (url: string, name: string) =>
  Effect.gen(function*() {
    const socket = yield* Socket.makeWebSocket(new URL("/ws", url).href.replace(/^http/, "ws"))
    const events = yield* Queue.unbounded<Event>()
    const closed = yield* Deferred.make<void>()
    const reader = yield* socket.reader // opens the connection
    const writer = yield* socket.writer
    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(reader.pull, (frames) =>
      Queue.offerAll(events, frames.map((frame) => JSON.parse(typeof frame === "string" ? frame : new TextDecoder().decode(frame)) as Event))
    )).pipe(Effect.ignore, Effect.andThen(Deferred.succeed(closed, undefined))))
    const person: Person = {
      name,
      send: (command) => writer.write(JSON.stringify(command)),
      sendRaw: (frame) => writer.write(frame),
      next: (expected) =>
        Queue.take(events).pipe(
          Effect.timeoutOrElse({ duration: "5 seconds", orElse: () => Effect.fail(new Missed({ who: name, expected })) })
        ),
      closed: Deferred.await(closed)
    }
    return person
  })

const show = (event: Event): string => {
  switch (event.type) {
    case "joined":
      return `joined ${event.room} (history: ${event.history.length === 0 ? "empty" : event.history.join(" | ")})`
    case "said":
      return `[${event.room}] ${event.user}: ${event.text}`
    case "notice":
      return `* ${event.text}`
    case "error":
      return `! ${event.text}`
  }
}

/** Prints the next event `who` sees, failing unless it is of the expected kind. */
const sees = (who: Person, type: Event["type"]) =>
  Effect.gen(function*() {
    const event = yield* who.next(`a ${type} event`)
    if (event.type !== type) return yield* new Missed({ who: who.name, expected: `a ${type} event, not ${show(event)}` })
    yield* Console.log(`    ${who.name} sees ${show(event)}`)
  })

/** `who` joins `room`; each of `others` (already in it) and `who` see the notice. */
export const join = (who: Person, room: string, others: ReadonlyArray<Person>) =>
  Effect.gen(function*() {
    yield* Console.log(`${who.name} joins ${room}`)
    yield* who.send({ type: "join", user: who.name, room })
    yield* sees(who, "joined")
    for (const person of [...others, who]) yield* sees(person, "notice") // "<who> joined <room>"
  })

/** `who` says `text`; each of `everyone` in the room sees it. */
export const say = (who: Person, text: string, everyone: ReadonlyArray<Person>) =>
  Effect.gen(function*() {
    yield* Console.log(`${who.name} says: ${text}`)
    yield* who.send({ type: "say", text })
    for (const person of everyone) yield* sees(person, "said")
  })

/** The scripted session against the chat at `url`. */
export const script = (url: string) =>
  Effect.scoped(Effect.gen(function*() {
    const ada = yield* connect(url, "ada")
    const joe = yield* connect(url, "joe")
    const both = [ada, joe]
    yield* join(ada, "lobby", [])
    yield* join(joe, "lobby", [ada])
    yield* say(ada, "hello, joe", both)
    yield* say(joe, "hi ada! effect-otp is up", both)

    // A bug takes the lobby down; its supervisor starts a fresh one under the same name, and
    // each session tells its page: the notice of the crash, then that the room is back.
    yield* Console.log("joe says: /crash")
    yield* joe.send({ type: "say", text: "/crash" })
    for (const person of both) {
      yield* sees(person, "notice") // joe typed /crash
      yield* sees(person, "notice") // the room crashed
      yield* sees(person, "notice") // the room is back, clean
    }
    yield* say(ada, "we lost the history, but not each other", both)

    // A newcomer gets the restarted room's history: one message.
    const bob = yield* connect(url, "bob")
    yield* join(bob, "lobby", both)
    yield* Console.log("session over")
  })).pipe(Effect.provide(NodeWS.layerWebSocketConstructor))

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.argv[2] ?? process.env["CHAT_URL"] ?? "http://127.0.0.1:3000/"
  Effect.runPromise(script(url)).then(
    () => process.exit(0),
    (error) => {
      console.error(String(error))
      process.exit(1)
    }
  )
}
