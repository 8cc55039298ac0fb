/**
 * What a simulated process sees: the kernel's own `ProcessContext` (the same kernel, fastpath
 * and C-style API a worker thread gets), plus the simulator's clock, sleeps, a PRNG stream, and
 * tracked sends and receipts that feed the ledger (ledger.ts) and the trace.
 *
 * Process bodies are async: they receive with `kernel.recv_async` and call with
 * `kernel.call_async`, which park on the simulated doorbell. A blocking `recv` is refused (see
 * `SimWaiter.wait`).
 */
import type { Kernel } from '../kernel/kernel.js';
import { LOCAL_NODE } from '../kernel/fastpath.js';
import { SLOT_PAYLOAD_BYTES_MAX } from '../kernel/layout/slot_layout.js';
import { Message } from '../kernel/message.js';
import { process_context, type ProcessContext } from '../kernel/process.js';
import { Status } from '../kernel/status.js';
import type { Ledger, PathKind } from './ledger.js';
import { PAYLOAD_HEADER_BYTES, get_u32, write_payload } from './payload.js';
import type { Prng } from './prng.js';
import type { Lane, Scheduler, Sleeper } from './scheduler.js';
import { SimWaiter, type Incarnation } from './sim_env.js';
import type { Trace } from './trace.js';

/** A channel a process opened through `open`: its capability and its ledger entry. */
export interface TrackedChannel {
  readonly cap: number;
  readonly dst_node: number;
  readonly dst_pid: number;
  readonly ledger_channel: number;
}

/** The shared parts of a run a process reaches (one per simulation). */
export interface ProcessWorld {
  readonly scheduler: Scheduler;
  readonly ledger: Ledger;
  readonly trace: Trace;
  /** How remote channels travel, and whether they are sealed. */
  readonly proto: 'udp' | 'tcp';
  readonly sealed: boolean;
  /** Virtual µs after which workloads stop sending (the drain phase follows). */
  readonly send_until_us: number;
  /** Virtual µs at which the run ends: receivers return. */
  readonly end_us: number;
  /** The longest a wake-up can take, with a step and a transfer on top, µs: a receive that waits longer for a message already sent has lost its wake-up. */
  readonly wake_due_us: number;
  /** What a receipt costs its receiver by the tier that carried it (L1, L2, L3, spill), µs (costs.ts). */
  readonly tier_costs_us: Float64Array;
  /** Bounds of the virtual CPU time a `yield` costs, µs. */
  readonly step_us_min: number;
  readonly step_us_max: number;
  /** Sabotage knobs (tests only). */
  readonly forge_send: number;
  readonly tamper_delivered: number;
  readonly reorder_delivered: number;
  /** How the run's tracked calls ended (the liveness side of calls: timeouts while the callee was there). */
  readonly calls: CallStats;
  /**
   * Each process's last wait in `recv_async`, [since, until] in virtual µs (until = Infinity while
   * it waits), by `waiter_key(node, pid)`. The end-of-run liveness check reads it.
   */
  readonly last_waits: Map<number, [number, number]>;
  /** Whether node `to` is up and reachable from node `from` now. */
  peer_up(from: number, to: number): boolean;
}

/** How the tracked calls of a run ended. */
export interface CallStats {
  /** Calls answered. */
  completed: number;
  /** Calls that waited out their timeout. */
  timed_out: number;
  /**
   * Of those, calls whose callee's node was up and reachable when the wait ended: a reply lost,
   * late, or a caller that was never woken. With no faults this must be 0.
   */
  timed_out_peer_up: number;
  /** Calls that ended with DEAD_PEER (the callee exited or its node's session was lost). */
  dead_peer: number;
  /** Answers (a ping-pong's pong) a process stopped waiting for, and of those, with the peer's node up and reachable. */
  answers_waited_out: number;
  answers_waited_out_peer_up: number;
}

/** The key of (`node`, `pid`) in `ProcessWorld.last_waits`. */
export function waiter_key(node: number, pid: number): number {
  return node * 65_536 + pid;
}

/** A `CallStats` with every count 0. */
export function call_stats(): CallStats {
  return {
    completed: 0,
    timed_out: 0,
    timed_out_peer_up: 0,
    dead_peer: 0,
    answers_waited_out: 0,
    answers_waited_out_peer_up: 0,
  };
}

/** What a `turns` step returns to end the steps. */
export const TURNS_DONE = -1;

