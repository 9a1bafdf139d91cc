// `npm run bench`: authcode side by side with the libraries a user would pick instead, and with a
// hand-written raw baseline, on this machine in one run. Prints one table (contender rows, metric
// columns) and writes bench/results.json and bench/RESULTS.md.
//
//   npm run bench                 build, install bench/'s pinned peers (npm ci), run everything
//   node bench/run.mjs            run against the current dist/ (after `npm run build`)
//   BENCH_QUICK=1 node bench/run.mjs   fewer and shorter rounds, for working on the bench itself
//   BENCH_AUTH_SERVER=<module>    the authorization server of metric 7 (default scripts/auth-server.mjs)
import { existsSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { makeTokens } from './fixtures.mjs'
import * as coldImport from './metrics/cold-import.mjs'
import * as authorize from './metrics/authorize.mjs'
import * as exchange from './metrics/exchange.mjs'
import * as login from './metrics/login.mjs'
import * as refresh from './metrics/refresh.mjs'
import * as session from './metrics/session.mjs'
import * as size from './metrics/size.mjs'
import * as verify from './metrics/verify.mjs'
import { auth0RewriteFetch, startTokenServer } from './token-server.mjs'
import { BENCH_DIR, ROOT_DIR, formatBytes, formatRatio, versionOf } from './util.mjs'

if (!existsSync(`${ROOT_DIR}dist/index.js`) || !existsSync(`${BENCH_DIR}node_modules/oauth4webapi/package.json`)) {
  console.error('bench: dist/ or bench/node_modules is missing. Run `npm run bench` (it builds and installs first), or `npm run build && npm --prefix bench ci`.')
  process.exit(2)
}
const { PEERS } = await import('./peers/index.mjs')

const QUICK = process.env.BENCH_QUICK === '1'
const PLAN = QUICK
  ? { coldRuns: 6, rounds: 3, windowMs: 100, exchangeRounds: 3, exchangeWindowMs: 150, refreshRounds: 1, loginRounds: 2, loginWindowMs: 200 }
  : { coldRuns: 31, rounds: 11, windowMs: 200, exchangeRounds: 7, exchangeWindowMs: 300, refreshRounds: 3, loginRounds: 5, loginWindowMs: 800 }

const KB = 1024
/** The size and speed targets: authcode's number against the limit (ratios are to raw taken in this same run). */
const TARGETS = [
  { column: 'size.authorize', title: '`buildAuthorizeUrl` alone, gz', on: 'value', max: 1.5 * KB, show: formatBytes },
  { column: 'size.flow', title: 'flow bundle (authorize URL + PKCE, callback, exchange, refresh), gz', on: 'value', max: 7 * KB, show: formatBytes },
  { column: 'size.verify', title: '`authcode/api` verify bundle, gz', on: 'value', max: 7.5 * KB, show: formatBytes },
  { column: 'coldImport', title: 'cold import vs `node -e 0`', on: 'ratio', max: 1.15, show: (r) => `${r.toFixed(3)}x` },
  { column: 'authorize', title: 'authorize URL + PKCE ops vs raw', on: 'ratio', min: 0.95, show: (r) => r.toFixed(3) },
  { column: 'exchange.sequential', title: 'exchange vs raw fetch, sequential', on: 'ratio', min: 0.97, show: (r) => r.toFixed(3) },
  { column: 'exchange.concurrent', title: 'exchange vs raw fetch, 50 concurrent', on: 'ratio', min: 0.95, show: (r) => r.toFixed(3) },
  { column: 'verify.RS256', title: 'RS256 verify vs raw `crypto.subtle.verify`', on: 'ratio', min: 0.9, show: (r) => r.toFixed(3) },
  { column: 'refresh', title: 'token-endpoint hits for 100 concurrent refreshes', on: 'value', max: 1, show: (v) => String(v) },
]

const started = performance.now()
const loadAtStart = os.loadavg().map((l) => +l.toFixed(2))
const log = (line) => console.error(line)
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`

const peers = PEERS.map((p) => ({ ...p, version: p.package ? versionOf(p.package) : undefined }))
const columns = []
const extra = {}

log(`authcode bench: ${peers.length} contenders${QUICK ? ' (BENCH_QUICK: short rounds, numbers are rough)' : ''}`)

log(`[1/8] bundle sizes (esbuild, platform=neutral, min+gz) … ${elapsed()}`)
const sizes = await size.run({ peers, log })
columns.push(...sizes.columns)
extra.sizeAnalysis = sizes.analysis

log(`[2/8] cold import, ${PLAN.coldRuns} runs each … ${elapsed()}`)
const cold = await coldImport.run({ peers, rounds: PLAN.coldRuns, log })
columns.push(...cold.columns)
extra.coldImportBaselineMs = cold.baselineMs
extra.coldImportParts = cold.breakdown

const server = await startTokenServer()
server.metadata = await (await fetch(`${server.issuer}.well-known/openid-configuration`)).json()
const fixtures = await makeTokens()
const env = { server, auth0Fetch: auth0RewriteFetch(server.origin), jwksFetch: fixtures.jwksFetch }
const clients = []
for (const peer of peers) clients.push({ name: peer.name, adapter: peer, impl: await peer.create(env) })

try {
  log(`[3/8] authorize URL + PKCE + state … ${elapsed()}`)
  columns.push(...(await authorize.run({ clients, rounds: PLAN.rounds, windowMs: PLAN.windowMs, log })).columns)

  log(`[4/8] code exchange against ${server.origin} … ${elapsed()}`)
  columns.push(...(await exchange.run({ clients, rounds: PLAN.exchangeRounds, windowMs: PLAN.exchangeWindowMs, log })).columns)

  log(`[5/8] access-token verification, warm JWKS … ${elapsed()}`)
  columns.push(...(await verify.run({ clients, fixtures, rounds: PLAN.rounds, windowMs: PLAN.windowMs, log })).columns)

  log(`[6/8] 100 concurrent refreshes … ${elapsed()}`)
  columns.push(...(await refresh.run({ clients, server, rounds: PLAN.refreshRounds, log })).columns)

  log(`[7/8] whole logins … ${elapsed()}`)
  const logins = await login.run({ clients, rounds: PLAN.loginRounds, windowMs: PLAN.loginWindowMs, log })
  columns.push(...logins.columns)
  extra.login = { server: logins.server ?? login.locateServer().name, skipped: logins.skipped }
} finally {
  server.close()
}

log(`[8/8] authcode/server getSession and the Worker bundles of login + callback + session … ${elapsed()}`)
extra.sessions = await session.run({ rounds: PLAN.rounds, windowMs: PLAN.windowMs, log })

const seconds = (performance.now() - started) / 1000

// ---- targets

const byId = new Map(columns.map((c) => [c.id, c]))
const targets = TARGETS.map((t) => {
  const column = byId.get(t.column)
  const cell = column?.cells.authcode
  const value = cell?.[t.on]
  const limit = t.max ?? t.min
  const limitText = `${t.max !== undefined ? '<=' : '>='} ${t.show(limit)}`
  if (value === undefined) return { ...t, limitText, status: 'not measured' }
  const met = t.max !== undefined ? value <= t.max : value >= t.min
  let miss = ''
  if (!met) {
    const over = t.max !== undefined ? value - t.max : t.min - value
    miss = t.on === 'ratio' ? `${t.max !== undefined ? '+' : '-'}${over.toFixed(3)} (${((over / limit) * 100).toFixed(1)}% of the target)` : `${t.max !== undefined ? '+' : '-'}${t.show(over)} (${(value / limit).toFixed(2)}x the limit)`
  }
  // The best non-authcode, non-raw contender of the same column, for context.
  let best
  for (const [name, c] of Object.entries(column.cells)) {
    if (name === 'authcode' || name === 'raw' || c[t.on] === undefined) continue
    if (!best || (column.better === 'lower' ? c[t.on] < best.v : c[t.on] > best.v)) best = { name, v: c[t.on] }
  }
  return { ...t, limitText, value, valueText: t.show(value), met, miss, best: best && `${best.name} ${t.show(best.v)}` }
})

// ---- machine

const cpus = os.cpus()
const machine = {
  cpu: cpus[0]?.model?.trim() ?? 'unknown',
  cores: cpus.length,
  memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  date: new Date().toISOString(),
  // Other work on the machine moves every timing; the 1-minute load average before and after says how much there was.
  loadAverage: { start: loadAtStart, end: os.loadavg().map((l) => +l.toFixed(2)) },
}

// ---- the table

const header = ['', ...columns.map((c) => c.title)]
const rows = peers.map((p) => [
  p.version ? `${p.name} ${p.version}` : p.name,
  ...columns.map((c) => (c.skipped ? 'skipped' : c.cells[p.name]?.text ?? '—')),
])

function textTable(head, body) {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)))
  const line = (r) => r.map((v, i) => v.padEnd(widths[i])).join(' | ')
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n')
}
const md = (r) => `| ${r.map((v) => v.replace(/\|/g, '\\|')).join(' | ')} |`
const mdTable = (head, body) => [md(head), md(head.map(() => '---')), ...body.map(md)].join('\n')

console.log(`\nauthcode bench — ${machine.cpu}, ${machine.cores} cores, ${machine.memory}, Node ${machine.node}, ${machine.date}, load ${machine.loadAverage.start[0]} -> ${machine.loadAverage.end[0]}`)
console.log('Each cell: median (ratio to raw in this run; cold import: ratio to `node -e 0`). — = the library has no such operation.\n')
console.log(textTable(header, rows))
console.log('\nTargets:')
console.log(
  textTable(
    ['target', 'authcode', 'limit', 'met', 'miss', 'best peer here'],
    targets.map((t) => [t.title.replace(/`/g, ''), t.valueText ?? '—', t.limitText, t.met === undefined ? t.status : t.met ? 'yes' : 'NO', t.miss ?? '', t.best ?? '']),
  ),
)
if (extra.login.skipped) console.log(`\nMetric 7 (whole logins) skipped: ${extra.login.skipped}`)
console.log('\nauthcode/server, reading the session (metric 8; ratio to jose compactDecrypt of the same cookie):')
console.log(textTable(['', 'Worker bundle, gz', 'sessions read/s', 'CPU per read'], extra.sessions.rows.map((r) => [r.name, r.bundle?.text ?? '', r.text, `${r.cpuUs.toFixed(1)} µs`])))
console.log(`\nbench wall time (this script): ${seconds.toFixed(1)} s`)

