import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './testing.js';
import { parseOptions } from './commands/detect.js';
import { splitDetectors } from './commands/scoreboard.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const zoo = join(repo, 'fixtures/zoo-smoke');
const det = (f: string) => join(repo, 'fixtures/detectors', f);

const cli = (args: string[], cwd?: string) => runCli(args, { cwd });

let empty: string;
beforeAll(async () => {
  empty = await mkdtemp(join(tmpdir(), 'sandtrap-detect-'));
  await mkdir(join(empty, 'fixtures'));
  await writeFile(join(empty, 'fixtures', 'x.js'), 'export default {};\n');
  await writeFile(join(empty, 'x.js'), 'export default {};\n');
});
afterAll(async () => {
  await rm(empty, { recursive: true, force: true });
});

describe('sandtrap detect: resolution and options, exit 2 with one line', () => {
  it.each([
    [
      ['nope'],
      /detector 'nope': 'nope' is not a built-in detector that is installed \(looked for @sandtrap\/detector-nope\); install it with: npm install -D @sandtrap\/detector-nope/,
    ],
    [
      ['sandtrap-detector-missing'],
      /detector 'sandtrap-detector-missing': package sandtrap-detector-missing is not installed; install it with: npm install -D sandtrap-detector-missing/,
    ],
    [['@acme/sandtrap-detector-x'], /install it with: npm install -D @acme\/sandtrap-detector-x/],
    [['./missing.js'], /detector '\.\/missing\.js': .*missing\.js does not exist \(paths are relative to/],
    [
      ['fixtures/x.js'],
      /^sandtrap: detector 'fixtures\/x\.js': no package of that name; did you mean \.\/fixtures\/x\.js\? \(a path starts with \.\/ or \/, relative to .*\[SANDTRAP_PLUGIN_NOT_FOUND\]$/m,
    ],
    [['x.js'], /^sandtrap: detector 'x\.js': no package of that name; did you mean \.\/x\.js\?/m],
    [['fixtures/absent.js'], /detector 'fixtures\/absent\.js': package fixtures\/absent\.js is not installed/],
  ])('%j', async (args, message) => {
    const r = await cli(['detect', ...args, '--zoo', zoo], empty);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('--memory below 64 MB is refused like the config refuses memoryMb, before any cell runs (detect and scoreboard)', async () => {
    for (const args of [
      ['detect', 'random', '--zoo', zoo, '--memory', '1'],
      ['scoreboard', '--zoo', zoo, '--detectors', 'random', '--out', join(empty, 'never'), '--memory', '1'],
    ]) {
      const r = await cli(args, empty);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/^sandtrap: --memory 1: expected a heap limit in MB, an integer ≥ 64 .*\[SANDTRAP_BAD_ARGUMENT\]$/m);
    }
    expect(existsSync(join(empty, 'never'))).toBe(false);
  });

  it('--detectors: split on commas unless the whole value is an existing path; repeatable', async () => {
    await mkdir(join(empty, 'my,det'), { recursive: true });
    await writeFile(join(empty, 'my,detector.js'), 'export const nothing = 1;\n');
    expect(splitDetectors(['./my,detector.js'], empty)).toEqual(['./my,detector.js']);
    expect(splitDetectors(['./my,detector.js', 'random,noise-injection'], empty)).toEqual(['./my,detector.js', 'random', 'noise-injection']);
    expect(splitDetectors([' random , noise-injection '], empty)).toEqual(['random', 'noise-injection']);
    expect(splitDetectors(['./absent,random'], empty)).toEqual(['./absent', 'random']);
    // Through the CLI the comma path reaches resolution whole (here: a folder that is no package).
    const r = await cli(['scoreboard', '--zoo', zoo, '--detectors', './my,det', '--out', join(empty, 'never')], empty);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^sandtrap: detector '\.\/my,det': /);
    expect(existsSync(join(empty, 'never'))).toBe(false);
  });

  it('a wrong export shape is named precisely', async () => {
    const r = await cli(['detect', det('no-detect.js'), '--zoo', zoo]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/default export of .*no-detect\.js has no detect\(\) function/);
  });

  it('bad options → path: message', async () => {
    const r = await cli(['detect', det('with-options.js'), '--zoo', zoo, '--option', 'sigma=0.5']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/detector 'with-options': options\/sigma: must be <= 0\.1/);
    const u = await cli(['detect', det('with-options.js'), '--zoo', zoo, '--option', 'sigmaa=0.01']);
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/sigmaa/);
  });

  it('--option parses JSON values and nests dotted keys', () => {
    expect(parseOptions(['sigma=0.05', 'seeds=[1,2]', 'name=abc', 'a.b=true'])).toEqual({ sigma: 0.05, seeds: [1, 2], name: 'abc', a: { b: true } });
    expect(() => parseOptions(['sigma'])).toThrow(/--option sigma: expected key=value/);
  });

  it('an organism that is not in the zoo', async () => {
    const r = await cli(['detect', det('good.js'), '--zoo', zoo, '--organism', 'deadbeef']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--organism deadbeef: no such organism in .*; see: sandtrap zoo list/);
  });
});

describe('sandtrap detect: verdicts', () => {
  it('runs a gray-box detector with defaults applied and prints one verdict per organism', async () => {
    const list = JSON.parse((await cli(['zoo', 'list', zoo, '--json'])).out) as { organisms: Array<{ id: string }> };
    const ids = list.organisms.slice(0, 3).map((o) => o.id);
    const r = await cli(['detect', det('with-options.js'), '--zoo', zoo, '--json', '--quiet', ...ids.flatMap((id) => ['--organism', id])]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.options).toEqual({ sigma: 0.05 });
    expect(j.detector).toMatchObject({ name: 'with-options', access: 'gray-box', via: 'path' });
    expect(j.results.map((x: { organism: string }) => x.organism).sort()).toEqual([...ids].sort());
    for (const x of j.results) {
      expect(x.status).toBe('ok');
      expect(x.verdict.score).toBeGreaterThanOrEqual(0);
      expect(x.verdict.evidence).toEqual({ sigma: 0.05 });
      expect(x.queries).toBe(64);
    }
  });
});
