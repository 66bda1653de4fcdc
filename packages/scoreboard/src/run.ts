import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureWritableDir, inspectOrganism, SandtrapError, writeFileAtomic, type BudgetLimits } from '@sandtrap/core';
import { buildBoard, writeBoard, type BoardDetector, type BoardSealed, type BoardSettings, type Scoreboard } from './board.js';
import { cellKey, detectorKey } from './keys.js';
import { readResults, type CellRecord } from './results.js';
import { budgetOf, cellWorkerPool, prepareDetector, runPrepared } from './runner.js';
import { Slots } from './slots.js';
import type { SandboxLayers, SandboxRequest } from './sandbox.js';
import type { DetectorRef } from './resolve.js';
import type { CiMethod } from './statistics.js';
import { devSplitHash, ordinal, testOrganisms } from './test-split.js';

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
  /** The OS sandbox: 'auto' (default: bwrap when it works here), 'bwrap' (required) or 'node'. */
  sandbox?: SandboxRequest;
  /**
   * Start a detector process for each cell alone (`--fresh-process`). Default false: a detector's
   * cells share its process (one per cell worker), which is checked unchanged after each cell.
   */
  freshProcess?: boolean;
  /**
   * `'kind'`: leave-one-kind-out. For each misaligned kind of the test split, configure() also runs
   * on the dev split without that kind, and the kind's test organisms and every test control are
   * scored with that state: the board's `unseenKind` scores.
   */
  holdout?: Holdout;
  /**
   * The key of a sealed zoo (`zoo build --sealed`): the runner reads the test split's truth from
   * it. A sealed run needs the OS sandbox, and the key is hidden from every detector.
   */
  sealedKey?: string;
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
      /** Worker slots the detectors share (`workers`, default the number of cores). */
      workers: number;
      /** How the detectors' workers are confined. */
      sandbox?: SandboxLayers;
      /**
       * `--holdout kind`: the held-out kinds, and how many held-out cells this run (or shard) may
       * add at most — fewer once a kind's state turns out equal to the ordinary one (`holdout` events).
       */
      holdout?: { kinds: string[]; upTo: number };
    }
  | { type: 'configure'; detector: string; phase: 'start' | 'done'; status?: 'ok' | 'error'; message?: string; cached?: boolean }
  /** `--holdout kind`: a held-out kind's configure() is done; `toRun` cells are added to the run (0 when its state is the ordinary one). */
  | { type: 'holdout'; detector: string; kind: string; status: 'ok' | 'error'; message?: string; cached: boolean; stateChanged: boolean; toRun: number }
  | { type: 'cell'; detector: string; record: CellRecord; done: number; failed: number; toRun: number; elapsedSeconds: number };

/** One detector of a run, as run.json records it (enough to build the scoreboard without loading it). */
export type ManifestDetector = Pick<BoardDetector, 'id' | 'ref' | 'version' | 'access' | 'package' | 'options' | 'optionsHash' | 'targets'> & {
  /** Hash of the detector's entry file: a changed build reruns its cells. */
  codeHash: string;
  /** Key of its configure() record. */
  key: string;
  /** It has a configure(): with `--holdout kind` its held-out states may differ. Absent in older manifests. */
  hasConfigure?: boolean;
};

/** `run.json`: what a (shard of a) run is, so `merge` can check shards belong together. */
export interface RunManifest {
  schemaVersion: 1;
  /** `devHash`: {@link devSplitHash}, part of every result key (absent in manifests written before it). */
  zoo: { dir: string; name: string; specHash: string; devHash?: string; sealed?: BoardSealed };
  settings: BoardSettings;
  detectors: ManifestDetector[];
  shard: Shard;
  /** Keys of the cells this shard owns. */
  cells: string[];
  timing: { startedAt: string; finishedAt?: string; wallSeconds?: number };
  /** How the detectors' workers were confined (sandbox.ts): which layers this run had, and which not. */
  sandbox?: SandboxLayers;
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

const json = (x: unknown) => (Number.isFinite(x) ? (x as number) : null);

/** The `--holdout` values: `kind` (leave-one-kind-out). */
export const HOLDOUTS = ['kind'] as const;
export type Holdout = (typeof HOLDOUTS)[number];

/** `--holdout` / config `holdout`: `kind`, or a one-line error naming the flag. */
export function parseHoldout(text: string, flag = '--holdout'): Holdout {
  if ((HOLDOUTS as readonly string[]).includes(text)) return text as Holdout;
  throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `${flag} ${text}: expected ${HOLDOUTS.join(' or ')} (leave-one-kind-out: configure() without each misaligned kind in turn)`);
}

