// Turns what oauth4webapi and fetch throw into authcode's typed errors, with fixes in the message and no secret.
import { type Flow, loadFlow } from './load.js'
import { AuthcodeError, ConfigError, IdTokenError, NetworkError, OAuthError, ResponseError } from '../errors.js'
import { bareCopy as bare, redact } from '../lib/redact.js'
import { failureReason, parseRetryAfter } from '../lib/http.js'
import type * as oauth4webapi from 'oauth4webapi'

// oauth4webapi's error codes as the strings they are, each typed as the library's constant so
// the compiler checks it: comparing with a literal needs no export of the lazily loaded module.
const PARSE_ERROR: typeof oauth4webapi.PARSE_ERROR = 'OAUTH_PARSE_ERROR'
const RESPONSE_IS_NOT_JSON: typeof oauth4webapi.RESPONSE_IS_NOT_JSON = 'OAUTH_RESPONSE_IS_NOT_JSON'
const RESPONSE_IS_NOT_CONFORM: typeof oauth4webapi.RESPONSE_IS_NOT_CONFORM = 'OAUTH_RESPONSE_IS_NOT_CONFORM'
const HTTP_REQUEST_FORBIDDEN: typeof oauth4webapi.HTTP_REQUEST_FORBIDDEN = 'OAUTH_HTTP_REQUEST_FORBIDDEN'
const REQUEST_PROTOCOL_FORBIDDEN: typeof oauth4webapi.REQUEST_PROTOCOL_FORBIDDEN = 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN'
const JWT_TIMESTAMP_CHECK: typeof oauth4webapi.JWT_TIMESTAMP_CHECK = 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED'
const JWT_CLAIM_COMPARISON: typeof oauth4webapi.JWT_CLAIM_COMPARISON = 'OAUTH_JWT_CLAIM_COMPARISON_FAILED'
const MISSING_SERVER_METADATA: typeof oauth4webapi.MISSING_SERVER_METADATA = 'OAUTH_MISSING_SERVER_METADATA'
const INVALID_SERVER_METADATA: typeof oauth4webapi.INVALID_SERVER_METADATA = 'OAUTH_INVALID_SERVER_METADATA'

/** Where the failure happened, for messages and hints. */
export interface ErrorContext {
  response?: Response | undefined
  endpoint: 'token' | 'discovery' | 'userinfo' | 'revocation' | 'par' | 'api'
  grant?: 'authorization_code' | 'refresh_token' | 'client_credentials'
  /** Values that must never appear in a message (secret, code, verifier, tokens). */
  secrets: ReadonlyArray<string | undefined>
}

const ENDPOINT_NAMES: Record<ErrorContext['endpoint'], string> = {
  token: 'the token endpoint',
  discovery: 'the discovery document',
  userinfo: 'the userinfo endpoint',
  revocation: 'the revocation endpoint',
  par: 'the PAR endpoint',
  api: 'the API',
}

function hintFor(error: string, ctx: ErrorContext): string | undefined {
  switch (error) {
    case 'invalid_client':
      return 'Check the client ID and client secret, and that the application\'s token endpoint authentication method matches "clientAuth" (client_secret_post by default)'
    case 'invalid_grant':
      if (ctx.grant === 'authorization_code') {
        return 'The code has expired or was already used, or redirect_uri/code_verifier differ from the authorization request: start the login again'
      }
      if (ctx.grant === 'refresh_token') return 'The refresh token has expired, was revoked or was already rotated: the user must log in again'
      return undefined
    case 'unauthorized_client':
      return 'Enable this grant type for the application (Auth0 dashboard: Applications > Advanced Settings > Grant Types)'
    case 'access_denied':
      return ctx.grant === 'client_credentials'
        ? 'Authorize the application for this API (Auth0 dashboard: APIs > Machine to Machine Applications)'
        : undefined
    case 'invalid_scope':
      return 'Request only scopes the API defines (and that were granted, for a refresh)'
    default:
      return undefined
  }
}

function retryAfterOf(response?: Response): number | undefined {
  if (!response || (response.status !== 429 && response.status !== 503)) return undefined
  return parseRetryAfter(response.headers.get('retry-after'))
}

/**
 * Maps any thrown value of a request/response step to an {@link AuthcodeError}. `oauth` is
 * oauth4webapi as loaded by load.ts (this module does not import it statically, so importing
 * authcode does not load it).
 */
