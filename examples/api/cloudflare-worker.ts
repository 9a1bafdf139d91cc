// A Cloudflare Worker API: one verifier per isolate, made from env on the first request.
import { createAccessTokenVerifier, errorResponse } from 'authcode/api'
import type { AccessTokenVerifier } from 'authcode/api'

export interface Env {
  AUTH0_DOMAIN: string
  AUTH0_AUDIENCE: string
}

const contacts = [{ id: 1, name: 'Ada Lovelace', email: 'ada@example.com' }]

// Module scope lives as long as the isolate: its requests share the verifier and its cached keys.
let verify: AccessTokenVerifier | undefined

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== 'GET' || new URL(request.url).pathname !== '/api/contacts') {
      return Response.json({ error: 'not_found' }, { status: 404 })
    }
    verify ??= createAccessTokenVerifier({ domain: env.AUTH0_DOMAIN, audience: env.AUTH0_AUDIENCE })
    try {
      const claims = await verify(request.headers.get('authorization'), { requiredScopes: ['read:contacts'] })
      return Response.json({ owner: claims.sub, contacts })
    } catch (err) {
      // 401/403 with the WWW-Authenticate challenge, 503 when the keys can't be fetched.
      const response = errorResponse(err)
      if (response) return response
      throw err // the runtime answers 500
    }
  },
}
