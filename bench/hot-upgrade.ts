/**
 * `hot_upgrade_100k_ms`, `hot_upgrade_100k_under_load_ms` and `hot_upgrade_lost_messages`
 * (effect-otp only): live upgrades of `n` running GenServers of one module, first with the
 * servers idle, then while casts keep arriving.
 *
 * A client process starts `n` servers of `HotCounter` version 1 (`GenServer.start`; the state is
 * the number of `Inc` casts seen).
 *
 * 1. `hot_upgrade_100k_ms`: the wall time of `Code.upgrade(version 2)` with the servers live and
 *    idle: version 2 keeps a record, and its `codeChange` (`GenServer.migrate(Schema.Number,
 *    ...)`) decodes and migrates each server's count.
 * 2. `hot_upgrade_100k_under_load_ms`: eight caster processes then cast `Inc` to the servers
 *    round robin, 64 casts per turn, and keep going while the client runs `Code.upgrade(version
 *    3)` (`GenServer.migrate` of version 2's record, a `Schema.Struct`). A caster takes a turn
 *    each time the node's run queue has gone round (see below), so casts land on servers before,
 *    during and after their swap; the casters use all the CPU the upgrade leaves them, and the
 *    upgrade yields to them every slice of 10 ms (`UpgradeSlice` in lib/internal/code.ts), so this time is about twice the
 *    first. The run prints on stderr how many casts were sent while the upgrade ran.
 *
 * Both are scaled to 100k servers (a `--quick` run upgrades 5k). Then the casters stop and the
 * client calls every server: each must answer from version 3 with exactly the number of casts
 * sent to it. `hot_upgrade_lost_messages` is the sum over servers of |casts sent - casts
 * counted|: a cast lost (or counted twice) across the two swaps. The run fails if it is not 0, if
 * a server is not on version 3, or if no cast was sent while the second upgrade ran.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { Rpc } from "effect/rpc"
import { Code, GenServer, Pid, Process } from "../index.js"
import { check, collectGarbage, runCase, runOnNode } from "./common.js"
import * as CodeInternal from "../lib/internal/code.js"

const hundredK = 100_000
const casters = 8
const castsPerBatch = 64

const Inc = Rpc.make("Inc")
const Get = Rpc.make("Get", { success: Schema.Struct({ version: Schema.String, count: Schema.Number }) })

/** Version 1: the state is the count. */
export const HotCounterV1 = GenServer.make({
  name: "HotCounter",
  version: "1",
  calls: [Get],
  casts: [Inc],
  init: () => GenServer.ok(0),
  handleCall: { Get: (_, count) => GenServer.reply({ version: "1", count }, count) },
  handleCast: { Inc: (_, count) => GenServer.noreply(count + 1) }
})

interface StateV2 {
  readonly count: number
  readonly migratedFrom: string | undefined
}

/** Version 2: a record, migrated from version 1's number. */
export const HotCounterV2 = GenServer.make({
  name: "HotCounter",
  version: "2",
  calls: [Get],
  casts: [Inc],
  init: () => GenServer.ok<StateV2>({ count: 0, migratedFrom: undefined }),
  handleCall: { Get: (_, s) => GenServer.reply({ version: "2", count: s.count }, s) },
  handleCast: { Inc: (_, s) => GenServer.noreply({ count: s.count + 1, migratedFrom: s.migratedFrom }) },
  codeChange: GenServer.migrate(Schema.Number, (count, oldVersion): StateV2 => ({ count, migratedFrom: oldVersion }))
})

interface StateV3 {
  readonly count: number
  readonly upgrades: number
}

/** Version 3: another record, migrated from version 2's (checked with a `Schema.Struct`). */
export const HotCounterV3 = GenServer.make({
  name: "HotCounter",
  version: "3",
  calls: [Get],
  casts: [Inc],
  init: () => GenServer.ok<StateV3>({ count: 0, upgrades: 0 }),
  handleCall: { Get: (_, s) => GenServer.reply({ version: "3", count: s.count }, s) },
  handleCast: { Inc: (_, s) => GenServer.noreply({ count: s.count + 1, upgrades: s.upgrades }) },
  codeChange: GenServer.migrate(Schema.Struct({ count: Schema.Number }), ({ count }): StateV3 => ({ count, upgrades: 2 }))
})

