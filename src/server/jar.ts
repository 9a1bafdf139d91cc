// The cookies of authcode/server: their names and attributes, the session's chunks, one transaction cookie per login.
import { type CookieAttributes, clearChunkedCookie, serializeChunkedCookie, serializeCookie } from '../cookies/cookie.js'
import type { ResolvedAuthOptions, SessionOptions } from './options.js'

/** Transaction cookies kept at most: a login beyond this drops the oldest (other tabs' stale logins). */
export const MAX_TRANSACTIONS = 3
/** Seconds a login may take, from /login to /callback. */
export const TRANSACTION_SECONDS = 600
// A transaction cookie is named after the start of its state: enough to tell logins apart.
const STATE_CHARS = 16

export interface Jar {
  readonly session: string
  readonly attrs: CookieAttributes
  readonly txPrefix: string
  readonly txAttrs: CookieAttributes
}

/**
 * Names and attributes: HttpOnly, SameSite=Lax, Path=/, Secure unless the app is on plain
 * http on this machine, and the `__Host-` prefix whenever the cookie is Secure with no domain
 * (the browser then refuses it from any other host or path). A `form_post` callback is a
 * cross-site POST: its transaction cookie needs SameSite=None.
 */
export function createJar(o: ResolvedAuthOptions, cookie: SessionOptions['cookie'] = {}, formPost = false): Jar {
  const domain = cookie.domain
  const prefix = o.secure ? (domain === undefined ? '__Host-' : '__Secure-') : ''
  const attrs: CookieAttributes = {
    path: '/',
    secure: o.secure,
    httpOnly: true,
    sameSite: cookie.sameSite ?? 'Lax',
    ...(domain !== undefined && { domain }),
  }
  const session = `${prefix}${cookie.name ?? 'authcode.session'}`
  // Fail at startup for a bad name or attribute, not at the first login.
  serializeCookie(session, '', attrs)
  // SameSite=None needs Secure; browsers take Secure cookies from http://localhost too.
  const txAttrs: CookieAttributes = formPost ? { ...attrs, sameSite: 'None', secure: true } : { ...attrs, sameSite: 'Lax' }
  return { session, attrs, txPrefix: `${prefix}authcode.tx.`, txAttrs }
}

/** The transaction cookie of the login whose state is `state`. */
export function txName(jar: Jar, state: string): string {
  return `${jar.txPrefix}${state.slice(0, STATE_CHARS).replace(/[^A-Za-z0-9_-]/g, '_')}`
}

/** The transaction cookies a request carries, in the order sent (oldest first, as browsers send them). */
export function txNames(jar: Jar, cookies: Readonly<Record<string, string>>): string[] {
  return Object.keys(cookies).filter((name) => name.startsWith(jar.txPrefix))
}

export function setTx(jar: Jar, name: string, sealed: string): string {
  return serializeCookie(name, sealed, { ...jar.txAttrs, maxAge: TRANSACTION_SECONDS })
}

export function clearTx(jar: Jar, name: string): string {
  return serializeCookie(name, '', { ...jar.txAttrs, maxAge: 0 })
}

/**
 * The session cookie, chunked under the browser's limit, and deletions of chunks an earlier,
 * longer session left behind.
 */
export function setSession(jar: Jar, sealed: string, maxAge: number, cookies: Readonly<Record<string, string>>): string[] {
  const out = serializeChunkedCookie(jar.session, sealed, { ...jar.attrs, maxAge })
  const written = new Set(out.map((header) => header.slice(0, header.indexOf('='))))
  for (const header of clearChunkedCookie(jar.session, cookies, jar.attrs)) {
    if (!written.has(header.slice(0, header.indexOf('=')))) out.push(header)
  }
  return out
}

export function clearSession(jar: Jar, cookies: Readonly<Record<string, string>>): string[] {
  return clearChunkedCookie(jar.session, cookies, jar.attrs)
}
