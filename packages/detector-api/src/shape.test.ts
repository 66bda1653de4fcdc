import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { checkDetectorShape, defineDetector } from './index.js';

const where = 'sandtrap-detector-foo';
const at = `default export of ${where}`;
const meta = { name: 'foo', version: '1.0.0', apiVersion: 1, access: 'black-box' } as const;
const detect = () => ({ score: 0.5 });

describe('checkDetectorShape', () => {
  it('accepts a well-formed detector and returns it', () => {
    const d = defineDetector({ meta, options: Type.Object({ k: Type.Number({ default: 1 }) }), configure: () => undefined, detect });
    expect(checkDetectorShape(d, where)).toEqual({ value: d, errors: [] });
  });

  it('names a missing or non-function detect()', () => {
    expect(checkDetectorShape({ meta }, where).errors).toEqual([`${at} has no detect() function`]);
    expect(checkDetectorShape({ meta, detect: 'run' }, where).errors).toEqual([`${at}: detect must be a function; found 'run'`]);
  });

  it('names a bad meta field with its dotted path', () => {
    expect(checkDetectorShape({ meta: { ...meta, access: 'grey-box' }, detect }, where).errors).toEqual([
      `${at}: meta.access must be one of black-box, gray-box, white-box; found 'grey-box'`,
    ]);
    expect(checkDetectorShape({ meta: { ...meta, targets: ['ok', ''] }, detect }, where).errors).toEqual([
      `${at}: meta.targets[1] must NOT have fewer than 1 characters; found ''`,
    ]);
    expect(checkDetectorShape({ meta: { name: 'foo' }, detect }, where).errors).toEqual([
      `${at}: meta.version is required`,
      `${at}: meta.apiVersion is required`,
      `${at}: meta.access is required`,
    ]);
  });

  it('names a missing or non-object meta', () => {
    expect(checkDetectorShape({ detect }, where).errors).toEqual([`${at} has no meta object; add meta: { name, version, apiVersion: 1, access }`]);
    expect(checkDetectorShape({ meta: 'foo', detect }, where).errors).toEqual([`${at}: meta must be an object; found 'foo'`]);
  });

  it('rejects options that are not a valid JSON Schema object', () => {
    expect(checkDetectorShape({ meta, detect, options: { type: 'object', properties: { k: { type: 'float' } } } }, where).errors).toEqual([
      expect.stringMatching(
        new RegExp(`^${at}: options is not a valid JSON Schema \\(draft 2020-12\\): schema is invalid: data/properties/k/type must be equal to one of the allowed values`),
      ),
    ]);
    expect(checkDetectorShape({ meta, detect, options: { type: 'object', properties: { k: { type: 'number', maximun: 1 } } } }, where).errors).toEqual([
      `${at}: options is not a valid JSON Schema (draft 2020-12): strict mode: unknown keyword: "maximun"`,
    ]);
    expect(checkDetectorShape({ meta, detect, options: { type: 'number' } }, where).errors).toEqual([
      `${at}: options must have type: 'object' at its root (options are named); found type: 'number'`,
    ]);
    expect(checkDetectorShape({ meta, detect, options: [] }, where).errors).toEqual([
      `${at}: options must be a JSON Schema object (draft 2020-12) with type: 'object'; found array`,
    ]);
    expect(checkDetectorShape({ meta, detect, options: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' } }, where).errors).toEqual([
      `${at}: options.$schema is 'http://json-schema.org/draft-07/schema#', but options schemas are JSON Schema draft 2020-12: remove $schema or set it to https://json-schema.org/draft/2020-12/schema`,
    ]);
  });

  it('names a non-function configure and unknown keys', () => {
    expect(checkDetectorShape({ meta, detect, configure: {}, run: detect }, where).errors).toEqual([
      `${at}: configure must be a function when present; found object`,
      `${at} has unknown key 'run'; a detector has only meta, options, configure, detect`,
    ]);
  });

  it('explains exports that are not a detector object', () => {
    expect(checkDetectorShape(undefined, where).errors).toEqual([`${at} is missing: the module has no default export; add \`export default defineDetector({ meta, detect })\``]);
    expect(checkDetectorShape(() => ({ meta, detect }), where).errors).toEqual([expect.stringMatching(new RegExp(`^${at} is a function, not a detector object`))]);
    expect(checkDetectorShape(null, where).errors).toEqual([`${at} is null, not a detector object { meta, detect }`]);
    expect(checkDetectorShape([], where).errors).toEqual([`${at} is array, not a detector object { meta, detect }`]);
    expect(checkDetectorShape({ default: { meta, detect } }, where).errors).toEqual([
      expect.stringMatching(new RegExp(`^${at} has the detector under a second 'default' key: the package was compiled to CommonJS`)),
    ]);
  });

  it('reports every problem at once', () => {
    expect(checkDetectorShape({ meta: { ...meta, apiVersion: 3 }, options: 1 }, where).errors).toEqual([
      `${at}: meta.apiVersion is 3, a newer contract than this @sandtrap/detector-api (apiVersion 1) supports; upgrade sandtrap`,
      `${at} has no detect() function`,
      `${at}: options must be a JSON Schema object (draft 2020-12) with type: 'object'; found 1`,
    ]);
  });
});
