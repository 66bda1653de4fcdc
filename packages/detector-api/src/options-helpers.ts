import { Type, type SchemaOptions, type TUnsafe } from '@sinclair/typebox';

/**
 * A string option limited to `values`, written as JSON Schema's `{ type: 'string', enum }`, typed
 * as the union of the values. TypeBox's own `Type.Union(Type.Literal…)` gives `anyOf` of `const`s,
 * which validates the same but reads worse in editors and in ajv's messages ("must be one of …").
 *
 * ```ts
 * features: StringEnum(['summary', 'raw'], { default: 'summary', description: '…' })
 * ```
 */
export function StringEnum<const T extends readonly [string, ...string[]]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
