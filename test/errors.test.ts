// No secret in any error: every error class authcode exports, made for real, shows no secret, code or token however it is rendered.
import { inspect } from 'node:util'
import { delay } from 'msw'
import { describe, expect, it } from 'vitest'
import * as authcode from 'authcode'
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
  LogoutTokenError,
  NetworkError,
  OAuthError,
  ResponseError,
  SealError,
  StateMismatchError,
  TimeoutError,
  TokenClient,
  TokenManager,
  openTransaction,
  sealTransaction,
  validateCallback,
} from 'authcode'
import { extractBearerToken, requireScopes, verifyLogoutToken } from 'authcode/api'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  DOMAIN,
  HttpResponse,
  ISSUER,
  REDIRECT_URI,
  http,
  onToken,
  server,
  testTenant,
  useMockServer,
} from './helpers/auth0.js'
import { rejection, thrown } from './helpers/outcome.js'
import { realFetch, closedPort } from './helpers/local-server.js'
import {
  USERINFO_URL,
  REVOKE_URL,
  CODE,
  VERIFIER,
  ACCESS_TOKEN,
  REFRESH_TOKEN,
  exchangeParams,
  client,
  expectError,
  oauthJson,
} from './helpers/token-client.js'

const log = useMockServer()
/** Every ID token a test handed to the SDK; checked as a whole and segment by segment. */
const issuedIdTokens: string[] = []

function forbiddenValues(): Array<[label: string, value: string]> {
  const out: Array<[string, string]> = [
    ['client secret', CLIENT_SECRET],
    ['code', CODE],
    ['code verifier', VERIFIER],
    ['access token', ACCESS_TOKEN],
    ['refresh token', REFRESH_TOKEN],
  ]
  for (const idToken of issuedIdTokens) {
    out.push(['id token', idToken])
    for (const segment of idToken.split('.')) if (segment.length >= 16) out.push(['id token segment', segment])
  }
  return out
}

interface SecretCase {
  name: string
  Class: abstract new (...args: never[]) => AuthcodeError
  produce: () => Promise<unknown>
}

/** A token endpoint that answers `status` with an error that quotes everything it was sent. */
function echoingTokenEndpoint(status: number) {
  onToken(async ({ request }) => {
    const form = new URLSearchParams(await request.text())
    const sent = [...form.values(), request.headers.get('authorization') ?? ''].join(' ')
    return oauthJson(status, { error: 'invalid_grant', error_description: `Rejected request with ${sent}` })
  })
}

async function signedIdToken(claims: Record<string, unknown>): Promise<string> {
  const tenant = await testTenant()
  const idToken = await tenant.signIdToken(claims)
  issuedIdTokens.push(idToken)
  return idToken
}

/** A 200 token response with real tokens and the given ID token. */
function tokensWithIdToken(idToken: string) {
  onToken(() =>
    HttpResponse.json({
      access_token: ACCESS_TOKEN,
      refresh_token: REFRESH_TOKEN,
      id_token: idToken,
      token_type: 'Bearer',
      expires_in: 86400,
    }),
  )
}

