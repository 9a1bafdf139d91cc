// TokenManager against a stand-in Auth0 tenant: authcode/testing's msw handlers
// (useAuth0Handlers: real codes and refresh tokens, rotation, reuse detection, /oauth/revoke,
// fail() switches, a request log). Sessions come from a real login (signIn) and refreshes are
// counted in the handlers' request log.
//
// A few tests keep a small msw handler of their own (onToken), because the point is a server
// behaviour the handlers cannot express:
// - "does not make one key wait for another key's refresh" and "waits for a running refresh, so
//   a logout is not undone…": a gate holds one refresh open until the test releases it; the
//   handlers' fail({ delayMs }) is a timer, per grant type, not per refresh token, so the
//   interleaving would depend on timing instead of being certain.
// - "uses the newer tokens another instance stored when its own refresh loses the rotation
//   race": the endpoint writes the other instance's tokens into the app's storage while the
//   refresh is in flight, then answers invalid_grant; the handlers cannot touch app storage.
// - "takes the expiry from a JWT access token's exp when the reply has no expires_in": the
//   handlers always answer expires_in.
// The API the tokens are sent to (https://api.example.com) is a plain msw handler throughout:
// it is a resource server, not the tenant.
import { describe, expect, it } from 'vitest'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import {
  ConfigError,
  LoginRequiredError,
  MemoryStorage,
  NetworkError,
  ResponseError,
  TimeoutError,
  TokenClient,
  TokenManager,
  createAuthorizationRequest,
  generateDpopKeyPair,
  validateCallback,
  type TokenSet,
  type TokenStorage,
} from 'authcode'
import { createAuth0Handlers, type Auth0Handlers } from 'authcode/testing'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  DOMAIN,
  HttpResponse,
  REDIRECT_URI,
  http,
  onToken,
  server,
  testTenant,
  useAuth0Handlers,
  useMockServer,
} from './helpers/auth0.js'

const log = useMockServer()
const auth0 = await useAuth0Handlers()
const API = 'https://api.example.com/contacts'
const now = () => Math.floor(Date.now() / 1000)

function client(): TokenClient {
  return new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, retries: 0 })
}

function expired(overrides: Partial<TokenSet> = {}): TokenSet {
  return { accessToken: 'old-access', tokenType: 'Bearer', expiresAt: now() - 10, refreshToken: 'rt-1', ...overrides }
}

/**
 * Logs the test user in at the stand-in tenant (authorize -> callback -> code exchange) and
 * returns the tokens, with a refresh token the tenant knows, expired unless overridden.
 */
async function signIn(overrides: Partial<TokenSet> = {}, tenant: Auth0Handlers = auth0): Promise<TokenSet> {
  const config = { domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }
  const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI, scope: 'openid offline_access' })
  const { code } = validateCallback(await tenant.authorize(url), transaction)
  const tokens = await client().exchangeCode({ code, ...transaction })
  expect(tokens.refreshToken).toBeTruthy()
  return { ...tokens, expiresAt: now() - 10, ...overrides }
}

/** The refresh grants the stand-in tenant received. */
const refreshRequests = (tenant: Auth0Handlers = auth0) => tenant.requests.filter((r) => r.grantType === 'refresh_token')

/** A storage that records the order of operations, over a MemoryStorage. */
function recordingStorage(events: string[]): TokenStorage & { inner: MemoryStorage } {
  const inner = new MemoryStorage()
  return {
    inner,
    get: (k) => inner.get(k),
    async set(k, v) {
      events.push(`set ${v.accessToken} ${v.refreshToken}`)
      await inner.set(k, v)
    },
    async delete(k) {
      events.push('delete')
      await inner.delete(k)
    },
  }
}

describe('MemoryStorage', () => {
  it('copies values in and out, so callers cannot mutate what is stored', async () => {
    const storage = new MemoryStorage()
    const tokens: TokenSet = { accessToken: 'a', tokenType: 'Bearer', claims: { iss: 'i', sub: 's', aud: 'x', exp: 1, iat: 1 } }
    await storage.set('k', tokens)
    tokens.accessToken = 'changed after set'
    tokens.claims!.sub = 'changed'
    const read = await storage.get('k')
    expect(read?.accessToken).toBe('a')
    expect(read?.claims?.sub).toBe('s')
    read!.accessToken = 'changed after get'
    expect((await storage.get('k'))?.accessToken).toBe('a')
    await storage.delete('k')
    expect(await storage.get('k')).toBeUndefined()
  })
})

