/**
 * Echo servers in a worker thread, for the network benchmarks: one for each kind the worker is
 * started with (`EchoInit.kinds`), so that transports compared on round-trip latency can share
 * one thread and with it the scheduler's placement (which on a 2-core machine decides whether
 * a wake-up costs 15 or 80 µs).
 *
 * - lattice_udp / lattice_tcp: a `NetDriver` (built by net/node_network.ts) that sends every
 *   packet it receives back to its source node: decode, check, queue, dequeue, frame, send.
 * - secure_udp / secure_tcp: the same through a `SecureChannel`: every packet opened, and sealed
 *   again on the way back.
 * - dgram: a UDP socket that sends each datagram back to where it came from.
 * - net: a TCP server that writes every chunk it reads back as it is: it does not even parse
 *   the length-prefixed messages, the cheapest echo possible (the strictest baseline).
 * - net_framed: a TCP server that parses the length-prefixed messages and writes each back
 *   (corked: one write per chunk read), as an application handling messages on plain `net`.
 *
 * - tls13_chacha20 / tls13_aes128gcm: a TLS 1.3 server from Node's `tls` on that suite, parsing
 *   and echoing length-prefixed messages as net_framed does (bench/secure/tls_baseline.ts).
 *
 * In ack mode (`mode` message) the Lattice and TLS agents answer each message with its first
 * bytes only, so a throughput figure counts one direction's payload.
 */
import { node_aead_choice } from '../../host/net/aead_choice.js';
import { createSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { node_net_env } from '../../host/net/node_net.js';
import { Proto } from '../../net/driver.js';
import { open_packet_port } from '../../net/node_network.js';
import { Overflow, PacketInbox } from '../../net/packet_inbox.js';
import { Identity } from '../../net/secure/identity.js';
import { seeded_random } from '../../net/secure/random.js';
import { CryptoSuite } from '../../net/secure/suite.js';
import { TLS_SUITES, tls_echo_server } from '../secure/tls_baseline.js';
import { echo_length_prefixed } from './length_prefix.js';
import {
  AGENT_IDENTITY_SEED,
  AGENT_NODE,
  CLIENT_IDENTITY_SEED,
  CLIENT_NODE,
  type EchoInit,
  type EchoKind,
  type EchoToMain,
  type MainToEcho,
} from './echo_protocol.js';

const port = parentPort!;
const init = workerData as EchoInit;

function post(message: EchoToMain): void {
  port.postMessage(message);
}

/** One echo server of the worker. */
interface EchoServer {
  readonly port: number;
  /** Where the client is (Lattice servers send back through their own remote). */
  peer(port: number): void;
  /** Answer each message with its first `ack_bytes` bytes (0: all of it). */
  mode(ack_bytes: number): void;
  close(): Promise<void>;
}

async function lattice_echo(proto: Proto, node: number, secure: boolean): Promise<EchoServer> {
  const suite = secure ? await CryptoSuite.load({ aead: node_aead_choice() }) : null;
  const {
    driver,
    secure: channel,
    port: packets,
  } = await open_packet_port(
    node_net_env({ interfaces: {}, hostname: 'bench' }),
    { node_id: node, max_queue: 65_536, pending_bytes_max: 64 << 20 },
    suite === null
      ? null
      : {
          suite,
          identity: Identity.from_seed(suite, new Uint8Array(32).fill(AGENT_IDENTITY_SEED)),
          random: seeded_random(`bench-agent-${node}`),
          clock: { now_ms: () => Date.now() },
          pending_packets_max: 65_536,
          pending_bytes_max: 64 << 20,
        },
  );
  let ack_bytes = 0;
  // Packets are queued and drained, as a network server drains its inbox, then sent back.
  const inbox = new PacketInbox(65_536, Overflow.DROP_OLDEST);
  inbox.set_callback(() => {
    for (let packet = inbox.recv(); packet !== null; packet = inbox.recv()) {
      const back = ack_bytes === 0 ? packet.payload : packet.payload.subarray(0, ack_bytes);
      packets.send_packet(packet.src_node, packet.dst_pid, packet.src_pid, back);
    }
  });
  packets.set_packet_receiver(inbox);
  return {
    port: driver.port,
    peer(client_port) {
      driver.add_remote(CLIENT_NODE, '127.0.0.1', client_port, proto);
      if (channel !== null && suite !== null) {
        // Pin the client's identity (the client derives it from the same seed).
        const client_key = Identity.from_seed(suite, new Uint8Array(32).fill(CLIENT_IDENTITY_SEED)).public_key;
        channel.pin(CLIENT_NODE, { public_key: client_key });
      }
    },
    mode(n) {
      ack_bytes = n;
    },
    async close() {
      await channel?.destroy();
      await driver.destroy();
    },
  };
}

function dgram_echo(): Promise<EchoServer> {
  const socket = createSocket('udp4');
  socket.on('message', (data, from) => socket.send(data, from.port, from.address));
  return new Promise((resolve) =>
    socket.bind(0, '127.0.0.1', () =>
      resolve({
        port: socket.address().port,
        peer() {},
        mode() {},
        close: () => new Promise<void>((done) => socket.close(() => done())),
      }),
    ),
  );
}

/** A stream echo server, listening; `on_mode` takes the ack size; `close` destroys its connections. */
function serve(server: Server, on_mode: (ack_bytes: number) => void = () => {}): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as { port: number }).port,
        peer() {},
        mode: on_mode,
        close() {
          for (const socket of sockets) socket.destroy();
          return new Promise<void>((done) => server.close(() => done()));
        },
      }),
    ),
  );
}

function net_echo(framed: boolean): Promise<EchoServer> {
  const server = createServer({ noDelay: true }, (socket) => {
    if (framed) echo_length_prefixed(socket);
    else socket.on('data', (data) => socket.write(data));
    socket.on('error', () => socket.destroy());
  });
  return serve(server);
}

function tls_echo(suite: string): Promise<EchoServer> {
  let ack_bytes = 0;
  return serve(
    tls_echo_server(init.certificate!, suite, () => ack_bytes),
    (n) => {
      ack_bytes = n;
    },
  );
}

function start(kind: EchoKind): Promise<EchoServer> {
  switch (kind) {
    case 'lattice_udp':
      return lattice_echo(Proto.UDP, AGENT_NODE.lattice_udp, false);
    case 'lattice_tcp':
      return lattice_echo(Proto.TCP, AGENT_NODE.lattice_tcp, false);
    case 'secure_udp':
      return lattice_echo(Proto.UDP, AGENT_NODE.secure_udp, true);
    case 'secure_tcp':
      return lattice_echo(Proto.TCP, AGENT_NODE.secure_tcp, true);
    case 'dgram':
      return dgram_echo();
    case 'tls13_chacha20':
    case 'tls13_aes128gcm':
      return tls_echo(TLS_SUITES[kind]);
    default:
      return net_echo(kind === 'net_framed');
  }
}

try {
  const servers = new Map<EchoKind, EchoServer>();
  for (const kind of init.kinds) servers.set(kind, await start(kind));
  port.on('message', (message: MainToEcho) => {
    if (message.type === 'exit') {
      void (async () => {
        for (const server of servers.values()) await server.close();
        port.close();
      })();
      return;
    }
    const server = servers.get(message.kind)!;
    if (message.type === 'peer') server.peer(message.port);
    else server.mode(message.ack_bytes);
    post({ type: 'ready' });
  });
  post({ type: 'listening', ports: Object.fromEntries([...servers].map(([kind, s]) => [kind, s.port])) });
} catch (error) {
  post({ type: 'error', message: String(error) });
}
