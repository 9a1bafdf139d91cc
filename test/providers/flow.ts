// Small helpers the provider suites share: a ClientConfig for a stand-in, a whole login, and the error a promise fails with.
import { type AuthorizationTransaction, type ClientConfig, createAuthorizationRequest, validateCallback } from 'authcode'
import type { Profile } from './profile.js'
import type { StandIn } from './stand-in.js'

/** The config an app writes for this provider: `{ domain }` for Auth0, `{ issuer }` otherwise. */
export function configFor(s: StandIn, extra: Partial<ClientConfig> = {}): ClientConfig {
  return { ...s.profile.config, clientId: s.profile.client.id, clientSecret: s.profile.client.secret, fetch: s.fetch, ...extra }
}

/** The parameters the app sends to /authorize for this provider. */
export function authorizeParams(p: Profile) {
  return {
    redirectUri: p.client.redirectUri,
    scope: p.login.scope,
    ...(p.login.audience !== undefined && { audience: p.login.audience }),
    ...(p.login.extraParams !== undefined && { extraParams: p.login.extraParams }),
  }
}

export interface SignedIn {
  url: URL
  callback: string
  transaction: AuthorizationTransaction
  code: string
}

/** Starts a login, lets the user log in at the stand-in, and checks the callback. */
export async function signIn(s: StandIn, config: ClientConfig): Promise<SignedIn> {
  const { url, transaction } = await createAuthorizationRequest(config, authorizeParams(s.profile))
  const callback = s.login(url)
  const { code } = validateCallback(callback, transaction)
  return { url, callback, transaction, code }
}

/** The issuer as the provider spells it, and with its trailing slash toggled. */
export function spellings(issuer: string): string[] {
  // Issuers are compared as URLs (as oauth4webapi does): without a path, "https://host" and
  // "https://host/" are one issuer; with one, ".../realm" and ".../realm/" are two.
  const other = issuer.endsWith('/') ? issuer.slice(0, -1) : `${issuer}/`
  return new URL(issuer).pathname === '/' ? [issuer, other] : [issuer]
}

/** The other spelling of an issuer with a path, which names another issuer (or undefined). */
export function otherIssuer(issuer: string): string | undefined {
  if (new URL(issuer).pathname === '/') return undefined
  return issuer.endsWith('/') ? issuer.slice(0, -1) : `${issuer}/`
}

/** The error a promise rejects with (a fulfilled promise fails the test). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)?.slice(0, 200)}`)
    },
    (err: unknown) => err,
  )
}
