// Compile-time checks of the public types: `npx tsc -p tsconfig.test.json` fails when one of
// the expectTypeOf assertions (or a @ts-expect-error) no longer holds; each test also makes
// runtime assertions so vitest runs the same code paths for real.
import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  createAccessTokenVerifier,
  dpopProofs,
  verifyIdToken,
  type AccessTokenClaims,
  type DpopProofs,
  type AccessTokenVerifier,
  type InferClaims,
} from 'authcode/api'
import {
  AbortError,
  AuthcodeError,
  AuthorizationError,
  CallbackError,
  ConfigError,
  IdTokenError,
  InsufficientScopeError,
  InvalidTokenError,
  LockTimeoutError,
  LoginRequiredError,
  NetworkError,
  OAuthError,
  ResponseError,
  SealError,
  StateMismatchError,
  TimeoutError,
  TokenClient,
  exchangeCode,
  type AnyAuthcodeError,
  type AuthcodeErrorCode,
  type ClientConfig,
  type IdTokenClaims,
  type TokenSet,
} from 'authcode'
import { createTestTenant, type TestTenant } from 'authcode/testing'
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, HttpResponse, REDIRECT_URI, onToken, testTenant, useMockServer } from './helpers/auth0.js'

useMockServer()

const AUDIENCE = 'https://api.example.com'
const ROLES = 'https://example.com/roles'
const Roles = z.object({ [ROLES]: z.array(z.string()) })
type Roles = { 'https://example.com/roles': string[] }

const API_DOMAIN = 'types-tenant.auth0.example'

let apiTenant: Promise<TestTenant> | undefined
function tenant(): Promise<TestTenant> {
  return (apiTenant ??= createTestTenant({ domain: API_DOMAIN }))
}

/** A fetch that serves the tenant's JWKS, so verifiers here need no HTTP mock. */
async function jwksFetch(): Promise<typeof fetch> {
  const { jwks } = await tenant()
  return (async () => Response.json(jwks)) as unknown as typeof fetch
}

