// Shape checks of parsed JSON, for every module that reads untrusted documents or claims.

/** A JSON object: not null, not an array. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** An optional field: absent, or of this type. */
export function optional(field: unknown, type: 'number' | 'string'): boolean {
  return field === undefined || typeof field === type
}
