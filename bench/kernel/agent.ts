/**
 * One of the two worker threads of the kernel benchmark. Agent A sends, agent B receives; the
 * same two threads run every phase, so Lattice and its baselines are measured between the same
 * pair of threads in the same run.
 *
 * Phases:
 * - mp_*: Node's MessagePort.postMessage (a structured-clone copy per message).
 * - ring_*: a bare single-producer SAB ring of 64-byte slots, spinning: the ceiling any design
 *   on SharedArrayBuffers can reach. `batch` publishes the tail once per batch.
 * - lattice_*: the Lattice fastpath (send / send_batch / descriptor blocks; blocking recv).
 * - transfer_*: what one message costs in one thread, from its send to its receipt, through
 *   core 0's own L1 ring (`transfer_l1`) or through the spill region once its rings are full
 *   (`transfer_spill`); the simulator's cost model (sim/costs.ts) takes its defaults from them.
 *   Only agent A works; B answers at once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { real_env } from '../../kernel/env.js';
import { Fastpath, IpcFlags } from '../../kernel/fastpath.js';
import { Kernel } from '../../kernel/kernel.js';
import { Message } from '../../kernel/message.js';
import { NodeMemory } from '../../kernel/node_memory.js';
import { Status } from '../../kernel/status.js';
import {
  BARE_CAPACITY,
  BARE_HEAD_WORD,
  BARE_SLOTS_WORD,
  BARE_SLOT_WORDS,
  BARE_TAIL_WORD,
  type AgentInit,
  type PhaseCommand,
  type PhaseResult,
} from './agent_protocol.js';

const init = workerData as AgentInit;
const port = parentPort!;
const memory = NodeMemory.open(init.shared);
const fastpath = Fastpath.attach_core(memory, init.core, real_env(init.spin_polls));
const kernel = new Kernel(fastpath);
kernel.listen(init.pid);
/** This agent's capability to send to its peer (for the kernel-API phases). */
const cap = kernel.connect(init.pid, init.peer);
const ring = new Int32Array(init.ring);
const now = () => performance.timeOrigin + performance.now();
const gc = (globalThis as { gc?: () => void }).gc;

function result(start_ms: number, end_ms: number, count: number, extra: Partial<PhaseResult> = {}): PhaseResult {
  return { role: init.role, start_ms, end_ms, count, ...extra };
}

// ---------------------------------------------------------------------------------------------
// MessagePort.

function mp_send(n: number, bytes: number): PhaseResult {
  const payload = new Uint8Array(bytes);
  const start = now();
  for (let i = 0; i < n; i++) {
    payload[0] = i & 0xff;
    init.port.postMessage(payload);
  }
  return result(start, now(), n);
}

function mp_recv(n: number, ready: () => void): Promise<PhaseResult> {
  return new Promise((resolve) => {
    let count = 0;
    let start = 0;
    let check = 0;
    const on_message = (data: Uint8Array) => {
      if (count === 0) start = now();
      check += data[0]! + data[data.length - 1]!;
      if (++count === n) {
        init.port.off('message', on_message);
        resolve(result(start, now(), n, { retries: check & 0 }));
      }
    };
    init.port.on('message', on_message);
    ready();
  });
}

async function mp_ping(n: number): Promise<PhaseResult> {
  const samples = new Float64Array(n);
  const payload = new Uint8Array(64);
  const start = now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const reply = new Promise<void>((resolve) => init.port.once('message', () => resolve()));
    init.port.postMessage(payload);
    await reply;
    samples[i] = (performance.now() - t) * 1000;
  }
  return result(start, now(), n, { samples });
}

function mp_pong(n: number, ready: () => void): Promise<PhaseResult> {
  return new Promise((resolve) => {
    let count = 0;
    const start = now();
    const on_message = (data: Uint8Array) => {
      init.port.postMessage(data);
      if (++count === n) {
        init.port.off('message', on_message);
        resolve(result(start, now(), n));
      }
    };
    init.port.on('message', on_message);
    ready();
  });
}

// ---------------------------------------------------------------------------------------------
// The bare SPSC ring (spinning both sides).

