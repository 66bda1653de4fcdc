import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import {
  buildZoo,
  buildSealedZoo,
  planSealedBuild,
  parseSealedSecret,
  SEALED_SEED_ENV,
  type BuildZooResult,
  type SealedBuildResult,
  mergeZooShards,
  inspectOrganism,
  listZoo,
  parseBackendRequest,
  parseZooSpec,
  presetSpec,
  readZooSpecFile,
  initBackend,
  verifyZoo,
  readZooIndex,
  zooKey,
  SandtrapError,
  type Truth,
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
  sealed?: boolean;
  keyOut?: string;
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
  if (f.keyOut !== undefined && !f.sealed) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', '--key-out: only with --sealed (where the sealed key goes)');
  if (f.sealed && shard) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', '--sealed with --shard: a sealed build runs on one machine (the secret stays there); drop --shard');
  // Empty counts as unset (CI systems pass an unavailable secret as ''): the build draws one.
  const envSecret = io.env[SEALED_SEED_ENV];
  const secret = f.sealed && envSecret ? parseSealedSecret(envSecret, SEALED_SEED_ENV) : undefined;
  const keyPath = f.sealed ? resolve(io.cwd, f.keyOut ?? `${out}.key.json`) : undefined;
  // Before the header line: a bad key or secret gets one line.
  if (keyPath) await planSealedBuild({ out, keyPath, spec, ...(secret ? { secret } : {}) });
  // Before the header line, so a --out that is a file gets one line (buildZoo checks the rest).
  if (
    await stat(out).then(
      (s) => !s.isDirectory(),
      () => false,
    )
  )
    throw new SandtrapError('SANDTRAP_OUT_NOT_WRITABLE', `--out ${out} is a file; give a directory`);
  const backend = await initBackend(parseBackendRequest(g.backend ?? io.env.SANDTRAP_BACKEND, g.backend ? '--backend' : 'SANDTRAP_BACKEND'));
  if (!g.quiet)
    io.stderr.write(
      `sandtrap zoo build: ${spec.name}${shard ? ` (shard ${shard.index}/${shard.count})` : ''}${keyPath ? ` (sealed test split, key ${keyPath})` : ''} → ${out} — ${backend.reason}\n`,
    );
  const progress = zooProgress(io, g.quiet);
  let r: BuildZooResult;
  let s: SealedBuildResult | undefined;
  try {
    const o = { out, spec, jobs, workers, backend: backend.name, onEvent: progress.onEvent };
    if (keyPath) r = s = await buildSealedZoo({ ...o, keyPath, ...(secret ? { secret } : {}) });
    else r = await buildZoo({ ...o, ...(shard ? { shard } : {}) });
  } finally {
    progress.stop();
  }
  const sealed = s ? { key: s.keyPath, commitment: s.commitment, secret: s.source } : undefined;
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
    ...(sealed ? { sealed } : {}),
  };
  if (f.json) printJson(io, summary);
  else
    io.stdout.write(
      `zoo ${spec.name}${shard ? ` shard ${shard.index}/${shard.count} (merge the shards with: sandtrap zoo merge DIR... --out DIR)` : ''}: ${summary.organisms} organisms in ${out} (${r.built} trained, ${r.skipped} already built, ${r.index.rejected.length} rejected, ${r.index.retried} needed a retry) in ${summary.seconds} s\n` +
        (sealed
          ? `sealed test split: key ${sealed.key} (secret ${{ drawn: 'drawn by this build', env: `from ${SEALED_SEED_ENV}`, key: 'read from the key' }[sealed.secret]}; keep the key where no detector runs), commitment ${sealed.commitment}\n`
          : ''),
    );
  return 0;
}

export async function zooList(io: IO, dir: string | undefined, opts: { json?: boolean; sealedKey?: string }): Promise<number> {
  const d = resolve(io.cwd, dir ?? 'sandtrap-zoo/smoke');
  const { index, organisms } = await listZoo(d, opts.sealedKey === undefined ? undefined : resolve(io.cwd, opts.sealedKey));
  if (opts.json) {
    printJson(io, { dir: d, name: index.name, backend: index.backend, organisms, rejected: index.rejected });
    return 0;
  }
  const rows = organisms.map((o) => `${o.id}  ${o.split.padEnd(4)}  ${o.task.padEnd(7)} ${o.arch.padEnd(11)} ${o.kind.padEnd(19)} ${o.family.padEnd(11)} seed ${o.seed}`);
  io.stdout.write(`zoo ${index.name} (${organisms.length} organisms, ${index.backend}) at ${d}\n${rows.join('\n')}\n`);
  if (index.rejected.length) io.stdout.write(`rejected: ${index.rejected.map((r) => `${r.recipe}/${r.task}#${r.requestedSeed}`).join(', ')}\n`);
  return 0;
}

export async function zooVerify(io: IO, g: GlobalOptions, dir: string | undefined, opts: { json?: boolean; sealedKey?: string }): Promise<number> {
  const d = resolve(io.cwd, dir ?? 'sandtrap-zoo/smoke');
  await initBackend(parseBackendRequest(g.backend ?? io.env.SANDTRAP_BACKEND, g.backend ? '--backend' : 'SANDTRAP_BACKEND'));
  const quiet = g.quiet || opts.json;
  const r = await verifyZoo(
    d,
    (v, i, n) => {
      if (!quiet || !v.ok) io.stderr.write(`[${i + 1}/${n}] ${v.id}: ${v.ok ? 'ok' : v.problems.join('; ')}\n`);
    },
    opts.sealedKey === undefined ? undefined : resolve(io.cwd, opts.sealedKey),
  );
  const failed = r.results.filter((x) => !x.ok);
  if (opts.json) printJson(io, { dir: d, ok: r.ok, organisms: r.results.length, failed: failed.length, results: r.results });
  else io.stdout.write(`${r.ok ? 'ok' : 'FAILED'}: ${r.results.length - failed.length}/${r.results.length} organisms verified (hashes and re-measured gates)\n`);
  return r.ok ? 0 : 1;
}

/** A sealed test organism's truth, from its zoo's key; undefined for any other organism. */
async function sealedTruthOf(odir: string, keyPath: string | undefined): Promise<Truth | undefined> {
  const zooDir = dirname(dirname(odir));
  const index = await readZooIndex(zooDir).catch(() => undefined);
  const entry = index?.organisms.find((o) => o.id === basename(odir));
  if (!index?.sealed || entry?.split !== 'test') {
    if (keyPath) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `--sealed-key ${keyPath}: ${odir} is not a sealed test organism; drop --sealed-key`);
    return undefined;
  }
  if (!keyPath) throw new SandtrapError('SANDTRAP_BAD_ARGUMENT', `${odir}: a sealed test organism: its truth is in the zoo's key, not in its folder; pass --sealed-key FILE`);
  const key = await zooKey(zooDir, index, keyPath);
  return key!.organisms[entry.id];
}

export async function zooInspect(io: IO, dir: string, opts: { json?: boolean; sealedKey?: string }): Promise<number> {
  const odir = resolve(io.cwd, dir);
  const sealed = await sealedTruthOf(odir, opts.sealedKey === undefined ? undefined : resolve(io.cwd, opts.sealedKey));
  const { card, truth, gates } = await inspectOrganism(odir, sealed);
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
