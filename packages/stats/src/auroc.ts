/**
 * Area under the ROC curve as the Mann–Whitney U statistic of the positives over the negatives,
 * divided by n_pos·n_neg: P(pos > neg) + ½·P(pos = neg) over all pairs (Hanley & McNeil 1982,
 * doi:10.1148/radiology.143.1.7063747). Computed from average ranks in O((n+m) log(n+m)); every
 * quantity is a sum of halves, so the result is bit-identical to counting pairs.
 *
 * `NaN` when either group is empty: the AUROC is undefined there, and each caller decides what
 * that means (the scoreboard reports "n/a"; a calibration may fall back to 0.5).
 * Throws a `RangeError` on a NaN score, which has no rank.
 */
export function auroc(positives: readonly number[], negatives: readonly number[]): number {
  const np = positives.length;
  const nn = negatives.length;
  if (np === 0 || nn === 0) return Number.NaN;
  checkScores(positives, 'positives');
  checkScores(negatives, 'negatives');
  const all: { v: number; p: boolean }[] = [];
  for (const v of positives) all.push({ v, p: true });
  for (const v of negatives) all.push({ v, p: false });
  // `a - b` is NaN for two equal infinities; this comparator is a total order on non-NaN numbers.
  all.sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : 0));
  let rankSumPos = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    // Ranks i+1 … j+1 (1-based) are tied: each gets their mean.
    const avg = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) if (all[k]!.p) rankSumPos += avg;
    i = j + 1;
  }
  return (rankSumPos - (np * (np + 1)) / 2) / (np * nn);
}

/**
 * {@link auroc} of `scores` split by `labels` (truthy = positive, e.g. 1 = misaligned), for
 * callers that hold one list of scores and one of labels. Same `NaN` and error rules.
 */
export function aurocByLabel(scores: readonly number[], labels: readonly (number | boolean)[]): number {
  if (scores.length !== labels.length) throw new RangeError(`aurocByLabel: ${scores.length} scores but ${labels.length} labels`);
  const positives: number[] = [];
  const negatives: number[] = [];
  scores.forEach((s, i) => (labels[i] ? positives : negatives).push(s));
  return auroc(positives, negatives);
}

function checkScores(xs: readonly number[], what: string): void {
  for (let i = 0; i < xs.length; i++) {
    if (Number.isNaN(xs[i])) throw new RangeError(`auroc: ${what}[${i}] is NaN; scores must be numbers`);
  }
}
