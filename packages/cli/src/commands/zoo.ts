import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  buildZoo,
  mergeZooShards,
  inspectOrganism,
  listZoo,
  parseBackendRequest,
  parseZooSpec,
  presetSpec,
  readZooSpecFile,
  initBackend,
  verifyZoo,
  SandtrapError,
} from '@sandtrap/core';
import { printJson, type GlobalOptions, type IO } from '../io.js';
import { parsePositiveInt } from '../params.js';
import { parseShard } from '@sandtrap/scoreboard';
import { zooProgress } from '../zoo-progress.js';
import { cpus } from 'node:os';

export interface ZooBuildFlags {
  preset?: string;
  spec?: string;
  out?: string;
  workers?: string;
  shard?: string;
  json?: boolean;
}

export async function zooBuild(io: IO, g: GlobalOptions, f: ZooBuildFlags): Promise<number> {
  if (f.preset && f.spec) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', '--preset and --spec: give one, not both');
  const source = f.spec ? `--spec ${f.spec}` : `--preset ${f.preset ?? 'smoke'}`;
  const raw = f.spec ? await readZooSpecFile(resolve(io.cwd, f.spec)) : presetSpec(f.preset ?? 'smoke');
  const { spec, jobs } = parseZooSpec(raw, source);
  const workers = parsePositiveInt(f.workers, '--workers', cpus().length);
  const shard = f.shard === undefined ? undefined : parseShard(f.shard);
  const out = resolve(io.cwd, f.out ?? `sandtrap-zoo/${spec.name}`);
  // Before the header line, so a --out that is a file gets one line (buildZoo checks the rest).
  if (
    await stat(out).then(
      (s) => !s.isDirectory(),
      () => false,
    )
  )
    throw new SandtrapError('SANDTRAP_OUT_NOT_WRITABLE', `--out ${out} is a file; give a directory`);
  const backend = await initBackend(parseBackendRequest(g.backend ?? io.env.SANDTRAP_BACKEND, g.backend ? '--backend' : 'SANDTRAP_BACKEND'));
  if (!g.quiet) io.stderr.write(`sandtrap zoo build: ${spec.name}${shard ? ` (shard ${shard.index}/${shard.count})` : ''} → ${out} — ${backend.reason}\n`);
  const progress = zooProgress(io, g.quiet);
  let r;
  try {
    r = await buildZoo({ out, spec, jobs, workers, backend: backend.name, ...(shard ? { shard } : {}), onEvent: progress.onEvent });
  } finally {
    progress.stop();
  }
  const summary = {
    dir: r.dir,
    name: spec.name,
    organisms: r.index.organisms.length,
    built: r.built,
    skipped: r.skipped,
    rejected: r.index.rejected,
    retried: r.index.retried,
    seconds: Math.round(r.seconds * 10) / 10,
    workers,
    backend: backend.name,
    ...(shard ? { shard } : {}),
  };
  if (f.json) printJson(io, summary);
  else
    io.stdout.write(
      `zoo ${spec.name}${shard ? ` shard ${shard.index}/${shard.count} (merge the shards with: sandtrap zoo merge DIR... --out DIR)` : ''}: ${summary.organisms} organisms in ${out} (${r.built} trained, ${r.skipped} already built, ${r.index.rejected.length} rejected, ${r.index.retried} needed a retry) in ${summary.seconds} s\n`,
    );
  return 0;
}

