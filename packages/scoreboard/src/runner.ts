import { createHash, type Hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdir, readFile } from 'node:fs/promises';
import { deserialize, serialize } from 'node:v8';
import {
  contentHash,
  sha256,
  DEFAULT_BUDGET,
  readCard,
  readOrganismBytes,
  readTruth,
  readZooIndex,
  SandtrapError,
  writeFileAtomic,
  type BudgetLimits,
  type Split,
  type ZooIndex,
} from '@sandtrap/core';
import { inherited, ProcessPool } from '@sandtrap/core/internal';
import { validateOptions, type DetectorMeta, type ReferenceTruth } from '@sandtrap/detector-api';
import { cellSeed, configureSeed, DetectorProcess, heapFlags, referenceTruth, type FailureReason } from '@sandtrap/harness';
import type { ConfigureResult, DetectorIsolation, DetectResult, InspectResult, OrganismBytes, WorkerTask } from './protocol.js';
import { locateDetector, type DetectorRef, type LocatedDetector } from './resolve.js';
import { cellKey, holdoutCellKey, holdoutConfigureKey } from './keys.js';
import { devSplitHash } from './test-split.js';
import { appendResult, type CellRecord, type ConfigureRecord } from './results.js';
import { bwrapLauncher, readableRoots, resolveSandbox, type SandboxLayers, type SandboxRequest } from './sandbox.js';

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
  onCell?: (r: DetectedCell, done: number, total: number) => void;
  onLog?: (organism: string, line: string) => void;
  /** The OS sandbox: 'auto' (default), 'bwrap' (required) or 'node' (Node's permission model alone). */
  sandbox?: SandboxRequest;
  /** A detector process for each cell alone (`--fresh-process`). Default: one per cell worker, checked after each cell. */
  freshProcess?: boolean;
}

/** A cell's record with its organism's split (what `sandtrap detect` prints; results.jsonl has no split). */
export type DetectedCell = CellRecord & { split: Split };

export interface DetectorRun {
  detector: { ref: string; via: LocatedDetector['via']; name: string; version: string; access: DetectorMeta['access']; package?: string };
  options: Record<string, unknown>;
  configure?: { status: 'ok' | 'error'; seconds?: number; message?: string };
  results: DetectedCell[];
  /** How its workers were confined. */
  sandbox: SandboxLayers;
}

const here = dirname(fileURLToPath(import.meta.url));
const fromSource = import.meta.url.endsWith('.ts');
/** The detector process's module (the cell worker forks it too). */
const DETECTOR_WORKER = new URL(`./detector-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);

/** Node 20 calls it --experimental-permission; 22.13+ made it --permission. */
function permissionFlag(): string {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 13) ? '--permission' : '--experimental-permission';
}

/**
 * The only variables a cell process inherits: what Node and the locale need, and
 * `SANDTRAP_DETECTOR_*`, the channel for settings a user means a detector to read. A detector is
 * untrusted code and must not see CI secrets (tokens, keys) in its environment.
 */
const CELL_ENV_ALLOW = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'TF_CPP_MIN_LOG_LEVEL', 'SANDTRAP_DETECTOR_*'] as const;

/** The package folder of a file: the nearest folder above it with a package.json. */
function pkgRoot(start: string): string {
  let d = start;
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** Where a detector's workers run: the sandbox layers and what they may read. */
export interface WorkerSandbox {
  layers: SandboxLayers;
  /** Readable roots (both file layers): the code's packages and node_modules, hidden folders cut out. */
  roots: string[];
}

/**
 * The sandbox of a detector's workers: the requested layers (see sandbox.ts), reading only the
 * scoreboard's and the detector's code, with the zoo and the results folder cut out of that view
 * even when they lie inside the detector's folder (as in a project made by `sandtrap init detector`).
 */
export function workerSandbox(located: LocatedDetector, o: { request?: SandboxRequest; hidden?: readonly string[] } = {}): WorkerSandbox {
  const layers = resolveSandbox(o.request ?? 'auto', fromSource);
  const roots = readableRoots([pkgRoot(here), located.root], fileURLToPath(located.entry), o.hidden ?? [], `'${located.ref}'`);
  return { layers, roots };
}

/**
 * How a cell worker starts its detector process. Under the built CLI the detector runs with Node's
 * permission model: it can read code, not zoos, so no detector can open truth.json whatever path
 * it guesses; under bwrap nothing else of the file system exists for it, and it has no network.
 * (From source — tests under vitest — tsx needs to read the repository, so the file layers are
 * off there.)
 */
function detectorIsolation(sandbox: WorkerSandbox, memoryMb: number, freshProcess = false): DetectorIsolation {
  const { layers, roots } = sandbox;
  const permission = layers.nodePermission ? [permissionFlag(), ...roots.map((r) => `--allow-fs-read=${r}`)] : [];
  return {
    execArgv: [...permission, ...heapFlags(memoryMb), '--no-warnings'],
    ...(layers.os === 'bwrap' ? { launcher: bwrapLauncher(roots) } : {}),
    ...(freshProcess ? { freshProcess } : {}),
  };
}

const CELL_WORKER = new URL(`./cell-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);