function ring_send(n: number, batch: number): PhaseResult {
  const start = now();
  let tail = Atomics.load(ring, BARE_TAIL_WORD);
  let head_cache = Atomics.load(ring, BARE_HEAD_WORD);
  let pending = 0;
  for (let i = 0; i < n; i++) {
    while (tail - head_cache >= BARE_CAPACITY) head_cache = Atomics.load(ring, BARE_HEAD_WORD);
    const w = BARE_SLOTS_WORD + (tail & (BARE_CAPACITY - 1)) * BARE_SLOT_WORDS;
    for (let k = 0; k < BARE_SLOT_WORDS; k++) ring[w + k] = i + k;
    tail++;
    if (++pending === batch || i === n - 1) {
      Atomics.store(ring, BARE_TAIL_WORD, tail);
      pending = 0;
    }
  }
  return result(start, now(), n);
}

function ring_recv(n: number, batch: number, ready: () => void): PhaseResult {
  let head = Atomics.load(ring, BARE_HEAD_WORD);
  ready();
  let tail_cache = head;
  let start = 0;
  let check = 0;
  let consumed = 0;
  for (let i = 0; i < n; i++) {
    while (tail_cache === head) tail_cache = Atomics.load(ring, BARE_TAIL_WORD);
    if (i === 0) start = now();
    const w = BARE_SLOTS_WORD + (head & (BARE_CAPACITY - 1)) * BARE_SLOT_WORDS;
    for (let k = 0; k < BARE_SLOT_WORDS; k++) check += ring[w + k]!;
    head++;
    if (++consumed === batch || i === n - 1) {
      Atomics.store(ring, BARE_HEAD_WORD, head);
      consumed = 0;
    }
  }
  return result(start, now(), n, { retries: check & 0 });
}

// ---------------------------------------------------------------------------------------------
// Lattice.

function heap_before(): number {
  gc?.();
  return process.memoryUsage().heapUsed;
}

function lattice_send(n: number, measure_heap: boolean): PhaseResult {
  const m = new Message();
  m.length = 64;
  let retries = 0;
  const before = measure_heap ? heap_before() : 0;
  const start = now();
  for (let i = 0; i < n; i++) {
    m.m_type = i;
    m.payload_words[0] = i;
    while (fastpath.send(init.pid, init.peer, m) !== Status.OK) retries++;
  }
  const end = now();
  const growth = measure_heap ? process.memoryUsage().heapUsed - before : 0;
  return result(start, end, n, { retries, heap_growth_bytes: growth });
}

function lattice_recv(n: number, measure_heap: boolean, ready: () => void): PhaseResult {
  const r = new Message();
  const before = measure_heap ? heap_before() : 0;
  ready();
  let start = 0;
  let check = 0;
  for (let i = 0; i < n; i++) {
    while (fastpath.recv(init.pid, r) !== Status.OK) {}
    if (i === 0) start = now();
    check += r.payload_words[0]!;
  }
  const end = now();
  const growth = measure_heap ? process.memoryUsage().heapUsed - before : 0;
  return result(start, end, n, { heap_growth_bytes: growth, retries: check & 0 });
}

function lattice_send_batch(n: number, batch: number): PhaseResult {
  const msgs = Array.from({ length: batch }, () => {
    const m = new Message();
    m.length = 64;
    return m;
  });
  let retries = 0;
  const start = now();
  for (let i = 0; i < n; ) {
    const count = Math.min(batch, n - i);
    for (let k = 0; k < count; k++) msgs[k]!.m_type = i + k;
    const sent = fastpath.send_batch(init.pid, init.peer, msgs, count);
    if (sent > 0) {
      i += sent;
      // A partial batch resends the rest from the front of the array.
      if (sent < count) for (let k = sent; k < count; k++) msgs[k - sent]!.m_type = msgs[k]!.m_type;
    } else {
      retries++;
    }
  }
  return result(start, now(), n, { retries });
}

function lattice_bulk_send(n: number, bytes: number): PhaseResult {
  const source = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) source[i] = i & 0xff;
  const m = new Message();
  let retries = 0;
  const start = now();
  for (let i = 0; i < n; i++) {
    let block = fastpath.alloc_block(bytes);
    while (block < 0) {
      retries++;
      block = fastpath.alloc_block(bytes);
    }
    source[0] = i & 0xff;
    memory.r8.set(source, fastpath.block_data(block)); // The payload is written once, in place.
    m.block_offset = block;
    m.length = bytes;
    m.m_type = i;
    while (fastpath.send(init.pid, init.peer, m) !== Status.OK) retries++;
  }
  return result(start, now(), n, { retries });
}

