// Property-based tests (fast-check) of buildAuthorizeUrl: any parameters round-trip through the URL, or are
// refused with a ConfigError.
// Seeded (test/helpers/fast-check.ts): a failure reports its seed and shrink path; replay with FC_SEED=<seed>.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConfigError, buildAuthorizeUrl, type BuildAuthorizeUrlParams } from 'authcode'
import { CLIENT_ID, DOMAIN, REDIRECT_URI, useMockServer } from '../helpers/auth0.js'
import { SEED, RUNS, params, type Len, anyString, wellFormedString, isWellFormed, sometimes, describeError } from '../helpers/fast-check.js'

useMockServer()

describe(`properties (fast-check seed ${SEED})`, () => {
  describe('2. buildAuthorizeUrl', () => {
    const NAMED = [
      'response_type', 'client_id', 'redirect_uri', 'scope', 'audience', 'state', 'nonce',
      'code_challenge', 'code_challenge_method', 'organization', 'invitation', 'prompt', 'connection',
      'login_hint', 'screen_hint', 'max_age', 'ui_locales', 'response_mode',
    ]
    const RESERVED = new Set(NAMED)
    const ENDPOINT = 'https://idp.example/authorize?tenant=acme'

    // Four cases out of five draw every string from well-formed Unicode, the fifth from any JS
    // string (lone surrogates included), so both kinds are well covered.
    function caseOf(str: (len?: Len) => fc.Arbitrary<string>) {
      // Text options: mostly non-empty strings, sometimes '' (invalid).
      const textArb = fc.oneof({ weight: 12, arbitrary: str({ minLength: 1, maxLength: 16 }) }, { weight: 1, arbitrary: fc.constant('') })
      const optText = fc.option(textArb, { nil: undefined, freq: 2 })
      const extraName = fc.oneof(
        { weight: 10, arbitrary: str({ maxLength: 8 }).filter((n) => !RESERVED.has(n)) },
        { weight: 1, arbitrary: fc.constantFrom(...NAMED) },
      )
      return fc.record({
        endpoint: fc.constantFrom<'domain' | 'endpoint'>('domain', 'endpoint'),
        clientId: textArb,
        state: textArb,
        redirectUri: fc.oneof(
          { weight: 6, arbitrary: fc.constant(REDIRECT_URI) },
          { weight: 3, arbitrary: fc.webUrl({ withQueryParameters: true }) },
          { weight: 1, arbitrary: fc.constantFrom('/callback', 'ftp://app.example/cb', 'https://app.example/cb#x', '') },
          { weight: 1, arbitrary: str({ maxLength: 12 }) },
        ),
        scope: fc.option(fc.oneof(str({ maxLength: 16 }), fc.array(str({ maxLength: 8 }), { maxLength: 5 })), {
          nil: undefined,
          freq: 2,
        }),
        nonce: optText,
        audience: optText,
        organization: optText,
        loginHint: optText,
        invitation: optText,
        prompt: optText,
        connection: optText,
        screenHint: optText,
        uiLocales: optText,
        codeChallenge: optText,
        maxAge: sometimes(
          fc.oneof(
            fc.nat({ max: 10_000_000 }),
            fc.integer({ min: -100, max: -1 }),
            fc.double(),
            fc.constantFrom(0, -0, 0.5, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e21, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY),
          ),
          3,
        ),
        extraParams: fc.option(fc.dictionary(extraName, str({ maxLength: 12 }), { maxKeys: 5 }), { nil: undefined, freq: 2 }),
      })
    }
    const caseArb = fc.oneof({ weight: 4, arbitrary: caseOf(wellFormedString) }, { weight: 1, arbitrary: caseOf(anyString) })
    type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never

    const TEXT_PARAMS: ReadonlyArray<[keyof Case & keyof BuildAuthorizeUrlParams, string]> = [
      ['audience', 'audience'],
      ['nonce', 'nonce'],
      ['organization', 'organization'],
      ['invitation', 'invitation'],
      ['prompt', 'prompt'],
      ['connection', 'connection'],
      ['loginHint', 'login_hint'],
      ['screenHint', 'screen_hint'],
      ['uiLocales', 'ui_locales'],
    ]

    function toParams(c: Case): BuildAuthorizeUrlParams {
      const p: BuildAuthorizeUrlParams = { clientId: c.clientId, redirectUri: c.redirectUri, state: c.state }
      if (c.endpoint === 'domain') p.domain = DOMAIN
      else p.authorizationEndpoint = ENDPOINT
      for (const [key] of TEXT_PARAMS) {
        const value = c[key]
        if (typeof value === 'string') (p as unknown as Record<string, string>)[key] = value
      }
      if (c.scope !== undefined) p.scope = c.scope
      if (c.codeChallenge !== undefined) p.codeChallenge = c.codeChallenge
      if (c.maxAge !== undefined) p.maxAge = c.maxAge
      if (c.extraParams !== undefined) p.extraParams = c.extraParams
      return p
    }

    function validRedirectUri(text: string): boolean {
      if (text === '' || text.includes('#')) return false
      try {
        const url = new URL(text)
        return url.protocol === 'https:' || url.protocol === 'http:'
      } catch {
        return false
      }
    }

    /** Why the parameters must be refused with a ConfigError, or undefined when they are valid. */
    function invalidReason(c: Case): string | undefined {
      if (c.clientId === '') return 'clientId'
      if (c.state === '') return 'state'
      if (!validRedirectUri(c.redirectUri)) return 'redirectUri'
      for (const [key] of TEXT_PARAMS) if (c[key] === '') return key
      if (c.codeChallenge === '') return 'codeChallenge'
      if (c.maxAge !== undefined && !(Number.isSafeInteger(c.maxAge) && c.maxAge >= 0)) return 'maxAge'
      if (c.extraParams !== undefined && Object.keys(c.extraParams).some((n) => RESERVED.has(n))) return 'extraParams'
      return undefined
    }

    /** Every string that goes into the URL as a name or a value. */
    function allStrings(c: Case): string[] {
      const out = [c.clientId, c.state, c.redirectUri, c.codeChallenge ?? '']
      for (const [key] of TEXT_PARAMS) out.push((c[key] as string | undefined) ?? '')
      if (c.scope !== undefined) out.push(...(Array.isArray(c.scope) ? c.scope : [c.scope]))
      for (const [name, value] of Object.entries(c.extraParams ?? {})) out.push(name, value)
      return out
    }

    /** The name/value pairs the URL must carry, each exactly once, unchanged. */
    function expectedQuery(c: Case): Map<string, string> {
      const want = new Map<string, string>()
      if (c.endpoint === 'endpoint') want.set('tenant', 'acme')
      want.set('response_type', 'code')
      want.set('client_id', c.clientId)
      want.set('redirect_uri', c.redirectUri)
      want.set('state', c.state)
      for (const [key, name] of TEXT_PARAMS) {
        const value = c[key]
        if (typeof value === 'string') want.set(name, value)
      }
      if (c.codeChallenge !== undefined) {
        want.set('code_challenge', c.codeChallenge)
        want.set('code_challenge_method', 'S256')
      }
      for (const [name, value] of Object.entries(c.extraParams ?? {})) want.set(name, value)
      return want
    }

    it(`round-trips every value through new URL(url.href), or throws ConfigError (${RUNS} runs, seed ${SEED})`, () => {
      let built = 0
      fc.assert(
        fc.property(caseArb, (c) => {
          const reason = invalidReason(c)
          let url: URL
          try {
            url = buildAuthorizeUrl(toParams(c))
          } catch (err) {
            if (!(err instanceof ConfigError)) throw new Error(`buildAuthorizeUrl threw a non-ConfigError: ${describeError(err)}`)
            if (reason === undefined && allStrings(c).every(isWellFormed)) {
              throw new Error(`buildAuthorizeUrl refused valid parameters: ${describeError(err)}`)
            }
            return
          }
          expect(reason, 'buildAuthorizeUrl accepted parameters it must refuse').toBeUndefined()
          if (!allStrings(c).every(isWellFormed)) {
            throw new Error('buildAuthorizeUrl accepted a value with a lone surrogate, which no URL can carry')
          }
          built++
          const parsed = new URL(url.href).searchParams
          const want = expectedQuery(c)
          for (const [name, value] of want) {
            expect(parsed.getAll(name), `parameter ${JSON.stringify(name)}`).toStrictEqual([value])
          }
          // scope: the same non-blank tokens, single-space separated; exact when no part has whitespace.
          const parts = c.scope === undefined ? [] : Array.isArray(c.scope) ? c.scope : [c.scope]
          const scope = parsed.getAll('scope')
          const squeezed = parts.join('').replace(/\s/g, '')
          if (squeezed === '') {
            expect(scope).toStrictEqual([])
          } else {
            expect(scope).toHaveLength(1)
            const got = scope[0] ?? ''
            expect(got.replace(/\s/g, '')).toBe(squeezed)
            expect(got).not.toMatch(/^\s|\s$|\s\s/)
            if (parts.every((part) => !/\s/.test(part))) expect(got).toBe(parts.filter(Boolean).join(' '))
          }
          // max_age: the whole number of seconds (a safe integer), in decimal digits.
          const maxAge = parsed.getAll('max_age')
          if (c.maxAge === undefined) {
            expect(maxAge).toStrictEqual([])
          } else {
            expect(maxAge).toHaveLength(1)
            const got = maxAge[0] ?? ''
            expect(got).toMatch(/^\d+$/)
            expect(Number(got) === c.maxAge, `max_age ${got} for maxAge ${c.maxAge}`).toBe(true)
          }
          // Nothing else in the URL.
          const names = new Set([...want.keys(), ...(scope.length > 0 ? ['scope'] : []), ...(maxAge.length > 0 ? ['max_age'] : [])])
          expect([...parsed.keys()].filter((name) => !names.has(name))).toStrictEqual([])
        }),
        params(RUNS),
      )
      console.log(`[properties] buildAuthorizeUrl: ${built} URLs checked`)
      expect(built).toBeGreaterThan(RUNS / 10)
    })

    // A counterexample of property 2, kept: String(1e21) is "1e+21", but max_age must be decimal
    // digits (OIDC Core 3.1.2.1); anything beyond a safe integer is refused.
    it('refuses maxAge beyond a safe integer', () => {
      const build = (maxAge: number) => () =>
        buildAuthorizeUrl({ domain: DOMAIN, clientId: CLIENT_ID, redirectUri: REDIRECT_URI, state: 's', maxAge })
      for (const maxAge of [1e21, 2 ** 53, Number.MAX_VALUE]) {
        expect(build(maxAge), `maxAge ${maxAge}`).toThrow(ConfigError)
      }
      expect(build(Number.MAX_SAFE_INTEGER)().searchParams.get('max_age')).toBe(String(Number.MAX_SAFE_INTEGER))
    })

    // A counterexample of property 2, kept: a lone surrogate cannot be kept in a URL, which would
    // silently carry U+FFFD instead, so it is refused.
    it('refuses values with a lone surrogate', () => {
      const base = { domain: DOMAIN, clientId: CLIENT_ID, redirectUri: REDIRECT_URI, state: 's' }
      expect(() => buildAuthorizeUrl({ ...base, loginHint: '\uD800' })).toThrow(ConfigError)
      expect(() => buildAuthorizeUrl({ ...base, state: 's\uDC00' })).toThrow(ConfigError)
      expect(() => buildAuthorizeUrl({ ...base, extraParams: { x: 'a\uD800b' } })).toThrow(ConfigError)
    })
  })
})
