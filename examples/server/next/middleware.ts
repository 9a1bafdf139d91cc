// middleware.ts: anonymous visitors of /me go to the login; a session in use gets its cookie rolled on the way.
import { NextResponse, type NextRequest } from 'next/server'
import { auth } from './lib/auth'

export async function middleware(request: NextRequest): Promise<Response> {
  const session = await auth().getSession(request)
  if (!session) return Response.redirect(new URL(`/auth/login?returnTo=${request.nextUrl.pathname}`, request.url))
  return auth().commit(request, NextResponse.next()) // adds the session's Set-Cookie headers, if any
}

export const config = { matcher: ['/me/:path*', '/api/contacts'] }
