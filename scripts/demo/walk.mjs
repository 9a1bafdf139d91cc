// `npm run demo -- --headless`: what a browser would do, with fetch and a small cookie jar, printed step by step.
import { OAuthError, TokenClient } from 'authcode'
import { REQUIRED_SCOPES } from './api.mjs'

/** An error of the demo itself (not of the SDK), with a code like the SDK's errors have. */
export class DemoError extends Error {
  constructor(message) {
    super(message)
    this.name = 'DemoError'
    this.code = 'ERR_DEMO'
  }
}

/** The first 10 characters of a token and an ellipsis: enough to tell most tokens apart, never enough to use one. */
const short = (token) => (typeof token === 'string' && token !== '' ? `${token.slice(0, 10)}…` : '(none)')

const unescapeHtml = (text) =>
  String(text).replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e) => {
    const lower = e.toLowerCase()
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16))
    if (lower.startsWith('#')) return String.fromCodePoint(Number(lower.slice(1)))
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[lower]
  })

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
  return { hop, cookies: (origin) => [...(jar.get(origin)?.keys() ?? [])] }
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

/**
 * Walks the flow against the local authorization server and prints each step.
 *
 * @param {{ app: { url: string, store: { list(): Promise<object[]> }, provider: object, lastError?: unknown },
 *   api: { contactsUrl: string }, authServer: { issuer: string, users: { email: string, password: string }[], provider: import('node:events').EventEmitter } }} demo
 */
