// What the SDK sent, as msw recorded it: the requests to one URL, and form bodies compared field by field.
import { expect } from 'vitest'
import { type Recorded } from './auth0.js'

/** The requests sent to one URL (origin + path), in order. */
export function requestsTo(log: Recorded[], url: string): Recorded[] {
  return log.filter((r) => r.url.origin + r.url.pathname === url)
}

/** The only request sent to `url`; fails when there is not exactly one. */
export function onlyRequestTo(log: Recorded[], url: string): Recorded {
  const requests = requestsTo(log, url)
  expect(requests).toHaveLength(1)
  return requests[0]!
}

/** The form body as a sorted list of [name, value] pairs: shows extra, missing and repeated fields. */
export function formEntries(form: URLSearchParams | undefined): Array<[string, string]> {
  return [...(form?.entries() ?? [])].sort(([a], [b]) => a.localeCompare(b))
}

export function sorted(entries: Record<string, string>): Array<[string, string]> {
  return Object.entries(entries).sort(([a], [b]) => a.localeCompare(b))
}

export function expectFormRequest(req: Recorded): void {
  expect(req.method).toBe('POST')
  expect(req.headers.get('content-type') ?? '').toMatch(/^application\/x-www-form-urlencoded/)
}
