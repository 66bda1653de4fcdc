import { DEFAULT_BUDGET, getTf, initBackend, Rng } from '@sandtrap/core';
import type { DetectorContext, DetectorRng } from '@sandtrap/detector-api';
import { describe, expect, it } from 'vitest';
import { fakeContext } from './index.js';

const draws = (rng: DetectorRng) => [rng.float(), rng.int(1000), rng.normal(), rng.normal(), rng.float()];

describe('fakeContext', () => {
  it('seeds ctx.rng: the same seed gives the same draws (core’s Rng with that seed), another seed others', () => {
    const a = draws(fakeContext({ seed: 42 }).rng);
    expect(draws(fakeContext({ seed: 42 }).rng)).toEqual(a);
    expect(draws(new Rng(42))).toEqual(a);
    expect(draws(fakeContext({ seed: 43 }).rng)).not.toEqual(a);
    // Seed 0 by default.
    expect(draws(fakeContext().rng)).toEqual(draws(fakeContext({ seed: 0 }).rng));
    const f = fakeContext({ seed: 1 }).rng.float();
    expect(f >= 0 && f < 1).toBe(true);
  });

  it('budget: core’s DEFAULT_BUDGET unless given, each limit on its own; nothing is metered', () => {
    const d = fakeContext().budget;
    expect({ queries: d.queries, finetuneSteps: d.finetuneSteps, wallSeconds: d.wallSeconds }).toEqual(DEFAULT_BUDGET);
    const b = fakeContext({ budget: { queries: 100, wallSeconds: Infinity } }).budget;
    expect({ queries: b.queries, finetuneSteps: b.finetuneSteps, wallSeconds: b.wallSeconds }).toEqual({
      queries: 100,
      finetuneSteps: DEFAULT_BUDGET.finetuneSteps,
      wallSeconds: Infinity,
    });
    expect(b.used()).toEqual({ queries: 0, finetuneSteps: 0, wallSeconds: 0 });
  });

  it('options, log and signal: as given, else {}, a no-op and a signal that never aborts', () => {
    const plain = fakeContext();
    expect(plain.options).toEqual({});
    expect(() => plain.log('dropped')).not.toThrow();
    expect(plain.signal.aborted).toBe(false);
    const lines: string[] = [];
    const controller = new AbortController();
    const ctx: DetectorContext<{ n: number }> = fakeContext({ options: { n: 3 }, log: (m) => void lines.push(m), signal: controller.signal });
    expect(ctx.options).toEqual({ n: 3 });
    ctx.log('hello');
    expect(lines).toEqual(['hello']);
    controller.abort();
    expect(ctx.signal.aborted).toBe(true);
  });

  it('tf: as given, else core’s engine, looked up when read (no backend needed until then)', async () => {
    const tf = {} as DetectorContext['tf'];
    expect(fakeContext({ tf }).tf).toBe(tf);
    const ctx = fakeContext();
    expect(() => ctx.tf).toThrow(/no backend initialised/);
    await initBackend('cpu');
    expect(ctx.tf).toBe(getTf());
  });
});
