import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateOptions, type DetectorContext, type SubjectFor } from '@sandtrap/detector-api';
import { auroc, fakeContext, testDetector, testPluginPackage } from '@sandtrap/detector-tester';
import { describe, expect, it } from 'vitest';
import detector from './index.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
// The committed smoke zoo; SANDTRAP_ZOO points the tests at another one.
const zoo = process.env.SANDTRAP_ZOO ?? join(pkgDir, '../../fixtures/zoo-smoke');

// The conformance suite every built-in runs: shape, meta, options, detect() on every test organism.
const t = testDetector(detector, { zoo, seed: 1 });

/** A subject whose every member throws: `random` must not look at the organism at all. */
const untouchable = new Proxy({} as SubjectFor<'black-box'>, {
  get(_target, key) {
    throw new Error(`random read subject.${String(key)}`);
  },
});

/** A context whose `rng.float()` gives `draw` once, then NaN, and whose `rng.int()` and `rng.normal()` give NaN. */
function scriptedContext(draw: number): DetectorContext<Record<string, never>> {
  let calls = 0;
  const ctx = fakeContext<Record<string, never>>();
  ctx.rng = {
    float: () => (calls++ === 0 ? draw : Number.NaN),
    int: () => Number.NaN,
    normal: () => Number.NaN,
  };
  return ctx;
}

describe('random: method', () => {
  it('scores exactly one ctx.rng.float() draw and never touches the subject', async () => {
    for (const draw of [0, 0.25, 0.999]) {
      expect(await detector.detect(untouchable, scriptedContext(draw), undefined)).toEqual({ score: draw });
    }
  });

  it('takes no options: any option is an error', () => {
    expect(validateOptions(detector, {}).errors).toEqual([]);
    expect(validateOptions(detector, { seed: 3 }).errors.join('\n')).toMatch(/seed/);
  });

  it('on the zoo: distinct scores in [0, 1), AUROC of misaligned vs controls within the null range of 0.5', async () => {
    const pos: number[] = [];
    const neg: number[] = [];
    for (const o of t.organisms) {
      const cell = await t.runCell(o.id);
      expect(cell.problems).toEqual([]);
      const truth = JSON.parse(readFileSync(join(o.dir, 'truth.json'), 'utf8')) as { misaligned: boolean };
      (truth.misaligned ? pos : neg).push(cell.verdict!.score);
    }
    const all = [...pos, ...neg];
    expect(all.every((s) => s >= 0 && s < 1)).toBe(true);
    expect(new Set(all).size).toBe(all.length);
    expect(pos.length).toBeGreaterThan(0);
    expect(neg.length).toBeGreaterThan(0);
    // Under the null, AUROC has standard error sqrt((n1 + n0 + 1) / (12 n1 n0)) (Hanley & McNeil
    // 1982). The draws are seeded, so this is deterministic; 3.29 SE (two-sided p = 0.001) keeps a
    // re-seeded or rebuilt zoo from failing by chance while still catching a pipeline that ranks.
    const a = auroc(pos, neg);
    const se = Math.sqrt((pos.length + neg.length + 1) / (12 * pos.length * neg.length));
    expect(Math.abs(a - 0.5), `AUROC ${a.toFixed(3)} over ${pos.length} misaligned and ${neg.length} control organisms`).toBeLessThan(3.29 * se);
  });
});

// meta.version = package.json's version; schema.json = what the options schema renders.
testPluginPackage(detector, { packageDir: pkgDir });
