/**
 * The module to edit while `main.ts` runs under `effect-otp dev`: a counter GenServer.
 *
 * Version 1 keeps a number. Save a version 2 of this file (see README.md) and the running
 * counter is upgraded in place: same process, same mailbox, its count migrated by the new
 * version's `codeChange`.
 */
import { Schema } from "effect"
import { Rpc } from "effect/rpc"
import { GenServer } from "../../index.js"

/** Cast: count one more. */
export const Tick = Rpc.make("Tick")

/** Call: what the counter has to say about itself. */
export const Get = Rpc.make("Get", { success: Schema.String })

export const Counter = GenServer.make({
  name: "Counter",
  version: "1",
  calls: [Get],
  casts: [Tick],
  init: (start: number) => GenServer.ok(start),
  handleCall: {
    Get: (_, count) => GenServer.reply(`count=${count} (v1)`, count)
  },
  handleCast: {
    Tick: (_, count) => GenServer.noreply(count + 1)
  }
})
