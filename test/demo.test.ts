// `npm run demo -- --headless` walks the whole flow against the dev tenant, and the dev tenant behaves like Auth0.
import { execFile, execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { OAuthError, TokenClient, createAuthorizationRequest, validateCallback } from 'authcode'

const root = fileURLToPath(new URL('..', import.meta.url))

interface DevTenant {
  issuer: string
  url: string
  close(): Promise<void>
}
interface DevTenantModule {
  startDevTenant(p: { clientId: string; clientSecret: string; redirectUris: string[]; audience?: string }): Promise<DevTenant>
  DEMO_CLIENT: { clientId: string; clientSecret: string; audience: string }
  TEST_USER: { email: string; password: string }
}

// The script is plain JavaScript with no type declarations: load it through a specifier
// TypeScript does not resolve, and describe what it exports here.
const devTenantModule = pathToFileURL(`${root}scripts/dev-tenant.mjs`).href
const loadDevTenant = () => import(devTenantModule) as Promise<DevTenantModule>

function runHeadlessDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env }
    for (const name of ['AUTH0_DOMAIN', 'AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', 'AUTH0_AUDIENCE']) delete env[name]
    execFile(process.execPath, ['scripts/demo.mjs', '--headless'], { cwd: root, env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr })
    })
  })
}

describe('npm run demo -- --headless', () => {
  let run: { code: number | null; stdout: string; stderr: string }

  beforeAll(async () => {
    // The demo imports the built package (`authcode` resolves to dist/ through package.json "exports").
    if (!existsSync(`${root}dist/index.js`)) execFileSync('npx', ['tsup'], { cwd: root, stdio: 'ignore', timeout: 170_000 })
    run = await runHeadlessDemo()
  }, 200_000)

  it('walks the whole flow and exits 0', () => {
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    for (const n of [1, 2, 3, 4, 5, 6, 7]) expect(run.stdout).toMatch(new RegExp(`^${n}\\) `, 'm'))
  })

  it('prints the authorize URL, the shortened code and the ID token claims', () => {
    expect(run.stdout).toMatch(/^ {3}http:\/\/127\.0\.0\.1:\d+\/authorize\?response_type=code&client_id=.*code_challenge_method=S256$/m)
    expect(run.stdout).toMatch(/\/callback\?code=[A-Za-z0-9_-]{10}…&state=/)
    expect(run.stdout).toMatch(/sub\s+auth0\|\S+/)
    expect(run.stdout).toMatch(/name\s+Jane Doe/)
    expect(run.stdout).toMatch(/email\s+jane@example\.com/)
    expect(run.stdout).toMatch(/expiresAt\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/)
  })

  it('says that the refresh token rotated', () => {
    const refreshStep = run.stdout.slice(run.stdout.search(/^6\) /m), run.stdout.search(/^7\) /m))
    expect(refreshStep).toMatch(/refresh token rotated/i)
  })

  it('never prints a whole token or the client secret', async () => {
    const { DEMO_CLIENT } = await loadDevTenant()
    const output = run.stdout + run.stderr
    const jwts = (output.match(/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g) ?? []).filter((m) => m.length > 60)
    expect(jwts).toEqual([])
    expect(output).not.toContain(DEMO_CLIENT.clientSecret)
  })
})

describe('the dev tenant', () => {
  /** Logs the test user in through the login page and returns the callback URL. */
  async function logIn(authorizeUrl: URL, user: DevTenantModule['TEST_USER']): Promise<string> {
    const page = await fetch(authorizeUrl)
    expect(page.status).toBe(200)
    const login = /name="login" value="([^"]+)"/.exec(await page.text())?.[1]
    expect(login).toBeDefined()
    const posted = await fetch(new URL('/authorize/login', authorizeUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: login!, username: user.email, password: user.password, action: 'login' }),
    })
    expect(posted.status).toBe(302)
    return posted.headers.get('location')!
  }

  async function withTenant(fn: (p: { tenant: DevTenant; client: TokenClient; login: () => Promise<{ code: string; transaction: Awaited<ReturnType<typeof createAuthorizationRequest>>['transaction'] }> }) => Promise<void>) {
    const { startDevTenant, DEMO_CLIENT, TEST_USER } = await loadDevTenant()
    const redirectUri = 'http://127.0.0.1:9/callback' // never visited: the test reads the redirect
    const tenant = await startDevTenant({ ...DEMO_CLIENT, redirectUris: [redirectUri] })
    try {
      const config = { issuer: tenant.issuer, allowInsecureRequests: true, ...DEMO_CLIENT }
      const client = new TokenClient(config)
      const login = async () => {
        const { url, transaction } = await createAuthorizationRequest(config, { redirectUri, scope: 'openid profile email offline_access' })
        const { code } = validateCallback(await logIn(url, TEST_USER), transaction)
        return { code, transaction }
      }
      await fn({ tenant, client, login })
    } finally {
      await tenant.close()
    }
  }

  it('answers invalid_grant when a code is used twice', async () => {
    await withTenant(async ({ client, login }) => {
      const { code, transaction } = await login()
      const tokens = await client.exchangeCode({ code, ...transaction })
      expect(tokens.claims?.email).toBe('jane@example.com')

      const again = await client.exchangeCode({ code, ...transaction }).catch((err: unknown) => err)
      expect(again).toBeInstanceOf(OAuthError)
      expect((again as OAuthError).error).toBe('invalid_grant')
      expect((again as OAuthError).status).toBe(400)
    })
  })

  it('rotates refresh tokens and refuses a rotated-away one', async () => {
    await withTenant(async ({ client, login }) => {
      const { code, transaction } = await login()
      const first = await client.exchangeCode({ code, ...transaction })
      const second = await client.refresh({ refreshToken: first.refreshToken! })
      expect(second.refreshToken).toBeDefined()
      expect(second.refreshToken).not.toBe(first.refreshToken)

      const reused = await client.refresh({ refreshToken: first.refreshToken! }).catch((err: unknown) => err)
      expect(reused).toBeInstanceOf(OAuthError)
      expect((reused as OAuthError).error).toBe('invalid_grant')
    })
  })
})
