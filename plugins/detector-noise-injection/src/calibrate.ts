/**
 * The score: a one-feature logistic regression on log φ, fitted on the dev split with
 * `@sandtrap/detector-api`'s `fitLogistic1d`, on a robustly standardised feature.
 */
import { fitLogistic1d, sigmoid } from '@sandtrap/detector-api';

function median(x: readonly number[]): number {
  if (x.length === 0) return 0;
  const s = [...x].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** p = sigmoid(a + b · (x − center) / scale). */
export interface Logistic1D {
  a: number;
  b: number;
  /** The dev split's median of x. */
  center: number;
  /** The dev split's MAD × 1.4826 (its standard deviation if the MAD is 0; 1 if both are). */
  scale: number;
}

/**
 * Fits p(y = 1 | x) on x standardised with the median and the scaled MAD, so `l2` means the same
 * whatever the scale of log φ, and one sandbagger whose φ is 100 does not shrink every other
 * organism's standardised value to nothing (as a mean and standard deviation would). The L2
 * penalty keeps the slope finite when the dev split separates perfectly, which a handful of
 * organisms usually does. Deterministic.
 */
export function fitLogistic1D(x: readonly number[], y: readonly number[], l2: number): Logistic1D {
  const center = median(x);
  const mad = 1.4826 * median(x.map((v) => Math.abs(v - center)));
  const mean = x.length ? x.reduce((s, v) => s + v, 0) / x.length : 0;
  const sd = x.length ? Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length) : 0;
  const scale = mad > 1e-12 ? mad : sd > 1e-12 ? sd : 1;
  const { a, b } = fitLogistic1d(
    x.map((v) => (v - center) / scale),
    y,
    l2,
  );
  return { a, b, center, scale };
}

/** The calibrated probability for a feature value. */
export function predictLogistic1D(m: Logistic1D, x: number): number {
  return sigmoid(m.a + (m.b * (x - m.center)) / m.scale);
}
