/**
 * fast-check arbitraries of scenarios. Each scenario is drawn on its own seed, so one seed
 * reproduces one scenario (`npm run fidelity -- --kind K --seed S --runs 1`).
 *
 * The generator does not simulate the system: a step may name a child that is not running at
 * that moment, and both sides then record the same no-op (or the same error).
 */
import * as fc from "fast-check"
import * as Model from "./model.js"

type Gen = fc.GeneratorValue

const int = (g: Gen, min: number, max: number): number => g(fc.integer, { min, max })

const chance = (g: Gen, percent: number): boolean => int(g, 0, 99) < percent

/** Picks one of `choices` by weight. */
const weighted = <T>(g: Gen, choices: ReadonlyArray<readonly [T, number]>): T => {
  const total = choices.reduce((sum, [, w]) => sum + w, 0)
  let roll = int(g, 0, Math.round(total * 10) - 1) / 10
  for (const [value, w] of choices) {
    if (roll < w) return value
    roll -= w
  }
  return choices[choices.length - 1]![0]
}

const pick = <T>(g: Gen, values: ReadonlyArray<T>): T => values[int(g, 0, values.length - 1)]!

// ----------------------------------------------------------------------------
// Supervision
// ----------------------------------------------------------------------------

const restart = (g: Gen): Model.Restart =>
  weighted(g, [["permanent", 5], ["transient", 3], ["temporary", 2]])

const shutdown = (g: Gen): Model.Shutdown =>
  weighted<Model.Shutdown>(g, [["brutal_kill", 2], [Model.SHUTDOWN_TIMES[0], 1], [Model.SHUTDOWN_TIMES[1], 2], ["infinity", 1]])

const template = (g: Gen): Model.Template => {
  const sh = shutdown(g)
  const trap = chance(g, 50)
  return {
    restart: restart(g),
    shutdown: sh,
    trap,
    named: chance(g, 40),
    slow: trap && sh !== "brutal_kill" && chance(g, 20)
  }
}

const significant = (g: Gen, auto: Model.AutoShutdown, r: Model.Restart): boolean =>
  auto !== "never" && r !== "permanent" && chance(g, 50)

const worker = (g: Gen, id: string, auto: Model.AutoShutdown): Model.WorkerSpec => {
  const t = template(g)
  return { kind: "worker", id, ...t, significant: significant(g, auto, t.restart) }
}

const period = (g: Gen): number => pick(g, Model.PERIODS)

const supNode = (
  g: Gen,
  id: string,
  depth: number,
  parentAuto: Model.AutoShutdown,
  counter: { n: number }
): Model.SupSpec => {
  const r: Model.Restart = depth === 0 ? "permanent" : weighted(g, [["permanent", 6], ["transient", 2], ["temporary", 2]])
  const auto: Model.AutoShutdown = weighted(g, [["never", 8], ["any_significant", 1], ["all_significant", 1]])
  const children: Array<Model.ChildNode> = []
  const n = int(g, 1, depth === 0 ? 4 : 3)
  for (let i = 0; i < n; i++) {
    const kind = weighted<Model.ChildNode["kind"]>(g, [
      ["worker", 6],
      ["sup", depth < 2 ? 2 : 0],
      ["dyn", depth < 2 ? 1.5 : 0]
    ])
    const childId = `${kind === "worker" ? "w" : kind === "sup" ? "s" : "d"}${++counter.n}`
    if (kind === "worker") children.push(worker(g, childId, auto))
    else if (kind === "sup") children.push(supNode(g, childId, depth + 1, auto, counter))
    else {
      const dr: Model.Restart = weighted(g, [["permanent", 6], ["transient", 2], ["temporary", 2]])
      children.push({
        kind: "dyn",
        id: childId,
        restart: dr,
        significant: significant(g, auto, dr),
        intensity: int(g, 0, 3),
        period: period(g),
        template: template(g),
        initial: int(g, 0, 3)
      })
    }
  }
  return {
    kind: "sup",
    id,
    restart: r,
    significant: significant(g, parentAuto, r),
    strategy: weighted(g, [["one_for_one", 4], ["one_for_all", 3], ["rest_for_one", 3]]),
    intensity: int(g, 0, 3),
    period: period(g),
    auto_shutdown: auto,
    children
  }
}

