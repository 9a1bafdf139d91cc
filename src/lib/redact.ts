// Redaction: no secret, in any encoding, in a message, name, code or stack an error carries.

/**
 * Replaces every known secret in a text: as given, percent-encoded, and form-encoded (a
 * server that echoes the request body shows the encoded form). Internal.
 */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue
    const forms = new Set([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)])
    for (const form of forms) out = out.split(form).join('[redacted]')
  }
  return out
}

// A line of a stack trace: V8's "    at fn (file:1:2)", or SpiderMonkey's and JavaScriptCore's "fn@file:1:2".
const FRAME = /^\s*at |@.*:\d+:\d+$/

/**
 * A copy of an error for `cause`: name, code, message and stack frames, each redacted, and
 * the same for up to three levels of its own causes, but nothing else that was attached to it
 * (response bodies, claims, requests). The copy's stack is its redacted name and message over
 * the source's frames: the source's own first lines would repeat its message unredacted.
 * Internal.
 */
export function bareCopy(err: unknown, secrets: ReadonlyArray<string | undefined> = [], depth = 3): Error {
  const source = err instanceof Error ? err : new Error(String(err))
  const copy = new Error(redact(source.message, secrets))
  copy.name = redact(String(source.name), secrets)
  const frames = String(source.stack).split('\n').filter((line) => FRAME.test(line)) // no stack: "undefined", no frame
  copy.stack = redact([`${copy.name}: ${copy.message}`, ...frames].join('\n'), secrets)
  const code = (source as { code?: unknown }).code
  if (typeof code === 'string' || typeof code === 'number') {
    Object.defineProperty(copy, 'code', { value: typeof code === 'string' ? redact(code, secrets) : code, enumerable: true })
  }
  const cause = (source as { cause?: unknown }).cause
  if (depth > 0 && cause instanceof Error) {
    Object.defineProperty(copy, 'cause', { value: bareCopy(cause, secrets, depth - 1), enumerable: false, configurable: true, writable: true })
  }
  return copy
}
