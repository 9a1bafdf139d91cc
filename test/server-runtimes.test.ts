// examples/server on the runtimes that are not Node, against the local authorization server
// (scripts/auth-server.mjs), each walked through login, the API call and logout:
// - bun.ts under Bun (npm `bun`), and hono.ts served by Bun.serve;
// - deno.ts under Deno (npm `deno`), and hono.ts served by Deno.serve;
// - hono-worker.ts in workerd through Miniflare (npm `miniflare`), bundled by esbuild.
// They load the BUILT package (dist/), as a user's install would. A missing runtime skips
// loudly, except under CI=true, where it fails.
import { type ChildProcess, execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, it } from 'vitest'
import { type World, describeNeeding, freePort, overHttp, startProcess, startWorld, stopProcess, walk } from './helpers/server-walk.js'
import { type Runtime, probe } from './helpers/runtimes.js'

const root = fileURLToPath(new URL('../', import.meta.url))
const execFileAsync = promisify(execFile)
const dist = (file: string) => join(root, 'dist', file)

// --- the runtimes -----------------------------------------------------------------------------

async function probeMiniflare(): Promise<Runtime> {
  const runtime: Runtime = { name: 'workerd', binary: 'miniflare', install: 'npm i -D miniflare  (the npm package "miniflare")' }
  try {
    await import('miniflare')
    return { ...runtime, version: 'miniflare (workerd)' }
  } catch (err) {
    return { ...runtime, missing: `import("miniflare") failed: ${(err as Error).message}` }
  }
}

const [bun, deno, workerd] = await Promise.all([
  probe('bun', 'bun', (out) => `bun ${out.trim()}`),
  probe('deno', 'deno', (out) => /^deno \S+/.exec(out)?.[0] ?? out.trim()),
  probeMiniflare(),
])
const seen = (r: Runtime) => r.version ?? `${r.name} missing (${r.missing})`
console.log(`server-runtimes: node ${process.versions.node}; ${seen(bun)}; ${seen(deno)}; ${seen(workerd)}`)

/** A describe block for one runtime: see describeNeeding. */
function describeRuntime(runtime: Runtime, title: string, body: () => void): void {
  describeNeeding(title, { missing: runtime.missing, fix: `Install ${runtime.name}: ${runtime.install}` }, body)
}

// --- child processes ----------------------------------------------------------------------------

const children: ChildProcess[] = []

/** Starts a server process and waits for its `GET http://127.0.0.1:port/me` line. */
async function startServer(file: string, args: string[], env: Record<string, string>): Promise<void> {
  const server = startProcess(file, args, { cwd: root, env, ready: /GET http:\/\/127\.0\.0\.1:\d+\/me/ })
  children.push(server.child)
  await server.ready
}

// --- the server, the build and the apps' addresses --------------------------------------------------

const WORKER = 'http://localhost:8787'
const ports = { bun: await freePort(), bunHono: await freePort(), deno: await freePort(), denoHono: await freePort() }
const base = (port: number) => `http://127.0.0.1:${port}`
let world: World
let tmp: string

beforeAll(async () => {
  // The runtimes run the built package: build it when it is missing.
  if (!existsSync(dist('index.js')) || !existsSync(dist('server/index.js'))) {
    await execFileAsync('npx', ['tsup'], { cwd: root, timeout: 170_000 })
  }
  world = await startWorld([WORKER, ...Object.values(ports).map(base)])
  tmp = await mkdtemp(join(tmpdir(), 'authcode-server-examples-'))
}, 180_000)

afterAll(async () => {
  await Promise.all(children.map(stopProcess))
  await world?.close()
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true })
})

// --- Bun ---------------------------------------------------------------------------------------

