import { existsSync, realpathSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import {
  contentHash,
  sha256,
  DEFAULT_BUDGET,
  deriveSeed,
  ProcessPool,
  readOrganismBytes,
  readTruth,
  readZooIndex,
  SandtrapError,
  type BudgetLimits,
  type Split,
} from '@sandtrap/core';
import { validateOptions, type DetectorMeta, type ValidatedVerdict } from '@sandtrap/detector-api';
import type { CellFailure, CellOutcome, InspectResult, WorkerTask } from './protocol.js';
import { locateDetector, type DetectorRef, type LocatedDetector } from './resolve.js';
import { cellSeed } from './seeds.js';

export interface RunDetectorOptions {
  zoo: string;
  detector: DetectorRef;
  /** Where relative detector paths are resolved from (the config's folder, or the cwd). */
  baseDir: string;
  /** Only these organism ids. */
  organisms?: string[];
  /** Which organisms get a verdict. configure() always sees the dev split. Default 'test'. */
  split?: Split | 'all';
  workers?: number;
  /** Per cell; the worker is killed past it. Default: the wall budget + 30 s. */
  timeoutSeconds?: number;
  /** Heap limit of a worker process. */
  memoryMb?: number;
  budget?: Partial<BudgetLimits>;
  seed?: number;
  backend: string;
  onCell?: (r: CellResult, done: number, total: number) => void;
  onLog?: (organism: string, line: string) => void;
}

export interface CellResult {
  organism: string;
  split: Split;
  status: 'ok' | 'error';
  verdict?: ValidatedVerdict;
  /** For errors: why the cell failed, in one word, and the message. Scored 0.5. */
  reason?: CellFailure['reason'];
  message?: string;
  seconds: number;
  queries: number;
  finetuneSteps: number;
}

export interface DetectorRun {
  detector: { ref: string; via: LocatedDetector['via']; name: string; version: string; access: DetectorMeta['access']; package?: string };
  options: Record<string, unknown>;
  configure?: { status: 'ok' | 'error'; seconds?: number; message?: string };
  results: CellResult[];
}

const here = dirname(fileURLToPath(import.meta.url));
const fromSource = import.meta.url.endsWith('.ts');

/** The folders a worker may read: the code's package roots and every node_modules above them. */
function readableRoots(located: LocatedDetector): string[] {
  const roots = new Set<string>();
  const pkgRoot = (start: string) => {
    let d = start;
    while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
    return d;
  };
  const add = (start: string) => {
    const r = realpathSync(start);
    roots.add(r);
    for (let d = r; ; d = dirname(d)) {
      if (existsSync(join(d, 'node_modules'))) roots.add(realpathSync(join(d, 'node_modules')));
      if (dirname(d) === d) break;
    }
  };
  add(pkgRoot(here));
  add(located.root);
  // @sandtrap/core and @sandtrap/detector-api may be workspace links: allow their real folders.
  for (const r of [...roots]) {
    for (const name of ['@sandtrap/core', '@sandtrap/detector-api']) {
      const p = join(r, name);
      if (r.endsWith('node_modules') && existsSync(p)) add(p);
    }
  }
  return [...roots];
}

/** Node 20 calls it --experimental-permission; 22.13+ made it --permission. */
function permissionFlag(): string {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 13) ? '--permission' : '--experimental-permission';
}

