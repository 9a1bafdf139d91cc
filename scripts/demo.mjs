// `npm run demo`: an example web app that logs in with authcode and calls a protected API, all on localhost.
//
//   npm run demo                  starts the local authorization server (scripts/auth-server.mjs, an
//                                 Auth0-like oidc-provider), the protected API and the web app; open
//                                 the printed URL in a browser; Ctrl-C to stop
//   npm run demo -- --headless    walks the whole flow in the terminal (login, tokens, the API's
//                                 answer, a refresh, the API again, logout), then exits 0 (1 on failure)
//   AUTH0_DOMAIN=… AUTH0_CLIENT_ID=… AUTH0_CLIENT_SECRET=… AUTH0_AUDIENCE=… [PORT=3000] [API_PORT=…] npm run demo
//                                 the same app and API against your Auth0 tenant, no local server:
//                                 a Regular Web Application whose Allowed Callback URLs list
//                                 http://127.0.0.1:<PORT>/callback and Allowed Logout URLs
//                                 http://127.0.0.1:<PORT>/, and an API (AUTH0_AUDIENCE is its identifier)
//                                 with a read:contacts permission and Allow Offline Access on.
//                                 --headless refuses (exit 2): it cannot fill in Auth0's real login page.
//
// The pieces, each on its own 127.0.0.1 port:
// - the authorization server: startAuthServer() from ./auth-server.mjs (or your Auth0 tenant);
// - the protected API (startApi): GET /api/contacts, guarded by authcode/api's
//   createAccessTokenVerifier with the read:contacts scope, failures answered by errorResponse;
// - the web app (startApp): /, /login, /callback, POST /refresh, POST /logout. Sessions live on
//   the server, keyed by an HttpOnly SameSite=Lax cookie whose id changes at login and at the
//   callback; the tokens stay in a TokenManager (the browser never sees one), which calls the
//   API with the access token and refreshes it when needed; logout revokes the refresh token,
//   then sends the browser to the provider's logout.
import { randomBytes, randomUUID } from 'node:crypto'
import { realpathSync } from 'node:fs'
import { createServer } from 'node:http'
import { pathToFileURL } from 'node:url'
import {
  AuthcodeError,
  LoginRequiredError,
  MemoryStorage,
  OAuthError,
  TokenClient,
  TokenManager,
  buildLogoutUrl,
  createAuthorizationRequest,
  validateCallback,
} from 'authcode'
import { createAccessTokenVerifier, errorResponse } from 'authcode/api'

/** What the app asks for: a login, the profile and email, a refresh token, and the API's read scope. */
const SCOPE = 'openid profile email offline_access read:contacts'
const REQUIRED_SCOPES = Object.freeze(['read:contacts'])
const COOKIE = 'authcode_demo_sid'
const AUTH0_VARIABLES = ['AUTH0_DOMAIN', 'AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', 'AUTH0_AUDIENCE']

/** The contacts the API hands out. */
export const CONTACTS = Object.freeze([
  Object.freeze({ name: 'Ada Lovelace', email: 'ada@example.com' }),
  Object.freeze({ name: 'Grace Hopper', email: 'grace@example.com' }),
  Object.freeze({ name: 'Alan Turing', email: 'alan@example.com' }),
])

/** The first 10 characters of a token and an ellipsis: enough to tell most tokens apart, never enough to use one. */
const short = (token) => (typeof token === 'string' && token !== '' ? `${token.slice(0, 10)}…` : '(none)')

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const unescapeHtml = (text) =>
  String(text).replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e) => {
    const lower = e.toLowerCase()
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16))
    if (lower.startsWith('#')) return String.fromCodePoint(Number(lower.slice(1)))
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[lower]
  })

function cookiesOf(req) {
  const out = new Map()
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim())
  }
  return out
}

/** An error of the demo itself (not of the SDK), with a code like the SDK's errors have. */
class DemoError extends Error {
  constructor(message) {
    super(message)
    this.name = 'DemoError'
    this.code = 'ERR_DEMO'
  }
}

