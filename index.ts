/**
 * effect-otp: Erlang/OTP's processes and behaviours for TypeScript, on Effect 4 fibers.
 *
 * Distribution and the web observer are entry points of their own, `effect-otp/cluster` and
 * `effect-otp/observer`: importing this one loads neither cluster, SQL nor HTTP code.
 *
 * @packageDocumentation
 */

/**
 * Typed errors of the process core.
 *
 * @since 0.1.0
 */
export * as Errors from "./lib/Errors.js"

/**
 * Why a process ended, and the reason an exit signal carries.
 *
 * @since 0.1.0
 */
export * as ExitReason from "./lib/ExitReason.js"

/**
 * The runtime that owns processes, provided as a Layer.
 *
 * @since 0.1.0
 */
export * as Node from "./lib/Node.js"

/**
 * Process identifiers.
 *
 * @since 0.1.0
 */
export * as Pid from "./lib/Pid.js"

/**
 * Processes: spawn, send, receive, links, monitors, exit signals, names, timers.
 *
 * @since 0.1.0
 */
export * as Process from "./lib/Process.js"

/**
 * Unique references.
 *
 * @since 0.1.0
 */
export * as Reference from "./lib/Reference.js"

/**
 * The generic part of behaviours: start with init acknowledgement, naming, the call protocol.
 *
 * @since 0.1.0
 */
export * as Gen from "./lib/Gen.js"

/**
 * The generic loop every behaviour runs on: the mailbox, system messages, code change,
 * terminate and the error report, around a behaviour's own message handling.
 *
 * @since 0.1.0
 */
export * as Loop from "./lib/Loop.js"

/**
 * System messages: inspect, suspend, trace and upgrade processes on the generic loop.
 *
 * @since 0.1.0
 */
export * as Sys from "./lib/Sys.js"

/**
 * GenServer: a process with state serving a typed protocol.
 *
 * @since 0.1.0
 */
export * as GenServer from "./behaviours/GenServer.js"

/**
 * Child specifications: how a supervisor starts, restarts and stops a child.
 *
 * @since 0.1.0
 */
export * as ChildSpec from "./behaviours/ChildSpec.js"

/**
 * Supervisor: starts, watches and restarts children.
 *
 * @since 0.1.0
 */
export * as Supervisor from "./behaviours/Supervisor.js"

/**
 * DynamicSupervisor: children started on demand.
 *
 * @since 0.1.0
 */
export * as DynamicSupervisor from "./behaviours/DynamicSupervisor.js"

/**
 * Registry: process naming by any key, lookups, and local pub/sub.
 *
 * @since 0.1.0
 */
export * as Registry from "./behaviours/Registry.js"

/**
 * Application: named units with dependencies, configuration and a supervision tree; `main`.
 *
 * @since 0.1.0
 */
export * as Application from "./behaviours/Application.js"

/**
 * The code server: current and old versions of modules, live upgrades of running processes.
 *
 * @since 0.1.0
 */
export * as Code from "./lib/Code.js"

/**
 * Telemetry: spans and metrics of a node through Effect's Tracer and Metric.
 *
 * @since 0.1.0
 */
export * as Telemetry from "./lib/Telemetry.js"
