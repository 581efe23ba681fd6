/**
 * A supervision tree: a counter server and a nested pipeline supervisor under one root. Workers
 * crash, and the tree puts them back, clean:
 *
 * ```
 * app (oneForOne)
 * ├── counter      GenServer, permanent
 * └── pipeline     Supervisor (restForOne, at most 1 restart in 5 s)
 *     ├── fetcher  GenServer
 *     └── parser   GenServer (depends on fetcher: restarted with it)
 * ```
 *
 * Run it with `npx tsx examples/supervision-tree.ts`; `test/examples.test.ts` runs it too.
 */
import { Console, Effect, Option, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { ExitReason, GenServer, Node, Pid, Process, Supervisor } from "../index.js"

const Get = Rpc.make("Get", { success: Schema.Number })
const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })
const Crash = Rpc.make("Crash")

/** A worker that says when it starts and stops, and crashes on demand. */
const Worker = GenServer.make({
  name: "Worker",
  calls: [Get, Add],
  casts: [Crash],
  init: (name: string) =>
    Effect.gen(function*() {
      yield* Process.trapExit(true) // so terminate runs when the supervisor stops it
      yield* Console.log(`  ${name} started`)
      return GenServer.ok({ name, count: 0 })
    }),
  handleCall: {
    Get: (_, s) => GenServer.reply(s.count, s),
    Add: ({ by }, s) => GenServer.reply(s.count + by, { ...s, count: s.count + by })
  },
  handleCast: {
    Crash: (_, s) => Effect.die(new Error(`${s.name} hit a bug`))
  },
  terminate: (reason, s) => Console.log(`  ${s.name} stopped (${reason._tag})`)
})

const worker = (name: string) => GenServer.childSpec(Worker, name, { id: name, name })

const tree = [
  worker("counter"),
  Supervisor.childSpec("pipeline", [worker("fetcher"), worker("parser")], {
    name: "pipeline",
    strategy: "restForOne",
    intensity: 1
  })
]

/** Crashes the named worker and waits until the tree has dealt with it. */
const crash = (sup: Supervisor.Supervisor, name: string) =>
  Effect.gen(function*() {
    const pid = Option.getOrThrow(yield* Process.whereis(name))
    const ref = yield* Process.monitor(pid)
    yield* Console.log(`crashing ${name}`)
    yield* GenServer.cast(GenServer.ref(Worker, name), Crash)
    yield* Process.receive({ match: (m) => Process.isDownMessage(m) && m.ref === ref })
    // The root answers after it has handled every exit that came before this call.
    yield* Supervisor.whichChildren(sup)
    const pipeline = yield* Process.whereis("pipeline")
    if (Option.isSome(pipeline)) yield* Supervisor.whichChildren(pipeline.value)
  })

const counter = GenServer.ref(Worker, "counter")

export const main = Process.run(Effect.gen(function*() {
  yield* Console.log("starting the tree")
  const app = yield* Supervisor.start(tree, { strategy: "oneForOne", intensity: 3 })

  yield* GenServer.call(counter, Add, { by: 5 })
  yield* Console.log(`counter is ${yield* GenServer.call(counter, Get)}`)
  yield* crash(app, "counter")
  yield* Console.log(`counter restarted clean: ${yield* GenServer.call(counter, Get)}`)

  yield* crash(app, "fetcher") // restForOne: parser goes down and comes back with it

  // A second crash in the pipeline within 5 s exceeds its intensity: the pipeline supervisor
  // gives up, and the root restarts the whole pipeline.
  const pipeline = (yield* Supervisor.whichChildren(app))[1]!.pid as Pid.Pid
  const pipelineRef = yield* Process.monitor(pipeline)
  yield* crash(app, "parser")
  const down = yield* Process.receive({ match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === pipelineRef })
  yield* Console.log(`pipeline gave up: ${ExitReason.format(down.reason)}`)
  yield* Supervisor.whichChildren(app)
  const counts = yield* Supervisor.countChildren(app)
  yield* Console.log(`root has ${counts.active} of ${counts.specs} children running`)

  yield* Console.log("stopping the tree")
  yield* Supervisor.stop(app)
  yield* Console.log(`processes left: ${(yield* Process.processes).length - 1}`)
}))

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main.pipe(Effect.provide(Node.layer())))
}
