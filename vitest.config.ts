import { defineConfig } from 'vitest/config';

// Tests live in test/ only, so nothing built elsewhere is run twice.
// The suite spawns real worker threads and sockets; `forks` keeps every test file
// in its own process, so one file's workers can never outlive it unseen.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 10_000,
    // Hot-path assertions on in every node the tests start (NodeHost reads it; KernelEnv.debug).
    env: { LATTICE_DEBUG: '1' },
  },
});
