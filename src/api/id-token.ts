// verifyIdToken: a full check of an ID token received from elsewhere, signature included.
import { type JWTPayload, jwtVerify, errors as joseErrors } from 'jose'
import { AuthcodeError, ConfigError, IdTokenError } from '../errors.js'
import { requireText } from '../lib/checks.js'
import { checkOrganization } from '../auth0.js'
import { type InferClaims, type StandardSchemaV1, validateWithSchema } from '../lib/standard-schema.js'
import type { IdTokenClaims } from '../token-set.js'
import { NoMatchingKeyError, cachedIssuerKeys } from './keys.js'

// ID tokens have typ "JWT" or none (OpenID Connect names none of its own).
const ID_TOKEN_TYP = new Set(['jwt', 'application/jwt'])

/**
 * Options of {@link verifyIdToken}.
 *
 * @example
 * ```ts
 * const options: VerifyIdTokenOptions = { domain: 'my-tenant.eu.auth0.com', clientId: 'abc', nonce }
 * ```
 */
export interface VerifyIdTokenOptions<S extends StandardSchemaV1 | undefined = undefined> {
  /** Auth0 tenant or custom domain. */
  domain?: string | undefined
  /**
   * Or any OpenID provider's issuer (keys from its discovery document's `jwks_uri`). Compared
   * with the document's issuer as URLs; the token's `iss` must be the document's spelling.
   */
  issuer?: string | undefined
  /** The client the token was issued to: must be in `aud` (and be `azp` when `aud` has several). */
  clientId: string
  /** The nonce of the authorization request, when there was one. */
  nonce?: string | undefined
  /** The max_age of the request: `auth_time` must be recent enough. */
  maxAge?: number | undefined
  /** The organization (ID `org_…` or name) the login was for. */
  organization?: string | undefined
  /** Accepted algorithms. Default `['RS256']`. */
  algorithms?: string[] | undefined
  /** Leeway for `exp`/`iat`/`auth_time`, in seconds. Default 60 (as Auth0's SDKs). */
  clockToleranceSeconds?: number | undefined
  /** A schema (zod, …) for custom claims; the result is typed from it. */
  claims?: S | undefined
  /** The fetch for discovery and JWKS. Default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined
  /** Allow an `http://` issuer. For local development only. */
  allowInsecureRequests?: boolean | undefined
}

/**
 * Verifies an ID token you received from somewhere other than your own token request (for
 * example from a front end): signature against the issuer's JWKS, `iss`, `aud`, `exp`, `iat`,
 * `azp`, and when given `nonce`, `auth_time` against `maxAge`, and Auth0's `org_id`/`org_name`.
 * A token of another kind is refused: a `typ` other than `JWT` (a logout token's
 * `logout+jwt`, an access token's `at+jwt`), or an `events` claim.
 *
 * @throws {IdTokenError} for any failed check (never with the token in the message).
 * @throws {ConfigError} for bad options.
 * @throws {ResponseError|NetworkError|TimeoutError} when the keys cannot be fetched.
 * @example
 * ```ts
 * import { verifyIdToken } from 'authcode/api'
 * const claims = await verifyIdToken(idToken, { domain: 'my-tenant.eu.auth0.com', clientId: 'abc', nonce })
 * claims.sub // "auth0|5f7c8ec7c33c6c004bbafe82"
 * ```
 */
export async function verifyIdToken<S extends StandardSchemaV1 | undefined = undefined>(
  idToken: string,
  options: VerifyIdTokenOptions<S>,
): Promise<IdTokenClaims & InferClaims<S>> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'must be an object')
  const o = options
  requireText(o.clientId, 'clientId')
  if (typeof idToken !== 'string' || idToken.split('.').length !== 3) throw new IdTokenError('The ID token is not a signed JWT')
  const algorithms = o.algorithms ?? ['RS256']
  if (algorithms.some((a) => a.toLowerCase() === 'none' || a.startsWith('HS'))) {
    throw new ConfigError('algorithms', 'verifyIdToken accepts asymmetric algorithms only')
  }
  const tolerance = o.clockToleranceSeconds ?? 60
  if (o.maxAge !== undefined && (!Number.isInteger(o.maxAge) || o.maxAge < 0)) throw new ConfigError('maxAge', 'must be a whole number of seconds')
  const keys = cachedIssuerKeys(o)

  let payload: JWTPayload
  let typ: string | undefined
  try {
    ;({ payload, protectedHeader: { typ } } = await jwtVerify(idToken, keys.getKey, {
      audience: o.clientId,
      algorithms,
      clockTolerance: tolerance,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
    }))
  } catch (err) {
    if (err instanceof AuthcodeError) throw err
    if (err instanceof joseErrors.JWTExpired) throw new IdTokenError('The ID token has expired')
    if (err instanceof joseErrors.JWTClaimValidationFailed) throw new IdTokenError(`The ID token failed the "${err.claim}" check`)
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new IdTokenError('The ID token signature is invalid')
    if (err instanceof NoMatchingKeyError) throw new IdTokenError('The ID token is signed with a key the issuer does not publish')
    if (err instanceof joseErrors.JOSEAlgNotAllowed) throw new IdTokenError('The ID token is signed with an algorithm that is not accepted')
    throw new IdTokenError('The ID token could not be verified')
  }
  // The issuer as the discovery document spells it, known once the keys have been fetched.
  if (payload.iss !== (keys.issuer ?? (await keys.discoverIssuer()))) throw new IdTokenError('The ID token failed the "iss" check')
  // Another kind of token from the same issuer for the same client: a logout token, an access token.
  if (typ !== undefined && !ID_TOKEN_TYP.has(String(typ).toLowerCase())) {
    throw new IdTokenError(`The token's "typ" (${String(typ).slice(0, 40)}) says it is not an ID token`)
  }
  if (payload.events !== undefined) throw new IdTokenError('The token has an "events" claim: it is a security event (such as a logout token), not an ID token')
  const claims = payload as IdTokenClaims
  if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== o.clientId) {
    throw new IdTokenError('The ID token has several audiences and its "azp" is not this client')
  }
  if (o.nonce !== undefined && claims.nonce !== o.nonce) throw new IdTokenError('The ID token\'s "nonce" does not match the authorization request')
  if (o.maxAge !== undefined) {
    const now = Math.floor(Date.now() / 1000)
    if (typeof claims.auth_time !== 'number') throw new IdTokenError('The ID token has no "auth_time", which max_age requires')
    if (claims.auth_time + o.maxAge < now - tolerance) throw new IdTokenError('Too much time has passed since the user last authenticated (max_age)')
  }
  if (o.organization !== undefined) checkOrganization(o.organization, claims)
  if (o.claims === undefined) return claims as IdTokenClaims & InferClaims<S>
  const checked = await validateWithSchema(o.claims, claims)
  if (!checked.ok) throw new IdTokenError(`The ID token's claims do not match the expected schema: ${checked.problem}`)
  return { ...claims, ...(checked.value as object) } as IdTokenClaims & InferClaims<S>
}
