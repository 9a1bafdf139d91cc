// TokenManager.fetch and TokenManager.clear against a stand-in Auth0 tenant: authcode/testing's
// msw handlers (useAuth0Handlers: real codes and refresh tokens, rotation, /oauth/revoke, a
// request log), with sessions from a real login (signIn).
//
// "waits for a running refresh, so a logout is not undone…" keeps a small msw handler of its own
// (onToken): a gate holds one refresh open until the test releases it, which the handlers'
// fail({ delayMs }) timer cannot make certain.
// The API the tokens are sent to (https://api.example.com) is a plain msw handler: it is a
// resource server, not the tenant.
import { describe, expect, it } from 'vitest'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { ConfigError, NetworkError, TimeoutError, TokenClient, TokenManager, generateDpopKeyPair } from 'authcode'
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, HttpResponse, http, onToken, server, useAuth0Handlers, useMockServer } from '../helpers/auth0.js'
import { now } from '../helpers/signers.js'
import { client, expired, recordingStorage, tenantSessions } from '../helpers/sessions.js'

const log = useMockServer()
const auth0 = await useAuth0Handlers()
const { signIn, refreshRequests } = tenantSessions(auth0)
const API = 'https://api.example.com/contacts'

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

  it('retries after a 401 that has a JSON body, without waiting for that body to be read', async () => {
    const session = await signIn({ expiresAt: now() + 3600 })
    let calls = 0
    server.use(http.post(API, () => (calls++, HttpResponse.json({ error: 'invalid_token' }, { status: 401 }))))
    const manager = new TokenManager({ client: client() })
    await manager.save('user-1', session)
    const res = await manager.fetch('user-1', API, { method: 'POST', body: '{}' })
    expect(res.status).toBe(401)
    expect(calls).toBe(2)
  }, 5000)

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