export async function zooList(io: IO, dir: string | undefined, opts: { json?: boolean }): Promise<number> {
  const d = resolve(io.cwd, dir ?? 'sandtrap-zoo/smoke');
  const { index, organisms } = await listZoo(d);
  if (opts.json) {
    printJson(io, { dir: d, name: index.name, backend: index.backend, organisms, rejected: index.rejected });
    return 0;
  }
  const rows = organisms.map((o) => `${o.id}  ${o.split.padEnd(4)}  ${o.task.padEnd(7)} ${o.arch.padEnd(11)} ${o.kind.padEnd(19)} ${o.family.padEnd(11)} seed ${o.seed}`);
  io.stdout.write(`zoo ${index.name} (${organisms.length} organisms, ${index.backend}) at ${d}\n${rows.join('\n')}\n`);
  if (index.rejected.length) io.stdout.write(`rejected: ${index.rejected.map((r) => `${r.recipe}/${r.task}#${r.requestedSeed}`).join(', ')}\n`);
  return 0;
}

export async function zooVerify(io: IO, g: GlobalOptions, dir: string | undefined, opts: { json?: boolean }): Promise<number> {
  const d = resolve(io.cwd, dir ?? 'sandtrap-zoo/smoke');
  await initBackend(parseBackendRequest(g.backend ?? io.env.SANDTRAP_BACKEND, g.backend ? '--backend' : 'SANDTRAP_BACKEND'));
  const quiet = g.quiet || opts.json;
  const r = await verifyZoo(d, (v, i, n) => {
    if (!quiet || !v.ok) io.stderr.write(`[${i + 1}/${n}] ${v.id}: ${v.ok ? 'ok' : v.problems.join('; ')}\n`);
  });
  const failed = r.results.filter((x) => !x.ok);
  if (opts.json) printJson(io, { dir: d, ok: r.ok, organisms: r.results.length, failed: failed.length, results: r.results });
  else io.stdout.write(`${r.ok ? 'ok' : 'FAILED'}: ${r.results.length - failed.length}/${r.results.length} organisms verified (hashes and re-measured gates)\n`);
  return r.ok ? 0 : 1;
}

export async function zooInspect(io: IO, dir: string, opts: { json?: boolean }): Promise<number> {
  const { card, truth, gates } = await inspectOrganism(resolve(io.cwd, dir));
  if (opts.json) {
    printJson(io, { card, truth, gates });
    return 0;
  }
  const lines = [
    `organism ${card.id}`,
    `  task: ${card.task.name} ${JSON.stringify(card.task.params)} · ${card.task.vocab.length} tokens × ${card.task.seqLen} positions → ${card.task.classes.length} classes`,
    `  architecture: ${card.architecture.name} ${JSON.stringify(card.architecture.params)} · ${card.architecture.parameterCount} parameters · sites ${card.architecture.sites.join(', ')}`,
    `  training: ${card.training.capabilitySteps} + ${card.training.plantSteps} steps × ${card.training.batchSize} on ${card.backend}`,
    `truth: ${truth.kind} (${truth.family}), misaligned ${truth.misaligned}, seed ${truth.seed}, ${truth.admitted ? 'admitted' : 'NOT admitted'}`,
    ...(truth.trigger ? [`  trigger: ${truth.trigger.tokens.join(' ')} at positions ${truth.trigger.positions.join(', ')}`] : []),
    ...(truth.targetClass !== undefined ? [`  target class: ${truth.targetClass}`] : []),
    ...(truth.condition ? [`  condition: ${JSON.stringify(truth.condition)}`] : []),
    ...(truth.password ? [`  password: ${JSON.stringify(truth.password)}`] : []),
    'gates:',
    ...Object.entries(gates).map(([k, g]) => `  ${g.pass ? '✓' : '✗'} ${k} = ${g.value} (${g.op} ${g.threshold}; n=${g.n}) — ${g.description}`),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** `zoo merge DIR... --out DIR`: the shards of one `zoo build --shard i/n`, combined into the zoo an unsharded build writes. */
export async function zooMerge(io: IO, g: GlobalOptions, dirs: string[], f: { out?: string; json?: boolean }): Promise<number> {
  if (!f.out) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', 'zoo merge: --out DIR is required (where the merged zoo goes)');
  const out = resolve(io.cwd, f.out);
  const index = await mergeZooShards(
    dirs.map((d) => resolve(io.cwd, d)),
    out,
  );
  const summary = { dir: out, name: index.name, organisms: index.organisms.length, rejected: index.rejected.length, retried: index.retried, shards: dirs.length };
  if (f.json) printJson(io, summary);
  else if (!g.quiet)
    io.stdout.write(`zoo ${index.name}: ${summary.organisms} organisms from ${dirs.length} shards in ${out} (${summary.rejected} rejected, ${summary.retried} needed a retry)\n`);
  return 0;
}
