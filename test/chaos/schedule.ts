/**
 * The kill schedule: a seeded sequence of rounds, made in advance of the run from the tree's
 * shape alone (a round names its targets; their pids are looked up when it runs).
 *
 * What the tree is expected to do is part of the schedule:
 *
 * - Every kill costs one restart to the supervisor of its target. The schedule keeps the
 *   restarts it causes within every supervisor's intensity (a sliding window of `period`, over
 *   the round times; real time between rounds is never shorter, so the bound holds in the soak
 *   too). A kill that would exceed a budget is not made. So no supervisor may give up, except:
 * - A storm kills `intensity + 1` workers of one oneForOne cell at once: that cell is expected
 *   to give up ("reached max restart intensity") and its parent to restart it, whole. The storm
 *   costs its parent one restart.
 * - A big kill (a registry, or `chaos.services`) restarts thousands of processes. It runs alone:
 *   the tree is whole before it and must be whole again before the next round, because a
 *   registry that is gone makes the restarts of the workers named through it fail, which is
 *   OTP's behaviour and would spend intensities the schedule does not count.
 */
import * as Prng from "./prng.js"
import type { Desc, SupervisorDesc, Tree, WorkerDesc } from "./tree.js"

/** How a target is ended. */
export type Method =
  /** `Process.exit(pid, kill)`: untrappable, the target exits `killed`. */
  | "kill"
  /** `Process.exit(pid, shutdown)`. */
  | "shutdown"
  /** `Process.exit(pid, Crash)`: an abnormal reason from outside. */
  | "crashSignal"
  /** A cast on which the worker crashes. */
  | "crashCast"
  /** A call during which the worker crashes: the monkey's call must end in `CallExit`. */
  | "crashCall"

export interface Kill {
  readonly target: Desc
  readonly method: Method
}

export interface Round {
  readonly index: number
  /** Logical time of the round (ms since the chaos began). */
  readonly time: number
  readonly kind: "normal" | "big" | "storm"
  readonly kills: ReadonlyArray<Kill>
  /** Event-loop turns the monkey lets pass after its kills, before the clock moves on. */
  readonly yields: number
}

export interface Options {
  readonly seed: number
  /** Logical ms between rounds. */
  readonly roundMillis: number
  /** At most this many kills in a normal round (at least one). */
  readonly maxKills: number
  /** Probability that a kill of a normal round targets a subtree (a cell, a nested supervisor, the pool, the DynamicSupervisor, the populator). */
  readonly subtreeShare: number
  /** A big round every this many rounds (0: none). */
  readonly bigEvery: number
  /** A storm every this many rounds (0: none). */
  readonly stormEvery: number
  /** At most this many event-loop turns after a round's kills. */
  readonly maxYields: number
}

const workerMethods: ReadonlyArray<Method> = ["kill", "kill", "shutdown", "crashSignal", "crashCast", "crashCall"]

/** Who restarts a target (the supervisor whose intensity the kill spends). */
const restarterOf = (target: Desc): string => target.parent!.id

export class Schedule {
  private readonly rng: Prng.Prng
  private readonly windows = new Map<string, Array<number>>()
  private readonly subtrees: ReadonlyArray<Desc>
  private readonly bigTargets: ReadonlyArray<Desc>
  private readonly stormCells: ReadonlyArray<SupervisorDesc>
  private readonly intensities = new Map<string, number>()
  private round = 0
  private bigs = 0
  private storms = 0

  constructor(readonly tree: Tree, readonly options: Options) {
    this.rng = Prng.make(options.seed)
    for (const s of tree.supervisors) this.intensities.set(s.id, s.intensity)
    this.subtrees = tree.all.filter((d) =>
      (d.kind === "supervisor" && (d.role === "cell" || d.role === "nested" || d.role === "pool")) ||
      d.kind === "dynamic" || d.kind === "populator"
    )
    this.bigTargets = [tree.reg, tree.services, tree.pubsub]
    this.stormCells = tree.cells.filter((c) =>
      c.strategy === "oneForOne" && c.children.filter((d) => d.kind === "worker").length > c.intensity
    )
  }

  /** The next round. */
  next(): Round {
    const index = this.round++
    const time = index * this.options.roundMillis
    const yields = this.rng.int(this.options.maxYields + 1)
    const { bigEvery, stormEvery } = this.options
    if (bigEvery > 0 && index > 0 && index % bigEvery === 0) {
      const target = this.bigTargets[this.bigs++ % this.bigTargets.length]!
      if (this.spend(target.parent!.id, time)) {
        const method: Method = target.kind === "registry" && this.rng.chance(0.5) ? "shutdown" : "kill"
        return { index, time, kind: "big", kills: [{ target, method }], yields }
      }
    }
    if (stormEvery > 0 && index > 0 && index % stormEvery === Math.floor(stormEvery / 2) && this.stormCells.length > 0) {
      const cell = this.stormCells[this.storms++ % this.stormCells.length]!
      if (this.spend(cell.parent!.id, time)) {
        const workers = cell.children.filter((d): d is WorkerDesc => d.kind === "worker")
        const chosen = this.sample(workers, cell.intensity + 1)
        // The cell's restarts in this storm exceed its intensity whatever came before; its next
        // incarnation starts with an empty window.
        this.windows.delete(cell.id)
        return {
          index,
          time,
          kind: "storm",
          kills: chosen.map((target) => ({ target, method: this.rng.pick(workerMethods) })),
          yields
        }
      }
    }
    const kills: Array<Kill> = []
    const count = 1 + this.rng.int(this.options.maxKills)
    for (let k = 0; k < count; k++) {
      for (let attempt = 0; attempt < 8; attempt++) {
        const subtree = this.rng.chance(this.options.subtreeShare)
        const target = subtree ? this.rng.pick(this.subtrees) : this.rng.pick(this.tree.workers)
        if (!this.spend(restarterOf(target), time)) continue
        const method: Method = target.kind === "worker"
          ? this.rng.pick(workerMethods)
          : target.kind === "populator" && this.rng.chance(0.5)
          ? "crashSignal"
          : "kill"
        kills.push({ target, method })
        break
      }
    }
    return { index, time, kind: "normal", kills, yields }
  }

  /** Records a restart of supervisor `id` at `time` if its window has room. */
  private spend(id: string, time: number): boolean {
    const intensity = this.intensities.get(id)!
    const window = (this.windows.get(id) ?? []).filter((t) => t > time - this.tree.shape.periodMillis)
    if (window.length + 1 > intensity) {
      this.windows.set(id, window)
      return false
    }
    window.push(time)
    this.windows.set(id, window)
    return true
  }

  private sample<A>(items: ReadonlyArray<A>, n: number): Array<A> {
    const copy = [...items]
    const out: Array<A> = []
    while (out.length < n && copy.length > 0) out.push(copy.splice(this.rng.int(copy.length), 1)[0]!)
    return out
  }
}
