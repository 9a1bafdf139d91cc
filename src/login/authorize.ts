// The /authorize URL and its parameter checks, and Auth0 organization invitations.
import { normalizeDomain } from '../auth0.js'
import { CallbackError, ConfigError } from '../errors.js'
import { checkRedirectUri, httpUrl, requireUrlText, scopeString, wellFormed } from '../lib/checks.js'

/**
 * The optional parameters of an authorization request, shared by {@link buildAuthorizeUrl}
 * and {@link createAuthorizationRequest}.
 *
 * @example
 * ```ts
 * const options: AuthorizeOptions = { scope: 'openid profile offline_access', audience: 'https://api.example.com', prompt: 'login' }
 * ```
 */
export interface AuthorizeOptions {
  /** Scopes, space-separated or as an array. Include `offline_access` for a refresh token. */
  scope?: string | string[] | undefined
  /** The API identifier to get an access token for (Auth0's `audience`). */
  audience?: string | undefined
  /** Auth0 organization ID (`org_...`) or name to log in to. */
  organization?: string | undefined
  /** Auth0 organization invitation ticket (see {@link parseInvitationUrl}). */
  invitation?: string | undefined
  /** `none`, `login`, `consent`, `select_account`, or several space-separated. */
  prompt?: string | undefined
  /** The Auth0 connection to use, skipping the choice on the login page. */
  connection?: string | undefined
  /** Pre-fills the username/email on the login page. */
  loginHint?: string | undefined
  /** Auth0 Universal Login screen to show first, e.g. `"signup"`. */
  screenHint?: string | undefined
  /** Seconds since the last authentication after which the user must log in again. */
  maxAge?: number | undefined
  /** Space-separated BCP 47 language tags for the login page. */
  uiLocales?: string | undefined
  /** How the code comes back: `query` (default) or `form_post`. */
  responseMode?: 'query' | 'form_post' | undefined
  /**
   * Any further parameters. A name that has its own option above is refused, and so are
   * `request` and `request_uri` (RFC 9101), which would replace the whole request.
   */
  extraParams?: Record<string, string> | undefined
}

/**
 * Parameters of {@link buildAuthorizeUrl}.
 *
 * @example
 * ```ts
 * const params: BuildAuthorizeUrlParams = {
 *   domain: 'my-tenant.eu.auth0.com',
 *   clientId: 'abc',
 *   redirectUri: 'https://app.example.com/callback',
 *   state: generateState(),
 * }
 * ```
 */
export interface BuildAuthorizeUrlParams extends AuthorizeOptions {
  /** Auth0 tenant or custom domain (`https://` optional). Or give `authorizationEndpoint`. */
  domain?: string
  /** The full authorization endpoint URL of any provider. */
  authorizationEndpoint?: string
  /** The application's client ID. */
  clientId: string
  /** Absolute http(s) URL with no fragment; must be an allowed callback URL of the app. */
  redirectUri: string
  /** An unguessable value (see {@link generateState}) that the callback must carry back. */
  state: string
  /** Ties the ID token to this login (see {@link generateNonce}); checked when the code is exchanged. */
  nonce?: string
  /** The PKCE challenge of a code verifier (see {@link createCodeChallenge}). */
  codeChallenge?: string
  /** The PKCE method; only `S256` is supported. */
  codeChallengeMethod?: 'S256'
}

// The parameters, in the order they go on the URL (as in Auth0's documentation), by the name of their
// option; each one's wire name is its snake_case form, worked out on first use (not at import
// time, so that a bundle without buildAuthorizeUrl drops all of it). response_type is always code.
const OPTIONS =
  'responseType clientId redirectUri scope audience state nonce codeChallenge codeChallengeMethod organization invitation ' +
  'prompt connection loginHint screenHint maxAge uiLocales responseMode'
let params: (readonly [option: string, name: string])[] | undefined

/**
 * Builds the `/authorize` URL to send the user to (`response_type=code`). Pure: no I/O, no
 * randomness; give it the `state` (and `nonce`, `codeChallenge`) you stored.
 *
 * Parameters appear in the order of Auth0's documentation: response_type, client_id,
 * redirect_uri, scope, audience, state, then the rest.
 *
 * @throws {ConfigError} for a missing `clientId`/`state`, neither `domain` nor
 *   `authorizationEndpoint`, a `redirectUri` that is not an absolute http(s) URL or has a
 *   fragment, a bad `maxAge`/`responseMode`/`codeChallengeMethod`, or an `extraParams` name
 *   that has its own option or is `request`/`request_uri`.
 * @example
 * ```ts
 * import { buildAuthorizeUrl, generateState } from 'authcode'
 * const url = buildAuthorizeUrl({
 *   domain: 'my-tenant.eu.auth0.com',
 *   clientId: 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6',
 *   redirectUri: 'https://app.example.com/callback',
 *   scope: ['appointments', 'contacts'],
 *   audience: 'appointments:api',
 *   state: generateState(),
 * })
 * // https://my-tenant.eu.auth0.com/authorize?response_type=code&client_id=…&scope=appointments+contacts&…
 * ```
 */
