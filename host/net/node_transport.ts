/**
 * The network driver's transport on real sockets: `dgram` for UDP, `net` for TCP (Node only).
 *
 * UDP and the TCP listener share one port number: TCP binds first (taking any free port when
 * asked for 0), then UDP binds the same number; if another process holds that UDP port, both are
 * released and the pair is tried again, a bounded number of times. Connections get TCP_NODELAY.
 * Errors reach the driver as errno names; a write on a destroyed stream counts as EPIPE, so the
 * driver's reconnect-and-retry applies.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect as tcp_connect, type Server, type Socket } from 'node:net';
import type { Address, BindOptions, Transport, TransportEvents, UdpReceiveState } from '../../net/transport.js';
import { udp_socket_drops } from './udp_drops.js';

/** Attempts at finding a port free for both UDP and TCP. */
const BIND_ATTEMPTS_MAX = 16;

/** The errno name of an error from `dgram` or `net`. */
export function errno_of(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'EIO';
  if (code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END' || code === 'ERR_SOCKET_CLOSED')
    return 'EPIPE';
  return code;
}

export class NodeTransport implements Transport {
  private udp: UdpSocket | null = null;
  private server: Server | null = null;
  private events: TransportEvents | null = null;
  private readonly conns = new Map<number, Socket>();
  /** The errno a connection failed with, once it has. */
  private readonly failures = new Map<number, string>();
  private next_conn = 1;
  private closed = false;

  async bind(
    host: string,
    port: number,
    events: TransportEvents,
    options: BindOptions = { udp_receive_buffer_bytes: 0 },
  ): Promise<number> {
    this.events = events;
    let last: unknown = null;
    for (let attempt = 0; attempt < BIND_ATTEMPTS_MAX; attempt++) {
      const server = createServer((socket) => this.adopt(socket, true));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ port, host, exclusive: true }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        last = error;
        server.close();
        if (port !== 0) break;
        continue;
      }
      const bound = (server.address() as { port: number }).port;
      const udp = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind({ port: bound, address: host, exclusive: true }, () => {
            udp.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        last = error;
        udp.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (port !== 0) break;
        continue;
      }
      udp.on('message', (message, info) => {
        this.events?.on_datagram(new Uint8Array(message.buffer, message.byteOffset, message.length), {
          host: info.address,
          port: info.port,
        });
      });
      udp.on('error', () => {}); // Per-send errors arrive in the send callbacks.
      if (options.udp_receive_buffer_bytes > 0) udp.setRecvBufferSize(options.udp_receive_buffer_bytes);
      this.udp = udp;
      this.server = server;
      return bound;
    }
    throw Object.assign(new Error(`bind ${host}:${port} failed: ${errno_of(last)}`), { code: errno_of(last) });
  }

  udp_receive_state(): UdpReceiveState {
    const udp = this.udp;
    if (udp === null) return { buffer_bytes: 0, dropped: null };
    const local = udp.address();
    return { buffer_bytes: udp.getRecvBufferSize(), dropped: udp_socket_drops(local.address, local.port) };
  }

  private adopt(socket: Socket, inbound: boolean, id = this.next_conn++): number {
    this.conns.set(id, socket);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) =>
      this.events?.on_data(id, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)),
    );
    socket.on('error', (error) => this.failures.set(id, errno_of(error)));
    socket.on('close', () => {
      this.conns.delete(id);
      const failure = this.failures.get(id) ?? null;
      this.failures.delete(id);
      this.events?.on_closed(id, failure);
    });
    if (inbound) this.events?.on_open(id, true, socket.remoteAddress ?? '');
    return id;
  }

  send_datagram(to: Address, bytes: Uint8Array, done: (error: string | null, bytes: Uint8Array) => void): void {
    const udp = this.udp;
    if (udp === null || this.closed) {
      queueMicrotask(() => done('ESHUTDOWN', bytes));
      return;
    }
    udp.send(bytes, to.port, to.host, (error) => done(error ? errno_of(error) : null, bytes));
  }

  connect(to: Address): number {
    const id = this.next_conn++;
    const socket = tcp_connect({ host: to.host, port: to.port });
    this.adopt(socket, false, id);
    socket.once('connect', () => this.events?.on_open(id, false));
    return id;
  }

  write(conn: number, bytes: Uint8Array, done: (error: string | null) => void): void {
    const socket = this.conns.get(conn);
    if (socket === undefined || socket.destroyed || !socket.writable) {
      queueMicrotask(() => done('EPIPE'));
      return;
    }
    socket.write(bytes, (error) => {
      if (error) done(errno_of(error));
      else if (this.failures.has(conn)) done(this.failures.get(conn)!);
      else if (socket.destroyed) done('EPIPE');
      else done(null);
    });
  }

  end(conn: number): void {
    this.conns.get(conn)?.end();
  }

  destroy(conn: number): void {
    this.conns.get(conn)?.destroy();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const waits: Promise<void>[] = [];
    for (const socket of this.conns.values()) {
      waits.push(new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve()))));
      socket.destroy();
    }
    if (this.server !== null) {
      const server = this.server;
      waits.push(new Promise((resolve) => server.close(() => resolve())));
    }
    if (this.udp !== null) {
      const udp = this.udp;
      waits.push(new Promise((resolve) => udp.close(() => resolve())));
    }
    await Promise.all(waits);
    // Node lists a closed handle as active until the next turn of the event loop.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.server = null;
    this.udp = null;
    this.events = null;
  }
}
