// Thread: vitest main process. Two projects:
//   unit         test/unit + test/property: no build, no Redis, no kcat, no spawned broker
//                (`npm run test:unit`);
//   integration  test/integration: real broker processes from dist/ (globalSetup builds it when
//                stale), Redis, kcat, an S3 server (`npm run test:integration`).
// `npm test` runs both.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/property/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
        },
      },
    ],
  },
});
