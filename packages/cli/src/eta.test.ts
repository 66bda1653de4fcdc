import { describe, expect, it } from 'vitest';
import { EtaTracker, estimateRemainingSeconds } from './eta.js';

describe('estimateRemainingSeconds', () => {
  it('each detector: its remaining cells × its own mean seconds, over the workers', () => {
    // a: 2 s/cell, 4 left; b: 10 s/cell, 3 left; 2 workers → (8 + 30) / 2.
    const loads = [
      { remaining: 4, done: 2, seconds: 4 },
      { remaining: 3, done: 1, seconds: 10 },
    ];
    expect(estimateRemainingSeconds(loads, 2)).toBe(19);
  });

  it('a detector with no finished cell is costed at the largest mean seen (pessimistic), not the overall mean', () => {
    // Cheap a (1 s) ran 9 cells, b (5 s) ran 1; c has not started: 10 cells at 5 s, not at the 1.4 s mean.
    const loads = [
      { remaining: 0, done: 9, seconds: 9 },
      { remaining: 0, done: 1, seconds: 5 },
      { remaining: 10, done: 0, seconds: 0 },
    ];
    expect(estimateRemainingSeconds(loads, 1)).toBe(50);
    // The naive estimate would be 10 × 14/10 = 14 s.
  });

  it('a detector runs on at most its own cells: parallel caps the workers', () => {
    expect(estimateRemainingSeconds([{ remaining: 2, done: 1, seconds: 6, parallel: 2 }], 8)).toBe(6);
    expect(estimateRemainingSeconds([{ remaining: 2, done: 1, seconds: 6, parallel: 16 }], 4)).toBe(3);
    expect(estimateRemainingSeconds([{ remaining: 2, done: 1, seconds: 6, parallel: 0 }], 4)).toBe(12);
  });

  it('nothing left → 0; nothing finished yet → unknown', () => {
    expect(estimateRemainingSeconds([{ remaining: 0, done: 3, seconds: 3 }], 2)).toBe(0);
    expect(estimateRemainingSeconds([], 2)).toBe(0);
    expect(estimateRemainingSeconds([{ remaining: 5, done: 0, seconds: 0 }], 2)).toBeUndefined();
  });
});

describe('EtaTracker', () => {
  const plan = { workers: 2, timeoutSeconds: 60, byDetector: [{ detector: 'cheap', toRun: 4 }, { detector: 'dear', toRun: 4 }, { detector: 'none', toRun: 0 }] };

  it('follows the cells of a run, detector by detector', () => {
    const eta = new EtaTracker(plan);
    expect(eta.seconds()).toBeUndefined();
    eta.cell('cheap', { status: 'ok', seconds: 1 });
    eta.cell('cheap', { status: 'ok', seconds: 3 });
    // cheap: 2 left × 2 s; dear unseen: 4 × 2 s (the largest mean so far); over 2 workers.
    expect(eta.seconds()).toBe((2 * 2 + 4 * 2) / 2);
    eta.cell('cheap', { status: 'ok', seconds: 2 });
    eta.cell('cheap', { status: 'ok', seconds: 2 });
    eta.cell('dear', { status: 'ok', seconds: 20 });
    expect(eta.seconds()).toBe((3 * 20) / 2);
    for (let i = 0; i < 3; i++) eta.cell('dear', { status: 'ok', seconds: 20 });
    expect(eta.seconds()).toBe(0);
  });

  it('a timed-out cell costs the timeout (it records no time of its own); other errors their seconds', () => {
    const eta = new EtaTracker({ workers: 1, timeoutSeconds: 60, byDetector: [{ detector: 'd', toRun: 3 }] });
    eta.cell('d', { status: 'error', reason: 'timeout', seconds: 0 });
    expect(eta.seconds()).toBe(2 * 60);
    eta.cell('d', { status: 'error', reason: 'threw', seconds: 0 });
    expect(eta.seconds()).toBe(30);
  });

  it('a detector with one cell to run uses one process however many workers there are', () => {
    const eta = new EtaTracker({ workers: 8, timeoutSeconds: 60, byDetector: [{ detector: 'a', toRun: 8 }, { detector: 'b', toRun: 1 }] });
    for (let i = 0; i < 8; i++) eta.cell('a', { status: 'ok', seconds: 4 });
    expect(eta.seconds()).toBe(4);
  });
});
