/**
 * Egress messages: how a core that does not run the network hands a message for another node to
 * the core that does.
 *
 * The route is decided in `Kernel` (remote). The `EgressRouter` of such a core then sends an
 * ordinary fastpath message from the sender to the node's network pid, flagged `EGRESS`, on the
 * local channel (sender, network pid), so a sender's remote messages keep their order. Two slot
 * words carry what the network server needs besides the message itself:
 *
 *   kind     flags                         cap                   src_node
 *   SEND     EGRESS                        the remote channel    0
 *   CALL     EGRESS | CALL                 the remote channel    the caller's call number
 *   NOTIFY   EGRESS | NOTIFY               the remote channel    0          (badge: the bits)
 *   REPLY    EGRESS | REPLY                the server's call slot the slot's generation
 *
 * An orphaned remote call (its callee exited) needs no message: the router signals the network
 * pid with `NET_SIGNAL_ORPHANED` and the server sweeps its table.
 *
 * The server reads the destination of a remote channel through the channel table
 * (`ChannelTable.destination`), never from raw words. This file owns the encoding: the router
 * writes it, `read_egress` reads it, and each asserts the other's side under the debug switch.
 */
import { assert } from './assert.js';
import { LOCAL_NODE } from './channel_table.js';
import type { Fastpath } from './fastpath.js';
import { SlotFlags } from './layout/slot_layout.js';
import { Message } from './message.js';
import { signal } from './process_table.js';
import type { RemoteRouter } from './remote_router.js';
import { Status } from './status.js';

/**
 * The notification bit that tells the network pid some remote reply capabilities were orphaned
 * (`RemoteRouter.orphaned`): the server sweeps its table of calls from other nodes.
 */
export const NET_SIGNAL_ORPHANED = 1;
/** The notification bit that ends the network server's egress loop (it is closing). */
export const NET_SIGNAL_STOP = 2;

/** What an egress message asks of the network server. */
export const EgressKind = {
  /** Not an egress message (the network pid received an ordinary one). */
  NONE: 0,
  SEND: 1,
  CALL: 2,
  NOTIFY: 3,
  REPLY: 4,
} as const;
export type EgressKind = (typeof EgressKind)[keyof typeof EgressKind];

/** The router of a core that does not own the network: everything goes to the network pid. */
export class EgressRouter implements RemoteRouter {
  private readonly fastpath: Fastpath;
  /** The node's network pid. */
  readonly net_pid: number;
  /** Carries notifications and failed replies, which have no message of their own. */
  private readonly scratch = new Message();

  constructor(fastpath: Fastpath, net_pid: number) {
    this.fastpath = fastpath;
    this.net_pid = net_pid;
  }

  send_remote(src: number, channel: number, m: Message): number {
    return this.forward(src, m, SlotFlags.EGRESS, channel, 0);
  }

  call_remote(src: number, channel: number, call_seq: number, m: Message): number {
    return this.forward(src, m, SlotFlags.EGRESS | SlotFlags.CALL, channel, call_seq);
  }

  notify_remote(src: number, channel: number, bits: number): number {
    const m = this.scratch;
    m.clear();
    m.badge = bits;
    return this.forward(src, m, SlotFlags.EGRESS | SlotFlags.NOTIFY, channel, 0);
  }

  reply_remote(src: number, call_slot: number, call_gen: number, m: Message): number {
    return this.forward(src, m, SlotFlags.EGRESS | SlotFlags.REPLY, call_slot, call_gen);
  }

  orphaned(): void {
    signal(this.fastpath.memory, this.fastpath.doorbells, this.net_pid, NET_SIGNAL_ORPHANED);
  }

  private forward(src: number, m: Message, flags: number, cap: number, word: number): number {
    const egress = this.fastpath.channels.of(LOCAL_NODE, LOCAL_NODE, src, this.net_pid);
    if (egress < 0) return Status.CHANNEL_TABLE_FULL;
    m.cap = cap;
    m.src_node = word;
    return this.fastpath.send_channel(src, egress, m, flags, false);
  }
}

/** The kind of a message the network pid received (`NONE` if it is not an egress message). */
export function read_egress(m: Message): EgressKind {
  const flags = m.flags;
  if ((flags & SlotFlags.EGRESS) === 0) return EgressKind.NONE;
  if ((flags & SlotFlags.REPLY) !== 0) return EgressKind.REPLY;
  if ((flags & SlotFlags.CALL) !== 0) return EgressKind.CALL;
  if ((flags & SlotFlags.NOTIFY) !== 0) {
    assert(m.length === 0, 'an egress notification carries no payload');
    return EgressKind.NOTIFY;
  }
  return EgressKind.SEND;
}

/** The remote channel an egress SEND, CALL or NOTIFY was sent on. */
export function egress_channel(m: Message): number {
  return m.cap;
}

/** The call number of an egress CALL. */
export function egress_call_seq(m: Message): number {
  return m.src_node;
}

/** The server's call slot and its generation, of an egress REPLY. */
export function egress_call_slot(m: Message): number {
  return m.cap;
}

export function egress_call_gen(m: Message): number {
  return m.src_node;
}
