// GET /api/contacts on plain node:http: the verifier, and RFC 6750 answers around it.
import { type ServerResponse, createServer } from 'node:http'
import { createAccessTokenVerifier, errorResponse } from 'authcode/api'
import type { AccessTokenVerifierOptions } from 'authcode/api'

const contacts = [{ id: 1, name: 'Ada Lovelace', email: 'ada@example.com' }]

export function createApp(options: AccessTokenVerifierOptions) {
  const verify = createAccessTokenVerifier(options) // one per app: the keys are fetched once, then cached
  return createServer(async (req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/api/contacts') return json(res, 404, { error: 'not_found' })
    try {
      const claims = await verify(req.headers.authorization, { requiredScopes: ['read:contacts'] })
      json(res, 200, { owner: claims.sub, contacts })
    } catch (err) {
      // 401/403 with the WWW-Authenticate challenge, or 503 when the issuer's keys can't be fetched.
      const answer = errorResponse(err)
      if (!answer) {
        console.error(err) // authcode errors never carry the token
        return json(res, 500, { error: 'server_error' })
      }
      res.writeHead(answer.status, Object.fromEntries(answer.headers)).end(await answer.text())
    }
  })
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
}

function main(): void {
  const port = Number(process.env.PORT ?? 3000)
  createApp({ domain: process.env.AUTH0_DOMAIN ?? '', audience: process.env.AUTH0_AUDIENCE ?? '' })
    .listen(port, () => console.log(`GET http://localhost:${port}/api/contacts`))
}

// Listen only when run as a script; importing this file (as the tests do) starts nothing.
if (process.argv[1] === import.meta.filename) main()
