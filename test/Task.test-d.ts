/**
 * Type-level tests of Task and TaskSupervisor: the task's result and error types flow to
 * await, yield, shutdown and the streams; starting and taking results need a process.
 */
import { Context, Effect, type Exit, type Option, type Stream } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import type { Errors, Node, Pid } from "../index.js"
import { Process, Task, TaskSupervisor } from "../index.js"

class NotFound {
  readonly _tag = "NotFound"
}
class Db extends Context.Service<Db, { readonly find: (id: string) => Effect.Effect<number, NotFound> }>()("test/Db") {}

const lookup = Effect.gen(function*() {
  const db = yield* Db
  return yield* db.find("x")
})
declare const sup: TaskSupervisor.TaskSupervisor

describe("Task", () => {
  it("async carries A and E, and needs a process and the effect's services", () => {
    const started = Task.async(lookup)
    expectTypeOf(started).toEqualTypeOf<Effect.Effect<Task.Task<number, NotFound>, never, Node.Node | Process.CurrentProcess | Db>>()
    // The task's own CurrentProcess is provided by the spawn.
    expectTypeOf(Task.async(Process.self)).toEqualTypeOf<Effect.Effect<Task.Task<Pid.Pid>, never, Node.Node | Process.CurrentProcess>>()
  })

  it("await: A, E and the await errors; a timeout adds BadArgument", () => {
    const task = null as unknown as Task.Task<number, NotFound>
    expectTypeOf(Task.await(task)).toEqualTypeOf<Effect.Effect<number, NotFound | Task.AwaitError, Process.CurrentProcess>>()
    expectTypeOf(Task.await(task, "1 second")).toEqualTypeOf<
      Effect.Effect<number, NotFound | Task.AwaitError | Errors.BadArgument, Process.CurrentProcess>
    >()
    expectTypeOf(Task.awaitMany([task, task])).toEqualTypeOf<
      Effect.Effect<Array<number>, NotFound | Task.AwaitError | Errors.BadArgument, Process.CurrentProcess>
    >()
  })

  it("yield and shutdown: an optional Exit of A and E | TaskExit", () => {
    const task = null as unknown as Task.Task<string, NotFound>
    expectTypeOf(Task.yield(task)).toEqualTypeOf<
      Effect.Effect<Option.Option<Exit.Exit<string, NotFound | Task.TaskExit>>, Task.NotOwner | Task.AlreadyAwaited, Process.CurrentProcess>
    >()
    expectTypeOf(Task.shutdown(task, "brutalKill")).toEqualTypeOf<
      Effect.Effect<Option.Option<Exit.Exit<string, NotFound | Task.TaskExit>>, Task.NotOwner | Errors.BadArgument, Process.CurrentProcess>
    >()
  })

  it("asyncStream emits StreamResult of A, E and the item", () => {
    const stream = Task.asyncStream(["a"], (s: string) => s === "" ? Effect.fail(new NotFound()) : Effect.succeed(s.length))
    expectTypeOf(stream).toEqualTypeOf<
      Stream.Stream<Task.StreamResult<number, NotFound, string>, Task.TaskTimeout | Errors.BadArgument, Node.Node | Process.CurrentProcess>
    >()
  })

  it("a task's types are not interchangeable", () => {
    const task = null as unknown as Task.Task<number, NotFound>
    // @ts-expect-error a task of number is no task of string
    const wrong: Task.Task<string, NotFound> = task
    void wrong
  })

  it("Task.await outside a process does not compile as a runnable effect", () => {
    const task = null as unknown as Task.Task<number>
    // @ts-expect-error CurrentProcess is required
    const run: Effect.Effect<number, Task.AwaitError> = Task.await(task)
    void run
  })
})

describe("TaskSupervisor", () => {
  it("async / asyncNolink carry A and E; start errors are typed", () => {
    expectTypeOf(TaskSupervisor.async(sup, lookup)).toEqualTypeOf<
      Effect.Effect<Task.Task<number, NotFound>, TaskSupervisor.StartError, Node.Node | Process.CurrentProcess | Db>
    >()
    expectTypeOf(TaskSupervisor.asyncNolink(sup, lookup)).toEqualTypeOf<
      Effect.Effect<Task.Task<number, NotFound>, TaskSupervisor.StartError, Node.Node | Process.CurrentProcess | Db>
    >()
    expectTypeOf(TaskSupervisor.startChild(sup, lookup)).toEqualTypeOf<Effect.Effect<Pid.Pid, TaskSupervisor.StartError, Db>>()
  })
})
