// The runtime matrix: one smoke suite (test/runtime/smoke.mjs: authorize URL, login, callback,
// code exchange, refresh with rotation, access token verification) run against the BUILT
// package and a real authorization server (scripts/auth-server.mjs) in Node, Bun, Deno,
// workerd (Miniflare), Vercel's edge runtime and Chromium. Each runtime is a named test; with
// CI=true none may skip. Each test prints the runtime's version and the suite's duration, and
// test-results/runtime-matrix.json collects them.
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { type Server, createServer } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type AuthServer, browserLogin, startAuthServer } from './helpers/auth-server.js'
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  bundle,
  closeServer,
  ensureBuilt,
  execFileAsync,
  inCI,
  listen,
  loudSkipWarning,
  packageVersion,
  root,
} from './runtime/tools.js'

/** What runSmoke takes (see test/runtime/smoke.mjs). */
interface SmokeOptions {
  issuer: string
  clientId: string
  clientSecret?: string
  redirectUri: string
  audience: string
  email?: string
  password?: string
}

/** What runSmoke returns. */
interface SmokeSummary {
  ok: boolean
  runtime: string
  sub: string
  email?: string
  refreshed: boolean
  verifiedAud: string[]
  scope?: string
  cookieApi?: string
  steps: Record<string, number>
  ms: number
}

/** What the bundled smoke module offers a page. */
interface SmokeModule {
  runSmoke(o: unknown): Promise<unknown>
  fetchLogin(url: string, o: unknown): Promise<unknown>
}

interface Probe {
  available: boolean
  version: string
  /** How to install it, naming the package. */
  install: string
  why?: string
}

interface MatrixRow {
  runtime: string
  version: string
  /** The smoke suite itself, timed inside the runtime. */
  suiteMs: number
  /** From the host's point of view: starting the runtime (process, isolate, browser), bundling, the suite, teardown. */
  wallMs: number
  summary: SmokeSummary
}

const REDIRECT_URI = 'http://localhost:3000/callback'
const BUN = join(root, 'node_modules/.bin/bun')
const DENO = join(root, 'node_modules/.bin/deno')
const TEST_TIMEOUT = 30_000

// --- which runtimes are here -----------------------------------------------------------------

async function probeBinary(path: string, install: string, parse: (out: string) => string): Promise<Probe> {
  if (!existsSync(path)) return { available: false, version: 'missing', install, why: `${path} does not exist` }
  try {
    const { stdout } = await execFileAsync(path, ['--version'], { timeout: 15_000, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } })
    return { available: true, version: parse(stdout), install }
  } catch (err) {
    return { available: false, version: 'broken', install, why: `${path} --version failed: ${(err as Error).message}` }
  }
}

async function probeModule(specifier: string, install: string, version: () => Promise<string>): Promise<Probe> {
  try {
    await import(specifier)
    return { available: true, version: await version(), install }
  } catch (err) {
    return { available: false, version: 'missing', install, why: `import("${specifier}") failed: ${(err as Error).message}` }
  }
}

async function workerdVersion(): Promise<string> {
  // workerd is miniflare's dependency; npm usually hoists it next to miniflare.
  const workerd = (await packageVersion('workerd')) ?? 'unknown'
  return `workerd ${workerd} (miniflare ${(await packageVersion('miniflare')) ?? 'unknown'})`
}

const [bunProbe, denoProbe, workerdProbe, edgeProbe, chromiumProbe] = await Promise.all([
  probeBinary(BUN, 'npm i -D bun', (out) => `bun ${out.trim()}`),
  probeBinary(DENO, 'npm i -D deno', (out) => /^deno [^\s]+/.exec(out)?.[0] ?? out.trim()),
  probeModule('miniflare', 'npm i -D miniflare', workerdVersion),
  probeModule('@edge-runtime/vm', 'npm i -D edge-runtime @edge-runtime/vm', async () =>
    `edge-runtime ${(await packageVersion('edge-runtime')) ?? 'unknown'} (@edge-runtime/vm ${(await packageVersion('@edge-runtime/vm')) ?? 'unknown'})`,
  ),
  existsSync(CHROMIUM)
    ? probeModule('playwright-core', 'npm i -D playwright-core', async () => `playwright-core ${(await packageVersion('playwright-core')) ?? 'unknown'}`)
    : Promise.resolve<Probe>({
        available: false,
        version: 'missing',
        install: 'apt-get install -y --no-install-recommends chromium  (the Debian package "chromium")',
        why: `${CHROMIUM} does not exist`,
      }),
])
const nodeProbe: Probe = { available: true, version: `node ${process.versions.node}`, install: 'Node is the host' }

