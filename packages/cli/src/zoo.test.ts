import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './testing.js';

const cli = (args: string[]) => runCli(args);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandtrap-zoo-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const good = { name: 't', tasks: ['modsum'], architectures: ['mlp'], recipes: ['clean'], splits: { dev: { seeds: [1] }, test: { seeds: [2] } } };

describe('zoo specs: bad ones get path: message and exit 2, before any training', () => {
  it.each([
    ['unknown recipe', { ...good, recipes: ['clean', 'evil'] }, /\/recipes\/1: unknown recipe 'evil'; valid recipes: .*clean/],
    ['bad seed', { ...good, splits: { dev: { seeds: [-1] }, test: { seeds: [2] } } }, /\/splits\/dev\/seeds\/0: must be >= 0/],
    ['seed in both splits', { ...good, splits: { dev: { seeds: [1] }, test: { seeds: [1, 2] } } }, /\/splits: seed 1 is in both dev and test/],
    ['extra seed in the other split', { ...good, splits: { dev: { seeds: [1] }, test: { seeds: [2], extra: { clean: [1] } } } }, /\/splits: seed 1 is in both dev and test/],
    [
      'extra seed for a recipe not in the zoo',
      { ...good, splits: { dev: { seeds: [1] }, test: { seeds: [2], extra: { weak: [5] } } } },
      /\/splits\/test\/extra\/weak: 'weak' is not one of this zoo's recipes \(clean\); list it under recipes first/,
    ],
    [
      'extra seed repeating a split seed',
      { ...good, splits: { dev: { seeds: [1] }, test: { seeds: [2], extra: { clean: [2] } } } },
      /\/splits\/test\/extra\/clean: seed 2 is already in \/splits\/test\/seeds; an extra seed must be new/,
    ],
    ['unknown key', { ...good, recipe: ['clean'] }, /\(root\): must NOT have additional properties 'recipe'/],
    ['wrong type', { ...good, tasks: 'modsum' }, /\/tasks: must be array/],
    ['empty recipes', { ...good, recipes: [] }, /\/recipes: must NOT have fewer than 1 items/],
    ['duplicated recipe', { ...good, recipes: ['clean', 'clean'] }, /\/recipes\/1: recipe 'clean' is listed twice \(also \/recipes\/0\); list each recipe once/],
    [
      'same recipe spelled twice',
      { ...good, recipes: ['clean', { name: 'clean', params: {} }] },
      /recipe 'clean' on task 'modsum' seed 1 appears twice \(the entries resolve to the same organism [0-9a-f]+\); list it once/,
    ],
    ['bad task param', { ...good, tasks: [{ name: 'modsum', params: { p: 1 } }] }, /parameter p must be an integer in \[2, 64\], got 1/],
  ])('%s', async (_name, spec, message) => {
    const file = join(dir, `${_name.replace(/\W/g, '-')}.json`);
    await writeFile(file, JSON.stringify(spec));
    const r = await cli(['zoo', 'build', '--spec', file, '--out', join(dir, 'never')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^sandtrap: --spec ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/\[SANDTRAP_SPEC_INVALID\]$/m);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    await expect(readdir(join(dir, 'never'))).rejects.toThrow();
  });

  it('a spec that is not JSON, or not there', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ "name": ');
    expect((await cli(['zoo', 'build', '--spec', file])).err).toMatch(/--spec .*broken\.json: not valid JSON/);
    expect((await cli(['zoo', 'build', '--spec', join(dir, 'absent.json')])).err).toMatch(/--spec .*absent\.json: cannot read \(ENOENT\)/);
  });

  it('an unknown preset lists the presets; --workers must be a positive integer', async () => {
    const p = await cli(['zoo', 'build', '--preset', 'huge']);
    expect(p.code).toBe(2);
    expect(p.err).toMatch(/--preset huge: unknown preset; valid presets: smoke, standard, hard/);
    const w = await cli(['zoo', 'build', '--preset', 'smoke', '--workers', '0']);
    expect(w.code).toBe(2);
    expect(w.err).toMatch(/--workers 0: expected a positive integer/);
  });

  it('zoo list / verify on a folder with no zoo say how to build one', async () => {
    const r = await cli(['zoo', 'list', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/zoo\.json: no zoo here \(zoo\.json is missing\); build one with: sandtrap zoo build --out .*\[SANDTRAP_ZOO_INVALID\]$/m);
  });
});

describe('zoo.json: an organism listed twice is refused when the zoo is read', () => {
  it('zoo list and zoo verify: one line naming the id and the file, exit 2', async () => {
    const { readFile, mkdir } = await import('node:fs/promises');
    const { dirname, resolve } = await import('node:path');
    const { fileURLToPath } = await import('node:url');
    const fixture = resolve(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/zoo-smoke');
    const index = JSON.parse(await readFile(join(fixture, 'zoo.json'), 'utf8')) as { organisms: Array<{ id: string; split: string }> };
    const zoo = join(dir, 'dup-zoo');
    await mkdir(zoo, { recursive: true });
    const first = index.organisms[0]!;
    await writeFile(join(zoo, 'zoo.json'), JSON.stringify({ ...index, organisms: [first, index.organisms[1]!, first] }));
    for (const cmd of ['list', 'verify']) {
      const r = await cli(['zoo', cmd, zoo]);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(new RegExp(`dup-zoo/zoo\\.json: /organisms/2: organism ${first.id} is listed twice; .*\\[SANDTRAP_ZOO_INVALID\\]$`, 'm'));
    }
  });
});
