// Two Node processes on the built package share one Redis: 2 x 200 concurrent getAccessToken calls, one refresh.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, type TokenEndpoint, requireRedisServer, startRedisServer, startTokenEndpoint } from './helpers/redis.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const worker = fileURLToPath(new URL('./fixtures/redis-worker.mjs', import.meta.url))
const available = requireRedisServer('test/redis-multiprocess.test.ts')

function newestSource(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
      const full = join(dir, entry.name)
      return entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs
    }),
  )
}

/**
 * The workers import `authcode` and `authcode/storage/redis` through package.json "exports",
 * i.e. dist/. Builds when it is missing; a stale dist/ is only reported, because tsup empties
 * dist/ first and other suites (test/demo.test.ts) may be reading it in parallel.
 */
function ensureBuilt(): void {
  const built = join(root, 'dist/storage/redis.js')
  if (!existsSync(built)) {
    execFileSync('npx', ['tsup'], { cwd: root, stdio: 'ignore', timeout: 170_000 })
  } else if (statSync(built).mtimeMs < newestSource(join(root, 'src'))) {
    console.warn('\n!!! test/redis-multiprocess.test.ts runs the BUILT package, and dist/ is older than src/: run `npm run build` first.\n')
  }
}

interface WorkerResult {
  pid: number
  tokens: string[]
  errors: Array<{ name?: string; code?: string; message?: string }>
}

/** Spawns one worker; `ready` settles once it has connected, `result` once it has printed its tokens. */
function startWorker(env: Record<string, string>): { child: ChildProcessWithoutNullStreams; ready: Promise<void>; result: Promise<WorkerResult> } {
  const child = spawn(process.execPath, [worker], { cwd: root, env: { ...process.env, ...env } })
  let stdout = ''
  let stderr = ''
  let markReady!: () => void
  const ready = new Promise<void>((resolve) => (markReady = resolve))
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    if (stdout.startsWith('ready\n')) markReady()
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const result = new Promise<WorkerResult>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('{'))
      if (code !== 0 || line === undefined) reject(new Error(`worker exited with ${code}:\n${stderr}\n${stdout}`))
      else resolve(JSON.parse(line) as WorkerResult)
    })
  })
  // A worker that dies before "ready" must not leave the test waiting.
  return { child, ready: Promise.race([ready, result.then(() => {})]), result }
}

describe.skipIf(!available)('RedisStorage across two Node processes (built package)', () => {
  let server: RedisServer
  let endpoint: TokenEndpoint | undefined
  const children: ChildProcessWithoutNullStreams[] = []

  beforeAll(async () => {
    ensureBuilt()
    server = await startRedisServer()
  }, 180_000)

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
    await endpoint?.close()
    await server?.stop()
  })

  it('refreshes once for 2 processes x 200 concurrent getAccessToken calls, and all 400 get the same token', async () => {
    const prefix = 'mp:'
    const key = 'session-42'
    endpoint = await startTokenEndpoint({ refreshToken: 'rt-0', delayMs: 300 })

    // Seed an expired token set the way RedisStorage stores it.
    const redis = await createClient({ url: server.url }).connect()
    try {
      await redis.set(
        `${prefix}tokens:${key}`,
        JSON.stringify({ accessToken: 'at-0', tokenType: 'Bearer', expiresAt: Math.floor(Date.now() / 1000) - 30, refreshToken: 'rt-0' }),
      )

      const env = { REDIS_URL: server.url, ISSUER: endpoint.issuer, TOKEN_KEY: key, CALLS: '200', PREFIX: prefix }
      const workers = [startWorker(env), startWorker(env)]
      children.push(...workers.map((w) => w.child))
      await Promise.all(workers.map((w) => w.ready))
      for (const w of workers) w.child.stdin.write('go\n')
      const results = await Promise.all(workers.map((w) => w.result))

      expect(results.flatMap((r) => r.errors)).toEqual([])
      const tokens = results.flatMap((r) => r.tokens)
      expect(tokens).toHaveLength(400)
      expect(endpoint.refreshes).toBe(1)
      expect(endpoint.rejected).toBe(0)
      expect(new Set(tokens).size).toBe(1)
      expect(tokens[0]).toMatch(/^at-1-/)

      const stored = JSON.parse((await redis.get(`${prefix}tokens:${key}`)) ?? 'null') as Record<string, unknown> | null
      expect(stored).toMatchObject({ accessToken: tokens[0], tokenType: 'Bearer', refreshToken: endpoint.currentRefreshToken })
      expect(stored?.expiresAt).toBeGreaterThan(Date.now() / 1000 + 3500)
      expect(await redis.exists(`${prefix}lock:${key}`)).toBe(0)
    } finally {
      await redis.close()
    }
  }, 60_000)
})
