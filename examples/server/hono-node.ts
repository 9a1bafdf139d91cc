// Hono on Node: @hono/node-server serves the app of hono.ts. `npx bun examples/server/hono-node.ts`, or `node` 22.18+.
import { type ServerType, serve } from '@hono/node-server'
import { type Auth, createAuth } from 'authcode/server'
import { apiUrl, authOptions } from './env.js'
import { createApp } from './hono.js'

export function listen(auth: Auth, api: string, port: number, onListen?: (port: number) => void): ServerType {
  return serve({ fetch: createApp(auth, api).fetch, hostname: '127.0.0.1', port }, (info) => onListen?.(info.port))
}

// Listen only when run as a script; importing this file (as the tests do) starts nothing.
if (process.argv[1] === import.meta.filename) {
  listen(createAuth(authOptions(process.env)), apiUrl(process.env), Number(process.env.PORT ?? 3000), (port) =>
    console.log(`GET http://127.0.0.1:${port}/me`),
  )
}
