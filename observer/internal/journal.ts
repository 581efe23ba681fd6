/**
 * What the observer keeps: the recent crash reports (supervisor reports) and the log lines of
 * the processes traced through it, from a logger added beside the program's own.
 */
import * as Context from "effect/Context"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import { inspect } from "node:util"
import * as ExitReason from "../../lib/ExitReason.js"
import { Node } from "../../lib/Node.js"
import { registeredNameOf } from "../../lib/internal/direct.js"
import type { Pid } from "../../lib/Pid.js"
import * as Process from "../../lib/Process.js"
import type { CrashReport, TraceLine } from "./model.js"

/** The recent crash reports and trace lines (at most `keep` of each), and the traced processes. */
export class Journal {
  readonly crashes: Array<CrashReport> = []
  readonly traces: Array<TraceLine> = []
  /** Processes traced through the observer, of every node (dropped once dead, see `prune`). */
  readonly traced = new Set<Pid>()
  constructor(readonly keep: number) {}
  push<A>(list: Array<A>, entry: A): void {
    list.push(entry)
    if (list.length > this.keep) list.splice(0, list.length - this.keep)
  }
}

const formatReason = (value: unknown): string => {
  const text = ExitReason.isExitReason(value) ? ExitReason.format(value) : typeof value === "string" ? value : inspect(value)
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text
}

/** Keeps supervisor reports and the log lines of traced processes. */
export const journalLogger = (journal: Journal) =>
  Logger.make<unknown, void>(({ date, fiber, message }) => {
    const annotations = fiber.getRef(References.CurrentLogAnnotations)
    const parts = Array.isArray(message) ? message : [message]
    const self = Context.getOrUndefined(fiber.context, Process.CurrentProcess)
    const node = self?.node ?? Context.getOrUndefined(fiber.context, Node)?.name ?? "?"
    if (annotations["report"] === "supervisor" && annotations["child"] !== undefined) {
      journal.push(journal.crashes, {
        time: date.toISOString(),
        node,
        supervisor: String(annotations["supervisor"]),
        supervisorName: self === undefined ? undefined : registeredNameOf(self),
        child: String(annotations["child"]),
        pid: String(annotations["pid"] ?? ""),
        reason: formatReason(parts.length > 1 ? parts[1] : annotations["reason"]),
        action: String(annotations["action"] ?? "")
      })
    } else if (self !== undefined && journal.traced.has(self)) {
      journal.push(journal.traces, {
        time: date.toISOString(),
        node,
        pid: String(self),
        message: parts.map((p) => (typeof p === "string" ? p : inspect(p, { depth: 3 }))).join(" ")
      })
    }
  })
