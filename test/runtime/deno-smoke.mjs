// The runner for Deno, as a `deno test` file:
//   deno test --allow-net=127.0.0.1 --allow-read=<repo> test/runtime/deno-smoke.mjs -- '<options JSON>'
// Imports dist/ by relative path; Deno resolves its bare imports from node_modules through the
// repository's package.json. Prints one line: SMOKE_RESULT <summary JSON>.
import { runSmoke } from './smoke.mjs'

// The login reads redirect responses' headers and cancels their bodies; the sanitizers would
// still count the keep-alive connections of the runtime's fetch as leaks.
Deno.test({ name: 'authcode smoke', sanitizeOps: false, sanitizeResources: false }, async () => {
  const options = JSON.parse(Deno.args[0] ?? '{}')
  try {
    const summary = await runSmoke(options)
    console.log(`SMOKE_RESULT ${JSON.stringify(summary)}`)
  } catch (err) {
    console.log(`SMOKE_ERROR ${JSON.stringify({ name: err?.name, message: err?.message, stack: err?.stack })}`)
    throw err
  }
})
