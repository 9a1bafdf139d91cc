// Issuer identifiers: how a configured issuer is compared with the one a provider reports, and
// what to say when they differ. The client and authcode/api use the same rule and the same words.
import { ConfigError } from '../errors.js'

/**
 * Whether the issuer a discovery document names is the configured one, compared as URLs (as
 * oauth4webapi does): `https://accounts.google.com` and `https://accounts.google.com/` are one
 * issuer; `https://login.example.com/a` and `https://login.example.com/a/` are two.
 */
export function sameIssuer(configured: URL, reported: unknown): boolean {
  if (typeof reported !== 'string') return false
  try {
    return new URL(reported).href === configured.href
  } catch {
    return false
  }
}

/**
 * The ConfigError for a discovery document that names another issuer: a configuration mistake
 * (the provider calls itself something else), never an outage. It names what the provider
 * reports and what to configure instead. Microsoft Entra ID is the usual case: its multi-tenant
 * documents name a template (`{tenantid}`) and a tenant URL without `/v2.0` names the v1 issuer
 * (`https://sts.windows.net/{tid}/`); both need the tenant's v2.0 issuer.
 */
export function issuerMismatch(configured: string, reported: unknown): ConfigError {
  const said = String(reported).slice(0, 200)
  const fix = said.replace(/\{tenantid\}/i, '<tenant-id>').replace(/^https:\/\/sts\.windows\.net\/([^/]+)\/?$/i, 'https://login.microsoftonline.com/$1/v2.0')
  return new ConfigError('issuer', `the discovery document names the issuer ${said}, not ${configured.slice(0, 200)}; configure "${fix}"`)
}