describeRuntime(bun, 'examples/server under Bun', () => {
  it('bun.ts: Bun.serve with auth.wrap logs in, calls the API, logs out', async () => {
    // `authcode/server` is the package itself (package.json "exports" -> dist/).
    const url = base(ports.bun)
    await startServer(bun.binary, ['examples/server/bun.ts'], { ...world.env(url), PORT: String(ports.bun) })
    await walk(world, url, overHttp)
  }, 30_000)

  it('hono.ts: the Hono app served by Bun.serve logs in, calls the API, logs out', async () => {
    const url = base(ports.bunHono)
    const entry = [
      "import { createAuth } from 'authcode/server'",
      "import { apiUrl, authOptions } from './examples/server/env.ts'",
      "import { createApp } from './examples/server/hono.ts'",
      'const app = createApp(createAuth(authOptions(Bun.env)), apiUrl(Bun.env))',
      "const server = Bun.serve({ hostname: '127.0.0.1', port: Number(Bun.env.PORT), fetch: app.fetch })",
      'console.log(`GET ${new URL("/me", server.url).href}`)',
    ].join('\n')
    await startServer(bun.binary, ['--eval', entry], { ...world.env(url), PORT: String(ports.bunHono) })
    await walk(world, url, overHttp)
  }, 30_000)
})

// --- Deno --------------------------------------------------------------------------------------

describeRuntime(deno, 'examples/server under Deno', () => {
  /** `deno run` with what a Deno project's deno.json "imports" does for `authcode/server`, pointed at the build. */
  async function runDeno(file: string, port: number): Promise<string> {
    const importMap = join(tmp, 'import_map.json')
    await writeFile(importMap, JSON.stringify({ imports: { 'authcode/server': pathToFileURL(dist('server/index.js')).href } }))
    const url = base(port)
    // --node-modules-dir=manual: bare imports (hono, jose) from node_modules even for an entry in a
    // temporary folder, where Deno finds no package.json to tell it so. --no-lock: no deno.lock here.
    const args = ['run', '--no-lock', '--no-prompt', '--node-modules-dir=manual', '--allow-net=127.0.0.1', '--allow-env', `--import-map=${importMap}`, file]
    await startServer(deno.binary, args, { ...world.env(url), PORT: String(port) })
    return url
  }

  it('deno.ts: Deno.serve with auth.wrap logs in, calls the API, logs out', async () => {
    await walk(world, await runDeno('examples/server/deno.ts', ports.deno), overHttp)
  }, 30_000)

  it('hono.ts: the Hono app served by Deno.serve logs in, calls the API, logs out', async () => {
    const here = (file: string) => pathToFileURL(join(root, 'examples/server', file)).href
    const entry = join(tmp, 'hono-deno.ts')
    await writeFile(entry, [
      "import { createAuth } from 'authcode/server'",
      `import { apiUrl, authOptions } from '${here('env.ts')}'`,
      `import { createApp } from '${here('hono.ts')}'`,
      'const env = Deno.env.toObject()',
      'const app = createApp(createAuth(authOptions(env)), apiUrl(env))',
      "const onListen = ({ port }: { port: number }) => console.log(`GET http://127.0.0.1:${port}/me`)",
      "Deno.serve({ hostname: '127.0.0.1', port: Number(env.PORT), onListen }, app.fetch)",
    ].join('\n'))
    await walk(world, await runDeno(entry, ports.denoHono), overHttp)
  }, 30_000)
})

// --- workerd -----------------------------------------------------------------------------------

describeRuntime(workerd, 'examples/server in workerd (Miniflare)', () => {
  it('hono-worker.ts: the Hono app as a module Worker logs in, calls the API, logs out', async () => {
    const [{ Miniflare }, esbuild] = await Promise.all([import('miniflare'), import('esbuild')])
    // What wrangler does: one bundled module, `authcode/server` from the build.
    const bundle = await esbuild.build({
      entryPoints: [join(root, 'examples/server/hono-worker.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['workerd', 'worker', 'browser'],
      alias: { 'authcode/server': dist('server/index.js') },
      write: false,
      logLevel: 'silent',
    })
    const mf = new Miniflare({
      modules: true,
      script: bundle.outputFiles[0]!.text,
      compatibilityDate: '2025-09-01',
      bindings: world.env(WORKER),
    })
    try {
      // Miniflare's Response is undici's; the walk reads it as a Web Response.
      await walk(world, WORKER, async (request) => (await mf.dispatchFetch(request.url, {
        method: request.method,
        headers: Object.fromEntries(request.headers),
        redirect: 'manual',
      })) as unknown as Response)
    } finally {
      await mf.dispose()
    }
  }, 60_000)
})
