/**
 * `lattice-ipc`: the common surface. What a program that runs a node on Node.js needs: the host,
 * the message and its status codes, the flags and rights, and the errors. Everything else is in
 * the entry of its layer: `lattice-ipc/kernel`, `/net`, `/secure`, `/sim`, `/gpu`, `/node`
 * (docs/API.md; the portable ones import no Node module).
 */
export { Message } from './kernel/message.js';
export { Status, status_name, status_retriable } from './kernel/status.js';
export { IpcFlags } from './kernel/fastpath.js';
export { Rights } from './kernel/layout/cap_layout.js';
export { ConfigError, LatticeError, StatusError, check, status_code } from './kernel/errors.js';
export { ErrorCode, is_error_code } from './kernel/error_codes.js';
export { AssertionError } from './kernel/assert.js';
export type { ProcessContext, ProcessMain } from './kernel/process.js';
export type { Kernel } from './kernel/kernel.js';
export type { LatticeApi } from './kernel/lattice_api.js';
export {
  CLOSE_TIMEOUT_MS_DEFAULT,
  NodeHost,
  type NodeHostOptions,
  type NodeNetworkOptions,
  type ProcessResult,
  type ProcessSpec,
} from './host/node_host.js';
