import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Equal, Exit, Fiber, Hash, Option, Ref } from "effect"
import * as fc from "fast-check"
import { TestClock } from "effect/testing"
import { Errors, ExitReason, Node, Pid, Process } from "../index.js"
import { PidValue } from "../lib/internal/identity.js"
import { mailbox, noMessage } from "../lib/internal/direct.js"
import { drain, inNode } from "./support/process.js"

const isDownFor = (ref: Process.DownMessage["ref"]) => (m: unknown): m is Process.DownMessage =>
  Process.isDownMessage(m) && m.ref === ref

const isExitFrom = (pid: Pid.Pid) => (m: unknown): m is Process.ExitMessage =>
  Process.isExitMessage(m) && Equal.equals(m.from, pid)

/** Waits until `pid` has exited and returns its reason. */
const awaitExit = (pid: Pid.Pid) =>
  Effect.gen(function*() {
    const ref = yield* Process.monitor(pid)
    const down = yield* Process.receive({ match: isDownFor(ref) })
    return down.reason
  })

/** A process that waits forever. */
const idle = Process.receive({ match: () => false })

describe("Pid", () => {
  it.effect("is comparable with Equal and Hash and prints like Erlang", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const other = yield* Process.spawn(idle)
      assert.isTrue(Pid.isPid(me))
      assert.match(String(me), /^<0\.\d+\.0>$/)
      assert.isFalse(Equal.equals(me, other))
      const same = new PidValue("nonode@nohost", Number(String(me).split(".")[1]))
      assert.isTrue(Equal.equals(me, same))
      assert.strictEqual(Hash.hash(me), Hash.hash(same))
      assert.strictEqual(me.node, "nonode@nohost")
    })))

  it.effect("names its node", () =>
    Process.run(Process.self).pipe(
      Effect.provide(Node.layer({ name: "app@host" })),
      Effect.map((pid) => assert.strictEqual(pid.node, "app@host"))
    ))
})

