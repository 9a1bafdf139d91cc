// ClientConfig: its checks and its defaults. No I/O: discovery is provider/discovery.ts's.
import type * as oauth from 'oauth4webapi'
import { auth0Metadata, normalizeDomain } from './auth0.js'
import { ConfigError } from './errors.js'
import { DEFAULT_TIMEOUT_MS, type HttpSettings, MAX_TIMER_MS } from './lib/http.js'

/**
 * How the client proves its identity at the token endpoint.
 *
 * @example
 * ```ts
 * const clientAuth: ClientAuthMethod = 'client_secret_basic'
 * new TokenClient({ domain, clientId, clientSecret, clientAuth })
 * ```
 */
export type ClientAuthMethod = 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt' | 'none'

/**
 * Configuration of one application (client) at one authorization server.
 *
 * Give `domain` for Auth0 (endpoints are Auth0's fixed paths, no network needed) or `issuer`
 * for any OpenID Connect provider (endpoints come from discovery, fetched once and cached).
 *
 * Defaults: `clientAuth` is `client_secret_post` when a `clientSecret` is given and `none`
 * otherwise; `fetch` is `globalThis.fetch`; `timeoutMs` 10 000; `retries` 2;
 * `maxRetryDelayMs` 5 000.
 *
 * @example
 * ```ts
 * import type { ClientConfig } from 'authcode'
 * const config: ClientConfig = {
 *   domain: 'my-tenant.eu.auth0.com',
 *   clientId: 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6',
 *   clientSecret: 'the client secret from the Auth0 dashboard',
 *   audience: 'https://api.example.com',
 * }
 * ```
 */
export interface ClientConfig {
  /** Auth0 tenant or custom domain, e.g. `"tenant.eu.auth0.com"` (`https://` optional). */
  domain?: string | undefined
  /** Or the issuer URL of any OpenID Connect provider; endpoints then come from discovery. */
  issuer?: string | undefined
  /** The application's Client ID. */
  clientId: string
  /** The application's Client Secret (confidential clients). */
  clientSecret?: string | undefined
  /** Token endpoint authentication. Default: `client_secret_post` with a secret, else `none`. */
  clientAuth?: ClientAuthMethod | undefined
  /** The private key for `private_key_jwt`; as `{ key, kid }` its key ID goes in the assertion's header. */
  privateKey?: CryptoKey | { key: CryptoKey; kid?: string } | undefined
  /**
   * A key pair for DPoP (RFC 9449): tokens are bound to it and every token and API request
   * carries a proof. Make one with {@link authcode!generateDpopKeyPair} (private key non-extractable).
   */
  dpop?: CryptoKeyPair | undefined
  /** Default API audience for authorization requests and client credentials. */
  audience?: string | undefined
  /** The fetch to use. Default: `globalThis.fetch`. */
  fetch?: typeof fetch | undefined
  /** Per-request timeout, covering headers and body. Default 10 000. */
  timeoutMs?: number | undefined
  /** Extra attempts for 429/503 and for requests that never reached the server. Default 2. */
  retries?: number | undefined
  /** The longest wait between attempts; a longer `Retry-After` is not waited for. Default 5 000. */
  maxRetryDelayMs?: number | undefined
  /** Allow `http://` issuers and endpoints. For local development only. Default false. */
  allowInsecureRequests?: boolean | undefined
}

/** A validated configuration with its defaults applied and its endpoints resolvable. */
export interface ResolvedConfig {
  readonly clientId: string
  readonly clientSecret?: string
  readonly clientAuth: ClientAuthMethod
  readonly privateKey?: CryptoKey | { key: CryptoKey; kid?: string }
  readonly dpop?: CryptoKeyPair
  readonly audience?: string
  /** The issuer as configured (`https://{domain}/` for Auth0); provider/discovery.ts knows how the provider spells it. */
  readonly issuer: string
  /** For a `domain`, Auth0's fixed endpoints; an `issuer`'s come from discovery. */
  readonly metadata?: oauth.AuthorizationServer
  /** For an `issuer`, its discovery: kept here by provider/discovery.ts, one per config. */
  readonly discovery: { pending?: Promise<oauth.AuthorizationServer> | undefined; metadata?: oauth.AuthorizationServer }
  readonly allowInsecureRequests: boolean
  readonly http: HttpSettings
}

const DEFAULT_RETRIES = 2
const DEFAULT_MAX_RETRY_DELAY_MS = 5_000

