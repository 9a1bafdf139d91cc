// A TokenClient for the stand-in tenant without retries, the values it sends (which no error may show), and answers to give it.
import { expect } from 'vitest'
import { TokenClient, type ClientConfig } from 'authcode'
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, HttpResponse, REDIRECT_URI } from './auth0.js'

export const TOKEN_URL = `https://${DOMAIN}/oauth/token`
export const USERINFO_URL = `https://${DOMAIN}/userinfo`
export const REVOKE_URL = `https://${DOMAIN}/oauth/revoke`

// Values that must never show up in an error.
export const CODE = 'code-SplxlOBeZQQYbYS6WxSbIA-4f7d'
export const VERIFIER = 'verifier-dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
export const ACCESS_TOKEN = 'access-token-eyJhbGciOiJSUzI1NiJ9-AT-9c1e77'
export const REFRESH_TOKEN = 'refresh-token-v1.MRjbz8Uw-RT-5512ab'

export const exchangeParams = { code: CODE, redirectUri: REDIRECT_URI, codeVerifier: VERIFIER }

export function client(extra: Partial<ClientConfig> = {}): TokenClient {
  return new TokenClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, retries: 0, ...extra })
}

/** Asserts the class and narrows to it. */
export function expectError<T>(err: unknown, Class: abstract new (...args: never[]) => T): T {
  expect(err).toBeInstanceOf(Class)
  return err as T
}

/** A response whose body sends `first` and then never ends (a fetch mock does not cut it on abort). */
export function stalledResponse(status: number, first: string, headers: Record<string, string> = {}) {
  return new HttpResponse(
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(first))
      },
    }),
    { status, headers: { 'content-type': 'application/json', ...headers } },
  )
}

export function oauthJson(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return HttpResponse.json(body, { status, headers })
}
