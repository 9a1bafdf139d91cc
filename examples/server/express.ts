// Express 5: @hono/node-server's getRequestListener turns each route into a Web Request -> Response handler.
import { getRequestListener } from '@hono/node-server'
import express, { type Express } from 'express'
import { type Auth, createAuth } from 'authcode/server'
import { apiUrl, authOptions } from './env.js'

export function createApp(auth: Auth, api: string): Express {
  const app = express()
  app.all('/auth/*path', getRequestListener(async (request) => (await auth.handle(request)) ?? new Response('Not Found', { status: 404 })))
  app.get('/me', getRequestListener(auth.wrap(async (request) => {
    const session = await auth.getSession(request)
    if (!session) return Response.redirect(new URL('/auth/login?returnTo=/me', request.url))
    const res = await auth.fetch(request, api) // Bearer <access token>, refreshed when due
    return Response.json({ user: session.user, contacts: await res.json() })
  })))
  return app
}

// Listen only when run as a script; importing this file (as the tests do) starts nothing.
if (process.argv[1] === import.meta.filename) {
  const port = Number(process.env.PORT ?? 3000)
  createApp(createAuth(authOptions(process.env)), apiUrl(process.env)).listen(port, () => console.log(`GET http://localhost:${port}/me`))
}