const secretCases: SecretCase[] = [
  {
    name: 'ConfigError from a bad config holding the secret',
    Class: ConfigError,
    produce: async () => thrown(() => new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, timeoutMs: 0 })),
  },
  {
    name: 'ConfigError from an exchange with a bad redirectUri',
    Class: ConfigError,
    produce: () => rejection(client().exchangeCode({ ...exchangeParams, redirectUri: 'not a url' })),
  },
  {
    name: 'AuthorizationError from a callback with error and a code',
    Class: AuthorizationError,
    produce: async () =>
      thrown(() => validateCallback(`${REDIRECT_URI}?error=access_denied&error_description=User%20declined&state=s1&code=${CODE}`, { state: 's1' })),
  },
  {
    name: 'StateMismatchError from a callback with a code and the wrong state',
    Class: StateMismatchError,
    produce: async () => thrown(() => validateCallback(`${REDIRECT_URI}?code=${CODE}&state=forged`, { state: 's1' })),
  },
  {
    name: 'CallbackError from a callback that repeats the code',
    Class: CallbackError,
    produce: async () => thrown(() => validateCallback(`${REDIRECT_URI}?code=${CODE}&code=${CODE}&state=s1`, { state: 's1' })),
  },
  {
    name: 'OAuthError whose description echoes the secret, code and verifier (client_secret_post)',
    Class: OAuthError,
    produce: () => {
      echoingTokenEndpoint(400)
      return rejection(client().exchangeCode(exchangeParams))
    },
  },
  {
    name: 'OAuthError whose description echoes the secret, code and verifier (client_secret_basic, 401)',
    Class: OAuthError,
    produce: () => {
      onToken(async ({ request }) => {
        const form = new URLSearchParams(await request.text())
        const basic = atob((request.headers.get('authorization') ?? '').replace(/^Basic /, ''))
        const [id, secret] = basic.split(':').map(decodeURIComponent)
        return oauthJson(401, {
          error: 'invalid_client',
          error_description: `client ${id} with secret ${secret} and code ${form.get('code')} / ${form.get('code_verifier')}`,
        })
      })
      return rejection(client({ clientAuth: 'client_secret_basic' }).exchangeCode(exchangeParams))
    },
  },
  {
    name: 'OAuthError whose error and description echo the refresh token',
    Class: OAuthError,
    produce: () => {
      onToken(async ({ request }) => {
        const form = new URLSearchParams(await request.text())
        return oauthJson(400, {
          error: `bad_${form.get('refresh_token')}`,
          error_description: `refresh token ${form.get('refresh_token')} is revoked (secret ${form.get('client_secret')})`,
        })
      })
      return rejection(client().refresh({ refreshToken: REFRESH_TOKEN }))
    },
  },
  {
    name: 'OAuthError from a userinfo challenge that echoes the access token',
    Class: OAuthError,
    produce: () => {
      server.use(
        http.get(USERINFO_URL, ({ request }) => {
          const token = (request.headers.get('authorization') ?? '').replace(/^Bearer /, '')
          return new HttpResponse(null, {
            status: 401,
            headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="token ${token} expired"` },
          })
        }),
      )
      return rejection(client().userinfo(ACCESS_TOKEN))
    },
  },
  {
    name: 'OAuthError from a revocation that echoes the token',
    Class: OAuthError,
    produce: () => {
      server.use(
        http.post(REVOKE_URL, async ({ request }) => {
          const form = new URLSearchParams(await request.text())
          return oauthJson(400, { error: 'invalid_request', error_description: `cannot revoke ${form.get('token')} for ${form.get('client_secret')}` })
        }),
      )
      return rejection(client().revoke(REFRESH_TOKEN))
    },
  },
  {
    name: 'ResponseError from a 200 with tokens but a numeric token_type',
    Class: ResponseError,
    produce: () => {
      onToken(() => HttpResponse.json({ access_token: ACCESS_TOKEN, refresh_token: REFRESH_TOKEN, token_type: 42 }))
      return rejection(client().exchangeCode(exchangeParams))
    },
  },
  {
    name: 'ResponseError from a 200 that is not JSON and quotes every value sent',
    Class: ResponseError,
    produce: () => {
      onToken(async ({ request }) => new HttpResponse(`${await request.text()}&access_token=${ACCESS_TOKEN}`, { headers: { 'content-type': 'text/plain' } }))
      return rejection(client().exchangeCode(exchangeParams))
    },
  },
  {
    name: 'ResponseError from an unsupported token_type alongside real tokens',
    Class: ResponseError,
    produce: () => {
      onToken(() => HttpResponse.json({ access_token: ACCESS_TOKEN, refresh_token: REFRESH_TOKEN, token_type: 'mac' }))
      return rejection(client().refresh({ refreshToken: REFRESH_TOKEN }))
    },
  },
  {
    name: 'NetworkError from a refused connection during a code exchange',
    Class: NetworkError,
    produce: async () => {
      const port = await closedPort()
      const refused = new TokenClient({ domain: `127.0.0.1:${port}`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, fetch: realFetch, retries: 0 })
      return rejection(refused.exchangeCode(exchangeParams))
    },
  },
  {
    name: 'NetworkError from a connection dropped during a code exchange',
    Class: NetworkError,
    produce: () => {
      onToken(() => HttpResponse.error())
      return rejection(client().exchangeCode(exchangeParams))
    },
  },
  {
    name: 'TimeoutError from a code exchange that never gets an answer',
    Class: TimeoutError,
    produce: () => {
      onToken(async () => {
        await delay('infinite')
        return HttpResponse.json({})
      })
      return rejection(client({ timeoutMs: 100 }).exchangeCode(exchangeParams))
    },
  },
  {
    name: 'AbortError from a code exchange aborted mid-request',
    Class: AbortError,
    produce: () => {
      const controller = new AbortController()
      onToken(async () => {
        controller.abort()
        await delay('infinite')
        return HttpResponse.json({})
      })
      return rejection(client().exchangeCode({ ...exchangeParams, signal: controller.signal }))
    },
  },
  {
    name: 'IdTokenError from a 200 with real tokens and an ID token for another audience',
    Class: IdTokenError,
    produce: async () => {
      tokensWithIdToken(await signedIdToken({ aud: 'some-other-client' }))
      return rejection(client().exchangeCode(exchangeParams))
    },
  },
  {
    name: 'IdTokenError from a 200 with real tokens and an ID token with the wrong nonce',
    Class: IdTokenError,
    produce: async () => {
      tokensWithIdToken(await signedIdToken({ nonce: 'nonce-of-another-login' }))
      return rejection(client().exchangeCode({ ...exchangeParams, nonce: 'nonce-of-this-login' }))
    },
  },
  {
    name: 'IdTokenError from a 200 with real tokens and an expired ID token',
    Class: IdTokenError,
    produce: async () => {
      const now = Math.floor(Date.now() / 1000)
      tokensWithIdToken(await signedIdToken({ iat: now - 7200, exp: now - 3600 }))
      return rejection(client().exchangeCode(exchangeParams))
    },
  },
  {
    name: 'IdTokenError from a 200 with real tokens and an ID token that is not a JWT',
    Class: IdTokenError,
    produce: async () => {
      const garbage = 'idtoken-not-a-jwt-Zm9vYmFyYmF6cXV4'
      issuedIdTokens.push(garbage)
      tokensWithIdToken(garbage)
      return rejection(client().exchangeCode(exchangeParams))
    },
  },
  {
    name: 'IdTokenError from an ID token of another organization',
    Class: IdTokenError,
    produce: async () => {
      tokensWithIdToken(await signedIdToken({ org_id: 'org_other' }))
      return rejection(client().exchangeCode({ ...exchangeParams, organization: 'org_requested' }))
    },
  },
  {
    name: 'LoginRequiredError from a TokenManager whose refresh token the server refuses (echoing it)',
    Class: LoginRequiredError,
    produce: async () => {
      echoingTokenEndpoint(400)
      const manager = new TokenManager({ client: client() })
      await manager.save('session-1', { accessToken: ACCESS_TOKEN, tokenType: 'Bearer', refreshToken: REFRESH_TOKEN, expiresAt: 1 })
      return rejection(manager.getAccessToken('session-1'))
    },
  },
  {
    name: 'LoginRequiredError from a TokenManager with nothing stored',
    Class: LoginRequiredError,
    produce: () => rejection(new TokenManager({ client: client() }).getAccessToken('session-without-tokens')),
  },
  {
    name: 'InvalidTokenError from an Authorization header that is not Bearer',
    Class: InvalidTokenError,
    produce: async () => thrown(() => extractBearerToken(`Token ${ACCESS_TOKEN}`)),
  },
  {
    name: 'InsufficientScopeError from claims that lack a scope',
    Class: InsufficientScopeError,
    produce: async () => thrown(() => requireScopes({ scope: 'openid profile', permissions: ['read:contacts'] }, ['write:contacts'])),
  },
  {
    name: 'SealError from opening a tampered transaction seal',
    Class: SealError,
    produce: async () => {
      const secret = 'a-cookie-secret-of-at-least-32-characters'
      const sealed = await sealTransaction({ state: 's', codeVerifier: VERIFIER, redirectUri: REDIRECT_URI, issuer: ISSUER }, { secret })
      const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA')
      return rejection(openTransaction(tampered, { secret }))
    },
  },
  {
    name: 'LogoutTokenError from a logout token that is an ID token in disguise',
    Class: LogoutTokenError,
    produce: async () => rejection(verifyLogoutToken(`${ACCESS_TOKEN}.extra`, { domain: DOMAIN, clientId: CLIENT_ID })),
  },
  // Thrown by RedisStorage/withWebLocks after a bounded wait; their own suites drive it for real.
  {
    name: 'LockTimeoutError, built directly',
    Class: LockTimeoutError,
    produce: async () => new LockTimeoutError('The refresh lock for this key was not free within 5000 ms'),
  },
]

describe('no secret in any error', () => {
  it.each(secretCases)('$name: no secret in message, String, JSON or inspect', async ({ Class, produce }) => {
    const err = expectError(await produce(), Class)
    expect(err).toBeInstanceOf(AuthcodeError)
    expect(err).toBeInstanceOf(Error)
    expect(typeof err.code).toBe('string')
    expect(err.code).toMatch(/^ERR_[A-Z_]+$/)
    const json = JSON.stringify(err)
    expect(JSON.parse(json)).toMatchObject({ code: err.code, name: err.name, message: err.message })
    expect(json).toContain(`"code":"${err.code}"`)
    const renderings: Record<string, string> = {
      message: err.message,
      'String(err)': String(err),
      'JSON.stringify(err)': json,
      'util.inspect(err)': inspect(err, { depth: 10 }),
    }
    for (const [where, text] of Object.entries(renderings)) {
      for (const [label, value] of forbiddenValues()) {
        expect(text.includes(value), `${where} contains the ${label}`).toBe(false)
      }
    }
  })

  it('covers every error class that authcode exports', () => {
    const exported = Object.values(authcode).filter(
      (value): value is typeof AuthcodeError => typeof value === 'function' && value.prototype instanceof AuthcodeError,
    )
    const named = [
      ConfigError, AuthorizationError, StateMismatchError, CallbackError, OAuthError, ResponseError, NetworkError,
      TimeoutError, AbortError, IdTokenError, LoginRequiredError, InvalidTokenError, InsufficientScopeError,
    ]
    for (const Class of named) expect(exported, Class.name).toContain(Class)
    const covered = new Set<unknown>(secretCases.map((c) => c.Class))
    for (const Class of exported) expect(covered.has(Class), `${Class.name} has a case`).toBe(true)
  })
})
