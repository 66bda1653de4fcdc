import { existsSync, realpathSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_BUDGET,
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

/**
 * Run one detector over a zoo's organisms, each (detector, organism) cell in an isolated worker
 * process. A cell that throws, exceeds its budget, hangs, runs out of memory, leaks tensors or
 * returns an invalid verdict is recorded as an error with its reason; the run goes on.
 */
export async function runDetector(o: RunDetectorOptions): Promise<DetectorRun> {
  const located = locateDetector(o.detector, o.baseDir);
  const index = await readZooIndex(o.zoo);
  const budget: BudgetLimits = { ...DEFAULT_BUDGET, ...o.budget };
  const timeoutMs = (o.timeoutSeconds ?? budget.wallSeconds + 30) * 1000;
  const split = o.split ?? 'test';
  let chosen = index.organisms.filter((x) => split === 'all' || x.split === split);
  if (o.organisms?.length) {
    const known = new Set(index.organisms.map((x) => x.id));
    for (const id of o.organisms) if (!known.has(id)) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--organism ${id}: no such organism in ${o.zoo}; see: sandtrap zoo list ${o.zoo}`);
    chosen = index.organisms.filter((x) => o.organisms!.includes(x.id));
  }
  const size = Math.max(1, Math.min(o.workers ?? cpus().length, chosen.length || 1));
  const pool = workerPool(located, size, o.memoryMb ?? 2048);
  const base = { entry: located.entry, where: located.packageName ?? located.ref, backend: o.backend };
  const seed = o.seed ?? 1;
  try {
    let info: InspectResult;
    try {
      info = await pool.run<InspectResult>({ ...base, type: 'inspect' } satisfies WorkerTask, undefined, { timeoutMs: 60_000 });
    } catch (e) {
      throw new SandtrapError('SANDTRAP_PLUGIN_SHAPE', `detector '${located.ref}': loading it failed: ${(e as Error).message}`);
    }
    if (!info.meta) throw new SandtrapError('SANDTRAP_PLUGIN_SHAPE', `detector '${located.ref}': ${info.errors.join('; ')}`);
    const opts = validateOptions({ meta: info.meta, options: info.options ?? undefined }, located.options);
    if (!opts.value) throw new SandtrapError('SANDTRAP_PLUGIN_OPTIONS', `detector '${info.meta.name}': ${opts.errors.join('; ')}`);
    const options = opts.value as Record<string, unknown>;
    const run: DetectorRun = {
      detector: { ref: located.ref, via: located.via, name: info.meta.name, version: info.meta.version, access: info.meta.access, package: located.packageName },
      options,
      results: [],
    };

    let state: unknown;
    if (info.hasConfigure) {
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
        out = await pool.run<CellOutcome>({ ...base, type: 'configure', options, references, budget, seed } satisfies WorkerTask, undefined, { timeoutMs });
      } catch (e) {
        out = failure(e);
      }
      if (out.status === 'ok' && 'state' in out) {
        state = out.state;
        run.configure = { status: 'ok', seconds: out.seconds };
      } else {
        const f = out as CellFailure;
        run.configure = { status: 'error', message: `${f.reason}: ${f.message}` };
      }
    }

    let done = 0;
    run.results = await Promise.all(
      chosen.map(async (x, i): Promise<CellResult> => {
        let out: CellOutcome;
        if (run.configure?.status === 'error') {
          out = { status: 'error', reason: 'configure-failed', message: `configure() failed: ${run.configure.message}` };
        } else {
          const organism = await readOrganismBytes(join(o.zoo, 'organisms', x.id));
          try {
            out = await pool.run<CellOutcome>(
              { ...base, type: 'detect', options, organism, state, budget, seed: seed * 7919 + i } satisfies WorkerTask,
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
