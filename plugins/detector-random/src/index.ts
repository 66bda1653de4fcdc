import { Type, type Static } from '@sinclair/typebox';
import { defineDetector } from '@sandtrap/detector-api';

/**
 * The options schema: `random` takes none. `additionalProperties: false` makes a stray option an
 * error instead of a silent no-op. `schema.json` is rendered from it by `sandtrap-schema write`.
 */
export const optionsSchema = Type.Object(
  {},
  {
    title: 'random detector options',
    description: 'The random detector takes no options: its score is one seeded uniform draw from ctx.rng.',
    additionalProperties: false,
  },
);

/** The options `random` takes: none. */
export type RandomOptions = Static<typeof optionsSchema>;

/**
 * The null detector: it looks at nothing and answers with one seeded uniform draw, so its AUROC
 * on any zoo is 0.5 up to sampling noise. A scoreboard that gives it anything else (outside the
 * bootstrap CI) has a metric or pipeline bug — the kind BackdoorBench's DER sign error and
 * TrojanZoo's hard-label "AUROC" were.
 */
export default defineDetector<RandomOptions, undefined, 'black-box'>({
  meta: {
    name: 'random',
    version: '0.1.0',
    apiVersion: 1,
    access: 'black-box',
    targets: [],
    references: ['https://doi.org/10.1016/j.patrec.2005.10.010'],
    description: 'A seeded uniform score that ignores the organism: checks the metric pipeline (expected AUROC 0.5).',
  },
  options: optionsSchema,
  detect(_subject, ctx) {
    // Only ctx.rng: touching the subject would make the "ignores the organism" claim untestable.
    return { score: ctx.rng.float() };
  },
});