describe("spawn and send", () => {
  it.effect("messages between one pair of processes arrive in send order", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const echo = yield* Process.spawn(Effect.gen(function*() {
        for (let i = 0; i < 1000; i++) yield* Process.send(me, yield* Process.receive())
      }))
      for (let i = 0; i < 1000; i++) yield* Process.send(echo, i)
      const got: Array<unknown> = []
      for (let i = 0; i < 1000; i++) got.push(yield* Process.receive())
      assert.deepStrictEqual(got, Array.from({ length: 1000 }, (_, i) => i))
    })))

  it("per-sender order holds for every interleaving of several senders (property)", () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.nat({ max: 3 }), { maxLength: 30 }), { minLength: 1, maxLength: 6 }),
        async (plans) => {
          // plans[s][i]: how many times sender s yields before its i-th send
          const got = await Effect.runPromise(inNode(Effect.gen(function*() {
            const me = yield* Process.self
            for (let s = 0; s < plans.length; s++) {
              yield* Process.spawn(Effect.gen(function*() {
                for (let i = 0; i < plans[s]!.length; i++) {
                  for (let y = 0; y < plans[s]![i]!; y++) yield* Effect.yieldNow
                  yield* Process.send(me, [s, i])
                }
              }))
            }
            const total = plans.reduce((n, p) => n + p.length, 0)
            const out: Array<readonly [number, number]> = []
            for (let k = 0; k < total; k++) out.push((yield* Process.receive()) as [number, number])
            return out
          })))
          const next = plans.map(() => 0)
          for (const [s, i] of got) {
            if (next[s] !== i) return false
            next[s] = i + 1
          }
          return next.every((n, s) => n === plans[s]!.length)
        }
      ),
      { numRuns: 200 }
    ))

  it.effect("a send to a dead pid is dropped and does not fail", () =>
    inNode(Effect.gen(function*() {
      const [pid, ref] = yield* Process.spawnMonitor(Effect.void)
      assert.deepStrictEqual((yield* Process.receive({ match: isDownFor(ref) })).reason, ExitReason.normal)
      yield* Process.send(pid, "lost")
      Process.sendUnsafe(pid, "lost too")
      assert.isFalse(yield* Process.isAlive(pid))
      assert.isTrue(Option.isNone(yield* Process.info(pid)))
    })))

  it.effect("a process outlives its spawner unless linked", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const spawner = yield* Process.spawn(Effect.gen(function*() {
        const orphan = yield* Process.spawn(idle)
        const linked = yield* Process.spawnLink(idle)
        yield* Process.send(me, [orphan, linked])
        yield* Process.receive()
        return yield* Effect.fail("spawner crashes")
      }))
      const [orphan, linked] = (yield* Process.receive()) as [Pid.Pid, Pid.Pid]
      const spawnerRef = yield* Process.monitor(spawner)
      const linkedRef = yield* Process.monitor(linked)
      yield* Process.send(spawner, "go")
      assert.strictEqual((yield* Process.receive({ match: isDownFor(spawnerRef) })).reason._tag, "Crash")
      assert.strictEqual((yield* Process.receive({ match: isDownFor(linkedRef) })).reason._tag, "Crash")
      assert.isTrue(yield* Process.isAlive(orphan))
    })))

  it.effect("spawn with a taken name fails with AlreadyRegistered", () =>
    inNode(Effect.gen(function*() {
      const first = yield* Process.spawn(idle, { name: "svc" })
      const error = yield* Effect.flip(Process.spawn(idle, { name: "svc" }))
      assert.instanceOf(error, Errors.AlreadyRegistered)
      assert.isTrue(error._tag === "AlreadyRegistered" && Equal.equals(error.pid, first))
    })))

  it.effect("a process killed before its first step still runs its cleanup", () =>
    inNode(Effect.gen(function*() {
      const cleaned = yield* Ref.make(0)
      const pid = yield* Process.spawn(idle.pipe(Effect.ensuring(Ref.update(cleaned, (n) => n + 1))))
      yield* Process.exit(pid, ExitReason.kill)
      assert.deepStrictEqual(yield* awaitExit(pid), ExitReason.killed)
      assert.strictEqual(yield* Ref.get(cleaned), 1)
    })))

  it.effect("a failure or defect ends the process with a Crash carrying the Cause", () =>
    inNode(Effect.gen(function*() {
      const [, failed] = yield* Process.spawnMonitor(Effect.fail("bad input"))
      const [, died] = yield* Process.spawnMonitor(Effect.die(new Error("boom")))
      const r1 = (yield* Process.receive({ match: isDownFor(failed) })).reason
      const r2 = (yield* Process.receive({ match: isDownFor(died) })).reason
      assert.isTrue(r1._tag === "Crash" && Cause.hasFails(r1.cause))
      assert.isTrue(r2._tag === "Crash" && Cause.hasDies(r2.cause))
      assert.include(ExitReason.format(r1), "bad input")
    })))
})

