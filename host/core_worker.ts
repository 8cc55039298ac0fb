/**
 * Entry of a core's worker thread.
 *
 * Opens the node's shared memory, attaches to its core (exclusively), runs the processes the
 * host hands it, and reports each one's result. When a process returns or throws, its kernel
 * state is cleaned up (`Kernel.exit`): callers waiting for its replies get DEAD_PEER. It stays alive for `spawn` requests until the
 * host says `close`; then it waits for its processes to return (the node's closing flag wakes
 * any that are blocked in `recv`), detaches and exits with nothing left open.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { real_env } from '../kernel/env.js';
import { Fastpath } from '../kernel/fastpath.js';
import { Kernel } from '../kernel/kernel.js';
import { lattice } from '../kernel/lattice_api.js';
import { NodeMemory } from '../kernel/node_memory.js';
import { Status, status_name } from '../kernel/status.js';
import { attach_egress } from '../net/node_network.js';
import { process_context, type ProcessMain } from '../kernel/process.js';
import type { HostToWorker, ProcessLaunch, WorkerInit, WorkerToHost } from './worker_protocol.js';
import { serialize_error } from './worker_protocol.js';

const port = parentPort;
if (port === null) throw new Error('core_worker must run in a worker thread');
const init = workerData as WorkerInit;
const memory = NodeMemory.open(init.shared);
const fastpath = Fastpath.attach_core(memory, init.core, real_env(init.spin_polls, init.debug));
const kernel = new Kernel(fastpath);
if (init.net_pid >= 0) attach_egress(kernel, init.net_pid);
const api = lattice(kernel);
const running = new Set<Promise<void>>();

function post(message: WorkerToHost): void {
  port!.postMessage(message);
}

async function run(launch: ProcessLaunch): Promise<void> {
  try {
    const module = (await import(launch.module)) as Record<string, unknown>;
    const entry = module[launch.entry] ?? (launch.entry === 'main' ? module.default : undefined);
    if (typeof entry !== 'function') {
      throw new TypeError(`process ${launch.pid}: ${launch.module} exports no function '${launch.entry}'`);
    }
    if (launch.respawn) {
      const revived = kernel.revive(launch.pid);
      if (revived !== Status.OK) throw new Error(`process ${launch.pid}: revive failed: ${status_name(revived)}`);
    }
    const context = process_context(kernel, launch.pid, launch.args, api, init.trusted);
    const value = await (entry as ProcessMain)(context);
    kernel.exit(launch.pid); // Its capabilities go; callers waiting on its replies get DEAD_PEER.
    try {
      post({ type: 'exited', pid: launch.pid, ok: true, value });
    } catch (error) {
      post({
        type: 'exited',
        pid: launch.pid,
        ok: false,
        error: serialize_error(
          new TypeError(`process ${launch.pid}: result is not structured-cloneable`, { cause: error }),
        ),
      });
    }
  } catch (error) {
    kernel.exit(launch.pid);
    post({ type: 'exited', pid: launch.pid, ok: false, error: serialize_error(error) });
  }
}

function start(launch: ProcessLaunch): void {
  const task = run(launch);
  running.add(task);
  void task.finally(() => running.delete(task));
}

port.on('message', (message: HostToWorker) => {
  if (message.type === 'spawn') {
    start(message.process);
  } else if (message.type === 'close') {
    void Promise.allSettled([...running]).then(() => {
      fastpath.detach();
      post({ type: 'closed' });
      port.close();
    });
  }
});

post({ type: 'attached', core: init.core });
for (const launch of init.processes) start(launch);
