// Bun: Bun.serve with auth.wrap around the app. `npx bun examples/server/bun.ts`.
import { type Auth, createAuth } from 'authcode/server'
import { apiUrl, authOptions } from './env.js'

// Just what this file uses, so `tsc` (Node types) checks it too; under Bun the real global is used.
declare const Bun: {
  env: Record<string, string | undefined>
  serve(options: { hostname: string; port: number; fetch(request: Request): Promise<Response> }): { url: URL }
}
declare global {
  interface ImportMeta {
    /** Bun: whether this file is the one `bun` was asked to run. */
    readonly main: boolean
  }
}

export function createApp(auth: Auth, api: string): (request: Request) => Promise<Response> {
  return auth.wrap(async (request) => {
    if (new URL(request.url).pathname !== '/me') return new Response('Not Found', { status: 404 })
    const session = await auth.getSession(request)
    if (!session) return Response.redirect(new URL('/auth/login?returnTo=/me', request.url))
    const res = await auth.fetch(request, api) // Bearer <access token>, refreshed when due
    return Response.json({ user: session.user, contacts: await res.json() })
  })
}

if (import.meta.main) {
  const fetch = createApp(createAuth(authOptions(Bun.env)), apiUrl(Bun.env))
  const server = Bun.serve({ hostname: '127.0.0.1', port: Number(Bun.env.PORT ?? 3000), fetch })
  console.log(`GET ${new URL('/me', server.url).href}`)
}
