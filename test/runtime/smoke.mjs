// The runtime-matrix smoke suite: one Authorization Code Flow against scripts/auth-server.mjs,
// through the BUILT package (dist/), with Web APIs only (fetch, URL, Headers, crypto.subtle).
//
// It runs unchanged in Node, Bun, Deno, workerd (Miniflare), Vercel's edge runtime and
// Chromium; where a runtime cannot resolve the package's bare imports (jose, oauth4webapi,
// zod), the runner bundles this file with esbuild first. See test/runtime-matrix.test.ts.
//
//   import { runSmoke } from './smoke.mjs'
//   const summary = await runSmoke({ issuer, clientId, clientSecret, redirectUri, audience, email, password })
//   // { ok: true, runtime: 'deno 2.9.6', sub: 'auth0|…', refreshed: true, verifiedAud: [...], … }
//
// The login step: by default the suite walks /authorize itself (fetch with redirect: 'manual',
// a tiny cookie jar, the login form posted), as a browser would. Give `login(url) => callbackUrl`
// to do it another way (Chromium: a page's fetch sees an opaque redirect, so Node logs in).
import { TokenClient, createAuthorizationRequest, validateCallback } from '../../dist/index.js'
import { createAccessTokenVerifier } from '../../dist/api/index.js'

export const SCOPE = 'openid profile email offline_access'

/** Which runtime this is, from what it exposes; a name and, where it says, a version. */
export function detectRuntime() {
  const g = globalThis
  if (typeof g.Deno !== 'undefined' && g.Deno.version) return `deno ${g.Deno.version.deno}`
  if (typeof g.Bun !== 'undefined' && g.Bun.version) return `bun ${g.Bun.version}`
  if (typeof g.EdgeRuntime === 'string') return g.EdgeRuntime === 'edge-runtime' ? 'edge-runtime' : `edge-runtime (${g.EdgeRuntime})`
  if (typeof g.navigator !== 'undefined' && g.navigator.userAgent === 'Cloudflare-Workers') return 'workerd'
  if (typeof g.process !== 'undefined' && g.process.versions && g.process.versions.node) return `node ${g.process.versions.node}`
  if (typeof g.window !== 'undefined' && typeof g.document !== 'undefined') {
    const chrome = /(?:HeadlessChrome|Chrome|Chromium)\/([\d.]+)/.exec(g.navigator.userAgent)
    return chrome ? `chromium ${chrome[1]}` : `browser (${g.navigator.userAgent})`
  }
  return 'unknown'
}

function check(condition, message) {
  if (!condition) throw new Error(`smoke: ${message}`)
}

// --- the login step, runtime-agnostic ------------------------------------------------------

/** Set-Cookie lines of a response: Headers.getSetCookie where the runtime has it, else a split of the joined header. */
function setCookieLines(headers, usage) {
  if (typeof headers.getSetCookie === 'function') {
    usage.getSetCookie = true
    return headers.getSetCookie()
  }
  usage.splitHeader = true
  const joined = headers.get('set-cookie')
  // Joined with ", "; an Expires date has a comma too, but is never followed by "name=".
  return joined === null ? [] : joined.split(/,(?=\s*[^;,=\s]+=)/)
}

/** The smallest cookie jar that works for one host: name -> value, honouring deletion. */
export function createCookieJar() {
  const cookies = new Map()
  const usage = { getSetCookie: false, splitHeader: false }
  return {
    usage,
    store(res) {
      for (const line of setCookieLines(res.headers, usage)) {
        const [pair = '', ...attributes] = line.split(';')
        const eq = pair.indexOf('=')
        if (eq <= 0) continue
        const name = pair.slice(0, eq).trim()
        const value = pair.slice(eq + 1).trim()
        let expired = value === ''
        for (const attribute of attributes) {
          const i = attribute.indexOf('=')
          const key = (i === -1 ? attribute : attribute.slice(0, i)).trim().toLowerCase()
          const val = i === -1 ? '' : attribute.slice(i + 1).trim()
          if (key === 'max-age' && Number(val) <= 0) expired = true
          if (key === 'expires' && Date.parse(val) <= Date.now()) expired = true
        }
        if (expired) cookies.delete(name)
        else cookies.set(name, value)
      }
    },
    header() {
      return cookies.size === 0 ? undefined : [...cookies].map(([n, v]) => `${n}=${v}`).join('; ')
    },
  }
}

