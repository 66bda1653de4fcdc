import { Type, type Static } from '@sinclair/typebox';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { renderSchemaFile, StringEnum, validateOptions } from './index.js';

describe('StringEnum', () => {
  const schema = Type.Object(
    { mode: StringEnum(['fast', 'exact'], { default: 'fast', description: 'How.' }), n: Type.Integer({ minimum: 1, default: 4, description: 'How many.' }) },
    { additionalProperties: false },
  );

  it('is a { type: string, enum } schema typed as the union of its values', () => {
    expectTypeOf<Static<typeof schema>>().toEqualTypeOf<{ mode: 'fast' | 'exact'; n: number }>();
    expect(JSON.parse(JSON.stringify(schema.properties.mode))).toEqual({ type: 'string', enum: ['fast', 'exact'], default: 'fast', description: 'How.' });
  });

  it('validates in ajv strict mode, with defaults filling TypeBox’s required list', () => {
    const d = { meta: { name: 'x' }, options: schema };
    expect(validateOptions(d, {})).toEqual({ value: { mode: 'fast', n: 4 }, errors: [] });
    expect(validateOptions(d, { mode: 'slow' }).errors).toEqual(["options/mode: must be one of fast, exact; found 'slow'"]);
  });

  it('renders to schema.json without TypeBox’s symbols', () => {
    const text = renderSchemaFile(schema);
    expect(text.startsWith('{\n  "$schema": "https://json-schema.org/draft/2020-12/schema",\n')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toMatchObject({ type: 'object', required: ['mode', 'n'], additionalProperties: false });
  });
});
