// verifyLogoutToken: OpenID Connect Back-Channel Logout tokens, checked before a session is ended.
import { type JWTPayload, jwtVerify, errors as joseErrors } from 'jose'
import { AuthcodeError, ConfigError, LogoutTokenError } from '../errors.js'
import { requireText } from '../lib/checks.js'
import { isObject } from '../lib/shape.js'
import { cachedIssuerKeys } from './keys.js'

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/**
 * Options of {@link verifyLogoutToken}.
 *
 * @example
 * ```ts
 * const options: VerifyLogoutTokenOptions = { domain: 'my-tenant.eu.auth0.com', clientId: 'abc' }
 * ```
 */
export interface VerifyLogoutTokenOptions {
  /** Auth0 tenant or custom domain. */
  domain?: string | undefined
  /**
   * Or any OpenID provider's issuer (keys from its discovery document). Compared with the
   * document's issuer as URLs; the token's `iss` must be the document's spelling.
   */
  issuer?: string | undefined
  /** Your application's client ID: the token's audience. */
  clientId: string
  /** Accepted algorithms. Default `['RS256']`. */
  algorithms?: string[] | undefined
  /** Leeway for `iat`/`exp`, in seconds. Default 60. */
  clockToleranceSeconds?: number | undefined
  /** Refuse tokens issued longer ago than this. Default 300 s. */
  maxAgeSeconds?: number | undefined
  /** Called with each token's `jti`; return true if it was seen before (replay). */
  seen?: (jti: string) => boolean | Promise<boolean> | undefined
  /** The fetch for discovery and JWKS. Default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined
  /** Allow an `http://` issuer. For local development only. */
  allowInsecureRequests?: boolean | undefined
}

/**
 * The checked contents of a logout token: end the sessions with this `sid` (and/or of `sub`).
 *
 * @example
 * ```ts
 * const { sid, sub }: LogoutTokenClaims = await verifyLogoutToken(token, options)
 * ```
 */
export interface LogoutTokenClaims {
  /** The issuer, checked against the configured one. */
  iss: string
  /** The audience: your `clientId` (checked). */
  aud: string | string[]
  /** Epoch seconds of issue; older than `maxAgeSeconds` is refused. */
  iat: number
  /** The token's unique id, given to `seen` to refuse a replay. */
  jti: string
  /** The user whose sessions end, when the provider names one (`sub`, `sid` or both are there). */
  sub?: string
  /** The provider session to end, when the provider names one. */
  sid?: string
  /** Holds the back-channel logout event (`http://schemas.openid.net/event/backchannel-logout`), checked. */
  events: Record<string, unknown>
}

/**
 * Verifies a back-channel logout token (the `logout_token` form field the provider POSTs to
 * your back-channel logout URL): signature against the issuer's JWKS, `iss`, `aud`, `iat`
 * (and `exp` when present), `typ` (`logout+jwt` or `JWT` when present), the back-channel
 * `events` member, `sub` or `sid`, no `nonce`, and a fresh `jti` when `seen` is given.
 *
 * @throws {LogoutTokenError} for any failed check (answer 400).
 * @throws {ConfigError} for bad options; {@link ResponseError}/{@link NetworkError} when keys cannot be fetched.
 * @example
 * ```ts
 * import { verifyLogoutToken } from 'authcode/api'
 * const form = await request.formData()
 * const { sid } = await verifyLogoutToken(String(form.get('logout_token')), { domain: 'my-tenant.eu.auth0.com', clientId: 'abc' })
 * await sessions.deleteBySid(sid)
 * ```
 */
export async function verifyLogoutToken(token: string, options: VerifyLogoutTokenOptions): Promise<LogoutTokenClaims> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'must be an object')
  const o = options
  requireText(o.clientId, 'clientId')
  const algorithms = o.algorithms ?? ['RS256']
  if (algorithms.some((a) => a.toLowerCase() === 'none' || a.startsWith('HS'))) throw new ConfigError('algorithms', 'asymmetric algorithms only')
  if (typeof token !== 'string' || token.split('.').length !== 3) throw new LogoutTokenError('The logout token is not a signed JWT')
  const keys = cachedIssuerKeys(o)
  const tolerance = o.clockToleranceSeconds ?? 60
  let payload: JWTPayload
  let typ: string | undefined
  try {
    const result = await jwtVerify(token, keys.getKey, {
      audience: o.clientId,
      algorithms,
      clockTolerance: tolerance,
      maxTokenAge: o.maxAgeSeconds ?? 300,
      requiredClaims: ['iss', 'iat', 'jti'],
    })
    payload = result.payload
    typ = result.protectedHeader.typ
  } catch (err) {
    if (err instanceof AuthcodeError) throw err
    if (err instanceof joseErrors.JWTClaimValidationFailed || err instanceof joseErrors.JWTExpired) {
      throw new LogoutTokenError(`The logout token failed the "${err.claim}" check`)
    }
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new LogoutTokenError('The logout token signature is invalid')
    throw new LogoutTokenError('The logout token could not be verified')
  }
  // The issuer as the discovery document spells it, known once the keys have been fetched.
  if (payload.iss !== (keys.issuer ?? (await keys.discoverIssuer()))) throw new LogoutTokenError('The logout token failed the "iss" check')
  if (typ !== undefined && !['logout+jwt', 'application/logout+jwt', 'jwt'].includes(String(typ).toLowerCase())) {
    throw new LogoutTokenError('The token\'s "typ" says it is not a logout token')
  }
  const events = payload.events as Record<string, unknown> | undefined
  const event = events?.[BACKCHANNEL_EVENT]
  if (!isObject(event)) {
    throw new LogoutTokenError('The logout token has no back-channel logout event')
  }
  if (typeof payload.sub !== 'string' && typeof payload.sid !== 'string') throw new LogoutTokenError('The logout token names neither "sub" nor "sid"')
  if ('nonce' in payload) throw new LogoutTokenError('A logout token must not carry a "nonce" (it may be an ID token)')
  if (o.seen !== undefined && (await o.seen(payload.jti as string))) throw new LogoutTokenError('The logout token was already used (jti replay)')
  return payload as unknown as LogoutTokenClaims
}
