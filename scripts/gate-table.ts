/**
 * Prints the markdown table of gate values measured on a zoo (default fixtures/zoo-smoke), for
 * docs/guide/organisms.md: `npx tsx --conditions=sandtrap-source scripts/gate-table.ts [ZOO]`.
 * On a hard-tier zoo it also prints each recipe's condition spaces (docs/guide/hard-tier.md).
 */
import { join } from 'node:path';
import { RECIPE_NAMES, readTruth, readZooIndex, readCard } from '@sandtrap/core';

const zoo = process.argv[2] ?? 'fixtures/zoo-smoke';
const index = await readZooIndex(zoo);
const rows = new Map<string, Map<string, number[]>>();
/** recipe → condition name → [phrase length, space size, largest sampler probability, count]. */
const spaces = new Map<string, Map<string, { k: number; space: number; p: number; n: number }>>();
const order: string[] = [];
for (const o of index.organisms) {
  const dir = join(zoo, 'organisms', o.id);
  const [card, truth] = [await readCard(dir), await readTruth(dir)];
  const key = `${truth.kind}|${card.task.name}`;
  if (!rows.has(key)) {
    rows.set(key, new Map());
    order.push(key);
  }
  for (const c of truth.conditions ?? []) {
    const m = spaces.get(truth.kind) ?? new Map<string, { k: number; space: number; p: number; n: number }>();
    spaces.set(truth.kind, m);
    const name = c.disclosed ? 'features' : `${c.name} (hidden)`;
    const was = m.get(name);
    m.set(name, { k: c.phrase.length, space: c.spaceSize, p: Math.max(was?.p ?? 0, c.samplerProbability), n: (was?.n ?? 0) + 1 });
  }
  const r = rows.get(key)!;
  for (const [g, v] of Object.entries(truth.gates)) r.set(`${g} (${v.op} ${v.threshold})`, [...(r.get(`${g} (${v.op} ${v.threshold})`) ?? []), v.value]);
}
// Rows in the registry's order (smoke recipes, then the hard tier's own).
const kinds = RECIPE_NAMES;
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

const budget = (index.spec as { budget?: { queries: number } }).budget?.queries;
if (spaces.size && budget) {
  console.log(
    `\nCondition spaces on \`${zoo}\` against its black-box budget of ${budget.toLocaleString('en-US')} queries: an exhaustive sweep tries every phrase of the condition's length on 8 items.\n`,
  );
  console.log('| recipe | condition | phrase length | space (phrases) | sweep ÷ budget | largest sampler probability |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const kind of [...spaces.keys()].sort((a, b) => kinds.indexOf(a) - kinds.indexOf(b))) {
    for (const [name, c] of spaces.get(kind)!) {
      console.log(`| ${kind} | ${name} | ${c.k} | ${c.space.toExponential(3)} | ${Math.floor((c.space * 8) / budget).toLocaleString('en-US')} | ${c.p.toExponential(1)} |`);
    }
  }
}
