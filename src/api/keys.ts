// The issuer's signing keys, for every verifier in authcode/api: domain -> fixed JWKS path, issuer -> discovery.
import type { JWK, JWSHeaderParameters } from 'jose'
import { normalizeDomain } from '../auth0.js'
import { ConfigError, ResponseError } from '../errors.js'
import { getPublicJson } from '../lib/public-json.js'
import { issuerMismatch, sameIssuer } from '../provider/issuer.js'
import { isObject } from '../lib/shape.js'

/** Where the keys come from, as the public verifier options give it. */
export interface KeySource {
  domain?: string | undefined
  issuer?: string | undefined
  fetch?: typeof fetch | undefined
  timeoutMs?: number | undefined
  allowInsecureRequests?: boolean | undefined
  jwksCache?: { jwks?: { keys: Record<string, unknown>[] }; uat?: number; issuer?: string } | undefined
}

/**
 * Resolves the verification key for a JWS protected header: the one JWK of the key set that
 * fits its `alg` and `kid`. Synchronous once the key set is loaded; a promise while it is
 * being fetched. Throws {@link NoMatchingKeyError} when the issuer publishes no such key, and
 * ResponseError/NetworkError/TimeoutError/ConfigError when the keys cannot be had.
 *
 * The hot path skips even that: after a token verified with a JWK this resolver returned,
 * `keep(token, …)` records the CryptoKey jose made of it under the token's encoded protected
 * header, and `known(token)` gives it back for the next token with the very same header (same `alg` and
 * `kid`, so the same key) while the key set is fresh — jose then uses the key as it is.
 */
export interface KeyResolver {
  (header: JWSHeaderParameters): JWK | Promise<JWK>
  known(token: string): CryptoKey | undefined
  keep(token: string, jwk: JWK, key: CryptoKey): void
}

/**
 * The expected issuer and a key resolver for jose's `compactVerify`/`jwtVerify`. The issuer is
 * known at once for an Auth0 domain; for an issuer URL it is the discovery document's spelling,
 * set when the document is read (by `getKey`'s first fetch, or by `discoverIssuer`).
 */
export interface IssuerKeys {
  issuer: string | undefined
  /** The issuer, reading the discovery document first when it has not been read yet. */
  discoverIssuer(): Promise<string>
  getKey: KeyResolver
}

/** The key set has no key for the token's `alg` and `kid` (even after a refetch). */
export class NoMatchingKeyError extends Error {}

// As jose's remote key sets: keys are refetched when 10 minutes old, and an unknown kid
// triggers a refetch at most every 30 s (a flood of forged kids cannot hammer the issuer).
const MAX_AGE_MS = 600_000
const COOLDOWN_MS = 30_000
// After a failed fetch the next one waits 1 s, then 2, 4, … up to the 30 s cooldown, so an
// outage is not met with a request per verification; a success starts again at 1 s.
const FIRST_BACKOFF_MS = 1_000
// While refetches fail, keys fetched less than an hour ago keep verifying tokens of known kids.
const STALE_MS = 3_600_000

// Cloudflare Workers (and Vercel's edge runtime) do not let one request wait on I/O another
// request started, so there each cold verification fetches for itself, as jose does there;
// elsewhere concurrent cold verifications share one fetch.
const runtime = globalThis as { navigator?: { userAgent?: unknown }; EdgeRuntime?: unknown }
const SHARE_FETCH = runtime.navigator?.userAgent !== 'Cloudflare-Workers' && runtime.EdgeRuntime === undefined

/** The JWK key type and curve an algorithm needs (as jose selects keys from a key set). */
function fits(jwk: Record<string, unknown>, alg: string, kid: unknown): boolean {
  const kty = /^(RS|PS)/.test(alg) ? 'RSA' : /^ES/.test(alg) ? 'EC' : /^Ed/.test(alg) ? 'OKP' : undefined
  const crv = alg === 'ES256' ? 'P-256' : alg === 'ES384' ? 'P-384' : alg === 'ES512' ? 'P-521' : alg === 'Ed25519' ? 'Ed25519' : undefined
  return (
    jwk.kty === kty &&
    (kid === undefined || jwk.kid === kid) &&
    (jwk.alg === undefined || jwk.alg === alg) &&
    (jwk.use === undefined || jwk.use === 'sig') &&
    (!Array.isArray(jwk.key_ops) || jwk.key_ops.includes('verify')) &&
    (crv === undefined || jwk.crv === crv)
  )
}

/**
 * `fetchOnce` behind a memory of its last failure: concurrent calls share one call (where the
 * runtime lets requests share I/O), and after a failure the same error is thrown again, with
 * no call, until the backoff has passed.
 */
function backingOff<T>(fetchOnce: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined
  let failure: unknown
  let retryAt = 0
  let backoff = 0
  return () => {
    if (Date.now() < retryAt) return Promise.reject(failure)
    return (pending = (SHARE_FETCH && pending) || fetchOnce().then(
      (value) => {
        pending = undefined
        retryAt = backoff = 0
        failure = undefined
        return value
      },
      (err: unknown) => {
        pending = undefined
        failure = err
        backoff = Math.min(backoff * 2 || FIRST_BACKOFF_MS, COOLDOWN_MS)
        retryAt = Date.now() + backoff
        throw err
      },
    ))
  }
}

