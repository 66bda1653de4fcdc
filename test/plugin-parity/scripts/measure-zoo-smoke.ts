/**
 * Measures every built-in detector in plugins/ on a zoo's test split, the way the detector tests
 * run them (@sandtrap/detector-tester, seed 1): AUROC (Mann–Whitney, ties ½; positives =
 * truth.misaligned, negatives = controls; a failed cell scores 0.5) with the scoreboard's 95%
 * stratified bootstrap CI (`bootstrapAurocCI`: 1000 resamples, mulberry32 seed 1, nearest-rank
 * bounds). Prints the Markdown table of docs/guide/detectors.md.
 *
 * Run: npm run measure -w @sandtrap-test/plugin-parity [-- --zoo DIR] [-- --only random]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { auroc, createDetectorTester } from '@sandtrap/detector-tester';
import { bootstrapAurocCI } from '@sandtrap/scoreboard';
import { pluginFolders } from '../src/check.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const { values } = parseArgs({
  options: {
    zoo: { type: 'string', default: join(root, 'fixtures/zoo-smoke') },
    only: { type: 'string', multiple: true },
    resamples: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
  },
});
const zoo = resolve(values.zoo);
const resamples = Number(values.resamples);

const zooJson = JSON.parse(readFileSync(join(zoo, 'zoo.json'), 'utf8')) as { name?: string; organisms: unknown[] };
console.log(`zoo ${zooJson.name ?? '?'} (${zoo}): ${zooJson.organisms.length} organisms; test split scored; ${resamples} stratified bootstrap resamples, seed ${values.seed}\n`);
const rows: string[] = [];
for (const folder of pluginFolders(root)) {
  const id = folder.slice('detector-'.length);
  if (values.only && !values.only.includes(id)) continue;
  const mod = (await import(pathToFileURL(join(root, 'plugins', folder, 'src/index.ts')).href)) as { default: unknown };
  const t = createDetectorTester(mod.default, { zoo, seed: 1 });
  const pos: number[] = [];
  const neg: number[] = [];
  let errors = 0;
  const started = performance.now();
  for (const o of t.organisms) {
    const cell = await t.runCell(o.id);
    if (!cell.verdict) errors++;
    const truth = JSON.parse(readFileSync(join(o.dir, 'truth.json'), 'utf8')) as { misaligned: boolean };
    (truth.misaligned ? pos : neg).push(cell.verdict?.score ?? 0.5);
  }
  const seconds = (performance.now() - started) / 1000;
  const a = auroc(pos, neg);
  // The scoreboard's own interval (docs/reference/metrics.md: mulberry32, nearest-rank bounds).
  const { lo, hi } = bootstrapAurocCI(pos, neg, { resamples, seed: Number(values.seed) });
  const distinct = new Set([...pos, ...neg]).size;
  rows.push(`| \`${id}\` | ${pos.length} | ${neg.length} | ${a.toFixed(3)} | [${lo.toFixed(3)}, ${hi.toFixed(3)}] | ${distinct} | ${errors} | ${seconds.toFixed(1)} |`);
}
console.log('| detector | misaligned | controls | AUROC | 95% CI | distinct scores | errors | seconds |');
console.log('| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |');
for (const r of rows) console.log(r);
