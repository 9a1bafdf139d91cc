// createAccessTokenVerifier: checks a Bearer access token against the issuer's JWKS, for any API in any runtime.
import { type JWK, type JWSHeaderParameters, compactVerify } from 'jose'
import { AuthcodeError, ConfigError, InvalidTokenError } from '../errors.js'
import { type InferClaims, type StandardSchemaV1, validateWithSchema } from '../lib/standard-schema.js'
import type { DpopProofs, DpopRequest } from './dpop.js'
import { NoMatchingKeyError, issuerKeys } from './keys.js'
import { parseAuthorization, requireScopes } from './scopes.js'

/**
 * The registered claims of a verified access token (RFC 9068), plus the scope claims of
 * Auth0 (`permissions`), Microsoft Entra ID and Okta (`scp`), AWS Cognito's `token_use`, and
 * any other claim as `unknown`.
 *
 * @example
 * ```ts
 * const claims: AccessTokenClaims = await verify(request.headers.get('authorization') ?? '')
 * claims.sub // "auth0|5f7c8ec7c33c6c004bbafe82"
 * ```
 */
export interface AccessTokenClaims {
  /** The issuer, checked against the configured one. */
  iss: string
  /** The user (or, for client credentials, the client) the token was issued for. */
  sub: string
  /** Checked against `audience`; absent only from tokens checked by `clientId` alone (AWS Cognito). */
  aud?: string | string[]
  /** Epoch seconds at which the token expires (checked). */
  exp: number
  /** Epoch seconds of issue. */
  iat?: number
  /** Epoch seconds before which the token is not valid (checked when present). */
  nbf?: number
  /** The token's unique id, when the issuer sets one. */
  jti?: string
  /** The client the token was issued to (authorized party), when the issuer sets it. */
  azp?: string
  /** The client the token was issued to; checked against `clientId` when given. */
  client_id?: string
  /** Space-separated scopes. */
  scope?: string
  /** Scopes as Microsoft Entra ID (space-separated) and Okta (a list) put them. */
  scp?: string | string[]
  /** Auth0 RBAC permissions. */
  permissions?: string[]
  /** AWS Cognito's kind of token: always `"access"` here (an ID token's `"id"` is refused). */
  token_use?: string
  [claim: string]: unknown
}

/**
 * What Auth0's JWKS cache export looks like: give the same object to every verifier of a
 * serverless function (load it before, save it after) and a cold start does not refetch keys.
 *
 * @example
 * ```ts
 * const jwksCache: JwksCache = JSON.parse((await kv.get('jwks')) ?? '{}')
 * const verify = createAccessTokenVerifier({ domain, audience, jwksCache })
 * // ... after handling the request:
 * await kv.put('jwks', JSON.stringify(jwksCache))
 * ```
 */
export interface JwksCache {
  /** The cached key set (written by the verifier). */
  jwks?: { keys: Record<string, unknown>[] }
  /** When it was fetched, in ms since the epoch (written by the verifier). */
  uat?: number
  /** With `issuer`: the issuer as the discovery document spells it (written by the verifier). */
  issuer?: string
}

/**
 * Options of {@link createAccessTokenVerifier}.
 *
 * @example
 * ```ts
 * const options: AccessTokenVerifierOptions = { domain: 'my-tenant.eu.auth0.com', audience: 'https://api.example.com' }
 * // AWS Cognito: access tokens carry the app client id in "client_id" and no "aud".
 * const cognito: AccessTokenVerifierOptions = { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI', clientId: '3n4b5urk1ft4fl3mg5e62d9ado' }
 * ```
 */
