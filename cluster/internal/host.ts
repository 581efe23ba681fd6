/**
 * The hosting side of an entity type: the layer that registers it with `Sharding`, and the
 * activation of one entity id on this runner, from its first message to its passivation. The
 * activation starts the GenServer (restoring its durable state), hands it the requests in
 * order, saves its state at the save points, reports its exits to monitors, and stops it when
 * the cluster passivates the entity.
 */
import * as Cause from "effect/Cause"
import * as EffectEntity from "effect/cluster/Entity"
import type * as Envelope from "effect/cluster/Envelope"
import type * as RunnerAddress from "effect/cluster/RunnerAddress"
import type * as Sharding from "effect/cluster/Sharding"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberMap from "effect/FiberMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import { Errors, ExitReason, GenServer, type Node, type Pid, Process, Sys } from "effect-otp"
import { watchExit } from "../../lib/internal/direct.js"
import { StateStorage } from "./storage.js"
import {
  type AnyRequest,
  type Durable,
  type Entity,
  EntityFailure,
  type MonitorEvent,
  monitorTag,
  reasonToWire,
  requestsIn
} from "./wire.js"


/**
 * Serves the entity type on this runner: registers it with `Sharding`, so this runner hosts
 * the ids of the shards it owns. Needs a `Node` (the servers are processes of it), the
 * module's services, and a {@link StateStorage} when durable.
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
 * // This node hosts Counters: the ids whose shards it owns run here.
 * const hosting = Cluster.layer(Counters, { maxIdleTime: "30 seconds" })
 * ```
 *
 * @category hosting
 * @since 0.1.0
 */
export const layer = <M extends GenServer.Any, R>(
  entity: Entity<M, R>,
  options?: {
    /** Passivate an entity after this long without messages (default: the cluster's `entityMaxIdleTime`, 1 minute). */
    readonly maxIdleTime?: Duration.Input | undefined
    /** Requests an entity may have in flight (default: the cluster's `entityMailboxCapacity`). */
    readonly mailboxCapacity?: number | "unbounded" | undefined
  }
): Layer.Layer<never, never, Sharding.Sharding | Node.Node | R | Exclude<Entity.Services<M>, Process.CurrentProcess>> =>
  Layer.unwrap(Effect.gen(function*() {
    const storage = yield* storageOf(entity)
    const pending = yield* FiberMap.make<string, void, never>()
    const deletions: Deletions = { pending, run: yield* FiberMap.runtime(pending)<never>() }
    return entity.entity.toLayerQueue(
      Effect.gen(function*() {
        const address = yield* EffectEntity.CurrentAddress
        const runner = yield* EffectEntity.CurrentRunnerAddress
        const scope = yield* Effect.scope
        const activation = new Activation(entity, String(address.entityId), runner, storage, scope, deletions)
        yield* Effect.addFinalizer(() => activation.passivate)
        return (queue: Queue.Dequeue<Envelope.Request<AnyRequest>>, replier: EffectEntity.Replier<AnyRequest>) =>
          activation.serve(queue, replier)
      }),
      {
        maxIdleTime: options?.maxIdleTime,
        mailboxCapacity: options?.mailboxCapacity,
        // A failing request must not restart (and replay) the whole entity: failures are replies.
        disableFatalDefects: true
      }
    )
  }))

/**
 * The deletions of durable state in progress on this runner, by entity id, one table per hosted
 * entity type: an activation waits for its id's before it loads the state, and a passivation
 * before it lets the shard go, so that no activation (here, or on the shard's next owner)
 * restores a state being deleted. An idle entity's next activation may start while the last
 * one is still closing, so the table belongs to the layer, not to an activation; its fibers
 * run in the layer's scope, with its services (logger included).
 */
interface Deletions {
  readonly pending: FiberMap.FiberMap<string, void, never>
  readonly run: (id: string, deletion: Effect.Effect<void>) => Fiber.Fiber<void>
}

/** Waits for the deletion of `id`'s state, if one is in progress. */
const awaitDeletion = (deletions: Deletions, id: string): Effect.Effect<void> => {
  const pending = FiberMap.getUnsafe(deletions.pending, id)
  return Option.isSome(pending) ? Fiber.join(pending.value) : Effect.void
}

