/**
 * Lattice kernel: the public API of the portable core.
 *
 * Everything here runs unchanged in a Node worker, a browser worker or a single-thread
 * simulator: it imports no Node built-in and keeps no module-level state.
 */
export { AssertionError } from './assert.js';
export { Status, status_name, status_retriable } from './status.js';
export { ConfigError, LatticeError, StatusError, check, status_code } from './errors.js';
export { ErrorCode, is_error_code } from './error_codes.js';
export { Lifecycle } from './lifecycle.js';
export { ChannelTable, REMOTE_PID_MAX, type Destination } from './channel_table.js';
export { EgressRouter } from './egress.js';
export {
  atomics_waiter,
  performance_clock,
  real_env,
  SPIN_POLLS_DEFAULT,
  type Clock,
  type KernelEnv,
  type WaitResult,
  type Waiter,
} from './env.js';
export { Message } from './message.js';
export { DEFAULT_GEOMETRY, NodeMemory, message_region_bytes, type NodeConfig, type NodeShared } from './node_memory.js';
export {
  ANY_NODE,
  BATCH_COUNT_MAX,
  Fastpath,
  IpcFlags,
  LOCAL_NODE,
  RECV_TIMEOUT_MS_DEFAULT,
  RECV_TIMEOUT_MS_MAX,
  SOURCE_STREAK_MAX,
} from './fastpath.js';
export { CALL_TIMEOUT_MS_DEFAULT, Kernel, type ChannelInfo, type ConnectOptions, type RemoteRouter } from './kernel.js';
export { lattice, type LatticeApi, type PollNetwork } from './lattice_api.js';
export { Rights } from './layout/cap_layout.js';
export type { CapInfo } from './caps.js';
export { process_exit } from './process_table.js';
export {
  fastpath_stats,
  sum_core_stats,
  type CoreStats,
  type Denials,
  type FastpathStats,
  type Rejections,
  type SlabClassStats,
  type TierCounts,
} from './stats.js';
export { NO_CORE, Topology } from './topology.js';
export { Tier, TIER_NAMES } from './layout/counter_layout.js';
export { SLOT_PAYLOAD_BYTES_MAX, SlotFlags } from './layout/slot_layout.js';
export { DEFAULT_SLAB_CLASSES, type SlabClass } from './layout/spill_layout.js';
export type { NodeGeometry } from './layout/node_layout.js';
export { process_context, type ProcessContext, type ProcessMain, type TrustedParts } from './process.js';
