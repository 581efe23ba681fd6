/**
 * effect-otp: Erlang/OTP's processes and behaviours for TypeScript, on Effect 4 fibers.
 *
 * Distribution and the web observer are entry points of their own, `effect-otp/cluster` and
 * `effect-otp/observer`: importing this one loads neither cluster, SQL nor HTTP code.
 *
 * @packageDocumentation
 */

// Each module is imported as a namespace and exported by name (rather than `export * as`), so
// the API report sees one namespace per module: the one the library's own `import * as`
// references point to.

import * as Errors from "./lib/Errors.js"
import * as ExitReason from "./lib/ExitReason.js"
import * as Node from "./lib/Node.js"
import * as Pid from "./lib/Pid.js"
import * as Process from "./lib/Process.js"
import * as Reference from "./lib/Reference.js"
import * as Gen from "./lib/Gen.js"
import * as Loop from "./lib/Loop.js"
import * as Sys from "./lib/Sys.js"
import * as GenServer from "./behaviours/GenServer.js"
import * as Agent from "./behaviours/Agent.js"
import * as StateMachine from "./behaviours/StateMachine.js"
import * as ChildSpec from "./behaviours/ChildSpec.js"
import * as Supervisor from "./behaviours/Supervisor.js"
import * as DynamicSupervisor from "./behaviours/DynamicSupervisor.js"
import * as PartitionSupervisor from "./behaviours/PartitionSupervisor.js"
import * as Registry from "./behaviours/Registry.js"
import * as ProcessGroups from "./behaviours/ProcessGroups.js"
import * as Application from "./behaviours/Application.js"
import * as Code from "./lib/Code.js"
import * as Telemetry from "./lib/Telemetry.js"
import * as Task from "./behaviours/Task.js"
import * as TaskSupervisor from "./behaviours/TaskSupervisor.js"

/**
 * Typed errors of the process core.
 *
 * @since 0.1.0
 */
export { Errors }

/**
 * Why a process ended, and the reason an exit signal carries.
 *
 * @since 0.1.0
 */
export { ExitReason }

/**
 * The runtime that owns processes, provided as a Layer.
 *
 * @since 0.1.0
 */
export { Node }

/**
 * Process identifiers.
 *
 * @since 0.1.0
 */
export { Pid }

/**
 * Processes: spawn, send, receive, links, monitors, exit signals, names, timers.
 *
 * @since 0.1.0
 */
export { Process }

/**
 * Unique references.
 *
 * @since 0.1.0
 */
export { Reference }

/**
 * The generic part of behaviours: start with init acknowledgement, naming, the call protocol.
 *
 * @since 0.1.0
 */
export { Gen }

/**
 * The generic loop every behaviour runs on: the mailbox, system messages, code change,
 * terminate and the error report, around a behaviour's own message handling.
 *
 * @since 0.1.0
 */
export { Loop }

/**
 * System messages: inspect, suspend, trace and upgrade processes on the generic loop.
 *
 * @since 0.1.0
 */
export { Sys }

/**
 * GenServer: a process with state serving a typed protocol.
 *
 * @since 0.1.0
 */
export { GenServer }

/**
 * Agent: state behind a process, read and changed by functions run inside it (Elixir's Agent).
 *
 * @since 0.1.0
 */
export { Agent }

/**
 * StateMachine: a process in one of a set of states, reacting to events by state (OTP's gen_statem).
 *
 * @since 0.1.0
 */
export { StateMachine }

/**
 * Child specifications: how a supervisor starts, restarts and stops a child.
 *
 * @since 0.1.0
 */
export { ChildSpec }

/**
 * Supervisor: starts, watches and restarts children.
 *
 * @since 0.1.0
 */
export { Supervisor }

/**
 * DynamicSupervisor: children started on demand.
 *
 * @since 0.1.0
 */
export { DynamicSupervisor }

/**
 * PartitionSupervisor: N partitions of one child, routed by key (Elixir's PartitionSupervisor).
 *
 * @since 0.1.0
 */
export { PartitionSupervisor }

/**
 * Registry: process naming by any key, lookups, and local pub/sub.
 *
 * @since 0.1.0
 */
export { Registry }

/**
 * ProcessGroups: named groups of processes (OTP's pg): join, leave, members, monitors.
 *
 * @since 0.1.0
 */
export { ProcessGroups }

/**
 * Application: named units with dependencies, configuration and a supervision tree; `main`.
 *
 * @since 0.1.0
 */
export { Application }

/**
 * The code server: current and old versions of modules, live upgrades of running processes.
 *
 * @since 0.1.0
 */
export { Code }

/**
 * Telemetry: spans and metrics of a node through Effect's Tracer and Metric.
 *
 * @since 0.1.0
 */
export { Telemetry }

/**
 * Task: one piece of work in a process of its own, its result taken later (Elixir's `Task`).
 *
 * @since 0.1.0
 */
export { Task }

/**
 * TaskSupervisor: a supervisor of tasks started on demand (Elixir's `Task.Supervisor`).
 *
 * @since 0.1.0
 */
export { TaskSupervisor }
