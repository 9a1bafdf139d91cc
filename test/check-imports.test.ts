// scripts/check-imports.mjs, which `npm run lint` runs: it finds import circles and arrows that point up the layers.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const script = new URL('../scripts/check-imports.mjs', import.meta.url).pathname

/** Runs the check on a tree of files given as path -> source; returns its exit code and output. */
function check(files: Record<string, string>): { code: number; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'check-imports-'))
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), source)
  }
  try {
    return { code: 0, output: execFileSync(process.execPath, [script, '--src', dir], { encoding: 'utf8', stdio: 'pipe' }) }
  } catch (err) {
    const e = err as { status: number; stderr: string }
    return { code: e.status, output: e.stderr }
  }
}

describe('check-imports', () => {
  it('passes the real src/', () => {
    const out = execFileSync(process.execPath, [script], { encoding: 'utf8' })
    expect(out).toMatch(/no import circle/)
  })

  it('fails on an import circle, type-only imports included, naming its files', () => {
    const { code, output } = check({
      'lib/a.ts': "import { b } from './b.js'\nexport const a = 1\n",
      'lib/b.ts': "import type { a } from './a.js'\nexport const b = 2\n",
    })
    expect(code).toBe(1)
    expect(output).toContain('import circle: lib/a.ts -> lib/b.ts')
  })

  it('fails on an arrow from a lower layer to a higher one', () => {
    const { code, output } = check({
      'lib/http.ts': "import { TokenClient } from '../tokens/token-client.js'\n",
      'tokens/token-client.ts': 'export class TokenClient {}\n',
    })
    expect(code).toBe(1)
    expect(output).toContain('lib/http.ts imports tokens/token-client.ts, a higher layer')
  })

  it('fails on a file in no layer', () => {
    const { code, output } = check({ 'newplace/x.ts': 'export {}\n' })
    expect(code).toBe(1)
    expect(output).toContain('newplace/x.ts: in no layer')
  })
})
