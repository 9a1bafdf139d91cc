// app/me/page.ts: a Server Component reads the session from the request's headers (it cannot set cookies: read only).
import { headers } from 'next/headers'
import { auth } from '../../lib/auth'

export default async function MePage(): Promise<string> {
  const requestHeaders = await headers() // first: it makes the page dynamic, so `next build` does not render it
  const session = await auth().getSession(requestHeaders)
  if (!session) return 'Not logged in' // the middleware sends visitors without a session to the login first
  // A string is a React node; a real page returns JSX here.
  return `Logged in as ${String(session.user.name)} <${String(session.user.email)}>`
}