describe('TokenManager.getAccessToken', () => {
  it('returns the stored access token with no HTTP request while it is fresh', async () => {
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', { accessToken: 'cached', tokenType: 'Bearer', expiresAt: now() + 3600, refreshToken: 'rt' })
    for (let i = 0; i < 5; i++) expect(await manager.getAccessToken('user-1')).toBe('cached')
    expect(log).toHaveLength(0)
  })

  it('refreshes when the token expires within the leeway (default 60 s)', async () => {
    const session = await signIn({ expiresAt: now() + 30 })
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', session)
    const token = await manager.getAccessToken('user-1')
    expect(token).not.toBe(session.accessToken)
    expect(refreshRequests()).toHaveLength(1)
    expect(refreshRequests()[0]!.status).toBe(200)
    expect((await manager.storage.get('user-1'))?.accessToken).toBe(token)
    const sent = refreshRequests()[0]!.form
    expect(sent.get('refresh_token')).toBe(session.refreshToken)
    expect(sent.get('client_id')).toBe(CLIENT_ID)
  })

  it('honours a custom leeway', async () => {
    const session = await signIn({ expiresAt: now() + 30 })
    const manager = new TokenManager({ client: client(), leewaySeconds: 10 })
    await manager.save('user-1', session)
    expect(await manager.getAccessToken('user-1')).toBe(session.accessToken)
    // No HTTP request but the login's code exchange.
    expect(log.filter((r) => r.form.get('grant_type') !== 'authorization_code')).toHaveLength(0)
    expect(refreshRequests()).toHaveLength(0)
  })

  it('refreshes once for 1,000 concurrent callers of one expired key', async () => {
    const session = await signIn()
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', session)
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => manager.getAccessToken('user-1')))
    expect(refreshRequests()).toHaveLength(1)
    const stored = await manager.storage.get('user-1')
    expect(new Set(tokens)).toEqual(new Set([stored?.accessToken]))
    expect(stored?.accessToken).not.toBe(session.accessToken)
    // The rotated refresh token was stored; the one spent is rotated away.
    expect(stored?.refreshToken).not.toBe(session.refreshToken)
    expect(auth0.refreshTokenStatus(stored!.refreshToken!)).toBe('active')
    expect(auth0.refreshTokenStatus(session.refreshToken!)).toBe('rotated')
  })

  it('does not make one key wait for another key’s refresh', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    onToken(async ({ request }) => {
      const form = new URLSearchParams(await request.text())
      if (form.get('refresh_token') === 'rt-slow') await gate
      return HttpResponse.json({ access_token: `new-for-${form.get('refresh_token')}`, token_type: 'Bearer', expires_in: 3600 })
    })
    const manager = new TokenManager({ client: client() })
    await manager.save('slow', expired({ refreshToken: 'rt-slow' }))
    await manager.save('fast', expired({ refreshToken: 'rt-fast' }))
    let slowDone = false
    const slow = manager.getAccessToken('slow').then((t) => ((slowDone = true), t))
    expect(await manager.getAccessToken('fast')).toBe('new-for-rt-fast')
    expect(slowDone).toBe(false)
    release()
    expect(await slow).toBe('new-for-rt-slow')
  })

  it('stores a rotated refresh token before returning the new access token', async () => {
    const session = await signIn()
    const events: string[] = []
    const storage = recordingStorage(events)
    const manager = new TokenManager({ client: client(), storage })
    await manager.save('user-1', session)
    events.length = 0
    const token = await manager.getAccessToken('user-1')
    events.push(`returned ${token}`)
    const stored = await storage.get('user-1')
    expect(token).not.toBe(session.accessToken)
    expect(stored?.refreshToken).not.toBe(session.refreshToken)
    expect(auth0.refreshTokenStatus(stored!.refreshToken!)).toBe('active')
    expect(events).toEqual([`set ${token} ${stored?.refreshToken}`, `returned ${token}`])
  })

  it('keeps the old refresh token when the reply has no new one', async () => {
    // A tenant with rotation off: a refresh answers no refresh_token and the one sent stays valid.
    const noRotation = createAuth0Handlers(await testTenant(), { clientSecret: CLIENT_SECRET, refreshTokenRotation: false })
    server.use(...noRotation.handlers)
    const session = await signIn({}, noRotation)
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', session)
    expect(await manager.getAccessToken('user-1')).not.toBe(session.accessToken)
    expect(refreshRequests(noRotation)).toHaveLength(1)
    expect((await manager.storage.get('user-1'))?.refreshToken).toBe(session.refreshToken)
    expect(noRotation.refreshTokenStatus(session.refreshToken!)).toBe('active')
  })

  it('leaves stored tokens untouched when a refresh fails for a reason other than invalid_grant', async () => {
    const before = await signIn()
    auth0.fail({ status: 502, grant: 'refresh_token' }) // a proxy's HTML error page
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', before)
    const err = await manager.getAccessToken('user-1').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseError)
    expect((err as ResponseError).status).toBe(502)
    expect(refreshRequests()).toHaveLength(1)
    expect(await manager.storage.get('user-1')).toEqual(before)
  })

  it('clears the key and throws LoginRequiredError on invalid_grant', async () => {
    const session = await signIn()
    auth0.fail('invalid_grant', { grant: 'refresh_token' })
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', session)
    const err = await manager.getAccessToken('user-1').catch((e: unknown) => e)
    expect(refreshRequests()[0]?.status).toBe(403)
    expect(err).toBeInstanceOf(LoginRequiredError)
    expect((err as LoginRequiredError).code).toBe('ERR_LOGIN_REQUIRED')
    expect(String(err)).not.toContain(session.refreshToken!)
    expect(await manager.storage.get('user-1')).toBeUndefined()
  })

  it('uses the newer tokens another instance stored when its own refresh loses the rotation race', async () => {
    const storage = new MemoryStorage()
    const manager = new TokenManager({ client: client(), storage })
    await manager.save('user-1', expired())
    // The other instance spends rt-1 first and stores its result; ours then gets invalid_grant.
    onToken(async () => {
      await storage.set('user-1', { accessToken: 'from-other-instance', tokenType: 'Bearer', expiresAt: now() + 3600, refreshToken: 'rt-2' })
      return HttpResponse.json({ error: 'invalid_grant' }, { status: 403 })
    })
    expect(await manager.getAccessToken('user-1')).toBe('from-other-instance')
    expect((await storage.get('user-1'))?.refreshToken).toBe('rt-2')
  })

  it('throws LoginRequiredError for a key with no tokens, and for expired tokens without a refresh token', async () => {
    const manager = new TokenManager({ client: client() })
    await expect(manager.getAccessToken('nobody')).rejects.toBeInstanceOf(LoginRequiredError)
    await manager.save('no-rt', expired({ refreshToken: undefined as never }))
    const stored = await manager.storage.get('no-rt')
    delete stored!.refreshToken
    await manager.storage.set('no-rt', stored!)
    await expect(manager.getAccessToken('no-rt')).rejects.toBeInstanceOf(LoginRequiredError)
    expect(log).toHaveLength(0)
  })

  it('forceRefresh refreshes a fresh token', async () => {
    const session = await signIn({ expiresAt: now() + 3600 })
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', session)
    const token = await manager.getAccessToken('user-1', { forceRefresh: true })
    expect(token).not.toBe(session.accessToken)
    expect((await manager.storage.get('user-1'))?.accessToken).toBe(token)
    expect(refreshRequests()).toHaveLength(1)
  })

  it('takes the expiry from a JWT access token’s exp when the reply has no expires_in', async () => {
    const tenant = await testTenant()
    const exp = now() + 1234
    const jwt = await tenant.signAccessToken({ exp })
    onToken(() => HttpResponse.json({ access_token: jwt, token_type: 'Bearer', refresh_token: 'rt-2' }))
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', expired())
    await manager.getAccessToken('user-1')
    expect((await manager.storage.get('user-1'))?.expiresAt).toBe(exp)
  })

  it('keeps an opaque token with no expires_in until the API answers 401', async () => {
    // The tenant has no audience, so its access tokens are opaque; this one is stored with no expiry.
    const { accessToken: opaque, refreshToken } = await signIn()
    expect(opaque.split('.')).toHaveLength(1)
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', { accessToken: opaque, tokenType: 'Bearer', refreshToken: refreshToken! })
    expect(await manager.getAccessToken('user-1')).toBe(opaque)
    expect(refreshRequests()).toHaveLength(0)
    const sent: (string | null)[] = []
    server.use(
      http.get(API, ({ request }) => {
        sent.push(request.headers.get('authorization'))
        return request.headers.get('authorization') === `Bearer ${opaque}`
          ? new HttpResponse(null, { status: 401 })
          : HttpResponse.json({ ok: true })
      }),
    )
    const res = await manager.fetch('user-1', API)
    expect(res.status).toBe(200)
    expect(sent).toHaveLength(2)
    expect(refreshRequests()).toHaveLength(1)
    const fresh = await manager.getAccessToken('user-1')
    expect(fresh).not.toBe(opaque)
    expect(sent[1]).toBe(`Bearer ${fresh}`)
  })
})

