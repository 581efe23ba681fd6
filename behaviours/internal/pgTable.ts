/**
 * The table of a process group scope (`ProcessGroups`): groups and their members, the members'
 * exit watches, and the monitors of groups and of the scope. Written synchronously by the
 * operations (in the caller's step) and by the members' exits (inside the exit itself), read
 * without a message: one Node runs on one JS thread, so each write is atomic, as a pg scope's
 * writes serialised through its gen_server are.
 *
 * @internal
 */
import * as Equal from "effect/Equal"
import { mayBeAlive, watchExit } from "../../lib/internal/direct.js"
import { isInstance, makeReference } from "../../lib/internal/identity.js"
import type { Pid } from "../../lib/Pid.js"
import { sendUnsafe } from "../../lib/Process.js"
import type { Reference } from "../../lib/Reference.js"
import { KeyMap } from "./keyMap.js"

/**
 * A membership change sent to a monitor (OTP's `{Ref, join, Group, Pids}`).
 *
 * @internal
 */
export class JoinImpl {
  readonly _tag = "Join"
  constructor(readonly ref: Reference, readonly group: unknown, readonly pids: ReadonlyArray<Pid>) {}
}

/**
 * A membership change sent to a monitor (OTP's `{Ref, leave, Group, Pids}`).
 *
 * @internal
 */
export class LeaveImpl {
  readonly _tag = "Leave"
  constructor(readonly ref: Reference, readonly group: unknown, readonly pids: ReadonlyArray<Pid>) {}
}

/** @internal */
export const isJoin = (u: unknown): u is JoinImpl => isInstance(u, JoinImpl)
/** @internal */
export const isLeave = (u: unknown): u is LeaveImpl => isInstance(u, LeaveImpl)

interface Member {
  /** The groups joined, once per join, newest first (as pg keeps them). */
  readonly groups: Array<unknown>
  readonly cancel: () => void
}

interface Monitor {
  readonly pid: Pid
  readonly ref: Reference
  /** The monitored group, or `scopeWide` for a scope monitor. */
  readonly group: unknown
  readonly cancel: () => void
}

const scopeWide: unique symbol = Symbol("scope")

const removeOne = <A>(list: ReadonlyArray<A>, item: A): Array<A> | undefined => {
  const index = list.indexOf(item)
  if (index < 0) return undefined
  const copy = list.slice()
  copy.splice(index, 1)
  return copy
}

/** @internal */
export class GroupTable {
  /**
   * Every group with members: its members, newest join first, once per join. Each write
   * replaces the array (never mutates it), so a read hands it out as it is, without a copy.
   */
  readonly groups = new KeyMap<ReadonlyArray<Pid>>()
  readonly members = new Map<Pid, Member>()
  readonly scopeMonitors = new Map<Reference, Monitor>()
  readonly groupMonitors = new KeyMap<Array<Monitor>>()
  readonly monitors = new Map<Reference, Monitor>()
  closed = false

  constructor(readonly node: string) {}

  /** Joins each live pid of `pids` once per occurrence; dead ones are skipped. */
  join(group: unknown, pids: ReadonlyArray<Pid>): void {
    const joined: Array<Pid> = []
    for (const pid of pids) {
      // A dead process, or one that is exiting (its finalizers running), joins nothing.
      if (!mayBeAlive(pid)) continue
      let member = this.members.get(pid)
      if (member === undefined) {
        const cancel = watchExit(pid, () => this.exited(pid))
        if (cancel === undefined) continue
        member = { groups: [], cancel }
        this.members.set(pid, member)
      }
      member.groups.unshift(group)
      joined.push(pid)
    }
    if (joined.length === 0) return
    const all = this.groups.get(group)
    this.groups.set(group, Object.freeze(all === undefined ? joined : [...joined, ...all]))
    this.notify(true, group, joined)
  }

