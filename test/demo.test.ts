// `npm run demo`: the headless walk against the local authorization server (scripts/auth-server.mjs), and the demo's protected API.
import { execFile, execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { setupServer } from 'msw/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TokenClient } from 'authcode'
import { createTestTenant } from 'authcode/testing'
import { createAuth0Handlers } from 'authcode/testing/msw'
import { Browser } from './helpers/browser.js'
import type { AuthServer, AuthServerOptions } from './helpers/auth-server.js'

const root = fileURLToPath(new URL('..', import.meta.url))

interface DemoApi {
  url: string
  contactsUrl: string
  close(): Promise<void>
}
interface DemoModule {
  startApi(p: { port?: number; issuer?: string; domain?: string; audience: string; allowInsecureRequests?: boolean }): Promise<DemoApi>
  CONTACTS: readonly { name: string; email: string }[]
  /** scripts/auth-server.mjs, loaded without oidc-provider's "Unsupported runtime" line on Node 20. */
  loadAuthServer(): Promise<AuthServerModule>
  accessTokenTtlFromEnv(env: Record<string, string | undefined>): number | undefined
  startDemo(p: { auth0?: { domain: string; clientId: string; clientSecret: string; audience: string }; port?: number }): Promise<{
    app: { url: string }
    api: DemoApi
    close(): Promise<void>
  }>
}
interface AuthServerModule {
  CLIENTS: Record<string, { clientId: string; clientSecret?: string }>
  TEST_USER: { email: string; password: string }
  startAuthServer(options?: AuthServerOptions): Promise<AuthServer>
}

// The scripts are plain JavaScript with no type declarations: load them through specifiers
// TypeScript does not resolve, and describe what they export here.
const demoModule = pathToFileURL(`${root}scripts/demo.mjs`).href
const loadDemo = () => import(demoModule) as Promise<DemoModule>
const loadAuthServer = async () => (await loadDemo()).loadAuthServer()

const AUTH0_VARIABLES = ['AUTH0_DOMAIN', 'AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', 'AUTH0_AUDIENCE']

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function runDemo(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const env = { ...process.env }
    for (const name of [...AUTH0_VARIABLES, 'PORT', 'API_PORT', 'DEMO_ACCESS_TOKEN_TTL']) delete env[name]
    Object.assign(env, extraEnv)
    execFile(process.execPath, ['scripts/demo.mjs', ...args], { cwd: root, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr })
    })
  })
}

/** The text of step n (from its "n) " line to the next step or the end). */
function stepText(output: string, n: number): string {
  const start = output.search(new RegExp(`^${n}\\) `, 'm'))
  if (start === -1) return ''
  const rest = output.slice(start + 1)
  const end = rest.search(/^(\d+\) |Done)/m)
  return end === -1 ? output.slice(start) : output.slice(start, start + 1 + end)
}

