// A real browser through `npm run demo`: headless Chromium (Debian's, driven by playwright-core)
// clicks through the demo (scripts/demo.mjs on the BUILT package, run as its own process with
// access tokens that live 3 seconds) against the login page of scripts/auth-server.mjs: the
// profile and the protected API's answer (a screenshot in test-results/browser-e2e.png), the
// access token refreshed once it expired, logout, and a logout at the provider that reaches
// the app by the back channel. Then the pure functions and PKCE run inside a page, from dist/
// bundled for the browser.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { type Server, createServer } from 'node:http'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM, CHROMIUM_ARGS, bundle, closeServer, ensureBuilt, execFileAsync, inCI, listen, loudSkipWarning, root } from './runtime/tools.js'

// Types from the sources (tsconfig paths); the code from dist/, loaded once it is built.
type Sdk = typeof import('authcode')

const haveChromium = existsSync(CHROMIUM)
if (!haveChromium && !inCI) {
  loudSkipWarning(`the headless Chromium end-to-end test (${CHROMIUM} is missing)`, 'apt-get install -y --no-install-recommends chromium  (the Debian package "chromium")')
}
// In CI a missing browser is a failure (beforeAll throws), never a silent skip.
const describeBrowser = haveChromium || inCI ? describe : describe.skip

const SCREENSHOT = join(root, 'test-results/browser-e2e.png')
/** Seconds an access token lives in this run of the demo (DEMO_ACCESS_TOKEN_TTL): short, so that one expires during the test. */
const ACCESS_TOKEN_TTL = 3
const TEST_USER = { name: 'Jane Doe', email: 'jane@example.com', password: 'correct-horse-battery', sub: 'auth0|64f0c0ffee0000000000jane' }

/** `npm run demo` (after its build) as a child process: its URLs, what it printed, and a stop. */
interface DemoProcess {
  appUrl: string
  issuer: string
  stdout: () => string
  stderr: () => string
  stop(): Promise<number | null>
}

/** Starts `node scripts/demo.mjs` on free ports and waits for the line that gives its URL. */
async function startDemoProcess(env: Record<string, string>): Promise<DemoProcess> {
  // The local authorization server, whatever AUTH0_* this shell has.
  const childEnv: NodeJS.ProcessEnv = { ...process.env }
  for (const name of ['AUTH0_DOMAIN', 'AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', 'AUTH0_AUDIENCE']) delete childEnv[name]
  const child: ChildProcess = spawn(process.execPath, ['scripts/demo.mjs'], { cwd: root, env: { ...childEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 30_000)
    const check = () => {
      if (/^Open http:\/\/\S+\/ in your browser/m.test(out)) {
        clearTimeout(timer)
        resolve(true)
      }
    }
    child.stdout!.on('data', check)
    void exited.then(() => resolve(false))
  })
  if (!ready) {
    child.kill('SIGKILL')
    throw new Error(`npm run demo did not start:\n${out}\n${err}`)
  }
  return {
    appUrl: /^Open (http:\/\/\S+)\/ in your browser/m.exec(out)![1]!,
    issuer: /^Auth server +(http:\/\/\S+\/)/m.exec(out)![1]!,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      child.kill('SIGTERM')
      return exited
    },
  }
}

/** Serves /blank and /sdk.js (dist/ bundled for the browser) for the in-page test. */
function createBlankApp(sdkBundle: string): Server {
  return createServer((req, res) => {
    if (req.url === '/sdk.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' })
      return void res.end(sdkBundle)
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    res.end('<!doctype html><html lang="en"><meta charset="utf-8"><title>authcode in a page</title><h1>authcode in a page</h1></html>')
  })
}

