// UDP receive-buffer overflow has a name: a node with a small receive buffer, flooded while its
// thread cannot read, reports every datagram it never saw as `udp_receive_overflow` (read from
// the drops column of /proc/net/udp), so that what arrived plus what overflowed is exactly what
// was sent; the count survives close. The /proc parser is checked against the kernel's format.
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../kernel/errors.js';
import type { NetDriver } from '../../net/driver.js';
import { create_net_driver } from '../../host/net/node_net.js';
import { address_bytes, drops_in_table, proc_local_address } from '../../host/net/udp_drops.js';
import { until } from '../wait.js';

const drivers: NetDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.shutdown();
});

describe('the /proc/net/udp reader', () => {
  it('spells local addresses as the kernel prints them (words in host order)', () => {
    expect(proc_local_address(address_bytes('127.0.0.1')!, 0xa2c4, 'LE')).toBe('0100007F:A2C4');
    expect(proc_local_address(address_bytes('127.0.0.1')!, 53, 'BE')).toBe('7F000001:0035');
    expect(proc_local_address(address_bytes('::1')!, 80, 'LE')).toBe(`${'0'.repeat(24)}01000000:0050`);
    expect(proc_local_address(address_bytes('::ffff:10.0.0.2')!, 1, 'LE')).toBe(
      `${'0'.repeat(16)}FFFF00000200000A:0001`,
    );
    expect(address_bytes('fe80::1%eth0')).toEqual(Uint8Array.from([0xfe, 0x80, ...new Array(13).fill(0), 1]));
    for (const bad of ['localhost', '1.2.3', '256.1.1.1', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1'])
      expect(address_bytes(bad)).toBeNull();
  });

  it('finds the drops column of the row for the socket, and only that row', () => {
    const table = [
      '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      '  120: 0100007F:A2C4 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 81234 2 0000000000000000 17',
      '  121: 00000000:A2C4 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 81235 2 0000000000000000 5',
    ].join('\n');
    expect(drops_in_table(table, '0100007F:A2C4')).toBe(17);
    expect(drops_in_table(table, '00000000:A2C4')).toBe(5);
    expect(drops_in_table(table, '0100007F:A2C5')).toBeNull();
  });
});

/** Sends `count` datagrams of `bytes` to `port` from a worker thread, one after another, while this thread waits. */
function flood_while_blocked(port: number, count: number, bytes: number): void {
  const done = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `
    const { workerData } = require('node:worker_threads');
    const { createSocket } = require('node:dgram');
    const { port, count, bytes, done } = workerData;
    const socket = createSocket('udp4');
    const datagram = Buffer.alloc(bytes, 0xee);
    let sent = 0;
    const next = () => {
      if (sent === count) {
        socket.close(() => { Atomics.store(done, 0, 1); Atomics.notify(done, 0); });
        return;
      }
      sent++;
      socket.send(datagram, port, '127.0.0.1', next);
    };
    next();
    `,
    { eval: true, workerData: { port, count, bytes, done } },
  );
  // This thread cannot read its socket while it waits here: the OS buffers what fits.
  const woke = Atomics.wait(done, 0, 0, 30_000);
  void worker.terminate();
  expect(woke).toBe('ok');
}

describe.runIf(process.platform === 'linux')('UDP receive overflow', () => {
  it('counts every datagram the OS dropped, so received + overflowed = sent', async () => {
    const d = create_net_driver({ interfaces: {}, hostname: 'test-host' });
    drivers.push(d);
    await d.init({ node_id: 1, udp_receive_buffer_bytes: 4096 });
    expect(d.stats().udp_receive_buffer_bytes).toBe(8192); // Linux doubles what is asked, for its bookkeeping.
    expect(d.stats().udp_receive_overflow).toBe(0);
    const sent = 2000;
    flood_while_blocked(d.port, sent, 512);
    // Every datagram that reached the socket is a bad frame (no magic): counted as malformed.
    const seen = (): number => Object.values(d.stats().malformed).reduce((a, b) => a + b, 0);
    await until(() => seen() + (d.stats().udp_receive_overflow ?? 0) === sent, 'every datagram accounted for');
    const overflow = d.stats().udp_receive_overflow!;
    expect(overflow).toBeGreaterThan(sent / 2); // 8 KiB holds a handful of 512-byte datagrams, not 2000.
    expect(seen()).toBeGreaterThan(0);
    await d.shutdown();
    expect(d.stats().udp_receive_overflow).toBe(overflow); // Read before the socket closed.
  });

  it('refuses a receive buffer below 4 KiB, and leaves the OS default at 0', async () => {
    const d = create_net_driver({ interfaces: {}, hostname: 'test-host' });
    drivers.push(d);
    await expect(d.init({ udp_receive_buffer_bytes: 1024 })).rejects.toBeInstanceOf(ConfigError);
    await d.init({ node_id: 1 });
    expect(d.stats().udp_receive_buffer_bytes).toBeGreaterThan(8192);
  });
});
