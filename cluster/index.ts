/**
 * effect-otp/cluster: GenServer modules hosted as entities of Effect's cluster engine
 * (`effect/cluster`), addressed from any node with the same `GenServer.call` and `cast`;
 * monitors and durable state across runners. A subpath of its own, so that a program that does
 * not use distribution loads none of the cluster's or SQL's code.
 *
 * @packageDocumentation
 */

/**
 * Cluster: GenServer modules hosted as entities of Effect's cluster engine, addressed from any
 * node with the same `GenServer.call` and `cast`; monitors and durable state across runners.
 *
 * @since 0.1.0
 */
export * as Cluster from "./Cluster.js"
