// Auth0 domains: the one place that turns "tenant.auth0.com" or "https://tenant.auth0.com/" into a host.
import { ConfigError } from './errors.js'

/**
 * Normalizes an Auth0 domain: accepts `tenant.auth0.com`, `https://tenant.auth0.com` and a
 * trailing slash; refuses anything with a path, a query, credentials or plain http.
 */
export function normalizeDomain(domain: string, field = 'domain'): string {
  if (typeof domain !== 'string' || domain.trim() === '') {
    throw new ConfigError(field, 'must be a host name such as "tenant.eu.auth0.com"')
  }
  const raw = domain.trim()
  if (/^http:\/\//i.test(raw)) throw new ConfigError(field, 'must use https (give the host name alone, e.g. "tenant.eu.auth0.com")')
  let url: URL
  try {
    url = new URL(/^https:\/\//i.test(raw) ? raw : `https://${raw}`)
  } catch {
    throw new ConfigError(field, 'must be a host name such as "tenant.eu.auth0.com"')
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(field, 'must be a host name alone, without a path, query or credentials')
  }
  return url.host
}