const supervisionOf = (g: Gen): Model.SupervisionScenario => {
  const root = supNode(g, "root", 0, "never", { n: 0 })
  const nodes = Model.nodesOf("root", root)
  const sups = nodes.filter((n) => n.node.kind === "sup").map((n) => n.label)
  const dyns = nodes.filter((n) => n.node.kind === "dyn")
  const workers = nodes.filter((n) => n.node.kind === "worker").map((n) => n.label)
  const dynChildren = new Map(dyns.map((d) => [d.label, Model.initialDynChildren(d.label, d.node)]))
  const childIds = new Map(nodes.filter((n) => n.node.kind === "sup").map((n) => [n.label, (n.node as Model.SupSpec).children.map((c) => c.id)]))
  let fresh = 0
  let advances = 0
  const steps: Array<Model.SupStep> = []
  const allWorkers = () => [...workers, ...[...dynChildren.values()].flat()]
  const anyWorker = (): string => pick(g, allWorkers())
  const count = int(g, 3, 10)
  for (let i = 0; i < count; i++) {
    const some = allWorkers().length > 0 ? 1 : 0
    const op = weighted<Model.SupStep["op"]>(g, [
      ["stop", 5 * some],
      ["kill", 3],
      ["signal", 1],
      ["terminate_child", 2],
      ["restart_child", 2],
      ["delete_child", 1],
      ["start_child", 1],
      ["dyn_start", dyns.length > 0 ? 2 : 0],
      ["dyn_terminate", dyns.length > 0 ? 1 : 0],
      ["fail_starts", 2 * some],
      ["advance", advances < 2 ? 1 : 0]
    ])
    switch (op) {
      case "stop": {
        const target = anyWorker()
        const how = weighted<Model.StopHow>(g, [["crash", 3], ["raise", 1], ["normal", 2], ["shutdown", 1], ["shutdown_x", 1]])
        steps.push({ op, target, how, desc: `stop ${target} ${how}` })
        break
      }
      case "kill": {
        const inner = [...sups.filter((s) => s !== "root"), ...dyns.map((d) => d.label)]
        const target = weighted<() => string>(g, [
          [anyWorker, 14 * some],
          [() => pick(g, inner), inner.length > 0 ? 6 : 0],
          [() => "root", 0.5]
        ])()
        steps.push({ op, target, desc: `kill ${target}` })
        break
      }
      case "signal": {
        const target = some > 0 && chance(g, 75) ? anyWorker() : pick(g, [...sups, ...dyns.map((d) => d.label)])
        const reason = weighted<"normal" | "shutdown" | "boom">(g, [["normal", 1], ["shutdown", 1], ["boom", 2]])
        steps.push({ op, target, reason, desc: `signal ${target} ${reason}` })
        break
      }
      case "terminate_child":
      case "restart_child":
      case "delete_child": {
        const sup = pick(g, sups)
        const ids = childIds.get(sup)!
        const id = ids.length > 0 && chance(g, 90) ? pick(g, ids) : "x0"
        steps.push({ op, sup, id, desc: `${op} ${sup} ${id}` })
        break
      }
      case "start_child": {
        const sup = pick(g, sups)
        const ids = childIds.get(sup)!
        const id = ids.length > 0 && chance(g, 15) ? pick(g, ids) : `n${++fresh}`
        const auto = (Model.nodeAt(root, sup) as Model.SupSpec).auto_shutdown
        const spec = worker(g, id, auto)
        const l = Model.label(sup, id)
        if (!ids.includes(id)) {
          ids.push(id)
          workers.push(l)
          if (chance(g, 25)) {
            // The new child's own start fails, or returns ignore (a temporary one is then not kept).
            const mode = weighted<"fail" | "ignore">(g, [["fail", 1], ["ignore", 1]])
            steps.push({ op: "fail_starts", target: l, n: 1, mode, desc: `fail_starts ${l} 1 ${mode}` })
          }
        }
        steps.push({ op, sup, spec, desc: `start_child ${sup} ${id}` })
        break
      }
      case "dyn_start": {
        const dyn = pick(g, dyns).label
        const children = dynChildren.get(dyn)!
        const l = Model.label(dyn, `c${children.length}`)
        children.push(l)
        steps.push({ op, sup: dyn, label: l, desc: `dyn_start ${l}` })
        break
      }
      case "dyn_terminate": {
        const dyn = pick(g, dyns).label
        const children = dynChildren.get(dyn)!
        const l = children.length > 0 ? pick(g, children) : Model.label(dyn, "c0")
        steps.push({ op, sup: dyn, label: l, desc: `dyn_terminate ${l}` })
        break
      }
      case "fail_starts": {
        const target = anyWorker()
        const n = weighted(g, [[1, 3], [2, 2], [8, 1]])
        const mode = weighted<"fail" | "ignore">(g, [["fail", 4], ["ignore", 1]])
        steps.push({ op, target, n, mode, desc: `fail_starts ${target} ${n} ${mode}` })
        break
      }
      case "advance":
        advances++
        steps.push({ op, desc: "advance" })
        break
    }
  }
  const longest = Math.max(...nodes.flatMap((n) => (n.node.kind === "worker" ? [] : [n.node.period])))
  return { kind: "supervision", root, steps, advance_ms: longest * 1000 + 1500 }
}