export interface CellWorkerOptions {
  /** How many cell workers (at most this many cells at once). */
  size: number;
  /** Heap limit of a cell worker. Default 2048. */
  memoryMb?: number;
  /** The sandbox request (its Node permission layer confines the cell workers too). */
  sandbox?: SandboxRequest;
  /** Folders no cell worker may read (the zoo: organisms reach it as bytes; the results folder). */
  hidden?: readonly string[];
}

/**
 * The cell workers. Each holds the organisms and the meter and runs no detector code: it forks each
 * detector's own process ({@link detectorIsolation}) and answers its subject calls. So one pool
 * serves every detector of a scoreboard (a detector process is never shared between detectors). A
 * cell worker reads only the scoreboard's own code (not a detector's, not the zoo), may start
 * processes, and inherits the environment allow-list.
 */
export function cellWorkerPool(o: CellWorkerOptions): ProcessPool {
  const layers = resolveSandbox(o.sandbox ?? 'auto', fromSource);
  const roots = readableRoots([pkgRoot(here)], fileURLToPath(CELL_WORKER), o.hidden ?? [], "'cell worker'");
  const permission = layers.nodePermission ? [permissionFlag(), '--allow-child-process', ...roots.map((r) => `--allow-fs-read=${r}`)] : [];
  return new ProcessPool({
    file: CELL_WORKER,
    size: o.size,
    serialization: 'advanced',
    envAllow: CELL_ENV_ALLOW,
    execArgv: [...permission, ...heapFlags(o.memoryMb ?? 2048), '--no-warnings'],
  });
}

/** A cell the worker process could not finish: killed at the timeout, out of memory, or gone. */
function processFailure(e: unknown): DetectResult {
  const code = (e as { code?: string }).code;
  const reason: FailureReason = code === 'SANDTRAP_TIMEOUT' ? 'timeout' : code === 'SANDTRAP_OUT_OF_MEMORY' ? 'out-of-memory' : 'crashed';
  return { problems: [{ reason, message: (e as Error).message }], usage: { queries: 0, finetuneSteps: 0, wallSeconds: 0 }, seconds: 0, tensorDelta: 0, retire: true };
}

/**
 * A problem's message as one results.jsonl line: its first line and its details (a verdict's
 * schema errors, a state's issues), without stack frames, which only the tester prints.
 */
function oneLine(m: string): string {
  const [head = '', ...rest] = m
    .split('\n')
    .filter((l) => !/^\s*at /.test(l))
    .map((l) => l.trim());
  return (rest.length ? `${head} ${rest.join('; ')}` : head).slice(0, 500);
}

/** The one record of a cell: what results.jsonl keeps, built from the harness's outcome. */
function cellRecord(p: PreparedDetector, cell: { organism: string; key: string }, out: DetectResult): CellRecord {
  const first = out.problems[0];
  return {
    type: 'cell',
    key: cell.key,
    detector: p.meta.name,
    version: p.meta.version,
    optionsHash: p.optionsHash,
    organism: cell.organism,
    status: first ? 'error' : 'ok',
    ...(!first && out.verdict ? { verdict: out.verdict } : {}),
    ...(first ? { reason: first.reason, message: oneLine(first.message) } : {}),
    seconds: out.seconds,
    queries: out.usage.queries,
    finetuneSteps: out.usage.finetuneSteps,
  };
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
  /** Where its workers run: the sandbox layers and the folders they may read. */
  sandbox: WorkerSandbox;
}

