import type { ScoreboardEvent } from '@sandtrap/scoreboard';

/** One detector's share of a scoreboard run, as the ETA sees it. */
export interface DetectorLoad {
  /** Cells of this detector still to run. */
  remaining: number;
  /** Cells of this detector finished in this run. */
  done: number;
  /**
   * Seconds its finished cells took in their worker (each record's `seconds`: the detector's own
   * compute, measured where it ran). Wall-clock gaps between finished cells are no measure once
   * detectors overlap on the shared worker slots: a gap holds other detectors' cells and configure().
   */
  seconds: number;
}

export interface Remaining {
  /** Estimated seconds left. */
  seconds: number;
  /** Detectors with cells left and none finished yet: their cost is a guess (see below). */
  unseen: number;
}

/**
 * Time left in a scoreboard run: per detector, its remaining cells × its mean seconds per cell, all
 * of it spread over the `workers` slots the detectors share. Detectors differ by orders of
 * magnitude in cost and the cheap ones tend to run first, so one mean over all finished cells is
 * optimistic early on: a detector with no finished cell yet is costed at the largest mean seen so
 * far, and counted in `unseen` so the display can say the estimate is a guess. `undefined` while no
 * cell has finished. (A configure() not yet run is not in it: it is part of the guess.)
 */
export function estimateRemaining(loads: readonly DetectorLoad[], workers: number): Remaining | undefined {
  const left = loads.filter((l) => l.remaining > 0);
  if (left.length === 0) return { seconds: 0, unseen: 0 };
  const seen = loads.filter((l) => l.done > 0);
  if (seen.length === 0) return undefined;
  const mean = (l: DetectorLoad) => l.seconds / l.done;
  const worst = Math.max(...seen.map(mean));
  let seconds = 0;
  let unseen = 0;
  for (const l of left) {
    if (l.done > 0) {
      seconds += l.remaining * mean(l);
    } else {
      unseen++;
      seconds += l.remaining * worst;
    }
  }
  return { seconds: seconds / Math.max(1, workers), unseen };
}

type Plan = Extract<ScoreboardEvent, { type: 'plan' }>;

/** Keeps per-detector counts and cell seconds from a run's `plan` and `cell` events and estimates the time left with {@link estimateRemaining}. */
export class EtaTracker {
  private readonly loads = new Map<string, DetectorLoad>();

  constructor(
    plan: Pick<Plan, 'byDetector'>,
    private readonly workers: number,
  ) {
    for (const d of plan.byDetector) this.loads.set(d.detector, { remaining: d.toRun, done: 0, seconds: 0 });
  }

  /** `n` more cells of `detector` to run (leave-one-kind-out adds them as its states are known). */
  add(detector: string, n: number): void {
    const l = this.loads.get(detector);
    if (l) l.remaining += n;
    else this.loads.set(detector, { remaining: n, done: 0, seconds: 0 });
  }

  /** A finished cell of `detector` that took `seconds` in its worker. */
  cell(detector: string, seconds: number): void {
    let l = this.loads.get(detector);
    if (!l) {
      l = { remaining: 0, done: 0, seconds: 0 };
      this.loads.set(detector, l);
    }
    l.remaining = Math.max(0, l.remaining - 1);
    l.seconds += Math.max(0, seconds);
    l.done++;
  }

  /** The estimate; undefined while no cell has finished. */
  remaining(): Remaining | undefined {
    return estimateRemaining([...this.loads.values()], this.workers);
  }
}
