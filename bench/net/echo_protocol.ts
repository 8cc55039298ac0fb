/**
 * The echo agents of the network benchmark (echo_agent.ts) and how the main thread talks to
 * them: each agent runs one echo server in its own worker thread, so client and server use
 * different cores as two nodes would.
 */

/** What an agent echoes with. */
export type EchoKind = 'lattice_udp' | 'lattice_tcp' | 'dgram' | 'net' | 'net_framed';

/** Node ids of the benchmark: the client (main thread) and each Lattice agent. */
export const CLIENT_NODE = 1;
export const AGENT_NODE: Readonly<Record<'lattice_udp' | 'lattice_tcp', number>> = { lattice_udp: 2, lattice_tcp: 3 };

/** Bytes of the length prefix the plain-TCP baseline frames its messages with. */
export const RAW_TCP_PREFIX_BYTES = 4;

export interface EchoInit {
  readonly kind: EchoKind;
}

export type MainToEcho = { readonly type: 'peer'; readonly port: number } | { readonly type: 'exit' };

export type EchoToMain = { readonly type: 'listening'; readonly port: number } | { readonly type: 'ready' } | { readonly type: 'error'; readonly message: string };
