/**
 * Secure-channel benchmark: handshakes per second, and
 * sealed traffic against the clear driver in the same run.
 *
 * - secure.handshakes_per_s: complete handshakes computed on one core, both sides' work (INIT,
 *   RESPONSE, keys, and the key-confirmation packet sealed and opened), against the bare
 *   primitives the protocol cannot avoid (ML-KEM-768 key generation, encapsulation and
 *   decapsulation, four X25519 operations, two Ed25519 signatures and two verifications).
 * - secure.udp_64B, secure.udp_1200B, secure.tcp_64B, secure.tcp_1200B: echoes per second over
 *   loopback, each packet sealed by the sender and opened by the receiver both ways, against
 *   the same echo through the clear driver (bench/net/echo.ts has the method).
 * - secure.tcp_64KiB_MBps: one-way payload throughput over TCP: 64 KiB messages, 16 in flight,
 *   each answered by an 8-byte acknowledgement, sealed vs clear.
 * - TLS 1.3 (Node's `tls`, both suites) beside the clear driver on every TCP row, and TLS 1.3
 *   handshakes (server-only and mutual) beside Lattice's (bench/secure/tls_baseline.ts).
 * - secure.tcp_rtt_p50_us / _p99_us: one 64 B message in flight, sealed, against the clear
 *   driver and TLS 1.3.
 * - secure.aead_64B … secure.aead_64KiB: XChaCha20-Poly1305 seal+open pairs per second on one
 *   core, on the backend this host runs (host/net/aead_choice.ts) against each backend alone.
 * Both sides of the traffic rows run the host's AEAD choice (LATTICE_AEAD forces one).
 */
import { NodeXChaCha20Poly1305 } from '../../host/net/aead_node.js';
import { sodium_native_aead } from '../../host/net/aead_sodium_native.js';
import { type Aead, XChaCha20Poly1305 } from '../../net/secure/aead.js';
import { node_aead_choice } from '../../host/net/aead_choice.js';
import { node_net_env } from '../../host/net/node_net.js';
import { Proto, type NetDriver } from '../../net/driver.js';
import { open_packet_port } from '../../net/node_network.js';
import { create_init, finish, respond, type Finished, type Responded } from '../../net/secure/handshake.js';
import { Identity } from '../../net/secure/identity.js';
import { SIGN_INIT_LABEL, signed_message } from '../../net/secure/key_schedule.js';
import { random_bytes, seeded_random } from '../../net/secure/random.js';
import type { SecureChannel } from '../../net/secure/secure_channel.js';
import { Session } from '../../net/secure/session.js';
import { CryptoSuite } from '../../net/secure/suite.js';
import { median, type BenchResult } from '../report.js';
import {
  case_result,
  compare_case,
  packet_client,
  start_agents,
  rtts,
  type Agent,
  type Case,
  type EchoTransport,
} from '../net/echo.js';
import { TLS_SUITES, make_certificate, tls_client, tls_handshake_rate } from './tls_baseline.js';
import {
  AGENT_IDENTITY_SEED,
  AGENT_NODE,
  CLIENT_IDENTITY_SEED,
  CLIENT_NODE,
  type EchoKind,
} from '../net/echo_protocol.js';

/** The TLS 1.3 agents the TCP rows compare with. */
const TLS_KINDS = ['tls13_chacha20', 'tls13_aes128gcm'] as const;

