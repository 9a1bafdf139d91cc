// The hand-written baseline: the same operations with URLSearchParams, fetch and crypto.subtle
// and nothing else. It stands for the physical limit, so it does the least a correct client must
// do (it checks what a server could get wrong, and no more), with no configuration checks, no
// timeouts, no retries, no error types. Every export stands alone (no imports, no side effects)
// so the size benchmark can bundle each one as a user would copy it into an app.

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function base64url(bytes) {
  return btoa(String.fromCharCode.apply(null, bytes)).replace(/=/g, '').replace(/\+/g, '-').replace(/\//g, '_')
}

function fromBase64url(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/')
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))
  const bytes = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
  return bytes
}

/** 32 random bytes, base64url: a state, a nonce or a PKCE verifier (43 characters). */
export function randomToken() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)))
}

/** The /authorize URL (response_type=code), from values the caller made. */
export function buildAuthorizeUrl(p) {
  const url = new URL(p.authorizationEndpoint)
  const q = url.searchParams
  q.set('response_type', 'code')
  q.set('client_id', p.clientId)
  q.set('redirect_uri', p.redirectUri)
  if (p.scope) q.set('scope', p.scope)
  if (p.audience) q.set('audience', p.audience)
  q.set('state', p.state)
  if (p.codeChallenge) {
    q.set('code_challenge', p.codeChallenge)
    q.set('code_challenge_method', 'S256')
  }
  return url
}

/** A login: state, PKCE S256 verifier and challenge, and the URL. */
export async function createAuthorizationRequest(p) {
  const state = randomToken()
  const codeVerifier = randomToken()
  const codeChallenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(codeVerifier))))
  return { url: buildAuthorizeUrl({ ...p, state, codeChallenge }), state, codeVerifier }
}

/** The code of a callback whose state matches; throws otherwise. */
export function validateCallback(callbackUrl, expectedState) {
  const q = new URL(callbackUrl).searchParams
  if (q.get('error')) throw new Error(`authorization failed: ${q.get('error')}`)
  if (q.get('state') !== expectedState) throw new Error('state mismatch')
  const code = q.get('code')
  if (!code) throw new Error('no code')
  return code
}

async function tokenRequest(p, body) {
  body.set('client_id', p.clientId)
  if (p.clientSecret) body.set('client_secret', p.clientSecret)
  const res = await (p.fetch ?? fetch)(p.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body,
  })
  const json = await res.json()
  if (!res.ok) throw new Error(`token endpoint: ${json.error}`)
  if (typeof json.access_token !== 'string' || typeof json.token_type !== 'string') throw new Error('bad token response')
  return json
}

/** grant_type=authorization_code, client_secret_post. Returns the token response JSON. */
export function exchangeCode(p) {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code: p.code, redirect_uri: p.redirectUri })
  if (p.codeVerifier) body.set('code_verifier', p.codeVerifier)
  return tokenRequest(p, body)
}

/** grant_type=refresh_token, client_secret_post. Returns the token response JSON. */
export function refresh(p) {
  return tokenRequest(p, new URLSearchParams({ grant_type: 'refresh_token', refresh_token: p.refreshToken }))
}

const ALGS = {
  RS256: { import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verify: { name: 'RSASSA-PKCS1-v1_5' } },
  ES256: { import: { name: 'ECDSA', namedCurve: 'P-256' }, verify: { name: 'ECDSA', hash: 'SHA-256' } },
}

/**
 * An access-token verifier: JWKS fetched once and its keys imported once (by kid), then per
 * token: split, alg allow-list, crypto.subtle.verify, and the iss, aud and exp checks.
 */
export function createVerifier(p) {
  let keys
  const getKey = async (kid, alg) => {
    keys ??= (async () => {
      const jwks = await (await (p.fetch ?? fetch)(p.jwksUri)).json()
      const map = new Map()
      for (const jwk of jwks.keys) {
        if (ALGS[jwk.alg]) map.set(jwk.kid, { alg: jwk.alg, key: await crypto.subtle.importKey('jwk', jwk, ALGS[jwk.alg].import, false, ['verify']) })
      }
      return map
    })()
    const entry = (await keys).get(kid)
    if (!entry || entry.alg !== alg) throw new Error('no key for this kid and alg')
    return entry.key
  }
  return async (token) => {
    const parts = token.split('.')
    if (parts.length !== 3) throw new Error('not a JWS')
    const header = JSON.parse(decoder.decode(fromBase64url(parts[0])))
    if (!p.algorithms.includes(header.alg)) throw new Error('alg not allowed')
    const key = await getKey(header.kid, header.alg)
    const ok = await crypto.subtle.verify(ALGS[header.alg].verify, key, fromBase64url(parts[2]), encoder.encode(`${parts[0]}.${parts[1]}`))
    if (!ok) throw new Error('bad signature')
    const claims = JSON.parse(decoder.decode(fromBase64url(parts[1])))
    if (claims.iss !== p.issuer) throw new Error('iss')
    if (!(Array.isArray(claims.aud) ? claims.aud.includes(p.audience) : claims.aud === p.audience)) throw new Error('aud')
    if (typeof claims.exp !== 'number' || claims.exp <= Date.now() / 1000) throw new Error('exp')
    return claims
  }
}
