// validateCallback: the redirect back from /authorize, checked before any code is exchanged.
import { describe, expect, it } from 'vitest'
import {
  type ExpectedCallback,
  AuthcodeError,
  AuthorizationError,
  CallbackError,
  ConfigError,
  StateMismatchError,
  createAuthorizationRequest,
  validateCallback,
} from 'authcode'
import { CLIENT_ID, DOMAIN, ISSUER, REDIRECT_URI } from '../helpers/auth0.js'
import { thrown } from '../helpers/outcome.js'

const CODE = 'SplxlOBeZQQYbYS6WxSbIA'
const STATE = 'xyzABC123'
const expected: ExpectedCallback = { state: STATE }

/** Asserts that no visible form of the error (message, toString, JSON) carries the code. */
function expectNoCode(err: unknown, code = CODE): void {
  expect(err).toBeInstanceOf(AuthcodeError)
  const e = err as AuthcodeError
  expect(e.message).not.toContain(code)
  expect(String(e)).not.toContain(code)
  expect(JSON.stringify(e)).not.toContain(code)
}

describe('validateCallback input forms', () => {
  it('accepts the full callback URL as a string', () => {
    expect(validateCallback(`${REDIRECT_URI}?code=${CODE}&state=${STATE}`, expected)).toStrictEqual({ code: CODE, state: STATE })
  })

  it('accepts a URL object', () => {
    expect(validateCallback(new URL(`${REDIRECT_URI}?code=${CODE}&state=${STATE}`), expected)).toStrictEqual({
      code: CODE,
      state: STATE,
    })
  })

  it('accepts a query string with a leading "?"', () => {
    expect(validateCallback(`?code=${CODE}&state=${STATE}`, expected)).toStrictEqual({ code: CODE, state: STATE })
  })

  it('accepts a query string without a leading "?"', () => {
    expect(validateCallback(`code=${CODE}&state=${STATE}`, expected)).toStrictEqual({ code: CODE, state: STATE })
  })

  it('accepts a path with a query string (a request URL without the origin)', () => {
    expect(validateCallback(`/callback?state=${STATE}&code=${CODE}`, expected)).toStrictEqual({ code: CODE, state: STATE })
  })

  it('accepts URLSearchParams, such as the body of a form_post callback', () => {
    const body = new URLSearchParams({ code: CODE, state: STATE })
    expect(validateCallback(body, expected)).toStrictEqual({ code: CODE, state: STATE })
  })

  it('decodes percent-encoded and "+"-encoded values', () => {
    const state = 'a b/c+d='
    const result = validateCallback(`${REDIRECT_URI}?code=x%2By&state=a+b%2Fc%2Bd%3D`, { state })
    expect(result).toStrictEqual({ code: 'x+y', state })
  })

  it('returns exactly code and state, dropping every other parameter', () => {
    const result = validateCallback(
      `${REDIRECT_URI}?code=${CODE}&state=${STATE}&iss=${encodeURIComponent(ISSUER)}&session_state=abc&foo=bar`,
      { state: STATE, issuer: ISSUER },
    )
    expect(result).toStrictEqual({ code: CODE, state: STATE })
    expect(Object.keys(result).sort()).toEqual(['code', 'state'])
  })
})

describe('validateCallback fragments', () => {
  it('ignores a fragment that tries to supply another code in a URL string', () => {
    expect(validateCallback(`${REDIRECT_URI}?code=a&state=${STATE}#code=evil`, expected)).toStrictEqual({
      code: 'a',
      state: STATE,
    })
  })

  it('ignores a fragment in a URL object', () => {
    expect(validateCallback(new URL(`${REDIRECT_URI}?code=a&state=${STATE}#code=evil&state=evil`), expected)).toStrictEqual({
      code: 'a',
      state: STATE,
    })
  })

  it('ignores a fragment after a bare query string', () => {
    expect(validateCallback(`code=a&state=${STATE}#code=evil`, expected)).toStrictEqual({ code: 'a', state: STATE })
  })

  it('does not take the code from a fragment when the query has none', () => {
    const fn = () => validateCallback(`${REDIRECT_URI}?state=${STATE}#code=${CODE}`, expected)
    expect(fn).toThrow(CallbackError)
    expectNoCode(thrown(fn))
  })
})

