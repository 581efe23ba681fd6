import { assert, describe, it } from "@effect/vitest"
import { Data, Deferred, Effect, Equal, Exit, Option } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { ExitReason, Node, Pid, Process, ProcessGroups, Supervisor, Sys } from "../index.js"

// ----------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------

/** Runs `body` as a process on a fresh node. */
const inNode = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()))

/** A process body that waits forever. */
const idle = Process.receive({ match: () => false })

const isDownFor = (ref: Process.DownMessage["ref"]) => (m: unknown): m is Process.DownMessage =>
  Process.isDownMessage(m) && m.ref === ref

/** Kills `pid` and waits for its `Down`. */
const kill = (pid: Pid.Pid) =>
  Effect.gen(function*() {
    const ref = yield* Process.monitor(pid)
    yield* Process.exit(pid, ExitReason.kill)
    return yield* Process.receive({ match: isDownFor(ref) })
  })

/** Every message now in the caller's mailbox, as `join g [pids]` / `leave g [pids]` lines (with the ref's name). */
const drain = (names: ReadonlyMap<unknown, string>, pids: ReadonlyArray<Pid.Pid>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    while (true) {
      const next = yield* Process.receive({ timeout: 0 })
      if (Option.isNone(next)) return lines
      const m = next.value
      if (ProcessGroups.isJoin(m) || ProcessGroups.isLeave(m)) {
        const who = m.pids.map((p) => `P${pids.findIndex((q) => Equal.equals(p, q))}`).join(",")
        lines.push(`${names.get(m.ref) ?? "?"} ${m._tag} ${String(m.group)} [${who}]`)
      } else if (Process.isDownMessage(m)) {
        lines.push(`Down P${pids.findIndex((q) => Equal.equals(m.pid, q))}`)
      } else {
        lines.push(`other ${String(m)}`)
      }
    }
  })

/** A structural group: two instances with the same fields are the same group. */
class Room extends Data.Class<{ readonly room: string }> {}

const errorOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  const error = Exit.findErrorOption(exit)
  if (Option.isNone(error)) return assert.fail(`expected a failure, got ${String(exit)}`)
  return error.value
}

// ----------------------------------------------------------------------------
// Join, leave, members
// ----------------------------------------------------------------------------

