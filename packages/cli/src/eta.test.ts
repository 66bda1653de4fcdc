import { describe, expect, it } from 'vitest';
import { EtaTracker, estimateRemaining } from './eta.js';

describe('estimateRemaining', () => {
  it('each detector: its remaining cells × its mean seconds per cell, spread over the workers', () => {
    // a: 3 cells in 6 s (2 s each), 4 left; b: one cell of 10 s, 3 left; 2 workers.
    const loads = [
      { remaining: 4, done: 3, seconds: 6 },
      { remaining: 3, done: 1, seconds: 10 },
    ];
    expect(estimateRemaining(loads, 2)).toEqual({ seconds: (4 * 2 + 3 * 10) / 2, unseen: 0 });
    expect(estimateRemaining(loads, 1)).toEqual({ seconds: 4 * 2 + 3 * 10, unseen: 0 });
  });

  it('a detector with no finished cell: the largest mean seen, and counted as unseen', () => {
    // a: 1 s/cell; b: 5 s/cell; c not started, 10 cells.
    const loads = [
      { remaining: 0, done: 9, seconds: 9 },
      { remaining: 0, done: 3, seconds: 15 },
      { remaining: 10, done: 0, seconds: 0 },
    ];
    expect(estimateRemaining(loads, 1)).toEqual({ seconds: 10 * 5, unseen: 1 });
  });

  it('nothing left → 0; nothing finished yet → unknown', () => {
    expect(estimateRemaining([{ remaining: 0, done: 3, seconds: 3 }], 2)).toEqual({ seconds: 0, unseen: 0 });
    expect(estimateRemaining([], 2)).toEqual({ seconds: 0, unseen: 0 });
    expect(estimateRemaining([{ remaining: 5, done: 0, seconds: 0 }], 2)).toBeUndefined();
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

  it("charges each detector its cells' own seconds, however the detectors interleave", () => {
    const eta = new EtaTracker(plan, 2);
    expect(eta.remaining()).toBeUndefined();
    eta.cell('cheap', 1);
    eta.cell('cheap', 1);
    // cheap: 2 left × 1 s; dear unseen: 4 cells at the worst mean (1 s); over 2 workers.
    expect(eta.remaining()).toEqual({ seconds: (2 * 1 + 4 * 1) / 2, unseen: 1 });
    eta.cell('dear', 30);
    eta.cell('cheap', 1);
    expect(eta.remaining()).toEqual({ seconds: (1 * 1 + 3 * 30) / 2, unseen: 0 });
    eta.cell('dear', 10);
    expect(eta.remaining()).toEqual({ seconds: (1 * 1 + 2 * 20) / 2, unseen: 0 });
    eta.cell('cheap', 1);
    eta.cell('dear', 20);
    eta.cell('dear', 20);
    expect(eta.remaining()).toEqual({ seconds: 0, unseen: 0 });
  });

  it('a cell of a detector the plan did not list is counted, not lost', () => {
    const eta = new EtaTracker({ byDetector: [{ detector: 'a', toRun: 2 }] }, 1);
    eta.cell('b', 4);
    expect(eta.remaining()).toEqual({ seconds: 2 * 4, unseen: 1 });
  });
});