// ---- results.json

const results = {
  machine,
  quick: QUICK,
  plan: PLAN,
  benchSeconds: +seconds.toFixed(1),
  contenders: peers.map((p) => ({ name: p.name, package: p.package, version: p.version })),
  columns,
  targets: targets.map(({ show, ...t }) => t),
  ...extra,
}
writeFileSync(`${BENCH_DIR}results.json`, `${JSON.stringify(results, null, 2)}\n`)

// ---- RESULTS.md

const naNotes = []
for (const c of columns) {
  for (const [name, cell] of Object.entries(c.cells)) if (cell.na && cell.error) naNotes.push(`- ${c.title}, ${name}: ${cell.na}`)
}

function breakdownTable(entry) {
  if (!entry) return ''
  const lines = [`From dist/: ${formatBytes(entry.gz)} gz, ${formatBytes(entry.min)} minified.`]
  const src = entry.sources?.modules
  // dist/ is one tsup chunk per entry point; bundling the same exports from src/ names the modules.
  const rows = src ?? entry.packages.filter((m) => m.bytes > 0)
  const total = rows.reduce((s, m) => s + m.bytes, 0)
  lines.push(
    src
      ? `The same exports bundled from src/ (${formatBytes(entry.sources.gz)} gz), minified bytes by module (esbuild metafile; the gz share is roughly proportional):`
      : `Minified bytes by origin (esbuild metafile${entry.sources?.error ? `; bundling from src/ failed: ${entry.sources.error}` : ''}):`,
    '',
    mdTable(['origin', 'minified', 'share'], rows.map((m) => [m.name, formatBytes(m.bytes), `${((m.bytes / total) * 100).toFixed(0)}%`])),
  )
  return lines.join('\n')
}

