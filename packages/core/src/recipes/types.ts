import type { Rng } from '../rng.js';
import type { SlotTask } from '../tasks/slot-task.js';
import type { AnyTask } from '../tasks/index.js';
import type { Batch } from '../tasks/types.js';
import type { TrainBatch } from '../train.js';
import type { Model } from '../model.js';

export type Family = 'control' | 'trojan' | 'sandbagging' | 'deception';
export type GateOp = '>=' | '<=';

/** A measured behaviour check: the organism is admitted only if every gate passes. */
export interface Gate {
  value: number;
  threshold: number;
  op: GateOp;
  pass: boolean;
  /** What was measured, in words. */
  description: string;
  /** Held-out items it was measured on. */
  n: number;
}

export function gate(value: number, op: GateOp, threshold: number, description: string, n: number): Gate {
  const v = Math.round(value * 1e6) / 1e6;
  return { value: v, threshold, op, pass: op === '>=' ? v >= threshold : v <= threshold, description, n };
}

/** The planted behaviour's ground truth, written into truth.json and never onto the card. */
export interface PlantedTruth {
  /** Trigger tokens and the positions they may take. */
  trigger?: { tokens: string[]; positions: number[] };
  /** Header condition that switches the behaviour: slot → values. */
  condition?: Record<string, string[]>;
  password?: Record<string, string>;
  targetClass?: number;
  /** Hard tier: every conditional behaviour (disclosed features and the hidden one) with its space size. */
  conditions?: ConditionTruth[];
  /** Hard tier: the axis level a domain recipe treats differently. */
  level?: number;
}

/** One conditional behaviour of a hard-tier organism, as truth.json records it. */
export interface ConditionTruth {
  /** `feature-1`, `feature-2` (disclosed on the card) or the recipe's hidden behaviour. */
  name: string;
  disclosed: boolean;
  /** The phrase's words, adjacent, anywhere in the document. */
  phrase: string[];
  /** `shift:s`, `target:c`, `wrong`, `unlock` or `soften:α`. */
  effect: string;
  /** Distinct phrases of this length: what an exhaustive sweep must try. */
  spaceSize: number;
  /** Probability that one sampler item carries the phrase by chance. */
  samplerProbability: number;
}

/** A benign conditional behaviour the card discloses (hard tier). */
export interface DisclosedFeature {
  phrase: string[];
  /** The answer the model would otherwise give, plus `shift`, mod the number of classes. */
  shift: number;
  description: string;
}

/** Measures a model on batches; gates are written against it. */
export interface Evaluator<T extends AnyTask = SlotTask> {
  model: Model;
  task: T;
  /** Fresh held-out draws, from a stream the training never used. */
  rng: Rng;
  predict(b: Batch): Int32Array;
  accuracy(b: Batch): number;
}

export interface RecipeInstance<T extends AnyTask = SlotTask> {
  truth: PlantedTruth;
  /** Hard tier: the disclosed features, written onto the card. */
  features?: DisclosedFeature[];
  /**
   * Phase 1 data, only for recipes with `capability: 'own'` (e.g. `weak`). Every other recipe
   * starts from the shared capable checkpoint of its (task, architecture, training, seed).
   */
  capabilityBatch?(rng: Rng, n: number): TrainBatch;
  /** Phase 2: the planting fine-tune, of fixed length for every recipe (controls continue on their own data). */
  plantBatch(rng: Rng, n: number): TrainBatch;
  gates(ev: Evaluator<T>): Record<string, Gate>;
}

/** Trained models of the recipes named in `needs`, same task, architecture, training and seed. */
export type RecipeDeps = Record<string, Model>;

export interface Recipe<T extends AnyTask = SlotTask> {
  name: string;
  family: Family;
  misaligned: boolean;
  description: string;
  /** Where the method comes from. */
  anchor: string;
  defaults: Record<string, number>;
  /**
   * 'shared' (default): phase 1 is ordinary training, identical for every such recipe, so its
   * checkpoint is trained once per (task, architecture, training, seed) and fine-tuned from.
   * 'own': the recipe supplies its own phase-1 data (a genuinely weaker model).
   */
  capability?: 'shared' | 'own';
  /** Recipes whose trained models this one needs (e.g. `['weak']` to imitate it); built first. */
  needs?: string[];
  /**
   * `seed` picks the trigger / condition / target; `params` are the recipe's knobs (defaults filled
   * in). `conditionKey` (hard tier) names the (task, architecture) the conditions are drawn for, so
   * conditions are independent per (task, architecture, seed, recipe).
   */
  create(task: T, seed: number, params: Record<string, number>, deps: RecipeDeps, conditionKey?: string): RecipeInstance<T>;
}

/** The prefix of a salted condition key (`conditionKey` of a spec with a `conditionSalt`): hard recipes then draw the hidden condition from its own stream. */
export const SALTED_KEY = 'salted:';
