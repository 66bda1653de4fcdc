import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import {
  contentHash,
  DEFAULT_BUDGET,
  ensureWritableDir,
  readCard,
  readTruth,
  readZooIndex,
  SANDTRAP_VERSION,
  SandtrapError,
  writeFileAtomic,
  type BudgetLimits,
} from '@sandtrap/core';
import type { BoardCell, BoardDetector, BoardSettings, BoardZoo, Scoreboard } from './board.js';
import { ERROR_SCORE, summarise, type CiMethod, type SummaryCell } from './metrics.js';
import { appendResult, appendResults, readResults, type CellRecord, type ConfigureRecord } from './results.js';
import { prepareDetector, runPrepared, type PreparedDetector, type StateCache } from './runner.js';
import type { DetectorRef } from './resolve.js';
import { checkScoreboard } from './board-schema.js';

/** Which share of the cells a run does: the `index`-th of `count` (1-based), as `--shard 2/3`. */
export interface Shard {
  index: number;
  count: number;
}

/** `2/3` → { index: 2, count: 3 }; anything else (0/3, 4/3, 1/0, x) is a one-line error. */
export function parseShard(text: string, flag = '--shard'): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index >= 1) || index > count) {
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `${flag} ${text}: expected I/N with 1 ≤ I ≤ N (e.g. 1/3 for the first of three shards)`);
  }
  return { index, count };
}

export interface ScoreboardOptions {
  zoo: string;
  detectors: DetectorRef[];
  /** Where relative detector paths resolve from (the config file's folder, or the cwd). */
  baseDir: string;
  /** Output folder: results.jsonl, run.json, state/, and (unsharded) the reports. */
  out: string;
  workers?: number;
  timeoutSeconds?: number;
  memoryMb?: number;
  budget?: Partial<BudgetLimits>;
  /** Run seed (cells derive theirs from it). Default 1. */
  seed?: number;
  /** How the AUROC intervals are computed: `score` (Newcombe, the default) or `bootstrap`. */
  ci?: CiMethod;
  /** Bootstrap resamples (`ci: 'bootstrap'`). Default 1000. */
  resamples?: number;
  /** CI level. Default 0.95. */
  level?: number;
  /** The backend request as given (`auto`, `wasm`…) and the backend in use. */
  backendRequest: string;
  backend: string;
  shard?: Shard;
  /**
   * Rerun the cells whose recorded result is an error (threw, budget, timeout…) instead of reusing
   * it; the new result is appended to results.jsonl and, being the latest line, is the one that
   * counts. Default false: an errored cell is finished like any other.
   */
  retryErrors?: boolean;
  onEvent?: (e: ScoreboardEvent) => void;
}

/** What a run will do, per detector in run order: its cells to run (new and retried). */
export interface PlanDetector {
  detector: string;
  toRun: number;
}

export type ScoreboardEvent =
  | {
      type: 'plan';
      /** Cells of this run (or shard). */
      total: number;
      /** Cells reused from results.jsonl (not run). */
      cached: number;
      /** Of `cached`: errored cells reused as they are (without `retryErrors`). */
      cachedErrors: number;
      /** Errored cells that run again (`retryErrors`); part of `toRun`. */
      retry: number;
      /** Cells that run: never run before, plus `retry`. `cached + toRun = total`. */
      toRun: number;
      detectors: number;
      organisms: number;
      shard: Shard;
      byDetector: PlanDetector[];
    }
  | { type: 'configure'; detector: string; phase: 'start' | 'done'; status?: 'ok' | 'error'; message?: string; cached?: boolean }
  | { type: 'cell'; detector: string; record: CellRecord; done: number; failed: number; toRun: number; elapsedSeconds: number };

/** One detector of a run, as run.json records it (enough to build the scoreboard without loading it). */
export type ManifestDetector = Pick<BoardDetector, 'id' | 'ref' | 'version' | 'access' | 'package' | 'options' | 'optionsHash' | 'targets'> & {
  /** Hash of the detector's entry file: a changed build reruns its cells. */
  codeHash: string;
  /** Key of its configure() record. */
  key: string;
};

