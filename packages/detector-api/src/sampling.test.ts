import { describe, expect, it } from 'vitest';
import { sampleWithoutReplacement } from './index.js';

/** A counter-based stand-in for ctx.rng: int(n) cycles through 0, 1, 2, … mod n. */
function counterRng() {
  let c = 0;
  return { float: () => 0, normal: () => 0, int: (n: number) => c++ % n, calls: () => c };
}

describe('sampleWithoutReplacement', () => {
  it('draws k distinct items, kept in their original order, with k calls of rng.int', () => {
    const rng = counterRng();
    const items = ['a', 'b', 'c', 'd', 'e', 'f'];
    const got = sampleWithoutReplacement(items, 3, rng);
    // Fisher–Yates with j = i + int(n − i): int → 0, 1, 2 swaps (0,0), (1,2), (2,4): idx [0, 2, 4].
    expect(got).toEqual(['a', 'c', 'e']);
    expect(rng.calls()).toBe(3);
    expect(new Set(got).size).toBe(3);
  });
  it('k ≥ n returns a copy of every item and draws nothing; k = 0 returns none', () => {
    const rng = counterRng();
    const items = [1, 2, 3];
    const all = sampleWithoutReplacement(items, 5, rng);
    expect(all).toEqual(items);
    expect(all).not.toBe(items);
    expect(sampleWithoutReplacement(items, 0, rng)).toEqual([]);
    expect(rng.calls()).toBe(0);
  });
  it('is uniform: each item of 5 is drawn in about 2/5 of 20,000 draws of 2', () => {
    let s = 12345;
    const rng = { float: () => 0, normal: () => 0, int: (n: number) => ((s = (s * 1103515245 + 12345) >>> 0), Math.floor((s / 2 ** 32) * n)) };
    const counts = [0, 0, 0, 0, 0];
    for (let t = 0; t < 20000; t++) for (const x of sampleWithoutReplacement([0, 1, 2, 3, 4], 2, rng)) counts[x]!++;
    for (const c of counts) expect(Math.abs(c / 20000 - 0.4)).toBeLessThan(0.02);
  });
  it('a k that is not a non-negative integer is a RangeError naming it', () => {
    expect(() => sampleWithoutReplacement([1], -1, counterRng())).toThrow(/k must be a non-negative integer, got -1/);
    expect(() => sampleWithoutReplacement([1], 1.5, counterRng())).toThrow(/got 1.5/);
  });
});
