/** The built-in workloads, by the `kind` a scenario names. */
import { call_reply, type CallReplySpec } from './call_reply.js';
import { workload_counters, type ProcessSpec, type WorkloadCounters } from './common.js';
import { ping_pong, type PingPongSpec } from './ping_pong.js';
import {
  all_to_all,
  bulk,
  fan_in,
  pipeline,
  type AllToAllSpec,
  type BulkSpec,
  type FanInSpec,
  type PipelineSpec,
} from './streams.js';

export type WorkloadSpec = PingPongSpec | CallReplySpec | PipelineSpec | FanInSpec | AllToAllSpec | BulkSpec;
export const WORKLOAD_KINDS = ['ping_pong', 'call_reply', 'pipeline', 'fan_in', 'all_to_all', 'bulk'] as const;

/** Places a workload's processes; they share `counters`. */
export function place_workload(spec: WorkloadSpec, counters: WorkloadCounters = workload_counters()): ProcessSpec[] {
  switch (spec.kind) {
    case 'ping_pong':
      return ping_pong(spec, counters);
    case 'call_reply':
      return call_reply(spec, counters);
    case 'pipeline':
      return pipeline(spec, counters);
    case 'fan_in':
      return fan_in(spec, counters);
    case 'all_to_all':
      return all_to_all(spec, counters);
    case 'bulk':
      return bulk(spec, counters);
  }
}

/** How many messages a workload sends if nothing stops it early (the ledger sizes its records by it). */
export function planned_messages(spec: WorkloadSpec): number {
  switch (spec.kind) {
    case 'ping_pong':
      return 2 * spec.rounds;
    case 'call_reply':
      return 2 * spec.clients.length * spec.calls_per_client;
    case 'pipeline':
      return spec.messages * (spec.stages.length - 1);
    case 'fan_in':
      return spec.senders.length * spec.messages_per_sender;
    case 'all_to_all':
      return spec.participants.length * spec.messages_per_process;
    case 'bulk':
      return spec.transfers;
  }
}

export { workload_counters, type ProcessSpec, type WorkloadCounters };
export type { Endpoint } from './common.js';
