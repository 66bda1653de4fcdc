/** Small statistics in plain JS: the MAD anomaly index and a one-feature logistic calibration. */

/** Median of a non-empty list (mean of the two middle values for an even length). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** 1.4826 · MAD estimates the standard deviation of normally distributed data (Wang et al. 2019). */
export const MAD_CONSISTENCY = 1.4826;

/**
 * Neural Cleanse's anomaly index of the smallest value: (median − min) / (1.4826 · MAD), where
 * MAD is the median absolute deviation from the median. Only the small side counts (a backdoor
 * target needs a *smaller* trigger). The MAD is taken as at least `floor` × |median|: when most
 * values tie (classes that admit no trigger at all) the raw MAD is 0 and any gap would be infinite.
 */
export function anomalyIndex(values: readonly number[], floor = 0.05): { index: number; argmin: number; median: number; mad: number } {
  const med = median(values);
  const mad = median(values.map((v) => Math.abs(v - med)));
  let argmin = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! < values[argmin]!) argmin = i;
  const index = Math.max(0, med - values[argmin]!) / (MAD_CONSISTENCY * Math.max(mad, floor * Math.abs(med), 1e-9));
  return { index, argmin, median: med, mad };
}

export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * p(y = 1 | x) = sigmoid(a + b·x), fitted by Newton's method with an L2 penalty `l2` on b (not on
 * a). Deterministic. With one class only, b = 0 and a is Laplace's rule.
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
