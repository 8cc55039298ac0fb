// Shared set-up for the single-thread kernel tests: a node whose cores one thread attaches to,
// a Kernel per core, and helpers that drain a pid's messages.
import { real_env } from '../../kernel/env.js';
import { Fastpath, IpcFlags } from '../../kernel/fastpath.js';
import { Kernel } from '../../kernel/kernel.js';
import { Message } from '../../kernel/message.js';
import { NodeMemory, type NodeConfig } from '../../kernel/node_memory.js';
import { Status } from '../../kernel/status.js';

export interface TestNode {
  readonly memory: NodeMemory;
  /** The kernel of `core` (attached on first use). */
  kernel(core: number): Kernel;
  /** Detaches every core. */
  close(): void;
}

export function test_node(config: NodeConfig = {}, bindings: Record<number, number> = {}): TestNode {
  const memory = NodeMemory.create(config);
  for (const [pid, core] of Object.entries(bindings)) memory.bind(Number(pid), core);
  const kernels = new Map<number, Kernel>();
  return {
    memory,
    kernel(core) {
      let k = kernels.get(core);
      if (k === undefined) {
        k = new Kernel(Fastpath.attach_core(memory, core, real_env(0, true)));
        kernels.set(core, k);
      }
      return k;
    },
    close() {
      for (const k of kernels.values()) k.fastpath.detach();
      kernels.clear();
    },
  };
}

/** Receives every waiting message for `pid` (non-blocking) and returns their m_types. */
export function drain(kernel: Kernel, pid: number): number[] {
  const out: number[] = [];
  const r = new Message();
  for (let i = 0; i < 100_000; i++) {
    const status = kernel.recv(pid, r, IpcFlags.NONBLOCK);
    if (status === Status.WOULD_BLOCK) return out;
    if (status !== Status.OK) throw new Error(`drain: status ${status}`);
    out.push(r.m_type);
  }
  throw new Error('drain: too many messages');
}

/** A message of type `m_type` with `length` inline bytes. */
export function msg(m_type: number, length = 0): Message {
  const m = new Message();
  m.m_type = m_type;
  m.length = length;
  return m;
}
