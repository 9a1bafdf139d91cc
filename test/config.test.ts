// ClientConfig checks: a ConfigError naming the wrong field, saying what is wrong, before any request.
import { describe, expect, it } from 'vitest'
import { ConfigError, TokenClient, type ClientConfig } from 'authcode'
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, useMockServer } from './helpers/auth0.js'
import { thrown } from './helpers/outcome.js'
import { expectError } from './helpers/token-client.js'

const log = useMockServer()

describe('ConfigError names the wrong ClientConfig field', () => {
  const base = { domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }
  it.each<{ problem: string; config: Record<string, unknown>; field: string }>([
    { problem: 'clientId is missing', config: { domain: DOMAIN, clientSecret: CLIENT_SECRET }, field: 'clientId' },
    { problem: 'clientId is empty', config: { ...base, clientId: '' }, field: 'clientId' },
    { problem: 'clientSecret is empty', config: { ...base, clientSecret: '' }, field: 'clientSecret' },
    { problem: 'clientAuth is not a known method', config: { ...base, clientAuth: 'bogus' }, field: 'clientAuth' },
    { problem: 'timeoutMs is 0', config: { ...base, timeoutMs: 0 }, field: 'timeoutMs' },
    { problem: 'timeoutMs is 1.5', config: { ...base, timeoutMs: 1.5 }, field: 'timeoutMs' },
    { problem: 'retries is -1', config: { ...base, retries: -1 }, field: 'retries' },
    { problem: 'fetch is not a function', config: { ...base, fetch: 'https://example.com' }, field: 'fetch' },
    { problem: 'domain has a path', config: { ...base, domain: 'tenant.eu.auth0.com/oauth' }, field: 'domain' },
    { problem: 'domain uses http://', config: { ...base, domain: 'http://tenant.eu.auth0.com' }, field: 'domain' },
    {
      problem: 'issuer is not https and allowInsecureRequests is not set',
      config: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, issuer: 'http://login.example.com/' },
      field: 'issuer',
    },
    { problem: 'privateKey is missing for private_key_jwt', config: { domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'private_key_jwt' }, field: 'privateKey' },
    { problem: 'clientSecret is missing for client_secret_basic', config: { domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'client_secret_basic' }, field: 'clientSecret' },
    { problem: 'neither domain nor issuer is given', config: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, field: 'domain' },
    { problem: 'clientId is a number', config: { ...base, clientId: 42 }, field: 'clientId' },
    { problem: 'domain is empty', config: { ...base, domain: '' }, field: 'domain' },
    { problem: 'issuer is empty', config: { clientId: CLIENT_ID, issuer: '' }, field: 'issuer' },
    { problem: 'audience is empty', config: { ...base, audience: '' }, field: 'audience' },
    { problem: 'timeoutMs is NaN', config: { ...base, timeoutMs: Number.NaN }, field: 'timeoutMs' },
    { problem: 'timeoutMs is Infinity', config: { ...base, timeoutMs: Number.POSITIVE_INFINITY }, field: 'timeoutMs' },
    { problem: 'timeoutMs is a string', config: { ...base, timeoutMs: '5000' }, field: 'timeoutMs' },
    { problem: 'timeoutMs is above the largest timer', config: { ...base, timeoutMs: 2 ** 31 }, field: 'timeoutMs' },
    { problem: 'retries is 11', config: { ...base, retries: 11 }, field: 'retries' },
    { problem: 'retries is 0.5', config: { ...base, retries: 0.5 }, field: 'retries' },
    { problem: 'maxRetryDelayMs is -1', config: { ...base, maxRetryDelayMs: -1 }, field: 'maxRetryDelayMs' },
    { problem: 'allowInsecureRequests is "yes"', config: { ...base, allowInsecureRequests: 'yes' }, field: 'allowInsecureRequests' },
    { problem: 'privateKey is a string', config: { domain: DOMAIN, clientId: CLIENT_ID, clientAuth: 'private_key_jwt', privateKey: 'PEM' }, field: 'privateKey' },
    { problem: 'dpop is not a key pair', config: { ...base, dpop: {} }, field: 'dpop' },
  ])('rejects a config where $problem', ({ config, field }) => {
    const err = expectError(thrown(() => new TokenClient(config as unknown as ClientConfig)), ConfigError)
    expect(err.code).toBe('ERR_CONFIG')
    expect(err.field).toBe(field)
    expect(err.message).toContain(`"${field}"`)
    expect(err.message).not.toContain(CLIENT_SECRET)
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({ code: 'ERR_CONFIG', field })
  })

  it('says what is wrong, and reports the first wrong field in declaration order', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, timeoutMs: 0 }, 'must be above 0'],
      [{ ...base, timeoutMs: 1.5 }, 'must be a whole number of milliseconds'],
      [{ ...base, timeoutMs: 2 ** 31 }, 'must be at most 2147483647'],
      [{ ...base, retries: -1 }, 'must be 0 or more'],
      [{ ...base, retries: 11 }, 'must be 10 or less'],
      [{ ...base, clientAuth: 'bogus' }, 'must be one of client_secret_post, client_secret_basic, private_key_jwt, none'],
      [{ ...base, fetch: 1 }, 'must be a fetch function'],
      [{ ...base, clientId: '', timeoutMs: 0 }, 'the non-empty Client ID'],
    ]
    for (const [config, text] of cases) {
      const err = expectError(thrown(() => new TokenClient(config as unknown as ClientConfig)), ConfigError)
      expect(err.message).toContain(text)
    }
  })

  it('accepts undefined for every optional field (values read from unset env vars)', () => {
    const unset = { audience: undefined, timeoutMs: undefined, retries: undefined, maxRetryDelayMs: undefined, fetch: undefined, clientAuth: undefined, allowInsecureRequests: undefined }
    expect(new TokenClient({ ...base, ...unset }).timeoutMs).toBe(10_000)
  })

  it('makes no request when the config is wrong', () => {
    thrown(() => new TokenClient({ ...base, timeoutMs: 0 }))
    expect(log).toHaveLength(0)
  })
})
