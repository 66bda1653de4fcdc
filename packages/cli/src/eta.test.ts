import { describe, expect, it } from 'vitest';
import { EtaTracker, estimateRemaining } from './eta.js';

describe('estimateRemaining', () => {
  it('each detector: its remaining cells × its wall seconds per cell after the first', () => {
    // a: first cell 7 s (start-up), then 2 s/cell, 4 left; b: one cell of 10 s so far, 3 left.
    const loads = [
      { remaining: 4, done: 3, startup: 7, seconds: 4 },
      { remaining: 3, done: 1, startup: 10, seconds: 0 },
    ];
    expect(estimateRemaining(loads)).toEqual({ seconds: 4 * 2 + 3 * 10, unseen: 0 });
  });

  it('a detector with no finished cell: the largest start-up and per-cell time seen, and counted as unseen', () => {
    // a: 1 s/cell after a 3 s start; b: 5 s/cell after a 20 s start; c not started, 10 cells.
    const loads = [
      { remaining: 0, done: 9, startup: 3, seconds: 8 },
      { remaining: 0, done: 3, startup: 20, seconds: 10 },
      { remaining: 10, done: 0, startup: 0, seconds: 0 },
    ];
    expect(estimateRemaining(loads)).toEqual({ seconds: 20 + 9 * 5, unseen: 1 });
  });

  it('nothing left → 0; nothing finished yet → unknown', () => {
    expect(estimateRemaining([{ remaining: 0, done: 3, startup: 1, seconds: 3 }])).toEqual({ seconds: 0, unseen: 0 });
    expect(estimateRemaining([])).toEqual({ seconds: 0, unseen: 0 });
    expect(estimateRemaining([{ remaining: 5, done: 0, startup: 0, seconds: 0 }])).toBeUndefined();
  });
});

describe('EtaTracker', () => {
  const plan = {
    byDetector: [
      { detector: 'cheap', toRun: 4 },
      { detector: 'dear', toRun: 4 },
      { detector: 'none', toRun: 0 },
    ],
  };

  it('attributes the wall time between finished cells to the detector of the later one', () => {
    let t = 100;
    const eta = new EtaTracker(plan, () => t);
    expect(eta.remaining()).toBeUndefined();
    t += 5; // the first cell waited for the pool to start
    eta.cell('cheap');
    t += 1;
    eta.cell('cheap');
    // cheap: 2 left × 1 s; dear unseen: a 5 s start-up and 3 more cells × 1 s.
    expect(eta.remaining()).toEqual({ seconds: 2 * 1 + 5 + 3 * 1, unseen: 1 });
    t += 1;
    eta.cell('cheap');
    t += 1;
    eta.cell('cheap');
    // dear's first cell waited for its configure() and workers: that is dear's start-up.
    t += 30;
    eta.cell('dear');
    expect(eta.remaining()).toEqual({ seconds: 3 * 30, unseen: 0 });
    t += 4;
    eta.cell('dear');
    expect(eta.remaining()).toEqual({ seconds: 2 * 4, unseen: 0 });
    t += 4;
    eta.cell('dear');
    t += 4;
    eta.cell('dear');
    expect(eta.remaining()).toEqual({ seconds: 0, unseen: 0 });
  });

  it('a cell of a detector the plan did not list is counted, not lost', () => {
    let t = 0;
    const eta = new EtaTracker({ byDetector: [{ detector: 'a', toRun: 2 }] }, () => t);
    t = 4;
    eta.cell('b');
    expect(eta.remaining()).toEqual({ seconds: 4 + 1 * 4, unseen: 1 });
  });
});
