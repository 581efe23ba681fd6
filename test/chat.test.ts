/**
 * The flagship, `npm start` (examples/chat.ts), run as the program it is: a child process on
 * free ports (CHAT_PORT=0, OBSERVER_PORT=0) whose printed addresses the tests read. Chromium
 * drives its page, the scripted client (examples/chat/client.ts) talks to it over WebSocket,
 * and `npm start` itself is stopped by signals. These tests take real time (a real server, a
 * browser, child processes); each waits on conditions, never on a fixed sleep.
 */
import * as NodeWS from "@effect/platform-node/NodeWS"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Option, Scope } from "effect"
import { TestConsole } from "effect/testing"
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import { fileURLToPath } from "node:url"
import { chromium } from "playwright-core"
import * as Chat from "../examples/chat.js"
import * as Client from "../examples/chat/client.js"
import { Application, ExitReason, Process, Registry, Supervisor } from "../index.js"
import { clientLines } from "./support/chat.js"
import { quiet } from "./support/workers.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const chromiumPath = "/usr/bin/chromium"

interface Program {
  readonly child: ChildProcess
  /** Resolves with the exit code (or the signal that ended it). */
  readonly exited: Promise<number | NodeJS.Signals | null>
  /** Waits until the output matches `pattern`; rejects if the program exits first. */
  readonly waitFor: (pattern: RegExp) => Promise<RegExpMatchArray>
  readonly output: () => string
  /** Resolves once the output pipes are closed: every process holding them has exited. */
  readonly closed: Promise<void>
}

/** Starts `command` in `root` on free ports, in a process group of its own (as a terminal's job). */
const start = (command: string, args: ReadonlyArray<string>): Program => {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, CHAT_PORT: "0", OBSERVER_PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true
  })
  let output = ""
  const waiters: Array<() => void> = []
  const onData = (chunk: Buffer) => {
    output += chunk.toString()
    for (const wake of waiters.splice(0)) wake()
  }
  child.stdout!.on("data", onData)
  child.stderr!.on("data", onData)
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)))
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = output.match(pattern)
        if (match) return resolve(match)
        if (child.exitCode !== null || child.signalCode !== null) {
          return reject(new Error(`the program exited (${child.exitCode ?? child.signalCode}):\n${output}`))
        }
        waiters.push(check)
      }
      child.on("exit", () => check())
      check()
    })
  const closed = Promise.all([child.stdout!, child.stderr!].map((pipe) => new Promise<void>((resolve) => pipe.on("close", () => resolve())))).then(() => undefined)
  return { child, exited, waitFor, output: () => output, closed }
}

/** The chat server as `npm start` runs it, without npm. */
const startServer = () => start(process.execPath, ["--import", "tsx", "examples/chat.ts"])

/** Both addresses the program prints at start. */
const addresses = async (program: Program) => {
  const [, chat, port] = await program.waitFor(/chat: (http:\/\/127\.0\.0\.1:(\d+)\/)/)
  const [, observer] = await program.waitFor(/observer: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/)
  await program.waitFor(/started chat/)
  return { chat: chat!, port: Number(port), observer: observer! }
}

/** Whether something accepts connections on `port`. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, "127.0.0.1")
    socket.on("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.on("error", () => resolve(false))
  })

/** The pids of the live descendants of `pid` (from /proc). */
const descendants = (pid: number): Array<number> => {
  const children = new Map<number, Array<number>>()
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // The parent is the 2nd field after the command, which is in parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)])
    } catch {
      // gone in between
    }
  }
  const all: Array<number> = []
  const visit = (p: number) => {
    for (const c of children.get(p) ?? []) {
      all.push(c)
      visit(c)
    }
  }
  visit(pid)
  return all
}

/** Whether `pid` runs (a zombie, exited but not yet reaped by its new parent, does not). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return false
  }
}

/** The lines printed when the program stops in order. */
const stopLines = ["chat: stopping", "chat: web server closed", "chat: observer closed; stopped"]

