// Secrets, tokens and a login transaction to seal, a browser's cookie jar, and checks that every error provoked is typed and shows nothing secret.
import { expect } from 'vitest'
import { type AuthorizationTransaction, createAuthorizationRequest } from '../../src/login/authorization-request.js'
import { AuthcodeError, ConfigError, SealError } from '../../src/errors.js'
import type { TokenSet } from '../../src/token-set.js'

export const SECRET = 'secret-current-5c0f1e2d3a4b5c6d7e8f9a0b1c2d3e4f'
export const OLD_SECRET = 'secret-previous-0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d'
export const OTHER_SECRET = 'secret-unrelated-ffeeddccbbaa99887766554433221100'
export const SHORT_SECRET = 'secret-too-short-31-characters!' // 31 characters

export const ACCESS_TOKEN = 'access-token-eyJhbGciOiJSUzI1NiJ9-AT-9c1e77'
export const REFRESH_TOKEN = 'refresh-token-v1.MRjbz8Uw-RT-5512ab'
export const ID_TOKEN = 'id-token-eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhdXRoMHwxMjMifQ.sig'

export const config = { domain: 'tenant.eu.auth0.com', clientId: 'client-abc' }
export const REDIRECT_URI = 'https://app.example.com/callback'

/** Every error the tests provoked, checked at the end for secrets and tokens. */
export const provoked: unknown[] = []

/** Awaits fn and gives what it threw (recorded for the leak check); fails when it resolves. */
export async function provoke(fn: () => unknown): Promise<unknown> {
  try {
    await fn()
  } catch (err) {
    provoked.push(err)
    return err
  }
  throw new Error('expected the call to throw')
}

export async function expectSealError(fn: () => unknown, reason: 'invalid' | 'expired' | 'replayed'): Promise<void> {
  const err = await provoke(fn)
  expect(err).toBeInstanceOf(SealError)
  expect(err).toMatchObject({ code: 'ERR_SEAL', reason })
}

export async function expectConfigError(fn: () => unknown, field: string): Promise<void> {
  const err = await provoke(fn)
  expect(err).toBeInstanceOf(ConfigError)
  expect(err).toMatchObject({ code: 'ERR_CONFIG', field })
}

export async function newTransaction(): Promise<AuthorizationTransaction> {
  return (await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI, organization: 'org_123', maxAge: 3600 }))
    .transaction
}

export const tokens: TokenSet = {
  accessToken: ACCESS_TOKEN,
  tokenType: 'Bearer',
  expiresAt: 1_900_000_000,
  refreshToken: REFRESH_TOKEN,
  idToken: ID_TOKEN,
  scope: 'openid profile email offline_access',
  claims: {
    iss: 'https://tenant.eu.auth0.com/',
    sub: 'auth0|123',
    aud: 'client-abc',
    exp: 1_900_000_000,
    iat: 1_899_996_400,
    nonce: 'n-0S6_WzA2Mj',
    name: 'Zoë Ångström 🙂',
    'https://example.com/roles': ['admin', 'editor'],
  },
}

/** A token set with three 1,500-character tokens: its seal is over one cookie's limit. */
export function largeTokens(): TokenSet {
  const token = (label: string) => `${label}-${'x'.repeat(1500 - label.length - 1)}`
  return { ...tokens, accessToken: token('at'), refreshToken: token('rt'), idToken: token('it') }
}

/** What a browser would send back: `name=value` of each Set-Cookie that does not delete. */
export function browserCookieHeader(setCookies: string[], jar = new Map<string, string>()): string {
  for (const header of setCookies) {
    const [pair = ''] = header.split('; ')
    const eq = pair.indexOf('=')
    const name = pair.slice(0, eq)
    if (/; Max-Age=0(;|$)/.test(header)) jar.delete(name)
    else jar.set(name, pair.slice(eq + 1))
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
}

/** Neither a secret, a token nor a seal (or chunk of one) in any rendering of the errors. */
export function expectNoSecretIn(errors: unknown[]): void {
  const forbidden = [SECRET, OLD_SECRET, OTHER_SECRET, SHORT_SECRET, ACCESS_TOKEN, REFRESH_TOKEN, ID_TOKEN]
  for (const err of errors) {
    expect(err).toBeInstanceOf(AuthcodeError)
    const text = [String(err), JSON.stringify(err), (err as Error).stack ?? '', String((err as Error).cause ?? '')].join('\n')
    for (const value of forbidden) expect(text).not.toContain(value)
    // No seal (or chunk of one) either: they are long base64url runs.
    expect(text).not.toMatch(/[A-Za-z0-9_-]{60,}/)
  }
}