/** A supervision scenario: a tree, then a schedule of faults and management calls. */
export const supervision: fc.Arbitrary<Model.SupervisionScenario> = fc.gen().map(supervisionOf)

// ----------------------------------------------------------------------------
// GenServer
// ----------------------------------------------------------------------------

const stopReason = (g: Gen): Model.StopReason =>
  weighted<Model.StopReason>(g, [["normal", 2], ["shutdown", 1], ["shutdown_x", 1], ["boom", 1]])

const idle = (g: Gen): number => pick(g, Model.IDLE_TIMEOUTS)

const asyncAction = (g: Gen, allowContinue: boolean): Model.AsyncAction => {
  const a = weighted<Model.AsyncAction["a"]>(g, [
    ["noreply", 4],
    ["noreply_t", 1],
    ["continue", allowContinue ? 1 : 0],
    ["stop", 0.25],
    ["crash", 0.25],
    ["flush", 2],
    ["bad", 0.15]
  ])
  switch (a) {
    case "noreply_t":
      return { a, t: idle(g) }
    case "continue":
      return { a, next: asyncAction(g, false) }
    case "stop":
      return { a, r: stopReason(g) }
    default:
      return { a } as Model.AsyncAction
  }
}

const callAction = (g: Gen): Model.CallAction => {
  const a = weighted<Model.CallAction["a"]>(g, [
    ["reply", 4],
    ["reply_t", 1],
    ["defer", 3],
    ["defer_t", 1],
    ["continue", 1],
    ["stop_reply", 0.5],
    ["stop", 0.25],
    ["crash", 0.25],
    ["exit", 0.25],
    ["flush", 2],
    ["bad", 0.15]
  ])
  switch (a) {
    case "reply_t":
    case "defer_t":
      return { a, t: idle(g) }
    case "continue":
      return { a, next: asyncAction(g, false) }
    case "stop_reply":
    case "stop":
      return { a, r: stopReason(g) }
    default:
      return { a } as Model.CallAction
  }
}

const initAction = (g: Gen): Model.InitAction => {
  const a = weighted<Model.InitAction["a"]>(g, [
    ["ok", 6],
    ["ok_t", 2],
    ["continue", 1],
    ["ignore", 0.3],
    ["stop", 0.3],
    ["crash", 0.3],
    ["bad", 0.15]
  ])
  switch (a) {
    case "ok_t":
      return { a, t: idle(g) }
    case "continue":
      return { a, next: asyncAction(g, false) }
    case "stop":
      return { a, r: stopReason(g) }
    default:
      return { a } as Model.InitAction
  }
}

