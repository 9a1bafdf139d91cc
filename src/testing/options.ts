// The options of createAuth0Handlers, their defaults and their checks, in one place.
import type { TestUser } from './user.js'

/**
 * Options of {@link createAuth0Handlers}: how the stand-in tenant's application and API are set up.
 *
 * @example
 * ```ts
 * const auth0 = createAuth0Handlers(tenant, {
 *   clientSecret: 'test-secret',
 *   audience: 'https://api.example.com',
 *   accessTokenTtl: 600,
 *   refreshTokenRotation: true,
 * })
 * ```
 */
export interface Auth0HandlersOptions {
  /**
   * The application's client secret. When given, the token and revocation endpoints require
   * it (`client_secret_post` or `client_secret_basic`) and answer `401 invalid_client`
   * otherwise. When omitted, any secret, or none (a public client using PKCE), is accepted.
   */
  clientSecret?: string
  /**
   * The public key of a client that authenticates with `private_key_jwt`; its
   * `client_assertion` is then verified. When omitted (and no `clientSecret` is set), an
   * assertion is accepted unverified.
   */
  clientPublicKey?: CryptoKey
  /** The tenant's default audience (Auth0: Settings > API Authorization Settings). */
  audience?: string
  /** Access token lifetime, seconds (`expires_in`). Default 86 400, as Auth0. */
  accessTokenTtl?: number
  /** ID token lifetime, seconds. Default 36 000, as Auth0. */
  idTokenTtl?: number
  /**
   * Refresh token rotation. Default true: each refresh answers a new refresh token, and reuse
   * of one that was rotated away answers `403 invalid_grant` and revokes the whole family.
   * False: refreshes answer no `refresh_token` and the one sent keeps working.
   */
  refreshTokenRotation?: boolean
  /**
   * Auth0's rotation "Reuse Interval", seconds: for this long after a refresh token was
   * rotated away it may be used again (answering new tokens) without counting as reuse.
   * Default 0, as Auth0.
   */
  reuseIntervalSeconds?: number
  /** Allowed Callback URLs. When given, `authorize()` refuses any other `redirect_uri`. */
  callbackUrls?: string[]
  /** Claims of the user every login signs in as, over the default test user. */
  user?: Partial<TestUser>
}

/** {@link Auth0HandlersOptions} with every default filled in. */
export interface Settings {
  clientSecret: string | undefined
  clientPublicKey: CryptoKey | undefined
  audience: string | undefined
  accessTokenTtl: number
  idTokenTtl: number
  refreshTokenRotation: boolean
  reuseIntervalSeconds: number
  callbackUrls: string[] | undefined
  user: Partial<TestUser> | undefined
}

/** Whether `value` is a whole number, `min` or more. */
export function isWholeNumber(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min
}

/** Fills in the defaults; throws a TypeError for a lifetime or interval that makes no sense. */
export function resolveOptions(options: Auth0HandlersOptions): Settings {
  const settings: Settings = {
    clientSecret: options.clientSecret,
    clientPublicKey: options.clientPublicKey,
    audience: options.audience,
    accessTokenTtl: options.accessTokenTtl ?? 86_400,
    idTokenTtl: options.idTokenTtl ?? 36_000,
    refreshTokenRotation: options.refreshTokenRotation ?? true,
    reuseIntervalSeconds: options.reuseIntervalSeconds ?? 0,
    callbackUrls: options.callbackUrls,
    user: options.user,
  }
  for (const name of ['accessTokenTtl', 'idTokenTtl'] as const) {
    if (!isWholeNumber(settings[name], 1)) throw new TypeError(`createAuth0Handlers(): "${name}" must be a whole number of seconds above 0`)
  }
  const reuse = settings.reuseIntervalSeconds
  if (typeof reuse !== 'number' || !(reuse >= 0)) throw new TypeError('createAuth0Handlers(): "reuseIntervalSeconds" must be 0 or more')
  return settings
}
