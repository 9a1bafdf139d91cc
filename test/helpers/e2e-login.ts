// Logins against the real authorization server of the e2e suites (scripts/auth-server.mjs): a config per
// application, a browser through /authorize and the login form, the main login with tokens, and logout.
import { expect } from 'vitest'
import {
  TokenClient,
  createAuthorizationRequest,
  validateCallback,
  type AuthorizationTransaction,
  type ClientConfig,
  type CreateAuthorizationRequestParams,
} from 'authcode'
import { type AuthServer, type AuthServerClient, CookieJar, browserLogin, locationOf, parseForm, send } from './auth-server.js'

export const REDIRECT_URI = 'http://localhost:3000/callback'
export const SCOPE = 'openid profile email offline_access'

export interface Login {
  config: ClientConfig
  transaction: AuthorizationTransaction
  url: URL
  callback: URL
  form?: URLSearchParams
  loginPage?: string
  jar: CookieJar
}

/** The login steps for the file's server, which `server()` gives once its beforeAll has started it. */
export function e2eLogins(server: () => AuthServer) {
  const user = () => server().users[0]!

  /** A ClientConfig for one of the server's applications (a new object: its own discovery cache). */
  function configFor(client: AuthServerClient, extra: Partial<ClientConfig> = {}): ClientConfig {
    return { issuer: server().issuer, allowInsecureRequests: true, ...client, ...extra }
  }

  /** createAuthorizationRequest, then a browser through /authorize and the login form to the callback. */
  async function authorize(config: ClientConfig, params: Partial<CreateAuthorizationRequestParams> = {}, jar?: CookieJar): Promise<Login> {
    const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI, ...params })
    const { email, password } = user()
    const result = await browserLogin(url, { email, password, ...(jar !== undefined && { jar }) })
    return { config, transaction, url, ...result }
  }

  /** The main login of these tests: the API as audience, refresh tokens, the Acme organization. */
  async function loginWithTokens(client: AuthServerClient = server().clients.confidential, params: Partial<CreateAuthorizationRequestParams> = {}) {
    const login = await authorize(configFor(client), { scope: SCOPE, audience: server().apiAudience, organization: 'org_acme', ...params })
    const { code } = validateCallback(login.callback, login.transaction)
    const tokenClient = new TokenClient(login.config)
    const tokens = await tokenClient.exchangeCode({ code, ...login.transaction })
    return { ...login, tokenClient, tokens }
  }

  return { user, configFor, authorize, loginWithTokens }
}

/** GET the logout URL, submit the (self-submitting) confirmation form, and return where the server sends the browser. */
export async function followLogout(jar: CookieJar, logoutUrl: URL): Promise<URL> {
  const page = await send(jar, logoutUrl)
  expect(page.status).toBe(200)
  const { action, fields } = parseForm(await page.text(), logoutUrl)
  expect(fields.get('logout')).toBe('yes')
  const res = await send(jar, action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() })
  return locationOf(res, action)
}