const genserverOf = (g: Gen): Model.GenServerScenario => {
  const steps: Array<Model.GsStep> = []
  let waits = 0
  let n = 0
  const count = int(g, 3, 12)
  for (let i = 0; i < count; i++) {
    const op = weighted<Model.GsStep["op"]>(g, [
      ["call", 6],
      ["cast", 3],
      ["info", 2],
      ["unknown_call", 1],
      ["wait", waits < 3 ? 2 : 0],
      ["stop", 0.5],
      ["kill", 0.3],
      ["signal", 0.5]
    ])
    switch (op) {
      case "call": {
        const id = `c${++n}`
        const action = callAction(g)
        const timeout = weighted<number | "infinity">(g, [["infinity", 3], [Model.CALL_TIMEOUTS[0], 1], [Model.CALL_TIMEOUTS[1], 1]])
        steps.push({ op, id, action, timeout, desc: `call ${id}` })
        break
      }
      case "cast":
      case "info": {
        const id = `${op === "cast" ? "k" : "i"}${++n}`
        steps.push({ op, id, action: asyncAction(g, true), desc: `${op} ${id}` })
        break
      }
      case "unknown_call": {
        const id = `u${++n}`
        const tag = pick(g, Model.UNKNOWN_TAGS)
        steps.push({ op, id, tag, desc: `unknown_call ${id} ${tag}` })
        break
      }
      case "wait":
        waits++
        steps.push({ op, desc: "wait" })
        break
      case "stop": {
        const reason = stopReason(g)
        steps.push({ op, reason, desc: `stop ${reason}` })
        break
      }
      case "kill":
        steps.push({ op, desc: "kill" })
        break
      case "signal": {
        const reason = stopReason(g)
        steps.push({ op, reason, desc: `signal ${reason}` })
        break
      }
    }
  }
  const onTimeout = weighted<Model.AsyncAction>(g, [
    [{ a: "noreply" }, 3],
    [{ a: "flush" }, 3],
    [{ a: "stop", r: "normal" }, 1],
    [{ a: "crash" }, 1]
  ])
  return {
    kind: "genserver",
    named: chance(g, 40),
    trap: chance(g, 30),
    init: initAction(g),
    on_timeout: onTimeout,
    steps,
    wait_ms: Model.WAIT_MS
  }
}

/** A GenServer scenario: one scripted server and a sequence of requests, messages and waits. */
export const genserver: fc.Arbitrary<Model.GenServerScenario> = fc.gen().map(genserverOf)

// ----------------------------------------------------------------------------
// StateMachine
// ----------------------------------------------------------------------------

/*
 * What keeps a script finite, and its chains of timers short (fidelity/README.md):
 * - Levels: an event of a step runs a level-2 script; the internal events and timer contents it
 *   makes run level-1 scripts, theirs level-0 ones. Only level 2 sets timers of nonzero time;
 *   level 1 sets zero or infinity; level 0 inserts nothing and sets nothing.
 * - A state change together with `postpone` only goes forward (a to b or c, b to c), so two
 *   postponed events cannot send the machine back and forth for ever; and a handler that
 *   postpones makes no new event (no `next`, no timer set or updated), since it runs again
 *   after every state change (an event it inserted could change the state back).
 * - An enter call keeps the state (or stops); the timers it sets run "leaf" scripts, which keep
 *   the state or go forward, and do not repeat it (an enter call that runs again sets its
 *   timers again).
 */

interface StmGen {
  readonly g: Gen
  n: number
}

const freshId = (sg: StmGen, prefix: string): string => `${prefix}${++sg.n}`

const stateIndex = (s: Model.StmState): number => Model.STM_STATES.indexOf(s)

const isState = (to: string): to is Model.StmState => (Model.STM_STATES as ReadonlyArray<string>).includes(to)

/** Inserts `x` at a random place of `xs`: the order of actions is part of the scenario. */
const insertAnywhere = <T>(g: Gen, xs: Array<T>, x: T): void => {
  xs.splice(int(g, 0, xs.length), 0, x)
}

const timerKind = (g: Gen, stateWeight: number): Model.TimerKind =>
  weighted<Model.TimerKind>(g, [["e", 2], ["s", stateWeight], ["g1", 1.5], ["g2", 1.5]])

/** A timer action of a script at `level` (contents run `content` scripts). */
const timerAct = (sg: StmGen, level: number, content: () => Model.StmScript, stateWeight: number): Model.StmAct => {
  const g = sg.g
  const op = weighted<"set" | "update" | "cancel">(g, [["set", 5], ["update", 1.5], ["cancel", 1.5]])
  const k = timerKind(g, stateWeight)
  switch (op) {
    case "set": {
      const t = level >= 2
        ? weighted<"time" | 0 | "infinity">(g, [["time", 6], [0, 2], ["infinity", 1]])
        : weighted<0 | "infinity">(g, [[0, 3], ["infinity", 1]])
      return { a: "set", k, t: t === "time" ? Model.STM_TIMES[k] : t, id: freshId(sg, "t"), s: content() }
    }
    case "update":
      return { a: "update", k, id: freshId(sg, "u"), s: content() }
    case "cancel":
      return { a: "cancel", k }
  }
}