// --- the server, the build, the records -----------------------------------------------------

let server: AuthServer
const rows: MatrixRow[] = []

beforeAll(async () => {
  await ensureBuilt('test/runtime-matrix.test.ts')
  server = await startAuthServer()
}, 180_000)

afterAll(async () => {
  await server?.close()
  if (rows.length === 0) return
  const table = rows.map((r) => `  ${r.runtime.padEnd(13)}${r.version.padEnd(58)}suite ${String(r.suiteMs).padStart(5)} ms   wall ${String(r.wallMs).padStart(5)} ms`)
  console.log(`\nruntime matrix (the smoke suite against the built package):\n${table.join('\n')}\n`)
  await mkdir(join(root, 'test-results'), { recursive: true })
  await writeFile(join(root, 'test-results/runtime-matrix.json'), `${JSON.stringify(rows, null, 2)}\n`)
})

function smokeOptions(client: 'confidential' | 'public' = 'confidential'): SmokeOptions {
  const user = server.users[0]!
  const { clientId, clientSecret } = server.clients[client]
  return {
    issuer: server.issuer,
    clientId,
    ...(clientSecret !== undefined && { clientSecret }),
    redirectUri: REDIRECT_URI,
    audience: server.apiAudience,
    email: user.email,
    password: user.password,
  }
}

/** Pulls the summary out of a runner's output (the line `SMOKE_RESULT {...}`), or fails with everything the runner said. */
function summaryFromOutput(runtime: string, out: { stdout: string; stderr: string; code?: number | string | null }): SmokeSummary {
  const line = out.stdout.split('\n').find((l) => l.startsWith('SMOKE_RESULT '))
  if (line === undefined) {
    throw new Error(`${runtime}: the smoke suite printed no result (exit ${out.code ?? '?'})\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`)
  }
  return JSON.parse(line.slice('SMOKE_RESULT '.length)) as SmokeSummary
}

/** Runs a runner process to the end (asynchronously: the auth server lives in this process). */
async function runProcess(runtime: string, file: string, args: string[]): Promise<SmokeSummary> {
  try {
    const out = await execFileAsync(file, args, {
      cwd: root,
      timeout: TEST_TIMEOUT - 5_000,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', DENO_NO_UPDATE_CHECK: '1' },
    })
    return summaryFromOutput(runtime, out)
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number | string; message: string }
    if (e.stdout === undefined) throw err
    return summaryFromOutput(runtime, { stdout: e.stdout, stderr: `${e.stderr ?? ''}\n${e.message}`, code: e.code ?? null })
  }
}

/**
 * One named test per runtime. A runtime that is not installed skips with a loud warning,
 * except under CI=true, where the test runs and fails saying what to install.
 */
function runtimeTest(name: string, probe: Probe, expectedRuntime: RegExp, run: () => Promise<{ summary: SmokeSummary; version?: string }>): void {
  if (!probe.available && !inCI) {
    loudSkipWarning(`the ${name} leg of the runtime matrix (${probe.why ?? 'not installed'})`, probe.install)
    it.skip(name, () => {})
    return
  }
  it(
    name,
    async () => {
      if (!probe.available) throw new Error(`${name} is not available (${probe.why ?? 'not installed'}); install it: ${probe.install}`)
      const started = performance.now()
      const { summary, version } = await run()
      const wallMs = Math.round(performance.now() - started)
      const row: MatrixRow = { runtime: name, version: version ?? probe.version, suiteMs: summary.ms, wallMs, summary }
      rows.push(row)
      console.log(`[runtime-matrix] ${name}: ${row.version} — smoke suite ${row.suiteMs} ms (${Object.entries(summary.steps).map(([k, v]) => `${k} ${v}`).join(', ')}); ${wallMs} ms with startup`)

      const user = server.users[0]!
      expect(summary).toMatchObject({ ok: true, refreshed: true, sub: user.sub, email: user.email })
      expect(summary.verifiedAud).toContain(server.apiAudience)
      expect(summary.scope?.split(' ')).toEqual(expect.arrayContaining(['openid', 'offline_access']))
      // The suite really ran in that runtime, not in the host.
      expect(summary.runtime).toMatch(expectedRuntime)
    },
    TEST_TIMEOUT,
  )
}

// --- the runtimes ---------------------------------------------------------------------------

runtimeTest('node', nodeProbe, /^node \d/, async () => ({
  summary: await runProcess('node', process.execPath, ['test/runtime/cli.mjs', JSON.stringify(smokeOptions())]),
}))

runtimeTest('bun', bunProbe, /^bun \d/, async () => ({
  summary: await runProcess('bun', BUN, ['run', 'test/runtime/cli.mjs', JSON.stringify(smokeOptions())]),
}))

