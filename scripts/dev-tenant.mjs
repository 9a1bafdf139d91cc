// A stand-in Auth0 tenant on 127.0.0.1 for the demo and tests: login page, codes with PKCE, rotating refresh tokens.
//
//   import { startDevTenant } from './dev-tenant.mjs'
//   const tenant = await startDevTenant({ clientId, clientSecret, redirectUris, audience })
//   // ... tenant.issuer is "http://127.0.0.1:<port>/"
//   await tenant.close()
//
// Or from the command line: `node scripts/dev-tenant.mjs` prints its issuer and stays up.
// Everything lives in memory and is gone when it stops. For local development only.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'
import { pathToFileURL } from 'node:url'
import { createTestTenant } from 'authcode/testing'

/** The demo application registered with the tenant by default (and by scripts/demo.mjs). */
export const DEMO_CLIENT = Object.freeze({
  clientId: 'authcode-demo-app',
  // A local stand-in secret. It only opens this in-memory tenant, and the demo never prints it.
  clientSecret: 'dev-tenant-secret-4f9c2b7e1a6d8053',
  audience: 'https://api.authcode.example',
})

/** The one user of the tenant. The login page shows the password. */
export const TEST_USER = Object.freeze({
  sub: 'auth0|64f0c0ffee0000000000jane',
  name: 'Jane Doe',
  email: 'jane@example.com',
  password: 'correct-horse-battery',
})

const CODE_TTL_SECONDS = 60
const LOGIN_TTL_SECONDS = 600
const ACCESS_TOKEN_TTL_SECONDS = 3600
const MAX_BODY_BYTES = 64 * 1024

const now = () => Math.floor(Date.now() / 1000)
const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url')
const sha256 = (text) => createHash('sha256').update(text).digest()

