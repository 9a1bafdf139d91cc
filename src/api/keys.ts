// The issuer's signing keys, for every verifier in authcode/api: domain -> fixed JWKS path, issuer -> discovery.
import type { JWK, JWSHeaderParameters } from 'jose'
import { normalizeDomain } from '../domain.js'
import { ConfigError, ResponseError } from '../errors.js'
import { getPublicJson } from '../http.js'

/** Where the keys come from, as the public verifier options give it. */
export interface KeySource {
  domain?: string | undefined
  issuer?: string | undefined
  fetch?: typeof fetch | undefined
  timeoutMs?: number | undefined
  allowInsecureRequests?: boolean | undefined
  jwksCache?: { jwks?: { keys: Record<string, unknown>[] }; uat?: number } | undefined
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

/** The expected issuer and a key resolver for jose's `compactVerify`/`jwtVerify`. */
export interface IssuerKeys {
  issuer: string
  getKey: KeyResolver
}

/** The key set has no key for the token's `alg` and `kid` (even after a refetch). */
export class NoMatchingKeyError extends Error {}

// As jose's remote key sets: keys are refetched when 10 minutes old, and an unknown kid
// triggers a refetch at most every 30 s (a flood of forged kids cannot hammer the issuer).
const MAX_AGE_MS = 600_000
const COOLDOWN_MS = 30_000

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
 * A cached key set behind `load`: fetched on first use (concurrent first uses share one
 * fetch), refetched when 10 minutes old or, after a 30 s cooldown, for an unknown `kid`.
 * `persist` is read once (a fresh copy saves the first fetch) and written after each fetch.
 */
function keySet(load: () => Promise<Record<string, unknown>[]>, persist?: KeySource['jwksCache']): KeyResolver {
  let keys: Record<string, unknown>[] | undefined
  let uat = 0
  let pending: Promise<void> | undefined
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

  const reload = (): Promise<void> =>
    (pending = (SHARE_FETCH && pending) || load().then(
      (loaded) => {
        pending = undefined
        keys = loaded
        uat = Date.now()
        chosen = new Map()
        imported = new Map()
        lastKey = undefined
        if (persist !== undefined) {
          persist.jwks = { keys: loaded }
          persist.uat = uat
        }
      },
      (err: unknown) => {
        pending = undefined // a failed fetch is tried again next time
        throw err
      },
    ))

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
    if (keys === undefined || Date.now() - uat >= MAX_AGE_MS) await reload()
    let jwk = chosen.get(alg)?.get(kid) ?? pick(alg, kid)
    if (jwk === undefined && Date.now() - uat >= COOLDOWN_MS) {
      await reload()
      jwk = pick(alg, kid)
    }
    if (jwk === undefined) throw new NoMatchingKeyError('no key in the JWKS matches the token')
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
 * fetched once (on first use) and checked to name the same issuer.
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
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'object' && k !== null && !Array.isArray(k))) {
      throw new ResponseError(0, 'The issuer\'s JWKS is not a valid JSON Web Key Set')
    }
    return keys as Record<string, unknown>[]
  }

  if (o.domain !== undefined && o.issuer !== undefined) throw new ConfigError('issuer', 'give "domain" or "issuer", not both')
  if (o.domain !== undefined) {
    const host = normalizeDomain(o.domain)
    const jwksUrl = `https://${host}/.well-known/jwks.json`
    return { issuer: `https://${host}/`, getKey: keySet(() => loadJwks(jwksUrl), o.jwksCache) }
  }
  if (typeof o.issuer !== 'string') throw new ConfigError('domain', 'give "domain" (an Auth0 tenant) or "issuer"')
  let url: URL
  try {
    url = new URL(o.issuer)
  } catch {
    throw new ConfigError('issuer', 'must be an absolute URL')
  }
  // As TokenClient does: "https://idp.example.com" and "https://idp.example.com/" are one issuer.
  const issuer = url.href
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && insecure)) {
    throw new ConfigError('issuer', 'must use https (set allowInsecureRequests for local development over http)')
  }

  // The jwks_uri, discovered once; a failed discovery is tried again on the next fetch.
  let jwksUri: string | undefined
  const discover = async (): Promise<string> => {
    const base = issuer.endsWith('/') ? issuer : `${issuer}/`
    const { status, body } = await getJson(new URL('.well-known/openid-configuration', base).href)
    const meta = body as { issuer?: unknown; jwks_uri?: unknown } | undefined
    if (typeof meta?.jwks_uri !== 'string') {
      throw new ResponseError(status, `The discovery document of ${issuer} could not be read or has no jwks_uri`)
    }
    if (meta.issuer !== issuer) {
      // A configuration mistake, not an outage: the provider calls itself something else.
      throw new ConfigError('issuer', `the discovery document names the issuer ${String(meta.issuer).slice(0, 200)}; configure exactly that`)
    }
    const found = new URL(meta.jwks_uri)
    if (found.protocol !== 'https:' && !(insecure && found.protocol === 'http:')) {
      throw new ConfigError('issuer', 'the jwks_uri is not https; set allowInsecureRequests for local development only')
    }
    return found.href
  }
  return { issuer, getKey: keySet(async () => loadJwks((jwksUri ??= await discover())), o.jwksCache) }
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