export async function walkThrough({ app, api, authServer }) {
  const { hop, cookies } = browser()
  const appOrigin = new URL(app.url).origin
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
  /** The one session the app keeps (the walk is its only user), or undefined. */
  async function session() {
    const all = await app.store.list()
    if (all.length > 1) throw new DemoError(`The app keeps ${all.length} sessions; the walk expected one`)
    return all[0]
  }
  const sessionCookies = () => cookies(appOrigin).filter((name) => name.startsWith('authcode.session'))
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
  /** Follows the provider's redirects from `at` while they stay on the provider. */
  async function follow(res, at, origin, hops) {
    while (res.status >= 300 && res.status < 400 && location(res, at).origin === origin) {
      at = location(res, at)
      res = await hop(at)
      hops.push(`GET ${at.pathname} → ${res.status}`)
    }
    return { res, at }
  }
  /** GET /auth/login, the provider's login page filled in and posted, up to the callback URL (not yet followed). */
  async function logIn() {
    const toAuthorize = await appHop(`${app.url}/auth/login`, {}, [302], 'GET /auth/login')
    const authorizeUrl = location(toAuthorize, app.url)
    const first = await hop(authorizeUrl)
    const hops = [`GET ${authorizeUrl.pathname} → ${first.status}`]
    let { res, at } = await follow(first, authorizeUrl, authorizeUrl.origin, hops)
    await expectStatus(res, [200], `GET ${at.pathname}`)
    const loginHtml = await res.text()
    const loginForm = formOf(loginHtml, at)
    if (loginForm === undefined || !/name="password"/.test(loginHtml)) throw new DemoError(`${at.pathname} shows no login form`)
    loginForm.fields.set('email', user.email)
    loginForm.fields.set('password', user.password)
    res = await hop(loginForm.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: loginForm.fields })
    hops.push(`POST ${loginForm.action.pathname} → ${res.status}`)
    if (res.status === 401) throw new DemoError("The login page refused the test user's email and password")
    ;({ res, at } = await follow(res, loginForm.action, authorizeUrl.origin, hops))
    if (!(res.status >= 300 && res.status < 400)) await expectStatus(res, [302, 303], `${at.pathname} after the login`)
    const callbackUrl = location(res, at)
    if (callbackUrl.searchParams.has('error')) {
      throw new DemoError(`The auth server answered ${callbackUrl.searchParams.get('error')}: ${callbackUrl.searchParams.get('error_description')}`)
    }
    return { authorizeUrl, hops, callbackUrl }
  }
  /** The provider's logout page posts its confirmation form by itself (a script); do what it does. */
  async function providerLogout(url) {
    let at = url
    let res = await hop(at)
    if (res.status === 200) {
      const confirm = formOf(await res.text(), at)
      if (confirm === undefined) throw new DemoError("The provider's logout page has no form")
      confirm.fields.set('logout', 'yes')
      at = confirm.action
      res = await hop(at, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: confirm.fields })
    }
    return { res, at }
  }

  const user = authServer.users[0]
  say('authcode demo, headless: the Authorization Code Flow with PKCE, as a browser would walk it')
  detail('web app', `${app.url}/  (authcode/server)`, 20)
  detail('auth server', `${authServer.issuer}  (scripts/auth-server.mjs)`, 20)
  detail('protected API', `${api.contactsUrl}  (needs ${REQUIRED_SCOPES.join(' ')})`, 20)

  // 1-2. /auth/login, then the authorization server's login page, filled in and posted
  const { authorizeUrl, hops, callbackUrl } = await logIn()
  step(1, 'The app sends the browser to the authorize URL (GET /auth/login → 302)')
  say(`   ${authorizeUrl.href}`)
  const width = Math.max(...[...authorizeUrl.searchParams.keys()].map((k) => k.length))
  for (const [name, value] of authorizeUrl.searchParams) detail(name, value, width)
  step(2, 'The auth server shows its login page; the test user logs in')
  for (const line of hops) say(`   ${line}`)
  detail('email', user.email)
  detail('password', "(the test user's, shown on the login page; not printed here)")

  // 3. back at the app's /auth/callback
  const shown = new URL(callbackUrl)
  if (shown.searchParams.has('code')) shown.searchParams.set('code', short(shown.searchParams.get('code')))
  const toHome = await appHop(callbackUrl, {}, [302], 'GET /auth/callback')
  step(3, `The auth server sends the browser back to the app's callback with a code (GET /auth/callback → ${toHome.status})`)
  say(`   ${decodeURIComponent(shown.href)}`)
  say('   authcode/server checked state and iss, traded the code (with its PKCE verifier and client')
  say('   secret) for tokens, checked the ID token, and started a new session: kept in the app\'s')
  say(`   MemorySessionStore, the browser holding only its sealed id (cookie ${sessionCookies().join(', ') || '(none!)'}).`)

  // 4. the session the app now keeps server-side
  const data = await session()
  const tokens = data?.tokens['']
  if (tokens === undefined) throw new DemoError('The app keeps no session after the callback')
  step(4, 'The session, kept by the app on the server (every token shortened)')
  detail('access_token', short(tokens.accessToken))
  detail('id_token', short(data.idToken))
  detail('refresh_token', short(data.refreshToken))
  detail('token_type', tokens.tokenType)
  detail('scope', tokens.scope ?? '(not given)')
  detail('expiresAt', when(tokens.expiresAt))
  detail('sid', data.sid === undefined ? '(none: back-channel logout would end every session of the user)' : short(data.sid))
  say('   ID token claims')
  detail('  sub', data.user.sub ?? '(none)')
  detail('  name', data.user.name ?? '(none)')
  detail('  email', data.user.email ?? '(none)')

  // 5. the page calls the protected API with the access token
  step(5, `The app's page calls the protected API (auth.fetch: GET ${api.contactsUrl}, Authorization: ${tokens.tokenType} ${short(tokens.accessToken)})`)
  showAnswer(await apiAnswerOnPage())

  // 6. refresh
  await appHop(`${app.url}/refresh`, { method: 'POST' }, [303], 'POST /refresh')
  const after = await session()
  const refreshed = after?.tokens['']
  if (refreshed === undefined) throw new DemoError('The app lost its session on refresh')
  const rotated = after.refreshToken !== undefined && after.refreshToken !== data.refreshToken
  step(6, 'Refresh (POST /refresh → 303: auth.getAccessToken with forceRefresh, at the token endpoint)')
  detail('access_token', refreshed.accessToken !== tokens.accessToken ? `${short(refreshed.accessToken)} (a new one)` : `${short(refreshed.accessToken)} (unchanged)`)
  detail('refresh_token', `${short(data.refreshToken)} → ${short(after.refreshToken)}`)
  detail('expiresAt', when(refreshed.expiresAt))
  say(rotated ? '   The refresh token rotated: the old one is spent, the session keeps the new one.' : '   The refresh token did not rotate (the provider kept the same one).')

  // 7. the API again, now with the new access token
  step(7, `The page calls the API again, with the new access token (GET ${api.contactsUrl}, Authorization: ${refreshed.tokenType} ${short(refreshed.accessToken)})`)
  showAnswer(await apiAnswerOnPage())

  // 8. logout
  const toProviderLogout = await appHop(`${app.url}/auth/logout`, {}, [302], 'GET /auth/logout')
  const logoutUrl = location(toProviderLogout, app.url)
  const shownLogout = new URL(logoutUrl)
  if (shownLogout.searchParams.has('id_token_hint')) shownLogout.searchParams.set('id_token_hint', short(shownLogout.searchParams.get('id_token_hint')))
  let { res, at } = await providerLogout(logoutUrl)
  await expectStatus(res, [302, 303], `${at.pathname}`)
  const backAt = location(res, at)
  let home = await appHop(backAt, {}, [200], `GET ${backAt.pathname} after the logout`)
  if (!(await home.text()).includes('not logged in') || (await session()) !== undefined) throw new DemoError('After the logout the app still has a session')
  const client = new TokenClient(app.provider)
  const revoked = await client.refresh({ refreshToken: after.refreshToken }).then(
    () => 'still works (not revoked!)',
    (err) => (err instanceof OAuthError ? `refused: ${err.error}` : `${err.code}: ${err.message}`),
  )
  step(8, "Logout (GET /auth/logout → 302: refresh token revoked, session ended, then the provider's logout)")
  say(`   ${decodeURIComponent(shownLogout.href)}`)
  detail('back at', `${backAt.href} → "You are not logged in"`)
  detail('refresh_token', `${short(after.refreshToken)} ${revoked}`)
  if (!revoked.startsWith('refused')) throw new DemoError('The refresh token was not revoked at logout')

  // 9. back-channel logout: the session ends at the provider, which tells the app
  const again = await logIn()
  await appHop(again.callbackUrl, {}, [302], 'GET /auth/callback')
  const second = await session()
  if (second === undefined) throw new DemoError('The second login left no session')
  const told = new Promise((resolve) => {
    authServer.provider.once('backchannel.success', (_ctx, client) => resolve(`POST ${client.backchannelLogoutUri} → 200`))
    authServer.provider.once('backchannel.error', (_ctx, err) => resolve(`failed: ${err?.message ?? err}`))
  })
  const endSession = new URL('oidc/logout', authServer.issuer)
  ;({ res, at } = await providerLogout(endSession))
  await expectStatus(res, [200, 302, 303], `${at.pathname}`)
  const backchannel = await Promise.race([told, new Promise((resolve) => setTimeout(resolve, 5000, 'no request within 5 s'))])
  const left = await session()
  const cookieBefore = sessionCookies().length > 0
  home = await appHop(`${app.url}/`, {}, [200], 'GET / after the back-channel logout')
  const loggedOut = (await home.text()).includes('not logged in')
  step(9, 'Back-channel logout: the user logs in again, then ends the session at the provider, not at the app')
  detail('logged in', `a new session (sid ${short(second.sid)})`)
  detail('provider', `GET ${endSession.pathname}, its form posted → ${res.status} (the provider's session ends)`)
  detail('logout token', backchannel)
  say('   authcode/server verified the logout token (signature, iss, aud, events, sid) and deleted the')
  say('   sessions of that sid from the store; the browser still had its cookie, now worth nothing.')
  detail('session', left === undefined ? 'gone from the store' : 'still in the store!')
  detail('GET /', loggedOut ? `"You are not logged in"${cookieBefore && sessionCookies().length === 0 ? ', and the stale cookie cleared' : ''}` : 'still logged in!')
  if (!backchannel.startsWith('POST') || left !== undefined || !loggedOut) throw new DemoError('The back-channel logout did not end the app\'s session')

  say('\nDone: login with PKCE, tokens, the protected API, refresh with rotation, logout, and back-channel logout.')
}
