// Cookies without a cookie library: read a Cookie header, write Set-Cookie, split a large value under the browser limit.
import { ConfigError, SealError } from '../errors.js'

/** Default byte budget of one chunk's `name=value`, leaving room under 4,096 for attributes. */
const DEFAULT_MAX_CHUNK_BYTES = 3500
// Browsers drop a cookie whose name and value together pass 4,096 bytes.
const BROWSER_COOKIE_LIMIT = 4096
// The first chunk's value starts with the chunk count and this separator: "3~…".
const COUNT_SEPARATOR = '~'
const MAX_CHUNKS = 9999
// The "9999~" a chunk count takes: String(MAX_CHUNKS).length + COUNT_SEPARATOR.length, as a
// literal so that the module has no work to do at import (and bundlers can drop it).
const COUNT_PREFIX_BUDGET = 5

// RFC 6265 §4.1.1: a cookie name is an RFC 7230 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// Path and Domain values: no control characters and no ";".
const ATTRIBUTE_VALUE = /^[\x20-\x3a\x3c-\x7e]+$/

/**
 * Attributes of a `Set-Cookie` header written by {@link serializeCookie}.
 *
 * Defaults: `path: "/"`, `httpOnly: true`, `secure: true`, `sameSite: "Lax"`, no `maxAge`
 * (a cookie that ends with the browser session) and no `domain` (this host only).
 *
 * @example
 * ```ts
 * const attrs: CookieAttributes = { maxAge: 3600, secure: isProduction }
 * ```
 */
export interface CookieAttributes {
  /** Seconds until the browser drops the cookie; `0` deletes it. Default: none. */
  maxAge?: number
  /** Default `"/"`. */
  path?: string
  /** Default: none (the cookie goes to this host only). */
  domain?: string
  /** Default `true`. Set `false` only for http://localhost during development. */
  secure?: boolean
  /** Default `true`: page scripts cannot read the cookie. */
  httpOnly?: boolean
  /**
   * Default `"Lax"`: sent on top-level navigations from other sites (the redirect back from
   * the login page), not on cross-site subrequests. A `response_mode=form_post` callback is a
   * cross-site POST and needs `"None"` (which needs `secure`).
   */
  sameSite?: 'Lax' | 'Strict' | 'None'
}

/**
 * One cookie of a value split by {@link splitCookie}.
 *
 * @example
 * ```ts
 * const chunk: CookieChunk = { name: 'authcode.session.1', value: 'Zm9vYmFy' }
 * ```
 */
export interface CookieChunk {
  /** The cookie's name: the value's name, with a `.0`, `.1`, … suffix when it was split. */
  name: string
  /** This chunk of the value (when split, the first chunk also holds the count). */
  value: string
}

/**
 * Options of {@link splitCookie}.
 *
 * @example
 * ```ts
 * const options: SplitCookieOptions = { maxChunkBytes: 3000 }
 * ```
 */
export interface SplitCookieOptions {
  /**
   * Most bytes of one chunk's `name=value` as written (after percent-encoding). Default 3,500,
   * which leaves about 600 bytes for attributes under the 4,096-byte limit. At most 4,096.
   */
  maxChunkBytes?: number
}

/**
 * Cookies as a `name -> value` record (for example from {@link parseCookieHeader} or a
 * framework's cookie object), or a raw `Cookie` request header.
 *
 * @example
 * ```ts
 * const fromHeader: CookieSource = request.headers.get('cookie')
 * const fromRecord: CookieSource = { 'authcode.tx': sealed }
 * ```
 */
export type CookieSource = Readonly<Record<string, string>> | string | null | undefined

function checkName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw new ConfigError(field, 'must be a cookie name: letters, digits and !#$%&\'*+-.^_`|~, not empty')
  }
  return name
}

function encodeValue(value: string): string {
  if (typeof value !== 'string') throw new ConfigError('value', 'must be a string')
  try {
    return encodeURIComponent(value)
  } catch {
    throw new ConfigError('value', 'is not well-formed Unicode (it has a lone surrogate)')
  }
}

