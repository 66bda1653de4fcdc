import type { BaselineCheck, BaselineReport, BoardDetector, BoardSettings, Scoreboard } from '../board.js';
import type { Metrics } from '../summaries.js';

/** The slice every report lists first: every positive against every control. */
export const OVERALL = 'overall';

/** The slices of a board, in report order: `overall`, then the misaligned kinds as the zoo sorts them. */
export function slices(board: Scoreboard): string[] {
  return [OVERALL, ...board.zoo.kinds];
}

/** A detector's metrics for one slice; `undefined` when the board has no such slice for it. */
export function sliceMetrics(d: BoardDetector, slice: string): Metrics | undefined {
  return slice === OVERALL ? d.overall : d.byKind[slice];
}

/**
 * A number to `digits` decimals, or "n/a" for `null`/`undefined`/non-finite: reports never print
 * an undefined metric as 0 (docs/reference/metrics.md, "n/a").
 */
export function num(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  const s = x.toFixed(digits);
  // -0.00 reads as a sign error in a table of drops and rates.
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/**
 * What the AUROC interval is, for captions: "95% score CI (Newcombe)" or "95% stratified bootstrap
 * CI (1000 resamples)". Boards without `settings.ci` predate the score interval: bootstrap.
 */
export function ciName(s: Pick<BoardSettings, 'ci' | 'level' | 'resamples'>): string {
  const pct = `${Math.round(s.level * 1000) / 10}%`;
  return (s.ci ?? 'bootstrap') === 'score' ? `${pct} score CI (Newcombe)` : `${pct} stratified bootstrap CI (${s.resamples} resamples)`;
}

/** `[lo, hi]` of the AUROC CI, or "" when it is undefined. */
export function ciText(m: Metrics | undefined, digits = 2): string {
  if (!m || m.aurocCI.lo === null || m.aurocCI.hi === null) return '';
  return `[${num(m.aurocCI.lo, digits)}, ${num(m.aurocCI.hi, digits)}]`;
}

/** `0.93 [0.81, 1.00]`, `0.93` without a CI, `n/a` without an AUROC. */
export function aurocText(m: Metrics | undefined, digits = 2): string {
  const a = num(m?.auroc, digits);
  const ci = ciText(m, digits);
  return a === 'n/a' || ci === '' ? a : `${a} ${ci}`;
}

/** A fraction as a percentage with no decimals (`95%`), for the CI level. */
export function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** Baseline checks by detector and slice. */
export function checksBySlice(baseline: BaselineReport | undefined): Map<string, Map<string, BaselineCheck[]>> {
  const out = new Map<string, Map<string, BaselineCheck[]>>();
  for (const c of baseline?.checks ?? []) addCheck(out, c);
  // `regressions` should be a subset of `checks`; accept a report that only lists regressions.
  for (const c of baseline?.regressions ?? []) {
    const list = out.get(c.detector)?.get(c.kind) ?? [];
    if (!list.some((x) => x.metric === c.metric)) addCheck(out, c);
  }
  return out;
}

function addCheck(out: Map<string, Map<string, BaselineCheck[]>>, c: BaselineCheck): void {
  let byKind = out.get(c.detector);
  if (!byKind) out.set(c.detector, (byKind = new Map<string, BaselineCheck[]>()));
  const list = byKind.get(c.kind) ?? [];
  list.push(c);
  byKind.set(c.kind, list);
}

/** The regressed checks of one detector × slice. */
export function regressionsOf(baseline: BaselineReport | undefined, detector: string, slice: string, board: 'seen' | 'unseen' | 'both' = 'both'): BaselineCheck[] {
  return (baseline?.regressions ?? []).filter((c) => c.detector === detector && c.kind === slice && (board === 'both' || (board === 'unseen') === (c.metric === 'unseenAuroc')));
}

const METRIC_LABEL: Record<BaselineCheck['metric'], string> = { auroc: 'AUROC', tprAt5Fpr: 'TPR@5%FPR', unseenAuroc: 'unseen-kind AUROC' };

export function metricLabel(m: BaselineCheck['metric']): string {
  return METRIC_LABEL[m] ?? m;
}

/**
 * One sentence for a regressed check: the metric, baseline, current, drop and tolerance, or why
 * there is no drop (the slice became n/a or disappeared).
 */
export function regressionMessage(c: BaselineCheck, tolerance: number): string {
  const what = `${metricLabel(c.metric)} of ${c.detector} × ${c.kind}`;
  if (c.drop !== null) {
    return `${what} fell by ${num(c.drop, 3)} (baseline ${num(c.baseline, 3)}, current ${num(c.current, 3)}), more than the tolerance ${num(tolerance, 3)}`;
  }
  if (c.current === null && c.baseline !== null) {
    return `${what} is n/a now (baseline ${num(c.baseline, 3)}, current n/a): the slice disappeared or lost its positives or controls; tolerance ${num(tolerance, 3)}`;
  }
  return `${what} regressed (baseline ${num(c.baseline, 3)}, current ${num(c.current, 3)}, drop n/a, tolerance ${num(tolerance, 3)})`;
}

/**
 * Detectors and slices the baseline reports a regression for that the board no longer has: a
 * detector dropped from the config, or a kind gone from the zoo. Reports list them so that a
 * regression is never lost for want of a row to hang it on.
 */
export function orphanRegressions(board: Scoreboard, baseline: BaselineReport | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const known = new Set(slices(board));
  const detectors = new Set(board.detectors.map((d) => d.id));
  for (const c of baseline?.regressions ?? []) {
    if (detectors.has(c.detector) && known.has(c.kind)) continue;
    const list = out.get(c.detector) ?? [];
    if (!list.includes(c.kind)) list.push(c.kind);
    out.set(c.detector, list);
  }
  return out;
}

/** Seconds as `1.23 s`, or n/a. */
export function secs(x: number | null | undefined): string {
  const s = num(x, 2);
  return s === 'n/a' ? s : `${s} s`;
}

/**
 * The board as its unseen-kind scores (`--holdout kind`), for the reports' second table and the
 * HTML toggle: each detector's `byKind` are its `unseenKind.byKind` and its `overall` carries the
 * pooled unseen AUROC and interval (the other overall metrics have no pooled form: n/a). Undefined
 * when the run did not hold kinds out.
 */
export function unseenView(board: Scoreboard): Scoreboard | undefined {
  if (board.settings.holdout !== 'kind') return undefined;
  return {
    ...board,
    detectors: board.detectors.map((d) => {
      const u = d.unseenKind;
      const overall: Metrics = {
        ...d.overall,
        auroc: u?.auroc ?? null,
        aurocCI: u?.aurocCI ?? { lo: null, hi: null },
        tprAt1Fpr: null,
        tprAt5Fpr: null,
        flaggedRecall: null,
        flaggedFpr: null,
        brier: null,
        crossEntropy: null,
      };
      return { ...d, overall, byKind: u?.byKind ?? {} };
    }),
  };
}
