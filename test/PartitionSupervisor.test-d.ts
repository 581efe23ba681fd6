/**
 * Type-level tests of PartitionSupervisor's start: the `[module, args]` child checks the
 * arguments and `withArguments` against the module, `withArguments` needs that form, and the
 * services a child needs show in the start's requirements.
 */
import { Context, Effect, Schema } from "effect"
import { Rpc } from "effect/rpc"
import { describe, expectTypeOf, it } from "vitest"
import type { Errors, Node, Pid, Process } from "../index.js"
import { ChildSpec, GenServer, PartitionSupervisor } from "../index.js"

interface Config {
  readonly size: number
}
const Config = Context.Service<Config>("Config")

const Get = Rpc.make("Get", { success: Schema.Number })
const Shard = GenServer.make({
  name: "Shard",
  calls: [Get],
  init: (args: { readonly partition: number }) => Effect.map(Config, (c) => GenServer.ok(args.partition + c.size)),
  handleCall: { Get: (_, n) => GenServer.reply(n, n) }
})

declare const startWorker: Effect.Effect<Pid.Pid, never, Process.CurrentProcess>

describe("PartitionSupervisor.start", () => {
  it("a [module, args] child: arguments and withArguments are the module's; its services are required", () => {
    const started = PartitionSupervisor.start({
      name: "shards",
      child: [Shard, { partition: 0 }],
      withArguments: (args, partition) => ({ ...args, partition })
    })
    expectTypeOf(started).toEqualTypeOf<
      Effect.Effect<PartitionSupervisor.PartitionSupervisor, PartitionSupervisor.StartError, Node.Node | Config>
    >()
    // @ts-expect-error: not the module's arguments
    PartitionSupervisor.start({ name: "shards", child: [Shard, "zero"] })
    // @ts-expect-error: withArguments returns the module's arguments
    PartitionSupervisor.start({ name: "shards", child: [Shard, { partition: 0 }], withArguments: (_args, p) => p })
  })

  it("a child spec, or a function of the partition returning one; withArguments only with a module", () => {
    expectTypeOf(PartitionSupervisor.start({ name: "w", child: ChildSpec.worker("w", startWorker) })).toEqualTypeOf<
      Effect.Effect<PartitionSupervisor.PartitionSupervisor, PartitionSupervisor.StartError, Node.Node>
    >()
    PartitionSupervisor.start({
      name: "w",
      child: (partition) => {
        expectTypeOf(partition).toEqualTypeOf<number>()
        return ChildSpec.worker(`w${partition}`, startWorker)
      }
    })
    // @ts-expect-error: withArguments needs a [module, args] child
    PartitionSupervisor.start({ name: "w", child: ChildSpec.worker("w", startWorker), withArguments: (a: unknown) => a })
    // @ts-expect-error: the name is required
    PartitionSupervisor.start({ child: ChildSpec.worker("w", startWorker) })
  })

  it("routing: via is a name any behaviour's client takes; partitions and resize are typed", () => {
    const shard = GenServer.ref(Shard, PartitionSupervisor.via("shards", "user:42"))
    expectTypeOf(GenServer.call(shard, Get)).toEqualTypeOf<Effect.Effect<number, Errors.CallError | Errors.UnknownRequest>>()
    expectTypeOf(PartitionSupervisor.partitions("shards")).toEqualTypeOf<Effect.Effect<number, Errors.NoProc>>()
    expectTypeOf(PartitionSupervisor.childSpec({ name: "shards", child: [Shard, { partition: 0 }] })).toEqualTypeOf<
      ChildSpec.ChildSpec<Config>
    >()
  })
})
