// examples/server in this process against the local authorization server (scripts/auth-server.mjs):
// Hono served by @hono/node-server, Express and node:http through getRequestListener, over HTTP;
// the SvelteKit hook called as a function. The Next.js app runs for real in test/server-next.test.ts.
import type { Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createAuth } from 'authcode/server'
import { authOptions } from '../examples/server/env.js'
import { createApp as createExpressApp } from '../examples/server/express.js'
import { listen as listenHono } from '../examples/server/hono-node.js'
import { createApp as createNodeApp } from '../examples/server/node-http.js'
import { type World, freePort, logIn, overHttp, startWorld, walk } from './helpers/server-walk.js'

const NEXT = 'http://localhost:3000'
const SVELTEKIT = 'http://localhost:5173'
const ports = { hono: await freePort(), express: await freePort(), node: await freePort() }
const base = (port: number) => `http://127.0.0.1:${port}`
let world: World
const servers: { close(callback: () => void): unknown }[] = []

beforeAll(async () => {
  world = await startWorld([NEXT, SVELTEKIT, base(ports.hono), base(ports.express), base(ports.node)])
}, 30_000)

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
  await world?.close()
})

const authFor = (baseUrl: string) => createAuth(authOptions(world.env(baseUrl)))

async function listening(server: Server, port: number): Promise<void> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
}

describe('examples/server over HTTP on Node', () => {
  it('hono-node.ts: Hono served by @hono/node-server logs in, calls the API, logs out', async () => {
    const url = base(ports.hono)
    await new Promise<void>((resolve) => servers.push(listenHono(authFor(url), world.api.contactsUrl, ports.hono, () => resolve())))
    await walk(world, url, overHttp)
  })

  it('express.ts: Express 5 through getRequestListener logs in, calls the API, logs out', async () => {
    const url = base(ports.express)
    const app = createExpressApp(authFor(url), world.api.contactsUrl)
    await new Promise<void>((resolve) => servers.push(app.listen(ports.express, '127.0.0.1', () => resolve())))
    await walk(world, url, overHttp)
  })

  it('node-http.ts: node:http through getRequestListener logs in, calls the API, logs out', async () => {
    const url = base(ports.node)
    await listening(createNodeApp(authFor(url), world.api.contactsUrl), ports.node)
    await walk(world, url, overHttp)
  })
})

describe('examples/server/next: why its page only reads the session', () => {
  // Why the page only reads the session and the API call lives in a Route Handler: a refresh in
  // a Server Component could not save the rotated refresh token (the cookie would keep the spent
  // one, and the next refresh, on another instance, would end the grant). So auth.fetch with
  // read-only Headers refuses to refresh, and the session stays usable where cookies can be set.
  it('a refresh from read-only Headers is refused, and the session stays usable by another instance', async () => {
    const [a, b] = [authFor(NEXT), authFor(NEXT)]
    const cookie = await logIn(world, NEXT, async (request) => (await a.handle(request)) ?? new Response(null, { status: 404 }))
    // As a Server Component would: the token lives under the leeway, so this needs a refresh.
    await expect(a.fetch(new Headers({ cookie }), world.api.contactsUrl)).rejects.toMatchObject({ code: 'ERR_CONFIG', message: expect.stringContaining('read-only Headers') })
    await expect(b.getAccessToken(new Request(`${NEXT}/me`, { headers: { cookie } }))).resolves.toEqual(expect.any(String))
  })
})

describe('examples/server/sveltekit: hooks.server.ts called with an event and resolve', () => {
  it('handle answers /auth/*, guards /me, and commits what the load function refreshed', async () => {
    for (const [name, value] of Object.entries(world.env(SVELTEKIT))) vi.stubEnv(name, value)
    const { handle } = await import('../examples/server/sveltekit/hooks.server.js')
    const { load } = await import('../examples/server/sveltekit/routes/me/+page.server.js')
    // SvelteKit's resolve: the route's load, its data rendered (as JSON here).
    const resolve = async (event: Parameters<typeof load>[0]) =>
      event.url.pathname === '/me' ? Response.json(await load(event)) : new Response('Not Found', { status: 404 })
    const kit = (request: Request) =>
      handle({ event: { request, url: new URL(request.url), locals: { session: null } }, resolve })
    try {
      await walk(world, SVELTEKIT, kit)
    } finally {
      vi.unstubAllEnvs()
    }
  })
})