/**
 * The state storage of a durable entity type. The type of {@link layer} asks for it whenever
 * the entity is durable; a caller that got past the types without one gets a defect that says
 * what is missing, as the layer is built.
 */
const storageOf = (entity: Entity<GenServer.Any, unknown>): Effect.Effect<StateStorage.Shape | undefined> =>
  entity.options.durable === undefined
    ? Effect.succeed(undefined)
    : Effect.flatMap(Effect.serviceOption(StateStorage), (storage) =>
      Option.isSome(storage)
        ? Effect.succeed(storage.value)
        : Effect.die(
          new Error(
            `effect-otp: the entity type ${entity.type} is durable and needs a StateStorage ` +
              `(Cluster.layerStateSql or Cluster.layerStateMemory)`
          )
        ))

/** One live incarnation of the entity's server. */
interface Incarnation {
  /** Names this incarnation among every incarnation of the entity, on every runner. */
  readonly id: string
  readonly server: GenServer.Server<GenServer.Any>
  readonly pid: Pid.Pid
  exit: ExitReason.ExitReason | undefined
  readonly onExit: Set<(reason: ExitReason.ExitReason) => void>
  /** Messages handled since the last save. */
  unsaved: number
}

/** The hosting side of one entity id on this runner, from activation to passivation. */
class Activation<M extends GenServer.Any> {
  readonly type: string
  readonly label: string
  readonly requests: ReadonlyMap<string, AnyRequest>
  readonly callTags: ReadonlySet<string>
  readonly durable: Durable<Entity.State<M>> | undefined
  readonly codec: Schema.Codec<Entity.State<M>, unknown> | undefined
  incarnation: Incarnation | undefined = undefined
  /** Incarnations started by this activation (part of their ids). */
  incarnations = 0
  version = 0
  /** The JSON last saved (or restored): an unchanged state is not written again. */
  lastSaved: string | undefined = undefined
  passivating = false
  readonly saving = Semaphore.makeUnsafe(1)
  readonly monitors = new Set<Queue.Queue<MonitorEvent, EntityFailure | Cause.Done>>()

  constructor(
    readonly entity: Entity<M, unknown>,
    readonly id: string,
    readonly runner: RunnerAddress.RunnerAddress,
    readonly storage: StateStorage.Shape | undefined,
    readonly scope: Scope.Scope,
    readonly deletions: Deletions
  ) {
    this.type = entity.type
    this.label = `${entity.type}/${id}`
    this.requests = entity.entity.protocol.requests
    const module = entity.module
    this.callTags = new Set(requestsIn("calls" in module ? module.calls : undefined).map((rpc) => rpc._tag))
    this.durable = entity.options.durable
    this.codec = this.durable === undefined ? undefined : Schema.toCodecJson(this.durable.schema)
  }

  /** The loop of the entity: takes requests in arrival order and delivers them in that order. */
  serve(
    queue: Queue.Dequeue<Envelope.Request<AnyRequest>>,
    replier: EffectEntity.Replier<AnyRequest>
  ): Effect.Effect<never, never, Node.Node | Exclude<Entity.Services<M>, Process.CurrentProcess>> {
    const self = this
    return Effect.gen(function*() {
      while (true) {
        const request = yield* Queue.take(queue)
        // A defect handling one request fails that request, not the loop (which would leave
        // every later request of the entity unanswered).
        yield* self.handle(request, replier).pipe(
          Effect.catchCause((cause) =>
            Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : replier.failCause(request, cause)
          )
        )
      }
    })
  }