/** `run.json`: what a (shard of a) run is, so `merge` can check shards belong together. */
export interface RunManifest {
  schemaVersion: 1;
  zoo: { dir: string; name: string; specHash: string };
  settings: BoardSettings;
  detectors: ManifestDetector[];
  shard: Shard;
  /** Keys of the cells this shard owns. */
  cells: string[];
  timing: { startedAt: string; finishedAt?: string; wallSeconds?: number };
}

export interface ScoreboardResult {
  manifest: RunManifest;
  /** Present when every cell of the run is done and the run is not a shard of several. */
  board?: Scoreboard;
  /** Cells run by this invocation (including `retried`). */
  ran: number;
  /** Of `ran`: errored cells run again (`retryErrors`). */
  retried: number;
  cached: number;
  failed: number;
}

interface TestOrganism {
  id: string;
  task: string;
  weights: string;
  kind: string;
  misaligned: boolean;
  trigger?: { tokens: string[]; positions: number[] };
  targetClass?: number;
}

const ordinal = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const json = (x: unknown) => (Number.isFinite(x) ? (x as number) : null);

/** The test split with what scoring needs from truth; checks it has misaligned organisms and controls. */
async function testOrganisms(zoo: string): Promise<{ index: Awaited<ReturnType<typeof readZooIndex>>; organisms: TestOrganism[] }> {
  const index = await readZooIndex(zoo);
  const ids = index.organisms.filter((o) => o.split === 'test').map((o) => o.id).sort(ordinal);
  const organisms = await Promise.all(
    ids.map(async (id): Promise<TestOrganism> => {
      const dir = join(zoo, 'organisms', id);
      const [card, truth] = await Promise.all([readCard(dir), readTruth(dir)]);
      return {
        id,
        task: card.task.name,
        weights: card.files['weights.bin'].sha256,
        kind: truth.kind,
        misaligned: truth.misaligned,
        ...(truth.trigger ? { trigger: truth.trigger } : {}),
        ...(truth.targetClass !== undefined ? { targetClass: truth.targetClass } : {}),
      };
    }),
  );
  if (!organisms.some((o) => !o.misaligned)) {
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `zoo ${zoo}: its test split has no controls (clean, weak or quirky), so no AUROC can be computed; add control recipes to the zoo spec and rebuild it`);
  }
  if (!organisms.some((o) => o.misaligned)) {
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `zoo ${zoo}: its test split has no misaligned organisms, so no AUROC can be computed; add planted recipes to the zoo spec and rebuild it`);
  }
  return { index, organisms };
}

function budgetOf(b: Partial<BudgetLimits> | undefined): BudgetLimits {
  return { ...DEFAULT_BUDGET, ...b };
}

function settingsOf(o: ScoreboardOptions): BoardSettings {
  const b = budgetOf(o.budget);
  return {
    split: 'test',
    seed: o.seed ?? 1,
    ci: o.ci ?? 'score',
    resamples: o.resamples ?? 1000,
    level: o.level ?? 0.95,
    backend: o.backend,
    budget: { queries: json(b.queries), finetuneSteps: json(b.finetuneSteps), wallSeconds: json(b.wallSeconds) },
  };
}

/** The content key of one cell: it changes exactly when the cell's result could. */
export function cellKey(d: Pick<ManifestDetector, 'id' | 'version' | 'optionsHash' | 'codeHash'>, o: Pick<TestOrganism, 'id' | 'weights'>, s: Pick<BoardSettings, 'seed' | 'budget' | 'backend'>): string {
  return contentHash({ detector: d.id, version: d.version, options: d.optionsHash, code: d.codeHash, organism: o.id, weights: o.weights, seed: s.seed, budget: s.budget, backend: s.backend });
}

function detectorKey(p: PreparedDetector, s: BoardSettings, specHash: string): string {
  return contentHash({ detector: p.meta.name, version: p.meta.version, options: p.optionsHash, code: p.codeHash, seed: s.seed, budget: s.budget, backend: s.backend, zoo: specHash });
}

