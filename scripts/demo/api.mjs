// The demo's protected API: GET /api/contacts for an access token with read:contacts, verified by authcode/api.
import { createServer } from 'node:http'
import { createAccessTokenVerifier, errorResponse } from 'authcode/api'
import { closeServer, listen } from './net.mjs'

export const REQUIRED_SCOPES = Object.freeze(['read:contacts'])

/** The contacts the API hands out. */
export const CONTACTS = Object.freeze([
  Object.freeze({ name: 'Ada Lovelace', email: 'ada@example.com' }),
  Object.freeze({ name: 'Grace Hopper', email: 'grace@example.com' }),
  Object.freeze({ name: 'Alan Turing', email: 'alan@example.com' }),
])

/**
 * Starts the protected API: `GET /api/contacts` answers the contacts to a request whose
 * `Authorization: Bearer <access token>` verifies (issuer, audience, expiry, signature) and
 * grants `read:contacts`; otherwise the 401/403/503 of `errorResponse`.
 *
 * @param {{ port?: number, issuer?: string, domain?: string, audience: string, allowInsecureRequests?: boolean }} p
 *   `issuer` (any OpenID provider; `allowInsecureRequests` for the local http one) or `domain` (Auth0)
 * @returns {Promise<{ url: string, contactsUrl: string, close(): Promise<void> }>}
 */
export async function startApi({ port = 0, issuer, domain, audience, allowInsecureRequests = false }) {
  const verify = createAccessTokenVerifier(
    domain !== undefined ? { domain, audience } : { issuer, audience, allowInsecureRequests },
  )
  const server = createServer(async (req, res) => {
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers })
      res.end(JSON.stringify(body))
    }
    const { pathname } = new URL(req.url ?? '/', 'http://api.invalid')
    if (pathname !== '/api/contacts') return send(404, { error: 'not_found', error_description: `No ${pathname} here; try GET /api/contacts` })
    if (req.method !== 'GET') return send(405, { error: 'method_not_allowed', error_description: 'Use GET' }, { allow: 'GET' })
    try {
      const claims = await verify(req.headers.authorization, { requiredScopes: REQUIRED_SCOPES })
      return send(200, { user: claims.sub, contacts: CONTACTS })
    } catch (err) {
      const answer = errorResponse(err)
      if (answer === undefined) {
        console.error('api: unexpected error', err)
        return send(500, { error: 'server_error', error_description: 'The API failed (see its log)' })
      }
      res.writeHead(answer.status, Object.fromEntries(answer.headers))
      return res.end(await answer.text())
    }
  })
  const url = await listen(server, port)
  return { url, contactsUrl: `${url}/api/contacts`, close: () => closeServer(server) }
}
