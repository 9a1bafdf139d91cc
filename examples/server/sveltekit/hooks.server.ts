// src/hooks.server.ts: auth's routes, the session in event.locals, and its cookies on every response.
import type { Handle } from '@sveltejs/kit'
import { auth } from './lib/server/auth'

export const handle: Handle = async ({ event, resolve }) => {
  const own = await auth.handle(event.request) // /auth/login, /auth/callback, /auth/logout, …
  if (own) return own
  event.locals.session = await auth.getSession(event.request)
  if (!event.locals.session && event.url.pathname.startsWith('/me')) {
    return Response.redirect(new URL(`/auth/login?returnTo=${event.url.pathname}`, event.url), 303)
  }
  return auth.commit(event.request, await resolve(event)) // rolling expiry, tokens a load function refreshed
}