  /** Leaves once per occurrence in `pids`; the pids that did leave (empty: none was joined). */
  leave(group: unknown, pids: ReadonlyArray<Pid>): ReadonlyArray<Pid> {
    const left: Array<Pid> = []
    let all = this.groups.get(group)
    for (const pid of pids) {
      const member = this.members.get(pid)
      if (member === undefined || all === undefined) continue
      const index = member.groups.findIndex((g) => Equal.equals(g, group))
      if (index < 0) continue
      member.groups.splice(index, 1)
      if (member.groups.length === 0) {
        member.cancel()
        this.members.delete(pid)
      }
      all = removeOne(all, pid) ?? all
      left.push(pid)
    }
    if (left.length === 0) return left
    this.setGroup(group, all!)
    this.notify(false, group, left)
    return left
  }

  /** Inside the exit of a member: it leaves every group, one `Leave` per join (as pg). */
  private exited(pid: Pid): void {
    const member = this.members.get(pid)
    if (member === undefined) return
    this.members.delete(pid)
    for (const group of member.groups) {
      const all = this.groups.get(group)
      const rest = all === undefined ? undefined : removeOne(all, pid)
      if (rest === undefined) continue
      this.setGroup(group, rest)
      this.notify(false, group, [pid])
    }
  }

  private setGroup(group: unknown, all: ReadonlyArray<Pid>): void {
    if (all.length === 0) this.groups.delete(group)
    else this.groups.set(group, Object.freeze(all))
  }

  /** Scope monitors first, then the group's, in the order they were made (as pg). */
  private notify(join: boolean, group: unknown, given: ReadonlyArray<Pid>): void {
    const monitors = this.groupMonitors.get(group)
    if (this.scopeMonitors.size === 0 && monitors === undefined) return
    // One frozen copy shared by every monitor's message: a receiver cannot change what the
    // others see, nor the caller's own array.
    const pids = Object.freeze([...given])
    for (const monitor of this.scopeMonitors.values()) {
      sendUnsafe(monitor.pid, join ? new JoinImpl(monitor.ref, group, pids) : new LeaveImpl(monitor.ref, group, pids))
    }
    if (monitors === undefined) return
    for (const monitor of monitors) {
      sendUnsafe(monitor.pid, join ? new JoinImpl(monitor.ref, group, pids) : new LeaveImpl(monitor.ref, group, pids))
    }
  }

  /** A monitor for `pid` of `group` (or of the whole scope), dropped when `pid` exits. */
  monitor(pid: Pid, group: unknown, wholeScope: boolean): Reference | undefined {
    const ref: Reference = makeReference(this.node)
    const cancel = watchExit(pid, () => this.drop(ref))
    if (cancel === undefined) return undefined
    const monitor: Monitor = { pid, ref, group: wholeScope ? scopeWide : group, cancel }
    this.monitors.set(ref, monitor)
    if (wholeScope) this.scopeMonitors.set(ref, monitor)
    else {
      const list = this.groupMonitors.get(group)
      if (list === undefined) this.groupMonitors.set(group, [monitor])
      else list.push(monitor)
    }
    return ref
  }

  /** Removes the monitor `ref`; whether there was one. */
  demonitor(ref: Reference): boolean {
    const monitor = this.monitors.get(ref)
    if (monitor === undefined) return false
    monitor.cancel()
    this.drop(ref)
    return true
  }

  private drop(ref: Reference): void {
    const monitor = this.monitors.get(ref)
    if (monitor === undefined) return
    this.monitors.delete(ref)
    if (monitor.group === scopeWide) {
      this.scopeMonitors.delete(ref)
      return
    }
    const list = this.groupMonitors.get(monitor.group)
    if (list === undefined) return
    const index = list.indexOf(monitor)
    if (index >= 0) list.splice(index, 1)
    if (list.length === 0) this.groupMonitors.delete(monitor.group)
  }

  /** However the scope ends: every watch is cancelled and the table emptied (members live on). */
  close(): void {
    this.closed = true
    for (const member of this.members.values()) member.cancel()
    for (const monitor of this.monitors.values()) monitor.cancel()
    this.members.clear()
    this.monitors.clear()
    this.scopeMonitors.clear()
    this.groupMonitors.clear()
    this.groups.clear()
  }
}
