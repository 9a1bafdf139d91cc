// errorResponse: the HTTP answer for each verification error, with its challenge, and undefined for anything else.
import { describe, expect, it } from 'vitest'
import { ConfigError, IdTokenError, InsufficientScopeError, InvalidTokenError, LogoutTokenError, NetworkError, ResponseError, TimeoutError } from 'authcode'
import { errorResponse } from 'authcode/api'

describe('errorResponse', () => {
  it('answers 401 with the Bearer challenge for an invalid access token, without the token', async () => {
    const res = errorResponse(new InvalidTokenError('The access token has expired'))
    expect(res?.status).toBe(401)
    expect(res?.headers.get('www-authenticate')).toMatch(/^Bearer /)
    expect(await res?.json()).toMatchObject({ error_description: 'The access token has expired' })
  })

  it('answers 403 insufficient_scope naming the scopes', async () => {
    const res = errorResponse(new InsufficientScopeError(['read:contacts']))
    expect(res?.status).toBe(403)
    expect(res?.headers.get('www-authenticate')).toContain('insufficient_scope')
    expect((await res?.json()).error).toBe('insufficient_scope')
  })

  it('answers 401 invalid_token for an ID token that fails verifyIdToken', async () => {
    const res = errorResponse(new IdTokenError('The ID token has expired'))
    expect(res?.status).toBe(401)
    expect(res?.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
    expect(await res?.json()).toEqual({ error: 'invalid_token', error_description: 'The ID token has expired' })
  })

  it('answers 400 invalid_request for a logout token that fails verifyLogoutToken', async () => {
    const res = errorResponse(new LogoutTokenError('The logout token was already used (jti replay)'))
    expect(res?.status).toBe(400)
    expect((await res?.json()).error).toBe('invalid_request')
  })

  it.each([
    ['ResponseError', new ResponseError(500, 'The JWKS endpoint answered 500')],
    ['NetworkError', new NetworkError('fetch failed')],
    ['TimeoutError', new TimeoutError('no answer')],
  ])('answers 503 temporarily_unavailable with Retry-After for a %s (the keys could not be fetched)', async (_name, err) => {
    const res = errorResponse(err)
    expect(res?.status).toBe(503)
    expect(res?.headers.get('retry-after')).toBe('5')
    expect((await res?.json()).error).toBe('temporarily_unavailable')
  })

  it('gives undefined for your own bugs (ConfigError, a TypeError), to rethrow', () => {
    expect(errorResponse(new ConfigError('audience', 'must be a non-empty string'))).toBeUndefined()
    expect(errorResponse(new TypeError('x is undefined'))).toBeUndefined()
  })
})
