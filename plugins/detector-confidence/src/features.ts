/**
 * Confidence statistics of a batch of class-probability rows. Pure functions on plain numbers:
 * nothing here queries a subject or reads a label.
 */

/** The per-item statistics, in feature order. */
export const ITEM_STATISTICS = ['entropy', 'top1', 'margin'] as const;

/** How each item statistic is summarised over the items, in feature order. */
export const SUMMARIES = ['mean', 'sd', 'q10', 'q90'] as const;

/** Every feature name, `<statistic>.<summary>`: 12 of them. */
export const FEATURE_NAMES: readonly string[] = ITEM_STATISTICS.flatMap((s) => SUMMARIES.map((m) => `${s}.${m}`));

/** Per-item statistics of `n` rows of `k` class probabilities. */
export interface ItemStatistics {
  /** Shannon entropy divided by ln k, in [0, 1] (0 when k = 1): comparable across tasks with different class counts. */
  entropy: Float64Array;
  /** The largest probability. */
  top1: Float64Array;
  /** The largest probability minus the second largest (the largest itself when k = 1). */
  margin: Float64Array;
}

/**
 * Entropy, top-1 probability and top-1 − top-2 margin of each row of `probs` (row-major `[n, k]`).
 * Throws on a non-finite probability: a NaN would silently poison the dev fit.
 */
export function itemStatistics(probs: ArrayLike<number>, n: number, k: number): ItemStatistics {
  if (probs.length !== n * k) throw new RangeError(`confidence: expected ${n}×${k} probabilities, got ${probs.length}`);
  const entropy = new Float64Array(n);
  const top1 = new Float64Array(n);
  const margin = new Float64Array(n);
  const norm = k > 1 ? Math.log(k) : 1;
  for (let i = 0; i < n; i++) {
    let h = 0;
    let a = -Infinity;
    let b = -Infinity;
    for (let c = 0; c < k; c++) {
      const p = probs[i * k + c]!;
      if (!Number.isFinite(p)) throw new RangeError(`confidence: predict() returned a non-finite probability (${p}) in row ${i}, class ${c}`);
      if (p > 0) h -= p * Math.log(p);
      if (p > a) {
        b = a;
        a = p;
      } else if (p > b) b = p;
    }
    entropy[i] = k > 1 ? h / norm : 0;
    top1[i] = a;
    margin[i] = a - (k > 1 ? b : 0);
  }
  return { entropy, top1, margin };
}

/**
 * The nearest-rank p-quantile (docs/reference/metrics.md: the k-th smallest, k = max(1, ⌈p·n⌉),
 * with a 1e-9 guard on the product), never interpolated; NaN for an empty list.
 */
export function nearestRank(values: ArrayLike<number>, p: number): number {
  const sorted = Array.from(values).sort((x, y) => x - y);
  if (sorted.length === 0) return Number.NaN;
  const k = Math.max(1, Math.ceil(p * sorted.length - 1e-9));
  return sorted[Math.min(sorted.length, k) - 1]!;
}

/** Mean and population standard deviation. */
export function moments(values: ArrayLike<number>): { mean: number; sd: number } {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i]!;
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i]! - mean) ** 2;
  return { mean, sd: Math.sqrt(v / n) };
}

/** The feature vector ({@link FEATURE_NAMES} order) of `n` rows of `k` class probabilities. */
export function confidenceFeatures(probs: ArrayLike<number>, n: number, k: number): number[] {
  if (n < 1) throw new RangeError('confidence: no items to summarise');
  const items = itemStatistics(probs, n, k);
  return ITEM_STATISTICS.flatMap((s) => {
    const col = items[s];
    const { mean, sd } = moments(col);
    return [mean, sd, nearestRank(col, 0.1), nearestRank(col, 0.9)];
  });
}
