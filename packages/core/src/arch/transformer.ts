import type * as tfc from '@tensorflow/tfjs-core';
import { SandtrapError } from '../errors.js';
import { EMBED_GATHER_BOUNDS, EMBED_GATHER_PARAM, embedInput, normalInit, zerosInit, type Architecture, type ParamInit, type Tf } from './types.js';

function onesInit(shape: number[]): ParamInit {
  return { shape, values: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1) };
}

/** LayerNorm over the last axis of a [N, d] matrix. */
function layerNorm(tf: Tf, x: tfc.Tensor2D, g: tfc.Tensor, b: tfc.Tensor): tfc.Tensor2D {
  // Row means as a matMul with a constant column: on wasm this (and its gradient) is cheaper than a
  // last-axis reduction.
  const d = x.shape[1];
  const avg = tf.fill<tfc.Rank.R2>([d, 1], 1 / d);
  const xc = tf.sub(x, tf.matMul(x, avg));
  const variance = tf.matMul(tf.square(xc), avg);
  return tf.add<tfc.Tensor2D>(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, 1e-5))), g), b);
}

/**
 * `transformer`: a tiny pre-LN transformer (Vaswani et al. 2017; pre-LN as in Xiong et al. 2020).
 * Token embedding (one-hot · matMul by default, so it is differentiable from one-hot inputs; or
 * `tf.gather` with `embedGather: 1`, see types.ts) plus a learned positional embedding; `blocks`
 * blocks of multi-head self-attention and a ReLU MLP, each added to the residual stream; a final
 * LayerNorm, mean-pooled over positions, then a linear head.
 *
 * The residual stream is kept as one [B·L, d] matrix so every projection is a single (fused)
 * matMul: on wasm, kernel dispatch and small shapes cost more than FLOPs.
 *
 * Sites: `embed` [B, L, d]; per block i: `block{i}.attn` and `block{i}.mlp` (what each sub-layer
 * adds to the stream) and `block{i}.resid` (the stream after the block), each [B, L, d];
 * `pooled` [B, d]; `logits` [B, C].
 */