/** What a handler of a script at `level` does in `state` (undefined: in every state). */
const stmDo = (sg: StmGen, level: number, call: boolean, state: Model.StmState | undefined): Model.StmDo => {
  const g = sg.g
  const kind = weighted<"keep" | "repeat" | "state" | "stop" | "crash">(g, [
    ["keep", 4],
    ["repeat", 1],
    ["state", 4],
    ["stop", level === 2 ? 0.15 : 0.05],
    ["crash", 0.04]
  ])
  if (kind === "crash") return { to: "crash", acts: [] }
  if (kind === "stop") {
    const acts: Array<Model.StmAct> = []
    if (call && chance(g, 50)) acts.push({ a: "reply" })
    if (chance(g, 30)) insertAnywhere(g, acts, { a: "flush" })
    return { to: "stop", r: stopReason(g), acts }
  }
  const to: Model.StmDo["to"] = kind === "state" ? pick(g, Model.STM_STATES) : kind
  const acts: Array<Model.StmAct> = []
  const forward = state !== undefined && isState(to) && stateIndex(to) > stateIndex(state)
  // next_state to the state it is in is no state change: a postponed event waits on.
  const same = state !== undefined && to === state
  const postpone = (to === "keep" || to === "repeat" || forward || same) && chance(g, call ? 30 : 22)
  if (postpone) acts.push({ a: "postpone" })
  else if (call) acts.push(chance(g, 60) ? { a: "reply" } : { a: "defer" })
  if (chance(g, 25)) insertAnywhere(g, acts, { a: "flush" })
  if (postpone) {
    // A postponed event is handled again after every state change: it makes no new event.
    if (chance(g, 15)) insertAnywhere(g, acts, { a: "cancel", k: timerKind(g, 2) })
    return { to, acts }
  }
  if (level >= 1 && chance(g, 25)) insertAnywhere(g, acts, { a: "next", id: freshId(sg, "n"), s: stmScript(sg, level - 1, false) })
  if (level >= 1) {
    const timers = level === 2 ? weighted(g, [[0, 2], [1, 4], [2, 3]]) : weighted(g, [[0, 3], [1, 1]])
    for (let i = 0; i < timers; i++) {
      insertAnywhere(g, acts, timerAct(sg, level, () => stmScript(sg, level - 1, false), 2))
    }
  } else if (chance(g, 15)) {
    insertAnywhere(g, acts, { a: "cancel", k: timerKind(g, 2) })
  }
  return { to, acts }
}

/** A script at `level`: the same in every state, or by state. */
const stmScript = (sg: StmGen, level: number, call: boolean): Model.StmScript =>
  chance(sg.g, level === 2 ? 55 : level === 1 ? 30 : 15)
    ? { by: { a: stmDo(sg, level, call, "a"), b: stmDo(sg, level, call, "b"), c: stmDo(sg, level, call, "c") } }
    : { do: stmDo(sg, level, call, undefined) }

/** What the content of a timer an enter call set does in `state`: keep, or go forward. */
const leafDo = (sg: StmGen, state: Model.StmState | undefined): Model.StmDo => {
  const g = sg.g
  // `c` is forward (or the same state) from anywhere.
  const forward = state === undefined ? ["c" as const] : Model.STM_STATES.filter((s) => stateIndex(s) > stateIndex(state))
  const kind = weighted<"keep" | "forward" | "stop">(g, [["keep", 5], ["forward", forward.length > 0 ? 3 : 0], ["stop", 0.05]])
  if (kind === "stop") return { to: "stop", r: stopReason(g), acts: chance(g, 30) ? [{ a: "flush" }] : [] }
  const to: Model.StmDo["to"] = kind === "forward" ? pick(g, forward) : "keep"
  const acts: Array<Model.StmAct> = []
  if (chance(g, 15)) acts.push({ a: "postpone" })
  if (chance(g, 20)) insertAnywhere(g, acts, { a: "flush" })
  if (chance(g, 15)) insertAnywhere(g, acts, { a: "cancel", k: timerKind(g, 2) })
  return { to, acts }
}

const leafScript = (sg: StmGen): Model.StmScript =>
  chance(sg.g, 40)
    ? { by: { a: leafDo(sg, "a"), b: leafDo(sg, "b"), c: leafDo(sg, "c") } }
    : { do: leafDo(sg, undefined) }