describe("run", () => {
  /**
   * Runs `body` with `Process.run` on a fresh node and returns the pid it ran as and the
   * `CallExit` defect the caller died with. On a `run` that never returns this times out.
   */
  const runDies = <A, E>(body: (self: Pid.Pid) => Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
    Effect.gen(function*() {
      let pid: Pid.Pid | undefined
      const exit = yield* Process.run(Effect.flatMap(Process.self, (self) => {
        pid = self
        return body(self)
      })).pipe(Effect.provide(Node.layer()), Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      const reasons = Exit.isFailure(exit) ? exit.cause.reasons : []
      assert.strictEqual(reasons.length, 1)
      const die = reasons.find(Cause.isDieReason)
      assert.instanceOf(die?.defect, Errors.CallExit)
      const error = die!.defect as Errors.CallExit
      assert.isTrue(pid !== undefined && Equal.equals(error.target, pid))
      return error
    })

  it.effect("returns the body's value, or fails with its typed error", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* inNode(Effect.succeed(42)), 42)
      const failed = yield* inNode(Effect.fail("bad input" as const)).pipe(Effect.flip)
      assert.strictEqual(failed, "bad input")
      const died = yield* inNode(Effect.die("boom")).pipe(Effect.exit)
      assert.isTrue(Exit.isFailure(died) && Cause.hasDies(died.cause) && !Cause.hasFails(died.cause))
    }))

  it.effect("killed by kill: the caller dies at once with CallExit naming killed", () =>
    Effect.gen(function*() {
      const error = yield* runDies((self) =>
        Effect.andThen(Process.spawn(Process.exit(self, ExitReason.kill)), idle)
      )
      assert.deepStrictEqual(error.reason, ExitReason.killed)
      assert.include(error.message, "killed")
    }))

  it.effect("kill ends it even when it traps exits, and while it waits on a timer (TestClock)", () =>
    Effect.gen(function*() {
      const fiber = yield* runDies((self) =>
        Effect.gen(function*() {
          yield* Process.trapExit(true)
          yield* Process.spawn(Effect.andThen(Effect.sleep("1 second"), Process.exit(self, ExitReason.kill)))
          yield* Effect.sleep("1 hour")
        })
      ).pipe(Effect.forkChild)
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.deepStrictEqual(error.reason, ExitReason.killed)
    }))

  it.effect("exited by another process with a custom reason: the caller dies with that reason", () =>
    Effect.gen(function*() {
      const error = yield* runDies((self) =>
        Effect.andThen(Process.spawn(Process.exit(self, ExitReason.fail("some reason"))), idle)
      )
      assert.strictEqual(error.reason._tag, "Crash")
      assert.include(ExitReason.format(error.reason), "some reason")
      assert.include(error.message, "some reason")
      const stopped = yield* runDies((self) =>
        Effect.andThen(Process.spawn(Process.exit(self, ExitReason.shutdown("maintenance"))), idle)
      )
      assert.deepStrictEqual(stopped.reason, ExitReason.shutdown("maintenance"))
    }))

  it.effect("a linked process crashes while it does not trap exits: the caller dies with the crash", () =>
    Effect.gen(function*() {
      const error = yield* runDies(() => Effect.andThen(Process.spawnLink(Effect.die("boom")), idle))
      const reason = error.reason
      assert.isTrue(reason._tag === "Crash" && Cause.hasDies(reason.cause))
      assert.include(error.message, "boom")
    }))

  it.effect("an exit signal that lands in an uninterruptible region: the caller dies with the reason links see", () =>
    Effect.gen(function*() {
      const error = yield* runDies((self) =>
        Effect.uninterruptible(Effect.gen(function*() {
          yield* Process.exit(self, ExitReason.kill)
          yield* Effect.yieldNow
          return "finished anyway"
        }))
      )
      assert.deepStrictEqual(error.reason, ExitReason.killed)
    }))

  it.effect("the caller interrupted while the body runs ends the process with shutdown", () =>
    inNode(Effect.gen(function*() {
      const started = yield* Deferred.make<Pid.Pid>()
      const cleaned = yield* Deferred.make<void>()
      const fiber = yield* Process.run(Effect.gen(function*() {
        yield* Deferred.succeed(started, yield* Process.self)
        yield* idle
      }).pipe(Effect.ensuring(Deferred.succeed(cleaned, undefined)))).pipe(Effect.forkChild)
      const pid = yield* Deferred.await(started)
      const ref = yield* Process.monitor(pid)
      const exit = yield* Fiber.interrupt(fiber).pipe(Effect.andThen(Fiber.await(fiber)))
      assert.isTrue(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause))
      yield* Deferred.await(cleaned)
      const down = yield* Process.receive({ match: isDownFor(ref) })
      assert.deepStrictEqual(down.reason, ExitReason.shutdown())
    })))
})

