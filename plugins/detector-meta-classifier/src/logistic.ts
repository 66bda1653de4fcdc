import { fitLogistic as fitL2Logistic, sigmoid, type LogisticFit } from '@sandtrap/stats';

/** Logistic function, overflow-safe: `@sandtrap/stats`'s, re-exported here for this package's index (public API). */
export { sigmoid };

/** A fitted model on standardised features. */
export type LogisticModel = LogisticFit;

/**
 * The meta-classifier's regression: `@sandtrap/stats`' L2 logistic regression with class weights
 * giving each class the same total weight (the dev split has ~3 misaligned organisms per
 * control), the bias unpenalised and starting at 0. `penaltySummation: 'per-weight'` keeps the
 * fits, and so the scores, this detector gave before the regression moved to `@sandtrap/stats`.
 * `x` rows should be standardised.
 */
export function fitLogistic(x: readonly number[][], y: readonly number[], l2: number, maxIterations = 100): LogisticModel {
  const pos = y.reduce((s, v) => s + v, 0);
  if (pos === 0 || pos === y.length) throw new Error(`meta-classifier: the dev split needs both misaligned organisms and controls (got ${pos} of ${y.length} misaligned)`);
  return fitL2Logistic(x, y, { l2, maxIterations, classWeights: 'balanced', penaltySummation: 'per-weight' });
}

/** Column means and standard deviations (population); a constant column gets std 1 and so contributes nothing after centring. */
export function standardiser(x: readonly number[][]): { mean: number[]; std: number[] } {
  const d = x[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  for (const r of x) for (let j = 0; j < d; j++) mean[j]! += r[j]! / x.length;
  for (const r of x) for (let j = 0; j < d; j++) std[j]! += (r[j]! - mean[j]!) ** 2 / x.length;
  return { mean, std: std.map((v) => (Math.sqrt(v) > 1e-9 ? Math.sqrt(v) : 1)) };
}
