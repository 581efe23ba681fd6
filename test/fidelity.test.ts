/**
 * The differential harness's own pure parts (fidelity/): the two normalizations agree on what
 * stands for the same thing, the deliberate differences are normalized as listed, traces are
 * compared step by step, and the generated scenarios keep the rules that make the Erlang side's
 * real time safe. The harness itself runs with `npm run fidelity` (it needs Erlang).
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Exit } from "effect"
import * as fc from "fast-check"
import { Errors, ExitReason, Pid, Supervisor } from "../index.js"
import { PidValue } from "../lib/internal/identity.js"
import { arbitrary, scenarioOf, statem, supervision } from "../fidelity/arbitraries.js"
import { compare } from "../fidelity/compare.js"
import { knownOpen, normalizeKill } from "../fidelity/differences.js"
import { observe } from "../fidelity/effect/run.js"
import { terminateArg, Timing } from "../fidelity/effect/statem.js"
import { reasonToken, resultToken } from "../fidelity/effect/tokens.js"
import { term } from "../fidelity/encode.js"
import * as Model from "../fidelity/model.js"
import { type ErlTerm, erlReason, erlResult, type Event, fromErlEvent, type Observation, renderTree } from "../fidelity/normalize.js"

const pid = new PidValue("nonode@nohost", 42)
const who = (p: Pid.Pid) => (p === pid ? "root/w1#2" : "?")

describe("normalization", () => {
  it("an Erlang reason and the effect-otp reason it stands for give the same token", () => {
    const pairs: ReadonlyArray<readonly [ErlTerm, ExitReason.ExitReason, string]> = [
      ["normal", ExitReason.normal, "normal"],
      ["shutdown", ExitReason.shutdown(), "shutdown"],
      [["shutdown", "root/w1"], ExitReason.shutdown("root/w1"), "shutdown(root/w1)"],
      ["killed", ExitReason.killed, "killed"],
      [["boom", "c3"], ExitReason.fail({ boom: "c3" }), "crash(c3)"],
      [["boom", "c3"], ExitReason.crash(Cause.die({ boom: "c3" })), "crash(c3)"],
      ["start_failed", ExitReason.fail("start_failed"), "start_failed"],
      [
        ["shutdown", ["failed_to_start_child", "w1", "start_failed"]],
        ExitReason.shutdown(new Supervisor.FailedToStartChild({
          id: "w1",
          reason: new Errors.InitFailed({ reason: ExitReason.fail("start_failed") })
        })),
        "shutdown(failed_to_start_child(w1,start_failed))"
      ]
    ]
    for (const [erl, eff, token] of pairs) {
      assert.strictEqual(erlReason(erl), token)
      assert.strictEqual(reasonToken(eff, who), token)
    }
  })

  it("an Erlang call result and the effect-otp result it stands for give the same token", () => {
    const fail = (e: unknown) => Exit.fail(e)
    const pairs: ReadonlyArray<readonly [ErlTerm, Exit.Exit<unknown, unknown>, "void" | "pid" | "reply", string]> = [
      [["value", "ok"], Exit.void, "void", "ok"],
      [["value", ["ok", { pid: "root/w1#2" }]], Exit.succeed(pid), "pid", "ok(root/w1#2)"],
      [["value", ["ok", "undefined"]], Exit.succeed(undefined), "pid", "ok(undefined)"],
      [["value", 7], Exit.succeed(7), "reply", "reply(7)"],
      [["exit", "timeout"], fail(new Errors.CallTimeout({ target: pid, timeoutMillis: 800 })), "reply", "timeout"],
      [["exit", "noproc"], fail(new Errors.NoProc({ target: pid })), "reply", "noproc"],
      [["exit", ["boom", "c1"]], fail(new Errors.CallExit({ target: pid, reason: ExitReason.fail({ boom: "c1" }) })), "reply", "exit(crash(c1))"],
      [["value", ["error", "unknown_request"]], fail(new Errors.UnknownRequest({ target: pid, tag: "X" })), "reply", "unknown"],
      [["value", ["error", "not_found"]], fail(new Supervisor.NotFound({ id: "w1" })), "void", "error(not_found)"],
      [["value", ["error", "running"]], fail(new Supervisor.NotStopped({ id: "w1", state: "running" })), "void", "error(running)"],
      [["value", ["error", "already_present"]], fail(new Supervisor.AlreadyPresent({ id: "w1" })), "pid", "error(already_present)"],
      [
        ["value", ["error", ["already_started", { pid: "root/w1#2" }]]],
        fail(new Errors.AlreadyStarted({ name: "w1", pid })),
        "pid",
        "error(already_started(root/w1#2))"
      ],
      [
        ["value", ["error", ["start_failed", ["child", "undefined", "n1", { other: "..." }]]]],
        fail(new Supervisor.StartChildFailed({ id: "n1", reason: new Errors.InitFailed({ reason: ExitReason.fail("start_failed") }) })),
        "pid",
        "error(start_failed)"
      ],
      [
        ["value", ["error", "start_failed"]],
        fail(new Supervisor.StartChildFailed({ id: "w1", reason: new Errors.InitFailed({ reason: ExitReason.fail("start_failed") }) })),
        "pid",
        "error(start_failed)"
      ]
    ]
    for (const [erl, eff, shape, token] of pairs) {
      assert.strictEqual(erlResult(erl), token, JSON.stringify(erl))
      assert.strictEqual(resultToken(eff, shape, who), token, token)
    }
  })

  it("a stack trace the Erlang side did not strip, and unknown terms, stay visible", () => {
    assert.strictEqual(erlReason(["bad_return_value", "bogus"]), "bad_return_value")
    assert.strictEqual(erlReason(["function_clause", { list: [] }]), "{function_clause,[]}")
    assert.strictEqual(erlReason({ other: "#Ref<0.1.2.3>" }), "other(#Ref<0.1.2.3>)")
  })

  it("a state machine's terminate: the Erlang side's {State, Reason} and effect-otp's report give the same argument", () => {
    const pairs: ReadonlyArray<readonly [ErlTerm, ExitReason.ExitReason]> = [
      [["b", "normal"], ExitReason.normal],
      [["c", ["shutdown", "c4"]], ExitReason.shutdown("c4")],
      [["a", ["boom", "c1"]], ExitReason.crash(Cause.die({ boom: "c1" }))],
      [["a", ["boom", "driver"]], ExitReason.fail({ boom: "driver" })]
    ]
    for (const [erl, eff] of pairs) {
      const event = fromErlEvent({ e: "cb", seq: 3, name: "terminate", arg: erl })
      assert.strictEqual(event.e === "cb" ? event.arg : "", terminateArg((erl as ReadonlyArray<string>)[0]!, eff))
    }
  })

  it("a dynamic supervisor's children are compared as a set, a supervisor's in order", () => {
    assert.strictEqual(renderTree({ dyn: ["root/d/c2#1", "restarting", "root/d/c0#3"] }), "[restarting root/d/c0#3 root/d/c2#1]")
    assert.strictEqual(
      renderTree([{ id: "a", state: "root/a#1", sub: null }, { id: "d", state: "root/d#1", sub: { dyn: [] } }]),
      "{a=root/a#1 d=root/d#1[]}"
    )
  })
})

describe("deliberate differences", () => {
  it("killed-supervisor: only the direct children's killed/shutdown exits become `stopped`, their terminates go", () => {
    const events: ReadonlyArray<Event> = [
      { e: "exit", who: "root/s#1", reason: "killed" },
      { e: "exit", who: "root/s/w1#1", reason: "killed" },
      { e: "terminate", who: "root/s/w1#1", reason: "killed" },
      { e: "exit", who: "root/s/w2#1", reason: "crash(x)" },
      { e: "exit", who: "root/s/t/w3#1", reason: "shutdown" },
      { e: "exit", who: "root/sx#1", reason: "killed" }
    ]
    assert.deepStrictEqual(normalizeKill(events, "root/s"), [
      { e: "exit", who: "root/s#1", reason: "killed" },
      { e: "exit", who: "root/s/w1#1", reason: "stopped" },
      { e: "exit", who: "root/s/w2#1", reason: "crash(x)" },
      { e: "exit", who: "root/s/t/w3#1", reason: "shutdown" },
      { e: "exit", who: "root/sx#1", reason: "killed" }
    ])
  })
})

describe("comparison", () => {
  const scenario = scenarioOf("genserver", 1)
  const steps = (...events: ReadonlyArray<ReadonlyArray<Event>>): Observation => ({
    _tag: "Steps",
    steps: events.map((e, time) => ({ events: e, tree: true, time }))
  })

  it("events of a step are compared as a set; the first differing step is reported", () => {
    const a: Event = { e: "start", who: "server#1" }
    const b: Event = { e: "cb", seq: 1, name: "init", arg: "init" }
    const c: Event = { e: "result", op: "call c1", value: "reply(2)" }
    assert.strictEqual(compare(scenario, steps([a, b], [c]), steps([b, a], [c]))._tag, "Match")
    const diverged = compare(scenario, steps([a, b], [c]), steps([a, b], [{ ...c, value: "timeout" }]))
    assert.isTrue(diverged._tag === "Divergence" && diverged.step === 1)
    const missing = compare(scenario, steps([a, b], [c]), steps([a, b]))
    assert.isTrue(missing._tag === "Divergence" && missing.step === 1)
  })

  it("otp25-lost-timer: a scenario is compared up to the step where OTP 25 lost a timer", () => {
    const statemScenario = scenarioOf("statem", 1)
    const lost: Event = { e: "noop", op: "otp25-lost-timer state_timeout" }
    const a: Event = { e: "cb", seq: 1, name: "init", arg: "a" }
    const fired: Event = { e: "cb", seq: 2, name: "state_timeout", arg: "a t3" }
    const outcome = compare(statemScenario, steps([a], [lost]), steps([a], [fired]))
    assert.isTrue(outcome._tag === "Match" && outcome.hits.includes("otp25-lost-timer"))
    // Before that step, a difference is still a divergence.
    assert.strictEqual(compare(statemScenario, steps([a], [lost]), steps([], [fired]))._tag, "Divergence")
  })

  it("a side that failed to run is an error, not a match", () => {
    const outcome = compare(scenario, { _tag: "Error", error: "timed out" }, steps([]))
    assert.isTrue(outcome._tag === "Error" && outcome.side === "erlang")
  })

  it("a difference in a timing-ambiguous scenario is no divergence", () => {
    const ambiguous: Observation = { _tag: "Steps", steps: [{ events: [], tree: true, time: 0 }], ambiguous: "close deadlines" }
    const outcome = compare(scenario, steps([{ e: "start", who: "server#1" }]), ambiguous)
    assert.isTrue(outcome._tag === "Ambiguous" && outcome.reason === "close deadlines")
    assert.strictEqual(compare(scenario, steps([]), ambiguous)._tag, "Match")
  })

  it("every known open divergence says which issue class it is", () => {
    for (const k of knownOpen) assert.isTrue(k.reason.length > 40, k.id)
  })
})

describe("scenarios", () => {
  it("keep every duration in the sets that keep the Erlang side's order of events", () => {
    fc.assert(
      fc.property(supervision, (s) => {
        for (const { node } of Model.nodesOf("root", s.root)) {
          if (node.kind !== "worker") assert.include(Model.PERIODS, node.period)
          const shutdowns = node.kind === "worker" ? [node.shutdown] : node.kind === "dyn" ? [node.template.shutdown] : []
          for (const sh of shutdowns) {
            assert.isTrue(sh === "brutal_kill" || sh === "infinity" || (Model.SHUTDOWN_TIMES as ReadonlyArray<number>).includes(sh))
          }
          if (node.kind === "worker" && node.significant) assert.notStrictEqual(node.restart, "permanent")
        }
        const longest = Math.max(...Model.nodesOf("root", s.root).flatMap(({ node }) => node.kind === "worker" ? [] : [node.period]))
        assert.strictEqual(s.advance_ms, longest * 1000 + 1500)
        assert.isAtMost(s.steps.filter((st) => st.op === "advance").length, 2)
      }),
      { numRuns: 200 }
    )
  })

  it("are Erlang terms file:consult can read (atoms quoted, maps with atom keys)", () => {
    assert.strictEqual(term({ a: "it's", b: [1, true], c: undefined }), "#{'a' => 'it\\'s','b' => [1,true]}")
    fc.assert(fc.property(arbitrary("genserver"), (s) => !term(s).includes("undefined")), { numRuns: 50 })
    fc.assert(fc.property(arbitrary("statem"), (s) => !term(s).includes("undefined")), { numRuns: 50 })
  })

  it("statem: timers take their kind's one time (or 0, infinity), a wait is past them, at most two waits", () => {
    fc.assert(
      fc.property(statem, (s) => {
        const acts = allActs(s)
        for (const act of acts) {
          if (act.a === "set" && act.t !== 0 && act.t !== "infinity") assert.strictEqual(act.t, Model.STM_TIMES[act.k])
        }
        assert.strictEqual(s.wait_ms, Model.STM_WAIT_MS)
        assert.isAtMost(s.steps.filter((st) => st.op === "wait").length, 2)
        if (s.mode === "handle_event_function") assert.include([0, 3], Object.keys(s.enter).length)
      }),
      { numRuns: 200 }
    )
  })

  it("statem: a script is finite (the levels, postpone, and the enter calls' timers, as arbitraries.ts says)", () => {
    const checkDo = (d: Model.StmDo, level: number, state: Model.StmState | undefined) => {
      const postpones = d.acts.some((a) => a.a === "postpone")
      if (postpones) {
        // A postponing handler makes no new event, and changes the state only forward.
        assert.isTrue(d.acts.every((a) => a.a === "postpone" || a.a === "flush" || a.a === "cancel"), JSON.stringify(d))
        if (d.to !== "keep" && d.to !== "repeat") {
          assert.isTrue(state !== undefined && Model.STM_STATES.indexOf(d.to as Model.StmState) >= Model.STM_STATES.indexOf(state))
        }
      }
      for (const a of d.acts) {
        if (a.a === "next") checkScript(a.s, level - 1)
        if (a.a === "set" || a.a === "update") checkScript(a.s, level - 1)
        // Only level 2 sets timers of nonzero time; level 0 sets, updates and inserts nothing.
        if (a.a === "set" && level < 2) assert.include([0, "infinity"], a.t)
        if (level === 0) assert.notInclude(["next", "set", "update"], a.a)
      }
    }
    const checkScript = (script: Model.StmScript, level: number) => {
      assert.isAtLeast(level, 0)
      if ("do" in script) checkDo(script.do, level, undefined)
      else for (const st of Model.STM_STATES) checkDo(script.by[st], level, st)
    }
    const checkLeaf = (d: Model.StmDo, state: Model.StmState | undefined) => {
      // A timer an enter call set keeps the state or goes forward (`c` from anywhere), and makes nothing.
      if (d.to !== "keep" && d.to !== "stop") {
        assert.isTrue(d.to === "c" || (state !== undefined && Model.STM_STATES.indexOf(d.to as Model.StmState) > Model.STM_STATES.indexOf(state)))
      }
      assert.isTrue(d.acts.every((a) => a.a === "postpone" || a.a === "flush" || a.a === "cancel"))
    }
    fc.assert(
      fc.property(statem, (s) => {
        for (const e of Object.values(s.enter)) {
          assert.include(["keep", "stop", "crash"], e.to)
          for (const a of e.acts) {
            assert.notInclude(["postpone", "next", "reply", "defer"], a.a)
            if (a.a === "set" || a.a === "update") {
              if ("do" in a.s) checkLeaf(a.s.do, undefined)
              else for (const st of Model.STM_STATES) checkLeaf(a.s.by[st], st)
            }
          }
        }
        if (s.init.a === "ok") {
          for (const a of s.init.acts) if (a.a === "next" || a.a === "set" || a.a === "update") checkScript(a.s, 1)
        }
        for (const st of s.steps) if (st.op === "call" || st.op === "cast" || st.op === "info") checkScript(st.s, 2)
      }),
      { numRuns: 200 }
    )
  })

  it("statem: a scenario whose timers are due close together, or close to a step, is timing-ambiguous", () => {
    const margin = Model.STM_MARGIN_MS
    const timing = new Timing()
    timing.start("g1", 0, 1040)
    timing.start("s", 0, 910)
    timing.close("s", 910)
    timing.close("g1", 1040)
    assert.isUndefined(timing.ambiguity([3000], margin))
    // A state timeout set when a generic timer fired, due within the margin of another.
    timing.start("g2", 0, 1430)
    timing.start("s", 1040, 400)
    assert.strictEqual(timing.ambiguity([3000], margin), "g2 due at 1430 ms, s at 1440 ms")
    // Cancelled long before its deadline: it counts for nothing.
    const cancelled = new Timing()
    cancelled.start("e", 0, 260)
    cancelled.close("e", 0)
    cancelled.start("g1", 0, 300)
    assert.isUndefined(cancelled.ambiguity([3000], margin))
    // Due close to the end of a wait (a step runs then).
    const late = new Timing()
    late.start("g2", 1600, 1430)
    assert.match(late.ambiguity([3000], margin)!, /a step at 3000 ms/)
  })

  it("one seed is one scenario", () => {
    assert.deepStrictEqual(scenarioOf("supervision", 7), scenarioOf("supervision", 7))
  })
})

/** Every action of a StateMachine scenario, nested ones included. */
const allActs = (s: Model.StatemScenario): Array<Model.StmAct> => {
  const out: Array<Model.StmAct> = []
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk)
    else if (typeof x === "object" && x !== null) {
      if ("a" in x && typeof x.a === "string" && !("acts" in x)) out.push(x as Model.StmAct)
      Object.values(x).forEach(walk)
    }
  }
  walk(s)
  return out
}

