// Deno: Deno.serve with auth.wrap around the app; `authcode/server` comes from deno.json ("authcode": "npm:authcode@^0.1.0").
import { createAuth } from 'authcode/server'

// Just what this file uses, so `tsc` (Node types) checks it too; under Deno the real global is used.
declare const Deno: {
  env: { get(name: string): string | undefined }
  serve(
    options: { hostname: string; port: number; onListen(addr: { hostname: string; port: number }): void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown
}

const env = (name: string) => Deno.env.get(name) ?? ''
const issuer = Deno.env.get('AUTH0_ISSUER') // any OpenID provider's issuer URL; or an Auth0 tenant's AUTH0_DOMAIN
const auth = createAuth({
  ...(issuer ? { issuer } : { domain: env('AUTH0_DOMAIN') }),
  clientId: env('AUTH0_CLIENT_ID'),
  clientSecret: env('AUTH0_CLIENT_SECRET'),
  baseUrl: env('APP_BASE_URL'),
  secret: env('AUTH_SECRET'),
  authorizationParams: { scope: 'openid profile email offline_access read:contacts', audience: env('AUTH0_AUDIENCE') },
  // Plain http only for an issuer on this machine (a local dev server); a real tenant is https.
  allowInsecureRequests: /^http:\/\/(localhost|127\.0\.0\.1)([:/]|$)/.test(issuer ?? ''),
})

const onListen = ({ hostname, port }: { hostname: string; port: number }) => console.log(`GET http://${hostname}:${port}/me`)
Deno.serve({ hostname: '127.0.0.1', port: Number(Deno.env.get('PORT') ?? 3000), onListen }, auth.wrap(async (request) => {
  if (new URL(request.url).pathname !== '/me') return new Response('Not Found', { status: 404 })
  const session = await auth.getSession(request)
  if (!session) return Response.redirect(new URL('/auth/login?returnTo=/me', request.url))
  const res = await auth.fetch(request, env('API_URL')) // Bearer <access token>, refreshed when due
  return Response.json({ user: session.user, contacts: await res.json() })
}))
