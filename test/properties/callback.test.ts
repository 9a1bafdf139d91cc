// Property-based tests (fast-check) of validateCallback: for any callback, exactly the one code and the
// matching state, or an AuthcodeError.
// Seeded (test/helpers/fast-check.ts): a failure reports its seed and shrink path; replay with FC_SEED=<seed>.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AuthcodeError, validateCallback, type CallbackResult, type ExpectedCallback } from 'authcode'
import { ISSUER, useMockServer } from '../helpers/auth0.js'
import {
  SEED,
  RUNS,
  params,
  B64URL,
  utf16Unit,
  anyString,
  toWellFormed,
  garbageValue,
  longValue,
  sometimes,
  describeError,
} from '../helpers/fast-check.js'

useMockServer()

type PairMode = 'form' | 'uri' | 'raw' | 'name-only'
type CallbackForm = 'bare' | 'question' | 'path' | 'custom-scheme' | 'https' | 'url-object' | 'params-object'

interface Pair {
  name: string
  value: string
  mode: PairMode
  order: number
}

interface CallbackCase {
  expectedState: string
  issuer: string | undefined
  requireIssuer: boolean | undefined
  pairs: Pair[]
  form: CallbackForm
  fragment: string | undefined
}

const CALLBACK_BASE = 'https://app.example.com/callback'
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i

function encodePair(p: Pair): string {
  const form = () => new URLSearchParams([[p.name, p.value]]).toString()
  switch (p.mode) {
    case 'form':
      return form()
    case 'uri':
      try {
        return `${encodeURIComponent(p.name)}=${encodeURIComponent(p.value)}`
      } catch {
        return form() // a lone surrogate: encodeURIComponent throws URIError
      }
    case 'raw':
      return `${p.name}=${p.value}`
    case 'name-only':
      return p.name
  }
}

/**
 * The callback input for validateCallback, and the reference parse of "the query" in it: the
 * WHATWG URL parser for URLs, URLSearchParams for query strings (the query follows the first "?"
 * of a "?…", "/path?…" or "app:/path?…" string, and a fragment is ignored, as documented).
 */
function materialize(c: CallbackCase): { input: string | URL | URLSearchParams; ref: URLSearchParams | undefined } {
  const pairs = [...c.pairs].sort((a, b) => a.order - b.order)
  if (c.form === 'params-object') {
    const entries = pairs.map((p): [string, string] => [p.name, p.value])
    return { input: new URLSearchParams(entries), ref: new URLSearchParams(entries) }
  }
  const query = pairs.map(encodePair).join('&')
  const fragment = c.fragment === undefined ? '' : `#${c.fragment}`
  const beforeFragment = (text: string) => text.split('#', 1)[0] ?? ''
  let form = c.form
  if (form === 'bare') {
    // A bare query that looks like a URL or a "path?query" is another case; send it as "?query".
    const text = beforeFragment(query + fragment)
    const q = text.indexOf('?')
    if (SCHEME.test(text) || (q !== -1 && !/[=&]/.test(text.slice(0, q)))) form = 'question'
    else return { input: query + fragment, ref: new URLSearchParams(text) }
  }
  if (form === 'https' || form === 'url-object') {
    const text = `${CALLBACK_BASE}?${query}${fragment}`
    let ref: URLSearchParams | undefined
    try {
      ref = new URL(text).searchParams
    } catch {
      ref = undefined
    }
    if (form === 'url-object') {
      if (ref === undefined) return { input: text, ref }
      return { input: new URL(text), ref }
    }
    return { input: text, ref }
  }
  const prefix = form === 'question' ? '?' : form === 'path' ? '/callback?' : 'com.example.app:/callback?'
  const text = prefix + query + fragment
  const noFragment = beforeFragment(text)
  return { input: text, ref: new URLSearchParams(noFragment.slice(noFragment.indexOf('?') + 1)) }
}

