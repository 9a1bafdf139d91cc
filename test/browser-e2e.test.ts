// A real browser through a real login: headless Chromium (Debian's, driven by playwright-core)
// clicks through the login page of scripts/auth-server.mjs for a small web app built on the
// BUILT package (dist/), and lands on the page that shows the user and the protected API's
// answer; a screenshot of it is saved to test-results/browser-e2e.png. Then the pure functions
// and PKCE run inside a page, from dist/ bundled for the browser.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthorizationTransaction, TokenSet } from 'authcode'
import { type AuthServer, startAuthServer } from './helpers/auth-server.js'
import { CHROMIUM, CHROMIUM_ARGS, bundle, closeServer, ensureBuilt, inCI, listen, loudSkipWarning, root } from './runtime/tools.js'

// Types from the sources (tsconfig paths); the code from dist/, loaded once it is built.
type Sdk = typeof import('authcode')
type ApiSdk = typeof import('authcode/api')

const haveChromium = existsSync(CHROMIUM)
if (!haveChromium && !inCI) {
  loudSkipWarning(`the headless Chromium end-to-end test (${CHROMIUM} is missing)`, 'apt-get install -y --no-install-recommends chromium  (the Debian package "chromium")')
}
// In CI a missing browser is a failure (beforeAll throws), never a silent skip.
const describeBrowser = haveChromium || inCI ? describe : describe.skip

const SCOPE = 'openid profile email offline_access read:contacts'
const SCREENSHOT = join(root, 'test-results/browser-e2e.png')

const escapeHtml = (text: unknown) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:.6rem;white-space:pre-wrap}</style>
</head><body>${body}</body></html>`
}

interface Session {
  transaction?: AuthorizationTransaction
  tokens?: TokenSet
}

/**
 * The web app of the test: /login, /callback, / (the user and the API's answer), and the
 * protected API /api/contacts. Sessions live in this process, keyed by an HttpOnly cookie.
 */
function createWebApp(deps: { sdk: Sdk; api: ApiSdk; sdkBundle: string; settings: () => { origin: string; server: AuthServer } }) {
  const { sdk, api } = deps
  const sessions = new Map<string, Session>()
  let config: Parameters<Sdk['createAuthorizationRequest']>[0] | undefined
  let verify: ReturnType<ApiSdk['createAccessTokenVerifier']> | undefined
  const setup = () => {
    const { server } = deps.settings()
    config ??= { issuer: server.issuer, allowInsecureRequests: true, ...server.clients.confidential, audience: server.apiAudience }
    verify ??= api.createAccessTokenVerifier({ issuer: server.issuer, audience: server.apiAudience, allowInsecureRequests: true })
    return { config, verify }
  }

  const sessionOf = (req: IncomingMessage): [string, Session] | undefined => {
    const id = sdk.parseCookieHeader(req.headers.cookie)['app_session']
    const session = id === undefined ? undefined : sessions.get(id)
    return id === undefined || session === undefined ? undefined : [id, session]
  }
  const html = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    res.end(body)
  }
  const redirect = (res: ServerResponse, location: string, headers: Record<string, string> = {}) => {
    res.writeHead(302, { location, 'cache-control': 'no-store', ...headers })
    res.end()
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { origin } = deps.settings()
    const url = new URL(req.url ?? '/', origin)
    const { config, verify } = setup()

    if (url.pathname === '/sdk.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' })
      return void res.end(deps.sdkBundle)
    }
    if (url.pathname === '/blank') return html(res, 200, page('authcode in a page', '<h1>authcode in a page</h1>'))

    if (url.pathname === '/login') {
      const { url: authorizeUrl, transaction } = await sdk.createAuthorizationRequest(config, { redirectUri: `${origin}/callback`, scope: SCOPE })
      const id = randomBytes(24).toString('base64url')
      sessions.set(id, { transaction })
      const cookie = sdk.serializeCookie('app_session', id, { httpOnly: true, sameSite: 'Lax', path: '/', secure: false })
      return redirect(res, authorizeUrl.href, { 'set-cookie': cookie })
    }

    if (url.pathname === '/callback') {
      const found = sessionOf(req)
      if (found?.[1].transaction === undefined) return html(res, 400, page('Error', '<h1>No login in progress</h1><a href="/login">Log in</a>'))
      const [, session] = found
      const transaction = session.transaction!
      delete session.transaction
      const { code } = sdk.validateCallback(url, transaction)
      session.tokens = await new sdk.TokenClient(config).exchangeCode({ code, ...transaction })
      return redirect(res, '/')
    }

    if (url.pathname === '/api/contacts') {
      try {
        const claims = await verify(req.headers.authorization ?? '', { requiredScopes: ['read:contacts'] })
        res.writeHead(200, { 'content-type': 'application/json' })
        return void res.end(JSON.stringify({ contacts: ['Ada Lovelace', 'Alan Turing'], for: claims.sub }))
      } catch (err) {
        const answer = api.errorResponse(err)
        if (answer === undefined) throw err
        res.writeHead(answer.status, Object.fromEntries(answer.headers))
        return void res.end(await answer.text())
      }
    }

    if (url.pathname === '/') {
      const tokens = sessionOf(req)?.[1].tokens
      if (tokens === undefined) return html(res, 200, page('authcode demo', '<h1>authcode demo</h1><p><a id="login" href="/login">Log in</a></p>'))
      const apiRes = await fetch(`${origin}/api/contacts`, { headers: { authorization: `Bearer ${tokens.accessToken}` } })
      const answer = `${apiRes.status} ${await apiRes.text()}`
      const claims = (tokens.claims ?? {}) as Record<string, unknown>
      return html(
        res,
        200,
        page(
          'authcode demo',
          `<h1>Hello, <span id="name">${escapeHtml(claims.name)}</span></h1>
