/**
 * The kernel's one seam to the network: how a message on a channel to another node leaves this
 * node. `Kernel` decides the route once per operation, from the channel's destination
 * (channel_table.ts): a channel inside the node goes to the fastpath, a channel to another node
 * to the router, and nothing else ever looks at it again.
 *
 * Two routers exist. On the core that runs the network (the node's network core), the network
 * server itself (net/network_server.ts) encodes the message and hands it to the wire. On every
 * other core an `EgressRouter` (egress.ts) carries it over the fastpath to the node's network
 * pid, whose inbox the server drains: the network is a process, as in MINIX 3. Without a router
 * these operations fail with NO_ROUTE.
 *
 * Every method is on the hot path: it returns a `Status` and never throws or allocates.
 */
import type { Message } from './message.js';

/** Where a `Kernel` sends what goes to another node (the network server implements it). */
export interface RemoteRouter {
  /** Sends `m` from local pid `src` on `channel` (which leads to another node). */
  send_remote(src: number, channel: number, m: Message): number;
  /**
   * Sends the request of `src`'s call number `call_seq` on `channel`. The reply (or a failure
   * status) lands in `src`'s reply slot through `deliver_reply` / `fail_caller`
   * (process_table.ts), where the caller waits for it as for a local one.
   */
  call_remote(src: number, channel: number, call_seq: number, m: Message): number;
  /** Signals the receiver of `channel` with `bits` (ORed into its notification word there). */
  notify_remote(src: number, channel: number, bits: number): number;
  /**
   * Answers the call from another node that the network server keeps in slot `call_slot` at
   * `call_gen` (the remote reply capability names them, already moved to REMOTE_ANSWERED by
   * `Kernel.reply`). The server frees the capability once the reply leaves.
   */
  reply_remote(src: number, call_slot: number, call_gen: number, m: Message): number;
  /**
   * Remote reply capabilities were orphaned (their holder exited, or they were revoked): the
   * network server answers their callers with DEAD_PEER. Never blocks; may run on any core.
   */
  orphaned(): void;
}
