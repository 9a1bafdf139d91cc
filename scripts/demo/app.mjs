// The demo's web app on authcode/server: createAuth does login, callback, logout, back-channel logout and the session; this file draws the page.
import { AuthcodeError, LoginRequiredError } from 'authcode'
import { createAuth } from 'authcode/server'

/** What the app asks for: a login, the profile and email, a refresh token, and the API's read scope. */
export const SCOPE = 'openid profile email offline_access read:contacts'

/**
 * The web app, as a Web `(Request) => Promise<Response>` handler. `auth.wrap` answers
 * `/auth/login`, `/auth/callback`, `/auth/logout` and `/auth/backchannel-logout`; the rest is
 * `GET /` (the user and the API's answer) and `POST /refresh` (refresh the tokens now).
 *
 * @param {{ provider: object, audience: string, baseUrl: string, secret: string, store: import('authcode/server').SessionStore,
 *   contactsUrl: string, leewaySeconds?: number }} p  `provider`: the ClientConfig of the provider (domain or issuer, clientId, clientSecret, …)
 */
export function createApp({ provider, audience, baseUrl, secret, store, contactsUrl, leewaySeconds }) {
  const app = { lastError: undefined }
  const auth = createAuth({
    ...provider,
    baseUrl, // the callback is baseUrl + /auth/callback
    secret, // seals the session cookie (which holds only the session's id: the tokens stay in the store)
    authorizationParams: { scope: SCOPE, audience },
    session: { store }, // a store, so that back-channel logout can end a session
    revokeOnLogout: true,
    ...(leewaySeconds !== undefined && { leewaySeconds }),
    hooks: { onError: (err) => (app.lastError = err) },
  })

  const handler = auth.wrap(async (request) => {
    const { pathname } = new URL(request.url)
    try {
      if (pathname === '/refresh' && request.method === 'POST') {
        await auth.getAccessToken(request, { forceRefresh: true })
        return new Response(null, { status: 303, headers: { location: '/', 'cache-control': 'no-store' } })
      }
      if (pathname !== '/' || request.method !== 'GET') return page(404, 'Not found', '<p><a href="/">Home</a></p>')
      const session = await auth.getSession(request) // null when logged out (or logged out at the provider)
      if (!session) return page(200, 'authcode demo', '<p id="status">You are not logged in.</p><p><a id="login" href="/auth/login">Log in</a></p>')
      const res = await auth.fetch(request, contactsUrl, { signal: AbortSignal.timeout(10_000) }) // Bearer <access token>, refreshed once expired
      const token = claimsOf(await auth.getAccessToken(request)) // the token auth.fetch sent, for the page to show when it expires
      return page(200, 'authcode demo', profile(session.user, contactsUrl, res.status, await answerOf(res), token))
    } catch (err) {
      app.lastError = err
      // The refresh token is dead (expired, revoked, reused): auth.wrap ends the session and clears its cookie.
      if (err instanceof LoginRequiredError) return page(401, 'Please log in again', `<p>${escapeHtml(err.message)}</p><p><a id="login" href="/auth/login">Log in</a></p>`)
      // authcode's errors carry a stable code and a message without any token or secret in it.
      const known = err instanceof AuthcodeError
      if (!known) console.error(err)
      const what = known ? `<code>${escapeHtml(err.code)}</code>: ${escapeHtml(err.message)}` : 'Unexpected error (see the server log)'
      return page(502, 'Something went wrong', `<p>${what}</p><p><a href="/">Home</a></p>`)
    }
  })
  app.auth = auth
  app.fetch = async (request) => {
    try {
      return await handler(request)
    } catch (err) {
      // A route of auth.wrap failed (the provider could not be reached at login, say).
      app.lastError = err
      const what = err instanceof AuthcodeError ? `<code>${escapeHtml(err.code)}</code>: ${escapeHtml(err.message)}` : 'Unexpected error (see the server log)'
      if (!(err instanceof AuthcodeError)) console.error(err)
      return page(502, 'Something went wrong', `<p>${what}</p><p><a href="/">Home</a></p>`)
    }
  }
  return app
}

function profile(user, contactsUrl, status, answer, token) {
  const time = (seconds) => (typeof seconds === 'number' ? `<time datetime="${new Date(seconds * 1000).toISOString()}">${new Date(seconds * 1000).toISOString()}</time>` : 'an unknown time')
  return `
<p>Logged in as <b id="name">${escapeHtml(user.name ?? user.sub)}</b>${user.email ? ` (<span id="email">${escapeHtml(user.email)}</span>)` : ''}.</p>
<p>API answer: <b id="api-status">${status}</b> from <code>GET ${escapeHtml(contactsUrl)}</code>, called with your access token:</p>
<pre id="api-answer">${escapeHtml(JSON.stringify(answer, null, 2))}</pre>
<p id="token" data-iat="${token.iat ?? ''}" data-exp="${token.exp ?? ''}">The access token was issued at ${time(token.iat)} and expires at ${time(token.exp)}; the app refreshes it then.</p>
<form method="post" action="/refresh"><button id="refresh">Refresh tokens now</button></form>
<a id="logout" href="/auth/logout">Log out</a>`
}

/** The API's JSON answer (or what it said instead). */
async function answerOf(res) {
  const text = await res.text()
  try {
    return JSON.parse(text)
  } catch {
    return { error: 'not_json', error_description: text.slice(0, 200) }
  }
}

/** The claims of a JWT access token (Auth0's for an API are JWTs), not verified: the API does that. */
function claimsOf(token) {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'))
  } catch {
    return {}
  }
}

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function page(status, title, body) {
  return new Response(
    `<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}pre{background:#f3f3f3;padding:.75rem;border-radius:6px;overflow:auto}form{display:inline}button{margin-right:.5rem}</style>
<h1>${escapeHtml(title)}</h1>
${body}
</html>`,
    { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } },
  )
}
