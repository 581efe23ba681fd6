/**
 * `telemetry_call_round_trips_off` and its companions: what telemetry costs, on and off, on the
 * two hot paths, measured in the same process, alternating, each run on a fresh node.
 *
 * - calls: one client process makes `n` sequential `GenServer.call(counter, Add, { by: 1 })`
 *   (as `genserver_call_round_trips`), on a node without telemetry (`off`) and on one inside
 *   `Telemetry.layer()` (`on`: a client and a server span per call with Effect's native tracer,
 *   and the call-duration histogram).
 * - sends: one process sends `n` numbers to a receiver that sums them with `Process.receive()`
 *   (as `send_throughput`), off and on: telemetry records nothing per message, so the two match.
 * - `telemetry_call_on_off_ratio`: calls per second on / off (1 = free).
 * - `telemetry_call_round_trips_metrics_only`: calls with `Telemetry.layer({ spans: false })`:
 *   the latency histogram without spans (spans are most of the cost of `on`).
 *
 * What "off costs nothing" is measured against: `genserver_call_round_trips` and
 * `send_throughput` of the same run (the code path of a node that never heard of telemetry is
 * the `off` one: the only additions are one field check per call and one counter increment per
 * delivered message).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Node, Telemetry } from "../index.js"
import { otpSendThroughput, runCase } from "./common.js"
import { otpCallRoundTrips } from "./counter.js"

const nodeOff = Node.layer()
const nodeOn = Node.layer().pipe(Layer.provide(Telemetry.layer()))
const nodeMetrics = Node.layer().pipe(Layer.provide(Telemetry.layer({ spans: false })))

const calls = (node: Layer.Layer<Node.Node>, n: number): Promise<number> =>
  Effect.runPromise(otpCallRoundTrips(n).pipe(Effect.provide(node)))

const sends = (node: Layer.Layer<Node.Node>, n: number): Promise<number> =>
  Effect.runPromise(otpSendThroughput(n).pipe(Effect.provide(node)))

let round = 0

runCase({
  benchmark: "telemetry_call_round_trips_off",
  unit: "calls/s",
  size: { full: 200_000, quick: 20_000 },
  reps: { full: 5, quick: 1 },
  extra: [
    { benchmark: "telemetry_call_round_trips_on", unit: "calls/s" },
    { benchmark: "telemetry_call_on_off_ratio", unit: "ratio" },
    { benchmark: "telemetry_call_round_trips_metrics_only", unit: "calls/s" },
    { benchmark: "telemetry_send_throughput_off", unit: "msg/s" },
    { benchmark: "telemetry_send_throughput_on", unit: "msg/s" }
  ],
  systems: {
    "effect-otp": async (n) => {
      // Alternate which goes first, so neither always runs on a warmer JIT or a cleaner heap.
      const offFirst = round++ % 2 === 0
      let callsOff: number
      let callsOn: number
      let sendsOff: number
      let sendsOn: number
      let callsMetrics: number
      if (offFirst) {
        callsOff = await calls(nodeOff, n)
        callsOn = await calls(nodeOn, n)
        callsMetrics = await calls(nodeMetrics, n)
        sendsOff = await sends(nodeOff, n * 5)
        sendsOn = await sends(nodeOn, n * 5)
      } else {
        callsMetrics = await calls(nodeMetrics, n)
        callsOn = await calls(nodeOn, n)
        callsOff = await calls(nodeOff, n)
        sendsOn = await sends(nodeOn, n * 5)
        sendsOff = await sends(nodeOff, n * 5)
      }
      return {
        telemetry_call_round_trips_off: callsOff,
        telemetry_call_round_trips_on: callsOn,
        telemetry_call_on_off_ratio: callsOn / callsOff,
        telemetry_call_round_trips_metrics_only: callsMetrics,
        telemetry_send_throughput_off: sendsOff,
        telemetry_send_throughput_on: sendsOn
      }
    }
  }
})
