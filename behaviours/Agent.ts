/**
 * Agent: state behind a process, read and changed by functions that run inside it (Elixir's
 * `Agent`).
 *
 * An agent is the smallest server there is: its state is whatever its init function returns,
 * and every request carries the function to apply to it. {@link get} runs a function on the
 * state and returns its result; {@link update} replaces the state with a function's result;
 * {@link getAndUpdate} does both at once; {@link cast} updates without waiting. The functions
 * run one after another, inside the agent's process, so no two see the state at once.
 *
 * ## A counter
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Agent, Node, Supervisor } from "effect-otp"
 *
 * const program = Effect.gen(function*() {
 *   const counter = yield* Agent.start(() => 0, { name: "counter" }) // Agent<number>
 *   yield* Agent.update(counter, (n) => n + 1)
 *   yield* Agent.cast(counter, (n) => n * 10)
 *   const before = yield* Agent.getAndUpdate(counter, (n) => [n, 0] as const) // 10
 *   const now = yield* Agent.get(counter, (n) => n) // 0
 *   return [before, now]
 * })
 *
 * // Under a supervisor: restarted with its initial state when it crashes.
 * const tree = Supervisor.start([Agent.childSpec(() => new Map<string, number>(), { name: "scores" })])
 *
 * Effect.runPromise(program.pipe(Effect.provide(Node.layer())))
 * ```
 *
 * ## When to use it
 *
 * For state that several processes share and that needs no protocol of its own: a cache, a
 * counter, a configuration read at run time. The functions run in the agent, so keep them
 * short: a slow `get` holds every other caller, and anything costly should be computed by the
 * caller before an `update` (or after a `get`). Once the state needs its own requests,
 * timeouts or messages, write a `GenServer`; for state one fiber tree shares without a process,
 * a `Ref` is enough.
 *
 * ## Faults
 *
 * - A function that throws crashes the agent, as an exception in Elixir's agent exits it: the
 *   caller of `get`, `update` or `getAndUpdate` gets `CallExit` with the crash; a supervisor
 *   restarts the agent with its initial state. A cast's function that throws crashes it too.
 * - `getAndUpdate`'s function must return a pair `[result, newState]`; anything else stops the
 *   agent with `Errors.BadReturnValue` (Elixir: `{bad_return_value, Other}`), and the caller gets
 *   `CallExit` with it.
 * - An init function that throws fails the start with `InitFailed`.
 * - From untyped code, a function that is not one fails `get`, `update`, `getAndUpdate` and the
 *   start with `BadArgument` before anything is sent (Elixir: `FunctionClauseError`); `cast`
 *   dies with it (it has no error channel). So does an agent argument that is neither an
 *   `Agent` nor a pid or name: a pid or a name given directly reaches the agent, as Elixir's
 *   functions take one.
 *
 * ## How it maps to Elixir, and where it differs
 *
 * | Elixir                                      | effect-otp                                   |
 * |---------------------------------------------|----------------------------------------------|
 * | `Agent.start(fun, name: n)` / `start_link`  | `Agent.start(f, { name })` / {@link startLink} |
 * | `{Agent, fun}` in a supervisor              | {@link childSpec}`(f, options)`               |
 * | `Agent.get(a, fun, timeout)`                | `Agent.get(a, f, { timeout })`                |
 * | `Agent.update` returns `:ok`                | `Agent.update` returns `void`                 |
 * | `Agent.get_and_update(a, fun)`: `{get, new}`  | `Agent.getAndUpdate(a, f)`: `[get, next]`      |
 * | `Agent.cast(a, fun)`                        | `Agent.cast(a, f)`                            |
 * | `Agent.stop(a, reason, timeout)`            | `Agent.stop(a, { reason, timeout })`          |
 * | timeout: the caller exits                   | typed `CallTimeout` (5 s by default, as Elixir) |
 * | the agent exits during a call: the caller exits | typed `CallExit` (or `NoProc` if it was not there) |
 *
 * Not here: the module-function-arguments forms (`Agent.get(a, M, :f, args)`: a closure does
 * it), and `:sys.change_code` with a function as its extra argument (an agent's state is kept
 * as it is across a code change).
 *
 * Built on `GenServer` (as Elixir's on `GenServer`): `Sys.getState(agent.target)` shows the
 * state, and the agent's error report is a generic server's.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { BadArgument, CallError } from "../lib/Errors.js"
import type { ExitReason } from "../lib/ExitReason.js"
import type { CallOptions, StartError, StartOptions, Target } from "../lib/Gen.js"
import type { Node } from "../lib/Node.js"
import { isPid, type Pid } from "../lib/Pid.js"
import type { CurrentProcess } from "../lib/Process.js"
import { type ChildSpec, type Options as ChildSpecOptions, worker } from "./ChildSpec.js"
import * as GenServer from "./GenServer.js"
import * as internal from "./internal/agent.js"

/**
 * A running agent whose state is an `S`: what {@link start} returns, and {@link ref} makes
 * from a name.
 *
 * @category models
 * @since 0.1.0
 */
