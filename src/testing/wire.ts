// What a stand-in Auth0 tenant reads off the wire (form bodies) and writes on it (errors, token
// answers, random tokens, times). Web APIs only; not exported from the package. The stand-in
// checks authcode, so it keeps its own implementations instead of borrowing authcode's.
import { base64url } from 'jose'

/** A parsed request body: form-encoded (or JSON, which Auth0 also accepts). */
export interface ParsedBody {
  form: URLSearchParams
  problem?: string
}

/** The first parameter that appears twice, which Auth0 refuses (RFC 6749 §3.1, §3.2). */
export function repeatedParam(params: URLSearchParams): string | undefined {
  const seen = new Set<string>()
  for (const name of params.keys()) {
    if (seen.has(name)) return name
    seen.add(name)
  }
  return undefined
}

/** Reads a form-encoded or JSON body; repeated parameters are a problem. */
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
  const repeated = repeatedParam(form)
  return repeated === undefined ? { form } : { form, problem: `Parameter '${repeated}' is repeated` }
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

/** Auth0's description of `invalid_grant` for a refresh token it will not honour. */
export const INVALID_REFRESH_TOKEN = 'Unknown or invalid refresh token.'
/** Auth0's description of `invalid_grant` for an authorization code it will not honour. */
export const INVALID_CODE = 'Invalid authorization code'

/** Auth0's `error_description` for an error code it answers without a more specific one. */
export function describeError(error: string, grant: string | undefined): string {
  switch (error) {
    case 'invalid_grant':
      return grant === 'refresh_token' ? INVALID_REFRESH_TOKEN : grant === 'authorization_code' ? INVALID_CODE : 'Invalid grant'
    case 'invalid_client':
      return 'Client authentication failed'
    case 'access_denied':
      return 'Unauthorized'
    case 'unauthorized_client':
      return `Grant type '${grant ?? 'unknown'}' not allowed for the client.`
    default:
      return `Simulated ${error}`
  }
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

/** `{ error, error_description }` as JSON, as Auth0 sends every token-endpoint error. */
export function oauthError(error: string, description: string, status = statusFor(error), headers: Record<string, string> = {}): Response {
  return Response.json({ error, error_description: description }, { status, headers: { ...NO_STORE, ...headers } })
}

/** `invalid_request` for a parameter the request must have. */
export function missingParameter(name: string): Response {
  return oauthError('invalid_request', `Missing required parameter: ${name}`)
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

function htmlResponse(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(`<!DOCTYPE html><html>${body}</html>`, { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers } })
}

/** An HTML error page, as a proxy or load balancer in front of a tenant answers. */
export function htmlError(status: number, headers: Record<string, string> = {}): Response {
  const text = `${status} ${STATUS_TEXT[status] ?? 'Error'}`
  return htmlResponse(status, `<head><title>${text}</title></head><body><h1>${text}</h1></body>`, headers)
}

/** The page Auth0 shows instead of redirecting when it cannot trust the redirect_uri. */
export function loginErrorPage(message: string): Response {
  return htmlResponse(400, `<body><h1>Oops!, something went wrong</h1><p>${message.replace(/[<>&]/g, '')}</p></body>`)
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

/** The time now in whole seconds, as JWT `iat`/`exp` and `expires_in` count it. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}
