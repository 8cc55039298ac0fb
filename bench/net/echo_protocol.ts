/**
 * The echo agents of the network benchmarks (echo_agent.ts) and how the main thread talks to
 * them: an agent worker runs one echo server per kind it is started with, in a thread of its
 * own, so client and server use different cores as two nodes would.
 */

/** What an agent echoes with. */
export type EchoKind =
  | 'lattice_udp'
  | 'lattice_tcp'
  | 'secure_udp'
  | 'secure_tcp'
  | 'dgram'
  | 'net'
  | 'net_framed'
  | 'tls13_chacha20'
  | 'tls13_aes128gcm';

/** Node ids of the benchmark: the client (main thread) and each Lattice agent. */
export const CLIENT_NODE = 1;
export const AGENT_NODE = { lattice_udp: 2, lattice_tcp: 3, secure_udp: 4, secure_tcp: 5 } as const;

/** Bytes of the length prefix the plain-TCP baseline frames its messages with. */
export const RAW_TCP_PREFIX_BYTES = 4;

/** Seeds of the benchmark's identities (Ed25519), so both sides can pin each other. */
export const CLIENT_IDENTITY_SEED = 0xc1;
export const AGENT_IDENTITY_SEED = 0xa9;

export interface EchoInit {
  /** The echo servers the worker runs (one thread for all of them). */
  readonly kinds: readonly EchoKind[];
  /** The TLS agents' certificate and key, PEM (bench/secure/tls_baseline.ts makes one). */
  readonly certificate?: { readonly cert: string; readonly key: string };
}

export type MainToEcho =
  | { readonly type: 'peer'; readonly kind: EchoKind; readonly port: number }
  /** Answer each message with its first `ack_bytes` bytes instead of all of it (0: echo all). */
  | { readonly type: 'mode'; readonly kind: EchoKind; readonly ack_bytes: number }
  | { readonly type: 'exit' };

export type EchoToMain =
  | { readonly type: 'listening'; readonly ports: Readonly<Partial<Record<EchoKind, number>>> }
  | { readonly type: 'ready' }
  | { readonly type: 'error'; readonly message: string };
