import { beforeAll, describe, expect, it } from 'vitest';
import type * as tfc from '@tensorflow/tfjs-core';
import { resolveArchParams } from './arch/index.js';
import { embedInput, gatherRows } from './arch/types.js';
import { getTf, initBackend } from './backend.js';
import { Model } from './model.js';
import { Rng } from './rng.js';
import { registerWasmUnsortedSegmentSum } from './segment-sum.js';
import { trainPhase, type TrainBatch } from './train.js';

type Tf = typeof tfc;

function randn(rng: Rng, n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  return v;
}

/** An independent reference: per segment, add the rows with that id in index order (float32 rounding each add). */
function naive(x: Float32Array, ids: Int32Array, inner: number, numSegments: number): Float32Array {
  const out = new Float32Array(numSegments * inner);
  for (let s = 0; s < numSegments; s++) {
    for (let j = 0; j < inner; j++) {
      let acc = 0;
      for (let i = 0; i < ids.length; i++) if (ids[i] === s) acc = Math.fround(acc + x[i * inner + j]!);
      out[s * inner + j] = acc;
    }
  }
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

describe('wasm UnsortedSegmentSum and the gather embedding', () => {
  let tf: Tf;
  beforeAll(async () => {
    await initBackend('wasm');
    tf = getTf();
  });

  it('is registered on wasm, and registering again is a no-op', () => {
    const k = tf.getKernel('UnsortedSegmentSum', 'wasm');
    expect(k).toBeDefined();
    registerWasmUnsortedSegmentSum(tf);
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBe(k);
  });

  it('forward equals a plain JS reference bit for bit and the cpu backend to float32 tolerance (repeated ids, empty segments, rank 1–3)', () => {
    const rng = new Rng(11);
    // The cpu backend's makeTensorInfo is not on the KernelBackend type.
    const cpu = tf.findBackend('cpu') as unknown as tfc.KernelBackend & {
      makeTensorInfo(shape: number[], dtype: tfc.DataType, values: tfc.backend_util.BackendValues): tfc.TensorInfo;
    };
    const cpuKernel = tf.getKernel('UnsortedSegmentSum', 'cpu');
    const cases: Array<{ rows: number; inner: number[]; numSegments: number }> = [
      { rows: 1, inner: [], numSegments: 1 },
      { rows: 37, inner: [], numSegments: 5 },
      { rows: 200, inner: [8], numSegments: 13 }, // many repeats
      { rows: 64, inner: [3, 4], numSegments: 100 }, // most segments empty
      { rows: 512, inner: [16], numSegments: 1024 },
    ];
    const before = tf.memory().numTensors;
    for (const c of cases) {
      const inner = c.inner.reduce((a, b) => a * b, 1);
      const x = randn(rng, c.rows * inner);
      const ids = Int32Array.from({ length: c.rows }, () => rng.int(c.numSegments));
      ids[0] = c.numSegments - 1; // the edges of the valid range
      if (c.rows > 1) ids[c.rows - 1] = 0;
      const got = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor(x, [c.rows, ...c.inner]), tf.tensor1d(ids, 'int32'), c.numSegments).dataSync() as Float32Array);
      expect(Array.from(got)).toEqual(Array.from(naive(x, ids, inner, c.numSegments)));
      // The cpu backend's own kernel, called on cpu-side data (the engine stays on wasm).
      const xi = cpu.makeTensorInfo([c.rows, ...c.inner], 'float32', x);
      const ii = cpu.makeTensorInfo([c.rows], 'int32', ids);
      const oi = cpuKernel.kernelFunc({ inputs: { x: xi, segmentIds: ii }, backend: cpu, attrs: { numSegments: c.numSegments } }) as tfc.TensorInfo;
      const ref = cpu.readSync(oi.dataId) as Float32Array;
      for (const t of [xi, ii, oi]) cpu.disposeData(t.dataId);
      expect(maxAbsDiff(got, ref)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(ref)));
    }
    // int32 x.
    const xi32 = Int32Array.from({ length: 24 }, (_, i) => i - 7);
    const got = tf.tidy(() => Array.from(tf.unsortedSegmentSum(tf.tensor2d(xi32, [6, 4], 'int32'), tf.tensor1d([2, 0, 2, 1, 2, 0], 'int32'), 4).dataSync()));
    const want = new Array<number>(16).fill(0);
    [2, 0, 2, 1, 2, 0].forEach((s, i) => {
      for (let j = 0; j < 4; j++) want[s * 4 + j] = want[s * 4 + j]! + xi32[i * 4 + j]!;
    });
    expect(got).toEqual(want);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gather embedding: same forward values as one-hot · matMul, gradients equal to float32 tolerance', () => {
    const dims = { vocabSize: 1024, seqLen: 6, classes: 4 };
    const B = 48;
    const before = tf.memory().numTensors;
    const run = (hyper: Record<string, number>) =>
      tf.tidy(() => {
        const r = new Rng(9);
        const table = tf.tensor2d(randn(r, dims.vocabSize * 8), [dims.vocabSize, 8]);
        const ids = Int32Array.from({ length: B * dims.seqLen }, () => r.int(40)); // few distinct ids: many repeats
        const tokens = tf.tensor2d(ids, [B, dims.seqLen], 'int32');
        const probe = tf.tensor3d(randn(r, B * dims.seqLen * 8), [B, dims.seqLen, 8]);
        const f = (w: tfc.Tensor) => tf.sum<tfc.Scalar>(tf.mul(tf.tanh(embedInput(tf, { tokens }, w, dims, hyper)), probe));
        const emb = embedInput(tf, { tokens }, table, dims, hyper).dataSync() as Float32Array;
        const { value, grad } = tf.valueAndGrad(f)(table);
        return { emb, value: value.dataSync()[0]!, grad: grad.dataSync() as Float32Array };
      });
    const oh = run({});
    const ga = run({ embedGather: 1 });
    expect(Array.from(ga.emb)).toEqual(Array.from(oh.emb));
    expect(ga.value).toBe(oh.value);
    expect(maxAbsDiff(ga.grad, oh.grad)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(oh.grad)));
    expect(maxAbs(oh.grad)).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('transformer with embedGather: 1 gives the same logits as by one-hot, and gradients to float32 tolerance', () => {
    const dims = { vocabSize: 300, seqLen: 5, classes: 3 };
    const hyper = resolveArchParams('transformer', {});
    const before = tf.memory().numTensors;
    const run = (extra: Record<string, number>) => {
      const model = Model.init('transformer', dims, { ...hyper, ...extra }, new Rng(4));
      try {
        return tf.tidy(() => {
          const r = new Rng(6);
          const tokens = tf.tensor2d(
            Int32Array.from({ length: 16 * dims.seqLen }, () => r.int(dims.vocabSize)),
            [16, dims.seqLen],
            'int32',
          );
          const names = Object.keys(model.params).sort();
          const f = () => tf.sum<tfc.Scalar>(tf.square(model.arch.forward(tf, model.params, { tokens }, dims, { ...hyper, ...extra }).logits));
          const { value, grads } = tf.variableGrads(
            f,
            names.map((k) => model.params[k]!),
          );
          return { value: value.dataSync()[0]!, grads: names.map((k) => grads[model.params[k]!.name]!.dataSync() as Float32Array) };
        });
      } finally {
        model.dispose();
      }
    };
    const oh = run({});
    const ga = run({ embedGather: 1 });
    expect(ga.value).toBe(oh.value);
    for (let k = 0; k < oh.grads.length; k++) expect(maxAbsDiff(ga.grads[k]!, oh.grads[k]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(oh.grads[k]!)));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the oneHot ForwardInput still takes the one-hot product when the spec asks for gather', () => {
    const dims = { vocabSize: 16, seqLen: 3, classes: 2 };
    const r = new Rng(3);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const table = tf.tensor2d(randn(r, 16 * 4), [16, 4]);
      const ids = tf.tensor2d(Int32Array.from([1, 5, 5, 15, 0, 2]), [2, 3], 'int32');
      const oneHot = tf.cast(tf.oneHot(ids, 16), 'float32') as tfc.Tensor3D;
      const a = embedInput(tf, { oneHot }, table, dims, { embedGather: 1 }).dataSync();
      const b = embedInput(tf, { tokens: ids }, table, dims, { embedGather: 1 }).dataSync();
      expect(Array.from(a)).toEqual(Array.from(b));
      const g = tf.grad((x: tfc.Tensor) => tf.sum(embedInput(tf, { oneHot: x as tfc.Tensor3D }, table, dims, { embedGather: 1 })))(oneHot);
      expect(g.shape).toEqual([2, 3, 16]);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is a parameter only a spec that names it gets: defaults (and so existing organism ids) are unchanged', () => {
    expect(resolveArchParams('mlp', {})).toEqual({ embedDim: 16, hidden: 128, layers: 2 });
    expect(resolveArchParams('transformer', {})).toEqual({ dModel: 32, heads: 1, blocks: 1, mlpRatio: 4 });
    expect(resolveArchParams('mlp', { embedGather: 1 })['embedGather']).toBe(1);
    expect(() => resolveArchParams('mlp', { embedGather: 2 })).toThrow(/embedGather/);
  });

  it('gatherRows on wasm (JS row copies) equals the GatherV2 kernel bit for bit, forward and gradient, and is tensor-neutral', () => {
    const rng = new Rng(11);
    const V = 1024;
    const d = 16;
    const n = 6144;
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) ids[i] = i % 7 === 0 ? 3 : rng.int(V); // repeated rows
    const tableValues = randn(rng, V * d);
    const dyValues = randn(rng, n * d);
    const run = (f: (t: tfc.Tensor2D, i: tfc.Tensor1D) => tfc.Tensor2D) =>
      tf.tidy(() => {
        const table = tf.tensor2d(tableValues, [V, d]);
        const i = tf.tensor1d(ids, 'int32');
        const dy = tf.tensor2d(dyValues, [n, d]);
        const { value, grads } = tf.valueAndGrads((t: tfc.Tensor) => tf.sum(tf.mul(f(t as tfc.Tensor2D, i), dy)))([table]);
        void value;
        return { out: f(table, i).dataSync() as Float32Array, grad: grads[0]!.dataSync() as Float32Array };
      });
    const before = tf.memory().numTensors;
    const mine = run((t, i) => gatherRows(tf, t, i));
    const kernel = run((t, i) => tf.gather(t, i));
    expect(tf.memory().numTensors).toBe(before);
    expect(mine.out).toEqual(kernel.out);
    expect(mine.grad).toEqual(kernel.grad);
    expect(() => tf.tidy(() => gatherRows(tf, tf.zeros<tfc.Rank.R2>([4, 2]), tf.tensor1d([0, 4], 'int32')))).toThrow(/id 4 at 1 is outside \[0, 4\)/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('20 Adam steps of the mlp at V = 1024: gather and one-hot reach the same losses; gather is deterministic and tensor-neutral', () => {
    const dims = { vocabSize: 1024, seqLen: 6, classes: 8 };
    const train = (hyper: Record<string, number>) => {
      const model = Model.init('mlp', dims, { embedDim: 16, hidden: 64, layers: 2, ...hyper }, new Rng(1));
      const rng = new Rng(2);
      const next = (n: number): TrainBatch => {
        const tokens = new Int32Array(n * dims.seqLen);
        for (let i = 0; i < tokens.length; i++) tokens[i] = rng.int(dims.vocabSize);
        const labels = new Int32Array(n);
        for (let i = 0; i < n; i++) labels[i] = tokens[i * dims.seqLen]! % dims.classes; // learnable: class of the first token
        return { n, tokens, labels };
      };
      const losses: number[] = [];
      try {
        trainPhase(model, next, { phase: 'test', steps: 20, batchSize: 64, learningRate: 0.01, progressEvery: 1, onProgress: (e) => losses.push(e.loss) });
        const weights = Object.keys(model.params)
          .sort()
          .map((k) => Array.from(model.params[k]!.dataSync()));
        return { losses, weights };
      } finally {
        model.dispose();
      }
    };
    const before = tf.memory().numTensors;
    const dataIds = () => (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds();
    const backendBefore = dataIds();
    const oh = train({});
    const ga = train({ embedGather: 1 });
    const ga2 = train({ embedGather: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(dataIds()).toBe(backendBefore); // the kernel's outputs are freed in the wasm heap too
    expect(ga.losses.length).toBe(20);
    for (let i = 0; i < 20; i++) expect(Math.abs(ga.losses[i]! - oh.losses[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(oh.losses[i]!)));
    expect(ga.losses[19]!).toBeLessThan(ga.losses[0]!);
    expect(ga2.weights).toEqual(ga.weights);
  });
});
