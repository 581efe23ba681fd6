/**
 * A job fan-out: thumbnail jobs spread over a pool of workers that find each other through a
 * process group, each job run as a task under a task supervisor.
 *
 * ```
 * fanout (Supervisor, oneForOne)
 * ├── groups    ProcessGroups scope: the group "resizers"
 * ├── tasks     TaskSupervisor: one task per job
 * └── workers   Supervisor (oneForOne): three Resizer GenServers, each joins "resizers" in its init
 * ```
 *
 * What each piece shows:
 *
 * - **Process groups** (OTP's `pg`): a worker joins the group in its `init`; one that exits has
 *   left it by the time anyone sees its exit, and its restart joins again. Nobody keeps a list
 *   of workers: the dispatcher reads the group's members for each job, and a watcher process
 *   monitors the group and prints every change.
 * - **Task.Supervisor** (Elixir's): the batch runs through `TaskSupervisor.asyncStreamNolink`,
 *   at most three jobs at once, each with its own timeout, the results in the jobs' order.
 *   Not linked: a job whose worker crashes, or that runs past its timeout, is a result like the
 *   others (an `Exit`), and the dispatcher goes on.
 * - **Supervision**: a corrupt image crashes its worker; the workers' supervisor restarts it
 *   clean, and the new one rejoins the group in time for the next jobs.
 * - **What a timeout does not do**: the panorama's task is killed at its timeout, but the worker
 *   it called goes on resizing (a call cannot be taken back from a server), so the job sent to
 *   that worker next waits behind it and runs out of time as well.
 *
 * Run it with `npx tsx examples/job-fanout.ts` (about 2 seconds); `test/examples.test.ts` runs
 * it on `TestClock`, where the same lines come out at the same (virtual) times.
 */
import { Clock, Console, Effect, Schema, Stream } from "effect"
import { Rpc } from "effect/rpc"
import { ChildSpec, type Errors, ExitReason, GenServer, Node, Process, ProcessGroups, Supervisor, Task, TaskSupervisor } from "../index.js"

// ----------------------------------------------------------------------------
// A log line with the time since the program started
// ----------------------------------------------------------------------------

/** Prints `[1.3s] who: text`, the time measured on `Clock` from `since`. */
const say = (since: number, who: string, text: string) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => Console.log(`[${((now - since) / 1000).toFixed(1)}s] ${who}: ${text}`))

// ----------------------------------------------------------------------------
// The workers
// ----------------------------------------------------------------------------

/** The scope of the example's groups; its groups are named by strings. */
export const groups = ProcessGroups.scope<string>("fanout.groups")

/** An image to make a thumbnail of: its name and how long resizing it takes (ms). */
export interface Job {
  readonly image: string
  readonly millis: number
}

/** Call: resize one image; replies with the thumbnail's name. */
export const Resize = Rpc.make("Resize", {
  payload: { image: Schema.String, millis: Schema.Number },
  success: Schema.String
})

/**
 * A worker: joins the group `resizers` as it starts, then resizes one image at a time. A
 * corrupt image crashes it (a decoder that throws).
 */
export const Resizer = GenServer.make({
  name: "Resizer",
  calls: [Resize],
  init: ({ name, since }: { readonly name: string; readonly since: number }) =>
    Effect.gen(function*() {
      yield* ProcessGroups.join(groups, "resizers", yield* Process.self)
      yield* say(since, name, "joined resizers")
      return GenServer.ok({ name, since, done: 0 })
    }),
  handleCall: {
    Resize: ({ image, millis }, worker) =>
      Effect.gen(function*() {
        if (image.startsWith("corrupt")) return yield* Effect.die(new Error(`cannot decode ${image}`))
        yield* Effect.sleep(millis)
        const thumbnail = image.replace(/\.(\w+)$/, ".thumb.$1")
        return GenServer.reply(`${thumbnail} by ${worker.name}`, { ...worker, done: worker.done + 1 })
      })
  }
})

// ----------------------------------------------------------------------------
// The watcher: every change of the group
// ----------------------------------------------------------------------------