describe("receive", () => {
  it.effect("selective receive keeps the unmatched messages in order", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      for (const m of ["a", 1, "b", 2, "c", 3]) yield* Process.send(me, m)
      const n = yield* Process.receive({ match: (m): m is number => typeof m === "number" })
      assert.strictEqual(n, 1)
      const n2 = yield* Process.receive({ match: (m): m is number => typeof m === "number" })
      assert.strictEqual(n2, 2)
      assert.deepStrictEqual(yield* drain, ["a", "b", "c", 3])
    })))

  it.effect("a selective receive waits for a matching message sent later", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      yield* Process.send(me, "early")
      yield* Process.spawn(Effect.gen(function*() {
        yield* Process.send(me, "noise")
        yield* Process.send(me, { wanted: true })
      }))
      const got = yield* Process.receive({ match: (m) => typeof m === "object" })
      assert.deepStrictEqual(got, { wanted: true })
      assert.deepStrictEqual(yield* drain, ["early", "noise"])
    })))

  it.effect("the after clause returns None when nothing matches in time, and honours TestClock", () =>
    Effect.gen(function*() {
      const fiber = yield* Process.run(Effect.gen(function*() {
        const me = yield* Process.self
        yield* Process.send(me, "unmatched")
        const r = yield* Process.receive({ match: (m) => m === "wanted", timeout: "5 seconds" })
        return [r, yield* drain] as const
      })).pipe(Effect.forkChild)
      yield* TestClock.adjust("4999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const [r, rest] = yield* Fiber.join(fiber)
      assert.isTrue(Option.isNone(r))
      assert.deepStrictEqual(rest, ["unmatched"])
    }).pipe(Effect.provide(Node.layer())))

  it.effect("a timed receive returns the message that arrives before the timeout", () =>
    Effect.gen(function*() {
      const fiber = yield* Process.run(Effect.gen(function*() {
        const me = yield* Process.self
        yield* Process.sendAfter(me, "late", "2 seconds")
        return yield* Process.receive({ timeout: "3 seconds" })
      })).pipe(Effect.forkChild)
      yield* TestClock.adjust("2 seconds")
      assert.deepStrictEqual(yield* Fiber.join(fiber), Option.some("late"))
    }).pipe(Effect.provide(Node.layer())))

  it.effect("timeout 0 polls", () =>
    inNode(Effect.gen(function*() {
      assert.isTrue(Option.isNone(yield* Process.receive({ timeout: 0 })))
      yield* Process.send(yield* Process.self, "x")
      assert.deepStrictEqual(yield* Process.receive({ timeout: 0 }), Option.some("x"))
    })))

  it.effect("the mailbox's poll takes queued messages without waiting", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const box = yield* mailbox
      assert.strictEqual(box.poll(), noMessage)
      yield* Process.send(me, 1)
      yield* Process.send(me, 2)
      assert.strictEqual(box.poll(), 1)
      assert.strictEqual(box.poll(), 2)
      assert.strictEqual(box.poll(), noMessage)
    })))
})