/** Where a detector's workers run: the sandbox asked for and the folders no detector may read. */
export interface PrepareOptions {
  /** Default 'auto': bwrap when it works here, else Node's permission model alone. */
  sandbox?: SandboxRequest;
  /** Folders cut out of what the worker may read: the zoo, the results folder. */
  hidden?: readonly string[];
}

const INSPECT_TIMEOUT_MS = 60_000;

/**
 * Imports the detector in a detector process of its own, in its sandbox (as its cells will run),
 * and reads its meta, options schema and whether it has configure(). No organism is involved, so
 * no cell worker is started for it.
 */
async function inspectDetector(located: LocatedDetector, sandbox: WorkerSandbox, backend: string): Promise<InspectResult> {
  const proc = new DetectorProcess({ file: DETECTOR_WORKER, ...detectorIsolation(sandbox, 2048), env: inherited(CELL_ENV_ALLOW) });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill();
  }, INSPECT_TIMEOUT_MS);
  try {
    const r = await proc.run(
      { kind: 'inspect', backend, entry: located.entry, where: located.packageName ?? located.ref },
      { serve: () => Promise.reject(new Error('inspect has no subject')), used: () => ({ queries: 0, finetuneSteps: 0, wallSeconds: 0 }) },
    );
    if (r.errors?.length || !r.meta) return { errors: r.errors?.length ? r.errors : ['it gave no meta'] };
    return { errors: [], meta: r.meta as DetectorMeta, options: r.options ?? null, hasConfigure: r.hasConfigure === true };
  } catch (e) {
    throw timedOut ? new Error(`timed out after ${INSPECT_TIMEOUT_MS / 1000} s; the detector process was killed`) : e;
  } finally {
    clearTimeout(timer);
    proc.kill();
  }
}

/**
 * Locates a detector, imports it in a (sandboxed) worker to check its shape, and validates its
 * options. Throws a one-line {@link SandtrapError} naming the detector on any problem.
 */
export async function prepareDetector(ref: DetectorRef, baseDir: string, backend: string, o: PrepareOptions = {}): Promise<PreparedDetector> {
  const located = locateDetector(ref, baseDir);
  const sandbox = workerSandbox(located, { request: o.sandbox, hidden: o.hidden });
  let info: InspectResult;
  try {
    info = await inspectDetector(located, sandbox, backend);
  } catch (e) {
    throw new SandtrapError('SANDTRAP_PLUGIN_SHAPE', `detector '${located.ref}': loading it failed: ${(e as Error).message}`);
  }
  if (!info.meta) throw new SandtrapError('SANDTRAP_PLUGIN_SHAPE', `detector '${located.ref}': ${info.errors.join('; ')}`);
  const opts = validateOptions({ meta: info.meta, options: info.options ?? undefined }, located.options);
  if (!opts.value) throw new SandtrapError('SANDTRAP_PLUGIN_OPTIONS', `detector '${info.meta.name}': ${opts.errors.join('; ')}`);
  const options = opts.value;
  const codeHash = sha256(await readFile(fileURLToPath(located.entry))).slice(0, 16);
  return { located, meta: info.meta, options, optionsHash: contentHash(options), codeHash, hasConfigure: Boolean(info.hasConfigure), sandbox };
}

/** configure()'s state, kept in `state/<key>.v8` beside results.jsonl (v8 serialisation keeps typed arrays). */
function stateCache(resultsPath: string, key: string) {
  const dir = join(dirname(resultsPath), 'state');
  const path = join(dir, `${key}.v8`);
  return {
    async load(): Promise<{ state: unknown; seconds: number } | undefined> {
      try {
        return deserialize(await readFile(path)) as { state: unknown; seconds: number };
      } catch {
        return undefined;
      }
    },
    async save(state: unknown, seconds: number): Promise<void> {
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(path, serialize({ state, seconds }));
    },
  };
}

/** One cell to run: an organism of the zoo and its content key. */
export interface CellTask {
  organism: string;
  key: string;
}