describe("join, leave and members (as pg)", () => {
  it.effect("a process joins once per occurrence, newest first; leave ends one join; not_joined is NotJoined", () =>
    inNode(Effect.gen(function*() {
      const scope = yield* ProcessGroups.start<string>("s")
      const a = yield* Process.spawn(idle)
      const b = yield* Process.spawn(idle)
      yield* ProcessGroups.join(scope, "g", a)
      yield* ProcessGroups.join(scope, "g", [b, a])
      // As in erl: members after join A, [B, A]: [B, A, A].
      assert.deepStrictEqual(yield* ProcessGroups.members(scope, "g"), [b, a, a])
      assert.deepStrictEqual(yield* ProcessGroups.localMembers(scope, "g"), [b, a, a])
      yield* ProcessGroups.leave(scope, "g", b)
      const again = errorOf(yield* Effect.exit(ProcessGroups.leave(scope, "g", b)))
      assert.strictEqual(again._tag, "NotJoined")
      assert.instanceOf(again, ProcessGroups.NotJoined)
      assert.strictEqual((again as ProcessGroups.NotJoined).scope, "s")
      assert.strictEqual((again as ProcessGroups.NotJoined).group, "g")
      assert.strictEqual(errorOf(yield* Effect.exit(ProcessGroups.leave(scope, "g", [b])))._tag, "NotJoined")
      assert.strictEqual(errorOf(yield* Effect.exit(ProcessGroups.leave(scope, "g", [])))._tag, "NotJoined")
      // With a list, not_joined only when none was in the group; one of A's two joins ends.
      yield* ProcessGroups.leave(scope, "g", [b, a])
      assert.deepStrictEqual(yield* ProcessGroups.members(scope, "g"), [a])
      yield* ProcessGroups.leave(scope, "g", a)
      assert.deepStrictEqual(yield* ProcessGroups.members(scope, "g"), [])
      assert.deepStrictEqual(yield* ProcessGroups.whichGroups(scope), [])
      assert.strictEqual(errorOf(yield* Effect.exit(ProcessGroups.leave(scope, "nobody", a)))._tag, "NotJoined")
    })))

  it.effect("groups are any value compared with Equal: __proto__, numbers, Data structs; whichGroups lists the non-empty ones", () =>
    inNode(Effect.gen(function*() {
      const scope = yield* ProcessGroups.start("any")
      const a = yield* Process.spawn(idle)
      yield* ProcessGroups.join(scope, "__proto__", a)
      yield* ProcessGroups.join(scope, "constructor", a)
      yield* ProcessGroups.join(scope, 1, a)
      yield* ProcessGroups.join(scope, new Room({ room: "lobby" }), a)
      yield* ProcessGroups.join(scope, undefined, a)
      assert.deepStrictEqual(yield* ProcessGroups.members(scope, "__proto__"), [a])
      assert.deepStrictEqual(yield* ProcessGroups.members(scope, "toString"), [])
      assert.deepStrictEqual(yield* ProcessGroups.members(scope, "1"), [])
      assert.deepStrictEqual(yield* ProcessGroups.members(scope, new Room({ room: "lobby" })), [a])
      assert.deepStrictEqual(yield* ProcessGroups.members(scope, undefined), [a])
      const groups = yield* ProcessGroups.whichGroups(scope)
      assert.strictEqual(groups.length, 5)
      assert.isTrue(groups.some((g) => Equal.equals(g, new Room({ room: "lobby" }))))
      assert.includeMembers(groups as Array<unknown>, ["__proto__", "constructor", 1, undefined])
      yield* ProcessGroups.leave(scope, new Room({ room: "lobby" }), a)
      assert.strictEqual((yield* ProcessGroups.whichGroups(scope)).length, 4)
    })))

  it.effect("a dead process joins nothing (and no monitor hears of it); [] joins nothing", () =>
    inNode(Effect.gen(function*() {
      const scope = yield* ProcessGroups.start<string>("s")
      const { ref } = yield* ProcessGroups.monitor(scope, "g")
      const dead = yield* Process.spawn(Effect.void)
      yield* kill(dead)
      const live = yield* Process.spawn(idle)
      yield* ProcessGroups.join(scope, "g", dead)
      yield* ProcessGroups.join(scope, "g", [])
      yield* ProcessGroups.join(scope, "g", [dead, live])
      assert.deepStrictEqual(yield* ProcessGroups.members(scope, "g"), [live])
      assert.deepStrictEqual(yield* drain(new Map([[ref, "G"]]), [dead, live]), ["G Join g [P1]"])
    })))

  it.effect("a process that is exiting (finalizers running) joins nothing; a member that begins to exit leaves when its exit completes", () =>
    inNode(Effect.gen(function*() {
      const scope = yield* ProcessGroups.start<string>("s")
      const gate = yield* Deferred.make<void>()
      const slow = () => Process.spawn(Effect.ensuring(idle, Deferred.await(gate)))
      const exiting = yield* slow()
      const member = yield* slow()
      yield* ProcessGroups.join(scope, "g", member)
      const ref = yield* Process.monitor(exiting)
      const memberRef = yield* Process.monitor(member)
      yield* Process.exit(exiting, ExitReason.kill)
      yield* Process.exit(member, ExitReason.kill)
      yield* TestClock.adjust("1 millis") // both are in their finalizers now
      assert.isFalse(yield* Process.isAlive(exiting))
      yield* ProcessGroups.join(scope, "g", exiting)
      assert.deepStrictEqual(yield* ProcessGroups.members(scope, "g"), [member])
      yield* Deferred.succeed(gate, undefined)
      yield* Process.receive({ match: isDownFor(ref) })
      yield* Process.receive({ match: isDownFor(memberRef) })
      assert.deepStrictEqual(yield* ProcessGroups.members(scope, "g"), [])
      assert.deepStrictEqual(((yield* Sys.getStatus("s")).state as any).members, 0)
    })))

  it.effect("members hands out a frozen array: an untyped caller cannot change the table through it", () =>
    inNode(Effect.gen(function*() {
      const scope = yield* ProcessGroups.start<string>("s")
      const a = yield* Process.spawn(idle)
      yield* ProcessGroups.join(scope, "g", a)
      const members = yield* ProcessGroups.members(scope, "g")
      assert.throws(() => (members as Array<Pid.Pid>).push(a))
      assert.deepStrictEqual(yield* ProcessGroups.members(scope, "g"), [a])
    })))

  it.effect("a change's pids are frozen and not the caller's array: one monitor cannot change what another sees", () =>
    inNode(Effect.gen(function*() {
      const scope = yield* ProcessGroups.start<string>("s")
      const a = yield* Process.spawn(idle)
      const b = yield* Process.spawn(idle)
      yield* ProcessGroups.join(scope, "g", b)
      const { ref } = yield* ProcessGroups.monitor(scope, "g")
      const given = [a]
      yield* ProcessGroups.join(scope, "g", given)
      yield* kill(b)
      const join = yield* Process.receive({ match: ProcessGroups.isMessage<string>(ref) })
      const leave = yield* Process.receive({ match: ProcessGroups.isMessage<string>(ref) })
      for (const change of [join, leave]) {
        assert.isTrue(Object.isFrozen(change.pids))
        assert.throws(() => (change.pids as Array<Pid.Pid>).pop())
      }
      assert.isFalse(Object.isFrozen(given))
      assert.deepStrictEqual([join.pids, leave.pids], [[a], [b]])
    })))

  it.effect("bad arguments from untyped callers are BadArgument and join nothing; a pid of another node too", () =>
    inNode(Effect.gen(function*() {
      const scope = yield* ProcessGroups.start<string>("s")
      const a = yield* Process.spawn(idle)
      const remote = yield* Process.spawn(idle).pipe(Effect.provide(Node.layer({ name: "other@host" })))
      for (const bad of ["a-name", 42, undefined, null, { pid: a }, [a, "x"], [a, remote], remote] as Array<any>) {
        const error = errorOf(yield* Effect.exit(ProcessGroups.join(scope, "g", bad)))
        assert.strictEqual(error._tag, "BadArgument", String(bad))
        assert.strictEqual(errorOf(yield* Effect.exit(ProcessGroups.leave(scope, "g", bad)))._tag, "BadArgument")
      }
      assert.deepStrictEqual(yield* ProcessGroups.members(scope, "g"), [])
      // An untyped scope argument is no scope anybody runs.
      assert.strictEqual(errorOf(yield* Effect.exit(ProcessGroups.members(42 as any, "g")))._tag, "NoProc")
      // Also one that cannot be turned into a string (no prototype, a throwing toString).
      const noProto = Object.create(null)
      const throwing = { name: 7, toString: () => { throw new Error("no string") } }
      for (const bad of [noProto, throwing] as Array<any>) {
        assert.strictEqual(errorOf(yield* Effect.exit(ProcessGroups.members(bad, "g")))._tag, "NoProc")
        assert.strictEqual(errorOf(yield* Effect.exit(ProcessGroups.join(bad, "g", a)))._tag, "NoProc")
      }
      assert.strictEqual(errorOf(yield* Effect.exit(ProcessGroups.start("")))._tag, "BadArgument")
      assert.strictEqual(errorOf(yield* Effect.exit(ProcessGroups.start({} as any)))._tag, "BadArgument")
    })))

  it.effect("a scope nobody runs is NoProc for every operation; a taken name is AlreadyStarted", () =>
    inNode(Effect.gen(function*() {
      const a = yield* Process.spawn(idle)
      const ref = (yield* ProcessGroups.start("taken"))
      for (
        const op of [
          ProcessGroups.join("nobody", "g", a),
          ProcessGroups.leave("nobody", "g", a),
          ProcessGroups.members("nobody", "g"),
          ProcessGroups.localMembers("nobody", "g"),
          ProcessGroups.whichGroups("nobody"),
          ProcessGroups.monitor("nobody", "g"),
          ProcessGroups.monitorScope("nobody"),
          ProcessGroups.demonitor(ProcessGroups.scope("nobody"), (yield* ProcessGroups.monitor(ref, "g")).ref)
        ] as Array<Effect.Effect<unknown, { readonly _tag: string }, Process.CurrentProcess | Node.Node>>
      ) {
        const error = errorOf(yield* Effect.exit(op))
        assert.strictEqual(error._tag, "NoProc")
        assert.strictEqual((error as any).target, "nobody")
      }
      // A process registered under the name that is no scope is no scope either.
      yield* Process.spawn(idle, { name: "impostor" })
      assert.strictEqual(errorOf(yield* Effect.exit(ProcessGroups.members("impostor", "g")))._tag, "NoProc")
      assert.strictEqual(errorOf(yield* Effect.exit(ProcessGroups.start("taken")))._tag, "AlreadyStarted")
    })))
})

