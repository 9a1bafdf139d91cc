// Checks of an InvalidTokenError: its 401 challenge, and that no rendering of it shows the token.
import { expect } from 'vitest'
import { AuthcodeError, InsufficientScopeError, InvalidTokenError } from 'authcode/api'
import { rejection } from './outcome.js'

/** Everything about an error that could end up in a log or a response. */
export function renderings(err: AuthcodeError): string[] {
  const out = [err.message, String(err), JSON.stringify(err), err.stack ?? '']
  if (err instanceof InvalidTokenError || err instanceof InsufficientScopeError) out.push(err.wwwAuthenticate)
  return out
}

/** Neither the token nor any of its segments appears in the error, however it is rendered. */
export function expectNoTokenIn(err: AuthcodeError, token: string): void {
  const pieces = [token, ...token.split('.').filter((part) => part.length >= 16)]
  for (const text of renderings(err)) {
    for (const piece of pieces) expect(text).not.toContain(piece)
  }
}

/** The verifier refuses `token` with an InvalidTokenError (401, invalid_token) whose message matches. */
export async function expectInvalidToken(promise: Promise<unknown>, token: string, message: RegExp): Promise<InvalidTokenError> {
  const err = await rejection(promise)
  expect(err).toBeInstanceOf(InvalidTokenError)
  const invalid = err as InvalidTokenError
  expect(invalid.code).toBe('ERR_INVALID_TOKEN')
  expect(invalid.status).toBe(401)
  expect(invalid.message).toMatch(message)
  expect(invalid.wwwAuthenticate).toMatch(/^Bearer error="invalid_token", error_description="/)
  expectNoTokenIn(invalid, token)
  return invalid
}

/** Splits `Bearer a="x", b="y"` into its scheme and parameters (quoted-string values, \-escapes undone). */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const match = /^(\S+)(?: (.*))?$/.exec(header)
  if (!match) throw new Error(`not a challenge: ${header}`)
  const params: Record<string, string> = {}
  const rest = match[2] ?? ''
  const re = /\s*([A-Za-z_]+)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y
  let consumed = 0
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    params[m[1]!] = m[2]!.replace(/\\(.)/g, '$1')
    consumed = re.lastIndex
  }
  if (consumed !== rest.length) throw new Error(`unparsable challenge parameters: ${rest}`)
  return { scheme: match[1]!, params }
}
