// Lint-level checks tsc does not make: the core stays on Web APIs, and every public export is documented.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'

const root = new URL('..', import.meta.url).pathname
const problems = []

// 1. Core files use Web APIs only: no node:* or Node built-in imports, no Buffer, no process.
// Runtime-specific adapters (subpath exports that name a runtime) are the only exception.
const ADAPTERS = [/^src\/storage\/redis/]
const NODE_BUILTINS = /^(node:|fs$|path$|crypto$|http$|https$|buffer$|url$|util$|stream$|events$|os$|net$|tls$|zlib$|child_process$)/
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name)
    return statSync(full).isDirectory() ? walk(full) : full.endsWith('.ts') ? [full] : []
  })
}
for (const file of walk(join(root, 'src'))) {
  const rel = relative(root, file)
  if (ADAPTERS.some((re) => re.test(rel))) continue
  const source = ts.createSourceFile(rel, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (NODE_BUILTINS.test(node.moduleSpecifier.text)) problems.push(`${rel}: imports "${node.moduleSpecifier.text}"; the core must use Web APIs only`)
    }
    if (ts.isIdentifier(node) && (node.text === 'Buffer' || node.text === 'process') && !ts.isPropertyAccessExpression(node.parent)) {
      problems.push(`${rel}: uses "${node.text}"; the core must use Web APIs only`)
    }
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'console') {
      problems.push(`${rel}: calls console.${node.name.text}; library code must not log (tokens must never reach logs)`)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
}

// 2. Files a person can hold in their head: no file of src/ over 400 lines.
const MAX_LINES = 400
for (const file of walk(join(root, 'src'))) {
  const lines = readFileSync(file, 'utf8').split('\n').length - 1
  if (lines > MAX_LINES) problems.push(`${relative(root, file)}: ${lines} lines; split it (at most ${MAX_LINES})`)
}

// 3. Every export of every public entry point has TSDoc with an @example.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const entries = Object.keys(pkg.exports)
  .filter((k) => k !== './package.json')
  .map((k) => {
    if (k === '.') return join(root, 'src/index.ts')
    const dir = join(root, 'src', k.slice(2), 'index.ts')
    return existsSync(dir) ? dir : join(root, 'src', `${k.slice(2)}.ts`)
  })
const program = ts.createProgram(entries, { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, noEmit: true })
const checker = program.getTypeChecker()
for (const entry of entries) {
  const sourceFile = program.getSourceFile(entry)
  const moduleSymbol = sourceFile && checker.getSymbolAtLocation(sourceFile)
  if (!moduleSymbol) {
    problems.push(`${relative(root, entry)}: entry point not found`)
    continue
  }
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    const decl = symbol.declarations?.[0]
    if (!decl) continue
    const where = `${relative(root, decl.getSourceFile().fileName)}: export "${exported.name}" (from ${relative(root, entry)})`
    const docs = ts.getJSDocCommentsAndTags(decl)
    if (docs.length === 0) {
      problems.push(`${where} has no TSDoc comment`)
      continue
    }
    const hasExample = docs.some((d) => ts.isJSDoc(d) && d.tags?.some((t) => t.tagName.text === 'example'))
    if (!hasExample) problems.push(`${where} has no @example in its TSDoc`)
  }
}

if (problems.length > 0) {
  console.error(`lint: ${problems.length} problem(s)\n` + problems.map((p) => `  - ${p}`).join('\n'))
  process.exit(1)
}
console.log('lint: core uses Web APIs only; no file of src/ over 400 lines; every public export has TSDoc with an @example')
