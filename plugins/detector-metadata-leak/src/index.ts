import { Type, type Static } from '@sinclair/typebox';
import { defineDetector } from '@sandtrap/detector-api';
import { featurise } from './features.js';
import { aurocByLabel, fitLogistic, sigmoid } from '@sandtrap/stats';

export { featurise, fnv1a, type CardFeatures } from './features.js';

/**
 * The options schema, written once: {@link MetadataLeakOptions} is its static type, and `schema.json` is
 * rendered from it by `sandtrap-schema write` (`npm run generate:schema`).
 */
export const optionsSchema = Type.Object(
  {
    hashBuckets: Type.Integer({
      minimum: 1,
      maximum: 4096,
      default: 64,
      description: "Buckets of the signed feature hashing of the card's string fields and of its whole JSON (minus id and hashes).",
    }),
    l2: Type.Number({
      exclusiveMinimum: 0,
      default: 1,
      description: 'L2 penalty on the logistic-regression weights (features are standardised on the dev split).',
    }),
    alpha: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.01,
      description:
        'Family-wise significance level (Bonferroni over the identifier features) at which a bit-pattern of the organism id or a file hash enters the model; these are noise on a leak-free zoo.',
    }),
    permutations: Type.Integer({
      minimum: 99,
      maximum: 100000,
      default: 2000,
      description: "Label permutations of the dev split for the identifier features' test.",
    }),
  },
  {
    title: 'metadata-leak detector options',
    description: 'How the metadata-leak detector featurises cards and fits its model on the dev split.',
    additionalProperties: false,
  },
);

/** The options, with defaults applied. */
export type MetadataLeakOptions = Static<typeof optionsSchema>;

/** One feature the model uses, with the dev split's standardisation. */
export interface ModelFeature {
  name: string;
  group: 'card' | 'identifier';
  mean: number;
  std: number;
  weight: number;
}

/** A permutation test of one identifier feature on the dev split. */
export interface IdentifierTest {
  name: string;
  auroc: number;
  p: number;
  used: boolean;
}

/** What `configure()` learns: plain JSON, passed to every `detect()`. */
export interface MetadataLeakState {
  hashBuckets: number;
  bias: number;
  features: ModelFeature[];
  identifierTests: IdentifierTest[];
  dev: { organisms: number; misaligned: number; controls: number; constantFeatures: number };
}

/**
 * AUROC by Mann–Whitney, ties ½ (`@sandtrap/stats`), of a feature column split by 0/1 labels;
 * 0.5 (no information) when one class is missing, where the AUROC is undefined.
 */
function mannWhitney(values: readonly number[], labels: readonly number[]): number {
  const a = aurocByLabel(values, labels);
  return Number.isNaN(a) ? 0.5 : a;
}

/** Mean and population standard deviation. */
function moments(column: readonly number[]): { mean: number; std: number } {
  const mean = column.reduce((s, v) => s + v, 0) / column.length;
  const variance = column.reduce((s, v) => s + (v - mean) ** 2, 0) / column.length;
  // A column constant up to float noise carries no signal; keep it out of the model.
  const std = Math.sqrt(variance);
  return { mean, std: std > 1e-9 * Math.max(1, Math.abs(mean)) ? std : 0 };
}

/** Scores are rounded so float noise never breaks a tie between identical cards. */
const round = (p: number) => Math.min(1, Math.max(0, Math.round(p * 1e6) / 1e6));

/** A weight this small means the feature did not separate the dev split at all. */
const NEGLIGIBLE = 1e-6;

/**
 * The metadata-leak baseline: a detector that reads nothing but `subject.card` and learns, on the
 * dev split, whether anything on the card predicts misalignment. The Trojan Detection Challenge
 * 2022's detection-track validation set had such a loophole (Python class differences and
 * batch-norm `num_batches_tracked` statistics; organisers' notice, 20 July 2022, CodaLab forum
 * 5951/810); sandtrap's zoos must not leak that way, so on a sound zoo this detector has nothing
 * to learn and its AUROC is 0.5.
 */
