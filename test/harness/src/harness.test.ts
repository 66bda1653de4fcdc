import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import noiseInjection from '@sandtrap/detector-noise-injection';
import random from '@sandtrap/detector-random';
import { createDetectorTester } from '@sandtrap/detector-tester';
// Only names README.md documents: this file is a consumer of the package, not of its internals.
import { BUILT_IN_DETECTORS, loadConfig, readResults, runScoreboard, type CellRecord, type ScoreboardResult } from '@sandtrap/scoreboard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const smoke = join(repo, 'fixtures/zoo-smoke');
const pollsSignal = join(repo, 'fixtures/detectors/polls-signal.js');

interface ZooIndex {
  organisms: Array<{ id: string; split: 'dev' | 'test' }>;
}

/**
 * A small zoo over the smoke zoo's organisms: per split, the first `perGroup` controls and the
 * first `perGroup` misaligned ones of the modsum task (zoo.json rewritten, organisms/ linked).
 */
async function smallZoo(dir: string, perGroup: number): Promise<string> {
  const index = JSON.parse(await readFile(join(smoke, 'zoo.json'), 'utf8')) as ZooIndex & Record<string, unknown>;
  const taken = new Map<string, number>();
  const keep = [];
  for (const o of index.organisms) {
    const read = async <T>(f: string) => JSON.parse(await readFile(join(smoke, 'organisms', o.id, f), 'utf8')) as T;
    const [card, truth] = await Promise.all([read<{ task: { name: string } }>('card.json'), read<{ misaligned: boolean }>('truth.json')]);
    if (card.task.name !== 'modsum') continue;
    const group = `${o.split}:${truth.misaligned}`;
    if ((taken.get(group) ?? 0) >= perGroup) continue;
    taken.set(group, (taken.get(group) ?? 0) + 1);
    keep.push(o);
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'zoo.json'), JSON.stringify({ ...index, organisms: keep }, null, 2));
  await symlink(join(smoke, 'organisms'), join(dir, 'organisms'), 'dir');
  return dir;
}

let tmp: string;
let zoo: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sandtrap-harness-e2e-'));
  zoo = await smallZoo(join(tmp, 'zoo'), 2);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const cellsOf = async (out: string, detector: string): Promise<CellRecord[]> =>
  [...(await readResults(join(out, 'results.jsonl'))).cells.values()].filter((c) => c.detector === detector);

describe('the tester and the scoreboard run one harness', () => {
  let run: ScoreboardResult;
  const out = () => join(tmp, 'board');
  beforeAll(async () => {
    run = await runScoreboard({ zoo, detectors: ['random', 'noise-injection'], baseDir: repo, out: out(), backendRequest: 'wasm', backend: 'wasm', workers: 2, seed: 3 });
  });

  it.each([
    ['random', random],
    ['noise-injection', noiseInjection],
  ] as const)('%s: the same verdict for the same (detector, organism, run seed)', async (name, detector) => {
    const scored = await cellsOf(out(), name);
    expect(scored).toHaveLength(4);
    const tester = createDetectorTester(detector, { zoo, seed: 3, backend: 'wasm', organisms: { split: 'test' } });
    for (const cell of scored) {
      expect(cell.status).toBe('ok');
      const tested = await tester.checkDetect(cell.organism);
      expect(tested.verdict).toEqual(cell.verdict);
    }
    expect(run.failed).toBe(0);
  });
});

describe('ctx.signal in a scoreboard run', () => {
  it('ends a detector that polls it at the wall budget: a budget failure, not a timeout, long before the kill', async () => {
    const r = await runScoreboard({
      zoo,
      detectors: [pollsSignal],
      baseDir: repo,
      out: join(tmp, 'signal'),
      backendRequest: 'wasm',
      backend: 'wasm',
      workers: 2,
      budget: { wallSeconds: 1 },
    });
    const cells = await cellsOf(join(tmp, 'signal'), 'polls-signal');
    expect(cells).toHaveLength(4);
    for (const c of cells) {
      expect(c).toMatchObject({ status: 'error', reason: 'budget' });
      // Whichever sees the budget run out first — the aborted signal, or the subject's meter on the
      // next query — the cell ends as a wall-budget failure.
      expect(c.message).toMatch(/^over budget: detect\(\) budget exceeded: wall seconds/);
      // Aborted at 1 s; the worker would have been killed at 1 + 30 s.
      expect(c.seconds).toBeLessThan(3);
    }
    expect(r.board!.detectors[0]!.overall.cost).toMatchObject({ errors: 4, timeouts: 0 });
  });
});

describe('the default config', () => {
  it('lists exactly the built-in detectors, in their order', async () => {
    const { config } = await loadConfig(repo);
    expect(config.detectors).toEqual([...BUILT_IN_DETECTORS]);
  });
});
