// Metric 3: a login's authorize URL with a fresh state and PKCE S256 pair (verifier, SHA-256
// challenge), in operations per second: back to back in one process, interleaved rounds, median.
import { formatRate, formatRatio, interleaved, timed } from '../util.mjs'

export async function run({ clients, rounds, windowMs, log }) {
  const contenders = clients.filter((c) => c.impl.authorize)
  for (const c of contenders) for (let i = 0; i < 2000; i++) await c.impl.authorize() // JIT warm-up
  const results = await interleaved(contenders, rounds, (c) => timed(c.impl.authorize, windowMs))
  const raw = results.get('raw')?.median
  const cells = {}
  for (const c of clients) {
    const r = results.get(c.name)
    if (!r) {
      cells[c.name] = { na: c.impl.na?.authorize ?? 'no authorize URL builder' }
      continue
    }
    const ratio = raw ? r.median / raw : undefined
    cells[c.name] = { value: r.median, ratio, cpuUs: r.cpuUs, samples: r.samples.map(Math.round), text: `${formatRate(r.median)} (${formatRatio(ratio)})` }
  }
  log(`  authorize: ${Object.entries(cells).map(([n, c]) => `${n} ${c.text ?? 'n/a'}`).join(', ')}`)
  return { columns: [{ id: 'authorize', title: 'authorize URL+PKCE ops/s', unit: 'ops/s', better: 'higher', cells }] }
}
