// withWebLocks in a real headless Chromium: two tabs sharing localStorage refresh once between them.
import { existsSync } from 'node:fs'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { ConfigError, LockTimeoutError } from '../src/errors.js'
import { MemoryStorage } from '../src/storage/memory.js'
import { withWebLocks } from '../src/storage/web-locks.js'
import { IndexedDBTokenStorage, WebStorageTokenStorage } from '../src/storage/web-storage.js'
import type { TokenSet } from '../src/token-set.js'
import type { BurstParams, CallOutcome, PageApi, StoreKind } from './fixtures/web-locks-page.js'
import { CHROMIUM, CHROMIUM_ARGS } from './runtime/tools.js'

const haveChromium = existsSync(CHROMIUM)
const inCI = process.env.CI === 'true'
if (!haveChromium && !inCI) {
  console.warn(
    `\n${'!'.repeat(78)}\n!! SKIPPING the headless Chromium tests of withWebLocks: ${CHROMIUM} is missing.\n` +
      `!! Install the Debian package "chromium":  apt-get install -y --no-install-recommends chromium\n` +
      `!! (In CI, with CI=true, these tests fail instead of skipping.)\n${'!'.repeat(78)}\n`,
  )
}
// In CI a missing browser is a failure (beforeAll throws), never a silent skip.
const describeBrowser = haveChromium || inCI ? describe : describe.skip

// ---------------------------------------------------------------------------------------------
// Node-side checks (no browser needed)

/** A Map-backed Storage, enough for WebStorageTokenStorage. */
class FakeStorage implements Storage {
  readonly #map = new Map<string, string>()
  get length() {
    return this.#map.size
  }
  clear() {
    this.#map.clear()
  }
  getItem(key: string) {
    return this.#map.get(key) ?? null
  }
  key(index: number) {
    return [...this.#map.keys()][index] ?? null
  }
  removeItem(key: string) {
    this.#map.delete(key)
  }
  setItem(key: string, value: string) {
    this.#map.set(key, String(value))
  }
}

describe('withWebLocks / WebStorageTokenStorage outside a browser', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('throws ConfigError at creation when the runtime lacks the Web Locks API', () => {
    vi.stubGlobal('navigator', {})
    expect(() => withWebLocks(new MemoryStorage())).toThrow(ConfigError)
    expect(() => withWebLocks(new MemoryStorage())).toThrow(/lacks the Web Locks API/)
    vi.stubGlobal('navigator', undefined)
    expect(() => withWebLocks(new MemoryStorage())).toThrow(/lacks the Web Locks API/)
  })

  it('rejects bad options and a non-storage with ConfigError naming the field', () => {
    const locks = { request: () => Promise.resolve() }
    vi.stubGlobal('navigator', { locks })
    expect(() => withWebLocks(new MemoryStorage(), { timeoutMs: 0 })).toThrow(expect.objectContaining({ field: 'timeoutMs' }))
    expect(() => withWebLocks(new MemoryStorage(), { timeoutMs: Number.NaN })).toThrow(expect.objectContaining({ field: 'timeoutMs' }))
    expect(() => withWebLocks(new MemoryStorage(), { name: 1 as unknown as string })).toThrow(expect.objectContaining({ field: 'name' }))
    expect(() => withWebLocks({} as MemoryStorage)).toThrow(expect.objectContaining({ field: 'storage' }))
  })

  it('delegates get/set/delete and maps an abort of the lock wait to LockTimeoutError', async () => {
    // A LockManager whose lock is never granted: only the AbortSignal ends the request.
    const requests: Array<{ name: string; mode: unknown }> = []
    const locks = {
      request(name: string, options: { mode?: string; signal?: AbortSignal }) {
        requests.push({ name, mode: options.mode })
        return new Promise((_, reject) => {
          options.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true })
        })
      },
    }
    vi.stubGlobal('navigator', { locks })
    const inner = new MemoryStorage()
    const storage = withWebLocks(inner, { name: 'app:', timeoutMs: 50 })
    const tokens: TokenSet = { accessToken: 'at', tokenType: 'Bearer' }
    await storage.set('k', tokens)
    expect(await inner.get('k')).toEqual(tokens)
    expect(await storage.get('k')).toEqual(tokens)
    await storage.delete('k')
    expect(inner.size).toBe(0)
    const fn = vi.fn(async () => 'ran')
    await expect(storage.withLock!('k', fn)).rejects.toBeInstanceOf(LockTimeoutError)
    expect(fn).not.toHaveBeenCalled()
    expect(requests).toEqual([{ name: 'app:k', mode: 'exclusive' }])
  })

  it('WebStorageTokenStorage keeps JSON under prefix+key and reads junk as no tokens', async () => {
    const area = new FakeStorage()
    const storage = new WebStorageTokenStorage(area, 'p:')
    const tokens: TokenSet = { accessToken: 'at', tokenType: 'Bearer', expiresAt: 123, refreshToken: 'rt' }
    await storage.set('me', tokens)
    expect(JSON.parse(area.getItem('p:me')!)).toEqual(tokens)
    expect(await storage.get('me')).toEqual(tokens)
    area.setItem('p:me', '{not json')
    expect(await storage.get('me')).toBeUndefined()
    area.setItem('p:me', JSON.stringify({ hello: 'world' }))
    expect(await storage.get('me')).toBeUndefined()
    await storage.delete('me')
    expect(area.length).toBe(0)
    expect(await storage.get('missing')).toBeUndefined()
  })

  it('refuses to lock over WebStorageTokenStorage, whose writes reach other tabs late', () => {
    vi.stubGlobal('navigator', { locks: { request: () => Promise.resolve() } })
    expect(() => withWebLocks(new WebStorageTokenStorage(new FakeStorage()))).toThrow(expect.objectContaining({ field: 'storage' }))
  })

  it('WebStorageTokenStorage without a Storage throws ConfigError where there is no localStorage', () => {
    vi.stubGlobal('localStorage', undefined)
    expect(() => new WebStorageTokenStorage()).toThrow(ConfigError)
  })

  it('IndexedDBTokenStorage throws ConfigError where there is no IndexedDB, and for bad names', () => {
    vi.stubGlobal('indexedDB', undefined)
    expect(() => new IndexedDBTokenStorage()).toThrow(expect.objectContaining({ field: 'indexedDB' }))
    vi.stubGlobal('indexedDB', { open: () => ({}) })
    expect(() => new IndexedDBTokenStorage({ database: '' })).toThrow(expect.objectContaining({ field: 'database' }))
    expect(() => new IndexedDBTokenStorage({ store: '' })).toThrow(expect.objectContaining({ field: 'store' }))
  })
})