const stmEnter = (sg: StmGen): Model.StmEnter => {
  const g = sg.g
  if (chance(g, 1)) return { to: "stop", r: stopReason(g), acts: chance(g, 30) ? [{ a: "flush" }] : [] }
  if (chance(g, 1)) return { to: "crash", acts: [] }
  const acts: Array<Model.StmAct> = []
  if (chance(g, 20)) acts.push({ a: "flush" })
  const timers = weighted(g, [[0, 2], [1, 5], [2, 2]])
  for (let i = 0; i < timers; i++) insertAnywhere(g, acts, timerAct(sg, 2, () => leafScript(sg), 5))
  return { to: "keep", acts }
}

const stmInit = (sg: StmGen): Model.StmInit => {
  const g = sg.g
  const a = weighted<Model.StmInit["a"]>(g, [["ok", 20], ["ignore", 0.2], ["stop", 0.3]])
  if (a === "ignore") return { a }
  if (a === "stop") return { a, r: stopReason(g) }
  const acts: Array<Model.StmAct> = []
  if (chance(g, 30)) acts.push({ a: "next", id: freshId(sg, "n"), s: stmScript(sg, 1, false) })
  const timers = weighted(g, [[0, 3], [1, 3], [2, 1]])
  for (let i = 0; i < timers; i++) insertAnywhere(g, acts, timerAct(sg, 2, () => stmScript(sg, 1, false), 2))
  return { a, acts }
}

const statemOf = (g: Gen): Model.StatemScenario => {
  const sg: StmGen = { g, n: 0 }
  const mode = weighted<Model.StatemScenario["mode"]>(g, [["handle_event_function", 1], ["state_functions", 1]])
  const enter: Partial<Record<Model.StmState, Model.StmEnter>> = {}
  if (mode === "handle_event_function") {
    if (chance(g, 55)) for (const s of Model.STM_STATES) enter[s] = stmEnter(sg)
  } else {
    for (const s of Model.STM_STATES) if (chance(g, 55)) enter[s] = stmEnter(sg)
  }
  const init = stmInit(sg)
  const steps: Array<Model.StmStep> = []
  let waits = 0
  const count = int(g, 3, 12)
  for (let i = 0; i < count; i++) {
    const op = weighted<Model.StmStep["op"]>(g, [
      ["call", 6],
      ["cast", 3],
      ["info", 2],
      ["unknown_call", 0.4],
      ["wait", waits < 2 ? 4 : 0],
      ["stop", 0.15],
      ["kill", 0.1]
    ])
    switch (op) {
      case "call":
      case "cast":
      case "info": {
        const id = freshId(sg, op === "call" ? "c" : op === "cast" ? "k" : "i")
        steps.push({ op, id, s: stmScript(sg, 2, op === "call"), desc: `${op} ${id}` })
        break
      }
      case "unknown_call": {
        const id = freshId(sg, "x")
        steps.push({ op, id, desc: `unknown_call ${id}` })
        break
      }
      case "wait":
        waits++
        steps.push({ op, desc: "wait" })
        break
      case "stop": {
        const reason = stopReason(g)
        steps.push({ op, reason, desc: `stop ${reason}` })
        break
      }
      case "kill":
        steps.push({ op, desc: "kill" })
        break
    }
  }
  // Timers fire only in a wait: most scenarios end with one.
  if (waits < 2 && steps[steps.length - 1]!.op !== "wait" && chance(g, 60)) steps.push({ op: "wait", desc: "wait" })
  return { kind: "statem", mode, enter, named: chance(g, 40), direct: chance(g, 50), init, steps, wait_ms: Model.STM_WAIT_MS }
}

/** A StateMachine scenario: one scripted machine and a sequence of calls, casts, messages and waits. */
export const statem: fc.Arbitrary<Model.StatemScenario> = fc.gen().map(statemOf)

export const arbitrary = (kind: Model.Kind): fc.Arbitrary<Model.Scenario> =>
  kind === "supervision" ? supervision : kind === "genserver" ? genserver : statem

/** The scenario of one seed. */
export const scenarioOf = (kind: Model.Kind, seed: number): Model.Scenario =>
  fc.sample(arbitrary(kind), { seed, numRuns: 1 })[0]!