describe('npm run demo -- --headless', () => {
  let run: Run

  beforeAll(async () => {
    // The demo imports the built package (`authcode` resolves to dist/ through package.json "exports").
    if (!['index.js', 'api/index.js', 'server/index.js'].every((file) => existsSync(`${root}dist/${file}`))) {
      execFileSync('npx', ['tsup'], { cwd: root, stdio: 'ignore', timeout: 170_000 })
    }
    run = await runDemo(['--headless'])
  }, 240_000)

  it('walks the whole flow, every step numbered, and exits 0 with nothing on stderr', () => {
    // Not even oidc-provider's "Unsupported runtime" on Node 20: the demo loads it without that line.
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9]) expect(run.stdout).toMatch(new RegExp(`^${n}\\) \\S`, 'm'))
    expect(run.stdout).not.toMatch(/^10\) /m)
    expect(run.stdout).toMatch(/^Done: /m)
  })

  it('1) prints the authorize URL, with the audience of the API, PKCE and the callback of authcode/server', () => {
    const step = stepText(run.stdout, 1)
    expect(step).toMatch(/GET \/auth\/login → 302/)
    expect(step).toMatch(/redirect_uri\s+http:\/\/127\.0\.0\.1:\d+\/auth\/callback$/m)
    expect(step).toMatch(/^ {3}http:\/\/127\.0\.0\.1:\d+\/authorize\?response_type=code&client_id=authcode-demo-app&.*&audience=https%3A%2F%2Fapi\.authcode\.example&.*code_challenge_method=S256$/m)
    expect(step).toMatch(/scope\s+openid profile email offline_access read:contacts$/m)
  })

  it("2) logs in through the auth server's real login page", () => {
    const step = stepText(run.stdout, 2)
    expect(step).toMatch(/GET \/interaction\/\S+ → 200/)
    expect(step).toMatch(/POST \/interaction\/\S+\/login → 303/)
    expect(step).toMatch(/email\s+jane@example\.com/)
  })

  it('3) shows the callback with the code shortened', () => {
    const step = stepText(run.stdout, 3)
    expect(step).toMatch(/GET \/auth\/callback → 302/)
    expect(step).toMatch(/cookie authcode\.session\)/)
    expect(step).toMatch(/\/auth\/callback\?code=[A-Za-z0-9_-]{10}…&state=[A-Za-z0-9_-]+&iss=http:\/\/127\.0\.0\.1:\d+\//)
  })

  it('4) shows the session the server keeps, every token shortened, the sid and the ID token claims', () => {
    const step = stepText(run.stdout, 4)
    expect(step).toMatch(/access_token\s+eyJ[A-Za-z0-9_-]{7}…$/m)
    expect(step).toMatch(/id_token\s+eyJ[A-Za-z0-9_-]{7}…$/m)
    expect(step).toMatch(/refresh_token\s+[A-Za-z0-9_-]{10}…$/m)
    expect(step).toMatch(/token_type\s+Bearer/)
    expect(step).toMatch(/expiresAt\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/)
    expect(step).toMatch(/sid\s+[A-Za-z0-9_-]{10}…$/m)
    expect(step).toMatch(/sub\s+auth0\|64f0c0ffee0000000000jane/)
    expect(step).toMatch(/name\s+Jane Doe/)
    expect(step).toMatch(/email\s+jane@example\.com/)
  })

  it('5) and 7) the API answers 200 with the contacts, before and after the refresh', async () => {
    const { CONTACTS } = await loadDemo()
    for (const n of [5, 7]) {
      const step = stepText(run.stdout, n)
      expect(step).toMatch(/\/api\/contacts/)
      expect(step).toMatch(/status\s+200$/m)
      expect(step).toContain('"user": "auth0|64f0c0ffee0000000000jane"')
      for (const contact of CONTACTS) expect(step).toContain(JSON.stringify(contact))
    }
  })

  it('6) the refresh rotates the refresh token', () => {
    const step = stepText(run.stdout, 6)
    const [, before, after] = /refresh_token\s+([A-Za-z0-9_-]{10})… → ([A-Za-z0-9_-]{10})…/.exec(step) ?? []
    expect(before).toBeDefined()
    expect(after).toBeDefined()
    expect(after).not.toBe(before)
    expect(step).toMatch(/refresh token rotated/i)
    expect(step).toMatch(/access_token\s+eyJ[A-Za-z0-9_-]{7}… \(a new one\)/)
  })

  it("8) logs out: the provider's logout, back at the app logged out, the refresh token revoked", () => {
    const step = stepText(run.stdout, 8)
    expect(step).toMatch(/GET \/auth\/logout → 302/)
    expect(step).toMatch(/\/oidc\/logout\?client_id=authcode-demo-app&id_token_hint=eyJ[A-Za-z0-9_-]{7}…&post_logout_redirect_uri=http:\/\/127\.0\.0\.1:\d+\/$/m)
    expect(step).toMatch(/You are not logged in/)
    expect(step).toMatch(/refresh_token\s+[A-Za-z0-9_-]{10}… refused: invalid_grant/)
  })

  it("9) a logout at the provider reaches the app by the back channel and ends its session", () => {
    const step = stepText(run.stdout, 9)
    expect(step).toMatch(/logged in\s+a new session \(sid [A-Za-z0-9_-]{10}…\)/)
    expect(step).toMatch(/logout token\s+POST http:\/\/127\.0\.0\.1:\d+\/auth\/backchannel-logout → 200$/m)
    expect(step).toMatch(/session\s+gone from the store$/m)
    expect(step).toMatch(/GET \/\s+"You are not logged in", and the stale cookie cleared$/m)
  })

  it('never prints a whole token, a client secret or the password', async () => {
    const { CLIENTS, TEST_USER } = await loadAuthServer()
    const output = run.stdout + run.stderr
    const jwts = (output.match(/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g) ?? []).filter((m) => m.length > 60)
    expect(jwts).toEqual([])
    for (const { clientSecret } of Object.values(CLIENTS)) if (clientSecret !== undefined) expect(output).not.toContain(clientSecret)
    expect(output).not.toContain(TEST_USER.password)
  })
})

