// createAuthorizationRequest: a login's URL (state, nonce, PKCE) and the transaction to keep, without any network request.
import { describe, expect, it } from 'vitest'
import { type ClientConfig, createAuthorizationRequest, createCodeChallenge } from 'authcode'
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, ISSUER, REDIRECT_URI, useMockServer } from '../helpers/auth0.js'
import { expectConfigRejection, loose } from '../helpers/config-error.js'

// Every request that reaches the network is recorded (and an unhandled one fails the test):
// nothing in this file may need the network.
const log = useMockServer()

describe('createAuthorizationRequest', () => {
  const config: ClientConfig = { domain: DOMAIN, clientId: CLIENT_ID }

  it('builds the URL for the configured domain without any network request', async () => {
    const { url } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    expect(`${url.origin}${url.pathname}`).toBe(`https://${DOMAIN}/authorize`)
    expect(url.searchParams.get('response_type')).toBe('code')
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID)
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT_URI)
    expect(log).toHaveLength(0)
  })

  it('sends a PKCE S256 challenge of the transaction verifier', async () => {
    const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    expect(transaction.codeVerifier.length).toBeGreaterThanOrEqual(43)
    expect(url.searchParams.get('code_challenge')).toBe(await createCodeChallenge(transaction.codeVerifier))
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('code_challenge')).not.toBe(transaction.codeVerifier)
  })

  it('sends the state it stores in the transaction', async () => {
    const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    expect(transaction.state.length).toBeGreaterThanOrEqual(43)
    expect(url.searchParams.get('state')).toBe(transaction.state)
  })

  it('uses the scope "openid profile email" by default and then sends a nonce it stores', async () => {
    const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    expect(url.searchParams.get('scope')).toBe('openid profile email')
    expect(transaction.nonce).toBeTypeOf('string')
    expect(transaction.nonce!.length).toBeGreaterThanOrEqual(43)
    expect(url.searchParams.get('nonce')).toBe(transaction.nonce)
  })

  it('sends a nonce when an array scope includes openid', async () => {
    const { url, transaction } = await createAuthorizationRequest(config, {
      redirectUri: REDIRECT_URI,
      scope: ['openid', 'offline_access'],
    })
    expect(url.searchParams.get('scope')).toBe('openid offline_access')
    expect(url.searchParams.get('nonce')).toBe(transaction.nonce)
    expect(transaction.nonce).toBeDefined()
  })

  it('sends no nonce when the scope lacks openid (even as part of another word)', async () => {
    for (const scope of ['appointments contacts', 'openidx profile']) {
      const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI, scope })
      expect(url.searchParams.has('nonce')).toBe(false)
      expect('nonce' in transaction).toBe(false)
    }
  })

  it('takes audience from the config by default', async () => {
    const { url } = await createAuthorizationRequest(
      { ...config, audience: 'https://api.example.com' },
      { redirectUri: REDIRECT_URI },
    )
    expect(url.searchParams.get('audience')).toBe('https://api.example.com')
  })

  it('lets the audience parameter override the config audience', async () => {
    const { url } = await createAuthorizationRequest(
      { ...config, audience: 'https://api.example.com' },
      { redirectUri: REDIRECT_URI, audience: 'appointments:api' },
    )
    expect(url.searchParams.getAll('audience')).toEqual(['appointments:api'])
  })

  it('sends no audience when neither the config nor the call gives one', async () => {
    const { url } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    expect(url.searchParams.has('audience')).toBe(false)
  })

  it('records redirectUri, issuer, organization and maxAge in the transaction', async () => {
    const { url, transaction } = await createAuthorizationRequest(config, {
      redirectUri: REDIRECT_URI,
      organization: 'org_1',
      invitation: 'inv_1',
      maxAge: 300,
    })
    expect(transaction.redirectUri).toBe(REDIRECT_URI)
    expect(transaction.issuer).toBe(`https://${DOMAIN}/`)
    expect(transaction.issuer).toBe(ISSUER)
    expect(transaction.organization).toBe('org_1')
    expect(transaction.maxAge).toBe(300)
    expect(url.searchParams.get('organization')).toBe('org_1')
    expect(url.searchParams.get('invitation')).toBe('inv_1')
    expect(url.searchParams.get('max_age')).toBe('300')
  })

  it('leaves organization and maxAge out of the transaction when not asked for', async () => {
    const { transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    expect('organization' in transaction).toBe(false)
    expect('maxAge' in transaction).toBe(false)
  })

  it('normalizes an https:// domain with a trailing slash to the same issuer and endpoint', async () => {
    const { url, transaction } = await createAuthorizationRequest(
      { domain: `https://${DOMAIN}/`, clientId: CLIENT_ID },
      { redirectUri: REDIRECT_URI },
    )
    expect(`${url.origin}${url.pathname}`).toBe(`https://${DOMAIN}/authorize`)
    expect(transaction.issuer).toBe(ISSUER)
  })

  it('makes a new state, verifier and nonce on every call', async () => {
    const a = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    const b = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    expect(a.transaction.state).not.toBe(b.transaction.state)
    expect(a.transaction.codeVerifier).not.toBe(b.transaction.codeVerifier)
    expect(a.transaction.nonce).not.toBe(b.transaction.nonce)
    expect(a.url.searchParams.get('code_challenge')).not.toBe(b.url.searchParams.get('code_challenge'))
  })

  it('passes the other options through to the URL', async () => {
    const { url } = await createAuthorizationRequest(config, {
      redirectUri: REDIRECT_URI,
      prompt: 'login',
      connection: 'Username-Password-Authentication',
      screenHint: 'signup',
      extraParams: { foo: 'bar' },
    })
    expect(url.searchParams.get('prompt')).toBe('login')
    expect(url.searchParams.get('connection')).toBe('Username-Password-Authentication')
    expect(url.searchParams.get('screen_hint')).toBe('signup')
    expect(url.searchParams.get('foo')).toBe('bar')
  })

  it('puts the parameters in the documented order, with the challenge of the verifier in its place', async () => {
    const { url, transaction } = await createAuthorizationRequest(config, {
      redirectUri: REDIRECT_URI,
      audience: 'https://api.example.com',
      prompt: 'login',
    })
    expect([...url.searchParams.keys()]).toEqual([
      'response_type',
      'client_id',
      'redirect_uri',
      'scope',
      'audience',
      'state',
      'nonce',
      'code_challenge',
      'code_challenge_method',
      'prompt',
    ])
    expect(url.searchParams.get('code_challenge')).toBe(await createCodeChallenge(transaction.codeVerifier))
  })

  it('sends neither par, signal nor keys that are not options', async () => {
    const { url } = await createAuthorizationRequest(
      config,
      loose<Parameters<typeof createAuthorizationRequest>[1]>({
        redirectUri: REDIRECT_URI,
        par: false,
        signal: new AbortController().signal,
        state: 'caller-state',
        nonce: 'caller-nonce',
        codeChallenge: 'caller-challenge',
        domain: 'other.example.com',
        bogus: 'x',
      }),
    )
    const q = url.searchParams
    expect(url.host).toBe(DOMAIN)
    for (const name of ['par', 'signal', 'bogus']) expect(q.has(name)).toBe(false)
    expect(q.get('state')).not.toBe('caller-state')
    expect(q.get('nonce')).not.toBe('caller-nonce')
    expect(q.get('code_challenge')).not.toBe('caller-challenge')
  })

  it('works for a confidential client (clientSecret given)', async () => {
    const { url } = await createAuthorizationRequest({ ...config, clientSecret: CLIENT_SECRET }, { redirectUri: REDIRECT_URI })
    expect(url.href).not.toContain(CLIENT_SECRET)
  })

  it.each([
    ['clientId', { domain: DOMAIN, clientId: '' }],
    ['timeoutMs', { domain: DOMAIN, clientId: CLIENT_ID, timeoutMs: -1 }],
    ['clientAuth', { domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'bogus' }],
    ['issuer', { domain: DOMAIN, issuer: ISSUER, clientId: CLIENT_ID }],
    ['domain', { clientId: CLIENT_ID }],
    ['clientSecret', { domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'client_secret_basic' }],
    ['clientSecret', { domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'client_secret_post' }],
    ['privateKey', { domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'private_key_jwt' }],
    ['domain', { domain: `http://${DOMAIN}`, clientId: CLIENT_ID }],
    ['domain', { domain: `${DOMAIN}/path`, clientId: CLIENT_ID }],
  ])('refuses a config with a bad %s, naming that field', async (field, bad) => {
    await expectConfigRejection(() => createAuthorizationRequest(loose<ClientConfig>(bad), { redirectUri: REDIRECT_URI }), field)
  })

  it('refuses a bad redirectUri, naming redirectUri', async () => {
    for (const redirectUri of ['/callback', 'com.app:/cb', `${REDIRECT_URI}#x`]) {
      await expectConfigRejection(() => createAuthorizationRequest(config, { redirectUri }), 'redirectUri')
    }
  })

  it('refuses an option that buildAuthorizeUrl refuses, naming it', async () => {
    await expectConfigRejection(() => createAuthorizationRequest(config, { redirectUri: REDIRECT_URI, maxAge: -5 }), 'maxAge')
    await expectConfigRejection(
      () => createAuthorizationRequest(config, { redirectUri: REDIRECT_URI, extraParams: { state: 'x' } }),
      'extraParams.state',
    )
  })
})