function decodeValue(raw: string): string {
  const unquoted = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw
  if (!unquoted.includes('%')) return unquoted
  try {
    return decodeURIComponent(unquoted)
  } catch {
    return unquoted
  }
}

function own(cookies: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(cookies, name) ? cookies[name] : undefined
}

function toRecord(cookies: CookieSource): Readonly<Record<string, string>> {
  if (cookies === null || cookies === undefined || typeof cookies === 'string') return parseCookieHeader(cookies)
  return cookies
}

/**
 * Reads a `Cookie` request header into a `name -> value` record. Values are percent-decoded
 * (as {@link serializeCookie} encodes them) and unquoted; when a name repeats, the first one
 * wins (the browser sends the most specific path first). Malformed pairs are skipped.
 *
 * @example
 * ```ts
 * import { parseCookieHeader } from 'authcode'
 * parseCookieHeader('theme=dark; authcode.tx=eyJhbGciOi...')
 * // { theme: 'dark', 'authcode.tx': 'eyJhbGciOi...' }
 * const cookies = parseCookieHeader(request.headers.get('cookie')) // {} when there is none
 * ```
 */
export function parseCookieHeader(header: string | null | undefined): Record<string, string> {
  const out = Object.create(null) as Record<string, string>
  if (typeof header !== 'string') return out
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=')
    if (eq < 0) continue
    const name = pair.slice(0, eq).trim()
    if (name === '' || name in out) continue
    out[name] = decodeValue(pair.slice(eq + 1).trim())
  }
  return out
}

/**
 * Writes one `Set-Cookie` header value. The value is percent-encoded where it needs to be
 * (a seal needs none). Defaults: `Path=/; HttpOnly; Secure; SameSite=Lax`, no `Max-Age`.
 *
 * @throws {ConfigError} for a name that is not a cookie token, a bad attribute, `SameSite=None`
 *   without `Secure`, or a `__Host-`/`__Secure-` name whose rules the attributes break.
 * @example
 * ```ts
 * import { serializeCookie } from 'authcode'
 * serializeCookie('authcode.tx', sealed, { maxAge: 600 })
 * // "authcode.tx=eyJ...; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax"
 * serializeCookie('authcode.tx', '', { maxAge: 0 }) // deletes it
 * ```
 */
export function serializeCookie(name: string, value: string, attrs: CookieAttributes = {}): string {
  checkName(name)
  const parts = [`${name}=${encodeValue(value)}`, ...attributeParts(name, attrs)]
  return parts.join('; ')
}

function attributeParts(name: string, attrs: CookieAttributes): string[] {
  if (typeof attrs !== 'object' || attrs === null) throw new ConfigError('attrs', 'must be an object')
  const path = attrs.path ?? '/'
  const secure = attrs.secure ?? true
  const httpOnly = attrs.httpOnly ?? true
  const sameSite = attrs.sameSite ?? 'Lax'
  const parts: string[] = []
  if (attrs.maxAge !== undefined) {
    if (typeof attrs.maxAge !== 'number' || !Number.isFinite(attrs.maxAge) || attrs.maxAge < 0) {
      throw new ConfigError('maxAge', 'must be a number of seconds, 0 or more')
    }
    parts.push(`Max-Age=${Math.floor(attrs.maxAge)}`)
  }
  if (attrs.domain !== undefined) {
    if (typeof attrs.domain !== 'string' || !ATTRIBUTE_VALUE.test(attrs.domain)) {
      throw new ConfigError('domain', 'must be a host name without ";" or control characters')
    }
    parts.push(`Domain=${attrs.domain}`)
  }
  if (typeof path !== 'string' || !ATTRIBUTE_VALUE.test(path) || !path.startsWith('/')) {
    throw new ConfigError('path', 'must start with "/" and have no ";" or control characters')
  }
  parts.push(`Path=${path}`)
  if (httpOnly) parts.push('HttpOnly')
  if (secure) parts.push('Secure')
  if (sameSite !== 'Lax' && sameSite !== 'Strict' && sameSite !== 'None') {
    throw new ConfigError('sameSite', 'must be "Lax", "Strict" or "None"')
  }
  if (sameSite === 'None' && !secure) throw new ConfigError('sameSite', 'browsers refuse SameSite=None without Secure')
  parts.push(`SameSite=${sameSite}`)
  const lower = name.toLowerCase()
  if ((lower.startsWith('__host-') || lower.startsWith('__secure-')) && !secure) {
    throw new ConfigError('secure', 'a __Host- or __Secure- cookie must be Secure')
  }
  if (lower.startsWith('__host-') && (attrs.domain !== undefined || path !== '/')) {
    throw new ConfigError('path', 'a __Host- cookie must have Path=/ and no Domain')
  }
  return parts
}

