// Sealed values: a transaction or a token set encrypted into a JWE (dir, A256GCM) with a key derived from a secret.
import type { AuthorizationTransaction } from '../login/authorization-request.js'
import { ConfigError, SealError } from '../errors.js'
import { decode, encode, isCanonical } from '../lib/base64url.js'
import { once } from '../lib/once.js'
import { isObject } from '../lib/shape.js'
import { type TokenSet, isTokenSet } from '../token-set.js'

/** What a seal holds; each purpose has its own key, so one never opens as the other. */
// authcode/server's seals have purposes of their own: a seal never opens as another kind.
export type SealPurpose = 'transaction' | 'session' | 'server.transaction' | 'server.session'

/** The shortest secret accepted, in characters. */
const MIN_SECRET_LENGTH = 32
/** Default `ttlSeconds` of a transaction seal (and its cookie): 10 minutes, long enough for a login page. */
export const DEFAULT_TRANSACTION_SEAL_TTL_SECONDS = 600
// Plain literals, not products: a bundler drops an unused constant only when its value is one.
/** Default `ttlSeconds` of a session seal: 7 days, whatever the tokens' own expiry. */
const DEFAULT_SESSION_SEAL_TTL_SECONDS = 604_800

// Longer inputs (64 KiB) are not cookies we made; refuse them before any parsing or crypto.
const MAX_SEALED_LENGTH = 65_536
// Version the derivation, so a later format can change it without confusing old seals.
const HKDF_SALT = 'authcode.seal.v1'
const KID_BYTES = 6
const MAX_CACHED_KEYS = 64

const encoder = /* @__PURE__ */ new TextEncoder()
const decoder = /* @__PURE__ */ new TextDecoder()

// jose is loaded on the first seal or open, so `import 'authcode'` does not pay for it.
const loadJose = /* @__PURE__ */ once(() => import('./chunks/jwe.js'))

/**
 * Options of {@link sealTransaction} and {@link sealSession}.
 *
 * `secret` is one secret of at least 32 characters, or a list for rotation: the first seals,
 * any of them opens. `ttlSeconds` defaults to 600 (transaction) or 604 800 (7 days, session).
 *
 * @example
 * ```ts
 * const options: SealOptions = { secret: [cookieSecret, oldCookieSecret], ttlSeconds: 3600 }
 * ```
 */
export interface SealOptions {
  /** At least 32 characters; a list to rotate (the first one seals). */
  secret: string | readonly string[]
  /** Lifetime of the seal in seconds (rounded up to a whole second). */
  ttlSeconds?: number
}

/**
 * Options of {@link openTransaction} and {@link openSession}.
 *
 * @example
 * ```ts
 * const options: OpenSealOptions = { secret: [newSecret, oldSecret] }
 * ```
 */
export interface OpenSealOptions {
  /** The secret, or every secret still accepted (new and old during a rotation). */
  secret: string | readonly string[]
}

/** The authenticated contents of a seal, for the cookie helpers. */
interface OpenedSeal {
  data: unknown
  /** Epoch seconds after which the seal no longer opens. */
  exp: number
  /** A random id, present on transaction seals. */
  jti?: string
}

interface DerivedKey {
  kid: string
  key: CryptoKey
}

/** Checks `secret` and gives it as a non-empty list. Never puts a secret in a message. */
export function checkSecrets(secret: unknown): string[] {
  const list: unknown[] = Array.isArray(secret) ? secret : [secret]
  if (list.length === 0) throw new ConfigError('secret', 'give at least one secret')
  for (const item of list) {
    if (typeof item !== 'string') throw new ConfigError('secret', 'must be a string or a list of strings')
    if (item.length < MIN_SECRET_LENGTH) {
      throw new ConfigError('secret', `must be at least ${MIN_SECRET_LENGTH} characters; make one with 32 random bytes, base64url`)
    }
  }
  return list as string[]
}

/** Checks a `ttlSeconds` option: a positive number of seconds, or `fallback` when not given. */
export function checkTtl(ttlSeconds: unknown, fallback: number): number {
  if (ttlSeconds === undefined) return fallback
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new ConfigError('ttlSeconds', 'must be a positive number of seconds')
  }
  return ttlSeconds
}

// Derived keys by purpose and secret: HKDF once per secret, not once per request.
const keyCache = new Map<string, Promise<DerivedKey>>()

function deriveKey(purpose: SealPurpose, secret: string): Promise<DerivedKey> {
  const cacheKey = `${purpose}\u0000${secret}`
  let pending = keyCache.get(cacheKey)
  if (pending === undefined) {
    pending = derive(purpose, secret)
    pending.catch(() => keyCache.delete(cacheKey))
    if (keyCache.size >= MAX_CACHED_KEYS) {
      const oldest = keyCache.keys().next()
      if (oldest.done !== true) keyCache.delete(oldest.value)
    }
    keyCache.set(cacheKey, pending)
  }
  return pending
}

