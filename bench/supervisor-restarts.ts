/**
 * `supervisor_restarts_per_second`: one supervisor with one permanent worker that crashes as
 * soon as it gets a message; restarts per second over `n` crash-and-restart cycles.
 *
 * Each cycle is waited for: the worker sends its address to the driver when it starts, the
 * driver sends it the crash message, then waits for the next worker's address. The driver
 * counts the cycles whose address is new, so a missed restart fails the run. One `Error` is
 * made up front and every crash dies with it (no stack trace captured per crash).
 *
 * - effect-otp: `Supervisor.start` (oneForOne, intensity 1e9 per second: never trips) with
 *   `ChildSpec.worker` of `Process.spawnLink(body)`; the body sends `self` to the driver
 *   (`Process.sendUnsafe`), receives, and dies (`Effect.die`). The supervisor gets the `Exit`
 *   message (it traps exits), counts the restart against its intensity window and starts the
 *   spec again. The driver is a process (`Process.receive`, `Process.sendUnsafe`).
 * - effect-queue: the idiomatic raw-Effect restart loop: a supervisor fiber that forks the
 *   worker (`Effect.forkChild`), awaits it (`Fiber.await`) and forks it again when it failed.
 *   The worker makes its inbox (an unbounded `Queue`), offers it to the driver's queue, takes
 *   from it and dies. No links, no intensity window, no child record: the floor of a restart
 *   in raw Effect.
 * - plain-js: absent. A plain mailbox has no failure to isolate and nothing to restart; any
 *   loop we wrote would only measure allocating a new mailbox.
 * - xstate: xstate's way to restart a failed child: a supervisor machine whose state `invoke`s
 *   the worker machine with `onError: { target: "running", reenter: true }`, so each failure
 *   re-enters the state and invokes a new worker. The worker sends itself to the driver machine
 *   on entry (`sendTo`) and throws (the prepared `Error`) in the action of its `crash` event;
 *   the driver counts a restart for each new worker and sends it `crash`.
 * - nact: nact's supervision: the worker is a stateful actor with `onCrash: (msg, error, ctx) =>
 *   ctx.reset` (reset: the state is made again with `initialStateFunc`, the actor goes on with
 *   its mailbox). `initialStateFunc` tells the driver actor (`dispatch(driver, ctx.self)`), so
 *   every reset is seen; the worker throws on its message. A reset keeps the reference, so the
 *   driver counts notifications rather than new references.
 * - erlang: `supervisor` (one_for_one, intensity 1e9 per second) with a worker started by
 *   `{ok, spawn_link(Fun)}` that sends its pid and exits with `crash`; the supervisor's
 *   child_terminated reports are counted by a logger handler instead of printed
 *   (bench/erlang/bench_sup.erl, bench_log.erl).
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as Queue from "effect/Queue"
import { ChildSpec, Pid, Process, Supervisor } from "../index.js"
import { dispatch, type Ref, spawn as spawnNact, spawnStateless, start as startNact, stop as stopNact } from "nact"
import { type AnyActorRef, assign, createActor, sendTo, setup, toPromise } from "xstate"
import { check, perSecond, runCase, runOnNode } from "./common.js"

/** What every crash dies with (made once: a stack trace per crash is not what we measure). */
const crash = new Error("bench: crash")

