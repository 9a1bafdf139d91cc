// Metric 2: cold import in Node. Wall time of `node -e "await import('<pkg>')"` against `node -e 0`,
// each a fresh process, interleaved over many runs; the median of each. authcode is imported by
// its package name from the repository root (self-reference through package.json "exports", as
// a user's app resolves it), the peers from bench/ (their node_modules), raw as ./raw.mjs.
import { spawnSync } from 'node:child_process'
import { BENCH_DIR, ROOT_DIR, formatRatio, interleaved } from '../util.mjs'

function timeNode(code, cwd) {
  const start = performance.now()
  const r = spawnSync(process.execPath, ['-e', code], { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
  const ms = performance.now() - start
  if (r.status !== 0) throw new Error(`node -e "${code}" failed: ${r.stderr.toString().split('\n').slice(0, 3).join(' ')}`)
  return ms
}

export async function run({ peers, rounds, log }) {
  const contenders = [{ name: 'node -e 0', code: '0', cwd: BENCH_DIR }]
  for (const peer of peers) {
    if (!peer.importSpecifier) continue
    contenders.push({ name: peer.name, code: `await import('${peer.importSpecifier}')`, cwd: peer.name === 'authcode' ? ROOT_DIR : BENCH_DIR })
  }
  // Not table rows: what authcode's import is made of, to explain its number.
  const parts = [
    { name: 'authcode/api', code: `await import('authcode/api')`, cwd: ROOT_DIR },
    { name: 'oauth4webapi + jose', code: `await Promise.all([import('oauth4webapi'), import('jose')])`, cwd: ROOT_DIR },
  ]
  contenders.push(...parts)
  for (const c of contenders) timeNode(c.code, c.cwd) // fill the OS file cache; fail early on a bad import
  const results = await interleaved(contenders, rounds, (c) => timeNode(c.code, c.cwd))
  const baseline = results.get('node -e 0').median
  const cells = {}
  for (const peer of peers) {
    const r = results.get(peer.name)
    if (!r) {
      cells[peer.name] = { na: 'nothing to import' }
      continue
    }
    const ratio = r.median / baseline
    cells[peer.name] = { value: r.median, ratio, samples: r.samples.map((s) => +s.toFixed(2)), text: `${r.median.toFixed(1)} ms (${formatRatio(ratio)})` }
  }
  log(`  cold import: node -e 0 ${baseline.toFixed(1)} ms; ${Object.entries(cells).map(([n, c]) => `${n} ${c.text ?? 'n/a'}`).join(', ')}`)
  const breakdown = parts.map((p) => {
    const r = results.get(p.name)
    return { name: p.name, ms: +r.median.toFixed(1), ratio: +(r.median / baseline).toFixed(3) }
  })
  log(`  cold import, parts: ${breakdown.map((b) => `${b.name} ${b.ms} ms (${formatRatio(b.ratio)})`).join(', ')}`)
  return {
    breakdown,
    columns: [{ id: 'coldImport', title: 'cold import (x node -e 0)', unit: 'ms', better: 'lower', ratioTo: 'node -e 0', cells }],
    baselineMs: baseline,
    baselineSamples: results.get('node -e 0').samples.map((s) => +s.toFixed(2)),
  }
}
