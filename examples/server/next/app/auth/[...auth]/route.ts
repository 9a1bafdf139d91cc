// app/auth/[...auth]/route.ts: /auth/login, /auth/callback, /auth/logout and /auth/backchannel-logout.
import { auth } from '../../../lib/auth'

const notFound = () => new Response('Not Found', { status: 404 })

export async function GET(request: Request): Promise<Response> {
  return (await auth().handle(request)) ?? notFound()
}

export async function POST(request: Request): Promise<Response> {
  return (await auth().handle(request)) ?? notFound() // a form_post callback, a back-channel logout
}
