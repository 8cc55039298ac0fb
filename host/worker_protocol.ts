/**
 * Messages between the host (main thread) and a core's worker thread.
 *
 * These are control-plane messages only (start a process, report its result, close); the
 * data plane between processes is the node's shared memory, never `postMessage`.
 */
import type { NodeShared } from '../kernel/node_memory.js';

/** A process to start on a core. `module` is a URL string the worker can import. */
export interface ProcessLaunch {
  readonly pid: number;
  readonly module: string;
  readonly entry: string;
  readonly args: unknown;
  /** The pid's earlier process has ended: the worker revives the pid first (`Kernel.revive`). */
  readonly respawn: boolean;
}

/** `workerData` of a core's worker. */
export interface WorkerInit {
  readonly shared: NodeShared;
  readonly core: number;
  readonly spin_polls: number;
  /** Hot-path assertions on (`KernelEnv.debug`). */
  readonly debug: boolean;
  /** Processes get the raw fastpath and memory (`NodeHostOptions.trusted`). */
  readonly trusted: boolean;
  /** The node's network pid, or -1: messages to other nodes go to it (`EgressRouter`). */
  readonly net_pid: number;
  readonly processes: readonly ProcessLaunch[];
}

export type HostToWorker = { readonly type: 'spawn'; readonly process: ProcessLaunch } | { readonly type: 'close' };

/** An error as it crosses threads: its name, message, stable code and stack. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly stack?: string;
}

export type WorkerToHost =
  | { readonly type: 'attached'; readonly core: number }
  | { readonly type: 'exited'; readonly pid: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'exited'; readonly pid: number; readonly ok: false; readonly error: SerializedError }
  | { readonly type: 'closed' };

export function serialize_error(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(error.stack !== undefined ? { stack: error.stack } : {}),
    };
  }
  return { name: 'Error', message: String(error) };
}