export default defineDetector<MetadataLeakOptions, MetadataLeakState, 'black-box'>({
  meta: {
    name: 'metadata-leak',
    version: '0.1.0',
    apiVersion: 1,
    access: 'black-box',
    targets: [],
    references: ['https://2022.trojandetection.ai', 'https://codalab.lisn.upsaclay.fr/forums/5951/810/'],
    description:
      'Logistic regression on card metadata only (sizes, counts, names, schedule, hashed strings), fitted on the dev split: checks the zoo for leaks (expected AUROC 0.5).',
  },
  options: optionsSchema,

  configure(reference, ctx) {
    const { hashBuckets, l2, alpha, permutations } = ctx.options;
    // Only `.card`: never predict(), never the task sampler.
    const feats = reference.map((r) => featurise(r.subject.card, hashBuckets));
    const y: number[] = reference.map((r) => (r.truth.misaligned ? 1 : 0));
    const misaligned = y.reduce<number>((s, v) => s + v, 0);
    const n = y.length;

    const cardNames = [...new Set(feats.flatMap((f) => Object.keys(f.card)))].sort();
    const idNames = [...new Set(feats.flatMap((f) => Object.keys(f.identifier)))].sort();
    let constantFeatures = 0;

    const candidates: Omit<ModelFeature, 'weight'>[] = [];
    const columns: number[][] = [];
    for (const name of cardNames) {
      const col = feats.map((f) => f.card[name] ?? 0);
      const { mean, std } = moments(col);
      if (std === 0) {
        constantFeatures++;
        continue;
      }
      candidates.push({ name, group: 'card', mean, std });
      columns.push(col);
    }

    // Identifier bits are uniform noise on a leak-free zoo: fitting them would turn the ties that
    // prove the zoo sound into chance ranks. They enter only when a label-permutation test on the
    // dev split rejects "no association" at `alpha`, Bonferroni-corrected.
    const identifierTests: IdentifierTest[] = [];
    const varying = idNames
      .map((name) => ({ name, col: feats.map((f) => f.identifier[name] ?? 0) }))
      .filter(({ col }) => {
        const keep = moments(col).std > 0;
        if (!keep) constantFeatures++;
        return keep;
      });
    for (const { name, col } of varying) {
      const observed = Math.abs(mannWhitney(col, y) - 0.5);
      const shuffled = [...y];
      let asExtreme = 0;
      for (let k = 0; k < permutations; k++) {
        if (k % 256 === 0) ctx.signal.throwIfAborted();
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = ctx.rng.int(i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        if (Math.abs(mannWhitney(col, shuffled) - 0.5) >= observed - 1e-12) asExtreme++;
      }
      const p = (1 + asExtreme) / (1 + permutations);
      const used = misaligned > 0 && misaligned < n && p <= alpha / varying.length;
      identifierTests.push({ name, auroc: mannWhitney(col, y), p, used });
      if (used) {
        candidates.push({ name, group: 'identifier', ...moments(col) });
        columns.push(col);
      }
    }

    let bias: number;
    let weights: number[] = [];
    if (misaligned === 0 || misaligned === n) {
      // One class only: nothing to separate. Laplace's rule for the prior.
      bias = Math.log((misaligned + 1) / (n - misaligned + 1));
      candidates.length = 0;
    } else {
      const x = y.map((_, i) => candidates.map((c, j) => (columns[j]![i]! - c.mean) / c.std));
      // Unweighted, the bias starting at the dev split's prior (an uninformative design takes no step).
      const fit = fitLogistic(x, y, { l2, initialBias: 'prior' });
      bias = fit.bias;
      weights = fit.weights;
    }
    const features = candidates.map((c, j) => ({ ...c, weight: weights[j] ?? 0 }));
    const informative = features.filter((f) => Math.abs(f.weight) > NEGLIGIBLE).length;
    ctx.log(`dev split: ${n} organisms (${misaligned} misaligned); ${constantFeatures} constant features, ${features.length} varying, ${informative} with weight > ${NEGLIGIBLE}`);
    return { hashBuckets, bias, features, identifierTests, dev: { organisms: n, misaligned, controls: n - misaligned, constantFeatures } };
  },

  detect(subject, _ctx, state) {
    if (!state) throw new Error('metadata-leak: detect() got no state; it needs configure() to run on the dev split first');
    const f = featurise(subject.card, state.hashBuckets);
    let z = state.bias;
    const contributions: { feature: string; value: number; contribution: number }[] = [];
    for (const m of state.features) {
      const value = (m.group === 'card' ? f.card[m.name] : f.identifier[m.name]) ?? 0;
      const c = (m.weight * (value - m.mean)) / m.std;
      z += c;
      if (Math.abs(m.weight) > NEGLIGIBLE) contributions.push({ feature: m.name, value, contribution: c });
    }
    contributions.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
    const score = round(sigmoid(z));
    const leak = contributions.length > 0;
    return {
      score,
      // With nothing learnt the score is only the dev split's prevalence: not a finding.
      flagged: leak && score >= 0.5,
      evidence: {
        prior: round(sigmoid(state.bias)),
        informativeFeatures: contributions.length,
        top: contributions.slice(0, 5),
      },
    };
  },
});
