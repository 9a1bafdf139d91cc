// Server metadata: Auth0's fixed endpoints, or an issuer's discovery document read once per
// config and shared by every caller; and the issuer exactly as the provider spells it.
import type * as oauth from 'oauth4webapi'
import type { ResolvedConfig } from '../config.js'
import { abortError, customFetch } from '../lib/http.js'
import { issuerMismatch } from './issuer.js'
import { loadFlow } from './load.js'
import { toError } from './error-mapping.js'

/**
 * The authorization server metadata of a config: Auth0's fixed endpoints at once, or the
 * issuer's discovery document. One discovery serves all callers, under the client's timeout but
 * no caller's signal (one caller aborting must not fail the others); each caller's own signal
 * still ends its wait. A failed discovery is tried again on the next call.
 */
export function serverMetadata(config: ResolvedConfig, signal?: AbortSignal): Promise<oauth.AuthorizationServer> {
  if (config.metadata !== undefined) return Promise.resolve(config.metadata)
  const entry = config.discovery
  entry.pending ??= discover(config).then(
    (metadata) => (entry.metadata = metadata),
    (err: unknown) => {
      entry.pending = undefined
      throw err
    },
  )
  return untilAborted(entry.pending, signal)
}

/**
 * The issuer as the provider spells it: Auth0's `https://{domain}/`, or once discovered the
 * discovery document's own spelling (`https://accounts.google.com`, no slash); before that, as
 * configured.
 */
export function issuerOf(config: ResolvedConfig): string {
  return (config.metadata ?? config.discovery.metadata)?.issuer ?? config.issuer
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(abortError(signal))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

async function discover(config: ResolvedConfig): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(config.issuer) // checked by config.ts
  const o = await loadFlow()
  let res: Response | undefined
  try {
    res = await o.discoveryRequest(issuer, {
      [o.customFetch]: customFetch(config.http, { idempotent: true }),
      [o.allowInsecureRequests]: config.allowInsecureRequests,
    })
    // oauth4webapi compares the issuers as URLs, as authcode/api does.
    return await o.processDiscoveryResponse(issuer, res)
  } catch (err) {
    const e = err as { code?: unknown; cause?: { attribute?: unknown; body?: { issuer?: unknown } } } | null
    if (e?.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' && e.cause?.attribute === 'issuer') {
      // A configuration mistake, not an outage: the provider calls itself something else.
      throw issuerMismatch(config.issuer, e.cause.body?.issuer)
    }
    throw await toError(err, { response: res, endpoint: 'discovery', secrets: [] })
  }
}
