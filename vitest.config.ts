import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The bin tests run the built CLI (dist/js), rebuilt from the sources first.
    globalSetup: ['test/support/build-cli.ts'],
    // Integration tests start loopback clusters and real clients; keep them from starving each other on 2 cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
