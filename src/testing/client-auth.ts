// Client authentication at the token and revocation endpoints: how a request presents it
// (RFC 6749 §2.3, RFC 7523) and whether the tenant accepts it.
import { decodeJwt, jwtVerify } from 'jose'
import type { TenantState } from './state.js'
import { missingParameter, oauthError } from './wire.js'

/**
 * How a client authenticated at the token or revocation endpoint.
 *
 * @inline
 */
export type ClientAuthMethod = 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt' | 'none'

/** The client authentication found on a request, before it is checked. */
export interface PresentedClientAuth {
  method: ClientAuthMethod
  clientId: string | undefined
  secret?: string
  assertion?: string
  /** Set when the request is malformed (two methods at once, a broken Basic header). */
  problem?: string
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return value
  }
}

/** Finds how the request authenticates its client. */
export function presentedClientAuth(headers: Headers, form: URLSearchParams): PresentedClientAuth {
  const header = headers.get('authorization')
  const bodyId = form.get('client_id') ?? undefined
  const bodySecret = form.get('client_secret')
  const assertion = form.get('client_assertion')
  if (header !== null && /^basic\s/i.test(header)) {
    let decoded: string
    try {
      const binary = atob(header.slice(6).trim())
      decoded = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))
    } catch {
      return { method: 'client_secret_basic', clientId: bodyId, problem: 'The Authorization: Basic header is not valid base64' }
    }
    const colon = decoded.indexOf(':')
    if (colon === -1) return { method: 'client_secret_basic', clientId: bodyId, problem: 'The Authorization: Basic header has no ":" between client ID and secret' }
    const clientId = formDecode(decoded.slice(0, colon))
    const secret = formDecode(decoded.slice(colon + 1))
    if (bodySecret !== null || assertion !== null) {
      return { method: 'client_secret_basic', clientId, problem: 'The client used more than one authentication method' }
    }
    if (bodyId !== undefined && bodyId !== clientId) {
      return { method: 'client_secret_basic', clientId, problem: 'client_id in the body differs from the one in the Authorization header' }
    }
    return { method: 'client_secret_basic', clientId, secret }
  }
  if (assertion !== null) {
    let clientId = bodyId
    if (clientId === undefined) {
      try {
        const iss = decodeJwt(assertion).iss
        if (typeof iss === 'string') clientId = iss
      } catch {
        // checked when the assertion is verified
      }
    }
    if (bodySecret !== null) return { method: 'private_key_jwt', clientId, problem: 'The client used more than one authentication method' }
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      return { method: 'private_key_jwt', clientId, assertion, problem: "client_assertion_type must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'" }
    }
    return { method: 'private_key_jwt', clientId, assertion }
  }
  if (bodySecret !== null) return { method: 'client_secret_post', clientId: bodyId, secret: bodySecret }
  return { method: 'none', clientId: bodyId }
}

/**
 * Checks the presented authentication against the tenant's application: undefined when it is
 * accepted, else the error answer. A client with neither a secret nor a public key configured
 * is accepted however it authenticates.
 */
export async function authenticate(state: TenantState, auth: PresentedClientAuth): Promise<Response | undefined> {
  const { tenant, settings } = state
  if (auth.problem !== undefined) return oauthError('invalid_request', auth.problem)
  if (auth.clientId === undefined) return missingParameter('client_id')
  if (auth.clientId !== tenant.clientId) return oauthError('invalid_client', `Unknown client: ${auth.clientId}`)
  const needsAuth = settings.clientSecret !== undefined || settings.clientPublicKey !== undefined
  if (auth.method === 'none') {
    return needsAuth
      ? oauthError('invalid_client', 'Client authentication is required: send client_secret (client_secret_post) or an Authorization: Basic header')
      : undefined
  }
  if (auth.method === 'private_key_jwt') {
    if (settings.clientPublicKey === undefined) {
      return needsAuth ? oauthError('invalid_client', 'This client does not authenticate with private_key_jwt') : undefined
    }
    try {
      await jwtVerify(auth.assertion ?? '', settings.clientPublicKey, {
        issuer: tenant.clientId,
        subject: tenant.clientId,
        audience: [state.urls.base, tenant.issuer, state.urls.token],
      })
      return undefined
    } catch {
      return oauthError('invalid_client', 'Invalid client_assertion')
    }
  }
  if (settings.clientSecret === undefined) {
    return needsAuth ? oauthError('invalid_client', 'This client authenticates with private_key_jwt') : undefined
  }
  if (auth.secret !== settings.clientSecret) return oauthError('invalid_client', 'Client authentication failed: wrong client secret')
  return undefined
}
