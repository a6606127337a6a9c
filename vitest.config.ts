import { defineConfig } from 'vitest/config';

const quietLogs = { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', AWS_REGION: 'us-east-1' };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          env: { ...quietLogs, TABLE_NAME: 'unit-tests' },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/dynamodb-global-setup.ts'],
          setupFiles: ['test/support/integration-setup.ts'],
          env: { ...quietLogs, JWT_SECRET: 'integration-tests-secret-at-least-32-bytes-long' },
          testTimeout: 30_000,
          hookTimeout: 90_000,
          // Cleanup after a close ($disconnect) runs asynchronously; on a loaded CI machine it can take seconds.
          expect: { poll: { timeout: 10_000, interval: 100 } },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          env: { ...quietLogs },
          // Each file starts its own local stack (DynamoDB Local, gateway) and, for the page, Chromium.
          testTimeout: 60_000,
          hookTimeout: 120_000,
          expect: { poll: { timeout: 15_000, interval: 100 } },
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          env: { ...quietLogs, TABLE_NAME: 'unit-tests' },
          // Synthesis bundles every function with esbuild (about 15 s for the
          // whole app), once per file, in beforeAll.
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
