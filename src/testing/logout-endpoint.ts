// GET /v2/logout (Auth0's, with returnTo) and /oidc/logout (RP-initiated logout, with
// post_logout_redirect_uri and state): a redirect back, or a plain OK with nowhere to go.

export function logoutEndpoint(request: Request, returnParam: 'returnTo' | 'post_logout_redirect_uri'): Response {
  const q = new URL(request.url).searchParams
  const target = q.get(returnParam)
  if (target === null) return new Response('OK', { status: 200, headers: { 'content-type': 'text/plain' } })
  const location = new URL(target)
  const state = q.get('state')
  if (state !== null && returnParam === 'post_logout_redirect_uri') location.searchParams.set('state', state)
  return new Response(null, { status: 302, headers: { location: location.href } })
}
