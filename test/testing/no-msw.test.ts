// authcode/testing works without msw installed: only authcode/testing/msw imports it.
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

/** The packages a subpath entry reaches, bundled as a user's bundler would. */
async function packagesOf(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [new URL(`../../src/testing/${entry}`, import.meta.url).pathname],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    logLevel: 'silent',
  }).catch((err: { errors?: { text: string }[] }) => {
    throw new Error(err.errors?.map((e) => e.text).join('; ') ?? String(err))
  })
  return [...new Set(Object.keys(result.metafile.inputs).map((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1]).filter((p): p is string => p !== undefined))]
}

describe('authcode/testing without msw', () => {
  it('authcode/testing (createTestTenant, mintSession) reaches jose and oauth4webapi, never msw', async () => {
    const packages = await packagesOf('index.ts')
    expect(packages).not.toContain('msw')
    expect(packages).toContain('jose')
  })

  it('authcode/testing/msw is where msw comes in', async () => {
    const packages = await packagesOf('msw.ts').catch((err: Error) => [err.message])
    expect(packages.join(' ')).toMatch(/msw/)
  })
})
