import { assert, describe, it, vi } from "@effect/vitest"
import { Effect, Layer, References, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { spawn } from "node:child_process"
import { existsSync, mkdirSync } from "node:fs"
import * as http from "node:http"
import { fileURLToPath } from "node:url"
import { chromium } from "playwright-core"
import { Observer } from "../observer/index.js"
import { allowedHosts } from "../observer/internal/http.js"
import { Journal } from "../observer/internal/journal.js"
import type { Snapshot, TreeNode } from "../observer/internal/model.js"
import { findProcess, snapshot, TreeCache } from "../observer/internal/snapshot.js"
import { deliveredTo, processPage, visits } from "../lib/internal/direct.js"
import { runtimeOf } from "../lib/internal/runtime.js"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { ChildSpec, DynamicSupervisor, ExitReason, GenServer, Node, Pid, Process, Registry, StateMachine, Supervisor } from "../index.js"

/** The live process printed as `pid`. */
const findPid = (pid: string) => Effect.map(Process.processes, (all) => all.find((p) => String(p) === pid)!)

// ----------------------------------------------------------------------------
// The HTTP API, in process
// ----------------------------------------------------------------------------

const Get = Rpc.make("Get", { success: Schema.Number })

const Vault = GenServer.make({
  name: "Vault",
  calls: [Get],
  init: (secret: string) => GenServer.ok({ secret, reads: 0 }),
  handleCall: { Get: (_, s) => GenServer.reply(s.reads, { ...s, reads: s.reads + 1 }) },
  formatStatus: (s) => ({ secret: "<redacted>", reads: s.reads })
})

const token = "test-token"

/** Runs `body` on a node observed by an observer on a free port; `body` gets the observer. */
const observed = <A, E>(body: (observer: Observer.Info) => Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Effect.flatMap(Observer.Observer, (observer) => Process.run(body(observer))).pipe(
    Effect.provide(Layer.merge(Node.layer(), Observer.layer({ token, print: false }))),
    // Only the observer's own logger: its journal is what these tests read.
    Effect.provideService(References.CurrentLoggers, new Set()),
    Effect.scoped
  )

interface Answer {
  readonly status: number
  readonly body: any
}

const request = (observer: Observer.Info, path: string, init?: { readonly method?: string; readonly body?: string; readonly headers?: Record<string, string> }) =>
  Effect.promise(async (): Promise<Answer> => {
    const response = await fetch(`http://127.0.0.1:${observer.port}${path}`, init)
    const text = await response.text()
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {
      // the page
    }
    return { status: response.status, body }
  })

/** A GET with another Host header (fetch may not set it). */
const withHost = (observer: Observer.Info, path: string, host: string) =>
  Effect.callback<Answer>((resume) => {
    const req = http.get({ host: "127.0.0.1", port: observer.port, path, headers: { host } }, (res) => {
      let text = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => (text += chunk))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body: JSON.parse(text) })))
    })
    req.on("error", (error) => resume(Effect.die(error)))
  })

const post = (observer: Observer.Info, path: string, body: unknown, withToken: string | null = token) =>
  request(observer, path, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: withToken === null ? {} : { "x-observer-token": withToken }
  })

const Unlock = Rpc.make("Unlock", { payload: { code: Schema.String }, success: Schema.String })

/** A door lock StateMachine whose formatStatus hides its code. */
const Door = StateMachine.make({
  name: "Door",
  calls: [Unlock],
  init: (code: string) => StateMachine.ok("locked", { code, opened: 0 }),
  states: {
    locked: {
      calls: {
        Unlock: (payload, data, from) =>
          payload.code === data.code
            ? StateMachine.nextState("open", { ...data, opened: data.opened + 1 }, StateMachine.reply(from, "open"))
            : StateMachine.keepStateAndData(StateMachine.reply(from, "locked"))
      }
    },
    open: { calls: { Unlock: (_, __, from) => StateMachine.keepStateAndData(StateMachine.reply(from, "open")) } }
  },
  formatStatus: (_state, data) => ({ code: "<redacted>", opened: data.opened })
})

/** A machine whose state is a record (handle event function mode). */
const Lift = StateMachine.make({
  name: "Lift",
  init: () => StateMachine.ok({ floor: 3, doors: "closed" }, null),
  handleEvent: () => StateMachine.keepStateAndData()
})

const tree = [
  GenServer.childSpec(Vault, "hunter2", { id: "vault", name: "vault" }),
  ChildSpec.worker("plain", Process.spawnLink(Process.receive({ match: (m) => m === "never" })))
]

