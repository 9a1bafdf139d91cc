import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    alias: [
      { find: /^authcode\/api$/, replacement: fileURLToPath(new URL('./src/api/index.ts', import.meta.url)) },
      { find: /^authcode\/storage\/redis$/, replacement: fileURLToPath(new URL('./src/storage/redis.ts', import.meta.url)) },
      { find: /^authcode\/server$/, replacement: fileURLToPath(new URL('./src/server/index.ts', import.meta.url)) },
      { find: /^authcode\/testing\/msw$/, replacement: fileURLToPath(new URL('./src/testing/msw.ts', import.meta.url)) },
      { find: /^authcode\/testing$/, replacement: fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)) },
      { find: /^authcode$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // Clear, fail-fast output in CI.
    reporters: ['default'],
  },
})
