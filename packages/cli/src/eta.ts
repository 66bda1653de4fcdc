import type { ScoreboardEvent } from '@sandtrap/scoreboard';

/** One detector's share of a scoreboard run, as the ETA sees it. */
export interface DetectorLoad {
  /** Cells of this detector still to run. */
  remaining: number;
  /** Cells of this detector finished in this run. */
  done: number;
  /**
   * Wall-clock seconds until this detector's first cell finished (since the previous detector's
   * last): its fixed cost — worker start-up, `configure()` — as much as the cell itself.
   */
  startup: number;
  /**
   * Wall-clock seconds of its later cells: for each, the time since the previous finished cell of
   * the run. It includes what a cell's own `seconds` leave out (loading the organism, a timeout's
   * wait) and, since cells run in parallel, it is already per process pool.
   */
  seconds: number;
}

export interface Remaining {
  /** Estimated seconds left. */
  seconds: number;
  /** Detectors with cells left and none finished yet: their cost is a guess (see below). */
  unseen: number;
}

/** Wall seconds per cell once running: the later cells' mean, or the first cell's time alone. */
const perCell = (l: DetectorLoad) => (l.done > 1 ? l.seconds / (l.done - 1) : l.startup);

/**
 * Time left in a scoreboard run, per detector: its remaining cells × its wall-clock seconds per
 * cell. Detectors differ by orders of magnitude in cost and the cheap ones tend to run first, so
 * one mean over all finished cells is optimistic early on. A detector with no finished cell yet is
 * costed at the largest start-up and the largest per-cell time seen so far, and counted in
 * `unseen` so the display can say the estimate is a guess. `undefined` while no cell has finished.
 */
export function estimateRemaining(loads: readonly DetectorLoad[]): Remaining | undefined {
  const left = loads.filter((l) => l.remaining > 0);
  if (left.length === 0) return { seconds: 0, unseen: 0 };
  const seen = loads.filter((l) => l.done > 0);
  if (seen.length === 0) return undefined;
  const worstCell = Math.max(...seen.map(perCell));
  const worstStartup = Math.max(...seen.map((l) => l.startup));
  let seconds = 0;
  let unseen = 0;
  for (const l of left) {
    if (l.done > 0) {
      seconds += l.remaining * perCell(l);
    } else {
      unseen++;
      seconds += worstStartup + (l.remaining - 1) * worstCell;
    }
  }
  return { seconds, unseen };
}

type Plan = Extract<ScoreboardEvent, { type: 'plan' }>;

/**
 * Keeps per-detector counts and wall-clock time from a run's `plan` and `cell` events and
 * estimates the time left with {@link estimateRemaining}. `now()` (seconds) is injectable for tests.
 */
export class EtaTracker {
  private readonly loads = new Map<string, DetectorLoad>();
  private last: number;

  constructor(
    plan: Pick<Plan, 'byDetector'>,
    private readonly now: () => number = () => performance.now() / 1000,
  ) {
    this.last = now();
    for (const d of plan.byDetector) this.loads.set(d.detector, { remaining: d.toRun, done: 0, startup: 0, seconds: 0 });
  }

  /** A finished cell of `detector`: it gets the wall time since the previous finished cell of the run. */
  cell(detector: string): void {
    let l = this.loads.get(detector);
    if (!l) {
      l = { remaining: 0, done: 0, startup: 0, seconds: 0 };
      this.loads.set(detector, l);
    }
    const t = this.now();
    const dt = Math.max(0, t - this.last);
    l.remaining = Math.max(0, l.remaining - 1);
    if (l.done === 0) l.startup = dt;
    else l.seconds += dt;
    l.done++;
    this.last = t;
  }

  /** The estimate; undefined while no cell has finished. */
  remaining(): Remaining | undefined {
    return estimateRemaining([...this.loads.values()]);
  }
}
