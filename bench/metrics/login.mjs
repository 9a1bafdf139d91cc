// Metric 7: whole logins per second against the embedded local authorization server
// (scripts/auth-server.mjs; BENCH_AUTH_SERVER=<path> names another module of the same shape):
// authorize URL -> the user's browser walks the server's login page (a scripted form post with
// a cookie jar, the same code for every contender) -> callback -> code exchange -> access-token
// verification. The server runs in a child process, on the other core. When the module is
// absent or cannot be driven, the metric is skipped with a note saying why.
//
// The module is expected to export a start function (startAuthServer, startAuthorizationServer,
// start, a default export, or any export named start*) that takes
// { clientId, clientSecret, redirectUris, audience, port } and resolves to { issuer | url, close() };
// the test user's credentials come from the started server's `user` or `users[0]` or an export
// named TEST_USER (or USER / testUser); a client it registers itself from its `client` or
// `clients.confidential`; the API audience from its `apiAudience` (or `audience`, or API.identifier).
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { APP, ROOT_DIR, formatRate, formatRatio, interleaved, timed } from '../util.mjs'

export const DEFAULT_SERVER = 'scripts/auth-server.mjs'
const SCOPE = 'openid offline_access'

export function locateServer() {
  const name = process.env.BENCH_AUTH_SERVER || DEFAULT_SERVER
  const path = isAbsolute(name) ? name : join(ROOT_DIR, name)
  return { name, path, exists: existsSync(path) }
}

// ---- the child process that hosts the server

function pickStart(mod) {
  for (const name of ['startAuthServer', 'startAuthorizationServer', 'start', 'default']) {
    if (typeof mod[name] === 'function') return mod[name]
  }
  const name = Object.keys(mod).find((k) => /^start/i.test(k) && typeof mod[k] === 'function')
  return name ? mod[name] : undefined
}

async function hostServer(path) {
  const mod = await import(pathToFileURL(path).href)
  const start = pickStart(mod)
  if (!start) throw new Error(`${path} exports no start function (exports: ${Object.keys(mod).join(', ') || 'none'})`)
  const server = await start({ clientId: APP.clientId, clientSecret: APP.clientSecret, redirectUris: [APP.redirectUri], audience: APP.audience, port: 0 })
  const issuer = server?.issuer ?? (server?.url ? `${String(server.url).replace(/\/$/, '')}/` : undefined)
  if (typeof issuer !== 'string') throw new Error(`the start function of ${path} resolved to no { issuer } or { url }`)
  const user = server.user ?? server.users?.[0] ?? mod.TEST_USER ?? mod.USER ?? mod.testUser
  // A server that registers its own applications names them; the first confidential one is used.
  const client = server.client ?? server.clients?.confidential ?? undefined
  const audience = server.apiAudience ?? server.audience ?? mod.API?.identifier
  return { issuer, user: user && { ...user }, client: client && { ...client }, audience }
}

if (process.argv[2] === '--host') {
  hostServer(process.argv[3]).then(
    (info) => process.send({ ok: true, info }),
    (err) => process.send({ ok: false, error: String(err?.stack ?? err) }),
  )
  process.on('disconnect', () => process.exit(0))
}

