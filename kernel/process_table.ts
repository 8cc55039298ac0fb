/**
 * The process table: per-pid state shared by every core (layout/process_layout.ts).
 *
 * - `listen(pid)` grants the pid the right to receive.
 * - A `call` moves the caller's `reply_state` to WAITING at a new call number (`begin_call`).
 *   `deliver_reply` parks the reply in the caller's reply slot and `fail_caller` puts DEAD_PEER
 *   there instead, each by one compare-and-swap WAITING → WRITING, then READY, so a reply and a
 *   callee's death can never both land. The caller takes it (`take_reply`) or gives up
 *   (`abandon_call`), again by compare-and-swap.
 * - `process_exit` marks the pid exited and deletes its capabilities; a reply capability it
 *   still held fails its caller with DEAD_PEER, so a caller never waits for a dead server.
 *
 * Every wake-up goes through the caller's core's doorbell (doorbell.ts). `process_exit` takes
 * only the node's memory and its host's waiter and clock, so the host can run it from the main
 * thread for the pids of a worker that crashed.
 */
import { Caps } from './caps.js';
import { lock, unlock } from './control_lock.js';
import { Doorbells } from './doorbell.js';
import type { Clock, Waiter } from './env.js';
import { CapKind } from './layout/cap_layout.js';
import { NODE_LOCK_WORD } from './layout/node_layout.js';
import {
  CALL_SEQ_MASK,
  PROCESS_CALL_SEQ_WORD,
  PROCESS_FLAGS_WORD,
  PROCESS_NET_REFUSED_WORD,
  PROCESS_NOTIFY_BITS_WORD,
  PROCESS_REPLY_SLOT_WORD,
  PROCESS_REPLY_STATE_WORD,
  PROCESS_REPLY_STATUS_WORD,
  ProcessFlags,
  ReplyState,
  reply_state,
  reply_state_kind,
} from './layout/process_layout.js';
import type { Message } from './message.js';
import type { NodeMemory } from './node_memory.js';
import { read_slot, write_slot } from './slot_io.js';
import { Status } from './status.js';

/** Sets the LISTENING flag of `pid`. */
export function listen(memory: NodeMemory, pid: number): void {
  Atomics.or(memory.i32, memory.process_word(pid) + PROCESS_FLAGS_WORD, ProcessFlags.LISTENING);
}

/** Whether `pid` has the flag `flag`. */
export function has_flag(memory: NodeMemory, pid: number, flag: number): boolean {
  return (Atomics.load(memory.i32, memory.process_word(pid) + PROCESS_FLAGS_WORD) & flag) !== 0;
}

/** Whether `pid` may receive (it called `listen` and has not exited). */
export function is_listening(memory: NodeMemory, pid: number): boolean {
  return (memory.i32[memory.process_word(pid) + PROCESS_FLAGS_WORD]! & ProcessFlags.LISTENING) !== 0;
}

/**
 * Under the lock: the entry of an exited `pid` starts over for a new process (`Kernel.revive`):
 * not exited, not listening, no notification bits. The call number carries on, so a reply meant
 * for the old process's last call cannot be taken for one of the new process's.
 */
export function process_revive(memory: NodeMemory, pid: number): void {
  const entry = memory.process_word(pid);
  Atomics.and(memory.i32, entry + PROCESS_FLAGS_WORD, ~(ProcessFlags.EXITED | ProcessFlags.LISTENING));
  Atomics.store(memory.i32, entry + PROCESS_NOTIFY_BITS_WORD, 0);
  forget_call(memory, pid);
}

/**
 * Ends whatever call `pid` was waiting for, without a result: its reply state becomes IDLE at
 * the current call number, so a reply to that call, arriving now, is refused (NOT_WAITING) rather
 * than left in a slot nobody will read. For a process that is gone (a revived pid, a node that
 * restarts on its kept memory).
 */
export function forget_call(memory: NodeMemory, pid: number): void {
  const entry = memory.process_word(pid);
  const call_seq = memory.i32[entry + PROCESS_CALL_SEQ_WORD]!;
  Atomics.store(memory.i32, entry + PROCESS_REPLY_STATE_WORD, reply_state(call_seq, ReplyState.IDLE));
}

/** Whether `pid` has exited. */
export function has_exited(memory: NodeMemory, pid: number): boolean {
  return has_flag(memory, pid, ProcessFlags.EXITED);
}