describe('TokenManager.fetch', () => {
  it('sends the access token as "authorization: Bearer …" with the caller’s headers', async () => {
    let seen: Headers | undefined
    server.use(
      http.get(API, ({ request }) => {
        seen = request.headers
        return HttpResponse.json([{ name: 'Ada' }])
      }),
    )
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', { accessToken: 'tok-123', tokenType: 'Bearer', expiresAt: now() + 3600 })
    const res = await manager.fetch('user-1', API, { headers: { 'content-type': 'application/json' } })
    expect(await res.json()).toEqual([{ name: 'Ada' }])
    expect(seen?.get('authorization')).toBe('Bearer tok-123')
    expect(seen?.get('content-type')).toBe('application/json')
  })

  it('sends a DPoP-bound token with the DPoP scheme and a proof for this request (RFC 9449)', async () => {
    const dpop = await generateDpopKeyPair()
    let auth: string | null = null
    let proof: string | null = null
    server.use(
      http.get(API, ({ request }) => {
        auth = request.headers.get('authorization')
        proof = request.headers.get('dpop')
        return HttpResponse.json({})
      }),
    )
    const dpopClient = new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, dpop })
    const manager = new TokenManager({ client: dpopClient })
    await manager.save('user-1', { accessToken: 'bound', tokenType: 'DPoP', expiresAt: now() + 3600 })
    await manager.fetch('user-1', `${API}?page=2`)
    expect(auth).toBe('DPoP bound')
    const header = decodeProtectedHeader(proof!)
    const payload = decodeJwt(proof!)
    expect(header.typ).toBe('dpop+jwt')
    expect(payload.htm).toBe('GET')
    expect(payload.htu).toBe(API)
    const ath = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('bound'))).toString('base64url')
    expect(payload.ath).toBe(ath)
  })

  it('refuses to send an access token to a plain-http API unless the client allows insecure requests', async () => {
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', { accessToken: 'tok', tokenType: 'Bearer', expiresAt: now() + 3600 })
    await expect(manager.fetch('user-1', 'http://api.example.com/contacts')).rejects.toBeInstanceOf(ConfigError)
    expect(log).toHaveLength(0)
    let seen: string | null = null
    server.use(http.get('http://api.example.com/contacts', ({ request }) => ((seen = request.headers.get('authorization')), HttpResponse.json({}))))
    const dev = new TokenManager({ client: new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, allowInsecureRequests: true }) })
    await dev.save('user-1', { accessToken: 'tok', tokenType: 'Bearer', expiresAt: now() + 3600 })
    expect((await dev.fetch('user-1', 'http://api.example.com/contacts')).status).toBe(200)
    expect(seen).toBe('Bearer tok')
  })

  it('gives the API the client\'s timeoutMs for its headers: TimeoutError when it never answers', async () => {
    const slow = new TokenManager({ client: new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, timeoutMs: 100 }) })
    await slow.save('user-1', { accessToken: 'tok', tokenType: 'Bearer', expiresAt: now() + 3600 })
    server.use(http.get(API, () => new Promise<never>(() => {})))
    const err = await slow.fetch('user-1', API).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
  })

  it('reports an API that cannot be reached as NetworkError', async () => {
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', { accessToken: 'tok', tokenType: 'Bearer', expiresAt: now() + 3600 })
    server.use(http.get(API, () => HttpResponse.error()))
    const err = await manager.fetch('user-1', API).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NetworkError)
    expect(String(err)).not.toContain('tok')
  })

  it('refuses to send a DPoP token without the key pair it is bound to', async () => {
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', { accessToken: 'bound', tokenType: 'DPoP', expiresAt: now() + 3600 })
    await expect(manager.fetch('user-1', API)).rejects.toBeInstanceOf(ConfigError)
  })

  it('on a 401 refreshes once and retries once; a second 401 is returned', async () => {
    const session = await signIn({ expiresAt: now() + 3600 })
    let calls = 0
    server.use(http.post(API, () => (calls++, new HttpResponse(null, { status: 401 }))))
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', session)
    const res = await manager.fetch('user-1', API, { method: 'POST', body: JSON.stringify({ a: 1 }) })
    expect(res.status).toBe(401)
    expect(calls).toBe(2)
    expect(refreshRequests()).toHaveLength(1)
  })

  it('replays a string body on the retry', async () => {
    const session = await signIn({ expiresAt: now() + 3600 })
    const bodies: string[] = []
    server.use(
      http.post(API, async ({ request }) => {
        bodies.push(await request.text())
        return request.headers.get('authorization') === `Bearer ${session.accessToken}` ? new HttpResponse(null, { status: 401 }) : HttpResponse.json({ ok: 1 })
      }),
    )
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', session)
    const res = await manager.fetch('user-1', API, { method: 'POST', body: '{"a":1}' })
    expect(res.status).toBe(200)
    expect(refreshRequests()).toHaveLength(1)
    expect(bodies).toEqual(['{"a":1}', '{"a":1}'])
  })

  it('never retries a request whose body was a one-shot stream', async () => {
    const session = await signIn({ expiresAt: now() + 3600 })
    let calls = 0
    server.use(http.post(API, () => (calls++, new HttpResponse(null, { status: 401 }))))
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', session)
    const body = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('chunk'))
        c.close()
      },
    })
    const res = await manager.fetch('user-1', API, { method: 'POST', body, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(401)
    expect(calls).toBe(1)
    expect(refreshRequests()).toHaveLength(0)
  })
})

