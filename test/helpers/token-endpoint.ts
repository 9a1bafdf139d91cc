// A stand-in token endpoint answering every grant with a fresh token set of the test tenant, carrying the nonce of the current login.
import { createAuthorizationRequest, type ClientConfig } from 'authcode'
import { HttpResponse, REDIRECT_URI, onToken, testTenant, type Recorded } from './auth0.js'

// The nonce of the last login started with transactionFor(): the stand-in token endpoint puts it in the ID token.
let loginNonce: string | undefined

/** A token set of the tenant, with the nonce of the current login in its ID token. */
export async function tokenJson(tokenType = 'Bearer') {
  const body = await (await testTenant()).tokenResponse(loginNonce === undefined ? {} : { nonce: loginNonce })
  return { ...body, token_type: tokenType }
}

/** A token endpoint answering every grant with a fresh token set of the tenant. */
export function tokenEndpoint(p: { tokenType?: string } = {}) {
  onToken(async () => HttpResponse.json(await tokenJson(p.tokenType)))
}

/** A login's transaction (for exchangeCode) from createAuthorizationRequest. */
export async function transactionFor(log: Recorded[], config: ClientConfig) {
  const { transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
  loginNonce = transaction.nonce
  log.length = 0
  return transaction
}