/** Starts a new call of `caller`: its reply state becomes WAITING at the next call number, which it returns. */
export function begin_call(memory: NodeMemory, caller: number): number {
  const i32 = memory.i32;
  const entry = memory.process_word(caller);
  const call_seq = (i32[entry + PROCESS_CALL_SEQ_WORD]! + 1) & CALL_SEQ_MASK;
  i32[entry + PROCESS_CALL_SEQ_WORD] = call_seq;
  Atomics.store(i32, entry + PROCESS_REPLY_STATE_WORD, reply_state(call_seq, ReplyState.WAITING));
  return call_seq;
}

/** The number of `caller`'s current (or last) call. */
export function current_call(memory: NodeMemory, caller: number): number {
  return memory.i32[memory.process_word(caller) + PROCESS_CALL_SEQ_WORD]!;
}

/**
 * Stops `caller` waiting for call `call_seq`. Returns false if that call already completed (a
 * reply or DEAD_PEER landed, or is landing): the caller must take it.
 */
export function abandon_call(memory: NodeMemory, caller: number, call_seq: number): boolean {
  const waiting = reply_state(call_seq, ReplyState.WAITING);
  const word = memory.process_word(caller) + PROCESS_REPLY_STATE_WORD;
  return Atomics.compareExchange(memory.i32, word, waiting, reply_state(call_seq, ReplyState.IDLE)) === waiting;
}

/** Whether `caller` still waits for call `call_seq` (a network server's check before it keeps state for it). */
export function waits_for(memory: NodeMemory, caller: number, call_seq: number): boolean {
  return (
    Atomics.load(memory.i32, memory.process_word(caller) + PROCESS_REPLY_STATE_WORD) ===
    reply_state(call_seq, ReplyState.WAITING)
  );
}

/**
 * Takes the reply to `caller`'s current call if it is ready: into `m`, returning the status the
 * replier (or the callee's exit) left, OK or DEAD_PEER. `WOULD_BLOCK` while it is not ready.
 */
export function take_reply(memory: NodeMemory, caller: number, m: Message): number {
  const i32 = memory.i32;
  const entry = memory.process_word(caller);
  const state = Atomics.load(i32, entry + PROCESS_REPLY_STATE_WORD);
  if (reply_state_kind(state) !== ReplyState.READY) return Status.WOULD_BLOCK;
  const status = i32[entry + PROCESS_REPLY_STATUS_WORD]!;
  if (status === Status.OK) read_slot(i32, entry + PROCESS_REPLY_SLOT_WORD, m, 0);
  Atomics.store(i32, entry + PROCESS_REPLY_STATE_WORD, (state & ~3) | ReplyState.IDLE);
  return status;
}

/**
 * Writes `m` as the reply to `caller`'s call number `call_seq` and rings its core. Returns OK,
 * or NOT_WAITING if the caller is no longer waiting for that call (it timed out, or a newer call
 * replaced it, or the call already failed).
 */
export function deliver_reply(
  memory: NodeMemory,
  doorbells: Doorbells,
  caller: number,
  call_seq: number,
  m: Message,
  flags: number,
): number {
  const entry = memory.process_word(caller);
  if (!begin_reply(memory.i32, entry, call_seq)) return Status.NOT_WAITING;
  write_slot(memory.i32, entry + PROCESS_REPLY_SLOT_WORD, m, flags, -1, call_seq, m.src_node);
  end_reply(memory, doorbells, caller, entry, call_seq, Status.OK);
  return Status.OK;
}

/** Takes the reply slot of call `call_seq` (WAITING → WRITING) if the caller still waits for it. */
function begin_reply(i32: Int32Array, entry: number, call_seq: number): boolean {
  const waiting = reply_state(call_seq, ReplyState.WAITING);
  const writing = reply_state(call_seq, ReplyState.WRITING);
  return Atomics.compareExchange(i32, entry + PROCESS_REPLY_STATE_WORD, waiting, writing) === waiting;
}

/** Publishes the reply slot's `status` (WRITING → READY) and rings the caller's core. */
function end_reply(
  memory: NodeMemory,
  doorbells: Doorbells,
  caller: number,
  entry: number,
  call_seq: number,
  status: number,
): void {
  memory.i32[entry + PROCESS_REPLY_STATUS_WORD] = status;
  Atomics.store(memory.i32, entry + PROCESS_REPLY_STATE_WORD, reply_state(call_seq, ReplyState.READY));
  const core = memory.core_of(caller);
  if (core >= 0) doorbells.ring(core);
}