function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e) => {
    const lower = e.toLowerCase()
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16))
    if (lower.startsWith('#')) return String.fromCodePoint(Number(lower.slice(1)))
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[lower]
  })
}

/** The action of the first form on a page, resolved against the page's URL. */
function formAction(html, base) {
  const form = /<form\b[^>]*>/i.exec(html)?.[0]
  const action = form && /\saction="([^"]*)"/i.exec(form)?.[1]
  if (!action) throw new Error('smoke: the login page has no form with an action')
  return new URL(decodeEntities(action), base)
}

/**
 * Walks /authorize as a browser would: follows redirects by hand (fetch redirect: 'manual'),
 * keeps the server's cookies, posts the login form, and stops at the redirect that leaves the
 * server for the application: that is the callback URL.
 */
export async function fetchLogin(authorizeUrl, { email, password, fetch: fetchImpl = globalThis.fetch, maxSteps = 10 }) {
  const jar = createCookieJar()
  const start = new URL(authorizeUrl)
  const send = async (url, init = {}) => {
    const headers = new Headers(init.headers)
    const cookie = jar.header()
    if (cookie !== undefined) headers.set('cookie', cookie)
    const res = await fetchImpl(url, { ...init, headers, redirect: 'manual' })
    jar.store(res)
    return res
  }
  let next = { url: start, init: undefined }
  let sawLoginPage = false
  for (let step = 0; step < maxSteps; step++) {
    const res = await send(next.url, next.init)
    if (res.type === 'opaqueredirect') {
      throw new Error(`smoke: ${next.url.pathname} redirected, and this runtime's fetch hides the redirect (an opaque redirect, as in browsers): log in another way (the login option)`)
    }
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location')
      check(location !== null, `${next.url.pathname} answered ${res.status} without a Location (an opaque redirect? this runtime's fetch hides it)`)
      await res.body?.cancel()
      const target = new URL(location, next.url)
      if (target.origin !== start.origin) {
        check(sawLoginPage, 'the server sent the browser back without showing the login page')
        return { callback: target, cookies: jar.usage }
      }
      next = { url: target, init: undefined }
      continue
    }
    const html = await res.text()
    if (res.status === 200 && /name="password"/.test(html) && !sawLoginPage) {
      sawLoginPage = true
      next = {
        url: formAction(html, next.url),
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ email, password }).toString(),
        },
      }
      continue
    }
    const text = html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300)
    throw new Error(`smoke: the login stopped at ${next.url.pathname} with ${res.status}: ${text}`)
  }
  throw new Error('smoke: the login did not reach the callback')
}

// --- the suite -------------------------------------------------------------------------------

/**
 * One whole flow. Throws (an Error whose message says which step) on any failure; returns a
 * small JSON-safe summary on success.
 *
 * @param {object} o
 * @param {string} o.issuer
 * @param {string} o.clientId
 * @param {string} [o.clientSecret] absent: a public client (clientAuth none, PKCE alone)
 * @param {string} o.redirectUri
 * @param {string} o.audience
 * @param {string} [o.email] the test user, for the built-in login
 * @param {string} [o.password]
 * @param {(authorizeUrl: string) => Promise<string>} [o.login] another way to log in: returns the callback URL
 */
