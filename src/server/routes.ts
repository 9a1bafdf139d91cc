// The four routes: login, callback, logout and back-channel logout.
import type { ClientConfig } from '../config.js'
import { parseCookieHeader } from '../cookies/cookie.js'
import { openData, sealData } from '../cookies/seal.js'
import { ConfigError, SealError } from '../errors.js'
import { verifyLogoutToken } from '../api/logout-token.js'
import type { StandardSchemaV1 } from '../lib/standard-schema.js'
import { createAuthorizationRequest, type AuthorizationTransaction } from '../login/authorization-request.js'
import type { AuthorizeOptions } from '../login/authorize.js'
import { validateCallback } from '../login/callback.js'
import { buildLogoutUrl } from '../login/logout.js'
import { randomTokens } from '../login/random.js'
import type { SessionData } from '../storage/session-store.js'
import type { TokenClient } from '../tokens/token-client.js'
import { epochSeconds } from '../token-set.js'
import { type CallbackFailure, failure, failureOf, failurePage } from './failure.js'
import { type Jar, MAX_TRANSACTIONS, TRANSACTION_SECONDS, clearTx, setTx, txName, txNames } from './jar.js'
import type { AuthOptions, ResolvedAuthOptions } from './options.js'
import { safeReturnTo } from './return-to.js'
import { type Sessions, toSession } from './sessions.js'
import { toAccessToken } from './tokens.js'

/** What the routes share with createAuth. */
export interface RouteContext {
  readonly options: AuthOptions<StandardSchemaV1 | undefined>
  readonly o: ResolvedAuthOptions
  readonly config: ClientConfig
  readonly client: TokenClient
  readonly jar: Jar
  readonly sessions: Sessions
  readonly base: (request: Request) => URL
  /** Records a callback's transaction as used; false when it was used before. */
  readonly consume: (jti: string, exp: number) => boolean
  /** Records a logout token's jti; true when it was seen before. */
  readonly seen: (jti: string) => boolean
}

/** Query parameters a login link may pass on to the provider (AuthorizeOptions names them in camelCase). */
const LOGIN_PARAMS = ['organization', 'invitation', 'screen_hint', 'login_hint', 'prompt', 'ui_locales', 'connection']

const MAX_PARAM_LENGTH = 512

interface ServerTransaction extends AuthorizationTransaction {
  returnTo: string
}

const noStore = { 'cache-control': 'no-store' }

/** A response that no cache keeps: every answer of the auth routes. */
export function answer(body: BodyInit | null, status: number, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...noStore, ...headers } })
}

export const notAllowed = (allow: string): Response => answer('Method Not Allowed', 405, { allow })

function redirect(location: string, setCookies: readonly string[], status = 302): Response {
  const res = answer(null, status, { location })
  for (const value of setCookies) res.headers.append('set-cookie', value)
  return res
}

/** The base URL's path, without its trailing slash: "" for an app at the root. */
function basePath(base: URL): string {
  return base.pathname.replace(/\/+$/, '')
}

/** The base URL's path joined with a route. */
export function at(base: URL, path: string): URL {
  return new URL(`${basePath(base)}${path}`, base.origin)
}

export async function login(ctx: RouteContext, request: Request): Promise<Response> {
  const url = new URL(request.url)
  const base = ctx.base(request)
  const returnTo = safeReturnTo(url.searchParams.get('returnTo'), base) ?? `${basePath(base)}/`
  const params: AuthorizeOptions = { scope: 'openid profile email offline_access', ...ctx.options.authorizationParams }
  for (const query of LOGIN_PARAMS) {
    const value = url.searchParams.get(query)
    const name = query.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()) as 'screenHint'
    if (value !== null && value !== '' && value.length <= MAX_PARAM_LENGTH) params[name] = value
  }
  const { url: to, transaction } = await createAuthorizationRequest(ctx.config, {
    ...params,
    redirectUri: at(base, ctx.o.routes.callback).href,
  })
  const tx: ServerTransaction = { ...transaction, returnTo }
  const sealed = await sealData('server.transaction', tx, { secret: ctx.o.secret, ttlSeconds: TRANSACTION_SECONDS }, { jti: true })
  // One cookie per login, so logins in two tabs both work; the oldest beyond the cap go.
  const cookies = parseCookieHeader(request.headers.get('cookie'))
  const existing = txNames(ctx.jar, cookies)
  const drop = existing.slice(0, Math.max(0, existing.length - (MAX_TRANSACTIONS - 1)))
  return redirect(to.href, [setTx(ctx.jar, txName(ctx.jar, transaction.state), sealed), ...drop.map((n) => clearTx(ctx.jar, n))])
}

async function callbackParams(request: Request): Promise<URLSearchParams | undefined> {
  if (request.method === 'GET') return new URL(request.url).searchParams
  const type = request.headers.get('content-type') ?? ''
  if (request.method === 'POST' && type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return new URLSearchParams(await request.text())
  }
  return undefined
}

async function openTx(ctx: RouteContext, sealed: string): Promise<ServerTransaction> {
  const opened = await openData('server.transaction', sealed, { secret: ctx.o.secret })
  const tx = opened.data as ServerTransaction
  if (typeof tx?.state !== 'string' || typeof tx.codeVerifier !== 'string' || typeof tx.returnTo !== 'string' || opened.jti === undefined) {
    throw new SealError('invalid', 'The login cookie is not a transaction of authcode/server')
  }
  if (!ctx.consume(opened.jti, opened.exp)) throw new SealError('replayed', 'This login was already completed')
  return tx
}

