// A browser's cookie jar for authcode/server tests: keeps what Set-Cookie headers set, sends it back.

/** One cookie as the browser keeps it. */
interface Kept {
  value: string
  attributes: string[]
}

/** A cookie jar that follows Set-Cookie (Max-Age=0 deletes) and writes the Cookie header. */
export class Browser {
  readonly cookies = new Map<string, Kept>()

  /** Takes every Set-Cookie header of a response. */
  take(res: Response): Response {
    for (const header of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split('; ')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      if (attributes.includes('Max-Age=0')) this.cookies.delete(name)
      else this.cookies.set(name, { value, attributes })
    }
    return res
  }

  /** The Cookie header this browser sends. */
  get header(): string {
    return [...this.cookies].map(([name, { value }]) => `${name}=${value}`).join('; ')
  }

  /** A request from this browser. */
  request(url: string | URL, init: RequestInit = {}): Request {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0) headers.set('cookie', this.header)
    return new Request(url, { ...init, headers })
  }

  /** The names of the cookies kept. */
  names(): string[] {
    return [...this.cookies.keys()]
  }
}
