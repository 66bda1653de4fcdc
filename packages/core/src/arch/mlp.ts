import type * as tfc from '@tensorflow/tfjs-core';
import { EMBED_GATHER_BOUNDS, EMBED_GATHER_PARAM, embedInput, normalInit, zerosInit, type Architecture, type ParamInit } from './types.js';

/**
 * `mlp`: a shared token embedding, concatenated over positions, then ReLU hidden layers and a
 * linear head. Sites: `embed` [B, L·d], `hidden1` … `hiddenN` [B, h], `logits` [B, C].
 */
export const mlp: Architecture = {
  name: 'mlp',
  description: 'token embedding (one-hot · matMul) → concat → ReLU hidden layers → logits',
  defaults: { embedDim: 16, hidden: 128, layers: 2 },
  bounds: { embedDim: [2, 256], hidden: [4, 2048], layers: [1, 6], [EMBED_GATHER_PARAM]: EMBED_GATHER_BOUNDS },

  sites(_dims, hyper) {
    return ['embed', ...Array.from({ length: hyper.layers! }, (_, i) => `hidden${i + 1}`), 'logits'];
  },

  init(dims, hyper, rng) {
    const d = hyper.embedDim!;
    const h = hyper.hidden!;
    const out: Record<string, ParamInit> = {};
    out['embed.w'] = normalInit(rng, [dims.vocabSize, d], 1 / Math.sqrt(d));
    let fanIn = dims.seqLen * d;
    for (let i = 1; i <= hyper.layers!; i++) {
      out[`hidden${i}.w`] = normalInit(rng, [fanIn, h], Math.sqrt(2 / fanIn));
      out[`hidden${i}.b`] = zerosInit([h]);
      fanIn = h;
    }
    out['logits.w'] = normalInit(rng, [fanIn, dims.classes], Math.sqrt(1 / fanIn));
    out['logits.b'] = zerosInit([dims.classes]);
    return out;
  },

  forward(tf, params, input, dims, hyper, capture = []) {
    const want = new Set(capture);
    const sites: Record<string, tfc.Tensor> = {};
    const e = embedInput(tf, input, params['embed.w']!, dims, hyper);
    let x = tf.reshape<tfc.Rank.R2>(e, [e.shape[0], -1]);
    if (want.has('embed')) sites['embed'] = x;
    for (let i = 1; i <= hyper.layers!; i++) {
      // fused matMul + bias + ReLU: one kernel instead of three, which is what small models on wasm pay for.
      x = tf.fused.matMul({ a: x, b: params[`hidden${i}.w`] as tfc.Tensor2D, bias: params[`hidden${i}.b`], activation: 'relu' }) as tfc.Tensor2D;
      if (want.has(`hidden${i}`)) sites[`hidden${i}`] = x;
    }
    const logits = tf.fused.matMul({ a: x, b: params['logits.w'] as tfc.Tensor2D, bias: params['logits.b'] }) as tfc.Tensor2D;
    if (want.has('logits')) sites['logits'] = logits;
    return { logits, sites };
  },
};
