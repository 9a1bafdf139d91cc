// The demo's servers listen on 127.0.0.1 and close without waiting for idle keep-alive connections.

/** Listens on 127.0.0.1 (port 0: any free one) and returns the base URL, e.g. `http://127.0.0.1:3000`. */
export async function listen(server, port = 0, host = '127.0.0.1') {
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return `http://${host}:${server.address().port}`
}

export function closeServer(server) {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
