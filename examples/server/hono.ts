// Hono: one app for Node, Bun, Deno and Workers; a middleware answers /auth/* and saves the session's cookies.
import { Hono } from 'hono'
import type { Auth } from 'authcode/server'

/** The app: `/me` shows the user and the contacts the API at `api` gives them. */
export function createApp(auth: Auth, api: string): Hono {
  const app = new Hono()
  app.use(async (c, next) => {
    const own = await auth.handle(c.req.raw) // /auth/login, /auth/callback, /auth/logout, …
    if (own) return own
    await next()
    // The session's Set-Cookie headers (rolling expiry, refreshed tokens) on whatever response the route gave.
    for (const cookie of await auth.cookies(c.req.raw)) c.header('set-cookie', cookie, { append: true })
  })
  app.get('/me', async (c) => {
    const session = await auth.getSession(c.req.raw)
    if (!session) return c.redirect('/auth/login?returnTo=/me')
    const res = await auth.fetch(c.req.raw, api) // Bearer <access token>, refreshed when due
    return c.json({ user: session.user, contacts: await res.json() })
  })
  return app
}
