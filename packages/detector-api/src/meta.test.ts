import { describe, expect, it } from 'vitest';
import { validateMeta, type DetectorMeta } from './index.js';

const ok: DetectorMeta = {
  name: 'noise-injection',
  version: '1.0.0',
  apiVersion: 1,
  access: 'gray-box',
  targets: ['sandbag-eval', 'password-lock'],
  references: ['arXiv:2412.01784'],
  description: 'Accuracy gain under weight noise.',
};

describe('validateMeta', () => {
  it('accepts a full meta and a minimal one', () => {
    expect(validateMeta(ok)).toEqual({ value: ok, errors: [] });
    const min = { name: '@acme/probe', version: '0.2.0-beta.1+build.5', apiVersion: 1, access: 'white-box' };
    expect(validateMeta(min)).toEqual({ value: min, errors: [] });
  });

  it('names a wrong access level and lists the valid ones', () => {
    expect(validateMeta({ ...ok, access: 'grey-box' }).errors).toEqual(["/access: must be one of black-box, gray-box, white-box; found 'grey-box'"]);
  });

  it('rejects other apiVersions, with an upgrade hint for newer ones', () => {
    expect(validateMeta({ ...ok, apiVersion: 0 }).errors).toEqual(['/apiVersion: must be 1; found 0']);
    expect(validateMeta({ ...ok, apiVersion: 2 }).errors).toEqual([
      '/apiVersion: is 2, a newer contract than this @sandtrap/detector-api (apiVersion 1) supports; upgrade sandtrap',
    ]);
  });

  it('checks name and version formats', () => {
    expect(validateMeta({ ...ok, name: 'Noise Injection' }).errors).toEqual([expect.stringMatching(/^\/name: must match pattern ".*"; found 'Noise Injection'$/)]);
    expect(validateMeta({ ...ok, version: 'v1' }).errors).toEqual([expect.stringMatching(/^\/version: must match pattern ".*"; found 'v1'$/)]);
  });

  it('reports missing fields, unknown keys and duplicate targets', () => {
    expect(validateMeta({ name: 'x', refrences: [], targets: ['a', 'a'] }).errors).toEqual([
      '/version: is required',
      '/apiVersion: is required',
      '/access: is required',
      '/refrences: is not allowed; allowed: name, version, apiVersion, access, targets, references, description',
      '/targets: must NOT have duplicate items (items ## 1 and 0 are identical)',
    ]);
  });
});
