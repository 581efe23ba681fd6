import { assert, it } from "@effect/vitest"
import { Effect, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import { Node, Process } from "../index.js"

it.effect("timed receive honours TestClock", () =>
  Effect.gen(function*() {
    const fiber = yield* Process.run(Process.receive({ timeout: "1 second" })).pipe(Effect.forkChild)
    yield* TestClock.adjust("1 second")
    const r = yield* Fiber.join(fiber)
    assert.isTrue(Option.isNone(r))
  }).pipe(Effect.provide(Node.layer())))
