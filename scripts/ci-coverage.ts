/**
 * Measures how often the scoreboard's AUROC intervals cover the true AUROC at the smoke zoo's sizes
 * (all positives 32 vs 12 controls; one kind 4 vs 12), for Newcombe's score interval (the default)
 * and the stratified percentile bootstrap. Scores are binormal: controls N(0, 1), positives N(d, 1),
 * so the true AUROC is Φ(d/√2). Prints the markdown table in docs/reference/metrics.md.
 *
 *   npx tsx --conditions=sandtrap-source scripts/ci-coverage.ts [RUNS=1000]
 */
import { aurocCI, mulberry32, normalCdf, type CiMethod } from '@sandtrap/scoreboard';

const runs = Number(process.argv[2] ?? 1000);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`ci-coverage: RUNS must be a positive integer, got '${process.argv[2]}'`);
  process.exit(2);
}

const methods: CiMethod[] = ['score', 'bootstrap'];
console.log(`${runs} samples per row, 95% intervals, bootstrap 1000 resamples\n`);
console.log('| positives / controls | true AUROC | score: coverage | score: mean width | bootstrap: coverage | bootstrap: mean width |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [np, nn] of [
  [32, 12],
  [4, 12],
] as const) {
  for (const d of [0, 0.8, 1.5, 2.5]) {
    const truth = normalCdf(d / Math.SQRT2);
    const rng = mulberry32(1000 * np + Math.round(100 * d));
    const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    const covered = { score: 0, bootstrap: 0 };
    const width = { score: 0, bootstrap: 0 };
    for (let r = 0; r < runs; r++) {
      const pos = Array.from({ length: np }, () => normal() + d);
      const neg = Array.from({ length: nn }, () => normal());
      for (const method of methods) {
        const ci = aurocCI(pos, neg, { method, seed: r + 1 });
        if (ci.lo <= truth && truth <= ci.hi) covered[method]++;
        width[method] += ci.hi - ci.lo;
      }
    }
    const f = (x: number) => (x / runs).toFixed(3);
    console.log(`| ${np} / ${nn} | ${truth.toFixed(3)} | ${f(covered.score)} | ${f(width.score)} | ${f(covered.bootstrap)} | ${f(width.bootstrap)} |`);
  }
}
