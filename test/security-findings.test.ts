// Findings of a security review, one describe each: the transaction replay memory never forgets
// a live seal; TokenManager.fetch decides on the parsed URL; no secret in any error, cause or
// stack in any encoding; a refresh never switches the session's user.
import { inspect } from 'node:util'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAuthorizationRequest } from '../src/login/authorization-request.js'
import { MemoryReplayStore, createTransactionCookie } from '../src/cookies/transaction-cookie.js'
import { SealError } from '../src/errors.js'
import { ConfigError, IdTokenError, NetworkError, TokenClient, TokenManager, generateDpopKeyPair, type TokenSet } from 'authcode'
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, HttpResponse, ISSUER, onToken, testTenant, useAuth0Handlers, useMockServer } from './helpers/auth0.js'

const requests = useMockServer()
await useAuth0Handlers()

const COOKIE_SECRET = 'secret-current-5c0f1e2d3a4b5c6d7e8f9a0b1c2d3e4f'

afterEach(() => {
  vi.useRealTimers()
})

/** The `Cookie` header a browser would send back for these `Set-Cookie` values. */
function cookieHeader(setCookie: string[]): string {
  return setCookie
    .filter((h) => !h.includes('Max-Age=0'))
    .map((h) => h.split(';')[0])
    .join('; ')
}

describe('the default transaction replay memory', () => {
  const at = (iso: string) => vi.setSystemTime(new Date(iso))
  const epoch = (iso: string) => Date.parse(iso) / 1000

  it('refuses a new seal with SealError "busy" when full of live records, and never forgets a live one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    at('2030-01-01T00:00:00Z')
    const store = new MemoryReplayStore(3)
    const expiry = epoch('2030-01-01T00:10:00Z')
    expect(await store.consume('captured', expiry)).toBe(true)
    expect(await store.consume('flood-1', expiry)).toBe(true)
    expect(await store.consume('flood-2', expiry)).toBe(true)
    const err = await store.consume('flood-3', expiry).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SealError)
    expect(err).toMatchObject({ code: 'ERR_SEAL', reason: 'busy' })
    expect(String(err)).not.toContain('flood-3')
    // The captured seal is still remembered: its replay is refused.
    expect(await store.consume('captured', expiry)).toBe(false)
  })

  it('makes room again once records expire, and forgets a record only after its expiry', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    at('2030-01-01T00:00:00Z')
    const store = new MemoryReplayStore(2)
    expect(await store.consume('early', epoch('2030-01-01T00:01:00Z'))).toBe(true)
    expect(await store.consume('late', epoch('2030-01-01T00:10:00Z'))).toBe(true)
    await expect(store.consume('third', epoch('2030-01-01T00:10:00Z'))).rejects.toMatchObject({ reason: 'busy' })
    at('2030-01-01T00:01:00Z') // "early" expires now; "late" does not
    expect(await store.consume('third', epoch('2030-01-01T00:10:00Z'))).toBe(true)
    expect(await store.consume('late', epoch('2030-01-01T00:10:00Z'))).toBe(false)
    expect(await store.consume('third', epoch('2030-01-01T00:10:00Z'))).toBe(false)
  })

  it('refuses a captured transaction seal after a flood of 10,000 other logins, instead of forgetting it', async () => {
    const txCookie = createTransactionCookie({ secret: COOKIE_SECRET })
    const config = { domain: 'tenant.eu.auth0.com', clientId: 'client-abc' }
    const { transaction } = await createAuthorizationRequest(config, { redirectUri: 'https://app.example.com/callback' })
    const captured = cookieHeader(await txCookie.set(transaction))
    await txCookie.take(captured)
    const flood = await Promise.all(Array.from({ length: 10_000 }, async () => cookieHeader(await txCookie.set(transaction))))
    const outcomes = await Promise.allSettled(flood.map((header) => txCookie.take(header)))
    const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason)
    expect(refused.length).toBeGreaterThan(0)
    for (const reason of refused) expect(reason).toMatchObject({ code: 'ERR_SEAL', reason: 'busy' })
    await expect(txCookie.take(captured)).rejects.toMatchObject({ code: 'ERR_SEAL', reason: 'replayed' })
  })
})

