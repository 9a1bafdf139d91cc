// timeoutMs in the one module that calls fetch: no answer, a stalled body, a body that inflates, an injected fetch that ignores the abort.
import { gzipSync } from 'node:zlib'
import { delay } from 'msw'
import { describe, expect, it } from 'vitest'
import { ResponseError, TimeoutError, TokenClient } from 'authcode'
import { CLIENT_ID, CLIENT_SECRET, HttpResponse, onToken, useMockServer } from '../helpers/auth0.js'
import { rejection } from '../helpers/outcome.js'
import { realFetch, startServer, discoveryAnswer } from '../helpers/local-server.js'
import { TOKEN_URL, ACCESS_TOKEN, REFRESH_TOKEN, exchangeParams, client, expectError, stalledResponse } from '../helpers/token-client.js'

const log = useMockServer()

describe('timeouts', () => {
  it('throws a TimeoutError naming the endpoint and timeoutMs when the server never answers', async () => {
    onToken(async () => {
      await delay('infinite')
      return HttpResponse.json({})
    })
    const err = expectError(await rejection(client({ timeoutMs: 100 }).exchangeCode(exchangeParams)), TimeoutError)
    expect(err.code).toBe('ERR_TIMEOUT')
    expect(err.message).toContain(TOKEN_URL)
    expect(err.message).toContain('100')
    expect(err.message).toContain('timeoutMs')
  })

  it('does not retry a code exchange that timed out (the server may have used the code)', async () => {
    onToken(async () => {
      await delay('infinite')
      return HttpResponse.json({})
    })
    await rejection(client({ timeoutMs: 100, retries: 2, maxRetryDelayMs: 0 }).exchangeCode(exchangeParams))
    expect(log).toHaveLength(1)
  })

  it('throws a TimeoutError when a real server sends the headers and then stalls the body', async () => {
    const srv = await startServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') return discoveryAnswer(srv.base, res)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write(`{"access_token":"${ACCESS_TOKEN}",`) // and never the rest
    })
    try {
      const stalled = new TokenClient({
        issuer: `${srv.base}/`,
        allowInsecureRequests: true,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        fetch: realFetch,
        timeoutMs: 100,
        retries: 0,
      })
      const err = expectError(await rejection(stalled.exchangeCode(exchangeParams)), TimeoutError)
      expect(err.message).toContain(`${srv.base}/oauth/token`)
      expect(err.message).not.toContain(ACCESS_TOKEN)
    } finally {
      await srv.close()
    }
  })

  // A reply with a declared length is read by oauth4webapi straight from the response, with no
  // copy (src/lib/http.ts, policy.holds): the timer must still cover that read.
  it('times out a body with a declared length that stalls, from a real server', async () => {
    const srv = await startServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') return discoveryAnswer(srv.base, res)
      const body = `{"access_token":"${ACCESS_TOKEN}","token_type":"Bearer"}`
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) })
      res.write(body.slice(0, 20)) // and never the rest
    })
    try {
      const stalled = new TokenClient({ issuer: `${srv.base}/`, allowInsecureRequests: true, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, fetch: realFetch, timeoutMs: 100, retries: 0 })
      const started = Date.now()
      const err = expectError(await rejection(stalled.exchangeCode(exchangeParams)), TimeoutError)
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(err.message).toContain(`${srv.base}/oauth/token`)
    } finally {
      await srv.close()
    }
  })

  it('times out a body with a declared length when the injected fetch ignores the abort', async () => {
    onToken(() => stalledResponse(200, '{"access_token":', { 'content-length': '64' }))
    expectError(await rejection(client({ timeoutMs: 100 }).exchangeCode(exchangeParams)), TimeoutError)
    expectError(await rejection(client({ timeoutMs: 100 }).refresh({ refreshToken: REFRESH_TOKEN })), TimeoutError)
  })

  it('counts an encoded body as it inflates: a small gzip declared length cannot smuggle in more than 1 MiB', async () => {
    // 2 MiB of JSON whitespace before a valid token response, gzipped to a few KB.
    const inflated = `${' '.repeat(2 * 1024 * 1024)}{"access_token":"${ACCESS_TOKEN}","token_type":"Bearer","expires_in":60}`
    const gz = gzipSync(inflated)
    const srv = await startServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') return discoveryAnswer(srv.base, res)
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(gz.length) })
      res.end(gz)
    })
    try {
      const bomb = new TokenClient({ issuer: `${srv.base}/`, allowInsecureRequests: true, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, fetch: realFetch, retries: 0 })
      expect(gz.length).toBeLessThan(64 * 1024)
      const err = expectError(await rejection(bomb.exchangeCode(exchangeParams)), ResponseError)
      expect(err.message).toContain('1 MiB')
    } finally {
      await srv.close()
    }
  })

  it('an error body with a declared length that stalls still times out (a 5xx is read for its OAuth error)', async () => {
    onToken(() => stalledResponse(500, '{"error":', { 'content-length': '64' }))
    expectError(await rejection(client({ timeoutMs: 100 }).exchangeCode(exchangeParams)), TimeoutError)
  })
})
