// DPoP proofs (RFC 9449) on the resource-server side: the proof JWT, its binding to the request and to the token.
// Only dpopProofs() reaches this file, so an API that does not import it bundles none of it.
import { type JWK, type JWSHeaderParameters, compactVerify } from 'jose'
import { ConfigError, InvalidTokenError } from '../errors.js'
import { encode } from '../lib/base64url.js'
import { isObject } from '../lib/shape.js'
import { DPOP_ALGORITHMS } from '../lib/www-authenticate.js'

/**
 * The request a DPoP proof must match: its `DPoP` header, method and URL.
 *
 * @example
 * ```ts
 * const dpop: DpopRequest = { proof: request.headers.get('dpop'), method: request.method, url: request.url }
 * await verify(request.headers.get('authorization'), { dpop })
 * ```
 */
export interface DpopRequest {
  /** The value of the request's `DPoP` header. */
  proof: string | null | undefined
  /** The HTTP method, e.g. `GET`. */
  method: string
  /** The full request URL (query and fragment are ignored, as RFC 9449 says). */
  url: string | URL
}

/**
 * Options of {@link dpopProofs}.
 *
 * @example
 * ```ts
 * const options: DpopProofsOptions = { maxAgeSeconds: 60 }
 * const verify = createAccessTokenVerifier({ issuer, audience, dpop: dpopProofs(options) })
 * ```
 */
export interface DpopProofsOptions {
  /** How old a DPoP proof may be, in seconds (plus the verifier's `clockToleranceSeconds`). Default 300. */
  maxAgeSeconds?: number | undefined
}

/**
 * DPoP proof checking for `createAccessTokenVerifier`'s `dpop` option, made by
 * {@link dpopProofs}: the proof checker and its `jti` replay memory. Opaque: pass it on,
 * do not call it.
 *
 * @example
 * ```ts
 * const dpop: DpopProofs = dpopProofs() // one replay memory for both verifiers
 * const verifyContacts = createAccessTokenVerifier({ issuer, audience: 'https://contacts.example.com', dpop })
 * const verifyCalendar = createAccessTokenVerifier({ issuer, audience: 'https://calendar.example.com', dpop })
 * ```
 */
export interface DpopProofs {
  /** The check the verifier calls for a DPoP-bound token. Internal; its shape may change. */
  readonly '~dpop': (request: DpopRequest, accessToken: string, jkt: string, clockToleranceSeconds: number) => Promise<void>
}

/**
 * Turns on DPoP (RFC 9449) for an access-token verifier: give the result as its `dpop` option,
 * and a token bound to a key (`cnf.jkt`) is accepted with the `DPoP` scheme and a valid proof
 * of the request. Without it the verifier refuses every DPoP-bound token, and bundles none of
 * this code.
 *
 * The proof is checked as in RFC 9449 §4.3: `typ: dpop+jwt`, the signature by its embedded
 * public key (asymmetric algorithms only), `htm` and `htu` (without query) equal to the
 * request, `iat` at most `maxAgeSeconds` + the verifier's `clockToleranceSeconds` old and at
 * most `clockToleranceSeconds` in the future, `ath` the hash of the token, the key's
 * thumbprint equal to `cnf.jkt`, and a `jti` not seen before.
 *
 * Each call makes its own `jti` replay memory (in this process, at most 10 000 live `jti`s;
 * when full, new proofs are refused rather than a live `jti` forgotten). That memory is the
 * replay scope: make one `dpopProofs()` per process and give it to every verifier that should
 * refuse each other's replays. Instances that do not share memory do not share it.
 *
 * @param options.maxAgeSeconds How old a proof may be. Default 300.
 * @throws {ConfigError} when `maxAgeSeconds` is not a number of seconds, 1 or more (field `dpop.maxAgeSeconds`).
 * @returns the value for `createAccessTokenVerifier({ dpop })`; the verifier then throws
 *   {@link InvalidTokenError} with `error="invalid_dpop_proof"` and a `DPoP` challenge for a bad proof.
 * @example
 * ```ts
 * import { createAccessTokenVerifier, dpopProofs } from 'authcode/api'
 * const verify = createAccessTokenVerifier({ issuer, audience, dpop: dpopProofs({ maxAgeSeconds: 300 }) })
 * const claims = await verify(request.headers.get('authorization'), {
 *   dpop: { proof: request.headers.get('dpop'), method: request.method, url: request.url },
 * })
 * ```
 */
