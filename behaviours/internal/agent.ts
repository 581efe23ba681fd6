/**
 * Agent as a GenServer module (Elixir's `Agent.Server`): its state is the agent's, and each
 * request carries the function to run on it. The requests travel as the GenServer's own
 * `Request` (tag and payload), the function as the payload: one object per request besides the
 * call itself, as a `GenServer.call` with a payload.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { BadArgument, BadReturnValue } from "../../lib/Errors.js"
import * as ExitReason from "../../lib/ExitReason.js"
import * as Gen from "../../lib/Gen.js"
import type { CallOptions, Target } from "../../lib/Gen.js"
import { format } from "../../lib/internal/format.js"
import { castMessage, isRemote, isVia } from "../../lib/internal/gen.js"
import { isPid } from "../../lib/Pid.js"
import * as GenServer from "../GenServer.js"
import { Request } from "./server.js"

type Fn = (state: unknown) => unknown

/** The agent's module: one for every agent (Elixir's `Agent.Server`). */
export const module = GenServer.make({
  name: "Agent",
  init: (init: () => unknown) => GenServer.ok(init()),
  handleCall: {
    Get: (f: Fn, state: unknown) => GenServer.reply(f(state), state),
    Update: (f: Fn, state: unknown) => GenServer.reply(undefined, f(state)),
    GetAndUpdate: (f: Fn, state: unknown) => {
      const result = f(state)
      // Elixir's Agent.Server stops with `{bad_return_value, Other}` for anything but a pair.
      if (!Array.isArray(result) || result.length !== 2) {
        return GenServer.stopWith(
          ExitReason.fail(new BadReturnValue({ module: "Agent", callback: "getAndUpdate", value: result })),
          state
        )
      }
      return GenServer.reply(result[0], result[1])
    }
  },
  handleCast: {
    Cast: (f: Fn, state: unknown) => GenServer.noreply(f(state))
  }
} as any) as unknown as GenServer.Module<() => unknown, unknown, never, never, never>

export const notFunction = (operation: string, f: unknown): BadArgument =>
  new BadArgument({ operation, reason: `expected a function of the state, got ${f === null ? "null" : typeof f}` })

/**
 * Where an agent argument points: an `Agent` handle's target, or, from an untyped caller, a pid,
 * a name or a via name given directly (as Elixir's functions take a pid or a name); `undefined`
 * for anything else.
 */
const targetOf = (agent: unknown): Target | undefined => {
  if (typeof agent === "string") return agent.length > 0 ? agent : undefined
  if (typeof agent !== "object" || agent === null) return undefined
  if (isPid(agent) || isRemote(agent) || isVia(agent as Target)) return agent as Target
  return "target" in agent ? targetOf(agent.target) : undefined
}

const notAgent = (operation: string, agent: unknown): BadArgument =>
  new BadArgument({ operation, reason: `expected an agent (Agent.start, Agent.ref), a pid or a name, got ${format(agent)}` })

const operationName = { Get: "Agent.get", Update: "Agent.update", GetAndUpdate: "Agent.getAndUpdate" } as const

/** `Agent.get`, `update` and `getAndUpdate`: a call of `new Request(tag, f)`. */
export const call = (operation: "Get" | "Update" | "GetAndUpdate", agent: unknown, f: unknown, options: CallOptions | undefined) => {
  const target = targetOf(agent)
  if (target === undefined) return Effect.fail(notAgent(operationName[operation], agent))
  return typeof f !== "function"
    ? Effect.fail(notFunction(operationName[operation], f))
    : Gen.call(target, new Request(operation, f), options)
}

/** `Agent.cast`: a bad argument is a defect (only an untyped caller gets there; a cast has no error channel). */
export const cast = (agent: unknown, f: unknown): Effect.Effect<void> => {
  const target = targetOf(agent)
  if (target === undefined) return Effect.die(notAgent("Agent.cast", agent))
  return typeof f !== "function" ? Effect.die(notFunction("Agent.cast", f)) : castMessage(target, new Gen.CastMessage(new Request("Cast", f)))
}