export interface SecureBenchOptions {
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

/** Handshakes per second (protocol) and primitive sets per second (floor), medians of rounds. */
function handshake_rates(suite: CryptoSuite, count: number, rounds: number): { protocol: number; primitives: number } {
  const alice = Identity.from_seed(suite, new Uint8Array(32).fill(1));
  const bob = Identity.from_seed(suite, new Uint8Array(32).fill(2));
  const random = seeded_random('bench-handshakes');
  const protocol = () => {
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const init = create_init(suite, random, alice, 1, 2, i + 1, i + 1);
      const r = respond(suite, random, bob, init.message, 1, 2, alice.public_key, null, 1000 + i) as Responded;
      const f = finish(suite, init.state, r.message, bob.public_key, null) as Finished;
      const params = {
        local_node: 1,
        peer_node: 2,
        local_index: i + 1,
        remote_index: 1000 + i,
        initiator: true,
        keys: f.keys,
        created_ms: 0,
        channel_keys_max: 8,
      };
      const mine = new Session(suite, params);
      const theirs = new Session(suite, {
        ...params,
        local_node: 2,
        peer_node: 1,
        local_index: 1000 + i,
        remote_index: i + 1,
        initiator: false,
        keys: r.keys,
      });
      const sealed = mine.seal(-1, -1, new Uint8Array(0), 0);
      const payload = new Uint8Array(mine.head.length + sealed.length);
      payload.set(mine.head);
      payload.set(sealed, mine.head.length);
      if (typeof theirs.open(payload) === 'string') throw new Error('confirmation did not open');
    }
    return count / ((performance.now() - start) / 1000);
  };
  const primitives = () => {
    const start = performance.now();
    const message = signed_message(SIGN_INIT_LABEL, new Uint8Array(32));
    for (let i = 0; i < count; i++) {
      const { ek, dk } = suite.mlkem_keypair(random_bytes(random, 64));
      const e_i = random_bytes(random, 32);
      const e_i_public = suite.x25519_public(e_i);
      const sig_i = suite.sign(message, alice.secret_key);
      suite.verify(sig_i, message, alice.public_key);
      const { ct } = suite.mlkem_encap(ek, random_bytes(random, 32))!;
      const e_r = random_bytes(random, 32);
      const e_r_public = suite.x25519_public(e_r);
      suite.x25519(e_r, e_i_public);
      const sig_r = suite.sign(message, bob.secret_key);
      suite.verify(sig_r, message, bob.public_key);
      suite.mlkem_decap(ct, dk);
      suite.x25519(e_i, e_r_public);
    }
    return count / ((performance.now() - start) / 1000);
  };
  protocol();
  primitives();
  const p: number[] = [];
  const q: number[] = [];
  for (let round = 0; round < rounds; round++) {
    p.push(protocol());
    q.push(primitives());
  }
  return { protocol: median(p), primitives: median(q) };
}

/** Seal+open pairs per second of one message size on one backend, medians of rounds. */
function aead_rate(aead: Aead, bytes: number, rounds: number, quick: boolean): number {
  const key = new Uint8Array(32).fill(1);
  const nonce = new Uint8Array(24).fill(2);
  const ad = new Uint8Array(36).fill(3);
  const message = new Uint8Array(bytes).fill(7);
  const count = Math.max(20, Math.round(((quick ? 2 : 20) << 20) / Math.max(bytes, 256)));
  const round = () => {
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      nonce[0] = i & 0xff;
      if (aead.open(aead.seal(message, ad, nonce, key).slice(), ad, nonce, key) === null)
        throw new Error(`${aead.name}: a sealed message did not open`);
    }
    return count / ((performance.now() - start) / 1000);
  };
  round();
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) rates.push(round());
  return median(rates);
}

/**
 * secure.aead_*: seal+open pairs per second for each message size, on the backend this host
 * runs (host/net/aead_choice.ts) against each backend alone: the table the choice was made from.
 */
function aead_rates(quick: boolean, rounds: number): BenchResult[] {
  const bytes_max = 1 << 20;
  const backends: [string, Aead][] = [
    ['libsodium_wasm', new XChaCha20Poly1305(bytes_max)],
    ['node_crypto', new NodeXChaCha20Poly1305(bytes_max)],
  ];
  const native = sodium_native_aead();
  if (native !== null) backends.push(['sodium_native', native(bytes_max)]);
  const chosen = node_aead_choice()(bytes_max);
  const results: BenchResult[] = [];
  for (const [label, bytes] of [
    ['64B', 64],
    ['1200B', 1200],
    ['4KiB', 4096],
    ['16KiB', 16384],
    ['64KiB', 65536],
  ] as const) {
    const baselines: Record<string, number> = {};
    for (const [name, aead] of backends) baselines[name] = aead_rate(aead, bytes, rounds, quick);
    results.push({
      name: `secure.aead_${label}`,
      unit: 'seal+open/s',
      better: 'higher',
      lattice: aead_rate(chosen, bytes, rounds, quick),
      baselines,
      note: `XChaCha20-Poly1305 seal then open of ${bytes} B, one core; lattice: ${chosen.name}`,
    });
  }
  for (const [, aead] of backends) aead.close();
  chosen.close();
  return results;
}