describe('TokenManager.fetch decides on the URL fetch will use', () => {
  const TOKEN = 'at-must-not-leak-4f1c9e'
  const now = () => Math.floor(Date.now() / 1000)

  async function managerWith(options: { allowInsecureRequests?: boolean } = {}) {
    const calls: { url: string; authorization: string | null }[] = []
    const recording: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      calls.push({ url, authorization: new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)).get('authorization') })
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } })
    }
    const client = new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...options })
    const manager = new TokenManager({ client, fetch: recording })
    await manager.save('user-1', { accessToken: TOKEN, tokenType: 'Bearer', expiresAt: now() + 3600 })
    return { manager, calls }
  }

  const plainHttp: [string, () => RequestInfo | URL][] = [
    ['a leading space', () => ' http://api.example.com/contacts'],
    ['a tab inside the scheme', () => 'ht\ttp://api.example.com/contacts'],
    ['a newline inside the scheme', () => 'ht\ntp://api.example.com/contacts'],
    ['upper case', () => 'HTTP://api.example.com/contacts'],
    ['a leading newline', () => '\nhttp://api.example.com/contacts'],
    ['a leading C0 control', () => '\u0001http://api.example.com/contacts'],
    ['a URL object', () => new URL('http://api.example.com/contacts')],
    ['a Request object', () => new Request('http://api.example.com/contacts')],
  ]
  for (const [spelling, input] of plainHttp) {
    it(`refuses plain http spelled with ${spelling}, and the token never reaches fetch`, async () => {
      const { manager, calls } = await managerWith()
      const err = await manager.fetch('user-1', input()).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ConfigError)
      expect(calls).toEqual([])
      expect(String(err)).not.toContain(TOKEN)
    })
  }

  const unknownPlaces = ['/contacts', 'contacts', 'api.example.com/contacts', '//api.example.com/contacts', 'ftp://api.example.com/contacts', 'ws://api.example.com/', 'data:text/plain,hi', 'javascript:alert(1)', 'file:///etc/passwd', '']
  for (const input of unknownPlaces) {
    it(`refuses ${JSON.stringify(input)} (relative, unparseable or not https) with a ConfigError, and the token never reaches fetch`, async () => {
      const { manager, calls } = await managerWith({ allowInsecureRequests: true })
      const err = await manager.fetch('user-1', input).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ConfigError)
      expect(calls).toEqual([])
    })
  }

  it('sends to the URL it checked: an https URL with a leading space goes to that https URL', async () => {
    const { manager, calls } = await managerWith()
    expect((await manager.fetch('user-1', ' https://api.example.com/contacts ')).status).toBe(200)
    expect(calls).toEqual([{ url: 'https://api.example.com/contacts', authorization: `Bearer ${TOKEN}` }])
  })

  it('sends plain http, however spelled, only with allowInsecureRequests', async () => {
    const { manager, calls } = await managerWith({ allowInsecureRequests: true })
    await manager.fetch('user-1', 'ht\ttp://localhost:3000/contacts')
    await manager.fetch('user-1', new Request('http://localhost:3000/me'))
    expect(calls.map((c) => c.url)).toEqual(['http://localhost:3000/contacts', 'http://localhost:3000/me'])
  })
})

