// The grants as plain functions, for `import { exchangeCode } from 'authcode'` in any framework.
import type { ClientConfig } from './config.js'
import { type ExchangeCodeParams, type RefreshParams, TokenClient } from './token-client.js'
import type { InferClaims, StandardSchemaV1 } from './standard-schema.js'
import type { IdTokenClaims, TokenSet } from './token-set.js'

// One TokenClient per config object, so the config is validated (and an issuer discovered)
// once, not on every request.
const clients = new WeakMap<ClientConfig, TokenClient>()

/** The TokenClient for a config object, made once. Internal. */
export function clientFor(config: ClientConfig): TokenClient {
  let client = clients.get(config)
  if (client === undefined) {
    client = new TokenClient(config)
    clients.set(config, client)
  }
  return client
}

/**
 * Exchanges an authorization code for tokens; the same as
 * {@link TokenClient.exchangeCode} on a client made (once, then reused) for `config`.
 *
 * Keep `config` one object for the life of your server: it is the cache key.
 *
 * @throws {ConfigError|OAuthError|IdTokenError|ResponseError|NetworkError|TimeoutError|AbortError}
 * @example
 * ```ts
 * import { validateCallback, exchangeCode } from 'authcode'
 * const { code } = validateCallback(request.url, transaction)
 * const tokens = await exchangeCode(config, { code, ...transaction })
 * ```
 */
export function exchangeCode<S extends StandardSchemaV1 | undefined = undefined>(
  config: ClientConfig,
  p: ExchangeCodeParams<S>,
): Promise<TokenSet<IdTokenClaims & InferClaims<S>>> {
  return clientFor(config).exchangeCode(p)
}

/**
 * Refreshes tokens; the same as {@link TokenClient.refresh} on a client made (once, then
 * reused) for `config`.
 *
 * @throws {ConfigError|OAuthError|IdTokenError|ResponseError|NetworkError|TimeoutError|AbortError}
 * @example
 * ```ts
 * import { refreshTokens } from 'authcode'
 * const fresh = await refreshTokens(config, { refreshToken: tokens.refreshToken! })
 * ```
 */
export function refreshTokens(config: ClientConfig, p: RefreshParams): Promise<TokenSet> {
  return clientFor(config).refresh(p)
}