export async function toAuthcodeError(err: unknown, ctx: ErrorContext, oauth: Flow): Promise<AuthcodeError> {
  if (err instanceof AuthcodeError) return err
  const where = ENDPOINT_NAMES[ctx.endpoint]
  const status = ctx.response?.status ?? 0
  const retryAfter = retryAfterOf(ctx.response)
  // Server-supplied fields are only trusted to be strings when they are.
  const clean = (s: unknown) => (typeof s === 'string' ? redact(s, ctx.secrets) : undefined)
  const bareCopy = (e: unknown) => bare(e, ctx.secrets)
  // The server's OAuth error, from its body, its challenge or a 5xx body: one construction,
  // with each optional field set only when present.
  const oauthError = (error: string, status: number, description: string | undefined, retry: number | undefined, hint: string | undefined) =>
    new OAuthError(
      {
        error,
        status,
        ...(description !== undefined && { errorDescription: description }),
        ...(retry !== undefined && { retryAfter: retry }),
        ...(hint !== undefined && { hint }),
      },
      { cause: bareCopy(err) },
    )

  if (err instanceof oauth.ResponseBodyError) {
    return oauthError(clean(err.error) ?? 'unknown_error', err.status, clean(err.error_description), retryAfter, hintFor(err.error, ctx))
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    // A challenge without error= (e.g. `Basic realm="…"`) may still come with a JSON error body.
    const params = err.cause[0]?.parameters
    let rawError = params?.error
    let rawDescription = params?.error_description
    if (rawError === undefined) {
      const body: unknown = await err.response.json().catch(() => undefined)
      if (typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string') {
        rawError = (body as { error: string }).error
        const d = (body as { error_description?: unknown }).error_description
        if (typeof d === 'string') rawDescription = d
      }
    }
    const error = clean(rawError) ?? (ctx.endpoint === 'userinfo' ? 'invalid_token' : 'invalid_client')
    return oauthError(error, err.status, clean(rawDescription), undefined, hintFor(error, ctx))
  }
  if (err instanceof oauth.OperationProcessingError || err instanceof oauth.UnsupportedOperationError) {
    const code = err.code
    if (code === HTTP_REQUEST_FORBIDDEN || code === REQUEST_PROTOCOL_FORBIDDEN) {
      return new ConfigError('allowInsecureRequests', `${where} is not https; set allowInsecureRequests for local development only`, { cause: bareCopy(err) })
    }
    if (code === MISSING_SERVER_METADATA || code === INVALID_SERVER_METADATA) {
      return new ConfigError('issuer', `the provider's metadata has no usable endpoint for this call (${clean(err.message)})`, { cause: bareCopy(err) })
    }
    if (
      code === JWT_TIMESTAMP_CHECK ||
      code === JWT_CLAIM_COMPARISON ||
      /ID Token|JWT|id_token/.test(err.message)
    ) {
      return new IdTokenError(`The ID token was rejected: ${clean(err.message)}`, { cause: bareCopy(err) })
    }
    let message: string
    if (code === PARSE_ERROR && !(err.cause instanceof SyntaxError)) {
      // Not bad JSON: the body stream failed (a connection reset mid-body), read straight from
      // the response as it came in.
      return new NetworkError(`The connection to ${where} was lost while reading its answer (${failureReason(err.cause)})`, { cause: bareCopy(err.cause) })
    }
    if (code === RESPONSE_IS_NOT_JSON || code === PARSE_ERROR) {
      message = `${where} answered ${status} with a body that is not JSON`
    } else if (code === RESPONSE_IS_NOT_CONFORM) {
      // oauth4webapi reads OAuth error bodies on 4xx only; a 5xx may carry one too
      // (e.g. temporarily_unavailable), and its error and description are worth keeping.
      const body: unknown = ctx.response && !ctx.response.bodyUsed ? await ctx.response.json().catch(() => undefined) : undefined
      const error = clean((body as { error?: unknown } | undefined)?.error)
      if (status >= 500 && error !== undefined) {
        return oauthError(error, status, clean((body as { error_description?: unknown }).error_description), retryAfter, undefined)
      }
      message = `${where} answered with unexpected HTTP status ${status}`
    } else {
      message = `${where} answered ${status} with a response of the wrong shape: ${clean(err.message)}`
    }
    return new ResponseError(status, message, { cause: bareCopy(err), ...(retryAfter !== undefined && { retryAfter }) })
  }
  if (err instanceof TypeError && ctx.response === undefined && /fetch|network/i.test(err.message)) {
    return new NetworkError(`Could not reach ${where}`, { cause: bareCopy(err) })
  }
  const message = err instanceof Error ? clean(err.message) : 'unknown error'
  return new ResponseError(status, `Could not process the answer of ${where}: ${message}`, {
    ...(err instanceof Error && { cause: bareCopy(err) }),
  })
}

/** Maps a failure to a typed AuthcodeError, loading oauth4webapi's error codes first. */
export async function toError(err: unknown, ctx: ErrorContext): Promise<Error> {
  return toAuthcodeError(err, ctx, await loadFlow())
}
