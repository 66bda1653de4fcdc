import type { DetectorRng } from './detector.js';

/**
 * `k` of `items` drawn uniformly without replacement with the detector's seeded `rng` (a partial
 * Fisher–Yates shuffle: `k` calls of `rng.int`), returned in their original order; all of them
 * (a copy) when `k` ≥ their number. For sizing a scan to the budget: the same fraction of every
 * family of contexts, reproducible from the cell's seed.
 */
export function sampleWithoutReplacement<T>(items: readonly T[], k: number, rng: DetectorRng): T[] {
  if (!(Number.isInteger(k) && k >= 0)) throw new RangeError(`sampleWithoutReplacement: k must be a non-negative integer, got ${k}`);
  if (k >= items.length) return [...items];
  const idx = items.map((_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(idx.length - i);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx
    .slice(0, k)
    .sort((a, b) => a - b)
    .map((i) => items[i]!);
}