export interface Agent<in out S> {
  /** Where requests go: a pid, a name or a via name. */
  readonly target: Target
  /** The pid it was started with (`undefined` for a reference made from a name). */
  readonly pid: Pid | undefined
  /** Type only (no value at run time): the state's type. */
  readonly "~effect-otp/Agent"?: { readonly _S: (_: S) => S } | undefined
}

const make = <S>(target: Target, pid: Pid | undefined): Agent<S> => ({ target, pid })

/**
 * A reference to the agent at `target` whose state is an `S`, e.g. one started elsewhere
 * under a name. The state's type is the caller's word: nothing checks it.
 *
 * @example
 * ```ts
 * import { Agent } from "effect-otp"
 *
 * const scores = Agent.ref<Map<string, number>>("scores")
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const ref = <S>(target: Target): Agent<S> => make(target, isPid(target) ? target : undefined)

const started = <S>(
  init: () => S,
  options: StartOptions | undefined,
  link: boolean
): Effect.Effect<Agent<S>, StartError, any> => {
  if (typeof init !== "function") return Effect.fail(internal.notFunction("Agent.start", init))
  const start = link ? GenServer.startLink : GenServer.start
  return Effect.map(start(internal.module, init, options), (server) => make<S>(server.target, server.pid))
}

/**
 * Starts an agent whose state is what `init` returns, run inside the new process (Elixir's
 * `Agent.start`); returns once it ran. Fails with `InitFailed` if `init` throws,
 * `AlreadyStarted` if the name is taken, `InitTimeout` after `timeout` (default 5 s).
 *
 * @example
 * ```ts
 * import { Agent } from "effect-otp"
 *
 * const cache = Agent.start(() => new Map<string, string>(), { name: "cache" })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const start = <S>(init: () => S, options?: StartOptions): Effect.Effect<Agent<S>, StartError, Node> =>
  started(init, options, false)

/**
 * Like {@link start}, linked to the calling process (Elixir's `Agent.start_link`): how a
 * supervisor starts it.
 *
 * @example
 * ```ts
 * import { Agent } from "effect-otp"
 *
 * const counter = Agent.startLink(() => 0)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const startLink = <S>(
  init: () => S,
  options?: StartOptions
): Effect.Effect<Agent<S>, StartError, Node | CurrentProcess> => started(init, options, true)

/**
 * The child spec that starts an agent under a supervisor with {@link startLink} (Elixir's
 * `{Agent, fun}`): id `"Agent"` unless given, restart `permanent`, shutdown 5000 ms. A restart
 * runs `init` again.
 *
 * @example
 * ```ts
 * import { Agent, Supervisor } from "effect-otp"
 *
 * const tree = Supervisor.start([Agent.childSpec(() => 0, { id: "hits", name: "hits" })])
 * ```
 *
 * @category supervision
 * @since 0.1.0
 */