describe('createAccessTokenVerifier types', () => {
  it('types the claims from a zod schema, alongside AccessTokenClaims', async () => {
    const verify = createAccessTokenVerifier({ domain: API_DOMAIN, audience: AUDIENCE, claims: Roles, fetch: await jwksFetch() })
    expectTypeOf(verify).toEqualTypeOf<AccessTokenVerifier<Roles>>()

    const token = await (await tenant()).signAccessToken({ [ROLES]: ['admin'], permissions: ['read:contacts'] })
    const claims = await verify(`Bearer ${token}`, { requiredScopes: ['read:contacts'] })

    expectTypeOf(claims).toEqualTypeOf<AccessTokenClaims & Roles>()
    expectTypeOf(claims[ROLES]).toEqualTypeOf<string[]>()
    expectTypeOf(claims).toExtend<AccessTokenClaims>()
    expectTypeOf(claims.sub).toEqualTypeOf<string>()
    expectTypeOf(claims.aud).toEqualTypeOf<string | string[] | undefined>()
    expectTypeOf(claims.exp).toEqualTypeOf<number>()
    expectTypeOf(claims.scope).toEqualTypeOf<string | undefined>()
    expectTypeOf(claims.permissions).toEqualTypeOf<string[] | undefined>()
    expectTypeOf(claims['https://example.com/other']).toEqualTypeOf<unknown>()
    // @ts-expect-error the roles are string[], not string
    const wrong: string = claims[ROLES]

    expect(claims[ROLES]).toEqual(['admin'])
    expect(claims[ROLES].map((r) => r.toUpperCase())).toEqual(['ADMIN'])
    expect(claims.sub).toBe('auth0|test-user')
    expect(wrong).toEqual(['admin'])
  })

  it('gives AccessTokenClaims without a schema', async () => {
    const verify = createAccessTokenVerifier({ domain: API_DOMAIN, audience: AUDIENCE, fetch: await jwksFetch() })
    const claims = await verify(await (await tenant()).signAccessToken({ permissions: ['read:contacts'] }))

    expectTypeOf(claims).toEqualTypeOf<AccessTokenClaims>()
    expectTypeOf(claims).toExtend<AccessTokenClaims>()
    expectTypeOf(claims.iss).toEqualTypeOf<string>()
    // Without a schema a custom claim is unknown and must be narrowed before use.
    expectTypeOf(claims[ROLES]).toEqualTypeOf<unknown>()
    // @ts-expect-error unknown has no .map
    expect(() => claims[ROLES].map(String)).toThrow(TypeError)

    expect(claims.iss).toBe(`https://${API_DOMAIN}/`)
    expect(claims.permissions).toEqual(['read:contacts'])
  })

  it('infers the output type of a transforming schema and accepts readonly required scopes', async () => {
    const schema = z.object({ 'https://example.com/tier': z.string().transform((s) => s.length) })
    expectTypeOf<InferClaims<typeof schema>>().toEqualTypeOf<{ 'https://example.com/tier': number }>()
    expectTypeOf<InferClaims<undefined>>().toEqualTypeOf<{}>()

    const verify = createAccessTokenVerifier({ domain: API_DOMAIN, audience: AUDIENCE, claims: schema, fetch: await jwksFetch() })
    const required = ['openid'] as const
    const claims = await verify(await (await tenant()).signAccessToken({ 'https://example.com/tier': 'gold' }), { requiredScopes: required })
    expectTypeOf(claims['https://example.com/tier']).toEqualTypeOf<number>()
    expect(claims['https://example.com/tier']).toBe(4)
  })

  it('refuses a claims option that is not a Standard Schema, at compile time and at run time', () => {
    const notASchema = { parse: (v: unknown) => v }
    expect(() =>
      // @ts-expect-error a plain object with parse() is not a Standard Schema
      createAccessTokenVerifier({ domain: API_DOMAIN, audience: AUDIENCE, claims: notASchema }),
    ).toThrow(ConfigError)
  })

  it('takes DPoP as dpop: dpopProofs(); dpopMaxAgeSeconds and a hand-made dpop value are refused at compile time and at run time', () => {
    expectTypeOf(dpopProofs({ maxAgeSeconds: 60 })).toEqualTypeOf<DpopProofs>()
    expectTypeOf(createAccessTokenVerifier({ domain: API_DOMAIN, audience: AUDIENCE, dpop: dpopProofs() })).toEqualTypeOf<AccessTokenVerifier>()
    // @ts-expect-error dpopMaxAgeSeconds is not an option: dpopProofs({ maxAgeSeconds }) takes it
    expect(() => createAccessTokenVerifier({ domain: API_DOMAIN, audience: AUDIENCE, dpopMaxAgeSeconds: 60 })).toThrow(ConfigError)
    // @ts-expect-error only dpopProofs() makes a DpopProofs
    expect(() => createAccessTokenVerifier({ domain: API_DOMAIN, audience: AUDIENCE, dpop: { maxAgeSeconds: 60 } })).toThrow(ConfigError)
  })
})

describe('verifyIdToken types', () => {
  it('types the ID token claims from a schema, and IdTokenClaims without one', async () => {
    const t = await tenant()
    const fetch = await jwksFetch()
    const idToken = await t.signIdToken({ [ROLES]: ['editor'], nonce: 'n-1' })

    const typed = await verifyIdToken(idToken, { domain: API_DOMAIN, clientId: t.clientId, nonce: 'n-1', claims: Roles, fetch })
    expectTypeOf(typed).toEqualTypeOf<IdTokenClaims & Roles>()
    expectTypeOf(typed[ROLES]).toEqualTypeOf<string[]>()
    expectTypeOf(typed.iat).toEqualTypeOf<number>()
    expectTypeOf(typed.nonce).toEqualTypeOf<string | undefined>()

    const plain = await verifyIdToken(idToken, { domain: API_DOMAIN, clientId: t.clientId, fetch })
    expectTypeOf(plain).toEqualTypeOf<IdTokenClaims>()
    expectTypeOf(plain[ROLES]).toEqualTypeOf<unknown>()

    expect(typed[ROLES]).toEqual(['editor'])
    expect(plain.nonce).toBe('n-1')
  })
})