async function startServerChild(path) {
  const child = fork(new URL(import.meta.url).pathname, ['--host', path], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const message = await new Promise((resolve) => {
    child.once('message', resolve)
    child.once('exit', (code) => resolve({ ok: false, error: `exited with code ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}` }))
    setTimeout(() => resolve({ ok: false, error: 'did not start within 30 s' }), 30_000).unref()
  })
  const close = () => {
    child.disconnect?.()
    child.kill()
  }
  if (!message.ok) {
    close()
    throw new Error(message.error)
  }
  return { ...message.info, close }
}

// ---- the user's browser: follows redirects and submits the login (and consent) forms

function attr(tag, name) {
  const m = tag.match(new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i'))
  return m ? (m[2] ?? m[3] ?? m[4]).replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#(\d+);/g, (_, n) => String.fromCharCode(+n)) : undefined
}

/** The first form of an HTML page, filled in for `user`: { action, method, body }. */
export function fillForm(html, pageUrl, user) {
  const form = html.match(/<form\b[^>]*>([\s\S]*?)<\/form>/i)
  if (!form) return undefined
  const open = form[0].slice(0, form[0].indexOf('>') + 1)
  const body = new URLSearchParams()
  let submit
  for (const [tag] of form[1].matchAll(/<(input|button)\b[^>]*>/gi)) {
    const name = attr(tag, 'name')
    const type = (attr(tag, 'type') ?? (tag.toLowerCase().startsWith('<button') ? 'submit' : 'text')).toLowerCase()
    const value = attr(tag, 'value') ?? ''
    if (type === 'submit') {
      if (!submit && !/cancel|abort|deny|reject|back/i.test(`${name} ${value}`)) submit = { name, value }
      continue
    }
    if (!name) continue
    if (type === 'password') body.set(name, user?.password ?? '')
    else if (value === '' && /user|email|login/i.test(name)) body.set(name, user?.email ?? user?.username ?? '')
    else body.set(name, value)
  }
  if (submit?.name) body.set(submit.name, submit.value)
  return { action: new URL(attr(open, 'action') ?? pageUrl, pageUrl).href, method: (attr(open, 'method') ?? 'get').toUpperCase(), body }
}

/** Walks from the authorize URL to the redirect back to `redirectUri`; returns that callback URL. */
export async function browse(authorizeUrl, redirectUri, user) {
  const cookies = new Map()
  const headers = () => (cookies.size ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {})
  let url = authorizeUrl
  let init = { method: 'GET' }
  for (let step = 0; step < 12; step++) {
    const res = await fetch(url, { ...init, headers: { ...init.headers, ...headers() }, redirect: 'manual' })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const eq = pair.indexOf('=')
      cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
    }
    if (res.status >= 300 && res.status < 400) {
      await res.arrayBuffer()
      const next = new URL(res.headers.get('location'), url).href
      if (next.startsWith(redirectUri)) return next
      url = next
      init = { method: 'GET' }
      continue
    }
    const html = await res.text()
    const form = res.ok ? fillForm(html, url, user) : undefined
    if (!form) throw new Error(`the login walk stopped at ${new URL(url).pathname} (HTTP ${res.status})`)
    if (form.method === 'POST') {
      url = form.action
      init = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.body.toString() }
    } else {
      const target = new URL(form.action)
      for (const [k, v] of form.body) target.searchParams.set(k, v)
      url = target.href
      init = { method: 'GET' }
    }
  }
  throw new Error('the login walk took more than 12 steps')
}

// ---- the metric

export async function run({ clients, rounds, windowMs, log }) {
  const where = locateServer()
  const skip = (note) => {
    log(`  login: skipped: ${note}`)
    return { skipped: note, columns: [{ id: 'login', title: 'whole logins/s', unit: 'logins/s', better: 'higher', skipped: note, cells: {} }] }
  }
  if (!where.exists) return skip(`${where.name} does not exist (the embedded authorization server has not landed)`)
  let server
  try {
    server = await startServerChild(where.path)
  } catch (err) {
    return skip(`${where.name} could not be started: ${String(err.message ?? err).split('\n')[0]}`)
  }
  try {
    const metadata = await (await fetch(new URL('.well-known/openid-configuration', server.issuer))).json()
    const client = server.client ?? {}
    const ls = {
      issuer: server.issuer,
      metadata,
      clientId: client.clientId ?? client.client_id ?? APP.clientId,
      clientSecret: client.clientSecret ?? client.client_secret ?? APP.clientSecret,
      redirectUri: client.redirectUri ?? client.redirectUris?.[0] ?? client.redirect_uris?.[0] ?? APP.redirectUri,
      audience: server.audience ?? client.audience ?? APP.audience,
      scope: SCOPE,
      browse: (url) => browse(url, ls.redirectUri, server.user),
    }
    const contenders = []
    const cells = {}
    for (const c of clients) {
      if (!c.adapter.createLogin) {
        cells[c.name] = { na: 'not run (verification needs jose or the flow is not supported)' }
        continue
      }
      try {
        const login = await c.adapter.createLogin(ls)
        await login() // one whole login must work before it is timed
        contenders.push({ name: c.name, op: login })
      } catch (err) {
        cells[c.name] = { na: `failed: ${String(err.message ?? err).split('\n')[0].slice(0, 160)}`, error: true, text: 'failed' }
      }
    }
    if (!contenders.some((c) => c.name === 'raw')) return skip(`the raw login did not work against ${where.name}: ${cells.raw?.na ?? ''}`)
    for (const c of contenders) for (let i = 0; i < 10; i++) await c.op()
    const results = await interleaved(contenders, rounds, (c) => timed(c.op, windowMs))
    const raw = results.get('raw').median
    for (const [name, r] of results) {
      const ratio = r.median / raw
      cells[name] = { value: r.median, ratio, cpuUs: r.cpuUs, samples: r.samples.map((s) => +s.toFixed(1)), text: `${formatRate(r.median)} (${formatRatio(ratio)})` }
    }
    log(`  login: ${Object.entries(cells).map(([n, c]) => `${n} ${c.text ?? 'n/a'}`).join(', ')}`)
    return { server: where.name, columns: [{ id: 'login', title: 'whole logins/s', unit: 'logins/s', better: 'higher', cells }] }
  } catch (err) {
    return skip(`${where.name} could not be driven: ${String(err.message ?? err).split('\n')[0]}`)
  } finally {
    server.close()
  }
}
