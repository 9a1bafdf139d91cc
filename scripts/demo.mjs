// `npm run demo`: an example web app on authcode/server that logs in and calls a protected API, all on localhost.
//
//   npm run demo                  starts the local authorization server (scripts/auth-server.mjs, an
//                                 Auth0-like oidc-provider), the protected API and the web app; open
//                                 the printed URL in a browser; Ctrl-C to stop
//   npm run demo -- --headless    walks the whole flow in the terminal (login, tokens, the API's
//                                 answer, a refresh, the API again, logout, a back-channel logout
//                                 from the provider), then exits 0 (1 on failure)
//   DEMO_ACCESS_TOKEN_TTL=5 npm run demo
//                                 access tokens that live 5 seconds (local server only): watch the
//                                 app refresh them as they expire
//   AUTH0_DOMAIN=… AUTH0_CLIENT_ID=… AUTH0_CLIENT_SECRET=… AUTH0_AUDIENCE=… [PORT=3000] [API_PORT=…] npm run demo
//                                 the same app and API against your Auth0 tenant, no local server:
//                                 a Regular Web Application whose Allowed Callback URLs list
//                                 http://127.0.0.1:<PORT>/auth/callback and Allowed Logout URLs
//                                 http://127.0.0.1:<PORT>/, and an API (AUTH0_AUDIENCE is its identifier)
//                                 with a read:contacts permission and Allow Offline Access on.
//                                 --headless refuses (exit 2): it cannot fill in Auth0's real login page.
//
// The pieces, each on its own 127.0.0.1 port:
// - the authorization server: startAuthServer() from ./auth-server.mjs (or your Auth0 tenant),
//   which POSTs a logout token to the app's /auth/backchannel-logout when its session ends;
// - the protected API (demo/api.mjs): GET /api/contacts, guarded by authcode/api;
// - the web app (demo/app.mjs): createAuth from authcode/server, sessions in a MemorySessionStore
//   (the browser holds only a sealed id), served on node:http by @hono/node-server.
import { randomBytes } from 'node:crypto'
import { realpathSync } from 'node:fs'
import { createServer } from 'node:http'
import { pathToFileURL } from 'node:url'
import { getRequestListener } from '@hono/node-server'
import { MemorySessionStore } from 'authcode/server'
import { startApi } from './demo/api.mjs'
import { createApp } from './demo/app.mjs'
import { DemoError, walkThrough } from './demo/walk.mjs'
import { closeServer, listen } from './demo/net.mjs'

export { CONTACTS, startApi } from './demo/api.mjs'

const AUTH0_VARIABLES = ['AUTH0_DOMAIN', 'AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', 'AUTH0_AUDIENCE']

/**
 * The Auth0 settings from the environment: all four variables, or none (then undefined).
 *
 * @throws {DemoError} when only some are set.
 */
export function auth0FromEnv(env = process.env) {
  const set = AUTH0_VARIABLES.filter((name) => env[name])
  if (set.length === 0) return undefined
  if (set.length < AUTH0_VARIABLES.length) {
    const missing = AUTH0_VARIABLES.filter((name) => !env[name])
    throw new DemoError(`To use your Auth0 tenant set all of ${AUTH0_VARIABLES.join(', ')}; missing: ${missing.join(', ')}. Unset them all to use the local server.`)
  }
  return { domain: env.AUTH0_DOMAIN, clientId: env.AUTH0_CLIENT_ID, clientSecret: env.AUTH0_CLIENT_SECRET, audience: env.AUTH0_AUDIENCE }
}

/** DEMO_ACCESS_TOKEN_TTL: seconds, a whole number from 1 up, or undefined when unset. */
export function accessTokenTtlFromEnv(env = process.env) {
  const value = env.DEMO_ACCESS_TOKEN_TTL
  if (value === undefined || value === '') return undefined
  if (!/^[1-9]\d{0,5}$/.test(value)) throw new DemoError(`DEMO_ACCESS_TOKEN_TTL must be a whole number of seconds from 1 to 999999, not "${value}"`)
  return Number(value)
}

/**
 * scripts/auth-server.mjs, loaded without oidc-provider's "Unsupported runtime" warning: on Node
 * 20 it works all the same (the test suite runs it there), and the warning would only puzzle.
 */
export async function loadAuthServer() {
  const warn = console.warn
  console.warn = (...args) => {
    if (!/oidc-provider WARNING: Unsupported runtime/.test(String(args[0]))) warn(...args)
  }
  try {
    return await import('./auth-server.mjs')
  } finally {
    console.warn = warn
  }
}

/** A MemorySessionStore that can also list its sessions: the headless walk shows what the server keeps. */
class ListedSessionStore extends MemorySessionStore {
  #ids = new Set()
  async set(id, data, expiresAt) {
    this.#ids.add(id)
    await super.set(id, data, expiresAt)
  }
  async list() {
    const out = []
    for (const id of this.#ids) {
      const data = await this.get(id)
      if (data === undefined) this.#ids.delete(id)
      else out.push(data)
    }
    return out
  }
}

/**
 * Starts everything on 127.0.0.1.
 *
 * @param {{ auth0?: { domain: string, clientId: string, clientSecret: string, audience: string }, port?: number,
 *   apiPort?: number, accessTokenTtl?: number, secret?: string }} [p]  `accessTokenTtl`: seconds (local server only)
 */