export function dpopProofs(options?: DpopProofsOptions): DpopProofs {
  const maxAgeSeconds = options?.maxAgeSeconds ?? 300
  // Number.isFinite does not coerce: false for anything but a finite number.
  if (!Number.isFinite(maxAgeSeconds) || maxAgeSeconds < 1) {
    throw new ConfigError('dpop.maxAgeSeconds', 'must be a number of seconds, 1 or more')
  }
  const seen = jtiCache()
  return {
    '~dpop': (request, accessToken, jkt, clockToleranceSeconds) => checkDpopProof(request, accessToken, jkt, { maxAgeSeconds, clockToleranceSeconds, seen }),
  }
}

const encoder = /* @__PURE__ */ new TextEncoder()
const decoder = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true })

/** SHA-256 of a string, base64url: the `ath` of a token, or a JWK thumbprint. */
async function sha256(text: string): Promise<string> {
  return encode(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))))
}

/**
 * The JWK SHA-256 thumbprint (RFC 7638 §3.2): the key type's required members, in
 * lexicographic order, as JSON without whitespace. Undefined when one of them is not a string.
 */
function thumbprint(jwk: JWK): Promise<string> | undefined {
  const members = jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : jwk.kty === 'OKP' ? ['crv', 'kty', 'x'] : jwk.kty === 'RSA' ? ['e', 'kty', 'n'] : []
  const required: Record<string, unknown> = {}
  if (members.length === 0 || members.some((m) => typeof (required[m] = jwk[m as keyof JWK]) !== 'string')) return undefined
  return sha256(JSON.stringify(required))
}

/** The proof's own public key, from its `jwk` header (jose refuses a private or symmetric one). */
function embeddedKey(header: JWSHeaderParameters): JWK {
  const jwk = header.jwk
  if (!isObject(jwk)) throw new TypeError('not a valid DPoP proof')
  return { ...jwk }
}

function dpopError(description: string): InvalidTokenError {
  return new InvalidTokenError(description, { error: 'invalid_dpop_proof', scheme: 'DPoP' })
}

/** What a jti memory says of a proof's `jti`: new, seen within its window, or no room to remember it. */
type JtiVerdict = 'fresh' | 'replayed' | 'full'

/**
 * Checks a DPoP proof for a DPoP-bound access token: signature with the embedded public key,
 * `typ: dpop+jwt`, `htm`/`htu` equal to the request, `iat` at most `maxAgeSeconds` +
 * `clockToleranceSeconds` old and at most `clockToleranceSeconds` in the future (RFC 9449
 * §11.1, §11.2), `ath` the hash of the access token, the key's thumbprint equal to the
 * token's `cnf.jkt`, and a `jti` not seen before (when `seen` is given: it remembers the jti
 * until `iat + maxAgeSeconds + clockToleranceSeconds`, the end of the proof's window).
 *
 * @throws {InvalidTokenError} with `error="invalid_dpop_proof"` and a `DPoP` challenge.
 */