describe("the effect-otp side", () => {
  it("observes a crash, its restart, and a supervisor that gives up, on a TestClock", async () => {
    const scenario: Model.SupervisionScenario = {
      kind: "supervision",
      root: {
        kind: "sup",
        id: "root",
        restart: "permanent",
        significant: false,
        strategy: "one_for_one",
        intensity: 1,
        period: 2,
        auto_shutdown: "never",
        children: [
          { kind: "worker", id: "w1", restart: "permanent", shutdown: 50, significant: false, trap: true, named: true, slow: true }
        ]
      },
      steps: [
        { op: "stop", target: "root/w1", how: "crash", desc: "stop root/w1 crash" },
        { op: "stop", target: "root/w1", how: "crash", desc: "stop root/w1 crash" }
      ],
      advance_ms: 3500
    }
    const observed = await observe(scenario)
    assert.strictEqual(observed._tag, "Steps")
    const [setup, first, second] = (observed as Observation & { _tag: "Steps" }).steps
    assert.deepStrictEqual(setup!.tree, [{ id: "w1", state: "root/w1#1", sub: null }])
    assert.sameDeepMembers([...first!.events], [
      { e: "terminate", who: "root/w1#1", reason: "crash(root/w1)" },
      { e: "exit", who: "root/w1#1", reason: "crash(root/w1)" },
      { e: "start", who: "root/w1#2" }
    ])
    // The second crash is over the intensity: the supervisor stops and exits with shutdown.
    assert.sameDeepMembers([...second!.events], [
      { e: "terminate", who: "root/w1#2", reason: "crash(root/w1)" },
      { e: "exit", who: "root/w1#2", reason: "crash(root/w1)" },
      { e: "exit", who: "root#1", reason: "shutdown" }
    ])
    assert.strictEqual(second!.tree, "dead")
    // The slow terminate ran on the TestClock.
    assert.isAtLeast(first!.time, Model.SLOW_MS)
  })

  it("observes a state machine's enter calls, inserted events and timeouts, on a TestClock", async () => {
    const scenario: Model.StatemScenario = {
      kind: "statem",
      mode: "state_functions",
      enter: {
        b: { to: "keep", acts: [{ a: "set", k: "s", t: 910, id: "t1", s: { do: { to: "c", acts: [{ a: "flush" }] } } }] }
      },
      named: false,
      init: { a: "ok", acts: [] },
      steps: [
        { op: "call", id: "c2", s: { do: { to: "keep", acts: [{ a: "defer" }, { a: "next", id: "n3", s: { do: { to: "b", acts: [] } } }] } }, desc: "call c2" },
        { op: "cast", id: "k4", s: { by: { a: { to: "keep", acts: [] }, b: { to: "keep", acts: [{ a: "postpone" }] }, c: { to: "keep", acts: [] } } }, desc: "cast k4" },
        { op: "unknown_call", id: "x5", desc: "unknown_call x5" },
        { op: "wait", desc: "wait" },
        { op: "info", id: "i6", s: { do: { to: "stop", r: "shutdown_x", acts: [] } }, desc: "info i6" }
      ],
      wait_ms: Model.STM_WAIT_MS
    }
    const observed = await observe(scenario)
    assert.strictEqual(observed._tag, "Steps")
    const steps = (observed as Observation & { _tag: "Steps" }).steps
    const cbs = (i: number) => steps[i]!.events.filter((e) => e.e === "cb").map((e) => e.e === "cb" ? `${e.seq} ${e.name}(${e.arg})` : "")
    assert.deepStrictEqual(cbs(0), ["1 init(a)"])
    assert.deepStrictEqual(cbs(1), ["2 call(a c2)", "3 internal(a n3)", "4 enter(b a)"])
    // Postponed in b until the state timeout moves the machine to c.
    assert.deepStrictEqual(cbs(2), ["5 cast(b k4)"])
    assert.deepStrictEqual(cbs(3), [])
    assert.deepStrictEqual(cbs(4), ["6 state_timeout(b t1)", "7 cast(c k4)"])
    assert.deepStrictEqual(steps[4]!.events.filter((e) => e.e === "result").map((e) => e.e === "result" ? e.value : ""), ["reply(6)"])
    assert.deepStrictEqual(cbs(5), ["8 info(c i6)", "9 terminate({c,shutdown(i6)})"])
    assert.isUndefined((observed as Observation & { _tag: "Steps" }).ambiguous)
    // Handlers that return their results directly (run from the node's run queue): the same trace.
    const direct = await observe({ ...scenario, direct: true })
    assert.deepStrictEqual(
      direct._tag === "Steps" ? direct.steps.map((st) => st.events) : [],
      steps.map((st) => st.events)
    )
  })
})
