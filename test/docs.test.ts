// Every TypeScript code block of the guides is checked as its own module, and some are run.
//
// THE CONVENTION (for anyone writing docs/**/*.md, and for the files listed in EXTRA_FILES):
//
//   ```ts          typechecked as its own module (strict, as tsconfig.test.json), with
//                  `authcode`, `authcode/api`, `authcode/server`, `authcode/testing` and
//                  `authcode/storage/redis` resolving to src/. A block must be self-contained:
//                  its own imports, and `declare const x: T` for what the reader provides
//                  (env values, a Request, a transaction from an earlier step).
//   ```ts run      typechecked, then EXECUTED (imported as a module; top-level await works):
//                  it passes when it completes without throwing. `declare const` has no value
//                  at run time, so a run block gets what the reader provides from a hidden
//                  prelude (below) that calls the stand-ins of test/helpers/docs-fixtures.ts.
//   ```ts ignore   not checked at all: a fragment that cannot stand alone (an interface
//                  excerpt, a framework that is not installed). Use it sparingly.
//   Any other language (sh, json, js, tsx, …) is not checked. An unknown word after ts fails.
//
//   Hidden lines, in HTML comments (GitHub does not render them), each optional:
//
//     <!-- prelude
//     import { standIn } from 'docs:fixtures'
//     await standIn('google')           // lines put BEFORE the block, typechecked with it
//     -->
//     ```ts run
//     …the block the reader sees…
//     ```
//     <!-- then
//     expect(claims.sub).toBe('…')      // lines put AFTER the block, in the same module:
//     -->                               // checks that make a lying guide fail
//
//   The prelude comment must come right before the fence and the `then` comment right after
//   it (blank lines between are fine). `docs:fixtures` is test/helpers/docs-fixtures.ts: the
//   provider stand-ins of test/providers (answering through msw at their real https URLs),
//   authcode/testing's Auth0 tenant, a Redis server, a login walk, and vitest's `expect`.
//   Stand-ins and process.env changes are undone after each block.
//
// A failing block is reported as path:line of the markdown file (a prelude line is reported
// at its line in the comment). All blocks are typechecked by ONE TypeScript program; the
// generated modules are kept in test/.tmp/docs/run-<pid>/ for an hour, to read after a failure.
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import ts from 'typescript'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { resetFixtures, startFixtures, stopFixtures } from './helpers/docs-fixtures.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// One directory per run: two runs at once (two agents, watch mode) must not delete each other's modules.
const OUT_ROOT = join(ROOT, 'test/.tmp/docs')
const OUT = join(OUT_ROOT, `run-${process.pid}`)
const FIXTURES = join(ROOT, 'test/helpers/docs-fixtures.ts')

/** Markdown files checked besides docs/**\/*.md, relative to the repository root. */
const EXTRA_FILES: string[] = ['README.md']

interface Block {
  /** Relative path of the markdown file. */
  file: string
  /** 1-based line of the opening fence. */
  line: number
  run: boolean
  /** The module's lines, and for each the markdown line it came from. */
  source: string[]
  lines: number[]
  /** Generated module names, under OUT. */
  name: string
}

function markdownFiles(dir: string): string[] {
  let out: string[] = []
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry)
    if (statSync(full).isDirectory()) out = out.concat(markdownFiles(full))
    else if (entry.endsWith('.md')) out.push(relative(ROOT, full))
  }
  return out
}