async function derive(purpose: SealPurpose, secret: string): Promise<DerivedKey> {
  const ikm = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveBits'])
  const raw = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode(HKDF_SALT), info: encoder.encode(`${HKDF_SALT} ${purpose}`) },
      ikm,
      256,
    ),
  )
  // The kid is a hash of the derived key, never of the secret: it only picks a key quickly.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw))
  const key = await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
  raw.fill(0)
  return { kid: encode(digest.subarray(0, KID_BYTES)), key }
}

/** Seals `data` for `purpose`. Internal to the cookie helpers and authcode/server; users call sealTransaction/sealSession. */
export async function sealData(
  purpose: SealPurpose,
  data: unknown,
  options: SealOptions,
  p: { jti?: boolean } = {},
): Promise<string> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'must be an object with a "secret"')
  const secrets = checkSecrets(options.secret)
  const ttl = checkTtl(
    options.ttlSeconds,
    purpose === 'transaction' ? DEFAULT_TRANSACTION_SEAL_TTL_SECONDS : DEFAULT_SESSION_SEAL_TTL_SECONDS,
  )
  const { kid, key } = await deriveKey(purpose, secrets[0] as string)
  const { CompactEncrypt } = await loadJose()
  const nowMs = Date.now()
  const payload: Record<string, unknown> = {
    d: data,
    iat: Math.floor(nowMs / 1000),
    // Rounded up, so a seal lives at least ttlSeconds.
    exp: Math.ceil((nowMs + ttl * 1000) / 1000),
  }
  if (p.jti === true) payload.jti = encode(crypto.getRandomValues(new Uint8Array(16)))
  return new CompactEncrypt(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid })
    .encrypt(key)
}

function invalid(): SealError {
  return new SealError(
    'invalid',
    'The sealed value could not be opened: it was changed, made with another secret, or made for another purpose',
  )
}

function readKid(protectedHeader: string): string | undefined {
  try {
    const header: unknown = JSON.parse(decoder.decode(decode(protectedHeader)))
    if (typeof header === 'object' && header !== null && 'kid' in header && typeof header.kid === 'string') {
      return header.kid
    }
  } catch {
    // a broken header is rejected by the decryption below
  }
  return undefined
}

/**
 * Opens a seal made for `purpose` with any of the secrets. Internal to the cookie helpers.
 *
 * @throws {SealError} `invalid` for anything that is not an intact seal of this purpose and
 *   these secrets; `expired` when its time is up.
 */
export async function openData(purpose: SealPurpose, sealed: unknown, options: OpenSealOptions): Promise<OpenedSeal> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'must be an object with a "secret"')
  const secrets = checkSecrets(options.secret)
  if (typeof sealed !== 'string' || sealed.length > MAX_SEALED_LENGTH) throw invalid()
  const parts = sealed.split('.')
  // Canonical segments only: otherwise a changed last character can decode to the same bytes
  // (jose's decoder allows it), and a changed seal would still open.
  if (parts.length !== 5 || parts[1] !== '' || !parts.every(isCanonical)) throw invalid()

  const { compactDecrypt } = await loadJose()
  let ordered: DerivedKey[]
  if (secrets.length === 1) {
    // One secret, one key to try: no need to read the kid (the common case, once per request).
    ordered = [await deriveKey(purpose, secrets[0] as string)]
  } else {
    const keys = await Promise.all(secrets.map((secret) => deriveKey(purpose, secret)))
    // The key the kid names first, then every other one (a kid can collide or be missing).
    const kid = readKid(parts[0] as string)
    ordered = [...keys.filter((k) => k.kid === kid), ...keys.filter((k) => k.kid !== kid)]
  }
  let plaintext: Uint8Array | undefined
  for (const { key } of ordered) {
    try {
      const result = await compactDecrypt(sealed, key, {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      })
      plaintext = result.plaintext
      break
    } catch {
      // try the next key
    }
  }
  if (plaintext === undefined) throw invalid()

  let payload: unknown
  try {
    payload = JSON.parse(decoder.decode(plaintext))
  } catch {
    throw invalid()
  }
  if (typeof payload !== 'object' || payload === null || !('exp' in payload) || typeof payload.exp !== 'number' || !('d' in payload)) {
    throw invalid()
  }
  if (Date.now() / 1000 >= payload.exp) {
    throw new SealError('expired', `The sealed ${purpose} has expired; start again`)
  }
  const opened: OpenedSeal = { data: payload.d, exp: payload.exp }
  if ('jti' in payload && typeof payload.jti === 'string') opened.jti = payload.jti
  return opened
}

/** Checks the shape of an opened transaction (it is authentic; this guards against format drift). */
export function asTransaction(data: unknown): AuthorizationTransaction {
  if (
    !isObject(data) ||
    typeof data.state !== 'string' ||
    typeof data.codeVerifier !== 'string' ||
    typeof data.redirectUri !== 'string' ||
    typeof data.issuer !== 'string'
  ) {
    throw invalid()
  }
  return data as unknown as AuthorizationTransaction
}

function asTokenSet(data: unknown): TokenSet {
  if (!isTokenSet(data)) throw invalid()
  return data
}