// ----------------------------------------------------------------------------
// Monitors
// ----------------------------------------------------------------------------

describe("monitors", () => {
  it.effect("monitor and monitorScope see every change, scope monitors first, with the pids that did change (pg's trace)", () =>
    inNode(Effect.gen(function*() {
      const scope = yield* ProcessGroups.start<string>("s")
      const g = yield* ProcessGroups.monitor(scope, "g")
      assert.deepStrictEqual(g.members, [])
      const s = yield* ProcessGroups.monitorScope(scope)
      assert.strictEqual(s.groups.size, 0)
      const names = new Map<unknown, string>([[g.ref, "G"], [s.ref, "S"]])
      const a = yield* Process.spawn(idle)
      const b = yield* Process.spawn(idle)
      const pids = [a, b]
      yield* ProcessGroups.join(scope, "g", a)
      yield* ProcessGroups.join(scope, "g", [b, a])
      yield* ProcessGroups.leave(scope, "g", b)
      yield* Effect.exit(ProcessGroups.leave(scope, "g", b))
      yield* ProcessGroups.leave(scope, "g", [b, a])
      yield* ProcessGroups.join(scope, "h", a)
      assert.deepStrictEqual(yield* drain(names, pids), [
        "S Join g [P0]",
        "G Join g [P0]",
        "S Join g [P1,P0]",
        "G Join g [P1,P0]",
        "S Leave g [P1]",
        "G Leave g [P1]",
        // pg lists [B, A] here (every pid given): this lists the ones that left.
        "S Leave g [P0]",
        "G Leave g [P0]",
        "S Join h [P0]"
      ])
      const snapshot = yield* ProcessGroups.monitorScope(scope)
      assert.deepStrictEqual([...snapshot.groups], [["g", [a]], ["h", [a]]])
      assert.notStrictEqual(snapshot.ref, s.ref)
    })))

  it.effect("a member that exits leaves every group inside its exit: the Leaves come before the Down, members already without it", () =>
    inNode(Effect.gen(function*() {
      const scope = yield* ProcessGroups.start<string>("s")
      const a = yield* Process.spawn(idle)
      const c = yield* Process.spawn(idle)
      const g = yield* ProcessGroups.monitor(scope, "g")
      const s = yield* ProcessGroups.monitorScope(scope)
      yield* ProcessGroups.join(scope, "g", a)
      yield* ProcessGroups.join(scope, "h", a)
      yield* ProcessGroups.join(scope, "g", [c, c])
      const names = new Map<unknown, string>([[g.ref, "G"], [s.ref, "S"]])
      yield* drain(names, [a, c])
      const down = yield* kill(a)
      assert.strictEqual(down.reason._tag, "Killed")
      assert.deepStrictEqual(yield* ProcessGroups.members(scope, "g"), [c, c])
      assert.deepStrictEqual(yield* ProcessGroups.members(scope, "h"), [])
      // As erl: the newest join first (h, then g).
      assert.deepStrictEqual(yield* drain(names, [a, c]), ["S Leave h [P0]", "S Leave g [P0]", "G Leave g [P0]"])
      // Joined twice: one Leave per join, as pg.
      yield* Process.send(c, "unexpected") // c ignores it
      yield* kill(c)
      assert.deepStrictEqual(yield* drain(names, [a, c]), [
        "S Leave g [P1]",
        "G Leave g [P1]",
        "S Leave g [P1]",
        "G Leave g [P1]"
      ])
      assert.deepStrictEqual(yield* ProcessGroups.whichGroups(scope), [])
    })))

  it.effect("every kind of exit cleans up: normal return, failure, defect, shutdown, kill, a linked crash", () =>
    inNode(Effect.gen(function*() {
      const scope = yield* ProcessGroups.start<string>("s")
      const bodies = [
        Effect.void,
        Effect.fail("boom"),
        Effect.die(new Error("defect")),
        Process.exitWith(ExitReason.shutdown()),
        Effect.andThen(Process.spawnLink(Effect.fail("linked")), idle)
      ]
      for (const body of bodies) {
        // Joined before its body runs, by its spawner.
        const pid = yield* Process.spawn(Effect.andThen(Process.receive(), body))
        yield* ProcessGroups.join(scope, "g", [pid, pid])
        const ref = yield* Process.monitor(pid)
        yield* Process.send(pid, "go")
        yield* Process.receive({ match: isDownFor(ref) })
        assert.deepStrictEqual(yield* ProcessGroups.members(scope, "g"), [])
      }
      const status = yield* Sys.getStatus("s")
      assert.deepStrictEqual(status.state, { groups: 0, members: 0, monitors: 0 })
    })))

  it.effect("a monitoring process that exits is dropped; demonitor ends a monitor and flushes its messages", () =>
    inNode(Effect.gen(function*() {
      const scope = yield* ProcessGroups.start<string>("s")
      const watcher = yield* Process.spawn(Effect.andThen(ProcessGroups.monitor(scope, "g"), idle))
      const scopeWatcher = yield* Process.spawn(Effect.andThen(ProcessGroups.monitorScope(scope), idle))
      yield* TestClock.adjust("1 millis") // let them start
      assert.strictEqual(((yield* Sys.getStatus("s")).state as any).monitors, 2)
      yield* kill(watcher)
      yield* kill(scopeWatcher)
      assert.strictEqual(((yield* Sys.getStatus("s")).state as any).monitors, 0)

      const a = yield* Process.spawn(idle)
      const { ref } = yield* ProcessGroups.monitor(scope, "g")
      const other = yield* ProcessGroups.monitor(scope, "g")
      yield* ProcessGroups.join(scope, "g", a)
      yield* ProcessGroups.join(scope, "g", a)
      assert.isTrue(yield* ProcessGroups.demonitor(scope, ref))
      assert.isFalse(yield* ProcessGroups.demonitor(scope, ref))
      yield* ProcessGroups.leave(scope, "g", a)
      // Only the other monitor's messages are left: its two joins and the leave.
      assert.deepStrictEqual(yield* drain(new Map([[other.ref, "O"], [ref, "R"]]), [a]), [
        "O Join g [P0]",
        "O Join g [P0]",
        "O Leave g [P0]"
      ])
      assert.isTrue(yield* ProcessGroups.demonitor("s", other.ref))
      assert.strictEqual(((yield* Sys.getStatus("s")).state as any).monitors, 0)
    })))
})

