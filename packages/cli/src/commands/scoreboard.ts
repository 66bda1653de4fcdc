import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { initBackend, parseBackendRequest, SandtrapError } from '@sandtrap/core';
import {
  compareBaseline,
  DEFAULT_TOLERANCE,
  describeRegression,
  loadBaseline,
  loadConfig,
  mergeShards,
  parseHoldout,
  parseShard,
  parseTolerance,
  renderTerminal,
  runScoreboard,
  writeReports,
  type BaselineReport,
  type DetectorRef,
  type Scoreboard,
  type ScoreboardEvent,
} from '@sandtrap/scoreboard';
import { printJson, type GlobalOptions, type IO } from '../io.js';
import { parseCiMethod, parseMemoryMb, parsePositiveInt, parseSandbox, parseSeed, sandboxLine } from '../params.js';
import { EtaTracker } from '../eta.js';
import { createProgress, type Progress } from '../progress.js';

export interface ScoreboardFlags {
  config?: string;
  zoo?: string;
  detectors?: string[];
  out?: string;
  baseline?: string;
  tolerance?: string;
  shard?: string;
  workers?: string;
  seed?: string;
  ci?: string;
  resamples?: string;
  timeout?: string;
  memory?: string;
  retryErrors?: boolean;
  holdout?: string;
  sandbox?: string;
  freshProcess?: boolean;
  sealedKey?: string;
  json?: boolean;
}

