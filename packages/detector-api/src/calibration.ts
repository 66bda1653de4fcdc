/**
 * Small, deterministic, plain-JS helpers for turning a detector's statistic into a calibrated
 * score on the dev split (`configure()`): a stable sigmoid, a one-feature L2 logistic regression,
 * and a margin calibration. No tensors; state is a few numbers.
 */
import { fitLogistic1d, sigmoid } from '@sandtrap/stats';

// The one logistic regression and sigmoid of sandtrap live in @sandtrap/stats; they stay exported
// from here, where detector authors have always found them.
export { sigmoid, fitLogistic1d };

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
export function calibrateMargin(targets: readonly number[], controls: readonly number[], opts: { edge?: number; minGap?: number; fallbackThreshold: number }): MarginCalibration {
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
