// Metric 4: code exchange against the local node:http token endpoint (a child process on the
// other core): callback checked, code traded, response parsed. Requests per second one after
// another, and with 50 in flight; interleaved rounds, median.
import { formatRate, formatRatio, interleaved, timed } from '../util.mjs'

export const CONCURRENCY = 50

export async function run({ clients, rounds, windowMs, log }) {
  const contenders = clients.filter((c) => c.impl.exchange)
  for (const c of contenders) {
    for (let i = 0; i < 200; i++) await c.impl.exchange() // warm-up: JIT and keep-alive connections
    await Promise.all(Array.from({ length: CONCURRENCY }, () => c.impl.exchange()))
  }
  const columns = []
  for (const mode of ['sequential', 'concurrent']) {
    const results = await interleaved(contenders, rounds, (c) => timed(c.impl.exchange, windowMs, mode === 'sequential' ? 1 : CONCURRENCY))
    const raw = results.get('raw')?.median
    const cells = {}
    for (const c of clients) {
      const r = results.get(c.name)
      if (!r) {
        cells[c.name] = { na: 'no code exchange' }
        continue
      }
      const ratio = raw ? r.median / raw : undefined
      cells[c.name] = { value: r.median, ratio, cpuUs: r.cpuUs, samples: r.samples.map(Math.round), text: `${formatRate(r.median)} (${formatRatio(ratio)})` }
    }
    log(`  exchange ${mode}: ${Object.entries(cells).map(([n, c]) => `${n} ${c.text ?? 'n/a'}`).join(', ')}`)
    columns.push({
      id: `exchange.${mode}`,
      title: mode === 'sequential' ? 'exchange req/s, sequential' : `exchange req/s, ${CONCURRENCY} concurrent`,
      unit: 'req/s',
      better: 'higher',
      cells,
    })
  }
  return { columns }
}
