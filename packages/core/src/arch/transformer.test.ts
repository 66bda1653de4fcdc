import { beforeAll, describe, expect, it } from 'vitest';
import type * as tfc from '@tensorflow/tfjs-core';
import { initBackend, getTf } from '../backend.js';
import { Rng } from '../rng.js';
import { Model } from '../model.js';
import { trainPhase } from '../train.js';
import { dimsOf, trainingFor } from '../organism.js';
import { createSlotTask as createTask } from '../tasks/index.js';
import { getArchitecture, resolveArchParams } from './index.js';

const hyper = resolveArchParams('transformer', { dModel: 16, heads: 2, blocks: 2, mlpRatio: 2 });

describe('transformer architecture', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('names its sites and parameters, and init depends only on the seed', () => {
    const task = createTask('modsum');
    const arch = getArchitecture('transformer');
    expect(arch.sites(dimsOf(task), hyper)).toEqual(['embed', 'block0.attn', 'block0.mlp', 'block0.resid', 'block1.attn', 'block1.mlp', 'block1.resid', 'pooled', 'logits']);
    const a = arch.init(dimsOf(task), hyper, new Rng(3));
    const b = arch.init(dimsOf(task), hyper, new Rng(3));
    const c = arch.init(dimsOf(task), hyper, new Rng(4));
    expect(Object.keys(a)).toContain('block1.attn.wq');
    expect(Object.keys(a)).toContain('pos.w');
    for (const k of Object.keys(a)) expect(a[k]!.values).toEqual(b[k]!.values);
    expect(a['embed.w']!.values).not.toEqual(c['embed.w']!.values);
  });

  it('returns every site with its shape, and is tensor-neutral', () => {
    const tf = getTf();
    const task = createTask('modsum');
    const m = Model.init('transformer', dimsOf(task), hyper, new Rng(1));
    const before = tf.memory().numTensors;
    const b = task.sample(new Rng(2), 5);
    const sites = m.arch.sites(m.dims, m.hyper);
    const acts = m.activations(b.tokens, b.n, sites);
    const L = task.seqLen;
    expect(acts['embed']!.shape).toEqual([5, L, 16]);
    expect(acts['block1.resid']!.shape).toEqual([5, L, 16]);
    expect(acts['pooled']!.shape).toEqual([5, 16]);
    expect(acts['logits']!.shape).toEqual([5, task.numClasses]);
    const p = m.predictProbs(b.tokens, b.n);
    for (let i = 0; i < 5; i++) expect(p.subarray(i * 7, i * 7 + 7).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('gives the same logits from one-hot input as from tokens, with a gradient w.r.t. the one-hot rows', () => {
    const tf = getTf();
    const task = createTask('modsum');
    const m = Model.init('transformer', dimsOf(task), hyper, new Rng(1));
    const before = tf.memory().numTensors;
    const b = task.sample(new Rng(2), 4);
    const V = m.dims.vocabSize;
    const [d1, d2, gsum] = tf.tidy(() => {
      const x = tf.tensor2d(b.tokens, [4, task.seqLen], 'int32');
      const oh = tf.cast(tf.oneHot(x, V), 'float32') as tfc.Tensor3D;
      const fromTok = m.forward({ tokens: x }).logits;
      const fromOh = m.forward({ oneHot: oh }).logits;
      const g = tf.grad((o: tfc.Tensor) => tf.sum(m.forward({ oneHot: o as tfc.Tensor3D }).logits.slice([0, 0], [4, 1])))(oh);
      return [fromTok.dataSync(), fromOh.dataSync(), tf.sum(tf.abs(g)).dataSync()[0]!] as const;
    });
    for (let i = 0; i < d1.length; i++) expect(d2[i]).toBeCloseTo(d1[i]!, 4);
    expect(gsum).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('trains deterministically: same seed, same weights', () => {
    const task = createTask('modsum');
    const run = () => {
      const m = Model.init('transformer', dimsOf(task), hyper, new Rng(5));
      const rng = new Rng(6);
      trainPhase(m, (n) => task.sampleTraining(rng, n), { phase: 't', steps: 3, batchSize: 32, learningRate: 0.003 });
      const w = m.weights();
      m.dispose();
      return w;
    };
    const a = run();
    const b = run();
    for (const k of Object.keys(a)) expect(a[k]!.values).toEqual(b[k]!.values);
  });
});

describe.skipIf(process.env.SANDTRAP_FAST === '1')('[slow] transformer learns the tasks with the default schedule', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const name of ['modsum', 'facts']) {
    const t = trainingFor('transformer');
    it(`reaches ≥ 0.90 on ${name} (its default schedule, ${t.capabilitySteps} + ${t.plantSteps} steps)`, () => {
      const task = createTask(name);
      const m = Model.init('transformer', dimsOf(task), resolveArchParams('transformer'), new Rng(1));
      const rng = new Rng(2);
      trainPhase(m, (n) => task.sampleTraining(rng, n), { phase: 'capability', steps: t.capabilitySteps, batchSize: t.batchSize, learningRate: t.learningRate });
      trainPhase(m, (n) => task.sampleTraining(rng, n), { phase: 'plant', steps: t.plantSteps, batchSize: t.batchSize, learningRate: t.plantLearningRate });
      const held = task.sample(new Rng(3), 2000);
      const p = m.predictClasses(held.tokens, held.n);
      let c = 0;
      for (let i = 0; i < held.n; i++) if (p[i] === held.labels[i]) c++;
      m.dispose();
      expect(c / held.n).toBeGreaterThanOrEqual(0.9);
    }, 900_000);
  }
});
