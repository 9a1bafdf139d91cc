// What a call that must fail gave: the rejection of a promise, or the throw of a function.
import { expect } from 'vitest'

/** The reason `promise` rejects with, checked to be a `type` when one is given; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown>
export async function rejection<E>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E>
export async function rejection(promise: Promise<unknown>, type?: abstract new (...args: never[]) => unknown): Promise<unknown> {
  const outcome = await promise.then(
    (value: unknown) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  )
  if (outcome.ok) throw new Error(`expected a rejection, but the call resolved with ${JSON.stringify(outcome.value)}`)
  if (type !== undefined) expect(outcome.error).toBeInstanceOf(type)
  return outcome.error
}

/** What `fn` throws; fails the test when it returns. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw, but the call returned')
}
