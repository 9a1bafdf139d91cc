// Auth0 domains: the one place that turns "tenant.auth0.com" or "https://tenant.auth0.com/" into a host.
import { ConfigError } from './errors.js'

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
