// `npm run demo`: the headless walk against the local authorization server (scripts/auth-server.mjs), and the demo's protected API.
import { execFile, execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TokenClient } from 'authcode'
import { type AuthServer, startAuthServer } from './helpers/auth-server.js'

const root = fileURLToPath(new URL('..', import.meta.url))

interface DemoApi {
  url: string
  contactsUrl: string
  close(): Promise<void>
}
interface DemoModule {
  startApi(p: { port?: number; issuer?: string; domain?: string; audience: string; allowInsecureRequests?: boolean }): Promise<DemoApi>
  CONTACTS: readonly { name: string; email: string }[]
}
interface AuthServerModule {
  CLIENTS: Record<string, { clientId: string; clientSecret?: string }>
  TEST_USER: { email: string; password: string }
}

// The scripts are plain JavaScript with no type declarations: load them through specifiers
// TypeScript does not resolve, and describe what they export here.
const demoModule = pathToFileURL(`${root}scripts/demo.mjs`).href
const authServerModule = pathToFileURL(`${root}scripts/auth-server.mjs`).href
const loadDemo = () => import(demoModule) as Promise<DemoModule>
const loadAuthServer = () => import(authServerModule) as Promise<AuthServerModule>

const AUTH0_VARIABLES = ['AUTH0_DOMAIN', 'AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', 'AUTH0_AUDIENCE']

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function runDemo(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const env = { ...process.env }
    for (const name of [...AUTH0_VARIABLES, 'PORT', 'API_PORT']) delete env[name]
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

/** stderr without oidc-provider's notice that Node 20 is not its favourite runtime. */
const stderrProper = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^oidc-provider WARNING: Unsupported runtime/.test(line))
    .join('\n')

describe('npm run demo -- --headless', () => {
  let run: Run

  beforeAll(async () => {
    // The demo imports the built package (`authcode` resolves to dist/ through package.json "exports").
    if (!existsSync(`${root}dist/index.js`) || !existsSync(`${root}dist/api/index.js`)) {
      execFileSync('npx', ['tsup'], { cwd: root, stdio: 'ignore', timeout: 170_000 })
    }
    run = await runDemo(['--headless'])
  }, 240_000)

  it('walks the whole flow, every step numbered, and exits 0', () => {
    expect(stderrProper(run.stderr)).toBe('')
    expect(run.code).toBe(0)
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8]) expect(run.stdout).toMatch(new RegExp(`^${n}\\) \\S`, 'm'))
    expect(run.stdout).not.toMatch(/^9\) /m)
    expect(run.stdout).toMatch(/^Done: /m)
  })

  it('1) prints the authorize URL, with the audience of the API and PKCE', () => {
    const step = stepText(run.stdout, 1)
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
    expect(step).toMatch(/GET \/callback → 302/)
    expect(step).toMatch(/\/callback\?code=[A-Za-z0-9_-]{10}…&state=[A-Za-z0-9_-]+&iss=http:\/\/127\.0\.0\.1:\d+\//)
  })

  it('4) shows the token set with every token shortened, and the ID token claims', () => {
    const step = stepText(run.stdout, 4)
    expect(step).toMatch(/access_token\s+eyJ[A-Za-z0-9_-]{7}…$/m)
    expect(step).toMatch(/id_token\s+eyJ[A-Za-z0-9_-]{7}…$/m)
    expect(step).toMatch(/refresh_token\s+[A-Za-z0-9_-]{10}…$/m)
    expect(step).toMatch(/token_type\s+Bearer/)
    expect(step).toMatch(/expiresAt\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/)
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
    expect(step).toMatch(/\/oidc\/logout\?client_id=authcode-demo-app&id_token_hint=eyJ[A-Za-z0-9_-]{7}…&post_logout_redirect_uri=/)
    expect(step).toMatch(/You are not logged in/)
    expect(step).toMatch(/refresh_token\s+[A-Za-z0-9_-]{10}… refused: invalid_grant/)
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

describe("the demo's protected API (GET /api/contacts)", () => {
  let server: AuthServer
  let api: DemoApi
  let demo: DemoModule

  beforeAll(async () => {
    demo = await loadDemo()
    server = await startAuthServer()
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