describe("timers", () => {
  it.effect("sendAfter delivers at the deadline; cancelTimer stops it and reports the time left", () =>
    Effect.gen(function*() {
      const fiber = yield* Process.run(Effect.gen(function*() {
        const me = yield* Process.self
        yield* Process.sendAfter(me, "first", "1 second")
        const cancelled = yield* Process.sendAfter(me, "never", "2 seconds")
        yield* Process.sendAfter(me, "third", "3 seconds")
        const left = yield* Process.cancelTimer(cancelled)
        const again = yield* Process.cancelTimer(cancelled)
        const a = yield* Process.receive()
        const b = yield* Process.receive()
        return { left, again, a, b, rest: yield* drain }
      })).pipe(Effect.forkChild)
      yield* TestClock.adjust("999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("3 seconds")
      const r = yield* Fiber.join(fiber)
      assert.deepStrictEqual(r.left, Option.some(2000))
      assert.isTrue(Option.isNone(r.again))
      assert.deepStrictEqual([r.a, r.b, r.rest], ["first", "third", []])
    }).pipe(Effect.provide(Node.layer())))
})

describe("links", () => {
  it.effect("a normal exit does not kill a linked process", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const survivor = yield* Process.spawn(Effect.gen(function*() {
        yield* Process.spawnLink(Effect.void)
        const m = yield* Process.receive()
        yield* Process.send(me, ["survived", m])
      }))
      yield* Process.send(survivor, "ping")
      assert.deepStrictEqual(yield* Process.receive(), ["survived", "ping"])
    })))

  it.effect("an abnormal exit kills a linked process that does not trap exits, with the same reason", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const victim = yield* Process.spawn(Effect.gen(function*() {
        const child = yield* Process.spawnLink(idle)
        yield* Process.send(me, child)
        yield* idle
      }))
      const child = (yield* Process.receive()) as Pid.Pid
      const victimDown = yield* Process.monitor(victim)
      yield* Process.exit(child, ExitReason.shutdown("bye"))
      const down = yield* Process.receive({ match: isDownFor(victimDown) })
      assert.deepStrictEqual(down.reason, ExitReason.shutdown("bye"))
    })))

  it.effect("a process that traps exits gets Exit messages instead, for normal and abnormal exits", () =>
    inNode(Effect.gen(function*() {
      yield* Process.trapExit(true)
      const ok = yield* Process.spawnLink(Effect.void)
      const bad = yield* Process.spawnLink(Effect.fail("oops"))
      const e1 = yield* Process.receive({ match: isExitFrom(ok) })
      const e2 = yield* Process.receive({ match: isExitFrom(bad) })
      assert.deepStrictEqual(e1.reason, ExitReason.normal)
      assert.strictEqual(e2.reason._tag, "Crash")
      assert.isTrue(yield* Process.isAlive(yield* Process.self))
    })))

  it.effect("kill cannot be trapped, and linked processes see killed", () =>
    inNode(Effect.gen(function*() {
      yield* Process.trapExit(true)
      const me = yield* Process.self
      const target = yield* Process.spawnLink(Effect.gen(function*() {
        yield* Process.trapExit(true)
        yield* Process.send(me, "trapping")
        yield* idle
      }))
      assert.strictEqual(yield* Process.receive(), "trapping")
      yield* Process.exit(target, ExitReason.kill)
      const exit = yield* Process.receive({ match: isExitFrom(target) })
      assert.deepStrictEqual(exit.reason, ExitReason.killed)
    })))

  it.effect("a trapped exit signal sent with exit/2 arrives as an Exit message; normal from another process is ignored", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const trapper = yield* Process.spawn(Effect.gen(function*() {
        yield* Process.trapExit(true)
        yield* Process.send(me, "ready")
        const m = yield* Process.receive()
        yield* Process.send(me, m)
      }))
      const plain = yield* Process.spawn(Effect.gen(function*() {
        yield* Process.send(me, yield* Process.receive())
      }))
      assert.strictEqual(yield* Process.receive(), "ready")
      yield* Process.exit(trapper, ExitReason.shutdown())
      const m = yield* Process.receive()
      assert.isTrue(Process.isExitMessage(m) && Equal.equals(m.from, me))
      yield* Process.exit(plain, ExitReason.normal)
      yield* Process.send(plain, "still alive")
      assert.strictEqual(yield* Process.receive(), "still alive")
    })))

  it.effect("exit(self, normal) ends the caller", () =>
    inNode(Effect.gen(function*() {
      const pid = yield* Process.spawn(Effect.gen(function*() {
        yield* Process.exit(yield* Process.self, ExitReason.normal)
        yield* idle
      }))
      assert.deepStrictEqual(yield* awaitExit(pid), ExitReason.normal)
    })))

  it.effect("unlink stops propagation, both ways", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const parent = yield* Process.spawn(Effect.gen(function*() {
        const child = yield* Process.spawnLink(idle)
        yield* Process.unlink(child)
        yield* Process.send(me, child)
        yield* Process.receive()
        return yield* Effect.fail("parent crashes")
      }))
      const child = (yield* Process.receive()) as Pid.Pid
      assert.isFalse(Option.getOrThrow(yield* Process.info(child)).links.some((p) => Equal.equals(p, parent)))
      yield* Process.send(parent, "go")
      assert.strictEqual((yield* awaitExit(parent))._tag, "Crash")
      assert.isTrue(yield* Process.isAlive(child))
    })))

  it.effect("link to a dead process: NoProc error, or an Exit noproc message when trapping", () =>
    inNode(Effect.gen(function*() {
      const [dead, ref] = yield* Process.spawnMonitor(Effect.void)
      yield* Process.receive({ match: isDownFor(ref) })
      const error = yield* Effect.flip(Process.link(dead))
      assert.instanceOf(error, Errors.NoProc)
      yield* Process.trapExit(true)
      yield* Process.link(dead)
      const exit = yield* Process.receive({ match: isExitFrom(dead) })
      assert.deepStrictEqual(exit.reason, ExitReason.noproc)
    })))
})

