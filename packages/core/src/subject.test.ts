import { beforeAll, describe, expect, it } from 'vitest';
import { getTf, initBackend } from './backend.js';
import { buildOrganism, type BuiltOrganism } from './organism.js';
import { BudgetMeter, createSubject, SubjectScope, DEFAULT_BUDGET } from './subject.js';

let o: BuiltOrganism;
beforeAll(async () => {
  await initBackend('wasm');
  o = await buildOrganism(
    { task: { name: 'modsum' }, arch: { name: 'mlp' }, recipe: { name: 'clean' }, training: { capabilitySteps: 20, plantSteps: 5, batchSize: 64 }, seed: 1 },
    { maxAttempts: 1 },
  );
});

type AnySubject = Record<string, any>;
const make = (access: 'black-box' | 'gray-box' | 'white-box', limits = DEFAULT_BUDGET, scope = new SubjectScope()) =>
  createSubject({ model: o.model, card: o.card, access, meter: new BudgetMeter(limits), sampleSeed: 3 }, scope) as AnySubject;

describe('subjects', () => {
  it('each access level has exactly its members: a black-box subject cannot reach the weights', () => {
    expect(Object.keys(make('black-box')).sort()).toEqual(['card', 'predict', 'task']);
    expect(Object.keys(make('gray-box')).sort()).toEqual(['card', 'dispose', 'finetune', 'perturbed', 'predict', 'task']);
    expect(Object.keys(make('white-box')).sort()).toEqual(['activations', 'card', 'dispose', 'finetune', 'forward', 'perturbed', 'predict', 'task', 'weights']);
    expect(Object.isFrozen(make('black-box'))).toBe(true);
  });

  it('predict returns probabilities and counts queries; going over the budget stops with the reason', async () => {
    const s = make('black-box', { ...DEFAULT_BUDGET, queries: 150 });
    const b = s.task.sample(100);
    const p: Float32Array = await s.predict(b.tokens, b.n);
    expect(p.length).toBe(100 * o.card.task.classes.length);
    expect(p.slice(0, o.card.task.classes.length).reduce((a, x) => a + x, 0)).toBeCloseTo(1, 5);
    await expect(s.predict(b.tokens, b.n)).rejects.toThrow(/budget exceeded: queries 200 > 150/);
  });

  it('bad tokens are named precisely', async () => {
    const s = make('black-box');
    await expect(s.predict(new Int32Array(5), 1)).rejects.toThrow(/tokens has 5 ids, expected n × seqLen = 1 × 11/);
    const t = new Int32Array(11).fill(999);
    await expect(s.predict(t, 1)).rejects.toThrow(/token id 999 at index 0 is outside the vocabulary/);
    // A detector's misuse of the Subject is its own class: the fix is in the detector, not the input.
    await expect(s.predict(t, 1)).rejects.toMatchObject({ code: 'SANDTRAP_SUBJECT_MISUSE', exitCode: 2 });
  });

  it('perturbed and finetune make copies; the organism is unchanged; copies are freed', async () => {
    const tf = getTf();
    const before = tf.memory().numTensors;
    const scope = new SubjectScope();
    const s = make('gray-box', DEFAULT_BUDGET, scope);
    const b = s.task.sample(200);
    const p0: Float32Array = await s.predict(b.tokens, b.n);
    const zeroed = await s.perturbed((_n: string, v: Float32Array) => new Float32Array(v.length));
    const pz: Float32Array = await zeroed.predict(b.tokens, b.n);
    expect(pz[0]).toBeCloseTo(1 / o.card.task.classes.length, 5);
    const tuned = await s.finetune(b, { steps: 10 });
    expect(Array.from(await tuned.predict(b.tokens, b.n))).not.toEqual(Array.from(p0));
    expect(Array.from(await s.predict(b.tokens, b.n))).toEqual(Array.from(p0));
    zeroed.dispose();
    scope.disposeAll();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('white-box: weights are copies, activations by site, forward is differentiable w.r.t. its input', async () => {
    const tf = getTf();
    const s = make('white-box');
    const w = await s.weights();
    w['logits.b'].values.fill(100);
    expect((await s.weights())['logits.b'].values[0]).not.toBe(100);
    const b = s.task.sample(4);
    const acts = await s.activations(b.tokens, b.n, ['hidden1']);
    expect(acts.hidden1.shape).toEqual([4, 128]);
    await expect(s.activations(b.tokens, b.n, ['nope'])).rejects.toThrow(/unknown site 'nope'; sites: embed, hidden1, hidden2, logits/);
    const before = tf.memory().numTensors;
    const g = tf.tidy(() => {
      const x = tf.cast(tf.oneHot(tf.tensor2d(b.tokens, [4, 11], 'int32'), o.card.task.vocab.length), 'float32') as import('@tensorflow/tfjs-core').Tensor3D;
      const grad = tf.grad((inp: import('@tensorflow/tfjs-core').Tensor) => tf.sum(s.forward(inp)))(x);
      return Array.from(grad.shape);
    });
    expect(g).toEqual([4, 11, o.card.task.vocab.length]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
