import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ensureWritableDir, SandtrapError, writeFileAtomic } from '@sandtrap/core';
import { buildBoard, writeBoard, type Scoreboard } from './board.js';
import { appendResults, readResults, type CellRecord, type ConfigureRecord } from './results.js';
import type { RunManifest } from './run.js';
import { ordinal, testOrganisms } from './test-split.js';

async function readManifest(dir: string): Promise<RunManifest> {
  const path = join(dir, 'run.json');
  let m: RunManifest;
  try {
    m = JSON.parse(await readFile(path, 'utf8')) as RunManifest;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing: not a scoreboard output folder' : `unreadable (${(e as Error).message})`;
    throw new SandtrapError('SANDTRAP_MERGE_MISMATCH', `${path}: ${why}; pass the --out folders of the shard runs`, { cause: e });
  }
  if (m?.schemaVersion !== 1 || !m.shard || !Array.isArray(m.cells) || !Array.isArray(m.detectors)) {
    throw new SandtrapError(
      'SANDTRAP_MERGE_MISMATCH',
      `${path}: not a sandtrap run manifest (schemaVersion 1 with shard, cells, detectors); pass the --out folders of the shard runs`,
    );
  }
  return m;
}

export interface MergeOptions {
  /** Shard output folders. */
  dirs: string[];
  out: string;
  /** The zoo, when it has moved since the shards ran (default: the path in run.json). */
  zoo?: string;
  /** The key of a sealed zoo, as the shards were given it. */
  sealedKey?: string;
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
    if (m.zoo.specHash !== first.zoo.specHash)
      throw new SandtrapError('SANDTRAP_MERGE_MISMATCH', `merge: ${dir} scored zoo ${m.zoo.specHash}, ${o.dirs[0]} zoo ${first.zoo.specHash}; merge shards of one run only`);
    if ((m.zoo.devHash ?? '') !== (first.zoo.devHash ?? ''))
      throw new SandtrapError('SANDTRAP_MERGE_MISMATCH', `merge: ${dir} scored a zoo with another dev split than ${o.dirs[0]}; merge shards of one run only`);
    if (!same(m.settings, first.settings))
      throw new SandtrapError('SANDTRAP_MERGE_MISMATCH', `merge: ${dir} ran with other settings than ${o.dirs[0]} (seed, budget or backend); merge shards of one run only`);
    if (
      !same(
        m.detectors.map((d) => d.key),
        first.detectors.map((d) => d.key),
      )
    )
      throw new SandtrapError('SANDTRAP_MERGE_MISMATCH', `merge: ${dir} ran other detectors (or versions, options) than ${o.dirs[0]}; merge shards of one run only`);
    if (m.shard.count !== first.shard.count)
      throw new SandtrapError(
        'SANDTRAP_MERGE_MISMATCH',
        `merge: ${dir} is shard ${m.shard.index}/${m.shard.count} but ${o.dirs[0]} is of ${first.shard.count}; merge shards of one run only`,
      );
    const dup = byIndex.get(m.shard.index);
    if (dup) throw new SandtrapError('SANDTRAP_MERGE_MISMATCH', `merge: ${dup} and ${dir} are both shard ${m.shard.index}/${m.shard.count}; pass each shard once`);
    byIndex.set(m.shard.index, dir);
  }
  const absent = Array.from({ length: first.shard.count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (absent.length)
    throw new SandtrapError(
      'SANDTRAP_MERGE_MISMATCH',
      `merge: shard(s) ${absent.map((i) => `${i}/${first.shard.count}`).join(', ')} missing; pass the --out folders of all ${first.shard.count} shards`,
    );

  const cells = new Map<string, CellRecord>();
  const configures = new Map<string, ConfigureRecord>();
  for (const [i, dir] of o.dirs.entries()) {
    const r = await readResults(join(dir, 'results.jsonl'));
    const owned = new Set(manifests[i]!.cells);
    const unfinished = manifests[i]!.cells.filter((k) => !r.cells.has(k)).length;
    if (unfinished)
      throw new SandtrapError(
        'SANDTRAP_MERGE_MISMATCH',
        `merge: ${dir} (shard ${manifests[i]!.shard.index}/${first.shard.count}) has ${unfinished} unfinished cell(s); rerun that shard into the same --out to finish it`,
      );
    for (const [k, c] of r.cells) if (owned.has(k)) cells.set(k, c);
    for (const [k, c] of r.configures) if (!configures.has(k)) configures.set(k, c);
  }
  const zoo = resolve(o.zoo ?? first.zoo.dir);
  const { index, organisms } = await testOrganisms(zoo, o.sealedKey === undefined ? undefined : resolve(o.sealedKey));
  if (index.specHash !== first.zoo.specHash)
    throw new SandtrapError(
      'SANDTRAP_MERGE_MISMATCH',
      `merge: zoo ${zoo} has spec ${index.specHash}, the shards scored ${first.zoo.specHash}; pass --zoo with the zoo they scored`,
    );
  await ensureWritableDir(o.out);
  const timings = manifests.map((m) => m.timing);
  const timing = {
    startedAt: timings.map((t) => t.startedAt).sort(ordinal)[0]!,
    finishedAt: timings
      .map((t) => t.finishedAt ?? t.startedAt)
      .sort(ordinal)
      .at(-1)!,
    wallSeconds: timings.reduce((a, t) => a + (t.wallSeconds ?? 0), 0),
  };
  // The board states the weakest confinement any shard ran under: a shard without the OS sandbox (or with no record of it) speaks for all.
  const weakest = manifests.find((m) => !m.sandbox) ?? manifests.find((m) => m.sandbox && !m.sandbox.os) ?? first;
  const { sandbox: _s, ...rest } = first;
  const manifest: RunManifest = {
    ...rest,
    zoo: { ...first.zoo, dir: zoo },
    shard: { index: 1, count: 1 },
    cells: [...cells.keys()],
    timing,
    ...(weakest.sandbox ? { sandbox: weakest.sandbox } : {}),
  };
  const board = buildBoard(manifest, organisms, cells, configures, timing);
  const resultsPath = join(o.out, 'results.jsonl');
  await rm(resultsPath, { force: true });
  await appendResults(resultsPath, [...configures.values(), ...cells.values()]);
  await writeFileAtomic(join(o.out, 'run.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeBoard(o.out, board);
  return { board, manifest };
}
