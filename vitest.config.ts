import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Token hosts are child processes and SoftHSM tokens live in temp dirs;
    // files run in parallel but never share token state.
    pool: 'forks',
    globalSetup: ['tests/global-setup.ts'],
  },
});