/**
 * The documented contract of validateCallback, applied to the reference parse: no repeated
 * parameter; `iss` (when present, or when required) equals the issuer; `state` equals the
 * expected one; no `error`; a non-empty `code`. Then it returns exactly { code, state }.
 */
function callbackOracle(ref: URLSearchParams | undefined, c: CallbackCase): CallbackResult | undefined {
  if (ref === undefined || c.expectedState === '') return undefined
  if (c.requireIssuer === true && (c.issuer === undefined || c.issuer === '')) return undefined
  const names = [...ref.keys()]
  if (new Set(names).size !== names.length) return undefined
  const iss = ref.get('iss')
  if (iss !== null ? c.issuer !== undefined && iss !== c.issuer : c.requireIssuer === true) return undefined
  const state = ref.get('state')
  if (state === null || state !== c.expectedState) return undefined
  if (ref.has('error')) return undefined
  const code = ref.get('code')
  if (code === null || code === '') return undefined
  return { code, state }
}

function expectedCallbackOf(c: CallbackCase): ExpectedCallback {
  const expected: ExpectedCallback = { state: c.expectedState }
  if (c.issuer !== undefined) expected.issuer = c.issuer
  if (c.requireIssuer !== undefined) expected.requireIssuer = c.requireIssuer
  return expected
}

const pairModeArb = fc.constantFrom<PairMode>('form', 'uri', 'raw', 'name-only')
const cleanModeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<PairMode>('form', 'uri') },
  { weight: 1, arbitrary: fc.constantFrom<PairMode>('raw', 'name-only') },
)
const valueArb = fc.oneof(
  { weight: 5, arbitrary: anyString({ maxLength: 12 }) },
  { weight: 3, arbitrary: garbageValue },
  { weight: 1, arbitrary: longValue },
  { weight: 1, arbitrary: fc.constant('') },
)
const nameArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('code', 'state', 'error', 'error_description', 'error_uri', 'iss', 'session_state') },
  { weight: 2, arbitrary: anyString({ maxLength: 6 }) },
  { weight: 1, arbitrary: garbageValue },
)
const expectedStateArb = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: fc.constantFrom(...B64URL), minLength: 1, maxLength: 43 }) },
  { weight: 8, arbitrary: anyString({ minLength: 1, maxLength: 16 }) },
  { weight: 2, arbitrary: longValue },
  { weight: 1, arbitrary: fc.constant('') },
)

type StateChoice = 'expected' | 'usv' | 'mutated' | 'random' | 'absent'