export async function callback(ctx: RouteContext, request: Request): Promise<Response> {
  const params = await callbackParams(request)
  if (params === undefined) return notAllowed('GET, POST')
  const cookies = parseCookieHeader(request.headers.get('cookie'))
  const state = params.get('state')
  const name = state === null || state === '' ? undefined : txName(ctx.jar, state)
  const sealed = name === undefined ? undefined : cookies[name]
  const clear = name === undefined || sealed === undefined ? [] : [clearTx(ctx.jar, name)]
  let fail: CallbackFailure
  try {
    if (sealed === undefined) {
      fail = failure(state === null || state === '' ? 'invalid_callback' : 'missing_transaction')
    } else {
      const tx = await openTx(ctx, sealed)
      const { code } = validateCallback(params, { state: tx.state, issuer: tx.issuer, ...(tx.requireIssuer === true && { requireIssuer: true }) })
      const tokens = await ctx.client.exchangeCode({
        code,
        redirectUri: tx.redirectUri,
        codeVerifier: tx.codeVerifier,
        ...(tx.nonce !== undefined && { nonce: tx.nonce }),
        ...(tx.maxAge !== undefined && { maxAge: tx.maxAge }),
        ...(tx.organization !== undefined && { organization: tx.organization }),
        ...(ctx.options.claims !== undefined && { claims: ctx.options.claims }),
      })
      const claims = tokens.claims
      if (claims === undefined || typeof claims.sub !== 'string') {
        throw new ConfigError('authorizationParams.scope', 'must include "openid": a session needs the ID token of the user')
      }
      const now = epochSeconds()
      // A new id at every login: a session id an attacker planted before the login is worthless after it.
      const data: SessionData = {
        id: randomTokens(1)[0] as string,
        sub: claims.sub,
        ...(typeof claims.sid === 'string' && { sid: claims.sid }),
        user: claims as Record<string, unknown>,
        ...(tokens.idToken !== undefined && { idToken: tokens.idToken }),
        ...(tokens.refreshToken !== undefined && { refreshToken: tokens.refreshToken }),
        tokens: { '': toAccessToken(tokens, undefined) },
        createdAt: now,
        touchedAt: now,
      }
      await ctx.options.hooks?.onLogin?.(toSession(data, ctx.sessions.endsAt(data)), request)
      // The session this browser had before, if any, ends here.
      const before = await ctx.sessions.read(cookies)
      if (before !== undefined && ctx.sessions.store !== undefined) await ctx.sessions.store.delete(before.id)
      const setCookies = [...clear, ...(await ctx.sessions.write(data, cookies, true))]
      return redirect(new URL(tx.returnTo, ctx.base(request).origin).href, setCookies, request.method === 'POST' ? 303 : 302)
    }
  } catch (err) {
    fail = failureOf(err)
  }
  const page = ctx.options.hooks?.onCallbackError ? await ctx.options.hooks.onCallbackError(fail, request) : failurePage(fail, at(ctx.base(request), ctx.o.routes.login).pathname)
  if (clear.length === 0) return page
  const out = new Response(page.body, page)
  for (const value of clear) out.headers.append('set-cookie', value)
  return out
}

export async function logout(ctx: RouteContext, request: Request, data: SessionData | undefined): Promise<Response> {
  const base = ctx.base(request)
  const query = new URL(request.url).searchParams.get('returnTo')
  const path = safeReturnTo(query, base) ?? safeReturnTo(ctx.options.logoutReturnTo, base) ?? `${basePath(base)}/`
  const returnTo = new URL(path, base.origin).href
  const cookies = parseCookieHeader(request.headers.get('cookie'))
  if (data !== undefined && ctx.options.revokeOnLogout === true && data.refreshToken !== undefined) {
    try {
      await ctx.client.revoke(data.refreshToken)
    } catch (err) {
      // The session ends all the same; the app hears of it.
      ctx.options.hooks?.onError?.(err as Error, request)
    }
  }
  const setCookies = await ctx.sessions.clear(data, cookies)
  let location = returnTo
  try {
    location = (await buildLogoutUrl(ctx.config, { returnTo, ...(data?.idToken !== undefined && { idTokenHint: data.idToken }) })).href
  } catch (err) {
    // A provider without an end_session_endpoint: the local session is all there is to end.
    if (!(err instanceof ConfigError)) throw err
  }
  return redirect(location, setCookies)
}

export async function backchannelLogout(ctx: RouteContext, request: Request): Promise<Response> {
  const json = (status: number, body: Record<string, string>) => Response.json(body, { status, headers: noStore })
  if (request.method !== 'POST') return notAllowed('POST')
  const store = ctx.sessions.store
  if (store === undefined) {
    return json(501, { error: 'not_implemented', error_description: 'back-channel logout needs a session store (session.store)' })
  }
  const params = await callbackParams(request)
  const token = params?.get('logout_token')
  if (token === null || token === undefined || token === '') return json(400, { error: 'invalid_request', error_description: 'no logout_token' })
  const { domain, issuer, clientId, fetch, allowInsecureRequests } = ctx.config
  let claims: { sid?: string; sub?: string }
  try {
    claims = await verifyLogoutToken(token, {
      ...(issuer !== undefined ? { issuer } : { domain }),
      clientId,
      fetch,
      allowInsecureRequests,
      seen: ctx.seen,
    })
  } catch (err) {
    return json(400, { error: 'invalid_request', error_description: err instanceof Error ? err.message : 'invalid logout token' })
  }
  await store.deleteBy({ sid: claims.sid, sub: claims.sub })
  return answer(null, 200)
}
