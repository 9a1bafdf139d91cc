// A provider in-process, at its real https URLs through an injected fetch: discovery, JWKS, a
// simulated login at /authorize, the token endpoint (code and refresh grants, client
// authentication, PKCE), userinfo, revocation and RP-initiated logout, shaped by a Profile.
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { type Grant, type IssuedTokens, type Profile, type TokenContext, type TokenShape, type User, guid, randomText, s256 } from './profile.js'

/** One request the stand-in received. */
export interface Received {
  method: string
  /** Origin and path, without the query. */
  endpoint: string
  url: string
  headers: Headers
  /** The parsed form body, for POSTs. */
  form?: Record<string, string>
}

export interface StandIn {
  profile: Profile
  /** The fetch to give the SDK: answers the provider's URLs, 404 for anything else, never the network. */
  fetch: typeof fetch
  received: Received[]
  /** The requests to the token endpoint. */
  tokenRequests(): Received[]
  /** What the provider issued, newest last. */
  issued: { accessTokens: string[]; idTokens: string[]; refreshTokens: string[] }
  /** The token endpoint's successful JSON bodies, newest last. */
  tokenResponses: Record<string, unknown>[]
  /** The user logs in at the authorization URL; returns the callback URL the browser is sent to. */
  login(authorizationUrl: URL | string, options?: { user?: Partial<User> }): string
  /** The provider stops honouring a refresh token (the user revoked access, an admin ended the session). */
  kill(refreshToken: string): void
  /** Signs a token as the provider would for a login with the profile's scope, with overrides (undefined removes a claim). */
  mint(kind: 'access' | 'id', overrides?: { claims?: Record<string, unknown>; header?: Record<string, unknown> }): Promise<string>
  /** The provider's end_session_endpoint: checks the logout request and returns where it sends the user. */
  endSession(url: URL): string
}

interface Key {
  kid: string
  privateKey: CryptoKey
  jwk: Record<string, unknown>
}

const now = (): number => Math.floor(Date.now() / 1000)

// RSA keys take a while to make, so a run makes three and every stand-in reuses them under its
// own kids: the ID-token key, a second one where access tokens have their own (Cognito), and an
// encryption key (Keycloak). No test relies on two providers having different key material.
const pairs = new Map<string, Promise<CryptoKeyPair>>()
function keyPair(slot: 'first' | 'second' | 'enc'): Promise<CryptoKeyPair> {
  let pair = pairs.get(slot)
  if (pair === undefined) pairs.set(slot, (pair = generateKeyPair(slot === 'enc' ? 'RSA-OAEP' : 'RS256')))
  return pair
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } })
}

function endpointOf(url: string): string {
  const u = new URL(url)
  return u.origin + u.pathname
}

/** RFC 6749 §2.3.1: client id and secret are form-encoded before Basic encoding. */
export function basicCredentials(header: string | null): { id: string; secret: string } | undefined {
  const m = /^Basic (.+)$/i.exec(header ?? '')
  if (!m) return undefined
  const [id = '', secret = ''] = atob(m[1]!).split(':')
  const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '))
  return { id: decode(id), secret: decode(secret) }
}

async function signed(shape: TokenShape, key: Key): Promise<string> {
  return new SignJWT(shape.claims).setProtectedHeader({ ...shape.header, alg: 'RS256', kid: key.kid }).sign(key.privateKey)
}

function withOverrides(shape: TokenShape, o: { claims?: Record<string, unknown>; header?: Record<string, unknown> }): TokenShape {
  const claims = { ...shape.claims, ...o.claims }
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k]
  return { header: { ...shape.header, ...o.header }, claims }
}

