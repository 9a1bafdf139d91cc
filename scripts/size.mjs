// Bundle sizes of what users import, minified + gzip, as esbuild bundles them for a neutral (edge) target.
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const root = new URL('..', import.meta.url).pathname
const dist = (entry) => `${root}dist/${entry}`

export const CASES = [
  { name: 'buildAuthorizeUrl alone', code: `export { buildAuthorizeUrl } from '${dist('index.js')}'` },
  {
    name: 'flow: authorize URL + PKCE, callback, exchange, refresh',
    code: `export { createAuthorizationRequest, validateCallback, exchangeCode, refreshTokens } from '${dist('index.js')}'`,
  },
  {
    name: 'flow with TokenClient (every grant)',
    code: `export { createAuthorizationRequest, validateCallback, TokenClient } from '${dist('index.js')}'`,
  },
  { name: 'whole core (authcode)', code: `export * from '${dist('index.js')}'` },
  { name: 'authcode/api', code: `export * from '${dist('api/index.js')}'` },
]

/**
 * Bundles `code` (an ES module re-exporting what a user imports) the way an edge build would:
 * esbuild, minified, platform neutral. The one definition of "bundle size" for the size check
 * and the bench. Returns minified and gzip bytes and esbuild's metafile.
 */
export async function measure(code, resolveDir = root) {
  const result = await build({
    stdin: { contents: code, resolveDir, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const bytes = result.outputFiles[0].contents
  return { min: bytes.length, gz: gzipSync(bytes, { level: 9 }).length, metafile: result.metafile }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = []
  for (const c of CASES) {
    const { min, gz } = await measure(c.code)
    rows.push({ bundle: c.name, 'min (KB)': (min / 1024).toFixed(2), 'min+gz (KB)': (gz / 1024).toFixed(2) })
  }
  console.table(rows)
}
