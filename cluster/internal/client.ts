/**
 * The client side of an entity type: cluster references (`GenServer.call` and `cast` through
 * Effect's sharded client), and the translation of what comes back into the typed errors of a
 * call.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as ClusterError from "effect/cluster/ClusterError"
import * as Runners from "effect/cluster/Runners"
import * as RunnerStorage from "effect/cluster/RunnerStorage"
import * as Sharding from "effect/cluster/Sharding"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as RpcClient from "effect/rpc/RpcClient"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { Errors, ExitReason, type Gen, type GenServer } from "effect-otp"
import {
  type AnyRequest,
  ClusterFailure,
  type Entity,
  EntityFailure,
  isMonitorEvent,
  MalformedMessage,
  type MonitorEvent,
  monitorTag,
  reasonFromWire,
  type RemoteError
} from "./wire.js"

/** The refusals of the cluster itself, which a call reports as {@link ClusterFailure}. */
type ClusterRefusal =
  | ClusterError.MailboxFull
  | ClusterError.AlreadyProcessingMessage
  | ClusterError.PersistenceError
  | ClusterError.EntityNotAssignedToRunner

const refusals: ReadonlySet<string> = new Set<ClusterRefusal["_tag"]>([
  "MailboxFull",
  "AlreadyProcessingMessage",
  "PersistenceError",
  "EntityNotAssignedToRunner"
])

/** Recognised by tag: an error decoded from the wire may not be an instance of this copy's classes. */
const isClusterRefusal = (u: unknown): u is ClusterRefusal =>
  typeof u === "object" && u !== null && "_tag" in u && typeof u._tag === "string" && refusals.has(u._tag) &&
  !(u instanceof EntityFailure)

/** Effect's sharded client of one entity: a method per request of the protocol. */
type EntityClient = RpcClient.RpcClient.From<AnyRequest, ClusterRefusal>

const describeDefect = (defect: unknown): string => {
  if (defect instanceof Error) {
    const cause = defect.cause instanceof Error ? defect.cause.message : undefined
    return defect.message !== "" ? defect.message : cause ?? defect.name
  }
  return typeof defect === "string" ? defect : JSON.stringify(defect) ?? String(defect)
}

// A MalformedMessage defect decoded from the wire is an Error named after the class's identifier.
const isMalformedDefect = (defect: unknown): boolean =>
  ClusterError.MalformedMessage.is(defect) ||
  (defect instanceof Error && defect.name.endsWith("MalformedMessage")) ||
  (typeof defect === "object" && defect !== null && "_tag" in defect && defect._tag === "MalformedMessage")

/**
 * Whether the cluster has a runner, for the calls of one client: without one, Effect's sharding
 * retries a call's delivery until the call times out (the shard has no owner), so a call checks
 * first and fails at once with `ClusterFailure` `NoRunner`. It asks the runner storage (when the
 * member has it in its context: a client-only member built with its storage merged in), and
 * trusts a "yes" for a second, so a stream of calls costs one clock read each, not a query.
 * Storage that cannot answer leaves the call to its timeout, as before.
 */
class RunnerCheck {
  private okUntil = -Infinity
  constructor(private readonly storage: RunnerStorage.RunnerStorage["Service"]) {}

  /** Runs `send` after the check (no query while a recent check said yes). */
  around<A, E>(fiber: { readonly getRef: <X>(ref: Context.Reference<X>) => X }, label: string, send: () => Effect.Effect<A, E>): Effect.Effect<A, E | ClusterFailure> {
    const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
    if (now < this.okUntil) return send()
    return Effect.flatMap(Effect.option(this.storage.getRunners), (runners): Effect.Effect<A, E | ClusterFailure> => {
      if (Option.isSome(runners) && !runners.value.some(([, healthy]) => healthy)) {
        return Effect.fail(
          new ClusterFailure({
            target: label,
            reason: "NoRunner",
            detail: "no runner: the cluster has no healthy runner to host the entity (start a runner, or retry)"
          })
        )
      }
      if (Option.isSome(runners)) this.okUntil = now + 1000
      return send()
    })
  }
}

