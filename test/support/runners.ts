/**
 * The set-up of a distributed test file (PostgreSQL): a fresh database, the runner processes
 * `a@127.0.0.1` and `b@127.0.0.1` on free ports, and a client-only member of their cluster
 * (node `client@127.0.0.1`) to run the tests from; all stopped, and the database dropped, after
 * the file. Only test files import it (runner processes load `cluster.ts`, not vitest).
 */
import { afterAll, beforeAll } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Node from "../../lib/Node.js"
import * as Process from "../../lib/Process.js"
import { type Child, clientLayer, createDatabase, dropDatabase, freePorts, pgUrl, startRunner } from "./cluster.js"

/** The running cluster of a test file (filled in by its `beforeAll`). */
export interface TwoRunners {
  /** The URL of the file's database. */
  readonly database: () => string
  /** The ports: `a`'s, `b`'s, then the `spare` ones for runners a test starts. */
  readonly ports: () => ReadonlyArray<number>
  /** The runner processes by short name (`a`, `b`); a test that stops or starts one updates it. */
  readonly runners: Map<string, Child>
  /** Runs `body` as a process on the client member. */
  readonly run: <A, E>(body: Effect.Effect<A, E, any>) => Promise<A>
}

/**
 * Registers, in the calling `describe`, the start of runners `a` and `b` (the runner fixture
 * `fixture`, by default the one of the entity types) before its tests and their stop after.
 */
export const twoRunners = (options?: { readonly fixture?: string; readonly spare?: number }): TwoRunners => {
  let database: string | undefined
  let ports: Array<number> = []
  let runtime: ManagedRuntime.ManagedRuntime<any, any> | undefined
  const runners = new Map<string, Child>()

  beforeAll(async () => {
    database = await createDatabase(pgUrl!)
    ports = await freePorts(2 + (options?.spare ?? 0))
    const [a, b] = await Promise.all([
      startRunner("a@127.0.0.1", ports[0]!, database, options?.fixture),
      startRunner("b@127.0.0.1", ports[1]!, database, options?.fixture)
    ])
    runners.set("a", a)
    runners.set("b", b)
    runtime = ManagedRuntime.make(Layer.mergeAll(clientLayer(database), Node.layer({ name: "client@127.0.0.1" })))
  }, 60_000)

  afterAll(async () => {
    await runtime?.dispose()
    await Promise.all([...runners.values()].map((runner) => runner.kill("SIGTERM")))
    if (database !== undefined) await dropDatabase(pgUrl!, database)
  }, 60_000)

  return {
    database: () => database!,
    ports: () => ports,
    runners,
    run: <A, E>(body: Effect.Effect<A, E, any>): Promise<A> => runtime!.runPromise(Process.run(body) as any)
  }
}
