/**
 * Entity types: a GenServer module hosted by Effect's cluster, its calls and casts (each able
 * to fail with the host's {@link EntityFailure} besides its own error) and the monitor's
 * request as the entity's protocol.
 */
import * as EffectEntity from "effect/cluster/Entity"
import * as Schema from "effect/Schema"
import type { GenServer } from "effect-otp"
import type { StateStorage } from "./storage.js"
import {
  type AnyRequest,
  type Durable,
  type Entity,
  EntityFailure,
  type EntityOptions,
  MonitorRpc,
  requestsIn,
} from "./wire.js"

/**
 * Hosts a GenServer module as a cluster entity type: its calls and casts (their Rpc schemas)
 * become the entity's protocol, and each id is a virtual process of the module.
 *
 * @example
 * ```ts
 * import { Option, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Deposit = Rpc.make("Deposit", { payload: { amount: Schema.Number }, success: Schema.Number })
 * const Account = GenServer.make({
 *   name: "Account",
 *   calls: [Deposit],
 *   init: (balance: number) => GenServer.ok(balance),
 *   handleCall: { Deposit: ({ amount }, b) => GenServer.reply(b + amount, b + amount) }
 * })
 *
 * // Durable: the balance survives moves; init gets it back.
 * const Accounts = Cluster.entity(Account, {
 *   args: (_id, restored) => Option.getOrElse(restored, () => 0),
 *   durable: { schema: Schema.Number }
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export function entity<M extends GenServer.Any>(
  module: M,
  options: EntityOptions<Entity.Args<M>, Entity.State<M>> & { readonly durable: Durable<Entity.State<M>> } & Entity.ArgsRequired<M>
): Entity<M, StateStorage>
/**
 * Hosts a GenServer module as a cluster entity type whose state is not durable: a moved or
 * passivated entity starts fresh. Without `args`, the module's `init` takes the id.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Hello = Rpc.make("Hello", { success: Schema.String })
 * const Greeter = GenServer.make({
 *   name: "Greeter",
 *   calls: [Hello],
 *   init: (id: string) => GenServer.ok(id),
 *   handleCall: { Hello: (_, id) => GenServer.reply(`hello from ${id}`, id) }
 * })
 *
 * const Greeters = Cluster.entity(Greeter) // init gets the entity id
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export function entity<M extends GenServer.Any>(
  module: M,
  ...options: [string] extends [Entity.Args<M>] ? [options?: EntityOptions<Entity.Args<M>, Entity.State<M>>]
    : [options: EntityOptions<Entity.Args<M>, Entity.State<M>> & Entity.ArgsRequired<M>]
): Entity<M>
export function entity<M extends GenServer.Any>(
  module: M,
  options?: EntityOptions<Entity.Args<M>, Entity.State<M>>
): Entity<M, StateStorage> {
  const type = options?.type ?? module.name
  const withFailure = (rpc: AnyRequest): AnyRequest => rpc.setError(Schema.Union([rpc.errorSchema, EntityFailure]))
  // The module's protocol, as its definition lists it (`GenServer.Any` does not show it).
  const protocol: ReadonlyArray<AnyRequest> = [
    ...requestsIn("calls" in module ? module.calls : undefined).map(withFailure),
    ...requestsIn("casts" in module ? module.casts : undefined).map(withFailure),
    MonitorRpc
  ]
  return {
    _tag: "effect-otp/ClusterEntity",
    module,
    type,
    entity: EffectEntity.make(type, protocol),
    options: options ?? {}
  }
}