describe('validateCallback error responses', () => {
  it('throws AuthorizationError with error and errorDescription for access_denied', () => {
    const fn = () =>
      validateCallback(`${REDIRECT_URI}?error=access_denied&error_description=User%20did%20not%20consent&state=${STATE}`, expected)
    expect(fn).toThrow(AuthorizationError)
    const err = thrown(fn) as AuthorizationError
    expect(err.code).toBe('ERR_AUTHORIZATION')
    expect(err.error).toBe('access_denied')
    expect(err.errorDescription).toBe('User did not consent')
    expect(err.message).toContain('access_denied')
  })

  it('throws AuthorizationError without errorDescription when none is sent', () => {
    const err = thrown(() => validateCallback(`?error=login_required&state=${STATE}`, expected)) as AuthorizationError
    expect(err).toBeInstanceOf(AuthorizationError)
    expect(err.error).toBe('login_required')
    expect(err.errorDescription).toBeUndefined()
  })

  it('carries error_uri when sent', () => {
    const err = thrown(() =>
      validateCallback(`?error=invalid_request&error_uri=https%3A%2F%2Fdocs.example%2Fe&state=${STATE}`, expected),
    ) as AuthorizationError
    expect(err.errorUri).toBe('https://docs.example/e')
  })

  it('throws AuthorizationError even when a code is also present, without revealing the code', () => {
    const fn = () => validateCallback(`?code=${CODE}&error=server_error&state=${STATE}`, expected)
    expect(fn).toThrow(AuthorizationError)
    expectNoCode(thrown(fn))
  })
})

describe('validateCallback state check', () => {
  it('throws StateMismatchError when state is missing', () => {
    const fn = () => validateCallback(`${REDIRECT_URI}?code=${CODE}`, expected)
    expect(fn).toThrow(StateMismatchError)
    expect(thrown(fn)).toMatchObject({ code: 'ERR_STATE_MISMATCH' })
    expectNoCode(thrown(fn))
  })

  it('throws StateMismatchError when state is empty', () => {
    expect(() => validateCallback(`?code=${CODE}&state=`, expected)).toThrow(StateMismatchError)
  })

  it.each([
    ['a different value', 'abcXYZ987'],
    ['a longer value with the same prefix', `${STATE}4`],
    ['a shorter value that is a prefix', STATE.slice(0, -1)],
    ['a value differing only in case', STATE.toLowerCase()],
    ['a value differing only in the last character', `${STATE.slice(0, -1)}4`],
  ])('throws StateMismatchError for %s', (_label, state) => {
    const fn = () => validateCallback(`?code=${CODE}&state=${encodeURIComponent(state)}`, expected)
    expect(fn).toThrow(StateMismatchError)
    expect(thrown(fn)).toMatchObject({ code: 'ERR_STATE_MISMATCH' })
    expectNoCode(thrown(fn))
  })

  it('checks state before the error: an error response with a wrong state is StateMismatchError', () => {
    const fn = () => validateCallback('?error=access_denied&error_description=nope&state=forged', expected)
    expect(fn).toThrow(StateMismatchError)
    expect(fn).not.toThrow(AuthorizationError)
  })

  it('checks state before the error: an error response without state is StateMismatchError', () => {
    expect(() => validateCallback('?error=access_denied', expected)).toThrow(StateMismatchError)
  })

  it('compares non-ASCII states by their exact value', () => {
    expect(validateCallback(`?code=c&state=${encodeURIComponent('état')}`, { state: 'état' })).toStrictEqual({
      code: 'c',
      state: 'état',
    })
    expect(() => validateCallback(`?code=c&state=${encodeURIComponent('etat')}`, { state: 'état' })).toThrow(StateMismatchError)
  })

  it('refuses an empty expected state with ConfigError before looking at the callback', () => {
    const fn = () => validateCallback(`?code=${CODE}&state=`, { state: '' })
    expect(fn).toThrow(ConfigError)
    expect(thrown(fn)).toMatchObject({ code: 'ERR_CONFIG', field: 'state' })
    expectNoCode(thrown(fn))
  })

  it('refuses a missing expected object or expected state with ConfigError', () => {
    expect(() => validateCallback(`?code=${CODE}&state=${STATE}`, {} as ExpectedCallback)).toThrow(ConfigError)
    expect(() => validateCallback(`?code=${CODE}&state=${STATE}`, undefined as unknown as ExpectedCallback)).toThrow(ConfigError)
  })
})

describe('validateCallback repeated parameters', () => {
  it.each([
    ['code', `?code=${CODE}&code=other&state=${STATE}`],
    ['state', `?code=${CODE}&state=${STATE}&state=${STATE}`],
    ['iss', `?code=${CODE}&state=${STATE}&iss=${encodeURIComponent(ISSUER)}&iss=${encodeURIComponent(ISSUER)}`],
    ['error', `?error=a&error=b&state=${STATE}`],
  ])('throws CallbackError when %s is repeated', (_name, query) => {
    const fn = () => validateCallback(query, { state: STATE, issuer: ISSUER })
    expect(fn).toThrow(CallbackError)
    expect(thrown(fn)).toMatchObject({ code: 'ERR_CALLBACK' })
    expectNoCode(thrown(fn))
  })

  it('throws CallbackError for a repeated parameter in URLSearchParams', () => {
    const body = new URLSearchParams([
      ['code', CODE],
      ['state', STATE],
      ['code', 'second'],
    ])
    expect(() => validateCallback(body, expected)).toThrow(CallbackError)
  })

  it('throws CallbackError for a repeated code even when both values are equal', () => {
    expect(() => validateCallback(`?code=${CODE}&code=${CODE}&state=${STATE}`, expected)).toThrow(CallbackError)
  })
})

