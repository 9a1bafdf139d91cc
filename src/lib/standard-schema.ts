// The Standard Schema interface (standardschema.dev), which zod, valibot and arktype implement.
// Types only: authcode validates custom claims through it without importing any schema library.

/**
 * A schema that implements Standard Schema v1 — a zod schema such as `z.object({...})`, or
 * valibot/arktype. authcode uses it to validate and type custom claims.
 *
 * @example
 * ```ts
 * import { z } from 'zod'
 * const claims = z.object({ 'https://example.com/roles': z.array(z.string()) }) // a StandardSchemaV1
 * ```
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema interface itself (standardschema.dev): what authcode calls. */
  readonly '~standard': {
    /** The version of the Standard Schema interface. */
    readonly version: 1
    /** The library that made the schema, e.g. `"zod"`. */
    readonly vendor: string
    /** Checks a value: the parsed value, or the issues found. */
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>
    /** The input and output types, for inference only. */
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}

/**
 * What a Standard Schema's `validate` returns: the parsed value, or the issues found.
 *
 * @inline
 */
type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined }> }

/**
 * The output type of a Standard Schema (what `z.infer` gives for zod), or `{}` for none.
 *
 * @example
 * ```ts
 * type Roles = InferClaims<typeof claims> // { 'https://example.com/roles': string[] }
 * ```
 */
export type InferClaims<S> = S extends StandardSchemaV1<unknown, infer O> ? O : {}

/** Validates `value` with a Standard Schema; returns the parsed value or a readable problem. */
export async function validateWithSchema<O>(
  schema: StandardSchemaV1<unknown, O>,
  value: unknown,
): Promise<{ ok: true; value: O } | { ok: false; problem: string }> {
  const result = await schema['~standard'].validate(value)
  if (result.issues === undefined) return { ok: true, value: result.value }
  const first = result.issues[0]
  const path = (first?.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.')
  return { ok: false, problem: `${path ? `"${path}": ` : ''}${first?.message ?? 'does not match the schema'}` }
}