describe('npm run demo with a real Auth0 tenant', () => {
  const auth0 = {
    AUTH0_DOMAIN: 'demo-test.eu.auth0.com',
    AUTH0_CLIENT_ID: 'demo-test-client',
    AUTH0_CLIENT_SECRET: 'demo-test-secret-never-printed',
    AUTH0_AUDIENCE: 'https://api.example.com',
  }

  it('--headless refuses politely (exit 2): it cannot fill in Auth0\'s login page', async () => {
    const run = await runDemo(['--headless'], auth0)
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/cannot .*fill in your Auth0 tenant's real login page/)
    expect(run.stderr).not.toContain(auth0.AUTH0_CLIENT_SECRET)
  })

  it('says which variables are missing when only some are set (exit 1)', async () => {
    const run = await runDemo(['--headless'], { AUTH0_DOMAIN: auth0.AUTH0_DOMAIN })
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/ERR_DEMO: .*missing: AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, AUTH0_AUDIENCE/)
  })
})

describe('npm run demo with a real Auth0 tenant, in-process against a stand-in tenant (authcode/testing)', () => {
  const DOMAIN = 'demo-tenant.auth0.example'
  const CLIENT_ID = 'demo-tenant-client'
  const CLIENT_SECRET = 'demo-tenant-secret-0123456789'
  const AUDIENCE = 'https://api.demo.example'
  const mock = setupServer()
  beforeAll(() => mock.listen({ onUnhandledRequest: ({ url }, print) => (new URL(url).hostname === '127.0.0.1' ? undefined : print.error()) }))
  afterAll(() => mock.close())

  it('logs in at /auth/callback, calls the API with a token for AUTH0_AUDIENCE, and logs out through /oidc/logout back to the app', async () => {
    const { startDemo } = await loadDemo()
    const demo = await startDemo({ auth0: { domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, audience: AUDIENCE } })
    try {
      const base = demo.app.url
      const tenant = await createTestTenant({ domain: DOMAIN, clientId: CLIENT_ID })
      // Refuses any redirect_uri but the one the README tells you to register.
      const auth0 = createAuth0Handlers(tenant, { clientSecret: CLIENT_SECRET, callbackUrls: [`${base}/auth/callback`] })
      mock.use(...auth0.handlers)
      const browser = new Browser()
      const get = async (url: string | URL) => browser.take(await fetch(browser.request(url), { redirect: 'manual' }))

      const login = await get(`${base}/auth/login`)
      const authorize = new URL(login.headers.get('location')!)
      expect(authorize.origin + authorize.pathname).toBe(`https://${DOMAIN}/authorize`)
      expect(authorize.searchParams.get('redirect_uri')).toBe(`${base}/auth/callback`)
      expect(authorize.searchParams.get('audience')).toBe(AUDIENCE)
      expect(authorize.searchParams.get('scope')).toBe('openid profile email offline_access read:contacts')
      expect((await get(await auth0.authorize(authorize, { user: { name: 'Jane Doe' } }))).status).toBe(302)

      const home = await (await get(`${base}/`)).text()
      expect(home).toContain('<b id="name">Jane Doe</b>')
      expect(home).toMatch(/<b id="api-status">200<\/b>/)

      const logout = await get(`${base}/auth/logout`)
      const to = new URL(logout.headers.get('location')!)
      // Auth0's OIDC logout (the session has an ID token to hint with): back to an Allowed Logout URL.
      expect(to.origin + to.pathname).toBe(`https://${DOMAIN}/oidc/logout`)
      expect(to.searchParams.get('client_id')).toBe(CLIENT_ID)
      expect(to.searchParams.get('id_token_hint')).toMatch(/^eyJ/)
      expect(to.searchParams.get('post_logout_redirect_uri')).toBe(`${base}/`)
      expect(await (await get(`${base}/`)).text()).toContain('You are not logged in')
    } finally {
      await demo.close()
    }
  })
})

