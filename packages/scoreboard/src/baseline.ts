import { readFile } from 'node:fs/promises';
import { SandtrapError } from '@sandtrap/core';
import type { BaselineCheck, BaselineReport, Scoreboard } from './board.js';
import { checkScoreboard } from './board-schema.js';
import type { Metrics } from './summaries.js';

/** The default `--tolerance`: how far AUROC or TPR@5%FPR may fall before the run fails. */
export const DEFAULT_TOLERANCE = 0.05;

/** Reads and validates a baseline scoreboard.json; a bad one is a one-line error naming the file. */
export async function loadBaseline(file: string): Promise<Scoreboard> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new SandtrapError(
      'SANDTRAP_BASELINE_INVALID',
      `--baseline ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; pass the scoreboard.json of an earlier run`,
      { cause: e },
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new SandtrapError('SANDTRAP_BASELINE_INVALID', `--baseline ${file}: not valid JSON (${(e as Error).message}); pass the scoreboard.json of an earlier run`, { cause: e });
  }
  return checkScoreboard(data, `--baseline ${file}`);
}

/** Checks `--tolerance`: a number in [0, 1]. */
export function parseTolerance(text: string | number, flag = '--tolerance'): number {
  const x = typeof text === 'number' ? text : Number(text);
  if (typeof text === 'string' && text.trim() === '') throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `${flag}: expected a number in [0, 1] (e.g. 0.05)`);
  if (!(x >= 0 && x <= 1)) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `${flag} ${text}: expected a number in [0, 1] (e.g. 0.05)`);
  return x;
}

const METRICS = ['auroc', 'tprAt5Fpr'] as const;
/** Float noise allowance: a drop of exactly the tolerance passes. */
const EPS = 1e-9;

/**
 * Compares a run with a baseline: for every detector × kind (and `overall`) of the baseline, AUROC
 * and TPR at 5% FPR, and — when the baseline ran `--holdout kind` — the unseen-kind AUROC. A check regresses when the value fell by more than `tolerance`, or when the
 * baseline had a number and the run has none (the detector, or the kind, is gone). Detectors and
 * kinds new in the run are not checked (nothing to compare with).
 */
export function compareBaseline(current: Scoreboard, baseline: Scoreboard, tolerance: number, file: string): BaselineReport {
  const checks: BaselineCheck[] = [];
  for (const b of baseline.detectors) {
    const c = current.detectors.find((d) => d.id === b.id);
    const slices: [string, Metrics | undefined, Metrics | undefined][] = [
      ['overall', b.overall, c?.overall],
      ...Object.keys(b.byKind)
        .sort()
        .map((k): [string, Metrics | undefined, Metrics | undefined] => [k, b.byKind[k], c?.byKind[k]]),
    ];
    for (const [kind, bm, cm] of slices) {
      for (const metric of METRICS) {
        const was = bm?.[metric] ?? null;
        const now = cm?.[metric] ?? null;
        const drop = was !== null && now !== null ? was - now : null;
        const regressed = drop !== null ? drop > tolerance + EPS : was !== null;
        checks.push({ detector: b.id, kind, metric, baseline: was, current: now, drop, regressed });
      }
    }
    // A --holdout kind baseline: the unseen-kind AUROCs are checked too (a run without --holdout has none: regressed).
    if (b.unseenKind) {
      const unseen: [string, number | null, number | null][] = [
        ['overall', b.unseenKind.auroc, c?.unseenKind?.auroc ?? null],
        ...Object.keys(b.unseenKind.byKind)
          .sort()
          .map((k): [string, number | null, number | null] => [k, b.unseenKind!.byKind[k]?.auroc ?? null, c?.unseenKind?.byKind[k]?.auroc ?? null]),
      ];
      for (const [kind, was, now] of unseen) {
        const drop = was !== null && now !== null ? was - now : null;
        checks.push({ detector: b.id, kind, metric: 'unseenAuroc', baseline: was, current: now, drop, regressed: drop !== null ? drop > tolerance + EPS : was !== null });
      }
    }
  }
  return { file, tolerance, checks, regressions: checks.filter((x) => x.regressed) };
}

/** One line per regression: `noise-injection × password-lock: auroc 0.910 → 0.700 (−0.210 > 0.05)`. */
export function describeRegression(x: BaselineCheck, tolerance: number): string {
  const f = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));
  const why = x.drop === null ? (x.current === null ? 'missing in this run' : 'n/a in the baseline') : `−${x.drop.toFixed(3)} > ${tolerance}`;
  return `${x.detector} × ${x.kind}: ${x.metric} ${f(x.baseline)} → ${f(x.current)} (${why})`;
}
