// Hono on Cloudflare Workers: the app of hono.ts, made from env on the first request and kept for the isolate's life.
import { createAuth } from 'authcode/server'
import type { ExecutionContext, Hono } from 'hono'
import { type Env, apiUrl, authOptions } from './env.js'
import { createApp } from './hono.js'

// Module scope lives as long as the isolate: its requests share the app, its auth and the issuer's discovery.
let app: Hono | undefined

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    app ??= createApp(createAuth(authOptions(env)), apiUrl(env))
    return app.fetch(request, env, ctx)
  },
}
