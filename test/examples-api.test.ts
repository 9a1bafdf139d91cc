// The API examples in examples/api, run for real: each one served (or called, for the Worker)
// and asked for /api/contacts with no token, a good token, a token without the scope, an
// expired token, and with the tenant's JWKS unreachable.
import { once } from 'node:events'
import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { AccessTokenVerifierOptions } from 'authcode/api'
import { type TestTenant, createTestTenant } from 'authcode/testing'
import { createApp as createExpressApp } from '../examples/api/express.js'
import { createApp as createHonoApp } from '../examples/api/hono.js'
import { createApp as createNodeApp } from '../examples/api/node-http.js'

const DOMAIN = 'contacts-test.auth0.example'
const AUDIENCE = 'https://contacts.example.com'
const CONTACTS = [{ id: 1, name: 'Ada Lovelace', email: 'ada@example.com' }]

const realFetch = globalThis.fetch
const servers: Server[] = []
let tenant: TestTenant
let jwksOrigin: string // a local stand-in for https://DOMAIN, serving /.well-known/jwks.json
let deadOrigin: string // a port nothing listens on: the JWKS server is down
let jwksRequests = 0

async function listen(server: Server): Promise<string> {
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function close(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve()
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeAllConnections() // fetch keeps connections alive; close() alone would wait for them
  return closed
}

/** A fetch that sends the verifier's requests for https://DOMAIN/… to `origin` instead. */
function fetchVia(origin: string): typeof fetch {
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    return realFetch(url.replace(`https://${DOMAIN}`, origin), init)
  }
}

beforeAll(async () => {
  tenant = await createTestTenant({ domain: DOMAIN })
  jwksOrigin = await listen(
    createServer((req, res) => {
      if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end()
      jwksRequests++
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tenant.jwks))
    }),
  )
  const down = createServer()
  deadOrigin = await listen(down)
  await close(down)
})

afterEach(() => {
  vi.unstubAllGlobals()
})

afterAll(async () => {
  await Promise.all(servers.map(close))
})

/** Sends GET /api/contacts with the given Authorization header (none when undefined). */
type Call = (authorization?: string) => Promise<Response>

const headers = (authorization?: string): Record<string, string> => (authorization === undefined ? {} : { authorization })

/** Serves an app on a free 127.0.0.1 port and returns a Call that makes real HTTP requests to it. */
function overHttp(makeServer: (options: AccessTokenVerifierOptions) => Server) {
  return async (jwksFetch: typeof fetch): Promise<Call> => {
    const origin = await listen(makeServer({ domain: DOMAIN, audience: AUDIENCE, fetch: jwksFetch }))
    return (authorization) => realFetch(`${origin}/api/contacts`, { headers: headers(authorization) })
  }
}

/** A fresh isolate of the Worker: a new module instance, with the runtime's fetch reaching `jwksFetch`. */
async function worker(jwksFetch: typeof fetch): Promise<Call> {
  vi.resetModules()
  const { default: handler } = await import('../examples/api/cloudflare-worker.js')
  vi.stubGlobal('fetch', jwksFetch)
  const env = { AUTH0_DOMAIN: DOMAIN, AUTH0_AUDIENCE: AUDIENCE }
  return (authorization) => handler.fetch(new Request('https://contacts.example.com/api/contacts', { headers: headers(authorization) }), env)
}

const examples: [string, (jwksFetch: typeof fetch) => Promise<Call>][] = [
  ['node:http', overHttp((options) => createNodeApp(options))],
  ['Express 5', overHttp((options) => createServer(createExpressApp(options)))],
  ['Hono on @hono/node-server', overHttp((options) => createAdaptorServer({ fetch: createHonoApp(options).fetch }) as Server)],
  ['Cloudflare Worker', worker],
]

describe.each(examples)('examples/api: %s', (_name, start) => {
  const live = () => start(fetchVia(jwksOrigin))
  const now = () => Math.floor(Date.now() / 1000)
  const token = (claims: Record<string, unknown>) => tenant.signAccessToken({ aud: AUDIENCE, ...claims })

  it('answers 401 with a bare Bearer challenge when there is no token', async () => {
    const res = await (await live())()
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    // RFC 6750 §3.1: no credentials, no error code.
    const body = await res.json()
    expect(body).toEqual({ error_description: expect.stringContaining('no access token') })
  })

  it('answers 200 with the contacts for a valid token with read:contacts', async () => {
    const res = await (await live())(`Bearer ${await token({ scope: 'openid read:contacts' })}`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ owner: 'auth0|test-user', contacts: CONTACTS })
  })

  it('answers 403 insufficient_scope for a valid token without read:contacts', async () => {
    const res = await (await live())(`Bearer ${await token({ scope: 'openid profile' })}`)
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", .*scope="read:contacts"$/)
    expect(await res.json()).toEqual({ error: 'insufficient_scope', error_description: 'The access token lacks a required scope: read:contacts' })
  })

  it('answers 401 invalid_token for an expired token, without echoing the token', async () => {
    const expired = await token({ scope: 'read:contacts', iat: now() - 7200, exp: now() - 3600 })
    const res = await (await live())(`Bearer ${expired}`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token", error_description="The access token has expired"')
    const text = await res.text()
    expect(JSON.parse(text)).toEqual({ error: 'invalid_token', error_description: 'The access token has expired' })
    expect(text).not.toContain(expired.split('.')[2])
  })

  it('answers 503 when the JWKS server is down (the token may be fine)', async () => {
    const res = await (await start(fetchVia(deadOrigin)))(`Bearer ${await token({ scope: 'read:contacts' })}`)
    expect(res.status).toBe(503)
    expect(res.headers.get('www-authenticate')).toBeNull()
    expect(res.headers.get('retry-after')).toBe('5')
    expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' })
  })

  it('fetches the JWKS once for many requests (one verifier per app or isolate)', async () => {
    const call = await live()
    const good = `Bearer ${await token({ scope: 'read:contacts' })}`
    jwksRequests = 0
    const statuses = [(await call(good)).status, ...(await Promise.all([call(good), call(good)])).map((r) => r.status)]
    expect(statuses).toEqual([200, 200, 200])
    expect(jwksRequests).toBe(1)
  })
})
