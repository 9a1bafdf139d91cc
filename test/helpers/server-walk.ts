// The examples of examples/server against the local authorization server: free ports, the server and API, the apps' processes, and the walk every example must pass.
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { type AuthServer, CookieJar, browserLogin, startAuthServer } from './auth-server.js'

/** The API the apps call: scripts/demo.mjs's, GET /api/contacts behind read:contacts. */
interface DemoApi {
  contactsUrl: string
  close(): Promise<void>
}
interface DemoModule {
  startApi(p: { issuer: string; audience: string; allowInsecureRequests: boolean }): Promise<DemoApi>
  CONTACTS: readonly { name: string; email: string }[]
}
// A plain JavaScript script with no type declarations: loaded through a specifier TypeScript does not resolve.
const demoModule = pathToFileURL(new URL('../../scripts/demo.mjs', import.meta.url).pathname).href

export const SECRET = 'examples-server-session-secret-0123456789'

/** A port free right now on 127.0.0.1, for an app whose redirect URI must be registered before it starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

/**
 * A describe block that needs what a machine may lack (a runtime, an install from the registry).
 * Lacking it: a loud skip that says why and what to do, or under CI=true a failing test.
 */
export function describeNeeding(title: string, need: { missing: string | undefined; fix: string }, body: () => void): void {
  if (need.missing !== undefined && process.env.CI !== 'true') {
    const bar = '!'.repeat(78)
    console.warn(`\n${bar}\n!! SKIPPING ${title}: ${need.missing}.\n!! ${need.fix}\n!! (With CI=true this is a failure, not a skip.)\n${bar}\n`)
    describe.skip(title, body)
    return
  }
  describe(title, () => {
    if (need.missing === undefined) return body()
    it('has what it needs to run', () => {
      throw new Error(`${title}: ${need.missing}. ${need.fix}`)
    })
  })
}

/** What child processes get besides their own variables: no colours in the output a failure shows. */
export const QUIET = { NO_COLOR: '1', FORCE_COLOR: '0', DENO_NO_UPDATE_CHECK: '1', NEXT_TELEMETRY_DISABLED: '1' }

export interface ServerProcess {
  child: ChildProcess
  /** Settles once the process printed a line matching `ready`; fails with all it said when it exits or stays silent. */
  ready: Promise<void>
}

