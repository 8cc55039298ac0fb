// Two nodes on loopback, every packet sealed: a process on node 200 calls one on node 201.
//
//   node examples/sealed-nodes.mjs
//
// Each node has an identity (Ed25519 for signing its half of the ML-KEM-768 + X25519 handshake);
// each pins the other's public key, so a third party cannot take a node's place. The network runs
// on core 0 of each node (the main thread); the processes run on core 1's worker thread.
import { NodeHost } from 'lattice-ipc';
import { Proto } from 'lattice-ipc/net';
import { system_random } from 'lattice-ipc/node';
import { CryptoSuite, Identity, fingerprint } from 'lattice-ipc/secure';

const suite = await CryptoSuite.load();
const random = system_random();
const id_a = Identity.generate(suite, random);
const id_b = Identity.generate(suite, random);
const module = new URL('./sealed-processes.mjs', import.meta.url);
const node = { sockets: 1, cores_per_socket: 2, pids_max: 16 };

const b = await NodeHost.start({
  node,
  main_cores: [0],
  network: { core: 0, net_pid: 15, config: { node_id: 201 }, secure: { identity: id_b } },
  processes: [{ pid: 2, core: 1, module, entry: 'adder', args: { calls: 100 } }],
});
const a = await NodeHost.start({
  node,
  main_cores: [0],
  network: { core: 0, net_pid: 15, config: { node_id: 200 }, secure: { identity: id_a } },
});
try {
  a.network.add_remote(201, '127.0.0.1', b.network.port, Proto.TCP, { public_key: id_b.public_key });
  b.network.add_remote(200, '127.0.0.1', a.network.port, Proto.TCP, { public_key: id_a.public_key });
  a.spawn({ pid: 2, core: 1, module, entry: 'caller', args: { node: 201, peer: 2, calls: 100 } });
  const [caller] = await a.join([2]);
  const [adder] = await b.join([2]);
  if (!caller.ok) throw new Error(`caller failed: ${caller.error.message}`);
  if (!adder.ok) throw new Error(`adder failed: ${adder.error.message}`);
  const secure = a.network.secure.stats();
  console.log(`node 200 (${fingerprint(id_a.public_key)}) → node 201 (${fingerprint(id_b.public_key)})`);
  console.log(
    `${caller.value.calls} calls answered; ${secure.sealed_packets} packets sealed, ${secure.opened_packets} opened`,
  );
} finally {
  await a.close();
  await b.close();
}