describe("monitors", () => {
  it.effect("Down fires once with the reason", () =>
    inNode(Effect.gen(function*() {
      const pid = yield* Process.spawn(idle)
      const ref = yield* Process.monitor(pid)
      const ref2 = yield* Process.monitor(pid)
      assert.isFalse(Equal.equals(ref, ref2))
      yield* Process.exit(pid, ExitReason.shutdown("done"))
      const d1 = yield* Process.receive({ match: isDownFor(ref) })
      const d2 = yield* Process.receive({ match: isDownFor(ref2) })
      assert.deepStrictEqual(d1.reason, ExitReason.shutdown("done"))
      assert.isTrue(Equal.equals(d1.pid, pid) && Equal.equals(d2.pid, pid))
      assert.deepStrictEqual(yield* drain, [])
    })))

  it.effect("monitoring a dead process gives Down with noproc at once", () =>
    inNode(Effect.gen(function*() {
      const [pid, first] = yield* Process.spawnMonitor(Effect.void)
      yield* Process.receive({ match: isDownFor(first) })
      const ref = yield* Process.monitor(pid)
      const down = yield* Process.receive({ match: isDownFor(ref), timeout: 0 })
      assert.isTrue(Option.isSome(down) && down.value.reason._tag === "NoProc")
    })))

  it.effect("demonitor stops the Down; with flush it also removes one already delivered", () =>
    inNode(Effect.gen(function*() {
      const a = yield* Process.spawn(idle)
      const b = yield* Process.spawn(idle)
      const refA = yield* Process.monitor(a)
      const refB = yield* Process.monitor(b)
      assert.isTrue(yield* Process.demonitor(refA))
      yield* Process.exit(a, ExitReason.kill)
      yield* Process.exit(b, ExitReason.kill)
      yield* awaitExit(a)
      yield* awaitExit(b)
      // refB's Down is in the mailbox now; flush removes it.
      assert.isFalse(yield* Process.demonitor(refB, { flush: true }))
      const rest = yield* drain
      assert.isFalse(rest.some((m) => Process.isDownMessage(m) && (m.ref === refA || m.ref === refB)))
    })))

  it.effect("spawnMonitor reports a crash in the very first step", () =>
    inNode(Effect.gen(function*() {
      const [pid, ref] = yield* Process.spawnMonitor(Effect.die("instant"))
      const down = yield* Process.receive({ match: isDownFor(ref) })
      assert.isTrue(Equal.equals(down.pid, pid) && down.reason._tag === "Crash")
    })))
})