/** Listens on 127.0.0.1 (port 0: any free one) and returns the base URL. */
async function listen(server, port, host = '127.0.0.1') {
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return `http://${host}:${server.address().port}`
}

function closeServer(server) {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

// ---------------------------------------------------------------------------------------------
// The protected API

/**
 * Starts the protected API: `GET /api/contacts` answers the contacts to a request whose
 * `Authorization: Bearer <access token>` verifies (issuer, audience, expiry, signature) and
 * grants `read:contacts`; otherwise the 401/403/503 of `errorResponse`.
 *
 * @param {{ port?: number, issuer?: string, domain?: string, audience: string, allowInsecureRequests?: boolean }} p
 *   `issuer` (any OpenID provider; `allowInsecureRequests` for the local http one) or `domain` (Auth0)
 * @returns {Promise<{ url: string, contactsUrl: string, close(): Promise<void> }>}
 */
export async function startApi({ port = 0, issuer, domain, audience, allowInsecureRequests = false }) {
  const verify = createAccessTokenVerifier(
    domain !== undefined ? { domain, audience } : { issuer, audience, allowInsecureRequests },
  )
  const server = createServer(async (req, res) => {
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers })
      res.end(JSON.stringify(body))
    }
    const { pathname } = new URL(req.url ?? '/', 'http://api.invalid')
    if (pathname !== '/api/contacts') return send(404, { error: 'not_found', error_description: `No ${pathname} here; try GET /api/contacts` })
    if (req.method !== 'GET') return send(405, { error: 'method_not_allowed', error_description: 'Use GET' }, { allow: 'GET' })
    try {
      const claims = await verify(req.headers.authorization, { requiredScopes: REQUIRED_SCOPES })
      return send(200, { user: claims.sub, contacts: CONTACTS })
    } catch (err) {
      const answer = errorResponse(err)
      if (answer === undefined) {
        console.error('api: unexpected error', err)
        return send(500, { error: 'server_error', error_description: 'The API failed (see its log)' })
      }
      res.writeHead(answer.status, Object.fromEntries(answer.headers))
      return res.end(await answer.text())
    }
  })
  const url = await listen(server, port)
  return { url, contactsUrl: `${url}/api/contacts`, close: () => closeServer(server) }
}

// ---------------------------------------------------------------------------------------------
// The example web app

/**
 * Starts the web app on an already created server.
 *
 * @param {{ server: import('node:http').Server, url: string, config: object, contactsUrl: string,
 *   logoutUrl(idToken: string | undefined, returnTo: string): URL }} p
 */