type Server = GenServer.Server<typeof HotCounterV1>

runCase({
  benchmark: "hot_upgrade_100k_ms",
  unit: "ms",
  extra: [
    { benchmark: "hot_upgrade_100k_under_load_ms", unit: "ms" },
    { benchmark: "hot_upgrade_lost_messages", unit: "msgs" }
  ],
  size: { full: hundredK, quick: 5_000 },
  reps: { full: 3, quick: 1 },
  systems: {
    "effect-otp": (n) =>
      runOnNode(Process.run(Effect.gen(function*() {
        const servers = new Array<Server>(n)
        for (let i = 0; i < n; i++) servers[i] = yield* GenServer.start(HotCounterV1, undefined)

        const sent = new Uint32Array(n)
        let total = 0

        // 1. Live, idle servers. Starting them left garbage; it is collected first, so that the
        // figure is the upgrade's own (its own garbage is collected inside it).
        collectGarbage()
        const q0 = performance.now()
        const quiet = yield* Code.upgrade(HotCounterV2)
        const quietMs = performance.now() - q0
        check("servers upgraded to version 2", quiet.upgraded.length, n)
        check("servers that kept version 1", quiet.failed.length, 0)

        // 2. Under a stream of casts.
        let next = 0
        let casting = true
        const client = yield* Process.self
        // The stream: each caster process casts a batch (round robin over the servers), then
        // waits for its relay process to answer. Both wake-ups go through the node's run queue,
        // FIFO, so the batches interleave with the upgrade's system calls and replies: a caster
        // gets one turn each time the run queue has gone round. A batch stays under the fiber's
        // operation budget: a fiber that yields to Effect's scheduler would wait for the run
        // queue to let the event loop in.
        for (let c = 0; c < casters; c++) {
          const relay = yield* Process.spawn(Effect.gen(function*() {
            while (true) {
              const from = (yield* Process.receive()) as Pid.Pid
              yield* Process.send(from, "go")
            }
          }))
          yield* Process.spawn(Effect.gen(function*() {
            const self = yield* Process.self
            while (casting) {
              for (let b = 0; b < castsPerBatch; b++) {
                yield* GenServer.cast(servers[next]!, Inc)
                sent[next]++
                total++
                if (++next === n) next = 0
              }
              yield* Process.send(relay, self)
              yield* Process.receive()
            }
            yield* Process.send(client, "caster stopped")
          }))
        }

        const before = total
        const t0 = performance.now()
        const report = yield* Code.upgrade(HotCounterV3)
        const ms = performance.now() - t0
        const during = total - before
        casting = false
        for (let c = 0; c < casters; c++) yield* Process.receive({ match: (m) => m === "caster stopped" })

        check("servers upgraded to version 3", report.upgraded.length, n)
        check("servers that kept version 2", report.failed.length, 0)
        if (during === 0) throw new Error("bench: no cast was sent while the upgrade ran")

        let lost = 0
        let notUpgraded = 0
        for (let i = 0; i < n; i++) {
          const { count, version } = yield* GenServer.call(servers[i]!, Get, undefined, { timeout: "infinity" })
          lost += Math.abs(sent[i]! - count)
          if (version !== "3") notUpgraded++
        }
        check("servers answering from an older version", notUpgraded, 0)
        const running = yield* CodeInternal.processes(HotCounterV3.name)
        check("servers the code server has on version 3", running.filter(([, version]) => version === "3").length, n)
        if (lost !== 0) {
          throw new Error(`bench: ${lost} of ${total} casts lost or counted twice across the upgrade`)
        }
        console.error(
          `${n} servers: idle upgrade ${quietMs.toFixed(0)} ms; under load ${ms.toFixed(0)} ms, ` +
            `${during} casts sent during it, ${total} in all, 0 lost`
        )
        return {
          hot_upgrade_100k_ms: quietMs * (hundredK / n),
          hot_upgrade_100k_under_load_ms: ms * (hundredK / n),
          hot_upgrade_lost_messages: lost
        }
      })))
  }
})
