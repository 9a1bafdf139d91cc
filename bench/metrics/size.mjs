// Metric 1: bundle size, minified + gzip, as esbuild bundles what each contender's user imports
// for a neutral (edge) target: the same options as scripts/size.mjs, resolved from bench/ so the
// peers' packages are found. What each bundle holds is written next to its import in
// peers/*.mjs (size.*.contains) and copied into RESULTS.md.
import { measure } from '../../scripts/size.mjs'
import { BENCH_DIR, ROOT_DIR, formatBytes, formatRatio } from '../util.mjs'

export const KINDS = [
  { id: 'authorize', title: 'authorize URL, gz', target: 'buildAuthorizeUrl alone' },
  { id: 'flow', title: 'flow, gz', target: 'authorize URL + PKCE, exchange, refresh' },
  { id: 'verify', title: 'API verify, gz', target: 'access-token verification' },
]

/** Bundles `code` (an ES module that re-exports what a user imports); returns sizes and the metafile. */
export function bundle(code, resolveDir = BENCH_DIR) {
  return measure(code, resolveDir)
}

/** Where the minified bytes of a bundle come from, grouped by package (or by our dist file). */
export function breakdown(metafile) {
  const groups = new Map()
  const output = Object.values(metafile.outputs)[0]
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    let group
    const nm = path.lastIndexOf('node_modules/')
    if (nm !== -1) {
      const rest = path.slice(nm + 'node_modules/'.length).split('/')
      group = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
    } else if (path.includes('dist/')) {
      group = `authcode ${path.slice(path.indexOf('dist/'))}`
    } else if (path.startsWith('src/') || path.includes('/src/')) {
      group = `authcode ${path.slice(path.indexOf('src/'))}`
    } else {
      group = path.replace(ROOT_DIR, '')
    }
    groups.set(group, (groups.get(group) ?? 0) + bytesInOutput)
  }
  return [...groups].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes)
}

// The same entries bundled from src/ (esbuild reads the TypeScript), to see which of our source
// modules the bytes come from: dist/ is one tsup chunk per entry and hides that.
const SOURCE_ENTRIES = {
  authorize: `export { buildAuthorizeUrl } from './src/index.ts'`,
  flow: `export { createAuthorizationRequest, validateCallback, exchangeCode, refreshTokens } from './src/index.ts'`,
  verify: `export { createAccessTokenVerifier } from './src/api/index.ts'`,
}

async function sourceBreakdown(kind) {
  try {
    const { gz, metafile } = await bundle(SOURCE_ENTRIES[kind], ROOT_DIR)
    return { gz, modules: breakdown(metafile).filter((m) => m.bytes > 0) }
  } catch (err) {
    return { error: String(err.message ?? err).split('\n')[0] }
  }
}

export async function run({ peers, log }) {
  const columns = []
  const analysis = {}
  for (const kind of KINDS) {
    const cells = {}
    for (const peer of peers) {
      const spec = peer.size[kind.id]
      if (!spec || spec.na) {
        cells[peer.name] = { na: spec?.na ?? 'n/a' }
        continue
      }
      try {
        const { min, gz, metafile } = await bundle(spec.code)
        cells[peer.name] = { value: gz, min, contains: spec.contains, code: spec.code.replaceAll(ROOT_DIR, '') }
        if (peer.name === 'authcode') analysis[kind.id] = { gz, min, packages: breakdown(metafile) }
      } catch (err) {
        const first = err.errors?.[0]
        const why = first ? `${first.text}${first.location ? ` (${first.location.file})` : ''}` : String(err.message ?? err)
        // A Node built-in the bundle cannot resolve means the library only runs on Node.
        const nodeOnly = /Could not resolve "(node:)?(assert|buffer|child_process|crypto|events|fs|http|https|net|os|path|querystring|stream|tls|url|util|zlib)"/.test(why)
        cells[peer.name] = { na: `does not bundle for platform=neutral: ${why}`, error: true, text: nodeOnly ? 'no (Node-only)' : 'build failed' }
      }
    }
    const raw = cells.raw?.value
    for (const cell of Object.values(cells)) {
      if (cell.value === undefined) continue
      cell.ratio = raw ? cell.value / raw : undefined
      cell.text = `${formatBytes(cell.value)} (${formatRatio(cell.ratio)})`
    }
    columns.push({ id: `size.${kind.id}`, title: kind.title, unit: 'bytes (min+gz)', better: 'lower', cells })
    if (analysis[kind.id]) analysis[kind.id].sources = await sourceBreakdown(kind.id)
    log(`  size ${kind.id}: ${Object.entries(cells).map(([n, c]) => `${n} ${c.text ?? 'n/a'}`).join(', ')}`)
  }
  return { columns, analysis }
}