export const childSpec = <S>(init: () => S, options?: StartOptions & ChildSpecOptions): ChildSpec =>
  worker(options?.id ?? "Agent", Effect.map(startLink(init, options), (agent) => agent.pid!), {
    modules: ["Agent"],
    ...options
  })

/**
 * Runs `f` on the agent's state, inside the agent, and returns its result; the state stays as
 * it is (Elixir's `Agent.get`). Fails with `CallTimeout` after `timeout` (default 5 s),
 * `NoProc` if no agent is there, `CallExit` if the agent exits first (also when `f` throws: the
 * agent crashes).
 *
 * @example
 * ```ts
 * import { Agent } from "effect-otp"
 *
 * declare const scores: Agent.Agent<Map<string, number>>
 * const alice = Agent.get(scores, (m) => m.get("alice") ?? 0, { timeout: "1 second" }) // Effect<number, ...>
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const get = <S, A>(
  agent: Agent<S>,
  f: (state: S) => A,
  options?: CallOptions
): Effect.Effect<A, CallError | BadArgument> => internal.call("Get", agent, f, options) as any

/**
 * Replaces the agent's state with `f(state)`, run inside the agent, and waits until it is done
 * (Elixir's `Agent.update`). Fails as {@link get} fails.
 *
 * @example
 * ```ts
 * import { Agent } from "effect-otp"
 *
 * declare const counter: Agent.Agent<number>
 * const increment = Agent.update(counter, (n) => n + 1)
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const update = <S>(
  agent: Agent<S>,
  f: (state: S) => NoInfer<S>,
  options?: CallOptions
): Effect.Effect<void, CallError | BadArgument> => internal.call("Update", agent, f, options) as any

/**
 * Runs `f` on the agent's state, which returns `[result, newState]`: the agent keeps
 * `newState` and the caller gets `result` (Elixir's `Agent.get_and_update`). Anything but a
 * pair stops the agent with `BadReturnValue`. Fails as {@link get} fails.
 *
 * @example
 * ```ts
 * import { Agent } from "effect-otp"
 *
 * declare const queue: Agent.Agent<ReadonlyArray<string>>
 * const next = Agent.getAndUpdate(queue, (q) => [q[0], q.slice(1)] as const) // Effect<string | undefined, ...>
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const getAndUpdate = <S, A>(
  agent: Agent<S>,
  f: (state: S) => readonly [A, NoInfer<S>],
  options?: CallOptions
): Effect.Effect<A, CallError | BadArgument> => internal.call("GetAndUpdate", agent, f, options) as any

/**
 * Replaces the agent's state with `f(state)` without waiting (Elixir's `Agent.cast`): never
 * fails, dropped if no agent is there.
 *
 * @example
 * ```ts
 * import { Agent } from "effect-otp"
 *
 * declare const counter: Agent.Agent<number>
 * const reset = Agent.cast(counter, () => 0)
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const cast = <S>(agent: Agent<S>, f: (state: S) => NoInfer<S>): Effect.Effect<void> => internal.cast(agent, f)

/**
 * Stops the agent with `reason` (default `normal`) and waits until it exited (`timeout`
 * default `"infinity"`), as Elixir's `Agent.stop`; `CallExit` if it exited with another reason,
 * `NoProc` if it was not there.
 *
 * @example
 * ```ts
 * import { Agent, ExitReason } from "effect-otp"
 *
 * declare const counter: Agent.Agent<number>
 * const done = Agent.stop(counter, { reason: ExitReason.shutdown(), timeout: "5 seconds" })
 * ```
 *
 * @category client
 * @since 0.1.0
 */
export const stop = (
  agent: Agent<any> | Target,
  options?: { readonly reason?: ExitReason | undefined; readonly timeout?: Duration.Input | "infinity" | undefined }
): Effect.Effect<void, CallError> =>
  GenServer.stop(typeof agent === "object" && agent !== null && "target" in agent && !isPid(agent) ? agent.target : agent as Target, options)
