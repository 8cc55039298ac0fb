// Two nodes with secure channels on scripted transports and manual timers: every datagram is in
// the test's hands (capture, drop, duplicate, reorder, corrupt, deliver) and time moves only when
// the test says. Deterministic: identities and randomness come from fixed seeds.
import { expect } from 'vitest';
import { NetDriver, type NetConfig } from '../../../net/driver.js';
import { Identity } from '../../../net/secure/identity.js';
import { seeded_random } from '../../../net/secure/random.js';
import type { SendResult } from '../../../net/packet_port.js';
import { remote_dst_pid, remote_src_pid } from '../../../net/remote_message.js';
import {
  SecureChannel,
  type PeerKeys,
  type SecureConfig,
  type SecureEvent,
} from '../../../net/secure/secure_channel.js';
import { CryptoSuite } from '../../../net/secure/suite.js';
import type { Address } from '../../../net/transport.js';
import { ManualTimers, ScriptedTransport } from '../scripted_network.js';

export type Overrides = Partial<Omit<SecureConfig, 'identity' | 'clock' | 'timers'>>;

let loaded: CryptoSuite | null = null;
export async function load_suite(): Promise<CryptoSuite> {
  loaded ??= await CryptoSuite.load();
  return loaded;
}

/** One node: its transport, driver, identity, channel and the events it reported. */
export interface ScriptedNode {
  readonly node: number;
  readonly address: Address;
  readonly transport: ScriptedTransport;
  readonly driver: NetDriver;
  readonly identity: Identity;
  /** The timers it shares with the other scripted nodes. */
  readonly timers: ManualTimers;
  secure: SecureChannel;
  readonly events: SecureEvent[];
  /** Packets delivered to the channel's own queue, as byte arrays. */
  received(): number[][];
  /** Sends `bytes` (a kernel-message-like packet: its pids at bytes 0 and 4) through the channel. */
  send(node: number, bytes: Uint8Array): SendResult;
  /** Registers `node` with the driver and pins its keys with the channel. */
  add_remote(node: number, host: string, port: number, proto: 'udp' | 'tcp', keys: PeerKeys): void;
}

export async function scripted_node(
  suite: CryptoSuite,
  timers: ManualTimers,
  node: number,
  identity_byte: number,
  overrides: Overrides = {},
  seed = `node-${node}`,
  net: NetConfig = {},
): Promise<ScriptedNode> {
  const transport = new ScriptedTransport();
  const driver = new NetDriver({ transport, timers, identity: { interfaces: {}, hostname: `n${node}` } });
  await driver.init({ node_id: node, port: 1000 + node, ...net });
  const identity = Identity.from_seed(suite, new Uint8Array(32).fill(identity_byte));
  const events: SecureEvent[] = [];
  const secure = new SecureChannel(driver, suite, {
    identity,
    random: seeded_random(seed),
    clock: { now_ms: () => timers.now },
    timers,
    // Fragments of 1,024 bytes, so that the scripted exchanges split every handshake message in
    // two (the default follows the MTU: one datagram each at 1500; secure_channel.test.ts).
    fragment_bytes: 1024,
    ...overrides,
  });
  secure.set_event_listener((e) => events.push(e));
  const scripted: ScriptedNode = {
    node,
    address: { host: `n${node}`, port: 1000 + node },
    transport,
    driver,
    identity,
    timers,
    secure,
    events,
    received() {
      const out: number[][] = [];
      for (let p = scripted.secure.recv(); p !== null; p = scripted.secure.recv()) out.push(Array.from(p.payload));
      return out;
    },
    send(to, bytes) {
      return scripted.secure.send_packet(to, remote_src_pid(bytes), remote_dst_pid(bytes), bytes);
    },
    add_remote(to, host, port, proto, keys) {
      driver.add_remote(to, host, port, proto);
      scripted.secure.pin(to, keys);
    },
  };
  return scripted;
}

/** Two nodes, 1 and 2, that pin each other over UDP. */
export async function scripted_pair(overrides: Overrides = {}, seeds: [string, string] = ['node-1', 'node-2']) {
  const suite = await load_suite();
  const timers = new ManualTimers();
  const a = await scripted_node(suite, timers, 1, 0xa1, overrides, seeds[0]);
  const b = await scripted_node(suite, timers, 2, 0xb2, overrides, seeds[1]);
  a.add_remote(2, b.address.host, b.address.port, 'udp', { public_key: b.identity.public_key });
  b.add_remote(1, a.address.host, a.address.port, 'udp', { public_key: a.identity.public_key });
  return { suite, timers, a, b };
}

/**
 * Takes the datagrams `from` has sent so far (each a copy the test may change), its turn ended
 * first (records sealed: what was sent in one turn to one pair of pids is one record).
 */
export function take(from: ScriptedNode): Uint8Array[] {
  from.timers.run_deferred();
  return from.transport.datagrams.splice(0).map((d) => d.bytes.slice());
}

/** Delivers `bytes` to `to` as if sent by `from`. */
export function deliver(to: ScriptedNode, from: ScriptedNode, bytes: Uint8Array): void {
  to.transport.events!.on_datagram(bytes.slice(), from.address);
}

/** Delivers everything in flight both ways, and deferred work, until the network is quiet. */
export function pump(timers: ManualTimers, ...nodes: ScriptedNode[]): void {
  for (let round = 0; round < 1000; round++) {
    let moved = 0;
    timers.run_deferred(); // The turn ends: records sealed this turn leave.
    for (const from of nodes) {
      for (const d of from.transport.datagrams.splice(0)) {
        const to = nodes.find((n) => n.address.port === d.to.port);
        if (to === undefined) continue;
        to.transport.events!.on_datagram(d.bytes.slice(), from.address);
        moved++;
      }
    }
    timers.advance(0);
    if (moved === 0) return;
  }
  throw new Error('pump: the network never went quiet');
}

/**
 * A kernel-message-like packet of `8 + extra` bytes with `n` as a two-byte marker at byte 8
 * (`src_pid` and `dst_pid` at bytes 0 and 4: too short for a remote message's header, so the
 * channel seals it between no pair of pids, as a keepalive's).
 */
export function packet(n: number, src_pid = 1, dst_pid = 2, extra = 8): Uint8Array {
  const bytes = new Uint8Array(8 + extra);
  bytes[0] = src_pid;
  bytes[4] = dst_pid;
  bytes[8] = n & 0xff;
  bytes[9] = (n >>> 8) & 0xff;
  return bytes;
}

/** The marker `packet` wrote. */
export const marker = (p: number[]) => p[8]! | (p[9]! << 8);

/** Sets up a pair and completes the first handshake (A initiates); A's datagrams are then quiet. */
export async function established(overrides: Overrides = {}) {
  const pair = await scripted_pair(overrides);
  pair.a.secure.connect(2);
  pump(pair.timers, pair.a, pair.b);
  expect(pair.a.secure.state(2)).toBe('established');
  expect(pair.b.secure.state(1)).toBe('established');
  return pair;
}