<p>Email: <span id="email">${escapeHtml(claims.email)}</span></p>
<p id="api">API answer: <code>${escapeHtml(answer)}</code></p>`,
        ),
      )
    }
    return html(res, 404, page('Not found', '<h1>Not found</h1>'))
  }

  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy()
      html(res, 500, page('Error', `<h1>The app failed</h1><pre id="error">${escapeHtml((err as Error)?.stack ?? err)}</pre>`))
    })
  })
}

describeBrowser('headless Chromium, the built package and a real authorization server', () => {
  let authServer: AuthServer
  let app: Server
  let appOrigin: string
  let browser: Browser
  let sdk: Sdk

  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(`${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium (the Debian package "chromium")`)
    }
    await ensureBuilt('test/browser-e2e.test.ts')
    sdk = (await import(pathToFileURL(join(root, 'dist/index.js')).href)) as Sdk
    const api = (await import(pathToFileURL(join(root, 'dist/api/index.js')).href)) as ApiSdk
    const sdkBundle = await bundle('dist/index.js', { format: 'esm' })
    app = createWebApp({ sdk, api, sdkBundle, settings: () => ({ origin: appOrigin, server: authServer }) })
    appOrigin = await listen(app)
    // The app's callback must be registered: start the server once the app's port is known.
    authServer = await startAuthServer({ redirectUris: [`${appOrigin}/callback`] })
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await closeServer(app)
    await authServer?.close()
  })

  it('logs in through the login page and shows the user and the API answer; saves a screenshot', async () => {
    const user = authServer.users[0]!
    const context = await browser.newContext()
    try {
      const tab = await context.newPage()
      await tab.goto(`${appOrigin}/`)
      await tab.click('#login')

      // The authorization server's login page (another origin).
      await tab.waitForURL((u) => u.href.startsWith(`${authServer.url}/interaction/`))
      expect(await tab.title()).toBe('Log in')
      await tab.fill('input[name="email"]', user.email)
      await tab.fill('input[name="password"]', user.password)
      await Promise.all([tab.waitForURL(`${appOrigin}/`), tab.click('button[type="submit"]')])

      await expect.poll(() => tab.textContent('#name')).toBe(user.name)
      expect(await tab.textContent('#email')).toBe(user.email)
      const answer = (await tab.textContent('#api')) ?? ''
      expect(answer).toMatch(/^API answer: 200 /)
      expect(JSON.parse(answer.replace(/^API answer: 200 /, ''))).toEqual({ contacts: ['Ada Lovelace', 'Alan Turing'], for: user.sub })

      await mkdir(join(root, 'test-results'), { recursive: true })
      await tab.screenshot({ path: SCREENSHOT, fullPage: true })
      expect(existsSync(SCREENSHOT)).toBe(true)

      // The app's cookie is HttpOnly: the page cannot read the session.
      expect(await tab.evaluate(() => document.cookie)).not.toContain('app_session')
      // And the API refuses a request without a token, with an RFC 6750 challenge.
      const refused = await fetch(`${appOrigin}/api/contacts`)
      expect(refused.status).toBe(401)
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer\b/)
    } finally {
      await context.close()
    }
  })

  it('runs the pure functions and PKCE inside the page, from dist/ bundled for the browser', async () => {
    const context = await browser.newContext()
    try {
      const tab = await context.newPage()
      await tab.goto(`${appOrigin}/blank`)
      // Load the bundle with a module script (a dynamic import inside page.evaluate would be
      // rewritten by vitest's transform) and leave it on window.
      await tab.addScriptTag({ type: 'module', content: "import * as sdk from '/sdk.js'; window.authcode = sdk" })
      await tab.waitForFunction(() => 'authcode' in window)

      const inPage = await tab.evaluate(async () => {
        const a = (window as unknown as { authcode: typeof import('authcode') }).authcode
        const errorOf = (fn: () => unknown) => {
          try {
            fn()
            return undefined
          } catch (err) {
            const e = err as { name: string; code?: string; error?: string }
            return { name: e.name, code: e.code, error: e.error }
          }
        }
        const v1 = a.generateCodeVerifier()
        const v2 = a.generateCodeVerifier()
        const url = a.buildAuthorizeUrl({
          domain: 'tenant.eu.auth0.com',
          clientId: 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6',
          redirectUri: 'https://app.example.com/callback',
          scope: ['openid', 'profile', 'offline_access'],
          audience: 'https://api.example.com',
          state: 'af0ifjsldkj',
          nonce: 'n-0S6_WzA2Mj',
          codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          codeChallengeMethod: 'S256',
          organization: 'org_acme',
        })
        const expected = { state: 'af0ifjsldkj', issuer: 'https://tenant.eu.auth0.com/', requireIssuer: true }
        const callback = 'https://app.example.com/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj&iss=https%3A%2F%2Ftenant.eu.auth0.com%2F'
        return {
          userAgent: navigator.userAgent,
          secure: window.isSecureContext,
          verifiers: [v1, v2],
          rfc7636: await a.createCodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'),
          challengeOfV1: await a.createCodeChallenge(v1),
          badVerifier: await a.createCodeChallenge('too-short').then(() => undefined, (e: { name: string; code: string }) => ({ name: e.name, code: e.code })),
          state: a.generateState(),
          nonce: a.generateNonce(),
          authorizeUrl: url.href,
          badRedirect: errorOf(() =>
            a.buildAuthorizeUrl({ domain: 'tenant.eu.auth0.com', clientId: 'abc', redirectUri: 'https://app.example.com/cb#frag', state: 's' }),
          ),
          callback: a.validateCallback(callback, expected),
          callbackQueryOnly: a.validateCallback(new URL(callback).search, expected),
          wrongState: errorOf(() => a.validateCallback(callback, { ...expected, state: 'another-state' })),
          wrongIssuer: errorOf(() => a.validateCallback(callback, { ...expected, issuer: 'https://evil.example/' })),
          denied: errorOf(() =>
            a.validateCallback('https://app.example.com/callback?error=access_denied&error_description=no&state=af0ifjsldkj&iss=https%3A%2F%2Ftenant.eu.auth0.com%2F', expected),
          ),
          repeated: errorOf(() => a.validateCallback(`${callback}&code=again`, expected)),
        }
      })

      expect(inPage.userAgent).toMatch(/HeadlessChrome|Chrome/)
      // PKCE: RFC 7636 Appendix B, and 43-character base64url verifiers that differ.
      expect(inPage.rfc7636).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
      for (const v of inPage.verifiers) expect(v).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(inPage.verifiers[0]).not.toBe(inPage.verifiers[1])
      // The page's SHA-256 (crypto.subtle) agrees with Node's.
      expect(inPage.challengeOfV1).toBe(await sdk.createCodeChallenge(inPage.verifiers[0]!))
      expect(inPage.badVerifier).toEqual({ name: 'ConfigError', code: 'ERR_CONFIG' })
      expect(inPage.state).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(inPage.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)

      expect(inPage.authorizeUrl).toBe(
        'https://tenant.eu.auth0.com/authorize?response_type=code&client_id=k5u3o2fiAA8XweXEEX604KCwCjzjtMU6' +
          '&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&scope=openid+profile+offline_access' +
          '&audience=https%3A%2F%2Fapi.example.com&state=af0ifjsldkj&nonce=n-0S6_WzA2Mj' +
          '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&organization=org_acme',
      )
      expect(inPage.badRedirect).toMatchObject({ name: 'ConfigError', code: 'ERR_CONFIG' })

      expect(inPage.callback).toEqual({ code: 'SplxlOBeZQQYbYS6WxSbIA', state: 'af0ifjsldkj' })
      expect(inPage.callbackQueryOnly).toEqual(inPage.callback)
      expect(inPage.wrongState).toMatchObject({ name: 'StateMismatchError', code: 'ERR_STATE_MISMATCH' })
      expect(inPage.wrongIssuer).toMatchObject({ name: 'CallbackError', code: 'ERR_CALLBACK' })
      expect(inPage.denied).toMatchObject({ name: 'AuthorizationError', code: 'ERR_AUTHORIZATION', error: 'access_denied' })
      expect(inPage.repeated).toMatchObject({ name: 'CallbackError', code: 'ERR_CALLBACK' })
    } finally {
      await context.close()
    }
  })
})