/**
 * Seals an authorization transaction (state, nonce, PKCE verifier, …) into a string for a
 * cookie, so no server-side store is needed between `/login` and `/callback`.
 *
 * A compact JWE (`alg: "dir"`, `enc: "A256GCM"`) under a key derived from the first secret
 * with HKDF-SHA-256; its header `kid` names the key, never the secret. The seal expires after
 * `ttlSeconds` (default 600) and carries a random `jti` that {@link createTransactionCookie}
 * uses to open it once only. It opens only with {@link openTransaction}, never as a session.
 *
 * @throws {ConfigError} `field: "secret"` for a secret shorter than 32 characters or no secret;
 *   `field: "ttlSeconds"` for a ttl that is not a positive number.
 * @example
 * ```ts
 * import { createAuthorizationRequest, sealTransaction, serializeCookie } from 'authcode'
 * const { url, transaction } = await createAuthorizationRequest(config, { redirectUri })
 * const sealed = await sealTransaction(transaction, { secret: cookieSecret })
 * return new Response(null, {
 *   status: 302,
 *   headers: { location: url.href, 'set-cookie': serializeCookie('authcode.tx', sealed, { maxAge: 600 }) },
 * })
 * ```
 */
export async function sealTransaction(transaction: AuthorizationTransaction, options: SealOptions): Promise<string> {
  asTransactionInput(transaction)
  return sealData('transaction', transaction, options, { jti: true })
}

function asTransactionInput(transaction: unknown): void {
  if (
    !isObject(transaction) ||
    typeof transaction.state !== 'string' ||
    typeof transaction.codeVerifier !== 'string' ||
    typeof transaction.redirectUri !== 'string' ||
    typeof transaction.issuer !== 'string'
  ) {
    throw new ConfigError('transaction', 'must be the transaction that createAuthorizationRequest returned')
  }
}

/**
 * Opens a seal made by {@link sealTransaction} with the secret, or with any secret of a list.
 * It does not stop a second opening of the same seal: {@link createTransactionCookie} does.
 *
 * @throws {SealError} `reason: "invalid"` when the value was changed, made with another
 *   secret, is a session seal, or is not a seal at all; `reason: "expired"` when its time is up.
 * @throws {ConfigError} `field: "secret"` for a secret shorter than 32 characters.
 * @example
 * ```ts
 * import { joinCookie, openTransaction, validateCallback, exchangeCode } from 'authcode'
 * const sealed = joinCookie('authcode.tx', request.headers.get('cookie') ?? '')
 * const transaction = await openTransaction(sealed ?? '', { secret: [newSecret, oldSecret] })
 * const { code } = validateCallback(request.url, { state: transaction.state, issuer: transaction.issuer })
 * ```
 */
export async function openTransaction(sealed: string, options: OpenSealOptions): Promise<AuthorizationTransaction> {
  return asTransaction((await openData('transaction', sealed, options)).data)
}

/**
 * Seals a token set (with its ID token claims) into a string for a session cookie, so a
 * server with no database can keep the session. Same format as {@link sealTransaction} under a
 * key of its own; expires after `ttlSeconds` (default 604 800, 7 days) whatever the tokens'
 * own expiry. A large token set makes a seal over one cookie's limit: pass it to
 * {@link serializeChunkedCookie} (or {@link splitCookie}).
 *
 * @throws {ConfigError} `field: "secret"` for a secret shorter than 32 characters;
 *   `field: "ttlSeconds"` for a ttl that is not a positive number; `field: "tokens"` when
 *   `tokens` is not a TokenSet (no `accessToken`/`tokenType`, or a field of the wrong type).
 * @example
 * ```ts
 * import { exchangeCode, sealSession, serializeChunkedCookie } from 'authcode'
 * const tokens = await exchangeCode(config, { code, redirectUri, codeVerifier })
 * const sealed = await sealSession(tokens, { secret: cookieSecret })
 * const headers = new Headers({ location: '/' })
 * for (const value of serializeChunkedCookie('authcode.session', sealed, { maxAge: 604_800 })) headers.append('set-cookie', value)
 * ```
 */
export async function sealSession(tokens: TokenSet, options: SealOptions): Promise<string> {
  // The check openSession makes, so that every seal made here opens.
  if (!isTokenSet(tokens)) throw new ConfigError('tokens', 'must be a TokenSet with accessToken and tokenType')
  return sealData('session', tokens, options)
}

/**
 * Opens a seal made by {@link sealSession} with the secret, or with any secret of a list.
 *
 * @throws {SealError} `reason: "invalid"` when the value was changed, made with another
 *   secret, is a transaction seal, or is not a seal at all; `reason: "expired"` when its time is up.
 * @throws {ConfigError} `field: "secret"` for a secret shorter than 32 characters.
 * @example
 * ```ts
 * import { joinCookie, openSession, SealError } from 'authcode'
 * const sealed = joinCookie('authcode.session', request.headers.get('cookie') ?? '')
 * if (sealed === undefined) return Response.redirect('/login')
 * const tokens = await openSession(sealed, { secret: cookieSecret })
 * ```
 */
export async function openSession(sealed: string, options: OpenSealOptions): Promise<TokenSet> {
  return asTokenSet((await openData('session', sealed, options)).data)
}