/** Makes a stand-in for one profile: its documents, its kids and its own state (codes, refresh tokens, requests). */
export async function createStandIn(profile: Profile): Promise<StandIn> {
  const m = profile.metadata as Record<string, string | undefined>
  const kids = [...new Set([profile.kids.idToken, profile.kids.accessToken])]
  const keys = new Map<string, Key>()
  await Promise.all(
    kids.map(async (kid, i) => {
      const { privateKey, publicKey } = await keyPair(i === 0 ? 'first' : 'second')
      keys.set(kid, { kid, privateKey, jwk: profile.jwk(await exportJWK(publicKey), kid) })
    }),
  )
  const jwks: Record<string, unknown>[] = [...keys.values()].map((k) => k.jwk)
  if (profile.publishesEncryptionKey === true) {
    const { publicKey } = await keyPair('enc')
    jwks.push({ kid: `enc-${profile.kids.idToken.slice(0, 8)}`, kty: 'RSA', alg: 'RSA-OAEP', use: 'enc', ...(await exportJWK(publicKey)) })
  }
  const idKey = keys.get(profile.kids.idToken)!
  const accessKey = keys.get(profile.kids.accessToken)!

  const received: Received[] = []
  const issued = { accessTokens: [] as string[], idTokens: [] as string[], refreshTokens: [] as string[] }
  const tokenResponses: Record<string, unknown>[] = []
  const codes = new Map<string, { grant: Grant; challenge: string; used: boolean }>()
  const refreshTokens = new Map<string, { grant: Grant; alive: boolean }>()
  const consented = new Set<string>()

  const defaultGrant = (): Grant => ({
    clientId: profile.client.id,
    redirectUri: profile.client.redirectUri,
    scope: profile.login.scope,
    params: new URLSearchParams({ scope: profile.login.scope, ...(profile.login.audience !== undefined && { audience: profile.login.audience }) }),
    user: profile.user,
    authTime: now(),
    sid: guid(),
    firstConsent: true,
  })

  const accessTokenFor = async (ctx: TokenContext): Promise<string> => {
    const shape = profile.accessToken(ctx)
    return typeof shape === 'string' ? shape : signed(shape, accessKey)
  }

  async function issue(grant: Grant, grantType: TokenContext['grantType'], refreshTokenUsed?: string): Promise<Response> {
    const ctx: TokenContext = { grant, grantType, now: now(), id: guid() }
    const tokens: IssuedTokens = { access_token: await accessTokenFor(ctx) }
    if (` ${grant.scope} `.includes(' openid ')) {
      const shape = await profile.idToken(ctx, tokens.access_token)
      tokens.id_token = await signed(shape, idKey)
      issued.idTokens.push(tokens.id_token)
    }
    const rotate = grantType === 'refresh_token' && profile.rotation !== 'none'
    if ((grantType === 'authorization_code' && profile.issuesRefreshToken(grant)) || rotate) {
      tokens.refresh_token = profile.refreshToken()
      refreshTokens.set(tokens.refresh_token, { grant, alive: true })
      issued.refreshTokens.push(tokens.refresh_token)
    }
    if (rotate && profile.rotation === 'rotate' && refreshTokenUsed !== undefined) refreshTokens.get(refreshTokenUsed)!.alive = false
    issued.accessTokens.push(tokens.access_token)
    const body = profile.tokenBody(ctx, tokens)
    tokenResponses.push(body)
    return json(body, 200, { 'cache-control': 'no-store', pragma: 'no-cache' })
  }

  function invalidClient(): Response {
    return json({ error: 'invalid_client', error_description: 'Client authentication failed.' }, 401)
  }

  async function token(request: Request, form: Record<string, string>): Promise<Response> {
    if (request.method !== 'POST') return json({ error: 'invalid_request' }, 405)
    if (!(request.headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) return json({ error: 'invalid_request' }, 400)
    const basic = basicCredentials(request.headers.get('authorization'))
    const method = basic !== undefined ? 'client_secret_basic' : 'client_secret_post'
    const id = basic?.id ?? form.client_id
    const secret = basic?.secret ?? form.client_secret
    if (!profile.client.authMethods.includes(method) || id !== profile.client.id || secret !== profile.client.secret) return invalidClient()
    if (basic !== undefined && form.client_secret !== undefined) return invalidClient() // two methods at once

    if (form.grant_type === 'authorization_code') {
      const bound = codes.get(form.code ?? '')
      if (bound === undefined || bound.used || bound.grant.clientId !== id) return json({ error: 'invalid_grant', error_description: 'Invalid authorization code' }, 400)
      bound.used = true
      if (form.redirect_uri !== bound.grant.redirectUri) return json({ error: 'invalid_grant', error_description: 'redirect_uri mismatch' }, 400)
      if (form.code_verifier === undefined || (await s256(form.code_verifier)) !== bound.challenge) {
        return json({ error: 'invalid_grant', error_description: 'PKCE verification failed' }, 400)
      }
      return issue(bound.grant, 'authorization_code')
    }
    if (form.grant_type === 'refresh_token') {
      const held = refreshTokens.get(form.refresh_token ?? '')
      if (held === undefined || !held.alive || held.grant.clientId !== id) return json(profile.deadRefreshToken.body, profile.deadRefreshToken.status)
      return issue(held.grant, 'refresh_token', form.refresh_token)
    }
    return json({ error: 'unsupported_grant_type' }, 400)
  }

  const routes = new Map<string, (request: Request, form: Record<string, string>) => Response | Promise<Response>>()
  routes.set(profile.discoveryUrl, () => json(profile.metadata))
  for (const [url, doc] of Object.entries(profile.documents ?? {})) routes.set(url, () => json(doc))
  if (m.jwks_uri) routes.set(m.jwks_uri, () => json({ keys: jwks }, 200, { 'cache-control': 'public, max-age=3600' }))
  if (m.token_endpoint) routes.set(m.token_endpoint, token)
  if (m.userinfo_endpoint) {
    routes.set(m.userinfo_endpoint, (request) => {
      const bearer = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1]
      if (bearer === undefined || !issued.accessTokens.includes(bearer)) return json({ error: 'invalid_token' }, 401, { 'www-authenticate': 'Bearer error="invalid_token"' })
      return json(profile.userinfo(defaultGrant()))
    })
  }
  if (m.revocation_endpoint) {
    routes.set(m.revocation_endpoint, (request, form) => {
      if (request.method !== 'POST' || form.token === undefined) return json({ error: 'invalid_request' }, 400)
      const held = refreshTokens.get(form.token)
      if (held !== undefined) held.alive = false
      return new Response(null, { status: 200 })
    })
  }

  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    const endpoint = endpointOf(request.url)
    const body = request.method === 'POST' ? await request.clone().text() : undefined
    const record: Received = { method: request.method, endpoint, url: request.url, headers: request.headers }
    if (body !== undefined) record.form = Object.fromEntries(new URLSearchParams(body))
    received.push(record)
    const route = routes.get(endpoint)
    return route === undefined ? json({ error: 'not_found' }, 404) : route(request, record.form ?? {})
  }) as typeof fetch

  return {
    profile,
    fetch: fetchFn,
    received,
    tokenRequests: () => received.filter((r) => r.endpoint === m.token_endpoint),
    issued,
    tokenResponses,
    login(authorizationUrl, options = {}) {
      const url = new URL(authorizationUrl)
      const q = url.searchParams
      const refuse = (why: string): never => {
        throw new Error(`${profile.name} shows an error page at /authorize: ${why}`)
      }
      if (endpointOf(url.href) !== m.authorization_endpoint) refuse(`not its authorization endpoint: ${url.origin}${url.pathname}`)
      if (q.get('client_id') !== profile.client.id) refuse('unknown client_id')
      if (q.get('redirect_uri') !== profile.client.redirectUri) refuse('redirect_uri is not registered')
      if (q.get('response_type') !== 'code') refuse('response_type must be code')
      if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) refuse('PKCE S256 is required')
      const providerSays = profile.refuse?.(q)
      if (providerSays !== undefined) refuse(providerSays)
      const user = { ...profile.user, ...options.user }
      const scope = q.get('scope') ?? ''
      const grant: Grant = {
        clientId: profile.client.id,
        redirectUri: profile.client.redirectUri,
        scope,
        params: new URLSearchParams(q),
        user,
        authTime: now(),
        sid: guid(),
        firstConsent: !consented.has(user.sub),
      }
      const nonce = q.get('nonce')
      if (nonce !== null) grant.nonce = nonce
      consented.add(user.sub)
      const code = randomText(32)
      codes.set(code, { grant, challenge: q.get('code_challenge')!, used: false })
      const back = new URL(profile.client.redirectUri)
      back.searchParams.set('code', code)
      const state = q.get('state')
      if (state !== null) back.searchParams.set('state', state)
      if (profile.metadata.authorization_response_iss_parameter_supported === true) back.searchParams.set('iss', profile.issuer)
      for (const [k, v] of Object.entries(profile.callbackExtras?.(grant) ?? {})) back.searchParams.set(k, v)
      return back.href
    },
    kill(refreshToken) {
      const held = refreshTokens.get(refreshToken)
      if (held === undefined) throw new Error('the stand-in never issued this refresh token')
      held.alive = false
    },
    async mint(kind, overrides = {}) {
      const ctx: TokenContext = { grant: defaultGrant(), grantType: 'authorization_code', now: now(), id: guid() }
      if (kind === 'id') {
        const idToken = await signed(withOverrides(await profile.idToken(ctx, randomText(20)), overrides), idKey)
        issued.idTokens.push(idToken)
        return idToken
      }
      const shape = profile.accessToken(ctx)
      if (typeof shape === 'string') throw new Error(`${profile.name} access tokens are opaque`)
      return signed(withOverrides(shape, overrides), accessKey)
    },
    endSession(url) {
      const q = url.searchParams
      if (endpointOf(url.href) !== m.end_session_endpoint) throw new Error(`not the end_session_endpoint: ${url.href}`)
      const hint = q.get('id_token_hint')
      if (hint !== null && !issued.idTokens.includes(hint)) throw new Error('id_token_hint is not an ID token this provider issued')
      if (q.get('client_id') !== null && q.get('client_id') !== profile.client.id) throw new Error('unknown client_id')
      const back = q.get('post_logout_redirect_uri')
      if (back === null) return `${url.origin}/logged-out`
      if (back !== profile.client.logoutUri) throw new Error('post_logout_redirect_uri is not registered')
      return back
    },
  }
}
