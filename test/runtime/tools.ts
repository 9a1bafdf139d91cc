// Shared by test/runtime-matrix.test.ts and test/browser-e2e.test.ts: where things are, the
// built package, esbuild bundles of it, headless Chromium, and a loud skip outside CI.
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { type Server } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export const root = fileURLToPath(new URL('../../', import.meta.url))
export const inCI = process.env.CI === 'true'
export const execFileAsync = promisify(execFile)

/** Debian's chromium, driven by playwright-core (never a downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

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
 * These suites run the BUILT package (dist/). Builds it when it is missing (async, so servers
 * in this process keep answering); a stale dist/ is only reported, because tsup empties dist/
 * first and other suites may be reading it in parallel.
 */
export async function ensureBuilt(who: string): Promise<void> {
  const built = join(root, 'dist/index.js')
  if (!existsSync(built) || !existsSync(join(root, 'dist/api/index.js'))) {
    await execFileAsync('npx', ['tsup'], { cwd: root, timeout: 170_000 })
  } else if (statSync(built).mtimeMs < newestSource(join(root, 'src'))) {
    console.warn(`\n!!! ${who} runs the BUILT package, and dist/ is older than src/: run \`npm run build\` first.\n`)
  }
}

/** One file bundled by esbuild (jose, oauth4webapi and zod inlined), as text. */
export async function bundle(
  entry: string,
  options: { format: 'esm' | 'iife'; conditions?: string[] },
): Promise<string> {
  const { build } = await import('esbuild')
  const result = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    write: false,
    format: options.format,
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
    ...(options.conditions !== undefined && { conditions: options.conditions }),
  })
  const text = result.outputFiles[0]?.text
  if (text === undefined) throw new Error(`esbuild produced nothing for ${entry}`)
  return text
}

/** The version field of an installed package's package.json, or undefined. */
export async function packageVersion(name: string): Promise<string | undefined> {
  try {
    const { createRequire } = await import('node:module')
    const require = createRequire(join(root, 'package.json'))
    return (require(`${name}/package.json`) as { version?: string }).version
  } catch {
    return undefined
  }
}

/** A banner that cannot be missed, for a test that skips because a runtime is not installed. */
export function loudSkipWarning(what: string, install: string): void {
  const bar = '!'.repeat(78)
  console.warn(
    `\n${bar}\n!! SKIPPING ${what}.\n!! Install: ${install}\n!! (With CI=true this is a failure, not a skip.)\n${bar}\n`,
  )
}

/** Listens on a free 127.0.0.1 port; returns the origin. */
export function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      const address = server.address()
      if (address === null || typeof address === 'string') return reject(new Error('no port'))
      resolve(`http://127.0.0.1:${address.port}`)
    })
  })
}

export function closeServer(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (server === undefined || !server.listening) return resolve()
    server.closeAllConnections()
    server.close(() => resolve())
  })
}
