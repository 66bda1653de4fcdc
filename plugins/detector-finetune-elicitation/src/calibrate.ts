import { sigmoid } from '@sandtrap/detector-api';

/** Logistic function, overflow-safe: `@sandtrap/detector-api`'s, re-exported here for this package's index (public API). */
export { sigmoid };

/** A score map `p(x) = sigmoid(slope · (x − centre))`. */
export interface Calibration {
  centre: number;
  slope: number;
}

/**
 * One-feature logistic regression, `p(y = 1 | x) = sigmoid(a·x + b)`, with an L2 penalty `l2` on
 * the slope `a` (x is used as is: the statistics here live on [0, 1]), fitted by Newton's method
 * with step halving. The classes are weighted to equal total weight, so the score does not
 * inherit the dev split's prevalence (more misaligned organisms than controls). The penalty keeps
 * the slope finite on a separable dev split, the usual case with three controls per task.
 * Returned as a centre and a slope.
 */
export function fitCalibration(x: readonly number[], y: readonly number[], l2: number): Calibration {
  const n = x.length;
  const pos = y.reduce((s, v) => s + v, 0);
  if (n === 0 || pos === 0 || pos === n)
    throw new Error(`finetune-elicitation: calibration needs controls and misaligned organisms on the dev split (got ${pos} of ${n} misaligned)`);
  const w = y.map((v) => (v ? n / (2 * pos) : n / (2 * (n - pos))));
  const loss = (a: number, b: number) => {
    let f = 0.5 * l2 * a * a;
    for (let i = 0; i < n; i++) {
      const z = a * x[i]! + b;
      f += w[i]! * ((z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[i]! * z);
    }
    return f;
  };
  let a = 0;
  let b = 0;
  let f = loss(a, b);
  for (let it = 0; it < 200; it++) {
    let ga = l2 * a;
    let gb = 0;
    let haa = l2;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < n; i++) {
      const p = sigmoid(a * x[i]! + b);
      const r = w[i]! * (p - y[i]!);
      const v = w[i]! * p * (1 - p);
      ga += r * x[i]!;
      gb += r;
      haa += v * x[i]! * x[i]!;
      hab += v * x[i]!;
      hbb += v;
    }
    const det = haa * hbb - hab * hab;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let t = 1;
    let moved = false;
    for (let k = 0; k < 40; k++, t /= 2) {
      const f2 = loss(a - t * da, b - t * db);
      if (f2 <= f) {
        a -= t * da;
        b -= t * db;
        moved = Math.abs(t * da) + Math.abs(t * db) > 1e-12;
        f = f2;
        break;
      }
    }
    if (!moved) break;
  }
  return { centre: a !== 0 ? -b / a : 0, slope: a };
}

/** The calibrated score of statistic `x`. */
export function calibratedScore(c: Calibration, x: number): number {
  return sigmoid(c.slope * (x - c.centre));
}
