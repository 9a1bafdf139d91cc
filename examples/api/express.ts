// Express 5: a requireAuth({ requiredScopes }) middleware on the verifier; req.auth holds the claims.
import express, { type RequestHandler } from 'express'
import { createAccessTokenVerifier, errorResponse } from 'authcode/api'
import type { AccessTokenClaims, AccessTokenVerifierOptions, VerifyOptions } from 'authcode/api'

declare global {
  namespace Express {
    interface Request {
      /** The verified access token's claims, set by requireAuth. */
      auth?: AccessTokenClaims
    }
  }
}

export function createRequireAuth(options: AccessTokenVerifierOptions) {
  const verify = createAccessTokenVerifier(options) // one per app: the keys are fetched once, then cached
  return (verifyOptions: VerifyOptions = {}): RequestHandler => async (req, res, next) => {
    try {
      req.auth = await verify(req.headers.authorization, verifyOptions)
    } catch (err) {
      // 401/403 with the WWW-Authenticate challenge, or 503 when the issuer's keys can't be fetched.
      const answer = errorResponse(err)
      if (!answer) return next(err) // Express's error handler answers 500
      res.status(answer.status).set(Object.fromEntries(answer.headers)).send(await answer.text())
      return
    }
    next()
  }
}

const contacts = [{ id: 1, name: 'Ada Lovelace', email: 'ada@example.com' }]

export function createApp(options: AccessTokenVerifierOptions) {
  const requireAuth = createRequireAuth(options)
  const app = express()
  app.get('/api/contacts', requireAuth({ requiredScopes: ['read:contacts'] }), (req, res) => {
    res.json({ owner: req.auth?.sub, contacts })
  })
  return app
}

function main(): void {
  const port = Number(process.env.PORT ?? 3000)
  createApp({ domain: process.env.AUTH0_DOMAIN ?? '', audience: process.env.AUTH0_AUDIENCE ?? '' })
    .listen(port, () => console.log(`GET http://localhost:${port}/api/contacts`))
}

// Listen only when run as a script; importing this file (as the tests do) starts nothing.
if (process.argv[1] === import.meta.filename) main()
