import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { compileOptionsSchema, defineDetector, validateOptions } from './index.js';

const meta = { name: 'noise', version: '1.0.0', apiVersion: 1, access: 'gray-box' } as const;
const detector = defineDetector({
  meta,
  options: Type.Object(
    {
      sigma: Type.Number({ exclusiveMinimum: 0, maximum: 0.1, default: 0.01, description: 'noise scale' }),
      seeds: Type.Integer({ minimum: 1, default: 5, description: 'noise draws' }),
      mode: Type.Optional(Type.Union([Type.Literal('add'), Type.Literal('mul')], { description: 'how noise combines' })),
    },
    { additionalProperties: false },
  ),
  detect: () => ({ score: 0.5 }),
});

describe('validateOptions', () => {
  it('applies defaults to a copy, leaving the caller’s object alone', () => {
    const given = { seeds: 3 };
    const r = validateOptions(detector, given);
    expect(r).toEqual({ value: { sigma: 0.01, seeds: 3 }, errors: [] });
    expect(given).toEqual({ seeds: 3 });
    expect(validateOptions(detector, undefined)).toEqual({ value: { sigma: 0.01, seeds: 5 }, errors: [] });
  });

  it('returns path: message errors prefixed options', () => {
    expect(validateOptions(detector, { sigma: 0.5 }).errors).toEqual(['options/sigma: must be <= 0.1; found 0.5']);
    expect(validateOptions(detector, { sigma: 0, seeds: 2.5, extra: 1 }).errors).toEqual([
      'options/extra: is not allowed; allowed: sigma, seeds, mode',
      'options/sigma: must be > 0; found 0',
      'options/seeds: must be integer; found 2.5',
    ]);
    expect(validateOptions(detector, 'fast').errors).toEqual(["options: must be object; found 'fast'"]);
    expect(validateOptions(detector, { sigma: NaN }).errors).toEqual(['options/sigma: must be number; found NaN']);
  });

  it('rejects options for a detector without a schema', () => {
    const plain = { meta, detect: () => ({ score: 0 }) };
    expect(validateOptions(plain, undefined)).toEqual({ value: {}, errors: [] });
    expect(validateOptions(plain, {})).toEqual({ value: {}, errors: [] });
    expect(validateOptions(plain, { sigma: 1 }).errors).toEqual(["options: detector 'noise' takes no options (it has no options schema); found 'sigma'"]);
  });

  it('returns the schema’s own errors when it does not compile', () => {
    expect(validateOptions({ meta, options: { type: 'object', properties: { a: { minimum: 1 } } } }, {}).errors).toEqual([
      'options is not a valid JSON Schema (draft 2020-12): strict mode: missing type "number" for keyword "minimum" at "#/properties/a" (strictTypes)',
    ]);
  });
});

describe('compileOptionsSchema', () => {
  it('compiles once per schema object and validates repeatedly', () => {
    const schema = { type: 'object', properties: { k: { type: 'integer', default: 3 } } };
    const a = compileOptionsSchema<{ k: number }>(schema);
    expect(a.errors).toEqual([]);
    expect(compileOptionsSchema(schema)).toBe(a);
    expect(a.value!({})).toEqual({ value: { k: 3 }, errors: [] });
    expect(a.value!({ k: 'x' }).errors).toEqual(["options/k: must be integer; found 'x'"]);
  });

  it('lets two detectors use the same $id', () => {
    const s1 = { $id: 'opts', type: 'object', properties: { a: { type: 'number', default: 1 } } };
    const s2 = { $id: 'opts', type: 'object', properties: { b: { type: 'number', default: 2 } } };
    expect(compileOptionsSchema(s1).value!({}).value).toEqual({ a: 1 });
    expect(compileOptionsSchema(s2).value!({}).value).toEqual({ b: 2 });
  });
});
