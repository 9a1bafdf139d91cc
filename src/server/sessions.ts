// Sessions: opening the cookie (and the store behind it), the lifetimes, and what gets written back.
import { joinCookie } from '../cookies/cookie.js'
import { openData, sealData } from '../cookies/seal.js'
import { isObject } from '../lib/shape.js'
import { type SessionData, type SessionStore, isSessionData } from '../storage/session-store.js'
import { epochSeconds } from '../token-set.js'
import { type Jar, clearSession, setSession } from './jar.js'
import type { ResolvedAuthOptions, Session } from './options.js'

// A session used within this many seconds of its last write is not written again just to roll it.
const TOUCH_SECONDS = 60

export interface Sessions {
  /** The session a request's cookies hold, or undefined (none, expired, tampered, deleted from the store). */
  read(cookies: Readonly<Record<string, string>>): Promise<SessionData | undefined>
  /**
   * The Set-Cookie headers (and store write) that save `data`: a new session (`created`), or an
   * update of one the store still has. An update of a session the store no longer has (a
   * back-channel logout while the request ran) writes nothing and clears the cookie.
   */
  write(data: SessionData, cookies: Readonly<Record<string, string>>, created?: boolean): Promise<string[]>
  /** The Set-Cookie headers (and store delete) that end the session. */
  clear(data: SessionData | undefined, cookies: Readonly<Record<string, string>>): Promise<string[]>
  /** When the session ends unless used again. */
  endsAt(data: SessionData): number
  /** Whether using the session now should write it again (rolling expiry). */
  dueForTouch(data: SessionData, now?: number): boolean
  readonly store: SessionStore | undefined
}

const asSessionData = (value: unknown): SessionData | undefined => (isSessionData(value) ? value : undefined)

/** The public view of a session: no refresh or access token. */
export function toSession<U>(data: SessionData, endsAt: number): Session<U> {
  return {
    user: data.user as U & { sub: string },
    expiresAt: endsAt,
    createdAt: data.createdAt,
    ...(data.idToken !== undefined && { idToken: data.idToken }),
  }
}

export function createSessions(o: ResolvedAuthOptions, jar: Jar): Sessions {
  const { store, secret } = o
  const endsAt = (data: SessionData) =>
    Math.min(data.createdAt + o.absolute, o.rolling === false ? Number.POSITIVE_INFINITY : data.touchedAt + o.rolling)

  return {
    store,
    endsAt,
    dueForTouch: (data, now = epochSeconds()) => o.rolling !== false && now - data.touchedAt >= TOUCH_SECONDS,

    async read(cookies) {
      let sealed: string | undefined
      let opened: unknown
      try {
        sealed = joinCookie(jar.session, cookies)
        if (sealed === undefined) return undefined
        opened = (await openData('server.session', sealed, { secret })).data
      } catch {
        // A tampered, expired or half-sent cookie is no session; the response clears it.
        return undefined
      }
      let data: SessionData | undefined
      if (store === undefined) data = asSessionData(opened)
      else if (isObject(opened) && typeof opened.id === 'string') data = asSessionData(await store.get(opened.id))
      if (data === undefined || epochSeconds() >= endsAt(data)) return undefined
      return data
    },

    async write(data, cookies, created = false) {
      const end = endsAt(data)
      const ttlSeconds = Math.max(1, end - epochSeconds())
      let sealed: string
      if (store === undefined) {
        sealed = await sealData('server.session', data, { secret, ttlSeconds })
      } else {
        if (created) await store.set(data.id, data, end)
        else if (!(await store.update(data.id, data, end))) return clearSession(jar, cookies)
        sealed = await sealData('server.session', { id: data.id }, { secret, ttlSeconds })
      }
      return setSession(jar, sealed, ttlSeconds, cookies)
    },

    async clear(data, cookies) {
      if (store !== undefined && data !== undefined) await store.delete(data.id)
      return clearSession(jar, cookies)
    },
  }
}