const assertStoppedInOrder = (output: string) => {
  const lines = output.split("\n")
  const at = stopLines.map((line) => lines.indexOf(line))
  assert.isTrue(at.every((i) => i >= 0), `stop lines missing:\n${output}`)
  assert.deepStrictEqual([...at].sort((a, b) => a - b), at, "stop lines out of order")
  // The rooms stop between the endpoint and the application's stop.
  const room = lines.findIndex((line) => /^ {2}room lobby stopped \(Shutdown\)$/.test(line))
  assert.isTrue(room > at[1]! && room < at[2]!, `rooms not stopped between the endpoint and the stop:\n${output}`)
}

// ----------------------------------------------------------------------------
// Faults, in process: the server runs in the test's node, the client talks to it over WebSocket
// ----------------------------------------------------------------------------

/** Runs the chat on free ports until `scenario` (given the page's address) is over. */
const withChat = <E>(scenario: (url: string) => Effect.Effect<void, E, any>) =>
  Application.run(Chat.Chat, {
    until: Effect.orDie(Process.run(Effect.scoped(Effect.flatMap(Chat.url, scenario)))).pipe(Effect.provide(NodeWS.layerWebSocketConstructor))
  }).pipe(
    quiet,
    Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord({ CHAT_PORT: "0", OBSERVER_PORT: "0" }))
  )

/** The session process of the only listener of `room`. */
const sessionIn = (room: string) =>
  Effect.map(Registry.lookup(Registry.ref<string, string, "duplicate">("chat.topics", "duplicate"), room), (entries) => {
    assert.strictEqual(entries.length, 1)
    return entries[0]![0]
  })

describe("chat faults", () => {
  it.live("a session process killed (from the observer, say): its socket closes; the room and the others go on", () =>
    Effect.gen(function*() {
      const outcome = yield* withChat((url) =>
        Effect.gen(function*() {
          const ada = yield* Client.connect(url, "ada")
          yield* Client.join(ada, "lobby", [])
          const session = yield* sessionIn("lobby")
          yield* Process.exit(session, ExitReason.kill)
          // The page sees its connection close (it reconnects), instead of a socket nobody reads.
          yield* ada.closed.pipe(Effect.timeoutOrElse({ duration: "5 seconds", orElse: () => Effect.die("ada's socket stayed open") }))
          const joe = yield* Client.connect(url, "joe")
          yield* Client.join(joe, "lobby", [])
          yield* Client.say(joe, "anyone?", [joe])
        })
      )
      assert.deepStrictEqual(outcome, { _tag: "Stopped", status: 0 })
    }).pipe(Effect.provide(TestConsole.layer)))

  it.live("the endpoint killed: its supervisor restarts it on the same port (the old server closed), pages connect again", () =>
    Effect.gen(function*() {
      const outcome = yield* withChat((url) =>
        Effect.gen(function*() {
          const ada = yield* Client.connect(url, "ada")
          yield* Client.join(ada, "lobby", [])
          const endpoint = yield* Process.whereis("chat.endpoint").pipe(Effect.map(Option.getOrThrow))
          const ref = yield* Process.monitor(endpoint)
          yield* Process.exit(endpoint, ExitReason.kill)
          yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
          yield* ada.closed.pipe(Effect.timeoutOrElse({ duration: "5 seconds", orElse: () => Effect.die("ada's socket stayed open") }))
          yield* Supervisor.whichChildren("chat.sup") // answered once the restart is done
          assert.strictEqual(yield* Chat.url, url)
          const page = yield* Effect.promise(() => fetch(url).then((response) => response.status))
          assert.strictEqual(page, 200)
          const joe = yield* Client.connect(url, "joe")
          yield* Client.join(joe, "lobby", [])
          yield* Client.say(joe, "back", [joe])
        })
      )
      assert.deepStrictEqual(outcome, { _tag: "Stopped", status: 0 })
      const lines = yield* TestConsole.logLines
      assert.strictEqual(lines.filter((line) => typeof line === "string" && line.startsWith("chat: http://")).length, 2)
    }).pipe(Effect.provide(TestConsole.layer)))
})

