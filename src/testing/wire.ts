// authcode/testing internals: what an Auth0 tenant reads off the wire (form bodies, client
// authentication, PKCE) and how it writes errors. Web APIs only; not exported from the package.
import { base64url, decodeJwt } from 'jose'

/** How a client authenticated at the token or revocation endpoint. */
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

/** A parsed request body: form-encoded (or JSON, which Auth0 also accepts). */
export interface ParsedBody {
  form: URLSearchParams
  problem?: string
}

/** Reads a form-encoded or JSON body; repeated parameters are a problem (RFC 6749 §3.2). */
export async function readBody(request: Request): Promise<ParsedBody> {
  const type = (request.headers.get('content-type') ?? '').toLowerCase()
  const text = await request.text()
  if (type.startsWith('application/json')) {
    const form = new URLSearchParams()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return { form, problem: 'The request body is not valid JSON' }
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return { form, problem: 'The request body must be a JSON object' }
    for (const [name, value] of Object.entries(json)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') form.set(name, String(value))
    }
    return { form }
  }
  const form = new URLSearchParams(text)
  if (!type.startsWith('application/x-www-form-urlencoded')) {
    return { form, problem: 'The request body must be application/x-www-form-urlencoded (or application/json)' }
  }
  const seen = new Set<string>()
  for (const name of form.keys()) {
    if (seen.has(name)) return { form, problem: `Parameter '${name}' is repeated` }
    seen.add(name)
  }
  return { form }
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return value
  }
}

/** Finds how the request authenticates its client (RFC 6749 §2.3, RFC 7523). */
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

/** The status Auth0 answers each OAuth error code with (it uses 403 for refused grants). */
export function statusFor(error: string): number {
  switch (error) {
    case 'invalid_request':
    case 'unsupported_grant_type':
      return 400
    case 'invalid_client':
      return 401
    case 'too_many_requests':
      return 429
    case 'server_error':
      return 500
    case 'temporarily_unavailable':
      return 503
    default:
      return 403
  }
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

/** `{ error, error_description }` as JSON, as Auth0 sends every token-endpoint error. */
export function oauthError(error: string, description: string, status = statusFor(error), headers: Record<string, string> = {}): Response {
  return Response.json({ error, error_description: description }, { status, headers: { ...NO_STORE, ...headers } })
}

/** A successful token-endpoint answer. */
export function tokenJson(body: object): Response {
  return Response.json(body, { status: 200, headers: NO_STORE })
}

const STATUS_TEXT: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/** An HTML error page, as a proxy or load balancer in front of a tenant answers. */
export function htmlError(status: number, headers: Record<string, string> = {}): Response {
  const text = `${status} ${STATUS_TEXT[status] ?? 'Error'}`
  return new Response(`<!DOCTYPE html><html><head><title>${text}</title></head><body><h1>${text}</h1></body></html>`, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', ...headers },
  })
}

/** A 401/403 from /userinfo with an RFC 6750 challenge. */
export function bearerError(status: 401 | 403, error: string | undefined, description: string, realm: string): Response {
  const params = [`realm="${realm}"`]
  if (error !== undefined) params.push(`error="${error}"`, `error_description="${description.replace(/["\\]/g, '')}"`)
  if (error === 'insufficient_scope') params.push('scope="openid"')
  return new Response(status === 401 ? 'Unauthorized' : 'Forbidden', {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': `Bearer ${params.join(', ')}` },
  })
}

/** `n` random bytes, base64url. */
export function randomToken(bytes = 32): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)))
}

/** RFC 7636: does the verifier match the challenge? */
export async function pkceMatches(verifier: string, challenge: string, method: string): Promise<boolean> {
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return false
  if (method === 'plain') return verifier === challenge
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))
  return base64url.encode(new Uint8Array(digest)) === challenge
}

/** Waits `ms`, or less when `signal` aborts (the client has gone; nobody reads the answer). */
export function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

/** Splits a space-separated scope into its distinct names. */
export function scopeList(scope: string | null | undefined): string[] {
  return [...new Set((scope ?? '').split(/\s+/).filter(Boolean))]
}