describe('exchangeCode types', () => {
  const config: ClientConfig = { domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }

  it('types tokens.claims from a claims schema', async () => {
    const t = await testTenant()
    onToken(async () => HttpResponse.json(await t.tokenResponse({ nonce: 'n-2', idTokenClaims: { [ROLES]: ['admin', 'billing'] } })))

    const tokens = await exchangeCode(config, { code: 'SplxlOBeZQQYbYS6WxSbIA', redirectUri: REDIRECT_URI, nonce: 'n-2', claims: Roles })
    expectTypeOf(tokens).toEqualTypeOf<TokenSet<IdTokenClaims & Roles>>()
    expectTypeOf(tokens.claims).toEqualTypeOf<(IdTokenClaims & Roles) | undefined>()
    expectTypeOf(tokens.claims?.[ROLES]).toEqualTypeOf<string[] | undefined>()
    expectTypeOf(tokens.claims?.sub).toEqualTypeOf<string | undefined>()
    expectTypeOf(tokens.accessToken).toEqualTypeOf<string>()
    // A typed TokenSet is still a TokenSet, so it can be stored as one.
    expectTypeOf(tokens).toExtend<TokenSet>()

    expect(tokens.claims?.[ROLES]).toEqual(['admin', 'billing'])
    expect(tokens.claims?.nonce).toBe('n-2')
  })

  it('types TokenClient.exchangeCode the same way, and gives plain IdTokenClaims without a schema', async () => {
    const t = await testTenant()
    onToken(async () => HttpResponse.json(await t.tokenResponse({ nonce: 'n-3', idTokenClaims: { [ROLES]: ['viewer'] } })))
    const client = new TokenClient(config)

    const typed = await client.exchangeCode({ code: 'code-typed', redirectUri: REDIRECT_URI, nonce: 'n-3', claims: Roles })
    expectTypeOf(typed.claims?.[ROLES]).toEqualTypeOf<string[] | undefined>()

    const plain = await client.exchangeCode({ code: 'code-plain', redirectUri: REDIRECT_URI, nonce: 'n-3' })
    expectTypeOf(plain).toEqualTypeOf<TokenSet<IdTokenClaims>>()
    expectTypeOf(plain.claims?.[ROLES]).toEqualTypeOf<unknown>()

    expect(typed.claims?.[ROLES]).toEqual(['viewer'])
    expect(plain.claims?.[ROLES]).toEqual(['viewer'])
  })
})

