/**
 * The cluster example (`examples/cluster/`): its embedded version in this process, and, with
 * PostgreSQL, the real thing: two runner processes and a client process, a runner stopped
 * with SIGTERM and the rooms found on the other with their history.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Logger, References } from "effect"
import { TestConsole } from "effect/testing"
import { main } from "../examples/cluster/embedded.js"
import { createDatabase, dropDatabase, freePorts, pgUrl, spawnTs } from "./support/cluster.js"

const sessionLines = (where: Record<string, string>) => [
  "ada -> lobby: hello, joe (1 in history)",
  "joe -> lobby: hi ada! rooms live wherever the cluster puts them (2 in history)",
  "joe -> effect: anyone here? (1 in history)",
  "ada -> otp: let it crash (1 in history)",
  `lobby lives on ${where.lobby}`,
  `effect lives on ${where.effect}`,
  `otp lives on ${where.otp}`,
  "lobby hits a bug",
  "lobby is down: Crash",
  "lobby is back with its history (2 messages):",
  "  ada: hello, joe",
  "  joe: hi ada! rooms live wherever the cluster puts them"
]

describe("cluster example", () => {
  it.live("embedded: the rooms on a one-process cluster, no database", () =>
    Effect.gen(function*() {
      // The room's deliberate crash logs gen_server's error report: kept out of the console
      // here, and checked below.
      const reports: Array<string> = []
      const logger = Logger.make(({ fiber, message }) => {
        const annotations = Context.get(fiber.context, References.CurrentLogAnnotations)
        if (annotations["report"] === "gen_server") reports.push(String(message))
      })
      yield* main.pipe(Effect.provideService(Logger.CurrentLoggers, new Set([logger])))
      assert.strictEqual(reports.length, 1)
      assert.include(reports[0], "(Room) terminating")
      assert.include(reports[0], "** Error: room lobby tripped over a bug")
      const lines = (yield* TestConsole.logLines).map(String)
      const node = "embedded@localhost"
      // What the client sees, in order; the rooms' own lines interleave.
      assert.deepStrictEqual(
        lines.filter((line) => !line.startsWith("  [")),
        sessionLines({ lobby: node, effect: node, otp: node })
      )
      assert.includeMembers(lines, [
        `  [${node}] room lobby started (0 messages restored)`,
        `  [${node}] room lobby stopped (Crash)`,
        `  [${node}] room lobby started (2 messages restored)`
      ])
    }).pipe(Effect.provide(TestConsole.layer)))

  it.skipIf(pgUrl === undefined)("two runner processes and a client process; a runner stops, its rooms move", async () => {
    const database = await createDatabase(pgUrl!)
    const [p1, p2] = await freePorts(2)
    const env = { EFFECT_OTP_PG_URL: database }
    const runner1 = spawnTs("runner1", "examples/cluster/runner.ts", env, [String(p1), "runner1"])
    const runner2 = spawnTs("runner2", "examples/cluster/runner.ts", env, [String(p2), "runner2"])
    try {
      await Promise.all([runner1.waitFor(/^ready /), runner2.waitFor(/^ready /)])
      const session = spawnTs("client", "examples/cluster/client.ts", env, ["session"])
      assert.strictEqual(await session.exited, 0, session.lines.join("\n"))
      const where: Record<string, string> = {}
      for (const line of session.lines) {
        const match = /^(\w+) lives on (\S+)$/.exec(line)
        if (match) where[match[1]!] = match[2]!
      }
      assert.deepStrictEqual(session.lines, sessionLines(where))
      for (const node of Object.values(where)) assert.match(node, /^runner[12]@127\.0\.0\.1$/)
      // The runner hosting lobby printed its crash and its restart with the saved history.
      const lobbyRunner = where.lobby === "runner1@127.0.0.1" ? runner1 : runner2
      await lobbyRunner.waitFor(/room lobby started \(2 messages restored\)/)

      // runner2 stops gracefully: its rooms move to runner1 with their history.
      await runner2.kill("SIGTERM")
      const survey = spawnTs("client", "examples/cluster/client.ts", env, ["survey"])
      assert.strictEqual(await survey.exited, 0, survey.lines.join("\n"))
      assert.deepStrictEqual(survey.lines, [
        "lobby lives on runner1@127.0.0.1, 2 messages",
        "effect lives on runner1@127.0.0.1, 1 message",
        "otp lives on runner1@127.0.0.1, 1 message"
      ])
    } finally {
      await Promise.all([runner1.kill("SIGTERM"), runner2.kill("SIGTERM")])
      await dropDatabase(pgUrl!, database)
    }
  }, 120_000)
})
