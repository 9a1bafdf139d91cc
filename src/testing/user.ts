// The user a simulated login signs in as, and which of the user's claims a scope lets through
// to the ID token and /userinfo.

/**
 * The user a simulated login signs in as: `sub` and profile claims, plus any custom claims
 * (Auth0 Actions add namespaced ones such as `"https://example.com/roles"`). Standard profile
 * and email claims reach the ID token and `/userinfo` only when the scope asks for them
 * (`profile`, `email`); custom claims always do.
 *
 * @example
 * ```ts
 * const jane: Partial<TestUser> = { sub: 'auth0|jane', name: 'Jane Doe', email: 'jane@example.com', 'https://example.com/roles': ['admin'] }
 * const callback = await auth0.authorize(url, { user: jane })
 * ```
 */
export interface TestUser {
  /** Default `"auth0|test-user"`. */
  sub: string
  /** Default `"Test User"` (scope `profile`). */
  name?: string
  /** Default `"test.user"` (scope `profile`). */
  nickname?: string
  /** A URL of the user's picture (scope `profile`). */
  picture?: string
  /** Default `"test.user@example.com"` (scope `email`). */
  email?: string
  /** Default `true` (scope `email`). */
  email_verified?: boolean
  /** When the profile last changed, an ISO 8601 date (scope `profile`). */
  updated_at?: string
  [claim: string]: unknown
}

/** Who logs in unless the handlers' options or the login say otherwise. */
export const DEFAULT_USER: TestUser = {
  sub: 'auth0|test-user',
  name: 'Test User',
  nickname: 'test.user',
  picture: 'https://s.gravatar.com/avatar/test-user.png',
  email: 'test.user@example.com',
  email_verified: true,
  updated_at: '2024-01-01T00:00:00.000Z',
}

const PROFILE_CLAIMS = new Set([
  'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile',
  'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
])
const SCOPED_CLAIMS: Record<string, string> = {
  email: 'email',
  email_verified: 'email',
  address: 'address',
  phone_number: 'phone',
  phone_number_verified: 'phone',
}

/** The user's claims that the scope lets through: sub, scoped standard claims, custom claims. */
export function profileClaims(user: TestUser, scope: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { sub: user.sub }
  for (const [name, value] of Object.entries(user)) {
    if (name === 'sub' || value === undefined) continue
    const needs = PROFILE_CLAIMS.has(name) ? 'profile' : SCOPED_CLAIMS[name]
    if (needs === undefined || scope.includes(needs)) out[name] = value
  }
  return out
}

/** Splits a space-separated scope into its distinct names. */
export function scopeList(scope: string | null | undefined): string[] {
  return [...new Set((scope ?? '').split(/\s+/).filter(Boolean))]
}