// The checks of each ClientConfig field, in the order they are reported: each returns what is
// wrong with a value that is present, or undefined. Hand-written rather than a schema library:
// it is the whole of what the flow needs, and keeps a validator's kilobytes and import time out
// of every edge bundle.
type Check = (v: unknown) => string | undefined
const text = (what: string): Check => (v) => (typeof v === 'string' && v !== '' ? undefined : `must be ${what}`)
function number(whole: string | undefined, min: number, above: boolean, max: number, maxText: string): Check {
  return (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a number'
    if (whole !== undefined && !Number.isInteger(v)) return `must be ${whole}`
    if (above ? v <= min : v < min) return above ? `must be above ${min}` : `must be ${min} or more`
    return v > max ? `must be ${maxText}` : undefined
  }
}
// A key that can sign JWTs (client assertions, DPoP proofs): checked here, so a wrong key is a
// ConfigError now rather than a confusing failure on the first request.
const SIGNING = ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'ECDSA', 'Ed25519']
function isKey(v: unknown, type: 'private' | 'public'): boolean {
  const k = v as { type?: unknown; algorithm?: { name?: unknown } } | null
  return typeof k === 'object' && k !== null && k.type === type && SIGNING.includes(String(k.algorithm?.name))
}
// Made on first use: a table built at import would stay in every bundle, used or not.
let checks: ReadonlyArray<readonly [keyof ClientConfig, Check]> | undefined
const configChecks = (): ReadonlyArray<readonly [keyof ClientConfig, Check]> => (checks ??= [
  ['domain', text('a host name such as "tenant.eu.auth0.com"')],
  ['issuer', text('an https URL')],
  ['clientId', text('the non-empty Client ID of the application')],
  ['clientSecret', text('a non-empty string')],
  [
    'clientAuth',
    (v) =>
      ['client_secret_post', 'client_secret_basic', 'private_key_jwt', 'none'].includes(v as string)
        ? undefined
        : 'must be one of client_secret_post, client_secret_basic, private_key_jwt, none',
  ],
  [
    'privateKey',
    (v) =>
      isKey(v, 'private') || (typeof v === 'object' && v !== null && isKey((v as { key?: unknown }).key, 'private'))
        ? undefined
        : 'must be a private signing CryptoKey (RSA, RSA-PSS, ECDSA or Ed25519) or { key, kid? }',
  ],
  [
    'dpop',
    (v) => {
      const pair = v as { privateKey?: unknown; publicKey?: { extractable?: unknown } } | null
      return typeof pair === 'object' && pair !== null && isKey(pair.privateKey, 'private') && isKey(pair.publicKey, 'public') && pair.publicKey?.extractable === true
        ? undefined
        : 'must be a signing CryptoKeyPair with an extractable public key (see generateDpopKeyPair)'
    },
  ],
  ['audience', text('a non-empty API identifier')],
  ['fetch', (v) => (typeof v === 'function' ? undefined : 'must be a fetch function')],
  ['timeoutMs', number('a whole number of milliseconds', 0, true, MAX_TIMER_MS, `at most ${MAX_TIMER_MS} (the largest timer runtimes support)`)],
  ['retries', number('a whole number', 0, false, 10, '10 or less')],
  ['maxRetryDelayMs', number(undefined, 0, false, MAX_TIMER_MS, `at most ${MAX_TIMER_MS}`)],
  ['allowInsecureRequests', (v) => (typeof v === 'boolean' ? undefined : 'must be true or false')],
])

// One resolved config (and so one discovery cache) per config object: treat a config as
// immutable once it has been used.
const resolvedConfigs = new WeakMap<ClientConfig, ResolvedConfig>()

/**
 * Validates a {@link ClientConfig}, applies its defaults and prepares metadata resolution.
 * The result is cached per config object, so neither validation nor discovery is repeated.
 *
 * @throws {ConfigError} naming the first field that is wrong.
 */
export function resolveConfig(input: ClientConfig): ResolvedConfig {
  if (typeof input !== 'object' || input === null) throw new ConfigError('config', 'must be an object')
  let resolved = resolvedConfigs.get(input)
  if (resolved === undefined) {
    resolved = validateConfig(input)
    resolvedConfigs.set(input, resolved)
  }
  return resolved
}

function validateConfig(input: ClientConfig): ResolvedConfig {
  const c = input
  for (const [field, check] of configChecks()) {
    const value = c[field]
    // Optional fields may be undefined (handy with env vars); clientId may not.
    const problem = value === undefined && field !== 'clientId' ? undefined : check(value)
    if (problem !== undefined) throw new ConfigError(field, problem)
  }
  if (c.domain === undefined && c.issuer === undefined) {
    throw new ConfigError('domain', 'give "domain" (an Auth0 tenant) or "issuer" (any OpenID Connect provider)')
  }
  if (c.domain !== undefined && c.issuer !== undefined) {
    throw new ConfigError('issuer', 'give "domain" or "issuer", not both')
  }
  const allowInsecureRequests = c.allowInsecureRequests === true
  const clientAuth: ClientAuthMethod = c.clientAuth ?? (c.clientSecret === undefined ? 'none' : 'client_secret_post')
  if ((clientAuth === 'client_secret_post' || clientAuth === 'client_secret_basic') && c.clientSecret === undefined) {
    throw new ConfigError('clientSecret', `is required for clientAuth "${clientAuth}" (or use clientAuth "none" for a public client with PKCE)`)
  }
  if (clientAuth === 'private_key_jwt' && c.privateKey === undefined) {
    throw new ConfigError('privateKey', 'is required for clientAuth "private_key_jwt"')
  }
  const http: HttpSettings = {
    fetch: c.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args)),
    timeoutMs: c.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retries: c.retries ?? DEFAULT_RETRIES,
    maxRetryDelayMs: c.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS,
  }

  // Auth0's endpoints are fixed; any other provider's come from discovery.
  const metadata = c.domain === undefined ? undefined : auth0Metadata(normalizeDomain(c.domain))
  if (metadata === undefined) {
    let url: URL
    try {
      url = new URL(c.issuer!)
    } catch {
      throw new ConfigError('issuer', 'must be an absolute URL such as "https://login.example.com/"')
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowInsecureRequests)) {
      throw new ConfigError('issuer', 'must use https (set allowInsecureRequests for local development over http)')
    }
    if (url.search || url.hash) throw new ConfigError('issuer', 'must not have a query or fragment')
  }

  const resolved: ResolvedConfig = {
    clientId: c.clientId,
    clientAuth,
    issuer: metadata?.issuer ?? c.issuer!,
    ...(metadata !== undefined && { metadata }),
    discovery: {},
    allowInsecureRequests,
    http,
    ...(c.clientSecret !== undefined && { clientSecret: c.clientSecret }),
    ...(c.privateKey !== undefined && { privateKey: c.privateKey }),
    ...(c.dpop !== undefined && { dpop: c.dpop }),
    ...(c.audience !== undefined && { audience: c.audience }),
  }
  return resolved
}
