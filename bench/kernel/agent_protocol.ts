/**
 * What the kernel benchmark's orchestrator and its two agents share: the agents' start-up
 * data, phase commands and results, and the bare ring's layout.
 */
import type { MessagePort } from 'node:worker_threads';
import type { NodeShared } from '../../kernel/node_memory.js';

export interface AgentInit {
  readonly role: 'A' | 'B';
  readonly shared: NodeShared;
  readonly core: number;
  readonly pid: number;
  readonly peer: number;
  readonly ring: SharedArrayBuffer;
  readonly port: MessagePort;
  readonly spin_polls: number;
}

export interface PhaseCommand {
  readonly phase: string;
  readonly n: number;
  readonly bytes?: number;
  readonly batch?: number;
}

/** What an agent reports for a phase. Times are absolute (`timeOrigin + now`), in ms. */
export interface PhaseResult {
  readonly role: 'A' | 'B';
  readonly start_ms: number;
  readonly end_ms: number;
  readonly count: number;
  readonly samples?: Float64Array;
  readonly heap_growth_bytes?: number;
  readonly retries?: number;
}

// Bare ring: tail and head each on their own pair of lines; 1024 slots of 64 bytes.
export const BARE_TAIL_WORD = 0;
export const BARE_HEAD_WORD = 32;
export const BARE_SLOTS_WORD = 64;
export const BARE_CAPACITY = 1024;
export const BARE_SLOT_WORDS = 16;
export const BARE_RING_BYTES = (BARE_SLOTS_WORD + BARE_CAPACITY * BARE_SLOT_WORDS) * 4;
