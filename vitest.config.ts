import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests beside the code, and suites in test/ that need
// the real PostgreSQL, Kafka and schema registry (see test/support/services.ts).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'infra/src/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/faults/**', '**/node_modules/**'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/service-logs.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Suites share two PostgreSQL servers and one broker on a 2-core machine.
          maxWorkers: 2,
        },
      },
      {
        // Restarts the shared servers, so it runs alone, after the integration suites.
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/service-logs.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