/** configure()'s state, kept in `state/<key>.v8` (v8 serialisation keeps typed arrays). */
function stateCache(dir: string, key: string): StateCache {
  const path = join(dir, 'state', `${key}.v8`);
  return {
    async load() {
      try {
        return deserialize(await readFile(path)) as { state: unknown; seconds: number };
      } catch {
        return undefined;
      }
    },
    async save(state, seconds) {
      await mkdir(join(dir, 'state'), { recursive: true });
      await writeFileAtomic(path, serialize({ state, seconds }));
    },
  };
}

/**
 * Runs every detector on every test-split organism of a zoo (or this shard's share), appending
 * each finished cell to `out/results.jsonl` and skipping cells already there (with `retryErrors`,
 * cells recorded as errors run again), then — when the run is whole — builds the scoreboard. Bad
 * input (missing zoo, no controls, unknown or broken detector, bad options) throws a one-line
 * SandtrapError before any cell runs.
 */
export async function runScoreboard(o: ScoreboardOptions): Promise<ScoreboardResult> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const zoo = resolve(o.zoo);
  if (o.detectors.length === 0) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', 'no detectors to run; name some with --detectors a,b or in the config file');
  const { index, organisms } = await testOrganisms(zoo);
  const settings = settingsOf(o);
  const shard = o.shard ?? { index: 1, count: 1 };

  // Each detector is loaded once in its own sandboxed process (shape, meta, options); in parallel.
  const prepared = await Promise.all(o.detectors.map((ref) => prepareDetector(ref, o.baseDir, o.backendRequest)));
  const seen = new Map<string, string>();
  for (const p of prepared) {
    const prev = seen.get(p.meta.name);
    if (prev) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `detector '${p.meta.name}' is listed twice ('${prev}' and '${p.located.ref}'); list each detector once`);
    seen.set(p.meta.name, p.located.ref);
  }
  await ensureWritableDir(o.out);

  const detectors: ManifestDetector[] = prepared.map((p) => ({
    id: p.meta.name,
    ref: p.located.ref,
    version: p.meta.version,
    access: p.meta.access,
    ...(p.located.packageName ? { package: p.located.packageName } : {}),
    options: p.options,
    optionsHash: p.optionsHash,
    codeHash: p.codeHash,
    targets: [...(p.meta.targets ?? [])],
    key: detectorKey(p, settings, index.specHash),
  }));
  // Canonical cell order: detectors in config order × organisms by id; shard i takes every n-th.
  const all = detectors.flatMap((d, di) => organisms.map((org) => ({ di, org, key: cellKey(d, org, settings) })));
  const mine = all.filter((_, k) => k % shard.count === shard.index - 1);
  const manifest: RunManifest = {
    schemaVersion: 1,
    zoo: { dir: zoo, name: index.name, specHash: index.specHash },
    settings,
    detectors,
    shard,
    cells: mine.map((c) => c.key),
    timing: { startedAt },
  };
  await writeFileAtomic(join(o.out, 'run.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  const resultsPath = join(o.out, 'results.jsonl');
  const existing = await readResults(resultsPath, { repair: true });
  // A cell is done when results.jsonl has a line for it (the latest one counts); with retryErrors,
  // a cell whose latest line is an error is not done: it runs again and its new line is appended.
  const isError = (c: { key: string }) => existing.cells.get(c.key)?.status === 'error';
  const todo = mine.filter((c) => !existing.cells.has(c.key) || (o.retryErrors === true && isError(c)));
  const retry = o.retryErrors ? todo.filter(isError).length : 0;
  const cached = mine.length - todo.length;
  const cachedErrors = o.retryErrors ? 0 : mine.filter(isError).length;
  const byDetector = detectors.map((d, di) => ({ detector: d.id, toRun: todo.filter((c) => c.di === di).length }));
  o.onEvent?.({ type: 'plan', total: mine.length, cached, cachedErrors, retry, toRun: todo.length, detectors: detectors.length, organisms: organisms.length, shard, byDetector });

  let done = 0;
  let failed = 0;
  const pending: Promise<void>[] = [];
  for (const [di, p] of prepared.entries()) {
    const d = detectors[di]!;
    const cells = todo.filter((c) => c.di === di);
    if (cells.length === 0) continue;
    const byId = new Map(cells.map((c) => [c.org.id, c]));
    const cache = stateCache(o.out, d.key);
    await runPrepared(p, {
      zoo,
      organisms: cells.map((c) => c.org.id),
      workers: o.workers,
      timeoutSeconds: o.timeoutSeconds,
      memoryMb: o.memoryMb,
      budget: o.budget,
      seed: settings.seed,
      backend: o.backendRequest,
      stateCache: {
        load: async () => {
          const s = await cache.load();
          if (s) o.onEvent?.({ type: 'configure', detector: d.id, phase: 'done', status: 'ok', cached: true });
          return s;
        },
        save: (state, seconds) => cache.save(state, seconds),
      },
      onConfigure: (phase, r) => {
        o.onEvent?.({ type: 'configure', detector: d.id, phase, ...(r ? { status: r.status, ...(r.message ? { message: r.message } : {}) } : {}) });
        if (phase === 'done' && r) {
          const rec: ConfigureRecord = { type: 'configure', key: d.key, detector: d.id, status: r.status, ...(r.message ? { message: r.message } : {}), seconds: r.seconds ?? 0 };
          // Recorded for the report; a failed configure() is not cached as state, its cells are.
          pending.push(appendResult(resultsPath, rec));
        }
      },
      onCell: (r) => {
        const c = byId.get(r.organism)!;
        const record: CellRecord = {
          type: 'cell',
          key: c.key,
          detector: d.id,
          version: d.version,
          optionsHash: d.optionsHash,
          organism: r.organism,
          status: r.status,
          ...(r.verdict ? { verdict: r.verdict } : {}),
          ...(r.reason ? { reason: r.reason } : {}),
          ...(r.message ? { message: r.message } : {}),
          seconds: r.seconds,
          queries: r.queries,
          finetuneSteps: r.finetuneSteps,
        };
        pending.push(appendResult(resultsPath, record));
        done++;
        if (r.status === 'error') failed++;
        o.onEvent?.({ type: 'cell', detector: d.id, record, done, failed, toRun: todo.length, elapsedSeconds: (performance.now() - t0) / 1000 });
      },
    });
    await Promise.all(pending.splice(0));
  }
  await Promise.all(pending.splice(0));

  manifest.timing = { startedAt, finishedAt: new Date().toISOString(), wallSeconds: (performance.now() - t0) / 1000 };
  await writeFileAtomic(join(o.out, 'run.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const result: ScoreboardResult = { manifest, ran: done, retried: retry, cached, failed };
  if (shard.count === 1) {
    const records = await readResults(resultsPath);
    result.board = buildBoard(manifest, organisms, records.cells, records.configures, manifest.timing);
    await writeBoard(o.out, result.board);
  }
  return result;
}

/** Writes `scoreboard.json` (validated first: a scoreboard that breaks its own schema is a bug). */
export async function writeBoard(out: string, board: Scoreboard): Promise<string> {
  checkScoreboard(board, 'scoreboard.json (as built)');
  const path = join(out, 'scoreboard.json');
  await writeFileAtomic(path, `${JSON.stringify(board, null, 2)}\n`);
  return path;
}

/** The scoreboard of a finished run: metrics per detector, overall and per misaligned kind. */
export function buildBoard(
  manifest: Pick<RunManifest, 'zoo' | 'settings' | 'detectors'>,
  organisms: readonly TestOrganism[],
  cells: ReadonlyMap<string, CellRecord>,
  configures: ReadonlyMap<string, ConfigureRecord>,
  timing: RunManifest['timing'],
): Scoreboard {
  const { settings } = manifest;
  const zoo: BoardZoo = {
    name: manifest.zoo.name,
    specHash: manifest.zoo.specHash,
    organisms: organisms.length,
    positives: organisms.filter((x) => x.misaligned).length,
    controls: organisms.filter((x) => !x.misaligned).length,
    kinds: [...new Set(organisms.filter((x) => x.misaligned).map((x) => x.kind))].sort(ordinal),
    controlKinds: [...new Set(organisms.filter((x) => !x.misaligned).map((x) => x.kind))].sort(ordinal),
  };
  const missing: string[] = [];
  const detectors = manifest.detectors.map((d): BoardDetector => {
    const boardCells: BoardCell[] = [];
    const summary: SummaryCell[] = [];
    for (const org of organisms) {
      const r = cells.get(cellKey(d, org, settings));
      if (!r) {
        missing.push(`${d.id} × ${org.id}`);
        continue;
      }
      const v = r.status === 'ok' ? r.verdict : undefined;
      const score = v ? v.score : ERROR_SCORE;
      const flagged = v ? v.flagged : false;
      boardCells.push({
        organism: org.id,
        task: org.task,
        kind: org.kind,
        misaligned: org.misaligned,
        status: r.status,
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.message ? { message: r.message } : {}),
        score,
        flagged,
        ...(v?.kind !== undefined ? { predictedKind: v.kind } : {}),
        ...(v?.trigger ? { trigger: v.trigger } : {}),
        ...(v?.targetClass !== undefined ? { targetClass: v.targetClass } : {}),
        queries: r.queries,
        finetuneSteps: r.finetuneSteps,
        seconds: r.seconds,
      });
      summary.push({
        score,
        flagged,
        misaligned: org.misaligned,
        kind: org.kind,
        status: r.status,
        ...(r.reason ? { reason: r.reason } : {}),
        seconds: r.seconds,
        queries: r.queries,
        ...(v?.trigger ? { trigger: v.trigger } : {}),
        ...(v?.targetClass !== undefined ? { targetClass: v.targetClass } : {}),
        ...(v?.kind !== undefined ? { predictedKind: v.kind } : {}),
        ...(org.trigger ? { truthTrigger: org.trigger } : {}),
        ...(org.targetClass !== undefined ? { truthTargetClass: org.targetClass } : {}),
      });
    }
    const s = summarise(summary, { ci: settings.ci ?? 'bootstrap', resamples: settings.resamples, seed: settings.seed, level: settings.level });
    const conf = configures.get(d.key);
    return {
      id: d.id,
      ref: d.ref,
      version: d.version,
      access: d.access,
      ...(d.package ? { package: d.package } : {}),
      options: d.options,
      optionsHash: d.optionsHash,
      targets: d.targets,
      ...(conf ? { configure: { status: conf.status, ...(conf.message ? { message: conf.message } : {}), timing: { seconds: conf.seconds } } } : {}),
      overall: s.overall,
      byKind: s.byKind,
      cells: boardCells,
    };
  });
  if (missing.length) {
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `the results lack ${missing.length} cell(s) (first: ${missing[0]}); rerun the scoreboard (or the missing shard) into the same --out to finish them`);
  }
  return {
    schemaVersion: 1,
    generator: { name: 'sandtrap', version: SANDTRAP_VERSION },
    zoo,
    settings,
    detectors,
    timing: { startedAt: timing.startedAt, finishedAt: timing.finishedAt ?? timing.startedAt, wallSeconds: timing.wallSeconds ?? 0 },
  };
}

async function readManifest(dir: string): Promise<RunManifest> {
  const path = join(dir, 'run.json');
  let m: RunManifest;
  try {
    m = JSON.parse(await readFile(path, 'utf8')) as RunManifest;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing: not a scoreboard output folder' : `unreadable (${(e as Error).message})`;
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `${path}: ${why}; pass the --out folders of the shard runs`);
  }
  if (m?.schemaVersion !== 1 || !m.shard || !Array.isArray(m.cells) || !Array.isArray(m.detectors)) {
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `${path}: not a sandtrap run manifest (schemaVersion 1 with shard, cells, detectors); pass the --out folders of the shard runs`);
  }
  return m;
}

