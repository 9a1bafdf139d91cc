// How long 1,000 concurrent cached getAccessToken calls take, as a ratio to 1,000 Promise.resolve.
// Run after `npm run build`: node bench/cached-access-token.mjs
import { TokenClient, TokenManager } from 'authcode'

const N = 1000
const ROUNDS = 200

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function time(fn) {
  const samples = []
  for (let i = 0; i < ROUNDS + 20; i++) {
    const start = performance.now()
    await fn()
    if (i >= 20) samples.push(performance.now() - start) // the first 20 rounds warm up the JIT
  }
  return median(samples)
}

const client = new TokenClient({ domain: 'bench.auth0.example', clientId: 'bench', clientSecret: 'bench-secret' })
const manager = new TokenManager({ client })
await manager.save('user', { accessToken: 'cached-token', tokenType: 'Bearer', expiresAt: Math.floor(Date.now() / 1000) + 3600, refreshToken: 'rt' })

const baseline = await time(() => Promise.all(Array.from({ length: N }, () => Promise.resolve('cached-token'))))
const cached = await time(() => Promise.all(Array.from({ length: N }, () => manager.getAccessToken('user'))))

console.log(`1,000 concurrent calls, median of ${ROUNDS} rounds (Node ${process.version})`)
console.log(`  Promise.resolve baseline   ${(baseline * 1000).toFixed(0)} µs`)
console.log(`  getAccessToken (cached)    ${(cached * 1000).toFixed(0)} µs`)
console.log(`  ratio                      ${(cached / baseline).toFixed(1)}x`)