/** The remote target of a cluster reference: `Gen.call` and `Gen.cast` hand it their requests. */
export class ClusterTarget implements Extract<Gen.Target, { readonly _tag: "Remote" }> {
  readonly _tag = "Remote"
  readonly label: string
  constructor(
    type: string,
    readonly id: string,
    readonly requests: ReadonlyMap<string, AnyRequest>,
    readonly client: EntityClient,
    readonly runners: Option.Option<Runners.Runners["Service"]>,
    readonly runnerCheck: RunnerCheck | undefined = undefined
  ) {
    this.label = `${type}/${id}`
  }

  toString(): string {
    return this.label
  }

  translate(cause: Cause.Cause<unknown>, rpc: AnyRequest): Effect.Effect<never, unknown> {
    const error = Cause.findError(cause)
    if (error._tag === "Success") {
      const e = error.success
      if (e instanceof EntityFailure) return Effect.fail(this.fromEntityFailure(e))
      if (isClusterRefusal(e)) {
        return Effect.fail(
          new ClusterFailure({ target: this.label, reason: e._tag, detail: "cause" in e ? describeDefect(e.cause) : e._tag })
        )
      }
      return Schema.is(rpc.errorSchema)(e)
        ? Effect.fail(e)
        : Effect.fail(new MalformedMessage({ target: this.label, direction: "reply", detail: `the error of ${rpc._tag} does not match its schema` }))
    }
    const defect = Cause.findDefect(cause)
    if (defect._tag === "Success") {
      const d = defect.success
      if (Schema.isSchemaError(d)) {
        return Effect.fail(new MalformedMessage({ target: this.label, direction: "reply", detail: d.message }))
      }
      if (isMalformedDefect(d)) {
        return Effect.fail(new MalformedMessage({ target: this.label, direction: "request", detail: describeDefect(d) }))
      }
      return Effect.fail(new Errors.CallExit({ target: this.label, reason: ExitReason.crash(cause) }))
    }
    // Interrupted by the hosting side: the entity was stopped under the request.
    return Effect.fail(new Errors.CallExit({ target: this.label, reason: ExitReason.shutdown() }))
  }

  fromEntityFailure(e: EntityFailure): Errors.CallExit | Errors.NoProc | Errors.UnknownRequest | RemoteError {
    switch (e.kind) {
      case "Exit":
        return new Errors.CallExit({ target: this.label, reason: e.reason === undefined ? ExitReason.noproc : reasonFromWire(e.reason) })
      case "NoProc":
        return new Errors.NoProc({ target: this.label })
      case "UnknownRequest":
        return new Errors.UnknownRequest({ target: this.label, tag: e.detail })
      case "RequestInvalid":
        return new MalformedMessage({ target: this.label, direction: "request", detail: e.detail })
      case "ReplyInvalid":
        return new MalformedMessage({ target: this.label, direction: "reply", detail: e.detail })
      case "PersistenceError":
      case "StateConflict":
      case "StateInvalid":
        return new ClusterFailure({ target: this.label, reason: e.kind, detail: e.detail })
    }
  }

  /** The request of the protocol a message names (`undefined` for a tag the protocol does not have). */
  requestOf(message: unknown): AnyRequest | undefined {
    // Only the entity's own requests: a tag an untyped caller made (`constructor`, `__proto__`)
    // must not reach the client object's prototype.
    const tag = typeof message === "object" && message !== null && "_tag" in message ? message._tag : undefined
    return typeof tag === "string" ? this.requests.get(tag) : undefined
  }

  call(
    message: unknown,
    options?: { readonly timeout?: Duration.Input | "infinity" | undefined }
  ): Effect.Effect<unknown, Errors.CallError> {
    // a remote `Gen.Target` declares only `CallError`: the reference's type (`GenServer.Server<M,
    // RemoteError>`) and `GenServer.call` (the request's own error) declare the rest.
    return this.send(message, options) as Effect.Effect<unknown, Errors.CallError>
  }

