// /authorize: a simulated login that issues a code (authorize(), and the GET route that
// redirects with it), with the checks Auth0 makes before it trusts the redirect_uri.
import type { JWTPayload } from 'jose'
import type { Grant, TenantState } from './state.js'
import { DEFAULT_USER, type TestUser, scopeList } from './user.js'
import { describeError, loginErrorPage, nowSeconds, randomToken, repeatedParam } from './wire.js'

/**
 * What a simulated login does, for {@link Auth0Handlers.authorize}.
 *
 * @example
 * ```ts
 * await auth0.authorize(url, { user: { name: 'Jane' }, accessTokenClaims: { permissions: ['read:contacts'] } })
 * await auth0.authorize(url, { error: 'access_denied', errorDescription: 'User did not consent' })
 * ```
 */
export interface TestLoginOptions {
  /** Who logs in; merged over the handlers' `user` and the default test user. */
  user?: Partial<TestUser>
  /** Send the user back with `error=…` (e.g. `access_denied`, `login_required`) and no code. */
  error?: string
  /** The `error_description` to go with `error`. */
  errorDescription?: string
  /** Claims set on the ID tokens of this login, over everything else (e.g. a wrong `nonce`, to test rejection). */
  idTokenClaims?: JWTPayload
  /** Claims set on the access tokens of this login (e.g. Auth0 RBAC `permissions`). */
  accessTokenClaims?: JWTPayload
}

/**
 * Logs a user in and returns the callback URL (see Auth0Handlers.authorize). Throws where Auth0
 * shows an error page: a request it cannot send back to a trusted redirect_uri.
 */
export async function authorize(state: TenantState, authorizeUrl: URL | string, p: TestLoginOptions = {}): Promise<URL> {
  const { tenant, settings, urls } = state
  let url: URL
  try {
    url = new URL(authorizeUrl)
  } catch {
    throw new TypeError('authorize(): give the authorization URL your app redirects to (an absolute URL)')
  }
  if (url.origin + url.pathname !== urls.authorize) {
    throw new Error(`authorize(): ${url.origin + url.pathname} is not this tenant's authorization endpoint (${urls.authorize})`)
  }
  const q = url.searchParams
  const repeated = repeatedParam(q)
  if (repeated !== undefined) throw new Error(`authorize(): the parameter "${repeated}" is repeated (Auth0 shows an error page)`)
  const clientId = q.get('client_id')
  if (clientId !== tenant.clientId) {
    throw new Error(`authorize(): ${clientId === null ? 'no client_id' : `unknown client_id "${clientId}"`} (this tenant's application is "${tenant.clientId}"; Auth0 shows an error page)`)
  }
  const redirectUri = q.get('redirect_uri')
  if (!redirectUri) throw new Error('authorize(): no redirect_uri (Auth0 shows an error page)')
  let callback: URL
  try {
    callback = new URL(redirectUri)
  } catch {
    throw new Error('authorize(): redirect_uri is not an absolute URL (Auth0 shows an error page)')
  }
  if (settings.callbackUrls !== undefined && !settings.callbackUrls.includes(redirectUri)) {
    throw new Error(`authorize(): Callback URL mismatch: ${redirectUri} is not in the Allowed Callback URLs (Auth0 shows an error page)`)
  }
  callback.hash = '' // Auth0 drops fragments
  const stateParam = q.get('state')
  const reply = (params: Record<string, string>) => {
    for (const [name, value] of Object.entries(params)) callback.searchParams.set(name, value)
    if (stateParam !== null) callback.searchParams.set('state', stateParam)
    callback.searchParams.set('iss', tenant.issuer)
    return callback
  }

  if (p.error !== undefined) return reply({ error: p.error, error_description: p.errorDescription ?? describeError(p.error, undefined) })
  const responseType = q.get('response_type')
  if (responseType !== 'code') {
    return reply({ error: 'unsupported_response_type', error_description: `Unsupported response type: ${responseType ?? '(none)'}; this stand-in tenant does the authorization code flow` })
  }
  const codeChallenge = q.get('code_challenge') ?? undefined
  const codeChallengeMethod = q.get('code_challenge_method') ?? 'plain'
  if (codeChallengeMethod !== 'S256' && codeChallengeMethod !== 'plain') {
    return reply({ error: 'invalid_request', error_description: `Unsupported code_challenge_method: ${codeChallengeMethod}` })
  }
  if (codeChallenge === undefined && q.has('code_challenge_method')) {
    return reply({ error: 'invalid_request', error_description: 'code_challenge_method without code_challenge' })
  }

  const code = randomToken(24)
  state.codes.set(code, {
    clientId,
    user: { ...DEFAULT_USER, ...settings.user, ...p.user } as TestUser,
    scope: scopeList(q.get('scope')),
    audience: q.get('audience') ?? settings.audience,
    org: organizationClaims(q.get('organization')),
    authTime: nowSeconds(),
    sid: randomToken(16),
    idTokenClaims: { ...p.idTokenClaims },
    accessTokenClaims: { ...p.accessTokenClaims },
    redirectUri,
    codeChallenge,
    codeChallengeMethod,
    nonce: q.get('nonce') ?? undefined,
    used: false,
    families: [],
  })
  return reply({ code })
}

/** The org claims for an `organization` parameter: an org ID as is, or a name Auth0 resolves. */
function organizationClaims(organization: string | null): Grant['org'] {
  if (!organization) return {}
  if (organization.startsWith('org_')) return { org_id: organization }
  return { org_id: `org_${organization.toLowerCase()}`, org_name: organization.toLowerCase() }
}

/** GET /authorize: redirects to the callback, or shows Auth0's error page. */
export async function authorizeEndpoint(state: TenantState, request: Request): Promise<Response> {
  try {
    return new Response(null, { status: 302, headers: { location: (await authorize(state, request.url)).href } })
  } catch (err) {
    return loginErrorPage(String((err as Error).message))
  }
}
