import type * as tfc from '@tensorflow/tfjs-core';
import type { Rng } from '../rng.js';
import { segmentSumReference } from '../segment-sum.js';
import type { TrainingSpec } from '../schemas.js';

export type Tf = typeof tfc;

/** The input side of a task an architecture must fit. */
export interface ArchDims {
  vocabSize: number;
  seqLen: number;
  classes: number;
}

/** One parameter's initial value: a flat float32 array and its shape. */
export interface ParamInit {
  shape: number[];
  values: Float32Array;
}

export type ParamMap = Record<string, tfc.Tensor>;

/** The input to a forward pass: token ids [B, L] (int32), or one-hot rows [B, L, V] for gradients w.r.t. inputs. */
export type ForwardInput = { tokens: tfc.Tensor2D } | { oneHot: tfc.Tensor3D };

export interface ForwardResult {
  logits: tfc.Tensor2D;
  /** The activation sites asked for, each [B, …]. */
  sites: Record<string, tfc.Tensor>;
}

/**
 * A model family written as a pure function over named parameters. Nothing is hidden in layer
 * objects: a detector with white-box access sees exactly these names and these sites.
 */
export interface Architecture {
  name: string;
  description: string;
  defaults: Record<string, number>;
  bounds: Record<string, [number, number]>;
  /**
   * This architecture's training defaults, applied over `DEFAULT_TRAINING` (a spec's own `training`
   * still wins): an architecture that learns more slowly asks for a longer schedule here.
   */
  training?: Partial<TrainingSpec>;
  /** Named activation sites, in forward order. */
  sites(dims: ArchDims, hyper: Record<string, number>): string[];
  /** Initial parameters, drawn from `rng` only (so the same seed gives the same weights on any backend). */
  init(dims: ArchDims, hyper: Record<string, number>, rng: Rng): Record<string, ParamInit>;
  forward(tf: Tf, params: ParamMap, input: ForwardInput, dims: ArchDims, hyper: Record<string, number>, capture?: readonly string[]): ForwardResult;
}

/** Glorot/He-style normal init with a given fan-in. */
export function normalInit(rng: Rng, shape: number[], std: number): ParamInit {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.normal() * std;
  return { shape, values };
}

export function zerosInit(shape: number[]): ParamInit {
  return { shape, values: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
}

/**
 * The optional architecture parameter that picks the token embedding: `embedGather: 1` embeds token
 * inputs by `tf.gather` (O(B·L·d), its gradient an UnsortedSegmentSum, which sandtrap registers on
 * wasm: segment-sum.ts); absent or 0 keeps one-hot · matMul (O(B·L·V·d)).
 *
 * Opt-in, never automatic and never in `defaults`: an organism's id is a hash of its resolved
 * spec, and the two paths' gradients sum the same terms in different orders, so training by gather
 * gives weights that differ from one-hot's in the last float32 bits. A default (even 0) would
 * change every existing organism's id; a vocabulary threshold would silently change the weights of
 * any spec above it. Only a spec that names the parameter gets the new path. `{ oneHot }` inputs
 * (white-box gradients w.r.t. inputs) always take the one-hot product.
 */
export const EMBED_GATHER_PARAM = 'embedGather';
export const EMBED_GATHER_BOUNDS: [number, number] = [0, 1];

/**
 * Embed a forward input. Token ids go through one-hot · matMul by default (wasm ships no
 * UnsortedSegmentSum, the kernel tf.gather's gradient needs), or through `tf.gather` when the spec
 * sets `embedGather: 1` (see EMBED_GATHER_PARAM). The forward values are the same either way: a
 * one-hot row times the table is an exact copy of the row.
 */
/**
 * `tf.gather(table, ids)` along axis 0, with tf.gather's gradient (the rows of dy summed into the
 * rows they came from, in index order). On wasm both run in JS: its GatherV2 kernel measured
 * 12 ms for one [6144] × [1024, 16] lookup, a fifth of a hard-tier training step, where a row copy
 * takes well under a millisecond. Values are exact copies and the gradient adds in the order
 * tf.gather's does, so the result is bit-identical to the kernel's. Other backends use tf.gather.
 */
export function gatherRows(tf: Tf, table: tfc.Tensor2D, ids: tfc.Tensor1D): tfc.Tensor2D {
  if (tf.getBackend() !== 'wasm') return tf.gather(table, ids);
  const [V, d] = table.shape;
  const idx = ids.dataSync() as Int32Array;
  for (let i = 0; i < idx.length; i++) if (idx[i]! < 0 || idx[i]! >= V) throw new Error(`gatherRows: id ${idx[i]} at ${i} is outside [0, ${V})`);
  const op = tf.customGrad((...inputs: Array<tfc.Tensor | tfc.GradSaveFunc>) => {
    const src = (inputs[0] as tfc.Tensor).dataSync() as Float32Array;
    const out = new Float32Array(idx.length * d);
    for (let i = 0; i < idx.length; i++) out.set(src.subarray(idx[i]! * d, (idx[i]! + 1) * d), i * d);
    return {
      value: tf.tensor2d(out, [idx.length, d]),
      gradFunc: (dy: tfc.Tensor) => tf.tensor2d(segmentSumReference(dy.dataSync(), idx, d, V), [V, d]),
    };
  });
  return op(table) as tfc.Tensor2D;
}

export function embedInput(tf: Tf, input: ForwardInput, embed: tfc.Tensor, dims: ArchDims, hyper: Record<string, number> = {}): tfc.Tensor3D {
  const d = embed.shape[1]!;
  if ('tokens' in input) {
    const B = input.tokens.shape[0];
    const flat = tf.reshape<tfc.Rank.R1>(input.tokens, [-1]);
    if (hyper[EMBED_GATHER_PARAM] === 1) return tf.reshape(gatherRows(tf, embed as tfc.Tensor2D, tf.cast(flat, 'int32')), [B, dims.seqLen, d]);
    // wasm's OneHot kernel ignores a float32 dtype (writes int32 bits): make int32 and cast.
    const oh = tf.cast(tf.oneHot(flat, dims.vocabSize), 'float32') as tfc.Tensor2D;
    return tf.reshape(tf.matMul(oh, embed as tfc.Tensor2D), [B, dims.seqLen, d]);
  }
  const B = input.oneHot.shape[0];
  const flat = tf.reshape<tfc.Rank.R2>(input.oneHot, [-1, dims.vocabSize]);
  return tf.reshape(tf.matMul(flat, embed as tfc.Tensor2D), [B, dims.seqLen, d]);
}