describe("names", () => {
  it.effect("register, whereis, registered, unregister, and the typed errors", () =>
    inNode(Effect.gen(function*() {
      const a = yield* Process.spawn(idle)
      const b = yield* Process.spawn(idle)
      yield* Process.register("a", a)
      assert.deepStrictEqual(yield* Process.whereis("a"), Option.some(a))
      assert.include(yield* Process.registered, "a")
      const taken = yield* Effect.flip(Process.register("a", b))
      assert.isTrue(taken._tag === "AlreadyRegistered" && Equal.equals(taken.pid, a))
      const empty = yield* Effect.flip(Process.register("", b))
      assert.strictEqual(empty._tag, "BadArgument")
      const twice = yield* Effect.flip(Process.register("other", a))
      assert.strictEqual(twice._tag, "BadArgument")
      yield* Process.unregister("a")
      assert.isTrue(Option.isNone(yield* Process.whereis("a")))
      const missing = yield* Effect.flip(Process.unregister("a"))
      assert.instanceOf(missing, Errors.NotRegistered)
      const [dead, ref] = yield* Process.spawnMonitor(Effect.void)
      yield* Process.receive({ match: isDownFor(ref) })
      const noproc = yield* Effect.flip(Process.register("dead", dead))
      assert.instanceOf(noproc, Errors.NoProc)
    })))

  it.effect("a name is freed when its process exits, and a send to it fails for an unknown name", () =>
    inNode(Effect.gen(function*() {
      const pid = yield* Process.spawn(idle, { name: "worker" })
      yield* Process.send("worker", "hi")
      assert.strictEqual((yield* Process.info(pid)).pipe(Option.map((i) => i.messageQueueLength), Option.getOrThrow), 1)
      yield* Process.exit(pid, ExitReason.kill)
      yield* awaitExit(pid)
      assert.isTrue(Option.isNone(yield* Process.whereis("worker")))
      const error = yield* Effect.flip(Process.send("worker", "lost"))
      assert.instanceOf(error, Errors.NoProc)
      yield* Process.spawn(idle, { name: "worker" })
    })))
  it.effect("a name is free as the exit starts (Erlang's order): a replacement takes it while the old process's finalizers still run", () =>
    inNode(Effect.gen(function*() {
      const release = yield* Deferred.make<void>()
      const old = yield* Process.spawn(Effect.ensuring(idle, Deferred.await(release)), { name: "svc" })
      const ref = yield* Process.monitor(old)
      yield* Effect.yieldNow
      yield* Process.exit(old, ExitReason.kill)
      yield* Effect.yieldNow
      // Still exiting (its finalizer waits: no Down yet), and already nameless.
      assert.isTrue(Option.isNone(yield* Process.receive({ match: isDownFor(ref), timeout: 0 })))
      assert.isTrue(Option.isNone(yield* Process.whereis("svc")))
      assert.instanceOf(yield* Effect.flip(Process.register("late", old)), Errors.NoProc)
      const fresh = yield* Process.spawn(idle, { name: "svc" })
      assert.isTrue(Equal.equals(Option.getOrThrow(yield* Process.whereis("svc")), fresh))
      // The old one's exit, when its finalizer ends, leaves the new holder alone.
      yield* Deferred.succeed(release, undefined)
      assert.strictEqual((yield* Process.receive({ match: isDownFor(ref) })).reason._tag, "Killed")
      assert.isTrue(Equal.equals(Option.getOrThrow(yield* Process.whereis("svc")), fresh))
    })))
})

describe("introspection", () => {
  it.effect("info reports status, mailbox length, links, monitors, trapExit and name", () =>
    inNode(Effect.gen(function*() {
      const me = yield* Process.self
      const pid = yield* Process.spawnLink(idle, { name: "probe", trapExit: true })
      const ref = yield* Process.monitor(pid)
      yield* Process.send(pid, "one")
      yield* Process.send(pid, "two")
      const info = Option.getOrThrow(yield* Process.info(pid))
      assert.strictEqual(info.messageQueueLength, 2)
      assert.isTrue(info.trapExit)
      assert.deepStrictEqual(info.registeredName, Option.some("probe"))
      assert.isTrue(info.links.some((p) => Equal.equals(p, me)))
      assert.isTrue(info.monitoredBy.some((p) => Equal.equals(p, me)))
      const mine = Option.getOrThrow(yield* Process.info(me))
      assert.isTrue(mine.monitors.some((p) => Equal.equals(p, pid)))
      assert.strictEqual(mine.status, "running")
      assert.include(["waiting", "runnable"], info.status)
      assert.isTrue((yield* Process.processes).some((p) => Equal.equals(p, pid)))
      yield* Process.demonitor(ref)
    })))
})

