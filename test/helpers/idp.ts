// A generic OpenID provider found through discovery, served on msw: its metadata, token endpoint and a client config for it.
import { type ClientConfig } from 'authcode'
import { CLIENT_ID, CLIENT_SECRET, HttpResponse, http, server, testTenant } from './auth0.js'

// A generic OIDC provider found through discovery.
export const IDP = 'https://idp.example.com'
export const IDP_ISSUER = `${IDP}/`
export const IDP_DISCOVERY = `${IDP}/.well-known/openid-configuration`
export const IDP_TOKEN = `${IDP}/oauth2/v1/token`

export function idpMetadata(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer: IDP_ISSUER,
    authorization_endpoint: `${IDP}/oauth2/v1/authorize`,
    token_endpoint: IDP_TOKEN,
    userinfo_endpoint: `${IDP}/oauth2/v1/userinfo`,
    revocation_endpoint: `${IDP}/oauth2/v1/revoke`,
    jwks_uri: `${IDP}/oauth2/v1/keys`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    ...extra,
  }
}

/** Serves discovery (optionally failing first with the given statuses) and the token endpoint of IDP. */
export async function useIdp(p: { metadata?: Record<string, unknown>; failFirst?: number[] } = {}): Promise<void> {
  const tenant = await testTenant()
  const failures = [...(p.failFirst ?? [])]
  server.use(
    http.get(IDP_DISCOVERY, () => {
      const status = failures.shift()
      if (status !== undefined) return new HttpResponse('discovery unavailable', { status })
      return HttpResponse.json(idpMetadata(p.metadata))
    }),
    http.post(IDP_TOKEN, async () =>
      HttpResponse.json({
        access_token: 'idp-at',
        token_type: 'Bearer',
        expires_in: 3600,
        id_token: await tenant.signIdToken({ iss: IDP_ISSUER }),
      }),
    ),
  )
}

export function idpConfig(extra: Partial<ClientConfig> = {}): ClientConfig {
  return { issuer: IDP_ISSUER, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...extra }
}
