// Checks that a call refuses a bad argument with a ConfigError naming it, and a way to pass what the types forbid.
import { expect } from 'vitest'
import { ConfigError } from 'authcode'
import { thrown } from './outcome.js'

/** Asserts fn throws a ConfigError whose `field` is `field`. */
export function expectConfigError(fn: () => unknown, field: string): void {
  expect(fn).toThrow(ConfigError)
  expect(thrown(fn)).toMatchObject({ code: 'ERR_CONFIG', field })
}

/** Asserts the promise fn returns rejects with a ConfigError whose `field` is `field`. */
export async function expectConfigRejection(fn: () => Promise<unknown>, field: string): Promise<void> {
  await expect(fn()).rejects.toThrow(ConfigError)
  await expect(fn()).rejects.toMatchObject({ code: 'ERR_CONFIG', field })
}

/** Lets a test pass a value the types forbid, to check the runtime refuses it. */
export function loose<T>(value: unknown): T {
  return value as T
}
