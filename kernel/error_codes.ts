/**
 * The one registry of error codes: every `LatticeError` (and so every error class Lattice throws)
 * carries one of these as its `code`, and the type system refuses any other string.
 *
 * Codes are stable across releases: callers branch on them, so a code is never reused for a
 * different fault and never renamed. A fault a caller would handle differently gets a code of its
 * own (a port out of range is not a slab class out of range). docs/API.md lists every code, and
 * test/kernel/error_codes.test.ts fails when it does not.
 *
 * The `STATUS_*` entries are the hot path's result codes (status.ts) raised as `StatusError`s by
 * `check()`: `ERR_LATTICE_` followed by the status's name.
 */

export const ErrorCode = {
  // Hot-path statuses raised by `check()` (StatusError): one per failing `Status`.
  WOULD_BLOCK: 'ERR_LATTICE_WOULD_BLOCK',
  TIMEOUT: 'ERR_LATTICE_TIMEOUT',
  BACKPRESSURE: 'ERR_LATTICE_BACKPRESSURE',
  BAD_PID: 'ERR_LATTICE_BAD_PID',
  NOT_BOUND: 'ERR_LATTICE_NOT_BOUND',
  TOO_BIG: 'ERR_LATTICE_TOO_BIG',
  WRONG_CORE: 'ERR_LATTICE_WRONG_CORE',
  CHANNEL_TABLE_FULL: 'ERR_LATTICE_CHANNEL_TABLE_FULL',
  STALE_BLOCK: 'ERR_LATTICE_STALE_BLOCK',
  CLOSED: 'ERR_LATTICE_CLOSED',
  BAD_ARGUMENT: 'ERR_LATTICE_BAD_ARGUMENT',
  NO_CAP: 'ERR_LATTICE_NO_CAP',
  NO_RIGHT: 'ERR_LATTICE_NO_RIGHT',
  STALE_CHANNEL: 'ERR_LATTICE_STALE_CHANNEL',
  NOT_LISTENING: 'ERR_LATTICE_NOT_LISTENING',
  CYCLE: 'ERR_LATTICE_CYCLE',
  TABLE_FULL: 'ERR_LATTICE_TABLE_FULL',
  DEAD_PEER: 'ERR_LATTICE_DEAD_PEER',
  NO_CHANNEL: 'ERR_LATTICE_NO_CHANNEL',
  NOT_WAITING: 'ERR_LATTICE_NOT_WAITING',
  NO_ROUTE: 'ERR_LATTICE_NO_ROUTE',

  // A node's shared memory (ConfigError from NodeMemory).
  /** A geometry field (cores, pids, channels, ring capacities, …) out of its range. */
  BAD_GEOMETRY: 'ERR_LATTICE_BAD_GEOMETRY',
  /** `slab_classes` empty, too many, unsorted, or a class out of its range. */
  BAD_SLAB_CLASSES: 'ERR_LATTICE_BAD_SLAB_CLASSES',
  /** A region that is not a `SharedArrayBuffer` (or is the wrong typed array). */
  BUFFER_TYPE: 'ERR_LATTICE_BUFFER_TYPE',
  /** A message region smaller than the node needs. */
  REGION_TOO_SMALL: 'ERR_LATTICE_REGION_TOO_SMALL',
  /** Buffers that are not a formatted Lattice node (magic, version, size). */
  BAD_REGION: 'ERR_LATTICE_BAD_REGION',
  /** `set_message_region` while a core is attached. */
  REGION_IN_USE: 'ERR_LATTICE_REGION_IN_USE',

  // Cores, pids and attachments.
  /** A core out of range, or not a main core where one is needed. */
  BAD_CORE: 'ERR_LATTICE_BAD_CORE',
  /** A pid already bound, or given twice. */
  PID_BOUND: 'ERR_LATTICE_PID_BOUND',
  /** A second attachment to a core. */
  CORE_ATTACHED: 'ERR_LATTICE_CORE_ATTACHED',
  /** Every producer slot is attached. */
  NO_PRODUCER_SLOT: 'ERR_LATTICE_NO_PRODUCER_SLOT',
  /** A process whose worker exited before it returned. */
  CORE_EXITED: 'ERR_LATTICE_CORE_EXITED',
  /** A process whose worker crashed (an uncaught error on its thread). */
  CORE_CRASHED: 'ERR_LATTICE_CORE_CRASHED',

  // Options and limits of the network, the secure channel and the hosts.
  /** A numeric limit out of its range, or two limits that contradict each other. */
  BAD_LIMIT: 'ERR_LATTICE_BAD_LIMIT',
  /** An option of the wrong type, or one that needs another option that is missing. */
  BAD_OPTION: 'ERR_LATTICE_BAD_OPTION',
  /** A port outside [1, 65535] (or [0, 65535] where 0 asks for any free port). */
  BAD_PORT: 'ERR_LATTICE_BAD_PORT',
  /** A host address that is empty or not a string. */
  BAD_ADDRESS: 'ERR_LATTICE_BAD_ADDRESS',
  /** A transport other than 'udp', 'tcp' or 'tcp_transient'. */
  BAD_PROTO: 'ERR_LATTICE_BAD_PROTO',
  /** A node id outside 1 … 2^31 − 1, or a node that was never added. */
  BAD_NODE: 'ERR_LATTICE_BAD_NODE',
  /** A public key or pre-shared key of the wrong size. */
  BAD_KEY: 'ERR_LATTICE_BAD_KEY',
  /** `NodeHost.network` on a node started without one. */
  NO_NETWORK: 'ERR_LATTICE_NO_NETWORK',
  /** `NetDriver.init` on a driver that is already running. */
  NET_RUNNING: 'ERR_LATTICE_NET_RUNNING',
  /** A socket failure (`NetSystemError`: `errno`, `syscall`, `node`). */
  NET_SYSTEM: 'ERR_LATTICE_NET_SYSTEM',

  // The bulk path (BulkError, NoAdapterError).
  /** A WGSL kernel failed to compile or validate; `messages` has the compiler's words. */
  WGSL: 'ERR_LATTICE_WGSL',
  /** A kernel spec out of its limits (workgroup size, output size, entry point). */
  BAD_KERNEL: 'ERR_LATTICE_BAD_KERNEL',
  /** A user kernel asked for on the CPU path, with no CPU reference given. */
  NO_CPU_KERNEL: 'ERR_LATTICE_NO_CPU_KERNEL',
  /** A bulk message whose BLAKE3 digest does not match its payload. */
  DIGEST_MISMATCH: 'ERR_LATTICE_DIGEST_MISMATCH',
  /** A bulk message too short or with a bad header. */
  BAD_BULK_MESSAGE: 'ERR_LATTICE_BAD_BULK_MESSAGE',
  /** The GPU device was lost or an operation on it failed. */
  GPU: 'ERR_LATTICE_GPU',
  /** No WebGPU adapter on any backend tried (`NoAdapterError`: `attempts`). */
  NO_GPU_ADAPTER: 'ERR_LATTICE_NO_GPU_ADAPTER',
  WEBGPU_MISSING: 'ERR_LATTICE_WEBGPU_MISSING',

  // Files, scenarios and the command line.
  /** A scenario or config file that is not valid JSON (`JsonSyntaxError`: `line`, `column`). */
  SCENARIO_SYNTAX: 'ERR_LATTICE_SCENARIO_SYNTAX',
  /** A scenario that does not check (`ScenarioError`: `errors`). */
  SCENARIO: 'ERR_LATTICE_SCENARIO',
  /** A simulated process that threw. */
  SIM_PROCESS_ERROR: 'ERR_LATTICE_SIM_PROCESS_ERROR',
  /** A simulated node failed to start (`SimBootError`: `node`, `cause`). */
  SIM_BOOT_FAILED: 'ERR_LATTICE_SIM_BOOT_FAILED',
  // A broken invariant of a simulated run (`SimViolation`: `invariant`, `at_us`), one per invariant.
  /** A delivered payload differs from the one sent. */
  SIM_TAMPER: 'ERR_LATTICE_SIM_TAMPER',
  /** A message crossed a channel its sender held no capability for. */
  SIM_CAPABILITY: 'ERR_LATTICE_SIM_CAPABILITY',
  /** A message delivered to a pid it was not sent to. */
  SIM_MISDELIVERY: 'ERR_LATTICE_SIM_MISDELIVERY',
  /** A message delivered twice. */
  SIM_DUPLICATE: 'ERR_LATTICE_SIM_DUPLICATE',
  /** Messages of one channel delivered out of order. */
  SIM_FIFO: 'ERR_LATTICE_SIM_FIFO',
  /** Messages neither delivered nor counted by any drop counter. */
  SIM_SILENT_LOSS: 'ERR_LATTICE_SIM_SILENT_LOSS',
  /** Virtual time stopped advancing. */
  SIM_LIVELOCK: 'ERR_LATTICE_SIM_LIVELOCK',
  /** A call waited out its timeout on a path that cannot lose it, its callee up: a wake-up was lost. */
  SIM_LIVENESS: 'ERR_LATTICE_SIM_LIVENESS',
  /** A `lattice node` config file that does not check (`NodeConfigError`: `errors`). */
  NODE_CONFIG: 'ERR_LATTICE_NODE_CONFIG',
  /** A `lattice node` that could not start (bind, identity, processes). */
  NODE_START: 'ERR_LATTICE_NODE_START',
  /** A bad command on a `lattice node`'s stdin. */
  NODE_COMMAND: 'ERR_LATTICE_NODE_COMMAND',
  /** `lattice stat` could not reach a node's metrics endpoint. */
  NODE_UNREACHABLE: 'ERR_LATTICE_NODE_UNREACHABLE',
  /** A `ping` service none of whose pings was answered in time (the peer down, or not the key pinned). */
  PING_UNANSWERED: 'ERR_LATTICE_PING_UNANSWERED',
  /** An identity file that cannot be read, or has the wrong size or mode. */
  KEY_FILE: 'ERR_LATTICE_KEY_FILE',
  /** Bad command-line arguments (`UsageError`; the CLI exits with 2). */
  USAGE: 'ERR_LATTICE_USAGE',

  /** A programmer error: a broken precondition or invariant (`AssertionError`). */
  ASSERTION: 'ERR_LATTICE_ASSERTION',
} as const;

/** One of the registered codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const registered: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** Whether `code` is a registered code (for tools that read codes from outside, e.g. a worker's error). */
export function is_error_code(code: unknown): code is ErrorCode {
  return typeof code === 'string' && registered.has(code);
}