export interface RunPreparedOptions {
  zoo: string;
  /** The cells that get a verdict (organisms of the zoo, each with its key). configure() always sees the dev split. */
  cells: CellTask[];
  workers?: number;
  /** Per cell; the worker is killed past it. Default: the wall budget + 30 s. */
  timeoutSeconds?: number;
  /** Heap limit of a worker process. */
  memoryMb?: number;
  budget?: Partial<BudgetLimits>;
  seed?: number;
  backend: string;
  /**
   * Cell workers shared with other detectors ({@link cellWorkerPool}); the caller closes them.
   * Without it, the run starts its own (`workers` of them, confined by `sandboxRequest` and `hidden`).
   */
  pool?: ProcessPool;
  sandboxRequest?: SandboxRequest;
  hidden?: readonly string[];
  /** A detector process for each cell alone (`--fresh-process`). */
  freshProcess?: boolean;
  /**
   * A results.jsonl: each cell's record is appended to it as the cell finishes, and configure()'s
   * record once it has run (with `configureKey`, whose state is also kept in `state/<key>.v8` beside
   * it and reused by the next run).
   */
  results?: { path: string; configureKey: string };
  /** Progress: a cell finished (its record is already appended). */
  onCell?: (r: DetectedCell, done: number, total: number) => void;
  onLog?: (organism: string, line: string) => void;
  /** Progress: configure() starts and ends (`cached` when its state came from the state cache). */
  onConfigure?: (phase: 'start' | 'done', result?: DetectorRun['configure'], cached?: boolean) => void;
  /**
   * Runs each of this detector's tasks (configure(), each cell) when a worker slot is free: a
   * scoreboard shares its slots across detectors ({@link Slots}) so they overlap. Default: at once
   * (the pool's own size is the only limit).
   */
  schedule?: <T>(task: () => Promise<T>) => Promise<T>;
  /**
   * `--holdout kind`: per misaligned kind, configure() again on the dev split without that kind's
   * organisms and score `cells` (given with their ordinary keys) with that state. Cells whose
   * held-out state equals the ordinary one are the ordinary cells and do not run again.
   */
  holdouts?: Array<{ kind: string; cells: CellTask[] }>;
  /** Whether results.jsonl already has a (held-out) cell or configure record: those are not redone. */
  isDone?: (key: string) => boolean;
  /** The configure record results.jsonl holds under a key, if any. */
  recorded?: (key: string) => ConfigureRecord | undefined;
  /** Progress: a held-out kind's configure() is done; `cells` are its keyed cells, `toRun` of them run now. */
  onHoldout?: (h: HoldoutOutcome) => void;
}

/** A held-out kind's configure() and what it adds to the run. */
export interface HoldoutOutcome {
  kind: string;
  configure: NonNullable<DetectorRun['configure']>;
  cached: boolean;
  /** The state differs from the ordinary configure()'s; false = its cells are the ordinary ones. */
  stateChanged: boolean;
  /** The held-out cells, keyed by their state (empty when `stateChanged` is false). */
  cells: CellTask[];
  /** Of `cells`: not yet in results.jsonl, so they run now. */
  toRun: number;
}

/**
 * The hash a held-out state is compared and keyed by (`error` for a failed configure()): a
 * canonical digest of its content. Not the v8 serialisation, which also encodes how V8 happens to
 * store a value (a small integer or a double, a packed or holey array), so two equal states could
 * hash apart.
 */
export function stateHash(conf: DetectorRun['configure'], state: unknown): string {
  if (conf?.status === 'error') return 'error';
  const h = createHash('sha256');
  digestValue(state, h, new Map());
  return h.digest('hex').slice(0, 16);
}