  handle(
    request: Envelope.Request<AnyRequest>,
    replier: EffectEntity.Replier<AnyRequest>
  ): Effect.Effect<void, never, Node.Node | Exclude<Entity.Services<M>, Process.CurrentProcess>> {
    const self = this
    return Effect.gen(function*() {
      if (request.tag === monitorTag) return yield* self.monitor(request, replier)
      const rpc = self.requests.get(request.tag)
      if (rpc === undefined) return yield* replier.fail(request, self.failure("UnknownRequest", request.tag))
      // Checked against this node's own schema: a message from a node of another version is
      // refused, never delivered (across runners the cluster already decoded it with it).
      if (!Schema.is(rpc.payloadSchema)(request.payload)) {
        return yield* replier.fail(
          request,
          self.failure("RequestInvalid", `the payload of ${request.tag} does not match its schema`)
        )
      }
      const started = yield* Effect.result(self.ensureStarted)
      if (started._tag === "Failure") return yield* replier.fail(request, started.failure)
      const incarnation = started.success
      if (self.callTags.has(request.tag)) {
        // Delivered synchronously by the fork (before the loop takes the next request), then
        // answered whenever the server replies: calls are pipelined, in order.
        yield* Effect.forkIn(
          self.call(incarnation, rpc, request, replier).pipe(
            Effect.catchCause((cause) =>
              Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : replier.failCause(request, cause)
            )
          ),
          self.scope,
          { startImmediately: true }
        )
        return
      }
      yield* GenServer.cast(incarnation.server, rpc, request.payload)
      incarnation.unsaved++
      if (!self.mustSave(incarnation)) return yield* replier.succeed(request, undefined)
      yield* Effect.forkIn(
        Effect.flatMap(Effect.result(self.save(incarnation)), () => replier.succeed(request, undefined)),
        self.scope,
        { startImmediately: true }
      )
    })
  }

  mustSave(incarnation: Incarnation): boolean {
    const policy = this.durable?.save ?? "message"
    if (this.durable === undefined || policy === "passivation") return false
    if (policy === "message") return true
    return incarnation.unsaved >= Math.max(1, policy.everyMessages)
  }

  failure(kind: EntityFailure["kind"], detail: string, reason?: ExitReason.ExitReason): EntityFailure {
    return new EntityFailure(reason === undefined ? { kind, detail } : { kind, detail, reason: reasonToWire(reason) })
  }

  /** Starts the server if no incarnation is alive: restores durable state, runs `init`. */
  get ensureStarted(): Effect.Effect<Incarnation, EntityFailure, Node.Node | Exclude<Entity.Services<M>, Process.CurrentProcess>> {
    const self = this
    return Effect.gen(function*() {
      const current = self.incarnation
      if (current !== undefined && current.exit === undefined && (yield* Process.isAlive(current.pid))) return current
      yield* awaitDeletion(self.deletions, self.id)
      let restored: Option.Option<Entity.State<M>> = Option.none()
      self.version = 0
      self.lastSaved = undefined
      const codec = self.codec
      if (self.storage !== undefined && codec !== undefined) {
        const stored = yield* self.storage.load(self.type, self.id).pipe(
          Effect.mapError((e) => self.failure("PersistenceError", String(e.cause)))
        )
        if (Option.isSome(stored)) {
          const decoded = yield* Effect.exit(Effect.suspend(() =>
            Schema.decodeUnknownEffect(codec)(JSON.parse(stored.value.state))
          ))
          if (Exit.isFailure(decoded)) {
            return yield* self.failure(
              "Exit",
              `the stored state of ${self.label} does not decode`,
              ExitReason.crash(decoded.cause)
            )
          }
          restored = Option.some(decoded.value)
          self.version = stored.value.version
          self.lastSaved = stored.value.state
        }
      }
      const options = self.entity.options
      // Without `args`, `Cluster.entity`'s overloads admit only a module whose `init` takes a
      // string: the id is its argument.
      const args = options.args === undefined ? self.id as Entity.Args<M> : options.args(self.id, restored)
      const started = yield* Effect.exit(GenServer.start(self.entity.module, args, { timeout: options.initTimeout }))
      if (Exit.isFailure(started)) {
        const error = Cause.findError(started.cause)
        if (error._tag === "Success") {
          const e = error.success
          if (e._tag === "InitIgnored") return yield* self.failure("NoProc", `init of ${self.label} returned ignore`)
          if (e._tag === "InitFailed") return yield* self.failure("Exit", `init of ${self.label} failed`, e.reason)
        }
        return yield* self.failure("Exit", `init of ${self.label} failed`, ExitReason.crash(started.cause))
      }
      const server: GenServer.Server<GenServer.Any> = started.value
      const pid = server.pid
      // A server `start` returns always has its pid.
      if (pid === undefined) return yield* self.failure("Exit", `${self.label} has no pid`, ExitReason.noproc)
      const nonce = yield* Random.nextIntBetween(0, Number.MAX_SAFE_INTEGER)
      const incarnation: Incarnation = {
        // Unique across runners and restarts of a runner (which may reuse its node name and pids).
        id: `${pid.node}#${pid.id}#${++self.incarnations}#${nonce.toString(36)}`,
        server,
        pid,
        exit: undefined,
        onExit: new Set(),
        unsaved: 0
      }
      self.incarnation = incarnation
      const watching = watchExit(pid, (reason) => self.exited(incarnation, reason))
      if (watching === undefined) self.exited(incarnation, ExitReason.noproc)
      return incarnation
    })
  }

