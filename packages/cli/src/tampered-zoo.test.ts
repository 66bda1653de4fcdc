import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCard, readTruth, type ZooIndex } from '@sandtrap/core';
import { runCli } from './testing.js';

const fixture = resolve(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/zoo-smoke');

let dir: string;
let zoo: string;
let ids: string[];

/** Alter an organism's file and write its new sha256 and size into the card, so the hash check passes. */
async function tamperRehashed(org: string, file: 'model.json' | 'weights.bin', alter: (b: Buffer) => Buffer): Promise<void> {
  const buf = alter(await readFile(join(org, file)));
  await writeFile(join(org, file), buf);
  const cardPath = join(org, 'card.json');
  const card = JSON.parse(await readFile(cardPath, 'utf8')) as { files: Record<string, { sha256: string; bytes: number }> };
  card.files[file] = { sha256: createHash('sha256').update(buf).digest('hex'), bytes: buf.byteLength };
  await writeFile(cardPath, `${JSON.stringify(card, null, 2)}\n`);
}

// A temp copy of three organisms of the committed fixture (which is never modified): recipes
// without dependencies, so verifying them needs no other organism.
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandtrap-tampered-'));
  zoo = join(dir, 'zoo');
  const index = JSON.parse(await readFile(join(fixture, 'zoo.json'), 'utf8')) as ZooIndex;
  const picked: ZooIndex['organisms'] = [];
  for (const o of index.organisms) {
    const t = await readTruth(join(fixture, 'organisms', o.id));
    const c = await readCard(join(fixture, 'organisms', o.id));
    if (t.recipe.name === 'clean' && c.task.name === 'modsum') picked.push(o);
    if (picked.length === 3) break;
  }
  ids = picked.map((o) => o.id);
  for (const id of ids) await cp(join(fixture, 'organisms', id), join(zoo, 'organisms', id), { recursive: true });
  await writeFile(join(zoo, 'zoo.json'), `${JSON.stringify({ ...index, organisms: picked }, null, 2)}\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a tampered organism whose hashes were rewritten into its card', () => {
  it('zoo verify names it, counts it as failed, verifies the rest, exits 1', async () => {
    const bad = join(zoo, 'organisms', ids[0]!);
    await tamperRehashed(bad, 'weights.bin', (b) => b.subarray(0, b.byteLength - 40));
    const r = await runCli(['zoo', 'verify', zoo]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`\\[1/3\\] .*${ids[0]}.*weights\\.bin: \\d+ bytes, but model\\.json's shapes need \\d+`));
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toMatch(/^FAILED: 2\/3 organisms verified/);
    const j = JSON.parse((await runCli(['zoo', 'verify', zoo, '--json'])).out) as { ok: boolean; failed: number; results: Array<{ ok: boolean }> };
    expect(j.results.map((x) => x.ok)).toEqual([false, true, true]);
    expect(j.failed).toBe(1);
  });

  it('zoo verify: a model.json that no longer matches the architecture is a failed organism too', async () => {
    const bad = join(zoo, 'organisms', ids[1]!);
    const before = await readFile(join(bad, 'model.json'), 'utf8');
    await tamperRehashed(bad, 'model.json', (b) => Buffer.from(b.toString('utf8').replace('"embed.w"', '"renamed.w"')));
    const r = await runCli(['zoo', 'verify', zoo, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { results: Array<{ id: string; ok: boolean; problems: string[] }> };
    expect(j.results.map((x) => x.ok)).toEqual([false, false, true]);
    expect(j.results[1]!.problems.join(' ')).toMatch(/model\.json: a mlp model needs weight embed\.w of shape \d+×\d+, found none; rebuild the organism/);
    await tamperRehashed(bad, 'model.json', () => Buffer.from(before));
  });

  it('zoo inspect refuses it as an invalid organism: one line, exit 2 (like a hash mismatch)', async () => {
    const r = await runCli(['zoo', 'inspect', join(zoo, 'organisms', ids[0]!)]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(new RegExp(`${ids[0]}/weights\\.bin: \\d+ bytes, but model\\.json's shapes need \\d+; .*rebuild the organism.*\\[SANDTRAP_ORGANISM_INVALID\\]$`, 'm'));
  });
});

describe('scoreboard on a zoo with one tampered weights.bin', () => {
  it('exits 2 with one line naming the organism and file before any cell runs; results.jsonl is not touched', async () => {
    const full = join(dir, 'full');
    await cp(fixture, full, { recursive: true });
    const index = JSON.parse(await readFile(join(full, 'zoo.json'), 'utf8')) as ZooIndex;
    const victim = index.organisms.find((o) => o.split === 'test')!.id;
    const weights = join(full, 'organisms', victim, 'weights.bin');
    const buf = await readFile(weights);
    buf[100] = buf[100]! ^ 0xff;
    await writeFile(weights, buf);
    const line = new RegExp(`^sandtrap: .*organisms/${victim}/weights\\.bin: sha256 mismatch: .*rebuild the organism \\[SANDTRAP_HASH_MISMATCH\\]$`, 'm');

    // No report folder yet: none is made.
    const fresh = join(dir, 'report-fresh');
    const r = await runCli(['scoreboard', '--zoo', full, '--detectors', 'random', '--out', fresh, '--workers', '1']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(line);
    expect(existsSync(fresh)).toBe(false);

    // An earlier run's results.jsonl stays byte-identical.
    const earlier = join(dir, 'report-earlier');
    await mkdir(earlier);
    const before = '{"earlier":"line"}\n';
    await writeFile(join(earlier, 'results.jsonl'), before);
    const again = await runCli(['scoreboard', '--zoo', full, '--detectors', 'random', '--out', earlier, '--workers', '1']);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(line);
    expect(await readFile(join(earlier, 'results.jsonl'), 'utf8')).toBe(before);
    expect(await readdir(earlier)).toEqual(['results.jsonl']);
  });
});
