// What is Auth0's own: its domains ("tenant.auth0.com" or "https://tenant.auth0.com/" to a host),
// its fixed endpoints, and its organizations.
import type * as oauth from 'oauth4webapi'
import { ConfigError, IdTokenError } from './errors.js'

/**
 * Normalizes an Auth0 domain: accepts `tenant.auth0.com`, `https://tenant.auth0.com` and a
 * trailing slash; refuses anything with a path, a query, credentials or plain http.
 */
export function normalizeDomain(domain: string, field = 'domain'): string {
  const raw = typeof domain === 'string' ? domain.trim() : ''
  let url: URL | undefined
  try {
    // Plain http is refused: "http://host" becomes "https://http//host", whose path fails below.
    url = new URL(/^https:\/\//i.test(raw) ? raw : `https://${raw}`)
  } catch {}
  if (raw === '' || !url || url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(field, 'must be a host name alone (https), such as "tenant.eu.auth0.com"')
  }
  return url.host
}

/** Auth0's fixed endpoints for a tenant or custom domain. */
export function auth0Metadata(host: string): oauth.AuthorizationServer {
  const base = `https://${host}`
  return {
    issuer: `${base}/`,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/oauth/token`,
    userinfo_endpoint: `${base}/userinfo`,
    revocation_endpoint: `${base}/oauth/revoke`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    end_session_endpoint: `${base}/oidc/logout`,
    pushed_authorization_request_endpoint: `${base}/oauth/par`,
    // Auth0 signs ID tokens with RS256 or PS256 (per application); HS256 needs a secret we
    // cannot check here, so it stays refused.
    id_token_signing_alg_values_supported: ['RS256', 'PS256'],
  }
}

/**
 * Auth0: when a login asked for an organization, the ID token must name it — `org_id` for an
 * ID (`org_…`), `org_name` (lower-cased by Auth0) for a name.
 */
export function checkOrganization(organization: string, claims: { org_id?: unknown; org_name?: unknown } | undefined): void {
  if (claims === undefined) {
    throw new IdTokenError('An organization was requested but the response has no ID token to check it against; include "openid" in the scope')
  }
  const byId = organization.startsWith('org_')
  const claim = byId ? 'org_id' : 'org_name'
  const value = claims[claim]
  if (value !== (byId ? organization : organization.toLowerCase())) {
    throw new IdTokenError(`The ID token's "${claim}" claim ${value === undefined ? 'is missing' : 'does not match'}: expected the organization that was requested`)
  }
}