function startApp({ server, url: appUrl, config, contactsUrl, logoutUrl }) {
  const redirectUri = `${appUrl}/callback`
  const client = new TokenClient(config) // one per app: discovery happens once
  const tokens = new TokenManager({ client, storage: new MemoryStorage() })

  // Server-side sessions, keyed by a random cookie. A session holds either a login in progress
  // ({ login: transaction }: state, nonce, PKCE verifier) or a logged-in user ({ user: ID token
  // claims, tokenKey }: where the TokenManager keeps the tokens).
  const sessions = new Map()
  const app = { url: appUrl, redirectUri, client, tokens, sessions, lastError: undefined }

  function sessionOf(req) {
    const sid = cookiesOf(req).get(COOKIE)
    const session = sid === undefined ? undefined : sessions.get(sid)
    return session === undefined ? undefined : { sid, session }
  }

  /** Starts a fresh session under a new id (at each login step, so an old cookie is worth nothing). */
  function newSession(res, data, oldSid) {
    if (oldSid !== undefined) sessions.delete(oldSid)
    const sid = randomBytes(32).toString('base64url')
    sessions.set(sid, data)
    res.setHeader('set-cookie', `${COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Lax`)
    return sid
  }

  function endSession(res, sid) {
    sessions.delete(sid)
    res.setHeader('set-cookie', `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`)
  }

  function page(res, status, title, body) {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    res.end(`<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}pre{background:#f3f3f3;padding:.75rem;border-radius:6px;overflow:auto}form{display:inline}button{margin-right:.5rem}</style>
<h1>${escapeHtml(title)}</h1>
${body}
</html>`)
  }

  function redirect(res, status, location) {
    res.writeHead(status, { location, 'cache-control': 'no-store' })
    res.end()
  }

  /** Calls the protected API with the user's access token (refreshed first when it is about to expire). */
  async function callApi(tokenKey) {
    let res
    try {
      res = await tokens.fetch(tokenKey, contactsUrl, { signal: AbortSignal.timeout(10_000) })
    } catch (err) {
      if (err instanceof AuthcodeError) throw err
      return { status: 0, body: { error: 'unreachable', error_description: `The API did not answer: ${err?.message ?? err}` } }
    }
    const text = await res.text()
    let body
    try {
      body = JSON.parse(text)
    } catch {
      body = { error: 'not_json', error_description: text.slice(0, 200) }
    }
    return { status: res.status, body }
  }

  async function home(req, res) {
    const current = sessionOf(req)
    const user = current?.session.user
    if (user === undefined) {
      return page(res, 200, 'authcode demo', '<p>You are not logged in.</p><p><a href="/login">Log in</a></p>')
    }
    const answer = await callApi(current.session.tokenKey)
    const stored = await tokens.storage.get(current.session.tokenKey)
    const expiresAt = stored?.expiresAt
    return page(res, 200, 'authcode demo', `
<p>Logged in as <b>${escapeHtml(user.name ?? user.sub)}</b>${user.email ? ` (${escapeHtml(user.email)})` : ''}.</p>
<p>API answer: <b id="api-status">${answer.status === 0 ? 'no answer' : answer.status}</b> from <code>GET ${escapeHtml(contactsUrl)}</code>, called with your access token:</p>
<pre id="api-answer">${escapeHtml(JSON.stringify(answer.body, null, 2))}</pre>
<p>The access token expires at ${expiresAt ? new Date(expiresAt * 1000).toISOString() : 'an unknown time'}; the app refreshes it before then.</p>
<form method="post" action="/refresh"><button>Refresh tokens</button></form>
<form method="post" action="/logout"><button>Log out</button></form>`)
  }

  async function login(req, res) {
    const { url, transaction } = await createAuthorizationRequest(config, { redirectUri, scope: SCOPE })
    newSession(res, { login: transaction }, sessionOf(req)?.sid)
    redirect(res, 302, url.href)
  }

  async function callback(req, res) {
    const current = sessionOf(req)
    const transaction = current?.session.login
    if (transaction === undefined) {
      throw new DemoError('No login in progress for this browser (missing or expired cookie): start again at /login')
    }
    delete current.session.login // a transaction is used once, whatever happens next
    const { code } = validateCallback(new URL(req.url, appUrl), transaction)
    const tokenSet = await client.exchangeCode({ code, ...transaction })
    const tokenKey = randomUUID()
    await tokens.save(tokenKey, tokenSet)
    newSession(res, { user: tokenSet.claims ?? { sub: '(no ID token)' }, tokenKey }, current.sid)
    redirect(res, 302, '/')
  }

  async function refresh(req, res) {
    const current = sessionOf(req)
    if (current?.session.user === undefined) throw new DemoError('Nothing to refresh: log in first')
    await tokens.getAccessToken(current.session.tokenKey, { forceRefresh: true })
    redirect(res, 303, '/')
  }

  async function logout(req, res) {
    const current = sessionOf(req)
    if (current === undefined) return redirect(res, 303, '/')
    endSession(res, current.sid)
    const { tokenKey } = current.session
    if (tokenKey === undefined) return redirect(res, 303, '/')
    const idToken = (await tokens.storage.get(tokenKey))?.idToken
    // Revoke the refresh token, so a copy of it is worth nothing; the tokens are forgotten even
    // when that fails, and a failure does not stop the logout.
    await tokens.clear(tokenKey, { revoke: true }).catch((err) => console.error(`logout: could not revoke the refresh token: ${err?.code} ${err?.message}`))
    redirect(res, 303, logoutUrl(idToken, `${appUrl}/`).href)
  }

  const routes = {
    'GET /': home,
    'GET /login': login,
    'GET /callback': callback,
    'POST /refresh': refresh,
    'POST /logout': logout,
  }

  server.on('request', async (req, res) => {
    const path = new URL(req.url ?? '/', appUrl).pathname
    const handler = routes[`${req.method} ${path}`]
    try {
      if (handler !== undefined) return await handler(req, res)
      const allowed = Object.keys(routes).filter((r) => r.endsWith(` ${path}`)).map((r) => r.split(' ')[0])
      if (allowed.length > 0) {
        res.writeHead(405, { allow: allowed.join(', ') })
        return res.end(`Use ${allowed.join(' or ')} for ${path}`)
      }
      return page(res, 404, 'Not found', '<p><a href="/">Home</a></p>')
    } catch (err) {
      app.lastError = err
      if (res.headersSent) return res.destroy()
      if (err instanceof LoginRequiredError) {
        // The refresh token is dead (expired, revoked, reused): the session is over.
        const current = sessionOf(req)
        if (current !== undefined) endSession(res, current.sid)
        return page(res, 401, 'Please log in again', `<p>${escapeHtml(err.message)}</p><p><a href="/login">Log in</a></p>`)
      }
      // SDK errors carry a stable code and a message without any token or secret in it.
      const known = err instanceof AuthcodeError || err instanceof DemoError
      if (!known) console.error(err)
      const code = known ? err.code : 'ERR_UNKNOWN'
      const message = known ? err.message : 'Unexpected error (see the server log)'
      const status = err instanceof DemoError || ['ERR_AUTHORIZATION', 'ERR_STATE_MISMATCH', 'ERR_CALLBACK'].includes(code) ? 400 : 502
      return page(res, status, 'Something went wrong', `<p><code>${escapeHtml(code)}</code>: ${escapeHtml(message)}</p><p><a href="/login">Log in again</a> · <a href="/">Home</a></p>`)
    }
  })
  return app
}