const fmtSeconds = (s: number) => (s >= 90 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`);

/** The plan line: `N already done, [E errored to retry, ]M to run` — the parts add up to the cells. */
function planLine(e: Extract<ScoreboardEvent, { type: 'plan' }>, retryErrors: boolean): string {
  const shard = e.shard.count > 1 ? ` (shard ${e.shard.index}/${e.shard.count})` : '';
  const done = e.cachedErrors > 0 ? `${e.cached} already done (${e.cachedErrors} of them errors; --retry-errors runs those again)` : `${e.cached} already done`;
  const parts = retryErrors ? [done, `${e.retry} errored to retry`, `${e.toRun - e.retry} to run`] : [done, `${e.toRun} to run`];
  const held = e.holdout ? `; leave-one-kind-out over ${e.holdout.kinds.length} kinds: up to ${e.holdout.upTo} more cells, as configure() states differ` : '';
  return `scoreboard${shard}: ${e.detectors} detector(s) × ${e.organisms} test organisms → ${e.total} cells; ${parts.join(', ')}${held}`;
}

/** Progress lines/bar for a scoreboard run: cells done / failed / ETA, configure() phases. */
function onEvent(progress: Progress, quiet: boolean | undefined, backendLine: string, retryErrors: boolean) {
  let eta: EtaTracker | undefined;
  return (e: ScoreboardEvent) => {
    if (quiet) return;
    if (e.type === 'plan') {
      // Printed once the input is known to be good: a bad input gets its one error line only.
      progress.log(backendLine);
      if (e.sandbox) progress.log(sandboxLine(e.sandbox));
      progress.log(planLine(e, retryErrors));
      eta = new EtaTracker(e, e.workers);
    } else if (e.type === 'configure') {
      if (e.cached) progress.log(`${e.detector}: configure() state reused from an earlier run`);
      else if (e.phase === 'start') progress.log(`${e.detector}: configure() on the dev split…`);
      else progress.log(`${e.detector}: configure() ${e.status}${e.message ? ` (${e.message})` : ''}`);
    } else if (e.type === 'holdout') {
      eta?.add(e.detector, e.toRun);
      const what =
        e.status === 'error'
          ? `failed (${e.message ?? 'no message'}); its cells score 0.5`
          : e.stateChanged
            ? `a new state: ${e.toRun} cells to run`
            : 'the same state: its cells are the ordinary ones';
      progress.log(`${e.detector}: configure() without ${e.kind}${e.cached ? ' (state reused)' : ''}: ${what}`);
    } else {
      const r = e.record;
      eta?.cell(e.detector, r.seconds);
      const left = eta?.remaining();
      const etaText = left === undefined ? '?' : `${fmtSeconds(left.seconds)}${left.unseen ? ` (${left.unseen} detector${left.unseen > 1 ? 's' : ''} not started: a guess)` : ''}`;
      if (r.status === 'error') progress.log(`${e.detector} × ${r.organism}: ERROR ${r.reason}: ${r.message}`);
      progress.update('cells', e.done, e.toRun, `${e.failed} failed · ${e.detector} · ETA ${etaText}`);
    }
  };
}

/** A baseline read and validated once, before any compute (a bad one is exit 2 with nothing run). */
interface LoadedBaseline {
  file: string;
  board: Scoreboard;
}

async function finish(
  io: IO,
  f: { json?: boolean; quiet?: boolean },
  out: string,
  board: Scoreboard,
  base: LoadedBaseline | undefined,
  tolerance: number,
  extra: Record<string, unknown>,
): Promise<number> {
  const baseline: BaselineReport | undefined = base ? compareBaseline(board, base.board, tolerance, base.file) : undefined;
  const files = [join(out, 'scoreboard.json'), ...(await writeReports(board, out, baseline))];
  if (f.json) {
    printJson(io, {
      ...extra,
      out,
      files,
      detectors: board.detectors.map((d) => ({ id: d.id, overall: d.overall, byKind: d.byKind })),
      ...(baseline ? { baseline: { file: baseline.file, tolerance, regressions: baseline.regressions } } : {}),
    });
  } else {
    const color = Boolean(io.stdout.isTTY) && !io.env.NO_COLOR;
    io.stdout.write(renderTerminal(board, { color, width: (io.stdout as { columns?: number }).columns ?? 100, ...(baseline ? { baseline } : {}) }));
    io.stdout.write(`\nreports: ${files.join(', ')}\n`);
  }
  if (baseline?.regressions.length) {
    io.stderr.write(
      `sandtrap: ${baseline.regressions.length} regression(s) against ${baseline.file} (tolerance ${tolerance}):\n${baseline.regressions.map((x) => `  ${describeRegression(x, tolerance)}`).join('\n')}\n`,
    );
    return 1;
  }
  return 0;
}

/**
 * `--detectors` values, repeatable: each is split on commas, except a value that is as a whole a
 * path (starting with `.` or `/`) that exists, which is one detector — so `./my,detector.js` works,
 * and `--detectors ./my,detector.js --detectors random` lists it with others.
 */
export function splitDetectors(values: readonly string[], cwd: string): string[] {
  return values.flatMap((v) => {
    const whole = v.trim();
    if ((whole.startsWith('.') || isAbsolute(whole)) && whole.includes(',') && existsSync(resolve(cwd, whole))) return [whole];
    return whole
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  });
}

export async function scoreboard(io: IO, g: GlobalOptions, f: ScoreboardFlags): Promise<number> {
  const { config, dir } = await loadConfig(io.cwd, f.config);
  const zoo = f.zoo ? resolve(io.cwd, f.zoo) : resolve(dir, config.zoo ?? 'sandtrap-zoo/smoke');
  const out = f.out ? resolve(io.cwd, f.out) : resolve(dir, config.out ?? 'sandtrap-report');
  let detectors: DetectorRef[];
  let baseDir: string;
  if (f.detectors !== undefined) {
    detectors = splitDetectors(f.detectors, io.cwd);
    if (detectors.length === 0)
      throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--detectors ${f.detectors.join(' ')}: expected a comma-separated list of detectors (e.g. random,noise-injection)`);
    baseDir = io.cwd;
  } else if (config.detectors) {
    detectors = config.detectors;
    baseDir = dir;
  } else {
    throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', 'no detectors to run: pass --detectors a,b or list them in sandtrap.config.ts (detectors: [...])');
  }
  const shard = f.shard !== undefined ? parseShard(f.shard) : undefined;
  const tolerance = f.tolerance !== undefined ? parseTolerance(f.tolerance) : (config.tolerance ?? DEFAULT_TOLERANCE);
  const baselineFile = f.baseline ? resolve(io.cwd, f.baseline) : config.baseline ? resolve(dir, config.baseline) : undefined;
  let base: LoadedBaseline | undefined;
  if (baselineFile) {
    if (shard && shard.count > 1)
      throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', '--baseline with --shard: a shard has no scoreboard to compare; pass --baseline to sandtrap merge instead');
    base = { file: baselineFile, board: await loadBaseline(baselineFile) };
  }
  const timeout = f.timeout === undefined ? config.timeoutSeconds : Number(f.timeout);
  if (timeout !== undefined && !(timeout > 0)) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--timeout ${f.timeout}: expected seconds > 0`);
  const request = g.backend ?? io.env.SANDTRAP_BACKEND ?? 'auto';
  const backend = await initBackend(parseBackendRequest(request, g.backend ? '--backend' : 'SANDTRAP_BACKEND'));
  const retryErrors = f.retryErrors ?? config.retryErrors ?? false;
  const holdout = f.holdout !== undefined ? parseHoldout(f.holdout) : config.holdout;
  const progress = createProgress(io, { quiet: g.quiet });
  let result;
  try {
    result = await runScoreboard({
      zoo,
      detectors,
      baseDir,
      out,
      workers: f.workers === undefined ? config.workers : parsePositiveInt(f.workers, '--workers', 1),
      timeoutSeconds: timeout,
      memoryMb: parseMemoryMb(f.memory, config.memoryMb),
      budget: config.budget,
      seed: f.seed === undefined ? config.seed : parseSeed(f.seed),
      ci: f.ci === undefined ? config.ci : parseCiMethod(f.ci),
      resamples: f.resamples === undefined ? config.resamples : parsePositiveInt(f.resamples, '--resamples', 1000),
      backendRequest: request,
      backend: backend.name,
      ...(shard ? { shard } : {}),
      retryErrors,
      ...(holdout ? { holdout } : {}),
      sandbox: parseSandbox(f.sandbox),
      freshProcess: f.freshProcess ?? config.freshProcess ?? false,
      ...(f.sealedKey !== undefined ? { sealedKey: resolve(io.cwd, f.sealedKey) } : {}),
      onEvent: onEvent(progress, g.quiet, `backend: ${backend.name} (${backend.reason})`, retryErrors),
    });
  } finally {
    progress.stop();
  }
  const summary = { ran: result.ran, retried: result.retried, reused: result.cached, failed: result.failed, wallSeconds: result.manifest.timing.wallSeconds };
  if (!result.board) {
    const s = result.manifest.shard;
    const ran = result.retried ? `${result.ran} run (${result.retried} retried)` : `${result.ran} run`;
    const line = `shard ${s.index}/${s.count}: ${result.manifest.cells.length} cells done (${ran}, ${result.cached} reused, ${result.failed} failed) in ${out}; combine the shards with: sandtrap merge DIR... --out DIR`;
    if (f.json) printJson(io, { shard: s, out, ...summary });
    else io.stdout.write(`${line}\n`);
    return 0;
  }
  if (!g.quiet && !f.json)
    progress.log(
      `done: ${result.ran} cells run${result.retried ? ` (${result.retried} retried)` : ''}, ${result.cached} reused, ${result.failed} failed, ${fmtSeconds(summary.wallSeconds ?? 0)}`,
    );
  return finish(io, { json: f.json, quiet: g.quiet }, out, result.board, base, tolerance, summary);
}

export interface MergeFlags {
  out?: string;
  zoo?: string;
  sealedKey?: string;
  baseline?: string;
  tolerance?: string;
  json?: boolean;
}

export async function merge(io: IO, g: GlobalOptions, dirs: string[], f: MergeFlags): Promise<number> {
  if (!f.out) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', 'merge: --out DIR is required (where the merged scoreboard goes)');
  const out = resolve(io.cwd, f.out);
  const tolerance = f.tolerance !== undefined ? parseTolerance(f.tolerance) : DEFAULT_TOLERANCE;
  const baselineFile = f.baseline ? resolve(io.cwd, f.baseline) : undefined;
  const base = baselineFile ? { file: baselineFile, board: await loadBaseline(baselineFile) } : undefined;
  const { board } = await mergeShards({
    dirs: dirs.map((d) => resolve(io.cwd, d)),
    out,
    ...(f.zoo ? { zoo: resolve(io.cwd, f.zoo) } : {}),
    ...(f.sealedKey !== undefined ? { sealedKey: resolve(io.cwd, f.sealedKey) } : {}),
  });
  return finish(io, { json: f.json, quiet: g.quiet }, out, board, base, tolerance, { merged: dirs.length });
}
