// The JavaScript runtimes some suites run under (npm `bun`, `deno`): where each binary is, its version, or why it cannot run.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const root = fileURLToPath(new URL('../../', import.meta.url))
const QUIET = { NO_COLOR: '1', FORCE_COLOR: '0', DENO_NO_UPDATE_CHECK: '1' }

export interface Runtime {
  name: string
  binary: string
  /** How to install it, naming the npm package. */
  install: string
  version?: string
  /** Why it cannot run, when it cannot. */
  missing?: string
}

/** Asks node_modules/.bin/<name> for its version; `missing` says why when it cannot answer. */
export async function probe(name: string, pkg: string, parse: (out: string) => string): Promise<Runtime> {
  const binary = join(root, 'node_modules/.bin', name)
  const runtime: Runtime = { name, binary, install: `npm i -D ${pkg}  (the npm package "${pkg}")` }
  if (!existsSync(binary)) return { ...runtime, missing: `${binary} does not exist` }
  try {
    const { stdout } = await promisify(execFile)(binary, ['--version'], { timeout: 15_000, env: { ...process.env, ...QUIET } })
    return { ...runtime, version: parse(stdout) }
  } catch (err) {
    return { ...runtime, missing: `${binary} --version failed: ${(err as Error).message}` }
  }
}
