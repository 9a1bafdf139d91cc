// createOnce: the memory of one-time ids behind callback replay and logout-token jti checks.
import { describe, expect, it } from 'vitest'
import { createOnce } from '../../src/server/once.js'

const now = () => Date.now() / 1000

describe('createOnce', () => {
  it('takes an id once while it lives, and again once its time has passed', () => {
    const once = createOnce(10, false)
    expect(once('a', now() + 60)).toBe(true)
    expect(once('a', now() + 60)).toBe(false)
    expect(once('b', now() - 1)).toBe(true)
    expect(once('b', now() + 60)).toBe(true)
  })

  it('sweeps expired ids when full, and never forgets a live one', () => {
    const once = createOnce(3, false)
    once('old', now() - 1)
    once('x', now() + 60)
    once('y', now() + 60)
    expect(once('z', now() + 60)).toBe(true)
    expect(once('x', now() + 60)).toBe(false)
  })

  it('full of live ids: fails open for callbacks (whenFull true), refuses for logout tokens (false), and still knows every replay', () => {
    for (const whenFull of [true, false]) {
      const once = createOnce(2, whenFull)
      once('x', now() + 60)
      once('y', now() + 60)
      expect(once('z', now() + 60)).toBe(whenFull)
      expect(once('x', now() + 60)).toBe(false)
      expect(once('y', now() + 60)).toBe(false)
    }
  })
})
