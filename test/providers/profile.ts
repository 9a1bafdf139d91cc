// What a provider profile declares: its documents, its client, and how it shapes tokens, bodies and errors.
import type { JWK } from 'jose'

/** The user who logs in at the stand-in. */
export interface User {
  sub: string
  email: string
  name: string
  [claim: string]: unknown
}

/** What one login bound its code to, and what its refresh tokens carry on. */
export interface Grant {
  clientId: string
  redirectUri: string
  /** The scope the login asked for, as sent. */
  scope: string
  /** The `/authorize` parameters, for provider-specific ones (`audience`, `access_type`, …). */
  params: URLSearchParams
  nonce?: string
  user: User
  authTime: number
  /** A session id, as the provider names it (Keycloak's session_state, Entra's sid, …). */
  sid: string
  /** True on the first login of this user to this client (Google sends a refresh token then). */
  firstConsent: boolean
}

/** Everything a profile needs to shape one token response. */
export interface TokenContext {
  grant: Grant
  grantType: 'authorization_code' | 'refresh_token'
  now: number
  /** A fresh unique id for `jti`-like claims. */
  id: string
}

/** A JWT before signing. `alg` and `kid` are set by the engine from the key the profile names. */
export interface TokenShape {
  header: Record<string, unknown>
  claims: Record<string, unknown>
}

/** The tokens of one response, as the body builder places them. */
export interface IssuedTokens {
  access_token: string
  id_token?: string
  refresh_token?: string
}

export type ClientAuth = 'client_secret_post' | 'client_secret_basic'

export interface Profile {
  /** A label for test names. */
  name: string
  /** The issuer exactly as the provider spells it (discovery document, `iss` claims). */
  issuer: string
  /** How an app names this provider in a ClientConfig: an Auth0 domain, or the issuer. */
  config: { domain: string } | { issuer: string }
  discoveryUrl: string
  /** The discovery document, as the provider serves it. */
  metadata: Record<string, unknown>
  /** Other JSON documents the provider's hosts serve, by URL (Entra's other discovery documents). */
  documents?: Record<string, unknown>
  client: { id: string; secret: string; redirectUri: string; logoutUri: string; authMethods: readonly ClientAuth[] }
  user: User
  /** What the app asks for at login. */
  login: { scope: string; audience?: string; extraParams?: Record<string, string> }
  /** A provider-specific refusal at /authorize (shown on the provider's error page). */
  refuse?(params: URLSearchParams): string | undefined
  /** Parameters besides code, state and iss that the provider adds to the callback. */
  callbackExtras?(grant: Grant): Record<string, string>
  /** The signing key ids: Cognito signs ID and access tokens with different keys. */
  kids: { idToken: string; accessToken: string }
  /** A JWKS entry as the provider publishes it, from the bare public JWK. */
  jwk(publicJwk: JWK, kid: string): Record<string, unknown>
  /** Keycloak also publishes an encryption key (use "enc") in the same JWKS. */
  publishesEncryptionKey?: boolean
  idToken(ctx: TokenContext, accessToken: string): Promise<TokenShape> | TokenShape
  /** A JWT shape, or an opaque string (Google). */
  accessToken(ctx: TokenContext): TokenShape | string
  /** Whether a code exchange for this login returns a refresh token. */
  issuesRefreshToken(grant: Grant): boolean
  refreshToken(): string
  /** `rotate`: a new refresh token and the old one dies; `rotate-keep-old`: a new one, the old still works; `none`: no new one. */
  rotation: 'rotate' | 'rotate-keep-old' | 'none'
  /** The token endpoint's JSON body, field for field as the provider sends it. */
  tokenBody(ctx: TokenContext, tokens: IssuedTokens): Record<string, unknown>
  /** The answer to a refresh with a token the provider no longer honours. */
  deadRefreshToken: { status: number; body: Record<string, unknown> }
  userinfo(grant: Grant): Record<string, unknown>
  /** The provider-specific fields of its token responses, which the SDK keeps in `TokenSet.extra`. */
  extraFields: readonly string[]
  /** For JWT access tokens: how an API names itself, and one scope the login's token grants. */
  api?: { audience: string; grantedScope: string }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** A random URL-safe string. */
export function randomText(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  let out = ''
  for (const b of bytes) out += ALPHABET[b % 64]
  return out
}

/** A random GUID, as Entra, Keycloak and Cognito write ids. */
export function guid(): string {
  return crypto.randomUUID()
}

function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** The left half of SHA-256, base64url: OpenID Connect's `at_hash` for RS256 tokens. */
export async function atHash(accessToken: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)))
  return base64url(digest.slice(0, 16))
}

/** The PKCE S256 challenge of a verifier. */
export async function s256(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))))
}

/** The scope string as a list. */
export function scopes(scope: string): string[] {
  return scope.split(' ').filter(Boolean)
}
