// bench/ is not run by npm test; its authcode adapters must still import what the built package
// exports, or `npm run bench` breaks unnoticed (as when createAuth0Handlers moved to authcode/testing/msw).
// Node itself loads them, in a child process: vitest's module runner does not check named imports.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

describe("bench's authcode adapters", () => {
  it('import from dist/ what it exports (after npm run build)', async () => {
    const script = "await import('./bench/peers/authcode.mjs'); await import('./bench/sessions/login.mjs'); console.log('ok')"
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: root })
    expect(stdout.trim()).toBe('ok')
  })
})