  /** The incarnation's process exited (called inside its exit: must not block). */
  exited(incarnation: Incarnation, reason: ExitReason.ExitReason): void {
    incarnation.exit = reason
    for (const listener of incarnation.onExit) listener(reason)
    incarnation.onExit.clear()
    // A server that stopped by itself in order ended the entity's life: forget its state.
    if (!this.passivating && this.storage !== undefined && (reason._tag === "Normal" || reason._tag === "Shutdown")) {
      const storage = this.storage
      const version = this.version
      this.version = 0
      this.lastSaved = undefined
      this.deletions.run(
        this.id,
        storage.remove(this.type, this.id, version).pipe(
          Effect.catchCause((cause) => Effect.logWarning(`${this.label}: could not delete its state`, cause))
        )
      )
    }
  }

  call(
    incarnation: Incarnation,
    rpc: AnyRequest,
    request: Envelope.Request<AnyRequest>,
    replier: EffectEntity.Replier<AnyRequest>
  ): Effect.Effect<void> {
    const self = this
    return Effect.gen(function*() {
      const outcome = yield* Effect.exit(
        GenServer.call(incarnation.server, rpc, request.payload, { timeout: "infinity" })
      )
      incarnation.unsaved++
      if (Exit.isSuccess(outcome)) {
        if (!Schema.is(rpc.successSchema)(outcome.value)) {
          return yield* replier.fail(request, self.failure("ReplyInvalid", `the reply to ${request.tag} does not match its schema`))
        }
      }
      if (self.mustSave(incarnation)) {
        const saved = yield* Effect.result(self.save(incarnation))
        if (saved._tag === "Failure") return yield* replier.fail(request, saved.failure)
      }
      if (Exit.isSuccess(outcome)) return yield* replier.succeed(request, outcome.value)
      const error = Cause.findError(outcome.cause)
      if (error._tag === "Failure") return yield* replier.failCause(request, outcome.cause)
      const e = error.success
      if (e instanceof Errors.CallExit) {
        return yield* replier.fail(request, self.failure("Exit", `${self.label} exited during ${request.tag}`, e.reason))
      }
      if (e instanceof Errors.NoProc) {
        return yield* replier.fail(request, self.failure("Exit", `${self.label} exited before ${request.tag}`, ExitReason.noproc))
      }
      if (e instanceof Errors.UnknownRequest) {
        return yield* replier.fail(request, self.failure("UnknownRequest", request.tag))
      }
      if (!Schema.is(rpc.errorSchema)(e)) {
        return yield* replier.fail(request, self.failure("ReplyInvalid", `the error of ${request.tag} does not match its schema`))
      }
      return yield* replier.fail(request, e)
    })
  }

