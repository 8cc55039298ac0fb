/**
 * An echo server in a worker thread, for the network benchmark.
 *
 * - lattice_udp / lattice_tcp: a `NetDriver` (node 2 or 3) that sends every packet it receives
 *   back to its source node with `send_nowait`: decode, check, queue, dequeue, frame, send.
 * - dgram: a UDP socket that sends each datagram back to where it came from.
 * - net: a TCP server that writes every chunk it reads back as it is: it does not even parse
 *   the length-prefixed messages, the cheapest echo possible (the strictest baseline).
 * - net_framed: a TCP server that parses the length-prefixed messages and writes each back
 *   (corked: one write per chunk read), as an application handling messages on plain `net`.
 */
import { createSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { create_net_driver } from '../../host/net/node_net.js';
import { Proto } from '../../net/driver.js';
import { LengthPrefixParser, length_prefixed } from './length_prefix.js';
import { AGENT_NODE, CLIENT_NODE, type EchoInit, type EchoToMain, type MainToEcho } from './echo_protocol.js';

const port = parentPort!;
const init = workerData as EchoInit;

function post(message: EchoToMain): void {
  port.postMessage(message);
}

async function lattice_echo(proto: Proto, node: number): Promise<void> {
  const driver = create_net_driver({ interfaces: {}, hostname: 'bench' });
  await driver.init({ node_id: node, max_queue: 65_536, pending_bytes_max: 64 << 20 });
  driver.set_recv_callback(() => {
    for (let packet = driver.recv(); packet !== null; packet = driver.recv()) driver.send_nowait(packet.src_node, packet.payload);
  });
  post({ type: 'listening', port: driver.port });
  port.on('message', (message: MainToEcho) => {
    if (message.type === 'peer') {
      driver.add_remote(CLIENT_NODE, '127.0.0.1', message.port, proto);
      post({ type: 'ready' });
    } else {
      void driver.shutdown().then(() => port.close());
    }
  });
}

function dgram_echo(): void {
  const socket = createSocket('udp4');
  socket.on('message', (data, from) => socket.send(data, from.port, from.address));
  socket.bind(0, '127.0.0.1', () => post({ type: 'listening', port: socket.address().port }));
  port.on('message', (message: MainToEcho) => {
    if (message.type === 'peer') post({ type: 'ready' });
    else socket.close(() => port.close());
  });
}

function net_echo(framed: boolean): void {
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    if (framed) {
      const parser = new LengthPrefixParser((message) => socket.write(length_prefixed(message)));
      socket.on('data', (data: Buffer) => {
        socket.cork();
        parser.push(data);
        socket.uncork();
      });
    } else {
      socket.on('data', (data) => socket.write(data));
    }
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    post({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 });
  });
  port.on('message', (message: MainToEcho) => {
    if (message.type === 'peer') {
      post({ type: 'ready' });
    } else {
      for (const socket of sockets) socket.destroy();
      server.close(() => port.close());
    }
  });
}

try {
  if (init.kind === 'lattice_udp') await lattice_echo(Proto.UDP, AGENT_NODE.lattice_udp);
  else if (init.kind === 'lattice_tcp') await lattice_echo(Proto.TCP, AGENT_NODE.lattice_tcp);
  else if (init.kind === 'dgram') dgram_echo();
  else net_echo(init.kind === 'net_framed');
} catch (error) {
  post({ type: 'error', message: String(error) });
}
