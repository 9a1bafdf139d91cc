// The runner for workerd: a Worker (ES module) that runs the smoke suite for a POST of its
// options as JSON and answers with the summary (200) or the error (500). Bundled with
// esbuild into one module and given to Miniflare as `script`.
import { runSmoke } from './smoke.mjs'

export default {
  async fetch(request) {
    if (request.method !== 'POST') return new Response('POST the smoke options as JSON', { status: 405 })
    try {
      return Response.json(await runSmoke(await request.json()))
    } catch (err) {
      return Response.json({ ok: false, name: err?.name, message: err?.message, stack: err?.stack }, { status: 500 })
    }
  },
}