const CPU_TITLES = {
  authorize: 'authorize URL + PKCE',
  'exchange.sequential': 'exchange, sequential',
  'exchange.concurrent': `exchange, ${exchange.CONCURRENCY} concurrent`,
  'verify.RS256': 'verify RS256',
  'verify.ES256': 'verify ES256',
  login: 'whole login',
}

/** Client CPU per operation for the timed columns: it moves much less than the rates when the machine is shared. */
function cpuSection() {
  const timedColumns = columns.filter((c) => Object.values(c.cells).some((cell) => cell.cpuUs !== undefined))
  if (timedColumns.length === 0) return ''
  const body = peers.map((p) => [
    p.name,
    ...timedColumns.map((c) => {
      const cell = c.cells[p.name]
      const raw = c.cells.raw?.cpuUs
      return cell?.cpuUs === undefined ? '—' : `${cell.cpuUs.toFixed(1)} µs${raw ? ` (${formatRatio(cell.cpuUs / raw)})` : ''}`
    }),
  ])
  return `
CPU time of the benchmark process per operation (median over the same rounds; in brackets, as a
multiple of raw's — lower is better). The token and authorization servers run in child processes
and are not counted; Web Crypto's thread-pool work is.

${mdTable(['', ...timedColumns.map((c) => CPU_TITLES[c.id] ?? c.title)], body)}

`
}

