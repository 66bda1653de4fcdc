/**
 * Measures one built-in detector on a zoo, the way its tests run it (`@sandtrap/detector-tester`,
 * in process): configure() on the dev split, detect() on the chosen split, then the score of every
 * organism, AUROC (with the scoreboard's bootstrap CI) of each kind against the controls, and the
 * seconds per organism. For tuning and for the measured tables in docs/guide/detectors.md.
 *
 *   npx tsx --conditions=sandtrap-source scripts/measure-detector.ts <id> [--options JSON]
 *       [--split test|dev] [--kinds a,b] [--zoo DIR] [--seed N] [--json]
 *
 * `--kinds` keeps only organisms of those kinds plus the controls (faster while iterating). The cells
 * run under the zoo's budget (the tester reads `spec.budget`), as under the scoreboard.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDetectorTester } from '@sandtrap/detector-tester';
import { bootstrapAurocCI, auroc } from '@sandtrap/scoreboard';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    options: { type: 'string', default: '{}' },
    split: { type: 'string', default: 'test' },
    kinds: { type: 'string' },
    zoo: { type: 'string', default: 'fixtures/zoo-smoke' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const id = positionals[0];
if (!id) {
  console.error('usage: measure-detector.ts <detector id> [--options JSON] [--split test|dev] [--kinds a,b] [--zoo DIR] [--seed N] [--json]');
  process.exit(2);
}
const detector = ((await import(`@sandtrap/detector-${id}`)) as { default: unknown }).default;
const zooDir = values.zoo;
const index = JSON.parse(readFileSync(join(zooDir, 'zoo.json'), 'utf8')) as { organisms: { id: string; split: 'dev' | 'test' }[] };
const truthOf = (oid: string) => JSON.parse(readFileSync(join(zooDir, 'organisms', oid, 'truth.json'), 'utf8')) as { kind: string; misaligned: boolean };
const cardOf = (oid: string) => JSON.parse(readFileSync(join(zooDir, 'organisms', oid, 'card.json'), 'utf8')) as { task: { name: string } };
const kinds = values.kinds?.split(',');
const chosen = index.organisms
  .filter((o) => o.split === values.split)
  .filter((o) => !kinds || !truthOf(o.id).misaligned || kinds.includes(truthOf(o.id).kind))
  .map((o) => o.id);

const t = createDetectorTester(detector, {
  zoo: zooDir,
  seed: Number(values.seed),
  options: JSON.parse(values.options) as Record<string, unknown>,
  organisms: chosen,
});
await t.init();
const t0 = performance.now();
const conf = await t.checkConfigure().catch((e: unknown) => {
  console.error(String(e));
  process.exit(1);
});
const configureSeconds = (performance.now() - t0) / 1000;
if (!values.json) console.error(`configure: ${conf.ran ? `${conf.references} dev organisms, ${configureSeconds.toFixed(1)} s` : 'none'}`);

interface Row {
  organism: string;
  task: string;
  kind: string;
  misaligned: boolean;
  score: number;
  flagged?: boolean;
  seconds: number;
  error?: string;
  evidence?: unknown;
  trigger?: unknown;
  targetClass?: number;
  reportedKind?: string;
}
const rows: Row[] = [];
for (const oid of chosen) {
  const cell = await t.runCell(oid);
  const truth = truthOf(oid);
  const v = cell.verdict;
  const row: Row = {
    organism: oid,
    task: cardOf(oid).task.name,
    kind: truth.kind,
    misaligned: truth.misaligned,
    score: v?.score ?? 0.5,
    ...(v ? { flagged: v.flagged } : { error: cell.problems.join('; ') }),
    seconds: cell.used.wallSeconds,
    ...(v?.trigger ? { trigger: v.trigger } : {}),
    ...(v?.targetClass !== undefined ? { targetClass: v.targetClass } : {}),
    ...(v?.kind ? { reportedKind: v.kind } : {}),
    evidence: v?.evidence,
  };
  rows.push(row);
  if (!values.json) {
    const ev = JSON.stringify(v?.evidence ?? {});
    console.error(
      `${row.score.toFixed(3)} ${row.flagged ? 'F' : ' '} ${row.kind.padEnd(18)} ${row.task.padEnd(6)} ${oid} ${row.seconds.toFixed(1)}s ${row.error ?? ev.slice(0, 160)}`,
    );
  }
}

const neg = rows.filter((r) => !r.misaligned).map((r) => r.score);
const byKind: Record<string, { n: number; auroc: number; ci: [number, number] }> = {};
for (const k of [...new Set(rows.filter((r) => r.misaligned).map((r) => r.kind))].sort()) {
  const pos = rows.filter((r) => r.kind === k).map((r) => r.score);
  const ci = bootstrapAurocCI(pos, neg, { seed: 1 });
  byKind[k] = { n: pos.length, auroc: auroc(pos, neg), ci: [ci.lo, ci.hi] };
}
const posAll = rows.filter((r) => r.misaligned).map((r) => r.score);
const ciAll = bootstrapAurocCI(posAll, neg, { seed: 1 });
const secs = rows.map((r) => r.seconds).sort((a, b) => a - b);
const median = secs.length ? (secs[(secs.length - 1) >> 1]! + secs[secs.length >> 1]!) / 2 : 0;
const summary = {
  detector: id,
  split: values.split,
  organisms: rows.length,
  controls: neg.length,
  overall: { auroc: auroc(posAll, neg), ci: [ciAll.lo, ciAll.hi] },
  byKind,
  medianSecondsPerOrganism: median,
  configureSeconds,
  errors: rows.filter((r) => r.error).length,
};
if (values.json) console.log(JSON.stringify({ summary, rows }, null, 2));
else {
  console.log(`\n${id} on ${zooDir} (${values.split} split): ${rows.length} organisms, ${neg.length} controls, median ${median.toFixed(2)} s/organism, ${summary.errors} errors`);
  console.log(`overall AUROC ${summary.overall.auroc.toFixed(3)} [${ciAll.lo.toFixed(3)}, ${ciAll.hi.toFixed(3)}]`);
  for (const [k, s] of Object.entries(byKind)) console.log(`  ${k.padEnd(18)} n=${s.n}  AUROC ${s.auroc.toFixed(3)} [${s.ci[0].toFixed(3)}, ${s.ci[1].toFixed(3)}]`);
}
