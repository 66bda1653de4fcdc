import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, exec, writeSmallSpec } from './small-spec.js';

let dir: string;
let specFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandtrap-shard-'));
  specFile = await writeSmallSpec(dir, 'sharded');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => exec(process.execPath, [bin, ...args], { env: { ...process.env, CI: '1' } });
/** Exit code and stderr of a CLI run expected to fail. */
const fails = (args: string[]) =>
  cli(args).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );

/** Every file under a folder (relative path → bytes), the build's scratch folder left out. */
async function files(root: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    const rel = relative(root, p);
    if (!rel.startsWith('.build')) out.set(rel, await readFile(p));
  }
  return out;
}

describe.skipIf(process.env.SANDTRAP_FAST === '1')('[slow] zoo build --shard i/n and zoo merge', () => {
  it('three shards merged are byte-identical to an unsharded build; bad merges get one line and exit 2', async () => {
    const whole = join(dir, 'whole');
    await cli(['zoo', 'build', '--spec', specFile, '--out', whole, '--workers', '1', '--json']);
    const shards = [1, 2, 3].map((i) => join(dir, `shard-${i}`));
    const built = await Promise.all(
      shards.map(
        async (out, k) =>
          JSON.parse((await cli(['zoo', 'build', '--spec', specFile, '--out', out, '--workers', '1', '--shard', `${k + 1}/3`, '--json'])).stdout) as { organisms: number },
      ),
    );
    // Each shard is one group; no shard folder is a zoo on its own.
    expect(built.map((b) => b.organisms)).toEqual([1, 1, 1]);
    for (const s of shards) expect((await readdir(s)).sort()).toEqual(['.build', 'organisms', 'zoo-shard.json']);

    const merged = join(dir, 'merged');
    const r = JSON.parse((await cli(['zoo', 'merge', ...shards, '--out', merged, '--json'])).stdout) as { organisms: number; shards: number };
    expect(r).toMatchObject({ organisms: 3, shards: 3 });
    const a = await files(whole);
    const b = await files(merged);
    // zoo.json and each organism's card, model, weights and truth.
    expect(a.size).toBe(1 + 3 * 4);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, v] of a) expect(b.get(k)!.equals(v), `${k} differs`).toBe(true);
    await cli(['zoo', 'verify', merged]);

    // Bad input: one line each, exit 2, nothing written.
    const bad = async (args: string[], line: RegExp) => {
      const e = await fails(args);
      expect(e.code).toBe(2);
      expect(e.stderr.trim().split('\n')).toHaveLength(1);
      expect(e.stderr).toMatch(line);
    };
    await bad(['zoo', 'merge', shards[0]!, shards[2]!, '--out', join(dir, 'm2')], /zoo merge: shard 2\/3 missing; build it with: sandtrap zoo build --shard 2\/3/);
    await bad(['zoo', 'merge', ...shards, shards[1]!, '--out', join(dir, 'm3')], /zoo merge: shard 2\/3 is given twice/);
    await bad(['zoo', 'merge', whole, '--out', join(dir, 'm4')], /has no zoo-shard\.json: it is not a finished zoo shard/);
    await bad(['zoo', 'merge', ...shards, '--out', merged], /already holds a zoo \(zoo\.json\); give an empty or new folder/);
    await bad(['zoo', 'build', '--spec', specFile, '--out', join(dir, 'm5'), '--shard', '4/3'], /--shard 4\/3: expected I\/N with 1 ≤ I ≤ N/);
    const other = join(dir, 'other');
    await cli(['zoo', 'build', '--spec', specFile, '--out', other, '--workers', '1', '--shard', '2/3']);
    const idx = JSON.parse(await readFile(join(other, 'zoo-shard.json'), 'utf8')) as { specHash: string };
    await writeFile(join(other, 'zoo-shard.json'), JSON.stringify({ ...idx, specHash: 'not-this-spec' }));
    await bad(
      ['zoo', 'merge', shards[0]!, other, shards[2]!, '--out', join(dir, 'm6')],
      /zoo merge: .*other has spec not-this-spec but .*shard-1 has [0-9a-f]+; merge the shards of one build/,
    );
    for (const m of ['m2', 'm3', 'm4', 'm5', 'm6']) await expect(readdir(join(dir, m))).rejects.toThrow(/ENOENT/);
  }, 600_000);
});
