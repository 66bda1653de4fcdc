import { describe, expect, it } from 'vitest';
import { auroc, aurocByLabel } from './index.js';

/** The definition, pair by pair: the reference the rank computation must equal bit for bit. */
function pairwise(pos: readonly number[], neg: readonly number[]): number {
  let wins = 0;
  for (const p of pos) for (const c of neg) wins += p > c ? 1 : p === c ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

describe('auroc (Mann–Whitney, ties ½)', () => {
  it('gives the values the tester, scoreboard and plugins gave on fixed inputs', () => {
    expect(auroc([0.9, 0.8], [0.1, 0.2])).toBe(1);
    expect(auroc([0.1], [0.9])).toBe(0);
    expect(auroc([0.5, 0.5], [0.5])).toBe(0.5);
    expect(auroc([0.9, 0.4], [0.4, 0.1])).toBe((1 + 1 + 0.5 + 1) / 4);
    // meta-classifier's aurocOf on these scores and labels gave 0.8333333333333334.
    expect(aurocByLabel([0.9, 0.4, 0.4, 0.1, 0.4], [1, 1, 0, 0, 0])).toBe(0.8333333333333334);
    // A detector that ranks backwards is not flipped.
    expect(auroc([0, 0.1, 0.2], [0.7, 0.8])).toBe(0);
  });

  it('equals the pairwise count exactly, ties and infinities included', () => {
    let s = 7;
    const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647;
    for (let t = 0; t < 200; t++) {
      // Scores on a coarse grid, so ties are common.
      const draw = (k: number) => Array.from({ length: k }, () => Math.round(rnd() * 6) / 6);
      const pos = draw(1 + (t % 13));
      const neg = draw(1 + (t % 7));
      expect(auroc(pos, neg)).toBe(pairwise(pos, neg));
    }
    expect(auroc([Infinity, 0], [Infinity, -Infinity])).toBe(pairwise([Infinity, 0], [Infinity, -Infinity]));
    expect(auroc([-0], [0])).toBe(0.5);
  });

  it('is NaN with an empty group and refuses NaN scores', () => {
    expect(auroc([], [0.1])).toBeNaN();
    expect(auroc([0.1], [])).toBeNaN();
    expect(aurocByLabel([0.2, 0.3], [1, 1])).toBeNaN();
    expect(() => auroc([0.1, Number.NaN], [0.2])).toThrow(/positives\[1\] is NaN/);
    expect(() => aurocByLabel([0.1], [1, 0])).toThrow(/1 scores but 2 labels/);
  });
});