const callbackCaseArb: fc.Arbitrary<CallbackCase> = fc
  .record({
    expectedState: expectedStateArb,
    stateChoice: fc.oneof(
      { weight: 6, arbitrary: fc.constant<StateChoice>('expected') },
      { weight: 1, arbitrary: fc.constantFrom<StateChoice>('usv', 'mutated', 'random', 'absent') },
    ),
    mutation: fc.tuple(fc.nat(), utf16Unit),
    randomState: valueArb,
    code: fc.option(valueArb, { nil: undefined }),
    codeMode: cleanModeArb,
    stateMode: cleanModeArb,
    issuer: sometimes(fc.constantFrom(ISSUER, '', 'https://evil.example/'), 2),
    requireIssuer: sometimes(fc.boolean(), 3),
    iss: sometimes(fc.oneof(fc.constant(ISSUER), valueArb), 3),
    extras: fc.oneof(fc.constant<Array<[string, string, PairMode]>>([]), fc.array(fc.tuple(nameArb, valueArb, pairModeArb), { minLength: 1, maxLength: 4 })),
    orders: fc.array(fc.nat(), { minLength: 7, maxLength: 7 }),
    form: fc.constantFrom<CallbackForm>('bare', 'question', 'path', 'custom-scheme', 'https', 'url-object', 'params-object'),
    fragmentKind: fc.constantFrom('none', 'none', 'random', 'params'),
    randomFragment: anyString({ maxLength: 12 }),
  })
  .map((r): CallbackCase => {
    const order = (i: number) => r.orders[i % r.orders.length] ?? i
    const pairs: Pair[] = []
    if (r.code !== undefined) pairs.push({ name: 'code', value: r.code, mode: r.codeMode, order: order(0) })
    let state: string | undefined
    switch (r.stateChoice) {
      case 'expected':
        state = r.expectedState
        break
      case 'usv': // the expected state as it comes back after a trip through a URL
        state = toWellFormed(r.expectedState)
        break
      case 'mutated': {
        const [at, unit] = r.mutation
        const i = r.expectedState.length === 0 ? 0 : at % (r.expectedState.length + 1)
        state = r.expectedState.slice(0, i) + unit + r.expectedState.slice(i + 1)
        break
      }
      case 'random':
        state = r.randomState
        break
      case 'absent':
        state = undefined
    }
    if (state !== undefined) pairs.push({ name: 'state', value: state, mode: r.stateMode, order: order(1) })
    if (r.iss !== undefined) pairs.push({ name: 'iss', value: r.iss, mode: 'form', order: order(2) })
    r.extras.forEach(([name, value, mode], i) => pairs.push({ name, value, mode, order: order(3 + i) }))
    const fragment =
      r.fragmentKind === 'none'
        ? undefined
        : r.fragmentKind === 'random'
          ? r.randomFragment
          : new URLSearchParams([['code', 'code-in-fragment'], ['state', r.expectedState]]).toString()
    return {
      expectedState: r.expectedState,
      issuer: r.issuer,
      requireIssuer: r.requireIssuer,
      pairs,
      form: r.form,
      fragment,
    }
  })

type CallbackOutcome = 'accepted' | 'rejected'

/** Runs one case. Throws (fails the property) on a violation. */
function checkCallbackCase(c: CallbackCase): CallbackOutcome {
  const { input, ref } = materialize(c)
  const want = callbackOracle(ref, c)
  let got: CallbackResult
  try {
    got = validateCallback(input, expectedCallbackOf(c))
  } catch (err) {
    if (!(err instanceof AuthcodeError)) throw new Error(`validateCallback threw a non-AuthcodeError: ${describeError(err)}`)
    if (want !== undefined) throw new Error(`validateCallback rejected a valid callback: ${describeError(err)}`)
    return 'rejected'
  }
  // Never a success with another code or state, and never a success when the state differs.
  expect(got.state, 'a success must carry exactly the expected state').toBe(c.expectedState)
  expect(want, 'validateCallback accepted a callback its contract rejects').toBeDefined()
  expect(got).toStrictEqual(want)
  return 'accepted'
}

describe(`properties (fast-check seed ${SEED})`, () => {
  describe('1. validateCallback', () => {
    it(`returns exactly the one code and the matching state, or throws an AuthcodeError (${RUNS} runs, seed ${SEED})`, () => {
      const outcomes: Record<CallbackOutcome, number> = { accepted: 0, rejected: 0 }
      fc.assert(
        fc.property(callbackCaseArb, (c) => {
          outcomes[checkCallbackCase(c)]++
        }),
        params(RUNS),
      )
      console.log(`[properties] validateCallback, outcomes of the ${RUNS} runs:`, outcomes)
      // Not vacuous: a fair share of the generated callbacks are valid and accepted.
      expect(outcomes.accepted).toBeGreaterThan(RUNS / 20)
    })

    // A counterexample of property 1, kept: compared on its UTF-8 bytes, a state with a lone
    // surrogate would equal another, since TextEncoder turns every lone surrogate into U+FFFD.
    it('refuses a state whose lone surrogate would encode like another (U+FFFD)', () => {
      expect(() => validateCallback('?code=c&state=%EF%BF%BD', { state: '\uD800' })).toThrow(AuthcodeError)
    })
  })
})
