// Pushed authorization requests (RFC 9126) and the DPoP key thumbprint: what an authorization
// request needs from the client's credentials. Used by createAuthorizationRequest and TokenClient.
import type { ResolvedConfig } from '../config.js'
import type { RequestOptions } from '../lib/http.js'
import { loadPar } from './load.js'
import { call, requestOptions, session } from './session.js'

/** Pushes authorization parameters with client authentication; returns the request_uri. Internal. */
export async function pushAuthorization(
  config: ResolvedConfig,
  params: URLSearchParams,
  options: RequestOptions = {},
): Promise<{ requestUri: string; expiresIn: number }> {
  const s = await session(config, options.signal)
  const more = await loadPar()
  const body = new URLSearchParams(params)
  body.delete('client_id') // the client authentication adds it
  const par = await call(
    s,
    { endpoint: 'par', secrets: [] },
    (holds) => more.pushedAuthorizationRequest(s.as, s.client, s.auth, body, requestOptions(s, true, options.signal, [], holds)),
    (res) => more.processPushedAuthorizationResponse(s.as, s.client, res),
  )
  return { requestUri: par.request_uri, expiresIn: par.expires_in }
}

/** The JWK thumbprint of the config's DPoP key (for `dpop_jkt`), or undefined. Internal. */
export async function dpopThumbprint(config: ResolvedConfig): Promise<string | undefined> {
  if (config.dpop === undefined) return undefined
  const s = await session(config)
  return s.dpop?.calculateThumbprint()
}
