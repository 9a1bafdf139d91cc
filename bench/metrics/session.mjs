// Metric 8: authcode/server's getSession. One real login through auth.handle (the stand-in
// tenant of authcode/testing), then the session read from a fresh Request carrying its cookie,
// per second, interleaved rounds, median; the floor is jose's compactDecrypt of the same cookie
// value with the same key. The peers read their own session cookie holding the same login.
// Also: the Worker bundle (login, callback, session) of each, where it bundles.
import { builtinModules } from 'node:module'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { CONTENDERS, REFERENCES } from '../sessions/contenders.mjs'
import { USER, logIn } from '../sessions/login.mjs'
import { BENCH_DIR, ROOT_DIR, formatBytes, formatRate, formatRatio, interleaved, timed } from '../util.mjs'
import { breakdown, bundle } from './size.mjs'

const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)]

/**
 * A bundle that scripts/size.mjs's measure() cannot make (it resolves no export conditions and
 * no Node built-ins), made as wrangler makes a Worker: the same esbuild options plus the
 * workerd/worker/browser conditions, Node built-ins left to the runtime when the Worker needs
 * nodejs_compat, and `external` left out (said so next to the number).
 */
async function workerBundle(code, { nodeCompat = false, external = [] } = {}) {
  const result = await build({
    stdin: { contents: code, resolveDir: BENCH_DIR, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    external: [...(nodeCompat ? NODE_BUILTINS : []), ...external],
  })
  const bytes = result.outputFiles[0].contents
  return { min: bytes.length, gz: gzipSync(bytes, { level: 9 }).length, metafile: result.metafile }
}

const firstError = (err) => {
  const first = err.errors?.[0]
  return first ? `${first.text}${first.location ? ` (${first.location.file})` : ''}` : String(err.message ?? err).split('\n')[0]
}

async function sizes(log) {
  const cells = {}
  for (const c of CONTENDERS) {
    const w = c.worker
    if (w.na) {
      cells[c.name] = { na: w.na, text: '—' }
      continue
    }
    const packages = (metafile) => breakdown(metafile).filter((m) => m.bytes > 0).slice(0, 8)
    try {
      const { min, gz, metafile } = await bundle(w.code)
      cells[c.name] = { value: gz, min, text: formatBytes(gz), packages: packages(metafile) }
    } catch (err) {
      const why = firstError(err)
      if (!w.nodeCompat && !w.external) {
        cells[c.name] = { na: `does not bundle for platform=neutral: ${why}`, text: 'build failed' }
        continue
      }
      try {
        const { min, gz, metafile } = await workerBundle(w.code, w)
        const how = [w.nodeCompat && 'nodejs_compat', w.external && w.externalWhy].filter(Boolean).join('; ')
        cells[c.name] = { value: gz, min, text: `${formatBytes(gz)} (${how})`, packages: packages(metafile), neutralFailure: why, how }
      } catch (err2) {
        cells[c.name] = { na: `does not bundle for platform=neutral (${why}) nor as a Worker (${firstError(err2)})`, text: 'build failed' }
      }
    }
  }
  log(`  Worker bundles: ${Object.entries(cells).map(([n, c]) => `${n} ${c.text}`).join(', ')}`)
  return cells
}

/** Our Worker bundled from src/ instead of dist/, to name the modules its bytes come from. */
async function sourceBreakdown(code) {
  try {
    const { gz, metafile } = await bundle(code.replace(/'[^']*\/dist\/server\/index\.js'/, "'./src/server/index.ts'"), ROOT_DIR)
    return { gz, modules: breakdown(metafile).filter((m) => m.bytes > 0) }
  } catch (err) {
    return { error: firstError(err) }
  }
}

export async function run({ rounds, windowMs, log }) {
  const login = await logIn()
  log(`  logged in through auth.handle: session cookie ${login.cookie.length} bytes in ${login.chunks} chunk(s)`)
  const bundles = await sizes(log)
  const ours = CONTENDERS.find((c) => c.name === 'authcode/server')
  const analysis = { ...bundles[ours.name], gz: bundles[ours.name].value, sources: await sourceBreakdown(ours.worker.code) }

  // No contender may reach the network while reading a session: fetch throws until the end.
  const realFetch = globalThis.fetch
  globalThis.fetch = async (input) => {
    throw new Error(`metric 8 must not fetch (${typeof input === 'string' ? input : input?.url ?? input})`)
  }
  try {
    const all = []
    for (const c of [...CONTENDERS, ...REFERENCES]) {
      const impl = await c.create(login)
      for (let i = 0; i < 500; i++) {
        const sub = await impl.run() // JIT warm-up, and proof that each reads Jane's session
        if (sub !== USER.sub) throw new Error(`${c.name} read ${JSON.stringify(sub)}, not the session's user`)
      }
      all.push({ name: c.name, reference: REFERENCES.includes(c), impl, spec: c })
    }
    const results = await interleaved(all, rounds, (c) => timed(c.impl.run, windowMs))
    const raw = results.get('raw').median
    const rows = all.map((c) => {
      const r = results.get(c.name)
      const ratio = r.median / raw
      return {
        name: c.name,
        package: c.spec.package,
        reference: c.reference,
        reads: c.spec.reads,
        cookieBytes: c.impl.cookie?.length,
        rate: r.median,
        ratio,
        cpuUs: r.cpuUs,
        samples: r.samples.map(Math.round),
        text: `${formatRate(r.median)} (${formatRatio(ratio)})`,
        bundle: bundles[c.name],
        worker: c.spec.worker,
      }
    })
    log(`  getSession: ${rows.map((r) => `${r.name} ${r.text}`).join(', ')}`)
    return { rows, analysis, cookie: { bytes: login.cookie.length, chunks: login.chunks } }
  } finally {
    globalThis.fetch = realFetch
  }
}