export interface AccessTokenVerifierOptions<S extends StandardSchemaV1 | undefined = undefined> {
  /** Auth0 tenant or custom domain: issuer `https://{domain}/`, keys at `/.well-known/jwks.json`. */
  domain?: string | undefined
  /**
   * Or the issuer URL of any OpenID provider: keys from `jwks_uri` of its discovery document,
   * which must name the same issuer compared as URLs (`https://accounts.google.com` and
   * `https://accounts.google.com/` are one). Tokens' `iss` must then be exactly the
   * document's spelling.
   */
  issuer?: string | undefined
  /** This API's identifier(s); the token's `aud` must contain one. Required unless `clientId` is given. */
  audience?: string | string[] | undefined
  /**
   * The app client id(s) the token's `client_id` must be one of: for providers whose access
   * tokens carry no `aud` (AWS Cognito), instead of `audience`. With both, both are checked.
   */
  clientId?: string | string[] | undefined
  /** Accepted signing algorithms. Default `['RS256']`. HS* need `secret`; `none` is never accepted. */
  algorithms?: string[] | undefined
  /** The shared secret for HS256/384/512 (Auth0's "HS256" API signing). */
  secret?: string | undefined
  /** Leeway for `exp`/`nbf`, in seconds. Default 5. */
  clockToleranceSeconds?: number | undefined
  /** A schema (zod, valibot, …) for custom claims; the verifier's result is typed from it. */
  claims?: S | undefined
  /** A JWKS cache object to persist between serverless invocations (see {@link JwksCache}). */
  jwksCache?: JwksCache | undefined
  /** The fetch for discovery and JWKS. Default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined
  /** Timeout for a discovery or JWKS request. Default 5 000 ms. */
  timeoutMs?: number | undefined
  /** Allow an `http://` issuer. For local development only. */
  allowInsecureRequests?: boolean | undefined
  /**
   * Accept DPoP-bound tokens (RFC 9449): `dpop: dpopProofs()` checks their proofs, with its own
   * `jti` replay memory. Without it a token bound to a key (`cnf.jkt`) is always refused.
   */
  dpop?: DpopProofs | undefined
}

/**
 * Options of one verification.
 *
 * @example
 * ```ts
 * await verify(header, { requiredScopes: ['read:contacts'] })
 * ```
 */
export interface VerifyOptions {
  /** Every one must be in the token's `scope`, `scp` (Entra ID, Okta) or Auth0 `permissions`. */
  requiredScopes?: readonly string[] | undefined
  /**
   * The request, for DPoP (RFC 9449). With a verifier made with `dpop: dpopProofs()`, a token
   * bound to a key (`cnf.jkt`) is accepted only with the `DPoP` scheme and a valid proof for
   * this method and URL; without `dpop` here such a token is refused. A Bearer token needs
   * nothing here.
   */
  dpop?: DpopRequest | undefined
}

/**
 * A function that verifies an access token (raw JWT or `Authorization` header value).
 *
 * @example
 * ```ts
 * const verify: AccessTokenVerifier = createAccessTokenVerifier({ domain, audience })
 * const claims = await verify('Bearer eyJhbGciOi…')
 * ```
 */
export type AccessTokenVerifier<C = {}> = (
  tokenOrAuthorizationHeader: string | null | undefined,
  options?: VerifyOptions,
) => Promise<AccessTokenClaims & C>

const ALLOWED_TYP = new Set(['at+jwt', 'application/at+jwt', 'jwt'])

/** Why a token is not a compact JWS (three dot-separated parts), or undefined when it is one. */
function describeNonJws(token: string): string | undefined {
  let dots = 0
  for (let i = token.indexOf('.'); i !== -1; i = token.indexOf('.', i + 1)) dots++
  if (dots === 2) return undefined
  if (dots === 4) {
    return 'The access token is encrypted (a JWE), not a signed JWT: Auth0 issues those when the login asked for no "audience". Add your API identifier as "audience" to the authorization request'
  }
  return 'The access token is not a JWT (an opaque token, e.g. one for /userinfo only): request it with your API identifier as "audience"'
}

/** The message for a failed registered-claim check, naming the claim. */
function claimError(claim: string): InvalidTokenError {
  const what =
    claim === 'iss' ? 'is from another issuer ("iss")' :
    claim === 'aud' ? 'is not for this API ("aud"); check the audience the client requested' :
    claim === 'client_id' ? 'is for another app client ("client_id"); check clientId' :
    claim === 'nbf' ? 'is not valid yet ("nbf")' :
    claim === 'iat' ? 'has a bad "iat"' :
    `failed the "${claim}" check`
  return new InvalidTokenError(`The access token ${what}`)
}

/** The message for a token whose `typ` or `token_use` says it is another kind of token. */
function notAnAccessToken(claim: string, value: unknown): InvalidTokenError {
  return new InvalidTokenError(`The token's "${claim}" (${String(value).slice(0, 40)}) says it is not an access token`)
}

