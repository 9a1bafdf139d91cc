// Auth0 organizations: the ID token must name the organization the login asked for.
import { IdTokenError } from './errors.js'

/**
 * Auth0: when a login asked for an organization, the ID token must name it — `org_id` for an
 * ID (`org_…`), `org_name` (lower-cased by Auth0) for a name.
 */
export function checkOrganization(organization: string, claims: { org_id?: unknown; org_name?: unknown } | undefined): void {
  if (claims === undefined) {
    throw new IdTokenError('An organization was requested but the response has no ID token to check it against; include "openid" in the scope')
  }
  if (organization.startsWith('org_')) {
    if (claims.org_id !== organization) {
      throw new IdTokenError(`The ID token's "org_id" claim ${claims.org_id === undefined ? 'is missing' : 'does not match'}: expected the organization that was requested`)
    }
  } else if (claims.org_name !== organization.toLowerCase()) {
    throw new IdTokenError(`The ID token's "org_name" claim ${claims.org_name === undefined ? 'is missing' : 'does not match'}: expected the organization that was requested`)
  }
}