  send(message: unknown, options?: { readonly timeout?: Duration.Input | "infinity" | undefined }): Effect.Effect<unknown, unknown> {
    const rpc = this.requestOf(message)
    const payload = payloadOf(message)
    if (rpc === undefined) return Effect.fail(new Errors.UnknownRequest({ target: this.label, tag: String(tagOf(message)) }))
    // `Gen.call` checked the timeout before handing the request over.
    const timeout = options?.timeout
    const millis = timeout === undefined
      ? 5000
      : timeout === "infinity"
      ? Infinity
      : Duration.toMillis(Duration.fromInputUnsafe(timeout))
    const method = this.client[rpc._tag]
    const check = this.runnerCheck
    const sent = (check === undefined
      ? Effect.suspend(() => method(payload))
      : Effect.withFiber((fiber) => check.around(fiber, this.label, () => method(payload)))).pipe(
      Effect.catchCause((cause) => {
        const failure = Cause.findError(cause)
        return failure._tag === "Success" && failure.success instanceof ClusterFailure ? Effect.fail(failure.success) : this.translate(cause, rpc)
      }),
      // Replies from a runner were decoded with this node's schema; a reply from this very
      // runner was not serialized: checked here the same way.
      Effect.flatMap((reply) =>
        Schema.is(rpc.successSchema)(reply)
          ? Effect.succeed(reply)
          : Effect.fail(new MalformedMessage({ target: this.label, direction: "reply", detail: `the reply to ${rpc._tag} does not match its schema` }))
      )
    )
    if (millis === Infinity) return sent
    return Effect.flatMap(
      Effect.timeoutOption(sent, Duration.millis(millis)),
      (reply) =>
        Option.isSome(reply)
          ? Effect.succeed(reply.value)
          : Effect.fail(new Errors.CallTimeout({ target: this.label, timeoutMillis: millis }))
    )
  }

  cast(message: unknown): Effect.Effect<void> {
    const rpc = this.requestOf(message)
    if (rpc === undefined) return Effect.void
    const method = this.client[rpc._tag]
    const payload = payloadOf(message)
    // A cast never fails (OTP drops one it cannot deliver); it returns once the owning runner
    // has the message, waiting while the entity's shard has no owner, or at once (dropped)
    // when the runner check says there is no runner at all.
    const check = this.runnerCheck
    return (check === undefined
      ? Effect.suspend(() => method(payload, { discard: true }))
      : Effect.withFiber((fiber) => check.around(fiber, this.label, () => method(payload, { discard: true })))).pipe(
      Effect.catchCause((cause) => Effect.logDebug(`cast to ${this.label} dropped`, cause))
    )
  }

  /** The entity's incarnations and exits, as long as the stream lasts. */
  get watch(): Stream.Stream<MonitorEvent, unknown> {
    // The monitor's request is a stream: its client method answers with a Stream (which the
    // erased type of the protocol cannot say), whose events the client decoded.
    const events: unknown = this.client[monitorTag](undefined)
    if (!isClientStream(events)) return Stream.die(new Error(`effect-otp: the monitor of ${this.label} did not answer with a stream`))
    return Stream.mapEffect(events, (event) =>
      isMonitorEvent(event)
        ? Effect.succeed(event)
        : Effect.die(new Error(`effect-otp: a monitor event of ${this.label} does not match its schema`)))
  }
}

/**
 * A stream a client method answered with. It needs no services: the sharded client runs it with
 * its own (which `Stream.isStream`, checking only that it is a stream, cannot say).
 */
const isClientStream = (u: unknown): u is Stream.Stream<unknown, unknown> => Stream.isStream(u)

const tagOf = (message: unknown): unknown =>
  typeof message === "object" && message !== null && "_tag" in message ? message._tag : undefined

const payloadOf = (message: unknown): unknown =>
  typeof message === "object" && message !== null && "payload" in message ? message.payload : undefined