describe("node", () => {
  it.effect("closing the node ends every process with shutdown and runs their finalizers", () =>
    Effect.gen(function*() {
      const cleaned = yield* Ref.make(0)
      yield* Effect.gen(function*() {
        for (let i = 0; i < 10; i++) {
          yield* Process.spawn(idle.pipe(Effect.ensuring(Ref.update(cleaned, (n) => n + 1))))
        }
      }).pipe(Effect.provide(Node.layer()))
      assert.strictEqual(yield* Ref.get(cleaned), 10)
    }))

  it.effect("100k spawn/exit cycles leave no live process behind and the heap returns near its baseline", () =>
    Effect.gen(function*() {
      const gc = (globalThis as { gc?: () => void }).gc
      const heap = () => {
        gc?.()
        gc?.()
        return process.memoryUsage().heapUsed
      }
      const program = Effect.gen(function*() {
        const me = yield* Process.self
        const before = heap()
        for (let round = 0; round < 100; round++) {
          for (let i = 0; i < 1000; i++) {
            yield* Process.spawn(Effect.gen(function*() {
              const m = yield* Process.receive()
              if (m === "crash") return yield* Effect.fail("crash")
            }))
          }
          const live = (yield* Process.processes).filter((p) => !Equal.equals(p, me))
          assert.strictEqual(live.length, 1000)
          live.forEach((p, i) => Process.sendUnsafe(p, i % 2 === 0 ? "crash" : "ok"))
          // The last one is monitored; everything before it in the run queue has finished by then.
          const ref = yield* Process.monitor(live[live.length - 1]!)
          yield* Process.receive({ match: isDownFor(ref) })
          yield* Effect.yieldNow
        }
        const left = (yield* Process.processes).filter((p) => !Equal.equals(p, me))
        return { left: left.length, growth: heap() - before }
      })
      const { left, growth } = yield* Process.run(program).pipe(Effect.provide(Node.layer()))
      assert.strictEqual(left, 0)
      // 100k processes alive would hold ~100 MB; a leak of even 100 bytes each would show.
      if ((globalThis as { gc?: unknown }).gc !== undefined) assert.isBelow(growth, 5_000_000)
    }))
})

describe("untyped callers (plain JS, as any) get a clear BadArgument where Erlang raises badarg", () => {
  const defect = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.map(Effect.exit(effect), (exit) => {
      assert.isTrue(Exit.isFailure(exit))
      const die = Exit.isFailure(exit) ? exit.cause.reasons.find(Cause.isDieReason) : undefined
      assert.instanceOf(die?.defect, Errors.BadArgument)
      return (die!.defect as Errors.BadArgument).operation
    })

  it.effect("an operation that needs a node, run without one, dies with BadArgument (no throw)", () =>
    Effect.gen(function*() {
      const withoutNode = <A, E>(effect: Effect.Effect<A, E, Node.Node>) => effect as Effect.Effect<A, E>
      assert.strictEqual(yield* defect(withoutNode(Process.whereis("x"))), "node")
      assert.strictEqual(yield* defect(withoutNode(Process.registered)), "node")
      assert.strictEqual(yield* defect(withoutNode(Process.processes)), "node")
      assert.strictEqual(yield* defect(withoutNode(Process.spawn(Effect.void))), "node")
    }))

  it.effect("send to something that is no pid, exit with a non-pid or a non-reason, exitWith a non-reason, trapExit a non-boolean", () =>
    inNode(Effect.gen(function*() {
      const self = yield* Process.self
      assert.strictEqual(yield* defect(Process.send(undefined as any, "x")), "send")
      assert.strictEqual(yield* defect(Process.send(42 as any, "x")), "send")
      assert.strictEqual(yield* defect(Process.exit(null as any, ExitReason.kill)), "exit")
      assert.strictEqual(yield* defect(Process.exit(self, "shutdown" as any)), "exit")
      assert.strictEqual(yield* defect(Process.trapExit("yes" as any)), "trapExit")
      // The caller is unharmed: the signal was never sent.
      assert.isTrue(yield* Process.isAlive(self))
      const [, ref] = yield* Process.spawnMonitor(Process.exitWith({ _tag: "Oops" } as any))
      const down = yield* Process.receive({ match: isDownFor(ref) })
      assert.strictEqual(down.reason._tag, "Crash")
    })))

  it.effect("receive with a match that is no function is a defect, not a crash inside the mailbox scan", () =>
    inNode(Effect.gen(function*() {
      assert.strictEqual(yield* defect(Process.receive({ match: "x" as any })), "receive")
    })))
})
