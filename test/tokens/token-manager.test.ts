// TokenManager.getAccessToken against a stand-in Auth0 tenant: authcode/testing/msw's handlers
// (useAuth0Handlers: real codes and refresh tokens, rotation, reuse detection, fail() switches, a
// request log). Sessions come from a real login (signIn) and refreshes are counted in the
// handlers' request log.
//
// A few tests keep a small msw handler of their own (onToken), because the point is a server
// behaviour the handlers cannot express:
// - "does not make one key wait for another key's refresh": a gate holds one refresh open until
//   the test releases it; the handlers' fail({ delayMs }) is a timer, per grant type, not per
//   refresh token, so the interleaving would depend on timing instead of being certain.
// - "uses the newer tokens another instance stored when its own refresh loses the rotation
//   race": the endpoint writes the other instance's tokens into the app's storage while the
//   refresh is in flight, then answers invalid_grant; the handlers cannot touch app storage.
// - "takes the expiry from a JWT access token's exp when the reply has no expires_in": the
//   handlers always answer expires_in.
// The API the tokens are sent to (https://api.example.com) is a plain msw handler: it is a
// resource server, not the tenant.
import { describe, expect, it } from 'vitest'
import { LoginRequiredError, MemoryStorage, ResponseError, TokenManager } from 'authcode'
import { createAuth0Handlers } from 'authcode/testing/msw'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  HttpResponse,
  http,
  onToken,
  server,
  testTenant,
  useAuth0Handlers,
  useMockServer,
} from '../helpers/auth0.js'
import { now } from '../helpers/signers.js'
import { client, expired, recordingStorage, tenantSessions } from '../helpers/sessions.js'

const log = useMockServer()
const auth0 = await useAuth0Handlers()
const { signIn, refreshRequests } = tenantSessions(auth0)
const API = 'https://api.example.com/contacts'

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
