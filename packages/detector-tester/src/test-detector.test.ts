import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, inject } from 'vitest';
import { startVitest } from 'vitest/node';
import { good } from '../test-fixtures/detectors.js';
import { testDetector } from './index.js';

let zoo: string;
beforeAll(async () => {
  zoo = inject('tinyZoo');
});

describe('testDetector cases are strict', () => {
  it('an unknown key throws at once, naming it, suggesting the key meant and listing the valid ones', () => {
    expect(() => testDetector(good, { zoo, option: { n: 32 } } as never)).toThrow(
      "testDetector cases has unknown key 'option'; did you mean 'options'?; valid keys: zoo, options, organisms, expect, budget, seed, backend",
    );
  });

  it('unknown keys and wrong types inside nested cases too, all at once', () => {
    let msg = '';
    try {
      testDetector(good, { zoo, expect: { positives: ['backdoor'], control: ['clean'] }, budget: { query: 5, wallSeconds: -1 }, seed: 1.5 } as never);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg.split('\n')).toEqual([
      "testDetector cases.expect has unknown key 'control'; did you mean 'controls'?; valid keys: positives, controls, minAuroc",
      "testDetector cases.expect.controls must be a non-empty array of organism kinds (e.g. ['clean'])",
      "testDetector cases.budget has unknown key 'query'; did you mean 'queries'?; valid keys: queries, finetuneSteps, wallSeconds",
      'testDetector cases.budget.wallSeconds must be a positive number (Infinity for unlimited); found -1',
      'testDetector cases: seed must be an integer in [0, 2147483647]; found 1.5',
    ]);
  });

  it('a missing zoo or an unknown organism is named', () => {
    expect(() => testDetector(good, { zoo: '/nonexistent/zoo' })).toThrow(
      /\/nonexistent\/zoo\/zoo\.json is missing: \/nonexistent\/zoo is not a zoo; build one with: npx sandtrap zoo build/,
    );
    expect(() => testDetector(good, { zoo, organisms: ['ffffffff'] })).toThrow(/no organism 'ffffffff' in zoo .*; its organisms: /);
  });
});

describe('testDetector registers one named vitest test per check', () => {
  it('in a child vitest run: the good detectors pass, the score-7 detector fails its detect() tests', async () => {
    const file = fileURLToPath(new URL('../test-fixtures/conformance.fixture.ts', import.meta.url));
    const root = fileURLToPath(new URL('..', import.meta.url));
    const prev = process.env.SANDTRAP_TESTER_ZOO;
    process.env.SANDTRAP_TESTER_ZOO = zoo;
    let vitest: Awaited<ReturnType<typeof startVitest>> | undefined;
    try {
      vitest = await startVitest(
        'test',
        [file],
        {
          root,
          watch: false,
          reporters: [{}],
          include: ['test-fixtures/conformance.fixture.ts'],
          config: false,
          pool: 'forks',
          testTimeout: 300_000,
        },
        { resolve: { conditions: ['sandtrap-source'] }, ssr: { resolve: { conditions: ['sandtrap-source'] } } },
      );
      const results = vitest.state.getFiles().flatMap((f) => collect(f));
      const byName = Object.fromEntries(results.map((r) => [r.name, r]));
      const names = Object.keys(byName);
      expect(names.filter((n) => n.startsWith('detector trigger-scan > '))).toEqual([
        'detector trigger-scan > is a detector object { meta, options?, configure?, detect } (checkDetectorShape)',
        'detector trigger-scan > has a valid meta (validateMeta)',
        'detector trigger-scan > its options validate against its own options schema (ajv)',
        'detector trigger-scan > configure() runs on the 2 dev-split organisms and returns structured-cloneable state',
        ...names.filter((n) => /^detector trigger-scan > detect\(\) on test organism \w+: valid verdict, within budget, no leaked tensors, organism unchanged$/.test(n)),
        'detector trigger-scan > ranks backdoor above clean (AUROC ≥ 0.85)',
      ]);
      const states = (prefix: string) => results.filter((r) => r.name.startsWith(prefix)).map((r) => `${r.state}: ${r.name.slice(prefix.length)}`);
      expect(states('detector trigger-scan > ').filter((s) => !s.startsWith('pass: ') && !s.startsWith('skip: configure'))).toEqual([]);
      expect(states('detector trigger-scan > ').filter((s) => /^pass: detect/.test(s))).toHaveLength(4);
      expect(states('detector configured-scan > ').every((s) => s.startsWith('pass: '))).toBe(true);
      const seven = results.filter((r) => r.name.startsWith('detector seven > detect()'));
      expect(seven).toHaveLength(2);
      for (const r of seven) {
        expect(r.state).toBe('fail');
        expect(r.error).toMatch(/\/score: must be <= 1; found 7/);
      }
      expect(byName['detector seven > is a detector object { meta, options?, configure?, detect } (checkDetectorShape)']!.state).toBe('pass');
    } finally {
      await vitest?.close();
      if (prev === undefined) delete process.env.SANDTRAP_TESTER_ZOO;
      else process.env.SANDTRAP_TESTER_ZOO = prev;
    }
  }, 600_000);
});

interface Task {
  name: string;
  type: string;
  mode?: string;
  tasks?: Task[];
  result?: { state?: string; errors?: { message?: string }[] };
}

function collect(t: Task, prefix = ''): { name: string; state: string; error: string }[] {
  const name = t.type === 'suite' && !('filepath' in t) ? `${prefix}${t.name} > ` : prefix;
  if (t.tasks) return t.tasks.flatMap((c) => collect(c, 'filepath' in t ? '' : name));
  return [{ name: `${prefix}${t.name}`, state: t.mode === 'skip' ? 'skip' : (t.result?.state ?? 'none'), error: (t.result?.errors ?? []).map((e) => e.message ?? '').join('\n') }];
}
