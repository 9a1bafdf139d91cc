// A session's access tokens: one per audience and scope, refreshed through the session's one refresh token, one refresh at a time.
import { ConfigError, LoginRequiredError, OAuthError } from '../errors.js'
import { scopeString } from '../lib/checks.js'
import type { SessionAccessToken, SessionData } from '../storage/session-store.js'
import type { TokenClient } from '../tokens/token-client.js'
import { sameUser, withExpiry } from '../tokens/token-manager.js'
import { type TokenSet, epochSeconds, isExpired } from '../token-set.js'
import type { Sessions } from './sessions.js'

/**
 * Which access token {@link Auth.getAccessToken} and {@link Auth.fetch} use: the login's own
 * by default, or one for another audience and/or a narrower scope, kept in the session.
 *
 * @example
 * ```ts
 * const token = await auth.getAccessToken(request, { audience: 'https://billing.example.com', scope: 'read:invoices' })
 * ```
 */
export interface AccessTokenOptions {
  /** The API the token is for. Default: the login's own audience. */
  audience?: string | undefined
  /** A narrower set of the granted scopes. Default: the login's. */
  scope?: string | string[] | undefined
  /** Refresh even if the kept token looks fresh (the API answered 401). */
  forceRefresh?: boolean | undefined
}

// Refreshed sessions kept in memory, so a request that still carries the cookie from before a
// refresh (sent while the refresh ran) uses its result instead of spending the old refresh token.
const RECENT_SECONDS = 300
const MAX_RECENT = 10_000

export interface Tokens {
  /** The newest version of `data` this instance knows. */
  latest(data: SessionData): SessionData
  /**
   * A valid access token of the session, and the session as it now is. `canSave` false (read-only
   * Headers, cookie sessions): a refresh is refused rather than spend a refresh token whose
   * successor could not be kept.
   */
  get(data: SessionData, p: AccessTokenOptions, canSave: boolean): Promise<{ data: SessionData; token: SessionAccessToken }>
}

/** The session is no longer in the store (logged out elsewhere): the request's cookie goes too. */
function ended(): LoginRequiredError {
  return new LoginRequiredError('The session has ended (logged out elsewhere): log the user in', {
    cause: new Error('the session is no longer in the session store'),
  })
}

/** The key of a token in SessionData.tokens: `""` for the login's own. */
function tokenKey(audience: string | undefined, scope: string | undefined): string {
  if (audience === undefined && scope === undefined) return ''
  return `${audience ?? ''} ${scope?.split(' ').sort().join(' ') ?? ''}`
}

/** A token-endpoint answer as the session keeps it. */
export function toAccessToken(tokens: TokenSet, audience: string | undefined): SessionAccessToken {
  const t = withExpiry(tokens)
  return {
    accessToken: t.accessToken,
    tokenType: t.tokenType,
    ...(t.expiresAt !== undefined && { expiresAt: t.expiresAt }),
    ...(t.scope !== undefined && { scope: t.scope }),
    ...(audience !== undefined && { audience }),
  }
}

/** The session after a refresh: the new refresh token (if rotated), the new token under `key`, the new ID token. */
function refreshed(current: SessionData, fresh: TokenSet, key: string, audience: string | undefined): SessionData {
  // The same check as TokenManager's: a refreshed ID token must be the session's user.
  // (sameUser reads only the stored set's ID token and claims.)
  const checked = sameUser({ idToken: current.idToken, claims: current.user } as TokenSet, fresh)
  return {
    ...current,
    ...((fresh.refreshToken ?? current.refreshToken) !== undefined && { refreshToken: fresh.refreshToken ?? current.refreshToken }),
    ...(checked.idToken !== undefined && { idToken: checked.idToken }),
    user: (checked.claims as Record<string, unknown> | undefined) ?? current.user,
    tokens: { ...current.tokens, [key]: toAccessToken(fresh, audience) },
    touchedAt: epochSeconds(),
  }
}