/** A process that monitors the group and prints its size at every join and leave. */
const watcher = (since: number) =>
  Effect.gen(function*() {
    const { members, ref } = yield* ProcessGroups.monitor(groups, "resizers")
    let size = members.length
    while (true) {
      const change = yield* Process.receive({ match: ProcessGroups.isMessage<string>(ref) })
      const joined = ProcessGroups.isJoin(change)
      size += joined ? change.pids.length : -change.pids.length
      yield* say(since, "group", `${joined ? "a worker joined" : "a worker left"}, ${size} in resizers`)
    }
  })

// ----------------------------------------------------------------------------
// The dispatcher
// ----------------------------------------------------------------------------

/** No worker is in the group (they all crashed at once, or none has started). */
export class NoWorker extends Schema.TaggedError<NoWorker>()("NoWorker", { image: Schema.String }) {}

/** One job's task: pick a worker from the group (by the job's number) and call it. */
const runJob = (job: Job, index: number) =>
  Effect.gen(function*() {
    const members = yield* ProcessGroups.members(groups, "resizers")
    if (members.length === 0) return yield* new NoWorker({ image: job.image })
    const worker = GenServer.ref(Resizer, members[index % members.length]!)
    return yield* GenServer.call(worker, Resize, job, { timeout: "infinity" })
  })

/** Why a job has no thumbnail, in one line. */
const why = (error: Errors.CallError | Errors.UnknownRequest | NoWorker | Task.TaskExit | Task.TaskTimeout): string => {
  switch (error._tag) {
    case "TaskTimeout":
      return `no result within ${error.timeoutMillis} ms, task killed`
    case "CallExit":
      return `its worker crashed (${ExitReason.format(error.reason)})`
    case "NoWorker":
      return "no worker in resizers"
    default:
      return error.message
  }
}

/** The batch: eight images, one corrupt, one too large to finish in time. */
export const jobs: ReadonlyArray<Job> = [
  { image: "cat.png", millis: 200 },
  { image: "dog.png", millis: 300 },
  { image: "corrupt.png", millis: 100 },
  { image: "bird.png", millis: 100 },
  { image: "panorama.png", millis: 5000 },
  { image: "fish.png", millis: 200 },
  { image: "owl.png", millis: 100 },
  { image: "fox.png", millis: 300 }
]

export const main = Process.run(Effect.gen(function*() {
  const since = yield* Clock.currentTimeMillis
  const workers = (["resizer-1", "resizer-2", "resizer-3"] as const).map((name) =>
    GenServer.childSpec(Resizer, { name, since }, { id: name })
  )
  const fanout = yield* Supervisor.start([
    ProcessGroups.childSpec(groups, { id: "groups" }),
    TaskSupervisor.childSpec("tasks", { name: "fanout.tasks" }),
    ChildSpec.worker("watcher", Process.spawnLink(watcher(since))),
    Supervisor.childSpec("workers", workers, { strategy: "oneForOne" })
  ], { strategy: "oneForOne", name: "fanout" })

  // The whole batch, three jobs at a time, each with 1 s to finish; results in the jobs' order.
  const indexed = jobs.map((job, index) => [job, index] as const)
  const results = yield* TaskSupervisor.asyncStreamNolink("fanout.tasks", indexed, ([job, index]) => runJob(job, index), {
    maxConcurrency: 3,
    timeout: "1 second",
    onTimeout: "killTask",
    zipInputOnExit: true
  }).pipe(
    Stream.zipWithIndex,
    Stream.tap(([result, index]) =>
      say(since, "dispatcher", result._tag === "Ok"
        ? `${jobs[index]!.image} -> ${result.value}`
        : `${jobs[index]!.image} failed: ${why(result.error)}`)),
    Stream.runCollect
  )

  const done = results.filter(([result]) => result._tag === "Ok").length
  yield* say(since, "dispatcher", `${done} of ${jobs.length} thumbnails made`)
  const members = yield* ProcessGroups.members(groups, "resizers")
  yield* say(since, "dispatcher", `${members.length} workers in resizers`)

  yield* Supervisor.stop(fanout)
  yield* say(since, "dispatcher", `processes left besides this one: ${(yield* Process.processes).length - 1}`)
}))

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main.pipe(Effect.provide(Node.layer())))
}