export async function checkDpopProof(
  request: DpopRequest,
  accessToken: string,
  jkt: string,
  options: { maxAgeSeconds: number; clockToleranceSeconds: number; seen?: (jti: string, acceptedUntil: number) => JtiVerdict },
): Promise<void> {
  if (typeof request.proof !== 'string' || request.proof === '') throw dpopError('The access token is DPoP-bound but the request has no DPoP proof')
  const now = Math.floor(Date.now() / 1000)
  let payload: Record<string, unknown>
  let header: JWSHeaderParameters
  try {
    const result = await compactVerify(request.proof, embeddedKey, { algorithms: DPOP_ALGORITHMS })
    header = result.protectedHeader
    payload = JSON.parse(decoder.decode(result.payload)) as Record<string, unknown>
    const typ = header.typ?.toLowerCase()
    // Every failure here gets the one answer of the catch below.
    if (
      (typ !== 'dpop+jwt' && typ !== 'application/dpop+jwt') ||
      (header.b64 === false && header.crit?.includes('b64') === true) ||
      !isObject(payload) ||
      // A proof's own time claims, when it has them, as any JWT's (no leeway).
      (payload.exp !== undefined && (typeof payload.exp !== 'number' || payload.exp <= now)) ||
      (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now))
    ) {
      throw new TypeError('not a valid DPoP proof')
    }
  } catch {
    throw dpopError('The DPoP proof is not a valid dpop+jwt signed with its embedded key')
  }
  let url: URL
  try {
    url = new URL(request.url)
  } catch {
    throw dpopError('The request URL is not absolute')
  }
  if (payload.htm !== request.method.toUpperCase()) throw dpopError('The DPoP proof is for another HTTP method (htm)')
  if (typeof payload.htu !== 'string' || !URL.canParse(payload.htu)) throw dpopError('The DPoP proof has no valid htu')
  const htu = new URL(payload.htu)
  if (htu.origin + htu.pathname !== url.origin + url.pathname) throw dpopError('The DPoP proof is for another URL (htu)')
  if (typeof payload.iat !== 'number') throw dpopError('The DPoP proof has no iat')
  if (payload.iat > now + options.clockToleranceSeconds) throw dpopError('The DPoP proof is from the future (iat)')
  // Remember the jti for as long as the proof could still be accepted.
  const acceptedUntil = payload.iat + options.maxAgeSeconds + options.clockToleranceSeconds
  if (acceptedUntil < now) throw dpopError('The DPoP proof is too old (iat)')
  const ath = await sha256(accessToken)
  if (payload.ath !== ath) throw dpopError('The DPoP proof is not for this access token (ath)')
  if ((await thumbprint(header.jwk as JWK)) !== jkt) throw dpopError('The DPoP proof is signed with a key the access token is not bound to (cnf.jkt)')
  if (typeof payload.jti !== 'string' || payload.jti === '') throw dpopError('The DPoP proof has no jti')
  const verdict = options.seen?.(payload.jti, acceptedUntil)
  if (verdict === 'replayed') throw dpopError('The DPoP proof was already used (jti replay)')
  if (verdict === 'full') throw dpopError('There are too many DPoP proofs to remember another; retry later with a new proof')
}

/**
 * A bounded in-memory record of proof `jti`s, for replay detection within one process. Each
 * jti is kept until the end of its proof's window and never forgotten before: with `limit`
 * live jtis remembered, a new proof is refused (`full`) rather than a live jti evicted, which
 * would let a flood of proofs make room to replay a captured one.
 */
export function jtiCache(limit = 10_000): (jti: string, acceptedUntil: number) => JtiVerdict {
  // jti -> the last second its proof is accepted. Proofs arrive with iat within one window of
  // each other, so insertion order is nearly expiry order: a sweep from the oldest stops at
  // the first live entry.
  const seen = new Map<string, number>()
  let fullSweepAt = 0
  return (jti, acceptedUntil) => {
    const now = Math.floor(Date.now() / 1000)
    for (const [k, until] of seen) {
      if (until >= now) break
      seen.delete(k)
    }
    const known = seen.get(jti)
    if (known !== undefined) {
      if (known >= now) return 'replayed'
      seen.delete(jti)
    }
    if (seen.size >= limit && fullSweepAt < now) {
      // Expired entries may wait behind a live one: look at every entry, at most once a second.
      fullSweepAt = now
      for (const [k, until] of seen) if (until < now) seen.delete(k)
    }
    if (seen.size >= limit) return 'full'
    seen.set(jti, acceptedUntil)
    return 'fresh'
  }
}
