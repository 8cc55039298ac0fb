// `lattice node`: two real OS processes, each a node from a config file, complete the secure
// handshake over TCP and UDP and run built-in services against each other; keygen, config errors
// with lines, stdin commands and exit codes.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { lattice, LatticeProcess } from '../lattice_cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lattice-node-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const running: LatticeProcess[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.kill();
});

function start(config: Record<string, unknown>, name: string): LatticeProcess {
  writeFileSync(join(dir, name), JSON.stringify(config, null, 2));
  const p = new LatticeProcess(dir, ['node', '--config', name]);
  running.push(p);
  return p;
}

/**
 * Two sealed nodes: `echo_id` with an echo on pid 10, and `pinger_id` pinning it; each serves
 * metrics where given. `ping(count)` pins the pinger at the echo node, pings from pid 20, and
 * resolves to the ping's `exited` event.
 */
async function echo_and_pinger(echo_id: number, pinger_id: number, metrics: [string | null, string | null]) {
  const key_echo = await keygen(`n${echo_id}.key`);
  const key_pinger = await keygen(`n${pinger_id}.key`);
  const served = (m: string | null) => (m === null ? {} : { metrics: m });
  const echo = start(
    {
      node_id: echo_id,
      port: 0,
      ...served(metrics[0]),
      secure: { identity_file: `n${echo_id}.key` },
      processes: [{ pid: 10, core: 1, service: 'echo' }],
    },
    `n${echo_id}.json`,
  );
  const ready_echo = await echo.next((e) => e.event === 'ready');
  const pinger = start(
    {
      node_id: pinger_id,
      port: 0,
      ...served(metrics[1]),
      secure: { identity_file: `n${pinger_id}.key` },
      peers: [{ node_id: echo_id, host: '127.0.0.1', port: ready_echo.port, public_key: key_echo }],
    },
    `n${pinger_id}.json`,
  );
  const ready_pinger = await pinger.next((e) => e.event === 'ready');
  const ping = async (count: number) => {
    echo.send({
      cmd: 'add_remote',
      node_id: pinger_id,
      host: '127.0.0.1',
      port: ready_pinger.port,
      public_key: key_pinger,
    });
    await echo.next((e) => e.event === 'peer' && e.node_id === pinger_id);
    pinger.send({ cmd: 'spawn', pid: 20, core: 1, service: 'ping', to: { node: echo_id, pid: 10 }, count });
    return pinger.next((e) => e.event === 'exited');
  };
  return { echo, pinger, ready_echo, ready_pinger, ping };
}

/**
 * A pass-through HTTP server in front of a node's metrics at `port`: what Prometheus scrapes,
 * so that each scrape is an event the test can wait on. `started(n)` resolves once the n-th
 * request began.
 */