describe("observer API", () => {
  it.live("binds to 127.0.0.1 and serves a self-contained page", () =>
    observed((observer) =>
      Effect.gen(function*() {
        assert.strictEqual(observer.host, "127.0.0.1")
        assert.match(observer.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=test-token$/)
        const page = yield* request(observer, "/")
        assert.strictEqual(page.status, 200)
        assert.include(page.body, "<title>effect-otp observer</title>")
        // Nothing is loaded from elsewhere.
        assert.notMatch(page.body, /(src|href)=["']?(https?:)?\/\//)
      })
    ))

  it.live("a snapshot shows supervision trees, names, status, mailboxes, links and monitors", () =>
    observed((observer) =>
      Effect.gen(function*() {
        const sup = yield* Supervisor.start(tree, { name: "top" })
        const self = yield* Process.self
        const [vault, plain] = (yield* Supervisor.whichChildren(sup)).map((c) => c.pid as Pid.Pid)
        yield* Process.monitor(plain!)
        yield* Process.send(plain!, "waiting in the mailbox")
        const { status, body } = yield* request(observer, "/api/snapshot")
        assert.strictEqual(status, 200)
        assert.strictEqual(body.node, "nonode@nohost")
        assert.deepStrictEqual(body.applications, [])
        assert.strictEqual(body.trees.length, 1)
        const top = body.trees[0]
        assert.deepStrictEqual([top.pid, top.name, top.kind], [String(sup.pid), "top", "supervisor"])
        assert.deepStrictEqual(
          top.children.map((c: any) => [c.id, c.pid, c.kind]),
          [["vault", String(vault), "worker"], ["plain", String(plain), "worker"]]
        )
        const row = (pid: unknown) => body.processes.find((p: any) => p.pid === String(pid))
        assert.deepStrictEqual(
          [row(vault).name, row(vault).module, row(vault).status, row(vault).links],
          ["vault", "Vault", "waiting", [String(sup.pid)]]
        )
        assert.strictEqual(row(sup.pid).module, "Supervisor")
        assert.strictEqual(row(sup.pid).trapExit, true)
        assert.deepStrictEqual([row(plain).mailbox, row(plain).delivered], [1, 1])
        assert.deepStrictEqual(row(plain).monitoredBy, [String(self)])
        assert.deepStrictEqual(row(self).monitors, [String(plain)])
      })
    ))

  it.live("its own requests are not counted: an idle tree shows no traffic however often it is polled", () =>
    observed((observer) =>
      Effect.gen(function*() {
        const sup = yield* Supervisor.start(tree, { name: "top" })
        const vault = String((yield* Supervisor.whichChildren(sup))[0]!.pid)
        const delivered = (s: Answer) =>
          [String(sup.pid), vault].map((pid) => s.body.processes.find((p: any) => p.pid === pid).delivered)
        const first = delivered(yield* request(observer, "/api/snapshot"))
        for (let i = 0; i < 5; i++) {
          yield* request(observer, "/api/snapshot")
          yield* request(observer, `/api/process?pid=${encodeURIComponent(vault)}`)
          yield* request(observer, `/api/process?pid=${encodeURIComponent(String(sup.pid))}`)
        }
        yield* post(observer, "/api/trace", { pid: vault, enabled: true })
        yield* post(observer, "/api/trace", { pid: vault, enabled: false })
        assert.deepStrictEqual(delivered(yield* request(observer, "/api/snapshot")), first)
        // Other traffic still counts.
        yield* GenServer.call(GenServer.ref(Vault, "vault"), Get)
        const [supAfter, vaultAfter] = delivered(yield* request(observer, "/api/snapshot"))
        assert.deepStrictEqual([supAfter, vaultAfter], [first[0], first[1] + 1])
      })
    ))

  it.live("a process's state is what its formatStatus shows; a plain process has none", () =>
    observed((observer) =>
      Effect.gen(function*() {
        const sup = yield* Supervisor.start(tree)
        const [vault, plain] = (yield* Supervisor.whichChildren(sup)).map((c) => String(c.pid))
        const shown = yield* request(observer, `/api/process?pid=${encodeURIComponent(vault!)}`)
        assert.strictEqual(shown.status, 200)
        assert.deepStrictEqual([shown.body.status.module, shown.body.status.status], ["Vault", "running"])
        assert.include(shown.body.status.state, "<redacted>")
        assert.notInclude(JSON.stringify(shown.body), "hunter2")
        const none = yield* request(observer, `/api/process?pid=${encodeURIComponent(plain!)}`)
        assert.strictEqual(none.status, 200)
        assert.strictEqual(none.body.status, undefined)
        assert.include(none.body.note, "plain process")
        // The plain process got no system message.
        const row = (yield* request(observer, "/api/snapshot")).body.processes.find((p: any) => p.pid === plain)
        assert.strictEqual(row.mailbox, 0)
      })
    ))

  it.live("a state machine's current state shows in the table and the tree, read without a message; on click, its state and data apart", () =>
    observed((observer) =>
      Effect.gen(function*() {
        const sup = yield* Supervisor.start([
          StateMachine.childSpec(Door, "4711", { id: "door", name: "door" }),
          StateMachine.childSpec(Lift, undefined, { id: "lift" }),
          ...tree
        ], { name: "top" })
        const [door, lift, vault] = (yield* Supervisor.whichChildren(sup)).map((c) => String(c.pid))
        const row = (s: Answer, pid: string) => s.body.processes.find((p: any) => p.pid === pid)
        const child = (s: Answer, id: string) => s.body.trees[0].children.find((c: any) => c.id === id)

        const before = yield* request(observer, "/api/snapshot")
        assert.deepStrictEqual([row(before, door!).module, row(before, door!).state], ["Door", "locked"])
        assert.strictEqual(child(before, "door").state, "locked")
        // A state that is no string shows as its text; a GenServer, a supervisor and a plain process have none.
        assert.strictEqual(row(before, lift!).state, `{"floor":3,"doors":"closed"}`)
        for (const pid of [vault!, String(sup.pid)]) assert.notProperty(row(before, pid), "state")
        assert.notProperty(child(before, "vault"), "state")

        assert.strictEqual(yield* StateMachine.call(StateMachine.ref(Door, "door"), Unlock, { code: "4711" }), "open")
        const polls: Array<Answer> = []
        for (let i = 0; i < 3; i++) polls.push(yield* request(observer, "/api/snapshot"))
        for (const poll of polls) {
          assert.strictEqual(row(poll, door!).state, "open")
          assert.strictEqual(child(poll, "door").state, "open")
        }
        // The polls sent the machine nothing: only the Unlock call reached it.
        assert.strictEqual(row(polls[2]!, door!).delivered, row(before, door!).delivered + 1)
        assert.strictEqual(row(polls[2]!, door!).mailbox, 0)

        const shown = yield* request(observer, `/api/process?pid=${encodeURIComponent(door!)}`)
        assert.strictEqual(shown.status, 200)
        assert.strictEqual(shown.body.status.machine.state, "open")
        assert.include(shown.body.status.machine.data, "<redacted>")
        assert.include(shown.body.status.machine.data, "opened: 1")
        assert.notInclude(shown.body.status.machine.data, "state", "the data alone")
        assert.isFalse(shown.body.status.machine.truncated)
        assert.notInclude(JSON.stringify(shown.body), "4711")
        // A GenServer's answer has no machine part.
        const server = yield* request(observer, `/api/process?pid=${encodeURIComponent(vault!)}`)
        assert.notProperty(server.body.status, "machine")
      })
    ))

  it.live("a large state is shown cut, with a truncated marker, in a bounded answer", () =>
    observed((observer) =>
      Effect.gen(function*() {
        const Big = GenServer.make({
          name: "Big",
          init: (n: number) => {
            const keys: Record<string, { readonly list: ReadonlyArray<number> }> = {}
            for (let i = 0; i < n; i++) keys[`key${i}`] = { list: [i, i + 1] }
            return GenServer.ok({ keys, items: Array.from({ length: n }, (_, i) => i), text: "x".repeat(n) })
          }
        })
        const big = yield* GenServer.start(Big, 200_000)
        const answer = yield* Effect.promise(() =>
          fetch(`http://127.0.0.1:${observer.port}/api/process?pid=${encodeURIComponent(String(big.pid))}`).then((r) => r.text())
        )
        assert.isBelow(answer.length, 80 * 1024)
        const { status } = JSON.parse(answer)
        assert.strictEqual(status.truncated, true)
        assert.include(status.state, "key99:")
        assert.notInclude(status.state, "key100:")
        assert.include(status.state, "199900 more keys")
        assert.include(status.state, "199900 more items")
        assert.match(status.state, /… truncated: the observer shows at most 100 entries per container/)
        // A small state is whole, with no marker.
        const vault = yield* GenServer.start(Vault, "s3cret")
        const small = yield* request(observer, `/api/process?pid=${encodeURIComponent(String(vault.pid))}`)
        assert.strictEqual(small.body.status.truncated, false)
        assert.notInclude(small.body.status.state, "truncated")
      })
    ))

  it.live("the process table is paged: a snapshot does not grow with the process count", () =>
    observed((observer) =>
      Effect.gen(function*() {
        const idle = Process.spawn(Process.receive({ match: (m) => m === "never" }))
        for (let i = 0; i < 200; i++) yield* idle
        const size = (path: string) =>
          Effect.promise(() => fetch(`http://127.0.0.1:${observer.port}${path}`).then((r) => r.text()))
        const small = yield* size("/api/snapshot")
        for (let i = 0; i < 5000; i++) yield* idle
        const large = yield* size("/api/snapshot")
        const body = JSON.parse(large)
        assert.strictEqual(body.processes.length, 100)
        assert.strictEqual(body.offset, 0)
        assert.isAtLeast(body.total, 5200)
        // The same page, give or take the digits of the total.
        assert.isBelow(Math.abs(large.length - small.length), 16)
        // A page further on.
        const page = (yield* request(observer, "/api/snapshot?limit=10&offset=5")).body
        assert.deepStrictEqual(page.processes.map((p: any) => p.pid), body.processes.slice(5, 15).map((p: any) => p.pid))
        assert.strictEqual(page.total, body.total)
        const end = (yield* request(observer, `/api/snapshot?limit=1000&offset=${body.total - 3}`)).body
        assert.strictEqual(end.processes.length, 3)
        for (const query of ["limit=0", "limit=1001", "limit=ten", "offset=-1", "offset=1.5", "limit=1e3"]) {
          const { status, body: error } = yield* request(observer, `/api/snapshot?${query}`)
          assert.strictEqual(status, 400, query)
          assert.include(error.error, "must be a whole number")
        }
      })
    ))

  it.live("the trees of a snapshot list at most 1000 nodes, and count the trees left out", () =>
    observed((observer) =>
      Effect.gen(function*() {
        for (let i = 0; i < 1050; i++) yield* Supervisor.start([])
        const { body } = yield* request(observer, "/api/snapshot")
        assert.strictEqual(body.trees.length, 1000)
        assert.strictEqual(body.moreTrees, 50)
      })
    ))

  it.live("the trees of supervisors outside an application are paged: every one can be reached", () =>
    observed((observer) =>
      Effect.gen(function*() {
        const sups: Array<string> = []
        for (let i = 0; i < 1050; i++) sups.push(String((yield* Supervisor.start([])).pid))
        const { body } = yield* request(observer, "/api/snapshot?trees=1000")
        assert.deepStrictEqual(body.trees.map((t: any) => t.pid), sups.slice(1000))
        assert.deepStrictEqual([body.treesOffset, body.moreTrees], [1000, 0])
        const middle = (yield* request(observer, "/api/snapshot?trees=500")).body
        assert.deepStrictEqual([middle.trees.length, middle.trees[0].pid, middle.moreTrees], [550, sups[500], 0])
        const past = (yield* request(observer, "/api/snapshot?trees=5000")).body
        assert.deepStrictEqual([past.trees.length, past.moreTrees], [0, 0])
        for (const query of ["trees=-1", "trees=x", "trees=1.5"]) {
          const { status, body: error } = yield* request(observer, `/api/snapshot?${query}`)
          assert.strictEqual(status, 400, query)
          assert.include(error.error, "trees must be a whole number")
        }
      })
    ))

  it.live("dynamic children show their via name; crash reports name their supervisor", () =>
    observed((observer) =>
      Effect.gen(function*() {
        const users = Registry.ref<string, undefined, "unique">("users", "unique")
        yield* Supervisor.start([
          Registry.childSpec({ id: "users", name: "users", keys: "unique" }),
          DynamicSupervisor.childSpec("sessions", { name: "sessions" }),
          // A supervisor with no registered name: its id in its parent names it.
          Supervisor.childSpec("inner", [GenServer.childSpec(Vault, "a", { id: "inner-vault" })], { intensity: 5 })
        ], { name: "top" })
        for (const user of ["ada", "joe"]) {
          yield* DynamicSupervisor.startChild("sessions", GenServer.childSpec(Vault, user, { name: Registry.via(users, user) }))
        }
        yield* DynamicSupervisor.startChild("sessions", GenServer.childSpec(Vault, "anonymous"))
        const { body } = yield* request(observer, "/api/snapshot")
        const sessions = body.trees[0].children.find((c: any) => c.id === "sessions")
        assert.strictEqual(sessions.module, "DynamicSupervisor")
        assert.deepStrictEqual(sessions.children.map((c: any) => [c.id, c.via]), [
          ["Vault", 'via(users, "ada")'],
          ["Vault", 'via(users, "joe")'],
          ["Vault", undefined]
        ])
        const ada = sessions.children[0].pid
        assert.strictEqual(body.processes.find((p: any) => p.pid === ada).via, 'via(users, "ada")')
        // Crash reports: a named supervisor by its name, an unnamed one by its id in its parent.
        const vault = sessions.children[1].pid
        const inner = body.trees[0].children.find((c: any) => c.id === "inner").children[0].pid
        for (const pid of [vault, inner]) {
          const ref = yield* Process.monitor(yield* findPid(pid))
          yield* post(observer, "/api/kill", { pid })
          yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
        }
        const after = (yield* request(observer, "/api/snapshot")).body
        assert.deepStrictEqual(after.crashes.map((c: any) => [c.child, c.supervisorName]), [["Vault", "sessions"], ["inner-vault", "inner"]])
      })
    ))

  it.live("actions need the token; bad requests get clear 4xx answers", () =>
    observed((observer) =>
      Effect.gen(function*() {
        const sup = yield* Supervisor.start(tree)
        const [vault, plain] = (yield* Supervisor.whichChildren(sup)).map((c) => String(c.pid))
        const cases: ReadonlyArray<readonly [Effect.Effect<Answer>, number, string]> = [
          [post(observer, "/api/kill", { pid: vault }, null), 401, "token"],
          [post(observer, "/api/kill", { pid: vault }, "guess"), 403, "wrong token"],
          [post(observer, "/api/kill", "{not json"), 400, "JSON"],
          [post(observer, "/api/kill", [vault]), 400, "JSON object"],
          [post(observer, "/api/kill", { pid: "vault" }), 400, "bad pid"],
          [post(observer, "/api/kill", { pid: "<0.999999.0>" }), 404, "no live process"],
          [post(observer, "/api/kill", { pid: vault, node: "elsewhere@host" }), 404, "no node"],
          [post(observer, "/api/trace", { pid: vault }), 400, "enabled"],
          [post(observer, "/api/trace", { pid: plain, enabled: true }), 409, "plain process"],
          [request(observer, "/api/kill"), 405, "use POST"],
          [request(observer, "/api/process?pid=%3Cnope%3E"), 400, "bad pid"],
          [request(observer, "/api/process"), 400, "bad pid"],
          [request(observer, "/api/nothing"), 404, "no route"],
          [withHost(observer, "/api/snapshot", "attacker.example:80"), 403, "not an address this observer serves"]
        ]
        for (const [answer, status, error] of cases) {
          const { status: got, body } = yield* answer
          assert.strictEqual(got, status, JSON.stringify(body))
          assert.include(body.error, error)
        }
        // Nothing was done: both children still run with the same pids.
        assert.deepStrictEqual((yield* Supervisor.whichChildren(sup)).map((c) => String(c.pid)), [vault, plain])
      })
    ))

  it.live("answers only a Host it serves: a DNS-rebinding name starting with 127. gets 403", () =>
    observed((observer) =>
      Effect.gen(function*() {
        const port = observer.port
        const hostile = [
          `127.evil.example:${port}`,
          `127.0.0.1.nip.io:${port}`,
          `127.0.0.1.evil.example:${port}`,
          `localhost.evil.example:${port}`,
          `127.1:${port}`,
          "127.0.0.1",
          `127.0.0.1:${port + 1}`,
          `evil.example:${port}`,
          "[::1]"
        ]
        for (const host of hostile) {
          const { status, body } = yield* withHost(observer, "/api/snapshot", host)
          assert.strictEqual(status, 403, host)
          assert.include(body.error, "not an address this observer serves")
          assert.notProperty(body, "processes")
        }
        for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`, `[::1]:${port}`]) {
          const { status } = yield* withHost(observer, "/api/snapshot", host)
          assert.strictEqual(status, 200, host)
        }
      })
    ))

  it("a wildcard host adds the machine's own addresses, never the wildcard itself", () => {
    const hosts = allowedHosts("0.0.0.0", 4000, ["box", "10.0.0.5", "fe80::1"])
    assert.deepStrictEqual([...hosts].sort(), [
      "10.0.0.5:4000", "127.0.0.1:4000", "[::1]:4000", "[fe80::1]:4000", "box:4000", "localhost:4000"
    ])
    assert.deepStrictEqual([...allowedHosts("::1", 80)].sort(), ["127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:80", "localhost", "localhost:80"])
  })

  it.live("kill: the supervisor restarts the child, and the crash report shows up", () =>
    observed((observer) =>
      Effect.gen(function*() {
        const sup = yield* Supervisor.start(tree, { intensity: 5 })
        const vault = (yield* Supervisor.whichChildren(sup))[0]!.pid as Pid.Pid
        const ref = yield* Process.monitor(vault)
        const killed = yield* post(observer, "/api/kill", { pid: String(vault) })
        assert.deepStrictEqual([killed.status, killed.body.ok], [200, true])
        yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
        // The supervisor answers after it handled the exit that came first.
        const restarted = (yield* Supervisor.whichChildren(sup))[0]!.pid
        assert.notStrictEqual(String(restarted), String(vault))
        const { body } = yield* request(observer, "/api/snapshot")
        assert.strictEqual(body.trees[0].children[0].pid, String(restarted))
        assert.deepStrictEqual(
          body.crashes.map((c: any) => [c.supervisor, c.child, c.pid, c.reason, c.action]),
          [[String(sup.pid), "vault", String(vault), "killed", "restart"]]
        )
      })
    ))

  it.live("trace: turned on from the observer, the process's messages show up; off stops them", () =>
    observed((observer) =>
      Effect.gen(function*() {
        const vault = yield* GenServer.start(Vault, "s3cret", { name: "vault" })
        const pid = String(vault.pid)
        const on = yield* post(observer, "/api/trace", { pid, enabled: true })
        assert.deepStrictEqual([on.status, on.body.ok], [200, true])
        yield* GenServer.call(vault, Get)
        const traced = yield* request(observer, "/api/snapshot")
        assert.deepStrictEqual(traced.body.traces.map((t: any) => [t.pid, t.message]), [
          [pid, `${pid} got call Get`],
          [pid, `${pid} replied 0`]
        ])
        assert.strictEqual(traced.body.processes.find((p: any) => p.pid === pid).trace, true)
        const status = yield* request(observer, `/api/process?pid=${encodeURIComponent(pid)}`)
        assert.strictEqual(status.body.status.trace, true)
        yield* post(observer, "/api/trace", { pid, enabled: false })
        yield* GenServer.call(vault, Get)
        const after = yield* request(observer, "/api/snapshot")
        assert.strictEqual(after.body.traces.length, 2)
      })
    ))
})

// ----------------------------------------------------------------------------
// A poll's cost on a big node (issue 17): what it shows plus what changed
// ----------------------------------------------------------------------------

/** Runs `body` as a process of a fresh node (TestClock: nothing here waits on time). */
const onNode = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()), Effect.provideService(References.CurrentLoggers, new Set()))

const idleSpec = (id: string) => ChildSpec.worker(id, Process.spawnLink(Process.receive({ match: (m) => m === "never" })))

/** Every tree node of a snapshot's trees. */
const treeNodes = (s: Snapshot): number => {
  const count = (t: TreeNode): number => 1 + (t.children ?? []).reduce((n, c) => n + count(c), 0)
  return [...s.applications.flatMap((a) => a.tree === undefined ? [] : [a.tree]), ...s.trees].reduce((n, t) => n + count(t), 0)
}

describe("observer polls on a big node", () => {
  it.effect("a process lookup and a table page visit what they answer, not the node's 20k processes", () =>
    onNode(Effect.gen(function*() {
      const node = yield* Node.Node
      const pids: Array<Pid.Pid> = []
      for (let i = 0; i < 20_000; i++) pids.push(yield* Process.spawn(Process.receive({ match: (m) => m === "never" })))
      const walks = vi.spyOn(runtimeOf(node), "processes")
      processPage(node, 0, 1) // the index is built once, by the first read
      const before = visits.count
      const target = pids[12_345]!
      assert.strictEqual(findProcess(node, String(target)), target)
      assert.isAtMost(visits.count - before, 1)
      const page = processPage(node, 100, 10)
      assert.deepStrictEqual(page.page, pids.slice(99, 109)) // the runner process is the oldest
      assert.strictEqual(page.total, 20_001)
      assert.isAtMost(visits.count - before, 1 + 110)
      assert.strictEqual(walks.mock.calls.length, 0)
      // A killed process, and one ending itself that is still running its finalizer, are gone
      // from both at once (the table shows alive processes only).
      const ending = yield* Process.spawn(Effect.gen(function*() {
        yield* Effect.addFinalizer(() => Effect.sleep("1 hour"))
        yield* Process.exitWith(ExitReason.shutdown())
      }).pipe(Effect.scoped, Effect.ignore))
      yield* Process.exit(target, ExitReason.kill)
      assert.strictEqual(findProcess(node, String(target)), undefined)
      assert.strictEqual(findProcess(node, String(ending)), undefined)
      assert.strictEqual(processPage(node, 0, 1).total, 20_000)
      assert.strictEqual(findProcess(node, "<0.999999999.0>"), undefined)
      assert.strictEqual(findProcess(node, String(pids[7]).replace("<0.", "<1.")), undefined)
      walks.mockRestore()
      yield* TestClock.adjust("1 hour") // the finalizer ends, and with it the process
      assert.isFalse(yield* Process.isAlive(ending))
    })))

  it.effect("a poll asks only the supervisors whose children may have changed", () =>
    onNode(Effect.gen(function*() {
      const node = yield* Node.Node
      const journal = new Journal(10)
      const sups: Array<Pid.Pid> = []
      for (let i = 0; i < 50; i++) sups.push((yield* Supervisor.start([idleSpec("a")])).pid!)
      const dyn = yield* DynamicSupervisor.start()
      yield* snapshot(node, journal)
      const counts = () => [...sups, dyn.pid!].map(deliveredTo)
      const idle = counts()
      yield* snapshot(node, journal)
      yield* snapshot(node, journal)
      assert.deepStrictEqual(counts(), idle, "idle supervisors are not asked again")
      // One supervisor changes: only it is asked.
      yield* Supervisor.startChild(sups[20]!, idleSpec("b"))
      const changed = counts()
      const s = yield* snapshot(node, journal)
      const after = counts()
      assert.deepStrictEqual(after.map((n, i) => n - changed[i]!), after.map((_, i) => i === 20 ? 1 : 0))
      assert.deepStrictEqual(s.trees.find((t) => t.pid === String(sups[20]))!.children!.map((c) => c.id), ["a", "b"])
      // A child's crash reaches its supervisor as a message: asked again, the restart is shown.
      const [child] = yield* Supervisor.whichChildren(sups[3]!)
      const ref = yield* Process.monitor(child!.pid as Pid.Pid)
      yield* Process.exit(child!.pid as Pid.Pid, ExitReason.kill)
      yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
      const restarted = (yield* snapshot(node, journal)).trees.find((t) => t.pid === String(sups[3]))!.children![0]!
      assert.notStrictEqual(restarted.pid, String(child!.pid))
      assert.strictEqual(restarted.pid, String((yield* Supervisor.whichChildren(sups[3]!))[0]!.pid))
    })))

  type Step =
    | { readonly op: "startDyn" | "newTop" | "stopTop" }
    | { readonly op: "stopDyn" | "crash"; readonly i: number }
    | { readonly op: "add" | "terminate" | "restart" | "delete"; readonly id: "a" | "b" | "c" }
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.constantFrom<Step>({ op: "startDyn" }, { op: "newTop" }, { op: "stopTop" }),
    fc.record({ op: fc.constantFrom("stopDyn" as const, "crash" as const), i: fc.nat(50) }),
    fc.record({ op: fc.constantFrom("add" as const, "terminate" as const, "restart" as const, "delete" as const), id: fc.constantFrom("a" as const, "b" as const, "c" as const) })
  )

  it("the kept trees equal freshly read ones after every start, stop and crash, and stay bounded (property)", () =>
    fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        await Effect.runPromise(onNode(Effect.gen(function*() {
          const node = yield* Node.Node
          const journal = new Journal(10)
          const cache = new TreeCache()
          const flags = { intensity: 1000, period: "1 hour" } as const
          const top = yield* Supervisor.start([
            Supervisor.childSpec("mid", [idleSpec("a"), idleSpec("b")], flags),
            DynamicSupervisor.childSpec("dyn", flags),
            idleSpec("w")
          ], { ...flags, name: "top" })
          const others: Array<Pid.Pid> = []
          const childOf = (sup: Pid.Pid, id: string) =>
            Effect.map(Supervisor.whichChildren(sup), (cs) => cs.find((c) => c.id === id)?.pid as Pid.Pid)
          /** Every supervisor has handled what was sent to it before. */
          const settle = Effect.gen(function*() {
            yield* Supervisor.whichChildren(top)
            yield* Supervisor.whichChildren(yield* childOf(top.pid!, "mid"))
            yield* DynamicSupervisor.whichChildren(yield* childOf(top.pid!, "dyn"))
            for (const s of others) yield* Supervisor.whichChildren(s)
          })
          const killAndWait = (pid: Pid.Pid) =>
            Effect.gen(function*() {
              const ref = yield* Process.monitor(pid)
              yield* Process.exit(pid, ExitReason.kill)
              yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
            })
          for (const s of steps) {
            const mid = yield* childOf(top.pid!, "mid")
            const dyn = yield* childOf(top.pid!, "dyn")
            const dynChildren = (yield* DynamicSupervisor.whichChildren(dyn)).map((c) => c.pid as Pid.Pid)
            switch (s.op) {
              case "startDyn":
                yield* DynamicSupervisor.startChild(dyn, idleSpec("d"))
                break
              case "stopDyn":
                if (dynChildren.length > 0) yield* DynamicSupervisor.terminateChild(dyn, dynChildren[s.i % dynChildren.length]!)
                break
              case "crash": {
                const midChildren = (yield* Supervisor.whichChildren(mid)).flatMap((c) => typeof c.pid === "object" ? [c.pid] : [])
                const all = [mid, dyn, yield* childOf(top.pid!, "w"), ...midChildren, ...dynChildren, ...others]
                yield* killAndWait(all[s.i % all.length]!)
                break
              }
              case "add":
                yield* Effect.ignore(Supervisor.startChild(mid, idleSpec(s.id)))
                break
              case "terminate":
                yield* Effect.ignore(Supervisor.terminateChild(mid, s.id))
                break
              case "restart":
                yield* Effect.ignore(Supervisor.restartChild(mid, s.id))
                break
              case "delete":
                yield* Effect.ignore(Supervisor.deleteChild(mid, s.id))
                break
              case "newTop":
                others.push((yield* Supervisor.start([idleSpec("x")])).pid!)
                break
              case "stopTop":
                if (others.length > 0) yield* Supervisor.stop(others.pop()!)
                break
            }
            yield* Effect.forEach(others, (o) => Process.isAlive(o)).pipe(Effect.map((alive) => {
              for (let i = others.length - 1; i >= 0; i--) if (!alive[i]) others.splice(i, 1)
            }))
            yield* settle
            const kept = yield* snapshot(node, journal, undefined, cache)
            const fresh = yield* snapshot(node, journal, undefined, new TreeCache())
            const trees = (s: Snapshot) => ({ applications: s.applications, trees: s.trees, moreTrees: s.moreTrees })
            assert.deepStrictEqual(trees(kept), trees(fresh), JSON.stringify(s))
            assert.isAtMost(treeNodes(kept), 1000)
            // Nothing changed since: the next poll asks no supervisor and shows the same.
            const asked = cache.asked
            assert.deepStrictEqual(trees(yield* snapshot(node, journal, undefined, cache)), trees(fresh))
            assert.strictEqual(cache.asked, asked)
          }
        })))
      }),
      { numRuns: 25 }
    ))
})

// ----------------------------------------------------------------------------
// In a real browser, on a running example
// ----------------------------------------------------------------------------

const chromiumPath = "/usr/bin/chromium"
const root = fileURLToPath(new URL("..", import.meta.url))

/** Starts `examples/observer.ts` on a free port; resolves with the address it prints. */
const startExample = () => {
  const child = spawn(process.execPath, ["--import", "tsx", "examples/observer.ts"], {
    cwd: root,
    env: { ...process.env, OBSERVER_PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  const waiters: Array<() => void> = []
  const onData = (chunk: Buffer) => {
    output += chunk.toString()
    for (const wake of waiters.splice(0)) wake()
  }
  child.stdout.on("data", onData)
  child.stderr.on("data", onData)
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  /** Waits until the program's output matches `pattern` (or it exits). */
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = output.match(pattern)
        if (match) return resolve(match)
        if (child.exitCode !== null) return reject(new Error(`the example exited (${child.exitCode}):\n${output}`))
        waiters.push(check)
      }
      child.on("exit", () => check())
      check()
    })
  return { child, exited, waitFor, output: () => output }
}

describe("observer in a browser", () => {
  it.skipIf(!existsSync(chromiumPath))(
    "shows the example's tree and a redacted state, kills a worker from the page, shows the restart and the crash report, traces",
    async () => {
      const example = startExample()
      const browser = await chromium.launch({
        executablePath: chromiumPath,
        headless: true,
        args: ["--no-sandbox", "--disable-background-networking"]
      })
      try {
        const [, url] = await example.waitFor(/observer: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/)
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
        const pageErrors: Array<string> = []
        page.on("pageerror", (error) => pageErrors.push(String(error)))
        await page.goto(url!)

        // The tree: the application, its root and every child, nested as in the example.
        const shop = page.locator('#apps [data-app="shop"]')
        await shop.locator('li[data-via="via(users, \\"mike\\")"]').waitFor()
        const ids = await Promise.all((await shop.locator("li[data-id]").all()).map((li) => li.getAttribute("data-id")))
        assert.deepStrictEqual(ids, [
          "root",
          "counter",
          "vault",
          "light",
          "ticker",
          "pipeline",
          "fetcher",
          "parser",
          "users",
          "sessions",
          "Idle",
          "Idle",
          "Idle"
        ])
        // The sessions share their spec's id: each is labelled by its via name.
        const sessions = shop.locator('li[data-id="sessions"] li')
        assert.deepStrictEqual(
          (await sessions.locator("> .node").allTextContents()).map((text) => text.split(" ")[0] + " " + text.split(" ")[1]),
          ['via(users, "ada")', 'via(users, "joe")', 'via(users, "mike")']
        )

        // The process table uses the page: no row is cut off by a fixed box.
        const table = page.locator("#processes-section")
        await page.locator("#process-rows tr").first().waitFor()
        const box = await table.evaluate((el) => ({ scroll: el.scrollHeight, client: el.clientHeight }))
        assert.isAtMost(box.scroll, box.client, "the process table is clipped")
        const pipeline = shop.locator('li[data-id="pipeline"]')
        assert.strictEqual(await pipeline.getAttribute("data-kind"), "supervisor")
        assert.strictEqual(await pipeline.locator('li[data-id="parser"]').count(), 1)
        assert.strictEqual(await page.locator("#mode").textContent(), "control (token)")

        // A process's state on click, as its formatStatus shows it.
        await shop.locator('li[data-id="vault"] > .node').click()
        await page.locator("#state", { hasText: "<redacted>" }).waitFor()
        assert.notInclude(await page.locator("#details").textContent(), "sk-live")

        // The light, a state machine: its state in the tree and the table, changing by itself;
        // on click, its state and its data apart.
        const light = shop.locator('li[data-id="light"]')
        const lightState = page.locator(`tr.process[data-pid="${await light.getAttribute("data-pid")}"] td.machine-state`)
        const first = await lightState.textContent()
        assert.match(first ?? "", /^(red|green|yellow)$/)
        await page.locator(`tr.process[data-pid="${await light.getAttribute("data-pid")}"] td.machine-state`).filter({ hasNotText: first! }).waitFor()
        assert.match(await light.locator("> .node .machine-state").textContent() ?? "", /^state: (red|green|yellow)$/)
        await light.locator("> .node").click()
        await page.locator("#machine-state", { hasText: /^state (red|green|yellow)$/ }).waitFor()
        assert.include(await page.locator("#state").textContent(), "cycles")

        // The process table: the counter is called by the ticker, so its rate is not zero.
        const counter = shop.locator('li[data-id="counter"]')
        const before = (await counter.getAttribute("data-pid"))!
        const row = page.locator(`tr.process[data-pid="${before}"]`)
        await row.locator("td", { hasText: "counter" }).first().waitFor()
        await row.locator("td.rate").filter({ hasNotText: /^0\.0$/ }).waitFor()

        // Kill the counter from the page; the root restarts it under a new pid.
        await counter.locator("> .node").click()
        await page.locator("#details-pid", { hasText: before }).waitFor()
        await page.locator("#kill").click()
        await page.locator("#action-result", { hasText: `sent kill to ${before}` }).waitFor()
        const restarted = shop.locator(`li[data-id="counter"]:not([data-pid="${before}"])`)
        await restarted.waitFor()
        const after = (await restarted.getAttribute("data-pid"))!
        assert.match(after, /^<0\.\d+\.0>$/)
        assert.notStrictEqual(after, before)
        await page.locator("#crashes li", { hasText: `counter (${before})` }).waitFor()
        assert.include(await page.locator("#crashes").textContent(), "killed → restart")
        // Many polls later, no session is shown as restarted (they share an id, not a pid).
        assert.strictEqual(await shop.locator('li[data-id="sessions"] li[data-restarted]').count(), 0)
        // The supervisor is named, not only its pid.
        assert.match(await page.locator("#crashes").textContent() ?? "", /under root \(<0\.\d+\.0>\)/)
        // The program itself logged the same supervisor report.
        await example.waitFor(/child counter terminated \(Killed\)/)

        // Trace the new counter from the page: the ticker's calls show up, until it is turned off.
        await restarted.locator("> .node").click()
        await page.locator("#details-pid", { hasText: after }).waitFor()
        await page.locator("#trace", { hasText: "Trace" }).click()
        await page.locator("#traces li", { hasText: `${after} got call Bump` }).first().waitFor()
        await page.locator(`tr.process[data-pid="${after}"] td.status`, { hasText: "(trace)" }).waitFor()
        await page.locator("#trace", { hasText: "Stop trace" }).click()
        await page.locator("#action-result", { hasText: `trace off for ${after}` }).waitFor()

        mkdirSync(`${root}/temp`, { recursive: true })
        await page.screenshot({ path: `${root}/temp/observer.png`, fullPage: true })
        assert.deepStrictEqual(pageErrors, [])
      } finally {
        await browser.close()
        example.child.kill("SIGTERM")
        await example.exited
      }
      assert.include(example.output(), "stopped: Stopped")
    },
    120_000
  )
})
