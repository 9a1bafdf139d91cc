// Deno: Deno.serve with GET /api/contacts; `authcode/api` comes from deno.json ("authcode": "npm:authcode@^0.1.0").
import { createAccessTokenVerifier, errorResponse } from 'authcode/api'

// Just what this file uses, so `tsc` (Node types) checks it too; under Deno the real global is used.
declare const Deno: {
  env: { get(name: string): string | undefined }
  serve(
    options: { hostname: string; port: number; onListen(addr: { hostname: string; port: number }): void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown
}

const contacts = [{ id: 1, name: 'Ada Lovelace', email: 'ada@example.com' }]
const issuer = Deno.env.get('AUTH0_ISSUER') // any OpenID provider's issuer URL; or an Auth0 tenant's AUTH0_DOMAIN
const verify = createAccessTokenVerifier({
  ...(issuer ? { issuer } : { domain: Deno.env.get('AUTH0_DOMAIN') ?? '' }),
  audience: Deno.env.get('AUTH0_AUDIENCE') ?? '',
  // Plain http only for an issuer on this machine (a local dev server); a real tenant is https.
  allowInsecureRequests: /^http:\/\/(localhost|127\.0\.0\.1)([:/]|$)/.test(issuer ?? ''),
}) // one per process: the keys are fetched once, then cached

const hostname = '127.0.0.1' // '0.0.0.0' to take requests from other machines (and --allow-net for it)
const onListen = ({ port }: { port: number }) => console.log(`GET http://${hostname}:${port}/api/contacts`)
Deno.serve({ hostname, port: Number(Deno.env.get('PORT') ?? 3000), onListen }, async (request) => {
  if (request.method !== 'GET' || new URL(request.url).pathname !== '/api/contacts') {
    return Response.json({ error: 'not_found' }, { status: 404 })
  }
  try {
    const claims = await verify(request.headers.get('authorization'), { requiredScopes: ['read:contacts'] })
    return Response.json({ owner: claims.sub, contacts })
  } catch (err) {
    const response = errorResponse(err) // 401/403 with the WWW-Authenticate challenge, or 503
    if (response) return response
    throw err // Deno.serve logs it and answers 500
  }
})
