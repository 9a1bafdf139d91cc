// Shared by the property suites: the seed and run counts, and string arbitraries that reach lone
// surrogates, percent-garbage and long values.
//
// Every property is seeded. The seed is FC_SEED from the environment, or DEFAULT_SEED below; it is
// printed once per file and is part of every test name. When a property fails, fast-check's
// report (thrown by fc.assert) gives the seed and the shrink path of the counterexample, e.g.
// `{ seed: 1592405796, path: "12:3:0", endOnFailure: true }`; replay with `FC_SEED=<seed>`.
import fc from 'fast-check'

export const DEFAULT_SEED = 20_240_611

export function readSeed(): number {
  const raw = process.env.FC_SEED
  if (raw === undefined || raw.trim() === '') return DEFAULT_SEED
  const seed = Number(raw)
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${JSON.stringify(raw)}`)
  return seed | 0 // fast-check works on 32-bit seeds; print the one actually used
}

export const SEED = readSeed()
export const RUNS = 1000
// A 2 MiB body costs tens of milliseconds to build and send through msw (src/lib/http.ts reads it up to
// its 1 MiB cap, then refuses it); 1 000 of them would not fit the time budget.
export const HUGE_RUNS = 20

console.log(`[properties] fast-check seed ${SEED} (FC_SEED=${process.env.FC_SEED ?? '<unset>'}); replay with FC_SEED=${SEED}`)

/** fc.assert options shared by every property: fixed seed, fixed run count. */
export function params(numRuns: number): fc.Parameters<unknown> {
  return { seed: SEED, numRuns }
}

export const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * One UTF-16 code unit, lone surrogates included: what a JS string can hold, not only Unicode.
 * Surrogates are over-weighted (they are 3% of the range) so that lone ones show up often.
 */
export const utf16Unit = fc
  .oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 0xffff }) }, { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }) })
  .map((c) => String.fromCharCode(c))

export interface Len {
  minLength?: number
  maxLength?: number
}

/** Any JS string: ASCII, graphemes, any code point, control characters, or raw UTF-16 units. */
export function anyString(len: Len = {}): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string(len),
    fc.string({ ...len, unit: 'grapheme' }),
    fc.string({ ...len, unit: 'binary' }),
    fc.string({ ...len, unit: 'binary-ascii' }),
    fc.string({ ...len, unit: utf16Unit }),
  )
}

/** Like anyString but always well-formed UTF-16 (no lone surrogate). */
export function wellFormedString(len: Len = {}): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string(len),
    fc.string({ ...len, unit: 'grapheme' }),
    fc.string({ ...len, unit: 'binary' }),
    fc.string({ ...len, unit: 'binary-ascii' }),
  )
}

export const encoder = new TextEncoder()
export const decoder = new TextDecoder()

/** The string with every lone surrogate replaced by U+FFFD (String#toWellFormed, ES2024). */
export function toWellFormed(s: string): string {
  return decoder.decode(encoder.encode(s))
}

export function isWellFormed(s: string): boolean {
  return toWellFormed(s) === s
}

/** Broken percent-encodings: lone '%', bad hex, truncated or invalid UTF-8 sequences. */
export const percentGarbage = fc.constantFrom(
  '%',
  '%%',
  '%zz',
  '%2',
  '%E0%A4%A',
  '%ED%A0%80', // UTF-8 of a lone surrogate
  '%C0%AF', // overlong
  '%FF',
  '%00',
  '%25',
  '%u0041',
  '%F0%9F%98',
  '%EF%BF%BD',
  '%%41',
  '+',
  '%2B',
  '&',
  '=',
  '#',
  '?',
)

export const garbageValue = fc
  .array(fc.oneof(percentGarbage, fc.string({ maxLength: 3 }), anyString({ maxLength: 2 })), { maxLength: 6 })
  .map((parts) => parts.join(''))

/** About 10 KB: a short piece repeated. */
export const longValue = fc
  .oneof(fc.string({ minLength: 1, maxLength: 4 }), percentGarbage, anyString({ minLength: 1, maxLength: 3 }))
  .map((piece) => piece.repeat(Math.ceil(10_240 / piece.length)))

/** The value in about one case out of `oneIn`, else undefined. */
export function sometimes<T>(arb: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb })
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.constructor.name} (name ${err.name}): ${err.message.slice(0, 300)}`
  return `non-Error thrown: ${String(err).slice(0, 300)}`
}