/** Starts an app's server process. Keep `child` to stop it (with {@link stopProcess}) even when it never gets ready. */
export function startProcess(
  command: string,
  args: string[],
  p: { cwd: string; env: Record<string, string | undefined>; ready: RegExp; timeoutMs?: number },
): ServerProcess {
  const timeoutMs = p.timeoutMs ?? 20_000
  const child = spawn(command, args, { cwd: p.cwd, env: { ...process.env, ...QUIET, ...p.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const ready = new Promise<void>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer)
      reject(new Error(`${command} ${args.join(' ')}: ${why}\n--- output\n${output}`))
    }
    const timer = setTimeout(() => fail(`no line matching ${String(p.ready)} in ${timeoutMs} ms`), timeoutMs)
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      if (p.ready.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', read)
    child.once('error', (err) => fail(err.message))
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before it was ready`))
  })
  return { child, ready }
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(killer)
}

export interface World {
  server: AuthServer
  api: DemoApi
  contacts: readonly { name: string; email: string }[]
  /** The variables of examples/server/env.ts for an app served at `baseUrl`. */
  env(baseUrl: string): Record<string, string>
  close(): Promise<void>
}

/**
 * Seconds an access token lives: under createAuth's default leeway (60), so that every call of
 * the API refreshes first, and every example must save the rotated refresh token in its cookie.
 */
const ACCESS_TOKEN_TTL = 30

/** The authorization server, with `/auth/callback` of each base URL registered, and the API. */
export async function startWorld(baseUrls: readonly string[]): Promise<World> {
  const server = await startAuthServer({ redirectUris: baseUrls.map((b) => `${b}/auth/callback`), accessTokenTtl: ACCESS_TOKEN_TTL })
  const demo = (await import(demoModule)) as DemoModule
  const api = await demo.startApi({ issuer: server.issuer, audience: server.apiAudience, allowInsecureRequests: true })
  const { clientId, clientSecret = '' } = server.clients.confidential
  return {
    server,
    api,
    contacts: demo.CONTACTS,
    env: (baseUrl) => ({
      AUTH0_ISSUER: server.issuer,
      AUTH0_CLIENT_ID: clientId,
      AUTH0_CLIENT_SECRET: clientSecret,
      AUTH0_AUDIENCE: server.apiAudience,
      APP_BASE_URL: baseUrl,
      AUTH_SECRET: SECRET,
      API_URL: api.contactsUrl,
    }),
    close: async () => {
      await api.close()
      await server.close()
    },
  }
}

/** Sends one request to the app as a browser would, redirects not followed. */
export type Dispatch = (request: Request) => Promise<Response>

/** Over HTTP, for an app that listens. */
export const overHttp: Dispatch = (request) => fetch(request, { redirect: 'manual' })

export interface WalkOptions {
  /** The protected page. Default `/me`, answering `{ user, contacts }`. */
  page?: string
  /** Where the API's answer is, when not in the page's `contacts` (Next.js: a Route Handler). */
  contactsPath?: string
}

/** A browser for one app: its cookie jar, and GETs that send and keep its cookies. */
function browser(baseUrl: string, dispatch: Dispatch) {
  const jar = new CookieJar()
  const get = async (url: string | URL) => {
    const cookie = jar.header()
    const res = await dispatch(new Request(new URL(url, baseUrl), { headers: cookie === undefined ? {} : { cookie } }))
    jar.store(res)
    return res
  }
  const locationOf = (res: Response) => {
    expect(res.status, `a redirect, not ${res.status}`).toBeGreaterThanOrEqual(300)
    expect(res.status).toBeLessThan(400)
    return new URL(res.headers.get('location') ?? '', baseUrl)
  }
  // The session cookie, or its chunks (authcode.session.0, .1, …) when it is long.
  const hasSession = () => /(^|; )authcode\.session[.=]/.test(jar.header() ?? '')
  return { jar, get, locationOf, hasSession }
}

/** The login route -> the authorization server's login form -> the callback, which sets the session and sends back to `returnTo`. */
async function login(world: World, b: ReturnType<typeof browser>, baseUrl: string, loginUrl: string | URL, returnTo: string) {
  const authorize = b.locationOf(await b.get(loginUrl))
  expect(authorize.origin).toBe(new URL(world.server.issuer).origin)
  expect(authorize.searchParams.get('redirect_uri')).toBe(`${baseUrl}/auth/callback`)
  const user = world.server.users[0]!
  const { callback } = await browserLogin(authorize, { email: user.email, password: user.password })
  const back = b.locationOf(await b.get(callback))
  expect(back.href).toBe(`${baseUrl}${returnTo}`)
  expect(b.hasSession()).toBe(true)
}

/** Logs in through the app's auth routes; returns the Cookie header of the session. */
export async function logIn(world: World, baseUrl: string, dispatch: Dispatch): Promise<string> {
  const b = browser(baseUrl, dispatch)
  await login(world, b, baseUrl, '/auth/login?returnTo=/me', '/me')
  return b.jar.header() ?? ''
}

/**
 * Anonymous GET of the page -> the login route -> the authorization server's login form ->
 * the callback -> the page shows the user -> the app's call of the API with the user's token
 * -> logout clears the session -> the page sends to the login again.
 */
export async function walk(world: World, baseUrl: string, dispatch: Dispatch, p: WalkOptions = {}): Promise<void> {
  const page = p.page ?? '/me'
  const b = browser(baseUrl, dispatch)
  const { jar, get, locationOf, hasSession } = b
  const user = world.server.users[0]!

  const anonymous = locationOf(await get(page))
  expect(anonymous.pathname).toBe('/auth/login')
  expect(anonymous.searchParams.get('returnTo')).toBe(page)
  await login(world, b, baseUrl, anonymous, page)

  // Twice: the second call refreshes with the refresh token the first one rotated, which the
  // app must have saved in the session cookie (reusing the old one would end the grant).
  for (const round of [1, 2]) {
    const before = jar.header()
    const shown = await get(page)
    const text = await shown.text()
    expect(shown.status, text).toBe(200)
    expect(text).toContain(user.email)
    let answer: unknown
    if (p.contactsPath === undefined) {
      answer = (JSON.parse(text) as { contacts: unknown }).contacts
    } else {
      const res = await get(p.contactsPath)
      expect(res.status, `round ${round}`).toBe(200)
      answer = await res.json()
    }
    // The API verified the user's access token: its subject is the user, the scope read:contacts.
    expect(answer, `round ${round}`).toEqual({ user: user.sub, contacts: world.contacts })
    expect(jar.header(), `round ${round}: the refreshed session is saved`).not.toBe(before)
  }

  const out = locationOf(await get('/auth/logout'))
  expect(out.origin).toBe(new URL(world.server.issuer).origin)
  expect(hasSession()).toBe(false)
  expect(locationOf(await get(page)).pathname).toBe('/auth/login')
}
