// Plain node:http: @hono/node-server's getRequestListener is the bridge, auth.wrap the whole app.
import { type Server, createServer } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { type Auth, createAuth } from 'authcode/server'
import { apiUrl, authOptions } from './env.js'

export function createApp(auth: Auth, api: string): Server {
  return createServer(getRequestListener(auth.wrap(async (request) => {
    if (new URL(request.url).pathname !== '/me') return new Response('Not Found', { status: 404 })
    const session = await auth.getSession(request)
    if (!session) return Response.redirect(new URL('/auth/login?returnTo=/me', request.url))
    const res = await auth.fetch(request, api) // Bearer <access token>, refreshed when due
    return Response.json({ user: session.user, contacts: await res.json() })
  })))
}

// Listen only when run as a script; importing this file (as the tests do) starts nothing.
if (process.argv[1] === import.meta.filename) {
  const port = Number(process.env.PORT ?? 3000)
  createApp(createAuth(authOptions(process.env)), apiUrl(process.env)).listen(port, () => console.log(`GET http://localhost:${port}/me`))
}