describe("chat start failures", () => {
  it.live("CHAT_PORT taken: the start fails (status 2) with a line saying so, and the observer it opened is closed", () =>
    Effect.gen(function*() {
      const taken = yield* Effect.acquireRelease(
        Effect.promise(() => new Promise<net.Server>((resolve) => { const server = net.createServer().listen(0, "127.0.0.1", () => resolve(server)) })),
        (server) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
      )
      const port = (taken.address() as net.AddressInfo).port
      const outcome = yield* Application.run(Chat.Chat).pipe(
        quiet,
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord({ CHAT_PORT: String(port), OBSERVER_PORT: "0" }))
      )
      assert.strictEqual(outcome._tag, "StartFailed")
      assert.strictEqual(outcome.status, 2)
      assert.include(String(outcome._tag === "StartFailed" ? outcome.error.message : ""), `chat: 127.0.0.1:${port} is in use; set CHAT_PORT to another port`)
      const lines = yield* TestConsole.logLines
      const observer = String(lines[0]).match(/^observer: http:\/\/127\.0\.0\.1:(\d+)\//)
      assert.isNotNull(observer)
      assert.isFalse(yield* Effect.promise(() => listening(Number(observer![1]))))
    }).pipe(Effect.scoped, Effect.provide(TestConsole.layer)))
})

describe("chat input from pages (untrusted)", () => {
  /** The first event `who` gets after sending `frame` (a raw string). */
  const answer = (who: Client.Person, frame: string) => Effect.andThen(who.sendRaw(frame), who.next("an answer"))

  it.live("a bad frame gets an error event and nothing else changes; any room name is a room (__proto__ too)", () =>
    Effect.gen(function*() {
      const outcome = yield* withChat((url) =>
        Effect.gen(function*() {
          const ada = yield* Client.connect(url, "ada")
          const errors = [
            ["not json", "a frame is one JSON object"],
            ["42", "a frame is one JSON object"],
            [JSON.stringify({ type: "fly" }), "unknown command (join, say)"],
            [JSON.stringify({ type: "say", text: "hi" }), "join a room first"],
            [JSON.stringify({ type: "join", user: 7, room: "lobby" }), "a user name has 1 to 32 letters, digits, spaces, _ . -"],
            [JSON.stringify({ type: "join", user: "ada", room: "<script>" }), "a room name has 1 to 32 letters, digits, spaces, _ . -"],
            [JSON.stringify({ type: "join", user: "ada", room: "x".repeat(33) }), "a room name has 1 to 32 letters, digits, spaces, _ . -"]
          ] as const
          for (const [frame, text] of errors) assert.deepStrictEqual(yield* answer(ada, frame), { type: "error", text })
          for (const room of ["__proto__", "constructor"]) {
            yield* Client.join(ada, room, [])
            assert.deepStrictEqual(yield* answer(ada, JSON.stringify({ type: "say", text: "x".repeat(501) })), { type: "error", text: "a message has 1 to 500 characters" })
            yield* Client.say(ada, `hello ${room}`, [ada])
          }
          // A frame beyond the limit closes that connection only.
          yield* ada.sendRaw("x".repeat(17 * 1024))
          yield* ada.closed.pipe(Effect.timeoutOrElse({ duration: "5 seconds", orElse: () => Effect.die("the big frame was taken") }))
          const joe = yield* Client.connect(url, "joe")
          yield* Client.join(joe, "__proto__", [])
          const history = yield* answer(joe, JSON.stringify({ type: "join", user: "joe", room: "constructor" }))
          assert.deepStrictEqual(history, { type: "joined", room: "constructor", user: "joe", history: ["ada: hello constructor"] })
        })
      )
      assert.deepStrictEqual(outcome, { _tag: "Stopped", status: 0 })
    }).pipe(Effect.provide(TestConsole.layer)))

  it.live("a WebSocket from a page of another site is refused (403); from the chat's own page it is taken", () =>
    Effect.gen(function*() {
      const statuses: Array<number> = []
      const outcome = yield* withChat((url) =>
        Effect.promise(async () => {
          for (const origin of ["http://evil.example", new URL(url).origin]) {
            statuses.push(
              await new Promise<number>((resolve, reject) => {
                const request = http.get(new URL("/ws", url), {
                  headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", origin }
                })
                request.on("response", (response) => resolve(response.statusCode ?? 0))
                request.on("upgrade", (response, socket) => {
                  socket.destroy()
                  resolve(response.statusCode ?? 0)
                })
                request.on("error", reject)
              })
            )
          }
        })
      )
      assert.deepStrictEqual(outcome, { _tag: "Stopped", status: 0 })
      assert.deepStrictEqual(statuses, [403, 101])
    }).pipe(Effect.provide(TestConsole.layer)))
})