// ---------------------------------------------------------------------------------------------
// The whole demo: the authorization server (or your Auth0 tenant), the API and the web app

/**
 * The Auth0 settings from the environment: all four variables, or none (then undefined).
 *
 * @throws {DemoError} when only some are set.
 */
export function auth0FromEnv(env = process.env) {
  const set = AUTH0_VARIABLES.filter((name) => env[name])
  if (set.length === 0) return undefined
  if (set.length < AUTH0_VARIABLES.length) {
    const missing = AUTH0_VARIABLES.filter((name) => !env[name])
    throw new DemoError(`To use your Auth0 tenant set all of ${AUTH0_VARIABLES.join(', ')}; missing: ${missing.join(', ')}. Unset them all to use the local server.`)
  }
  return { domain: env.AUTH0_DOMAIN, clientId: env.AUTH0_CLIENT_ID, clientSecret: env.AUTH0_CLIENT_SECRET, audience: env.AUTH0_AUDIENCE }
}

/**
 * Starts everything on 127.0.0.1.
 *
 * @param {{ auth0?: { domain: string, clientId: string, clientSecret: string, audience: string }, port?: number, apiPort?: number }} [p]
 */
export async function startDemo({ auth0, port = 0, apiPort = 0 } = {}) {
  // The app listens first: the authorization server must know its callback URL.
  const appServer = createServer()
  const appUrl = await listen(appServer, port)
  const closers = [() => closeServer(appServer)]
  const close = () => Promise.allSettled(closers.map((c) => c())).then(() => undefined)
  try {
    let config
    let authServer
    let logoutUrl
    let api
    if (auth0 !== undefined) {
      config = { ...auth0 }
      api = await startApi({ port: apiPort, domain: auth0.domain, audience: auth0.audience })
      closers.push(api.close)
      // Auth0's /v2/logout: returnTo must be one of the application's Allowed Logout URLs.
      logoutUrl = (_idToken, returnTo) => buildLogoutUrl({ domain: auth0.domain, clientId: auth0.clientId, returnTo })
    } else {
      // Loaded only here: with your Auth0 tenant nothing of the local server (oidc-provider) is needed.
      const { startAuthServer } = await import('./auth-server.mjs')
      authServer = await startAuthServer({ redirectUris: [`${appUrl}/callback`] })
      closers.push(() => authServer.close())
      config = {
        issuer: authServer.issuer,
        allowInsecureRequests: true, // the local server is plain http on 127.0.0.1; never do this in production
        ...authServer.clients.confidential,
        audience: authServer.apiAudience,
      }
      api = await startApi({ port: apiPort, issuer: authServer.issuer, audience: authServer.apiAudience, allowInsecureRequests: true })
      closers.push(api.close)
      // OpenID Connect RP-initiated logout at the provider's end_session_endpoint.
      const discovery = await fetch(`${authServer.issuer}.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) })
      const { end_session_endpoint: endSessionEndpoint } = await discovery.json()
      if (typeof endSessionEndpoint !== 'string') throw new DemoError('The authorization server has no end_session_endpoint')
      logoutUrl = (idToken, returnTo) =>
        buildLogoutUrl({ endSessionEndpoint, clientId: config.clientId, returnTo, ...(idToken !== undefined && { idTokenHint: idToken }) })
    }
    const app = startApp({ server: appServer, url: appUrl, config, contactsUrl: api.contactsUrl, logoutUrl })
    return { app, api, authServer, config, close }
  } catch (err) {
    await close()
    throw err
  }
}

// ---------------------------------------------------------------------------------------------
// --headless: what a browser would do, with fetch and a small cookie jar

/** A cookie jar per origin that follows no redirect by itself. */
function browser() {
  const jar = new Map() // origin -> Map(name -> value)
  async function hop(url, init = {}) {
    const target = new URL(url)
    const cookies = jar.get(target.origin)
    const headers = { ...init.headers }
    if (cookies?.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const res = await fetch(target, { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) })
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      const store = jar.get(target.origin) ?? new Map()
      jar.set(target.origin, store)
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a) || (/^\s*expires\s*=/i.test(a) && Date.parse(a.split('=')[1]) <= Date.now()))
      if (expired || value === '') store.delete(name)
      else store.set(name, value)
    }
    return res
  }
  return { hop, cookie: (origin, name) => jar.get(origin)?.get(name) }
}

/** The first form of a page: its action and its inputs that have a value. */
function formOf(html, base) {
  const attr = (tag, name) => {
    const m = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag)
    return m === null ? undefined : unescapeHtml(m[1])
  }
  const form = /<form\b[^>]*>/i.exec(html)?.[0]
  const action = form === undefined ? undefined : attr(form, 'action')
  if (action === undefined) return undefined
  const fields = new URLSearchParams()
  for (const [input] of html.matchAll(/<input\b[^>]*>/gi)) {
    const name = attr(input, 'name')
    const value = attr(input, 'value')
    if (name !== undefined && value !== undefined) fields.append(name, value)
  }
  return { action: new URL(action, base), fields }
}

/** An object as indented JSON lines, each array item on one line (a contact per line). */
function jsonLines(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [JSON.stringify(value)]
  const entries = Object.entries(value)
  const lines = ['{']
  entries.forEach(([key, v], i) => {
    const comma = i < entries.length - 1 ? ',' : ''
    if (Array.isArray(v) && v.length > 0) {
      lines.push(`  ${JSON.stringify(key)}: [`)
      v.forEach((item, j) => lines.push(`    ${JSON.stringify(item)}${j < v.length - 1 ? ',' : ''}`))
      lines.push(`  ]${comma}`)
    } else {
      lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(v)}${comma}`)
    }
  })
  lines.push('}')
  return lines
}