async function scrape_watch(port: number) {
  let count = 0;
  let waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer((request, response) => {
    count++;
    const due = waiters.filter((w) => count >= w.n);
    waiters = waiters.filter((w) => count < w.n);
    for (const w of due) w.resolve();
    void fetch(`http://127.0.0.1:${port}${request.url ?? '/'}`).then(async (upstream) => {
      response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
      response.end(await upstream.text());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    count: () => count,
    started: (n: number) =>
      count >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The secure channel's drops by reason in a `stats` event, without the zero ones. */
const stats_dropped = (stats: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries((stats.secure as { dropped: Record<string, number> }).dropped).filter(([, n]) => n > 0),
  );

const metrics_md = readFileSync(new URL('../../docs/METRICS.md', import.meta.url), 'utf8');

const keys: Record<string, string> = {};
async function keygen(name: string): Promise<string> {
  if (keys[name] !== undefined) return keys[name]!;
  const r = await lattice(dir, 'node', '--keygen', name);
  expect(r.code).toBe(0);
  keys[name] = (JSON.parse(r.stdout) as { public_key: string }).public_key;
  return keys[name]!;
}

describe('lattice node', () => {
  it('keygen writes a private seed file, prints only the public key, and never overwrites', async () => {
    const public_key = await keygen('k.key');
    expect(public_key).toMatch(/^[0-9a-f]{64}$/);
    const seed = readFileSync(join(dir, 'k.key'), 'utf8').trim();
    expect(seed).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(dir, 'k.key')).mode & 0o777).toBe(0o600);
    const again = await lattice(dir, 'node', '--keygen', 'k.key');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('never overwritten');
    expect(again.stdout + again.stderr).not.toContain(seed);
  });

  for (const proto of ['tcp', 'udp'] as const) {
    it(`two processes handshake over ${proto} and ping 1000 times, sealed; close drains and exits 0`, async () => {
      const key_a = await keygen('a.key');
      const key_b = await keygen('b.key');
      const a = start({ node_id: 1, port: 0, proto, secure: { identity_file: 'a.key' } }, `a-${proto}.json`);
      const ready_a = await a.next((e) => e.event === 'ready');
      expect(ready_a).toMatchObject({
        node_id: 1,
        secure: true,
        public_key: key_a,
        aead: 'libsodium-wasm<256<=sodium-native', // The Node host's native path.
      });
      const b = start(
        {
          node_id: 2,
          port: 0,
          proto,
          secure: { identity_file: 'b.key' },
          peers: [{ node_id: 1, host: '127.0.0.1', port: ready_a.port, public_key: key_a }],
          processes: [{ pid: 10, core: 1, service: 'echo', count: 1000 }],
        },
        `b-${proto}.json`,
      );
      const ready_b = await b.next((e) => e.event === 'ready');
      a.send({ cmd: 'add_remote', node_id: 2, host: '127.0.0.1', port: ready_b.port, public_key: key_b });
      await a.next((e) => e.event === 'peer' && e.node_id === 2);
      a.send({
        cmd: 'spawn',
        pid: 20,
        core: 1,
        service: 'ping',
        to: { node: 2, pid: 10 },
        count: 1000,
        payload_bytes: 48,
        timeout_ms: 5000,
      });
      expect(await a.next((e) => e.event === 'spawned')).toMatchObject({ pid: 20, core: 1 });
      const ping = await a.next((e) => e.event === 'exited' && e.pid === 20);
      expect(ping).toMatchObject({ ok: true, value: { service: 'ping', sent: 1000, answered: 1000, timeouts: 0 } });
      // Round trips from an HDR histogram (µs): ordered percentiles up to the largest.
      const rtt = (ping.value as { rtt_us: Record<string, number> }).rtt_us;
      const order = [rtt.p50, rtt.p90, rtt.p99, rtt.p99_9, rtt.max] as number[];
      expect(order[0]).toBeGreaterThan(0);
      expect(order).toEqual([...order].sort((x, y) => x - y));
      const echo = await b.next((e) => e.event === 'exited' && e.pid === 10);
      expect(echo).toMatchObject({ ok: true, value: { echoed: 1000 } });

      a.send({ cmd: 'stats' });
      const stats = await a.next((e) => e.event === 'stats');
      expect(stats).toMatchObject({ secure: { handshakes_completed: 1, opened_packets: 1000 } });
      expect((stats.secure as { sealed_packets: number }).sealed_packets).toBeGreaterThanOrEqual(1000);

      a.send({ cmd: 'close' });
      b.child.kill('SIGTERM');
      const [closed_a, closed_b] = await Promise.all([
        a.next((e) => e.event === 'closed'),
        b.next((e) => e.event === 'closed'),
      ]);
      expect(closed_a).toMatchObject({ failed: 0, forced_terminations: 0 });
      expect(closed_b).toMatchObject({ failed: 0, forced_terminations: 0 });
      expect(await a.exited).toBe(0);
      expect(await b.exited).toBe(0);
      // The secret seeds never reach the output.
      for (const p of [a, b])
        for (const seed of ['a.key', 'b.key'])
          expect(JSON.stringify(p.events) + p.stderr).not.toContain(readFileSync(join(dir, seed), 'utf8').trim());
    }, 60_000);
  }

  it('services carry payloads in slab blocks across nodes (clear TCP): stream into a sink, ping an echo', async () => {
    const a = start(
      {
        node_id: 5,
        port: 0,
        secure: false,
        net: { udp_receive_buffer_bytes: 65_536, tcp_connections_max: 16 },
        exit_when_done: true,
        processes: [
          { pid: 10, core: 1, service: 'sink', count: 500 },
          { pid: 11, core: 1, service: 'echo', count: 200 },
        ],
      },
      'blocks-a.json',
    );
    const ready_a = await a.next((e) => e.event === 'ready');
    const b = start(
      { node_id: 6, port: 0, secure: false, peers: [{ node_id: 5, host: '127.0.0.1', port: ready_a.port }] },
      'blocks-b.json',
    );
    const ready_b = await b.next((e) => e.event === 'ready');
    a.send({ cmd: 'add_remote', node_id: 6, host: '127.0.0.1', port: ready_b.port });
    await a.next((e) => e.event === 'peer');
    b.send({
      cmd: 'spawn',
      pid: 20,
      core: 1,
      service: 'stream',
      to: { node: 5, pid: 10 },
      count: 500,
      payload_bytes: 1000,
    });
    b.send({
      cmd: 'spawn',
      pid: 21,
      core: 1,
      service: 'ping',
      to: { node: 5, pid: 11 },
      count: 200,
      payload_bytes: 3000,
      timeout_ms: 5000,
    });
    const sink = await a.next((e) => e.event === 'exited' && e.pid === 10);
    expect(sink).toMatchObject({ ok: true, value: { received: 500, bytes: 500_000 } });
    const ping = await b.next((e) => e.event === 'exited' && e.pid === 21);
    expect(ping).toMatchObject({ ok: true, value: { sent: 200, answered: 200, timeouts: 0 } });
    b.send({ cmd: 'close' });
    const closed_a = await a.next((e) => e.event === 'closed');
    expect((closed_a.fastpath as { payload_blocks_outstanding: number }).payload_blocks_outstanding).toBe(0);
    expect((closed_a.server as { dropped: object }).dropped).toEqual({}); // Nothing refused, e.g. as not_listening.
    // The file's `net` limits reached the driver (Linux reports the receive buffer doubled).
    expect(closed_a.driver).toMatchObject({ udp_receive_buffer_bytes: 131_072, udp_receive_overflow: 0 });
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  }, 60_000);

  it('a stream the network refuses is told: egress refusals and failed connects count in its net_refused', async () => {
    // Node 7 is registered at a port nothing listens on (connects fail: ECONNREFUSED); node 8 is
    // not registered at all (the network core refuses with unknown_node). The kernel takes every
    // send (the streams run on core 1, the network on core 0), so only the process's net_refused
    // can tell them.
    const a = start(
      {
        node_id: 5,
        port: 0,
        secure: false,
        metrics: '0',
        peers: [{ node_id: 7, host: '127.0.0.1', port: 1 }],
        processes: [
          { pid: 20, core: 1, service: 'stream', to: { node: 7, pid: 1 }, count: 40 },
          { pid: 21, core: 1, service: 'stream', to: { node: 8, pid: 1 }, count: 30 },
        ],
      },
      'refused.json',
    );
    const ready = await a.next((e) => e.event === 'ready');
    for (const pid of [20, 21]) {
      const done = await a.next((e) => e.event === 'exited' && e.pid === pid);
      expect(done).toMatchObject({ ok: true, value: { service: 'stream', sent: pid === 20 ? 40 : 30 } });
    }
    // The connect attempts back off (10 ms doubling, 8 attempts) before the 40 frames fail.
    const deadline = Date.now() + 20_000;
    let stats: Record<string, unknown> = {};
    for (let k = 0; Date.now() < deadline; k++) {
      a.send({ cmd: 'stats' });
      let i = 0;
      stats = await a.next((e) => e.event === 'stats' && i++ === k); // The answer to this request.
      if ((stats.server as { send_failed: number }).send_failed === 40) break;
    }
    expect(stats.net_refused).toEqual({ 20: 40, 21: 30 });
    expect(stats.server).toMatchObject({
      send_failed: 40,
      dropped: { egress_refused: 30 },
      send_refused: { unknown_node: 30 },
    });
    expect((stats.driver as { send_errors: object }).send_errors).toEqual({ ECONNREFUSED: 40 });
    // The same per process in the metrics, by pid.
    const text = await (await fetch(`http://127.0.0.1:${(ready.metrics as { port: number }).port}/metrics`)).text();
    expect(text).toMatch(/lattice_processes_net_refused_total\{[^}]*pid="20"[^}]*\} 40\n/);
    expect(text).toMatch(/lattice_processes_net_refused_total\{[^}]*pid="21"[^}]*\} 30\n/);
    a.send({ cmd: 'close' });
    const closed = await a.next((e) => e.event === 'closed');
    expect(closed.net_refused).toEqual({ 20: 40, 21: 30 });
    expect(await a.exited).toBe(0);
  }, 60_000);

  it('a peer with a different identity gets no session: pings time out, the failure is counted', async () => {
    const key_c = await keygen('c.key');
    await keygen('d.key');
    const impostor = await keygen('e.key'); // d pins e's key, but the peer is c.
    const c = start(
      { node_id: 3, port: 0, secure: { identity_file: 'c.key' }, processes: [{ pid: 10, core: 1, service: 'echo' }] },
      'c.json',
    );
    const ready_c = await c.next((e) => e.event === 'ready');
    const d = start(
      {
        node_id: 4,
        port: 0,
        // A fresh INIT every 100 ms, so that three handshakes fail within the pings.
        secure: { identity_file: 'd.key', handshake_retry_ms: 100 },
        peers: [{ node_id: 3, host: '127.0.0.1', port: ready_c.port, public_key: impostor }],
      },
      'd.json',
    );
    const ready_d = await d.next((e) => e.event === 'ready');
    // c pins d's real key first, so d's handshake reaches a peer that answers it.
    c.send({ cmd: 'add_remote', node_id: 4, host: '127.0.0.1', port: ready_d.port, public_key: keys['d.key'] });
    await c.next((e) => e.event === 'peer' && e.node_id === 4);
    d.send({ cmd: 'spawn', pid: 20, core: 1, service: 'ping', to: { node: 3, pid: 10 }, count: 3, timeout_ms: 300 });
    const ping = await d.next((e) => e.event === 'exited');
    // While it runs, the node says why: the peer's answers are not signed by the key pinned.
    const warning = await d.next((e) => e.event === 'warning');
    expect(warning).toMatchObject({ kind: 'handshake_failing', node: 3, reason: 'bad_signature', failures: 3 });
    expect(d.events.indexOf(warning)).toBeLessThan(d.events.indexOf(ping));
    // Not one answer: the ping fails, saying so, and the node exits 1.
    expect(ping).toMatchObject({ ok: false, error: { code: 'ERR_LATTICE_PING_UNANSWERED' } });
    expect((ping.error as { message: string }).message).toMatch(
      /every ping timed out: 3 sent to node 3 pid 10, none answered within 300 ms \(3 timeouts/,
    );
    d.send({ cmd: 'close' });
    const closed = await d.next((e) => e.event === 'closed');
    expect(closed.failed).toBe(1);
    expect((closed.warnings as { given: number }).given).toBeGreaterThanOrEqual(1);
    const secure = closed.secure as { handshakes_completed: number; handshakes_failed: Record<string, number> };
    expect(secure.handshakes_completed).toBe(0);
    expect(secure.handshakes_failed.bad_signature).toBeGreaterThan(0);
    expect(key_c).not.toBe(impostor);
    expect(await d.exited).toBe(1);
    c.child.kill('SIGINT');
    expect(await c.exited).toBe(0);
  }, 60_000);

  it('warns while it runs when a pinned peer is unreachable: handshakes timing out, then no session for unreachable_warn_ms', async () => {
    await keygen('f.key');
    const nobody = await keygen('g.key');
    const f = start(
      {
        node_id: 6,
        port: 0,
        proto: 'udp',
        secure: { identity_file: 'f.key', handshake_retry_ms: 50, handshake_attempts_max: 2 },
        warnings: { unreachable_warn_ms: 300 },
        // Nothing listens there: every handshake times out.
        peers: [{ node_id: 7, host: '127.0.0.1', port: 1, public_key: nobody }],
        processes: [{ pid: 20, core: 1, service: 'ping', to: { node: 7, pid: 10 }, count: 40, timeout_ms: 100 }],
      },
      'f.json',
    );
    const failing = await f.next((e) => e.event === 'warning' && e.kind === 'handshake_failing');
    expect(failing).toMatchObject({ node: 7, reason: 'timeout', failures: 3 });
    expect(failing.message).toMatch(/unreachable/);
    const unreachable = await f.next((e) => e.event === 'warning' && e.kind === 'peer_unreachable');
    expect(unreachable).toMatchObject({ node: 7 });
    expect(unreachable.for_ms).toBeGreaterThanOrEqual(300);
    expect(f.events.indexOf(failing)).toBeLessThan(f.events.indexOf(unreachable));
    // Rate-limited: one of each kind however long it goes on (the limit is 30 s).
    f.send({ cmd: 'close' });
    const closed = await f.next((e) => e.event === 'closed');
    expect(f.events.filter((e) => e.event === 'warning' && e.kind === 'handshake_failing')).toHaveLength(1);
    expect((closed.warnings as { suppressed: number }).suppressed).toBeGreaterThan(0);
    expect(closed.failed).toBe(1); // The ping, cut short by the close, had not one answer.
    expect(await f.exited).toBe(1);
  }, 60_000);

  it('serves its counters at /metrics in the Prometheus format (promtool accepts it) and as JSON, equal to its own stats', async () => {
    const {
      echo: h,
      pinger: i,
      ready_echo: ready_h,
      ready_pinger: ready_i,
      ping,
    } = await echo_and_pinger(8, 9, ['0', null]);
    const metrics = ready_h.metrics as { host: string; port: number };
    expect(metrics.host).toBe('127.0.0.1');
    expect(metrics.port).toBeGreaterThan(0);
    expect(ready_i.metrics).toBeNull();
    expect(await ping(50)).toMatchObject({ ok: true, value: { answered: 50 } });
    h.send({ cmd: 'stats' });
    const stats = await h.next((e) => e.event === 'stats');
    const base = `http://127.0.0.1:${metrics.port}`;
    const text = await (await fetch(`${base}/metrics`)).text();
    // Every family is documented in docs/METRICS.md, with its type, and nothing there is gone.
    const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    const documented = [...metrics_md.matchAll(/^\| `(lattice_\w+)` \| (\w+) \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(families.length).toBeGreaterThan(50);
    expect([...families].sort()).toEqual([...documented].sort());
    const opened = (stats.secure as { opened_packets: number }).opened_packets;
    expect(opened).toBeGreaterThanOrEqual(50);
    expect(text).toContain(`lattice_secure_opened_packets_total{node="8"} ${opened}\n`);
    expect(text).toContain('# TYPE lattice_secure_opened_packets_total counter');
    expect(text).toMatch(/# TYPE lattice_driver_queued gauge\nlattice_driver_queued\{node="8"\} 0\n/);
    expect(text).toMatch(/lattice_server_delivered_total\{node="8"\} \d+/);
    // Each pinned peer's session, as a gauge by peer.
    expect(text).toMatch(/lattice_peers_established\{[^}]*peer="9"[^}]*\} 1\n/);
    expect(text).toMatch(/lattice_peers_session_age_seconds\{[^}]*peer="9"[^}]*\} \d/);
    // The real promtool (Debian's prometheus package) checks the exposition text.
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error).toBeUndefined();
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
    const json = (await (await fetch(`${base}/metrics.json`)).json()) as {
      name: string;
      values: { value: number }[];
    }[];
    expect(json.find((m) => m.name === 'lattice_secure_opened_packets_total')?.values[0]?.value).toBe(opened);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    // lattice stat: one snapshot for scripts, and the live table (two refreshes, rates between them).
    const once = await lattice(dir, 'stat', String(metrics.port), '--once', '--json');
    expect(once.code).toBe(0);
    const snapshot = JSON.parse(once.stdout) as { node: string; values: Record<string, unknown> };
    expect(snapshot.node).toBe('8');
    expect(snapshot.values.lattice_secure_opened_packets_total).toBe(opened);
    expect(snapshot.values.lattice_secure_dropped_total ?? {}).toEqual(stats_dropped(stats));
    const live = await lattice(dir, 'stat', `127.0.0.1:${metrics.port}`, '--count', '2', '--interval-ms', '100');
    expect(live.code).toBe(0);
    expect(live.stdout.match(/^lattice node 8 /gm)).toHaveLength(2);
    expect(live.stdout).toMatch(new RegExp(`messages opened +${opened} +0/s`));
    expect(live.stdout).toMatch(/ node 9 +established +\d+\.\d s\n/);
    expect(Math.max(...live.stdout.split('\n').map((line) => line.length))).toBeLessThanOrEqual(80);
    i.send({ cmd: 'close' });
    expect(await i.exited).toBe(0);
    h.send({ cmd: 'close' });
    expect(await h.exited).toBe(0);
    await expect(fetch(`${base}/metrics`)).rejects.toThrow(); // Closed with the node.
    const down = await lattice(dir, 'stat', String(metrics.port), '--once');
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      new RegExp(`cannot reach http://127\\.0\\.0\\.1:${metrics.port}/metrics\\.json \\(ECONNREFUSED\\)`),
    );
  }, 60_000);

  it("is scraped by a real Prometheus: both targets up, a counter and a latency quantile it stored equal to the node's own", async () => {
    const {
      echo: j,
      pinger: k,
      ready_echo: ready_j,
      ready_pinger: ready_k,
      ping,
    } = await echo_and_pinger(11, 12, ['127.0.0.1:0', '0']);
    // Prometheus scrapes the nodes through watches, so that each scrape is an event here.
    const watches = await Promise.all(
      [ready_j, ready_k].map((r) => scrape_watch((r.metrics as { port: number }).port)),
    );
    const prom_dir = mkdtempSync(join(dir, 'prometheus-'));
    const targets = watches.map((w) => `'127.0.0.1:${w.port}'`).join(', ');
    writeFileSync(
      join(prom_dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: lattice\n    static_configs:\n      - targets: [${targets}]\n`,
    );
    const prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(prom_dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(prom_dir, 'data')}`,
        '--web.listen-address=127.0.0.1:0',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    const prometheus_exited = new Promise<number | null>((resolve) => prometheus.once('exit', (code) => resolve(code)));
    /** `promise`, or a failure naming Prometheus's log if it exits first. */
    const or_exit = <T>(promise: Promise<T>) =>
      Promise.race([
        promise,
        prometheus_exited.then((code): never => {
          throw new Error(`prometheus exited (${code}): ${log}`);
        }),
      ]);
    try {
      // Its bound port, from its log: "Listening on" address=127.0.0.1:PORT.
      const prom_port = await or_exit(
        new Promise<number>((resolve, reject) => {
          prometheus.stderr.on('data', (chunk: Buffer) => {
            log += chunk.toString();
            const m = /msg="Listening on" address=127\.0\.0\.1:(\d+)/.exec(log);
            if (m !== null) resolve(Number(m[1]));
          });
          prometheus.once('error', reject);
        }),
      );
      const api = async (path: string) =>
        ((await (await fetch(`http://127.0.0.1:${prom_port}${path}`)).json()) as { data: unknown }).data;
      /** Each target's scrapes are in turn: once the one after next begins, one that began after now is stored. */
      const stored_after_now = () => or_exit(Promise.all(watches.map((w) => w.started(w.count() + 2))));
      await stored_after_now();
      const up = (await api('/api/v1/targets')) as { activeTargets: { health: string }[] };
      expect(up.activeTargets.map((t) => t.health)).toEqual(['up', 'up']);
      const pinged = await ping(100);
      expect(pinged).toMatchObject({ ok: true, value: { answered: 100 } });
      j.send({ cmd: 'stats' });
      const opened = ((await j.next((e) => e.event === 'stats')).secure as { opened_packets: number }).opened_packets;
      expect(opened).toBeGreaterThanOrEqual(100);
      await stored_after_now();
      const value = async (query: string) => {
        const data = (await api(`/api/v1/query?query=${encodeURIComponent(query)}`)) as {
          result: { value: [number, string] }[];
        };
        expect(data.result).toHaveLength(1);
        return Number(data.result[0]!.value[1]);
      };
      expect(await value('lattice_secure_opened_packets_total{node="11"}')).toBe(opened);
      // And a sum over the counters of both nodes: each sealed the hundred pings or their echoes.
      expect(await value('sum(lattice_secure_sealed_packets_total)')).toBeGreaterThanOrEqual(200);
      // A histogram quantile: the pinger's p99 round trip to node 11, from its cores' HDR
      // histograms, equal to the node's own summary and to the ping's own histogram of them.
      k.send({ cmd: 'stats' });
      const rtt = (
        (await k.next((e) => e.event === 'stats')).latency as {
          ping_rtt_us: Record<string, { p99: number; count: number }>;
        }
      ).ping_rtt_us['11']!;
      expect(rtt.count).toBe(100);
      expect(rtt.p99).toBe((pinged.value as { rtt_us: { p99: number } }).rtt_us.p99);
      expect(await value('lattice_ping_rtt_seconds{node="12",peer="11",quantile="0.99"}')).toBeCloseTo(
        rtt.p99 / 1e6,
        9,
      );
      expect(await value('lattice_ping_rtt_seconds_count{node="12",peer="11"}')).toBe(100);
    } finally {
      prometheus.kill('SIGTERM');
      await prometheus_exited;
      for (const w of watches) await w.close();
    }
    k.send({ cmd: 'close' });
    expect(await k.exited).toBe(0);
    j.send({ cmd: 'close' });
    expect(await j.exited).toBe(0);
  }, 90_000);

  it('reports every config mistake with its line, and bad commands as error events', async () => {
    writeFileSync(
      join(dir, 'bad.json'),
      '{\n  "node_id": 0,\n  "secure": false,\n  "net": { "mtu": 1500 },\n  "peers": [{ "node_id": 2, "proto": "tcp_inbound", "host": "h" }],\n  "processes": [\n    { "pid": 1, "core": 9, "service": "echo" },\n    { "pid": 5, "core": 1, "service": "ping" }\n  ]\n}\n',
    );
    const r = await lattice(dir, 'node', '--config', 'bad.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.json:2: node_id: must be in [1, 2147483647], got 0');
    expect(r.stderr).toContain('bad.json:4: net.mtu:');
    expect(r.stderr).toContain('bad.json:5: peers[0].proto: tcp_inbound needs secure');
    expect(r.stderr).toContain('bad.json:5: peers[0].host: a tcp_inbound peer dials in');
    expect(r.stderr).toContain('bad.json:7: processes[0].core: must be in [1, 1], got 9');
    expect(r.stderr).toContain("bad.json:7: processes[0].pid: pid 1 is the network's");
    expect(r.stderr).toContain('bad.json:8: processes[1].to: is required for ping');
    expect((await lattice(dir, 'node')).code).toBe(2);
    expect((await lattice(dir, 'node', '--config', 'missing.json')).code).toBe(2);
    expect((await lattice(dir, 'node', '--help')).stdout).toContain('--keygen FILE');

    const n = start({ node_id: 9, port: 0, secure: false }, 'clear.json');
    await n.next((e) => e.event === 'ready');
    n.child.stdin.write('not json\n');
    n.send({ cmd: 'reboot' });
    n.send({ cmd: 'spawn', pid: 1, core: 1, service: 'echo' });
    const errors: Record<string, unknown>[] = [];
    for (let i = 0; i < 3; i++) errors.push(await n.next((e) => e.event === 'error' && !errors.includes(e)));
    expect(errors.map((e) => e.code)).toEqual([
      'ERR_LATTICE_NODE_COMMAND',
      'ERR_LATTICE_NODE_COMMAND',
      'ERR_LATTICE_NODE_CONFIG',
    ]);
    expect(String(errors[2]!.message)).toContain('spawn.pid: pid 1 is taken');
    n.send({ cmd: 'close' });
    expect(await n.exited).toBe(0);
  }, 60_000);
});
