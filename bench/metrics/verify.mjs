// Metric 5: access-token verification, RS256 and ES256, with the JWKS already fetched and cached:
// verifications per second of the very same token, back to back; interleaved rounds, median.
import { formatRate, formatRatio, interleaved, timed } from '../util.mjs'

export const ALGORITHMS = ['RS256', 'ES256']

export async function run({ clients, fixtures, rounds, windowMs, log }) {
  const columns = []
  for (const alg of ALGORITHMS) {
    const token = fixtures.tokens[alg]
    const contenders = []
    for (const c of clients) {
      if (!c.impl.verifier) continue
      const verify = await c.impl.verifier(alg)
      const claims = await verify(token) // fetches the JWKS once: from here on the cache is warm
      if (claims.sub !== 'auth0|64f0c0ffee0000000000jane') throw new Error(`${c.name} returned unexpected claims`)
      contenders.push({ name: c.name, op: () => verify(token) })
    }
    const fetchesBefore = fixtures.jwksFetchCount()
    for (const c of contenders) for (let i = 0; i < 500; i++) await c.op() // JIT warm-up
    const results = await interleaved(contenders, rounds, (c) => timed(c.op, windowMs))
    const cold = fixtures.jwksFetchCount() - fetchesBefore
    if (cold !== 0) throw new Error(`a verifier fetched the JWKS ${cold} times while being timed: its cache is not warm`)
    const raw = results.get('raw')?.median
    const cells = {}
    for (const c of clients) {
      const r = results.get(c.name)
      if (!r) {
        cells[c.name] = { na: 'no access-token verification' }
        continue
      }
      const ratio = raw ? r.median / raw : undefined
      cells[c.name] = { value: r.median, ratio, cpuUs: r.cpuUs, samples: r.samples.map(Math.round), text: `${formatRate(r.median)} (${formatRatio(ratio)})` }
    }
    log(`  verify ${alg}: ${Object.entries(cells).map(([n, c]) => `${n} ${c.text ?? 'n/a'}`).join(', ')}`)
    columns.push({ id: `verify.${alg}`, title: `verify ${alg}/s`, unit: 'verifications/s', better: 'higher', cells })
  }
  return { columns }
}
