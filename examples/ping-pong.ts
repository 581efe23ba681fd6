/**
 * The first effect-otp program: two processes play ping-pong, then a linked worker crashes and
 * the process that started it, trapping exits, learns why, while a monitor reports the same
 * death from the outside.
 *
 * Run it with `npx tsx examples/ping-pong.ts`. `test/examples.test.ts` runs it too and checks
 * what it prints.
 */
import { Console, Effect } from "effect"
import { ExitReason, Node, Pid, Process } from "../index.js"

interface Ping {
  readonly _tag: "Ping"
  readonly from: Pid.Pid
  readonly n: number
}

const isPing = (message: unknown): message is Ping =>
  typeof message === "object" && message !== null && (message as Ping)._tag === "Ping"

/** Answers every ping with a pong, forever. */
const ponger = Effect.gen(function*() {
  while (true) {
    const ping = yield* Process.receive({ match: isPing })
    yield* Process.send(ping.from, { _tag: "Pong", n: ping.n })
  }
})

/** Sends `rounds` pings and prints each pong. */
const pinger = (pong: Pid.Pid, rounds: number) =>
  Effect.gen(function*() {
    const me = yield* Process.self
    for (let n = 1; n <= rounds; n++) {
      yield* Process.send(pong, { _tag: "Ping", from: me, n })
      const reply = yield* Process.receive()
      yield* Console.log(`${me} got ${JSON.stringify(reply)}`)
    }
  })

/** A worker that takes one job and fails with a typed error. */
const flakyWorker = Effect.gen(function*() {
  const job = yield* Process.receive()
  yield* Console.log(`worker ${yield* Process.self} working on ${String(job)}`)
  return yield* Effect.fail({ _tag: "DiskFull", job })
})

/** Traps exits, links to a worker, and reports how the worker ended. */
const boss = Effect.gen(function*() {
  yield* Process.trapExit(true)
  const worker = yield* Process.spawnLink(flakyWorker)
  yield* Process.send(worker, "report.pdf")
  const exit = yield* Process.receive({ match: Process.isExitMessage })
  yield* Console.log(`boss saw ${exit.from} exit: ${ExitReason.format(exit.reason)}`)
})

/** Waits for the `Down` of one monitor and prints it. */
const awaitDown = (what: string, ref: Process.DownMessage["ref"]) =>
  Process.receive({ match: (m): m is Process.DownMessage => Process.isDownMessage(m) && m.ref === ref }).pipe(
    Effect.flatMap((down) => Console.log(`${what} ${down.pid} is down: ${ExitReason.format(down.reason)}`))
  )

/** The program, run as the node's first process. */
export const main = Process.run(Effect.gen(function*() {
  const pong = yield* Process.spawn(ponger, { name: "pong" })
  const [ping, pingRef] = yield* Process.spawnMonitor(pinger(pong, 3))
  yield* Console.log(`spawned pong ${pong} and ping ${ping}`)
  yield* awaitDown("ping", pingRef)

  const [, bossRef] = yield* Process.spawnMonitor(boss)
  yield* awaitDown("boss", bossRef)

  const pongRef = yield* Process.monitor(pong)
  yield* Process.exit(pong, ExitReason.shutdown())
  yield* awaitDown("pong", pongRef)
  yield* Console.log(`live processes besides main: ${(yield* Process.processes).length - 1}`)
}))

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main.pipe(Effect.provide(Node.layer())))
}
