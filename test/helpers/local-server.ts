// Real TCP for tests that msw cannot fake: the runtime's own fetch, a local HTTP server, a port nothing listens on.
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

// The runtime's own fetch, taken before msw's beforeAll replaces globalThis.fetch, for the
// tests that need a real TCP connection attempt.
export const realFetch: typeof fetch = globalThis.fetch

/** A local TCP port that nothing listens on: opened, noted, closed. */
export async function closedPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const { port } = srv.address() as AddressInfo
  await new Promise<void>((resolve, reject) => srv.close((err) => (err ? reject(err) : resolve())))
  return port
}

/** A real HTTP server on 127.0.0.1 (reached through `realFetch`, not msw). */
export async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const srv = createServer(handler)
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`
  return {
    base,
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections()
        srv.close(() => resolve())
      }),
  }
}

export function discoveryAnswer(base: string, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ issuer: `${base}/`, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/oauth/token` }))
}