/** jose's errors by their stable `code` (no need to bundle its error classes for `instanceof`). */
function toInvalidToken(err: unknown): AuthcodeError {
  if (err instanceof AuthcodeError) return err
  if (err instanceof NoMatchingKeyError) {
    return new InvalidTokenError('The access token is signed with a key the issuer does not publish (unknown "kid")')
  }
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') {
    return new InvalidTokenError('The access token is signed with an algorithm this API does not accept (see "algorithms")')
  }
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return new InvalidTokenError('The access token signature is invalid')
  if (code === 'ERR_JOSE_NOT_SUPPORTED') return new InvalidTokenError('The access token uses an unsupported algorithm or key type')
  if (typeof code === 'string' && code.startsWith('ERR_J')) return new InvalidTokenError('The access token is malformed')
  return new InvalidTokenError('The access token could not be verified')
}

// Claims that are not valid UTF-8 are malformed, as jose's jwtVerify had it.
const decoder = new TextDecoder('utf-8', { fatal: true })

/** Whether a string has ASCII whitespace: a few native scans, cheaper than /\s/ on a whole token. */
function hasAsciiSpace(text: string): boolean {
  return text.includes(' ') || text.includes('\t') || text.includes('\n') || text.includes('\r') || text.includes('\f') || text.includes('\v')
}

// Checked for presence first, in this order, as jose's jwtVerify did (iss and aud: because they are configured).
const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'exp']
const REQUIRED_WITHOUT_AUD = ['iss', 'sub', 'exp']

/** A configured identifier or list of them, as a non-empty list of non-empty strings; undefined when not one. */
function identifiers(value: unknown): string[] | undefined {
  const list = typeof value === 'string' ? [value] : value
  return Array.isArray(list) && list.length > 0 && list.every((a) => typeof a === 'string' && a !== '') ? (list as string[]) : undefined
}

/** Whether the token's `aud` (a string or a list) names one of this API's identifiers. */
function forThisApi(aud: unknown, audiences: readonly string[]): boolean {
  if (typeof aud === 'string') return audiences.includes(aud)
  if (!Array.isArray(aud)) return false
  for (const a of aud) if (audiences.includes(a as string)) return true
  return false
}

/**
 * Makes a verifier for the access tokens your API receives: the JWT signature against the
 * issuer's JWKS (fetched once, cached, refetched on an unknown `kid` after a 30 s cooldown;
 * concurrent cold verifications share one fetch — except on Cloudflare Workers, where one
 * request cannot wait on another's fetch), then `iss`, `aud` (or `client_id` with
 * `clientId`), `exp`, `nbf`, `alg` (RS256 only by default), the RFC 9068 `typ` when present
 * (`at+jwt` or `JWT`), and AWS Cognito's `token_use` when present (`access`).
 *
 * While the JWKS (or discovery) cannot be fetched, the verifier waits 1 s before trying again,
 * then 2 s, 4 s, … up to 30 s, and meanwhile throws the failed fetch's error without a request;
 * keys fetched within the last hour keep verifying tokens signed with a known `kid`.
 *
 * The verifier takes a raw JWT or the `Authorization` header value (`Bearer …`, any case).
 * A DPoP-bound token (`cnf.jkt`) is refused unless the verifier is made with
 * `dpop: dpopProofs()` (see {@link dpopProofs}), which checks its proof.
 *
 * @throws {ConfigError} from the factory for bad options.
 * @returns a verifier that throws {@link InvalidTokenError} (401) or
 *   {@link InsufficientScopeError} (403), each with a ready `wwwAuthenticate` and never the
 *   token in the message; {@link ResponseError}/{@link NetworkError}/{@link TimeoutError}
 *   when the keys cannot be fetched (answer 503, the token may be fine).
 * @example
 * ```ts
 * import { createAccessTokenVerifier, InvalidTokenError, InsufficientScopeError } from 'authcode/api'
 * const verify = createAccessTokenVerifier({ domain: 'my-tenant.eu.auth0.com', audience: 'https://api.example.com' })
 * try {
 *   const claims = await verify(request.headers.get('authorization'), { requiredScopes: ['read:contacts'] })
 * } catch (err) {
 *   if (err instanceof InvalidTokenError || err instanceof InsufficientScopeError) {
 *     return new Response(null, { status: err.status, headers: { 'www-authenticate': err.wwwAuthenticate } })
 *   }
 *   throw err
 * }
 * ```
 */
