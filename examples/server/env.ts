// createAuth's options from environment variables (process.env, Bun.env, a Worker's env): the examples' one place for them.
import type { AuthOptions } from 'authcode/server'

export type Env = Record<string, string | undefined>

/**
 * `AUTH0_DOMAIN` (an Auth0 tenant) or `AUTH0_ISSUER` (any OpenID provider), `AUTH0_CLIENT_ID`,
 * `AUTH0_CLIENT_SECRET`, `AUTH0_AUDIENCE` (the API), `APP_BASE_URL` (where the app is served),
 * `AUTH_SECRET` (32 characters or more: it seals the session cookies).
 */
export function authOptions(env: Env): AuthOptions {
  const issuer = env.AUTH0_ISSUER
  return {
    ...(issuer ? { issuer } : { domain: env.AUTH0_DOMAIN ?? '' }),
    clientId: env.AUTH0_CLIENT_ID ?? '',
    clientSecret: env.AUTH0_CLIENT_SECRET ?? '',
    baseUrl: env.APP_BASE_URL ?? 'http://localhost:3000',
    secret: env.AUTH_SECRET ?? '',
    authorizationParams: { scope: 'openid profile email offline_access read:contacts', audience: env.AUTH0_AUDIENCE ?? '' },
    // Plain http only for an issuer on this machine (a local dev server); a real tenant is https.
    allowInsecureRequests: /^http:\/\/(localhost|127\.0\.0\.1)([:/]|$)/.test(issuer ?? ''),
  }
}

/** `API_URL`: the protected API the apps call with the user's access token. */
export const apiUrl = (env: Env): string => env.API_URL ?? 'http://localhost:3001/api/contacts'
