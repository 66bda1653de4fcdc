/**
 * L2-regularised logistic regression fitted by Newton's method with backtracking, in plain JS:
 * the design matrices here are tens of rows by a few hundred columns, so tensors would only add
 * dispatch overhead and tensor-hygiene risk.
 */
import { sigmoid } from '@sandtrap/detector-api';

export interface LogisticFit {
  weights: number[];
  bias: number;
  iterations: number;
}

/** Logistic function, overflow-safe: `@sandtrap/detector-api`'s, re-exported for this package's other modules. */
export { sigmoid };

/** log(1 + e^z) without overflow. */
const softplus = (z: number): number => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

function objective(x: readonly number[][], y: readonly number[], w: readonly number[], b: number, l2: number): number {
  let loss = 0;
  for (let i = 0; i < x.length; i++) {
    let z = b;
    const xi = x[i]!;
    for (let j = 0; j < w.length; j++) z += w[j]! * xi[j]!;
    // −log p(y | z) = softplus(z) − y·z
    loss += softplus(z) - y[i]! * z;
  }
  let norm = 0;
  for (const v of w) norm += v * v;
  return loss + 0.5 * l2 * norm;
}

/** Solves A·s = g for a symmetric positive definite A (Cholesky). */
function solveSpd(a: number[][], g: number[]): number[] {
  const n = g.length;
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      if (i === j) l[i]![i] = Math.sqrt(Math.max(s, 1e-300));
      else l[i]![j] = s / l[j]![j]!;
    }
  }
  const z = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = g[i]!;
    for (let k = 0; k < i; k++) s -= l[i]![k]! * z[k]!;
    z[i] = s / l[i]![i]!;
  }
  const s = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let t = z[i]!;
    for (let k = i + 1; k < n; k++) t -= l[k]![i]! * s[k]!;
    s[i] = t / l[i]![i]!;
  }
  return s;
}

/**
 * Minimises Σ −log p(yᵢ | xᵢ) + (l2 / 2)·‖w‖² (the bias is not penalised). `x` rows are
 * standardised features, `y` ∈ {0, 1}. Deterministic: no random initialisation.
 */
export function fitLogistic(x: readonly number[][], y: readonly number[], l2: number, maxIterations = 100): LogisticFit {
  const d = x[0]?.length ?? 0;
  const n = x.length;
  let w = new Array<number>(d).fill(0);
  const mean = Math.min(1 - 1e-6, Math.max(1e-6, y.reduce((s, v) => s + v, 0) / Math.max(1, n)));
  // Start at the intercept-only optimum, so an uninformative design needs no step at all.
  let b = Math.log(mean / (1 - mean));
  let f = objective(x, y, w, b, l2);
  let it = 0;
  for (; it < maxIterations; it++) {
    // Parameters are [w_0 … w_{d−1}, b].
    const g = new Array<number>(d + 1).fill(0);
    const h = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      let z = b;
      for (let j = 0; j < d; j++) z += w[j]! * xi[j]!;
      const p = sigmoid(z);
      const r = p - y[i]!;
      const v = p * (1 - p);
      for (let j = 0; j < d; j++) {
        g[j]! += r * xi[j]!;
        const hj = h[j]!;
        const vx = v * xi[j]!;
        for (let k = 0; k <= j; k++) hj[k]! += vx * xi[k]!;
        h[d]![j]! += vx;
      }
      g[d]! += r;
      h[d]![d]! += v;
    }
    for (let j = 0; j < d; j++) {
      g[j]! += l2 * w[j]!;
      h[j]![j]! += l2;
    }
    h[d]![d]! += 1e-9;
    for (let j = 0; j <= d; j++) for (let k = 0; k < j; k++) h[k]![j] = h[j]![k]!;
    const step = solveSpd(h, g);
    let t = 1;
    let next = { w, b, f };
    for (let tries = 0; tries < 40; tries++, t /= 2) {
      const w2 = w.map((v, j) => v - t * step[j]!);
      const b2 = b - t * step[d]!;
      const f2 = objective(x, y, w2, b2, l2);
      if (f2 <= f) {
        next = { w: w2, b: b2, f: f2 };
        break;
      }
    }
    const moved = Math.max(...next.w.map((v, j) => Math.abs(v - w[j]!)), Math.abs(next.b - b));
    ({ w, b, f } = next);
    if (!(moved > 1e-10)) break;
  }
  return { weights: w, bias: b, iterations: it };
}
