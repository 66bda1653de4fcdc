import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const require = createRequire(import.meta.url);
const bin = join(dirname(require.resolve('sandtrap/package.json')), 'bin', 'sandtrap.js');
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const zoo = join(repo, 'fixtures/zoo-smoke');
const fixtures = join(repo, 'fixtures/detectors');

interface Run {
  results: Array<{ organism: string; split: string; status: string; reason?: string; message?: string; verdict?: { score: number } }>;
}

let testIds: string[] = [];
let truths: string[] = [];
beforeAll(async () => {
  const index = JSON.parse(await readFile(join(zoo, 'zoo.json'), 'utf8')) as { organisms: Array<{ id: string; split: string }> };
  testIds = index.organisms
    .filter((o) => o.split === 'test')
    .map((o) => o.id)
    .sort();
  // Strings only truth.json holds: none may appear in what a detector returns.
  truths = await Promise.all(testIds.slice(0, 4).map(async (id) => await readFile(join(zoo, 'organisms', id, 'truth.json'), 'utf8')));
});

async function detect(file: string, extra: string[] = []) {
  // cwd = the repository, so a detector that walks up from its working directory finds the zoo.
  const r = await exec(process.execPath, [bin, 'detect', join(fixtures, file), '--zoo', zoo, '--split', 'test', '--json', '--quiet', ...extra], {
    cwd: repo,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { run: JSON.parse(r.stdout) as Run, stdout: r.stdout };
}

const cases: Array<[string, string, RegExp, string[]?]> = [
  ['throws.js', 'threw', /boom: this detector always throws/],
  ['never-resolves.js', 'timeout', /timed out after 3 s; the worker process was killed/, ['--timeout', '3']],
  ['busy-loop.js', 'timeout', /timed out after 3 s/, ['--timeout', '3']],
  ['unbounded-alloc.js', 'out-of-memory', /out of memory/, ['--memory', '192', '--timeout', '30']],
  ['nan.js', 'invalid-verdict', /\/score: must be a finite number; found NaN/],
  ['score-7.js', 'invalid-verdict', /\/score: must be <= 1; found 7/],
  ['leaks-tensors.js', 'leaked-tensors', /leaked 1 tensor in detect\(\)/],
  ['reads-truth.js', 'threw', /restricted|ERR_ACCESS_DENIED|permission/i],
  ['blackbox-reads-weights.js', 'threw', /subject\.weights is not a function/],
];

describe.skipIf(process.env.SANDTRAP_FAST === '1')('[slow] misbehaving detectors cost only their own cells', () => {
  it.each(cases)('%s → every cell an error (%s), none lost, no truth revealed', async (file, reason, message, extra) => {
    const { run, stdout } = await detect(file, extra);
    expect(run.results.map((r) => r.organism).sort()).toEqual(testIds);
    for (const r of run.results) {
      expect(r.status).toBe('error');
      expect(r.reason).toBe(reason);
      expect(r.message).toMatch(message);
    }
    for (const t of truths) {
      const truth = JSON.parse(t) as { id: string; kind: string; gates: Record<string, unknown> };
      expect(stdout).not.toContain('"gates"');
      expect(stdout).not.toContain(`"kind": "${truth.kind}"`);
    }
    expect(stdout).not.toContain('stolen');
  });

  it('reads-env.js: a cell process inherits no secret, only the allow-listed variables', async () => {
    const r = await exec(process.execPath, [bin, 'detect', join(fixtures, 'reads-env.js'), '--zoo', zoo, '--split', 'test', '--json', '--quiet'], {
      cwd: repo,
      env: { ...process.env, SANDTRAP_TEST_SECRET: 'hunter2', CI_DEPLOY_TOKEN: 'tok-123' },
      maxBuffer: 64 * 1024 * 1024,
    });
    const run = JSON.parse(r.stdout) as { results: Array<{ status: string; verdict?: { evidence?: { variables: string[]; secrets: Record<string, string> } } }> };
    expect(run.results.length).toBe(testIds.length);
    for (const x of run.results) {
      expect(x.status).toBe('ok');
      expect(x.verdict!.evidence!.secrets).toEqual({});
      for (const v of x.verdict!.evidence!.variables)
        expect(['PATH', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'TF_CPP_MIN_LOG_LEVEL'].includes(v) || v.startsWith('SANDTRAP_DETECTOR_')).toBe(true);
    }
    expect(r.stdout).not.toContain('hunter2');
    expect(r.stdout).not.toContain('tok-123');
  });

  it('a well-behaved detector over the same zoo gets a verdict for every organism', async () => {
    const { run } = await detect('good.js');
    expect(run.results.map((r) => r.organism).sort()).toEqual(testIds);
    for (const r of run.results) {
      expect(r.status).toBe('ok');
      expect(r.verdict!.score).toBeGreaterThanOrEqual(0);
    }
  });
});