describe("chat stops in order with pages connected", () => {
  it.live("the endpoint's stop ends every session (their sockets closed by the server) before the rooms stop", () =>
    Effect.gen(function*() {
      const outer = yield* Scope.make()
      let ada: Client.Person | undefined
      const outcome = yield* withChat((url) =>
        Effect.gen(function*() {
          // Connected in a scope that outlives the program: still connected when it stops.
          ada = yield* Client.connect(url, "ada").pipe(Effect.provideService(Scope.Scope, outer))
          yield* Client.join(ada, "lobby", [])
        })
      )
      assert.deepStrictEqual(outcome, { _tag: "Stopped", status: 0 })
      yield* ada!.closed.pipe(Effect.timeoutOrElse({ duration: "1 second", orElse: () => Effect.die("ada's socket stayed open") }))
      yield* Scope.close(outer, Exit.void)
      const lines = yield* TestConsole.logLines
      assert.isBelow(lines.indexOf("chat: web server closed"), lines.indexOf("  room lobby stopped (Shutdown)"))
    }).pipe(Effect.provide(TestConsole.layer)), 20_000)
})

describe("chat in a browser", () => {
  it.skipIf(!existsSync(chromiumPath))(
    "two pages join a room and talk; a crashed room comes back clean, both pages see it and talk on; the observer shows the crash; the endpoint killed from the observer, the pages reconnect",
    async () => {
      const server = startServer()
      const browser = await chromium.launch({
        executablePath: chromiumPath,
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync"
        ]
      })
      try {
        const { chat, observer } = await addresses(server)
        const errors: Array<string> = []
        const open = async (user: string) => {
          const page = await browser.newPage()
          page.on("pageerror", (error) => errors.push(String(error)))
          await page.goto(chat)
          await page.fill("#user", user)
          await page.fill("#room", "kitchen")
          await page.click("#join-button")
          await page.locator("#status", { hasText: `${user} in kitchen` }).waitFor({ timeout: 5000 })
          return page
        }
        const ada = await open("ada")
        const joe = await open("joe")
        await ada.locator("#log li.notice", { hasText: "joe joined kitchen" }).waitFor({ timeout: 5000 })

        const say = async (page: typeof ada, text: string) => {
          await page.fill("#text", text)
          await page.click("#send")
        }
        /** Waits until both pages show `who: text` as said in the kitchen. */
        const bothSee = (who: string, text: string) =>
          Promise.all([ada, joe].map((page) => page.locator("#log li.said", { hasText: `[kitchen] ${who}: ${text}` }).waitFor({ timeout: 5000 })))

        await say(ada, "hello, joe")
        await bothSee("ada", "hello, joe")
        await say(joe, "hi ada")
        await bothSee("joe", "hi ada")

        // joe crashes the room: both pages see the crash and the restart, and stay in the room.
        await say(joe, "/crash")
        for (const page of [ada, joe]) {
          await page.locator("#log li.notice", { hasText: "room kitchen crashed: Error: room kitchen tripped over a bug" }).waitFor({ timeout: 5000 })
          await page.locator("#log li.notice", { hasText: /room kitchen restarted clean as <0\.\d+\.0> \(history cleared\)/ }).waitFor({ timeout: 5000 })
        }
        await say(ada, "still here?")
        await bothSee("ada", "still here?")
        await say(joe, "yes")
        await bothSee("joe", "yes")
        // Nobody was disconnected or saw an error.
        for (const page of [ada, joe]) {
          assert.strictEqual(await page.locator("#log li.error").count(), 0)
          assert.strictEqual(await page.locator("#log li.notice", { hasText: "disconnected" }).count(), 0)
        }

        // A newcomer gets the restarted room's history: only what was said after the crash.
        const bob = await open("bob")
        assert.deepStrictEqual(await bob.locator("#log li.history").allTextContents(), ["ada: still here?", "joe: yes"])

        // The observer, on its own port, shows the chat's tree and the room's crash report.
        const watch = await browser.newPage()
        await watch.goto(observer)
        await watch.locator('#apps [data-app="chat"] li[data-id="chat.endpoint"]').waitFor({ timeout: 5000 })
        await watch.locator("#crashes li", { hasText: "kitchen" }).waitFor({ timeout: 5000 })

        // Kill the endpoint from the observer: its supervisor restarts it on the same port; the
        // pages see the disconnect, reconnect, join again, and talk on in the same room.
        const endpoint = watch.locator('#apps [data-app="chat"] li[data-id="chat.endpoint"]')
        const pid = (await endpoint.getAttribute("data-pid"))!
        await endpoint.locator("> .node").click()
        await watch.locator("#details-pid", { hasText: pid }).waitFor({ timeout: 5000 })
        await watch.locator("#kill").click()
        await watch.locator("#action-result", { hasText: `sent kill to ${pid}` }).waitFor({ timeout: 5000 })
        for (const [page, user] of [[ada, "ada"], [joe, "joe"], [bob, "bob"]] as const) {
          await page.locator("#log li.notice", { hasText: "disconnected; reconnecting" }).waitFor({ timeout: 5000 })
          await page.locator("#status", { hasText: `${user} in kitchen` }).waitFor({ timeout: 5000 })
        }
        await say(joe, "reconnected")
        await bothSee("joe", "reconnected")
        // The room's history is not shown twice after the reconnect.
        assert.strictEqual(await bob.locator("#log li.history").count(), 2)
        mkdirSync(`${root}/temp`, { recursive: true })
        await ada.screenshot({ path: `${root}/temp/chat.png` })
        assert.deepStrictEqual(errors, [])
      } finally {
        await browser.close()
        server.child.kill("SIGTERM")
      }
      assert.strictEqual(await server.exited, 0)
      assertStoppedInOrder(server.output())
    },
    30_000
  )
})

