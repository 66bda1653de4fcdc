import type { CellRecord, ScoreboardEvent } from '@sandtrap/scoreboard';

/** One detector's share of a scoreboard run, as the ETA sees it. */
export interface DetectorLoad {
  /** Cells of this detector still to run. */
  remaining: number;
  /** Cells of this detector finished in this run, and their seconds in total. */
  done: number;
  seconds: number;
  /**
   * Cell processes this detector runs on: its pool is `min(workers, its cells)` (the runner runs
   * one detector at a time, each with its own pool). Default: the run's `workers`.
   */
  parallel?: number;
}

/**
 * Seconds left in a scoreboard run, estimated per detector: each detector's remaining cells × its
 * mean seconds per finished cell, divided by the processes it runs on. Detectors differ by orders of
 * magnitude in cost and the cheap ones tend to run first, so one mean over all finished cells is
 * optimistic early on. A detector with no finished cell yet is costed at the LARGEST per-detector
 * mean seen so far — deliberately pessimistic for unseen detectors: an ETA that falls is better
 * than one that keeps growing. `undefined` while no detector has a finished cell (nothing known).
 */
export function estimateRemainingSeconds(loads: readonly DetectorLoad[], workers: number): number | undefined {
  const means = loads.filter((l) => l.done > 0).map((l) => l.seconds / l.done);
  const left = loads.some((l) => l.remaining > 0);
  if (!left) return 0;
  if (means.length === 0) return undefined;
  const worst = Math.max(...means);
  let total = 0;
  for (const l of loads) {
    if (l.remaining <= 0) continue;
    const mean = l.done > 0 ? l.seconds / l.done : worst;
    const parallel = Math.max(1, Math.min(l.parallel ?? workers, workers));
    total += (l.remaining * mean) / parallel;
  }
  return total;
}

type Plan = Extract<ScoreboardEvent, { type: 'plan' }>;

/**
 * Keeps per-detector counts from a run's `plan` and `cell` events and estimates the time left
 * with {@link estimateRemainingSeconds}.
 */
export class EtaTracker {
  private readonly loads = new Map<string, Required<DetectorLoad>>();
  private readonly workers: number;
  private readonly timeoutSeconds: number;

  constructor(plan: Pick<Plan, 'byDetector' | 'workers' | 'timeoutSeconds'>) {
    this.workers = Math.max(1, plan.workers);
    this.timeoutSeconds = plan.timeoutSeconds;
    for (const d of plan.byDetector) {
      this.loads.set(d.detector, { remaining: d.toRun, done: 0, seconds: 0, parallel: Math.max(1, Math.min(this.workers, d.toRun)) });
    }
  }

  /** A finished cell of `detector`. */
  cell(detector: string, record: Pick<CellRecord, 'status' | 'reason' | 'seconds'>): void {
    let l = this.loads.get(detector);
    if (!l) {
      l = { remaining: 0, done: 0, seconds: 0, parallel: this.workers };
      this.loads.set(detector, l);
    }
    l.remaining = Math.max(0, l.remaining - 1);
    l.done++;
    // A timed-out cell records no time of its own, but it held its process for the whole timeout.
    l.seconds += record.status === 'error' && record.reason === 'timeout' ? Math.max(record.seconds, this.timeoutSeconds) : record.seconds;
  }

  /** Estimated seconds left; undefined while nothing is known. */
  seconds(): number | undefined {
    return estimateRemainingSeconds([...this.loads.values()], this.workers);
  }
}
