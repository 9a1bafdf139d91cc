// The WWW-Authenticate challenges of a resource server (RFC 6750 §3, RFC 9449 §7.1).

/** The algorithms a DPoP proof may use (asymmetric only): what the verifier accepts and the challenge lists. */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA', 'Ed25519']

// RFC 6750 §3: error_description may hold only %x20-21 / %x23-5B / %x5D-7E (no quote, no
// backslash, nothing outside printable ASCII), so those are replaced rather than escaped.
function quote(value: string): string {
  return `"${value.replace(/"/g, "'").replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?')}"`
}

/** A `WWW-Authenticate` challenge with an error, its description and, for `insufficient_scope`, the scope. */
export function challenge(scheme: 'Bearer' | 'DPoP', error: string, description: string, scope?: string): string {
  // RFC 9449 §7.1: a DPoP challenge lists the proof algorithms the server accepts.
  const algs = scheme === 'DPoP' ? `, algs="${DPOP_ALGORITHMS.join(' ')}"` : ''
  return `${scheme} error=${quote(error)}, error_description=${quote(description)}${scope ? `, scope=${quote(scope)}` : ''}${algs}`
}