/**
 * A reference to the entity `id` of `entity`, for `GenServer.call` and `GenServer.cast` (and
 * {@link monitor}) from any node of the cluster, this one included. Addressing it activates the
 * entity where its shard lives.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Get = Rpc.make("Get", { success: Schema.Number })
 * const Counter = GenServer.make({
 *   name: "Counter",
 *   calls: [Get],
 *   init: (_id: string) => GenServer.ok(0),
 *   handleCall: { Get: (_, n) => GenServer.reply(n, n) }
 * })
 * const Counters = Cluster.entity(Counter)
 *
 * const read = Effect.gen(function*() {
 *   const counter = yield* Cluster.ref(Counters, "a")
 *   return yield* GenServer.call(counter, Get) // Effect<number, CallError | RemoteError | ...>
 * })
 * ```
 *
 * @category clients
 * @since 0.1.0
 */
export const ref = <M extends GenServer.Any, R>(
  entity: Entity<M, R>,
  id: string
): Effect.Effect<GenServer.Server<M, RemoteError>, never, Sharding.Sharding> =>
  Effect.map(client(entity), (make) => make(id))

/**
 * References to the ids of `entity`: {@link ref} for many ids, sharing one cluster client.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer, Node } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })
 * const Counter = GenServer.make({
 *   name: "Counter",
 *   calls: [Add],
 *   init: (_id: string) => GenServer.ok(0),
 *   handleCall: { Add: ({ by }, n) => GenServer.reply(n + by, n + by) }
 * })
 * const Counters = Cluster.entity(Counter)
 * const addToAll = (ids: ReadonlyArray<string>) => Effect.gen(function*() {
 *   const counterOf = yield* Cluster.client(Counters) // one lookup, then a ref per id
 *   return yield* Effect.forEach(ids, (id) => GenServer.call(counterOf(id), Add, { by: 1 }))
 * })
 * ```
 *
 * @category clients
 * @since 0.1.0
 */
export const client = <M extends GenServer.Any, R>(
  entity: Entity<M, R>
): Effect.Effect<(id: string) => GenServer.Server<M, RemoteError>, never, Sharding.Sharding> =>
  Effect.gen(function*() {
    const sharding = yield* Sharding.Sharding
    const makeClient = yield* sharding.makeClient(entity.entity)
    const runners = yield* Effect.serviceOption(Runners.Runners)
    const storage = yield* Effect.serviceOption(RunnerStorage.RunnerStorage)
    const check = Option.isSome(storage) ? new RunnerCheck(storage.value) : undefined
    const requests = entity.entity.protocol.requests
    return (id: string) => ({
      target: new ClusterTarget(entity.type, id, requests, makeClient(id), runners, check),
      pid: undefined
    })
  })

/**
 * Whether `server` is a cluster reference (made by {@link ref}).
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer, Node } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })
 * const Counter = GenServer.make({
 *   name: "Counter",
 *   calls: [Add],
 *   init: (_id: string) => GenServer.ok(0),
 *   handleCall: { Add: ({ by }, n) => GenServer.reply(n + by, n + by) }
 * })
 * const Counters = Cluster.entity(Counter)
 * const where = (server: GenServer.Server<typeof Counter, unknown>) => Cluster.isRef(server) ? "cluster" : "local"
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isRef = (server: GenServer.Server<unknown, unknown>): boolean => server.target instanceof ClusterTarget

/**
 * The entity id of a cluster reference.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Rpc } from "effect/rpc"
 * import { GenServer, Node } from "effect-otp"
 * import { Cluster } from "effect-otp/cluster"
 *
 * const Add = Rpc.make("Add", { payload: { by: Schema.Number }, success: Schema.Number })
 * const Counter = GenServer.make({
 *   name: "Counter",
 *   calls: [Add],
 *   init: (_id: string) => GenServer.ok(0),
 *   handleCall: { Add: ({ by }, n) => GenServer.reply(n + by, n + by) }
 * })
 * const Counters = Cluster.entity(Counter)
 * const idOf = Effect.map(Cluster.ref(Counters, "visits"), Cluster.entityId) // Option.some("visits")
 * ```
 *
 * @category clients
 * @since 0.1.0
 */
export const entityId = (server: GenServer.Server<unknown, RemoteError>): Option.Option<string> =>
  server.target instanceof ClusterTarget ? Option.some(server.target.id) : Option.none()
