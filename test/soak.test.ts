// Soak: 10,000 getAccessToken/fetch calls over 200 keys, 5% injected token-endpoint faults, 1-2 s token lifetimes.
//
// Real time (epochSeconds reads Date.now and src/lib/http.ts's timers are real, so faking the clock
// would fake the timeouts too). Calls are paced over about 23 s. The token endpoint rotates
// refresh tokens and revokes a whole family on reuse, like Auth0: one stray or concurrent
// refresh would show up as a revoked family and a LoginRequiredError.
//
// Only faults after which the server has not acted are injected (503, dropped connections,
// slow answers, some past the timeout: the server then notices the client has gone and does
// not act): the SDK must then keep every key's token set. Faults
// after which the server acted (a lost rotation) end the session by design; faults.test.ts
// covers those.
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  MemoryStorage,
  NetworkError,
  OAuthError,
  ResponseError,
  TimeoutError,
  TokenClient,
  TokenManager,
} from 'authcode'
import { type Fault, type FaultServer, REDIRECT_URI, prng, sleep, startFaultServer } from './helpers/fault-server.js'

const SEED = 0x5eed_c0de
const KEYS = 200
const CALLS = 10_000
const FAULT_RATE = 0.05
const WORKERS = 50
/** Calls start this far apart: 10,000 calls take about 23 s. */
const PACE_MS = 2.3
const TIMEOUT_MS = 2_000
/** Stop issuing calls past this, whatever happened (the test then fails on the count). */
const DEADLINE_MS = 40_000

type FaultLabel = '503' | 'drop-before-read' | 'drop-after-read' | 'slow (in time)' | 'slow (past timeout)'

let server: FaultServer
beforeAll(async () => {
  server = await startFaultServer()
})
afterAll(async () => {
  await server.close()
})

