import type * as tfc from '@tensorflow/tfjs-core';
import { SandtrapError } from './errors.js';
import { Model } from './model.js';
import { Rng } from './rng.js';
import type { Card } from './schemas.js';
import { createTask } from './tasks/index.js';
import type { Batch, SampleOptions } from './tasks/types.js';
import { trainPhase } from './train.js';

/**
 * The organism as a detector sees it. These objects implement the Subject interfaces of
 * `@sandtrap/detector-api` structurally (core imports no other sandtrap package; the detector
 * tester checks the fit at compile time). Each access level is built as its own plain object, so a
 * black-box detector's subject has no member that reaches the weights — not even a hidden one.
 */
export type Access = 'black-box' | 'gray-box' | 'white-box';

export interface BudgetLimits {
  /** Rows predicted (predict, activations, forward), across the organism and its copies. */
  queries: number;
  /** Fine-tuning optimiser steps. */
  finetuneSteps: number;
  /** Wall-clock seconds from the first use. */
  wallSeconds: number;
}

export const DEFAULT_BUDGET: BudgetLimits = { queries: 2_000_000, finetuneSteps: 5_000, wallSeconds: 120 };

/** Counts what a detector uses and stops it, with the reason, when it goes over. */
export class BudgetMeter {
  private q = 0;
  private ft = 0;
  private readonly t0 = performance.now();
  constructor(readonly limits: BudgetLimits) {}

  private over(what: string, used: number, limit: number): never {
    throw new SandtrapError('SANDTRAP_BUDGET_EXCEEDED', `budget exceeded: ${what} ${used} > ${limit}`);
  }

  query(rows: number): void {
    this.wall();
    this.q += rows;
    if (this.q > this.limits.queries) this.over('queries', this.q, this.limits.queries);
  }

  finetune(steps: number): void {
    this.wall();
    this.ft += steps;
    if (this.ft > this.limits.finetuneSteps) this.over('finetune steps', this.ft, this.limits.finetuneSteps);
  }

  wall(): void {
    const s = (performance.now() - this.t0) / 1000;
    if (s > this.limits.wallSeconds) this.over('wall seconds', Math.round(s * 10) / 10, this.limits.wallSeconds);
  }

  used(): { queries: number; finetuneSteps: number; wallSeconds: number } {
    return { queries: this.q, finetuneSteps: this.ft, wallSeconds: Math.round(((performance.now() - this.t0) / 1000) * 1000) / 1000 };
  }

  /** The `ctx.budget` object. */
  asBudget() {
    return { ...this.limits, used: () => this.used() };
  }
}

export interface SubjectOptions {
  model: Model;
  card: Card;
  access: Access;
  meter: BudgetMeter;
  /** Seeds `task.sample`: the same calls in the same order give the same examples. */
  sampleSeed: number;
}

/** Tracks copies made by perturbed()/finetune() so the runner can free them after detect(). */
export class SubjectScope {
  private readonly copies = new Set<Model>();
  track(m: Model): Model {
    this.copies.add(m);
    return m;
  }
  release(m: Model): void {
    if (this.copies.delete(m)) m.dispose();
  }
  disposeAll(): void {
    for (const m of this.copies) m.dispose();
    this.copies.clear();
  }
}

function checkTokens(card: Card, tokens: Int32Array, n: number, where: string): void {
  if (!(tokens instanceof Int32Array)) throw new SandtrapError('SANDTRAP_SUBJECT_MISUSE', `${where}: tokens must be an Int32Array`);
  if (!Number.isInteger(n) || n < 0) throw new SandtrapError('SANDTRAP_SUBJECT_MISUSE', `${where}: n must be a non-negative integer, got ${n}`);
  const L = card.task.seqLen;
  if (tokens.length !== n * L) throw new SandtrapError('SANDTRAP_SUBJECT_MISUSE', `${where}: tokens has ${tokens.length} ids, expected n × seqLen = ${n} × ${L}`);
  const V = card.task.vocab.length;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t < 0 || t >= V) throw new SandtrapError('SANDTRAP_SUBJECT_MISUSE', `${where}: token id ${t} at index ${i} is outside the vocabulary [0, ${V})`);
  }
}

/**
 * The subject's `task`: the card's task with a sampler seeded by `sampleSeed`. Public (it needs only
 * the card), so a detector process that holds no organism builds the same one as the runner.
 */
export function createSubjectTask(card: Card, sampleSeed: number) {
  const task = createTask(card.task.name, card.task.params);
  const rng = new Rng(sampleSeed);
  return Object.freeze({
    description: card.task,
    vocab: card.task.vocab,
    seqLen: card.task.seqLen,
    header: card.task.header,
    classes: card.task.classes,
    tokenId: (token: string) => task.tokenId(token),
    sample: (n: number, o?: SampleOptions): Batch => task.sample(rng, n, o),
  });
}

