// buildAuthorizeUrl and parseInvitationUrl: the /authorize URL, its parameter checks, and Auth0 organization invitations.
import { describe, expect, it } from 'vitest'
import { type BuildAuthorizeUrlParams, CallbackError, ConfigError, buildAuthorizeUrl, parseInvitationUrl } from 'authcode'
import { CLIENT_ID, DOMAIN, REDIRECT_URI, useMockServer } from '../helpers/auth0.js'
import { thrown } from '../helpers/outcome.js'
import { expectConfigError, loose } from '../helpers/config-error.js'

// Every request that reaches the network is recorded (and an unhandled one fails the test):
// nothing in this file may need the network.
const log = useMockServer()

const base = { domain: DOMAIN, clientId: CLIENT_ID, redirectUri: REDIRECT_URI, state: 'xyzABC123' } satisfies BuildAuthorizeUrlParams

describe('buildAuthorizeUrl', () => {
  it('builds the seed example of Auth0 documentation exactly', () => {
    const url = buildAuthorizeUrl({
      domain: DOMAIN,
      clientId: CLIENT_ID,
      redirectUri: REDIRECT_URI,
      scope: 'appointments contacts',
      audience: 'appointments:api',
      state: 'xyzABC123',
    })
    expect(url.href).toBe(
      `https://${DOMAIN}/authorize?response_type=code&client_id=${CLIENT_ID}` +
        '&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&scope=appointments+contacts' +
        '&audience=appointments%3Aapi&state=xyzABC123',
    )
    expect(url.searchParams.get('scope')).toBe('appointments contacts')
    expect(url.searchParams.get('audience')).toBe('appointments:api')
    expect(url.searchParams.get('state')).toBe('xyzABC123')
  })

  it('carries every parameter of the Auth0 example, including organization and invitation', () => {
    const url = buildAuthorizeUrl({
      ...base,
      scope: 'openid profile',
      audience: 'https://api.example.com',
      organization: 'org_W30oEjaGmq3Cz9Jx',
      invitation: 'Ykbw3dC7pZcRvQh0OZOhjrx5ImmZHQjW',
    })
    const q = url.searchParams
    expect(url.origin + url.pathname).toBe(`https://${DOMAIN}/authorize`)
    expect(q.get('response_type')).toBe('code')
    expect(q.get('client_id')).toBe(CLIENT_ID)
    expect(q.get('redirect_uri')).toBe(REDIRECT_URI)
    expect(q.get('scope')).toBe('openid profile')
    expect(q.get('audience')).toBe('https://api.example.com')
    expect(q.get('state')).toBe('xyzABC123')
    expect(q.get('organization')).toBe('org_W30oEjaGmq3Cz9Jx')
    expect(q.get('invitation')).toBe('Ykbw3dC7pZcRvQh0OZOhjrx5ImmZHQjW')
  })

  it('maps every optional parameter to its wire name', () => {
    const url = buildAuthorizeUrl({
      ...base,
      nonce: 'n-0S6_WzA2Mj',
      codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      codeChallengeMethod: 'S256',
      prompt: 'login consent',
      connection: 'google-oauth2',
      loginHint: 'user@example.com',
      screenHint: 'signup',
      maxAge: 3600,
      uiLocales: 'fr-CA en',
      responseMode: 'form_post',
      extraParams: { acr_values: 'http://schemas.openid.net/pape/policies/2007/06/multi-factor', custom: 'x y' },
    })
    const q = url.searchParams
    expect(q.get('nonce')).toBe('n-0S6_WzA2Mj')
    expect(q.get('code_challenge')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
    expect(q.get('code_challenge_method')).toBe('S256')
    expect(q.get('prompt')).toBe('login consent')
    expect(q.get('connection')).toBe('google-oauth2')
    expect(q.get('login_hint')).toBe('user@example.com')
    expect(q.get('screen_hint')).toBe('signup')
    expect(q.get('max_age')).toBe('3600')
    expect(q.get('ui_locales')).toBe('fr-CA en')
    expect(q.get('response_mode')).toBe('form_post')
    expect(q.get('acr_values')).toBe('http://schemas.openid.net/pape/policies/2007/06/multi-factor')
    expect(q.get('custom')).toBe('x y')
    for (const name of q.keys()) expect(q.getAll(name)).toHaveLength(1)
  })

  it('sends max_age=0 (a real value, not "absent")', () => {
    expect(buildAuthorizeUrl({ ...base, maxAge: 0 }).searchParams.get('max_age')).toBe('0')
  })

  it('accepts responseMode "query"', () => {
    expect(buildAuthorizeUrl({ ...base, responseMode: 'query' }).searchParams.get('response_mode')).toBe('query')
  })

  it('defaults code_challenge_method to S256 when only codeChallenge is given', () => {
    const q = buildAuthorizeUrl({ ...base, codeChallenge: 'abc' }).searchParams
    expect(q.get('code_challenge')).toBe('abc')
    expect(q.get('code_challenge_method')).toBe('S256')
  })

  it('sends only the required parameters when no option is given', () => {
    const url = buildAuthorizeUrl(base)
    expect([...url.searchParams.keys()]).toEqual(['response_type', 'client_id', 'redirect_uri', 'state'])
  })

  it('puts response_type, client_id, redirect_uri, scope, audience, state first, in that order', () => {
    const url = buildAuthorizeUrl({
      ...base,
      extraParams: { foo: 'bar' },
      responseMode: 'query',
      organization: 'org_1',
      nonce: 'n',
      audience: 'api',
      scope: 'openid',
    })
    expect([...url.searchParams.keys()].slice(0, 6)).toEqual([
      'response_type',
      'client_id',
      'redirect_uri',
      'scope',
      'audience',
      'state',
    ])
  })

  it.each([
    ['a string', 'openid profile email'],
    ['an array', ['openid', 'profile', 'email']],
    ['a string with extra whitespace', '  openid \t profile\n  email  '],
    ['an array with padded and multi-scope items', [' openid ', 'profile  email', '']],
  ])('accepts scope as %s and sends it space-separated', (_label, scope) => {
    expect(buildAuthorizeUrl({ ...base, scope }).searchParams.get('scope')).toBe('openid profile email')
  })

  it('omits scope when it is empty or whitespace only', () => {
    expect(buildAuthorizeUrl({ ...base, scope: '   ' }).searchParams.has('scope')).toBe(false)
    expect(buildAuthorizeUrl({ ...base, scope: [] }).searchParams.has('scope')).toBe(false)
  })

  it.each([
    DOMAIN,
    `https://${DOMAIN}`,
    `https://${DOMAIN}/`,
    `${DOMAIN}/`,
    `HTTPS://${DOMAIN}`,
  ])('turns the domain %s into https://host/authorize', (domain) => {
    const url = buildAuthorizeUrl({ ...base, domain })
    expect(`${url.origin}${url.pathname}`).toBe(`https://${DOMAIN}/authorize`)
  })

  it.each([
    ['plain http', `http://${DOMAIN}`],
    ['a path', `https://${DOMAIN}/tenant`],
    ['a path without a scheme', `${DOMAIN}/authorize`],
    ['a query', `https://${DOMAIN}/?x=1`],
    ['credentials', `https://user:pass@${DOMAIN}`],
    ['an empty string', ''],
  ])('refuses a domain with %s', (_label, domain) => {
    expectConfigError(() => buildAuthorizeUrl({ ...base, domain }), 'domain')
  })

  it('uses authorizationEndpoint as given, for any provider', () => {
    const url = buildAuthorizeUrl({
      clientId: CLIENT_ID,
      redirectUri: REDIRECT_URI,
      state: 's',
      authorizationEndpoint: 'https://login.example.org/oauth2/v1/authorize',
    })
    expect(`${url.origin}${url.pathname}`).toBe('https://login.example.org/oauth2/v1/authorize')
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID)
    expect(url.searchParams.get('response_type')).toBe('code')
  })

  it('refuses an authorizationEndpoint that is not an absolute http(s) URL', () => {
    const p = { clientId: CLIENT_ID, redirectUri: REDIRECT_URI, state: 's' }
    expectConfigError(() => buildAuthorizeUrl({ ...p, authorizationEndpoint: '/authorize' }), 'authorizationEndpoint')
    expectConfigError(() => buildAuthorizeUrl({ ...p, authorizationEndpoint: 'ftp://x/authorize' }), 'authorizationEndpoint')
  })

  it('refuses a call with neither domain nor authorizationEndpoint', () => {
    expectConfigError(() => buildAuthorizeUrl({ clientId: CLIENT_ID, redirectUri: REDIRECT_URI, state: 's' }), 'domain')
  })

  it('keeps the query and special characters of redirectUri intact', () => {
    const redirectUri = 'http://localhost:3000/callback?tenant=a&b=c%20d'
    expect(buildAuthorizeUrl({ ...base, redirectUri }).searchParams.get('redirect_uri')).toBe(redirectUri)
  })

  it.each([
    ['relative', '/callback'],
    ['without a scheme', 'app.example.com/callback'],
    ['ftp', 'ftp://x'],
    ['a custom scheme', 'com.app:/cb'],
    ['javascript:', 'javascript:alert(1)'],
    ['with a fragment', 'https://app.example.com/callback#section'],
    ['with an empty fragment', 'https://app.example.com/callback#'],
    ['empty', ''],
  ])('refuses a redirectUri that is %s, naming redirectUri', (_label, redirectUri) => {
    expectConfigError(() => buildAuthorizeUrl({ ...base, redirectUri }), 'redirectUri')
  })

  it('refuses a missing or empty clientId', () => {
    expectConfigError(() => buildAuthorizeUrl({ ...base, clientId: '' }), 'clientId')
    const { clientId: _omit, ...withoutClientId } = base
    expectConfigError(() => buildAuthorizeUrl(loose<BuildAuthorizeUrlParams>(withoutClientId)), 'clientId')
  })

  it('refuses a missing or empty state', () => {
    expectConfigError(() => buildAuthorizeUrl({ ...base, state: '' }), 'state')
    const { state: _omit, ...withoutState } = base
    expectConfigError(() => buildAuthorizeUrl(loose<BuildAuthorizeUrlParams>(withoutState)), 'state')
  })

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('refuses a %s maxAge', (_label, maxAge) => {
    expectConfigError(() => buildAuthorizeUrl({ ...base, maxAge }), 'maxAge')
  })

  it('refuses a maxAge given as a string', () => {
    expectConfigError(() => buildAuthorizeUrl({ ...base, maxAge: loose<number>('60') }), 'maxAge')
  })

  it.each(['fragment', 'form_post ', 'QUERY', 'web_message'])('refuses responseMode %j', (responseMode) => {
    expectConfigError(() => buildAuthorizeUrl({ ...base, responseMode: loose<'query'>(responseMode) }), 'responseMode')
  })

  it('refuses codeChallengeMethod "plain"', () => {
    expectConfigError(
      () => buildAuthorizeUrl({ ...base, codeChallenge: 'abc', codeChallengeMethod: loose<'S256'>('plain') }),
      'codeChallengeMethod',
    )
  })

  it('refuses a codeChallengeMethod without a codeChallenge', () => {
    expectConfigError(() => buildAuthorizeUrl({ ...base, codeChallengeMethod: 'S256' }), 'codeChallenge')
  })

  it.each(['state', 'client_id', 'redirect_uri', 'response_type', 'scope', 'nonce', 'code_challenge_method', 'max_age'])(
    'refuses extraParams that would override the named parameter %s',
    (name) => {
      const fn = () => buildAuthorizeUrl({ ...base, extraParams: { [name]: 'x' } })
      expect(fn).toThrow(ConfigError)
      expect(thrown(fn)).toMatchObject({ code: 'ERR_CONFIG', field: `extraParams.${name}` })
    },
  )

  it('refuses an extraParams value that is not a string', () => {
    const fn = () => buildAuthorizeUrl({ ...base, extraParams: loose<Record<string, string>>({ foo: 1 }) })
    expect(fn).toThrow(ConfigError)
    expect(thrown(fn)).toMatchObject({ field: 'extraParams.foo' })
  })

  it('keeps a well-formed surrogate pair and refuses a lone surrogate, naming the field', () => {
    expect(buildAuthorizeUrl({ ...base, loginHint: 'zoë😀@example.com' }).searchParams.get('login_hint')).toBe('zoë😀@example.com')
    expect(buildAuthorizeUrl({ ...base, scope: ['openid', 'emoji:😀'] }).searchParams.get('scope')).toBe('openid emoji:😀')
    expectConfigError(() => buildAuthorizeUrl({ ...base, loginHint: '\uDE00x' }), 'loginHint')
    expectConfigError(() => buildAuthorizeUrl({ ...base, scope: ['openid', 'x\uD83D'] }), 'scope')
    expectConfigError(() => buildAuthorizeUrl({ ...base, redirectUri: 'https://app.example.com/cb?x=\uD800' }), 'redirectUri')
    expectConfigError(() => buildAuthorizeUrl({ ...base, extraParams: { 'a\uDC00': 'b' } }), 'extraParams.a\uDC00')
  })

  it('refuses extraParams that is not an object, and extraParams.response_type', () => {
    expectConfigError(() => buildAuthorizeUrl({ ...base, extraParams: loose<Record<string, string>>('a=b') }), 'extraParams')
    expectConfigError(() => buildAuthorizeUrl({ ...base, extraParams: loose<Record<string, string>>(null) }), 'extraParams')
    expectConfigError(() => buildAuthorizeUrl({ ...base, extraParams: { response_type: 'token' } }), 'extraParams.response_type')
  })

  it('sends response_type=code whatever an untyped caller passes', () => {
    const url = buildAuthorizeUrl(loose<BuildAuthorizeUrlParams>({ ...base, responseType: 'token' }))
    expect(url.searchParams.getAll('response_type')).toEqual(['code'])
  })

  it('keeps the query of an authorizationEndpoint and puts its own parameters after it', () => {
    const url = buildAuthorizeUrl({ clientId: CLIENT_ID, redirectUri: REDIRECT_URI, state: 's', authorizationEndpoint: 'https://login.example.org/authorize?tenant=acme' })
    expect([...url.searchParams.keys()]).toEqual(['tenant', 'response_type', 'client_id', 'redirect_uri', 'state'])
  })

  it('refuses an empty string for an optional parameter, naming it', () => {
    expectConfigError(() => buildAuthorizeUrl({ ...base, audience: '' }), 'audience')
    expectConfigError(() => buildAuthorizeUrl({ ...base, loginHint: '' }), 'loginHint')
    expectConfigError(() => buildAuthorizeUrl({ ...base, organization: '' }), 'organization')
  })
})

