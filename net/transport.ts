/**
 * The network driver's seam to the outside world (sans-IO).
 *
 * The driver (driver.ts) holds the protocol logic: framing, the receive queue, peers, reconnects
 * and back-off. It never touches a socket, a timer or a clock itself: it calls a `Transport` and
 * `Timers`, and the transport calls it back through `TransportEvents`. The host's transport
 * (host/net/node_transport.ts) maps these onto `dgram` and `net`; the simulator maps them onto a
 * simulated network with a virtual clock.
 *
 * Errors are errno names (`'ECONNREFUSED'`, `'EPIPE'`, …), the way Node and POSIX spell them.
 */

/** A UDP or TCP endpoint. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/** What the transport reports to the driver. Every callback runs on the driver's thread. */
export interface TransportEvents {
  /** A datagram arrived. `bytes` is the driver's from now on: the transport never reuses it. */
  on_datagram(bytes: Uint8Array, from: Address): void;
  /**
   * A TCP connection is open: one the driver asked for (`inbound` false) or one accepted, from
   * `from_host` (the remote address's host; the driver limits connections per host).
   */
  on_open(conn: number, inbound: boolean, from_host?: string): void;
  /**
   * Bytes arrived on a connection. They are the driver's from now on (packets are views of
   * them, not copies): the transport never reuses or changes them.
   */
  on_data(conn: number, bytes: Uint8Array): void;
  /** A connection closed; `error` is the errno name if it failed (connecting or later). */
  on_closed(conn: number, error: string | null): void;
}

/** What `bind` sets up besides the address. */
export interface BindOptions {
  /** The UDP socket's receive buffer (SO_RCVBUF), in bytes; 0 leaves the OS default. */
  readonly udp_receive_buffer_bytes: number;
}

/** The UDP socket's receive side as the host's OS reports it. */
export interface UdpReceiveState {
  /** The receive buffer's size, in bytes, as the OS reports it (Linux doubles what was asked, up to `rmem_max`); 0 if unknown. */
  readonly buffer_bytes: number;
  /** Datagrams the OS dropped at this socket for want of buffer room since it was bound; null where the host cannot tell. */
  readonly dropped: number | null;
}

/** The socket operations the driver needs. */
export interface Transport {
  /**
   * Binds UDP and a TCP listener on `port` of `host` (0: any free port, the same for both) and
   * starts delivering events. Resolves to the bound port.
   */
  bind(host: string, port: number, events: TransportEvents, options?: BindOptions): Promise<number>;
  /**
   * The UDP socket's receive buffer and the datagrams the OS dropped there (read on demand, for
   * stats; not on a hot path). A transport without an OS beneath it (the simulator's) leaves it out.
   */
  udp_receive_state?(): UdpReceiveState;
  /**
   * Sends one datagram; `done` gets the errno name if the send failed, else null, and the
   * datagram itself (so a caller can count it, or see what was lost, with one callback for every
   * datagram). The driver leaves `bytes` unchanged until then.
   */
  send_datagram(to: Address, bytes: Uint8Array, done: (error: string | null, bytes: Uint8Array) => void): void;
  /** Opens a TCP connection; returns its id at once, then `on_open` or `on_closed(error)`. */
  connect(to: Address): number;
  /**
   * Writes on an open connection; `done` (called exactly once) gets the errno name if the write
   * failed. The driver leaves `bytes` unchanged until then.
   */
  write(conn: number, bytes: Uint8Array, done: (error: string | null) => void): void;
  /** Closes a connection after its pending writes. */
  end(conn: number): void;
  /** Closes a connection at once. */
  destroy(conn: number): void;
  /** Closes everything; resolves when no socket, connection or handle is left. */
  close(): Promise<void>;
}

/** Timers, injected so a simulator can run them on a virtual clock. */
export interface Timers {
  /** Calls `callback` after `delay_ms`; returns a handle for `clear`. */
  set(delay_ms: number, callback: () => void): number;
  /** Cancels the timer `handle` (nothing if it fired or was cleared). */
  clear(handle: number): void;
  /** Calls `callback` soon, after the current event is handled (batches work per turn). */
  defer(callback: () => void): void;
}
