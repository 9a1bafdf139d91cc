// app/api/contacts/route.ts: calls the API with the user's access token. A Route Handler can set cookies, so
// a refresh happens here (or in the middleware), never in a Server Component, whose new tokens would be lost.
import { auth } from '../../../lib/auth'

export async function GET(request: Request): Promise<Response> {
  if (!(await auth().getSession(request))) return Response.json({ error: 'login_required' }, { status: 401 })
  const res = await auth().fetch(request, process.env.API_URL ?? '') // Bearer <access token>, refreshed when due
  return auth().commit(request, Response.json(await res.json(), { status: res.status })) // saves a refreshed session
}
