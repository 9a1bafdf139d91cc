// The @example of createAuth0Handlers (authcode/testing), verbatim: a user's test of a login.
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
import { createAuthorizationRequest, exchangeCode, validateCallback } from 'authcode'
import { createTestTenant } from 'authcode/testing'
import { createAuth0Handlers } from 'authcode/testing/msw'

const tenant = await createTestTenant({ domain: 'my-tenant.auth0.example', clientId: 'my-app' })
const auth0 = createAuth0Handlers(tenant, { clientSecret: 'shh' })
const server = setupServer(...auth0.handlers)
beforeAll(() => server.listen())
afterEach(() => auth0.reset())
afterAll(() => server.close())

test('a user logs in', async () => {
  const config = { domain: tenant.domain, clientId: tenant.clientId, clientSecret: 'shh' }
  const { url, transaction } = await createAuthorizationRequest(config, { redirectUri: 'https://app.example.com/callback' })
  const { code } = validateCallback(await auth0.authorize(url, { user: { name: 'Jane' } }), transaction)
  expect((await exchangeCode(config, { code, ...transaction })).claims?.name).toBe('Jane')
})
