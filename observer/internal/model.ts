/**
 * The JSON the observer's page reads (`GET /api/snapshot`): a node's supervision trees,
 * processes, supervisor reports and trace lines.
 *
 * @internal
 */

/**
 * One supervisor report as the observer keeps it.
 */
export interface CrashReport {
  /** When it was logged, as an ISO 8601 date. */
  readonly time: string
  /** The name of the supervisor's node. */
  readonly node: string
  /** The supervisor's pid, printed (`<0.12.0>`). */
  readonly supervisor: string
  /**
   * The supervisor's registered name when it wrote the report, else its id in its own
   * supervisor (filled in by the next snapshot that finds it in a tree); absent when it has
   * neither.
   */
  supervisorName?: string | undefined
  /** The id of the child. */
  readonly child: string
  /** The child's pid, printed (empty when the report names none). */
  readonly pid: string
  /** The child's exit reason, formatted. */
  readonly reason: string
  /** What the supervisor did: `restart`, `none` (not restarted), or `shutdown` (it reached its restart intensity). */
  readonly action: string
}

/**
 * One line of a traced process (`Sys.trace`).
 */
export interface TraceLine {
  /** When it was logged, as an ISO 8601 date. */
  readonly time: string
  /** The name of the process's node. */
  readonly node: string
  /** The traced process's pid, printed. */
  readonly pid: string
  /** The logged text, e.g. a message it got or a reply it sent. */
  readonly message: string
}

/**
 * A node of a supervision tree in a {@link Snapshot}: a supervisor with its children, or a
 * worker. `pid` is `"restarting"` for a child waiting for its restart.
 */
export interface TreeNode {
  /** The process's pid, printed; for a child not running, `restarting` or `undefined`. */
  readonly pid: string
  /** The child's id in its supervisor (`root` for an application's root); absent for a tree's top outside any application. */
  readonly id?: string | undefined
  /** The process's registered name, if any. */
  readonly name?: string | undefined
  /** Its via name, `via(registry, key)`, when it holds a key of a unique `Registry`. */
  readonly via?: string | undefined
  /** The name of the module it runs (`Supervisor`, `DynamicSupervisor`, a GenServer's); absent for a plain process. */
  readonly module?: string | undefined
  /** Whether it is a supervisor (with `children`) or a worker. */
  readonly kind: "supervisor" | "worker"
  /** The process's status (as in {@link ProcessRow}), or `restarting` / `not running` for a child without a process. */
  readonly status?: string | undefined
  /** A StateMachine's current state (as in {@link ProcessRow}). */
  readonly state?: string | undefined
  /** A supervisor's children, in start order (the first 100, fewer once the snapshot's 1000 tree nodes are spent). */
  readonly children?: ReadonlyArray<TreeNode> | undefined
  /** Children not listed (past the first 100, or past the snapshot's tree budget). */
  readonly more?: number | undefined
  /** Why a supervisor's children are not listed, e.g. `children unknown: busy` when it did not answer within 1 second. */
  readonly error?: string | undefined
}

/**
 * One process in a {@link Snapshot}.
 */
/** A bounded mailbox, as the observer shows it. */
export interface MailboxBound {
  /** How many messages may wait. */
  readonly capacity: number
  /** What a full mailbox does with a new message: `dropNewest`, `dropOldest` or `reject`. */
  readonly overflow: string
  /** Messages the bound kept out so far. */
  readonly dropped: number
}

export interface ProcessRow {
  /** The process's pid, printed. */
  readonly pid: string
  /** Its registered name, if any. */
  readonly name?: string | undefined
  /** Its via name, `via(registry, key)`, when it holds a key of a unique `Registry`. */
  readonly via?: string | undefined
  /** `running`, `waiting`, `runnable` or `suspended`, as `Process.info` reports it. */
  readonly status: string
  /** How many messages wait in its mailbox. */
  readonly mailbox: number
  /** The bound of a bounded mailbox (`Process.info`'s `mailbox`); absent for an unbounded one. */
  readonly bound?: MailboxBound | undefined
  /** Messages delivered to it so far, less the observer's own requests (the page derives its message rate). */
  readonly delivered: number
  /** The pids it is linked to, printed. */
  readonly links: ReadonlyArray<string>
  /** The pids it monitors, printed. */
  readonly monitors: ReadonlyArray<string>
  /** The pids monitoring it, printed. */
  readonly monitoredBy: ReadonlyArray<string>
  /** Whether it traps exits. */
  readonly trapExit: boolean
  /** The name of the module it runs (GenServers and supervisors); absent for a plain process. */
  readonly module?: string | undefined
  /** The version of that module. */
  readonly version?: string | undefined
  /**
   * A StateMachine's current state, formatted short: `open` for a state named by a string, the
   * value's text (at most 100 characters) otherwise; absent for every other process. Read
   * without a message to the machine.
   */
  readonly state?: string | undefined
  /** Traced through the observer. */
  readonly trace: boolean
}

/**
 * What `GET /api/snapshot` answers.
 */
export interface Snapshot {
  /** The name of the node described. */
  readonly node: string
  /** The names of every live node of the program. */
  readonly nodes: ReadonlyArray<string>
  /** Milliseconds of the `Clock` when the snapshot was taken, for rates. */
  readonly time: number
  /** The running applications, in start order, each with its root's supervision tree (`undefined` when the root is gone). */
  readonly applications: ReadonlyArray<{
    readonly name: string
    readonly version: string
    readonly type: string
    readonly master: string
    readonly tree: TreeNode | undefined
  }>
  /** Trees of supervisors outside any application (at most 1000 tree nodes in all the trees). */
  readonly trees: ReadonlyArray<TreeNode>
  /** The index of the first of `trees` among all the trees of supervisors outside any application (the `trees` parameter). */
  readonly treesOffset: number
  /** Trees of supervisors outside any application after the ones listed, left out once the 1000 tree nodes are spent. */
  readonly moreTrees: number
  /** One page of the live processes, oldest first: `limit` (default 100, at most 1000) from `offset`. */
  readonly processes: ReadonlyArray<ProcessRow>
  /** The index of the first process of `processes` among all the live ones. */
  readonly offset: number
  /** How many live processes the node has. */
  readonly total: number
  /** The node's recent crash reports, oldest first (at most `keep` for the whole program). */
  readonly crashes: ReadonlyArray<CrashReport>
  /** The node's recent trace lines, oldest first (at most `keep` for the whole program). */
  readonly traces: ReadonlyArray<TraceLine>
}
