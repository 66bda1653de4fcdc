import { sigmoid } from '@sandtrap/detector-api';

/** Logistic function, overflow-safe: `@sandtrap/detector-api`'s, re-exported here for this package's index (public API). */
export { sigmoid };

const softplus = (z: number): number => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/** A fitted model on standardised features. */
export interface LogisticModel {
  weights: number[];
  bias: number;
}

/**
 * L2-regularised logistic regression, Σ cᵢ·(softplus(zᵢ) − yᵢ·zᵢ) + (l2 / 2)·‖w‖², with class
 * weights cᵢ giving each class the same total weight (the dev split has ~3 misaligned organisms
 * per control), the bias unpenalised. Newton's method with step halving; deterministic.
 * `x` rows should be standardised.
 */
export function fitLogistic(x: readonly number[][], y: readonly number[], l2: number, maxIterations = 100): LogisticModel {
  const n = x.length;
  const d = x[0]?.length ?? 0;
  const pos = y.reduce((s, v) => s + v, 0);
  if (pos === 0 || pos === n) throw new Error(`meta-classifier: the dev split needs both misaligned organisms and controls (got ${pos} of ${n} misaligned)`);
  const c = y.map((v) => (v ? n / (2 * pos) : n / (2 * (n - pos))));
  const loss = (w: number[], b: number) => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      let z = b;
      for (let j = 0; j < d; j++) z += w[j]! * x[i]![j]!;
      f += c[i]! * (softplus(z) - y[i]! * z);
    }
    for (const v of w) f += 0.5 * l2 * v * v;
    return f;
  };
  let w = new Array<number>(d).fill(0);
  let b = 0;
  let f = loss(w, b);
  for (let it = 0; it < maxIterations; it++) {
    const g = new Array<number>(d + 1).fill(0);
    const h = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const xi = [...x[i]!, 1];
      let z = b;
      for (let j = 0; j < d; j++) z += w[j]! * xi[j]!;
      const p = sigmoid(z);
      const r = c[i]! * (p - y[i]!);
      const v = c[i]! * p * (1 - p);
      for (let j = 0; j <= d; j++) {
        g[j]! += r * xi[j]!;
        for (let k = 0; k <= j; k++) h[j]![k]! += v * xi[j]! * xi[k]!;
      }
    }
    for (let j = 0; j < d; j++) {
      g[j]! += l2 * w[j]!;
      h[j]![j]! += l2;
    }
    h[d]![d]! += 1e-9;
    for (let j = 0; j <= d; j++) for (let k = 0; k < j; k++) h[k]![j] = h[j]![k]!;
    const step = solve(h, g);
    let moved = 0;
    for (let t = 1, tries = 0; tries < 40; tries++, t /= 2) {
      const w2 = w.map((v, j) => v - t * step[j]!);
      const b2 = b - t * step[d]!;
      const f2 = loss(w2, b2);
      if (f2 <= f) {
        moved = Math.max(...w2.map((v, j) => Math.abs(v - w[j]!)), Math.abs(b2 - b));
        w = w2;
        b = b2;
        f = f2;
        break;
      }
    }
    if (!(moved > 1e-10)) break;
  }
  return { weights: w, bias: b };
}

/** Solves A·s = g for symmetric positive definite A (Cholesky). */
function solve(a: number[][], g: number[]): number[] {
  const n = g.length;
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / l[j]![j]!;
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

/** Column means and standard deviations (population); a constant column gets std 1 and so contributes nothing after centring. */
export function standardiser(x: readonly number[][]): { mean: number[]; std: number[] } {
  const d = x[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  for (const r of x) for (let j = 0; j < d; j++) mean[j]! += r[j]! / x.length;
  for (const r of x) for (let j = 0; j < d; j++) std[j]! += (r[j]! - mean[j]!) ** 2 / x.length;
  return { mean, std: std.map((v) => (Math.sqrt(v) > 1e-9 ? Math.sqrt(v) : 1)) };
}