export async function secure_bench(options: SecureBenchOptions): Promise<BenchResult[]> {
  const { quick, log } = options;
  const rounds = quick ? 1 : 5;
  const count = (n: number) => Math.max(50, Math.round(n * (quick ? 0.05 : 1)));
  const suite = await CryptoSuite.load({ aead: node_aead_choice() });
  const results: BenchResult[] = [];

  log('secure: handshakes');
  const hs = handshake_rates(suite, quick ? 10 : 100, rounds);
  const tls_count = quick ? 20 : 300;
  results.push({
    name: 'secure.handshakes_per_s',
    unit: 'handshakes/s',
    better: 'higher',
    lattice: hs.protocol,
    baselines: {
      primitives_only: hs.primitives,
      tls13: await tls_handshake_rate(tls_count, false),
      tls13_mutual: await tls_handshake_rate(tls_count, true),
    },
    note: 'both sides of a full handshake on one core, vs its bare primitives and full TLS 1.3 handshakes (ECDSA P-256, loopback, both ends on this core)',
  });

  log('secure: AEAD backends');
  results.push(...aead_rates(quick, rounds));

  const kinds: EchoKind[] = ['lattice_udp', 'lattice_tcp', 'secure_udp', 'secure_tcp'];
  const agents = new Map<EchoKind, Agent>();
  let clear: NetDriver | null = null;
  let sealed: NetDriver | null = null;
  let channel: SecureChannel | null = null;
  const transports: EchoTransport[] = [];
  try {
    const certificate = make_certificate();
    // One worker for every echo server: each case keeps one of them busy, and the round trips
    // of all transports share one placement of the two threads (echo_agent.ts says why).
    for (const [kind, agent] of await start_agents({ kinds: [...kinds, ...TLS_KINDS], certificate }))
      agents.set(kind, agent);
    const config = { node_id: CLIENT_NODE, max_queue: 65_536, pending_bytes_max: 64 << 20 };
    clear = (await open_packet_port(node_net_env({ interfaces: {}, hostname: 'bench' }), config)).driver;
    const open = await open_packet_port(node_net_env({ interfaces: {}, hostname: 'bench' }), config, {
      suite,
      identity: Identity.from_seed(suite, new Uint8Array(32).fill(CLIENT_IDENTITY_SEED)),
      random: seeded_random('bench-client'),
      clock: { now_ms: () => Date.now() },
      pending_packets_max: 65_536,
      pending_bytes_max: 64 << 20,
    });
    sealed = open.driver;
    channel = open.secure!;
    const agent_key = Identity.from_seed(suite, new Uint8Array(32).fill(AGENT_IDENTITY_SEED)).public_key;
    clear.add_remote(AGENT_NODE.lattice_udp, '127.0.0.1', agents.get('lattice_udp')!.port, Proto.UDP);
    clear.add_remote(AGENT_NODE.lattice_tcp, '127.0.0.1', agents.get('lattice_tcp')!.port, Proto.TCP);
    sealed.add_remote(AGENT_NODE.secure_udp, '127.0.0.1', agents.get('secure_udp')!.port, Proto.UDP);
    sealed.add_remote(AGENT_NODE.secure_tcp, '127.0.0.1', agents.get('secure_tcp')!.port, Proto.TCP);
    channel.pin(AGENT_NODE.secure_udp, { public_key: agent_key });
    channel.pin(AGENT_NODE.secure_tcp, { public_key: agent_key });
    for (const kind of kinds) await agents.get(kind)!.peer(kind.startsWith('secure') ? sealed.port : clear.port);
    const udp = new Map([
      ['lattice', packet_client(channel, AGENT_NODE.secure_udp, true)],
      ['clear_driver', packet_client(clear, AGENT_NODE.lattice_udp, true)],
    ]);
    const tcp = new Map([
      ['lattice', packet_client(channel, AGENT_NODE.secure_tcp, false)],
      ['clear_driver', packet_client(clear, AGENT_NODE.lattice_tcp, false)],
    ]);
    for (const kind of TLS_KINDS)
      tcp.set(kind, await tls_client(agents.get(kind)!.port, certificate, TLS_SUITES[kind]));
    transports.push(...udp.values(), ...tcp.values());
    // The first case on each agent warms its libsodium up (see Case.warm_ms).
    const warm_ms = quick ? 300 : 3000;
    const cases: (Case & { ack_bytes?: number })[] = [
      {
        name: 'secure.udp_64B',
        warm_ms,
        size: 64,
        window: 32,
        total: count(40_000),
        variants: udp,
        unit: 'msg/s',
        note: 'sealed UDP echoes/s, 64 B, 32 in flight',
      },
      {
        name: 'secure.udp_1200B',
        size: 1200,
        window: 32,
        total: count(30_000),
        variants: udp,
        unit: 'msg/s',
        note: 'sealed UDP echoes/s, 1200 B, 32 in flight',
      },
      {
        name: 'secure.tcp_64B',
        warm_ms,
        size: 64,
        window: 256,
        total: count(100_000),
        variants: tcp,
        unit: 'msg/s',
        note: 'sealed TCP echoes/s, 64 B, 256 in flight',
      },
      {
        name: 'secure.tcp_1200B',
        size: 1200,
        window: 256,
        total: count(50_000),
        variants: tcp,
        unit: 'msg/s',
        note: 'sealed TCP echoes/s, 1200 B, 256 in flight',
      },
      {
        name: 'secure.tcp_64KiB_MBps',
        warm_ms,
        size: 65_536,
        window: 16,
        total: count(4_000),
        variants: tcp,
        unit: 'MB/s',
        note: 'sealed TCP payload MB/s one way, 64 KiB, 16 in flight, 8-byte acks',
        ack_bytes: 8,
      },
    ];
    for (const c of cases) {
      log(`secure: ${c.name} (${c.total} x ${rounds} rounds)`);
      for (const agent of agents.values()) await agent.mode(c.ack_bytes ?? 0);
      (globalThis as { gc?: () => void }).gc?.(); // Each case starts on a collected heap.
      results.push(case_result(c, await compare_case(c, rounds)));
    }
    log('secure: secure.tcp_rtt (one message in flight)');
    for (const agent of agents.values()) await agent.mode(0);
    const rtt_count = count(20_000);
    const measured = await rtts(tcp, 64, rtt_count);
    for (const [row, key] of [
      ['secure.tcp_rtt_p50_us', 'p50'],
      ['secure.tcp_rtt_p99_us', 'p99'],
    ] as const) {
      const { lattice, ...others } = Object.fromEntries([...measured].map(([n, v]) => [n, v[key]]));
      results.push({
        name: row,
        unit: 'µs',
        better: 'lower',
        lattice: lattice!,
        baselines: others,
        note: `sealed TCP round trip of one 64 B message, ${key} of 20 interleaved rounds, against the clear driver's and TLS 1.3's`,
      });
    }
    const stats = channel.stats();
    const drops = Object.values(stats.dropped).reduce((a, b) => a + b, 0);
    results.push({
      name: 'secure.client_drops',
      unit: 'count',
      better: 'lower',
      lattice: drops,
      baselines: {},
      note: `packets the client's channel dropped over the run (${stats.handshakes_completed} handshakes)`,
    });
    return results;
  } finally {
    for (const t of transports) await t.close();
    await channel?.destroy();
    await clear?.destroy();
    await sealed?.destroy();
    for (const agent of agents.values()) await agent.close();
  }
}