  /** Reads the server's state and saves it (compare-and-set on the version). */
  save(incarnation: Incarnation): Effect.Effect<void, EntityFailure> {
    const self = this
    return this.saving.withPermits(1)(Effect.gen(function*() {
      const codec = self.codec
      if (self.storage === undefined || codec === undefined) return
      if (incarnation.unsaved === 0 || incarnation !== self.incarnation) return
      const pending = incarnation.unsaved
      const state = yield* Effect.result(Sys.getState(incarnation.server.target))
      // A server that is gone has nothing to save: its exit decides what happens to the state.
      if (state._tag === "Failure") return
      const encoded = yield* Effect.exit(Effect.map(
        Schema.encodeUnknownEffect(codec)(state.success),
        (json) => JSON.stringify(json)
      ))
      if (Exit.isFailure(encoded)) {
        return yield* self.failure("StateInvalid", `the state of ${self.label} does not encode: ${Cause.pretty(encoded.cause)}`)
      }
      if (encoded.value === self.lastSaved) {
        incarnation.unsaved = Math.max(0, incarnation.unsaved - pending)
        return
      }
      const saved = yield* self.storage.save(self.type, self.id, encoded.value, self.version).pipe(
        Effect.mapError((e) => self.failure("PersistenceError", String(e.cause)))
      )
      if (!saved) {
        // Another activation saved a newer state: this one is stale and must not go on.
        yield* Process.exit(incarnation.pid, ExitReason.kill)
        return yield* self.failure("StateConflict", `another activation of ${self.label} saved a newer state`)
      }
      self.version++
      self.lastSaved = encoded.value
      incarnation.unsaved = Math.max(0, incarnation.unsaved - pending)
    }))
  }

  /** A monitor attaches: it gets the incarnation, then its exit. */
  monitor(
    request: Envelope.Request<AnyRequest>,
    replier: EffectEntity.Replier<AnyRequest>
  ): Effect.Effect<void, never, Node.Node | Exclude<Entity.Services<M>, Process.CurrentProcess>> {
    const self = this
    return Effect.gen(function*() {
      const queue = yield* Queue.make<MonitorEvent, EntityFailure | Cause.Done>()
      const started = yield* Effect.result(self.ensureStarted)
      if (started._tag === "Failure") {
        const failure = started.failure
        Queue.offerUnsafe(queue, {
          _tag: "Exited",
          reason: failure.reason ?? reasonToWire(failure.kind === "NoProc" ? ExitReason.noproc : ExitReason.fail(failure))
        })
        Queue.endUnsafe(queue)
        return yield* replier.succeed(request, queue)
      }
      const incarnation = started.success
      Queue.offerUnsafe(queue, {
        _tag: "Attached",
        incarnation: incarnation.id,
        node: incarnation.pid.node,
        pid: incarnation.pid.id,
        host: self.runner.host,
        port: self.runner.port
      })
      const listener = (reason: ExitReason.ExitReason) => {
        self.monitors.delete(queue)
        // A graceful stop is not an exit of the virtual process: the monitor re-attaches.
        if (!self.passivating) Queue.offerUnsafe(queue, { _tag: "Exited", reason: reasonToWire(reason) })
        Queue.endUnsafe(queue)
      }
      if (incarnation.exit !== undefined) listener(incarnation.exit)
      else {
        incarnation.onExit.add(listener)
        self.monitors.add(queue)
      }
      yield* replier.succeed(request, queue)
    })
  }

  /** The cluster stops the entity (idle, moved, runner shutting down): save, then stop the server. */
  get passivate(): Effect.Effect<void> {
    const self = this
    return Effect.gen(function*() {
      self.passivating = true
      for (const queue of self.monitors) Queue.endUnsafe(queue)
      self.monitors.clear()
      // A deletion of the state (the server stopped by itself) ends before the shard is
      // released, so that its next owner cannot restore the state being deleted.
      yield* awaitDeletion(self.deletions, self.id)
      const incarnation = self.incarnation
      if (incarnation === undefined || incarnation.exit !== undefined) return
      if (self.durable !== undefined) {
        // Counted as one pending change: a graceful stop always saves the last state.
        incarnation.unsaved++
        yield* self.save(incarnation).pipe(
          Effect.catchCause((cause) => Effect.logWarning(`${self.label}: could not save its state on passivation`, cause))
        )
      }
      yield* GenServer.stop(incarnation.server, { reason: ExitReason.shutdown(), timeout: "5 seconds" }).pipe(
        Effect.catchCause(() => Process.exit(incarnation.pid, ExitReason.kill))
      )
    })
  }
}

