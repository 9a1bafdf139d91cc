// The size limits (the size-limit equivalent): bundles what users import from the
// built package with esbuild for a neutral (edge) target, minified + gzip, and fails when a bundle
// is over its limit. Run after `npm run build`: `npm run size:check`.
//
//   node scripts/check-size.mjs            check; exit 1 when a bundle is over its limit
//   node scripts/check-size.mjs --analyze  also list, for every bundle, where its bytes come from
//
// Sizes come from measure() of scripts/size.mjs, so both scripts always agree. KB = 1024 bytes.
//
// Two numbers per bundle: `limit` is the size we aim for, `budget` the ceiling npm test enforces
// today (the size when it was set, plus a little), so a regression fails CI while the targets
// are still being worked towards. Lower a budget whenever a bundle shrinks; never raise one
// without saying why in the commit.
import { existsSync } from 'node:fs'
import { measure } from './size.mjs'

const root = new URL('..', import.meta.url).pathname
const dist = (entry) => `${root}dist/${entry}`
const KB = 1024

export const LIMITS = [
  {
    name: 'buildAuthorizeUrl alone',
    code: `export { buildAuthorizeUrl } from '${dist('index.js')}'`,
    limit: 1.5 * KB,
    budget: 1.5 * KB,
  },
  {
    name: 'flow: authorize URL + PKCE, callback, exchange, refresh',
    code: `export { createAuthorizationRequest, validateCallback, exchangeCode, refreshTokens } from '${dist('index.js')}'`,
    limit: 7 * KB,
    budget: 17.8 * KB,
  },
  {
    // Without a target of its own: the same flow through TokenClient, which carries every grant
    // (client credentials, revocation, userinfo, DPoP-bound API calls) whether used or not.
    name: 'flow with TokenClient (every grant)',
    code: `export { createAuthorizationRequest, validateCallback, TokenClient } from '${dist('index.js')}'`,
    budget: 19.1 * KB,
  },
  {
    name: 'authcode/api verify (createAccessTokenVerifier)',
    code: `export { createAccessTokenVerifier } from '${dist('api/index.js')}'`,
    limit: 7.5 * KB,
    budget: 9.6 * KB,
  },
  {
    // Without a target of its own: DPoP proof checking is opt-in (dpopProofs), and holds its own size here.
    name: 'authcode/api verify with DPoP (createAccessTokenVerifier + dpopProofs)',
    code: `export { createAccessTokenVerifier, dpopProofs } from '${dist('api/index.js')}'`,
    budget: 10.6 * KB,
  },
  {
    // Without a target of its own: a whole Cloudflare Worker on authcode/server (login, callback,
    // logout and back-channel routes, sealed cookie sessions). getSession alone is no smaller: it
    // is a method of what createAuth returns, so it always comes with the routes.
    name: 'authcode/server Worker (createAuth + wrap + getSession)',
    code: `import { createAuth } from '${dist('server/index.js')}'
const auth = createAuth({ domain: 'tenant.eu.auth0.com', clientId: 'client-id', clientSecret: 'client-secret', baseUrl: 'https://app.example.com', secret: 'a-session-secret-of-at-least-32-characters' })
export default {
  fetch: auth.wrap(async (request) => {
    const session = await auth.getSession(request)
    return session ? Response.json(session.user) : new Response('anonymous', { status: 401 })
  }),
}`,
    budget: 42.6 * KB,
  },
]

const kb = (bytes) => `${(bytes / KB).toFixed(2)} KB`

/** Minified bytes of a bundle by origin: each package of node_modules, each file of dist/. */
async function origins(code) {
  const { metafile } = await measure(code)
  const groups = new Map()
  for (const [path, { bytesInOutput }] of Object.entries(Object.values(metafile.outputs)[0].inputs)) {
    if (bytesInOutput === 0) continue
    const nm = path.lastIndexOf('node_modules/')
    const parts = nm === -1 ? undefined : path.slice(nm + 'node_modules/'.length).split('/')
    const group = parts ? (parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]) : path.replace(root, '')
    groups.set(group, (groups.get(group) ?? 0) + bytesInOutput)
  }
  const total = [...groups.values()].reduce((a, b) => a + b, 0)
  return [...groups].sort((a, b) => b[1] - a[1]).map(([name, bytes]) => ({ name, bytes, share: bytes / total }))
}

async function main() {
  if (!existsSync(dist('index.js'))) {
    console.error('check-size: dist/ is missing; run `npm run build` first.')
    process.exit(2)
  }
  const analyze = process.argv.includes('--analyze')
  const rows = []
  const over = []
  const missed = []
  for (const c of LIMITS) {
    const { min, gz } = await measure(c.code)
    rows.push({
      bundle: c.name,
      'min (KB)': kb(min),
      'min+gz (KB)': kb(gz),
      'budget (KB)': kb(c.budget),
      'target (KB)': c.limit === undefined ? '-' : kb(c.limit),
      status: gz > c.budget ? `OVER BUDGET by ${kb(gz - c.budget)}` : c.limit !== undefined && gz > c.limit ? `target missed by ${kb(gz - c.limit)}` : 'ok',
    })
    if (gz > c.budget) over.push({ ...c, gz, limit: c.budget })
    else if (c.limit !== undefined && gz > c.limit) missed.push(c)
  }
  console.table(rows)
  if (analyze || over.length > 0) {
    for (const c of analyze ? LIMITS : over) {
      console.log(`\n${c.name}: minified bytes by origin`)
      for (const o of await origins(c.code)) console.log(`  ${o.name.padEnd(40)} ${kb(o.bytes).padStart(10)}  ${(o.share * 100).toFixed(0).padStart(3)}%`)
    }
  }
  if (over.length > 0) {
    console.error(
      `\ncheck-size: ${over.length} bundle${over.length > 1 ? 's are' : ' is'} over the budget (a size regression):\n` +
        over.map((c) => `  - ${c.name}: ${kb(c.gz)} min+gz, limit ${kb(c.limit)} (${(c.gz / c.limit).toFixed(2)}x; ${kb(c.gz - c.limit)} to cut)`).join('\n') +
        '\nThe lists above show which packages and files the bytes come from.',
    )
    process.exit(1)
  }
  console.log(`\ncheck-size: every bundle is within its budget${missed.length ? `; ${missed.length} still above the target we aim for (see bench/RESULTS.md)` : ' and its target'}.`)
}

// Run as a script; imported (by bench/), only LIMITS is wanted.
if (import.meta.url === `file://${process.argv[1]}`) await main()
