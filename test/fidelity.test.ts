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
import { arbitrary, scenarioOf, supervision } from "../fidelity/arbitraries.js"
import { compare } from "../fidelity/compare.js"
import { knownOpen, normalizeKill } from "../fidelity/differences.js"
import { observe } from "../fidelity/effect/run.js"
import { reasonToken, resultToken } from "../fidelity/effect/tokens.js"
import { term } from "../fidelity/encode.js"
import * as Model from "../fidelity/model.js"
import { type ErlTerm, erlReason, erlResult, type Event, type Observation, renderTree } from "../fidelity/normalize.js"

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

  it("a side that failed to run is an error, not a match", () => {
    const outcome = compare(scenario, { _tag: "Error", error: "timed out" }, steps([]))
    assert.isTrue(outcome._tag === "Error" && outcome.side === "erlang")
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
  })

  it("one seed is one scenario", () => {
    assert.deepStrictEqual(scenarioOf("supervision", 7), scenarioOf("supervision", 7))
  })
})

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
})
