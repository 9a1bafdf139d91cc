// Test helpers for scripts/auth-server.mjs: its types, a cookie jar, and a browser-less login through its login form.
import { pathToFileURL } from 'node:url'

/** One registered application, ready to spread into a ClientConfig. */
export interface AuthServerClient {
  clientId: string
  clientSecret?: string
  clientAuth: 'client_secret_post' | 'client_secret_basic' | 'none'
}

export interface AuthServerUser {
  sub: string
  email: string
  password: string
  name: string
  permissions: string[]
  organizations: string[]
  [claim: string]: unknown
}

export interface AuthServer {
  issuer: string
  port: number
  url: string
  apiAudience: string
  apiScopes: string[]
  clients: { confidential: AuthServerClient; basic: AuthServerClient; public: AuthServerClient }
  users: AuthServerUser[]
  organizations: { id: string; name: string; display_name?: string }[]
  redirectUris: string[]
  postLogoutRedirectUris: string[]
  close(): Promise<void>
}

export interface AuthServerOptions {
  port?: number
  host?: string
  redirectUris?: string[]
  postLogoutRedirectUris?: string[]
  organizations?: { id: string; name: string; display_name?: string }[]
  accessTokenTtl?: number
  refreshTokenTtl?: number
  idTokenTtl?: number
  debug?: boolean
}

interface AuthServerModule {
  startAuthServer(options?: AuthServerOptions): Promise<AuthServer>
}

// The script is plain JavaScript with no type declarations: load it through a specifier
// TypeScript does not resolve, and describe what it exports here.
const moduleUrl = pathToFileURL(new URL('../../scripts/auth-server.mjs', import.meta.url).pathname).href

/** Starts scripts/auth-server.mjs on a free 127.0.0.1 port. */
export async function startAuthServer(options?: AuthServerOptions): Promise<AuthServer> {
  const mod = (await import(moduleUrl)) as AuthServerModule
  return mod.startAuthServer(options)
}

/** The smallest cookie jar that works for one host: name -> value, honouring deletion. */
export class CookieJar {
  readonly #cookies = new Map<string, string>()

  /** Reads the Set-Cookie headers of a response. */
  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';')
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      const attrs = new Map(
        attributes.map((a) => {
          const i = a.indexOf('=')
          return i === -1 ? [a.trim().toLowerCase(), ''] : [a.slice(0, i).trim().toLowerCase(), a.slice(i + 1).trim()]
        }),
      )
      const maxAge = attrs.get('max-age')
      const expires = attrs.get('expires')
      const expired = (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) <= Date.now())
      if (expired || value === '') this.#cookies.delete(name)
      else this.#cookies.set(name, value)
    }
  }

  /** The Cookie header value, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.#cookies.size === 0) return undefined
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  has(name: string): boolean {
    return this.#cookies.has(name)
  }
}

/** One request with the jar's cookies, redirects not followed. */
export async function send(jar: CookieJar, url: string | URL, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  const cookie = jar.header()
  if (cookie !== undefined) headers.set('cookie', cookie)
  const res = await fetch(url, { ...init, headers, redirect: 'manual' })
  jar.store(res)
  return res
}

/** Where a redirect response points, resolved against the request URL. */
export function locationOf(res: Response, base: string | URL): URL {
  const location = res.headers.get('location')
  if (res.status < 300 || res.status >= 400 || location === null) {
    throw new Error(`expected a redirect, got ${res.status} ${res.statusText}`)
  }
  return new URL(location, base)
}

/** Decodes the HTML entities a server puts in attribute values. */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    const lower = e.toLowerCase()
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16))
    if (lower.startsWith('#')) return String.fromCodePoint(Number(lower.slice(1)))
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[lower]!
  })
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag)
  return match?.[1] === undefined ? undefined : decodeEntities(match[1])
}

/** The first form of a page: its action, and the values of every named input with a value on the page. */
export function parseForm(html: string, base: string | URL): { action: URL; fields: URLSearchParams } {
  const form = /<form\b[^>]*>/i.exec(html)?.[0]
  const action = form === undefined ? undefined : attribute(form, 'action')
  if (action === undefined) throw new Error('the page has no form with an action')
  const fields = new URLSearchParams()
  for (const [input] of html.matchAll(/<input\b[^>]*>/gi)) {
    const name = attribute(input, 'name')
    const value = attribute(input, 'value')
    if (name !== undefined && value !== undefined) fields.append(name, value)
  }
  return { action: new URL(action, base), fields }
}

export interface LoginResult {
  /**
   * Where the server sent the browser back to: the application's redirect_uri with code,
   * state and iss in the query — or, for response_mode=form_post, the form's action.
   */
  callback: URL
  /** The fields the server posts to the callback (response_mode=form_post only). */
  form?: URLSearchParams
  /** The login page HTML that was shown, when there was one. */
  loginPage?: string
  jar: CookieJar
}

/**
 * Walks a browser through `/authorize`: follows redirects by hand, fills in the login form
 * when the server shows it, and stops where the browser would leave the server for the
 * application (a redirect, or an auto-submitting form_post page). An existing jar (a
 * logged-in session) skips the login page.
 */
export async function browserLogin(
  authorizeUrl: URL,
  p: { email: string; password: string; jar?: CookieJar; maxSteps?: number },
): Promise<LoginResult> {
  const jar = p.jar ?? new CookieJar()
  const origin = authorizeUrl.origin
  let loginPage: string | undefined
  const done = (callback: URL, form?: URLSearchParams): LoginResult => ({
    callback,
    jar,
    ...(form !== undefined && { form }),
    ...(loginPage !== undefined && { loginPage }),
  })
  let next: { url: URL; init?: RequestInit } = { url: authorizeUrl }
  for (let step = 0; step < (p.maxSteps ?? 10); step++) {
    const res = await send(jar, next.url, next.init)
    if (res.status >= 300 && res.status < 400) {
      const location = locationOf(res, next.url)
      if (location.origin !== origin) return done(location)
      next = { url: location }
      continue
    }
    const html = await res.text()
    if (res.status === 200 && /name="password"/.test(html)) {
      loginPage = html
      next = {
        url: parseForm(html, next.url).action,
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ email: p.email, password: p.password }).toString(),
        },
      }
      continue
    }
    if (/<form\b/i.test(html)) {
      const { action, fields } = parseForm(html, next.url)
      if (action.origin !== origin) return done(action, fields)
    }
    throw new Error(`the login stopped at ${next.url.pathname} with ${res.status}: ${html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 300)}`)
  }
  throw new Error('the login did not reach the callback')
}
