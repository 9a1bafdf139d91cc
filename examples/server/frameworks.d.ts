// next and @sveltejs/kit are not installed in this repository: the few types their examples use, so that tsc checks them.
// In a Next.js or SvelteKit project the real packages provide these; do not copy this file.

declare module 'next/server' {
  export type NextRequest = Request & { readonly nextUrl: URL }
  export class NextResponse extends Response {
    /** Continue to the route; headers set on this response reach the browser. */
    static next(init?: ResponseInit): NextResponse
  }
}

declare module 'next/headers' {
  /** The request's headers, read-only, in a Server Component (a Promise since Next.js 15). */
  export function headers(): Promise<Headers>
}

declare module '@sveltejs/kit' {
  export interface RequestEvent {
    request: Request
    url: URL
    locals: App.Locals
  }
  export type Handle = (input: { event: RequestEvent; resolve(event: RequestEvent): Promise<Response> }) => Promise<Response>
  export type ServerLoad<T> = (event: RequestEvent) => Promise<T>
}
