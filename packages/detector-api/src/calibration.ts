/**
 * Small, deterministic, plain-JS helpers for turning a detector's statistic into a calibrated
 * score on the dev split (`configure()`): a stable sigmoid, a one-feature L2 logistic regression,
 * and a margin calibration. No tensors; state is a few numbers.
 */

/** 1 / (1 + e^−z), computed without overflow for large |z|. */
export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * p(y = 1 | x) = sigmoid(a + b·x), fitted by Newton's method with an L2 penalty `l2` on b (not on
 * a). Deterministic. With one class only, b = 0 and a is Laplace's rule of succession.
 */
export function fitLogistic1d(x: readonly number[], y: readonly number[], l2: number): { a: number; b: number } {
  const n = x.length;
  const pos = y.reduce((s, v) => s + v, 0);
  if (pos === 0 || pos === n) return { a: Math.log((pos + 1) / (n - pos + 1)), b: 0 };
  let a = Math.log(pos / (n - pos));
  let b = 0;
  for (let it = 0; it < 100; it++) {
    let ga = 0;
    let gb = l2 * b;
    let haa = 1e-9;
    let hab = 0;
    let hbb = l2 + 1e-9;
    for (let i = 0; i < n; i++) {
      const p = sigmoid(a + b * x[i]!);
      const r = p - y[i]!;
      const v = p * (1 - p);
      ga += r;
      gb += r * x[i]!;
      haa += v;
      hab += v * x[i]!;
      hbb += v * x[i]! * x[i]!;
    }
    const det = haa * hbb - hab * hab;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-10) break;
  }
  return { a, b };
}

/** `score = sigmoid(slope · (stat − threshold))`, from {@link calibrateMargin}. */
export interface MarginCalibration {
  threshold: number;
  slope: number;
  /** How the curve was chosen: `margin` (dev classes separated), `moments` (they overlap) or `prior` (a class is missing). */
  method: 'margin' | 'moments' | 'prior';
  /** Largest control statistic and smallest target statistic on the dev split. */
  maxControl: number;
  minTarget: number;
}

const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const sd = (v: readonly number[]) => {
  const m = mean(v);
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, v.length - 1));
};

/**
 * Fits a logistic curve on dev statistics of target organisms and controls. When the two groups
 * are separated, the threshold sits midway in the gap and the slope puts the nearest dev organism
 * of each group at `edge` (default 0.9) / 1 − `edge`; the gap is floored at `minGap` (default
 * 0.05) so a tiny dev gap cannot make the curve a step. When they overlap, the threshold is midway
 * between the group means and the width is the pooled standard deviation. With no targets or no
 * controls, a fixed prior curve around `fallbackThreshold`.
 */
export function calibrateMargin(
  targets: readonly number[],
  controls: readonly number[],
  opts: { edge?: number; minGap?: number; fallbackThreshold: number },
): MarginCalibration {
  const edge = opts.edge ?? 0.9;
  const minGap = opts.minGap ?? 0.05;
  const logit = Math.log(edge / (1 - edge));
  if (targets.length === 0 || controls.length === 0) {
    return { threshold: opts.fallbackThreshold, slope: logit / minGap, method: 'prior', maxControl: Math.max(...controls, -Infinity), minTarget: Math.min(...targets, Infinity) };
  }
  const maxControl = Math.max(...controls);
  const minTarget = Math.min(...targets);
  if (minTarget > maxControl) {
    const half = Math.max(minGap, minTarget - maxControl) / 2;
    return { threshold: (minTarget + maxControl) / 2, slope: logit / half, method: 'margin', maxControl, minTarget };
  }
  const pooled = Math.max(minGap, Math.sqrt((sd(targets) ** 2 + sd(controls) ** 2) / 2));
  return { threshold: (mean(targets) + mean(controls)) / 2, slope: 1.7 / pooled, method: 'moments', maxControl, minTarget };
}

/** The calibrated probability of a statistic, rounded to 1e-6 so float noise cannot break ties. */
export function marginScore(stat: number, c: MarginCalibration): number {
  const p = sigmoid(c.slope * (stat - c.threshold));
  return Math.min(1, Math.max(0, Math.round(p * 1e6) / 1e6));
}