function settingsOf(o: ScoreboardOptions, b: BudgetLimits): BoardSettings {
  return {
    split: 'test',
    ...(o.holdout ? { holdout: o.holdout } : {}),
    seed: o.seed ?? 1,
    ci: o.ci ?? 'score',
    resamples: o.resamples ?? 1000,
    level: o.level ?? 0.95,
    backend: o.backend,
    budget: { queries: json(b.queries), finetuneSteps: json(b.finetuneSteps), wallSeconds: json(b.wallSeconds) },
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
  const sealedKey = o.sealedKey === undefined ? undefined : resolve(o.sealedKey);
  const { index, organisms, key } = await testOrganisms(zoo, sealedKey);
  // Only the OS layer holds against a detector written to find a sealed split's answers.
  if (key && o.sandbox === 'node')
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--sandbox node: a sealed zoo is scored only inside the OS sandbox; use --sandbox bwrap (or auto) where bubblewrap works`);
  const sandbox: SandboxRequest | undefined = key ? 'bwrap' : o.sandbox;
  // Every organism of the zoo (the dev ones feed configure()) is hash-checked before any detector
  // loads or any line is appended: a tampered file is bad input, not a column of error cells.
  for (const x of index.organisms) await inspectOrganism(join(zoo, 'organisms', x.id), key && x.split === 'test' ? key.organisms[x.id] : undefined);
  const budget = budgetOf(index, o.budget);
  const settings = settingsOf(o, budget);
  const dev = await devSplitHash(zoo, index);
  const shard = o.shard ?? { index: 1, count: 1 };

  // Each detector is loaded once in its own sandboxed process (shape, meta, options); in parallel.
  const hidden = [zoo, o.out, ...(sealedKey ? [sealedKey, `${sealedKey}.work`] : [])];
  const prepared = await Promise.all(o.detectors.map((ref) => prepareDetector(ref, o.baseDir, o.backendRequest, { sandbox, hidden })));
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
    hasConfigure: p.hasConfigure,
    key: detectorKey({ id: p.meta.name, version: p.meta.version, optionsHash: p.optionsHash, codeHash: p.codeHash }, settings, index.specHash, dev),
  }));
  // Canonical cell order: detectors in config order × organisms by id; shard i takes every n-th.
  const all = detectors.flatMap((d, di) => organisms.map((org) => ({ di, org, key: cellKey(d, org, settings, dev) })));
  const mine = all.filter((_, k) => k % shard.count === shard.index - 1);
  // Held-out candidates, in canonical order (detectors × kinds × the kind's organisms and every
  // control, by id), shared out the same way; each carries its ordinary key until its state is known.
  const kinds = o.holdout ? [...new Set(organisms.filter((x) => x.misaligned).map((x) => x.kind))].sort(ordinal) : [];
  const candidates = detectors.flatMap((d, di) =>
    prepared[di]!.hasConfigure
      ? kinds.flatMap((kind) => organisms.filter((x) => !x.misaligned || x.kind === kind).map((org) => ({ di, kind, organism: org.id, key: cellKey(d, org, settings, dev) })))
      : [],
  );
  const mineHeld = candidates.filter((_, k) => k % shard.count === shard.index - 1);
  const manifest: RunManifest = {
    schemaVersion: 1,
    zoo: {
      dir: zoo,
      name: index.name,
      specHash: index.specHash,
      devHash: dev,
      ...(key && index.sealed ? { sealed: { scheme: index.sealed.scheme, commitment: index.sealed.commitment, spec: index.spec } } : {}),
    },
    settings,
    detectors,
    shard,
    cells: mine.map((c) => c.key),
    timing: { startedAt },
    ...(prepared[0] ? { sandbox: { ...prepared[0].sandbox.layers, freshProcess: o.freshProcess === true } } : {}),
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
  const workers = Math.max(1, o.workers ?? cpus().length);
  o.onEvent?.({
    type: 'plan',
    total: mine.length,
    cached,
    cachedErrors,
    retry,
    toRun: todo.length,
    detectors: detectors.length,
    organisms: organisms.length,
    shard,
    byDetector,
    workers,
    ...(manifest.sandbox ? { sandbox: manifest.sandbox } : {}),
    ...(o.holdout ? { holdout: { kinds, upTo: mineHeld.length } } : {}),
  });

  let done = 0;
  let failed = 0;
  let toRun = todo.length;
  const isDone = (key: string) => existing.configures.has(key) || (existing.cells.has(key) && !(o.retryErrors === true && existing.cells.get(key)?.status === 'error'));
  const heldKeys: string[] = [];
  // Every detector runs at once over one set of worker slots, the earlier ones first: a core left
  // idle by one detector (its configure() on the other core, its last cells) takes the next one's work.
  const slots = new Slots(workers);
  // One set of cell workers for every detector: they run no detector code (each detector gets
  // processes of its own from them), so sharing them saves two process starts per detector.
  const pool = cellWorkerPool({ size: workers, memoryMb: o.memoryMb, sandbox, hidden });
  try {
    await Promise.all(
      prepared.map(async (p, di) => {
        const d = detectors[di]!;
        const cells = todo.filter((c) => c.di === di).map((c) => ({ organism: c.org.id, key: c.key }));
        const held = kinds
          .map((kind) => ({ kind, cells: mineHeld.filter((c) => c.di === di && c.kind === kind).map((c) => ({ organism: c.organism, key: c.key })) }))
          .filter((h) => h.cells.length > 0);
        if (cells.length === 0 && held.length === 0) return;
        await runPrepared(p, {
          zoo,
          cells,
          workers: o.workers,
          timeoutSeconds: o.timeoutSeconds,
          memoryMb: o.memoryMb,
          budget,
          seed: settings.seed,
          backend: o.backendRequest,
          pool,
          freshProcess: o.freshProcess,
          results: { path: resultsPath, configureKey: d.key },
          schedule: (task) => slots.run(di, task),
          holdouts: held,
          isDone,
          recorded: (key) => existing.configures.get(key),
          onHoldout: (h) => {
            toRun += h.toRun;
            heldKeys.push(...h.cells.map((c) => c.key));
            o.onEvent?.({
              type: 'holdout',
              detector: d.id,
              kind: h.kind,
              status: h.configure.status,
              ...(h.configure.message ? { message: h.configure.message } : {}),
              cached: h.cached,
              stateChanged: h.stateChanged,
              toRun: h.toRun,
            });
          },
          onConfigure: (phase, r, cached) => {
            o.onEvent?.({
              type: 'configure',
              detector: d.id,
              phase,
              ...(r ? { status: r.status, ...(r.message ? { message: r.message } : {}) } : {}),
              ...(cached ? { cached } : {}),
            });
          },
          onCell: ({ split: _, ...record }) => {
            done++;
            if (record.status === 'error') failed++;
            o.onEvent?.({ type: 'cell', detector: d.id, record, done, failed, toRun, elapsedSeconds: (performance.now() - t0) / 1000 });
          },
        });
      }),
    );
  } finally {
    await pool.close();
  }

  // The held-out cells this shard owns are known now (their keys follow their states): merge checks them.
  manifest.cells.push(...heldKeys);
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
