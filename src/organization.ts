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
  const byId = organization.startsWith('org_')
  const claim = byId ? 'org_id' : 'org_name'
  const value = claims[claim]
  if (value !== (byId ? organization : organization.toLowerCase())) {
    throw new IdTokenError(`The ID token's "${claim}" claim ${value === undefined ? 'is missing' : 'does not match'}: expected the organization that was requested`)
  }
}