/**
 * A cached key set behind `load`: fetched on first use (concurrent first uses share one
 * fetch), refetched when 10 minutes old or, after a 30 s cooldown, for an unknown `kid`.
 * A failed fetch backs off (see {@link backingOff}); meanwhile keys under an hour old still
 * serve known kids. `persist` is read once (a fresh copy saves the first fetch) and written
 * after each fetch.
 */
function keySet(load: () => Promise<Record<string, unknown>[]>, persist?: KeySource['jwksCache']): KeyResolver {
  let keys: Record<string, unknown>[] | undefined
  let uat = 0
  // alg -> kid -> the JWK (a copy: jose freezes what it is given).
  let chosen = new Map<string, Map<unknown, JWK>>()
  // Where pick put each JWK, so keep can tell it is still the current key set's.
  const placed = new WeakMap<JWK, [string, unknown]>()
  // Encoded protected header -> CryptoKey, for headers of tokens that verified (bounded).
  // "header." -> CryptoKey, and the last one kept apart: most issuers sign with one key, and
  // a prefix comparison costs less than cutting the header out and hashing it.
  let imported = new Map<string, CryptoKey>()
  let lastHeader = ''
  let lastKey: CryptoKey | undefined
  if (persist !== undefined && Array.isArray(persist.jwks?.keys) && typeof persist.uat === 'number' && Date.now() - persist.uat < MAX_AGE_MS) {
    keys = persist.jwks.keys
    uat = persist.uat
  }

  const reload = backingOff(async (): Promise<void> => {
    const loaded = await load()
    keys = loaded
    uat = Date.now()
    chosen = new Map()
    imported = new Map()
    lastKey = undefined
    if (persist !== undefined) {
      persist.jwks = { keys: loaded }
      persist.uat = uat
    }
  })

  const pick = (alg: string, kid: unknown): JWK | undefined => {
    const found = keys?.filter((jwk) => fits(jwk, alg, kid))
    if (found?.length !== 1) return undefined // none, or several with no kid to tell them apart
    const jwk = { ...found[0] } as JWK
    let byKid = chosen.get(alg)
    if (byKid === undefined) chosen.set(alg, (byKid = new Map()))
    byKid.set(kid, jwk)
    placed.set(jwk, [alg, kid])
    return jwk
  }

  const slow = async (alg: string, kid: unknown): Promise<JWK> => {
    if (keys === undefined || Date.now() - uat >= MAX_AGE_MS) {
      try {
        await reload()
      } catch (err) {
        if (keys === undefined || Date.now() - uat >= STALE_MS) throw err
      }
    }
    let jwk = chosen.get(alg)?.get(kid) ?? pick(alg, kid)
    if (jwk === undefined && Date.now() - uat >= COOLDOWN_MS) {
      await reload()
      jwk = pick(alg, kid)
    }
    // No message: each verifier turns this into its own error.
    if (jwk === undefined) throw new NoMatchingKeyError()
    return jwk
  }

  const resolve = (header: JWSHeaderParameters): JWK | Promise<JWK> => {
    const alg = String(header.alg)
    const hit = chosen.get(alg)?.get(header.kid)
    return hit !== undefined && Date.now() - uat < MAX_AGE_MS ? hit : slow(alg, header.kid)
  }
  resolve.known = (token: string): CryptoKey | undefined => {
    if (Date.now() - uat >= MAX_AGE_MS) return undefined
    if (lastKey !== undefined && token.startsWith(lastHeader)) return lastKey
    return imported.size === 0 ? undefined : imported.get(token.slice(0, token.indexOf('.') + 1))
  }
  resolve.keep = (token: string, jwk: JWK, key: CryptoKey): void => {
    const at = placed.get(jwk)
    // Only for a JWK of the current key set (a reload since starts afresh), and only so many
    // headers: an issuer uses a handful, and nothing unverified gets here.
    if (at === undefined || chosen.get(at[0])?.get(at[1]) !== jwk || imported.size >= 100) return
    lastHeader = token.slice(0, token.indexOf('.') + 1)
    lastKey = key
    imported.set(lastHeader, key)
  }
  return resolve
}

/**
 * Validates a key source and makes the resolver. With `domain` the JWKS is Auth0's fixed
 * `/.well-known/jwks.json`; with `issuer` it is the `jwks_uri` of the discovery document,
 * fetched once (on first use) and checked to name the same issuer, compared as URLs; from then
 * on `issuer` is the document's spelling.
 *
 * @throws {ConfigError} for a bad domain/issuer/fetch/timeout.
 */