// ---------------------------------------------------------------------------------------------
// The real thing: two tabs of one headless Chromium

const CLIENT_ID = 'spa-client'
/** How long the token endpoint takes to answer a refresh: long enough that two tabs overlap. */
const TOKEN_DELAY_MS = 300
const CALLS_PER_PAGE = 50

interface IdpState {
  /** The one refresh token of the family that the server accepts now. */
  currentRefreshToken: string
  generation: number
  /** Every refresh_token grant that reached the token endpoint (accepted or not). */
  refreshGrants: number
  /** Refresh grants refused because the refresh token was already rotated away (reuse). */
  reuseRejected: number
  other: string[]
}

function newState(): IdpState {
  return { currentRefreshToken: 'rt-0', generation: 0, refreshGrants: 0, reuseRejected: 0, other: [] }
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve(`http://127.0.0.1:${port}`)
    })
  })
}

function close(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (server === undefined) return resolve()
    server.closeAllConnections()
    server.close(() => resolve())
  })
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

describeBrowser('withWebLocks in headless Chromium (two tabs of one browser context)', () => {
  let browser: Browser | undefined
  let context: BrowserContext | undefined
  let appServer: Server | undefined
  let idpServer: Server | undefined
  let appOrigin = ''
  let issuer = ''
  let state = newState()
  const pageErrors: string[] = []

  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(`CI=true and ${CHROMIUM} is missing: install the Debian package "chromium" (apt-get install -y --no-install-recommends chromium)`)
    }
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('./fixtures/web-locks-page.ts', import.meta.url))],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      write: false,
      logLevel: 'silent',
    })
    const script = bundle.outputFiles[0]!.text

    // The app: an HTML page and the bundled script, on its own origin.
    appServer = createServer((req, res) => {
      if (req.url === '/' || req.url === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        res.end('<!doctype html><meta charset="utf-8"><title>authcode web locks</title><script src="/page.js"></script>')
      } else if (req.url === '/page.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' })
        res.end(script)
      } else {
        res.writeHead(404).end()
      }
    })
    appOrigin = await listen(appServer)

    // The identity provider: discovery and a rotating token endpoint, on another origin (CORS).
    idpServer = createServer((req, res) => void handleIdp(req, res))
    issuer = `${await listen(idpServer)}/`

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    await browser?.close()
    await close(appServer)
    await close(idpServer)
  })

  afterEach(async () => {
    await context?.close()
    context = undefined
    const errors = pageErrors.splice(0)
    expect(errors, 'uncaught errors in the pages').toEqual([])
  })

  async function handleIdp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cors = {
      'access-control-allow-origin': appOrigin,
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'content-type, accept',
      'access-control-max-age': '600',
      vary: 'origin',
    }
    const json = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store', ...extra })
      res.end(JSON.stringify(body))
    }
    const url = new URL(req.url ?? '/', issuer)
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors).end()
      return
    }
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      json(200, {
        issuer,
        authorization_endpoint: `${issuer}authorize`,
        token_endpoint: `${issuer}oauth/token`,
        jwks_uri: `${issuer}.well-known/jwks.json`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_methods_supported: ['none'],
      })
      return
    }
    if (req.method === 'POST' && url.pathname === '/oauth/token') {
      const form = new URLSearchParams(await readBody(req))
      if (form.get('grant_type') !== 'refresh_token' || form.get('client_id') !== CLIENT_ID) {
        state.other.push(`${form.get('grant_type')} ${form.get('client_id')}`)
        json(400, { error: 'unsupported_grant_type' })
        return
      }
      state.refreshGrants += 1
      // Decide at arrival (as a real server would), answer after a delay.
      const presented = form.get('refresh_token')
      let status: number
      let body: unknown
      if (presented !== null && presented === state.currentRefreshToken) {
        state.generation += 1
        state.currentRefreshToken = `rt-${state.generation}`
        status = 200
        body = { access_token: `at-${state.generation}`, token_type: 'Bearer', expires_in: 3600, refresh_token: state.currentRefreshToken }
      } else {
        state.reuseRejected += 1
        status = 400
        body = { error: 'invalid_grant', error_description: 'refresh token already used' }
      }
      await new Promise((r) => setTimeout(r, TOKEN_DELAY_MS))
      json(status, body)
      return
    }
    state.other.push(`${req.method} ${url.pathname}`)
    json(404, { error: 'not_found' })
  }

  /** A fresh context (its own storage and locks) with two tabs on the app, seeded with expired tokens. */
  async function twoTabs(store: StoreKind, key: string): Promise<[Page, Page]> {
    state = newState()
    context = await browser!.newContext()
    const pages: Page[] = []
    for (let i = 0; i < 2; i++) {
      const page = await context.newPage()
      page.on('pageerror', (err) => pageErrors.push(String(err)))
      await page.goto(`${appOrigin}/`)
      await page.waitForFunction(() => 'authcodeTest' in globalThis)
      pages.push(page)
    }
    const expired: TokenSet = { accessToken: 'at-0', tokenType: 'Bearer', expiresAt: Math.floor(Date.now() / 1000) - 600, refreshToken: 'rt-0' }
    await pages[0]!.evaluate(([s, k, t]) => (globalThis as unknown as { authcodeTest: PageApi }).authcodeTest.seed(s, k, t), [store, key, expired] as const)
    // The second tab sees the seed: one storage for the context.
    expect(await read(pages[1]!, store, key)).toEqual(expired)
    return [pages[0]!, pages[1]!]
  }

  function burst(page: Page, p: BurstParams): Promise<CallOutcome[]> {
    return page.evaluate((params) => (globalThis as unknown as { authcodeTest: PageApi }).authcodeTest.burst(params), p)
  }

  function read(page: Page, store: StoreKind, key: string): Promise<TokenSet | undefined> {
    return page.evaluate(([s, k]) => (globalThis as unknown as { authcodeTest: PageApi }).authcodeTest.read(s, k), [store, key] as const)
  }

  it('two tabs x 50 concurrent getAccessToken calls make exactly ONE refresh, and both tabs get the same token', async () => {
    const key = 'user-locked'
    const [a, b] = await twoTabs('indexeddb', key)
    expect(await a.evaluate(() => (globalThis as unknown as { authcodeTest: PageApi }).authcodeTest.hasWebLocks())).toBe(true)
    const params: BurstParams = { issuer, key, store: 'indexeddb', useLocks: true, startAt: Date.now() + 500, calls: CALLS_PER_PAGE }
    // Start both before awaiting either: the calls of both tabs begin at `startAt`.
    const [fromA, fromB] = await Promise.all([burst(a, params), burst(b, params)])

    expect(state.refreshGrants).toBe(1)
    expect(state.reuseRejected).toBe(0)
    expect(state.other).toEqual([])
    expect(fromA).toHaveLength(CALLS_PER_PAGE)
    expect(fromB).toHaveLength(CALLS_PER_PAGE)
    expect(new Set([...fromA, ...fromB].map((o) => JSON.stringify(o)))).toEqual(new Set([JSON.stringify({ ok: 'at-1' })]))
    // The rotated refresh token was stored for every tab.
    expect(await read(b, 'indexeddb', key)).toMatchObject({ accessToken: 'at-1', refreshToken: 'rt-1', tokenType: 'Bearer' })
  })

  it('control: the same two tabs over the same IndexedDB storage without withWebLocks refresh more than once', async () => {
    const key = 'user-plain'
    const [a, b] = await twoTabs('indexeddb', key)
    const params: BurstParams = { issuer, key, store: 'indexeddb', useLocks: false, startAt: Date.now() + 500, calls: CALLS_PER_PAGE }
    const [fromA, fromB] = await Promise.all([burst(a, params), burst(b, params)])

    // Single-flight holds within each tab (one refresh per tab), but nothing spans the tabs:
    // the second tab spends the refresh token the first one already rotated away — the reuse a
    // rotating provider treats as theft.
    expect(state.refreshGrants).toBeGreaterThan(1)
    expect(state.reuseRejected).toBeGreaterThanOrEqual(1)
    expect(fromA).toHaveLength(CALLS_PER_PAGE)
    expect(fromB).toHaveLength(CALLS_PER_PAGE)
  })

  it('a tab that cannot get the lock in time fails with LockTimeoutError, refreshes nothing, and succeeds once the lock is free', async () => {
    const key = 'user-timeout'
    const [a, b] = await twoTabs('indexeddb', key)
    // Tab B holds the lock for 1.5 s (as if its refresh hung).
    await b.evaluate((k) => (globalThis as unknown as { authcodeTest: PageApi }).authcodeTest.holdLock(k, 1_500), key)
    const timedOut = await burst(a, { issuer, key, store: 'indexeddb', useLocks: true, startAt: 0, calls: 5, lockTimeoutMs: 200 })
    expect(timedOut).toHaveLength(5)
    for (const o of timedOut) expect(o).toMatchObject({ error: 'ERR_LOCK_TIMEOUT', name: 'LockTimeoutError' })
    expect(state.refreshGrants).toBe(0)
    expect(await read(a, 'indexeddb', key)).toMatchObject({ accessToken: 'at-0', refreshToken: 'rt-0' })

    // With the default 10 s bound, the wait ends when B lets go, and then one refresh happens.
    const waited = await burst(a, { issuer, key, store: 'indexeddb', useLocks: true, startAt: 0, calls: 5 })
    expect(waited).toEqual(Array.from({ length: 5 }, () => ({ ok: 'at-1' })))
    expect(state.refreshGrants).toBe(1)
  })
})