export function createAccessTokenVerifier<S extends StandardSchemaV1 | undefined = undefined>(
  options: AccessTokenVerifierOptions<S>,
): AccessTokenVerifier<InferClaims<S>> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'must be an object')
  const o = options
  const clientIds = identifiers(o.clientId)
  if (o.clientId !== undefined && clientIds === undefined) throw new ConfigError('clientId', 'must be the app client id (a non-empty string, or a list of them)')
  const audiences = identifiers(o.audience)
  if (audiences === undefined && (o.audience !== undefined || clientIds === undefined)) {
    throw new ConfigError(
      'audience',
      'must be your API identifier (a non-empty string, or a list of them), or give "clientId" for access tokens with no "aud" (AWS Cognito)',
    )
  }
  const requiredClaims = audiences === undefined ? REQUIRED_WITHOUT_AUD : REQUIRED_CLAIMS
  const algorithms = o.algorithms ?? ['RS256']
  if (!Array.isArray(algorithms) || algorithms.length === 0 || algorithms.some((a) => typeof a !== 'string')) {
    throw new ConfigError('algorithms', 'must be a non-empty list such as ["RS256"]')
  }
  if (algorithms.some((a) => a.toLowerCase() === 'none')) throw new ConfigError('algorithms', '"none" is never accepted')
  const symmetric = algorithms.filter((a) => a.startsWith('HS'))
  if (symmetric.length > 0 && (typeof o.secret !== 'string' || o.secret.length < 32)) {
    throw new ConfigError('secret', `${symmetric.join(', ')} needs the API's signing secret (at least 32 characters)`)
  }
  if (symmetric.length > 0 && symmetric.length !== algorithms.length) {
    // Mixing lets a token signed with HS* and the public key as "secret" pass: algorithm confusion.
    throw new ConfigError('algorithms', 'do not mix HS* with asymmetric algorithms')
  }
  const tolerance = o.clockToleranceSeconds ?? 5
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new ConfigError('clockToleranceSeconds', 'must be a number of seconds, 0 or more')
  }
  if (o.claims !== undefined && typeof o.claims?.['~standard']?.validate !== 'function') {
    throw new ConfigError('claims', 'must be a Standard Schema such as a zod object')
  }
  if ((o as { dpopMaxAgeSeconds?: unknown }).dpopMaxAgeSeconds !== undefined) {
    throw new ConfigError('dpopMaxAgeSeconds', 'moved: pass dpop: dpopProofs({ maxAgeSeconds }) from authcode/api')
  }
  // Called through the value, never imported: an API without dpopProofs() bundles no DPoP code.
  const dpop = o.dpop
  if (dpop !== undefined && typeof dpop?.['~dpop'] !== 'function') throw new ConfigError('dpop', 'must be dpopProofs() from authcode/api')
  const keys = issuerKeys(o)
  const getKey = keys.getKey
  const secret = symmetric.length > 0 ? new TextEncoder().encode(o.secret) : undefined
  const joseOptions = { algorithms }
  const schema = o.claims

  return async (input, verifyOptions) => {
    // A bare token has no whitespace; anything else is read as an Authorization header value.
    // (Whitespace other than ASCII's makes jose refuse the token: that case is told apart below.)
    const text = typeof input === 'string' ? input.trim() : ''
    const header = text === '' || hasAsciiSpace(text) || (text.length <= 6 && /^(?:bearer|dpop)$/i.test(text)) ? parseAuthorization(input) : undefined
    const raw = header === undefined ? text : header.token
    // jose checks the signature, the algorithm against the allow-list and "crit"; the claims are ours.
    let verified: { payload: Uint8Array; protectedHeader: { typ?: string | undefined; b64?: boolean | undefined; crit?: string[] | undefined }; key?: unknown }
    let used: JWK | Promise<JWK> | undefined
    const known = secret ?? getKey.known(raw)
    try {
      const nonJws = describeNonJws(raw)
      if (nonJws !== undefined) throw new InvalidTokenError(nonJws)
      verified = await compactVerify(raw, known ?? ((h: JWSHeaderParameters) => (used = getKey(h))), joseOptions)
    } catch (err) {
      // Any other whitespace: not a token but a malformed header, as for ASCII whitespace above.
      if (header === undefined && /\s/.test(text)) parseAuthorization(input)
      throw toInvalidToken(err)
    }
    // The first verification with this header: keep the CryptoKey jose made of the JWK for the next ones.
    if (known === undefined && used !== undefined && !(used instanceof Promise)) getKey.keep(raw, used, verified.key as CryptoKey)
    const { typ, b64, crit } = verified.protectedHeader
    let payload: AccessTokenClaims
    try {
      // A JWT never has an unencoded payload (RFC 7797: b64 false, made critical), and its claims are a JSON object.
      if (b64 === false && crit?.includes('b64') === true) throw new TypeError()
      payload = JSON.parse(decoder.decode(verified.payload)) as AccessTokenClaims
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new TypeError()
    } catch {
      throw new InvalidTokenError('The access token is malformed')
    }
    for (const claim of requiredClaims) if (!Object.hasOwn(payload, claim)) throw claimError(claim)
    // The issuer is known once discovery has been read: by the key fetch, or here when the keys were not fetched.
    if (payload.iss !== (keys.issuer ?? (await keys.discoverIssuer()))) throw claimError('iss')
    if (audiences !== undefined && !forThisApi(payload.aud, audiences)) throw claimError('aud')
    if (clientIds !== undefined && (typeof payload.client_id !== 'string' || !clientIds.includes(payload.client_id))) throw claimError('client_id')
    if (payload.iat !== undefined && typeof payload.iat !== 'number') throw claimError('iat')
    const now = Math.floor(Date.now() / 1000)
    if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now + tolerance)) throw claimError('nbf')
    if (typeof payload.exp !== 'number') throw claimError('exp')
    if (payload.exp <= now - tolerance) throw new InvalidTokenError('The access token has expired')
    if (typ !== undefined && typ !== 'at+jwt' && !ALLOWED_TYP.has(String(typ).toLowerCase())) throw notAnAccessToken('typ', typ)
    // AWS Cognito names the kind of token: its ID tokens ("id") are signed by the same keys.
    if (payload.token_use !== undefined && payload.token_use !== 'access') throw notAnAccessToken('token_use', payload.token_use)
    // DPoP (RFC 9449 §7): a bound token only with the DPoP scheme and a proof; a DPoP scheme only for a bound token.
    const jkt = payload.cnf === undefined ? undefined : (payload.cnf as { jkt?: unknown } | null)?.jkt
    if (typeof jkt === 'string') {
      if (dpop === undefined) {
        throw new InvalidTokenError('This API does not accept DPoP-bound access tokens: its verifier was not created with dpop: dpopProofs()', { scheme: 'DPoP' })
      }
      if (header?.scheme !== 'DPoP') {
        throw new InvalidTokenError('The access token is DPoP-bound: send it as "Authorization: DPoP <token>" with a DPoP proof', { scheme: 'DPoP' })
      }
      if (verifyOptions?.dpop === undefined) {
        throw new InvalidTokenError('The access token is DPoP-bound and this API was not given the request to check its proof', { scheme: 'DPoP' })
      }
      await dpop['~dpop'](verifyOptions.dpop, raw, jkt, tolerance)
    } else if (header?.scheme === 'DPoP') {
      throw new InvalidTokenError('The DPoP scheme was used with a token that is not DPoP-bound', { error: 'invalid_token', scheme: 'DPoP' })
    }
    const required = verifyOptions?.requiredScopes
    if (required !== undefined && required.length > 0) requireScopes(payload, required)
    if (schema === undefined) return payload as AccessTokenClaims & InferClaims<S>
    const checked = await validateWithSchema(schema, payload)
    if (!checked.ok) throw new InvalidTokenError(`The access token's claims do not match the expected schema: ${checked.problem}`)
    return { ...payload, ...(checked.value as object) } as AccessTokenClaims & InferClaims<S>
  }
}