export function issuerKeys(o: KeySource): IssuerKeys {
  if (o.fetch !== undefined && typeof o.fetch !== 'function') throw new ConfigError('fetch', 'must be a fetch function')
  const timeoutMs = o.timeoutMs ?? 5_000
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new ConfigError('timeoutMs', 'must be a whole number of milliseconds above 0')
  const insecure = o.allowInsecureRequests === true
  const fetchFn = o.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args))
  const getJson = (url: string, redirect?: 'manual') => getPublicJson(fetchFn, url, timeoutMs, redirect)
  // A failed key fetch is the issuer's outage, not a bad token: our own errors let the
  // verifiers tell the two apart (an API answers 503, not 401).
  const loadJwks = async (url: string): Promise<Record<string, unknown>[]> => {
    const { status, body } = await getJson(url, 'manual')
    if (status !== 200) throw new ResponseError(status, `The issuer's JWKS endpoint answered ${status}`)
    const keys = (body as { keys?: unknown } | undefined)?.keys
    if (!Array.isArray(keys) || !keys.every(isObject)) {
      throw new ResponseError(0, 'The issuer\'s JWKS is not a valid JSON Web Key Set')
    }
    return keys as Record<string, unknown>[]
  }

  if (o.domain !== undefined && o.issuer !== undefined) throw new ConfigError('issuer', 'give "domain" or "issuer", not both')
  if (o.domain !== undefined) {
    const issuer = `https://${normalizeDomain(o.domain)}/`
    return { issuer, discoverIssuer: async () => issuer, getKey: keySet(() => loadJwks(`${issuer}.well-known/jwks.json`), o.jwksCache) }
  }
  if (typeof o.issuer !== 'string') throw new ConfigError('domain', 'give "domain" (an Auth0 tenant) or "issuer"')
  const configured = o.issuer
  let url: URL
  try {
    url = new URL(configured)
  } catch {
    throw new ConfigError('issuer', 'must be an absolute URL')
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && insecure)) {
    throw new ConfigError('issuer', 'must use https (set allowInsecureRequests for local development over http)')
  }
  // The discovery document, read once: its jwks_uri, and the issuer as the provider spells it
  // ("https://accounts.google.com" and "https://accounts.google.com/" configure the same one).
  const discoveryUrl = new URL('.well-known/openid-configuration', url.href.endsWith('/') ? url.href : `${url.href}/`).href
  let jwksUri: string | undefined
  const discover = async (): Promise<string> => {
    const { status, body } = await getJson(discoveryUrl)
    const meta = body as { issuer?: unknown; jwks_uri?: unknown } | undefined
    if (typeof meta?.jwks_uri !== 'string' || !URL.canParse(meta.jwks_uri) || typeof meta.issuer !== 'string') {
      throw new ResponseError(status, `The discovery document of ${url.href} could not be read or has no issuer or jwks_uri`)
    }
    // A configuration mistake, not an outage: the provider calls itself something else.
    if (!sameIssuer(url, meta.issuer)) throw issuerMismatch(configured, meta.issuer)
    const found = new URL(meta.jwks_uri)
    if (found.protocol !== 'https:' && !(insecure && found.protocol === 'http:')) {
      throw new ConfigError('issuer', 'the jwks_uri is not https; set allowInsecureRequests for local development only')
    }
    result.issuer = meta.issuer
    if (o.jwksCache !== undefined) o.jwksCache.issuer = meta.issuer
    return found.href
  }
  const discovered = backingOff(async () => (jwksUri ??= await discover()))
  const persisted = o.jwksCache?.issuer
  const result: IssuerKeys = {
    // A cache written after an earlier discovery already knows how the provider spells itself.
    issuer: sameIssuer(url, persisted) ? persisted : undefined,
    discoverIssuer: async () => {
      if (result.issuer === undefined) await discovered()
      return result.issuer as string
    },
    getKey: keySet(async () => loadJwks(jwksUri ?? (await discovered())), o.jwksCache),
  }
  return result
}

// Key resolvers for the one-shot functions (verifyIdToken, verifyLogoutToken), so repeated
// calls reuse cached keys: per fetch function (a caller's own fetch is never used for another
// caller's requests), then per domain/issuer.
const byFetch = new WeakMap<typeof fetch, Map<string, IssuerKeys>>()
const withDefaultFetch = new Map<string, IssuerKeys>()

/** {@link issuerKeys}, cached per fetch and per domain/issuer. */
export function cachedIssuerKeys(o: KeySource): IssuerKeys {
  let cache = withDefaultFetch
  if (o.fetch !== undefined) {
    if (typeof o.fetch !== 'function') throw new ConfigError('fetch', 'must be a fetch function')
    cache = byFetch.get(o.fetch) ?? new Map()
    byFetch.set(o.fetch, cache)
  }
  const key = `${o.domain ?? ''}|${o.issuer ?? ''}|${o.allowInsecureRequests === true}`
  let keys = cache.get(key)
  if (keys === undefined) {
    keys = issuerKeys(o)
    if (cache.size >= 100) cache.delete(cache.keys().next().value as string)
    cache.set(key, keys)
  }
  return keys
}