describe('TokenManager.clear', () => {
  it('revokes the refresh token at /oauth/revoke, then deletes', async () => {
    const session = await signIn()
    const rt = session.refreshToken!
    const events: string[] = []
    const storage = recordingStorage(events)
    const manager = new TokenManager({ client: client(), storage })
    await manager.save('user-1', session)
    events.length = 0
    // Record, at the delete, what the tenant then says of the refresh token: revoked already?
    const del = storage.delete
    storage.delete = async (k) => {
      events.push(`refresh token ${auth0.refreshTokenStatus(rt)}`)
      await del(k)
    }
    await manager.clear('user-1', { revoke: true })
    const revokes = log.filter((r) => r.url.pathname === '/oauth/revoke').map((r) => `revoke ${r.form.get('token')} ${r.form.get('token_type_hint')}`)
    expect(revokes).toEqual([`revoke ${rt} refresh_token`])
    expect(events).toEqual(['refresh token revoked', 'delete'])
    expect(await storage.get('user-1')).toBeUndefined()
  })

  it('waits for a running refresh, so a logout is not undone by the refresh storing its tokens', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    onToken(async () => {
      await gate
      return HttpResponse.json({ access_token: 'after-logout', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-2' })
    })
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', expired())
    const refreshing = manager.getAccessToken('user-1')
    await new Promise((r) => setTimeout(r, 20))
    const clearing = manager.clear('user-1')
    release()
    await refreshing
    await clearing
    expect(await manager.storage.get('user-1')).toBeUndefined()
  })

  it('deletes without a request when revoke is not asked for', async () => {
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', expired())
    await manager.clear('user-1')
    expect(await manager.storage.get('user-1')).toBeUndefined()
    expect(log).toHaveLength(0)
  })
})
