// The import graph of src/: no import circles, and arrows that point down the layers only.
// `node scripts/check-imports.mjs` checks (part of `npm run lint`); `--graph` prints the graph.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
// `--src DIR` checks another tree (the tests give it one with a circle).
const at = process.argv.indexOf('--src')
const src = at === -1 ? join(root, 'src') : process.argv[at + 1]

/** Every .ts file under a folder. */
function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
  })
}

// Static imports and re-exports (type-only ones too: a circle of types is still a circle for a
// reader), and dynamic import() of a literal path.
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?\sfrom\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g

/** The files a file imports, as paths relative to src/. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8')
  const out = new Set()
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]
    const target = join(dirname(file), spec.replace(/\.js$/, '.ts'))
    out.add(relative(src, target))
  }
  return [...out]
}

const graph = new Map(files(src).map((f) => [relative(src, f), importsOf(f)]))

// Tarjan's strongly connected components: every component of more than one file is a circle.
function circles() {
  let index = 0
  const stack = []
  const info = new Map()
  const found = []
  const visit = (v) => {
    info.set(v, { index, low: index, onStack: true })
    index++
    stack.push(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!info.has(w)) {
        visit(w)
        info.get(v).low = Math.min(info.get(v).low, info.get(w).low)
      } else if (info.get(w).onStack) {
        info.get(v).low = Math.min(info.get(v).low, info.get(w).index)
      }
    }
    if (info.get(v).low === info.get(v).index) {
      const component = []
      let w
      do {
        w = stack.pop()
        info.get(w).onStack = false
        component.push(w)
      } while (w !== v)
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!info.has(v)) visit(v)
  return found
}

// The layers, lowest first: a file may import its own layer or a lower one, never a higher one.
// A path matches the first prefix that starts it.
const LAYERS = [
  ['lib/', 'errors.ts', 'errors/', 'token-set.ts'],
  ['auth0.ts', 'config.ts', 'storage/'],
  ['provider/'],
  ['login/'],
  ['tokens/'],
  ['cookies/', 'api/'],
  ['server/'],
  ['testing/', 'index.ts'],
]
const layerOf = (file) => {
  const at = LAYERS.findIndex((prefixes) => prefixes.some((p) => file === p || (p.endsWith('/') && file.startsWith(p))))
  return at === -1 ? undefined : at
}

const problems = []
for (const component of circles()) problems.push(`import circle: ${component.join(' -> ')}`)
for (const [file, imports] of graph) {
  const from = layerOf(file)
  if (from === undefined) {
    problems.push(`${file}: in no layer of scripts/check-imports.mjs; add its folder to LAYERS`)
    continue
  }
  for (const target of imports) {
    if (!graph.has(target)) problems.push(`${file}: imports ${target}, which is not a file of src/`)
    const to = layerOf(target)
    if (to !== undefined && to > from) problems.push(`${file} imports ${target}, a higher layer (${LAYERS[to].join(' ')})`)
  }
}

if (process.argv.includes('--graph')) {
  for (const [file, imports] of [...graph].sort()) console.log(`${file} -> ${imports.sort().join(', ') || '(nothing)'}`)
}
if (problems.length > 0) {
  console.error(problems.map((p) => `check-imports: ${p}`).join('\n'))
  process.exit(1)
}
console.log(`check-imports: ${graph.size} files of src/, no import circle, every arrow points down the layers`)
