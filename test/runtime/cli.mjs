// The runner for Node and Bun: `node test/runtime/cli.mjs '<options JSON>'` (or `bun run …`).
// Imports dist/ by relative path (the runtime resolves jose, oauth4webapi and zod from
// node_modules), runs the smoke suite and prints one line: SMOKE_RESULT <summary JSON>.
import { runSmoke } from './smoke.mjs'

const options = JSON.parse(process.argv[2] ?? '{}')
try {
  const summary = await runSmoke(options)
  console.log(`SMOKE_RESULT ${JSON.stringify(summary)}`)
  process.exit(0)
} catch (err) {
  console.log(`SMOKE_ERROR ${JSON.stringify({ name: err?.name, message: err?.message, stack: err?.stack })}`)
  process.exit(1)
}