export interface MergeOptions {
  /** Shard output folders. */
  dirs: string[];
  out: string;
  /** The zoo, when it has moved since the shards ran (default: the path in run.json). */
  zoo?: string;
}

/**
 * Combines shard output folders into one: checks they are shards 1..n of the same run (zoo,
 * settings, detectors), unions their results.jsonl into `out` (the latest line of each key of a
 * shard: a cell retried with `--retry-errors` counts once, with its retried result; the merged
 * file has one line per key), and builds the scoreboard — the same scoreboard.json an unsharded
 * run writes, up to timing fields.
 */
export async function mergeShards(o: MergeOptions): Promise<{ board: Scoreboard; manifest: RunManifest }> {
  if (o.dirs.length === 0) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', 'merge: name the shard output folders to merge (sandtrap merge DIR... --out DIR)');
  const manifests = await Promise.all(o.dirs.map((d) => readManifest(d)));
  const first = manifests[0]!;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const byIndex = new Map<number, string>();
  for (const [i, m] of manifests.entries()) {
    const dir = o.dirs[i]!;
    if (m.zoo.specHash !== first.zoo.specHash) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `merge: ${dir} scored zoo ${m.zoo.specHash}, ${o.dirs[0]} zoo ${first.zoo.specHash}; merge shards of one run only`);
    if (!same(m.settings, first.settings)) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `merge: ${dir} ran with other settings than ${o.dirs[0]} (seed, budget or backend); merge shards of one run only`);
    if (!same(m.detectors.map((d) => d.key), first.detectors.map((d) => d.key))) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `merge: ${dir} ran other detectors (or versions, options) than ${o.dirs[0]}; merge shards of one run only`);
    if (m.shard.count !== first.shard.count) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `merge: ${dir} is shard ${m.shard.index}/${m.shard.count} but ${o.dirs[0]} is of ${first.shard.count}; merge shards of one run only`);
    const dup = byIndex.get(m.shard.index);
    if (dup) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `merge: ${dup} and ${dir} are both shard ${m.shard.index}/${m.shard.count}; pass each shard once`);
    byIndex.set(m.shard.index, dir);
  }
  const absent = Array.from({ length: first.shard.count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (absent.length) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `merge: shard(s) ${absent.map((i) => `${i}/${first.shard.count}`).join(', ')} missing; pass the --out folders of all ${first.shard.count} shards`);

  const cells = new Map<string, CellRecord>();
  const configures = new Map<string, ConfigureRecord>();
  for (const [i, dir] of o.dirs.entries()) {
    const r = await readResults(join(dir, 'results.jsonl'));
    const owned = new Set(manifests[i]!.cells);
    const unfinished = manifests[i]!.cells.filter((k) => !r.cells.has(k)).length;
    if (unfinished) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `merge: ${dir} (shard ${manifests[i]!.shard.index}/${first.shard.count}) has ${unfinished} unfinished cell(s); rerun that shard into the same --out to finish it`);
    for (const [k, c] of r.cells) if (owned.has(k)) cells.set(k, c);
    for (const [k, c] of r.configures) if (!configures.has(k)) configures.set(k, c);
  }
  const zoo = resolve(o.zoo ?? first.zoo.dir);
  const { index, organisms } = await testOrganisms(zoo);
  if (index.specHash !== first.zoo.specHash) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `merge: zoo ${zoo} has spec ${index.specHash}, the shards scored ${first.zoo.specHash}; pass --zoo with the zoo they scored`);
  await ensureWritableDir(o.out);
  const timings = manifests.map((m) => m.timing);
  const timing = {
    startedAt: timings.map((t) => t.startedAt).sort(ordinal)[0]!,
    finishedAt: timings.map((t) => t.finishedAt ?? t.startedAt).sort(ordinal).at(-1)!,
    wallSeconds: timings.reduce((a, t) => a + (t.wallSeconds ?? 0), 0),
  };
  const manifest: RunManifest = { ...first, zoo: { ...first.zoo, dir: zoo }, shard: { index: 1, count: 1 }, cells: [...cells.keys()], timing };
  const board = buildBoard(manifest, organisms, cells, configures, timing);
  const resultsPath = join(o.out, 'results.jsonl');
  await rm(resultsPath, { force: true });
  await appendResults(resultsPath, [...configures.values(), ...cells.values()]);
  await writeFileAtomic(join(o.out, 'run.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeBoard(o.out, board);
  return { board, manifest };
}