describe('no secret in any error, cause or stack, in any encoding', () => {
  const now = () => Math.floor(Date.now() / 1000)
  // Characters that every encoding spells differently: percent, form (+ for space) and
  // oauth4webapi's Basic encoding (which also escapes - _ . ! ~ * ' ( )).
  const ACCESS_TOKEN = "at.tok+en/with=odd~chars!*'() sp-9f3c1e"
  const REFRESH_TOKEN = "rt.refresh+tok/en=~!*'() x-77a0b2"
  const CLIENT_SECRET_ODD = "cs.s3cr3t+/=~!*'() &%é-value_d41d8c"

  /** Every form a secret may take in text: raw, percent-encoded, form-encoded. */
  function forms(secret: string): string[] {
    return [secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)]
  }

  /** A runtime error that echoes everything the request carried, in its message, stack and causes. */
  function echoingError(text: string): Error {
    const inner = new Error(`socket said: ${text}`)
    inner.stack = `Error: socket said: ${text}\n    at echo (file:///srv/${encodeURIComponent(text)}.js:1:1)`
    const middle = new Error(`headers were ${text}`, { cause: inner })
    Object.assign(middle, { code: 'ECONNRESET' })
    const outer = new TypeError(`fetch failed for ${text}`, { cause: middle })
    Object.assign(outer, { request: { text }, headers: text })
    return outer
  }

  /** What a request carried, as text a careless runtime might put in an error. */
  async function describeRequest(input: RequestInfo | URL, init?: RequestInit): Promise<string> {
    const request = new Request(input, init)
    const headers = JSON.stringify(Object.fromEntries(request.headers))
    const body = request.body === null ? '' : await request.text()
    return `${request.method} ${request.url} ${headers} ${body} ${decodeURIComponent(body)}`
  }

  /** Every text a log could show of the error: String, JSON, util.inspect, and each stack and cause. */
  function everyText(err: unknown): string[] {
    const texts = [String(err), JSON.stringify(err), inspect(err, { depth: 10, showHidden: true })]
    for (let e: unknown = err, i = 0; e instanceof Error && i < 10; e = e.cause, i++) texts.push(e.message, String(e.stack), e.name)
    return texts
  }

  function expectNone(err: unknown, secrets: string[]): void {
    for (const text of everyText(err)) for (const secret of secrets) expect(text).not.toContain(secret)
  }

  it('TokenManager.fetch: a NetworkError that echoes the bearer token says none of it', async () => {
    let echoed = ''
    const failing: typeof fetch = async (input, init) => {
      echoed = await describeRequest(input, init)
      throw echoingError(`${echoed} ${ACCESS_TOKEN} ${encodeURIComponent(ACCESS_TOKEN)}`)
    }
    const manager = new TokenManager({ client: new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }), fetch: failing })
    await manager.save('user-1', { accessToken: ACCESS_TOKEN, tokenType: 'Bearer', expiresAt: now() + 3600 })
    const err = await manager.fetch('user-1', 'https://api.example.com/contacts').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NetworkError)
    expect(echoed).toContain(ACCESS_TOKEN)
    expectNone(err, [...forms(ACCESS_TOKEN), `Bearer ${ACCESS_TOKEN}`])
    // The cause chain is still there for debugging, with the runtime's error code.
    expect((err as Error).cause).toBeInstanceOf(Error)
    expect(((err as Error).cause as Error).cause).toMatchObject({ code: 'ECONNRESET' })
  })

  it('TokenManager.fetch: a NetworkError for a DPoP-bound token says neither the token nor the proof', async () => {
    let proof = ''
    const failing: typeof fetch = async (input, init) => {
      const text = await describeRequest(input, init)
      proof = new Headers(init?.headers).get('dpop') ?? ''
      throw echoingError(text)
    }
    const client = new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, dpop: await generateDpopKeyPair() })
    const manager = new TokenManager({ client, fetch: failing })
    await manager.save('user-1', { accessToken: ACCESS_TOKEN, tokenType: 'DPoP', expiresAt: now() + 3600 })
    const err = await manager.fetch('user-1', 'https://api.example.com/contacts').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NetworkError)
    expect(proof.split('.')).toHaveLength(3)
    expectNone(err, [...forms(ACCESS_TOKEN), ...forms(proof)])
  })

  it('client_secret_basic: a NetworkError of a refresh says neither the secret, nor the Basic credential, nor its base64', async () => {
    let authorization = ''
    const failing: typeof fetch = async (input, init) => {
      const text = await describeRequest(input, init)
      authorization = new Headers(init?.headers).get('authorization') ?? ''
      throw echoingError(text)
    }
    const client = new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET_ODD, clientAuth: 'client_secret_basic', fetch: failing, retries: 0 })
    const err = await client.refresh({ refreshToken: REFRESH_TOKEN }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NetworkError)
    expect(authorization).toMatch(/^Basic /)
    const base64 = authorization.slice('Basic '.length)
    const decoded = atob(base64)
    const encodedSecret = decoded.slice(decoded.indexOf(':') + 1)
    expect(encodedSecret).not.toBe(encodeURIComponent(CLIENT_SECRET_ODD)) // a form of its own
    expectNone(err, [...forms(CLIENT_SECRET_ODD), ...forms(REFRESH_TOKEN), authorization, ...forms(base64), encodedSecret, decoded])
  })

  it('client_secret_post: a NetworkError of a refresh says neither the secret nor the refresh token in any encoding', async () => {
    const failing: typeof fetch = async (input, init) => {
      throw echoingError(await describeRequest(input, init))
    }
    const client = new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET_ODD, fetch: failing, retries: 0 })
    const err = await client.refresh({ refreshToken: REFRESH_TOKEN }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NetworkError)
    expectNone(err, [...forms(CLIENT_SECRET_ODD), ...forms(REFRESH_TOKEN)])
  })

  it('a failure whose name or code carries the token does not put it in the message', async () => {
    const failing: typeof fetch = async () => {
      throw Object.assign(new Error('boom'), { name: `Broken ${ACCESS_TOKEN}`, code: `E_${ACCESS_TOKEN}` })
    }
    const manager = new TokenManager({ client: new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }), fetch: failing })
    await manager.save('user-1', { accessToken: ACCESS_TOKEN, tokenType: 'Bearer', expiresAt: now() + 3600 })
    const err = await manager.fetch('user-1', 'https://api.example.com/contacts').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NetworkError)
    expectNone(err, forms(ACCESS_TOKEN))
  })
})

