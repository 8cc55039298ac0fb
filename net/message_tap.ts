/**
 * A message tap: an optional observer of the data messages a node's network layers carry, told
 * where each one goes and where one is destroyed. It is injected once, in `NetEnv.tap`, and the
 * assembler (node_network.ts) hands it to the driver, the secure channel and the network server.
 *
 * The simulator's ledger uses it to account for every message exactly (sim/message_fates.ts):
 * each drop site that destroys a data message reports that message, so a run can check
 * `sent = delivered + Σ dropped[reason] + lost_in_crash + in_flight` message by message. A
 * tracer on real sockets could use it the same way. Without a tap the layers pay one null test
 * per call site.
 *
 * Every call is synchronous and must not throw or keep the bytes it is handed (they are reused
 * as soon as it returns). `layer` is `driver`, `secure` or `server`; `reason` is the name of the
 * counter that layer adds the drop to (`queue_dropped_oldest`, `send_failed`, …), so a reader can
 * match each reported message with a counter in the layer's stats.
 */

/** Observer of data messages in a node's network layers. */
export interface MessageTap {
  /** The network server took `message` (a remote message: header and payload) from the node's kernel and handed it down. */
  taken(message: Uint8Array): void;
  /** The network server put `message` into the node's kernel, where a process will receive it. */
  entered(message: Uint8Array): void;
  /** `message`, a remote message in the clear, was destroyed at this node. */
  lost(layer: string, reason: string, message: Uint8Array): void;
  /**
   * Whole frames, as they are on the wire (headers included), that this node was sending to node
   * `to` were destroyed: the data messages inside are lost. Frames of other types are ignored.
   */
  lost_frames(layer: string, reason: string, frames: Uint8Array, to: number): void;
  /**
   * A sealed packet (the payload of a SEALED frame) from node `from` was destroyed at this node
   * before it was opened.
   */
  lost_sealed(layer: string, reason: string, packet: Uint8Array, from: number): void;
  /**
   * The secure channel sealed `message` for node `to` into the record whose clear header (the
   * first bytes of the SEALED frame's payload: receiver index, sequence number, pids, count) is
   * `head`: called once for each message of the record, in order, before the record is sent.
   */
  sealed(head: Uint8Array, message: Uint8Array, to: number): void;
  /**
   * A record this node sealed for node `to` (its clear header `head`, as `sealed` was told) was
   * destroyed before it left: every message it holds is lost.
   */
  lost_record(layer: string, reason: string, head: Uint8Array, to: number): void;
}
