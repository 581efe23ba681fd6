/**
 * Chaos: a tree of 10k workers (named locally and through a Registry, unnamed, under
 * supervisors of every strategy five levels deep, and under a DynamicSupervisor) while workers
 * and whole subtrees are killed at random and clients keep calling. Every call is answered or
 * fails with a typed error, none hangs; the tree, every name and every pub/sub entry come back;
 * no message sent to a live worker is lost; no process is leaked.
 *
 * What the schedule expects of the supervisors (see `chaos/schedule.ts`): its kills keep every
 * supervisor within its restart intensity, so none may give up and no restart may fail, except
 * in the storms, which kill one more worker of a cell than its intensity allows: that cell must
 * give up once and its parent must restart it, whole. The checks are in `chaos/engine.ts`.
 *
 * Deterministic: the schedule and the clients' choices come from the seed, and every timeout
 * runs on the TestClock. `npm run chaos -- --minutes M [--seed S]` runs the same engine in real
 * time for longer and prints its figures.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { Node, Process } from "../index.js"
import { ci } from "./chaos/config.js"
import * as Chaos from "./chaos/engine.js"

describe("chaos", () => {
  it.effect("a tree of 10k workers under random kills: every call ends typed, the tree and its names come back, no leak", () =>
    Effect.gen(function*() {
      const report = yield* Process.run(Chaos.run(ci, { advance: (millis) => TestClock.adjust(millis) })).pipe(
        Effect.provide(Node.layer({ name: "chaos@localhost" }))
      )
      console.log(Chaos.format(report.figures))
      assert.deepStrictEqual(report.problems, [], `seed ${ci.seed}:\n${report.problems.join("\n")}\n${Chaos.format(report.figures)}`)
      // The run did what the schedule says: kills of every kind, every call accounted for.
      const f = report.figures
      assert.isTrue(f.kills.workers > 0 && f.kills.subtrees > 0 && f.kills.big > 0 && f.kills.storms > 0, "kills of every kind")
      assert.isTrue(f.calls.naps > 0 && f.calls.wakes > 0 && f.calls.publishes > 0, "naps, wakes and publishes")
      const errors = Object.values(f.calls.errors).reduce((a, b) => a + b, 0)
      assert.strictEqual(f.calls.made, f.calls.answered + errors + f.calls.defects)
      assert.strictEqual(f.calls.hung, 0)
    }), 60_000)
})
