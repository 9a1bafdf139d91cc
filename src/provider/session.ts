// What every request to the provider shares: oauth4webapi (loaded on first use), the client's
// authentication and DPoP handle (made once per config), the options each request passes, and
// the mapping of whatever fails to a typed, secret-free error.
import type * as oauth from 'oauth4webapi'
import type { ResolvedConfig } from '../config.js'
import { type Hold, customFetch, requestSecrets } from '../lib/http.js'
import { serverMetadata } from './discovery.js'
import { type ErrorContext, toError } from './error-mapping.js'
import { type Flow, loadFlow } from './load.js'


/** One client at one server, ready to make requests. */
export interface Session {
  readonly o: Flow
  readonly config: ResolvedConfig
  readonly as: oauth.AuthorizationServer
  readonly client: oauth.Client
  readonly auth: oauth.ClientAuth
  /** Per config, so the server's DPoP nonce is remembered across requests. */
  readonly dpop: oauth.DPoPHandle | undefined
  /** The client's own credentials in every form its requests carry them, to redact from errors. */
  readonly secrets: readonly string[]
}

// Once a config's metadata is known (static for Auth0, discovered once otherwise), its session
// is reused as it is: no promise, object or handle is made again per request.
const sessions = new WeakMap<ResolvedConfig, Session>()

/** The session of a config, made on its first request. */
export async function session(config: ResolvedConfig, signal?: AbortSignal): Promise<Session> {
  const known = sessions.get(config)
  if (known !== undefined) return known
  const [o, as] = await Promise.all([loadFlow(), serverMetadata(config, signal)])
  const client: oauth.Client = { client_id: config.clientId }
  let auth: oauth.ClientAuth
  switch (config.clientAuth) {
    case 'client_secret_post':
      auth = o.ClientSecretPost(config.clientSecret!)
      break
    case 'client_secret_basic':
      auth = o.ClientSecretBasic(config.clientSecret!)
      break
    case 'private_key_jwt':
      auth = o.PrivateKeyJwt(config.privateKey!)
      break
    case 'none':
      auth = o.None()
      break
  }
  const secrets = await clientSecrets(config, as, client, auth)
  const again = sessions.get(config) // made by a concurrent first request meanwhile
  if (again !== undefined) return again
  const made: Session = { o, config, as, client, auth, secrets, dpop: config.dpop === undefined ? undefined : o.DPoP(client, config.dpop) }
  sessions.set(config, made)
  return made
}

/**
 * The client secret, and with `client_secret_basic` also the `Basic …` credential exactly as
 * oauth4webapi writes it, its base64 value alone, and the secret as encoded inside it
 * (`urlencode(client_id):urlencode(secret)`, an encoding of its own).
 */
async function clientSecrets(config: ResolvedConfig, as: oauth.AuthorizationServer, client: oauth.Client, auth: oauth.ClientAuth): Promise<string[]> {
  if (config.clientSecret === undefined) return []
  if (config.clientAuth !== 'client_secret_basic') return [config.clientSecret]
  const headers = new Headers()
  await auth(as, client, new URLSearchParams(), headers)
  // The header and its base64 alone, as from any request's authorization header.
  const [basic = '', base64 = ''] = requestSecrets(headers)
  let encodedSecret = ''
  try {
    const decoded = atob(base64)
    encodedSecret = decoded.slice(decoded.indexOf(':') + 1)
  } catch {
    // not base64: nothing more to redact than the header itself
  }
  return [basic, base64, encodedSecret, config.clientSecret].filter((secret) => secret !== '')
}

/** The oauth4webapi options of one request: our transport policy, http allowance, DPoP. */
export function requestOptions(
  s: Session,
  idempotent: boolean,
  signal: AbortSignal | undefined,
  secrets: ReadonlyArray<string | undefined> = [],
  holds?: Hold[],
) {
  return {
    [s.o.customFetch]: customFetch(s.config.http, { idempotent, signal, secrets: [...s.secrets, ...secrets], ...(holds && { holds }) }),
    [s.o.allowInsecureRequests]: s.config.allowInsecureRequests,
    ...(s.dpop !== undefined && { DPoP: s.dpop }),
  }
}

/**
 * Sends once more when the server asked for a DPoP nonce (RFC 9449 §8): it refuses the request
 * before acting on it (a code is not spent), so one retry with the nonce it sent is safe.
 */
export async function retryOnDpopNonce<T>(s: Session, send: () => Promise<T>): Promise<T> {
  try {
    return await send()
  } catch (err) {
    if (s.dpop !== undefined && s.o.isDPoPNonceError(err)) return send()
    throw err
  }
}

/**
 * Runs a request and its processing (with {@link retryOnDpopNonce}); maps whatever fails to a
 * typed, secret-free error. `request` gets the holds to pass to {@link requestOptions}: the
 * reply's body is then read by `handle` straight from the response, still under the request's
 * timer, which ends here.
 */
export async function call<T>(
  s: Session,
  ctx: Omit<ErrorContext, 'response' | 'secrets'> & { secrets: ReadonlyArray<string | undefined> },
  request: (holds: Hold[]) => Promise<Response>,
  handle: (res: Response) => Promise<T>,
): Promise<T> {
  let response: Response | undefined
  let held: Hold | undefined
  const holds: Hold[] = []
  try {
    return await retryOnDpopNonce(s, async () => {
      held = undefined
      response = await request(holds)
      held = holds[holds.length - 1]
      return await (held === undefined ? handle(response) : Promise.race([handle(response), held.expired]))
    })
  } catch (err) {
    // Mapping may read an error body; a held one is still under the timer.
    const mapped = toError(err, { ...ctx, response, secrets: [...s.secrets, ...ctx.secrets] })
    throw await (held === undefined ? mapped : Promise.race([mapped, held.expired]))
  } finally {
    for (const hold of holds) hold.release()
    // A held body nobody read (a status oauth4webapi refused before reading) would keep its
    // connection busy until garbage collection.
    if (holds.length > 0 && response !== undefined && !response.bodyUsed) response.body?.cancel().catch(() => {})
  }
}