describe("chat with the scripted client", () => {
  it.live("examples/chat/client.ts, run as a program, talks, crashes the lobby and talks on, against the server", () =>
    Effect.gen(function*() {
      // The server runs in this test's node (the browser and signal tests run it as a program).
      let printed = ""
      const outcome = yield* withChat((url) =>
        Effect.promise(() =>
          new Promise<string>((resolve, reject) =>
            execFile(process.execPath, ["--import", "tsx", "examples/chat/client.ts", url], { cwd: root, encoding: "utf8" }, (error, stdout, stderr) =>
              error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout))
          )
        ).pipe(Effect.map((stdout) => void (printed = stdout)))
      )
      assert.deepStrictEqual(outcome, { _tag: "Stopped", status: 0 })
      assert.deepStrictEqual(printed.replace(/<0\.\d+\.0>/g, "<pid>").trim().split("\n"), clientLines)
      const lines = yield* TestConsole.logLines
      assert.include(lines, "  room lobby stopped (Crash)")
      assertStoppedInOrder(lines.join("\n"))
    }).pipe(Effect.provide(TestConsole.layer)), 20_000)
})

// The programs run at the same time: each on its own free ports, in its own process group.
describe.concurrent("npm start and signals", () => {
  /** Runs `npm start`, sends `signal` (to npm's whole group, as Ctrl-C does, or to npm alone). */
  const stopWith = async (signal: NodeJS.Signals, to: "group" | "npm") => {
    const npm = start("npm", ["start"])
    const { port } = await addresses(npm)
    const below = descendants(npm.child.pid!)
    assert.isAbove(below.length, 0)
    process.kill(to === "group" ? -npm.child.pid! : npm.child.pid!, signal)
    const code = await npm.exited
    return { code, port, below, output: npm.output() }
  }

  const check = async ({ code, port, below, output }: Awaited<ReturnType<typeof stopWith>>) => {
    // Nothing is left: no process npm started, and nothing listens on the chat's port.
    const left = below.filter(alive)
    for (const pid of left) process.kill(pid, "SIGKILL")
    assert.strictEqual(code, 0, output)
    assertStoppedInOrder(output)
    assert.deepStrictEqual(left, [])
    assert.isFalse(await listening(port))
  }

  it("Ctrl-C (SIGINT to npm's process group): stops in order, exits 0, the port is closed", async () => {
    await check(await stopWith("SIGINT", "group"))
  }, 30_000)

  it("SIGTERM to the npm process alone: the program stops in order too (not orphaned), exits 0", async () => {
    await check(await stopWith("SIGTERM", "npm"))
  }, 30_000)

  /**
   * Waits until every process of `program` has closed its output (so has exited), at most 10 s;
   * kills what is left either way.
   */
  const allGone = async (program: Program, below: ReadonlyArray<number>) => {
    try {
      const gone = await Promise.race([
        program.closed.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000).unref())
      ])
      assert.isTrue(gone, `the program still runs:\n${program.output()}`)
      await new Promise<void>((resolve) => {
        const poll = () => (below.some(alive) ? setTimeout(poll, 50) : resolve())
        poll()
      })
    } finally {
      for (const pid of below.filter(alive)) process.kill(pid, "SIGKILL")
    }
  }

  it("the wrapper killed with SIGKILL (no signal passed on): the orphaned program stops in order by itself", async () => {
    // `sh -c` without exec, as npm ran scripts before: the shell is the program's parent.
    const shell = start("sh", ["-c", "node --import tsx examples/chat.ts; true"])
    const { port } = await addresses(shell)
    const below = descendants(shell.child.pid!)
    assert.isAbove(below.length, 0)
    shell.child.kill("SIGKILL")
    // The program notices within a second that its parent is gone, stops, and closes the pipes.
    await allGone(shell, below)
    assertStoppedInOrder(shell.output())
    assert.isFalse(await listening(port))
  }, 30_000)

  it("`npx tsx examples/chat.ts`, SIGTERM to npx alone: the program stops in order, nothing is left running", async () => {
    // npx passes the SIGTERM to `sh -c`, which dies without passing it on to the tsx command;
    // the program sees a launcher above it gone. (npx itself reports the SIGTERM: it re-raises
    // the signal its shell died of.)
    const npx = start("npx", ["tsx", "examples/chat.ts"])
    const { port } = await addresses(npx)
    const below = descendants(npx.child.pid!)
    npx.child.kill("SIGTERM")
    await allGone(npx, below)
    assertStoppedInOrder(npx.output())
    assert.isFalse(await listening(port))
  }, 30_000)
})
