// A real authcode/server session for metric 8: one login through auth.handle against the
// stand-in Auth0 tenant of authcode/testing (msw, in this process, closed again before any
// timing), and the key the raw baseline decrypts its cookie with.
import { createAuth } from '../../dist/server/index.js'
import { createTestTenant } from '../../dist/testing/index.js'
import { createAuth0Handlers } from '../../dist/testing/msw.js'

export const DOMAIN = 'sessions.bench.auth0.example'
export const CLIENT_ID = 'bench-sessions-client'
export const CLIENT_SECRET = 'bench-sessions-client-secret-0123456789'
export const APP_ORIGIN = 'https://app.bench.example'
export const API = 'https://api.bench.example'
export const SECRET = 'bench-session-secret-0123456789abcdefghij'
export const USER = { sub: 'auth0|64f0c0ffee0000000000jane', name: 'Jane Doe', email: 'jane@example.com' }

/** The options of every createAuth of the bench: an Auth0 domain, the API audience (so a refresh token and an access token JWT). */
export const AUTH_OPTIONS = Object.freeze({
  domain: DOMAIN,
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  baseUrl: APP_ORIGIN,
  secret: SECRET,
  authorizationParams: { audience: API },
})

/** A browser's cookie jar, enough for one login. */
function cookieJar() {
  const jar = new Map()
  return {
    take(response) {
      for (const header of response.headers.getSetCookie()) {
        const pair = header.slice(0, header.indexOf(';'))
        const name = pair.slice(0, pair.indexOf('='))
        if (/;\s*max-age=0(;|$)/i.test(header)) jar.delete(name)
        else jar.set(name, pair.slice(name.length + 1))
      }
      return response
    },
    header: () => [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
    entries: () => [...jar],
  }
}

/**
 * Logs Jane in: GET /auth/login, the tenant's /authorize, GET /auth/callback. Returns the
 * createAuth it logged in with, the request's Cookie header, the sealed JWE the chunks join
 * to, and the session that seal holds (to give the peers' cookies the same content).
 */
export async function logIn() {
  const { setupServer } = await import('msw/node')
  const tenant = await createTestTenant({ domain: DOMAIN, clientId: CLIENT_ID })
  const auth0 = createAuth0Handlers(tenant, { clientSecret: CLIENT_SECRET, audience: API })
  const server = setupServer(...auth0.handlers)
  server.listen({ onUnhandledRequest: 'error' })
  const jar = cookieJar()
  const auth = createAuth(AUTH_OPTIONS)
  const app = auth.wrap(async () => new Response('app'))
  try {
    const request = (url) => new Request(url, { headers: { cookie: jar.header() } })
    const start = jar.take(await app(request(`${APP_ORIGIN}/auth/login`)))
    const callback = await auth0.authorize(new URL(start.headers.get('location')), { user: USER })
    const done = jar.take(await app(request(callback)))
    if (done.status !== 302) throw new Error(`the login's callback answered ${done.status}: ${await done.text()}`)
  } finally {
    server.close()
  }
  const chunks = jar.entries().filter(([name]) => name.includes('authcode.session'))
  if (chunks.length === 0) throw new Error('the login set no session cookie')
  // Chunks are name.0 ("<count>~" first), name.1, …; joined they are the JWE.
  const sealed = chunks
    .sort(([a], [b]) => Number(a.slice(a.lastIndexOf('.') + 1)) - Number(b.slice(b.lastIndexOf('.') + 1)))
    .map(([, value], i) => (i === 0 ? value.replace(/^\d+~/, '') : value))
    .join('')
  const key = await sessionKey(SECRET)
  const { compactDecrypt } = await import('jose')
  const { plaintext } = await compactDecrypt(sealed, key)
  const session = JSON.parse(new TextDecoder().decode(plaintext)).d
  return { auth, cookie: jar.header(), chunks: chunks.length, sealed, key, session }
}

/**
 * The AES-GCM key authcode seals server sessions with: HKDF-SHA-256 of the secret, salt and
 * info as src/cookies/seal.ts derives it for the purpose "server.session". Derived once, as
 * authcode caches it; if the derivation ever changes, the baseline's decryption fails loudly.
 */
export async function sessionKey(secret) {
  const encoder = new TextEncoder()
  const ikm = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveBits'])
  const salt = 'authcode.seal.v1'
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode(salt), info: encoder.encode(`${salt} server.session`) },
    ikm,
    256,
  )
  return crypto.subtle.importKey('raw', bits, { name: 'AES-GCM', length: 256 }, false, ['decrypt'])
}
