/**
 * Helpers of the tests that run as processes: a body run as a process on a fresh node, the
 * caller's mailbox drained, and a via registry kept in a `Map`.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Gen from "../../lib/Gen.js"
import * as Node from "../../lib/Node.js"
import type { Pid } from "../../lib/Pid.js"
import * as Process from "../../lib/Process.js"

/** Runs `body` as a process on a fresh node. */
export const inNode = <A, E>(body: Effect.Effect<A, E, Process.CurrentProcess | Node.Node>) =>
  Process.run(body).pipe(Effect.provide(Node.layer()))

/** Everything in the caller's mailbox right now, in order (taken out). */
export const drain: Effect.Effect<Array<unknown>, never, Process.CurrentProcess> = Effect.gen(function*() {
  const out: Array<unknown> = []
  while (true) {
    const next = yield* Process.receive({ timeout: 0 })
    if (Option.isNone(next)) return out
    out.push(next.value)
  }
})

/** A via registry kept in a `Map` (a taken key answers its owner), and the map itself. */
export const mapRegistry = (): { readonly table: Map<string, Pid>; readonly registry: Gen.ViaRegistry<string> } => {
  const table = new Map<string, Pid>()
  const registry: Gen.ViaRegistry<string> = {
    registerName: (key, pid) =>
      Effect.sync(() => {
        const owner = table.get(key)
        if (owner !== undefined) return Option.some(owner)
        table.set(key, pid)
        return Option.none()
      }),
    unregisterName: (key) => Effect.sync(() => void table.delete(key)),
    whereisName: (key) => Effect.sync(() => Option.fromUndefinedOr(table.get(key)))
  }
  return { table, registry }
}
