/**
 * The spec's C-style API (`lattice_connect`, `lattice_send`, `lattice_recv`, …), bound to one
 * `Kernel`, so a teaching lab can port the spec's C example nearly line by line:
 *
 *   const { lattice_connect, lattice_listen, lattice_send, lattice_recv, OK, IpcFlags } = lattice(kernel);
 *   lattice_listen(2);
 *   lattice_connect(1, 2, LOCAL_NODE);
 *   const ping = new message();
 *   ping.m_type = 42;
 *   lattice_send(1, 2, ping, IpcFlags.NONE);
 *   if (lattice_recv(2, ping, IpcFlags.NONE) === OK) { ... }
 *
 * Where the spec names processes by pid, the facade finds the channel between them and uses
 * the capability `lattice_connect` gave the sender, so capabilities still decide: revoke it
 * and `lattice_send` fails with NO_CAP. Every function returns a `Status` (OK is 0).
 *
 * Which channel, when `src` has one to pid `dst` on this node and others to pids `dst` on other
 * nodes: the channel inside this node if it is open, else the open one to the lowest-numbered
 * node. `lattice_send`, `lattice_call` and `lattice_notify` take an optional last `node` to
 * name one (the node given at `lattice_connect`).
 */
import { ANY_NODE, IpcFlags, LOCAL_NODE, Rights, type Kernel } from './kernel.js';
import { Message } from './message.js';
import { Status } from './status.js';

/** Pulls remote packets into the node (the network server's `poll_network`). */
export type PollNetwork = () => number;

/** The spec's C-style functions (`lattice_connect`, `lattice_send`, …) over one `Kernel`. */
export interface LatticeApi {
  readonly OK: 0;
  readonly IpcFlags: typeof IpcFlags;
  readonly ANY_NODE: number;
  readonly LOCAL_NODE: number;
  readonly Rights: typeof Rights;
  readonly Status: typeof Status;
  /** The MINIX-style message record (`message ping{}` in the spec). */
  readonly message: typeof Message;
  /** Opens src → dst on `node` and gives `src` the capability to send on it. */
  lattice_connect(src: number, dst: number, node?: number): number;
  /** Lets `pid` receive. */
  lattice_listen(pid: number): number;
  /**
   * Sends `msg` from `src` to `dst` on their channel (IpcFlags.STAGE to stage it). Without
   * `node`: the channel inside this node first, else the open one to the lowest-numbered node;
   * with `node`, that node's `dst` (LOCAL_NODE for this node's).
   */
  lattice_send(src: number, dst: number, msg: Message, flags?: number, node?: number): number;
  /** Receives for `pid`: blocks up to 100 ms with IpcFlags.NONE, returns at once with NONBLOCK. */
  lattice_recv(pid: number, msg: Message, flags?: number): number;
  /** `lattice_recv` for threads that must not block. */
  lattice_recv_async(pid: number, msg: Message): Promise<number>;
  /** The channel src → dst on `node` (ANY_NODE matches any), or NO_CHANNEL. */
  lattice_channel_find(src: number, dst: number, node?: number): number;
  /** `child` depends on `parent`; CYCLE if that would close a cycle. */
  lattice_channel_add_dep(parent: number, child: number): number;
  /** Releases what is staged on `chan` once everything it depends on has been released. */
  lattice_channel_submit(chan: number): number;
  /** Closes `chan`. */
  lattice_channel_close(chan: number): number;
  /** Sends `msg` from `src` to `dst` and waits for the reply (MINIX sendrec); `node` as for `lattice_send`. */
  lattice_call(src: number, dst: number, msg: Message, reply: Message, node?: number): number;
  /** Answers the call `request` (a message received with SlotFlags.CALL) with `reply`. */
  lattice_reply(pid: number, request: Message, reply: Message): number;
  /** Notifies `dst` from `src`, ORing `bits` into its notification word; `node` as for `lattice_send`. */
  lattice_notify(src: number, dst: number, bits: number, node?: number): number;
  /** Integrates remote packets (the spec's `lattice::poll_network`); returns how many. */
  poll_network(): number;
}

/** Binds the C-style API to `kernel`. `poll_network` comes from the network driver, if any. */
export function lattice(kernel: Kernel, poll_network: PollNetwork = () => 0): LatticeApi {
  /** The capability handle `src` holds for its channel to `dst` (`Kernel.sender_cap`), or a failure status. */
  const sender_cap = (src: number, dst: number, node: number): number => kernel.sender_cap(src, dst, node);
  return {
    OK: Status.OK,
    IpcFlags,
    ANY_NODE,
    LOCAL_NODE,
    Rights,
    Status,
    message: Message,
    lattice_connect(src, dst, node = LOCAL_NODE) {
      const cap = kernel.connect(src, dst, node);
      return cap < 0 ? cap : Status.OK;
    },
    lattice_listen: (pid) => kernel.listen(pid),
    lattice_send(src, dst, msg, flags = IpcFlags.NONE, node = ANY_NODE) {
      const cap = sender_cap(src, dst, node);
      return cap < 0 ? cap : kernel.send(src, cap, msg, flags);
    },
    lattice_recv: (pid, msg, flags = IpcFlags.NONE) => kernel.recv(pid, msg, flags),
    lattice_recv_async: (pid, msg) => kernel.recv_async(pid, msg),
    lattice_channel_find: (src, dst, node = ANY_NODE) => kernel.find(src, dst, node),
    lattice_channel_add_dep: (parent, child) => kernel.add_dep(parent, child),
    lattice_channel_submit: (chan) => kernel.submit(chan),
    lattice_channel_close: (chan) => kernel.close(chan),
    lattice_call(src, dst, msg, reply, node = ANY_NODE) {
      const cap = sender_cap(src, dst, node);
      return cap < 0 ? cap : kernel.call(src, cap, msg, reply);
    },
    lattice_reply: (pid, request, reply) => kernel.reply(pid, request.cap, reply),
    lattice_notify(src, dst, bits, node = ANY_NODE) {
      const cap = sender_cap(src, dst, node);
      return cap < 0 ? cap : kernel.notify(src, cap, bits);
    },
    poll_network,
  };
}
