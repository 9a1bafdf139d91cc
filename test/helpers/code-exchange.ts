// A code exchange with the stand-in tenant: its token URL, a code and verifier, a client config, and an answer with a chosen ID token.
import type { JWTPayload } from 'jose'
import { type ClientConfig, type ExchangeCodeParams } from 'authcode'
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, HttpResponse, REDIRECT_URI, onToken, testTenant } from './auth0.js'

export const TOKEN_URL = `https://${DOMAIN}/oauth/token`
export const CODE = 'SplxlOBeZQQYbYS6WxSbIA'
export const VERIFIER = 'dBjftJeZ4CVP-mJ0kNsdBjftJeZ4CVP-mJ0kNsAbCd0'

export function configWith(extra: Partial<ClientConfig> = {}): ClientConfig {
  return { domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...extra }
}

/** A token endpoint answer with an ID token carrying `claims` (over the tenant's defaults). */
export async function answerWithIdToken(claims: JWTPayload): Promise<void> {
  const tenant = await testTenant()
  const idToken = await tenant.signIdToken(claims)
  onToken(() => HttpResponse.json({ access_token: 'at-1', token_type: 'Bearer', expires_in: 86400, id_token: idToken }))
}

export function codeParams(extra: Partial<ExchangeCodeParams> = {}): ExchangeCodeParams {
  return { code: CODE, redirectUri: REDIRECT_URI, ...extra }
}
