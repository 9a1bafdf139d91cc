// `npm run demo`: a small web app that logs in with authcode against a local dev tenant (or your Auth0 tenant).
//
//   npm run demo                          open the printed URL in a browser; Ctrl-C to stop
//   npm run demo -- --headless            walk the whole flow in the terminal, then exit
//   AUTH0_DOMAIN=… AUTH0_CLIENT_ID=… AUTH0_CLIENT_SECRET=… [AUTH0_AUDIENCE=…] [PORT=3000] npm run demo
//                                         use your own Auth0 application instead of the dev tenant
//                                         (its Allowed Callback URLs must list http://127.0.0.1:<PORT>/callback)
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import {
  AuthcodeError,
  TokenClient,
  buildLogoutUrl,
  createAuthorizationRequest,
  isExpired,
  validateCallback,
} from 'authcode'
import { DEMO_CLIENT, TEST_USER, startDevTenant } from './dev-tenant.mjs'

const SCOPE = 'openid profile email offline_access'
const COOKIE = 'authcode_demo_sid'

/** The first 10 characters of a token and an ellipsis: enough to tell tokens apart, never enough to use one. */
const short = (token) => (typeof token === 'string' ? `${token.slice(0, 10)}…` : '(none)')

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

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

// ---------------------------------------------------------------------------------------------
// The example web app

/**
 * Starts the example app on 127.0.0.1.
 *
 * @param {{ port?: number, makeConfig(appUrl: string): Promise<{ config: object, logoutUrl(tokens: object, returnTo: string): URL }> }} p
 */