it(`${CALLS} calls over ${KEYS} keys with ${FAULT_RATE * 100}% faults: every key keeps a valid token set, refreshes stay within one per expiry window`, { timeout: 90_000 }, async () => {
  const started = performance.now()
  const client = new TokenClient(server.clientConfig({ timeoutMs: TIMEOUT_MS, retries: 2, maxRetryDelayMs: 50 }))
  const storage = new MemoryStorage()
  const manager = new TokenManager({ client, storage, leewaySeconds: 0 })

  // --- 200 logins, no faults yet ----------------------------------------------------------
  const keys = Array.from({ length: KEYS }, (_, i) => `session-${String(i).padStart(3, '0')}`)
  const lifetime = new Map<string, number>() // expires_in of the key's tokens: 1 or 2 s
  const loginSecond = new Map<string, number>() // the client's epoch second at the login
  for (let i = 0; i < KEYS; i += 20) {
    await Promise.all(
      keys.slice(i, i + 20).map(async (key, j) => {
        const expiresIn = 1 + ((i + j) % 2)
        lifetime.set(key, expiresIn)
        const tokens = await client.exchangeCode({ code: server.mintCode(key, expiresIn), redirectUri: REDIRECT_URI })
        loginSecond.set(key, tokens.expiresAt! - expiresIn)
        await manager.save(key, tokens)
      }),
    )
  }
  expect(storage.size).toBe(KEYS)
  server.resetLog()

  // --- the faults: one roll per token-endpoint connection, from the seed ---------------------
  const injected = new Map<FaultLabel, number>()
  const dice = prng(SEED)
  const count = (label: FaultLabel) => injected.set(label, (injected.get(label) ?? 0) + 1)
  server.picker = (): Fault => {
    if (dice() >= FAULT_RATE) return { kind: 'ok' }
    const kind = dice()
    if (kind < 1 / 3) {
      count('503')
      return { kind: 'status', status: 503, retryAfter: '0' }
    }
    if (kind < 2 / 3) {
      if (dice() < 0.5) {
        count('drop-before-read')
        return { kind: 'drop-before-read' }
      }
      count('drop-after-read')
      return { kind: 'drop-after-read', reset: dice() < 0.5 }
    }
    if (dice() < 0.75) {
      count('slow (in time)')
      const delayMs = 50 + Math.floor(dice() * 250)
      return dice() < 0.5 ? { kind: 'slow-headers', delayMs } : { kind: 'slow-body', delayMs }
    }
    count('slow (past timeout)')
    return { kind: 'slow-headers', delayMs: TIMEOUT_MS + 1_000 }
  }

  // --- the calls ---------------------------------------------------------------------------
  const rand = prng(SEED ^ 0x9e3779b9)
  const outcomes = { ok: 0, getAccessToken: 0, fetch: 0 }
  const failures = new Map<string, number>()
  const failureObjects = new Set<unknown>() // one refresh failing shares its error with every waiting caller
  const unexpected: string[] = []
  const badTokens: string[] = []

  const expectedFailure = (err: unknown): string | undefined => {
    if (err instanceof NetworkError) return 'NetworkError'
    if (err instanceof TimeoutError) return 'TimeoutError'
    if (err instanceof ResponseError && err.status === 503) return 'ResponseError 503'
    if (err instanceof OAuthError && err.status === 503) return 'OAuthError 503'
    return undefined
  }

  const call = async (key: string, op: 'getAccessToken' | 'fetch') => {
    outcomes[op]++
    try {
      if (op === 'getAccessToken') {
        const accessToken = await manager.getAccessToken(key)
        if (!server.accepts(accessToken)) badTokens.push(key)
      } else {
        const res = await manager.fetch(key, server.apiUrl)
        const body = (await res.json()) as { family?: string }
        if (res.status !== 200 || body.family !== key) badTokens.push(`${key} (API ${res.status})`)
      }
      outcomes.ok++
    } catch (err) {
      const label = expectedFailure(err)
      if (label === undefined) {
        unexpected.push(`${key} ${op}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
        return
      }
      failures.set(label, (failures.get(label) ?? 0) + 1)
      failureObjects.add(err)
    }
  }

  let issued = 0
  const t0 = Date.now()
  const worker = async () => {
    while (issued < CALLS && Date.now() - t0 < DEADLINE_MS) {
      const first = issued
      // Now and then several calls for one key at once: they must share one refresh.
      const burst = Math.min(rand() < 0.1 ? 3 : 1, CALLS - issued)
      issued += burst
      const wait = t0 + first * PACE_MS - Date.now()
      if (wait > 0) await sleep(wait)
      const key = keys[Math.floor(rand() * KEYS)]!
      const ops = Array.from({ length: burst }, (): 'getAccessToken' | 'fetch' => (rand() < 0.5 ? 'getAccessToken' : 'fetch'))
      await Promise.all(ops.map((op) => call(key, op)))
    }
  }
  await Promise.all(Array.from({ length: WORKERS }, worker))
  const callsMs = Date.now() - t0

  // --- the end state -------------------------------------------------------------------------
  server.picker = undefined
  const byGrant = server.countsByGrant()
  const refreshRequests = byGrant.refresh_token ?? 0
  const connections = server.tokenRequests().length
  let soakRotations = 0
  for (const family of server.families.values()) soakRotations += family.rotations

  // Every key: stored, its refresh token the latest the server issued, its family never revoked;
  // and it still works (one more call per key, no faults).
  const notCurrent: string[] = []
  for (const key of keys) {
    const stored = await storage.get(key)
    const family = server.familyByLabel(key)
    if (stored === undefined || family === undefined || family.revoked || family.reuses > 0 || !server.isCurrent(stored.refreshToken)) {
      notCurrent.push(key)
    }
  }
  const finalTokens = await Promise.all(keys.map((key) => manager.getAccessToken(key)))
  const finalRejected = keys.filter((_, i) => !server.accepts(finalTokens[i]!))

  // Refreshes per key: refresh j starts at a whole second >= the previous expiresAt, which is
  // (second of the previous start) + expires_in; so from the login to now at most
  // floor(elapsed whole seconds / expires_in) refreshes. Allowed: that + 1.
  const endSecond = Math.floor(Date.now() / 1000)
  const overBudget: string[] = []
  let rotations = 0
  let tightest = { key: '', refreshes: 0, windows: 0 }
  for (const key of keys) {
    const family = server.familyByLabel(key)!
    const windows = Math.floor((endSecond - loginSecond.get(key)!) / lifetime.get(key)!)
    rotations += family.rotations
    if (family.rotations > windows + 1) overBudget.push(`${key}: ${family.rotations} refreshes > ${windows} windows + 1`)
    if (family.rotations - windows > tightest.refreshes - tightest.windows || tightest.key === '') {
      tightest = { key, refreshes: family.rotations, windows }
    }
  }

  const injectedTotal = [...injected.values()].reduce((a, b) => a + b, 0)
  const failing = injectedTotal - (injected.get('slow (in time)') ?? 0)
  const totalMs = performance.now() - started
  const fmt = (m: ReadonlyMap<unknown, number>) => [...m].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'
  console.log(
    `soak seed=0x${SEED.toString(16)}: calls=${issued} (getAccessToken ${outcomes.getAccessToken}, fetch ${outcomes.fetch}; ok ${outcomes.ok}), ` +
      `faults injected=${injectedTotal} {${fmt(injected)}} over ${connections} token connections, ` +
      `failed calls=${[...failures.values()].reduce((a, b) => a + b, 0)} {${fmt(failures)}} from ${failureObjects.size} failed refreshes, ` +
      `refreshes=${soakRotations} during the calls + ${rotations - soakRotations} in the final check (token connections by grant: ${JSON.stringify(byGrant)}; ` +
      `closest to the limit: ${tightest.key} ${tightest.refreshes} refreshes in ${tightest.windows} windows), API answers {${fmt(server.apiAnswers)}}, ` +
      `calls ${(callsMs / 1000).toFixed(1)} s, total ${(totalMs / 1000).toFixed(1)} s`,
  )

  expect(issued).toBe(CALLS)
  expect(unexpected).toEqual([])
  expect(badTokens).toEqual([])
  expect(notCurrent).toEqual([])
  expect(finalRejected).toEqual([])
  expect(overBudget).toEqual([])
  // Faults happened, and every failure traces back to one: one failed refresh per fault at most.
  expect(injectedTotal).toBeGreaterThan(0)
  expect(failureObjects.size).toBeLessThanOrEqual(failing)
  for (const [label, kinds] of [
    ['NetworkError', ['drop-before-read', 'drop-after-read']],
    ['TimeoutError', ['slow (past timeout)', 'drop-before-read']],
    ['ResponseError 503', ['503']],
    ['OAuthError 503', ['503']],
  ] as const) {
    if (failures.has(label)) expect(kinds.some((k) => (injected.get(k) ?? 0) > 0), label).toBe(true)
  }
  // Expiry was exercised: tokens of 1-2 s over ~23 s mean many refreshes per key.
  expect(rotations).toBeGreaterThan(KEYS * 5)
  expect(refreshRequests).toBeGreaterThanOrEqual(soakRotations)
  expect(server.apiAnswers.get(401) ?? 0).toBe(0)
  expect(totalMs).toBeLessThan(45_000)
})