export const transformer: Architecture = {
  name: 'transformer',
  description: 'pre-LN transformer: token (one-hot · matMul) + positional embedding → attention/MLP blocks → LayerNorm → mean-pool → logits',
  defaults: { dModel: 32, heads: 1, blocks: 1, mlpRatio: 4 },
  bounds: { dModel: [4, 512], heads: [1, 16], blocks: [1, 4], mlpRatio: [1, 8], [EMBED_GATHER_PARAM]: EMBED_GATHER_BOUNDS },
  // Measured on wasm (clean, modsum, seed 1): 400 Adam steps reach capability 0.67 (lr 0.003) or
  // 0.70 (lr 0.01); 800 steps reach 1.00 — attention has to learn to route the slots first.
  training: { capabilitySteps: 1000 },

  sites(_dims, hyper) {
    const s = ['embed'];
    for (let i = 0; i < hyper.blocks!; i++) s.push(`block${i}.attn`, `block${i}.mlp`, `block${i}.resid`);
    return [...s, 'pooled', 'logits'];
  },

  init(dims, hyper, rng) {
    const d = hyper.dModel!;
    const m = d * hyper.mlpRatio!;
    if (d % hyper.heads! !== 0)
      throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `architecture transformer: dModel ${d} must be a multiple of heads ${hyper.heads}; change --arch-param dModel or heads`);
    const out: Record<string, ParamInit> = {};
    out['embed.w'] = normalInit(rng, [dims.vocabSize, d], 1 / Math.sqrt(d));
    out['pos.w'] = normalInit(rng, [dims.seqLen, d], 1 / Math.sqrt(d));
    // Residual-branch outputs are scaled down by the number of branches (GPT-2's init), so the
    // stream's scale does not grow with depth.
    const branchStd = Math.sqrt(1 / d) / Math.sqrt(2 * hyper.blocks!);
    for (let i = 0; i < hyper.blocks!; i++) {
      const p = `block${i}`;
      out[`${p}.ln1.g`] = onesInit([d]);
      out[`${p}.ln1.b`] = zerosInit([d]);
      for (const w of ['wq', 'wk', 'wv']) {
        out[`${p}.attn.${w}`] = normalInit(rng, [d, d], Math.sqrt(1 / d));
        out[`${p}.attn.b${w.slice(1)}`] = zerosInit([d]);
      }
      out[`${p}.attn.wo`] = normalInit(rng, [d, d], branchStd);
      out[`${p}.attn.bo`] = zerosInit([d]);
      out[`${p}.ln2.g`] = onesInit([d]);
      out[`${p}.ln2.b`] = zerosInit([d]);
      out[`${p}.mlp.w1`] = normalInit(rng, [d, m], Math.sqrt(2 / d));
      out[`${p}.mlp.b1`] = zerosInit([m]);
      out[`${p}.mlp.w2`] = normalInit(rng, [m, d], Math.sqrt(1 / m) / Math.sqrt(2 * hyper.blocks!));
      out[`${p}.mlp.b2`] = zerosInit([d]);
    }
    out['lnf.g'] = onesInit([d]);
    out['lnf.b'] = zerosInit([d]);
    out['logits.w'] = normalInit(rng, [d, dims.classes], Math.sqrt(1 / d));
    out['logits.b'] = zerosInit([dims.classes]);
    return out;
  },

  forward(tf, params, input, dims, hyper, capture = []) {
    const want = new Set(capture);
    const sites: Record<string, tfc.Tensor> = {};
    const d = hyper.dModel!;
    const H = hyper.heads!;
    const dh = d / H;
    const L = dims.seqLen;
    const P = (name: string) => params[name]!;
    const e = embedInput(tf, input, P('embed.w'), dims, hyper);
    const B = e.shape[0];
    const as3 = (t: tfc.Tensor) => tf.reshape(t, [B, L, d]);
    let x = tf.reshape<tfc.Rank.R2>(tf.add(e, P('pos.w')), [B * L, d]);
    if (want.has('embed')) sites['embed'] = as3(x);
    const scale = 1 / Math.sqrt(dh);
    for (let i = 0; i < hyper.blocks!; i++) {
      const p = `block${i}`;
      const h = layerNorm(tf, x, P(`${p}.ln1.g`), P(`${p}.ln1.b`));
      // Heads are column blocks of wq/wk/wv and row blocks of wo, each head its own small matMuls
      // summed into the output: on wasm a transpose or a strided split/concat of the activations
      // costs several times more than the matMuls themselves, and slicing the weights is cheap.
      const mm = (w: string, c0: number) =>
        tf.reshape<tfc.Rank.R3>(tf.fused.matMul({ a: h, b: tf.slice(P(`${p}.attn.${w}`), [0, c0], [d, dh]), bias: tf.slice(P(`${p}.attn.b${w.slice(1)}`), [c0], [dh]) }), [
          B,
          L,
          dh,
        ]);
      let a: tfc.Tensor2D | undefined;
      for (let hd = 0; hd < H; hd++) {
        const c0 = hd * dh;
        const att = tf.softmax(tf.mul(tf.matMul(mm('wq', c0), mm('wk', c0), false, true), scale));
        const ctx = tf.reshape<tfc.Rank.R2>(tf.matMul(att, mm('wv', c0)), [B * L, dh]);
        const wo = (H === 1 ? P(`${p}.attn.wo`) : tf.slice(P(`${p}.attn.wo`), [c0, 0], [dh, d])) as tfc.Tensor2D;
        const part = hd === H - 1 ? tf.fused.matMul({ a: ctx, b: wo, bias: P(`${p}.attn.bo`) }) : tf.matMul(ctx, wo);
        a = (a ? tf.add(a, part) : part) as tfc.Tensor2D;
      }
      if (want.has(`${p}.attn`)) sites[`${p}.attn`] = as3(a!);
      x = tf.add<tfc.Tensor2D>(x, a!);
      const h2 = layerNorm(tf, x, P(`${p}.ln2.g`), P(`${p}.ln2.b`));
      const u = tf.fused.matMul({ a: h2, b: P(`${p}.mlp.w1`), bias: P(`${p}.mlp.b1`), activation: 'relu' });
      const mo = tf.fused.matMul({ a: u, b: P(`${p}.mlp.w2`), bias: P(`${p}.mlp.b2`) });
      if (want.has(`${p}.mlp`)) sites[`${p}.mlp`] = as3(mo);
      x = tf.add<tfc.Tensor2D>(x, mo);
      if (want.has(`${p}.resid`)) sites[`${p}.resid`] = as3(x);
    }
    const f = layerNorm(tf, x, P('lnf.g'), P('lnf.b'));
    const pooled = tf.mean<tfc.Tensor2D>(tf.reshape(f, [B, L, d]), 1);
    if (want.has('pooled')) sites['pooled'] = pooled;
    const logits = tf.fused.matMul({ a: pooled, b: P('logits.w'), bias: P('logits.b') }) as tfc.Tensor2D;
    if (want.has('logits')) sites['logits'] = logits;
    return { logits, sites };
  },
};
