/**
 * The start of a behaviour on the generic loop, shared by GenServer and StateMachine (OTP's
 * `proc_lib:init_it` under `gen_server:init_it` and `gen_statem:init_it`): resolve the current
 * version of the module, spawn (linked or not), run `init`, acknowledge, then enter the loop.
 * What `init` may return is the behaviour's: its `check` turns an `ok` into the loop's options,
 * or into the `BadReturnValue` reason a bad value stops the start with; a crash, `ignore` and a
 * `stop` with an exit reason are the same for every behaviour.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Code from "../../lib/Code.js"
import type * as ExitReason from "../../lib/ExitReason.js"
import { crash } from "../../lib/ExitReason.js"
import * as Gen from "../../lib/Gen.js"
import { isStopReason } from "../../lib/internal/loop.js"
import * as Loop from "../../lib/Loop.js"
import type { Pid } from "../../lib/Pid.js"
import * as Process from "../../lib/Process.js"

/** A module as the start sees it. */
interface Startable {
  readonly name: string
  readonly version: string
  readonly init: (args: unknown) => unknown
}

/** How to enter the loop (`Loop.enter`'s options). */
type Options = Parameters<typeof Loop.enter>[1]

/**
 * A behaviour's check of what `init` returned when it is neither `ignore` nor a stop: the loop's
 * options (the module, its first state, what to do first), or the reason the start fails with.
 */
export type Check = (module: any, init: unknown, ack: Gen.Ack, parent: Pid | undefined) => Options | ExitReason.ExitReason

/** A callback's result as an Effect (a plain value, or the Effect it returned). */
export const run = (result: unknown): Effect.Effect<unknown, unknown, unknown> =>
  Effect.isEffect(result) ? result as Effect.Effect<unknown, unknown, unknown> : Effect.succeed(result)

/**
 * What `init` needs. The process's root effect (which holds this) stays referenced for the
 * process's whole life, so `initBody` lets go of the arguments and the acknowledgement (and
 * so of the starter's state that it holds) once the process runs.
 */
class Starting {
  constructor(
    public module: Startable | undefined,
    public args: unknown,
    public ack: Gen.Ack | undefined,
    readonly parent: Pid | undefined,
    readonly check: Check
  ) {}
}

/**
 * Runs `init`; returns how to enter the loop, or `undefined` once the process acknowledged a
 * refusal: a crash or a stop with an exit reason fails the start, `ignore` declines it, anything
 * else the behaviour's `check` takes or refuses (the process then exits without running).
 */
function* initBody(this: Starting) {
  const { args, check, parent } = this
  const module = this.module!
  const ack = this.ack!
  this.module = undefined
  this.args = undefined
  this.ack = undefined
  const initResult = yield* Effect.exit(Effect.suspend(() => run(module.init(args))))
  if (Exit.isFailure(initResult)) {
    const reason = crash(initResult.cause)
    yield* ack({ _tag: "Stop", reason })
    return yield* Process.exitWith(reason)
  }
  const init = initResult.value as { readonly _tag?: unknown; readonly reason?: unknown } | null | undefined
  const tag = typeof init === "object" && init !== null ? init._tag : undefined
  if (tag === "Ignore") {
    yield* ack({ _tag: "Ignore" })
    return undefined
  }
  if (tag === "Stop" && isStopReason(init!.reason)) {
    const reason = init!.reason as ExitReason.ExitReason
    yield* ack({ _tag: "Stop", reason })
    return yield* Process.exitWith(reason)
  }
  const checked = check(module, init, ack, parent)
  if ("_tag" in checked) {
    yield* ack({ _tag: "Stop", reason: checked })
    return yield* Process.exitWith(checked)
  }
  return checked
}

/**
 * `start` and `startLink` of a behaviour: the current version of `module` (`Code.resolve`, as
 * supervisors restart children with the current code), `init` checked by `check`, then
 * `behaviour`'s loop.
 */
export const startOn = (behaviour: Loop.Behaviour<any, any, any, any>, check: Check) =>
(
  module: { readonly name: string; readonly version: string },
  args: unknown,
  options: Gen.StartOptions | undefined,
  link: boolean
): Effect.Effect<{ readonly target: Pid; readonly pid: Pid }, Gen.StartError, any> =>
  Effect.flatMap(link ? Effect.map(Process.self, (self): Pid | undefined => self) : Effect.succeed(undefined), (parent) =>
    Effect.flatMap(Code.resolve(module), (current) =>
      Effect.map(
        (link ? Gen.startLink : Gen.start)((ack) =>
          Effect.flatMap(
            Effect.gen({ self: new Starting(current as Startable, args, ack, parent, check) }, initBody),
            (options) => options === undefined ? Effect.void : Loop.enter(behaviour, options)
          ), options),
        (pid) => ({ target: pid, pid })
      )))