describeBrowser('headless Chromium through npm run demo (authcode/server, the built package, a real authorization server)', () => {
  let demo: DemoProcess
  let browser: Browser
  let context: BrowserContext
  let tab: Page

  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(`${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium (the Debian package "chromium")`)
    }
    await ensureBuilt('test/browser-e2e.test.ts')
    if (!existsSync(join(root, 'dist/server/index.js'))) await execFileAsync('npx', ['tsup'], { cwd: root, timeout: 170_000 })
    demo = await startDemoProcess({ PORT: '0', API_PORT: '0', DEMO_ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL) })
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
    context = await browser.newContext()
    tab = await context.newPage()
  }, 180_000)

  afterAll(async () => {
    await context?.close()
    await browser?.close()
    await demo?.stop()
  })

  const sessionCookie = async () => (await context.cookies(demo.appUrl)).find((c) => c.name === 'authcode.session')
  const tokenTimes = async () => ({
    iat: Number(await tab.getAttribute('#token', 'data-iat')),
    exp: Number(await tab.getAttribute('#token', 'data-exp')),
  })
  const apiAnswer = async () => {
    expect(await tab.textContent('#api-status')).toBe('200')
    return JSON.parse((await tab.textContent('#api-answer')) ?? '') as { user: string; contacts: { name: string }[] }
  }
  /** From the app's home page, logged out, through the provider's login page and back. */
  async function logIn() {
    await tab.goto(`${demo.appUrl}/`)
    expect(await tab.textContent('#status')).toBe('You are not logged in.')
    await tab.click('#login')
    // The authorization server's login page (another origin).
    await tab.waitForURL((u) => u.href.startsWith(`${demo.issuer}interaction/`))
    expect(await tab.title()).toBe('Log in')
    await tab.fill('input[name="email"]', TEST_USER.email)
    await tab.fill('input[name="password"]', TEST_USER.password)
    await Promise.all([tab.waitForURL(`${demo.appUrl}/`), tab.click('button[type="submit"]')])
    await expect.poll(() => tab.textContent('#name')).toBe(TEST_USER.name)
  }

  it('logs in through the login page and shows the user and the API answer; saves a screenshot', async () => {
    await logIn()
    expect(await tab.textContent('#email')).toBe(TEST_USER.email)
    const answer = await apiAnswer()
    expect(answer.user).toBe(TEST_USER.sub)
    expect(answer.contacts.map((c) => c.name)).toEqual(['Ada Lovelace', 'Grace Hopper', 'Alan Turing'])
    const { iat, exp } = await tokenTimes()
    expect(exp - iat).toBe(ACCESS_TOKEN_TTL)

    await mkdir(join(root, 'test-results'), { recursive: true })
    await tab.screenshot({ path: SCREENSHOT, fullPage: true })
    expect(existsSync(SCREENSHOT)).toBe(true)

    // The session cookie is HttpOnly and SameSite=Lax: the page cannot read it.
    expect(await sessionCookie()).toMatchObject({ httpOnly: true, sameSite: 'Lax' })
    expect(await tab.evaluate(() => document.cookie)).not.toContain('authcode.session')
  })

  it('refreshes the access token once it has expired, not before, and the API answers with the new one', async () => {
    const first = await tokenTimes()
    // Reload until the page shows another token: at most a few seconds after it expired.
    const deadline = Date.now() + (ACCESS_TOKEN_TTL + 10) * 1000
    let now = first
    while (now.exp === first.exp && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250))
      await tab.reload()
      now = await tokenTimes()
    }
    expect(now.exp).toBeGreaterThan(first.exp)
    // Issued at or after the first one's expiry: the app did not refresh early.
    expect(now.iat).toBeGreaterThanOrEqual(first.exp)
    expect((await apiAnswer()).user).toBe(TEST_USER.sub)

    // "Refresh tokens now" (POST /refresh) refreshes at once, and the page still works.
    await Promise.all([tab.waitForURL(`${demo.appUrl}/`), tab.click('#refresh')])
    expect(await tab.textContent('#name')).toBe(TEST_USER.name)
    expect((await apiAnswer()).user).toBe(TEST_USER.sub)
  })

  it("logs out: through the provider's logout and back, logged out, the cookie gone", async () => {
    await tab.click('#logout')
    // The provider's logout page posts its form by itself, then sends the browser back to the app.
    await tab.waitForURL(`${demo.appUrl}/`)
    await expect.poll(() => tab.textContent('#status')).toBe('You are not logged in.')
    expect(await sessionCookie()).toBeUndefined()
  })

  it("a logout at the provider reaches the app by the back channel: the app's session ends on its next request", async () => {
    await logIn()
    expect(await sessionCookie()).toBeDefined()

    // The user ends the session at the provider itself (as from another app of the same login),
    // never visiting the app: the provider POSTs a logout token to /auth/backchannel-logout.
    await tab.goto(`${demo.issuer}oidc/logout`)
    await expect.poll(() => tab.textContent('h1')).toBe('You are logged out.')
    expect(await sessionCookie()).toBeDefined() // the browser still holds the app's cookie...

    await tab.goto(`${demo.appUrl}/`)
    expect(await tab.textContent('#status')).toBe('You are not logged in.') // ...which is worth nothing now
    expect(await sessionCookie()).toBeUndefined() // and the app cleared it
  })

  it('the demo printed no warning and no error all along', () => {
    expect(demo.stderr()).toBe('')
    expect(demo.stdout()).not.toMatch(/warn|error/i)
  })
})

describeBrowser('headless Chromium, dist/ bundled for the browser', () => {
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
    app = createBlankApp(await bundle('dist/index.js', { format: 'esm' }))
    appOrigin = await listen(app)
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await closeServer(app)
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
