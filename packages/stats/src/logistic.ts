import { solveSpd } from './linear.js';

/** 1 / (1 + e^−z), computed without overflow for large |z|. */
export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** log(1 + e^z), computed without overflow for large |z|. */
export const softplus = (z: number): number => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/** Settings of {@link fitLogistic}. Every default is what a plain L2 logistic regression does. */
export interface LogisticOptions {
  /** L2 penalty (l2 / 2)·‖w‖² on the weights; the bias is never penalised. Required: there is no neutral value. */
  l2: number;
  /** Newton iterations at most. Default 100. */
  maxIterations?: number;
  /**
   * `none` (default): every row weighs 1. `balanced`: row i weighs n / (2·n_class(i)), so each
   * class carries half the loss whatever the class ratio (scikit-learn's `class_weight='balanced'`);
   * it needs both classes and throws otherwise.
   */
  classWeights?: 'none' | 'balanced';
  /**
   * Where the bias starts. `zero` (default). `prior`: at the intercept-only optimum log(p̄ / (1 − p̄))
   * (p̄ clamped to [1e-6, 1 − 1e-6]), so an uninformative design needs no step at all.
   */
  initialBias?: 'zero' | 'prior';
  /**
   * The floating-point order of the penalty in the objective: `norm` (default) adds
   * (l2 / 2)·Σw² once, `per-weight` adds (l2 / 2)·wⱼ² weight by weight. Both are the same
   * objective; they differ in the last bit, which can decide whether a final, ~1e-10 Newton step
   * is accepted. Kept so that fits made before this module existed reproduce bit for bit (the
   * meta-classifier detector's); new callers leave the default.
   */
  penaltySummation?: 'norm' | 'per-weight';
}

/** A fitted model: p(y = 1 | x) = sigmoid(bias + weights · x). */
export interface LogisticFit {
  weights: number[];
  bias: number;
  /** Newton iterations taken before the step fell below 1e-10 (or `maxIterations`). */
  iterations: number;
}

/**
 * L2-regularised logistic regression, minimising Σ cᵢ·(softplus(zᵢ) − yᵢ·zᵢ) + (l2 / 2)·‖w‖² with
 * zᵢ = b + w·xᵢ, by Newton's method with step halving (the step is accepted at the first t = 1,
 * ½, ¼, … that does not raise the objective; the fit stops when no coordinate moves by more than
 * 1e-10). Plain JS on `number[][]`: designs of tens of rows by a few hundred columns, where tensors
 * would only add dispatch overhead. Deterministic (no random start). `x` rows should be
 * standardised, so one `l2` suits every column; `y` ∈ {0, 1}.
 */
export function fitLogistic(x: readonly (readonly number[])[], y: readonly number[], opts: LogisticOptions): LogisticFit {
  const { l2, maxIterations = 100, classWeights = 'none', initialBias = 'zero', penaltySummation = 'norm' } = opts;
  const n = x.length;
  const d = x[0]?.length ?? 0;
  if (y.length !== n) throw new RangeError(`fitLogistic: ${n} rows but ${y.length} labels`);
  const pos = y.reduce((s, v) => s + v, 0);
  let c: number[] | undefined;
  if (classWeights === 'balanced') {
    if (pos === 0 || pos === n) throw new RangeError(`fitLogistic: balanced class weights need both classes (got ${pos} positives of ${n})`);
    c = y.map((v) => (v ? n / (2 * pos) : n / (2 * (n - pos))));
  }
  const objective = (w: readonly number[], b: number): number => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      let z = b;
      for (let j = 0; j < d; j++) z += w[j]! * xi[j]!;
      const loss = softplus(z) - y[i]! * z;
      f += c ? c[i]! * loss : loss;
    }
    if (penaltySummation === 'per-weight') {
      for (const v of w) f += 0.5 * l2 * v * v;
      return f;
    }
    let norm = 0;
    for (const v of w) norm += v * v;
    return f + 0.5 * l2 * norm;
  };
  let w = new Array<number>(d).fill(0);
  let b = 0;
  if (initialBias === 'prior') {
    const mean = Math.min(1 - 1e-6, Math.max(1e-6, pos / Math.max(1, n)));
    b = Math.log(mean / (1 - mean));
  }
  let f = objective(w, b);
  let it = 0;
  for (; it < maxIterations; it++) {
    // Gradient and Hessian over the parameters [w_0 … w_{d−1}, b]; H row-major, lower triangle first.
    const p1 = d + 1;
    const g = new Float64Array(p1);
    const h = new Float64Array(p1 * p1);
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      let z = b;
      for (let j = 0; j < d; j++) z += w[j]! * xi[j]!;
      const p = sigmoid(z);
      const r = c ? c[i]! * (p - y[i]!) : p - y[i]!;
      const v = c ? c[i]! * p * (1 - p) : p * (1 - p);
      for (let j = 0; j < d; j++) {
        g[j]! += r * xi[j]!;
        const vx = v * xi[j]!;
        for (let k = 0; k <= j; k++) h[j * p1 + k]! += vx * xi[k]!;
        h[d * p1 + j]! += vx;
      }
      g[d]! += r;
      h[d * p1 + d]! += v;
    }
    for (let j = 0; j < d; j++) {
      g[j]! += l2 * w[j]!;
      h[j * p1 + j]! += l2;
    }
    // The unpenalised bias direction is flat when every prediction saturates; keep H definite.
    h[d * p1 + d]! += 1e-9;
    const step = solveSpd(h, p1, g);
    let next = { w, b, f };
    for (let t = 1, tries = 0; tries < 40; tries++, t /= 2) {
      const w2 = w.map((v, j) => v - t * step[j]!);
      const b2 = b - t * step[d]!;
      const f2 = objective(w2, b2);
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

/**
 * p(y = 1 | x) = sigmoid(a + b·x), one feature, fitted by Newton's method with an L2 penalty `l2`
 * on b (not on a); the 2×2 system is solved in closed form. Deterministic. With one class only,
 * b = 0 and a is Laplace's rule of succession, log((k + 1) / (n − k + 1)).
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