/** Feeds a structured-cloneable value to `h` in a canonical form: equal content, equal bytes. */
function digestValue(x: unknown, h: Hash, seen: Map<object, number>): void {
  switch (typeof x) {
    case 'number':
      h.update(`n${Object.is(x, -0) ? '-0' : String(x)};`);
      return;
    case 'string':
      h.update(`s${x.length}:`).update(x);
      return;
    case 'boolean':
      h.update(x ? 'T' : 'F');
      return;
    case 'bigint':
      h.update(`b${x.toString()};`);
      return;
    case 'undefined':
      h.update('u');
      return;
    case 'object':
      break;
    default:
      // Functions and symbols never reach here: stateIssues refuses them before a state is kept.
      h.update(`?${typeof x};`);
      return;
  }
  if (x === null) {
    h.update('z');
    return;
  }
  const ref = seen.get(x);
  if (ref !== undefined) {
    h.update(`r${ref};`);
    return;
  }
  seen.set(x, seen.size);
  if (ArrayBuffer.isView(x)) {
    h.update(`v${x.constructor.name}:${x.byteLength}:`).update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  } else if (x instanceof ArrayBuffer) {
    h.update(`B${x.byteLength}:`).update(new Uint8Array(x));
  } else if (Array.isArray(x)) {
    h.update(`a${x.length}[`);
    for (let i = 0; i < x.length; i++) {
      if (i in x) digestValue(x[i], h, seen);
      else h.update('_');
    }
    h.update(']');
  } else if (x instanceof Map) {
    h.update(`M${x.size}{`);
    for (const [k, v] of x) {
      digestValue(k, h, seen);
      digestValue(v, h, seen);
    }
    h.update('}');
  } else if (x instanceof Set) {
    h.update(`S${x.size}{`);
    for (const v of x) digestValue(v, h, seen);
    h.update('}');
  } else if (x instanceof Date) {
    h.update(`d${x.getTime()};`);
  } else if (x instanceof RegExp) {
    h.update(`x${x.source}/${x.flags};`);
  } else {
    const keys = Object.keys(x).sort();
    h.update(`o${keys.length}{`);
    for (const k of keys) {
      h.update(`${k.length}:`).update(k);
      digestValue((x as Record<string, unknown>)[k], h, seen);
    }
    h.update('}');
  }
}

/**
 * Run one prepared detector over some organisms of a zoo, each (detector, organism) cell in an
 * isolated worker process. A cell that throws, exceeds its budget, hangs, runs out of memory, leaks
 * tensors or returns an invalid verdict is recorded as an error with its reason; the run goes on.
 */