// ----------------------------------------------------------------------------
// The scope process
// ----------------------------------------------------------------------------

describe("the scope", () => {
  it.effect("a scope that dies takes its table; members live on; a restarted scope starts empty", () =>
    inNode(Effect.gen(function*() {
      yield* Supervisor.start([ProcessGroups.childSpec("s")], { name: "sup" })
      const a = yield* Process.spawn(idle)
      const { ref } = yield* ProcessGroups.monitor("s", "g")
      yield* ProcessGroups.join("s", "g", a)
      yield* drain(new Map(), [a])
      const first = Option.getOrThrow(yield* Process.whereis("s"))
      yield* kill(first)
      // The member lives on; the restarted scope (a new pid) knows nothing of it.
      assert.isTrue(yield* Process.isAlive(a))
      const second = Option.getOrThrow(yield* Process.whereis("s"))
      assert.isFalse(Equal.equals(first, second))
      assert.deepStrictEqual(yield* ProcessGroups.members("s", "g"), [])
      assert.isFalse(yield* ProcessGroups.demonitor("s", ref))
      // The old table's watches are gone: the member's exit sends nothing, changes nothing.
      yield* ProcessGroups.join("s", "h", a)
      yield* kill(a)
      assert.deepStrictEqual(yield* drain(new Map(), [a]), [])
      assert.deepStrictEqual(yield* ProcessGroups.whichGroups("s"), [])
    })))

  it.effect("the default scope is named pg and started like any other", () =>
    inNode(Effect.gen(function*() {
      assert.strictEqual(ProcessGroups.defaultScope.name, "pg")
      const scope = yield* ProcessGroups.start(ProcessGroups.defaultScope)
      assert.strictEqual(scope, ProcessGroups.defaultScope)
      const a = yield* Process.spawn(idle)
      yield* ProcessGroups.join(ProcessGroups.defaultScope, "g", a)
      assert.deepStrictEqual(yield* ProcessGroups.members("pg", "g"), [a])
      yield* ProcessGroups.start<number>("numbers")
      assert.deepStrictEqual(yield* ProcessGroups.members("numbers", 1), [])
    })))

  it.effect("startLink links the scope to its starter", () =>
    inNode(Effect.gen(function*() {
      const owner = yield* Process.spawn(Effect.andThen(ProcessGroups.startLink("linked"), idle))
      yield* TestClock.adjust("1 millis")
      const scopePid = Option.getOrThrow(yield* Process.whereis("linked"))
      const ref = yield* Process.monitor(scopePid)
      yield* Process.exit(owner, ExitReason.shutdown())
      const down = yield* Process.receive({ match: isDownFor(ref) })
      assert.strictEqual(down.reason._tag, "Shutdown")
    })))
})