function lattice_bulk_recv(n: number, ready: () => void): PhaseResult {
  const r = new Message();
  ready();
  let start = 0;
  let check = 0;
  for (let i = 0; i < n; i++) {
    while (fastpath.recv(init.pid, r) !== Status.OK) {}
    if (i === 0) start = now();
    const data = fastpath.block_data(r.block_offset);
    check += memory.r8[data]! + memory.r8[data + r.length - 1]!; // Read in place: zero copy.
    if (fastpath.release(r) !== Status.OK) throw new Error('release');
  }
  return result(start, now(), n, { retries: check & 0 });
}

function lattice_ping(n: number): PhaseResult {
  const m = new Message();
  const r = new Message();
  m.length = 64;
  const samples = new Float64Array(n);
  const start = now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    m.m_type = i;
    while (fastpath.send(init.pid, init.peer, m) !== Status.OK) {}
    while (fastpath.recv(init.pid, r) !== Status.OK) {}
    samples[i] = (performance.now() - t) * 1000;
  }
  return result(start, now(), n, { samples });
}

function lattice_pong(n: number, ready: () => void): PhaseResult {
  const r = new Message();
  ready();
  const start = now();
  for (let i = 0; i < n; i++) {
    while (fastpath.recv(init.pid, r) !== Status.OK) {}
    while (fastpath.send(init.pid, init.peer, r) !== Status.OK) {}
  }
  return result(start, now(), n);
}

// ---------------------------------------------------------------------------------------------
// Transfers inside one thread, for the simulator's cost model: pid 1 sends to `LOCAL_PEER`,
// which is bound to the same core (start_agents binds it), and takes its messages back.

/** The pid on agent A's own core that the transfer phases send to. */
const LOCAL_PEER = 3;
/** Messages per sample of a transfer phase. */
const TRANSFER_SAMPLE = 128;

/** Sends `count` messages to `LOCAL_PEER`; false if one was refused. */
function send_local(m: Message, count: number): boolean {
  for (let i = 0; i < count; i++) if (fastpath.send(init.pid, LOCAL_PEER, m) !== Status.OK) return false;
  return true;
}

function recv_local(r: Message, count: number): void {
  for (let i = 0; i < count; i++)
    if (fastpath.recv(LOCAL_PEER, r, IpcFlags.NONBLOCK) !== Status.OK)
      throw new Error('transfer: a message went missing');
}

/** µs per message of `TRANSFER_SAMPLE` sends and their receipts through core 0's L1 ring. */
function transfer_l1(n: number): PhaseResult {
  const m = new Message();
  const r = new Message();
  m.length = 64;
  const samples = new Float64Array(n);
  const start = now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    if (!send_local(m, TRANSFER_SAMPLE)) throw new Error('transfer_l1: a send was refused');
    recv_local(r, TRANSFER_SAMPLE);
    samples[i] = ((performance.now() - t) * 1000) / TRANSFER_SAMPLE;
  }
  return result(start, now(), n, { samples });
}

/**
 * µs per message of `TRANSFER_SAMPLE` sends that spill (every ring from core 0 to itself is
 * filled first, untimed) and their receipts, taken after the rings' messages.
 */
function transfer_spill(n: number): PhaseResult {
  const m = new Message();
  const r = new Message();
  m.length = 64;
  const g = memory.layout.geometry;
  const rings = g.ring_capacity_l1 + g.ring_capacity_l2 + g.ring_capacity_l3;
  const samples = new Float64Array(n);
  const start = now();
  for (let i = 0; i < n; i++) {
    if (!send_local(m, rings)) throw new Error('transfer_spill: the rings did not take their capacity');
    const t0 = performance.now();
    if (!send_local(m, TRANSFER_SAMPLE)) throw new Error('transfer_spill: the spill region refused a send');
    const sent_ms = performance.now() - t0;
    recv_local(r, rings);
    const t1 = performance.now();
    recv_local(r, TRANSFER_SAMPLE);
    samples[i] = ((sent_ms + performance.now() - t1) * 1000) / TRANSFER_SAMPLE;
  }
  return result(start, now(), n, { samples });
}

/**
 * µs from an `Atomics.notify` to the settling of the `Atomics.waitAsync` it woke, both in this
 * thread: what a wake-up costs between two processes of one core.
 */