export interface SimProcessContext extends ProcessContext<unknown> {
  /** The node's id on the simulated network. */
  readonly node: number;
  /** This process's PRNG stream (forked from the seed by node, incarnation and pid). */
  readonly rng: Prng;
  /** The node's clock (skewed, if the scenario says so). */
  now_ms(): number;
  /** Parks for `ms` of virtual time. */
  sleep(ms: number): Promise<void>;
  /** Gives the core to others for one step of virtual CPU time. */
  yield(): Promise<void>;
  /** Draws the length of one step of virtual CPU time, µs (what `yield` sleeps). */
  step_us(): number;
  /**
   * Runs `turn` as this process's steps of virtual CPU time, each step inside its scheduler
   * event, with no promise per step (what `for (;;) { …; await ctx.sleep(d) }` does, for a
   * process that yields often). `turn` returns the µs until its next step (≥ 0), `TURNS_DONE`
   * to end (the promise resolves and the body goes on), or a promise (a retry in flight) after
   * which it is called again.
   */
  turns(turn: () => number | Promise<unknown>): Promise<void>;
  /** Whether workloads should still send (false once the drain phase began). */
  sending(): boolean;
  /** Virtual ms left before the run ends. */
  remaining_ms(): number;
  /** Connects to (`dst_node`, `dst_pid`) with a badge, and records the grant in the ledger. */
  open(dst_node: number, dst_pid: number): TrackedChannel;
  /** Sends a tracked message of `length` bytes (inline up to 64, else in a block). Returns a Status. */
  send_tracked(channel: TrackedChannel, m: Message, length: number): number;
  /** Calls the server on `channel` with a tracked message; the reply is checked too. */
  call_tracked(
    channel: TrackedChannel,
    m: Message,
    length: number,
    reply: Message,
    timeout_ms: number,
  ): Promise<number>;
  /** Answers a call with a tracked message on `back` (a channel `open_reply` made). */
  reply_tracked(reply_cap: number, back: TrackedChannel, m: Message, length: number): number;
  /** Records a reply path to (`dst_node`, `dst_pid`) in the ledger (the reply capability is the kernel's). */
  open_reply(dst_node: number, dst_pid: number): TrackedChannel;
  /** Checks a received message against the ledger and releases its block. */
  received(m: Message): void;
  /** Records that this process stopped waiting for an answer from node `peer_node` (counted with whether that node was up and reachable). */
  waited_out(peer_node: number): void;
  /**
   * `kernel.recv_async` for this process, with the liveness check of receives: a wait that ends
   * by its timer (the kernel's last look then finds a message) while a message from this node,
   * sent after the wait began, had waited longer than a wake-up takes (the wake bound, a step and
   * a transfer: `wake_due_us`) lost its wake-up, and the run fails with `liveness`. (A message
   * merely late, behind another pid's full mailbox, is woken by the kernel's unstall ring, not
   * the timer, and is not flagged.)
   */
  recv_async(m: Message, timeout_ms: number): Promise<number>;
  /**
   * The two halves of `recv_async` around the caller's own `await kernel.recv_async(…)`, for a
   * hot receive loop (no promise of its own): `wait_begin` before, returning the start time;
   * `wait_end` after, with the status, returning it.
   */
  wait_begin(): number;
  wait_end(m: Message, status: number, since_us: number, timeout_ms: number): number;
}