async function walkThrough({ app, api, authServer }) {
  const { hop, cookie } = browser()
  const say = (line = '') => console.log(line)
  const step = (n, title) => say(`\n${n}) ${title}`)
  const detail = (label, value, width = 14) => say(`   ${label.padEnd(width)} ${value}`)
  const when = (epochSeconds) =>
    epochSeconds === undefined ? '(not given)' : `${new Date(epochSeconds * 1000).toISOString()} (in ${epochSeconds - Math.floor(Date.now() / 1000)} s)`
  const location = (res, base) => new URL(res.headers.get('location'), base)
  const text = async (res) => (await res.text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()

  /** One request to the app; fails with the app's own error (code + message) when the answer is not the expected one. */
  async function appHop(url, init, statuses, what) {
    app.lastError = undefined
    const res = await hop(url, init)
    if (statuses.includes(res.status)) return res
    if (app.lastError !== undefined) throw app.lastError
    throw new DemoError(`${what} answered ${res.status}, expected ${statuses.join(' or ')}: ${(await text(res)).slice(0, 200)}`)
  }
  async function expectStatus(res, statuses, what) {
    if (statuses.includes(res.status)) return res
    throw new DemoError(`${what} answered ${res.status}, expected ${statuses.join(' or ')}: ${(await text(res)).slice(0, 200)}`)
  }
  const session = () => app.sessions.get(cookie(new URL(app.url).origin, COOKIE))
  const storedTokens = async () => {
    const key = session()?.tokenKey
    return key === undefined ? undefined : app.tokens.storage.get(key)
  }
  /** GET / and read the API answer the page shows. */
  async function apiAnswerOnPage() {
    const home = await appHop(`${app.url}/`, {}, [200], 'GET /')
    const html = await home.text()
    const status = /id="api-status">([^<]*)</.exec(html)?.[1]
    const body = /id="api-answer">([\s\S]*?)<\/pre>/.exec(html)?.[1]
    if (status === undefined || body === undefined) throw new DemoError(`GET / shows no API answer: ${html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200)}`)
    return { status: Number(status), json: JSON.parse(unescapeHtml(body)) }
  }
  function showAnswer({ status, json }) {
    detail('status', String(status))
    for (const line of jsonLines(json)) say(`   ${line}`)
    if (status !== 200 || !Array.isArray(json.contacts)) {
      throw new DemoError(`The API refused: ${status} ${json.error ?? ''} ${json.error_description ?? ''}`.trim())
    }
  }

  const user = authServer.users[0]
  say('authcode demo, headless: the Authorization Code Flow with PKCE, as a browser would walk it')
  detail('web app', `${app.url}/`, 20)
  detail('auth server', `${authServer.issuer}  (scripts/auth-server.mjs)`, 20)
  detail('protected API', `${api.contactsUrl}  (needs ${REQUIRED_SCOPES.join(' ')})`, 20)

  // 1. /login
  const toAuthorize = await appHop(`${app.url}/login`, {}, [302], 'GET /login')
  const authorizeUrl = location(toAuthorize, app.url)
  step(1, 'The app sends the browser to the authorize URL (GET /login → 302)')
  say(`   ${authorizeUrl.href}`)
  const width = Math.max(...[...authorizeUrl.searchParams.keys()].map((k) => k.length))
  for (const [name, value] of authorizeUrl.searchParams) detail(name, value, width)

  // 2. the authorization server's login page, filled in and posted
  let at = authorizeUrl
  let res = await hop(at)
  const hops = [`GET ${at.pathname} → ${res.status}`]
  while (res.status >= 300 && res.status < 400 && location(res, at).origin === authorizeUrl.origin) {
    at = location(res, at)
    res = await hop(at)
    hops.push(`GET ${at.pathname} → ${res.status}`)
  }
  await expectStatus(res, [200], `GET ${at.pathname}`)
  const loginHtml = await res.text()
  const loginForm = formOf(loginHtml, at)
  if (loginForm === undefined || !/name="password"/.test(loginHtml)) throw new DemoError(`${at.pathname} shows no login form`)
  loginForm.fields.set('email', user.email)
  loginForm.fields.set('password', user.password)
  res = await hop(loginForm.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: loginForm.fields })
  at = loginForm.action
  hops.push(`POST ${at.pathname} → ${res.status}`)
  if (res.status === 401) throw new DemoError('The login page refused the test user\'s email and password')
  while (res.status >= 300 && res.status < 400 && location(res, at).origin === authorizeUrl.origin) {
    at = location(res, at)
    res = await hop(at)
    hops.push(`GET ${at.pathname} → ${res.status}`)
  }
  if (!(res.status >= 300 && res.status < 400)) await expectStatus(res, [302, 303], `${at.pathname} after the login`)
  const callbackUrl = location(res, at)
  step(2, 'The auth server shows its login page; the test user logs in')
  for (const line of hops) say(`   ${line}`)
  detail('email', user.email)
  detail('password', '(the test user\'s, shown on the login page; not printed here)')

  // 3. back at the app's /callback
  if (callbackUrl.searchParams.has('error')) {
    throw new DemoError(`The auth server answered ${callbackUrl.searchParams.get('error')}: ${callbackUrl.searchParams.get('error_description')}`)
  }
  const shown = new URL(callbackUrl)
  if (shown.searchParams.has('code')) shown.searchParams.set('code', short(shown.searchParams.get('code')))
  const toHome = await appHop(callbackUrl, {}, [302], 'GET /callback')
  step(3, `The auth server sends the browser back to the app's callback with a code (GET /callback → ${toHome.status})`)
  say(`   ${decodeURIComponent(shown.href)}`)
  say('   The app checked state and iss, traded the code (with its PKCE verifier and client secret)')
  say('   for tokens, checked the ID token, and started a new session (new cookie id).')

  // 4. the token set the app now keeps server-side (the browser only has a cookie)
  const tokens = await storedTokens()
  if (tokens === undefined) throw new DemoError('The app holds no tokens after the callback')
  step(4, 'The token set, kept by the app on the server (every token shortened)')
  detail('access_token', short(tokens.accessToken))
  detail('id_token', short(tokens.idToken))
  detail('refresh_token', short(tokens.refreshToken))
  detail('token_type', tokens.tokenType)
  detail('scope', tokens.scope ?? '(not given)')
  detail('expiresAt', when(tokens.expiresAt))
  say('   ID token claims')
  detail('  sub', tokens.claims?.sub ?? '(none)')
  detail('  name', tokens.claims?.name ?? '(none)')
  detail('  email', tokens.claims?.email ?? '(none)')

  // 5. the page calls the protected API with the access token
  step(5, `The app's page calls the protected API (GET ${api.contactsUrl}, Authorization: ${tokens.tokenType} ${short(tokens.accessToken)})`)
  showAnswer(await apiAnswerOnPage())

  // 6. refresh
  await appHop(`${app.url}/refresh`, { method: 'POST' }, [303], 'POST /refresh')
  const refreshed = await storedTokens()
  if (refreshed === undefined) throw new DemoError('The app lost its tokens on refresh')
  const rotated = refreshed.refreshToken !== undefined && refreshed.refreshToken !== tokens.refreshToken
  step(6, 'Refresh (POST /refresh → 303: the TokenManager refreshes at the token endpoint)')
  detail('access_token', refreshed.accessToken !== tokens.accessToken ? `${short(refreshed.accessToken)} (a new one)` : `${short(refreshed.accessToken)} (unchanged)`)
  detail('refresh_token', `${short(tokens.refreshToken)} → ${short(refreshed.refreshToken)}`)
  detail('expiresAt', when(refreshed.expiresAt))
  say(rotated ? '   The refresh token rotated: the old one is spent, the app keeps the new one.' : '   The refresh token did not rotate (the provider kept the same one).')

  // 7. the API again, now with the new access token
  step(7, `The page calls the API again, with the new access token (GET ${api.contactsUrl}, Authorization: ${refreshed.tokenType} ${short(refreshed.accessToken)})`)
  showAnswer(await apiAnswerOnPage())

  // 8. logout
  const toProviderLogout = await appHop(`${app.url}/logout`, { method: 'POST' }, [303], 'POST /logout')
  const logoutUrl = location(toProviderLogout, app.url)
  const shownLogout = new URL(logoutUrl)
  if (shownLogout.searchParams.has('id_token_hint')) shownLogout.searchParams.set('id_token_hint', short(shownLogout.searchParams.get('id_token_hint')))
  at = logoutUrl
  res = await hop(at)
  if (res.status === 200) {
    // The provider's logout page posts its confirmation form by itself (a script); do what it does.
    const confirm = formOf(await res.text(), at)
    if (confirm === undefined) throw new DemoError('The provider\'s logout page has no form')
    confirm.fields.set('logout', 'yes')
    at = confirm.action
    res = await hop(at, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: confirm.fields })
  }
  await expectStatus(res, [302, 303], `${at.pathname}`)
  const backAt = location(res, at)
  const home = await appHop(backAt, {}, [200], `GET ${backAt.pathname} after the logout`)
  const loggedOut = (await home.text()).includes('not logged in')
  if (!loggedOut || session() !== undefined) throw new DemoError('After the logout the app still has a session')
  const revoked = await app.client.refresh({ refreshToken: refreshed.refreshToken }).then(
    () => 'still works (not revoked!)',
    (err) => (err instanceof OAuthError ? `refused: ${err.error}` : `${err.code}: ${err.message}`),
  )
  step(8, 'Logout (POST /logout → 303: refresh token revoked, session ended, then the provider\'s logout)')
  say(`   ${decodeURIComponent(shownLogout.href)}`)
  detail('back at', `${backAt.href} → "You are not logged in"`)
  detail('refresh_token', `${short(refreshed.refreshToken)} ${revoked}`)
  if (!revoked.startsWith('refused')) throw new DemoError('The refresh token was not revoked at logout')

  say('\nDone: login with PKCE, tokens, the protected API, refresh with rotation, and logout.')
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const headless = process.argv.includes('--headless')
  let demo
  // A safety net so a stuck socket can never keep the demo alive after it finished.
  const exitSoon = (code) => {
    process.exitCode = code
    setTimeout(() => process.exit(code), 2000).unref()
  }
  try {
    const auth0 = auth0FromEnv()
    if (auth0 !== undefined && headless) {
      console.error(
        `--headless walks the flow against the local authorization server, whose login form it can fill in;\n` +
          `it cannot (and should not) fill in your Auth0 tenant's real login page.\n` +
          `Run \`npm run demo\` without --headless and open the printed URL in a browser,\n` +
          `or unset ${AUTH0_VARIABLES.join(', ')} to walk the flow headless against the local server.`,
      )
      return exitSoon(2)
    }
    demo = await startDemo({
      auth0,
      port: Number(process.env.PORT ?? (auth0 !== undefined ? 3000 : 0)),
      apiPort: Number(process.env.API_PORT ?? 0),
    })
    if (headless) {
      await walkThrough(demo)
      await demo.close()
      return exitSoon(0)
    }
    const { app, api, authServer } = demo
    if (auth0 !== undefined) {
      console.log(`Using your Auth0 tenant ${auth0.domain}`)
      console.log(`  its application's Allowed Callback URLs must list ${app.redirectUri}, its Allowed Logout URLs ${app.url}/`)
    } else {
      console.log(`Auth server    ${authServer.issuer}  (scripts/auth-server.mjs; test user ${authServer.users[0].email}, the login page shows the password)`)
    }
    console.log(`Protected API  ${api.contactsUrl}`)
    console.log(`\nOpen ${app.url}/ in your browser. Press Ctrl-C to stop.`)
    const stop = () => demo.close().then(() => process.exit(0))
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  } catch (err) {
    console.error(`\n✗ Failed: ${err?.code ?? err?.name ?? 'ERR_UNKNOWN'}: ${err?.message ?? String(err)}`)
    await demo?.close().catch(() => {})
    exitSoon(1)
  }
}

// Run only as a script (`node scripts/demo.mjs`); importing it (the tests do) starts nothing.
function isMain() {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href
  } catch {
    return false
  }
}
if (isMain()) await main()
