// The API examples that need a runtime of their own, run for real against the local
// authorization server (scripts/auth-server.mjs) with real RS256 access tokens from it:
// - examples/api/next-route.ts: its GET(request) called in this process;
// - examples/api/hono.ts under Bun (npm `bun`): its createApp served by Bun.serve, asked over HTTP;
// - examples/api/deno.ts under Deno (npm `deno`): the file itself, run with env, asked over HTTP.
// Bun and Deno load the BUILT package (dist/), as a user's install would. A missing runtime
// skips loudly, except under CI=true, where it fails.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { TokenClient } from 'authcode'
import { GET } from '../examples/api/next-route.js'
import { type AuthServer, startAuthServer } from './helpers/auth-server.js'
import { type Runtime, probe } from './helpers/runtimes.js'

const root = fileURLToPath(new URL('../', import.meta.url))
const inCI = process.env.CI === 'true'
const execFileAsync = promisify(execFile)
const CONTACTS = [{ id: 1, name: 'Ada Lovelace', email: 'ada@example.com' }]
/** What the runtimes' child processes get besides their own variables. */
const QUIET = { NO_COLOR: '1', FORCE_COLOR: '0', DENO_NO_UPDATE_CHECK: '1' }

// --- the runtimes -----------------------------------------------------------------------------

const [bun, deno] = await Promise.all([
  probe('bun', 'bun', (out) => `bun ${out.trim()}`),
  probe('deno', 'deno', (out) => /^deno \S+/.exec(out)?.[0] ?? out.trim()),
])
console.log(`examples-runtimes: node ${process.versions.node}; ${bun.version ?? `bun missing (${bun.missing})`}; ${deno.version ?? `deno missing (${deno.missing})`}`)

/**
 * A describe block for one runtime. Not installed: a loud skip, or under CI=true a failure
 * that says what to install.
 */
function describeRuntime(runtime: Runtime, title: string, body: () => void): void {
  if (runtime.missing !== undefined && !inCI) {
    const bar = '!'.repeat(78)
    console.warn(`\n${bar}\n!! SKIPPING ${title}: ${runtime.missing}.\n!! Install: ${runtime.install}\n!! (With CI=true this is a failure, not a skip.)\n${bar}\n`)
    describe.skip(title, body)
    return
  }
  describe(title, () => {
    if (runtime.missing === undefined) return body()
    it(`runs on ${runtime.name}`, () => {
      throw new Error(`${runtime.name} is not available (${runtime.missing}); install it: ${runtime.install}`)
    })
  })
}

// --- child processes ----------------------------------------------------------------------------

const children: ChildProcess[] = []

/**
 * Starts a server process and waits for its `GET http://host:port/api/contacts` line; returns
 * the URL. Fails with everything the process said when it exits or stays silent.
 */