function checkMaxChunkBytes(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_CHUNK_BYTES
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > BROWSER_COOKIE_LIMIT) {
    throw new ConfigError('maxChunkBytes', `must be a whole number of bytes up to ${BROWSER_COOKIE_LIMIT}`)
  }
  return value
}

/**
 * Splits a value into cookies whose `name=value` each fit `maxChunkBytes` (default 3,500),
 * under the browser's 4,096-byte limit per cookie.
 *
 * A value that fits stays one cookie named `name`. A longer one becomes `name.0`, `name.1`, …,
 * `name.{n-1}`; the value of `name.0` starts with the count and `~` (`"3~…"`), so
 * {@link joinCookie} reads exactly those chunks and ignores leftovers of a longer earlier
 * value. Prefer {@link serializeChunkedCookie}, which also deletes the other form's cookie.
 *
 * @throws {ConfigError} for a bad name or `maxChunkBytes`, or one too small for the name.
 * @example
 * ```ts
 * import { splitCookie, serializeCookie } from 'authcode'
 * const setCookies = splitCookie('authcode.session', sealed).map((c) => serializeCookie(c.name, c.value, { maxAge: 604_800 }))
 * // [ 'authcode.session.0=2~eyJ...; Max-Age=604800; ...', 'authcode.session.1=...; Max-Age=604800; ...' ]
 * ```
 */
export function splitCookie(name: string, value: string, options: SplitCookieOptions = {}): CookieChunk[] {
  checkName(name)
  const maxChunkBytes = checkMaxChunkBytes(options.maxChunkBytes)
  const encoded = encodeValue(value)
  if (name.length + 1 + encoded.length <= maxChunkBytes) return [{ name, value }]

  const pieces: string[] = []
  let piece = ''
  let pieceBytes = 0
  let budget = chunkBudget(name, 0, maxChunkBytes)
  // Split on code points and measure each as encoded, so no chunk ends inside a character.
  const plain = encoded === value
  for (const char of value) {
    const bytes = plain ? 1 : encodeURIComponent(char).length
    if (pieceBytes + bytes > budget) {
      pieces.push(piece)
      if (pieces.length >= MAX_CHUNKS) throw new ConfigError('value', `is too long for ${MAX_CHUNKS} cookies`)
      piece = ''
      pieceBytes = 0
      budget = chunkBudget(name, pieces.length, maxChunkBytes)
    }
    piece += char
    pieceBytes += bytes
  }
  pieces.push(piece)
  return pieces.map((p, i) => ({ name: `${name}.${i}`, value: i === 0 ? `${pieces.length}${COUNT_SEPARATOR}${p}` : p }))
}

function chunkBudget(name: string, index: number, maxChunkBytes: number): number {
  const budget = maxChunkBytes - `${name}.${index}=`.length - (index === 0 ? COUNT_PREFIX_BUDGET : 0)
  // Room for at least one character, encoded (up to 12 bytes).
  if (budget < 12) throw new ConfigError('maxChunkBytes', 'is too small for this cookie name')
  return budget
}

const CHUNK_NAME = /^(.*)\.(0|[1-9]\d{0,3})$/

