// Hono: a middleware verifies the token and sets c.get('auth'); the same file runs on Node and Bun.
import { serve } from '@hono/node-server'
import { Hono, type MiddlewareHandler } from 'hono'
import { createAccessTokenVerifier, errorResponse } from 'authcode/api'
import type { AccessTokenClaims, AccessTokenVerifierOptions, VerifyOptions } from 'authcode/api'

export type AuthEnv = { Variables: { auth: AccessTokenClaims } }

const contacts = [{ id: 1, name: 'Ada Lovelace', email: 'ada@example.com' }]

export function createApp(options: AccessTokenVerifierOptions): Hono<AuthEnv> {
  const verify = createAccessTokenVerifier(options) // one per app: the keys are fetched once, then cached
  const requireAuth = (verifyOptions: VerifyOptions): MiddlewareHandler<AuthEnv> => async (c, next) => {
    try {
      c.set('auth', await verify(c.req.header('authorization'), verifyOptions))
    } catch (err) {
      const response = errorResponse(err) // 401/403 with WWW-Authenticate, or 503
      if (response) return response
      throw err // Hono's onError answers 500
    }
    await next()
  }
  return new Hono<AuthEnv>().get('/api/contacts', requireAuth({ requiredScopes: ['read:contacts'] }), (c) =>
    c.json({ owner: c.get('auth').sub, contacts }),
  )
}

function main(): void {
  const app = createApp({ domain: process.env.AUTH0_DOMAIN ?? '', audience: process.env.AUTH0_AUDIENCE ?? '' })
  // @hono/node-server's serve works on Node and on Bun (through its node:http), so no runtime switch.
  serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) }, ({ port }) =>
    console.log(`GET http://localhost:${port}/api/contacts`),
  )
}

// Listen only when run as a script; importing this file (as the tests do) starts nothing.
if (process.argv[1] === import.meta.filename) main()