function workerPool(located: LocatedDetector, size: number, memoryMb: number): ProcessPool {
  // Under the built CLI the worker runs with Node's permission model: it can read code, not zoos,
  // so no detector can open truth.json whatever path it guesses. (From source — tests under
  // vitest — tsx needs to read the repository, so the file sandbox is off there.)
  const sandbox = fromSource ? [] : [permissionFlag(), ...readableRoots(located).map((r) => `--allow-fs-read=${r}`)];
  return new ProcessPool({
    file: new URL(`./cell-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url),
    size,
    serialization: 'advanced',
    execArgv: [...sandbox, `--max-old-space-size=${memoryMb}`, '--no-warnings'],
  });
}

function failure(e: unknown): CellFailure {
  const code = (e as { code?: string }).code;
  const reason: CellFailure['reason'] = code === 'SANDTRAP_TIMEOUT' ? 'timeout' : code === 'SANDTRAP_OUT_OF_MEMORY' ? 'out-of-memory' : 'crashed';
  return { status: 'error', reason, message: (e as Error).message };
}

/** A detector loaded once in a worker: its meta, validated options and where it came from. */
export interface PreparedDetector {
  located: LocatedDetector;
  meta: DetectorMeta;
  /** Validated options, defaults applied. */
  options: Record<string, unknown>;
  /** Hash of the canonical options JSON (16 hex): part of the result cache key. */
  optionsHash: string;
  /**
   * Hash of the entry file's bytes (16 hex): part of the result cache key, so a rebuilt detector
   * whose version was not bumped does not reuse results of its old code (a bundled package's entry
   * holds all of its code; an unbundled one's only the entry module).
   */
  codeHash: string;
  hasConfigure: boolean;
}

/**
 * Locates a detector, imports it in a (sandboxed) worker to check its shape, and validates its
 * options. Throws a one-line {@link SandtrapError} naming the detector on any problem.
 */
export async function prepareDetector(ref: DetectorRef, baseDir: string, backend: string): Promise<PreparedDetector> {
  const located = locateDetector(ref, baseDir);
  const pool = workerPool(located, 1, 2048);
  let info: InspectResult;
  try {
    info = await pool.run<InspectResult>({ entry: located.entry, where: located.packageName ?? located.ref, backend, type: 'inspect' } satisfies WorkerTask, undefined, { timeoutMs: 60_000 });
  } catch (e) {
    throw new SandtrapError('SANDTRAP_PLUGIN_SHAPE', `detector '${located.ref}': loading it failed: ${(e as Error).message}`);
  } finally {
    await pool.close();
  }
  if (!info.meta) throw new SandtrapError('SANDTRAP_PLUGIN_SHAPE', `detector '${located.ref}': ${info.errors.join('; ')}`);
  const opts = validateOptions({ meta: info.meta, options: info.options ?? undefined }, located.options);
  if (!opts.value) throw new SandtrapError('SANDTRAP_PLUGIN_OPTIONS', `detector '${info.meta.name}': ${opts.errors.join('; ')}`);
  const options = opts.value as Record<string, unknown>;
  const codeHash = sha256(await readFile(fileURLToPath(located.entry))).slice(0, 16);
  return { located, meta: info.meta, options, optionsHash: contentHash(options), codeHash, hasConfigure: Boolean(info.hasConfigure) };
}


/** Where `configure()`'s state is kept between runs (the scoreboard caches it next to results.jsonl). */
export interface StateCache {
  load(): Promise<{ state: unknown; seconds: number } | undefined>;
  save(state: unknown, seconds: number): Promise<void>;
}

export interface RunPreparedOptions {
  zoo: string;
  /** Organisms that get a verdict (ids in the zoo). configure() always sees the dev split. */
  organisms: string[];
  workers?: number;
  /** Per cell; the worker is killed past it. Default: the wall budget + 30 s. */
  timeoutSeconds?: number;
  /** Heap limit of a worker process. */
  memoryMb?: number;
  budget?: Partial<BudgetLimits>;
  seed?: number;
  backend: string;
  stateCache?: StateCache;
  onCell?: (r: CellResult, done: number, total: number) => void;
  onLog?: (organism: string, line: string) => void;
  /** Called when configure() starts and ends. */
  onConfigure?: (phase: 'start' | 'done', result?: DetectorRun['configure']) => void;
}

/**
 * Run one prepared detector over some organisms of a zoo, each (detector, organism) cell in an
 * isolated worker process. A cell that throws, exceeds its budget, hangs, runs out of memory, leaks
 * tensors or returns an invalid verdict is recorded as an error with its reason; the run goes on.
 */
export async function runPrepared(p: PreparedDetector, o: RunPreparedOptions): Promise<DetectorRun> {
  const index = await readZooIndex(o.zoo);
  const known = new Set(index.organisms.map((x) => x.id));
  for (const id of o.organisms) if (!known.has(id)) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--organism ${id}: no such organism in ${o.zoo}; see: sandtrap zoo list ${o.zoo}`);
  // In the zoo's order, each once.
  const wanted = new Set(o.organisms);
  const chosen = index.organisms.filter((x) => wanted.has(x.id));
  const budget: BudgetLimits = { ...DEFAULT_BUDGET, ...o.budget };
  const timeoutMs = (o.timeoutSeconds ?? budget.wallSeconds + 30) * 1000;
  const { located, meta, options } = p;
  const run: DetectorRun = {
    detector: { ref: located.ref, via: located.via, name: meta.name, version: meta.version, access: meta.access, package: located.packageName },
    options,
    results: [],
  };
  if (chosen.length === 0) return run;
  const size = Math.max(1, Math.min(o.workers ?? cpus().length, chosen.length));
  const pool = workerPool(located, size, o.memoryMb ?? 2048);
  const base = { entry: located.entry, where: located.packageName ?? located.ref, backend: o.backend };
  const seed = o.seed ?? 1;
  try {
    let state: unknown;
    if (p.hasConfigure) {
      const cached = await o.stateCache?.load();
      if (cached) {
        state = cached.state;
        run.configure = { status: 'ok', seconds: cached.seconds };
      } else {
        o.onConfigure?.('start');
        const dev = index.organisms.filter((x) => x.split === 'dev');
        const references = await Promise.all(
          dev.map(async (x) => {
            const dir = join(o.zoo, 'organisms', x.id);
            const t = await readTruth(dir);
            // Dev-split truth is what a calibrating detector may learn from; nothing else of truth.json goes over.
            const truth = { misaligned: t.misaligned, kind: t.kind, family: t.family, trigger: t.trigger, targetClass: t.targetClass, condition: t.condition, password: t.password };
            return { ...(await readOrganismBytes(dir)), truth };
          }),
        );
        let out: CellOutcome;
        try {
          // configure() looks at every dev organism: it gets one cell's budget per organism (as the tester gives it).
          const k = Math.max(1, references.length);
          const configureBudget: BudgetLimits = { queries: budget.queries * k, finetuneSteps: budget.finetuneSteps * k, wallSeconds: budget.wallSeconds * k };
          out = await pool.run<CellOutcome>({ ...base, type: 'configure', options, references, budget: configureBudget, seed: deriveSeed(seed, `configure:${meta.name}`) } satisfies WorkerTask, undefined, {
            timeoutMs: timeoutMs * Math.max(1, references.length),
          });
        } catch (e) {
          out = failure(e);
        }
        if (out.status === 'ok' && 'state' in out) {
          state = out.state;
          run.configure = { status: 'ok', seconds: out.seconds };
          await o.stateCache?.save(state, out.seconds);
        } else {
          const f = out as CellFailure;
          run.configure = { status: 'error', message: `${f.reason}: ${f.message}` };
        }
        o.onConfigure?.('done', run.configure);
      }
    }

    let done = 0;
    run.results = await Promise.all(
      chosen.map(async (x): Promise<CellResult> => {
        let out: CellOutcome;
        if (run.configure?.status === 'error') {
          out = { status: 'error', reason: 'configure-failed', message: `configure() failed: ${run.configure.message}` };
        } else {
          const organism = await readOrganismBytes(join(o.zoo, 'organisms', x.id));
          try {
            out = await pool.run<CellOutcome>(
              { ...base, type: 'detect', options, organism, state, budget, seed: cellSeed(seed, meta.name, x.id) } satisfies WorkerTask,
              (d) => o.onLog?.(x.id, (d as { log: string }).log),
              { timeoutMs },
            );
          } catch (e) {
            out = failure(e);
          }
        }
        const r: CellResult =
          out.status === 'ok' && 'verdict' in out
            ? { organism: x.id, split: x.split, status: 'ok', verdict: out.verdict, seconds: out.seconds, queries: out.usage.queries, finetuneSteps: out.usage.finetuneSteps }
            : {
                organism: x.id,
                split: x.split,
                status: 'error',
                reason: (out as CellFailure).reason,
                message: (out as CellFailure).message,
                seconds: (out as CellFailure).seconds ?? 0,
                queries: (out as CellFailure).usage?.queries ?? 0,
                finetuneSteps: (out as CellFailure).usage?.finetuneSteps ?? 0,
              };
        o.onCell?.(r, ++done, chosen.length);
        return r;
      }),
    );
    return run;
  } finally {
    await pool.close();
  }
}

/** Run one detector over a zoo's organisms (`sandtrap detect`): {@link prepareDetector} then {@link runPrepared}. */
export async function runDetector(o: RunDetectorOptions): Promise<DetectorRun> {
  // Explicit ids go straight to runPrepared, which names an unknown one; otherwise the split's organisms.
  let chosen = o.organisms;
  if (!chosen?.length) {
    const split = o.split ?? 'test';
    chosen = (await readZooIndex(o.zoo)).organisms.filter((x) => split === 'all' || x.split === split).map((x) => x.id);
  }
  const p = await prepareDetector(o.detector, o.baseDir, o.backend);
  return runPrepared(p, { ...o, organisms: chosen });
}

export { cellSeed };
