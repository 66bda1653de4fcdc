import type * as tfc from '@tensorflow/tfjs-core';
import { getTf } from './backend.js';
import type { Model } from './model.js';

/** A training batch: token rows and either hard labels or soft target distributions [n, C]. */
export interface TrainBatch {
  n: number;
  tokens: Int32Array;
  labels: Int32Array;
  /** Soft targets (rows sum to 1), used instead of `labels` where given (e.g. imitation of another model). */
  soft?: Float32Array;
}

export interface ProgressEvent {
  phase: string;
  step: number;
  steps: number;
  /** Mean loss over the steps since the last event. */
  loss: number;
  examplesPerSecond: number;
}

export interface TrainOptions {
  phase: string;
  steps: number;
  batchSize: number;
  learningRate: number;
  /** Called every `progressEvery` steps and at the end. */
  onProgress?: (e: ProgressEvent) => void;
  progressEvery?: number;
  signal?: AbortSignal;
}

export interface PhaseStats {
  phase: string;
  steps: number;
  finalLoss: number;
  seconds: number;
  examplesPerSecond: number;
}

/**
 * Train `model` for a fixed number of Adam steps on batches from `next(batchSize)`. Deterministic
 * given a deterministic `next` and backend. Tensor-neutral: everything it allocates is disposed.
 */
export function trainPhase(model: Model, next: (n: number) => TrainBatch, opts: TrainOptions): PhaseStats {
  const tf = getTf();
  const C = model.dims.classes;
  const L = model.dims.seqLen;
  const optimizer = tf.train.adam(opts.learningRate);
  const vars = Object.values(model.params);
  const every = opts.progressEvery ?? Math.max(1, Math.floor(opts.steps / 20));
  const t0 = performance.now();
  let tLast = t0;
  let lossAcc: tfc.Scalar | undefined;
  let accSteps = 0;
  let finalLoss = NaN;
  try {
    for (let step = 1; step <= opts.steps; step++) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
      const b = next(opts.batchSize);
      const loss = tf.tidy(() => {
        const x = tf.tensor2d(b.tokens, [b.n, L], 'int32');
        const y = b.soft ? tf.tensor2d(b.soft, [b.n, C]) : tf.cast(tf.oneHot(tf.tensor1d(b.labels, 'int32'), C), 'float32');
        const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy<tfc.Tensor, tfc.Scalar>(y, model.forward({ tokens: x }).logits), true, vars);
        return cost!;
      });
      const sum = lossAcc ? tf.tidy(() => tf.add(lossAcc!, loss)) : tf.clone(loss);
      loss.dispose();
      lossAcc?.dispose();
      lossAcc = sum as tfc.Scalar;
      accSteps++;
      if (step % every === 0 || step === opts.steps) {
        const mean = (lossAcc.dataSync()[0] ?? NaN) / accSteps;
        lossAcc.dispose();
        lossAcc = undefined;
        const now = performance.now();
        const eps = (accSteps * opts.batchSize) / ((now - tLast) / 1000);
        tLast = now;
        accSteps = 0;
        finalLoss = mean;
        opts.onProgress?.({ phase: opts.phase, step, steps: opts.steps, loss: mean, examplesPerSecond: eps });
      }
    }
  } finally {
    lossAcc?.dispose();
    optimizer.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { phase: opts.phase, steps: opts.steps, finalLoss, seconds, examplesPerSecond: (opts.steps * opts.batchSize) / seconds };
}