function startServer(file: string, args: string[], env: Record<string, string>, timeoutMs = 20_000): Promise<string> {
  const child = spawn(file, args, { cwd: root, env: { ...process.env, ...QUIET, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let output = ''
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer)
      reject(new Error(`${file} ${args.join(' ')}: ${why}\n--- output\n${output}`))
    }
    const timer = setTimeout(() => fail(`no "GET http://…/api/contacts" line in ${timeoutMs} ms`), timeoutMs)
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      const url = /GET (http:\/\/127\.0\.0\.1:\d+\/api\/contacts)/.exec(output)?.[1]
      if (url !== undefined) {
        clearTimeout(timer)
        resolve(url)
      }
    }
    child.stdout.on('data', read)
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('error', (err) => fail(err.message))
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before listening`))
  })
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(killer)
}

// --- the server, the build and the tokens ---------------------------------------------------------

let server: AuthServer
let tmp: string
/** A client_credentials token for the API with read:contacts. */
let withScope: string
/** A client_credentials token for the API with write:contacts only. */
let withoutScope: string

beforeAll(async () => {
  // Bun and Deno run the built package: build it when it is missing.
  if (!existsSync(join(root, 'dist/index.js')) || !existsSync(join(root, 'dist/api/index.js'))) {
    await execFileAsync('npx', ['tsup'], { cwd: root, timeout: 170_000 })
  }
  server = await startAuthServer()
  tmp = await mkdtemp(join(tmpdir(), 'authcode-examples-'))
  const client = new TokenClient({ issuer: server.issuer, allowInsecureRequests: true, ...server.clients.confidential })
  withScope = (await client.clientCredentials({ audience: server.apiAudience, scope: 'read:contacts' })).accessToken
  withoutScope = (await client.clientCredentials({ audience: server.apiAudience, scope: 'write:contacts' })).accessToken
  // What the tests below rest on: real RS256 JWTs for the API, one with the scope, one without.
  expect(decodeJwt(withScope)).toMatchObject({ iss: server.issuer, aud: server.apiAudience, scope: 'read:contacts' })
  expect(decodeJwt(withoutScope)).toMatchObject({ aud: server.apiAudience, scope: 'write:contacts', permissions: ['write:contacts'] })
}, 180_000)

afterAll(async () => {
  await Promise.all(children.map(stop))
  await server?.close()
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true })
})

// --- the same three requests to every example ------------------------------------------------------

/** Sends GET /api/contacts with the given Authorization header (none when undefined). */
type Call = (authorization?: string) => Promise<Response>

const headers = (authorization?: string): Record<string, string> => (authorization === undefined ? {} : { authorization })

/** The three answers every example must give, for `call` once `start` has run. */
function contactsApi(start: () => Promise<Call>): void {
  let call: Call
  beforeAll(async () => {
    call = await start()
  }, 30_000)

  it('answers 200 with the contacts for a real token with read:contacts', async () => {
    const res = await call(`Bearer ${withScope}`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ owner: `${server.clients.confidential.clientId}@clients`, contacts: CONTACTS })
  })

  it('answers 403 insufficient_scope for a real token without read:contacts', async () => {
    const res = await call(`Bearer ${withoutScope}`)
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", .*scope="read:contacts"$/)
    expect(await res.json()).toEqual({ error: 'insufficient_scope', error_description: 'The access token lacks a required scope: read:contacts' })
  })

  it('answers 401 with a bare Bearer challenge when there is no token', async () => {
    const res = await call()
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(await res.json()).toEqual({ error_description: expect.stringContaining('no access token') })
  })
}

const overHttp = (url: string): Call => (authorization) => fetch(url, { headers: headers(authorization) })

describe('examples/api/next-route.ts: GET(request) in this process', () => {
  afterAll(() => {
    vi.unstubAllEnvs()
  })
  contactsApi(async () => {
    // The route reads these on its first request (its verifier is made lazily).
    vi.stubEnv('AUTH0_ISSUER', server.issuer)
    vi.stubEnv('AUTH0_AUDIENCE', server.apiAudience)
    return (authorization) => GET(new Request('http://localhost:3000/api/contacts', { headers: headers(authorization) }))
  })
})

describeRuntime(bun, 'examples/api/hono.ts under Bun: createApp served by Bun.serve', () => {
  contactsApi(async () => {
    // The example's own imports resolve from the repository: `authcode/api` is the package
    // itself (package.json "exports" -> dist/), hono from node_modules.
    const entry = [
      "import { createApp } from './examples/api/hono.ts'",
      'const app = createApp({ issuer: process.env.AUTH0_ISSUER, audience: process.env.AUTH0_AUDIENCE, allowInsecureRequests: true })',
      "const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: app.fetch })",
      'console.log(`GET http://127.0.0.1:${server.port}/api/contacts (authcode/api from ${import.meta.resolve("authcode/api")})`)',
    ].join('\n')
    const url = await startServer(bun.binary, ['--eval', entry], { AUTH0_ISSUER: server.issuer, AUTH0_AUDIENCE: server.apiAudience })
    return overHttp(url)
  })
})

describeRuntime(deno, 'examples/api/deno.ts under Deno', () => {
  contactsApi(async () => {
    // What a Deno project's deno.json "imports" does for `authcode/api`, pointed at the build.
    const importMap = join(tmp, 'import_map.json')
    const dist = (file: string) => pathToFileURL(join(root, 'dist', file)).href
    await writeFile(importMap, JSON.stringify({ imports: { authcode: dist('index.js'), 'authcode/api': dist('api/index.js') } }))
    const url = await startServer(
      deno.binary,
      [
        'run',
        '--no-lock', // write no deno.lock into the repository
        '--no-prompt',
        '--allow-net=127.0.0.1',
        // No --allow-read: loading modules (dist/, and jose etc. from node_modules) needs none.
        '--allow-env=AUTH0_ISSUER,AUTH0_DOMAIN,AUTH0_AUDIENCE,PORT',
        `--import-map=${importMap}`,
        'examples/api/deno.ts',
      ],
      { AUTH0_ISSUER: server.issuer, AUTH0_AUDIENCE: server.apiAudience, PORT: '0' },
    )
    return overHttp(url)
  })
})
