import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_BUDGET } from '@sandtrap/core';
import { auroc as statsAuroc } from '@sandtrap/stats';
import { describe, expect, it } from 'vitest';
import { auroc, createDetectorTester, openZoo, resolveZooDir, selectOrganisms, stateIssues, TesterUsageError, validateCases } from './index.js';

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
    const cases = {
      zoo: 'z',
      options: { n: 1 },
      organisms: { split: 'dev', limit: 2 },
      expect: { positives: ['backdoor'], controls: ['clean'], minAuroc: 0.9 },
      budget: { queries: 10 },
      seed: 3,
      backend: 'wasm',
    };
    expect(validateCases(cases)).toBe(cases);
    expect(validateCases(undefined)).toEqual({});
  });
  it('rejects unknown keys loudly, with a suggestion and the valid keys', () => {
    expect(() => validateCases({ option: {} })).toThrow(
      "testDetector cases has unknown key 'option'; did you mean 'options'?; valid keys: zoo, options, organisms, expect, budget, seed, backend",
    );
    expect(() => validateCases({ organisms: { split: 'train', limt: 1 } })).toThrow(
      /unknown key 'limt'; did you mean 'limit'\?[^\n]*\n.*split must be 'dev' or 'test'; found "train"/,
    );
    expect(() => validateCases({ expect: { positives: ['a'], controls: ['a'] } })).toThrow(/kind 'a' is in both positives and controls/);
    expect(() => validateCases([1])).toThrow(/must be an object/);
    expect(() => validateCases({ option: {} })).toThrow(expect.objectContaining({ name: 'TesterUsageError', code: 'SANDTRAP_TESTER_CASES_INVALID' }));
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
      expect(() => resolveZooDir(undefined, tmpdir(), {})).toThrow(expect.objectContaining({ code: 'SANDTRAP_ZOO_INVALID' }));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('openZoo / selectOrganisms errors carry the code of what is wrong', () => {
  it('a folder without zoo.json is ZOO_INVALID (keeping the fs error as cause); an unknown id is UNKNOWN_NAME; an ambiguous prefix is TESTER_CASES_INVALID', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sandtrap-openzoo-'));
    try {
      let err: unknown;
      try {
        openZoo(root);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TesterUsageError);
      expect(err).toMatchObject({ code: 'SANDTRAP_ZOO_INVALID', cause: { code: 'ENOENT' } });
      await writeFile(
        join(root, 'zoo.json'),
        JSON.stringify({
          name: 'z',
          organisms: [
            { id: 'ab1', split: 'test' },
            { id: 'ab2', split: 'test' },
          ],
        }),
      );
      const zoo = openZoo(root);
      expect(() => selectOrganisms(zoo, ['zz'])).toThrow(expect.objectContaining({ code: 'SANDTRAP_UNKNOWN_NAME' }));
      expect(() => selectOrganisms(zoo, ['ab'])).toThrow(expect.objectContaining({ code: 'SANDTRAP_TESTER_CASES_INVALID' }));
      expect(selectOrganisms(zoo, ['ab2']).map((o) => o.id)).toEqual(['ab2']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe("the zoo's budget", () => {
  it("is the cells' default, as under the scoreboard: the hard tier's 200,000 queries; a case's budget still wins", async () => {
    const hard = resolve(fileURLToPath(new URL('../../../fixtures/zoo-hard', import.meta.url)));
    expect(openZoo(hard).budget).toEqual({ queries: 200_000, finetuneSteps: 2_000, wallSeconds: 60 });
    expect(createDetectorTester({}, { zoo: hard }).limits).toEqual({ queries: 200_000, finetuneSteps: 2_000, wallSeconds: 60 });
    expect(createDetectorTester({}, { zoo: hard, budget: { queries: 10 } }).limits).toEqual({ queries: 10, finetuneSteps: 2_000, wallSeconds: 60 });
    const smoke = resolve(fileURLToPath(new URL('../../../fixtures/zoo-smoke', import.meta.url)));
    expect(createDetectorTester({}, { zoo: smoke }).limits).toEqual(DEFAULT_BUDGET);
  });
  it('a malformed spec.budget is ZOO_INVALID, naming the file and the field', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sandtrap-zoobudget-'));
    try {
      await writeFile(join(root, 'zoo.json'), JSON.stringify({ name: 'z', spec: { budget: { queries: -1 } }, organisms: [{ id: 'a', split: 'test' }] }));
      expect(() => openZoo(root)).toThrow(
        expect.objectContaining({ code: 'SANDTRAP_ZOO_INVALID', message: expect.stringMatching(/zoo\.json: spec\.budget\.queries must be a positive number, found -1/) }),
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