runtimeTest('deno', denoProbe, /^deno \d/, async () => ({
  // `deno test` (as the issue asks); the package resolves its npm imports from node_modules
  // through package.json, hence read access to the repository. No lockfile is written.
  summary: await runProcess('deno', DENO, [
    'test',
    '--no-lock',
    '--allow-net=127.0.0.1',
    `--allow-read=${root}`,
    'test/runtime/deno-smoke.mjs',
    '--',
    JSON.stringify(smokeOptions()),
  ]),
}))

runtimeTest('workerd', workerdProbe, /^workerd$/, async () => {
  const { Miniflare } = await import('miniflare')
  const script = await bundle('test/runtime/worker.mjs', { format: 'esm', conditions: ['workerd', 'worker', 'browser'] })
  const mf = new Miniflare({ modules: true, script, compatibilityDate: '2025-09-01' })
  try {
    const res = await mf.dispatchFetch('http://localhost/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(smokeOptions()),
    })
    const body = (await res.json()) as SmokeSummary & { message?: string; stack?: string }
    if (res.status !== 200) throw new Error(`workerd: the worker answered ${res.status}: ${body.message ?? ''}\n${body.stack ?? ''}`)
    return { summary: body }
  } finally {
    await mf.dispose()
  }
})

runtimeTest('edge-runtime', edgeProbe, /^edge-runtime/, async () => {
  const { EdgeVM } = await import('@edge-runtime/vm')
  const script = await bundle('test/runtime/edge.mjs', { format: 'iife', conditions: ['edge-light', 'worker', 'browser'] })
  const vm = new EdgeVM()
  // No process, no require: the bundled suite sees only the edge runtime's Web APIs.
  expect(vm.evaluate<string>('typeof process + " " + typeof require')).toBe('undefined undefined')
  vm.evaluate(script)
  const json = await vm.evaluate<Promise<string>>(`__authcodeSmoke.runSmoke(${JSON.stringify(smokeOptions())}).then(JSON.stringify)`)
  return { summary: JSON.parse(json) as SmokeSummary }
})

runtimeTest('chromium', chromiumProbe, /^chromium \d/, async () => {
  const { chromium } = await import('playwright-core')
  const smokeJs = await bundle('test/runtime/smoke.mjs', { format: 'esm' })
  // The page's origin differs from the auth server's: every call to it is cross-origin (CORS).
  const pageServer: Server = createServer((req, res) => {
    if (req.url === '/smoke.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' })
      return res.end(smokeJs)
    }
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/' })
      return res.end()
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    // The page loads the bundle as a module (a dynamic import inside page.evaluate would be
    // rewritten by vitest's transform) and leaves it on window.
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>authcode smoke</title>
<script type="module">import * as smoke from '/smoke.js'; window.authcodeSmoke = smoke</script></head><body>authcode smoke</body></html>`)
  })
  const origin = await listen(pageServer)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  try {
    const page = await browser.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (err) => pageErrors.push(err.message))
    // The user logs in on the server's HTML page; a page's fetch sees redirects as opaque, so
    // that step is done from Node (a browser walking /authorize) and hands back the callback.
    const user = server.users[0]!
    await page.exposeFunction('authcodeLogin', async (authorizeUrl: string) => {
      const { callback } = await browserLogin(new URL(authorizeUrl), { email: user.email, password: user.password })
      return callback.href
    })
    await page.goto(`${origin}/`)
    await page.waitForFunction(() => 'authcodeSmoke' in window)
    // A single-page application is a public client: no secret in the browser, PKCE alone.
    const options = smokeOptions('public')
    const { summary, opaque } = await page.evaluate(
      async ({ options, redirect }) => {
        const m = (window as unknown as { authcodeSmoke: SmokeModule }).authcodeSmoke
        // Why the login is delegated: fetch(redirect: 'manual') in a page gives an opaque redirect.
        const opaque = await m.fetchLogin(redirect, { email: 'x', password: 'y' }).then(
          () => 'resolved',
          (err: Error) => err.message,
        )
        const login = (url: string) => (window as unknown as { authcodeLogin(u: string): Promise<string> }).authcodeLogin(url)
        return { summary: (await m.runSmoke({ ...options, login })) as unknown, opaque }
      },
      { options, redirect: `${origin}/redirect` },
    )
    expect(opaque).toMatch(/opaque redirect/)
    expect(pageErrors).toEqual([])
    return { summary: summary as SmokeSummary, version: `chromium ${browser.version()} (${chromiumProbe.version})` }
  } finally {
    await browser.close()
    await closeServer(pageServer)
  }
})
