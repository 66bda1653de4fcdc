import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auroc as statsAuroc } from '@sandtrap/stats';
import { describe, expect, it } from 'vitest';
import { auroc, resolveZooDir, stateIssues, validateCases } from './index.js';

describe('auroc', () => {
  // Its numbers (ties ½, NaN for an empty group) are tested in @sandtrap/stats; the tester must use that one.
  it("is @sandtrap/stats' Mann–Whitney AUROC", () => {
    expect(auroc).toBe(statsAuroc);
  });
});

describe('stateIssues', () => {
  it('accepts plain data, typed arrays, Maps, Sets, Dates', () => {
    expect(stateIssues({ a: [1, 'x', null, undefined], w: new Float32Array(3), m: new Map([['k', new Set([1])]]), d: new Date(0) })).toEqual([]);
  });
  it('names functions and class instances by path', () => {
    class Probe {}
    expect(stateIssues({ fn: () => 1, deep: [{ p: new Probe() }] })).toEqual([
      'state.fn is a function; functions cannot be cloned between processes',
      'state.deep[0].p is a Probe instance, not plain data; structuredClone would drop its class',
    ]);
  });
});

describe('validateCases', () => {
  it('accepts the documented shape', () => {
    const cases = { zoo: 'z', options: { n: 1 }, organisms: { split: 'dev', limit: 2 }, expect: { positives: ['backdoor'], controls: ['clean'], minAuroc: 0.9 }, budget: { queries: 10 }, seed: 3, backend: 'wasm' };
    expect(validateCases(cases)).toBe(cases);
    expect(validateCases(undefined)).toEqual({});
  });
  it('rejects unknown keys loudly, with a suggestion and the valid keys', () => {
    expect(() => validateCases({ option: {} })).toThrow("testDetector cases has unknown key 'option'; did you mean 'options'?; valid keys: zoo, options, organisms, expect, budget, seed, backend");
    expect(() => validateCases({ organisms: { split: 'train', limt: 1 } })).toThrow(/unknown key 'limt'; did you mean 'limit'\?[^\n]*\n.*split must be 'dev' or 'test'; found "train"/);
    expect(() => validateCases({ expect: { positives: ['a'], controls: ['a'] } })).toThrow(/kind 'a' is in both positives and controls/);
    expect(() => validateCases([1])).toThrow(/must be an object/);
  });
});

describe('resolveZooDir', () => {
  it('cases.zoo, then $SANDTRAP_ZOO, then a smoke zoo found walking up', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sandtrap-resolve-'));
    try {
      await mkdir(join(root, 'fixtures/zoo-smoke'), { recursive: true });
      await writeFile(join(root, 'fixtures/zoo-smoke/zoo.json'), '{}');
      await mkdir(join(root, 'a/b'), { recursive: true });
      expect(resolveZooDir('z', join(root, 'a'), {})).toBe(join(root, 'a/z'));
      expect(resolveZooDir(undefined, join(root, 'a'), { SANDTRAP_ZOO: '/elsewhere' })).toBe('/elsewhere');
      expect(resolveZooDir(undefined, join(root, 'a/b'), {})).toBe(join(root, 'fixtures/zoo-smoke'));
      expect(() => resolveZooDir(undefined, tmpdir(), {})).toThrow(/no zoo given and none found .*npx sandtrap zoo build --preset smoke/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
