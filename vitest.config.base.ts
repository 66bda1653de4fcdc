import { defineConfig } from 'vitest/config';

/** Tests import workspace packages from source (the `sandtrap-source` condition): no build needed. */
export default defineConfig({
  resolve: { conditions: ['sandtrap-source'] },
  ssr: { resolve: { conditions: ['sandtrap-source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Slow tests are tagged by name: `SANDTRAP_FAST=1` skips them.
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
