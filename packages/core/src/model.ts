import type * as tfc from '@tensorflow/tfjs-core';
import { getTf } from './backend.js';
import { getArchitecture, type ArchDims, type Architecture, type ForwardInput, type ForwardResult } from './arch/index.js';
import type { Rng } from './rng.js';

const PREDICT_CHUNK = 4096;

/**
 * A model: an architecture, its hyper-parameters, and named parameters held as tf.Variables.
 * Owns its tensors: call dispose() when done.
 */
export class Model {
  readonly arch: Architecture;
  private disposed = false;

  constructor(
    readonly archName: string,
    readonly dims: ArchDims,
    readonly hyper: Record<string, number>,
    readonly params: Record<string, tfc.Variable>,
  ) {
    this.arch = getArchitecture(archName);
  }

  static init(archName: string, dims: ArchDims, hyper: Record<string, number>, rng: Rng): Model {
    const tf = getTf();
    const arch = getArchitecture(archName);
    const inits = arch.init(dims, hyper, rng);
    const params: Record<string, tfc.Variable> = {};
    for (const name of Object.keys(inits).sort()) {
      params[name] = toVariable(tf, name, inits[name]!);
    }
    return new Model(archName, dims, hyper, params);
  }

  /** Build from named float32 arrays (a loaded organism, or a perturbed copy). */
  static fromArrays(archName: string, dims: ArchDims, hyper: Record<string, number>, arrays: Record<string, { shape: number[]; values: Float32Array }>): Model {
    const tf = getTf();
    const params: Record<string, tfc.Variable> = {};
    for (const name of Object.keys(arrays).sort()) {
      params[name] = toVariable(tf, name, arrays[name]!);
    }
    return new Model(archName, dims, hyper, params);
  }

  get paramNames(): string[] {
    return Object.keys(this.params).sort();
  }

  get parameterCount(): number {
    return Object.values(this.params).reduce((s, v) => s + v.size, 0);
  }

  forward(input: ForwardInput, capture?: readonly string[]): ForwardResult {
    this.assertLive();
    return this.arch.forward(getTf(), this.params, input, this.dims, this.hyper, capture);
  }

  /** Class probabilities for `n` rows of token ids: a flat Float32Array [n, classes]. */
  predictProbs(tokens: Int32Array, n: number): Float32Array {
    this.assertLive();
    const tf = getTf();
    const L = this.dims.seqLen;
    const C = this.dims.classes;
    const out = new Float32Array(n * C);
    for (let start = 0; start < n; start += PREDICT_CHUNK) {
      const m = Math.min(PREDICT_CHUNK, n - start);
      const probs = tf.tidy(() => {
        const x = tf.tensor2d(tokens.subarray(start * L, (start + m) * L), [m, L], 'int32');
        return tf.softmax(this.forward({ tokens: x }).logits);
      });
      out.set(probs.dataSync(), start * C);
      probs.dispose();
    }
    return out;
  }

  /** Argmax classes for `n` rows of token ids. */
  predictClasses(tokens: Int32Array, n: number): Int32Array {
    const probs = this.predictProbs(tokens, n);
    return argmaxRows(probs, n, this.dims.classes);
  }

  /** Activations at the named sites, each as a flat Float32Array with its shape. */
  activations(tokens: Int32Array, n: number, sites: readonly string[]): Record<string, { shape: number[]; values: Float32Array }> {
    this.assertLive();
    const tf = getTf();
    const L = this.dims.seqLen;
    const parts: Record<string, Float32Array[]> = {};
    const widths: Record<string, number[]> = {};
    for (let start = 0; start < n; start += PREDICT_CHUNK) {
      const m = Math.min(PREDICT_CHUNK, n - start);
      const got = tf.tidy(() => {
        const x = tf.tensor2d(tokens.subarray(start * L, (start + m) * L), [m, L], 'int32');
        return this.forward({ tokens: x }, sites).sites;
      });
      for (const s of sites) {
        const t = got[s];
        if (!t) continue;
        (parts[s] ??= []).push(t.dataSync() as Float32Array);
        widths[s] = t.shape.slice(1);
      }
      for (const t of Object.values(got)) t.dispose();
    }
    const out: Record<string, { shape: number[]; values: Float32Array }> = {};
    for (const s of sites) {
      const ps = parts[s];
      if (!ps) continue;
      const total = ps.reduce((a, p) => a + p.length, 0);
      const values = new Float32Array(total);
      let o = 0;
      for (const p of ps) {
        values.set(p, o);
        o += p.length;
      }
      out[s] = { shape: [n, ...(widths[s] ?? [])], values };
    }
    return out;
  }

  /** A copy of every parameter as a plain array. */
  weights(): Record<string, { shape: number[]; values: Float32Array }> {
    this.assertLive();
    const out: Record<string, { shape: number[]; values: Float32Array }> = {};
    for (const name of this.paramNames) {
      const v = this.params[name]!;
      out[name] = { shape: [...v.shape], values: new Float32Array(v.dataSync() as Float32Array) };
    }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    for (const v of Object.values(this.params)) v.dispose();
    this.disposed = true;
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('model was disposed');
  }
}

let uniq = 0;

/** A trainable variable from plain values. tf.variable shares the tensor's data, so the tensor is released. */
function toVariable(tf: ReturnType<typeof getTf>, name: string, p: { shape: number[]; values: Float32Array }): tfc.Variable {
  const t = tf.tensor(p.values, p.shape, 'float32');
  const v = tf.variable(t, true, `${name}.${uniq++}`);
  t.dispose();
  return v;
}

export function argmaxRows(probs: Float32Array, n: number, C: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = -Infinity;
    for (let c = 0; c < C; c++) {
      const v = probs[i * C + c]!;
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}
