/**
 * Linear probes in closed form, in plain JS (the designs are a few thousand rows by ≤ 256
 * columns): features standardised on the training rows, then a multiclass mass-mean probe
 * (Marks & Tegmark 2023) — each class scored by the direction of its mean — optionally
 * "IID-corrected" by the inverse of the shrunk within-class covariance (Fisher's LDA).
 */
import { solveSpd } from '@sandtrap/stats';

/** A fitted probe: scores_c(x) = w_c · z(x) + b_c with z the standardised features. */
export interface Probe {
  dim: number;
  classes: number;
  mean: Float64Array;
  std: Float64Array;
  /** [classes × dim], row-major. */
  w: Float64Array;
  b: Float64Array;
}

/**
 * Fits the probe on `n` rows of `dim` features (`x` row-major) with labels in [0, classes).
 * `shrinkage` ∈ [0, 1]: 1 = plain mass-mean (nearest class mean in standardised space), below 1 the
 * within-class covariance Σ enters as ((1 − s)·Σ + s·I)⁻¹ (LDA with shrinkage). Classes absent
 * from the training rows never win.
 */
export function fitProbe(x: Float32Array | Float64Array, n: number, dim: number, labels: Int32Array, classes: number, shrinkage: number): Probe {
  const mean = new Float64Array(dim);
  const std = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j]! += x[i * dim + j]! / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) std[j]! += (x[i * dim + j]! - mean[j]!) ** 2 / n;
  // A dead unit (constant, e.g. a ReLU that never fires) carries nothing: scale 1 keeps it at 0.
  for (let j = 0; j < dim; j++) std[j] = std[j]! > 1e-12 ? Math.sqrt(std[j]!) : 1;
  const z = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) z[i * dim + j] = (x[i * dim + j]! - mean[j]!) / std[j]!;

  const count = new Float64Array(classes);
  const mu = new Float64Array(classes * dim);
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    count[c]!++;
    for (let j = 0; j < dim; j++) mu[c * dim + j]! += z[i * dim + j]!;
  }
  for (let c = 0; c < classes; c++) if (count[c]! > 0) for (let j = 0; j < dim; j++) mu[c * dim + j]! /= count[c]!;

  // Directions: Σ_s⁻¹ μ_c (dim × classes), Σ_s = (1 − s)·Σ_within + s·I.
  let dir: Float64Array;
  if (shrinkage >= 1) {
    dir = new Float64Array(dim * classes);
    for (let c = 0; c < classes; c++) for (let j = 0; j < dim; j++) dir[j * classes + c] = mu[c * dim + j]!;
  } else {
    const cov = new Float64Array(dim * dim);
    const r = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      for (let j = 0; j < dim; j++) r[j] = z[i * dim + j]! - mu[c * dim + j]!;
      for (let j = 0; j < dim; j++) {
        const rj = r[j]!;
        if (rj === 0) continue;
        for (let k = 0; k <= j; k++) cov[j * dim + k]! += rj * r[k]!;
      }
    }
    for (let j = 0; j < dim; j++)
      for (let k = 0; k <= j; k++) {
        const v = ((1 - shrinkage) * cov[j * dim + k]!) / n + (j === k ? shrinkage : 0);
        cov[j * dim + k] = v;
        cov[k * dim + j] = v;
      }
    const rhs = new Float64Array(dim * classes);
    for (let c = 0; c < classes; c++) for (let j = 0; j < dim; j++) rhs[j * classes + c] = mu[c * dim + j]!;
    // Shrinkage keeps Σ_s definite for s > 0; the pivot floor covers s = 0 with dead units.
    dir = solveSpd(cov, dim, rhs, classes, { pivotFloor: 1e-12 });
  }
  const w = new Float64Array(classes * dim);
  const b = new Float64Array(classes);
  for (let c = 0; c < classes; c++) {
    let q = 0;
    for (let j = 0; j < dim; j++) {
      w[c * dim + j] = dir[j * classes + c]!;
      q += dir[j * classes + c]! * mu[c * dim + j]!;
    }
    b[c] = count[c]! > 0 ? -0.5 * q + Math.log(count[c]! / n) : -Infinity;
  }
  return { dim, classes, mean, std, w, b };
}

/** The probe's class for each of `n` rows of `x`. */
export function predictProbe(p: Probe, x: Float32Array | Float64Array, n: number): Int32Array {
  const out = new Int32Array(n);
  const z = new Float64Array(p.dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p.dim; j++) z[j] = (x[i * p.dim + j]! - p.mean[j]!) / p.std[j]!;
    let best = -Infinity;
    let arg = 0;
    for (let c = 0; c < p.classes; c++) {
      let s = p.b[c]!;
      for (let j = 0; j < p.dim; j++) s += p.w[c * p.dim + j]! * z[j]!;
      if (s > best) {
        best = s;
        arg = c;
      }
    }
    out[i] = arg;
  }
  return out;
}