describe('a refresh never switches the session to another user (OIDC Core §12.2)', () => {
  const now = () => Math.floor(Date.now() / 1000)
  const USER = 'auth0|session-user-1f2e'
  const OTHER = 'auth0|other-user-9a8b'

  /** A stored session of USER at the tenant, with an expired access token and a refresh token. */
  async function storedSession(claims: Partial<{ iss: string; sub: string }> = {}): Promise<TokenSet> {
    const tenant = await testTenant()
    const idToken = await tenant.signIdToken({ sub: USER })
    return {
      accessToken: 'at-old',
      tokenType: 'Bearer',
      expiresAt: now() - 10,
      refreshToken: 'rt-old',
      idToken,
      claims: { iss: ISSUER, sub: USER, aud: CLIENT_ID, exp: now() + 3600, iat: now() - 60, ...claims },
    }
  }

  /** The token endpoint answers every refresh with tokens whose ID token has these claims (or none). */
  function refreshAnswers(idTokenClaims: { sub: string } | undefined): void {
    onToken(async () => {
      const json = await (await testTenant()).tokenResponse({ refreshToken: 'rt-new', ...(idTokenClaims && { idTokenClaims }) })
      if (idTokenClaims === undefined) delete json.id_token
      return HttpResponse.json(json)
    })
  }

  function manager(): TokenManager {
    return new TokenManager({ client: new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, retries: 0 }) })
  }

  it('refuses a refreshed ID token for another sub with IdTokenError, and keeps the stored session unchanged', async () => {
    const m = manager()
    const session = await storedSession()
    await m.save('s', session)
    refreshAnswers({ sub: OTHER })
    const err = await m.getAccessToken('s').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(IdTokenError)
    expect((err as Error).message).toMatch(/another user/)
    for (const text of [String(err), JSON.stringify(err)]) {
      for (const secret of [OTHER, USER, 'at-old', 'rt-old', 'rt-new']) expect(text).not.toContain(secret)
    }
    expect(await m.storage.get('s')).toEqual(session)
    expect(requests.filter((r) => r.form.get('grant_type') === 'refresh_token')).toHaveLength(1)
  })

  it('refuses a refreshed ID token from another issuer than the session\'s, and keeps the stored session', async () => {
    const m = manager()
    const session = await storedSession({ iss: 'https://another-tenant.example/' })
    await m.save('s', session)
    refreshAnswers({ sub: USER })
    await expect(m.getAccessToken('s')).rejects.toBeInstanceOf(IdTokenError)
    expect(await m.storage.get('s')).toEqual(session)
  })

  it('gives every concurrent caller, and TokenManager.fetch, the same refusal; nothing is sent to the API', async () => {
    const m = manager()
    const session = await storedSession()
    await m.save('s', session)
    refreshAnswers({ sub: OTHER })
    const results = await Promise.allSettled([m.getAccessToken('s'), m.getAccessToken('s'), m.fetch('s', 'https://api.example.com/contacts')])
    for (const r of results) expect(r).toMatchObject({ status: 'rejected', reason: expect.any(IdTokenError) })
    expect(requests.filter((r) => r.url.hostname === 'api.example.com')).toHaveLength(0)
    expect(await m.storage.get('s')).toEqual(session)
  })

  it('stores a refresh whose ID token is for the same user, with its new claims', async () => {
    const m = manager()
    await m.save('s', await storedSession())
    refreshAnswers({ sub: USER })
    const token = await m.getAccessToken('s')
    const stored = await m.storage.get('s')
    expect(stored?.accessToken).toBe(token)
    expect(stored?.refreshToken).toBe('rt-new')
    expect(stored?.claims?.sub).toBe(USER)
    expect(stored?.claims?.iat).toBeGreaterThanOrEqual(now() - 5)
  })

  it('keeps the session\'s ID token and claims when the refresh answers no ID token', async () => {
    const m = manager()
    const session = await storedSession()
    await m.save('s', session)
    refreshAnswers(undefined)
    const token = await m.getAccessToken('s')
    const stored = await m.storage.get('s')
    expect(token).not.toBe('at-old')
    expect(stored).toMatchObject({ accessToken: token, refreshToken: 'rt-new', idToken: session.idToken, claims: session.claims })
  })
})
