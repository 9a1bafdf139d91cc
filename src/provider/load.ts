// The parts of oauth4webapi, loaded on first use: importing authcode parses none of it, and a
// bundler keeps only what each chunk names. Every lazy import of the library goes through here;
// jose's compact JWE, which only the cookie seals load lazily (cookies/chunks/jwe.ts), goes
// through lib/once.ts the same way.

import { once } from '../lib/once.js'

/** oauth4webapi's discovery, code and refresh functions, and the error codes they throw. */
export type Flow = typeof import('./chunks/flow.js')
/** oauth4webapi's client credentials, revocation, userinfo and DPoP-protected requests. */
export type More = typeof import('./chunks/more.js')
/** oauth4webapi's pushed authorization requests. */
export type Par = typeof import('./chunks/par.js')

/** Loads the flow chunk (discovery, code and refresh grants). */
export const loadFlow = /* @__PURE__ */ once(() => import('./chunks/flow.js'))
/** Loads the chunk of TokenClient's other calls. */
export const loadMore = /* @__PURE__ */ once(() => import('./chunks/more.js'))
/** Loads the PAR chunk. */
export const loadPar = /* @__PURE__ */ once(() => import('./chunks/par.js'))