export async function runSmoke(o) {
  const started = Date.now()
  const steps = {}
  const step = async (name, fn) => {
    const t = Date.now()
    try {
      return await fn()
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err))
      e.message = `[${name}] ${e.name}${e.code ? ` (${e.code})` : ''}: ${e.message}`
      throw e
    } finally {
      steps[name] = Date.now() - t
    }
  }

  const config = {
    issuer: o.issuer,
    clientId: o.clientId,
    ...(o.clientSecret !== undefined && o.clientSecret !== null && { clientSecret: o.clientSecret }),
    allowInsecureRequests: true,
  }

  // 1. The authorize URL, with PKCE S256, a nonce and the API audience.
  const { url, transaction } = await step('authorize-url', () =>
    createAuthorizationRequest(config, { redirectUri: o.redirectUri, scope: SCOPE, audience: o.audience }),
  )
  const q = url.searchParams
  check(q.get('code_challenge_method') === 'S256', `code_challenge_method is ${q.get('code_challenge_method')}`)
  check(/^[A-Za-z0-9_-]{43}$/.test(q.get('code_challenge') ?? ''), `code_challenge ${q.get('code_challenge')} is not a base64url SHA-256`)
  check(q.get('audience') === o.audience, `audience is ${q.get('audience')}`)
  check(q.get('scope') === SCOPE, `scope is ${q.get('scope')}`)
  check(q.get('state') === transaction.state && q.get('nonce') === transaction.nonce, 'state/nonce of the URL and the transaction differ')
  check(/^[A-Za-z0-9._~-]{43,128}$/.test(transaction.codeVerifier), 'the code verifier is not RFC 7636 shaped')

  // 2. The login: the callback URL the server sends the browser to.
  let cookieApi
  const callback = await step('login', async () => {
    if (typeof o.login === 'function') return new URL(await o.login(url.href))
    const result = await fetchLogin(url, { email: o.email, password: o.password })
    cookieApi = result.cookies.getSetCookie ? 'getSetCookie' : 'split set-cookie'
    return result.callback
  })
  check(callback.href.startsWith(o.redirectUri), `the callback ${callback.origin}${callback.pathname} is not the redirect URI`)

  // 3. The callback: state and iss (RFC 9207) checked, the code out.
  const { code } = await step('validate-callback', () => validateCallback(callback, transaction))
  check(typeof code === 'string' && code.length > 0, 'no code')
  let tamperedRefused = false
  try {
    validateCallback(callback, { ...transaction, state: `${transaction.state}x` })
  } catch (err) {
    tamperedRefused = err?.name === 'StateMismatchError'
  }
  check(tamperedRefused, 'a callback for another state was not refused with StateMismatchError')

  // 4. The code exchange: tokens, and the ID token checked (nonce, iss, aud, signature).
  const client = new TokenClient(config)
  const tokens = await step('exchange-code', () => client.exchangeCode({ code, ...transaction }))
  check(typeof tokens.accessToken === 'string' && tokens.accessToken.split('.').length === 3, 'the access token is not a JWT')
  check(typeof tokens.refreshToken === 'string', 'no refresh token (offline_access)')
  check(typeof tokens.claims?.sub === 'string', 'the ID token has no sub')

  // 5. The refresh: rotation gives a new refresh token.
  const fresh = await step('refresh', () => client.refresh({ refreshToken: tokens.refreshToken }))
  check(typeof fresh.refreshToken === 'string' && fresh.refreshToken !== tokens.refreshToken, 'the refresh token was not rotated')
  check(fresh.accessToken !== tokens.accessToken, 'the refresh returned the same access token')

  // 6. The API side: the new access token verifies (RS256 over the JWKS, iss, aud, exp).
  const verify = createAccessTokenVerifier({ issuer: o.issuer, audience: o.audience, allowInsecureRequests: true })
  const claims = await step('verify', () => verify(fresh.accessToken))
  check(claims.sub === tokens.claims.sub, `the access token's sub ${claims.sub} is not the ID token's ${tokens.claims.sub}`)
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  check(aud.includes(o.audience), `the access token's aud ${JSON.stringify(claims.aud)} lacks ${o.audience}`)
  let tamperedTokenRefused = false
  try {
    const [h, p, s] = fresh.accessToken.split('.')
    await verify(`${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`)
  } catch (err) {
    tamperedTokenRefused = err?.name === 'InvalidTokenError'
  }
  check(tamperedTokenRefused, 'a token with a tampered signature was not refused with InvalidTokenError')

  return {
    ok: true,
    runtime: detectRuntime(),
    sub: claims.sub,
    email: tokens.claims.email,
    refreshed: true,
    verifiedAud: aud,
    scope: typeof claims.scope === 'string' ? claims.scope : undefined,
    ...(cookieApi !== undefined && { cookieApi }),
    steps,
    ms: Date.now() - started,
  }
}
