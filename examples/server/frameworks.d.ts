// @sveltejs/kit is not installed in this repository: the few types its example uses, so that tsc checks it.
// In a SvelteKit project the real package provides these; do not copy this file. (next/ has its own install.)

declare module '@sveltejs/kit' {
  export interface RequestEvent {
    request: Request
    url: URL
    locals: App.Locals
  }
  export type Handle = (input: { event: RequestEvent; resolve(event: RequestEvent): Promise<Response> }) => Promise<Response>
  export type ServerLoad<T> = (event: RequestEvent) => Promise<T>
}