runCase({
  benchmark: "supervisor_restarts_per_second",
  unit: "restarts/s",
  size: { full: 100_000, quick: 5_000 },
  reps: { full: 3, quick: 1 },
  // xstate does a few thousand restarts a second: one run of 100k (after the warm-up).
  repsBySystem: { xstate: { full: 1, quick: 1 } },
  systems: {
    "effect-otp": (n) => {
      let reports = 0
      const counter = Logger.make((entry) => {
        if (entry.logLevel === "Error") reports++
      })
      return runOnNode(Process.run(Effect.gen(function*() {
        const driver = yield* Process.self
        const worker = ChildSpec.worker(
          "worker",
          Process.spawnLink(Effect.gen(function*() {
            Process.sendUnsafe(driver, yield* Process.self)
            yield* Process.receive()
            return yield* Effect.die(crash)
          }))
        )
        const sup = yield* Supervisor.start([worker], { strategy: "oneForOne", intensity: 1e9, period: "1 second" })
        let pid = (yield* Process.receive()) as Pid.Pid
        let restarts = 0
        const t0 = performance.now()
        for (let i = 0; i < n; i++) {
          Process.sendUnsafe(pid, "crash")
          const next = (yield* Process.receive()) as Pid.Pid
          if (next !== pid) restarts++
          pid = next
        }
        const ms = performance.now() - t0
        check("restarts", restarts, n)
        check("supervisor reports", reports, n)
        const children = yield* Supervisor.whichChildren(sup)
        check("running child is the last started", children[0]?.pid, pid)
        yield* Supervisor.stop(sup)
        return perSecond(n, ms)
      }).pipe(Effect.provideService(Logger.CurrentLoggers, new Set([counter])))))
    },

    "effect-queue": (n) =>
      Effect.runPromise(Effect.gen(function*() {
        const started = yield* Queue.unbounded<Queue.Queue<string>>()
        const worker = Effect.gen(function*() {
          const inbox = yield* Queue.unbounded<string>()
          yield* Queue.offer(started, inbox)
          yield* Queue.take(inbox)
          return yield* Effect.die(crash)
        })
        let failures = 0
        // The supervisor: fork, await, fork again after a failure. Interrupted when the driver ends.
        yield* Effect.forkChild(Effect.gen(function*() {
          while (true) {
            const exit = yield* Fiber.await(yield* Effect.forkChild(worker))
            if (!Exit.isFailure(exit)) return
            failures++
          }
        }))
        let inbox = yield* Queue.take(started)
        let restarts = 0
        const t0 = performance.now()
        for (let i = 0; i < n; i++) {
          yield* Queue.offer(inbox, "crash")
          const next = yield* Queue.take(started)
          if (next !== inbox) restarts++
          inbox = next
        }
        const ms = performance.now() - t0
        check("restarts", restarts, n)
        check("failures seen by the supervisor", failures, n)
        return perSecond(n, ms)
      })),

    xstate: async (n) => {
      let failures = 0
      let t0 = 0
      const worker = setup({
        types: {
          context: {} as { driver: AnyActorRef },
          events: {} as { readonly type: "crash" },
          input: {} as { driver: AnyActorRef }
        }
      }).createMachine({
        id: "worker",
        context: ({ input }) => ({ driver: input.driver }),
        entry: sendTo(({ context }) => context.driver, ({ self }) => ({ type: "started", worker: self })),
        on: {
          crash: {
            actions: () => {
              throw crash
            }
          }
        }
      })
      const supervisor = setup({
        types: { context: {} as { driver: AnyActorRef }, input: {} as { driver: AnyActorRef } },
        actors: { worker }
      }).createMachine({
        id: "supervisor",
        context: ({ input }) => ({ driver: input.driver }),
        initial: "running",
        states: {
          running: {
            invoke: {
              src: "worker",
              input: ({ context }) => ({ driver: context.driver }),
              onError: {
                target: "running",
                reenter: true,
                actions: () => {
                  failures++
                }
              }
            }
          }
        }
      })
      const driverLogic = setup({
        types: {
          context: {} as { left: number; restarts: number; worker: AnyActorRef | undefined },
          events: {} as { readonly type: "started"; readonly worker: AnyActorRef },
          output: {} as number
        }
      }).createMachine({
        id: "driver",
        context: { left: n, restarts: 0, worker: undefined },
        initial: "driving",
        states: {
          driving: {
            on: {
              started: [
                {
                  guard: ({ context }) => context.worker === undefined,
                  actions: [
                    () => {
                      t0 = performance.now()
                    },
                    assign({ worker: ({ event }) => event.worker }),
                    sendTo(({ event }) => event.worker, { type: "crash" })
                  ]
                },
                {
                  guard: ({ context }) => context.left > 1,
                  actions: [
                    assign(({ context, event }) => ({
                      left: context.left - 1,
                      restarts: context.restarts + (event.worker !== context.worker ? 1 : 0),
                      worker: event.worker
                    })),
                    sendTo(({ event }) => event.worker, { type: "crash" })
                  ]
                },
                {
                  target: "done",
                  actions: assign(({ context, event }) => ({
                    left: 0,
                    restarts: context.restarts + (event.worker !== context.worker ? 1 : 0),
                    worker: event.worker
                  }))
                }
              ]
            }
          },
          done: { type: "final" }
        },
        output: ({ context }) => context.restarts
      })
      const driver = createActor(driverLogic).start()
      const sup = createActor(supervisor, { input: { driver } }).start()
      const restarts = await toPromise(driver)
      const ms = performance.now() - t0
      sup.stop()
      check("restarts", restarts, n)
      check("failures seen by the supervisor", failures, n)
      return perSecond(n, ms)
    },

    nact: (n) =>
      new Promise<number>((resolve) => {
        const system = startNact()
        let started = 0
        let t0 = 0
        let worker: Ref<"crash"> | undefined
        const driver = spawnStateless(system, (self: Ref<"crash">) => {
          started++
          if (started === 1) t0 = performance.now()
          if (started <= n) dispatch(self, "crash")
          else {
            const ms = performance.now() - t0
            check("restarts", started - 1, n)
            check("same worker reference", self, worker)
            stopNact(system)
            resolve(perSecond(n, ms))
          }
        }, "driver")
        worker = spawnNact(system, (_state: number, _message: "crash"): number => {
          throw crash
        }, "worker", {
          initialStateFunc: (ctx) => {
            dispatch(driver, ctx.self)
            return 0
          },
          onCrash: (_message, _error, ctx) => ctx.reset
        })
      })
  }
})
