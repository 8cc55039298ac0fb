/**
 * Worker of the ring-protocol experiment (ring_protocols.ts). Agent A produces, agent B
 * consumes; both run the same protocol on the same shared buffer for one phase.
 *
 * Protocols, all with 128-byte slots (a header line of 15 words and a 64-byte payload line),
 * a multi-producer claim (compare-and-swap on `tail`) and freeing by advancing `head`:
 * - `slot_poll`: the consumer polls a publication word in the slot's header line; the producer
 *   writes the payload line, then the header line, the publication word last.
 * - `array_poll`: the consumer polls the slot's word in a separate publish array; the producer
 *   writes both slot lines, then stores into the array.
 * - `bare`: a single-producer ring of 64-byte slots publishing `tail` after each slot (the
 *   ceiling), for reference.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { CAPACITY, HEAD, PUBLISH, SLOTS, SLOT_WORDS, TAIL } from './ring_agent_layout.js';

const { role, buffer } = workerData as { role: 'A' | 'B'; buffer: SharedArrayBuffer };
const i32 = new Int32Array(buffer);
const now = () => performance.timeOrigin + performance.now();

function produce(protocol: string, n: number): void {
  let head_cache = Atomics.load(i32, HEAD);
  for (let i = 0; i < n; i++) {
    let position = Atomics.load(i32, TAIL);
    for (;;) {
      if (((position + 1 - head_cache) | 0) > CAPACITY) {
        head_cache = Atomics.load(i32, HEAD);
        continue;
      }
      const seen = Atomics.compareExchange(i32, TAIL, position, (position + 1) | 0);
      if (seen === position) break;
      position = seen;
    }
    const w = SLOTS + (position & (CAPACITY - 1)) * SLOT_WORDS;
    for (let k = 16; k < 32; k++) i32[w + k] = i + k; // Payload line first.
    for (let k = 1; k < 16; k++) i32[w + k] = i - k; // Header line.
    if (protocol === 'slot_poll') Atomics.store(i32, w, (position + 1) | 0);
    else Atomics.store(i32, PUBLISH + (position & (CAPACITY - 1)), (position + 1) | 0);
  }
}

function consume(protocol: string, n: number, ready: () => void): { start: number; end: number } {
  let head = Atomics.load(i32, HEAD);
  ready();
  let start = 0;
  let check = 0;
  for (let i = 0; i < n; i++) {
    const w = SLOTS + (head & (CAPACITY - 1)) * SLOT_WORDS;
    const word = protocol === 'slot_poll' ? w : PUBLISH + (head & (CAPACITY - 1));
    while (Atomics.load(i32, word) !== ((head + 1) | 0)) {}
    if (i === 0) start = now();
    for (let k = 1; k < 32; k++) check += i32[w + k]!;
    head = (head + 1) | 0;
    Atomics.store(i32, HEAD, head);
  }
  return { start: start + (check & 0), end: now() };
}

function bare_produce(n: number): void {
  let tail = Atomics.load(i32, TAIL);
  let head_cache = Atomics.load(i32, HEAD);
  for (let i = 0; i < n; i++) {
    while (tail - head_cache >= CAPACITY) head_cache = Atomics.load(i32, HEAD);
    const w = SLOTS + (tail & (CAPACITY - 1)) * 16;
    for (let k = 0; k < 16; k++) i32[w + k] = i + k;
    tail++;
    Atomics.store(i32, TAIL, tail);
  }
}

function bare_consume(n: number, ready: () => void): { start: number; end: number } {
  let head = Atomics.load(i32, HEAD);
  ready();
  let tail_cache = head;
  let start = 0;
  let check = 0;
  for (let i = 0; i < n; i++) {
    while (tail_cache === head) tail_cache = Atomics.load(i32, TAIL);
    if (i === 0) start = now();
    const w = SLOTS + (head & (CAPACITY - 1)) * 16;
    for (let k = 0; k < 16; k++) check += i32[w + k]!;
    head++;
    Atomics.store(i32, HEAD, head);
  }
  return { start: start + (check & 0), end: now() };
}

parentPort!.on('message', (command: { protocol: string; n: number } | { exit: true }) => {
  if ('exit' in command) {
    parentPort!.close();
    return;
  }
  const ready = () => parentPort!.postMessage({ ready: true });
  if (role === 'A') {
    if (command.protocol === 'bare') bare_produce(command.n);
    else produce(command.protocol, command.n);
    parentPort!.postMessage({ done: true });
  } else {
    const times =
      command.protocol === 'bare' ? bare_consume(command.n, ready) : consume(command.protocol, command.n, ready);
    parentPort!.postMessage({ done: true, ...times });
  }
});