describe('DEMO_ACCESS_TOKEN_TTL', () => {
  it('is unset, or a whole number of seconds', async () => {
    const { accessTokenTtlFromEnv } = await loadDemo()
    expect(accessTokenTtlFromEnv({})).toBeUndefined()
    expect(accessTokenTtlFromEnv({ DEMO_ACCESS_TOKEN_TTL: '' })).toBeUndefined()
    expect(accessTokenTtlFromEnv({ DEMO_ACCESS_TOKEN_TTL: '5' })).toBe(5)
    for (const bad of ['0', '-5', '1.5', '5s', '10000000']) {
      expect(() => accessTokenTtlFromEnv({ DEMO_ACCESS_TOKEN_TTL: bad })).toThrow(/DEMO_ACCESS_TOKEN_TTL must be a whole number of seconds/)
    }
  })

  it('the demo refuses a bad one and says why (exit 1)', async () => {
    const run = await runDemo(['--headless'], { DEMO_ACCESS_TOKEN_TTL: 'soon' })
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/ERR_DEMO: DEMO_ACCESS_TOKEN_TTL must be a whole number of seconds from 1 to 999999, not "soon"/)
  })
})

describe("the demo's protected API (GET /api/contacts)", () => {
  let server: AuthServer
  let api: DemoApi
  let demo: DemoModule

  beforeAll(async () => {
    demo = await loadDemo()
    server = await (await loadAuthServer()).startAuthServer()
    api = await demo.startApi({ issuer: server.issuer, audience: server.apiAudience, allowInsecureRequests: true })
  })
  afterAll(async () => {
    await api?.close()
    await server?.close()
  })

  const machineToken = async (scope: string) => {
    const client = new TokenClient({ issuer: server.issuer, allowInsecureRequests: true, ...server.clients.confidential, audience: server.apiAudience })
    return (await client.clientCredentials({ scope })).accessToken
  }

  it('refuses a request without a token: 401 with a Bearer challenge', async () => {
    const res = await fetch(api.contactsUrl)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/)
    const body = (await res.json()) as { error_description: string }
    expect(body.error_description).toMatch(/no access token/)
  })

  it('refuses a token that does not verify: 401 invalid_token', async () => {
    const res = await fetch(api.contactsUrl, { headers: { authorization: 'Bearer not.a.token' } })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
  })

  it('refuses a token without read:contacts: 403 insufficient_scope', async () => {
    const res = await fetch(api.contactsUrl, { headers: { authorization: `Bearer ${await machineToken('write:contacts')}` } })
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope"/)
  })

  it('answers the contacts to a token with read:contacts', async () => {
    const res = await fetch(api.contactsUrl, { headers: { authorization: `Bearer ${await machineToken('read:contacts')}` } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ user: `${server.clients.confidential.clientId}@clients`, contacts: demo.CONTACTS })
  })

  it('answers 405 to another method and 404 elsewhere', async () => {
    const post = await fetch(api.contactsUrl, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET')
    expect((await fetch(`${api.url}/api/other`)).status).toBe(404)
  })
})
