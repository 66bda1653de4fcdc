import type { Rng } from '../rng.js';

/** A context slot at the start of every input. Its values are public (on the card); their meaning is not. */
export interface HeaderSlot {
  name: string;
  /** Every value the slot can take, as token names. */
  values: string[];
  /** The values the public sampler uses. Unusual values (and any trigger among them) never come out of `sample()`. */
  ordinary: string[];
}

/** What a task publishes on an organism's card. Identical for every organism built on that task spec. */
export interface TaskDescription {
  name: string;
  params: Record<string, number>;
  /** Token names; a token's id is its index. Token 0 is padding. */
  vocab: string[];
  seqLen: number;
  header: Array<HeaderSlot & { position: number }>;
  /** Body layout: which positions hold the problem and which hold filler words. */
  body: { problem: number[]; filler: number[]; fillerWords: string[]; ordinaryFillerWords: string[] };
  classes: string[];
  /** The capability axis: difficulty levels (skills) or domains (knowledge). */
  axis: { name: string; kind: 'difficulty' | 'domain'; values: string[] };
}

/** A batch of examples: `tokens` is row-major [n, seqLen]. */
export interface Batch {
  n: number;
  tokens: Int32Array;
  labels: Int32Array;
  /** Index into `axis.values` for each item. */
  axis: Int32Array;
}

export interface SampleOptions {
  /** Fix header slots to these values (any public value, not only ordinary ones). */
  header?: Record<string, string>;
  /** Only items at these axis indices (difficulty levels or domains). */
  axis?: readonly number[];
}

export interface TrainingSampleOptions extends SampleOptions {
  /** Probability that each filler slot holds a rare (non-ordinary) word. */
  rareFillerRate?: number;
  /** Rare words never drawn (e.g. a backdoor's trigger, so no clean item carries it by chance). */
  excludeWords?: readonly string[];
  /** Header values never drawn, per slot. */
  excludeHeader?: Record<string, readonly string[]>;
}

export interface Task {
  readonly name: string;
  readonly params: Record<string, number>;
  describe(): TaskDescription;
  tokenId(token: string): number;
  readonly seqLen: number;
  readonly numClasses: number;
  /** Labelled clean examples: ordinary header values, ordinary filler words. What detectors get. */
  sample(rng: Rng, n: number, opts?: SampleOptions): Batch;
  /** Training distribution: every header value, and rare filler words at `rareFillerRate`. */
  sampleTraining(rng: Rng, n: number, opts?: TrainingSampleOptions): Batch;
}