/**
 * Reassembles a value written by {@link splitCookie} from a record of cookies or a raw
 * `Cookie` header. Gives `undefined` when neither `name` nor `name.0` is there (or `name` is
 * empty). When both are (a stale cookie of an earlier write), the chunked form wins.
 *
 * @throws {SealError} `reason: "invalid"` when a chunk is missing or the first chunk is malformed.
 * @example
 * ```ts
 * import { joinCookie, openSession } from 'authcode'
 * const sealed = joinCookie('authcode.session', request.headers.get('cookie'))
 * const tokens = sealed === undefined ? undefined : await openSession(sealed, { secret })
 * ```
 */
export function joinCookie(name: string, cookies: CookieSource): string | undefined {
  checkName(name)
  const record = toRecord(cookies)
  const first = own(record, `${name}.0`)
  if (first === undefined) {
    const whole = own(record, name)
    if (whole !== undefined && whole !== '') return whole
    const orphan = Object.keys(record).some((key) => CHUNK_NAME.exec(key)?.[1] === name)
    if (orphan) throw new SealError('invalid', `The first chunk of cookie "${name}" is missing`)
    return undefined
  }
  const match = /^([1-9]\d{0,3})~/.exec(first)
  if (match === null) throw new SealError('invalid', `The first chunk of cookie "${name}" is malformed`)
  const count = Number(match[1])
  const pieces = [first.slice((match[0] as string).length)]
  for (let i = 1; i < count; i++) {
    const piece = own(record, `${name}.${i}`)
    if (piece === undefined) throw new SealError('invalid', `Cookie "${name}" is missing chunk ${i} of ${count}`)
    pieces.push(piece)
  }
  return pieces.join('')
}

/**
 * Writes a value as one or more `Set-Cookie` header values, split by {@link splitCookie}
 * with the same attributes on every chunk, plus one header that deletes the other form's
 * first cookie (`name.0` when the value fits one cookie, `name` when it is chunked) so no
 * stale cookie of an earlier write confuses {@link joinCookie}. Append each as its own header.
 *
 * @throws {ConfigError} as {@link serializeCookie} and {@link splitCookie} do.
 * @example
 * ```ts
 * import { serializeChunkedCookie } from 'authcode'
 * const headers = new Headers({ location: '/' })
 * for (const value of serializeChunkedCookie('authcode.session', sealed, { maxAge: 604_800 })) {
 *   headers.append('set-cookie', value)
 * }
 * ```
 */
export function serializeChunkedCookie(
  name: string,
  value: string,
  attrs: CookieAttributes & SplitCookieOptions = {},
): string[] {
  const { maxChunkBytes, ...cookieAttrs } = attrs
  const chunks = splitCookie(name, value, maxChunkBytes === undefined ? {} : { maxChunkBytes })
  const out = chunks.map((chunk) => serializeCookie(chunk.name, chunk.value, cookieAttrs))
  out.push(serializeCookie(chunks.length === 1 ? `${name}.0` : name, '', { ...cookieAttrs, maxAge: 0 }))
  return out
}

/**
 * `Set-Cookie` header values (`Max-Age=0`) that delete a chunked cookie: `name` always, and
 * every `name.N` the request carries. Give the same `path`, `domain` and `secure` as when
 * it was set, or the browser keeps it.
 *
 * @throws {ConfigError} for a bad name or attribute.
 * @example
 * ```ts
 * import { clearChunkedCookie } from 'authcode'
 * const headers = new Headers({ location: '/' })
 * for (const value of clearChunkedCookie('authcode.session', request.headers.get('cookie'))) {
 *   headers.append('set-cookie', value) // log out
 * }
 * ```
 */
export function clearChunkedCookie(name: string, cookies: CookieSource, attrs: CookieAttributes = {}): string[] {
  checkName(name)
  const clearing = { ...attrs, maxAge: 0 }
  const names = [name]
  const indexes = Object.keys(toRecord(cookies))
    .map((key) => CHUNK_NAME.exec(key))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === name)
    .map((m) => Number(m[2]))
    .sort((a, b) => a - b)
  for (const i of indexes) names.push(`${name}.${i}`)
  return names.map((n) => serializeCookie(n, '', clearing))
}
