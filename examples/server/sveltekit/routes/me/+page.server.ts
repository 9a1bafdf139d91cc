// src/routes/me/+page.server.ts: the user (the hook checked there is one) and the contacts the API gives them.
import type { ServerLoad } from '@sveltejs/kit'
import { auth } from '../../lib/server/auth'

export const load: ServerLoad<{ user: Record<string, unknown>; contacts: unknown }> = async (event) => {
  const res = await auth.fetch(event.request, process.env.API_URL ?? '') // the hook's commit saves a refresh
  return { user: event.locals.session?.user ?? {}, contacts: await res.json() }
}
