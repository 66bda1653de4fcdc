/**
 * Compile-time checks (no run-time code) that what `@sandtrap/core` builds fits what
 * `@sandtrap/detector-api` promises. Core imports no other sandtrap package, so nothing else
 * checks this: if core's card, sampler, meter, rng, model or subject members drift from the
 * contract, `tsc` fails here.
 *
 * `createSubject()` returns `Record<string, unknown>`; `asSubject()` (subject.ts) casts it. The
 * `Core*Subject` types below restate, member by member and from core's own types, the objects
 * `createSubject()` builds in packages/core/src/subject.ts, and are checked against the contract.
 */
import type { Batch, BudgetMeter, Card, getTf, Model, Rng, SampleOptions as CoreSampleOptions } from '@sandtrap/core';
import type {
  BlackBoxSubject,
  DetectorBudget,
  DetectorContext,
  DetectorRng,
  Examples,
  GrayBoxSubject,
  OrganismCard,
  SampleOptions,
  SubjectTask,
  TensorData,
  WhiteBoxSubject,
} from '@sandtrap/detector-api';
import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';

type Fits<A, B> = [A] extends [B] ? true : false;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function assert<T extends true>(): T | undefined {
  return undefined;
}

// The card: core's CardSchema and the contract's OrganismCard describe the same JSON.
assert<Same<Card, OrganismCard>>();

// The sampler's data.
assert<Same<Batch, Examples>>();
assert<Fits<SampleOptions, CoreSampleOptions>>();

// ctx.budget, ctx.rng, ctx.tf.
assert<Fits<ReturnType<BudgetMeter['asBudget']>, DetectorBudget>>();
assert<Fits<Rng, DetectorRng>>();
assert<Fits<ReturnType<typeof getTf>, DetectorContext['tf']>>();

// What weights() and activations() hand out.
assert<Fits<ReturnType<Model['weights']>, Record<string, TensorData>>>();
assert<Fits<ReturnType<Model['activations']>, Record<string, TensorData>>>();

/** `subject.task` as createSubject builds it. */
type CoreSubjectTask = {
  readonly description: Card['task'];
  readonly vocab: Card['task']['vocab'];
  readonly seqLen: Card['task']['seqLen'];
  readonly header: Card['task']['header'];
  readonly classes: Card['task']['classes'];
  tokenId: (token: string) => number;
  sample: (n: number, o?: CoreSampleOptions) => Batch;
};
assert<Fits<CoreSubjectTask, SubjectTask>>();

type CoreBlackBoxSubject = {
  readonly card: Card;
  readonly task: CoreSubjectTask;
  predict: (tokens: Int32Array, n: number) => Promise<ReturnType<Model['predictProbs']>>;
};
type CoreGrayBoxSubject = CoreBlackBoxSubject & {
  perturbed: (fn: (name: string, values: Float32Array, shape: readonly number[]) => Float32Array) => Promise<CoreGrayBoxSubject>;
  finetune: (examples: { n: number; tokens: Int32Array; labels: Int32Array }, o: { steps: number; learningRate?: number; batchSize?: number }) => Promise<CoreGrayBoxSubject>;
  dispose: () => void;
};
type CoreWhiteBoxSubject = CoreBlackBoxSubject & {
  perturbed: (fn: (name: string, values: Float32Array, shape: readonly number[]) => Float32Array) => Promise<CoreWhiteBoxSubject>;
  finetune: (examples: { n: number; tokens: Int32Array; labels: Int32Array }, o: { steps: number; learningRate?: number; batchSize?: number }) => Promise<CoreWhiteBoxSubject>;
  dispose: () => void;
  weights: () => Promise<ReturnType<Model['weights']>>;
  activations: (tokens: Int32Array, n: number, want: readonly string[]) => Promise<ReturnType<Model['activations']>>;
  forward: (oneHot: Tensor3D) => Tensor2D;
};
assert<Fits<CoreBlackBoxSubject, BlackBoxSubject>>();
assert<Fits<CoreGrayBoxSubject, GrayBoxSubject>>();
assert<Fits<CoreWhiteBoxSubject, WhiteBoxSubject>>();

// And the checks check something: a subject without predict() does not fit.
assert<Fits<Fits<Omit<CoreBlackBoxSubject, 'predict'>, BlackBoxSubject>, false>>();

export {};