export function createTokens(client: TokenClient, sessions: Sessions, leeway: number): Tokens {
  const chains = new Map<string, Promise<unknown>>()
  const recent = new Map<string, { data: SessionData; until: number }>()

  function remember(data: SessionData): void {
    const now = epochSeconds()
    if (recent.size >= MAX_RECENT) {
      for (const [id, entry] of recent) if (entry.until <= now) recent.delete(id)
      // Still full: forget the oldest; the cost is at most one more refresh for that session.
      if (recent.size >= MAX_RECENT) recent.delete(recent.keys().next().value as string)
    }
    recent.delete(data.id)
    recent.set(data.id, { data, until: now + RECENT_SECONDS })
  }

  function latest(data: SessionData): SessionData {
    const entry = recent.get(data.id)
    if (entry === undefined) return data
    if (entry.until <= epochSeconds()) {
      recent.delete(data.id)
      return data
    }
    return entry.data.touchedAt >= data.touchedAt ? entry.data : data
  }

  /** Runs `fn` after every earlier refresh of the session: one refresh-token family, one spend at a time. */
  function inTurn<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = chains.get(id) ?? Promise.resolve()
    const next = previous.catch(() => undefined).then(fn)
    chains.set(id, next)
    const done = () => {
      if (chains.get(id) === next) chains.delete(id)
    }
    next.then(done, done)
    return next
  }

  async function refresh(data: SessionData, key: string, audience: string | undefined, scope: string | undefined, stale: string | undefined) {
    const run = async (): Promise<SessionData> => {
      // Read again: an earlier refresh (here, or on another instance) may have done the work.
      let current = latest(data)
      if (sessions.store !== undefined) {
        const stored = await sessions.store.get(data.id)
        if (stored === undefined) throw ended()
        current = stored
      }
      const kept = current.tokens[key]
      if (kept !== undefined && kept.accessToken !== stale && !isExpired(kept, leeway)) return current
      const refreshToken = current.refreshToken
      if (refreshToken === undefined) {
        throw new LoginRequiredError('The access token has expired and the session has no refresh token: log the user in (ask for offline_access to get one)')
      }
      let fresh: TokenSet
      try {
        fresh = await client.refresh({ refreshToken, ...(scope !== undefined && { scope }), ...(audience !== undefined && { audience }) })
      } catch (err) {
        if (err instanceof OAuthError && err.error === 'invalid_grant') {
          throw new LoginRequiredError('The refresh token was rejected (expired, revoked or already used): log the user in', { cause: err })
        }
        throw err
      }
      const next = refreshed(current, fresh, key, audience)
      // Kept before the new access token is handed out, so the old refresh token is never needed again.
      // Only a session still in the store: a back-channel logout during the refresh stays a logout.
      if (sessions.store !== undefined && !(await sessions.store.update(next.id, next, sessions.endsAt(next)))) throw ended()
      remember(next)
      return next
    }
    const store = sessions.store
    return inTurn(data.id, () => (store?.withLock ? store.withLock(data.id, run) : run()))
  }

  return {
    latest,
    async get(data, p, canSave) {
      const scope = scopeString(p.scope)
      const key = tokenKey(p.audience, scope)
      const current = latest(data)
      const kept = current.tokens[key]
      if (kept !== undefined && p.forceRefresh !== true && !isExpired(kept, leeway)) return { data: current, token: kept }
      if (!canSave && sessions.store === undefined) {
        throw new ConfigError(
          'request',
          'the access token needs a refresh, which read-only Headers cannot save into the session cookie (the rotated refresh token would be lost): refresh where cookies can be written (pass the Request in a route handler or middleware, then auth.commit), or keep sessions in a session.store',
        )
      }
      const next = await refresh(current, key, p.audience, scope, kept?.accessToken)
      return { data: next, token: next.tokens[key] as SessionAccessToken }
    },
  }
}
