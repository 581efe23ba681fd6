/**
 * The engine of `Task.asyncStream` and `TaskSupervisor.asyncStream`: runs in the consumer (the
 * owner process), which spawns at most `max` tasks at a time, takes their replies and downs by
 * selective receive, and emits results in input order or as they come. Each task has its own
 * deadline; closing the stream (the end, a failure, `Stream.take`, an interruption) stops the
 * tasks still running and takes their messages, so none is left in the owner's mailbox.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { BadArgument } from "../../lib/Errors.js"
import type * as ExitReason from "../../lib/ExitReason.js"
import { durationMillis } from "../../lib/internal/timers.js"
import type * as Process from "../../lib/Process.js"
import type { StreamOptions } from "../Task.js"
import { Many, type Outcome, receiveAny, ReplyImpl, stop, type TaskImpl } from "./task.js"

/** The checked options of a stream. */
export interface Settings {
  readonly max: number
  readonly ordered: boolean
  /** Milliseconds; Infinity for none. */
  readonly timeout: number
  readonly killOnTimeout: boolean
  readonly zipInput: boolean
}

/** A result as the stream emits it (`Task.StreamResult`). */
export type Result =
  | { readonly _tag: "Ok"; readonly value: unknown }
  | { readonly _tag: "Exit"; readonly error: unknown; readonly input?: unknown }

interface Entry {
  readonly task: TaskImpl
  readonly input: unknown
  readonly deadline: number
  result: Result | undefined
}

export const make = <I, EX>(
  items: Iterable<I>,
  settings: Settings,
  spawn: (item: I) => Effect.Effect<TaskImpl, EX, Process.CurrentProcess>,
  exitError: (task: TaskImpl, reason: ExitReason.ExitReason) => unknown,
  timeoutError: (task: TaskImpl, millis: number) => unknown
): Stream.Stream<Result, EX, Process.CurrentProcess> =>
  Stream.unwrap(Effect.gen(function*() {
    const iterator = items[Symbol.iterator]()
    let exhausted = false
    const many = new Many([])
    const running = many.pending
    const entries = new Map<TaskImpl, Entry>()
    // Ordered: every entry not emitted yet, in input order. Unordered: finished ones.
    const queue: Array<Entry> = []

    const finish = (entry: Entry, result: Result) => {
      entry.result = result
      many.delete(entry.task)
      entries.delete(entry.task)
      if (!settings.ordered) queue.push(entry)
    }
    const exitResult = (entry: Entry, error: unknown): Result =>
      settings.zipInput ? { _tag: "Exit", error, input: entry.input } : { _tag: "Exit", error }
    const resultOf = (entry: Entry, outcome: Outcome): Result =>
      outcome instanceof ReplyImpl
        ? { _tag: "Ok", value: outcome.value }
        : exitResult(entry, exitError(entry.task, outcome.reason))

    yield* Effect.addFinalizer(() =>
      Effect.forEach([...running], (task) => stop(task, "brutalKill"), { discard: true })
    )

    const fill = Effect.gen(function*() {
      while (!exhausted && running.size < settings.max) {
        const next = iterator.next()
        if (next.done === true) {
          exhausted = true
          break
        }
        const task = yield* spawn(next.value)
        const now = yield* Clock.currentTimeMillis
        const entry: Entry = { task, input: settings.zipInput ? next.value : undefined, deadline: now + settings.timeout, result: undefined }
        many.add(task)
        entries.set(task, entry)
        if (settings.ordered) queue.push(entry)
      }
    })

    const ready = (): Array<Result> => {
      if (!settings.ordered) return queue.splice(0).map((e) => e.result!)
      let n = 0
      while (n < queue.length && queue[n].result !== undefined) n++
      return queue.splice(0, n).map((e) => e.result!)
    }

    const expire = (timedOut: ReadonlyArray<Entry>) =>
      Effect.gen(function*() {
        for (const entry of timedOut) {
          if (!settings.killOnTimeout) return yield* Effect.fail(timeoutError(entry.task, settings.timeout))
          const stopped = yield* stop(entry.task, "brutalKill")
          finish(
            entry,
            Option.isSome(stopped.reply)
              ? { _tag: "Ok", value: stopped.reply.value.value }
              : stopped.reason._tag === "Killed"
              ? exitResult(entry, timeoutError(entry.task, settings.timeout))
              // It ended on its own just before the kill.
              : exitResult(entry, exitError(entry.task, stopped.reason))
          )
        }
      })

    const pull: Effect.Effect<readonly [Result, ...Array<Result>], EX | Cause.Done, Process.CurrentProcess> = Effect.gen(function*() {
      while (true) {
        yield* fill
        const out = ready()
        if (out.length > 0) return out as unknown as readonly [Result, ...Array<Result>]
        if (running.size === 0) return yield* Cause.done()
        let deadline = Infinity
        for (const task of running) deadline = Math.min(deadline, entries.get(task)!.deadline)
        const taken = yield* receiveAny(many, deadline === Infinity ? Infinity : deadline - (yield* Clock.currentTimeMillis))
        if (Option.isSome(taken)) {
          const [task, outcome] = taken.value
          finish(entries.get(task)!, resultOf(entries.get(task)!, outcome))
        } else {
          const now = yield* Clock.currentTimeMillis
          yield* expire([...running].map((t) => entries.get(t)!).filter((e) => e.deadline <= now))
        }
      }
    }) as any

    return Stream.fromPull(Effect.succeed(pull))
  }))

/** Checks the options as Elixir's `validate_stream_options`; unknown keys are ignored. */
export const settingsOf = (operation: string, options: StreamOptions | undefined): Settings | BadArgument => {
  const o: StreamOptions = typeof options === "object" && options !== null ? options : {}
  const max = o.maxConcurrency ?? 8
  if (!(typeof max === "number" && Number.isInteger(max) && max > 0)) {
    return new BadArgument({ operation, reason: `maxConcurrency must be a positive integer, got ${String(max)}` })
  }
  const timeout = o.timeout === undefined ? 5000 : durationMillis(operation, o.timeout, true)
  if (typeof timeout !== "number") return timeout
  const onTimeout = o.onTimeout ?? "exit"
  if (onTimeout !== "exit" && onTimeout !== "killTask") {
    return new BadArgument({ operation, reason: `onTimeout must be "exit" or "killTask", got ${String(onTimeout)}` })
  }
  return { max, ordered: o.ordered !== false, timeout, killOnTimeout: onTimeout === "killTask", zipInput: o.zipInputOnExit === true }
}

/** The stream of results of tasks started by `spawn`, one per item; bad options fail it. */
export const stream = <I, EX>(
  operation: string,
  items: Iterable<I>,
  options: StreamOptions | undefined,
  spawn: (item: I) => Effect.Effect<unknown, EX, any>,
  exitError: (task: TaskImpl, reason: ExitReason.ExitReason) => unknown,
  timeoutError: (task: TaskImpl, millis: number) => unknown
): Stream.Stream<Result, unknown, any> => {
  const settings = settingsOf(operation, options)
  if (settings instanceof BadArgument) return Stream.fail(settings)
  if (items === null || typeof items !== "object" && typeof items !== "string" || typeof (items as any)[Symbol.iterator] !== "function") {
    return Stream.fail(new BadArgument({ operation, reason: "items must be iterable" }))
  }
  return make(items, settings, spawn as any, exitError, timeoutError)
}
