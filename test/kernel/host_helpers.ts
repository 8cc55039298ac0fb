// Shared set-up for the tests that start NodeHosts on real worker threads: `NodeHost.start` for a
// test file, with every host it started destroyed after each test (no worker outlives its test).
import { afterEach } from 'vitest';
import { NodeHost } from '../../host/node_host.js';

/** A `NodeHost.start` whose hosts are destroyed after each test of the calling file (call it at the top level). */
export function hosts_per_test(): (...args: Parameters<typeof NodeHost.start>) => Promise<NodeHost> {
  const hosts: NodeHost[] = [];
  afterEach(async () => {
    for (const host of hosts.splice(0)) await host.destroy();
  });
  return async (...args) => {
    const host = await NodeHost.start(...args);
    hosts.push(host);
    return host;
  };
}
