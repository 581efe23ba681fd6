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

export const arbitrary = (kind: Model.Kind): fc.Arbitrary<Model.Scenario> =>
  kind === "supervision" ? supervision : genserver

/** The scenario of one seed. */
export const scenarioOf = (kind: Model.Kind, seed: number): Model.Scenario =>
  fc.sample(arbitrary(kind), { seed, numRuns: 1 })[0]!