/** Compares two secrets in constant time (hashing first makes the lengths equal). */
function secretEquals(a, b) {
  return timingSafeEqual(sha256(String(a)), sha256(String(b)))
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** The scopes of a space-separated scope string, as a Set. */
function scopesOf(scope) {
  return new Set(String(scope ?? '').split(' ').filter(Boolean))
}

/** Auth0 sends org_id for an organization ID, and also org_name when logged in by name. */
function organizationClaims(organization) {
  if (organization === undefined) return {}
  if (organization.startsWith('org_')) return { org_id: organization }
  const name = organization.toLowerCase()
  return { org_id: `org_${sha256(name).toString('hex').slice(0, 16)}`, org_name: name }
}

class HttpError extends Error {
  constructor(status, body, headers = {}) {
    super(typeof body === 'string' ? body : body.error_description ?? body.error)
    this.status = status
    this.body = body
    this.headers = headers
  }
}

/** An OAuth error answer of the token/revocation endpoints: JSON {error, error_description}. */
const oauthError = (status, error, description, headers) => new HttpError(status, { error, error_description: description }, headers)

function send(res, status, body, headers = {}) {
  const isJson = typeof body === 'object' && body !== null
  const payload = isJson ? JSON.stringify(body) : body ?? ''
  res.writeHead(status, {
    'cache-control': 'no-store',
    pragma: 'no-cache',
    ...(payload !== '' && { 'content-type': isJson ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8' }),
    ...headers,
  })
  res.end(payload)
}

function redirect(res, location) {
  res.writeHead(302, { location, 'cache-control': 'no-store' })
  res.end()
}

async function readForm(req) {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') {
    throw oauthError(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded')
  }
  const chunks = []
  let size = 0
  for await (const chunk of req) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw oauthError(400, 'invalid_request', 'The body is too large')
    chunks.push(chunk)
  }
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
  const seen = new Set()
  for (const name of form.keys()) {
    if (seen.has(name)) throw oauthError(400, 'invalid_request', `The parameter "${name}" is repeated`)
    seen.add(name)
  }
  return form
}

/** Decodes one half of an HTTP Basic client credential (RFC 6749 §2.3.1: form-url-encoded). */
function formDecode(text) {
  return decodeURIComponent(text.replace(/\+/g, ' '))
}

/**
 * Starts the tenant on a free port of 127.0.0.1.
 *
 * @param {{ clientId: string, clientSecret: string, redirectUris: string[], audience?: string, port?: number }} options
 *   the one registered application; `audience` is the one API it may ask tokens for.
 * @returns {Promise<{ issuer: string, url: string, close(): Promise<void> }>} `issuer` ends
 *   with "/" (as Auth0's does); `url` is the same origin without it.
 */
export async function startDevTenant({ clientId, clientSecret, redirectUris, audience, port = 0 }) {
  if (typeof clientId !== 'string' || clientId === '') throw new TypeError('startDevTenant: clientId must be a non-empty string')
  if (typeof clientSecret !== 'string' || clientSecret === '') throw new TypeError('startDevTenant: clientSecret must be a non-empty string')
  if (!Array.isArray(redirectUris) || redirectUris.length === 0) throw new TypeError('startDevTenant: redirectUris must list at least one URL')
  const allowedLogoutOrigins = new Set(redirectUris.map((uri) => new URL(uri).origin))

  const server = createServer()
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const url = `http://127.0.0.1:${server.address().port}`
  const issuer = `${url}/`
  const keys = await createTestTenant({ domain: `127.0.0.1:${server.address().port}`, clientId, alg: 'RS256', kid: 'dev-tenant-key-1' })

  // Everything the tenant remembers, keyed by the random value it handed out.
  const logins = new Map() // login page id -> the checked /authorize request
  const codes = new Map() // code -> what the login granted
  const refreshTokens = new Map() // refresh token -> grant
  const accessTokens = new Map() // access token -> { grantId, sub, scope, exp }
  const spent = new Map() // used code or rotated-away refresh token -> grantId
  const issuedIdTokens = new Set()

  /** Ends a whole grant (a login and every token from it): on code or refresh token reuse. */
  function revokeGrant(grantId) {
    for (const [token, grant] of refreshTokens) if (grant.grantId === grantId) refreshTokens.delete(token)
    for (const [token, info] of accessTokens) if (info.grantId === grantId) accessTokens.delete(token)
  }

  const metadata = {
    issuer,
    authorization_endpoint: `${url}/authorize`,
    token_endpoint: `${url}/oauth/token`,
    userinfo_endpoint: `${url}/userinfo`,
    jwks_uri: `${url}/.well-known/jwks.json`,
    revocation_endpoint: `${url}/oauth/revoke`,
    end_session_endpoint: `${url}/oidc/logout`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    subject_types_supported: ['public'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'name', 'email', 'org_id', 'org_name'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    id_token_signing_alg_values_supported: ['RS256'],
  }

  // ---- /authorize: check the request, then show the login page

  /** Errors the user must see on the tenant: the redirect URI itself cannot be trusted. */
  function errorPage(status, message) {
    return new HttpError(status, `<!doctype html><meta charset="utf-8"><title>Dev tenant: error</title><h1>Cannot log in</h1><p>${escapeHtml(message)}</p>`)
  }

  /** Sends an error back to the (already checked) redirect URI, as Auth0 does. */
  function redirectError(res, request, error, description) {
    const target = new URL(request.redirectUri)
    target.searchParams.set('error', error)
    target.searchParams.set('error_description', description)
    if (request.state !== undefined) target.searchParams.set('state', request.state)
    redirect(res, target.href)
  }

  function checkAuthorizeRequest(query) {
    for (const name of new Set(query.keys())) {
      if (query.getAll(name).length > 1) throw errorPage(400, `The parameter "${name}" is repeated.`)
    }
    const get = (name) => query.get(name) ?? undefined
    if (get('client_id') !== clientId) throw errorPage(400, 'Unknown client_id: no application with this client ID is registered.')
    const redirectUri = get('redirect_uri')
    if (redirectUri === undefined || !redirectUris.includes(redirectUri)) {
      throw errorPage(400, `The redirect_uri is not an allowed callback URL of the application (allowed: ${redirectUris.join(', ')}).`)
    }
    const request = {
      redirectUri,
      state: get('state'),
      scope: get('scope') ?? 'openid',
      nonce: get('nonce'),
      audience: get('audience'),
      organization: get('organization'),
      codeChallenge: get('code_challenge'),
      codeChallengeMethod: get('code_challenge_method'),
      responseType: get('response_type'),
      responseMode: get('response_mode'),
      prompt: get('prompt'),
    }
    const problem =
      request.responseType !== 'code' ? ['unsupported_response_type', 'response_type must be "code"']
      : request.responseMode !== undefined && request.responseMode !== 'query' ? ['invalid_request', 'response_mode must be "query"']
      : request.codeChallenge === undefined ? ['invalid_request', 'code_challenge is required (PKCE)']
      : request.codeChallengeMethod !== 'S256' ? ['invalid_request', 'code_challenge_method must be "S256"']
      : !/^[A-Za-z0-9_-]{43}$/.test(request.codeChallenge) ? ['invalid_request', 'code_challenge must be a base64url SHA-256 hash']
      : request.audience !== undefined && request.audience !== audience ? ['access_denied', `Service not found: ${request.audience}`]
      : request.prompt?.split(' ').includes('none') ? ['login_required', 'Login required']
      : undefined
    return { request, problem }
  }

  function loginPage(loginId, request, message) {
    const scopes = [...scopesOf(request.scope)].map(escapeHtml).join(', ')
    return `<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Dev tenant: log in</title>
<style>body{font:16px system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}label,input,button{display:block;width:100%;box-sizing:border-box}input{margin:.25rem 0 1rem;padding:.5rem}button{padding:.6rem;margin-top:.5rem}.note{background:#f3f3f3;padding:.75rem;border-radius:6px}.error{color:#b00020}</style>
<h1>Log in</h1>
<p>to <b>${escapeHtml(clientId)}</b>, which asks for: ${scopes}${request.audience ? ` and access to <b>${escapeHtml(request.audience)}</b>` : ''}${request.organization ? ` in organization <b>${escapeHtml(request.organization)}</b>` : ''}.</p>
<p class="note">This is the local dev tenant. Test user: <b>${escapeHtml(TEST_USER.email)}</b>, password <b>${escapeHtml(TEST_USER.password)}</b></p>
${message ? `<p class="error">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/authorize/login">
<input type="hidden" name="login" value="${escapeHtml(loginId)}">
<label>Email<input name="username" type="email" value="${escapeHtml(TEST_USER.email)}" autocomplete="username"></label>
<label>Password<input name="password" type="password" autocomplete="current-password" autofocus></label>
<button type="submit" name="action" value="login">Log in</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</form>
</html>`
  }

  function handleAuthorize(res, query) {
    const { request, problem } = checkAuthorizeRequest(query)
    if (problem) return redirectError(res, request, ...problem)
    const loginId = randomToken(16)
    logins.set(loginId, { request, exp: now() + LOGIN_TTL_SECONDS })
    send(res, 200, loginPage(loginId, request))
  }

  async function handleLogin(req, res) {
    const form = await readForm(req).catch(() => {
      throw errorPage(400, 'The login form could not be read.')
    })
    const loginId = form.get('login') ?? ''
    const login = logins.get(loginId)
    if (login === undefined || login.exp < now()) {
      logins.delete(loginId)
      throw errorPage(400, 'This login page has expired. Go back to the application and start the login again.')
    }
    const { request } = login
    if (form.get('action') === 'cancel') {
      logins.delete(loginId)
      return redirectError(res, request, 'access_denied', 'The user cancelled the login')
    }
    const username = form.get('username') ?? ''
    if (username.toLowerCase() !== TEST_USER.email || !secretEquals(form.get('password') ?? '', TEST_USER.password)) {
      return send(res, 401, loginPage(loginId, request, 'Wrong email or password.'))
    }
    logins.delete(loginId)
    const code = randomToken(24)
    codes.set(code, {
      grantId: randomToken(12),
      clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      nonce: request.nonce,
      scope: request.scope,
      audience: request.audience,
      organization: request.organization,
      sub: TEST_USER.sub,
      authTime: now(),
      exp: now() + CODE_TTL_SECONDS,
    })
    const target = new URL(request.redirectUri)
    target.searchParams.set('code', code)
    if (request.state !== undefined) target.searchParams.set('state', request.state)
    redirect(res, target.href)
  }

  // ---- /oauth/token and /oauth/revoke

  /** Checks client_secret_basic or client_secret_post; answers invalid_client (401) otherwise. */
  function authenticateClient(req, form) {
    const header = req.headers.authorization
    let id
    let secret
    let basic = false
    if (header !== undefined) {
      const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header)
      const decoded = match ? Buffer.from(match[1], 'base64').toString('utf8') : ''
      const colon = decoded.indexOf(':')
      if (colon === -1) throw oauthError(401, 'invalid_client', 'Malformed Basic authorization header', { 'www-authenticate': 'Basic realm="dev-tenant"' })
      if (form.has('client_secret')) throw oauthError(400, 'invalid_request', 'Use one client authentication method, not two')
      try {
        id = formDecode(decoded.slice(0, colon))
        secret = formDecode(decoded.slice(colon + 1))
      } catch {
        throw oauthError(401, 'invalid_client', 'Malformed Basic authorization header', { 'www-authenticate': 'Basic realm="dev-tenant"' })
      }
      basic = true
      if (form.has('client_id') && form.get('client_id') !== id) throw oauthError(400, 'invalid_request', 'client_id differs from the authenticated client')
    } else {
      id = form.get('client_id') ?? undefined
      secret = form.get('client_secret') ?? undefined
    }
    const challenge = basic ? { 'www-authenticate': 'Basic realm="dev-tenant"' } : {}
    if (id === undefined || secret === undefined) throw oauthError(401, 'invalid_client', 'Client authentication is required', challenge)
    if (id !== clientId || !secretEquals(secret, clientSecret)) throw oauthError(401, 'invalid_client', 'Unknown client or wrong client secret', challenge)
    return id
  }

  /** Issues the tokens of one grant: a JWT access token, an ID token, a refresh token with offline_access. */
  async function issueTokens(grant, { withNonce, scope = grant.scope }) {
    const scopes = scopesOf(scope)
    const iat = now()
    const accessToken = await keys.signAccessToken({
      iss: issuer,
      sub: grant.sub,
      aud: grant.audience ?? `${issuer}userinfo`,
      azp: grant.clientId,
      client_id: grant.clientId,
      scope,
      iat,
      exp: iat + ACCESS_TOKEN_TTL_SECONDS,
      ...(grant.organization !== undefined && { org_id: organizationClaims(grant.organization).org_id }),
    })
    accessTokens.set(accessToken, { grantId: grant.grantId, sub: grant.sub, scope, exp: iat + ACCESS_TOKEN_TTL_SECONDS })
    const body = { access_token: accessToken, token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_SECONDS, scope }
    if (scopes.has('openid')) {
      const idToken = await keys.signIdToken({
        iss: issuer,
        aud: grant.clientId,
        sub: grant.sub,
        iat,
        exp: iat + 36000, // Auth0's default ID token lifetime: 10 hours
        auth_time: grant.authTime,
        ...(withNonce && grant.nonce !== undefined && { nonce: grant.nonce }),
        ...(scopes.has('profile') && { name: TEST_USER.name }),
        ...(scopes.has('email') && { email: TEST_USER.email }),
        ...organizationClaims(grant.organization),
      })
      issuedIdTokens.add(idToken)
      body.id_token = idToken
    }
    // The refresh token follows the grant: a narrower scope on one refresh does not end it.
    if (scopesOf(grant.scope).has('offline_access')) {
      const refreshToken = `v1.${randomToken(36)}`
      const { exp: _exp, codeChallenge: _cc, redirectUri: _ru, nonce: _n, ...kept } = grant
      refreshTokens.set(refreshToken, kept)
      body.refresh_token = refreshToken
    }
    return body
  }

  async function codeGrant(form, authenticatedClient) {
    const code = form.get('code') ?? ''
    if (spent.has(code)) {
      // RFC 6749 §4.1.2: a code used twice may be stolen; take back what it gave.
      revokeGrant(spent.get(code))
      throw oauthError(400, 'invalid_grant', 'Invalid authorization code (it was already used)')
    }
    const grant = codes.get(code)
    if (grant === undefined) throw oauthError(400, 'invalid_grant', 'Invalid authorization code')
    codes.delete(code)
    spent.set(code, grant.grantId)
    if (grant.exp < now()) throw oauthError(400, 'invalid_grant', 'The authorization code has expired')
    if (grant.clientId !== authenticatedClient) throw oauthError(400, 'invalid_grant', 'The code was issued to another client')
    if (form.get('redirect_uri') !== grant.redirectUri) {
      throw oauthError(400, 'invalid_grant', 'redirect_uri does not match the one of the authorization request')
    }
    const verifier = form.get('code_verifier')
    if (verifier === null) throw oauthError(400, 'invalid_grant', 'code_verifier is required (PKCE)')
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) throw oauthError(400, 'invalid_grant', 'code_verifier is malformed')
    if (!secretEquals(sha256(verifier).toString('base64url'), grant.codeChallenge)) {
      throw oauthError(400, 'invalid_grant', 'Failed to verify code_verifier')
    }
    return issueTokens(grant, { withNonce: true })
  }

  async function refreshGrant(form, authenticatedClient) {
    const token = form.get('refresh_token') ?? ''
    if (spent.has(token)) {
      // Rotation with reuse detection, as Auth0 does: a rotated-away token coming back ends the family.
      revokeGrant(spent.get(token))
      throw oauthError(400, 'invalid_grant', 'Unknown or invalid refresh token (it was already used)')
    }
    const grant = refreshTokens.get(token)
    if (grant === undefined) throw oauthError(400, 'invalid_grant', 'Unknown or invalid refresh token')
    if (grant.clientId !== authenticatedClient) throw oauthError(400, 'invalid_grant', 'The refresh token was issued to another client')
    let scope = grant.scope
    if (form.has('scope')) {
      const granted = scopesOf(grant.scope)
      const asked = scopesOf(form.get('scope'))
      for (const s of asked) if (!granted.has(s)) throw oauthError(400, 'invalid_scope', `The scope "${s}" was not granted`)
      scope = [...asked].join(' ')
    }
    refreshTokens.delete(token)
    spent.set(token, grant.grantId)
    return issueTokens(grant, { withNonce: false, scope })
  }

  async function handleToken(req, res) {
    const form = await readForm(req)
    const client = authenticateClient(req, form)
    const grantType = form.get('grant_type')
    let body
    if (grantType === 'authorization_code') body = await codeGrant(form, client)
    else if (grantType === 'refresh_token') body = await refreshGrant(form, client)
    else if (grantType === null) throw oauthError(400, 'invalid_request', 'grant_type is required')
    else throw oauthError(400, 'unsupported_grant_type', `Unsupported grant_type "${grantType}"`)
    send(res, 200, body)
  }

  async function handleRevoke(req, res) {
    const form = await readForm(req)
    const client = authenticateClient(req, form)
    const token = form.get('token')
    if (token === null || token === '') throw oauthError(400, 'invalid_request', 'token is required')
    const grant = refreshTokens.get(token)
    if (grant !== undefined && grant.clientId === client) {
      refreshTokens.delete(token)
      spent.set(token, grant.grantId)
    }
    send(res, 200, '') // RFC 7009: also 200 for a token that was already dead
  }

  // ---- /userinfo

  function handleUserinfo(req, res) {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(req.headers.authorization ?? '')
    const challenge = (error, description) =>
      new HttpError(401, { error, error_description: description }, {
        'www-authenticate': `Bearer realm="dev-tenant", error="${error}", error_description="${description}"`,
      })
    if (!match) throw new HttpError(401, '', { 'www-authenticate': 'Bearer realm="dev-tenant"' })
    const info = accessTokens.get(match[1])
    if (info === undefined) throw challenge('invalid_token', 'The access token is not valid')
    if (info.exp < now()) {
      accessTokens.delete(match[1])
      throw challenge('invalid_token', 'The access token expired')
    }
    const scopes = scopesOf(info.scope)
    if (!scopes.has('openid')) {
      throw new HttpError(403, { error: 'insufficient_scope' }, { 'www-authenticate': 'Bearer realm="dev-tenant", error="insufficient_scope", scope="openid"' })
    }
    send(res, 200, {
      sub: info.sub,
      ...(scopes.has('profile') && { name: TEST_USER.name }),
      ...(scopes.has('email') && { email: TEST_USER.email }),
    })
  }

  // ---- logout

  function handleLogout(res, query, returnParam) {
    const returnTo = query.get(returnParam) ?? undefined
    const hint = query.get('id_token_hint') ?? undefined
    if (hint !== undefined && !issuedIdTokens.has(hint)) throw errorPage(400, 'The id_token_hint was not issued by this tenant.')
    if (returnTo === undefined) {
      return send(res, 200, '<!doctype html><meta charset="utf-8"><title>Dev tenant</title><p>You are logged out of the dev tenant.</p>')
    }
    if (query.get('client_id') !== clientId && hint === undefined) {
      throw errorPage(400, `${returnParam} needs the application's client_id.`)
    }
    let target
    try {
      target = new URL(returnTo)
    } catch {
      throw errorPage(400, `${returnParam} is not an absolute URL.`)
    }
    if (!allowedLogoutOrigins.has(target.origin)) {
      throw errorPage(400, `${returnParam} is not an allowed logout URL of the application.`)
    }
    const state = query.get('state')
    if (returnParam === 'post_logout_redirect_uri' && state !== null) target.searchParams.set('state', state)
    redirect(res, target.href)
  }

  // ---- routing

  async function route(req, res) {
    const requestUrl = new URL(req.url ?? '/', url)
    const path = requestUrl.pathname
    const method = req.method ?? 'GET'
    const only = (...methods) => {
      if (!methods.includes(method)) throw new HttpError(405, { error: 'invalid_request', error_description: `Use ${methods.join(' or ')}` }, { allow: methods.join(', ') })
    }
    switch (path) {
      case '/.well-known/openid-configuration':
        only('GET', 'HEAD')
        return send(res, 200, metadata)
      case '/.well-known/jwks.json':
        only('GET', 'HEAD')
        return send(res, 200, keys.jwks, { 'cache-control': 'public, max-age=600' })
      case '/authorize':
        only('GET')
        return handleAuthorize(res, requestUrl.searchParams)
      case '/authorize/login':
        only('POST')
        return handleLogin(req, res)
      case '/oauth/token':
        only('POST')
        return handleToken(req, res)
      case '/oauth/revoke':
        only('POST')
        return handleRevoke(req, res)
      case '/userinfo':
        only('GET', 'POST')
        return handleUserinfo(req, res)
      case '/oidc/logout':
        only('GET')
        return handleLogout(res, requestUrl.searchParams, 'post_logout_redirect_uri')
      case '/v2/logout':
        only('GET')
        return handleLogout(res, requestUrl.searchParams, 'returnTo')
      case '/':
        return send(res, 200, `<!doctype html><meta charset="utf-8"><title>Dev tenant</title><p>authcode dev tenant. Discovery: <a href="/.well-known/openid-configuration">/.well-known/openid-configuration</a></p>`)
      default:
        throw new HttpError(404, { error: 'not_found', error_description: `No route ${method} ${path}` })
    }
  }

  server.on('request', (req, res) => {
    route(req, res).catch((err) => {
      if (res.headersSent) return res.destroy()
      if (err instanceof HttpError) return send(res, err.status, err.body, err.headers)
      console.error('dev tenant: unexpected error:', err)
      send(res, 500, { error: 'server_error', error_description: 'Unexpected error in the dev tenant' })
    })
  })

  let closing
  return {
    issuer,
    url,
    close() {
      closing ??= new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}

// `node scripts/dev-tenant.mjs`: run it on its own, e.g. for an app of your own on port 3000.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const redirectUris = (process.env.DEV_TENANT_REDIRECT_URIS ?? 'http://127.0.0.1:3000/callback,http://localhost:3000/callback')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const tenant = await startDevTenant({
    clientId: process.env.DEV_TENANT_CLIENT_ID ?? DEMO_CLIENT.clientId,
    clientSecret: process.env.DEV_TENANT_CLIENT_SECRET ?? DEMO_CLIENT.clientSecret,
    redirectUris,
    audience: process.env.DEV_TENANT_AUDIENCE ?? DEMO_CLIENT.audience,
    port: Number(process.env.DEV_TENANT_PORT ?? 0),
  })
  console.log(`Dev tenant running: issuer ${tenant.issuer}`)
  console.log(`  discovery      ${tenant.url}/.well-known/openid-configuration`)
  console.log(`  client_id      ${process.env.DEV_TENANT_CLIENT_ID ?? DEMO_CLIENT.clientId}`)
  console.log(`  client secret  ${process.env.DEV_TENANT_CLIENT_SECRET ? 'from DEV_TENANT_CLIENT_SECRET' : 'DEMO_CLIENT.clientSecret in scripts/dev-tenant.mjs'}`)
  console.log(`  callback URLs  ${redirectUris.join(', ')}  (DEV_TENANT_REDIRECT_URIS)`)
  console.log(`  audience       ${process.env.DEV_TENANT_AUDIENCE ?? DEMO_CLIENT.audience}`)
  console.log(`  test user      ${TEST_USER.email} / ${TEST_USER.password}`)
  console.log('Press Ctrl-C to stop.')
  const stop = () => tenant.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
