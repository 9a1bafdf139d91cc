// mintSession: a logged-in session of authcode/server for an app's own tests, without a login.
import { ConfigError } from '../errors.js'
import { sessionWriters } from '../server/auth.js'
import type { SessionData } from '../storage/session-store.js'
import { DEFAULT_USER, type TestUser } from './user.js'
import { randomToken } from './wire.js'

/**
 * Who and what {@link mintSession} puts in the session.
 *
 * @example
 * ```ts
 * const options: MintSessionOptions = { user: { sub: 'auth0|jane', name: 'Jane' }, accessToken: await tenant.signAccessToken() }
 * ```
 */
export interface MintSessionOptions {
  /** The user's claims; merged over the default test user. */
  user?: Partial<TestUser>
  /** The provider's session id (`sid`), for back-channel logout tests. */
  sid?: string
  /** The session's access token (the login's own). Default: a random opaque one. */
  accessToken?: string
  /** Seconds the access token has left. Default 3,600. */
  expiresIn?: number
  /** The session's refresh token. Default: none (a refresh then asks for a login). */
  refreshToken?: string
  /** The session's raw ID token. Default: none. */
  idToken?: string
}

/**
 * Makes a session of `auth` (from `createAuth` of authcode/server) for a user, as a login would:
 * sealed into the session cookie, or written to the auth's session store. Send `cookie` as the
 * request's `Cookie` header and the app sees the user, so its tests skip the login.
 *
 * @throws {ConfigError} when `auth` is not from createAuth.
 * @example
 * ```ts
 * import { mintSession } from 'authcode/testing'
 * const { cookie } = await mintSession(auth, { user: { sub: 'auth0|jane', name: 'Jane' } })
 * const res = await app.fetch(new Request('https://app.example.com/me', { headers: { cookie } }))
 * ```
 */
export async function mintSession(auth: object, p: MintSessionOptions = {}): Promise<{ cookie: string; setCookie: string[] }> {
  const write = sessionWriters.get(auth)
  if (write === undefined) throw new ConfigError('auth', 'must be what createAuth of authcode/server returned')
  const now = Math.floor(Date.now() / 1000)
  const user = { ...DEFAULT_USER, ...p.user }
  const data: SessionData = {
    id: randomToken(32),
    sub: user.sub,
    ...(p.sid !== undefined && { sid: p.sid }),
    user: { ...user, ...(p.sid !== undefined && { sid: p.sid }) },
    ...(p.idToken !== undefined && { idToken: p.idToken }),
    ...(p.refreshToken !== undefined && { refreshToken: p.refreshToken }),
    tokens: { '': { accessToken: p.accessToken ?? randomToken(32), tokenType: 'Bearer', expiresAt: now + (p.expiresIn ?? 3600) } },
    createdAt: now,
    touchedAt: now,
  }
  const setCookie = (await write(data)).filter((header) => !/;\s*Max-Age=0(;|$)/i.test(header))
  const cookie = setCookie.map((header) => header.slice(0, header.indexOf(';'))).join('; ')
  return { cookie, setCookie }
}