/**
 * Ends `caller`'s call number `call_seq` with `status` (DEAD_PEER by default; a remote node's
 * refusal otherwise) and rings its core, if it still waits for that call.
 */
export function fail_caller(
  memory: NodeMemory,
  doorbells: Doorbells,
  caller: number,
  call_seq: number,
  status: number = Status.DEAD_PEER,
): boolean {
  const entry = memory.process_word(caller);
  if (!begin_reply(memory.i32, entry, call_seq)) return false;
  end_reply(memory, doorbells, caller, entry, call_seq, status);
  return true;
}

/**
 * ORs `bits` into `pid`'s notification word and rings its core (seL4's signal: notifications
 * since the receiver last looked coalesce into one). Returns NOT_BOUND for a pid on no core.
 */
export function signal(memory: NodeMemory, doorbells: Doorbells, pid: number, bits: number): number {
  const core = memory.core_of(pid);
  if (core < 0) return Status.NOT_BOUND;
  Atomics.or(memory.i32, memory.process_word(pid) + PROCESS_NOTIFY_BITS_WORD, bits);
  doorbells.ring(core);
  return Status.OK;
}

/**
 * Adds `count` to `pid`'s messages the network refused after the kernel took them (the network
 * core calls it; layout/process_layout.ts `net_refused`). A pid outside the table is ignored.
 */
export function count_net_refused(memory: NodeMemory, pid: number, count: number): void {
  if (!Number.isInteger(pid) || pid < 0 || pid >= memory.geometry.pids_max) return;
  Atomics.add(memory.i32, memory.process_word(pid) + PROCESS_NET_REFUSED_WORD, count);
}

/** `pid`'s messages the network refused after the kernel took them, since the node started. */
export function net_refused(memory: NodeMemory, pid: number): number {
  return Atomics.load(memory.i32, memory.process_word(pid) + PROCESS_NET_REFUSED_WORD) >>> 0;
}

/** Takes `pid`'s pending notification bits (0 if none), clearing them. */
export function take_signal(memory: NodeMemory, pid: number): number {
  const word = memory.process_word(pid) + PROCESS_NOTIFY_BITS_WORD;
  if (memory.i32[word] === 0) return 0;
  return Atomics.exchange(memory.i32, word, 0);
}

/** What `process_exit` did. */
export interface ExitOutcome {
  /** Local callers failed with DEAD_PEER. */
  readonly failed: number;
  /** Remote reply capabilities orphaned: the network server answers their callers (`RemoteRouter.orphaned`). */
  readonly orphaned: number;
}

/**
 * Marks `pid` exited and deletes every capability in its table. Capabilities derived from them
 * (copies granted to other processes) survive, moved up the derivation tree. Each reply
 * capability fails its caller with DEAD_PEER. Each unanswered remote reply capability is marked
 * orphaned instead (the network server frees it and answers its caller on the other node: tell
 * it through `RemoteRouter.orphaned`, after this returns).
 */
export function process_exit(memory: NodeMemory, waiter: Waiter, clock: Clock, pid: number): ExitOutcome {
  const caps = new Caps(memory);
  const doorbells = new Doorbells(memory, waiter);
  let failed = 0;
  let orphaned = 0;
  lock(memory.i32, NODE_LOCK_WORD, waiter, clock);
  try {
    Atomics.or(memory.i32, memory.process_word(pid) + PROCESS_FLAGS_WORD, ProcessFlags.EXITED);
    Atomics.and(memory.i32, memory.process_word(pid) + PROCESS_FLAGS_WORD, ~ProcessFlags.LISTENING);
    const first = pid * caps.caps_per_pid;
    for (let slot = 0; slot < caps.caps_per_pid; slot++) {
      const global = first + slot;
      if (!caps.used(global)) continue;
      const kind = caps.kind(global);
      if (kind === CapKind.REMOTE_REPLY || kind === CapKind.REMOTE_ANSWERED || kind === CapKind.REMOTE_ORPHANED) {
        if (caps.transition(global, caps.generation(global), CapKind.REMOTE_REPLY, CapKind.REMOTE_ORPHANED)) orphaned++;
        continue; // The network server frees it.
      }
      const target = caps.target(global);
      const target_gen = caps.target_gen(global);
      if (caps.delete(global) && kind === CapKind.REPLY && fail_caller(memory, doorbells, target, target_gen)) failed++;
    }
  } finally {
    unlock(memory.i32, NODE_LOCK_WORD, waiter);
  }
  return { failed, orphaned };
}
