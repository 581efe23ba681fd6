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
import { castMessage } from "../../lib/internal/gen.js"
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

/** `Agent.get`, `update` and `getAndUpdate`: a call of `new Request(tag, f)`. */
export const call = (operation: "Get" | "Update" | "GetAndUpdate", target: Target, f: unknown, options: CallOptions | undefined) =>
  typeof f !== "function"
    ? Effect.fail(notFunction(`Agent.${operation === "Get" ? "get" : operation === "Update" ? "update" : "getAndUpdate"}`, f))
    : Gen.call(target, new Request(operation, f), options)

/** `Agent.cast`: a non-function is a defect (only an untyped caller gets there; a cast has no error channel). */
export const cast = (target: Target, f: unknown): Effect.Effect<void> =>
  typeof f !== "function" ? Effect.die(notFunction("Agent.cast", f)) : castMessage(target, new Gen.CastMessage(new Request("Cast", f)))