export async function startDemo({ auth0, port = 0, apiPort = 0, accessTokenTtl, secret = randomBytes(32).toString('base64url') } = {}) {
  // The app listens first: the authorization server must know its callback URL.
  const appServer = createServer()
  const appUrl = await listen(appServer, port)
  const closers = [() => closeServer(appServer)]
  const close = () => Promise.allSettled(closers.map((c) => c())).then(() => undefined)
  try {
    let provider
    let audience
    let authServer
    let api
    if (auth0 !== undefined) {
      const { audience: auth0Audience, ...rest } = auth0
      // Auth0 is https whatever this says; it is for the demo's API, plain http on 127.0.0.1,
      // to which auth.fetch otherwise refuses to send an access token. Never in production.
      provider = { ...rest, allowInsecureRequests: true }
      audience = auth0Audience
      api = await startApi({ port: apiPort, domain: auth0.domain, audience })
    } else {
      // Loaded only here: with your Auth0 tenant nothing of the local server (oidc-provider) is needed.
      const { startAuthServer } = await loadAuthServer()
      authServer = await startAuthServer({
        redirectUris: [`${appUrl}/auth/callback`],
        backchannelLogoutUri: `${appUrl}/auth/backchannel-logout`,
        ...(accessTokenTtl !== undefined && { accessTokenTtl }),
      })
      closers.push(() => authServer.close())
      // A back-channel logout the app refused would otherwise go unnoticed.
      authServer.provider.on('backchannel.error', (_ctx, err) => console.error(`auth server: the back-channel logout to the app failed: ${err?.message ?? err}`))
      provider = { issuer: authServer.issuer, allowInsecureRequests: true, ...authServer.clients.confidential } // plain http on 127.0.0.1: never in production
      audience = authServer.apiAudience
      api = await startApi({ port: apiPort, issuer: authServer.issuer, audience, allowInsecureRequests: true })
    }
    closers.push(api.close)
    const store = new ListedSessionStore()
    // Short-lived tokens are refreshed once expired, not a minute before (authcode's default leeway).
    const leewaySeconds = accessTokenTtl === undefined ? undefined : Math.min(60, Math.floor(accessTokenTtl / 10))
    const app = createApp({ provider, audience, baseUrl: appUrl, secret, store, contactsUrl: api.contactsUrl, leewaySeconds })
    appServer.on('request', getRequestListener(app.fetch))
    return { app: Object.assign(app, { url: appUrl, store, provider }), api, authServer, close }
  } catch (err) {
    await close()
    throw err
  }
}

async function main() {
  const headless = process.argv.includes('--headless')
  let demo
  // A safety net so a stuck socket can never keep the demo alive after it finished.
  const exitSoon = (code) => {
    process.exitCode = code
    setTimeout(() => process.exit(code), 2000).unref()
  }
  try {
    const auth0 = auth0FromEnv()
    if (auth0 !== undefined && headless) {
      console.error(
        `--headless walks the flow against the local authorization server, whose login form it can fill in;\n` +
          `it cannot (and should not) fill in your Auth0 tenant's real login page.\n` +
          `Run \`npm run demo\` without --headless and open the printed URL in a browser,\n` +
          `or unset ${AUTH0_VARIABLES.join(', ')} to walk the flow headless against the local server.`,
      )
      return exitSoon(2)
    }
    const accessTokenTtl = auth0 === undefined ? accessTokenTtlFromEnv() : undefined
    demo = await startDemo({
      auth0,
      port: Number(process.env.PORT ?? (auth0 !== undefined ? 3000 : 0)),
      apiPort: Number(process.env.API_PORT ?? 0),
      accessTokenTtl,
    })
    if (headless) {
      await walkThrough(demo)
      await demo.close()
      return exitSoon(0)
    }
    const { app, api, authServer } = demo
    if (auth0 !== undefined) {
      console.log(`Using your Auth0 tenant ${auth0.domain}`)
      console.log(`  its application's Allowed Callback URLs must list ${app.url}/auth/callback, its Allowed Logout URLs ${app.url}/`)
    } else {
      console.log(`Auth server    ${authServer.issuer}  (scripts/auth-server.mjs; test user ${authServer.users[0].email}, the login page shows the password)`)
      if (accessTokenTtl !== undefined) console.log(`               access tokens live ${accessTokenTtl} s (DEMO_ACCESS_TOKEN_TTL)`)
    }
    console.log(`Protected API  ${api.contactsUrl}`)
    console.log(`Web app        ${app.url}/  (authcode/server: /auth/login, /auth/callback, /auth/logout, /auth/backchannel-logout)`)
    if (authServer !== undefined) {
      console.log(`\nBack-channel logout: once logged in, open ${authServer.issuer}oidc/logout in another tab;`)
      console.log(`the provider tells the app, and the app's session ends on its next request.`)
    }
    console.log(`\nOpen ${app.url}/ in your browser. Press Ctrl-C to stop.`)
    const stop = () => demo.close().then(() => process.exit(0))
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  } catch (err) {
    console.error(`\n✗ Failed: ${err?.code ?? err?.name ?? 'ERR_UNKNOWN'}: ${err?.message ?? String(err)}`)
    await demo?.close().catch(() => {})
    exitSoon(1)
  }
}

// Run only as a script (`node scripts/demo.mjs`); importing it (the tests do) starts nothing.
function isMain() {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href
  } catch {
    return false
  }
}
if (isMain()) await main()