export function buildAuthorizeUrl(p: BuildAuthorizeUrlParams): URL {
  if (typeof p !== 'object' || p === null) throw new ConfigError('params', 'must be an object')
  const url =
    p.authorizationEndpoint !== undefined
      ? httpUrl(p.authorizationEndpoint, 'authorizationEndpoint')
      : p.domain !== undefined
        ? new URL(`https://${normalizeDomain(p.domain)}/authorize`)
        : undefined
  if (url === undefined) throw new ConfigError('domain', 'give "domain" or "authorizationEndpoint"')
  const q = url.searchParams
  params ??= OPTIONS.split(' ').map((key) => [key, key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] as const)
  for (const [key, name] of params) {
    let value = (p as unknown as Record<string, unknown>)[key]
    switch (key) {
      case 'responseType':
        value = 'code'
        break
      case 'clientId':
      case 'state':
        value = requireUrlText(value, key)
        break
      case 'redirectUri':
        value = checkRedirectUri(value)
        break
      case 'scope':
        value = scopeString(value as string | string[] | undefined)
        break
      case 'codeChallengeMethod':
        if (p.codeChallenge === undefined) {
          if (value !== undefined) throw new ConfigError('codeChallenge', 'is required with codeChallengeMethod')
        } else if ((value ??= 'S256') !== 'S256') {
          throw new ConfigError(key, 'must be "S256"')
        }
        break
      case 'maxAge':
        if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= 0)) {
          throw new ConfigError(key, 'must be a whole number of seconds (0 or more)')
        }
        break
      case 'responseMode':
        if (value !== undefined && value !== 'query' && value !== 'form_post') throw new ConfigError(key, 'must be "query" or "form_post"')
        break
      default:
        if (value !== undefined) requireUrlText(value, key)
    }
    // (max_age: a safe integer, which URLSearchParams writes in plain decimal digits)
    if (value !== undefined) q.set(name, value as string)
  }
  const extra = p.extraParams
  if (extra !== undefined) {
    if (typeof extra !== 'object' || extra === null) throw new ConfigError('extraParams', 'must be an object')
    for (const name of Object.keys(extra)) {
      const field = `extraParams.${name}`
      if (params.some((param) => param[1] === name)) throw new ConfigError(field, 'has its own option')
      // A request object (RFC 9101) replaces every other parameter at the server, unchecked by
      // us; PAR (par: true) sets request_uri itself.
      if (name === 'request' || name === 'request_uri') throw new ConfigError(field, 'would replace the whole request (use par: true)')
      const value = extra[name]
      if (typeof value !== 'string') throw new ConfigError(field, 'must be a string')
      q.set(wellFormed(name, field), wellFormed(value, field))
    }
  }
  return url
}

/**
 * What an Auth0 organization invitation link carries, ready to spread into the next
 * authorization request.
 *
 * @example
 * ```ts
 * const { invitation, organization, organizationName }: InvitationParams = parseInvitationUrl(link)
 * ```
 */
export interface InvitationParams {
  /** The invitation ticket (`invitation`). */
  invitation: string
  /** The organization ID (`organization`). */
  organization: string
  /** The organization's name (`organization_name`), when the link carries it. */
  organizationName?: string
}

/**
 * Reads Auth0's organization invitation link (`?invitation=…&organization=…&organization_name=…`),
 * which Auth0 sends to your app's login route when a user accepts an invitation.
 *
 * @throws {CallbackError} when the link lacks `invitation` or `organization`, or repeats one.
 * @example
 * ```ts
 * import { parseInvitationUrl, createAuthorizationRequest } from 'authcode'
 * const { invitation, organization } = parseInvitationUrl(request.url)
 * const { url, transaction } = await createAuthorizationRequest(config, {
 *   redirectUri: 'https://app.example.com/callback',
 *   invitation,
 *   organization,
 * })
 * ```
 */
export function parseInvitationUrl(url: string | URL): InvitationParams {
  let parsed: URL
  try {
    parsed = url instanceof URL ? url : new URL(url)
  } catch {
    throw new CallbackError('The invitation link is not an absolute URL')
  }
  const q = parsed.searchParams
  const one = (name: string): string | undefined => {
    const all = q.getAll(name)
    if (all.length > 1) throw new CallbackError(`The invitation link repeats the "${name}" parameter`)
    return all[0] === '' ? undefined : all[0]
  }
  const invitation = one('invitation')
  const organization = one('organization')
  const organizationName = one('organization_name')
  if (invitation === undefined || organization === undefined) {
    const missing = [invitation === undefined && '"invitation"', organization === undefined && '"organization"'].filter(Boolean)
    throw new CallbackError(`The invitation link has no ${missing.join(' and ')} parameter; it must carry both`)
  }
  return organizationName === undefined ? { invitation, organization } : { invitation, organization, organizationName }
}
