/** Small statistics in plain JS: the MAD anomaly index (the logistic calibration is @sandtrap/detector-api's). */

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
