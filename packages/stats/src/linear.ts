/** How {@link solveSpd} treats a pivot that rounding (or a singular matrix) made ≤ 0. */
export interface SolveSpdOptions {
  /**
   * Each squared pivot is raised to at least this before its square root, so a semi-definite
   * matrix yields a finite (regularised) answer instead of NaN. Default 1e-300 (only guards
   * against exact zeros); a probe on a rank-deficient covariance wants something like 1e-12.
   */
  pivotFloor?: number;
}

/**
 * Solves A·X = B for a symmetric positive definite A [n × n] and B [n × m], both row-major, by
 * Cholesky factorisation A = L·Lᵀ and forward / back substitution (Golub & Van Loan, Matrix
 * Computations, 4th ed., §4.2). Only A's lower triangle is read. Returns a new X [n × m]; A and B
 * are left unchanged. O(n³/3 + n²·m), deterministic.
 */
export function solveSpd(a: ArrayLike<number>, n: number, b: ArrayLike<number>, m = 1, opts: SolveSpdOptions = {}): Float64Array {
  if (a.length !== n * n) throw new RangeError(`solveSpd: A has ${a.length} entries, expected ${n}×${n}`);
  if (b.length !== n * m) throw new RangeError(`solveSpd: B has ${b.length} entries, expected ${n}×${m}`);
  const floor = opts.pivotFloor ?? 1e-300;
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) l[i * n + i] = Math.sqrt(Math.max(s, floor));
      else l[i * n + j] = s / l[j * n + j]!;
    }
  }
  const x = Float64Array.from(b);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      let s = x[i * m + c]!;
      for (let k = 0; k < i; k++) s -= l[i * n + k]! * x[k * m + c]!;
      x[i * m + c] = s / l[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i * m + c]!;
      for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k * m + c]!;
      x[i * m + c] = s / l[i * n + i]!;
    }
  }
  return x;
}
