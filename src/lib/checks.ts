// Argument checks shared by every public function: required text, URLs, redirect URIs, scopes.
import { ConfigError } from '../errors.js'

// A lone UTF-16 surrogate cannot be sent: URL encoding would silently turn it into U+FFFD.
// (With the u flag a well-formed pair is one code point, so only a lone surrogate matches.)
export function wellFormed<T>(value: T, field: string): T {
  if (/\p{Surrogate}/u.test(value as string)) throw new ConfigError(field, 'has a lone UTF-16 surrogate')
  return value
}

/** A required string: present and not empty. */
export function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new ConfigError(field, 'must be a non-empty string')
  return value
}

/** A required string that goes into a URL: also free of lone surrogates. */
export function requireUrlText(value: unknown, field: string): string {
  return wellFormed(requireText(value, field), field)
}

/** An absolute http(s) URL, parsed. */
export function httpUrl(value: unknown, field: string): URL {
  const text = requireUrlText(value, field)
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {}
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:') throw new ConfigError(field, 'must be an absolute http(s) URL')
  return url
}

/** Checks a redirect URI: absolute http(s), no fragment (Auth0 drops everything after `#`). */
export function checkRedirectUri(value: unknown, field = 'redirectUri'): string {
  httpUrl(value, field)
  const text = value as string
  if (text.includes('#')) throw new ConfigError(field, 'must not have a fragment ("#")')
  return text
}

/** Normalizes a scope given as a string or an array to one space-separated string. */
export function scopeString(scope: string | string[] | undefined, field = 'scope'): string | undefined {
  if (scope === undefined) return undefined
  const parts = Array.isArray(scope) ? scope : [scope]
  for (const part of parts) {
    if (typeof part !== 'string') throw new ConfigError(field, 'must be a string or an array of strings')
    wellFormed(part, field)
  }
  const joined = parts.join(' ').split(/\s+/).filter(Boolean).join(' ')
  return joined === '' ? undefined : joined
}
