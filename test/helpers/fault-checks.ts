// Timing and checks for the fault suites: small timeouts so every retry path runs in milliseconds, one of several error classes, no secret shown.
import { expect } from 'vitest'
import { type AuthcodeError } from 'authcode'

export const TIMEOUT_MS = 400
/** Small numbers so that every retry path runs in milliseconds. */
export const FAST = { timeoutMs: TIMEOUT_MS, retries: 2, maxRetryDelayMs: 50 } as const
/** Beyond the timeout, with room for the server to notice the client has gone. */
export const TOO_SLOW = TIMEOUT_MS + 400

export type ErrorClass<E> = abstract new (...args: never[]) => E

/** The rejection of `promise`, checked to be an instance of one of `types`. */
export async function rejectionOf(promise: Promise<unknown>, types: ReadonlyArray<ErrorClass<AuthcodeError>>): Promise<AuthcodeError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a rejection, but the call succeeded')
    },
    (e: unknown) => e,
  )
  expect(types.some((t) => err instanceof t), `unexpected ${String(err)}`).toBe(true)
  return err as AuthcodeError
}

export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now()
  const value = await work()
  return { value, ms: performance.now() - start }
}

/** No secret, code or token in what an error shows. */
export function expectNoSecrets(err: Error, ...secrets: string[]): void {
  const shown = `${err.message} ${JSON.stringify(err)} ${String((err.cause as Error | undefined)?.message)}`
  for (const secret of ['fault-client-secret-0123456789', ...secrets]) expect(shown).not.toContain(secret)
}
