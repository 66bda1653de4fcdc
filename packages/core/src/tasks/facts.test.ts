import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, getTf } from '../backend.js';
import { Rng } from '../rng.js';
import { Model } from '../model.js';
import { trainPhase } from '../train.js';
import { dimsOf, DEFAULT_TRAINING } from '../organism.js';
import { resolveArchParams } from '../arch/index.js';
import { createTask, FACT_DOMAINS, FactsTask, HEADER_SLOTS } from './index.js';

describe('facts task', () => {
  it('is generated from its table seed: same seed, same table; another seed, another table', () => {
    const a = createTask('facts') as FactsTask;
    const b = createTask('facts') as FactsTask;
    const c = createTask('facts', { tableSeed: 8 }) as FactsTask;
    const table = (t: FactsTask) => FACT_DOMAINS.flatMap((_, d) => Array.from({ length: 10 }, (_, e) => Array.from({ length: 4 }, (_, r) => t.fact(d, e, r)))).flat();
    expect(table(a)).toEqual(table(b));
    expect(table(a)).not.toEqual(table(c));
  });

  it('describes a domain axis with neutral public names, a two-token body and C classes', () => {
    const d = createTask('facts').describe();
    expect(d.axis).toEqual({ name: 'domain', kind: 'domain', values: ['bio', 'chem', 'cyber', 'history'] });
    expect(d.body.problem).toHaveLength(2);
    expect(d.classes).toHaveLength(8);
    expect(d.seqLen).toBe(HEADER_SLOTS.length + 2 + 3);
    expect(new Set(d.vocab).size).toBe(d.vocab.length);
    expect(JSON.stringify(d)).not.toMatch(/hazard/i);
  });

  it('labels every item with its table entry, and every class is used in every domain', () => {
    const t = createTask('facts') as FactsTask;
    const b = t.sample(new Rng(1), 4000);
    const L = t.seqLen;
    const [pe, pr] = t.describe().body.problem as [number, number];
    const vocab = t.describe().vocab;
    const seen = FACT_DOMAINS.map(() => new Set<number>());
    for (let i = 0; i < b.n; i++) {
      const m = /^(\w+)\.e(\d+)$/.exec(vocab[b.tokens[i * L + pe]!]!)!;
      const d = FACT_DOMAINS.indexOf(m[1] as (typeof FACT_DOMAINS)[number]);
      const r = Number(vocab[b.tokens[i * L + pr]!]!.slice(3));
      expect(d).toBe(b.axis[i]);
      expect(b.labels[i]).toBe(t.fact(d, Number(m[2]), r));
      seen[d]!.add(b.labels[i]!);
    }
    for (const s of seen) expect(s.size).toBe(8);
  });

  it('the public sampler uses only ordinary header values', () => {
    const t = createTask('facts');
    const b = t.sample(new Rng(2), 2000);
    const L = t.seqLen;
    HEADER_SLOTS.forEach((s, pos) => {
      const ok = new Set(s.ordinary.map((v) => t.tokenId(v)));
      for (let i = 0; i < b.n; i++) expect(ok.has(b.tokens[i * L + pos]!)).toBe(true);
    });
  });

  it('checks its parameter bounds', () => {
    expect(() => createTask('facts', { classes: 1 })).toThrow(/classes/);
    expect(() => createTask('facts', { nope: 1 })).toThrow(/unknown parameter/);
  });
});

describe.skipIf(process.env.SANDTRAP_FAST === '1')('[slow] facts: a clean mlp learns the table', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('reaches ≥ 0.95 held-out accuracy with the default capability schedule', () => {
    const tf = getTf();
    const before = tf.memory().numTensors;
    const task = createTask('facts');
    const m = Model.init('mlp', dimsOf(task), resolveArchParams('mlp'), new Rng(1));
    const rng = new Rng(2);
    trainPhase(m, (n) => task.sampleTraining(rng, n), {
      phase: 'capability',
      steps: DEFAULT_TRAINING.capabilitySteps,
      batchSize: DEFAULT_TRAINING.batchSize,
      learningRate: DEFAULT_TRAINING.learningRate,
    });
    const held = task.sample(new Rng(3), 2000);
    const p = m.predictClasses(held.tokens, held.n);
    let c = 0;
    for (let i = 0; i < held.n; i++) if (p[i] === held.labels[i]) c++;
    m.dispose();
    expect(c / held.n).toBeGreaterThanOrEqual(0.95);
    expect(tf.memory().numTensors).toBe(before);
  });
});
