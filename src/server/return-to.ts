// Where login and logout may send the user back to: a path on the app's own origin, nothing else.

// Control characters and backslashes: browsers read "/\evil.com" and "/\t/evil.com" as "//evil.com".
const UNSAFE = /[\u0000-\u001f\u007f\\]/
const MAX_LENGTH = 2048

/**
 * `value` as a path on `base`'s origin, or undefined when it is not one: only a path that
 * starts with one `/` (not `//`, not `/\`), no scheme, no control characters, at most 2,048
 * characters. Absolute URLs are refused even on the same origin, so what is allowed is plain
 * to see.
 */
export function safeReturnTo(value: string | null | undefined, base: URL): string | undefined {
  if (typeof value !== 'string' || value === '' || value.length > MAX_LENGTH) return undefined
  if (!value.startsWith('/') || value.startsWith('//') || UNSAFE.test(value)) return undefined
  let url: URL
  try {
    url = new URL(value, base.origin)
  } catch {
    return undefined
  }
  if (url.origin !== base.origin) return undefined
  return `${url.pathname}${url.search}${url.hash}`
}
