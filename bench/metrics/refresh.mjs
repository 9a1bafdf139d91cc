// Metric 6: 100 concurrent "give me this user's access token" calls while the stored access token
// has expired: how many refresh requests reach the token endpoint. authcode goes through its
// TokenManager; every other contender is used the way its docs show (check expiry, refresh),
// since none of them has a token store. Median over rounds.
import { formatRatio, median } from '../util.mjs'

export const CALLERS = 100

export async function run({ clients, server, rounds, log }) {
  const cells = {}
  for (const c of clients) {
    if (!c.impl.refreshStorm) {
      cells[c.name] = { na: 'no refresh grant' }
      continue
    }
    const hits = []
    const ms = []
    for (let r = 0; r < rounds; r++) {
      await server.reset()
      const start = performance.now()
      await c.impl.refreshStorm(CALLERS)
      ms.push(performance.now() - start)
      const stats = await server.stats()
      hits.push(stats.refresh_token)
    }
    cells[c.name] = { value: median(hits), samples: hits, wallMs: +median(ms).toFixed(1) }
  }
  const raw = cells.raw?.value
  for (const cell of Object.values(cells)) {
    if (cell.value === undefined) continue
    cell.ratio = raw ? cell.value / raw : undefined
    cell.text = `${cell.value} (${formatRatio(cell.ratio)})`
  }
  log(`  refresh hits: ${Object.entries(cells).map(([n, c]) => `${n} ${c.text ?? 'n/a'}`).join(', ')}`)
  return { columns: [{ id: 'refresh', title: `refresh hits, ${CALLERS} callers`, unit: 'hits', better: 'lower', cells }] }
}