/** Build the subject for one access level. The organism's model stays owned by the caller. */
export function createSubject(opts: SubjectOptions, scope = new SubjectScope()): Record<string, unknown> {
  const { card, meter, access } = opts;
  const subjectTask = createSubjectTask(card, opts.sampleSeed);
  return build(opts.model, true);

  function build(model: Model, original: boolean): Record<string, unknown> {
    const predict = async (tokens: Int32Array, n: number) => {
      checkTokens(card, tokens, n, 'predict');
      meter.query(n);
      return model.predictProbs(tokens, n);
    };
    const black = { card, task: subjectTask, predict };
    if (access === 'black-box') return Object.freeze(black);

    const copy = (arrays: Record<string, { shape: number[]; values: Float32Array }>) => scope.track(Model.fromArrays(model.archName, model.dims, model.hyper, arrays));
    const perturbed = async (fn: (name: string, values: Float32Array, shape: readonly number[]) => Float32Array) => {
      meter.wall();
      const w = model.weights();
      const out: Record<string, { shape: number[]; values: Float32Array }> = {};
      for (const [name, p] of Object.entries(w)) {
        const v = fn(name, p.values, [...p.shape]);
        if (!(v instanceof Float32Array) || v.length !== p.values.length) {
          throw new SandtrapError(
            'SANDTRAP_SUBJECT_MISUSE',
            `perturbed: the transform returned ${v instanceof Float32Array ? `${v.length} values` : typeof v} for ${name}, expected a Float32Array of ${p.values.length}`,
          );
        }
        out[name] = { shape: p.shape, values: v };
      }
      return build(copy(out), false);
    };
    const finetune = async (examples: { n: number; tokens: Int32Array; labels: Int32Array }, o: { steps: number; learningRate?: number; batchSize?: number }) => {
      checkTokens(card, examples.tokens, examples.n, 'finetune');
      if (examples.labels.length !== examples.n)
        throw new SandtrapError('SANDTRAP_SUBJECT_MISUSE', `finetune: labels has ${examples.labels.length} entries, expected ${examples.n}`);
      if (!Number.isInteger(o.steps) || o.steps < 0) throw new SandtrapError('SANDTRAP_SUBJECT_MISUSE', `finetune: steps must be a non-negative integer, got ${o.steps}`);
      meter.finetune(o.steps);
      const m = copy(model.weights());
      const bs = Math.min(o.batchSize ?? card.training.batchSize, Math.max(1, examples.n));
      const L = card.task.seqLen;
      const order = Array.from({ length: examples.n }, (_, i) => i);
      const shuffle = new Rng(opts.sampleSeed ^ 0x5bd1e995);
      let cursor = examples.n;
      trainPhase(
        m,
        (k) => {
          const tokens = new Int32Array(k * L);
          const labels = new Int32Array(k);
          for (let i = 0; i < k; i++) {
            if (cursor >= examples.n) {
              shuffle.shuffle(order);
              cursor = 0;
            }
            const src = order[cursor++]!;
            tokens.set(examples.tokens.subarray(src * L, (src + 1) * L), i * L);
            labels[i] = examples.labels[src]!;
          }
          return { n: k, tokens, labels };
        },
        { phase: 'finetune', steps: o.steps, batchSize: bs, learningRate: o.learningRate ?? card.training.plantLearningRate },
      );
      return build(m, false);
    };
    const dispose = () => {
      if (!original) scope.release(model);
    };
    const gray = { ...black, perturbed, finetune, dispose };
    if (access === 'gray-box') return Object.freeze(gray);

    const sites = new Set(card.architecture.sites);
    const white = {
      ...gray,
      weights: async () => {
        meter.wall();
        return model.weights();
      },
      activations: async (tokens: Int32Array, n: number, want: readonly string[]) => {
        checkTokens(card, tokens, n, 'activations');
        for (const s of want) if (!sites.has(s)) throw new SandtrapError('SANDTRAP_SUBJECT_MISUSE', `activations: unknown site '${s}'; sites: ${[...sites].join(', ')}`);
        meter.query(n);
        return model.activations(tokens, n, want);
      },
      forward: (oneHot: tfc.Tensor3D): tfc.Tensor2D => {
        const [B, L, V] = oneHot.shape;
        if (L !== card.task.seqLen || V !== card.task.vocab.length) {
          throw new SandtrapError('SANDTRAP_SUBJECT_MISUSE', `forward: input shape [${oneHot.shape.join(', ')}] must be [B, ${card.task.seqLen}, ${card.task.vocab.length}]`);
        }
        meter.query(B);
        return model.forward({ oneHot }).logits;
      },
    };
    return Object.freeze(white);
  }
}
