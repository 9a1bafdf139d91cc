// The issuer's signing keys, for every verifier in authcode/api: domain -> fixed JWKS path, issuer -> discovery.
import { type JWTVerifyGetKey, createRemoteJWKSet, customFetch as joseCustomFetch, jwksCache as joseJwksCache } from 'jose'
import { normalizeDomain } from '../domain.js'
import { ConfigError, ResponseError } from '../errors.js'
import { type HttpSettings, send } from '../http.js'

/** Where the keys come from, as the public verifier options give it. */
export interface KeySource {
  domain?: string | undefined
  issuer?: string | undefined
  fetch?: typeof fetch | undefined
  timeoutMs?: number | undefined
  allowInsecureRequests?: boolean | undefined
  jwksCache?: { jwks?: { keys: Record<string, unknown>[] }; uat?: number } | undefined
}

/** The expected issuer and a key resolver for jose's `jwtVerify`. */
export interface IssuerKeys {
  issuer: string
  getKey: JWTVerifyGetKey
}

/**
 * Validates a key source and makes the resolver. With `domain` the JWKS is Auth0's fixed
 * `/.well-known/jwks.json`; with `issuer` it is the `jwks_uri` of the discovery document,
 * fetched once (on first use) and checked to name the same issuer. jose caches the keys and
 * refetches on an unknown `kid` after a cooldown; concurrent first uses share one fetch.
 *
 * @throws {ConfigError} for a bad domain/issuer/fetch/timeout.
 */
export function issuerKeys(o: KeySource): IssuerKeys {
  if (o.fetch !== undefined && typeof o.fetch !== 'function') throw new ConfigError('fetch', 'must be a fetch function')
  const timeoutMs = o.timeoutMs ?? 5_000
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new ConfigError('timeoutMs', 'must be a whole number of milliseconds above 0')
  const insecure = o.allowInsecureRequests === true
  const http: HttpSettings = {
    fetch: o.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args)),
    timeoutMs,
    retries: 1,
    maxRetryDelayMs: 1_000,
  }
  const options = {
    // Our own timeout and retry govern each request; jose's overall limit only backs them up.
    timeoutDuration: timeoutMs * (http.retries + 1) + 1_000,
    // A failed key fetch is the issuer's outage, not a bad token: throw our own error so the
    // verifiers can tell the two apart (an API answers 503, not 401).
    [joseCustomFetch]: async (url: string, init: { headers: Headers; method: 'GET'; redirect: 'manual'; signal: AbortSignal }) => {
      const res = await send(http, url, { headers: init.headers, method: init.method, redirect: init.redirect }, { idempotent: true, signal: init.signal })
      if (res.status !== 200) throw new ResponseError(res.status, `The issuer's JWKS endpoint answered ${res.status}`)
      return res
    },
    ...(o.jwksCache !== undefined && { [joseJwksCache]: o.jwksCache as Record<string, never> }),
  }

  if (o.domain !== undefined && o.issuer !== undefined) throw new ConfigError('issuer', 'give "domain" or "issuer", not both')
  if (o.domain !== undefined) {
    const host = normalizeDomain(o.domain)
    const keys = createRemoteJWKSet(new URL(`https://${host}/.well-known/jwks.json`), options)
    return { issuer: `https://${host}/`, getKey: (header, token) => keys(header, token) }
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

  let pending: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined
  const discover = async () => {
    const base = issuer.endsWith('/') ? issuer : `${issuer}/`
    const res = await send(http, new URL('.well-known/openid-configuration', base).href, { method: 'GET', headers: { accept: 'application/json' } }, { idempotent: true })
    const meta = (res.ok ? await res.json().catch(() => undefined) : undefined) as { issuer?: unknown; jwks_uri?: unknown } | undefined
    if (typeof meta?.jwks_uri !== 'string') {
      throw new ResponseError(res.status, `The discovery document of ${issuer} could not be read or has no jwks_uri`)
    }
    if (meta.issuer !== issuer) {
      // A configuration mistake, not an outage: the provider calls itself something else.
      throw new ConfigError('issuer', `the discovery document names the issuer ${String(meta.issuer).slice(0, 200)}; configure exactly that`)
    }
    const jwksUri = new URL(meta.jwks_uri)
    if (jwksUri.protocol !== 'https:' && !(insecure && jwksUri.protocol === 'http:')) {
      throw new ConfigError('issuer', 'the jwks_uri is not https; set allowInsecureRequests for local development only')
    }
    return createRemoteJWKSet(jwksUri, options)
  }
  return {
    issuer,
    getKey: async (header, token) => {
      pending ??= discover().catch((err: unknown) => {
        pending = undefined // a failed discovery is tried again next time
        throw err
      })
      return (await pending)(header, token)
    },
  }
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
