/**
 * `lattice-ipc/sim`: the deterministic simulator (sim/README.md). A scenario (JSON) describes
 * nodes, workloads and faults; `Simulator` runs it on one thread in virtual time, with the real
 * kernel, network server and secure channel over a simulated network, checks the invariants and
 * returns a report and a trace digest that are the same for the same seed on every host.
 * Portable: it imports no Node module (the `lattice sim` command reads files).
 */
export { Simulator, type NodeSummary, type SimOptions, type SimResult } from './simulator.js';
export {
  CHANNELS_MAX_DEFAULT,
  CORES_PER_NODE_MAX,
  DURATION_MS_MAX,
  MESSAGES_PER_WORKLOAD_MAX,
  NODES_MAX,
  PIDS_PER_NODE_MAX,
  ScenarioError,
  parse_scenario,
  type Scenario,
  type ScenarioNode,
} from './scenario.js';
export { swarm_scenario } from './swarm.js';
export { report_html } from './report_html.js';
export { type Invariant, SimBootError, SimViolation } from './violation.js';
export { Prng, SEED_MAX } from './prng.js';
export { Trace, TraceKind } from './trace.js';