/** The context of process `pid` of `node`, whose events run on the node's `lane`. */
export function sim_process_context(
  world: ProcessWorld,
  lane: Lane,
  kernel: Kernel,
  node: number,
  life: Incarnation,
  pid: number,
  rng: Prng,
  args: unknown,
): SimProcessContext {
  const base = process_context(kernel, pid, args);
  const fastpath = kernel.fastpath;
  const { ledger, trace } = world;
  let held: { m: Message; bytes: Uint8Array } | null = null;
  const sleeper: Sleeper = { life, resolve: null };
  const step_us = (): number => world.step_us_min + rng.float() * (world.step_us_max - world.step_us_min);
  // The cost model (costs.ts): each receipt keeps the process busy for its transfer, so its
  // delivery completes then, and the process's next step starts no earlier.
  const tier_costs_us = world.tier_costs_us;
  let busy_until_us = 0;
  const busy_us = (): number => (busy_until_us > lane.now_us ? busy_until_us - lane.now_us : 0);
  const my_core = base.core;
  const core_waiter = fastpath.env.waiter instanceof SimWaiter ? fastpath.env.waiter : null;
  const topology = kernel.memory.topology;
  /** This process's entry in `world.last_waits`, made at its first wait. */
  let last_wait: [number, number] | null = null;

  const path_to = (dst_node: number): PathKind =>
    dst_node === LOCAL_NODE || dst_node === node ? 'local' : world.proto;

  const stamp = (channel: TrackedChannel, m: Message, length: number): number => {
    const id = ledger.begin_send();
    const seq = ledger.next_seq(channel.ledger_channel);
    m.length = length;
    if (length <= SLOT_PAYLOAD_BYTES_MAX) {
      m.block_offset = 0;
      write_payload(m.payload, length, id, seq);
      return id;
    }
    const block = fastpath.alloc_block(length);
    if (block < 0) return block;
    m.block_offset = block;
    write_payload(fastpath.block_view(m), length, id, seq);
    return id;
  };

  const committed = (channel: TrackedChannel, id: number): void => {
    // The send's event first: a drop the network layers reported during the send is traced at the commit.
    trace.send(node, base.core, pid, id, channel.dst_node === LOCAL_NODE ? node : channel.dst_node, channel.dst_pid);
    ledger.commit(channel.ledger_channel, id);
  };

  /** Checks a receipt that came through `tier` (the ring's, or the reply slot's path). */
  const check = (m: Message, bytes: Uint8Array, tier: number): void => {
    const tamper = world.tamper_delivered > 0 && rng.chance(world.tamper_delivered);
    const now_us = lane.now_us;
    busy_until_us = (busy_until_us > now_us ? busy_until_us : now_us) + tier_costs_us[tier & 3]!;
    const delay_us = busy_until_us - now_us;
    const latency_us = ledger.deliver(node, pid, m, bytes, kernel.listening(pid), tamper, delay_us);
    trace.recv(node, base.core, pid, m.length >= 4 ? get_u32(bytes, 0) : 0, latency_us, delay_us);
  };

  return {
    ...base,
    node,
    rng,
    now_ms: () => fastpath.env.clock.now_ms(),
    sleep: (ms) => lane.sleep_as(ms * 1000 + busy_us(), sleeper),
    yield: () => lane.sleep_as(step_us() + busy_us(), sleeper),
    step_us,
    turns(turn) {
      return new Promise<void>((resolve, reject) => {
        // Runs with the process resumed; parks it when the next step is scheduled.
        const run = (): void => {
          let next: number | Promise<unknown>;
          try {
            next = turn();
          } catch (error) {
            reject(error);
            return;
          }
          if (typeof next !== 'number') {
            next.then(run, reject);
          } else if (next === TURNS_DONE) {
            resolve();
          } else {
            lane.park();
            lane.after_with(next + busy_us(), step, undefined);
          }
        };
        const step = (): void => {
          if (!life.alive) return; // A crashed node's processes never resume.
          lane.resume();
          run();
        };
        run();
      });
    },
    sending: () => lane.now_us < world.send_until_us,
    remaining_ms: () => (world.end_us - lane.now_us) / 1000,
    open(dst_node, dst_pid) {
      const remote = dst_node !== LOCAL_NODE && dst_node !== node;
      const kernel_node = remote ? dst_node : LOCAL_NODE;
      const provisional = ledger.open_channel(node, pid, remote ? dst_node : node, dst_pid, 0, {
        path: path_to(dst_node),
        sealed: remote && world.sealed,
      });
      const cap = kernel.connect(pid, dst_pid, kernel_node, { badge: provisional + 1 });
      if (cap < 0)
        throw new Error(`node ${node} pid ${pid}: connect to ${dst_node}:${dst_pid} failed with status ${cap}`);
      // The kernel keeps an existing capability (a restart with memory kept): record its badge.
      ledger.set_badge(provisional, kernel.cap_info(pid, cap)!.badge);
      return { cap, dst_node: kernel_node, dst_pid, ledger_channel: provisional };
    },
    open_reply(dst_node, dst_pid) {
      const remote = dst_node !== LOCAL_NODE && dst_node !== node;
      const channel = ledger.open_channel(node, pid, remote ? dst_node : node, dst_pid, 0, {
        path: path_to(dst_node),
        sealed: remote && world.sealed,
        by_reply: true,
      });
      return { cap: -1, dst_node: remote ? dst_node : LOCAL_NODE, dst_pid, ledger_channel: channel };
    },
    send_tracked(channel, m, length) {
      if (length < PAYLOAD_HEADER_BYTES) length = PAYLOAD_HEADER_BYTES;
      const id = stamp(channel, m, length);
      if (id < 0) return id;
      let status: number;
      if (world.forge_send > 0 && channel.dst_node === LOCAL_NODE && rng.chance(world.forge_send)) {
        m.badge = 0; // Sabotage: a raw send, no capability checked, no badge.
        status = fastpath.send(pid, channel.dst_pid, m);
      } else {
        status = kernel.send(pid, channel.cap, m);
      }
      if (status === Status.OK) committed(channel, id);
      else if (m.block_offset !== 0) fastpath.free_block(m.block_offset);
      return status;
    },
    async call_tracked(channel, m, length, reply, timeout_ms) {
      if (length < PAYLOAD_HEADER_BYTES) length = PAYLOAD_HEADER_BYTES;
      const id = stamp(channel, m, length);
      if (id < 0) return id;
      // Committed before the call parks: the server may receive it before call_async returns.
      trace.send(node, base.core, pid, id, node, channel.dst_pid);
      ledger.commit(channel.ledger_channel, id);
      const since_us = lane.now_us;
      const status = await kernel.call_async(pid, channel.cap, m, reply, timeout_ms);
      const calls = world.calls;
      if (status === Status.OK) {
        calls.completed++;
        // The reply slot is written by the callee's core (or by the network server: L3).
        const callee_core = channel.dst_node === LOCAL_NODE ? kernel.memory.core_of(channel.dst_pid) : -1;
        check(reply, reply.payload, topology.home_tier(callee_core, my_core));
      } else if (status === Status.TIMEOUT) {
        calls.timed_out++;
        const callee = channel.dst_node === LOCAL_NODE ? node : channel.dst_node;
        if (world.peer_up(node, callee)) {
          calls.timed_out_peer_up++;
          // Inside a node nothing is lost on the way: a call that waits out its timeout there, its
          // server running, was never woken (the liveness side of the wake path).
          if (callee === node && life.alive) {
            ledger.report(
              'liveness',
              `node ${node} pid ${pid} waited in a call to pid ${channel.dst_pid} on its own node from ${(since_us / 1000).toFixed(3)} ms until its ${timeout_ms} ms timeout, with the callee's node up`,
            );
          }
        }
      } else if (status === Status.DEAD_PEER) {
        calls.dead_peer++;
      } else {
        ledger.uncommit(id); // It never left.
      }
      return status;
    },
    reply_tracked(reply_cap, back, m, length) {
      const id = stamp(back, m, Math.min(Math.max(length, PAYLOAD_HEADER_BYTES), SLOT_PAYLOAD_BYTES_MAX));
      const status = kernel.reply(pid, reply_cap, m);
      if (status === Status.OK) committed(back, id);
      return status;
    },
    recv_async(m, timeout_ms) {
      const since_us = this.wait_begin();
      return kernel.recv_async(pid, m, timeout_ms).then((status) => this.wait_end(m, status, since_us, timeout_ms));
    },
    wait_begin() {
      const since_us = lane.now_us;
      if (last_wait === null) world.last_waits.set(waiter_key(node, pid), (last_wait = [since_us, 0]));
      last_wait[0] = since_us;
      last_wait[1] = Number.POSITIVE_INFINITY;
      return since_us;
    },
    wait_end(m, status, since_us, timeout_ms) {
      last_wait![1] = lane.now_us;
      if (status !== Status.OK || !life.alive || (m.src_node !== LOCAL_NODE && m.src_node !== node)) return status;
      if (core_waiter === null || core_waiter.last_timeout_us !== lane.now_us) return status; // Woken, not timed out.
      const bytes = m.block_offset !== 0 ? fastpath.block_view(m) : m.payload;
      const id = m.length >= 4 ? get_u32(bytes, 0) : 0;
      const sent_us = ledger.sent_at_us(id);
      if (sent_us >= since_us && lane.now_us - sent_us > world.wake_due_us) {
        ledger.report(
          'liveness',
          `node ${node} pid ${pid} waited for a message from ${(since_us / 1000).toFixed(3)} ms to ${(lane.now_us / 1000).toFixed(3)} ms (its timeout ${timeout_ms.toFixed(3)} ms), while message ${id} from pid ${m.src_pid} of its own node, sent at ${(sent_us / 1000).toFixed(3)} ms, waited for it: its wake-up was lost`,
        );
      }
      return status;
    },
    waited_out(peer_node) {
      world.calls.answers_waited_out++;
      const peer = peer_node === LOCAL_NODE ? node : peer_node;
      if (world.peer_up(node, peer)) world.calls.answers_waited_out_peer_up++;
    },
    received(m) {
      const bytes = m.block_offset !== 0 ? fastpath.block_view(m) : m.payload;
      if (world.reorder_delivered > 0 && held === null && rng.chance(world.reorder_delivered)) {
        // Sabotage: check this delivery after the next one, as if the two had swapped.
        const copy = new Message().copy_from(m);
        held = { m: copy, bytes: bytes.slice() };
      } else {
        check(m, bytes, m.tier);
        if (held !== null) {
          const h = held;
          held = null;
          check(h.m, h.bytes, h.m.tier);
        }
      }
      if (m.block_offset !== 0) fastpath.release(m);
    },
  };
}
