/**
 * A system request, as `lib/Sys.ts` makes it: the request carries its own answer, so that the
 * generic loop (`lib/internal/loop.ts`) hands every request it gets to that answer and knows
 * none of them. A new system request is a subclass in `lib/Sys.ts` and the function that sends
 * it, nothing else. Anything else sent as a system message (an untyped caller's `{ _tag }`, a
 * string) is no `SystemRequest`: the loop answers it with `UnknownRequest`.
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import type * as ExitReason from "../ExitReason.js"
import type { From } from "../Gen.js"
import type { LoopImpl } from "./loop.js"

export abstract class SystemRequest {
  /** The request's name, as `SysError.request`, `UnknownRequest` and the telemetry spans show it. */
  abstract readonly _tag: string
  /**
   * Answers the request for the process of `loop`, on its fiber, through `from`. Returns the
   * exit reason when the request ends the process (after `terminate` ran), `undefined`
   * otherwise.
   */
  abstract answer(loop: LoopImpl, from: From): Effect.Effect<ExitReason.ExitReason | undefined, unknown, unknown>
}
