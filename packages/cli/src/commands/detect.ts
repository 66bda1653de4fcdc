import { resolve } from 'node:path';
import { initBackend, parseBackendRequest, SandtrapError } from '@sandtrap/core';
import { runDetector } from '@sandtrap/scoreboard';
import { printJson, type GlobalOptions, type IO } from '../io.js';
import { parseMemoryMb, parsePositiveInt, parseSandbox, sandboxLine } from '../params.js';

export interface DetectFlags {
  zoo?: string;
  organism?: string[];
  option?: string[];
  split?: string;
  workers?: string;
  timeout?: string;
  memory?: string;
  sandbox?: string;
  freshProcess?: boolean;
  json?: boolean;
}

/** `--option a.b=1` → { a: { b: 1 } }; values parse as JSON where they can (numbers, booleans, arrays), else stay strings. */
export function parseOptions(values: readonly string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of values ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--option ${kv}: expected key=value (e.g. --option sigma=0.05)`);
    const path = kv.slice(0, i).split('.');
    const raw = kv.slice(i + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      /* a plain string */
    }
    let o = out;
    for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
    o[path[path.length - 1]!] = value;
  }
  return out;
}

export async function detect(io: IO, g: GlobalOptions, ref: string, f: DetectFlags): Promise<number> {
  const split = f.split ?? 'all';
  if (!['dev', 'test', 'all'].includes(split)) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--split ${split}: expected dev, test or all`);
  const options = parseOptions(f.option);
  const zoo = resolve(io.cwd, f.zoo ?? 'sandtrap-zoo/smoke');
  const memoryMb = parseMemoryMb(f.memory, undefined);
  const backend = await initBackend(parseBackendRequest(g.backend ?? io.env.SANDTRAP_BACKEND, g.backend ? '--backend' : 'SANDTRAP_BACKEND'));
  const timeout = f.timeout === undefined ? undefined : Number(f.timeout);
  if (timeout !== undefined && !(timeout > 0)) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--timeout ${f.timeout}: expected seconds > 0`);
  const run = await runDetector({
    zoo,
    detector: [ref, options],
    baseDir: io.cwd,
    organisms: f.organism,
    split: split as 'dev' | 'test' | 'all',
    workers: f.workers === undefined ? undefined : parsePositiveInt(f.workers, '--workers', 1),
    timeoutSeconds: timeout,
    memoryMb,
    sandbox: parseSandbox(f.sandbox),
    freshProcess: f.freshProcess === true,
    backend: backend.name,
    onCell: (r, done, total) => {
      if (g.quiet) return;
      const what = r.status === 'ok' ? `score ${r.verdict!.score.toFixed(3)}${r.verdict!.flagged ? ' flagged' : ''}` : `ERROR ${r.reason}: ${r.message}`;
      io.stderr.write(`[${done}/${total}] ${r.organism} (${r.split}) ${what} in ${r.seconds.toFixed(2)} s\n`);
    },
  });
  if (f.json) {
    printJson(io, run);
    return 0;
  }
  const errors = run.results.filter((r) => r.status === 'error').length;
  const lines = [
    `${run.detector.name} ${run.detector.version} (${run.detector.access}) on ${run.results.length} organisms of ${zoo}${errors ? ` — ${errors} cell(s) failed` : ''}`,
    sandboxLine(run.sandbox),
    ...(run.configure ? [`configure: ${run.configure.status}${run.configure.message ? ` (${run.configure.message})` : ''}`] : []),
    ...run.results.map((r) =>
      r.status === 'ok'
        ? `${r.organism}  ${r.split.padEnd(4)}  score ${r.verdict!.score.toFixed(3)}  ${r.verdict!.flagged ? 'FLAGGED' : 'ok     '}${r.verdict!.kind ? `  kind ${r.verdict!.kind}` : ''}`
        : `${r.organism}  ${r.split.padEnd(4)}  error (${r.reason}): ${r.message}`,
    ),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