// ----------------------------------------------------------------------------
// Against a model
// ----------------------------------------------------------------------------

type Command =
  | { readonly op: "join"; readonly ws: ReadonlyArray<number>; readonly g: number }
  | { readonly op: "leave"; readonly ws: ReadonlyArray<number>; readonly g: number }
  | { readonly op: "exit"; readonly w: number }

const workerCount = 3
const groupCount = 3
const groupOf = (g: number): unknown => g === 0 ? "__proto__" : g === 1 ? new Room({ room: String(g) }) : g

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("join" as const), ws: fc.array(fc.nat({ max: workerCount - 1 }), { minLength: 1, maxLength: 3 }), g: fc.nat({ max: groupCount - 1 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("leave" as const), ws: fc.array(fc.nat({ max: workerCount - 1 }), { maxLength: 3 }), g: fc.nat({ max: groupCount - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("exit" as const), w: fc.nat({ max: workerCount - 1 }) }) }
)

const sorted = (pids: ReadonlyArray<Pid.Pid>) => pids.map(String).sort()

const runModel = (commands: ReadonlyArray<Command>) =>
  Effect.gen(function*() {
    const scope = yield* ProcessGroups.start("model")
    const { ref } = yield* ProcessGroups.monitorScope(scope)
    const workers: Array<Pid.Pid> = []
    for (let w = 0; w < workerCount; w++) workers.push(yield* Process.spawn(idle))
    /** The model: per group, the multiset of members as a list. */
    const model: Array<Array<Pid.Pid>> = Array.from({ length: groupCount }, () => [])
    /** What the scope monitor's messages add up to, per group. */
    const replay: Array<Array<Pid.Pid>> = Array.from({ length: groupCount }, () => [])

    const check = (step: string) =>
      Effect.gen(function*() {
        while (true) {
          const next = yield* Process.receive({ match: ProcessGroups.isMessage(ref), timeout: 0 })
          if (Option.isNone(next)) break
          const m = next.value
          const g = [0, 1, 2].find((i) => Equal.equals(groupOf(i), m.group))!
          for (const pid of m.pids) {
            if (ProcessGroups.isJoin(m)) replay[g]!.push(pid)
            else replay[g]!.splice(replay[g]!.indexOf(pid), 1)
          }
        }
        const groups = yield* ProcessGroups.whichGroups(scope)
        for (let g = 0; g < groupCount; g++) {
          const actual = yield* ProcessGroups.members(scope, groupOf(g))
          assert.deepStrictEqual(sorted(actual), sorted(model[g]!), `${step}: members of ${g}`)
          assert.deepStrictEqual(sorted(replay[g]!), sorted(model[g]!), `${step}: monitor's view of ${g}`)
          assert.strictEqual(groups.some((x) => Equal.equals(x, groupOf(g))), model[g]!.length > 0, `${step}: whichGroups ${g}`)
        }
      })

    for (const [i, command] of commands.entries()) {
      const step = `step ${i} ${JSON.stringify(command)}`
      switch (command.op) {
        case "join": {
          const pids = command.ws.map((w) => workers[w]!)
          yield* ProcessGroups.join(scope, groupOf(command.g), pids)
          model[command.g]!.push(...pids)
          break
        }
        case "leave": {
          const pids = command.ws.map((w) => workers[w]!)
          const exit = yield* Effect.exit(ProcessGroups.leave(scope, groupOf(command.g), pids))
          let left = 0
          for (const pid of pids) {
            const index = model[command.g]!.indexOf(pid)
            if (index >= 0) {
              model[command.g]!.splice(index, 1)
              left++
            }
          }
          if (left === 0) assert.strictEqual(errorOf(exit)._tag, "NotJoined", step)
          else assert.isTrue(Exit.isSuccess(exit), step)
          break
        }
        case "exit": {
          const pid = workers[command.w]!
          yield* kill(pid)
          for (const members of model) for (let j = members.length - 1; j >= 0; j--) if (members[j] === pid) members.splice(j, 1)
          workers[command.w] = yield* Process.spawn(idle)
          break
        }
      }
      yield* check(step)
    }
  })

describe("against a model", () => {
  it("members and a scope monitor's replay equal the model's multiset after any join / leave / exit sequence (property)", () =>
    fc.assert(
      fc.asyncProperty(fc.array(commandArb, { maxLength: 40 }), async (commands) => {
        await Effect.runPromise(inNode(runModel(commands)))
      }),
      { numRuns: 200 }
    ))
})
