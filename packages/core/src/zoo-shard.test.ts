import { describe, expect, it } from 'vitest';
import { parseZooSpec, presetSpec, shardJobs } from './index.js';

describe('shardJobs', () => {
  const { jobs } = parseZooSpec(presetSpec('hard'), 'preset hard');
  const group = (j: (typeof jobs)[number]) => `${j.spec.task.name}|${j.spec.arch.name}|${j.spec.seed}`;

  it('n shards cover every job exactly once, each (task, architecture, seed) group whole in one shard', () => {
    for (const n of [1, 2, 3, 7]) {
      const parts = [...Array(n).keys()].map((k) => shardJobs(jobs, { index: k + 1, count: n }));
      const ids = parts.flatMap((p) => p.map((j) => j.id));
      expect(ids.length).toBe(jobs.length);
      expect(new Set(ids).size).toBe(jobs.length);
      const owner = new Map<string, number>();
      parts.forEach((p, k) =>
        p.forEach((j) => {
          expect(owner.get(group(j)) ?? k, group(j)).toBe(k);
          owner.set(group(j), k);
        }),
      );
    }
  });

  it('does not depend on the order of the jobs (every machine agrees), and 1/1 is everything', () => {
    const reversed = [...jobs].reverse();
    for (const k of [1, 2, 3]) {
      const a = shardJobs(jobs, { index: k, count: 3 })
        .map((j) => j.id)
        .sort();
      const b = shardJobs(reversed, { index: k, count: 3 })
        .map((j) => j.id)
        .sort();
      expect(b).toEqual(a);
    }
    expect(shardJobs(jobs, { index: 1, count: 1 })).toEqual(jobs);
  });
});