export async function runPrepared(p: PreparedDetector, o: RunPreparedOptions): Promise<DetectorRun> {
  const index = await readZooIndex(o.zoo);
  const byId = new Map(index.organisms.map((x) => [x.id, x]));
  for (const c of o.cells)
    if (!byId.has(c.organism)) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--organism ${c.organism}: no such organism in ${o.zoo}; see: sandtrap zoo list ${o.zoo}`);
  const budget: BudgetLimits = { ...DEFAULT_BUDGET, ...o.budget };
  const timeoutMs = (o.timeoutSeconds ?? budget.wallSeconds + 30) * 1000;
  const { located, meta, options } = p;
  const run: DetectorRun = {
    detector: { ref: located.ref, via: located.via, name: meta.name, version: meta.version, access: meta.access, package: located.packageName },
    options,
    results: [],
    sandbox: { ...p.sandbox.layers, freshProcess: o.freshProcess === true },
  };
  const candidates = o.cells.length + (p.hasConfigure ? (o.holdouts ?? []).reduce((a, h) => a + h.cells.length, 0) : 0);
  if (candidates === 0) return run;
  // A scoreboard's cell workers serve all its detectors; `sandtrap detect` starts its own.
  const own = o.pool
    ? undefined
    : cellWorkerPool({ size: Math.max(1, Math.min(o.workers ?? cpus().length, candidates)), memoryMb: o.memoryMb, sandbox: o.sandboxRequest, hidden: o.hidden });
  const pool = o.pool ?? own!;
  const base = {
    entry: located.entry,
    where: located.packageName ?? located.ref,
    backend: o.backend,
    isolation: detectorIsolation(p.sandbox, o.memoryMb ?? 2048, o.freshProcess),
    access: meta.access,
  };
  const seed = o.seed ?? 1;
  const schedule = o.schedule ?? (<T>(task: () => Promise<T>) => task());
  const pending: Promise<void>[] = [];
  const append = (r: CellRecord | ConfigureRecord) => {
    if (o.results) pending.push(appendResult(o.results.path, r));
  };
  // The dev split's references (organism bytes and the truth a calibrating detector may learn from), read once.
  let references: Promise<Array<OrganismBytes & { id: string; truth: ReferenceTruth }>> | undefined;
  const devReferences = () =>
    (references ??= Promise.all(
      index.organisms
        .filter((x) => x.split === 'dev')
        .map(async (x) => {
          const dir = join(o.zoo, 'organisms', x.id);
          // Dev-split truth is what a calibrating detector may learn from; nothing else of truth.json goes over.
          return { id: x.id, ...(await readOrganismBytes(dir)), truth: referenceTruth(await readTruth(dir)) };
        }),
    ));

  /**
   * configure() on the dev split (without `holdout`'s organisms, when given), or its state from the
   * state cache under `key`. The record goes to results.jsonl when it ran (`record` adds fields).
   */
  const configureOnce = async (
    key: string | undefined,
    holdout: string | undefined,
    record: (c: NonNullable<DetectorRun['configure']>, state: unknown) => Partial<ConfigureRecord>,
    cachedRecord?: (c: NonNullable<DetectorRun['configure']>, state: unknown) => void,
  ): Promise<{ state: unknown; result: NonNullable<DetectorRun['configure']>; cached: boolean }> => {
    const cache = o.results && key ? stateCache(o.results.path, key) : undefined;
    const hit = await cache?.load();
    if (hit) {
      const result = { status: 'ok' as const, seconds: hit.seconds };
      cachedRecord?.(result, hit.state);
      return { state: hit.state, result, cached: true };
    }
    return schedule(async () => {
      if (!holdout) o.onConfigure?.('start');
      const refs = (await devReferences()).filter((r) => holdout === undefined || r.truth.kind !== holdout);
      let out: ConfigureResult;
      try {
        out = await pool.run<ConfigureResult>(
          { ...base, type: 'configure', options, references: refs, budget, seed: configureSeed(seed, meta.name) } satisfies WorkerTask,
          undefined,
          { timeoutMs: timeoutMs * Math.max(1, refs.length) },
        );
      } catch (e) {
        out = { ...processFailure(e), ran: true };
      }
      const first = out.problems[0];
      let result: NonNullable<DetectorRun['configure']>;
      if (!first) {
        result = { status: 'ok', seconds: out.seconds };
        await cache?.save(out.state, out.seconds);
      } else {
        result = { status: 'error', message: `${first.reason}: ${oneLine(first.message)}` };
      }
      const state = first ? undefined : out.state;
      if (o.results && key) {
        // Recorded for the report; a failed configure() is not cached as state, its cells are.
        append({
          type: 'configure',
          key,
          detector: meta.name,
          status: result.status,
          ...(result.message ? { message: result.message } : {}),
          seconds: result.seconds ?? 0,
          ...record(result, state),
        });
      }
      return { state, result, cached: false };
    });
  };

  /** Runs cells with one configure() outcome; each record is appended as it finishes. */
  const runCells = (cells: readonly CellTask[], state: unknown, conf: DetectorRun['configure']): Promise<DetectedCell[]> =>
    Promise.all(
      cells.map(async (c): Promise<DetectedCell> => {
        let out: DetectResult;
        if (conf?.status === 'error') {
          out = {
            problems: [{ reason: 'configure-failed', message: `configure() failed: ${conf.message}` }],
            usage: { queries: 0, finetuneSteps: 0, wallSeconds: 0 },
            seconds: 0,
            tensorDelta: 0,
            retire: false,
          };
        } else {
          out = await schedule(async () => {
            const organism = { id: c.organism, ...(await readOrganismBytes(join(o.zoo, 'organisms', c.organism))) };
            try {
              return await pool.run<DetectResult>(
                { ...base, type: 'detect', options, organism, state, budget, seed: cellSeed(seed, meta.name, c.organism) } satisfies WorkerTask,
                (d) => o.onLog?.(c.organism, (d as { log: string }).log),
                { timeoutMs },
              );
            } catch (e) {
              return processFailure(e);
            }
          });
        }
        const record = cellRecord(p, c, out);
        append(record);
        const r: DetectedCell = { ...record, split: byId.get(c.organism)!.split };
        o.onCell?.(r, ++done, total);
        return r;
      }),
    );

  let done = 0;
  let total = o.cells.length;
  try {
    let state: unknown;
    if (p.hasConfigure) {
      const c = await configureOnce(o.results?.configureKey, undefined, () => ({}));
      state = c.state;
      run.configure = c.result;
      o.onConfigure?.('done', run.configure, c.cached || undefined);
    }
    const ordinary = runCells(o.cells, state, run.configure);
    // Leave-one-kind-out: each held-out kind's configure() and, when its state differs from the
    // ordinary one, its cells again with that state. A detector without configure() has one state.
    const fullHash = p.hasConfigure && o.holdouts?.length ? stateHash(run.configure, state) : '';
    const holdouts = p.hasConfigure
      ? (o.holdouts ?? []).map(async (h) => {
          const key = o.results ? holdoutConfigureKey(o.results.configureKey, h.kind) : undefined;
          // The record and the cells need the same digest of the same state: computed once.
          let memo: { state: unknown; status: string; f: { holdout: string; stateHash: string; stateChanged: boolean } } | undefined;
          const fields = (c: NonNullable<DetectorRun['configure']>, s: unknown) => {
            if (memo && memo.state === s && memo.status === c.status) return memo.f;
            const hash = stateHash(c, s);
            memo = { state: s, status: c.status, f: { holdout: h.kind, stateHash: hash, stateChanged: hash !== fullHash } };
            return memo.f;
          };
          const c = await configureOnce(key, h.kind, fields, (r, s) => {
            // A state from the cache whose record results.jsonl lacks (the file was replaced), or
            // records otherwise (an older hash): record it again; the latest line counts.
            const want = fields(r, s);
            const have = key ? o.recorded?.(key) : undefined;
            if (o.results && key && (have?.stateHash !== want.stateHash || have.stateChanged !== want.stateChanged))
              append({ type: 'configure', key, detector: meta.name, status: r.status, seconds: r.seconds ?? 0, ...want });
          });
          const f = fields(c.result, c.state);
          const cells = f.stateChanged ? h.cells.map((x) => ({ organism: x.organism, key: holdoutCellKey(x.key, f.stateHash) })) : [];
          const todo = cells.filter((x) => !o.isDone?.(x.key));
          total += todo.length;
          o.onHoldout?.({ kind: h.kind, configure: c.result, cached: c.cached, stateChanged: f.stateChanged, cells, toRun: todo.length });
          return runCells(todo, c.state, c.result);
        })
      : [];
    run.results = await ordinary;
    await Promise.all(holdouts);
    await Promise.all(pending);
    return run;
  } finally {
    await Promise.allSettled(pending);
    await own?.close();
  }
}

/**
 * A cell's budget: the defaults, then the zoo's own (its tier's budget, `spec.budget` in zoo.json),
 * then the run's overrides.
 */
export function budgetOf(index: ZooIndex, overrides: Partial<BudgetLimits> | undefined): BudgetLimits {
  const zoo = (index.spec as { budget?: Partial<BudgetLimits> } | undefined)?.budget;
  return { ...DEFAULT_BUDGET, ...zoo, ...overrides };
}

/** Run one detector over a zoo's organisms (`sandtrap detect`): {@link prepareDetector} then {@link runPrepared}. */
export async function runDetector(o: RunDetectorOptions): Promise<DetectorRun> {
  const index = await readZooIndex(o.zoo);
  // Explicit ids go straight to runPrepared, which names an unknown one; otherwise the split's organisms, in the zoo's order.
  const split = o.split ?? 'test';
  const wanted = o.organisms?.length ? new Set(o.organisms) : undefined;
  const chosen = index.organisms.filter((x) => (wanted ? wanted.has(x.id) : split === 'all' || x.split === split)).map((x) => x.id);
  const unknown = o.organisms?.filter((id) => !index.organisms.some((x) => x.id === id)) ?? [];
  const p = await prepareDetector(o.detector, o.baseDir, o.backend, { sandbox: o.sandbox, hidden: [o.zoo] });
  const budget = budgetOf(index, o.budget);
  const settings = { seed: o.seed ?? 1, budget: { queries: budget.queries, finetuneSteps: budget.finetuneSteps, wallSeconds: budget.wallSeconds }, backend: o.backend };
  const d = { id: p.meta.name, version: p.meta.version, optionsHash: p.optionsHash, codeHash: p.codeHash };
  const dev = await devSplitHash(o.zoo, index);
  const cells = await Promise.all(
    [...chosen, ...unknown].map(async (id) => {
      const weights = unknown.includes(id) ? '' : (await readCard(join(o.zoo, 'organisms', id))).files['weights.bin'].sha256;
      return { organism: id, key: cellKey(d, { id, weights }, settings, dev) };
    }),
  );
  return runPrepared(p, { ...o, budget, cells, sandboxRequest: o.sandbox, hidden: [o.zoo] });
}
