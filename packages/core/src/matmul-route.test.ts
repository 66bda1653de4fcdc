import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as tfc from '@tensorflow/tfjs-core';
import { getTf, initBackend } from './backend.js';
import { routeWasmTransposedMatMul } from './matmul-route.js';
import { Rng } from './rng.js';

type Tf = typeof tfc;

function randn(rng: Rng, shape: number[]): Float32Array {
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  return v;
}

/**
 * Values and gradients of a small network that goes through every matMul form training uses:
 * fused with bias + ReLU, fused without activation, plain, both transpose flags, a batch-1 rank-3
 * product, a batched (attention-shaped) product, and the one-hot embedding (whose gradient
 * [B·L, V]ᵀ·[B·L, d] takes the route's swapped form).
 */
function valuesAndGrads(tf: Tf): Float32Array[] {
  const rng = new Rng(7);
  return tf.tidy(() => {
    const x = tf.tensor2d(randn(rng, [64, 40]), [64, 40]);
    const w1 = tf.tensor2d(randn(rng, [40, 24]), [40, 24]);
    const b1 = tf.tensor1d(randn(rng, [24]));
    const w2 = tf.tensor2d(randn(rng, [10, 24]), [10, 24]);
    const q = tf.tensor3d(randn(rng, [4, 16, 6]), [4, 16, 6]);
    const e = tf.tensor2d(randn(rng, [60, 8]), [60, 8]);
    const ids = Int32Array.from({ length: 512 }, () => rng.int(60));
    const oh = tf.cast(tf.oneHot(tf.tensor1d(ids, 'int32'), 60), 'float32') as tfc.Tensor2D;
    const f = (w1: tfc.Tensor, b1: tfc.Tensor, w2: tfc.Tensor, q: tfc.Tensor, e: tfc.Tensor) => {
      const h = tf.fused.matMul({ a: x, b: w1, bias: b1, activation: 'relu' });
      const o = tf.fused.matMul({ a: h, b: w2, transposeB: true });
      const g = tf.matMul(o, tf.matMul(x, w1), true, false);
      const r3 = tf.matMul(tf.reshape(h, [1, 64, 24]), tf.reshape(w1, [1, 40, 24]), false, true);
      const att = tf.matMul(q, q, false, true);
      const emb = tf.matMul(oh, e);
      return tf.addN([tf.sum(tf.square(o)), tf.sum(g), tf.sum(tf.tanh(r3)), tf.sum(tf.sigmoid(att)), tf.sum(tf.square(emb))]) as tfc.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)([w1, b1, w2, q, e]);
    return [value, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

describe('wasm transposed-matMul route', () => {
  let tf: Tf;
  beforeAll(async () => {
    await initBackend('wasm');
    tf = getTf();
  });
  afterAll(() => {
    routeWasmTransposedMatMul(tf);
  });

  it('gives the stock kernels’ values and gradients to float32 tolerance, without leaking tensors', () => {
    const before = tf.memory().numTensors;
    const routed = valuesAndGrads(tf);
    expect(tf.memory().numTensors).toBe(before);
    routeWasmTransposedMatMul(tf)();
    const stock = valuesAndGrads(tf);
    routeWasmTransposedMatMul(tf);
    expect(routed.length).toBe(stock.length);
    for (let k = 0; k < stock.length; k++) {
      const s = stock[k]!;
      const r = routed[k]!;
      expect(r.length).toBe(s.length);
      let scale = 0;
      for (const v of s) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < s.length; i++) expect(Math.abs(r[i]! - s[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, scale));
    }
  });

  it('leaves the wasm backend’s own memory where it was (the transposed copies are freed)', () => {
    valuesAndGrads(tf);
    const bytes = tf.memory().numBytes;
    const backendBefore = (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds();
    valuesAndGrads(tf);
    expect(tf.memory().numBytes).toBe(bytes);
    expect((tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds()).toBe(backendBefore);
  });
});
