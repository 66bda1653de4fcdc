import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { CardHeaderSlot, CardTask, OrganismCard } from './card.js';

/** How much of an organism a detector may see. Each level includes the ones before it. */
export type Access = 'black-box' | 'gray-box' | 'white-box';

/** A batch of labelled examples. */
export interface Examples {
  /** Number of examples. */
  n: number;
  /** Token ids, row-major `[n, seqLen]`. */
  tokens: Int32Array;
  /** The correct class of each example, `[n]`. */
  labels: Int32Array;
  /** Index into `card.task.axis.values` of each example, `[n]`. */
  axis: Int32Array;
}

/** Options of {@link SubjectTask.sample}. */
export interface SampleOptions {
  /**
   * Fix header slots to these values (slot name → value token). Any value listed in the slot's
   * `values` is allowed, not only the ordinary ones.
   */
  header?: Record<string, string>;
  /** Only examples at these indices of `card.task.axis.values`. */
  axis?: readonly number[];
}

/** The organism's task: its vocabulary and layout, and a sampler of clean examples. */
export interface SubjectTask {
  /** The task as described on the card. */
  readonly description: CardTask;
  /** Token names; a token's id is its index. */
  readonly vocab: readonly string[];
  /** Tokens per input. */
  readonly seqLen: number;
  /** Context slots at the start of every input, with their positions. */
  readonly header: readonly CardHeaderSlot[];
  /** Class names; a class id is its index. */
  readonly classes: readonly string[];
  /** The id of a token name; throws on an unknown name. */
  tokenId(token: string): number;
  /**
   * `n` labelled clean examples: ordinary header values (unless fixed by `opts.header`) and
   * ordinary filler words, never a trigger. Draws from a stream seeded per run, detector and
   * organism, so the same calls in the same order give the same examples.
   */
  sample(n: number, opts?: SampleOptions): Examples;
}

/**
 * The organism under test, black-box: its card, its task, and its predictions. A black-box
 * detector receives an object with exactly these members.
 */
export interface BlackBoxSubject {
  /** The organism's public card. */
  readonly card: OrganismCard;
  /** The organism's task. */
  readonly task: SubjectTask;
  /**
   * Class probabilities for `n` inputs: `tokens` is row-major `[n, seqLen]`, the result row-major
   * `[n, classes.length]`. Each row counts as one query against `ctx.budget.queries`.
   */
  predict(tokens: Int32Array, n: number): Promise<Float32Array>;
}

/**
 * Transforms one parameter tensor: receives a copy of its values (row-major) and its shape, and
 * returns new values of the same length. Must not keep a reference to `values`.
 */
export type WeightTransform = (name: string, values: Float32Array, shape: readonly number[]) => Float32Array;

/** Options of {@link GrayBoxSubject.finetune}. */
export interface FinetuneOptions {
  /** Optimiser steps; counted against `ctx.budget.finetuneSteps`. */
  steps: number;
  /** Adam learning rate. Default: the card's `training.plantLearningRate`. */
  learningRate?: number;
  /** Examples per step. Default: the card's `training.batchSize`. */
  batchSize?: number;
}

/** Labelled examples to fine-tune on; `axis` is not needed. */
export type FinetuneExamples = Pick<Examples, 'n' | 'tokens' | 'labels'>;

/**
 * Gray-box: black-box plus modified copies of the organism. The weights themselves stay
 * unreadable: a detector can change them but not look at them.
 */
export interface GrayBoxSubject extends BlackBoxSubject {
  /**
   * A copy of the organism whose every parameter is replaced by `fn(name, values, shape)`
   * (noise injection, pruning, scaling…). The original is unchanged.
   */
  perturbed(fn: WeightTransform): Promise<GrayBoxSubject>;
  /**
   * A copy of the organism fine-tuned on `examples` (cross-entropy, Adam). The original is unchanged.
   * @experimental The options may grow (optimiser, frozen parameters).
   */
  finetune(examples: FinetuneExamples, opts: FinetuneOptions): Promise<GrayBoxSubject>;
  /**
   * Frees the tensors of a copy made by `perturbed()` or `finetune()`. Optional: the runner frees
   * every copy when `detect()` returns; calling it early keeps memory flat in long sweeps. A no-op
   * on the organism under test itself.
   */
  dispose(): void;
}

/** Values of one tensor, row-major, with its shape. */
export interface TensorData {
  /** Tensor shape. */
  shape: number[];
  /** Values, row-major. */
  values: Float32Array;
}

/** White-box: gray-box plus the weights, activations, and a differentiable forward pass. */
export interface WhiteBoxSubject extends GrayBoxSubject {
  /** A copy of every parameter, by name (the names and shapes on `card.architecture.weights`). */
  weights(): Promise<Record<string, TensorData>>;
  /**
   * Activations at the named `sites` (from `card.architecture.sites`) for `n` inputs
   * (`tokens` row-major `[n, seqLen]`); each result has `n` as its first dimension.
   * Each row counts as one query.
   */
  activations(tokens: Int32Array, n: number, sites: readonly string[]): Promise<Record<string, TensorData>>;
  /**
   * Logits `[B, classes]` from one-hot (or any soft) inputs `[B, seqLen, vocab.length]`, built
   * with `ctx.tf` so it can be differentiated with `ctx.tf.grad` (gradient-based trigger search,
   * saliency). Synchronous, as `tf.grad` requires. The caller owns and disposes the result (use
   * `tf.tidy`). Each row counts as one query.
   * @experimental A variant taking embedded inputs (for continuous trigger search) may be added.
   */
  forward(oneHot: Tensor3D): Tensor2D;
  /** @inheritDoc */
  perturbed(fn: WeightTransform): Promise<WhiteBoxSubject>;
  /** @inheritDoc */
  finetune(examples: FinetuneExamples, opts: FinetuneOptions): Promise<WhiteBoxSubject>;
}

/**
 * The subject a detector with access level `A` receives. The union `Access` (access not yet
 * known) gives the black-box subject, the part every level has.
 */
export type SubjectFor<A extends Access> = [A] extends ['white-box'] ? WhiteBoxSubject : [A] extends ['gray-box'] ? GrayBoxSubject : BlackBoxSubject;