describe('AnyAuthcodeError narrowing', () => {
  /** Reads the fields each code narrows to; fails tsc if a case no longer narrows. */
  function describeError(err: AnyAuthcodeError): string {
    switch (err.code) {
      case 'ERR_OAUTH':
        expectTypeOf(err).toEqualTypeOf<OAuthError>()
        expectTypeOf(err.status).toEqualTypeOf<number>()
        expectTypeOf(err.error).toEqualTypeOf<string>()
        expectTypeOf(err.errorDescription).toEqualTypeOf<string | undefined>()
        expectTypeOf(err.retryAfter).toEqualTypeOf<number | undefined>()
        return `oauth ${err.error} ${err.status}`
      case 'ERR_RESPONSE':
        expectTypeOf(err).toEqualTypeOf<ResponseError>()
        expectTypeOf(err.status).toEqualTypeOf<number>()
        return `response ${err.status}`
      case 'ERR_CONFIG':
        expectTypeOf(err).toEqualTypeOf<ConfigError>()
        expectTypeOf(err.field).toEqualTypeOf<string>()
        // @ts-expect-error a ConfigError has no status
        void err.status
        return `config ${err.field}`
      case 'ERR_AUTHORIZATION':
        expectTypeOf(err).toEqualTypeOf<AuthorizationError>()
        expectTypeOf(err.error).toEqualTypeOf<string>()
        return `authorization ${err.error}`
      case 'ERR_INVALID_TOKEN':
        expectTypeOf(err).toEqualTypeOf<InvalidTokenError>()
        // (a type argument: passing the value would widen the readonly literal to number)
        expectTypeOf<typeof err.status>().toEqualTypeOf<401>()
        expectTypeOf(err.wwwAuthenticate).toEqualTypeOf<string>()
        return `invalid ${err.status}`
      case 'ERR_INSUFFICIENT_SCOPE':
        expectTypeOf(err).toEqualTypeOf<InsufficientScopeError>()
        expectTypeOf<typeof err.status>().toEqualTypeOf<403>()
        expectTypeOf(err.requiredScopes).toEqualTypeOf<readonly string[]>()
        return `scope ${err.status} ${err.requiredScopes.join(' ')}`
      case 'ERR_SEAL':
        expectTypeOf(err).toEqualTypeOf<SealError>()
        expectTypeOf(err.reason).toEqualTypeOf<'invalid' | 'expired' | 'replayed' | 'busy'>()
        return `seal ${err.reason}`
      case 'ERR_STATE_MISMATCH':
        expectTypeOf(err).toEqualTypeOf<StateMismatchError>()
        return 'state'
      case 'ERR_CALLBACK':
        expectTypeOf(err).toEqualTypeOf<CallbackError>()
        return 'callback'
      case 'ERR_NETWORK':
        expectTypeOf(err).toEqualTypeOf<NetworkError>()
        return 'network'
      case 'ERR_TIMEOUT':
        expectTypeOf(err).toEqualTypeOf<TimeoutError>()
        return 'timeout'
      case 'ERR_ABORTED':
        expectTypeOf(err).toEqualTypeOf<AbortError>()
        return 'aborted'
      case 'ERR_ID_TOKEN':
        expectTypeOf(err).toEqualTypeOf<IdTokenError>()
        return 'id token'
      case 'ERR_LOGIN_REQUIRED':
        expectTypeOf(err).toEqualTypeOf<LoginRequiredError>()
        return 'login'
      case 'ERR_LOCK_TIMEOUT':
        expectTypeOf(err).toEqualTypeOf<LockTimeoutError>()
        return 'lock'
      default:
        // Codes added later (not narrowed here) still are AuthcodeErrors with a stable code.
        expectTypeOf(err).toExtend<AuthcodeError>()
        return `other ${err.code}`
    }
  }

  it('narrows each code to its class in a switch', () => {
    const errors: AnyAuthcodeError[] = [
      new OAuthError({ error: 'invalid_grant', status: 400 }),
      new ResponseError(502, 'bad gateway'),
      new ConfigError('redirectUri', 'must be absolute'),
      new AuthorizationError('access_denied'),
      new InvalidTokenError('expired'),
      new InsufficientScopeError(['read:contacts', 'write:contacts']),
      new SealError('expired', 'too old'),
      new StateMismatchError('no'),
      new CallbackError('no'),
      new NetworkError('down'),
      new TimeoutError('slow'),
      new AbortError('stop'),
      new IdTokenError('bad'),
      new LoginRequiredError('login'),
      new LockTimeoutError('busy'),
    ]
    expect(errors.map(describeError)).toEqual([
      'oauth invalid_grant 400',
      'response 502',
      'config redirectUri',
      'authorization access_denied',
      'invalid 401',
      'scope 403 read:contacts write:contacts',
      'seal expired',
      'state',
      'callback',
      'network',
      'timeout',
      'aborted',
      'id token',
      'login',
      'lock',
    ])
  })

  it('has a class in the union for every error code, and every class is an AuthcodeError', () => {
    expectTypeOf<AnyAuthcodeError['code']>().toEqualTypeOf<AuthcodeErrorCode>()
    expectTypeOf<AnyAuthcodeError>().toExtend<AuthcodeError>()
    const codes: AuthcodeErrorCode[] = [new NetworkError('x').code, new InvalidTokenError('y').code]
    expect(codes).toEqual(['ERR_NETWORK', 'ERR_INVALID_TOKEN'])
  })

  it('narrows with instanceof in a catch block', async () => {
    const verify = createAccessTokenVerifier({ domain: API_DOMAIN, audience: AUDIENCE, fetch: await jwksFetch() })
    let header: string | undefined
    try {
      await verify(undefined)
    } catch (err) {
      expectTypeOf(err).toEqualTypeOf<unknown>()
      if (err instanceof InvalidTokenError || err instanceof InsufficientScopeError) {
        expectTypeOf<typeof err.status>().toEqualTypeOf<401 | 403>()
        expectTypeOf(err.wwwAuthenticate).toEqualTypeOf<string>()
        header = err.wwwAuthenticate
      }
    }
    expect(header).toBe('Bearer')
  })
})
