/**
 * The process table: per-pid state shared by every core (layout/process_layout.ts).
 *
 * - `listen(pid)` grants the pid the right to receive.
 * - A pending `call` parks its reply in the caller's reply slot; `deliver_reply` puts it there
 *   and `fail_caller` puts DEAD_PEER there instead, each by one compare-and-swap on the
 *   caller's `reply_state`, so a reply and a callee's death can never both land.
 * - `process_exit` marks the pid exited and deletes its capabilities; a reply capability it
 *   still held fails its caller with DEAD_PEER, so a caller never waits for a dead server.
 *
 * `process_exit` takes only the node's memory and a waiter, so the host can run it from the
 * main thread for the pids of a worker that crashed.
 */
import { Caps } from './caps.js';
import { lock, unlock } from './control_lock.js';
import type { Clock, Waiter } from './env.js';
import { CapKind } from './layout/cap_layout.js';
import { NODE_LOCK_WORD } from './layout/node_layout.js';
import {
  PROCESS_FLAGS_WORD,
  PROCESS_REPLY_SLOT_WORD,
  PROCESS_REPLY_STATE_WORD,
  PROCESS_REPLY_STATUS_WORD,
  ProcessFlags,
  ReplyState,
} from './layout/process_layout.js';
import type { Message } from './message.js';
import type { NodeMemory } from './node_memory.js';
import { write_slot } from './slot_io.js';
import { Status } from './status.js';

/** Sets the LISTENING flag of `pid`. */
export function listen(memory: NodeMemory, pid: number): void {
  Atomics.or(memory.i32, memory.process_word(pid) + PROCESS_FLAGS_WORD, ProcessFlags.LISTENING);
}

/** Whether `pid` has the flag `flag`. */
export function has_flag(memory: NodeMemory, pid: number, flag: number): boolean {
  return (Atomics.load(memory.i32, memory.process_word(pid) + PROCESS_FLAGS_WORD) & flag) !== 0;
}

/**
 * Writes `m` as the reply to `caller`'s call number `call_seq` and wakes it. Returns OK, or
 * NOT_WAITING if the caller is no longer waiting for that call (it timed out, or a newer call
 * replaced it, or the call already failed).
 */
export function deliver_reply(memory: NodeMemory, caller: number, call_seq: number, m: Message, flags: number): number {
  const i32 = memory.i32;
  const entry = memory.process_word(caller);
  const waiting = (call_seq << 2) | ReplyState.WAITING;
  if (
    Atomics.compareExchange(i32, entry + PROCESS_REPLY_STATE_WORD, waiting, (call_seq << 2) | ReplyState.WRITING) !==
    waiting
  ) {
    return Status.NOT_WAITING;
  }
  write_slot(i32, entry + PROCESS_REPLY_SLOT_WORD, m, flags, -1, call_seq, 0);
  i32[entry + PROCESS_REPLY_STATUS_WORD] = Status.OK;
  Atomics.store(i32, entry + PROCESS_REPLY_STATE_WORD, (call_seq << 2) | ReplyState.READY);
  const core = memory.core_of(caller);
  if (core >= 0) memory.ring_doorbell(core);
  return Status.OK;
}

/** Ends `caller`'s call number `call_seq` with DEAD_PEER and wakes it (if it still waits). */
export function fail_caller(memory: NodeMemory, caller: number, call_seq: number): boolean {
  const i32 = memory.i32;
  const entry = memory.process_word(caller);
  const waiting = (call_seq << 2) | ReplyState.WAITING;
  if (
    Atomics.compareExchange(i32, entry + PROCESS_REPLY_STATE_WORD, waiting, (call_seq << 2) | ReplyState.WRITING) !==
    waiting
  ) {
    return false;
  }
  i32[entry + PROCESS_REPLY_STATUS_WORD] = Status.DEAD_PEER;
  Atomics.store(i32, entry + PROCESS_REPLY_STATE_WORD, (call_seq << 2) | ReplyState.READY);
  const core = memory.core_of(caller);
  if (core >= 0) memory.ring_doorbell(core);
  return true;
}

/**
 * Marks `pid` exited and deletes every capability in its table. Capabilities derived from them
 * (copies granted to other processes) survive, moved up the derivation tree. Each reply
 * capability fails its caller with DEAD_PEER. Returns how many callers were failed.
 */
export function process_exit(memory: NodeMemory, waiter: Waiter, clock: Clock, pid: number): number {
  const caps = new Caps(memory);
  let failed = 0;
  lock(memory.i32, NODE_LOCK_WORD, waiter, clock);
  try {
    Atomics.or(memory.i32, memory.process_word(pid) + PROCESS_FLAGS_WORD, ProcessFlags.EXITED);
    Atomics.and(memory.i32, memory.process_word(pid) + PROCESS_FLAGS_WORD, ~ProcessFlags.LISTENING);
    const first = pid * caps.caps_per_pid;
    for (let slot = 0; slot < caps.caps_per_pid; slot++) {
      const global = first + slot;
      if (!caps.used(global)) continue;
      if (caps.kind(global) === CapKind.REPLY) {
        const caller = caps.target(global);
        const call_seq = caps.target_gen(global);
        if (caps.delete(global) && fail_caller(memory, caller, call_seq)) failed++;
      } else {
        caps.delete(global);
      }
    }
  } finally {
    unlock(memory.i32, NODE_LOCK_WORD, waiter);
  }
  return failed;
}
