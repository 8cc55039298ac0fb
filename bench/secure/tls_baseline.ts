/**
 * TLS 1.3 from Node's own `tls` module, the baseline the secure channel is measured against
 * (what a user would pick instead): a self-signed certificate made at start with the `openssl`
 * command (ECDSA P-256), the suite forced and checked on every connection (TLS 1.3 only,
 * `TLS_CHACHA20_POLY1305_SHA256` or `TLS_AES_128_GCM_SHA256`), corked writes, a 4-byte length
 * prefix per message, every message parsed at the receiver (bench/net/length_prefix.ts).
 *
 * - `tls_echo_server`: the echo agent's server (echo_agent.ts runs it in a worker thread);
 *   in ack mode it answers each message with its first bytes only, as the Lattice agents do.
 * - `tls_client`: the bench's client side, an `EchoTransport`.
 * - `tls_handshake_rates`: full handshakes per second (no resumption), server-only and mutual,
 *   both ends in this thread over loopback: both sides' work on one core, as
 *   `secure.handshakes_per_s` counts Lattice's (which has no socket in it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tls_connect, createServer, type TLSSocket, type Server } from 'node:tls';
import { length_prefixed_client, type EchoTransport } from '../net/echo.js';
import { echo_length_prefixed } from '../net/length_prefix.js';

/** The two TLS 1.3 suites measured, by the baseline names the results use. */
export const TLS_SUITES = {
  tls13_chacha20: 'TLS_CHACHA20_POLY1305_SHA256',
  tls13_aes128gcm: 'TLS_AES_128_GCM_SHA256',
} as const;
export type TlsBaseline = keyof typeof TLS_SUITES;

/** A certificate and its key, PEM. */
export interface Certificate {
  readonly cert: string;
  readonly key: string;
}

/** A fresh self-signed ECDSA P-256 certificate for `localhost` (openssl req -x509). */
export function make_certificate(name = 'localhost'): Certificate {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${name}`,
        '-addext',
        `subjectAltName=DNS:${name}`,
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Throws unless `socket` runs TLS 1.3 with `suite`. */
function check_suite(socket: TLSSocket, suite: string): void {
  const cipher = socket.getCipher();
  const protocol = socket.getProtocol();
  if (protocol !== 'TLSv1.3' || cipher.standardName !== suite)
    throw new Error(`TLS baseline: wanted TLSv1.3 ${suite}, got ${protocol} ${cipher.standardName}`);
}

/** TLS 1.3 and nothing else, on `suite` alone: the options every socket here takes. */
function tls13(suite: string) {
  return { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: suite } as const;
}

/** A client's options: the server at `port` on loopback, named `localhost`, trusted by its certificate `ca`. */
function client_options(port: number, ca: string, suite: string) {
  return { host: '127.0.0.1', port, servername: 'localhost', ca, ...tls13(suite) };
}

/** The echo agent's TLS server: parses each message and writes it (or its first `ack_bytes()`) back, corked per read. */
export function tls_echo_server(certificate: Certificate, suite: string, ack_bytes: () => number): Server {
  return createServer({ ...certificate, ...tls13(suite) }, (socket) => {
    socket.setNoDelay(true);
    check_suite(socket, suite);
    echo_length_prefixed(socket, ack_bytes);
    socket.on('error', () => socket.destroy());
  });
}

/** A TLS 1.3 client on `suite` to the agent at `port`: an `EchoTransport` (writes corked per turn). */
export async function tls_client(port: number, certificate: Certificate, suite: string): Promise<EchoTransport> {
  const socket = tls_connect(client_options(port, certificate.cert, suite));
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  check_suite(socket, suite);
  return length_prefixed_client(socket);
}

/** Full TLS 1.3 handshakes per second over loopback, both ends here; `mutual`: the client proves a certificate too. */
export async function tls_handshake_rate(count: number, mutual: boolean): Promise<number> {
  const server_certificate = make_certificate('localhost');
  const client_certificate = make_certificate('client');
  const suite = TLS_SUITES.tls13_chacha20;
  const server = createServer({
    ...server_certificate,
    ...tls13(suite),
    ...(mutual ? { requestCert: true, rejectUnauthorized: true, ca: client_certificate.cert } : {}),
  });
  server.on('secureConnection', (socket) => {
    socket.on('error', () => {});
    if (mutual && !socket.authorized) throw new Error('TLS baseline: the client certificate was not verified');
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const socket = tls_connect({
        ...client_options(port, server_certificate.cert, suite),
        ...(mutual ? { key: client_certificate.key, cert: client_certificate.cert } : {}),
      });
      // Done when the server ends the connection: after it finished (and, mutual, verified) its side.
      socket.once('secureConnect', () => check_suite(socket, suite));
      socket.on('data', () => {});
      socket.once('close', (failed) => (failed ? reject(new Error('TLS baseline: handshake failed')) : resolve()));
      socket.once('error', reject);
    });
  try {
    for (let i = 0; i < Math.max(5, count / 10); i++) await one();
    const start = performance.now();
    for (let i = 0; i < count; i++) await one();
    return count / ((performance.now() - start) / 1000);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
