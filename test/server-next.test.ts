// examples/server/next as a real Next.js app: installed from its own package.json (next is no
// devDependency of the root), built by `next build` (which also typechecks it), served by
// `next start` (the middleware in Next's edge runtime, the routes and the page in Node) and walked
// through login, the page, the API call with its refresh, and logout against the local
// authorization server. Slow: an install of ~350 MB when node_modules is missing or older than
// the lockfile, a build of about a minute each run. It needs the built package (dist/), which
// the app links. An install that cannot run (no network) skips loudly, except under CI=true.
import { execFile } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, it } from 'vitest'
import { QUIET, type World, describeNeeding, freePort, overHttp, startProcess, startWorld, stopProcess, walk } from './helpers/server-walk.js'

const root = fileURLToPath(new URL('../', import.meta.url))
const app = join(root, 'examples/server/next')
const nextBin = join(app, 'node_modules/next/dist/bin/next')
const execFileAsync = promisify(execFile)
const since = (start: number) => `${((Date.now() - start) / 1000).toFixed(1)} s`

// The test's own variables (a registry or cache set for npm stays in force; npm ci works in its
// cwd even under `npm test`, whose npm_config_local_prefix names the root).
const env = { ...process.env, ...QUIET }

/** What node_modules was installed from: package.json and package-lock.json, hashed, kept in node_modules. */
const stamp = join(app, 'node_modules/.authcode-installed')
const installedFrom = () =>
  createHash('sha256').update(readFileSync(join(app, 'package.json'))).update(readFileSync(join(app, 'package-lock.json'))).digest('hex')

/** `npm ci` in the app when its node_modules is missing or stale; why it could not, if it could not. */
async function install(): Promise<string | undefined> {
  const wanted = installedFrom()
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return undefined
  const start = Date.now()
  try {
    await execFileAsync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, env, timeout: 300_000, maxBuffer: 64 << 20 })
  } catch (err) {
    // npm's own summary: its error code, the failed request, and where its log is.
    const { message, stderr = '' } = err as Error & { stderr?: string }
    const said = stderr.split('\n').filter((line) => /^npm error (code|\w*Error:|A complete log)/.test(line))
    return `npm ci in examples/server/next failed after ${since(start)}: ${message.split('\n')[0]}\n    ${said.join('\n    ')}`
  }
  writeFileSync(stamp, wanted)
  console.log(`server-next: npm ci in examples/server/next took ${since(start)}`)
  return undefined
}

const need = { missing: await install(), fix: 'It needs the npm registry once: cd examples/server/next && npm ci' }

describeNeeding('examples/server/next: a real Next.js app (next build, next start)', need, () => {
  let url: string
  let world: World | undefined
  let server: ChildProcess | undefined

  beforeAll(async () => {
    // The app links this repository (authcode: file:../../..), whose exports point into dist/.
    if (!existsSync(join(root, 'dist/server/index.js'))) await execFileAsync('npx', ['tsup'], { cwd: root, timeout: 170_000 })
    let start = Date.now()
    try {
      await execFileAsync(process.execPath, [nextBin, 'build'], { cwd: app, env, timeout: 400_000, maxBuffer: 64 << 20 })
    } catch (err) {
      const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string }
      throw new Error(`next build failed (after ${since(start)}):\n${stdout}\n${stderr}`)
    }
    console.log(`server-next: next build took ${since(start)}`)

    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    world = await startWorld([url])
    start = Date.now()
    const started = startProcess(process.execPath, [nextBin, 'start', '-H', '127.0.0.1', '-p', String(port)], {
      cwd: app,
      env: { ...env, ...world.env(url) },
      ready: /Ready in/,
      timeoutMs: 30_000,
    })
    server = started.child
    await started.ready
    console.log(`server-next: next start was ready in ${since(start)}`)
  }, 600_000)

  afterAll(async () => {
    if (server !== undefined) await stopProcess(server)
    await world?.close()
  })

  it('the [...auth] route, the middleware, the page and the contacts route log in, call the API (refreshing), log out', async () => {
    await walk(world!, url, overHttp, { contactsPath: '/api/contacts' })
  }, 60_000)
})