async function startApp({ port = 0, makeConfig }) {
  const server = createServer()
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const appUrl = `http://127.0.0.1:${server.address().port}`
  const redirectUri = `${appUrl}/callback`
  const { config, logoutUrl, close: closeProvider } = await makeConfig(appUrl)
  const client = new TokenClient(config) // one per app: discovery happens once

  // Server-side sessions, keyed by a random cookie. A session holds either a login in progress
  // (the transaction: state, nonce, PKCE verifier) or the tokens of a logged-in user.
  const sessions = new Map()
  const app = { url: appUrl, redirectUri, sessions, lastError: undefined }

  function sessionOf(req) {
    const sid = cookiesOf(req).get(COOKIE)
    const session = sid === undefined ? undefined : sessions.get(sid)
    return session === undefined ? undefined : { sid, session }
  }

  /** Starts a fresh session (a new id at each login step, so an old cookie is worth nothing). */
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

  /** Refreshes the tokens when the access token is (nearly) expired. */
  async function freshTokens(session) {
    if (isExpired(session.tokens, 30) && session.tokens.refreshToken !== undefined) await refresh(session)
    return session.tokens
  }

  async function refresh(session) {
    const fresh = await client.refresh({ refreshToken: session.tokens.refreshToken })
    // Keep the login's ID token claims when the refresh answer has no ID token.
    session.tokens = { ...fresh, claims: fresh.claims ?? session.tokens.claims }
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

  function json(res, status, body) {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    res.end(JSON.stringify(body, null, 2))
  }

  function redirect(res, status, location) {
    res.writeHead(status, { location, 'cache-control': 'no-store' })
    res.end()
  }

  async function home(req, res) {
    const current = sessionOf(req)
    if (current?.session.tokens === undefined) {
      return page(res, 200, 'authcode demo', '<p>You are not logged in.</p><p><a href="/login">Log in</a></p>')
    }
    const tokens = await freshTokens(current.session)
    const answer = await client.userinfo(tokens.accessToken)
    const claims = tokens.claims ?? {}
    return page(res, 200, 'authcode demo', `
<p>Logged in as <b>${escapeHtml(claims.name ?? claims.sub ?? 'unknown')}</b>${claims.email ? ` (${escapeHtml(claims.email)})` : ''}.</p>
<p>API answer (<a href="/profile">/profile</a>: the userinfo endpoint, called with the access token):</p>
<pre>${escapeHtml(JSON.stringify(answer, null, 2))}</pre>
<p>The access token expires at ${tokens.expiresAt ? new Date(tokens.expiresAt * 1000).toISOString() : 'an unknown time'}.</p>
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
    const tokens = await client.exchangeCode({ code, ...transaction })
    newSession(res, { tokens }, current.sid)
    redirect(res, 302, '/')
  }

  async function profile(req, res) {
    const current = sessionOf(req)
    if (current?.session.tokens === undefined) return json(res, 401, { error: 'login_required', error_description: 'Log in at /login first' })
    const tokens = await freshTokens(current.session)
    return json(res, 200, await client.userinfo(tokens.accessToken))
  }

  async function refreshRoute(req, res) {
    const current = sessionOf(req)
    if (current?.session.tokens?.refreshToken === undefined) throw new DemoError('Nothing to refresh: log in first (with offline_access)')
    await refresh(current.session)
    redirect(res, 303, '/')
  }

  async function logout(req, res) {
    const current = sessionOf(req)
    const tokens = current?.session.tokens
    if (current !== undefined) endSession(res, current.sid)
    if (tokens === undefined) return redirect(res, 303, '/')
    if (tokens.refreshToken !== undefined) {
      // Revoke the refresh token too, so a copy of it is worth nothing; a failure does not stop the logout.
      await client.revoke(tokens.refreshToken).catch((err) => console.error(`logout: could not revoke the refresh token: ${err.code} ${err.message}`))
    }
    redirect(res, 303, logoutUrl(tokens, `${appUrl}/`).href)
  }

  const routes = {
    'GET /': home,
    'GET /login': login,
    'GET /callback': callback,
    'GET /profile': profile,
    'POST /refresh': refreshRoute,
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
      // SDK errors carry a stable code and a message without any token or secret in it.
      app.lastError = err
      const code = err?.code ?? 'ERR_UNKNOWN'
      const message = err instanceof AuthcodeError || err instanceof DemoError ? err.message : 'Unexpected error (see the server log)'
      if (!(err instanceof AuthcodeError || err instanceof DemoError)) console.error(err)
      if (res.headersSent) return res.destroy()
      const status = err instanceof DemoError || ['ERR_AUTHORIZATION', 'ERR_STATE_MISMATCH', 'ERR_CALLBACK'].includes(code) ? 400 : 502
      if (path === '/profile') return json(res, status, { error: code, error_description: message })
      return page(res, status, 'Login failed', `<p><code>${escapeHtml(code)}</code>: ${escapeHtml(message)}</p><p><a href="/login">Start again</a> · <a href="/">Home</a></p>`)
    }
  })

  let closing
  app.close = () => {
    closing ??= Promise.all([
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
      closeProvider?.(),
    ])
    return closing
  }
  return app
}

// ---------------------------------------------------------------------------------------------
// Which provider: your Auth0 tenant (AUTH0_* set) or the local dev tenant

function auth0FromEnv() {
  const { AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, AUTH0_AUDIENCE } = process.env
  if (!AUTH0_DOMAIN || !AUTH0_CLIENT_ID || !AUTH0_CLIENT_SECRET) return undefined
  return { domain: AUTH0_DOMAIN, clientId: AUTH0_CLIENT_ID, clientSecret: AUTH0_CLIENT_SECRET, ...(AUTH0_AUDIENCE && { audience: AUTH0_AUDIENCE }) }
}

async function devTenantConfig(appUrl) {
  const tenant = await startDevTenant({ ...DEMO_CLIENT, redirectUris: [`${appUrl}/callback`] })
  const config = {
    issuer: tenant.issuer,
    allowInsecureRequests: true, // the dev tenant is plain http on 127.0.0.1; never do this in production
    clientId: DEMO_CLIENT.clientId,
    clientSecret: DEMO_CLIENT.clientSecret,
    audience: DEMO_CLIENT.audience,
  }
  const logoutUrl = (tokens, returnTo) =>
    buildLogoutUrl({
      endSessionEndpoint: `${tenant.issuer}oidc/logout`,
      clientId: config.clientId,
      returnTo,
      ...(tokens.idToken !== undefined && { idTokenHint: tokens.idToken }),
    })
  return { config, logoutUrl, tenant, close: () => tenant.close() }
}

function auth0Config(config) {
  const logoutUrl = (_tokens, returnTo) => buildLogoutUrl({ domain: config.domain, clientId: config.clientId, returnTo })
  return { config, logoutUrl }
}

// ---------------------------------------------------------------------------------------------
// --headless: the flow a browser would make, with fetch and a tiny cookie jar

async function walkThrough(app, issuer) {
  const jar = new Map() // origin -> Map(name -> value)
  const say = (line = '') => console.log(line)
  const step = (n, title) => say(`\n${n}) ${title}`)
  const detail = (label, value, width = 14) => say(`   ${label.padEnd(width)} ${value}`)

  /** One request, no redirect followed; cookies kept per origin. */
  async function hop(url, init = {}) {
    const target = new URL(url)
    const cookies = jar.get(target.origin)
    const headers = { ...init.headers }
    if (cookies?.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    app.lastError = undefined
    const res = await fetch(target, { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) })
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      const store = jar.get(target.origin) ?? new Map()
      jar.set(target.origin, store)
      if (attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a)) || value === '') store.delete(name)
      else store.set(name, value)
    }
    return res
  }

  /** Fails with the app's own error (code + message) when a step did not answer as expected. */
  async function expectStatus(res, statuses, what) {
    if (statuses.includes(res.status)) return res
    if (app.lastError !== undefined) throw app.lastError
    const body = (await res.text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200)
    throw new DemoError(`${what} answered ${res.status}, expected ${statuses.join(' or ')}${body ? `: ${body}` : ''}`)
  }

  const session = () => app.sessions.get(jar.get(new URL(app.url).origin)?.get(COOKIE))
  const when = (epochSeconds) => (epochSeconds === undefined ? '(not given)' : `${new Date(epochSeconds * 1000).toISOString()} (in ${epochSeconds - Math.floor(Date.now() / 1000)} s)`)

  say(`authcode demo, headless: app ${app.url}/  ·  dev tenant ${issuer}`)

  // 1. /login
  const toAuthorize = await expectStatus(await hop(`${app.url}/login`), [302], 'GET /login')
  const authorizeUrl = new URL(toAuthorize.headers.get('location'))
  step(1, 'The app sends the browser to the authorize URL (GET /login → 302)')
  say(`   ${authorizeUrl.href}`)
  const width = Math.max(...[...authorizeUrl.searchParams.keys()].map((k) => k.length))
  for (const [name, value] of authorizeUrl.searchParams) detail(name, value, width)

  // 2. the dev tenant's login page, and the form posted
  const loginPage = await expectStatus(await hop(authorizeUrl), [200], 'GET /authorize')
  const loginId = /name="login" value="([^"]+)"/.exec(await loginPage.text())?.[1]
  if (loginId === undefined) throw new DemoError('The dev tenant login page has no login form')
  const loginAction = new URL('/authorize/login', authorizeUrl)
  const form = new URLSearchParams({ login: loginId, username: TEST_USER.email, password: TEST_USER.password, action: 'login' })
  const toCallback = await expectStatus(
    await hop(loginAction, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form }),
    [302],
    'POST /authorize/login',
  )
  step(2, `The login form is posted to the dev tenant (POST ${loginAction.pathname} → 302)`)
  detail('username', TEST_USER.email)
  detail('password', '(the one shown on the login page)')

  // 3. back at the app's /callback
  const callbackUrl = new URL(toCallback.headers.get('location'))
  const shown = new URL(callbackUrl)
  if (shown.searchParams.has('code')) shown.searchParams.set('code', short(shown.searchParams.get('code')))
  if (callbackUrl.searchParams.has('error')) {
    throw new DemoError(`The dev tenant answered ${callbackUrl.searchParams.get('error')}: ${callbackUrl.searchParams.get('error_description')}`)
  }
  const toHome = await expectStatus(await hop(callbackUrl), [302], 'GET /callback')
  step(3, `Callback: the tenant redirects back with a code (GET /callback → ${toHome.status})`)
  say(`   ${decodeURI(shown.href)}`)
  say('   The app checked the state, then exchanged the code with its PKCE verifier.')

  // 4. the token set the app now keeps in its session (server-side; the browser only has a cookie)
  const tokens = session()?.tokens
  if (tokens === undefined) throw new DemoError('The app holds no tokens after the callback')
  step(4, 'Token set, kept server-side in the session (tokens shortened)')
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

  // 5. the "protected API" (for now: userinfo)
  const profileRes = await expectStatus(await hop(`${app.url}/profile`), [200], 'GET /profile')
  const profileAnswer = await profileRes.json()
  step(5, 'The API answer: GET /profile (the app calls userinfo with the access token)')
  for (const [name, value] of Object.entries(profileAnswer)) detail(name, JSON.stringify(value))

  // 6. refresh
  await expectStatus(await hop(`${app.url}/refresh`, { method: 'POST' }), [303], 'POST /refresh')
  const refreshed = session()?.tokens
  if (refreshed === undefined) throw new DemoError('The app lost its tokens on refresh')
  const rotated = refreshed.refreshToken !== undefined && refreshed.refreshToken !== tokens.refreshToken
  step(6, 'Refresh (POST /refresh → TokenClient.refresh)')
  detail('access_token', refreshed.accessToken !== tokens.accessToken ? `new: ${short(refreshed.accessToken)}` : 'unchanged')
  detail('refresh_token', `${short(tokens.refreshToken)} → ${short(refreshed.refreshToken)}`)
  say(rotated ? '   The refresh token rotated: the old one is spent, the app keeps the new one.' : '   The refresh token did not rotate (the provider kept the same one).')
  detail('expiresAt', when(refreshed.expiresAt))

  // 7. logout
  const toTenantLogout = await expectStatus(await hop(`${app.url}/logout`, { method: 'POST' }), [303], 'POST /logout')
  const logoutUrl = new URL(toTenantLogout.headers.get('location'))
  const shownLogout = new URL(logoutUrl)
  if (shownLogout.searchParams.has('id_token_hint')) shownLogout.searchParams.set('id_token_hint', short(shownLogout.searchParams.get('id_token_hint')))
  const backHome = await expectStatus(await hop(logoutUrl), [302], 'GET logout endpoint')
  const home = await expectStatus(await hop(new URL(backHome.headers.get('location'), logoutUrl)), [200], 'GET / after logout')
  const loggedOut = (await home.text()).includes('not logged in')
  const profileAfter = await hop(`${app.url}/profile`)
  if (!loggedOut || profileAfter.status !== 401) throw new DemoError('After logout the app still has a session')
  step(7, 'Logout (POST /logout: refresh token revoked, session cleared, then the tenant logout)')
  say(`   ${decodeURI(shownLogout.href)}`)
  detail('back at', `${backHome.headers.get('location')} → "You are not logged in"; GET /profile → ${profileAfter.status}`)

  say('\nDone: the whole Authorization Code Flow with PKCE, refresh and logout.')
}

// ---------------------------------------------------------------------------------------------

const headless = process.argv.includes('--headless')
const auth0 = auth0FromEnv()
let app
// A safety net so a stuck socket can never keep the demo alive after it finished.
const exitSoon = (code) => {
  process.exitCode = code
  setTimeout(() => process.exit(code), 2000).unref()
}

try {
  if (auth0 !== undefined && headless) {
    throw new DemoError('--headless needs the local dev tenant (it fills in its login form); unset AUTH0_DOMAIN/AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET')
  }
  let issuer
  app = await startApp({
    port: Number(process.env.PORT ?? 0),
    makeConfig: async (appUrl) => {
      if (auth0 !== undefined) return auth0Config(auth0)
      const dev = await devTenantConfig(appUrl)
      issuer = dev.tenant.issuer
      return dev
    },
  })

  if (headless) {
    await walkThrough(app, issuer)
    await app.close()
    exitSoon(0)
  } else {
    console.log(auth0 !== undefined ? `Using your Auth0 tenant ${auth0.domain} (its Allowed Callback URLs must list ${app.redirectUri})` : `Dev tenant: ${issuer}  (test user ${TEST_USER.email} / ${TEST_USER.password})`)
    console.log(`Open ${app.url}/ in your browser`)
    console.log('Press Ctrl-C to stop.')
    const stop = () => app.close().then(() => process.exit(0))
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  }
} catch (err) {
  console.error(`\n✗ Failed: ${err?.code ?? err?.name ?? 'ERR_UNKNOWN'}: ${err?.message ?? String(err)}`)
  await app?.close().catch(() => {})
  exitSoon(1)
}
