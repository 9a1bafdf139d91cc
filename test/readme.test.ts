// The README's quick start, run as written against a stand-in Auth0 tenant: authcode/testing's
// msw handlers (createAuth0Handlers) in this process, which check the code, PKCE, client secret,
// redirect_uri and nonce as Auth0 does.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { setupServer } from 'msw/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestTenant } from 'authcode/testing'
import { createAuth0Handlers } from 'authcode/testing/msw'
import { Browser } from './helpers/browser.js'

const DOMAIN = 'readme-tenant.auth0.example'
const CLIENT_ID = 'readme-client-id'
const CLIENT_SECRET = 'readme-client-secret-0123456789'

function quickStart(marker = 'quick-start'): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const match = new RegExp(`<!-- ${marker} -->\\s*\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(readme)
  if (!match?.[1]) throw new Error(`README.md has no \`\`\`js block after <!-- ${marker} -->`)
  return match[1]
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

const mock = setupServer()

beforeAll(() => mock.listen({ onUnhandledRequest: ({ url }, print) => (new URL(url).hostname === 'localhost' ? undefined : print.error()) }))
afterAll(() => mock.close())

describe('README quick start', () => {
  it('logs a user in through /login and /callback exactly as written', async () => {
    const port = await freePort()
    const base = `http://localhost:${port}`
    const tenant = await createTestTenant({ domain: DOMAIN, clientId: CLIENT_ID })
    const auth0 = createAuth0Handlers(tenant, { clientSecret: CLIENT_SECRET, callbackUrls: [`${base}/callback`] })
    mock.use(...auth0.handlers)
    const tokenRequests = () => auth0.requests.filter((r) => r.grantType === 'authorization_code')

    process.env.AUTH0_DOMAIN = DOMAIN
    process.env.AUTH0_CLIENT_ID = CLIENT_ID
    process.env.AUTH0_CLIENT_SECRET = CLIENT_SECRET
    process.env.PORT = String(port)
    const dir = new URL('./.tmp/', import.meta.url)
    mkdirSync(dir, { recursive: true })
    const file = new URL('quickstart.mjs', dir)
    writeFileSync(file, quickStart())
    await import(file.href)

    let login: Response | undefined
    for (let i = 0; i < 50 && !login; i++) {
      login = await fetch(`${base}/login`, { redirect: 'manual' }).catch(async () => {
        await new Promise((r) => setTimeout(r, 50))
        return undefined
      })
    }
    expect(login?.status).toBe(302)
    const authorize = new URL(login!.headers.get('location')!)
    expect(authorize.origin + authorize.pathname).toBe(`https://${DOMAIN}/authorize`)
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${base}/callback`)
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('nonce')).toBeTruthy()
    const cookie = login!.headers.get('set-cookie')!.split(';')[0]!

    // Without the login cookie the callback is refused (the transaction is bound to the browser).
    const state = authorize.searchParams.get('state')!
    const forged = await fetch(`${base}/callback?code=abc&state=${state}`)
    expect(forged.status).toBe(400)

    // Jane logs in at the tenant, which sends her back to the callback with a code (and state, iss).
    const redirect = await auth0.authorize(authorize, { user: { name: 'Jane Doe' } })
    expect(redirect.origin + redirect.pathname).toBe(`${base}/callback`)
    const code = redirect.searchParams.get('code')!
    const callback = await fetch(redirect, { headers: { cookie } })
    expect(await callback.text()).toBe('Hello, Jane Doe!')
    expect(tokenRequests()).toHaveLength(1)
    expect(tokenRequests()[0]?.status).toBe(200)
    expect(tokenRequests()[0]?.form.get('code')).toBe(code)
    expect(tokenRequests()[0]?.form.get('client_secret')).toBe(CLIENT_SECRET)
    expect(tokenRequests()[0]?.form.get('code_verifier')).toMatch(/^[\w-]{43,128}$/)

    // The transaction was used once: replaying the callback fails, before any second token request.
    const replay = await fetch(redirect, { headers: { cookie } })
    expect(replay.status).toBe(400)
    expect(tokenRequests()).toHaveLength(1)
  })
})

describe('README quick start with authcode/server', () => {
  it('logs a user in, greets them and logs them out, exactly as written', async () => {
    const port = await freePort()
    const base = `http://localhost:${port}`
    const tenant = await createTestTenant({ domain: DOMAIN, clientId: CLIENT_ID })
    const auth0 = createAuth0Handlers(tenant, { clientSecret: CLIENT_SECRET, callbackUrls: [`${base}/auth/callback`] })
    mock.use(...auth0.handlers)
    Object.assign(process.env, { AUTH0_DOMAIN: DOMAIN, AUTH0_CLIENT_ID: CLIENT_ID, AUTH0_CLIENT_SECRET: CLIENT_SECRET, PORT: String(port), AUTH_SECRET: 'readme-session-secret-0123456789abcdef' })
    const dir = new URL('./.tmp/', import.meta.url)
    mkdirSync(dir, { recursive: true })
    const file = new URL('quickstart-server.mjs', dir)
    writeFileSync(file, quickStart('quick-start-server'))
    await import(file.href)

    const browser = new Browser()
    const get = async (url: string | URL) => browser.take(await fetch(browser.request(url), { redirect: 'manual' }))
    let home: Response | undefined
    for (let i = 0; i < 50 && !home; i++) {
      home = await get(`${base}/`).catch(async () => {
        await new Promise((r) => setTimeout(r, 50))
        return undefined
      })
    }
    expect(await home?.text()).toContain('href="/auth/login"')
    const login = await get(`${base}/auth/login`)
    const authorize = new URL(login.headers.get('location')!)
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${base}/auth/callback`)
    const callback = await get(await auth0.authorize(authorize, { user: { name: 'Jane Doe' } }))
    expect(callback.status).toBe(302)
    expect(await (await get(`${base}/`)).text()).toBe('Hello, Jane Doe! <a href="/auth/logout">Log out</a>')
    const logout = await get(`${base}/auth/logout`)
    expect(new URL(logout.headers.get('location')!).origin).toBe(`https://${DOMAIN}`)
    expect(await (await get(`${base}/`)).text()).toContain('Log in')
  })
})