describe('parseInvitationUrl', () => {
  const link = `https://app.example.com/login?invitation=Ykbw3dC7pZcRvQh0&organization=org_W30oEjaGmq3Cz9Jx&organization_name=acme%20corp`

  it('reads invitation, organization and organization_name from a full invitation link', () => {
    expect(parseInvitationUrl(link)).toEqual({
      invitation: 'Ykbw3dC7pZcRvQh0',
      organization: 'org_W30oEjaGmq3Cz9Jx',
      organizationName: 'acme corp',
    })
  })

  it('accepts a URL object', () => {
    expect(parseInvitationUrl(new URL(link)).organization).toBe('org_W30oEjaGmq3Cz9Jx')
  })

  it('leaves organizationName out when the link has no organization_name', () => {
    const result = parseInvitationUrl('https://app.example.com/login?invitation=inv_1&organization=org_1')
    expect(result).toStrictEqual({ invitation: 'inv_1', organization: 'org_1' })
    expect('organizationName' in result).toBe(false)
  })

  it('gives what buildAuthorizeUrl needs to accept the invitation', () => {
    const { invitation, organization } = parseInvitationUrl(link)
    const q = buildAuthorizeUrl({ ...base, invitation, organization }).searchParams
    expect(q.get('invitation')).toBe('Ykbw3dC7pZcRvQh0')
    expect(q.get('organization')).toBe('org_W30oEjaGmq3Cz9Jx')
  })

  it.each([
    ['no invitation', 'https://app.example.com/login?organization=org_1'],
    ['an empty invitation', 'https://app.example.com/login?invitation=&organization=org_1'],
    ['no organization', 'https://app.example.com/login?invitation=inv_1'],
    ['neither', 'https://app.example.com/login'],
  ])('refuses a link with %s', (_label, url) => {
    const fn = () => parseInvitationUrl(url)
    expect(fn).toThrow(CallbackError)
    expect(thrown(fn)).toMatchObject({ code: 'ERR_CALLBACK' })
  })

  it('names the missing parameter in the message', () => {
    expect(() => parseInvitationUrl('https://app.example.com/login?organization=org_1')).toThrow(/"invitation"/)
    expect(() => parseInvitationUrl('https://app.example.com/login?invitation=inv_1')).toThrow(/"organization"/)
  })

  it.each(['invitation', 'organization', 'organization_name'])('refuses a link that repeats %s', (name) => {
    const url = `https://app.example.com/login?invitation=inv_1&organization=org_1&organization_name=acme&${name}=other`
    expect(() => parseInvitationUrl(url)).toThrow(CallbackError)
  })

  it.each(['not a url', '/login?invitation=inv_1&organization=org_1', ''])('refuses %j, which is not an absolute URL', (url) => {
    expect(() => parseInvitationUrl(url)).toThrow(CallbackError)
  })
})