const FENCE = /^\s*(`{3,}|~{3,})\s*([\w-]*)\s*(.*)$/
const LANGS = new Set(['ts', 'typescript'])
const FLAGS = new Set(['run', 'ignore'])

/** The ```ts blocks of one markdown file, with their hidden prelude and `then` lines. */
export function extractBlocks(file: string, text: string): Block[] {
  const md = text.split('\n')
  const blocks: Block[] = []
  const problems: string[] = []
  for (let i = 0; i < md.length; i++) {
    const open = FENCE.exec(md[i]!)
    if (!open) continue
    const fence = open[1]!
    const lang = open[2]!.toLowerCase()
    let end = i + 1
    while (end < md.length && !md[end]!.trimStart().startsWith(fence)) end++
    const body = { from: i + 1, to: end } // md indexes of the block's lines
    const opened = i
    i = end
    if (!LANGS.has(lang)) continue
    const flags = open[3]!.split(/\s+/).filter(Boolean)
    const unknown = flags.filter((f) => !FLAGS.has(f))
    if (unknown.length > 0) problems.push(`${file}:${opened + 1}: unknown word after \`\`\`${lang}: ${unknown.join(' ')} (known: run, ignore)`)
    if (flags.includes('ignore')) continue

    const source: string[] = []
    const lines: number[] = []
    const add = (from: number, to: number) => {
      for (let k = from; k < to; k++) {
        source.push(md[k]!)
        lines.push(k + 1)
      }
    }
    // <!-- prelude … --> right before the fence.
    let p = opened - 1
    while (p >= 0 && md[p]!.trim() === '') p--
    if (p >= 0 && md[p]!.trim() === '-->') {
      let start = p - 1
      while (start >= 0 && !md[start]!.trimStart().startsWith('<!--')) start--
      if (start >= 0 && /^<!--\s*prelude\s*$/.test(md[start]!.trim())) add(start + 1, p)
    }
    add(body.from, body.to)
    // <!-- then … --> right after the closing fence.
    let n = end + 1
    while (n < md.length && md[n]!.trim() === '') n++
    if (n < md.length && /^<!--\s*then\s*$/.test(md[n]!.trim())) {
      let close = n + 1
      while (close < md.length && md[close]!.trim() !== '-->') close++
      add(n + 1, close)
    }
    const name = `${file.replace(/[^\w.-]+/g, '_')}-L${opened + 1}`
    blocks.push({ file, line: opened + 1, run: flags.includes('run'), source, lines, name })
  }
  if (problems.length > 0) throw new Error(problems.join('\n'))
  return blocks
}

/** The file an `authcode…` specifier resolves to in src/, as tsconfig.test.json's paths do. */
function srcEntry(specifier: string): string {
  if (specifier === 'authcode') return join(ROOT, 'src/index.ts')
  const sub = specifier.slice('authcode/'.length)
  const index = join(ROOT, 'src', sub, 'index.ts')
  try {
    statSync(index)
    return index
  } catch {
    return join(ROOT, 'src', `${sub}.ts`)
  }
}

/** The module text: to typecheck (`authcode…` through paths) or to run (every specifier an absolute path). */
function moduleText(block: Block, mode: 'check' | 'run'): string {
  const toFixtures = mode === 'check' ? './' + relative(OUT, FIXTURES).replace(/\.ts$/, '.js') : pathToFileURL(FIXTURES).href
  const text = block.source
    .join('\n')
    .replace(/(['"])docs:fixtures\1/g, `'${toFixtures}'`)
    .replace(/(['"])(authcode(?:\/[\w/-]+)?)\1/g, (whole, _q: string, spec: string) => (mode === 'run' ? `'${pathToFileURL(srcEntry(spec)).href}'` : whole))
  // `export {}` makes every block a module, so its names never meet another block's.
  return `${text}\nexport {}\n`
}

const files = [...markdownFiles(join(ROOT, 'docs')), ...EXTRA_FILES]
const blocks = files.flatMap((file) => extractBlocks(file, readFileSync(join(ROOT, file), 'utf8')))

let diagnostics: Map<string, string[]> | undefined

/** One program for every block: the diagnostics of each, as `path:line: TSxxxx message`. */
function typecheck(): Map<string, string[]> {
  mkdirSync(OUT_ROOT, { recursive: true })
  // Earlier runs' modules are kept an hour, to read after a failure.
  for (const dir of readdirSync(OUT_ROOT)) {
    const full = join(OUT_ROOT, dir)
    if (full === OUT || Date.now() - statSync(full).mtimeMs > 3_600_000) rmSync(full, { recursive: true, force: true })
  }
  mkdirSync(OUT, { recursive: true })
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.test.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')) } })!
  const byFile = new Map<string, Block>()
  for (const block of blocks) {
    const path = join(OUT, `${block.name}.ts`)
    writeFileSync(path, moduleText(block, 'check'))
    byFile.set(path, block)
  }
  const program = ts.createProgram([...byFile.keys()], { ...config.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false })
  const out = new Map<string, string[]>()
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]
  if (global.length > 0) throw new Error(ts.formatDiagnostics(global, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' }))
  for (const [path, block] of byFile) {
    const sourceFile = program.getSourceFile(path)!
    out.set(
      block.name,
      ts.getPreEmitDiagnostics(program, sourceFile).map((d) => {
        const message = ts.flattenDiagnosticMessageText(d.messageText, '\n  ')
        if (d.file === undefined || d.start === undefined) return `${block.file}:${block.line}: TS${d.code} ${message}`
        const { line } = d.file.getLineAndCharacterOfPosition(d.start)
        if (d.file.fileName !== sourceFile.fileName) return `${block.file}:${block.line}: TS${d.code} in ${relative(ROOT, d.file.fileName)}:${line + 1}: ${message}`
        return `${block.file}:${block.lines[line] ?? block.line}: TS${d.code} ${message}`
      }),
    )
  }
  return out
}

describe('docs code blocks', () => {
  beforeAll(() => {
    diagnostics = typecheck()
    for (const block of blocks.filter((b) => b.run)) writeFileSync(join(OUT, `${block.name}.run.ts`), moduleText(block, 'run'))
    startFixtures()
  }, 120_000)
  afterEach(() => resetFixtures())
  afterAll(() => stopFixtures())

  it('finds the guides and their blocks', () => {
    expect(files).toContain('docs/README.md')
    expect(blocks.length).toBeGreaterThan(0)
    // Every guide of a provider runs at least one block against that provider's stand-in.
    for (const file of files.filter((f) => f.startsWith('docs/providers/'))) {
      expect(blocks.some((b) => b.file === file && b.run), `${file} has no \`\`\`ts run block`).toBe(true)
    }
  })

  describe.each(files.filter((file) => blocks.some((b) => b.file === file)))('%s', (file) => {
    const mine = blocks.filter((b) => b.file === file)
    it.each(mine.map((b) => [`${b.file}:${b.line}`, b] as const))('typechecks the block at %s', (_where, block) => {
      const problems = diagnostics!.get(block.name) ?? []
      expect(problems, problems.join('\n')).toEqual([])
    })
    const runs = mine.filter((b) => b.run)
    if (runs.length > 0) {
      it.each(runs.map((b) => [`${b.file}:${b.line}`, b] as const))('runs the block at %s', async (where, block) => {
        try {
          await import(pathToFileURL(join(OUT, `${block.name}.run.ts`)).href)
        } catch (err) {
          if (err instanceof Error) err.message = `${where} (module ${relative(ROOT, join(OUT, `${block.name}.run.ts`))}): ${err.message}`
          throw err
        }
      })
    }
  })
})
