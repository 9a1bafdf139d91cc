// A Next.js App Router route handler (app/api/contacts/route.ts): GET(request) -> Response, nothing from Next needed.
import { createAccessTokenVerifier, errorResponse } from 'authcode/api'
import type { AccessTokenVerifier } from 'authcode/api'

const contacts = [{ id: 1, name: 'Ada Lovelace', email: 'ada@example.com' }]

// Module scope lives as long as the server process (or the serverless instance): its requests
// share the verifier and its cached keys. Made on the first request, so `next build` needs no env.
let verify: AccessTokenVerifier | undefined

function verifier(): AccessTokenVerifier {
  const issuer = process.env.AUTH0_ISSUER // any OpenID provider's issuer URL; or an Auth0 tenant's AUTH0_DOMAIN
  return createAccessTokenVerifier({
    ...(issuer ? { issuer } : { domain: process.env.AUTH0_DOMAIN ?? '' }),
    audience: process.env.AUTH0_AUDIENCE ?? '',
    // Plain http only for an issuer on this machine (a local dev server); a real tenant is https.
    allowInsecureRequests: /^http:\/\/(localhost|127\.0\.0\.1)([:/]|$)/.test(issuer ?? ''),
  })
}

export async function GET(request: Request): Promise<Response> {
  verify ??= verifier()
  try {
    const claims = await verify(request.headers.get('authorization'), { requiredScopes: ['read:contacts'] })
    return Response.json({ owner: claims.sub, contacts })
  } catch (err) {
    // 401/403 with the WWW-Authenticate challenge, 503 when the keys can't be fetched.
    const response = errorResponse(err)
    if (response) return response
    throw err // Next answers 500
  }
}
