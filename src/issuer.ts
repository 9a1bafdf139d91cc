// Issuer identifiers: how a configured issuer is compared with the one a provider reports, and
// what to say when they differ. The client and authcode/api use the same rule and the same words.
import { ConfigError } from './errors.js'

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
 * reports and what to configure instead, with Microsoft Entra ID's two usual mix-ups spelled out.
 */
export function issuerMismatch(configured: string, reported: unknown): ConfigError {
  const said = typeof reported === 'string' ? reported.slice(0, 200) : 'no issuer'
  // Microsoft Entra ID: the multi-tenant documents name a template, a v1 tenant URL the v1 issuer.
  const tenant = said.includes('{') || /microsoftonline\.com\/(common|organizations|consumers)\b/i.test(configured) ? '<tenant-id>' : /^https:\/\/sts\.windows\.net\/([^/]+)/i.exec(said)?.[1]
  const fix = tenant === undefined ? `configure "${said}" if that is the provider you mean` : `for Entra ID configure "https://login.microsoftonline.com/${tenant}/v2.0"`
  return new ConfigError('issuer', `the discovery document names the issuer ${said}, not ${configured.slice(0, 200)}; ${fix}`)
}
