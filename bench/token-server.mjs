// The local token endpoint the benchmarks call: node:http on 127.0.0.1, in a child process of its own
// so that its work runs on the machine's other core and not inside the client being measured.
//
//   const server = await startTokenServer()   // { origin, issuer, stats(), reset(), close() }
//
// It answers every well-formed grant with the same token set (no checks of codes or secrets: the
// cost of the server is the same for every client, and the client side is what is compared), and
// counts the requests per grant so the concurrent-refresh metric can read the server hits.
// Paths under /_auth0/ serve the same endpoints under the issuer https://bench.auth0.example/, for
// the clients that only take an Auth0 domain (they reach it through a fetch that rewrites the origin).
import { fork } from 'node:child_process'
import { createServer } from 'node:http'

export const AUTH0_DOMAIN = 'bench.auth0.example'

// A realistically sized access token (an RS256 JWT is ~800 characters); the server never verifies it.
const ACCESS_TOKEN = `eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImJlbmNoIn0.${Buffer.from(
  JSON.stringify({
    iss: `https://${AUTH0_DOMAIN}/`,
    sub: 'auth0|64f0c0ffee0000000000jane',
    aud: ['https://api.bench.example', `https://${AUTH0_DOMAIN}/userinfo`],
    iat: 1700000000,
    exp: 4100000000,
    scope: 'openid profile email offline_access read:contacts',
    azp: 'bench-client',
    client_id: 'bench-client',
    jti: 'a'.repeat(22),
  }),
).toString('base64url')}.${'s'.repeat(342)}`

function metadata(issuer) {
  const base = issuer.replace(/\/$/, '')
  return {
    issuer,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/oauth/token`,
    userinfo_endpoint: `${base}/userinfo`,
    revocation_endpoint: `${base}/oauth/revoke`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    id_token_signing_alg_values_supported: ['RS256'],
    subject_types_supported: ['public'],
  }
}

function serve() {
  const hits = { total: 0, authorization_code: 0, refresh_token: 0, other: 0 }
  const server = createServer((req, res) => {
    const local = req.url.startsWith('/_auth0/')
    const path = local ? req.url.slice('/_auth0'.length) : req.url
    const issuer = local ? `https://${AUTH0_DOMAIN}/` : `http://127.0.0.1:${server.address().port}/`
    const json = (status, body) => {
      const text = JSON.stringify(body)
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
      res.end(text)
    }
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') return json(200, metadata(issuer))
    if (req.method === 'GET' && path === '/_stats') return json(200, hits)
    if (req.method === 'POST' && path === '/_reset') {
      for (const k of Object.keys(hits)) hits[k] = 0
      return json(200, hits)
    }
    if (req.method === 'POST' && path === '/oauth/token') {
      const chunks = []
      req.on('data', (c) => chunks.push(c))
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
        const grant = form.get('grant_type')
        hits.total++
        if (grant === 'authorization_code' && form.get('code')) {
          hits.authorization_code++
          return json(200, { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 86400, refresh_token: 'bench-refresh-token-0000000000000000000000', scope: 'read:contacts offline_access' })
        }
        if (grant === 'refresh_token' && form.get('refresh_token')) {
          hits.refresh_token++
          // A few milliseconds of "database work", so that concurrent refreshes overlap as they do for real.
          return setTimeout(() => json(200, { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 86400, scope: 'read:contacts offline_access' }), 5)
        }
        hits.other++
        return json(400, { error: 'invalid_request', error_description: 'unsupported grant in the bench server' })
      })
      return undefined
    }
    return json(404, { error: 'not_found' })
  })
  server.keepAliveTimeout = 30_000
  server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }))
  process.on('disconnect', () => process.exit(0))
}

/** Starts the server in a child process; resolves once it listens. */
export async function startTokenServer() {
  const child = fork(new URL(import.meta.url).pathname, ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const port = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.port))
    child.once('exit', (code) => reject(new Error(`the bench token server exited (${code})`)))
  })
  const origin = `http://127.0.0.1:${port}`
  return {
    origin,
    issuer: `${origin}/`,
    tokenEndpoint: `${origin}/oauth/token`,
    async stats() {
      return (await fetch(`${origin}/_stats`)).json()
    },
    async reset() {
      await (await fetch(`${origin}/_reset`, { method: 'POST' })).arrayBuffer()
    },
    close() {
      child.disconnect()
      child.kill()
    },
  }
}

/**
 * A fetch for the clients that only take an Auth0 domain: https://bench.auth0.example/... goes to
 * the local server's /_auth0/... paths. Its cost (one string check and concatenation) is in
 * those clients' numbers.
 */
export function auth0RewriteFetch(origin) {
  const prefix = `https://${AUTH0_DOMAIN}/`
  const target = `${origin}/_auth0/`
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (url.startsWith(prefix)) {
      if (input instanceof Request) return fetch(new Request(target + url.slice(prefix.length), input), init)
      return fetch(target + url.slice(prefix.length), init)
    }
    return fetch(input, init)
  }
}

if (process.argv.includes('--serve')) serve()