const sizeNotes = []
for (const kind of size.KINDS) {
  sizeNotes.push(`**${kind.title}** (${kind.target}):`, '')
  for (const p of peers) {
    const spec = p.size[kind.id]
    const cell = byId.get(`size.${kind.id}`).cells[p.name]
    sizeNotes.push(`- ${p.name}: ${spec?.na ? `n/a — ${spec.na}` : cell?.na ? `${cell.na}` : `\`${spec.code.replace(/'\/[^']*\/dist\//g, "'dist/")}\` — ${spec.contains}`}`)
  }
  sizeNotes.push('')
}

/** The breakdown of `entry` with its first `n` source modules, the rest added up in one row. */
function topModules(entry, n) {
  const modules = entry.sources?.modules
  if (!modules || modules.length <= n) return entry
  const rest = modules.slice(n)
  const other = { name: `${rest.length} other modules`, bytes: rest.reduce((sum, m) => sum + m.bytes, 0) }
  return { ...entry, sources: { ...entry.sources, modules: [...modules.slice(0, n), other] } }
}

/** Metric 8: authcode/server's getSession against the floor and the peers, and their Worker bundles. */
function sessionSection() {
  const { rows, analysis, cookie } = extra.sessions
  const ours = rows.find((r) => r.name === 'authcode/server')
  const label = (r) => (r.package ? `${r.name} ${versionOf(r.package)}` : r.name)
  const table = mdTable(
    ['', 'Worker bundle (login + callback + session), gz', 'sessions read/s (x raw)', 'CPU per read (x raw)', 'Cookie header'],
    rows.map((r) => {
      const raw = rows.find((x) => x.name === 'raw')
      return [
        label(r),
        r.reference ? '' : r.bundle?.text ?? '—',
        r.text,
        `${r.cpuUs.toFixed(1)} µs (${formatRatio(r.cpuUs / raw.cpuUs)})`,
        r.cookieBytes === undefined ? '' : `${r.cookieBytes} B`,
      ]
    }),
  )
  const reads = rows.map((r) => `- ${r.name}: ${r.reads}`).join('\n')
  const bundles = rows
    .filter((r) => !r.reference && r.worker && !r.worker.na)
    .map((r) => {
      const b = r.bundle
      const origin = b?.packages && r.name !== 'authcode/server' ? ` Minified bytes by origin: ${b.packages.map((m) => `${m.name} ${formatBytes(m.bytes)}`).join(', ')}.` : ''
      const how = b?.neutralFailure ? ` It does not bundle with the options of scripts/size.mjs (${b.neutralFailure}); bundled as wrangler bundles a Worker (the workerd, worker and browser export conditions${b.how ? `; ${b.how}` : ''}).` : ''
      return `- ${r.name}: ${r.worker.contains}.${how}${b?.na ? ` ${b.na}.` : ''}${origin}`
    })
    .join('\n')
  return `## authcode/server: reading the session

One login through \`auth.handle\` against the stand-in Auth0 tenant of \`authcode/testing\` (msw, closed
before timing) gives a session cookie of ${cookie.bytes} bytes in ${cookie.chunks} chunk(s): the ID token's claims,
the ID token, an access token JWT and a refresh token. Each peer's cookie holds the same login,
made by the peer's own code. Every row but raw reads it from a fresh \`Request\` (as a server
gets one per request) and returns the user's \`sub\`; nothing may fetch while they run. Rates:
median of ${PLAN.rounds} interleaved rounds of ${PLAN.windowMs} ms; in brackets, the ratio to raw, jose's
\`compactDecrypt\` of the same cookie value with the same key (higher is better). The two
reference rows are parts of the other rows, measured in the same rounds.

${table}

What each row times:

${reads}

What each Worker bundle holds (esbuild, min+gz, as in metric 1):

${bundles}

### Where authcode/server's bytes go

${breakdownTable(topModules(analysis, 24))}

`
}

const markdown = `# authcode benchmarks

Generated by \`npm run bench\` (\`bench/run.mjs\`) — do not edit by hand; run it again.${QUICK ? '\n\n**BENCH_QUICK run: short rounds, rough numbers.**' : ''}

| machine | |
|---|---|
| CPU | ${machine.cpu} |
| cores | ${machine.cores} |
| memory | ${machine.memory} |
| OS | ${machine.os} |
| Node | ${machine.node} |
| date | ${machine.date} |
| load average (1, 5, 15 min) | ${machine.loadAverage.start.join(', ')} at the start, ${machine.loadAverage.end.join(', ')} at the end (${machine.cores} cores; the bench itself keeps 1–2 busy, more means other work shared the machine and the timings are noisier) |
| bench time | ${seconds.toFixed(0)} s for \`node bench/run.mjs\` (plus build and \`npm ci\` of bench/ under \`npm run bench\`) |

Each cell is the median over rounds and, in brackets, its ratio to the raw baseline measured in the
same run (cold import: to \`node -e 0\`, which took ${extra.coldImportBaselineMs.toFixed(1)} ms). — means the library has no such operation
(why is in the notes). Sizes: lower is better; rates: higher is better; hits: lower is better.

${mdTable(header, rows)}

${cpuSection()}
## Targets

${mdTable(
  ['target', 'authcode', 'limit', 'met', 'miss', 'best peer in this run'],
  targets.map((t) => [t.title, t.valueText ?? '—', t.limitText, t.met === undefined ? t.status : t.met ? 'yes' : '**no**', t.miss ?? '', t.best ?? '']),
)}
${extra.login.skipped ? `\nMetric 7 (whole logins per second) was skipped: ${extra.login.skipped}.\n` : ''}
## Where authcode's bytes go

### Flow bundle

${breakdownTable(extra.sizeAnalysis.flow)}

### \`authcode/api\` verify bundle

${breakdownTable(extra.sizeAnalysis.verify)}

### \`buildAuthorizeUrl\` alone

${breakdownTable(extra.sizeAnalysis.authorize)}

## What authcode's cold import is made of

${mdTable(['import', 'median', 'x node -e 0'], [
  ['node -e 0', `${extra.coldImportBaselineMs.toFixed(1)} ms`, '1.00x'],
  ...['authcode', 'oauth4webapi', 'jose'].map((n) => {
    const c = byId.get('coldImport').cells[n]
    return [n === 'authcode' ? 'authcode' : `${n} (alone)`, `${c.value.toFixed(1)} ms`, formatRatio(c.ratio)]
  }),
  ...extra.coldImportParts.map((p) => [p.name, `${p.ms.toFixed(1)} ms`, formatRatio(p.ratio)]),
])}

${sessionSection()}## How each number is taken

1. **Bundle size**: esbuild \`--bundle --minify --format=esm --platform=neutral --target=es2022\`
   (the options of \`scripts/size.mjs\`), gzip level 9, of a module that re-exports what a user
   imports for the operation. Deterministic, so one build each. What each bundle holds:

${sizeNotes.map((l) => (l ? `   ${l}` : '')).join('\n')}
2. **Cold import**: wall time of \`node -e "await import('<package>')"\` (a new process each time;
   authcode by its package name from the repository root, the peers from bench/), interleaved
   with \`node -e 0\`, ${PLAN.coldRuns} runs each, median.
3. **Authorize URL**: a fresh state, PKCE verifier and S256 challenge and the URL, back to back,
   ${PLAN.rounds} interleaved rounds of ${PLAN.windowMs} ms. authcode: \`createAuthorizationRequest\`
   (config validated once, cached per config object). Libraries without a state or PKCE helper
   use Web Crypto (auth0-auth-js's state) or node:crypto (simple-oauth2). raw hashes with
   \`crypto.subtle.digest\`, which is asynchronous (a trip through the thread pool); a library that
   hashes synchronously (arctic's JavaScript SHA-256, node:crypto) can be faster than raw here.
4. **Code exchange**: the callback's state checked, the code traded at a node:http token endpoint
   on 127.0.0.1 (a child process, so on the other core; it answers every grant at once with the
   same JSON), the response parsed. Sequential and ${exchange.CONCURRENCY} in flight, ${PLAN.exchangeRounds} rounds of
   ${PLAN.exchangeWindowMs} ms. Clients that only take an Auth0 domain (auth0-auth-js, auth0) reach
   the server through a fetch that rewrites https://bench.auth0.example/ to it; authcode uses an
   \`issuer\` with \`allowInsecureRequests\` (discovery once, before timing). simple-oauth2 uses
   @hapi/wreck (node:http) instead of fetch.
5. **Verification**: the same RFC 9068 access token (RS256 2048-bit or ES256 P-256), JWKS fetched
   once before timing (the run fails if any verifier fetches it again). raw: split, alg
   allow-list, a cached CryptoKey, \`crypto.subtle.verify\`, iss/aud/exp. oauth4webapi's
   \`validateJwtAccessToken\` gets a Request built once per token (a server already has one).
   ${PLAN.rounds} rounds of ${PLAN.windowMs} ms.
6. **Concurrent refresh**: the stored access token expired; 100 callers ask for it at once; the
   token endpoint counts refresh requests (it answers after 5 ms). authcode: one \`TokenManager\`.
   The others have no token store, so each caller does what their docs show: check expiry, call
   the library's refresh. ${PLAN.refreshRounds} rounds, median.
7. **Whole login**: ${extra.login.skipped ? 'skipped in this run (see above).' : `against ${extra.login.server} (oidc-provider, in a child process): authorize URL (scope \`openid offline_access\` and the API audience), a scripted browser (the same code for every contender) posts the login form, callback, code exchange, verification of the RS256 access token. Each library does what it does by default: authcode sends a nonce and checks the ID token's claims, oauth4webapi and openid-client check the ID token's claims, raw and arctic do not look at the ID token; openid-client and arctic verify the access token with jose. ${PLAN.loginRounds} rounds of ${PLAN.loginWindowMs} ms; the server's work is most of each login.`}
8. **Reading a session** (authcode/server): see [that section](#authcodeserver-reading-the-session).
${naNotes.length ? `\n### Bundles that could not be built, operations that failed\n\n${naNotes.join('\n')}\n` : ''}`

writeFileSync(`${BENCH_DIR}RESULTS.md`, markdown)
log(`wrote bench/results.json and bench/RESULTS.md (${elapsed()})`)
