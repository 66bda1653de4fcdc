import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const zoo = join(repo, 'fixtures/zoo-smoke');
const npm = (args: string[], cwd: string) =>
  exec('npm', args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sandtrap-pack-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe.skipIf(process.env.SANDTRAP_FAST === '1')('[slow] a third-party detector, as its author ships it', () => {
  it('init detector → npm pack → install into a fresh project beside packed sandtrap → sandtrap detect prints a verdict per organism', async () => {
    const tarballs = join(work, 'tarballs');
    await mkdir(tarballs);
    // The sandtrap packages a user installs, packed as npm publishes them (@sandtrap/stats: a dependency of detector-api; @sandtrap/harness: of scoreboard).
    for (const pkg of ['packages/stats', 'packages/core', 'packages/detector-api', 'packages/harness', 'packages/scoreboard', 'packages/cli']) {
      await npm(['pack', '--pack-destination', tarballs, join(repo, pkg)], repo);
    }
    // The author's side: scaffold and pack.
    const cli = join(repo, 'packages/cli/bin/sandtrap.js');
    await exec(process.execPath, [cli, 'init', 'detector', 'demo', '--dir', join(work, 'sandtrap-detector-demo')]);
    await npm(['pack', '--pack-destination', tarballs, join(work, 'sandtrap-detector-demo')], work);
    const files = (await readdir(tarballs)).sort();
    expect(files.some((f) => f.startsWith('sandtrap-detector-demo-0.1.0'))).toBe(true);

    // The user's side: a fresh project installing only tarballs (dependencies from the registry cache).
    const project = join(work, 'project');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
    await npm(['install', '--prefer-offline', '--no-package-lock', ...files.map((f) => join(tarballs, f))], project);

    const bin = join(project, 'node_modules/sandtrap/bin/sandtrap.js');
    const r = await exec(process.execPath, [bin, 'detect', 'sandtrap-detector-demo', '--zoo', zoo, '--json', '--quiet'], { cwd: project, maxBuffer: 64 * 1024 * 1024 });
    const run = JSON.parse(r.stdout) as {
      detector: { name: string; via: string; package: string };
      results: Array<{ organism: string; status: string; verdict?: { score: number; flagged: boolean } }>;
    };
    const index = JSON.parse(await readFile(join(zoo, 'zoo.json'), 'utf8')) as { organisms: Array<{ id: string }> };
    expect(run.detector).toMatchObject({ name: 'demo', via: 'package', package: 'sandtrap-detector-demo' });
    expect(run.results.map((x) => x.organism).sort()).toEqual(index.organisms.map((o) => o.id).sort());
    for (const x of run.results) {
      expect(x.status).toBe('ok');
      expect(x.verdict!.score).toBeGreaterThanOrEqual(0);
      expect(x.verdict!.score).toBeLessThanOrEqual(1);
      expect(typeof x.verdict!.flagged).toBe('boolean');
    }
  });
});