describe('validateCallback issuer check (RFC 9207)', () => {
  it('accepts an iss equal to the expected issuer', () => {
    const result = validateCallback(`?code=${CODE}&state=${STATE}&iss=${encodeURIComponent(ISSUER)}`, {
      state: STATE,
      issuer: ISSUER,
    })
    expect(result).toStrictEqual({ code: CODE, state: STATE })
  })

  it.each([
    ['another server', 'https://evil.example/'],
    ['the issuer without its trailing slash', ISSUER.slice(0, -1)],
    ['the issuer over http', ISSUER.replace('https:', 'http:')],
    ['an empty value', ''],
  ])('throws CallbackError for an iss of %s', (_label, iss) => {
    const fn = () => validateCallback(`?code=${CODE}&state=${STATE}&iss=${encodeURIComponent(iss)}`, { state: STATE, issuer: ISSUER })
    expect(fn).toThrow(CallbackError)
    expect(thrown(fn)).toMatchObject({ code: 'ERR_CALLBACK' })
    expectNoCode(thrown(fn))
  })

  it('accepts a callback without iss when requireIssuer is not set', () => {
    expect(validateCallback(`?code=${CODE}&state=${STATE}`, { state: STATE, issuer: ISSUER })).toStrictEqual({
      code: CODE,
      state: STATE,
    })
  })

  it('throws CallbackError for a callback without iss when requireIssuer is true', () => {
    const fn = () => validateCallback(`?code=${CODE}&state=${STATE}`, { state: STATE, issuer: ISSUER, requireIssuer: true })
    expect(fn).toThrow(CallbackError)
    expectNoCode(thrown(fn))
  })

  it('accepts iss with requireIssuer true when it matches', () => {
    const query = `?code=${CODE}&state=${STATE}&iss=${encodeURIComponent(ISSUER)}`
    expect(validateCallback(query, { state: STATE, issuer: ISSUER, requireIssuer: true })).toStrictEqual({
      code: CODE,
      state: STATE,
    })
  })

  it('refuses a wrong iss on an error response with CallbackError, not AuthorizationError', () => {
    const fn = () =>
      validateCallback(`?error=access_denied&state=${STATE}&iss=${encodeURIComponent('https://evil.example/')}`, {
        state: STATE,
        issuer: ISSUER,
      })
    expect(fn).toThrow(CallbackError)
  })
})

describe('validateCallback code', () => {
  it('throws CallbackError when there is no code', () => {
    const fn = () => validateCallback(`${REDIRECT_URI}?state=${STATE}`, expected)
    expect(fn).toThrow(CallbackError)
    expect(thrown(fn)).toMatchObject({ code: 'ERR_CALLBACK' })
  })

  it('throws CallbackError when code is empty', () => {
    expect(() => validateCallback(`?code=&state=${STATE}`, expected)).toThrow(CallbackError)
  })

  it('throws CallbackError for an input that is not a string, URL or URLSearchParams', () => {
    expect(() => validateCallback(42 as unknown as string, expected)).toThrow(CallbackError)
  })
})

describe('validateCallback with a transaction from createAuthorizationRequest', () => {
  it('accepts the transaction as `expected` and returns the code', async () => {
    const { transaction } = await createAuthorizationRequest({ domain: DOMAIN, clientId: CLIENT_ID }, { redirectUri: REDIRECT_URI })
    const callback = `${REDIRECT_URI}?code=${CODE}&state=${encodeURIComponent(transaction.state)}&iss=${encodeURIComponent(ISSUER)}`
    expect(validateCallback(callback, transaction)).toStrictEqual({ code: CODE, state: transaction.state })
  })

  it('refuses, with the transaction as `expected`, a callback whose iss is another server', async () => {
    const { transaction } = await createAuthorizationRequest({ domain: DOMAIN, clientId: CLIENT_ID }, { redirectUri: REDIRECT_URI })
    const callback = `${REDIRECT_URI}?code=${CODE}&state=${transaction.state}&iss=${encodeURIComponent('https://evil.example/')}`
    expect(() => validateCallback(callback, transaction)).toThrow(CallbackError)
  })

  it("refuses, with the transaction as `expected`, the state of another login", async () => {
    const config = { domain: DOMAIN, clientId: CLIENT_ID }
    const first = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    const second = await createAuthorizationRequest(config, { redirectUri: REDIRECT_URI })
    const callback = `${REDIRECT_URI}?code=${CODE}&state=${first.transaction.state}`
    expect(() => validateCallback(callback, second.transaction)).toThrow(StateMismatchError)
    expect(validateCallback(callback, first.transaction).code).toBe(CODE)
  })
})