async function wake_local(n: number): Promise<PhaseResult> {
  const bell = new Int32Array(new SharedArrayBuffer(4));
  const samples = new Float64Array(n);
  const start = now();
  for (let i = 0; i < n; i++) {
    const waiting = Atomics.waitAsync(bell, 0, 0);
    if (!waiting.async) throw new Error('wake_local: the wait did not park');
    const t = performance.now();
    Atomics.notify(bell, 0);
    await waiting.value;
    samples[i] = (performance.now() - t) * 1000;
  }
  return result(start, now(), n, { samples });
}

// ---------------------------------------------------------------------------------------------
// The kernel API (capability-checked send, listen-checked recv, call/reply).

function api_send(n: number): PhaseResult {
  const m = new Message();
  m.length = 64;
  let retries = 0;
  const start = now();
  for (let i = 0; i < n; i++) {
    m.m_type = i;
    m.payload_words[0] = i;
    while (kernel.send(init.pid, cap, m) !== Status.OK) retries++;
  }
  return result(start, now(), n, { retries });
}

function api_recv(n: number, ready: () => void): PhaseResult {
  const r = new Message();
  ready();
  let start = 0;
  let check = 0;
  for (let i = 0; i < n; i++) {
    while (kernel.recv(init.pid, r) !== Status.OK) {}
    if (i === 0) start = now();
    check += r.payload_words[0]!;
  }
  return result(start, now(), n, { retries: check & 0 });
}

function api_call(n: number): PhaseResult {
  const m = new Message();
  const reply = new Message();
  m.length = 64;
  const samples = new Float64Array(n);
  const start = now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    m.m_type = i;
    const status = kernel.call(init.pid, cap, m, reply, 10_000);
    if (status !== Status.OK || reply.m_type !== i) throw new Error(`call: status ${status}`);
    samples[i] = (performance.now() - t) * 1000;
  }
  return result(start, now(), n, { samples });
}

function api_serve(n: number, ready: () => void): PhaseResult {
  const r = new Message();
  ready();
  const start = now();
  for (let i = 0; i < n; i++) {
    while (kernel.recv(init.pid, r) !== Status.OK) {}
    if (kernel.reply(init.pid, r.cap, r) !== Status.OK) throw new Error('reply');
  }
  return result(start, now(), n);
}

// ---------------------------------------------------------------------------------------------

/** B's side of a phase only A works in. */
function idle(ready: () => void): PhaseResult {
  ready();
  return result(now(), now(), 0);
}

async function run(command: PhaseCommand, ready: () => void): Promise<PhaseResult> {
  const { phase, n } = command;
  const bytes = command.bytes ?? 64;
  const batch = command.batch ?? 1;
  const sender = init.role === 'A';
  switch (phase) {
    case 'mp_oneway':
      return sender ? mp_send(n, bytes) : mp_recv(n, ready);
    case 'mp_rtt':
      return sender ? mp_ping(n) : mp_pong(n, ready);
    case 'ring_oneway':
      return sender ? ring_send(n, batch) : ring_recv(n, batch, ready);
    case 'lattice_oneway':
      return sender ? lattice_send(n, true) : lattice_recv(n, true, ready);
    case 'lattice_batch':
      return sender ? lattice_send_batch(n, batch) : lattice_recv(n, false, ready);
    case 'lattice_bulk':
      return sender ? lattice_bulk_send(n, bytes) : lattice_bulk_recv(n, ready);
    case 'lattice_rtt':
      return sender ? lattice_ping(n) : lattice_pong(n, ready);
    case 'transfer_l1':
      return sender ? transfer_l1(n) : idle(ready);
    case 'transfer_spill':
      return sender ? transfer_spill(n) : idle(ready);
    case 'wake_local':
      return sender ? wake_local(n) : idle(ready);
    case 'api_oneway':
      return sender ? api_send(n) : api_recv(n, ready);
    case 'api_call':
      return sender ? api_call(n) : api_serve(n, ready);
    default:
      throw new Error(`unknown phase ${phase}`);
  }
}

port.on('message', (command: PhaseCommand | { phase: 'exit' }) => {
  if (command.phase === 'exit') {
    fastpath.detach();
    init.port.close();
    port.close();
    return;
  }
  void run(command as PhaseCommand, () => port.postMessage({ ready: true })).then(
    (outcome) => port.postMessage({ result: outcome }),
    (error: unknown) => port.postMessage({ error: String(error) }),
  );
});
