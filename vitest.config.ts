import { defineConfig } from 'vitest/config';

// The AWS SDK's notice that its 2027 releases need Node 22 (see the README) would print in every worker.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Two projects: `unit` is pure and fast; `integration` runs against the real parts
// (control plane, helm binaries, dynalite) that test/harness/global-setup.ts starts once.
export default defineConfig({
  test: {
    // The control plane has 2 cores to share: integration files run one after another.
    fileParallelism: false,
    reporters: ['default', './test/harness/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['./test/harness/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
